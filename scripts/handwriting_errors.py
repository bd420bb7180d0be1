"""Where handwritten comb values go wrong: by data set, capture and glyph, from a benchmark run's
``--details`` file (``python -m kopplingar.bench reading --details FILE``).

Every handwritten comb box is drawn from one glyph of the eval split (MNIST rows 4000-4999,
Semeion rows 1274-1592), and the same few hundred glyphs recur across a thousand forms. This
report separates what the scan did to a digit from what the glyph was before any scan: each
glyph is also classified on clean paper, alone and centred (``clean``), so a misread number
whose wrong box holds a glyph the network misreads even there is a glyph problem, not a scan
problem. ``--montage FILE.png`` draws the glyphs most often in a misread number's wrong box,
with their label, for a person to judge whether they can be read at all.

Usage: PYTHONPATH=src python scripts/handwriting_errors.py DETAILS.jsonl [--field NAME]
       [--montage glyphs.png]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from kopplingar.forms import datasets, digits
from kopplingar.forms.opencv import cv2_module

COMB_FIELDS = ("subscription_number", "company_org_number", "bureau_org_number")


def clean_cell(image: np.ndarray, source: str, side: int = 72) -> np.ndarray:
    """A data-set glyph (255 = ink) as a comb cell on clean paper (255 = paper), scaled to about
    two thirds of a ``side``-pixel box, as the simulator would (Semeion's aspect restored)."""
    cv2 = cv2_module()
    a = image.astype(np.float32) / 255.0
    ys, xs = np.nonzero(a > 0.15)
    a = a[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    if source == "semeion":
        a = cv2.resize(a, (max(2, round(a.shape[1] * 0.75)), a.shape[0]), cv2.INTER_AREA)
    scale = side * 0.65 / a.shape[0]
    a = cv2.resize(a, (max(3, round(a.shape[1] * scale)), round(a.shape[0] * scale)))
    cell = np.full((side, side), 255, np.uint8)
    h, w = a.shape
    top, left = (side - h) // 2, max(0, (side - w) // 2)
    w = min(w, side - left)
    cell[top : top + h, left : left + w] = (255 - 230 * a[:, :w].clip(0, 1)).astype(np.uint8)
    return cell


def clean_predictions() -> dict[str, tuple[int, int, float]]:
    """Glyph name -> (label, clean prediction, clean probability of the label)."""
    pool = datasets.handwritten_digits("eval")
    counters = {"mnist": datasets.MNIST_EVAL_FROM, "semeion": datasets.SEMEION_EVAL_FROM}
    names, cells = [], []
    for image, source in zip(pool.images, pool.source, strict=True):
        names.append(f"{source}:{counters[source]}")
        counters[source] += 1
        cells.append(clean_cell(image, source))
    probs = digits.classify_cells(cells, lines_removed=True)
    return {
        name: (int(label), int(p.argmax()), float(p[label]))
        for name, label, p in zip(names, pool.labels, probs, strict=True)
    }


def wrong_glyphs(record: dict[str, object]) -> list[str] | None:
    """The glyphs of the boxes read wrong, when the reading has the right length (else None)."""
    expected = str(record["expected"] or "").replace("-", "")
    value = str(record["value"] or "").replace("-", "")
    glyphs = list(record["glyphs"] or [])  # type: ignore[call-overload]
    if len(value) != len(expected) or len(glyphs) != len(expected):
        return None
    return [g for g, a, b in zip(glyphs, expected, value, strict=True) if a != b]


def montage(names: list[str], out: Path, cols: int = 12) -> None:
    pool = datasets.handwritten_digits("eval")
    index = {
        f"{s}:{(datasets.MNIST_EVAL_FROM if s == 'mnist' else datasets.SEMEION_EVAL_FROM) + i}": k
        for s in ("mnist", "semeion")
        for i, k in enumerate(k for k, src in enumerate(pool.source) if src == s)
    }
    cv2 = cv2_module()
    tiles = []
    for name in names:
        k = index[name]
        tile = cv2.resize(255 - pool.images[k], (84, 84), interpolation=cv2.INTER_NEAREST)
        tile = cv2.copyMakeBorder(tile, 18, 2, 2, 2, cv2.BORDER_CONSTANT, value=255)
        label = f"{pool.labels[k]} {name.replace('mnist:', 'm').replace('semeion:', 's')}"
        cv2.putText(tile, label, (3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, 0, 1)
        tiles.append(tile)
    while len(tiles) % cols:
        tiles.append(np.full_like(tiles[0], 255))
    rows = [np.hstack(tiles[i : i + cols]) for i in range(0, len(tiles), cols)]
    cv2.imwrite(str(out), np.vstack(rows))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("details", type=Path)
    parser.add_argument("--field", default="subscription_number", choices=COMB_FIELDS)
    parser.add_argument("--montage", type=Path)
    parser.add_argument("--top", type=int, default=48)
    args = parser.parse_args()
    records = [
        r
        for r in map(json.loads, args.details.read_text(encoding="utf-8").splitlines())
        if r["field"] == args.field and r["fill"] == "handwritten" and r["glyphs"]
    ]
    clean = clean_predictions()
    by_group: dict[str, Counter[str]] = defaultdict(Counter)
    implicated: Counter[str] = Counter()
    used: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for r in records:
        ok = r["value"] == r["expected"]
        glyphs = r["glyphs"]
        used.update(glyphs)
        writer = "semeion" if any(g.startswith("semeion") for g in glyphs) else "mnist"
        all_clean = all(clean[g][1] == clean[g][0] for g in glyphs)
        for group in (f"writer {writer}", f"capture {r['capture']}", f"clean-read {all_clean}"):
            by_group[group]["n"] += 1
            by_group[group]["ok"] += ok
        by_group["all"]["n"] += 1
        by_group["all"]["ok"] += ok
        if ok:
            continue
        wrong = wrong_glyphs(r)
        if wrong is None:
            kinds["length differs"] += 1
            continue
        implicated.update(wrong)
        if any(clean[g][1] != clean[g][0] for g in wrong):
            kinds["a wrong box's glyph is misread on clean paper too"] += 1
        else:
            kinds["every wrong box's glyph is read right on clean paper"] += 1
    print(f"{args.field}, handwritten: {len(records)} values")
    for group, c in sorted(by_group.items()):
        print(f"  {group:28s} {c['ok']:5d} / {c['n']:5d} = {c['ok'] / c['n']:.1%}")
    print("misread values:")
    for kind, n in kinds.most_common():
        print(f"  {n:5d}  {kind}")
    for source in ("mnist", "semeion"):
        names = [g for g in clean if g.startswith(source)]
        right = sum(clean[g][1] == clean[g][0] for g in names)
        print(f"clean paper, {source} eval glyphs: {right} / {len(names)} read right")
    top = implicated.most_common(args.top)
    print("glyphs most often in a wrong box (times wrong / times used, clean reading):")
    for name, n in top[:20]:
        label, pred, p = clean[name]
        print(f"  {name:14s} label {label} wrong {n:3d} / {used[name]:3d}  clean: {pred} p={p:.3f}")
    share = sum(n for _, n in top) / max(1, sum(implicated.values()))
    print(f"the {len(top)} glyphs above account for {share:.0%} of wrong boxes")
    if args.montage:
        montage([name for name, _ in top], args.montage)
        print(f"montage: {args.montage}")


if __name__ == "__main__":
    main()
