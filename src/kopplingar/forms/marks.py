"""The machine-readable marks as module matrices: ArUco markers and the QR code (OpenCV).

The PDF draws each dark module as a vector square, so marks are sharp at any printer resolution.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kopplingar.forms.layout import ARUCO_DICTIONARY
from kopplingar.forms.opencv import cv2_module


def aruco_dictionary() -> Any:
    """The OpenCV ArUco dictionary the markers come from."""
    cv2 = cv2_module()

    return cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, ARUCO_DICTIONARY))


def aruco_modules(marker_id: int) -> np.ndarray:
    """A marker as a boolean matrix (True = black), its one-module black border included."""
    cv2 = cv2_module()

    cells = 4 + 2  # DICT_4X4_*: 4 × 4 data bits and a black border
    image = cv2.aruco.generateImageMarker(aruco_dictionary(), marker_id, cells)
    return np.asarray(image) < 128


def qr_modules(text: str) -> np.ndarray:
    """The QR symbol for ``text`` (error correction M) as a boolean matrix without quiet zone."""
    cv2 = cv2_module()

    params = cv2.QRCodeEncoder.Params()
    params.correction_level = cv2.QRCodeEncoder_CORRECT_LEVEL_M
    encoder = cv2.QRCodeEncoder.create(params)
    image = np.asarray(encoder.encode(text))
    dark = image < 128
    rows = np.flatnonzero(dark.any(axis=1))
    cols = np.flatnonzero(dark.any(axis=0))
    symbol = dark[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if symbol.shape[0] != symbol.shape[1] or (symbol.shape[0] - 17) % 4:
        raise RuntimeError(f"unexpected QR symbol size {symbol.shape}")
    return symbol
