"""Comb cells as the reader sees them, with their true digits, from generated scans.

``cellsynth`` draws training cells by itself; this script instead fills whole forms by hand with
the scan simulator, captures them (scanner, fax, phone, JPEG, PDF, rotations, folds) and cuts the
comb boxes out of the aligned page with the reader's own code (``reader._locate``,
``fields.comb_cells``, ``digits.prepare_batch``), so the cells carry every step between pen and
network that the synthetic ones only imitate. Each handwritten box gets its true digit (or EMPTY)
from the simulator's truth.

``--split train`` writes training data: the digits come from the train split of the shared data
(``ink.digits_from``), the seeds must lie outside every range used to measure (dev 620000-660399,
benchmark 500000+, calibration 700000+): use 900000+. ``--split eval`` (the default digits) on dev
seeds gives labelled cells to compare digit models on whole handwritten values
(``scripts/eval_comb_values.py``) without reading the rest of the page again.

    PYTHONPATH=src .venv/bin/python scripts/harvest_cells.py --split train --start 900000 \\
        --count 3000 --jobs 2 --out /tmp/harvest-train.npz
"""

from __future__ import annotations

import argparse
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import numpy as np

from kopplingar.forms import align, digits, fields
from kopplingar.forms.inputs import InputError, Limits, load_pages
from kopplingar.forms.layout import get_layout
from kopplingar.forms.reader import READ_DPI, _locate
from kopplingar.forms.simulator import SAMPLE_SECRET, SampleSpec, generate, ink

SKIPPED_SCENARIOS = ("old_version", "not_a_form")
FILLS = ("handwritten", "typed", "empty")
TRAINING_SEEDS_FROM = 900_000


def _labels(truth: dict[str, Any], cells: int) -> list[int]:
    """The true class of each box of a comb: its digit or EMPTY. Handwritten digits sit in the
    boxes the simulator recorded; typed ones fill the boxes from the left, one character each
    (without its dash an org number shifts a digit into the dash's box). A printed dash alone is
    EMPTY, as the decoders (``fields.read_org``, ``read_date``) expect."""
    labels = [digits.EMPTY] * cells
    placed: list[tuple[str, int]] = []
    if truth["fill"] == "handwritten":
        placed = list(zip(truth["value"], truth["cells"], strict=True))
    elif truth["fill"] == "typed":
        placed = list(zip(truth["value"], range(cells), strict=False))
    for ch, index in placed:
        if ch.isdigit():
            labels[index] = int(ch)
    return labels


def _glyphs_by_box(truth: dict[str, Any], separators: tuple[int, ...]) -> dict[int, str]:
    """Which data-set glyph (``"mnist:123"``) the simulator wrote into each box: it skips the
    boxes of printed separators, whose character the value carries."""
    if truth["fill"] != "handwritten":
        return {}
    boxes = [i for i in truth["cells"] if i not in separators]
    return dict(zip(boxes, truth["glyphs"], strict=True))


def _no_cells() -> dict[str, list[Any]]:
    return {"images": [], "scalars": [], "labels": [], "has_ink": [], "glyphs": [], "fields": []}


def harvest_seed(seed: int, split: str, fill: str | None) -> dict[str, list[Any]]:
    """The comb cells of one generated document (none if its form is not found)."""
    spec = SampleSpec(fill=fill)
    with ink.digits_from(split):  # type: ignore[arg-type]
        sample = generate(seed, spec)
    out = _no_cells()
    if sample.truth["scenario"] in SKIPPED_SCENARIOS:
        return out
    try:
        doc = load_pages(sample.data, sample.filename, Limits(pdf_dpi=READ_DPI))
    except InputError:
        return out
    for index, page in enumerate(doc.pages):
        truth_page = sample.truth["pages"][index]
        if not truth_page.get("is_form"):
            continue
        found = _locate(page.image, SAMPLE_SECRET)
        if found is None or found.alignment.kind != truth_page["kind"]:
            continue
        layout = get_layout(truth_page["kind"], truth_page["version"])
        for spec_field in layout.fields:
            truth = truth_page["fields"].get(spec_field.name, {})
            if spec_field.type != "comb" or truth.get("fill") not in FILLS:
                continue
            crops = fields.comb_cells(found.aligned, layout, spec_field, align.WORK_DPI)
            images, scalars, has_ink = digits.prepare_batch(crops, lines_removed=True)
            labels = _labels(truth, len(crops))
            glyph_of = _glyphs_by_box(truth, spec_field.separators)
            start = len(out["labels"])
            for k in range(len(crops)):
                out["images"].append((images[k, 0] * 255).round().astype(np.uint8))
                out["scalars"].append(scalars[k])
                out["labels"].append(labels[k])
                out["has_ink"].append(bool(has_ink[k]))  # False: the network never sees it
                out["glyphs"].append(glyph_of.get(k, ""))
            out["fields"].append(
                (seed, spec_field.name, truth["value"], truth["fill"], start, len(out["labels"]))
            )
    return out


def _job(args: tuple[int, int, str, str | None]) -> dict[str, list[Any]]:
    start, count, split, fill = args
    merged = _no_cells()
    for seed in range(start, start + count):
        part = harvest_seed(seed, split, fill)
        offset = len(merged["labels"])
        for key in ("images", "scalars", "labels", "has_ink", "glyphs"):
            merged[key] += part[key]
        merged["fields"] += [
            (s, n, v, f, a + offset, b + offset) for s, n, v, f, a, b in part["fields"]
        ]
    return merged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", choices=("train", "eval"), default="eval")
    parser.add_argument("--start", type=int, required=True)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--fill", choices=("any", "handwritten", "typed", "mixed", "prefilled"), default="any"
    )
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.split == "train" and args.start < TRAINING_SEEDS_FROM:
        parser.error(f"training cells come from seeds {TRAINING_SEEDS_FROM}+ only")
    chunk = 25
    jobs = [
        (
            s,
            min(chunk, args.start + args.count - s),
            args.split,
            None if args.fill == "any" else args.fill,
        )
        for s in range(args.start, args.start + args.count, chunk)
    ]
    images: list[np.ndarray] = []
    scalars: list[np.ndarray] = []
    labels: list[int] = []
    has_ink: list[bool] = []
    glyphs: list[str] = []
    field_rows: list[tuple[int, str, str, str, int, int]] = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for part in pool.map(_job, jobs):
            offset = len(labels)
            images += part["images"]
            scalars += part["scalars"]
            labels += part["labels"]
            has_ink += part["has_ink"]
            glyphs += part["glyphs"]
            field_rows += [
                (s, n, v, f, a + offset, b + offset) for s, n, v, f, a, b in part["fields"]
            ]
            print(f"{len(field_rows)} fields, {len(labels)} cells", flush=True)
    np.savez_compressed(
        args.out,
        images=np.stack(images) if images else np.zeros((0, 28, 28), np.uint8),
        scalars=np.stack(scalars).astype(np.float32) if scalars else np.zeros((0, 3), np.float32),
        labels=np.array(labels, np.int64),
        has_ink=np.array(has_ink, bool),
        glyphs=np.array(glyphs),
        field_seed=np.array([r[0] for r in field_rows], np.int64),
        field_name=np.array([r[1] for r in field_rows]),
        field_value=np.array([r[2] for r in field_rows]),
        field_fill=np.array([r[3] for r in field_rows]),
        field_span=np.array([(r[4], r[5]) for r in field_rows], np.int64).reshape(-1, 2),
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
