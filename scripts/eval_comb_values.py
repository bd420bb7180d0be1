"""Compare digit models on whole handwritten comb values, from cells cut once by
``scripts/harvest_cells.py`` (eval-split digits on dev seeds).

For each model: the share of boxes classified right, and of org numbers, subscription numbers and
sign dates decoded exactly (Luhn, length, calendar: ``fields.read_org`` / ``read_subscription`` /
``read_date``, as the reader does for a handwritten-looking comb, which tesseract is not asked
about), with how many of the values at or above a raw score of 0.9 are wrong. A value two models
disagree on is counted both ways (``gained`` / ``lost`` against the first model).

    PYTHONPATH=src .venv/bin/python scripts/eval_comb_values.py /tmp/harvest-dev.npz \\
        --model src/kopplingar/forms/models/digits.npz /tmp/new.npz
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections import defaultdict
from pathlib import Path

import numpy as np

from kopplingar.forms import digits, fields
from kopplingar.forms.layout import get_layout
from kopplingar.forms.reader import canonical

GROUPS = {"company_org_number": "org", "bureau_org_number": "org", "subscription_number": "sub"}


def probabilities(
    model: Path, images: np.ndarray, scalars: np.ndarray, ink: np.ndarray
) -> np.ndarray:
    """The reader's cell probabilities under ``model`` (blank cells: EMPTY, as at inference)."""
    saved = digits.MODEL_PATH
    digits.MODEL_PATH = model
    digits._members.cache_clear()
    try:
        x = images[:, None].astype(np.float32) / 255.0
        return digits.network_probabilities(x, scalars, ink)
    finally:
        digits.MODEL_PATH = saved
        digits._members.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("harvest", type=Path, nargs="+")
    parser.add_argument("--model", type=Path, nargs="+", default=[digits.MODEL_PATH])
    parser.add_argument("--today", default="2026-11-24", help="the date prior's today (fixed)")
    args = parser.parse_args()
    today = dt.date.fromisoformat(args.today)
    data = [np.load(h) for h in args.harvest]
    images = np.concatenate([d["images"] for d in data])
    scalars = np.concatenate([d["scalars"] for d in data])
    labels = np.concatenate([d["labels"] for d in data])
    ink = np.concatenate([d["has_ink"] for d in data])
    glyphs = np.concatenate([d["glyphs"] for d in data])
    spans, names, values, fills = [], [], [], []
    offset = 0
    for d in data:
        spans += [(a + offset, b + offset) for a, b in d["field_span"]]
        names += list(d["field_name"])
        values += list(d["field_value"])
        fills += list(d["field_fill"])
        offset += len(d["labels"])
    first: list[bool] = []
    for m, model in enumerate(args.model):
        probs = probabilities(model, images, scalars, ink)
        boxes = labels >= 0
        cell_ok = probs.argmax(1) == labels
        right: dict[str, int] = defaultdict(int)
        count: dict[str, int] = defaultdict(int)
        sure_wrong: dict[str, int] = defaultdict(int)
        oks: list[bool] = []
        for (a, b), name, value, fill in zip(spans, names, values, fills, strict=True):
            group = GROUPS.get(name, "date")
            pens = sorted(str(g).split(":")[0] for g in glyphs[a:b] if g)
            if group == "sub" and pens:  # handwritten subscription numbers by the writers' set
                group = "sub-" + max(pens, key=pens.count)
            elif fill != "handwritten":
                group += "-" + fill
            spec = get_layout("connect", "1").field(name)
            reading = fields.decode_comb(spec, probs[a:b], today)
            ok = canonical(name, reading.value) == canonical(name, value)
            oks.append(ok)
            count[group] += 1
            right[group] += ok
            sure_wrong[group] += (not ok) and reading.confidence >= 0.9
        digit_boxes = boxes & (labels != digits.EMPTY)
        line = (
            f"{model}: boxes {cell_ok[boxes].mean():.4f} (digits {cell_ok[digit_boxes].mean():.4f}"
            f" of {int(digit_boxes.sum())}); "
            + "; ".join(
                f"{g} {right[g]}/{count[g]} ({right[g] / count[g]:.1%}, {sure_wrong[g]} wrong >= 0.9)"
                for g in sorted(count)
            )
        )
        if m == 0:
            first = oks
        else:
            gained = sum(o and not f for o, f in zip(oks, first, strict=True))
            lost = sum(f and not o for o, f in zip(oks, first, strict=True))
            line += f"; against the first: +{gained} -{lost}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
