"""Read the form's QR code: from its known place on the aligned page, or anywhere as a fallback.

Two decoders: zxing-cpp first (~0.3 ms on the aligned crop, where OpenCV's detector takes ~10 ms;
on 141 generated dev pages both read the same text wherever both read one), then OpenCV's on a
few variants of the crop for what zxing-cpp could not read (1 of those 141). On the aligned page
the code is where the layout puts it, so the decoders only see a small crop. When no marker
survived, the whole page is searched (zxing-cpp; OpenCV only where zxing-cpp saw a code it could
not decode); the code's corners then also give a rough alignment.
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


def _zxing(gray: np.ndarray) -> tuple[QrHit | None, bool]:
    """zxing-cpp's reading of the first QR code in the image, and whether it saw a code it could
    not decode (worth OpenCV's slower try)."""
    import zxingcpp

    found = zxingcpp.read_barcodes(
        np.ascontiguousarray(gray),
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode),
        return_errors=True,
    )
    seen = False
    for code in found:
        if not code.valid or not code.text:
            seen = True
            continue
        p = code.position
        corners = [p.top_left, p.top_right, p.bottom_right, p.bottom_left]
        return QrHit(str(code.text), np.array([[c.x, c.y] for c in corners], np.float32)), True
    return None, seen


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
    hit, _ = _zxing(crop)
    if hit is not None:
        return hit.text

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
    hit, seen = _zxing(image)
    if hit is not None or not seen:
        return hit
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
