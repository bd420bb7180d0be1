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
    return cell8
