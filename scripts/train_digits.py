"""Train the comb-box digit classifier and write ``src/kopplingar/forms/models/digits.npz``.

Trains only on ``datasets.handwritten_digits("train")`` (minus a validation tenth used for early
stopping and temperature scaling) plus printed digits and empty/dirty cells, all drawn into
synthetic comb cells (``kopplingar.forms.cellsynth``) and prepared exactly as at inference
(``digits.prepare_batch``). The eval split is only used at the end to report accuracy and
calibration. Needs torch (training only): ``pip install torch==2.13.0`` (CPU build).

Usage: PYTHONPATH=src python scripts/train_digits.py [--epochs 14] [--seed 7]
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from torch import nn

from kopplingar.forms import cellsynth, datasets, digits

torch.set_num_threads(1)


class Net(nn.Module):
    """Mirrors ``digits.logits``: two 3×3 conv+pool stages, a dense layer with the scalars, 11 outputs."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7 + 3, 64)
        self.fc2 = nn.Linear(64, digits.N_CLASSES)
        self.drop = nn.Dropout(0.25)

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = torch.cat([x.flatten(1), s], dim=1)
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


def make_set(
    glyphs: list[np.ndarray], labels: list[int], n_empty: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cells = [cellsynth.synth_cell(g, rng) for g in glyphs]
    cells += [cellsynth.synth_cell(None, rng) for _ in range(n_empty)]
    y = np.array(list(labels) + [digits.EMPTY] * n_empty, dtype=np.int64)
    images, scalars, has_ink = digits.prepare_batch(cells)
    # cells the preprocessing already calls blank never reach the network at inference either
    return images[has_ink], scalars[has_ink], y[has_ink]


def build(  # noqa: PLR0917
    source_glyphs: list[np.ndarray],
    source_labels: np.ndarray,
    copies: int,
    printed: int,
    empty: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    glyphs: list[np.ndarray] = []
    labels: list[int] = []
    for _ in range(copies):
        glyphs += source_glyphs
        labels += [int(v) for v in source_labels]
    for _ in range(printed):
        d = int(rng.integers(10))
        glyphs.append(cellsynth.glyph_printed(d, rng))
        labels.append(d)
    return make_set(glyphs, labels, empty, rng)


def calibration(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    ece = 0.0
    edges = np.linspace(0, 1, bins + 1)
    for lo, hi in itertools.pairwise(edges):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            ece += sel.mean() * abs(conf[sel].mean() - correct[sel].mean())
    return float(ece)


def fit_temperature(logit: np.ndarray, y: np.ndarray) -> float:
    best_t, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.5), np.log(4.0), 60)):
        z = logit / t
        z = z - z.max(axis=1, keepdims=True)
        nll = float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def report(name: str, probs: np.ndarray, y: np.ndarray) -> None:
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    acc = (pred == y).mean()
    parts = [f"{name}: n={len(y)} accuracy={acc:.4f} ECE={calibration(probs, y):.4f}"]
    for p in (0.9, 0.99):
        sel = conf >= p
        if sel.any():
            parts.append(
                f"p>={p}: {sel.mean():.3f} of cells, accuracy {(pred[sel] == y[sel]).mean():.4f}"
            )
    print("; ".join(parts), flush=True)


def main() -> None:  # noqa: PLR0915 - one linear training story
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=14)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    torch.manual_seed(args.seed)
    start = time.time()

    train = datasets.handwritten_digits("train")
    glyphs = [cellsynth.glyph_from_dataset(img) for img in train.images]
    order = rng.permutation(len(glyphs))
    n_val = len(glyphs) // 10
    val_idx, fit_idx = order[:n_val], order[n_val:]
    xi, xs, y = build(
        [glyphs[i] for i in fit_idx],
        train.labels[fit_idx],
        copies=6,
        printed=6000,
        empty=9000,
        rng=rng,
    )
    vi, vs, vy = build(
        [glyphs[i] for i in val_idx],
        train.labels[val_idx],
        copies=3,
        printed=600,
        empty=1000,
        rng=rng,
    )
    print(
        f"data: {len(y)} training cells, {len(vy)} validation cells, {time.time() - start:.0f} s",
        flush=True,
    )

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    tx, ts, ty = torch.from_numpy(xi), torch.from_numpy(xs), torch.from_numpy(y)
    tvx, tvs = torch.from_numpy(vi), torch.from_numpy(vs)
    best_state, best_acc = None, -1.0
    for epoch in range(args.epochs):
        net.train()
        perm = torch.randperm(len(ty))
        for b in range(0, len(ty), 128):
            idx = perm[b : b + 128]
            xb = tx[idx]
            # cheap extra augmentation: up to 1 px shift
            xb = torch.roll(
                xb, shifts=(int(rng.integers(-1, 2)), int(rng.integers(-1, 2))), dims=(2, 3)
            )
            loss = nn.functional.cross_entropy(net(xb, ts[idx]), ty[idx], label_smoothing=0.02)
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        net.eval()
        with torch.no_grad():
            acc = (net(tvx, tvs).argmax(1).numpy() == vy).mean()
        print(
            f"epoch {epoch + 1}: loss {loss.item():.3f} val accuracy {acc:.4f} ({time.time() - start:.0f} s)",
            flush=True,
        )
        if acc >= best_acc:
            best_acc = acc
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
    assert best_state is not None
    net.load_state_dict(best_state)
    net.eval()
    with torch.no_grad():
        val_logits = net(tvx, tvs).numpy()
    temperature = fit_temperature(val_logits, vy)
    print(f"temperature {temperature:.3f}")

    weights = {
        k.replace(".weight", "_w").replace(".bias", "_b"): v.numpy().astype(np.float16)
        for k, v in net.state_dict().items()
    }
    weights["temperature"] = np.array([temperature], np.float32)
    digits.MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(digits.MODEL_PATH, **weights)
    digits._weights.cache_clear()
    print(f"wrote {digits.MODEL_PATH} ({digits.MODEL_PATH.stat().st_size / 1024:.0f} KiB)")

    # held-out report: eval split, handwritten digits in synthetic cells, and empty cells
    evaluation = datasets.handwritten_digits("eval")
    erng = np.random.default_rng(12345)
    cells = [
        cellsynth.synth_cell(cellsynth.glyph_from_dataset(im), erng) for im in evaluation.images
    ]
    probs = digits.classify_cells(cells)
    report("eval handwritten (numpy inference)", probs, evaluation.labels)
    src = np.array(evaluation.source)
    for name in ("mnist", "semeion"):
        report(f"  eval {name}", probs[src == name], evaluation.labels[src == name])
    empties = [cellsynth.synth_cell(None, erng) for _ in range(1000)]
    eprobs = digits.classify_cells(empties)
    report("eval empty cells", eprobs, np.full(len(empties), digits.EMPTY))
    printed_labels = erng.integers(0, 10, 1000)
    printed_cells = [
        cellsynth.synth_cell(cellsynth.glyph_printed(int(d), erng), erng) for d in printed_labels
    ]
    report("printed digits", digits.classify_cells(printed_cells), printed_labels)
    print(f"total {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
