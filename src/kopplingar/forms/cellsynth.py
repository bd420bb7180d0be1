"""Synthetic comb-box cells as a scanner would deliver them, for training and testing the digit model.

A digit (handwritten from the data set, or printed in a font) is drawn into a box whose border
lines may show at the crop edges, then degraded: stroke width, rotation, blur, noise, dust, JPEG,
fax binarisation. Empty cells get the same treatment plus the hard cases (border fragments, specks,
a fold line), so that the classifier learns that these are not digits.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kopplingar.forms.opencv import cv2_module

FONT_FILES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
]


def available_fonts() -> list[str]:
    return [f for f in FONT_FILES if Path(f).exists()]


def glyph_from_dataset(image: np.ndarray) -> np.ndarray:
    """A data-set digit (0 = background, 255 = ink) as ink 0..1, cropped, small ones upsampled."""
    cv2 = cv2_module()
    ink = image.astype(np.float32) / 255.0
    if ink.shape[0] <= 16:  # Semeion: binary 16×16, smooth it when enlarging
        ink = cv2.resize(ink, (48, 48), interpolation=cv2.INTER_LINEAR)
        ink = cv2.GaussianBlur(ink, (3, 3), 0.8)
    ys, xs = np.nonzero(ink > 0.1)
    if len(ys) == 0:
        return ink
    return np.asarray(ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


@lru_cache(maxsize=256)
def _printed(digit: int, font_file: str) -> np.ndarray:
    font = ImageFont.truetype(font_file, 64)
    img = Image.new("L", (96, 96), 0)
    ImageDraw.Draw(img).text((16, 4), str(digit), font=font, fill=255)
    ink = np.asarray(img, dtype=np.float32) / 255.0
    ys, xs = np.nonzero(ink > 0.1)
    return np.asarray(ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


def glyph_printed(digit: int, rng: np.random.Generator) -> np.ndarray:
    fonts = available_fonts()
    return _printed(digit, fonts[int(rng.integers(len(fonts)))])


def _place_glyph(
    paper: np.ndarray, glyph: np.ndarray, box: tuple[int, int, int, int], rng: np.random.Generator
) -> None:
    cv2 = cv2_module()
    x0, y0, bw, bh = box
    height = bh * rng.uniform(0.45, 0.8)
    aspect = glyph.shape[1] / glyph.shape[0] * rng.uniform(0.8, 1.2)
    th, tw = max(4, round(height)), max(2, round(height * aspect))
    tw = min(tw, int(bw * 0.95))
    g = cv2.resize(glyph, (tw, th), interpolation=cv2.INTER_LINEAR)
    pad = max(th, tw) // 3
    g = np.pad(g, pad)
    angle = rng.uniform(-12, 12)
    centre = (g.shape[1] / 2, g.shape[0] / 2)
    rot = cv2.getRotationMatrix2D(centre, angle, 1.0)
    g = cv2.warpAffine(g, rot, (g.shape[1], g.shape[0]), flags=cv2.INTER_LINEAR)
    stroke = rng.choice(["thin", "same", "same", "thick"])
    k = np.ones((2, 2), np.uint8) if height < 40 else np.ones((3, 3), np.uint8)
    if stroke == "thin" and height < 40:
        stroke = "same"  # eroding a small glyph erases it: not what a pen does
    if stroke == "thick":
        g = cv2.dilate(g, k)
    elif stroke == "thin":
        g = cv2.erode(g, k)
    darkness = rng.uniform(0.65, 1.0)
    cy = y0 + bh / 2 + rng.uniform(-0.08, 0.08) * bh
    cx = x0 + bw / 2 + rng.uniform(-0.08, 0.08) * bw
    top, left = round(cy - g.shape[0] / 2), round(cx - g.shape[1] / 2)
    h, w = paper.shape
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + g.shape[0], h), min(left + g.shape[1], w)
    if t1 <= t0 or l1 <= l0:
        return
    patch = g[t0 - top : t1 - top, l0 - left : l1 - left]
    region = paper[t0:t1, l0:l1]
    np.minimum(region, 255.0 * (1.0 - darkness * np.clip(patch, 0, 1)), out=region)


def _hard_negative_marks(paper: np.ndarray, rng: np.random.Generator) -> None:
    """Things that are not digits: specks, dust, a fold line, a light smudge."""
    cv2 = cv2_module()
    h, w = paper.shape
    kind = rng.choice(["none", "specks", "fold", "dot", "smudge"], p=[0.3, 0.3, 0.15, 0.15, 0.1])
    if kind == "specks":
        for _ in range(int(rng.integers(1, 8))):
            r = int(rng.integers(0, 2))
            cv2.circle(
                paper,
                (int(rng.integers(w)), int(rng.integers(h))),
                r,
                float(rng.uniform(0, 150)),
                -1,
            )
    elif kind == "fold":
        if rng.random() < 0.5:
            y = int(rng.integers(h))
            cv2.line(
                paper, (0, y), (w - 1, y + int(rng.integers(-3, 4))), float(rng.uniform(60, 200)), 1
            )
        else:
            x = int(rng.integers(w))
            cv2.line(
                paper, (x, 0), (x + int(rng.integers(-3, 4)), h - 1), float(rng.uniform(60, 200)), 1
            )
    elif kind == "dot":
        cv2.circle(
            paper,
            (int(rng.integers(w // 4, 3 * w // 4)), int(rng.integers(h // 4, 3 * h // 4))),
            int(rng.integers(1, 3)),
            float(rng.uniform(0, 120)),
            -1,
        )
    elif kind == "smudge":
        mask = np.zeros_like(paper)
        cv2.ellipse(
            mask,
            (int(rng.integers(w)), int(rng.integers(h))),
            (int(rng.integers(3, w // 2)), int(rng.integers(3, h // 2))),
            float(rng.uniform(0, 180)),
            0,
            360,
            1.0,
            -1,
        )
        mask = cv2.GaussianBlur(mask, (0, 0), 3)
        paper -= mask * rng.uniform(10, 45)


def _scan(cell: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What the scanner does to a cell: blur, noise, then fax binarisation or JPEG."""
    cv2 = cv2_module()
    if rng.random() < 0.5:
        cell = cv2.GaussianBlur(cell, (0, 0), rng.uniform(0.3, 1.1))
    cell = cell + rng.normal(0, rng.uniform(0, 10), cell.shape).astype(np.float32)
    cell8 = np.clip(cell, 0, 255).astype(np.uint8)
    roll = rng.random()
    if roll < 0.15:  # fax: hard binarisation
        cell8 = np.where(cell8 < rng.uniform(110, 170), 0, 255).astype(np.uint8)
    elif roll < 0.55:
        ok, enc = cv2.imencode(".jpg", cell8, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 90))])
        if ok:
            cell8 = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    return np.asarray(cell8)


def synth_cell(glyph: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """One cell crop (uint8, 255 = paper); ``glyph`` None makes an empty (possibly dirty) cell."""
    cv2 = cv2_module()
    bh = int(rng.integers(34, 84))
    bw = int(bh * rng.uniform(0.75, 1.05))
    m = max(6, bh // 4)
    paper = np.full((bh + 2 * m, bw + 2 * m), float(rng.uniform(215, 255)), np.float32)
    line = int(rng.integers(1, 4))
    colour = float(rng.uniform(0, 140))
    cv2.rectangle(paper, (m, m), (m + bw - 1, m + bh - 1), colour, line)
    if glyph is not None:
        _place_glyph(paper, glyph, (m, m, bw, bh), rng)
    _hard_negative_marks(paper, rng)

    # the crop: roughly the inside of the box, each side off by up to ~15 % (borders may show)
    def side(lo: int, size: int) -> int:
        return lo + round(rng.uniform(-0.15, 0.08) * size)

    top, left = side(m, bh), side(m, bw)
    bottom = m + bh - round(rng.uniform(-0.15, 0.08) * bh)
    right = m + bw - round(rng.uniform(-0.15, 0.08) * bw)
    top, left = max(top, 0), max(left, 0)
    cell = paper[top:bottom, left:right]
    return _scan(cell, rng)


# --- glyph augmentation for training ------------------------------------------------------------


def _crop_ink(ink: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(ink > 0.1)
    if len(ys) == 0:
        return ink
    return np.asarray(ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])


def semeion_like(glyph: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A glyph as Semeion stores digits: stretched to fill 16×16, binarised, then enlarged again."""
    cv2 = cv2_module()
    small = cv2.resize(glyph.astype(np.float32), (16, 16), interpolation=cv2.INTER_AREA)
    binary = (small > rng.uniform(0.2, 0.5)).astype(np.float32)
    if binary.sum() < 8:
        return glyph
    return glyph_from_dataset((binary * 255).astype(np.uint8))


def smooth_like(glyph: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A blocky (Semeion) glyph redrawn with smooth, pen-like contours, as MNIST digits look."""
    cv2 = cv2_module()
    g = cv2.resize(glyph.astype(np.float32), (64, 64), interpolation=cv2.INTER_LINEAR)
    g = cv2.GaussianBlur(g, (0, 0), rng.uniform(2.0, 3.5))
    lo = rng.uniform(0.3, 0.5)
    g = np.clip((g - lo) / 0.2, 0, 1).astype(np.float32)
    if g.max() < 0.5:
        return glyph
    return _crop_ink(g)


def _elastic(g: np.ndarray, rng: np.random.Generator, alpha: float, sigma: float) -> np.ndarray:
    cv2 = cv2_module()
    h, w = g.shape
    dx = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    dy = cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
    norm = max(float(np.abs(dx).max()), float(np.abs(dy).max()), 1e-6)
    dx, dy = dx / norm * alpha, dy / norm * alpha
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return np.asarray(cv2.remap(g, xs + dx, ys + dy, interpolation=cv2.INTER_LINEAR))


def augment_glyph(glyph: np.ndarray, rng: np.random.Generator, *, semeion: bool) -> np.ndarray:
    """A new rendering of a training glyph: other source's style, elastic, affine, stroke width."""
    cv2 = cv2_module()
    g = glyph.astype(np.float32)
    roll = rng.random()
    if not semeion and roll < 0.2:
        g = semeion_like(g, rng)
    elif semeion and roll < 0.35:
        g = smooth_like(g, rng)
    # work at a fixed size with room around the glyph for rotation and shear
    scale = 40.0 / max(g.shape)
    g = cv2.resize(
        g, (max(2, round(g.shape[1] * scale)), max(2, round(g.shape[0] * scale))), cv2.INTER_LINEAR
    )
    g = np.pad(g, 16)
    h, w = g.shape
    if rng.random() < 0.5:
        g = _elastic(g, rng, alpha=rng.uniform(1.5, 4.0), sigma=rng.uniform(4.0, 7.0))
    angle = np.deg2rad(rng.uniform(-15, 15))
    shear = rng.uniform(-0.35, 0.35)
    sx = rng.uniform(0.75, 1.3)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    mat = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, 1.0])
    centre = np.array([w / 2, h / 2])
    affine = np.hstack([mat, (centre - mat @ centre)[:, None]]).astype(np.float32)
    g = cv2.warpAffine(g, affine, (w, h), flags=cv2.INTER_LINEAR)
    stroke = rng.random()
    if stroke < 0.25:
        g = cv2.dilate(g, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
        if rng.random() < 0.3:
            g = cv2.dilate(g, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    elif stroke < 0.45:
        thinner = cv2.erode(g, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
        if (thinner > 0.5).sum() > 0.45 * (g > 0.5).sum():
            g = thinner
    out = _crop_ink(g)
    return out if out.shape[0] >= 4 and out.shape[1] >= 2 else glyph


# --- cells cropped with a margin around the box, box lines removed --------------------------------


def paste_max(canvas: np.ndarray, ink: np.ndarray, top: int, left: int) -> None:
    """``canvas = max(canvas, ink)`` over the part of ``ink`` placed at (top, left) that fits."""
    h, w = canvas.shape
    gh, gw = ink.shape
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + gh, h), min(left + gw, w)
    if t1 > t0 and l1 > l0:
        region = canvas[t0:t1, l0:l1]
        np.maximum(region, ink[t0 - top : t1 - top, l0 - left : l1 - left], out=region)


def _draw_glyph(
    layer: np.ndarray,
    glyph: np.ndarray,
    centre: tuple[float, float],
    height: float,
    rng: np.random.Generator,
) -> None:
    """Draw ``glyph`` (ink 0..1) into ``layer`` (ink 0..1) at ``centre`` (y, x), ``height`` px tall."""
    cv2 = cv2_module()
    aspect = glyph.shape[1] / glyph.shape[0] * rng.uniform(0.85, 1.15)
    th, tw = max(4, round(height)), max(2, round(height * min(aspect, 1.3)))
    g = cv2.resize(glyph.astype(np.float32), (tw, th), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.2 and height >= 40:
        g = cv2.dilate(g, np.ones((2, 2), np.uint8))
    g = np.clip(g, 0, 1) * rng.uniform(0.65, 1.0)
    paste_max(layer, g, round(centre[0] - th / 2), round(centre[1] - tw / 2))


def _pen_placement(
    box: tuple[int, int, int, int], rng: np.random.Generator
) -> tuple[tuple[float, float], float]:
    """Where and how big a writer puts a digit in a box: mostly inside, sometimes big or off-centre."""
    x0, y0, bw, bh = box
    size = rng.random()
    if size < 0.12:
        height = bh * rng.uniform(0.88, 1.06)
    elif size < 0.2:
        height = bh * rng.uniform(0.35, 0.5)
    else:
        height = bh * rng.uniform(0.5, 0.88)
    spread = 0.25 if rng.random() < 0.3 else 0.08
    cy = y0 + bh / 2 + rng.uniform(-spread, spread) * bh
    cx = x0 + bw / 2 + rng.uniform(-spread, spread) * bw
    return (cy, cx), height


def _remove_lines(
    ink: np.ndarray, lines: np.ndarray, thick: int, rng: np.random.Generator
) -> np.ndarray:
    """What the reader's box-line removal leaves of ``lines``; may also cut ``ink`` where it crossed."""
    cv2 = cv2_module()
    h, w = lines.shape
    removal = rng.choice(["clean", "gaps", "remnants", "kept"], p=[0.4, 0.3, 0.25, 0.05])
    line_mask = lines > 0
    if removal == "gaps":  # the line remover also took the ink where strokes crossed the line
        ink[cv2.dilate(lines, np.ones((2, 2), np.uint8)) > 0] = 0
        return np.zeros_like(line_mask)
    if removal == "clean":
        return np.zeros_like(line_mask)
    if removal == "remnants":  # pieces of the line, or a thin edge of a thick line, stay
        if rng.random() < 0.3 and thick > 1:
            return np.asarray(line_mask & ~cv2.erode(lines, np.ones((2, 2), np.uint8)).astype(bool))
        keep = np.zeros_like(lines)
        for _ in range(int(rng.integers(1, 6))):
            y, x = int(rng.integers(h)), int(rng.integers(w))
            cv2.circle(keep, (x, y), int(rng.integers(3, 15)), 1, -1)
        return line_mask & (keep > 0)
    return line_mask


def synth_margin_cell(
    glyph: np.ndarray | None,
    rng: np.random.Generator,
    neighbours: tuple[np.ndarray | None, np.ndarray | None] = (None, None),
) -> np.ndarray:
    """A cell as the reader crops it with a margin: box interior plus up to ~35 % on each side.

    The printed box lines are mostly removed (sometimes with gaps in the strokes that crossed them,
    sometimes leaving remnants), the digit may be big or off-centre and cross where the border was,
    and digits in the neighbouring boxes (``neighbours``: left, right) may reach into the crop.
    """
    cv2 = cv2_module()
    bh = int(rng.integers(40, 84))
    bw = int(bh * rng.uniform(0.72, 1.02))
    gap = 0 if rng.random() < 0.5 else int(rng.integers(2, max(3, bw // 4)))
    my, mx = bh // 2 + 4, bw + gap + 4
    ph, pw = bh + 2 * my, bw + 2 * mx
    ink = np.zeros((ph, pw), np.float32)
    lines = np.zeros((ph, pw), np.uint8)
    thick = int(rng.integers(1, 4))
    boxes = [(mx + k * (bw + gap), my, bw, bh) for k in (-1, 0, 1)]
    for x0, y0, w0, h0 in boxes:
        cv2.rectangle(lines, (x0, y0), (x0 + w0 - 1, y0 + h0 - 1), 1, thick)
    for box, g in zip(boxes, (neighbours[0], glyph, neighbours[1]), strict=True):
        if g is not None:
            centre, height = _pen_placement(box, rng)
            _draw_glyph(ink, g, centre, height, rng)
    paper_level = float(rng.uniform(215, 255))
    line_level = float(rng.uniform(0, 140))
    line_mask = _remove_lines(ink, lines, thick, rng)
    paper = paper_level * (1.0 - ink)
    paper[line_mask] = np.minimum(paper[line_mask], line_level)
    _hard_negative_marks(paper, rng)

    x0, y0 = mx, my
    top = y0 - round(rng.uniform(0.0, 0.35) * bh)
    bottom = y0 + bh + round(rng.uniform(0.0, 0.35) * bh)
    left = x0 - round(rng.uniform(0.0, 0.35) * bw)
    right = x0 + bw + round(rng.uniform(0.0, 0.35) * bw)
    cell = paper[max(top, 0) : bottom, max(left, 0) : right]
    return _scan(cell, rng)
