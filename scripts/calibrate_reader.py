"""Fit the reader's confidence calibration on generated scans (seeds disjoint from the benchmark).

    .venv/bin/python scripts/calibrate_reader.py --count 400 --jobs 2

Reads the scans with raw scores, fits one isotonic map per kind of value (org, subscription,
date, text, email, choice) and writes ``src/kopplingar/forms/models/reader_calibration.json``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import numpy as np

from kopplingar.bench.reading import Score, run_parallel, scan, score_document
from kopplingar.forms import calibration
from kopplingar.forms.reader import read_document
from kopplingar.forms.simulator import SAMPLE_SECRET

CALIBRATION_SEED = 700_000
MIN_PAIRS = 50  # fewer values than this make no map: the reader caps such a kind's confidence
SIGNATURE_MAPS = ("signature_present", "signature_absent")


def stored_map(xs: np.ndarray, ys: np.ndarray) -> dict[str, list[float]]:
    """Knots rounded for the table; a knot whose score rounds onto the previous one's is dropped
    (``np.interp`` needs strictly increasing scores; the earlier, lower accuracy is kept)."""
    out: dict[str, list[float]] = {"x": [], "y": []}
    for x, y in zip(xs, ys, strict=True):
        rx, ry = round(float(x), 5), round(float(y), 5)
        if out["x"] and rx <= out["x"][-1]:
            continue
        out["x"].append(rx)
        out["y"].append(ry)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=CALIBRATION_SEED)
    parser.add_argument(
        "--jobs", type=int, default=1, help="reader processes (the benchmark's parallel runner)"
    )
    parser.add_argument(
        "--signatures-only",
        action="store_true",
        help="refit only the signature maps (reads only the signature boxes: faster)",
    )
    args = parser.parse_args()
    if args.signatures_only:
        fit_signatures(args.count, args.seed)
        return
    if args.jobs > 1:
        score = run_parallel(args.count, args.seed, baseline=False, jobs=args.jobs)["score"]
    else:
        score = Score()
        for k in range(args.count):
            name, data, truth = scan(args.seed + k)
            score_document(
                read_document(data, name, secret=SAMPLE_SECRET, raw_scores=True), truth, score
            )
            if (k + 1) % 50 == 0:
                print(f"{k + 1}/{args.count}", flush=True)
    by_kind: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for kind, raw, ok in score.pairs:
        by_kind[kind].append((raw, ok))
    maps = {}
    for kind, pairs in sorted(by_kind.items()):
        if kind.startswith("signature") and kind not in SIGNATURE_MAPS:
            continue  # a guard overruled the model: its probability is not the judgement's
        if len(pairs) < MIN_PAIRS:
            print(f"{kind}: {len(pairs)} values, too few for a map (capped uncalibrated)")
            continue
        x = np.array([p[0] for p in pairs])
        y = np.array([p[1] for p in pairs], dtype=np.float64)
        xs, ys = calibration.isotonic(x, y, min_bin=25)
        maps[kind] = stored_map(xs, ys)
        print(f"{kind}: {len(pairs)} values, accuracy {y.mean():.3f}, knots {len(xs)}")
    calibration.TABLE_PATH.write_text(
        json.dumps({"seed": args.seed, "documents": args.count, "maps": maps}, indent=1) + "\n"
    )
    print(f"wrote {calibration.TABLE_PATH}")


def fit_signatures(count: int, seed: int) -> None:
    """Signature judgements against the truth, one isotonic map per group, merged into the table."""
    from kopplingar.forms import fields, inputs
    from kopplingar.forms.reader import READ_DPI, _locate, signature_key

    by_kind: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for k in range(count):
        name, data, truth = scan(seed + k)
        pages = [p for p in truth.get("pages", []) if p.get("is_form")]
        if not pages or truth.get("version") != "1":
            continue
        try:
            doc = inputs.load_pages(data, name, inputs.Limits(pdf_dpi=READ_DPI))
        except inputs.InputError:
            continue
        found = _locate(doc.pages[pages[0]["index"]].image, SAMPLE_SECRET)
        if found is None:
            continue
        for party, sig in fields.read_signatures(found.aligned, found.layout, 200).items():
            signed = bool(pages[0]["signatures"][party]["signed"])
            by_kind[signature_key(sig)].append((sig.confidence, sig.present == signed))
        if (k + 1) % 50 == 0:
            print(f"{k + 1}/{count}", flush=True)
    table = json.loads(calibration.TABLE_PATH.read_text())
    for kind in SIGNATURE_MAPS:
        pairs = by_kind.get(kind, [])
        if len(pairs) < MIN_PAIRS:
            continue
        x = np.array([p[0] for p in pairs])
        y = np.array([p[1] for p in pairs], dtype=np.float64)
        xs, ys = calibration.isotonic(x, y, min_bin=25)
        table["maps"][kind] = stored_map(xs, ys)
        print(f"{kind}: {len(pairs)} boxes, accuracy {y.mean():.3f}, knots {len(xs)}")
    table["signature_documents"] = count
    calibration.TABLE_PATH.write_text(json.dumps(table, indent=1) + "\n")
    print(f"wrote {calibration.TABLE_PATH}")


if __name__ == "__main__":
    main()
