"""Synthetic signature-box crops, signed and unsigned, for training and testing presence detection.

Unsigned boxes carry the hard negatives a real scan brings: grain, speckle, dust, a hair, a fold
line, a rubber stamp (round or rectangular, with lettering) reaching in from any side,
misaligned or doubled box borders, printed name text, shading, JPEG and fax binarisation. Signed boxes paste a real signature crop (ink only) at a random scale and
offset, sometimes crossing the border, with the same degradations.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kopplingar.forms.cellsynth import paste_max
from kopplingar.forms.opencv import cv2_module

NAMES = ["Anna Svensson", "Per-Olof Åström", "Maria Lindqvist", "Jönsson & Co AB", "Karl Öberg"]
FIRST_NAMES = ["Anna", "Per-Olof", "Maria", "Karl", "Eva", "Lars", "Ingrid", "Mohammed", "Åsa"]
LAST_NAMES = ["Svensson", "Åström", "Lindqvist", "Öberg", "Johansson", "Nilsson", "Berg", "Ek"]
TITLES = ["VD", "Ekonomichef", "Styrelseledamot", "Auktoriserad redovisningskonsult"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
# typed names are drawn in these (fonts-dejavu-core, fonts-liberation); every other installed font
# (the Liberation Sans and Serif families, DejaVu Sans Mono, ...) is kept for measuring how the
# network takes print it never saw
NAME_FONTS = (
    FONT,
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Bold.ttf",
)


def load_signature_ink(path: Path) -> np.ndarray:
    """A signature crop as ink 0..1 (paper removed), from a data-set PNG."""
    cv2 = cv2_module()
    gray = np.array(Image.open(path).convert("L"), dtype=np.float32)
    paper = float(np.percentile(gray, 90))
    ink = np.clip((paper - gray) / max(paper - float(gray.min()), 1.0), 0, 1)
    ink[ink < 0.25] = 0
    return np.asarray(cv2.GaussianBlur(ink, (3, 3), 0.5))


@lru_cache(maxsize=256)
def _font(size: int, path: str = FONT) -> ImageFont.FreeTypeFont:
    """A font at one size: a stamp draws up to two dozen glyphs, loading the file once."""
    return ImageFont.truetype(path, max(6, size))


def _draw_text(
    paper: np.ndarray,
    text: str,
    at: tuple[int, int],
    size: int,
    level: float,
    *,
    font_path: str = FONT,
) -> None:
    font = _font(size, font_path)
    img = Image.new("L", (paper.shape[1], paper.shape[0]), 0)
    ImageDraw.Draw(img).text(at, text, font=font, fill=255)
    ink = np.asarray(img, dtype=np.float32) / 255.0
    np.minimum(paper, 255.0 - ink * (255.0 - level), out=paper)


STAMP_WORDS = [
    "AB",
    "KONSULT",
    "REDOVISNING",
    "BYRÅ",
    "STOCKHOLM",
    "GÖTEBORG",
    "556",
    "ORG.NR",
    "HB",
]


def _glyph(text: str, size: int) -> np.ndarray:
    """Printed text as ink 0..1 on its own small canvas."""
    font = _font(size)
    left, top, right, bottom = (round(v) for v in font.getbbox(text))
    img = Image.new("L", (max(1, right - left + 2), max(1, bottom - top + 2)), 0)
    ImageDraw.Draw(img).text((1 - left, 1 - top), text, font=font, fill=255)
    return np.asarray(img, dtype=np.float32) / 255.0


def _round_stamp(size: int, rng: np.random.Generator) -> np.ndarray:
    """One or two rings with lettering (or ornaments) between them."""
    cv2 = cv2_module()
    canvas = np.zeros((size, size), np.float32)
    c, r = size // 2, size // 2 - 2
    thick = max(1, round(size * rng.uniform(0.01, 0.035)))
    cv2.circle(canvas, (c, c), r, 1.0, thick, cv2.LINE_AA)
    inner = rng.uniform(0.6, 0.8)
    if rng.random() < 0.8:
        cv2.circle(canvas, (c, c), round(r * inner), 1.0, max(1, thick - 1), cv2.LINE_AA)
    n = int(rng.integers(10, 22))
    letter = max(6, round(r * (1 - inner) * 0.7))
    text = " ".join(STAMP_WORDS[int(k)] for k in rng.integers(len(STAMP_WORDS), size=3))
    for k in range(n):
        angle = k / n * 2 * np.pi + rng.uniform(-0.05, 0.05)
        cx = c + np.cos(angle) * r * (1 + inner) / 2
        cy = c + np.sin(angle) * r * (1 + inner) / 2
        if rng.random() < 0.7:
            g = _glyph(text[k % len(text)], letter)
            turn = cv2.getRotationMatrix2D(
                (g.shape[1] / 2, g.shape[0] / 2), -np.degrees(angle) - 90, 1
            )
            g = cv2.warpAffine(g, turn, (g.shape[1], g.shape[0]))
        else:  # an ornament: a small ring or dot
            g = np.zeros((letter, letter), np.float32)
            cv2.ellipse(
                g, (letter // 2, letter // 2), (letter // 3, letter // 2 - 1), 0, 0, 360, 1.0, 1
            )
        paste_max(canvas, g, round(cy - g.shape[0] / 2), round(cx - g.shape[1] / 2))
    if rng.random() < 0.5:  # a word or a star in the middle
        g = _glyph(STAMP_WORDS[int(rng.integers(len(STAMP_WORDS)))], max(6, round(r * 0.3)))
        paste_max(canvas, g, c - g.shape[0] // 2, c - g.shape[1] // 2)
    return canvas


def _rect_stamp(height: int, rng: np.random.Generator) -> np.ndarray:
    """A frame (sometimes doubled) around two or three lines of text."""
    cv2 = cv2_module()
    lines = int(rng.integers(2, 4))
    words = [
        " ".join(STAMP_WORDS[int(k)] for k in rng.integers(len(STAMP_WORDS), size=2))
        for _ in range(lines)
    ]
    size = max(6, round(height / (lines + 1) * 0.8))
    glyphs = [_glyph(word, size) for word in words]
    width = max(g.shape[1] for g in glyphs) + 2 * size
    canvas = np.zeros((height, width), np.float32)
    thick = max(1, round(height * rng.uniform(0.01, 0.04)))
    cv2.rectangle(canvas, (1, 1), (width - 2, height - 2), 1.0, thick)
    if rng.random() < 0.3:
        cv2.rectangle(
            canvas, (4 + thick, 4 + thick), (width - 5 - thick, height - 5 - thick), 1.0, 1
        )
    step = height / (lines + 1)
    for k, g in enumerate(glyphs):
        paste_max(canvas, g, round(step * (k + 1) - g.shape[0] / 2), (width - g.shape[1]) // 2)
    return canvas


def _stamp(paper: np.ndarray, rng: np.random.Generator, *, inside: bool) -> None:
    """A rubber stamp, worn and tilted: beside the box with an edge reaching in from any side, or
    (``inside``) whole inside it."""
    cv2 = cv2_module()
    h, w = paper.shape
    if rng.random() < 0.65:
        ink = _round_stamp(int(h * rng.uniform(0.7, 2.2)), rng)
    else:
        ink = _rect_stamp(int(h * rng.uniform(0.4, 1.2)), rng)
    pad = max(ink.shape) // 5  # room to turn without cutting the corners off
    ink = np.pad(ink, pad)
    turn = cv2.getRotationMatrix2D((ink.shape[1] / 2, ink.shape[0] / 2), rng.uniform(-25, 25), 1)
    ink = cv2.warpAffine(ink, turn, (ink.shape[1], ink.shape[0]))
    ink *= np.where(rng.random(ink.shape) < rng.uniform(0.0, 0.35), 0.3, 1.0)  # worn rubber
    if rng.random() < 0.5:
        ink = cv2.GaussianBlur(ink, (0, 0), rng.uniform(0.4, 1.2))
    sh, sw = ink.shape
    if inside:
        top, left = int(rng.uniform(-0.1, 0.6) * h), int(rng.uniform(0, 1) * max(w - sw, 1))
    else:
        reach = int(rng.uniform(0.05, 0.45) * h)
        side = int(rng.integers(4))
        top, left = int(rng.uniform(-0.5, 1.0) * h - sh / 2), int(rng.uniform(0, 1) * w - sw / 2)
        if side == 0:
            left = reach - sw
        elif side == 1:
            left = w - reach
        elif side == 2:
            top = reach - sh
        else:
            top = h - reach
    canvas = np.zeros_like(paper)
    paste_max(canvas, ink, top, left)
    level = float(rng.uniform(30, 170))
    np.minimum(paper, 255.0 - canvas * (255.0 - level), out=paper)


def _hard_negatives(
    paper: np.ndarray, rng: np.random.Generator, intensity: float, inside_stamps: float
) -> None:
    """Draws the distractors."""
    cv2 = cv2_module()
    h, w = paper.shape
    if rng.random() < 0.5 * intensity:  # dust
        for _ in range(int(rng.integers(1, 12))):
            cv2.circle(
                paper,
                (int(rng.integers(w)), int(rng.integers(h))),
                int(rng.integers(0, 3)),
                float(rng.uniform(0, 160)),
                -1,
            )
    if rng.random() < 0.25 * intensity:  # a hair: short thin curve
        x, y = int(rng.integers(w)), int(rng.integers(h))
        pts = [(x, y)]
        ang = rng.uniform(0, 2 * np.pi)
        for _ in range(int(rng.integers(4, 12))):
            ang += rng.normal(0, 0.3)
            x, y = int(x + 5 * np.cos(ang)), int(y + 5 * np.sin(ang))
            pts.append((x, y))
        cv2.polylines(paper, [np.array(pts, np.int32)], False, float(rng.uniform(60, 180)), 1)
    if rng.random() < 0.35 * intensity:  # fold line across the box
        if rng.random() < 0.6:
            y0 = int(rng.integers(h))
            cv2.line(
                paper,
                (0, y0),
                (w - 1, y0 + int(rng.integers(-h // 6, h // 6 + 1))),
                float(rng.uniform(80, 210)),
                int(rng.integers(1, 4)),
            )
        else:
            x0 = int(rng.integers(w))
            cv2.line(
                paper,
                (x0, 0),
                (x0 + int(rng.integers(-h // 3, h // 3 + 1)), h - 1),
                float(rng.uniform(80, 210)),
                int(rng.integers(1, 4)),
            )
    if rng.random() < 0.35 * intensity:  # a rubber stamp beside the box, reaching into it
        _stamp(paper, rng, inside=False)
    elif rng.random() < inside_stamps * intensity:  # a company stamp inside the box, unsigned
        _stamp(paper, rng, inside=True)
    if rng.random() < 0.3 * intensity:  # printed name text or a label inside the box
        _typed_name(paper, rng)


def _typed_name(paper: np.ndarray, rng: np.random.Generator) -> None:
    """A name typed into the box, anywhere, in one of several fonts, sizes and weights."""
    h, w = paper.shape
    if rng.random() < 0.3:
        name = NAMES[int(rng.integers(len(NAMES)))]
    else:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    if rng.random() < 0.2:
        name = name.upper()
    elif rng.random() < 0.15:
        name = f"{name}, {rng.choice(TITLES)}"
    font_path = NAME_FONTS[int(rng.integers(len(NAME_FONTS)))]
    size = int(h * rng.uniform(0.1, 0.28))
    width = _font(size, font_path).getlength(name)
    while width > 0.9 * w and size > 8:
        size = int(size * 0.8)
        width = _font(size, font_path).getlength(name)
    left = int(rng.uniform(0.03, max(0.04, 1 - width / w - 0.03)) * w)
    top = int(rng.uniform(0.1, 0.8) * h)
    _draw_text(paper, name, (left, top), size, float(rng.uniform(0, 90)), font_path=font_path)


def synth_box(
    signature: np.ndarray | None,
    rng: np.random.Generator,
    *,
    hard: float = 1.0,
    inside_stamps: float = 0.0,
) -> np.ndarray:
    """A box crop (uint8, 255 = paper) with a margin around its border. ``inside_stamps``: the
    share of boxes (at ``hard`` 1) that get a whole company stamp inside; off by default (see
    ``scripts/train_signature.py --inside-stamps``).

    ``signature`` is ink 0..1 or None for an unsigned box.
    """
    cv2 = cv2_module()
    bh = int(rng.integers(120, 300))
    bw = int(bh * rng.uniform(2.5, 5.0))
    m = int(bh * rng.uniform(0.03, 0.12))
    paper = np.full((bh + 2 * m, bw + 2 * m), float(rng.uniform(205, 255)), np.float32)
    # box border, sometimes shifted (misalignment) or doubled, sometimes only partly visible
    level = float(rng.uniform(0, 150))
    dx, dy = int(rng.integers(-m, m + 1)), int(rng.integers(-m, m + 1))
    thickness = int(rng.integers(1, 5))
    cv2.rectangle(paper, (m + dx, m + dy), (m + dx + bw, m + dy + bh), level, thickness)
    if rng.random() < 0.2:
        cv2.rectangle(paper, (m + dx + 4, m + dy + 4), (m + dx + bw - 4, m + dy + bh - 4), level, 1)
    if signature is not None:
        sh, sw = signature.shape
        target_h = bh * rng.uniform(0.3, 0.9)
        scale = min(target_h / sh, bw * 0.9 / sw)
        g = cv2.resize(
            signature,
            (max(2, int(sw * scale)), max(2, int(sh * scale))),
            interpolation=cv2.INTER_AREA,
        )
        if rng.random() < 0.3:
            g = cv2.dilate(g, np.ones((2, 2), np.uint8))
        gh, gw = g.shape
        top = int(m + rng.uniform(-0.15, 1.0) * max(bh - gh, 1))  # may cross the top border
        left = int(m + rng.uniform(0, 1) * max(bw - gw, 1))
        top = max(0, min(top, paper.shape[0] - gh))
        left = max(0, min(left, paper.shape[1] - gw))
        darkness = rng.uniform(0.45, 1.0)  # blue/grey pens scan light
        region = paper[top : top + gh, left : left + gw]
        np.minimum(region, 255.0 * (1.0 - darkness * g), out=region)
    _hard_negatives(paper, rng, hard, inside_stamps)
    # shading (phone photo) and noise
    if rng.random() < 0.3:
        ramp = np.linspace(0, rng.uniform(10, 50), paper.shape[1], dtype=np.float32)
        paper -= ramp[None, :] if rng.random() < 0.5 else ramp[None, ::-1]
    if rng.random() < 0.5:
        paper = cv2.GaussianBlur(paper, (0, 0), rng.uniform(0.3, 1.2))
    paper += rng.normal(0, rng.uniform(0, 12), paper.shape).astype(np.float32)
    if rng.random() < 0.2:  # salt-and-pepper speckle
        speck = rng.random(paper.shape) < rng.uniform(0.0005, 0.004)
        paper[speck] = rng.uniform(0, 120)
    out = np.clip(paper, 0, 255).astype(np.uint8)
    roll = rng.random()
    if roll < 0.15:
        out = np.where(out < rng.uniform(110, 170), 0, 255).astype(np.uint8)
    elif roll < 0.6:
        ok, enc = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 90))])
        if ok:
            out = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    return out
