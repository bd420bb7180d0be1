"""Raw reading scores -> the probability that the value is right, fitted on generated scans.

The decoders' posteriors assume independent, well-calibrated cells, and tesseract's word
confidences are not probabilities at all. ``scripts/calibrate_reader.py`` reads generated scans
(seeds disjoint from the benchmark's), and fits one isotonic (monotone, piecewise-linear) map per
kind of value. The table ships as ``models/reader_calibration.json``; without it the raw scores are
used, capped so that an uncalibrated reader never claims more than it has shown.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

TABLE_PATH = Path(__file__).parent / "models" / "reader_calibration.json"
UNCALIBRATED_CAP = 0.89  # below the auto-accept threshold: without a table, a person looks


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    if not TABLE_PATH.exists():
        return {}
    data = json.loads(TABLE_PATH.read_text())
    return {
        kind: (np.asarray(entry["x"], np.float64), np.asarray(entry["y"], np.float64))
        for kind, entry in data.get("maps", {}).items()
    }


def calibrate(kind: str, raw: float) -> float:
    """P(correct) for a raw score of a value of ``kind`` (org, subscription, date, text, ...)."""
    table = _table().get(kind)
    raw = float(np.clip(raw, 0.0, 1.0))
    if table is None:
        return min(raw, UNCALIBRATED_CAP)
    xs, ys = table
    if raw < xs[0]:
        # below every score seen while fitting there is no evidence for the lowest block's
        # accuracy: fall linearly to 0 at a raw score of 0 (an "agreed" group whose values were
        # all right must not lift a reading its own decoder gave 0.0001 to 0.99)
        return float(ys[0] * raw / xs[0]) if xs[0] > 0 else float(ys[0])
    return float(np.clip(np.interp(raw, xs, ys), 0.0, 1.0))


def isotonic(x: np.ndarray, y: np.ndarray, *, min_bin: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """Pool-adjacent-violators on (score, correct) pairs; returns knots for ``np.interp``.

    Scores are first grouped into bins of at least ``min_bin`` samples (equal scores never split
    between bins) so that a knot rests on enough evidence, then each pooled block's accuracy is
    shrunk towards its lower confidence bound (Wilson, one-sided 90 %) so that small bins do not
    promise too much. A block's accuracy holds over its whole range of scores: it gets a knot at
    its lowest and at its highest score, so a score inside a wide block is never lifted towards
    the next block's accuracy (knots at the blocks' mean scores did that: dates with raw scores
    between 0.3 and 0.98, right 84 % of the time, were mapped up to 0.95).
    """
    order = np.argsort(x, kind="stable")
    xs, ys = np.asarray(x, np.float64)[order], np.asarray(y, np.float64)[order]
    blocks: list[list[float]] = []  # [sum_y, count, lowest x, highest x]
    start = 0
    while start < len(xs):
        end = min(start + min_bin, len(xs))
        while end < len(xs) and xs[end] == xs[end - 1]:
            end += 1
        chunk = slice(start, end)
        blocks.append([float(ys[chunk].sum()), float(end - start), xs[start], xs[end - 1]])
        start = end

    def pool(a: list[float], b: list[float]) -> list[float]:
        return [a[0] + b[0], a[1] + b[1], a[2], b[3]]

    if len(blocks) > 1 and blocks[-1][1] < min_bin / 2:
        last = blocks.pop()
        blocks[-1] = pool(blocks[-1], last)
    merged: list[list[float]] = []
    for block in blocks:
        merged.append(block)
        # equal neighbours pool too: a long run of perfect bins is one knot resting on all of it
        while len(merged) > 1 and merged[-2][0] / merged[-2][1] >= merged[-1][0] / merged[-1][1]:
            b = merged.pop()
            merged[-1] = pool(merged[-1], b)
    z = 1.2816
    lower: list[float] = []
    for s, n, _, _ in merged:
        p = s / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        lower.append(max(0.0, centre - half))
    accuracy = np.maximum.accumulate(np.array(lower))
    knots_x: list[float] = []
    knots_y: list[float] = []
    for (_, _, lo, hi), acc in zip(merged, accuracy, strict=True):
        for edge in (lo, hi) if hi > lo else (lo,):
            knots_x.append(float(edge))
            knots_y.append(float(acc))
    return np.array(knots_x), np.array(knots_y)


def calibrate_signature(kind: str, raw: float, *, present: bool) -> float:
    """P(correct) of a signature judgement. The signature model's own probability is used when
    there is no map; a "present" is never made more confident than the model said."""
    table = _table().get(kind)
    raw = float(np.clip(raw, 0.0, 1.0))
    if table is None:
        return raw
    xs, ys = table
    mapped = float(np.clip(np.interp(raw, xs, ys), 0.0, 1.0))
    return min(raw, mapped) if present else mapped
