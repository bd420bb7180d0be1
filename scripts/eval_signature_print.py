"""How often a signature box holding only a typed name is judged signed, in fonts never trained on.

The signature networks learn that print is not a signature from names typed in
``sigsynth.NAME_FONTS`` (the first network from DejaVu Sans alone); people type theirs in
whatever their computer has. This takes the unsigned boxes (empty, noise, dust, fold line) of
generated scans as the reader crops them, pastes a typed name into each in every other installed
font (bold, italic, serif, mono, condensed; 10-28 % of the box height, ink 0-70, sometimes
blurred) and reports, per font group, how many ``signature_presence`` (the network and its
print-trained veto), that with the edge and printed-line guards, and the whole reader
(``fields.judge_signature_box``) call signed. Names in handwriting fonts are reported
apart: printed or not, they look written, and nothing here says what they should be.

Usage: PYTHONPATH=src python scripts/eval_signature_print.py [--docs 300] [--start 620000]
[--boxes 1500] [--seed 2] [--model signature.npz] [--print-model signature_print.npz]   (dev seeds: never the benchmark's 500000+ or calibration's 700000+)
"""

from __future__ import annotations

import argparse
import glob
import os
from collections import Counter, defaultdict
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kopplingar.bench.reading import scan
from kopplingar.forms import fields, signature, sigsynth
from kopplingar.forms.reader import read_document
from kopplingar.forms.signature import signature_presence
from kopplingar.forms.simulator import SAMPLE_SECRET
from kopplingar.forms.simulator import values as fake

UNSIGNED = ("empty", "noise", "dust", "fold_line")
HANDWRITING = ("fifthhorseman", "breip")


def unsigned_boxes(start: int, docs: int) -> list[tuple[np.ndarray, int]]:
    """(crop, margin) of every unsigned signature box of the documents, as the reader saw it."""
    seen: list[tuple[np.ndarray, int]] = []
    judge = fields.judge_signature_box

    def record(crop: np.ndarray, margin: int) -> fields.SignatureReading:
        seen.append((np.array(crop), margin))
        return judge(crop, margin)

    fields.judge_signature_box = record  # type: ignore[assignment]
    out: list[tuple[np.ndarray, int]] = []
    try:
        for seed in range(start, start + docs):
            name, data, truth = scan(seed)
            seen.clear()
            read_document(data, name, secret=SAMPLE_SECRET)
            pages = [p for p in truth.get("pages", []) if p.get("is_form")]
            if not pages or len(seen) != 2 or "signatures" not in pages[0]:
                continue
            for party, box in zip(("company", "bureau"), seen, strict=True):
                if pages[0]["signatures"][party]["state"] in UNSIGNED:
                    out.append(box)
    finally:
        fields.judge_signature_box = judge  # type: ignore[assignment]
    return out


def held_out_fonts() -> list[str]:
    trained = set(sigsynth.NAME_FONTS)
    return [
        f
        for f in sorted(glob.glob("/usr/share/fonts/truetype/*/*.ttf"))
        if f not in trained and "Math" not in f
    ]


def typed_name(crop: np.ndarray, margin: int, font: str, rng: np.random.Generator) -> np.ndarray:
    h, w = crop.shape[:2]
    text = fake.person_name(rng)
    if rng.random() < 0.2:
        text = text.upper()
    elif rng.random() < 0.15:
        text += ", " + str(rng.choice(["VD", "Styrelseledamot", "Ekonomichef"]))
    size = int(h * rng.uniform(0.10, 0.28))
    face = ImageFont.truetype(font, size)
    while face.getlength(text) > 0.85 * w and size > 8:
        size = int(size * 0.8)
        face = ImageFont.truetype(font, size)
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    x = int(rng.uniform(margin + 6, max(margin + 7, w - (right - left) - margin - 6))) - left
    y = int(rng.uniform(margin + 6, max(margin + 7, h - (bottom - top) - margin - 6))) - top
    draw.text((x, y), text, font=face, fill=255)
    alpha = np.asarray(img, np.float32) / 255
    if rng.random() < 0.5:
        alpha = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(0.4, 1.0))
    level = rng.uniform(0, 70)
    return np.clip(crop.astype(np.float32) * (1 - alpha) + level * alpha, 0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--start", type=int, default=620_000)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--boxes", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--model", type=Path, help="another first network (default: shipped)")
    parser.add_argument("--print-model", type=Path, help="another veto network (default: shipped)")
    args = parser.parse_args()
    if args.model:
        signature.MODEL_PATH = args.model
    if args.print_model:
        signature.PRINT_MODEL_PATH = args.print_model
    backgrounds = unsigned_boxes(args.start, args.docs)
    fonts = held_out_fonts()
    print(f"{len(backgrounds)} unsigned boxes from {args.docs} documents; {len(fonts)} fonts")
    rng = np.random.default_rng(args.seed)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for _ in range(args.boxes):
        crop, margin = backgrounds[int(rng.integers(len(backgrounds)))]
        font = fonts[int(rng.integers(len(fonts)))]
        box = typed_name(crop, margin, font, rng)
        group = "handwriting fonts" if any(k in font for k in HANDWRITING) else "print fonts"
        net, _, features = signature_presence(box)
        guarded = (
            net
            and not fields.ink_only_at_edges(box, margin + 4)
            and not fields.looks_like_printed_line(features)
        )
        final = fields.judge_signature_box(box, margin).present
        tally = counts[group]
        tally["boxes"] += 1
        tally["networks"] += bool(net)
        tally["networks+edge/line guards"] += bool(guarded)
        tally["reader"] += bool(final)
    for group, tally in counts.items():
        n = tally["boxes"]
        parts = ", ".join(
            f"{k} {tally[k]} ({100 * tally[k] / n:.1f} %)"
            for k in ("networks", "networks+edge/line guards", "reader")
        )
        print(f"{group}: {n} boxes with a typed name only, judged signed by: {parts}")


if __name__ == "__main__":
    main()
