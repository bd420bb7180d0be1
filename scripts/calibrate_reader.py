"""Fit the reader's confidence calibration on generated scans (seeds disjoint from the benchmark).

    .venv/bin/python scripts/calibrate_reader.py --count 300

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

from kopplingar.bench.reading import Score, scan, score_document
from kopplingar.forms import calibration
from kopplingar.forms.reader import read_document
from kopplingar.forms.simulator import SAMPLE_SECRET

CALIBRATION_SEED = 700_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=CALIBRATION_SEED)
    args = parser.parse_args()
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
        x = np.array([p[0] for p in pairs])
        y = np.array([p[1] for p in pairs], dtype=np.float64)
        xs, ys = calibration.isotonic(x, y, min_bin=25)
        maps[kind] = {"x": [round(float(v), 5) for v in xs], "y": [round(float(v), 5) for v in ys]}
        print(f"{kind}: {len(pairs)} values, accuracy {y.mean():.3f}, knots {len(xs)}")
    calibration.TABLE_PATH.write_text(
        json.dumps({"seed": args.seed, "documents": args.count, "maps": maps}, indent=1) + "\n"
    )
    print(f"wrote {calibration.TABLE_PATH}")


if __name__ == "__main__":
    main()
