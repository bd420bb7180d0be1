"""Read the form's QR code: from its known place on the aligned page, or anywhere as a fallback.

On the aligned page the code is where the layout puts it, so the detector only sees a small crop
(~10 ms). When no marker survived, the whole page is searched on a reduced copy (slower, rare);
the code's corners then also give a rough alignment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from kopplingar.forms.layout import MM, QR_QUIET_MM, FormLayout
from kopplingar.forms.opencv import cv2_module


@dataclass(frozen=True)
class QrHit:
    text: str
    corners: np.ndarray  # 4 × 2 in the searched image's pixels (QR order: TL, TR, BR, BL)


@lru_cache(maxsize=1)
def _detector() -> Any:
    return cv2_module().QRCodeDetector()


def _decode(gray: np.ndarray) -> QrHit | None:
    cv2 = cv2_module()
    try:
        text, points, _ = _detector().detectAndDecode(gray)
    except cv2.error:
        return None
    if not text or points is None:
        return None
    return QrHit(str(text), np.asarray(points, np.float32).reshape(4, 2))


def read_aligned(page: np.ndarray, layout: FormLayout, dpi: float) -> str | None:
    """The QR text from the aligned page (None when it cannot be decoded)."""
    cv2 = cv2_module()
    box = layout.rect_px(layout.qr.inset(-QR_QUIET_MM * MM * 0.9), dpi)
    rows, cols = box.slices()
    crop = page[max(rows.start, 0) : rows.stop, max(cols.start, 0) : cols.stop]
    if crop.size == 0:
        return None

    def variants() -> Iterator[np.ndarray]:
        yield crop
        yield cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
        yield cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
        yield cv2.morphologyEx(crop, cv2.MORPH_CLOSE, np.ones((2, 2), np.uint8))

    for variant in variants():
        hit = _decode(np.ascontiguousarray(variant))
        if hit is not None:
            return hit.text
    return None


def search_page(image: np.ndarray, max_side: int = 1400) -> QrHit | None:
    """Look for a QR code anywhere on the page (corners in the given image's pixels)."""
    cv2 = cv2_module()
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    small = (
        cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        if scale < 1.0
        else image
    )
    hit = _decode(small)
    if hit is None:
        return None
    return QrHit(hit.text, hit.corners / scale)
