"""What people put on paper: handwritten digits and text, ticks, signatures, and the marks that
look like ink but are not a signature (noise, dust, fold lines, stamp edges, a printed name).

All drawing happens on an upright page image at :data:`MASTER_DPI` (uint8, white paper = 255),
at the layout's rectangles. Handwriting comes from real data sets (the ``eval`` split only, so
readers are measured on writers they never trained on): MNIST and Semeion digits, signature crops.
The one exception is :func:`digits_from`, which training scripts use to scan ``train``-split digits
through this same simulator (the reader's own comb cells as training data).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kopplingar.forms import datasets
from kopplingar.forms.fonts import HANDWRITING_FONTS, font_path
from kopplingar.forms.layout import MM, FieldSpec, FormLayout, PixelBox, Rect
from kopplingar.forms.opencv import cv2_module

cv2 = cv2_module()  # through the project's one OpenCV import (its pixel limit set first)

MASTER_DPI = 300
PX_PER_MM = MASTER_DPI / 25.4


def mm(value: float) -> float:
    return value * PX_PER_MM


@dataclass(frozen=True)
class Pen:
    """One writer with one pen: ink grey level, stroke weight, and a consistent hand for digits
    (one data set's writers, a usual size relative to the box, how carefully centred)."""

    level: float  # 0 = black
    weight: int  # -1 .. 1: erode or dilate the strokes
    digits: str  # "mnist" or "semeion"
    size: float  # usual digit height as a fraction of the box height
    care: float  # how far from the box centre digits stray, 0.3 (careful) .. 1.3 (sloppy)

    @staticmethod
    def random(rng: np.random.Generator) -> Pen:
        level = float(rng.uniform(15, 60)) if rng.random() < 0.6 else float(rng.uniform(60, 115))
        weight = int(rng.choice([-1, -1, 0, 0, 0, 1]))
        digits = "mnist" if rng.random() < 0.75 else "semeion"
        size = (
            float(rng.uniform(0.88, 1.04)) if rng.random() < 0.1 else float(rng.uniform(0.5, 0.82))
        )
        care = float(rng.uniform(0.3, 1.3))
        return Pen(level, weight, digits, size, care)


def composite(page: np.ndarray, alpha: np.ndarray, top: int, left: int, level: float) -> None:
    """Lay ink of coverage ``alpha`` (0..1) at (top, left), clipped to the page, darkening only."""
    h, w = alpha.shape
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + h, page.shape[0]), min(left + w, page.shape[1])
    if y1 <= y0 or x1 <= x0:
        return
    a = alpha[y0 - top : y1 - top, x0 - left : x1 - left]
    region = page[y0:y1, x0:x1].astype(np.float32)
    inked = region * (1 - a) + level * a
    page[y0:y1, x0:x1] = np.minimum(region, inked).round().clip(0, 255).astype(np.uint8)


def _stroke_weight(alpha: np.ndarray, weight: int) -> np.ndarray:
    if weight == 0:
        return alpha
    size = 2 * abs(weight) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    op = cv2.dilate if weight > 0 else cv2.erode
    thinned = op(alpha, kernel)
    return thinned if thinned.max() > 0.3 else alpha  # never erase a thin glyph entirely


def _jitter(
    alpha: np.ndarray, rng: np.random.Generator, max_deg: float, max_shear: float
) -> np.ndarray:
    """A small rotation and slant, on a canvas large enough to keep the whole glyph."""
    h, w = alpha.shape
    pad = int(0.25 * max(h, w)) + 2
    padded = cv2.copyMakeBorder(alpha, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    ph, pw = padded.shape
    angle = float(rng.uniform(-max_deg, max_deg))
    m = cv2.getRotationMatrix2D((pw / 2, ph / 2), angle, 1.0)
    shear = float(rng.uniform(-max_shear, max_shear))
    m[0, 1] += shear
    m[0, 2] -= shear * ph / 2
    out = np.asarray(cv2.warpAffine(padded, m, (pw, ph), flags=cv2.INTER_LINEAR, borderValue=0))
    ys, xs = np.nonzero(out > 0.05)
    if len(ys) == 0:
        return alpha
    return out[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


# --- digits -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigitPool:
    images: list[np.ndarray]
    by_label: dict[tuple[int, str], np.ndarray]  # (digit, data set) -> indices
    names: list[str]  # "mnist:4123" or "semeion:1300": data set and row in the original file

    @staticmethod
    @lru_cache(maxsize=2)
    def of_split(split: datasets.Split) -> DigitPool:
        digits = datasets.handwritten_digits(split)
        names: list[str] = []
        counters = (
            {"mnist": datasets.MNIST_EVAL_FROM, "semeion": datasets.SEMEION_EVAL_FROM}
            if split == "eval"
            else {"mnist": 0, "semeion": 0}
        )
        for source in digits.source:
            names.append(f"{source}:{counters[source]}")
            counters[source] += 1
        sources = np.array(digits.source)
        by_label = {
            (d, src): np.flatnonzero((digits.labels == d) & (sources == src))
            for d in range(10)
            for src in ("mnist", "semeion")
        }
        return DigitPool(digits.images, by_label, names)


_DIGIT_SPLIT: ContextVar[datasets.Split] = ContextVar("digit_split", default="eval")


@contextmanager
def digits_from(split: datasets.Split) -> Iterator[None]:
    """Handwrite comb digits from ``split`` inside the block (``train`` only for training data:
    tests and benchmarks must keep the default, the eval split)."""
    token = _DIGIT_SPLIT.set(split)
    try:
        yield
    finally:
        _DIGIT_SPLIT.reset(token)


def _digit_alpha(
    image: np.ndarray,
    *,
    is_semeion: bool,
    height: float,
    max_width: float,
    pen: Pen,
    rng: np.random.Generator,
) -> np.ndarray:
    a: np.ndarray = image.astype(np.float32) / 255.0
    ys, xs = np.nonzero(a > 0.15)
    a = a[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    if is_semeion:  # 16 × 16 binary: stretched to fill its box, so restore an aspect and smooth
        a = cv2.resize(
            a, (max(2, round(a.shape[1] * 0.75)), a.shape[0]), interpolation=cv2.INTER_AREA
        )
    scale = height / a.shape[0]
    if a.shape[1] * scale > max_width:
        scale = max_width / a.shape[1]
    size = (max(3, round(a.shape[1] * scale)), max(3, round(a.shape[0] * scale)))
    a = cv2.resize(a, size, interpolation=cv2.INTER_CUBIC).clip(0, 1)
    weight = pen.weight
    if is_semeion:  # smooth the 16-pixel staircase; its strokes are broad, so thin them a step
        a = cv2.GaussianBlur(a, (0, 0), max(1.0, scale * 0.45))
        a = ((a - 0.5) * 4).clip(0, 1)
        weight -= 1
    a = _stroke_weight(a, max(-2, weight))
    return _jitter(a, rng, 8, 0.18)


def draw_comb(
    page: np.ndarray,
    layout: FormLayout,
    spec: FieldSpec,
    value: str,
    *,
    pen: Pen,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Handwrite ``value`` into a comb field: digits one per box (skipping printed separators,
    whose character the value carries), sometimes large or off-centre enough to touch the border."""
    pool = DigitPool.of_split(_DIGIT_SPLIT.get())
    chars = [ch for ch in value]
    cells = spec.cell_rects()
    digit_cells = spec.digit_cells()
    # Which box each character goes into: printed separators take their own character.
    placement: list[int] = []
    if len(value) == spec.cells:
        placement = list(range(len(value)))
    else:  # a short number (subscription): left-aligned mostly, sometimes right-aligned
        usable = digit_cells
        start = 0 if rng.random() < 0.8 else len(usable) - len(chars)
        placement = usable[start : start + len(chars)]
    glyphs: list[str] = []
    for ch, index in zip(chars, placement, strict=True):
        if index in spec.separators:
            continue  # the separator is printed on the form
        if not ch.isdigit():
            raise ValueError(f"cannot handwrite {ch!r} into a comb box")
        box = layout.rect_px(cells[index], MASTER_DPI)
        cw, ch_px = box.x1 - box.x0, box.y1 - box.y0
        height = ch_px * pen.size * rng.uniform(0.9, 1.1)
        # Semeion's held-out writers wrote no 0 and one 1: those digits come from MNIST.
        source = pen.digits if len(pool.by_label[(int(ch), pen.digits)]) >= 5 else "mnist"
        choice = int(rng.choice(pool.by_label[(int(ch), source)]))
        name = pool.names[choice]
        alpha = _digit_alpha(
            pool.images[choice],
            is_semeion=source == "semeion",
            height=height,
            max_width=cw * (0.8 + 0.25 * pen.size),
            pen=pen,
            rng=rng,
        )
        h, w = alpha.shape
        slack_x, slack_y = (cw - w) / 2, (ch_px - h) / 2
        spread = pen.care * (1.6 if rng.random() < 0.1 else 1.0)  # now and then past the border
        cx = box.x0 + cw / 2 + rng.uniform(-1, 1) * max(slack_x, mm(0.6)) * spread
        cy = box.y0 + ch_px / 2 + rng.uniform(-1, 1) * max(slack_y, mm(0.6)) * spread
        composite(page, alpha, round(cy - h / 2), round(cx - w / 2), pen.level)
        glyphs.append(name)
    return {"glyphs": glyphs, "cells": placement}


# --- text ---------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _font(key: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(key)), size)


def _text_alpha(text: str, key: str, size: int) -> np.ndarray:
    font = _font(key, size)
    left, top, right, bottom = font.getbbox(text)
    image = Image.new("L", (int(right - left) + 8, int(bottom - top) + 8), 0)
    ImageDraw.Draw(image).text((4 - left, 4 - top), text, font=font, fill=255)
    return np.asarray(image, dtype=np.float32) / 255.0


def draw_text(
    page: np.ndarray,
    box: PixelBox,
    text: str,
    pen: Pen,
    rng: np.random.Generator,
    *,
    font: str | None = None,
) -> dict[str, Any]:
    """Handwrite ``text`` left-aligned in a box with a handwriting font, a slant and a wobble."""
    key = font or str(rng.choice(HANDWRITING_FONTS))
    bw, bh = box.x1 - box.x0, box.y1 - box.y0
    size = int(bh * rng.uniform(0.6, 0.85))
    alpha = _text_alpha(text, key, size)
    limit = bw - mm(3)
    if alpha.shape[1] > limit:  # people write smaller when the line runs out
        scale = limit / alpha.shape[1]
        alpha = cv2.resize(
            alpha,
            (round(alpha.shape[1] * scale), max(3, round(alpha.shape[0] * scale))),
            interpolation=cv2.INTER_AREA,
        )
    thin_font = key == "hand-breip"  # drawn with a fine line: never thinner than the font
    alpha = _stroke_weight(alpha, max(0 if thin_font else -1, min(1, pen.weight + thin_font)))
    alpha = _jitter(alpha, rng, 1.5, 0.12)
    h, w = alpha.shape
    left = box.x0 + mm(rng.uniform(1.0, 3.0))
    left = min(left, box.x1 - w - mm(0.5))
    top = box.y0 + (bh - h) / 2 + rng.uniform(-0.12, 0.12) * bh
    composite(page, alpha, round(top), round(left), pen.level)
    return {"font": key}


def draw_printed_text(
    page: np.ndarray, box: PixelBox, text: str, rng: np.random.Generator, size_pt: float
) -> None:
    """Machine-printed text (a typed name, a stamp's words) at a random place inside ``box``."""
    size = round(size_pt / 72 * MASTER_DPI)
    alpha = _text_alpha(text, "sans", size)
    h, w = alpha.shape
    bw, bh = box.x1 - box.x0, box.y1 - box.y0
    left = box.x0 + rng.uniform(mm(2), max(mm(2), bw - w - mm(2)))
    top = box.y0 + rng.uniform(mm(2), max(mm(2), bh - h - mm(2)))
    composite(page, alpha, round(top), round(left), float(rng.uniform(0, 40)))


def draw_tick(
    page: np.ndarray, box: PixelBox, pen: Pen, rng: np.random.Generator
) -> dict[str, Any]:
    """A cross or a check mark by hand in a tick box, often overshooting it."""
    size = box.x1 - box.x0
    pad = size * 0.4
    canvas = np.zeros((round(size + 2 * pad), round(size + 2 * pad)), np.float32)
    thickness = max(2, round(mm(rng.uniform(0.35, 0.7))))
    over = rng.uniform(-0.1, 0.35) * size

    def p(x: float, y: float) -> tuple[int, int]:
        return (
            round(pad + x + rng.normal(0, size * 0.04)),
            round(pad + y + rng.normal(0, size * 0.04)),
        )

    style = "cross" if rng.random() < 0.6 else "check"
    if style == "cross":
        cv2.line(canvas, p(-over, -over), p(size + over, size + over), 1.0, thickness, cv2.LINE_AA)
        cv2.line(canvas, p(size + over, -over), p(-over, size + over), 1.0, thickness, cv2.LINE_AA)
    else:
        points = np.array(
            [p(0.05 * size, 0.55 * size), p(0.4 * size, size + over * 0.5), p(size + over, -over)],
            np.int32,
        )
        cv2.polylines(canvas, [points], False, 1.0, thickness, cv2.LINE_AA)
    composite(page, canvas, round(box.y0 - pad), round(box.x0 - pad), pen.level)
    return {"mark": style}


# --- signatures and what is not one -------------------------------------------------------------


@lru_cache(maxsize=1)
def eval_signature_files() -> tuple[Path, ...]:
    return tuple(sorted(datasets.signature_files("eval"), key=lambda p: p.name))


@lru_cache(maxsize=64)
def _signature_alpha(path: Path) -> np.ndarray:
    gray = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
    paper = float(np.percentile(gray, 90))
    dark = float(np.percentile(gray, 1))
    alpha = ((paper - gray) / max(paper - dark, 1.0)).clip(0, 1)
    alpha[alpha < 0.22] = 0  # the scan's paper texture is not ink
    return alpha


def draw_signature(
    page: np.ndarray, box: PixelBox, pen: Pen, rng: np.random.Generator
) -> dict[str, Any]:
    """A real signature (eval split) scaled into the box; it may run over the border."""
    files = eval_signature_files()
    path = files[int(rng.integers(len(files)))]
    alpha = _signature_alpha(path)
    bw, bh = box.x1 - box.x0, box.y1 - box.y0
    scale = min(
        bw * rng.uniform(0.4, 0.92) / alpha.shape[1], bh * rng.uniform(0.45, 1.05) / alpha.shape[0]
    )
    size = (max(4, round(alpha.shape[1] * scale)), max(4, round(alpha.shape[0] * scale)))
    a = cv2.resize(
        alpha, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    ).clip(0, 1)
    a = _stroke_weight(a, max(-1, min(1, pen.weight)))
    h, w = a.shape
    left = box.x0 + rng.uniform(-0.04, 1.04) * max(bw - w, 0) if w < bw else box.x0 + (bw - w) / 2
    top = box.y0 + rng.uniform(-0.15, 1.1) * max(bh - h, 0) if h < bh else box.y0 + (bh - h) / 2
    composite(page, a, round(top), round(left), pen.level)
    return {"source": path.name}


def draw_noise(page: np.ndarray, box: PixelBox, rng: np.random.Generator) -> dict[str, Any]:
    """Scanner noise in a box: scattered dark specks of one or two pixels."""
    rows, cols = box.slices()
    region = page[rows, cols]
    density = float(rng.uniform(0.0005, 0.004))
    specks = rng.random(region.shape) < density
    level = rng.uniform(40, 170, region.shape)
    region[specks] = np.minimum(region[specks], level[specks]).astype(np.uint8)
    return {"density": round(density, 5)}


def draw_dust(page: np.ndarray, box: PixelBox, rng: np.random.Generator) -> dict[str, Any]:
    """Dust on the glass: a few small blobs and a hair."""
    canvas = np.zeros((round(box.y1 - box.y0), round(box.x1 - box.x0)), np.float32)
    blobs = int(rng.integers(3, 14))
    for _ in range(blobs):
        center = (int(rng.integers(canvas.shape[1])), int(rng.integers(canvas.shape[0])))
        cv2.circle(
            canvas, center, int(rng.integers(1, 5)), float(rng.uniform(0.4, 1.0)), -1, cv2.LINE_AA
        )
    hairs = int(rng.integers(0, 3))
    for _ in range(hairs):
        start = np.array([rng.uniform(0, canvas.shape[1]), rng.uniform(0, canvas.shape[0])])
        angle = rng.uniform(0, np.pi)
        length = mm(rng.uniform(4, 14))
        t = np.linspace(0, 1, 20)[:, None]
        direction = np.array([np.cos(angle), np.sin(angle)])
        normal = np.array([-direction[1], direction[0]])
        points = (
            start
            + t * length * direction
            + np.sin(t * np.pi * rng.uniform(0.5, 2)) * mm(1.5) * normal
        )
        cv2.polylines(
            canvas, [points.astype(np.int32)], False, float(rng.uniform(0.3, 0.8)), 1, cv2.LINE_AA
        )
    composite(page, canvas, round(box.y0), round(box.x0), 30)
    return {"blobs": blobs, "hairs": hairs}


def draw_fold_line(page: np.ndarray, y: float, rng: np.random.Generator) -> dict[str, Any]:
    """A fold across the whole page at height ``y`` px: a thin crease and its soft shadow."""
    h, w = page.shape
    slope = np.tan(np.radians(rng.uniform(-1.2, 1.2)))
    canvas = np.zeros((h, w), np.float32)
    y0, y1 = y - slope * w / 2, y + slope * w / 2
    shadow = max(3, round(mm(rng.uniform(0.4, 1.2))))
    cv2.line(
        canvas,
        (0, round(y0) + shadow // 2),
        (w, round(y1) + shadow // 2),
        0.12,
        shadow * 2,
        cv2.LINE_AA,
    )
    cv2.line(
        canvas,
        (0, round(y0)),
        (w, round(y1)),
        float(rng.uniform(0.25, 0.6)),
        int(rng.integers(1, 4)),
        cv2.LINE_AA,
    )
    composite(page, canvas, 0, 0, 40)
    return {"y_mm": round(y / PX_PER_MM, 1), "slope": round(float(slope), 4)}


def draw_stamp_edge(page: np.ndarray, box: PixelBox, rng: np.random.Generator) -> dict[str, Any]:
    """A rubber stamp beside the box whose edge reaches a few millimetres into it."""
    radius = mm(rng.uniform(11, 18))
    intrude = mm(rng.uniform(2, 7))
    side = str(rng.choice(["left", "right", "top", "bottom"]))
    cy = rng.uniform(box.y0, box.y1)
    cx = rng.uniform(box.x0, box.x1)
    if side == "left":
        cx = box.x0 - radius + intrude
    elif side == "right":
        cx = box.x1 + radius - intrude
    elif side == "top":
        cy = box.y0 - radius + intrude
    else:
        cy = box.y1 + radius - intrude
    size = round(2 * radius + 10)
    canvas = np.zeros((size, size), np.float32)
    c = (size // 2, size // 2)
    strength = float(rng.uniform(0.55, 0.95))
    cv2.circle(canvas, c, round(radius), strength, max(3, round(mm(0.8))), cv2.LINE_AA)
    cv2.circle(canvas, c, round(radius * 0.72), strength, max(2, round(mm(0.4))), cv2.LINE_AA)
    for k in range(14):  # the lettering between the rings, as short arcs of ink
        a = k / 14 * 2 * np.pi
        p = (round(c[0] + np.cos(a) * radius * 0.86), round(c[1] + np.sin(a) * radius * 0.86))
        cv2.ellipse(
            canvas,
            p,
            (round(mm(1.0)), round(mm(1.6))),
            np.degrees(a),
            0,
            360,
            strength,
            max(2, round(mm(0.3))),
        )
    holes = rng.random(canvas.shape) < 0.25  # worn rubber
    canvas[holes] *= 0.3
    composite(page, canvas, round(cy - size / 2), round(cx - size / 2), float(rng.uniform(40, 120)))
    return {
        "side": side,
        "radius_mm": round(radius / PX_PER_MM, 1),
        "into_box_mm": round(intrude / PX_PER_MM, 1),
    }


def rect_px(layout: FormLayout, rect: Rect) -> PixelBox:
    return layout.rect_px(rect, MASTER_DPI)


def inset_px(layout: FormLayout, rect: Rect, inset_mm: float) -> PixelBox:
    return layout.rect_px(rect.inset(inset_mm * MM), MASTER_DPI)
