"""Handwritten (and printed) digits in comb-box cells: preprocessing and a small CNN run in numpy.

A cell is the crop of one comb box from an aligned page (uint8, 255 = paper, 0 = ink). It may hold
fragments of the box border, scanner noise or nothing at all, so the classifier has an eleventh
class, ``EMPTY``. The network was trained by ``scripts/train_digits.py`` on synthetic cells made
from the train split only; its weights ship as ``models/digits.npz`` and run here in numpy (no
torch at runtime). Probabilities are temperature-scaled on a validation part of the train split.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kopplingar.forms import graylevels, nets
from kopplingar.forms.combs import ink_threshold
from kopplingar.forms.opencv import components, cv2_module

EMPTY = 10
N_CLASSES = 11
SIDE = 28
MODEL_PATH = Path(__file__).parent / "models" / "digits.npz"


@dataclass(frozen=True)
class PreparedCell:
    """A cell normalised like MNIST (ink = 1.0) plus scalars the image alone loses by cropping."""

    image: np.ndarray  # (28, 28) float32, ink in 0..1, centred by mass
    scalars: np.ndarray  # (3,) ink fraction of the cell, ink bbox height and width over the cell
    has_ink: bool


def _remove_border_remnants(ink: np.ndarray) -> np.ndarray:
    """Remove long straight lines lying in the edge bands: remnants of the comb-box borders."""
    cv2 = cv2_module()
    h, w = ink.shape
    ink8 = ink.astype(np.uint8)
    band_h, band_w = max(2, round(h * 0.2)), max(2, round(w * 0.2))
    vertical = cv2.morphologyEx(ink8, cv2.MORPH_OPEN, np.ones((max(3, int(h * 0.45)), 1), np.uint8))
    horizontal = cv2.morphologyEx(
        ink8, cv2.MORPH_OPEN, np.ones((1, max(3, int(w * 0.45))), np.uint8)
    )
    vertical[:, band_w : w - band_w] = 0
    horizontal[band_h : h - band_h, :] = 0
    lines = cv2.dilate(vertical | horizontal, np.ones((3, 3), np.uint8))
    return np.asarray(ink & (lines == 0))


def _drop_small_and_edge_components(ink: np.ndarray) -> np.ndarray:
    """Remove specks and small fragments lying entirely in the edge band (border leftovers)."""
    h, w = ink.shape
    _, labels, stats, _ = components(ink.astype(np.uint8))
    min_area = max(3, int(0.002 * h * w))
    band_h, band_w = h * 0.12, w * 0.12
    x, y, bw, bh, area = (stats[:, k] for k in range(5))
    in_top_or_bottom = (y + bh <= band_h) | (y >= h - band_h)
    in_left_or_right = (x + bw <= band_w) | (x >= w - band_w)
    keep = (area >= min_area) & ~((in_top_or_bottom | in_left_or_right) & (area < 0.01 * h * w))
    keep[0] = False  # the background
    # pieces of a neighbouring box's digit reach into a crop taken with a margin: a smaller
    # component cut by the crop edge and lying wholly in that side's outer band is not this cell's
    if int(keep.sum()) > 1:
        largest = int(area[keep].max())
        cut = (
            ((x == 0) & (x + bw <= w * 0.25))
            | ((x + bw == w) & (x >= w * 0.75))
            | ((y == 0) & (y + bh <= h * 0.25))
            | ((y + bh == h) & (y >= h * 0.75))
        )
        keep &= ~(cut & (area < 0.4 * largest))
    return np.asarray(keep[labels])


def _blank() -> PreparedCell:
    return PreparedCell(np.zeros((SIDE, SIDE), np.float32), np.zeros(3, np.float32), False)


def prepare_cell(cell: np.ndarray, *, lines_removed: bool = False) -> PreparedCell:
    """Binarise, clean, crop to the ink and normalise to a 28×28 MNIST-like image.

    ``lines_removed``: the cell comes from ``combs.box_images``, which already took the box lines
    away by their known position; looking for border remnants again would take a digit's own
    straight stroke near the edge (the stem of a 7 written to the left) for one."""
    cv2 = cv2_module()
    gray = np.asarray(cell)
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    gray = gray.astype(np.uint8, copy=False)
    h, w = gray.shape
    if h < 6 or w < 6:
        return _blank()
    # a cell without real contrast is blank whatever Otsu would say
    top_level, paper = graylevels.percentiles(gray, 99.5, 90)
    if int(top_level) - int(gray.min()) < 40:
        return _blank()
    ink = gray < ink_threshold(gray, paper)
    if not lines_removed:
        ink = _remove_border_remnants(ink)
    ink = _drop_small_and_edge_components(ink)
    ys, xs = np.nonzero(ink)
    if len(ys) == 0:
        return _blank()
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    scalars = np.array([len(ys) / ink.size * 10, (y1 - y0) / h, (x1 - x0) / w], dtype=np.float32)
    # only the ink's bounding box is normalised (the same values as the whole cell, cut)
    darkness = (255.0 - gray[y0:y1, x0:x1].astype(np.float32)) / 255.0
    glyph = np.where(ink[y0:y1, x0:x1], darkness, 0.0)
    glyph = glyph / max(float(glyph.max()), 1e-6)
    gh, gw = glyph.shape
    scale = 20.0 / max(gh, gw)
    nh, nw = max(1, round(gh * scale)), max(1, round(gw * scale))
    small = cv2.resize(glyph.astype(np.float32), (nw, nh), interpolation=cv2.INTER_AREA)
    canvas = np.zeros((SIDE, SIDE), np.float32)
    total = float(small.sum())
    if total > 0:
        cy = float((small.sum(axis=1) * np.arange(nh)).sum() / total)
        cx = float((small.sum(axis=0) * np.arange(nw)).sum() / total)
    else:
        cy, cx = nh / 2, nw / 2
    top = round(SIDE / 2 - cy - 0.5)
    left = round(SIDE / 2 - cx - 0.5)
    top = min(max(top, 0), SIDE - nh)
    left = min(max(left, 0), SIDE - nw)
    canvas[top : top + nh, left : left + nw] = small
    return PreparedCell(np.clip(canvas, 0, 1), scalars, True)


def prepare_batch(
    cells: list[np.ndarray], *, lines_removed: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Images (n, 1, 28, 28), scalars (n, 3) and an ink mask (n,) for the network."""
    prepared = [prepare_cell(c, lines_removed=lines_removed) for c in cells]
    images = (
        np.stack([p.image for p in prepared])[:, None] if prepared else np.zeros((0, 1, 28, 28))
    )
    scalars = np.stack([p.scalars for p in prepared]) if prepared else np.zeros((0, 3))
    has_ink = np.array([p.has_ink for p in prepared], dtype=bool)
    return images.astype(np.float32), scalars.astype(np.float32), has_ink


# --- the network, in numpy -------------------------------------------------------------------


@lru_cache(maxsize=1)
def _members() -> tuple[dict[str, np.ndarray], ...]:
    """The networks in the model file: one, or several (keys ``m0.conv1_w``, ...) whose
    probabilities are averaged; averaging models trained with other seeds and data orders
    corrects part of each one's mistakes."""
    with np.load(MODEL_PATH) as data:
        arrays = {k: data[k].astype(np.float32) for k in data.files}
    if "members" not in arrays:
        return (arrays,)
    return tuple(
        {k.removeprefix(f"m{i}."): v for k, v in arrays.items() if k.startswith(f"m{i}.")}
        for i in range(int(arrays["members"][0]))
    )


def _weights() -> dict[str, np.ndarray]:
    """The first (or only) network."""
    return _members()[0]


def combine_models(models: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Several single-network weight sets as one ensemble file's arrays."""
    out: dict[str, np.ndarray] = {"members": np.array([len(models)], np.int32)}
    for i, model in enumerate(models):
        out.update({f"m{i}.{k}": v for k, v in model.items()})
    return out


def logits(
    images: np.ndarray, scalars: np.ndarray, wts: dict[str, np.ndarray] | None = None
) -> np.ndarray:
    """A network's logits (n, 11), before temperature scaling; images (n, 1, 28, 28); ``wts``
    one member's weights (default: the first).

    conv3×3(32)-pool, conv3×3(32)-pool, conv3×3(64), conv3×3(64)-pool, then a dense layer that
    also sees the scalars; batch-norm is folded into the convolutions.
    """
    wts = wts if wts is not None else _weights()
    x = np.ascontiguousarray(images.transpose(0, 2, 3, 1), dtype=np.float32)
    x = nets.conv3x3_relu(x, wts["conv1_w"], wts["conv1_b"], pool=True)
    x = nets.conv3x3_relu(x, wts["conv2_w"], wts["conv2_b"], pool=True)
    x = nets.conv3x3_relu(x, wts["conv3_w"], wts["conv3_b"])
    x = nets.conv3x3_relu(x, wts["conv4_w"], wts["conv4_b"], pool=True)
    x = np.concatenate([x.reshape(len(x), -1), scalars.astype(np.float32)], axis=1)
    x = np.maximum(x @ wts["fc1_w"].T + wts["fc1_b"], 0)
    return np.asarray(x @ wts["fc2_w"].T + wts["fc2_b"], dtype=np.float32)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def classify_cells(cells: list[np.ndarray], *, lines_removed: bool = False) -> np.ndarray:
    """Calibrated probabilities (n, 11): digits 0-9, then EMPTY (blank, border fragments, noise)."""
    return classify_batch(cells, lines_removed=lines_removed)[0]


def classify_batch(
    cells: list[np.ndarray], *, lines_removed: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``classify_cells``, and the cells' scalars (ink share, ink height and width as fractions
    of the cell) and ink mask from ``prepare_batch``."""
    if not cells:
        return np.zeros((0, N_CLASSES), np.float32), np.zeros((0, 3), np.float32), np.zeros(0, bool)
    images, scalars, has_ink = prepare_batch(cells, lines_removed=lines_removed)
    return network_probabilities(images, scalars, has_ink), scalars, has_ink


def network_probabilities(
    images: np.ndarray, scalars: np.ndarray, has_ink: np.ndarray
) -> np.ndarray:
    """Calibrated probabilities (n, 11) of prepared cells (``prepare_batch``): the model's
    networks averaged, each with its temperature; a cell without ink is EMPTY."""
    probs = np.zeros((len(images), N_CLASSES), np.float32)
    probs[~has_ink, EMPTY] = 1.0
    if has_ink.any():
        members = _members()
        total = np.zeros((int(has_ink.sum()), N_CLASSES), np.float32)
        for wts in members:
            temperature = float(wts["temperature"][0])
            total += _softmax(logits(images[has_ink], scalars[has_ink], wts) / temperature)
        probs[has_ink] = total / len(members)
    return probs
