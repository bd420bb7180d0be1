"""The reader's guards on signature boxes: they only ever make a judgement more cautious, and
they must not take a real signature written small in a corner for a stamp's edge."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kopplingar.forms import datasets, fields, sigsynth

pytestmark = pytest.mark.timeout(60)

MARGIN = 14  # crop margin around the box border, pixels (the reader's 1.2 mm at 200 dpi + 4)
H, W = 240, 900


def _box() -> np.ndarray:
    """A scanned empty box: its printed border MARGIN pixels inside the crop."""
    crop = np.full((H, W), 240, np.uint8)
    cv2.rectangle(crop, (MARGIN - 4, MARGIN - 4), (W - MARGIN + 3, H - MARGIN + 3), 40, 2)
    return crop


def _signature(crop: np.ndarray, top: int, left: int, height: int) -> np.ndarray:
    """A real signature (eval split) ``height`` pixels tall; a negative ``left`` counts from the
    right-hand side of the box."""
    ink = sigsynth.load_signature_ink(sorted(datasets.signature_files("eval"))[0])
    scale = height / ink.shape[0]
    small = cv2.resize(ink, (max(2, int(ink.shape[1] * scale)), height))
    if left < 0:
        left = W + left - small.shape[1]
    region = crop[top : top + small.shape[0], left : left + small.shape[1]]
    region[...] = np.minimum(region, (255 * (1 - small)).astype(np.uint8))
    return crop


def test_a_blank_box_has_its_ink_only_at_the_edges() -> None:
    assert fields.ink_only_at_edges(_box(), MARGIN)


@pytest.mark.parametrize("side", ["left", "right", "top", "bottom"])
def test_a_stamp_rim_coming_in_across_a_side_is_edge_ink(side: str) -> None:
    crop = _box()
    radius = 200
    reach = 45
    centre = {
        "left": (MARGIN + reach - radius, H // 2),
        "right": (W - MARGIN - reach + radius, H // 3),
        "top": (W // 3, MARGIN + reach - radius),
        "bottom": (2 * W // 3, H - MARGIN - reach + radius),
    }[side]
    cv2.circle(crop, centre, radius, 60, 5)
    cv2.circle(crop, centre, int(radius * 0.8), 60, 3)
    assert fields.ink_only_at_edges(crop, MARGIN)


def test_a_small_signature_in_a_corner_clear_of_the_sides_is_not_edge_ink() -> None:
    # bottom right, a fifth of the box high, 15 % of the box height clear of the sides
    crop = _signature(_box(), top=int(H * 0.62), left=-MARGIN - int(H * 0.15), height=int(H * 0.2))
    assert not fields.ink_only_at_edges(crop, MARGIN)


def test_a_signature_in_the_middle_is_not_edge_ink() -> None:
    crop = _signature(_box(), top=int(H * 0.3), left=int(W * 0.35), height=int(H * 0.45))
    assert not fields.ink_only_at_edges(crop, MARGIN)
