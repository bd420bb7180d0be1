"""Synthetic signature-box crops, signed and unsigned, for training and testing presence detection.

Unsigned boxes carry the hard negatives a real scan brings: grain, speckle, dust, a hair, a fold
line, a stamp edge intruding, misaligned or doubled box borders, printed name text, shading, JPEG
and fax binarisation. Signed boxes paste a real signature crop (ink only) at a random scale and
offset, sometimes crossing the border, with the same degradations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kopplingar.forms.opencv import cv2_module

NAMES = ["Anna Svensson", "Per-Olof Åström", "Maria Lindqvist", "Jönsson & Co AB", "Karl Öberg"]
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def load_signature_ink(path: Path) -> np.ndarray:
    """A signature crop as ink 0..1 (paper removed), from a data-set PNG."""
    cv2 = cv2_module()
    gray = np.array(Image.open(path).convert("L"), dtype=np.float32)
    paper = float(np.percentile(gray, 90))
    ink = np.clip((paper - gray) / max(paper - float(gray.min()), 1.0), 0, 1)
    ink[ink < 0.25] = 0
    return np.asarray(cv2.GaussianBlur(ink, (3, 3), 0.5))


def _draw_text(paper: np.ndarray, text: str, at: tuple[int, int], size: int, level: float) -> None:
    font = ImageFont.truetype(FONT, max(6, size))
    img = Image.new("L", (paper.shape[1], paper.shape[0]), 0)
    ImageDraw.Draw(img).text(at, text, font=font, fill=255)
    ink = np.asarray(img, dtype=np.float32) / 255.0
    np.minimum(paper, 255.0 - ink * (255.0 - level), out=paper)


def _hard_negatives(
    paper: np.ndarray, rng: np.random.Generator, intensity: float
) -> tuple[int, int] | None:
    """Draws the distractors; returns the rows of a printed name line if one was drawn."""
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
    if rng.random() < 0.25 * intensity:  # stamp edge intruding: arc of a large ring from outside
        radius = int(rng.uniform(0.8, 2.0) * h)
        side = rng.choice([-1, 1])
        cx = int(w / 2 + side * (w / 2 + radius * rng.uniform(0.75, 0.95)))
        cy = int(rng.uniform(0, h))
        level = float(rng.uniform(40, 170))
        thickness = int(rng.integers(2, 5))
        cv2.circle(paper, (cx, cy), radius, level, thickness)
        if rng.random() < 0.5:
            cv2.circle(paper, (cx, cy), int(radius * 0.85), level, max(1, thickness - 1))
    if rng.random() < 0.3 * intensity:  # printed name text or a label inside the box
        name = NAMES[int(rng.integers(len(NAMES)))]
        size = int(h * rng.uniform(0.12, 0.22))
        top = int(rng.uniform(0.55, 0.8) * h)
        _draw_text(
            paper, name, (int(rng.uniform(0.05, 0.5) * w), top), size, float(rng.uniform(0, 90))
        )
        return (max(0, top - 2), min(h, top + int(size * 1.4) + 2))
    return None


def synth_box(
    signature: np.ndarray | None, rng: np.random.Generator, *, hard: float = 1.0
) -> tuple[np.ndarray, tuple[int, int] | None]:
    """A box crop (uint8, 255 = paper) and its printed-name rows (as the layout would give them).

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
    name_band = _hard_negatives(paper, rng, hard)
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
    return out, name_band
