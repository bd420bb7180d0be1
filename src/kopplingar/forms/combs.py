"""Cut a comb field into one image per box, the way a person reads it: by whole strokes.

People write big, off-centre and across the printed borders. Cropping each box exactly cuts such a
digit (a 9 whose loop pokes over the top line becomes a 4), so the whole comb is taken with a
margin, its printed lines (and any fold line) are removed, strokes that crossed a line are joined
again, and every remaining connected stroke goes to the box holding most of it (a stroke as wide
as two boxes is two digits written into each other, cut where it is thinnest). Each box's image
is the box itself grown to take in its strokes, on clean paper: the digit classifier sees the
whole digit and nothing of the form.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from kopplingar.forms import graylevels
from kopplingar.forms.opencv import components, cv2_module

MARGIN = 0.35  # of a box's height and width: how far past its border a stroke may still belong
SPLIT_WIDTH = 1.45  # in boxes: a stroke wider than this is two digits written into each other
MIN_INSIDE = 0.4  # share of a stroke's ink that must lie within the box rows (not the label above)
PAPER = 255


@dataclass(frozen=True)
class CombGeometry:
    """Where the comb's boxes are on the page, in pixels."""

    x0: float
    y0: float
    cell_width: float
    cell_height: float
    cells: int


def ink_threshold(gray: np.ndarray, paper: float | None = None) -> int:
    """Otsu, kept at least 25 levels below the paper so that noise on blank paper is not ink.
    ``paper``: the image's 90th percentile, when the caller already has it."""
    cv2 = cv2_module()
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if paper is None:
        paper = graylevels.percentile(gray, 90)
    return int(min(max(otsu, 60), paper - 25))


def _printed_lines(
    ink: np.ndarray, geo: CombGeometry, top: int, left: int
) -> tuple[np.ndarray, np.ndarray]:
    """The comb's borders and anything as long and straight (a fold), as horizontal and
    vertical masks: horizontal runs longer than one and a half boxes anywhere, vertical runs
    nearly a box tall near a border."""
    cv2 = cv2_module()
    ink8 = ink.astype(np.uint8)
    h_len = max(5, round(geo.cell_width * 1.5))
    # slack across the run (a line tilted by the scan stays one run) and along it (a blurred or
    # faint line has gaps); the mask is then widened by a pixel to take the line's soft edges
    widened = cv2.dilate(ink8, np.ones((3, 1), np.uint8))
    widened = cv2.morphologyEx(widened, cv2.MORPH_CLOSE, np.ones((1, 7), np.uint8))
    horizontal = cv2.morphologyEx(widened, cv2.MORPH_OPEN, np.ones((1, h_len), np.uint8))
    horizontal = horizontal & ink8
    v_len = max(5, round(geo.cell_height * 0.85))
    widened = cv2.dilate(ink8, np.ones((1, 3), np.uint8))
    widened = cv2.morphologyEx(widened, cv2.MORPH_CLOSE, np.ones((7, 1), np.uint8))
    vertical = cv2.morphologyEx(widened, cv2.MORPH_OPEN, np.ones((v_len, 1), np.uint8))
    vertical = vertical & ink8
    near_border = np.zeros(ink.shape[1], bool)
    band = max(2, round(geo.cell_width * 0.18))
    for k in range(geo.cells + 1):
        x = _border_x(geo, k, left)
        near_border[max(x - band, 0) : max(x + band + 1, 0)] = True
    vertical[:, ~near_border] = 0
    fitted = _fitted_border_columns(vertical > 0, geo, left, band)
    if fitted is not None:
        # the borders are where the printed lines really are: a tall "1" written a little
        # beside one is a stroke, not a border
        vertical[:, ~fitted] = 0
    return horizontal > 0, vertical > 0


def _fitted_border_columns(
    vertical: np.ndarray, geo: CombGeometry, left: int, band: int
) -> np.ndarray | None:
    """Columns of the comb's printed vertical borders, found where long vertical runs pile up
    within ``band`` of where the layout puts them: the comb is one printed object, so all its
    borders share one offset. None when too few borders show to fit it."""
    counts = vertical.sum(axis=0).astype(np.float64)
    offsets: list[int] = []
    expected = [_border_x(geo, k, left) for k in range(geo.cells + 1)]
    for x in expected:
        lo, hi = max(x - band, 0), min(x + band + 1, len(counts))
        if hi - lo < 3:
            continue
        window = counts[lo:hi]
        if window.max() >= 0.5 * geo.cell_height:
            offsets.append(lo + int(np.argmax(window)) - x)
    if len(offsets) < max(2, (geo.cells + 1) // 3):
        return None
    offset = int(np.median(offsets))
    tol = max(3, round(geo.cell_width * 0.07))
    columns = np.zeros(len(counts), bool)
    for x in expected:
        c = x + offset
        columns[max(c - tol, 0) : max(c + tol + 1, 0)] = True
    return columns


def _rejoin(clean: np.ndarray, horizontal: np.ndarray) -> np.ndarray:
    """Put back the pixels of a horizontal line where a stroke crossed it (ink above and below):
    a digit written over the top or bottom border stays one stroke. Vertical borders are not
    bridged: two neighbouring digits touching the same border must stay apart."""
    cv2 = cv2_module()
    band = cv2.dilate(horizontal.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    stroke = (clean & ~band).astype(np.uint8)
    across = cv2.morphologyEx(stroke, cv2.MORPH_CLOSE, np.ones((13, 1), np.uint8)) > 0
    return np.asarray(clean | (band & across))


def box_images(page: np.ndarray, geo: CombGeometry) -> list[np.ndarray]:
    """One uint8 image per box (255 = paper): its strokes on clean paper, the box grown to hold
    them. A box without strokes is plain paper of the box's size."""
    cv2 = cv2_module()
    ph, pw = page.shape[:2]
    my, mx = round(geo.cell_height * MARGIN), round(geo.cell_width * MARGIN)
    top, left = max(round(geo.y0) - my, 0), max(round(geo.x0) - mx, 0)
    bottom = min(round(geo.y0 + geo.cell_height) + my, ph)
    right = min(round(geo.x0 + geo.cells * geo.cell_width) + mx, pw)
    strip = np.asarray(page[top:bottom, left:right], dtype=np.uint8)
    boxes = [_box_rect(geo, k, top, left) for k in range(geo.cells)]
    top_level, paper = graylevels.percentiles(strip, 99.5, 90) if strip.size else (0.0, 0.0)
    if strip.size == 0 or int(top_level) - int(strip.min()) < 40:
        return [np.full((max(b[3] - b[1], 1), max(b[2] - b[0], 1)), PAPER, np.uint8) for b in boxes]
    ink = strip < ink_threshold(strip, paper)
    horizontal, vertical = _printed_lines(ink, geo, top, left)
    clean = _rejoin(ink & ~horizontal & ~vertical, horizontal)
    n, labels, stats, centroids = components(clean.astype(np.uint8))
    row_top, row_bottom = round(geo.y0) - top, round(geo.y0 + geo.cell_height) - top
    min_area = max(3, int(0.003 * geo.cell_width * geo.cell_height))
    owner = np.full(n, -1)
    for i in range(1, n):
        area = int(stats[i, cv2.CC_STAT_AREA])
        if area < min_area:
            continue
        y, hh = int(stats[i, cv2.CC_STAT_TOP]), int(stats[i, cv2.CC_STAT_HEIGHT])
        rows = labels[max(y, row_top) : min(y + hh, row_bottom)]
        inside = int(np.count_nonzero(rows == i))
        if inside < MIN_INSIDE * area:
            continue  # the printed label above, a mark below
        owner[i] = _box_at(geo, float(centroids[i][0]) + left)
    pixel_box = _pixel_boxes(labels, stats, owner, geo, left)
    extents = _stroke_extents(pixel_box, geo.cells)
    out: list[np.ndarray] = []
    for k, (bx0, by0, bx1, by1) in enumerate(boxes):
        extent = extents[k]
        if extent is None:
            out.append(np.full((max(by1 - by0, 1), max(bx1 - bx0, 1)), PAPER, np.uint8))
            continue
        sy0, sx0, sy1, sx1 = extent
        x0, x1 = max(min(bx0, sx0), 0), max(bx1, sx1)
        y0, y1 = max(min(by0, sy0), 0), max(by1, sy1)
        window = (slice(y0, y1), slice(x0, x1))
        crop = np.where(pixel_box[window] == k, strip[window], PAPER)
        out.append(np.asarray(crop, dtype=np.uint8))
    return out


def _stroke_extents(pixel_box: np.ndarray, cells: int) -> list[tuple[int, int, int, int] | None]:
    """Per box, the rows and columns its strokes span (y0, x0, y1, x1; None: no stroke), from
    one pass over the strip rather than a full-strip comparison per box."""
    ys, xs = np.nonzero(pixel_box >= 0)
    if len(ys) == 0:
        return [None] * cells
    ks = pixel_box[ys, xs]
    big = np.iinfo(np.int64).max
    y0, x0 = np.full(cells, big), np.full(cells, big)
    y1, x1 = np.full(cells, -1), np.full(cells, -1)
    np.minimum.at(y0, ks, ys)
    np.minimum.at(x0, ks, xs)
    np.maximum.at(y1, ks, ys)
    np.maximum.at(x1, ks, xs)
    return [
        (int(y0[k]), int(x0[k]), int(y1[k]) + 1, int(x1[k]) + 1) if y1[k] >= 0 else None
        for k in range(cells)
    ]


def _pixel_boxes(
    labels: np.ndarray, stats: np.ndarray, owner: np.ndarray, geo: CombGeometry, left: int
) -> np.ndarray:
    """The box each pixel's stroke belongs to (-1: none), from each stroke's ``owner``. A stroke
    wider than ``SPLIT_WIDTH`` boxes is two digits written into each other: it is cut where it
    is thinnest near each border it spans, and each part goes to the box it lies in."""
    wide = np.flatnonzero((owner >= 0) & (stats[:, 2] > SPLIT_WIDTH * geo.cell_width))
    box_of = owner.copy()
    box_of[wide] = -1
    pixel_box = box_of[labels]
    reach = round(geo.cell_width * 0.3)
    for i in wide:
        x, w = int(stats[i][0]), int(stats[i][2])
        column_ink = (labels[:, x : x + w] == i).sum(axis=0)
        cuts = [0]
        for b in range(1, geo.cells):
            border = _border_x(geo, b, left) - x
            lo, hi = max(border - reach, 1), min(border + reach, w - 1)
            if hi - lo < 2:
                continue
            cuts.append(lo + int(np.argmin(column_ink[lo:hi])))
        cuts.append(w)
        total = int(column_ink.sum())
        parts: list[tuple[int, int]] = []
        for a, b in itertools.pairwise(cuts):
            small = int(column_ink[a:b].sum()) < 0.1 * total
            if parts and (
                small or int(column_ink[parts[-1][0] : parts[-1][1]].sum()) < 0.1 * total
            ):
                parts[-1] = (parts[-1][0], b)  # a sliver past a border stays with its neighbour
            else:
                parts.append((a, b))
        for a, b in parts:
            part = labels[:, x + a : x + b] == i
            centre = x + a + float(np.nonzero(part)[1].mean())
            pixel_box[:, x + a : x + b][part] = _box_at(geo, centre + left)
    return np.asarray(pixel_box)


def _border_x(geo: CombGeometry, k: int, left: int) -> int:
    """Where the layout puts the comb's ``k``-th vertical border (0 = left edge), in strip
    columns."""
    return round(geo.x0 + k * geo.cell_width) - left


def _box_at(geo: CombGeometry, x: float) -> int:
    """The box holding page column ``x`` (clamped to the comb)."""
    return min(max(int((x - geo.x0) // geo.cell_width), 0), geo.cells - 1)


def _box_rect(geo: CombGeometry, k: int, top: int, left: int) -> tuple[int, int, int, int]:
    """Box ``k`` in strip coordinates (x0, y0, x1, y1)."""
    x0, x1 = _border_x(geo, k, left), _border_x(geo, k + 1, left)
    y0 = round(geo.y0) - top
    y1 = round(geo.y0 + geo.cell_height) - top
    return x0, y0, x1, y1
