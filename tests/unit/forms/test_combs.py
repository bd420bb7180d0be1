"""Comb boxes are cut by whole strokes: overflowing digits stay whole, neighbours stay apart."""

from __future__ import annotations

import cv2
import numpy as np

from kopplingar.forms import combs

CELL_W, CELL_H, CELLS = 55, 71, 6
X0, Y0 = 60, 80


def _comb_page() -> np.ndarray:
    page = np.full((240, X0 * 2 + CELL_W * CELLS), 245, np.uint8)
    cv2.rectangle(page, (X0, Y0), (X0 + CELL_W * CELLS, Y0 + CELL_H), 30, 2)
    for k in range(1, CELLS):
        x = X0 + k * CELL_W
        cv2.line(page, (x, Y0), (x, Y0 + CELL_H), 30, 2)
    # the printed label just above the comb
    cv2.putText(page, "Abonnemangsnummer", (X0, Y0 - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 90, 1)
    return page


GEO = combs.CombGeometry(x0=X0, y0=Y0, cell_width=CELL_W, cell_height=CELL_H, cells=CELLS)


def _ink_rows(image: np.ndarray) -> np.ndarray:
    return np.flatnonzero((image < 128).any(axis=1))


def test_empty_boxes_are_plain_paper_of_the_box_size() -> None:
    images = combs.box_images(_comb_page(), GEO)
    assert len(images) == CELLS
    for image in images:
        assert image.shape == (CELL_H, CELL_W)
        assert int(image.min()) == 255  # no border, no label


def test_a_digit_over_the_top_border_is_kept_whole() -> None:
    page = _comb_page()
    cx = X0 + CELL_W // 2
    # a tall "1" from 18 px above the box to near its bottom, crossing the top line
    cv2.line(page, (cx, Y0 - 18), (cx, Y0 + CELL_H - 10), 20, 4)
    images = combs.box_images(page, GEO)
    rows = _ink_rows(images[0])
    assert images[0].shape[0] >= CELL_H + 15  # the box grew upwards to take the stroke
    assert rows.max() - rows.min() >= CELL_H - 10 + 18 - 4  # one stroke, top to bottom
    assert all(int(im.min()) == 255 for im in images[1:])


def test_digits_touching_one_border_stay_in_their_own_boxes() -> None:
    page = _comb_page()
    border = X0 + CELL_W  # between box 0 and box 1
    cv2.circle(page, (border - 14, Y0 + 35), 14, 20, 3)  # a "0" touching the border from the left
    cv2.line(page, (border + 4, Y0 + 12), (border + 4, Y0 + 60), 20, 3)  # a "1" touching it
    images = combs.box_images(page, GEO)
    left_cols = np.flatnonzero((images[0] < 128).any(axis=0))
    right_cols = np.flatnonzero((images[1] < 128).any(axis=0))
    assert len(left_cols) >= 20  # the whole circle in box 0
    assert 0 < len(right_cols) <= 8  # only the thin "1" in box 1
    assert all(int(im.min()) == 255 for im in images[2:])


def test_a_fold_line_across_the_comb_is_not_ink() -> None:
    page = _comb_page()
    cv2.line(page, (0, Y0 + 40), (page.shape[1] - 1, Y0 + 42), 110, 1)
    images = combs.box_images(page, GEO)
    assert all(int(im.min()) >= 128 for im in images)


def test_a_blank_or_empty_strip_gives_paper() -> None:
    page = np.full((240, 500), 250, np.uint8)
    images = combs.box_images(page, GEO)
    assert [im.shape for im in images] == [(CELL_H, CELL_W)] * CELLS
    assert all(int(im.min()) == 255 for im in images)


def test_a_tall_one_beside_a_border_is_a_digit_not_a_border() -> None:
    page = _comb_page()
    x = X0 + 2 * CELL_W + 8  # 8 px right of the border between boxes 1 and 2
    cv2.line(page, (x, Y0 + 3), (x, Y0 + CELL_H - 3), 20, 3)  # a "1" nearly the box's height
    images = combs.box_images(page, GEO)
    rows = _ink_rows(images[2])
    assert rows.max() - rows.min() >= CELL_H - 10
    assert all(int(im.min()) == 255 for k, im in enumerate(images) if k != 2)


def test_two_digits_written_into_each_other_are_split_at_the_border() -> None:
    page = _comb_page()
    border = X0 + CELL_W
    cv2.line(page, (border, Y0 + 3), (border, Y0 + CELL_H - 3), 245, 3)  # too faint to scan
    # a "7" and a "7" joined by their bars, one per box, drawn as one stroke
    cv2.line(page, (X0 + 20, Y0 + 15), (border + 5, Y0 + 15), 20, 3)
    cv2.line(page, (border - 10, Y0 + 15), (border - 22, Y0 + 62), 20, 3)
    cv2.line(page, (border + 5, Y0 + 15), (border + 48, Y0 + 22), 20, 3)
    cv2.line(page, (border + 48, Y0 + 22), (border + 30, Y0 + 62), 20, 3)
    images = combs.box_images(page, GEO)
    for k in (0, 1):
        cols = np.flatnonzero((images[k] < 128).any(axis=0))
        rows = _ink_rows(images[k])
        assert len(cols) >= 15 and rows.max() - rows.min() >= 40, k
    assert all(int(im.min()) == 255 for im in images[2:])


def test_each_box_image_is_its_strokes_and_nothing_of_its_neighbours() -> None:
    page = _comb_page()
    # a 0 in box 1, a 7 over the bottom border of box 3, a stroke out past the comb's right end
    cv2.circle(page, (X0 + CELL_W + 27, Y0 + 35), 15, 25, 3)
    cv2.line(page, (X0 + 3 * CELL_W + 15, Y0 + 15), (X0 + 3 * CELL_W + 40, Y0 + 15), 25, 3)
    cv2.line(page, (X0 + 3 * CELL_W + 40, Y0 + 15), (X0 + 3 * CELL_W + 25, Y0 + CELL_H + 12), 25, 3)
    cv2.line(page, (X0 + 5 * CELL_W + 20, Y0 + 20), (X0 + 6 * CELL_W + 12, Y0 + 50), 25, 3)
    images = combs.box_images(page, GEO)
    inked = [k for k, im in enumerate(images) if int(im.min()) < 128]
    assert inked == [1, 3, 5]
    assert images[1].shape == (CELL_H, CELL_W)  # inside its box: the box's own size
    assert images[3].shape[0] >= CELL_H + 10  # grown downwards to hold the 7's stem
    assert images[5].shape[1] >= CELL_W + 10  # grown to the right to hold the long stroke
    for k in (0, 2, 4):
        assert images[k].shape == (CELL_H, CELL_W)
