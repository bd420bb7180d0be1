"""Fine-tune the shipped digit network on comb cells cut from generated scans by the reader.

``scripts/train_digits.py`` trains on cells that ``cellsynth`` draws directly; the reader's cells
come through printing, capture (scanner, fax, phone), JPEG, alignment and comb cutting, which
``cellsynth`` only imitates. This script starts from a trained model and goes on training on
``scripts/harvest_cells.py --split train`` cells (train-split digits only, seeds 900000+) mixed
with freshly synthesised ``cellsynth`` cells (handwritten, printed and empty/dirty, so typed
digits are not forgotten), at a small learning rate with batch-norm statistics frozen (the model
file holds them folded into the convolutions).

Validation, for the epoch choice and the temperature: harvested cells whose glyph is in the train
split's validation rows (``train_digits.validation_rows``: whole writers' blocks) or, for empty
boxes, whose seed ends in 4, plus ``train_digits``' own synthetic validation cells.

    PYTHONPATH=src .venv/bin/python scripts/finetune_digits.py /tmp/harvest-train.npz \\
        --init src/kopplingar/forms/models/digits.npz --out /tmp/tuned.npz
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from train_digits import (
    EMPTY_SHARE,
    PRINTED_SHARE,
    Net,
    build,
    calibration,
    export,
    fit_temperature,
    softmax,
    train_epoch,
    validation_cells,
    validation_rows,
)

from kopplingar.forms import cellsynth, datasets, digits

torch.set_num_threads(1)


def load_folded(net: Net, path: Path) -> None:
    """Weights of an exported (folded, NHWC) single network back into ``net``: each conv gets the
    folded kernel and its batch-norm becomes the identity plus the folded bias."""
    with np.load(path) as data:
        w = {k: torch.from_numpy(data[k].astype(np.float32)) for k in data.files}
    if "members" in w:
        raise SystemExit("--init must be a single network, not an ensemble")
    for i in range(1, 5):
        conv, bn = getattr(net, f"conv{i}"), getattr(net, f"bn{i}")
        out_c, in_c = conv.out_channels, conv.in_channels
        kernel = w[f"conv{i}_w"].reshape(3, 3, in_c, out_c).permute(3, 2, 0, 1)
        conv.weight.data.copy_(kernel)
        bn.weight.data.fill_(1.0)
        bn.bias.data.copy_(w[f"conv{i}_b"])
        bn.running_mean.zero_()
        bn.running_var.fill_(1.0 - bn.eps)
    c4 = net.conv4.out_channels
    fc1 = w["fc1_w"]
    image_part = fc1[:, : c4 * 9].reshape(-1, 3, 3, c4).permute(0, 3, 1, 2).reshape(-1, c4 * 9)
    net.fc1.weight.data.copy_(torch.cat([image_part, fc1[:, c4 * 9 :]], dim=1))
    net.fc1.bias.data.copy_(w["fc1_b"])
    net.fc2.weight.data.copy_(w["fc2_w"])
    net.fc2.bias.data.copy_(w["fc2_b"])


def harvested(paths: list[Path]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Fit and validation parts of the harvested cells the network sees (inked boxes)."""
    train = datasets.handwritten_digits("train")
    val_rows = validation_rows(train.source)
    src = np.array(train.source)
    val_names = {
        f"{s}:{local}"
        for s in ("mnist", "semeion")
        for local, row in enumerate(np.flatnonzero(src == s))
        if val_rows[row]
    }
    parts = []
    for path in paths:
        with np.load(path) as d:
            seeds = np.zeros(len(d["labels"]), np.int64)
            for seed, (a, b) in zip(d["field_seed"], d["field_span"], strict=True):
                seeds[a:b] = seed
            parts.append({k: d[k] for k in ("images", "scalars", "labels", "has_ink", "glyphs")})
            parts[-1]["seeds"] = seeds
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = data["has_ink"] & (data["labels"] >= 0)
    is_val = np.array(
        [
            g in val_names if g else s % 10 == 4
            for g, s in zip(data["glyphs"], data["seeds"], strict=True)
        ]
    )
    split = {}
    for name, sel in (("fit", keep & ~is_val), ("val", keep & is_val)):
        split[name] = {
            "x": data["images"][sel][:, None].astype(np.float32) / 255.0,
            "s": data["scalars"][sel].astype(np.float32),
            "y": data["labels"][sel].astype(np.int64),
        }
    return split["fit"], split["val"]


def synthetic(
    copies: int, seed: int, empty_share: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """``train_digits``' kind of cells (fit glyphs ``copies`` times, printed, empty) and its fixed
    validation cells."""
    rng = np.random.default_rng(seed)
    train = datasets.handwritten_digits("train")
    glyphs = [cellsynth.glyph_from_dataset(img) for img in train.images]
    semeion = np.array(train.source) == "semeion"
    val = validation_rows(train.source)
    fit_idx, val_idx = np.flatnonzero(~val), np.flatnonzero(val)
    n = len(fit_idx) * copies
    xi, xs, y = build(
        [glyphs[i] for i in fit_idx],
        train.labels[fit_idx],
        semeion[fit_idx],
        copies=copies,
        printed=round(n * PRINTED_SHARE * 2),  # typed combs are the reader's first duty
        # empty boxes with neighbours' strokes at their edges are rare among the harvested cells
        # (the comb cutting gives strokes to their box) but not on strangers' scans
        empty=round(n * empty_share),
        rng=rng,
        augment=True,
    )
    vi, vs, vy = validation_cells(glyphs, train.labels, semeion, val_idx)
    return {"x": xi, "s": xs, "y": y}, {"x": vi, "s": vs, "y": vy}


def accuracy(net: Net, part: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    with torch.no_grad():
        logit = net(torch.from_numpy(part["x"]), torch.from_numpy(part["s"])).numpy()
    return float((logit.argmax(1) == part["y"]).mean()), logit


def main() -> None:  # noqa: PLR0915 - one linear training story
    parser = argparse.ArgumentParser()
    parser.add_argument("harvest", type=Path, nargs="+")
    parser.add_argument("--init", type=Path, default=digits.MODEL_PATH)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--copies", type=int, default=6, help="synthetic copies per fit glyph")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-affine", action="store_true", help="no extra on-the-fly affine")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--empty-share",
        type=float,
        default=3 * EMPTY_SHARE,
        help="synthetic empty/dirty cells per synthetic handwritten cell",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    start = time.time()
    h_fit, h_val = harvested(args.harvest)
    s_fit, s_val = synthetic(args.copies, args.seed, args.empty_share)
    fit = {k: np.concatenate([h_fit[k], s_fit[k]]) for k in ("x", "s", "y")}
    print(
        f"fit: {len(h_fit['y'])} harvested + {len(s_fit['y'])} synthetic cells; validation "
        f"{len(h_val['y'])} harvested + {len(s_val['y'])} synthetic ({time.time() - start:.0f} s)",
        flush=True,
    )
    net = Net((32, 32, 64, 64), 128, 0.3)
    load_folded(net, args.init)
    net.eval()
    before = (accuracy(net, h_val)[0], accuracy(net, s_val)[0])
    print(f"start: harvested val {before[0]:.4f}, synthetic val {before[1]:.4f}", flush=True)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=5e-4)
    batch = 128
    steps = args.epochs * ((len(fit["y"]) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=steps, pct_start=0.1)
    tx, ts, ty = (torch.from_numpy(fit[k]) for k in ("x", "s", "y"))
    best_state = {k: v.clone() for k, v in net.state_dict().items()}
    best_key = (sum(before), 0)
    for epoch in range(args.epochs):
        net.train()
        for m in net.modules():  # frozen statistics: the folded model has no batch statistics
            if isinstance(m, torch.nn.BatchNorm2d):
                m.eval()
        total = train_epoch(net, opt, sched, (tx, ts, ty), gen, batch, affine=not args.no_affine)
        net.eval()
        acc_h, acc_s = accuracy(net, h_val)[0], accuracy(net, s_val)[0]
        print(
            f"epoch {epoch + 1}: loss {total / len(ty):.4f} harvested val {acc_h:.4f} "
            f"synthetic val {acc_s:.4f} ({time.time() - start:.0f} s)",
            flush=True,
        )
        # both count: the harvested cells are the reader's own, but come from one simulator;
        # the synthetic ones keep the network general (margin crops, strangers' empty cells)
        key = (acc_h + acc_s, epoch + 1)
        if key[0] >= best_key[0]:
            best_key = key
            best_state = {k: v.clone() for k, v in net.state_dict().items()}
    net.load_state_dict(best_state)
    net.eval()
    val = {k: np.concatenate([h_val[k], s_val[k]]) for k in ("x", "s", "y")}
    _, val_logits = accuracy(net, val)
    temperature = fit_temperature(val_logits, val["y"])
    probs = softmax(val_logits / temperature)
    summary = {
        "epoch": best_key[1],
        "harvested_val_accuracy": accuracy(net, h_val)[0],
        "synthetic_val_accuracy": accuracy(net, s_val)[0],
        "start_accuracy": before,
        "temperature": temperature,
        "val_ece": calibration(probs, val["y"]),
        "args": {k: str(v) for k, v in vars(args).items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **export(net, temperature))
    args.out.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary), flush=True)
    print(f"wrote {args.out}, total {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
