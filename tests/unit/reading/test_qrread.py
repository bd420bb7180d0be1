"""The QR decoders: zxing-cpp first, OpenCV's detector for what it cannot read."""

from __future__ import annotations

import numpy as np
import pytest

from kopplingar.forms import qrread
from kopplingar.forms.opencv import cv2_module

TEXT = "KOPP:C:1:abc123"


def _page_with_code(turns: int) -> np.ndarray:
    cv2 = cv2_module()
    code = cv2.QRCodeEncoder.create().encode(TEXT)
    code = cv2.resize(code, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)
    page = np.full((600, 600), 255, np.uint8)
    page[100 : 100 + code.shape[0], 150 : 150 + code.shape[1]] = code
    return np.ascontiguousarray(np.rot90(page, turns))


@pytest.mark.parametrize("turns", [0, 1, 2, 3])
def test_both_decoders_give_the_corners_in_the_code_s_own_order(turns: int) -> None:
    """The QR-only alignment takes the page's rotation from the corner order (TL, TR, BR, BL of
    the code itself), so both decoders must give it the same way on a turned page."""
    page = _page_with_code(turns)
    fast, _ = qrread._zxing(page)
    slow = qrread._decode(page)
    assert fast is not None and slow is not None
    assert fast.text == slow.text == TEXT
    assert np.abs(fast.corners - slow.corners).max() <= 2.5
    found = qrread.search_page(page)
    assert found is not None and np.abs(found.corners - slow.corners).max() <= 2.5


def test_a_page_without_a_code_gives_none_and_a_damaged_code_is_still_tried() -> None:
    assert qrread.search_page(np.full((800, 600), 255, np.uint8)) is None
    page = _page_with_code(0)
    page[180:260, 230:260] = 255  # a white bar through the middle: beyond error correction
    hit, seen = qrread._zxing(page)
    assert hit is None and seen  # zxing-cpp saw a code it could not decode: OpenCV is asked
