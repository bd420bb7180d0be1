"""Train the signature-presence model and write ``src/kopplingar/forms/models/signature.npz``.

Positives: real signature crops of ``datasets.signature_files("train")`` pasted into synthetic
boxes; negatives: empty boxes with hard-negative degradations (``kopplingar.forms.sigsynth``).
A logistic regression (numpy, L2-regularised Newton steps) maps ``signature.extract_features`` to
P(signed). The decision threshold is the smallest value above every negative of the training and
validation boxes (times a safety margin), because a blank box judged signed is the worst error.
The eval signature split is used only for the final report.

Usage: PYTHONPATH=src python scripts/train_signature.py [--boxes 1500] [--seed 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from kopplingar.forms import datasets, signature, sigsynth


def make_boxes(
    sigs: list[np.ndarray], n_pos: int, n_neg: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    feats, labels = [], []
    for k in range(n_pos + n_neg):
        positive = k < n_pos
        ink = sigs[int(rng.integers(len(sigs)))] if positive else None
        box, name_band = sigsynth.synth_box(ink, rng, hard=rng.uniform(0.5, 2.0))
        feats.append(signature.extract_features(box, name_band).vector())
        labels.append(1 if positive else 0)
    return np.array(feats), np.array(labels)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 30) -> np.ndarray:
    """Weights (with intercept last) by Newton's method."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + l2 * np.r_[w[:-1], 0]
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--boxes", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    start = time.time()
    files = sorted(datasets.signature_files("train"))
    groups = sorted({datasets.signature_group(f.name) for f in files})
    val_groups = set(rng.choice(groups, size=len(groups) // 5, replace=False).tolist())
    fit_sigs = [
        sigsynth.load_signature_ink(f)
        for f in files
        if datasets.signature_group(f.name) not in val_groups
    ]
    val_sigs = [
        sigsynth.load_signature_ink(f)
        for f in files
        if datasets.signature_group(f.name) in val_groups
    ]
    x, y = make_boxes(fit_sigs, args.boxes, args.boxes * 2, rng)
    vx, vy = make_boxes(val_sigs, args.boxes // 3, args.boxes, rng)
    print(
        f"features: {len(y)} training, {len(vy)} validation boxes ({time.time() - start:.0f} s)",
        flush=True,
    )

    xi = signature.model_inputs(x)
    mean, std = xi.mean(axis=0), xi.std(axis=0) + 1e-6
    w = fit_logistic((xi - mean) / std, y)

    def prob(feats: np.ndarray) -> np.ndarray:
        z = ((signature.model_inputs(feats) - mean) / std) @ w[:-1] + w[-1]
        return 1 / (1 + np.exp(-z))

    p_train, p_val = prob(x), prob(vx)
    names = signature.MODEL_FEATURES
    for k in np.argsort(-np.where(y == 0, p_train, -1))[:5]:
        print(
            f"hard negative p={p_train[k]:.4f}: "
            + ", ".join(f"{n}={v:.2f}" for n, v in zip(names, x[k], strict=True))
        )
    worst_negative = max(float(p_train[y == 0].max()), float(p_val[vy == 0].max()))
    threshold = min(max(0.5, worst_negative + 0.5 * (1 - worst_negative)), 0.99)
    print(f"worst negative p={worst_negative:.4f}, threshold {threshold:.4f}")
    for name, p, lab in (("train", p_train, y), ("validation", p_val, vy)):
        pred = p >= threshold
        print(
            f"{name}: false present {np.mean(pred[lab == 0]):.4f}, "
            f"false absent {np.mean(~pred[lab == 1]):.4f}"
        )
    signature.MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        signature.MODEL_PATH,
        mean=mean,
        std=std,
        coef=w[:-1],
        intercept=np.array([w[-1]]),
        threshold=np.array([threshold]),
    )
    signature._model.cache_clear()
    print(f"wrote {signature.MODEL_PATH}")

    # held-out report on the eval signature split, with fresh hard negatives
    erng = np.random.default_rng(2024)
    eval_sigs = [sigsynth.load_signature_ink(f) for f in datasets.signature_files("eval")]
    results = []
    for k in range(len(eval_sigs) * 4 + 2000):
        positive = k < len(eval_sigs) * 4
        box, name_band = sigsynth.synth_box(
            eval_sigs[k % len(eval_sigs)] if positive else None, erng, hard=erng.uniform(0.5, 2.0)
        )
        present, confidence, _ = signature.signature_presence(box, printed_name_band=name_band)
        results.append((positive, present, confidence))
    r = np.array(results, dtype=np.float64)
    pos, pres, conf = r[:, 0] > 0, r[:, 1] > 0, r[:, 2]
    correct = pos == pres
    print(
        f"eval: {pos.sum():.0f} signed boxes ({len(eval_sigs)} crops), {(~pos).sum():.0f} blank boxes; "
        f"false present {np.mean(pres[~pos]):.4f}, false absent {np.mean(~pres[pos]):.4f}"
    )
    for lo, hi in ((0.5, 0.9), (0.9, 0.99), (0.99, 1.01)):
        sel = (conf >= lo) & (conf < hi)
        if sel.any():
            print(
                f"  confidence {lo}-{hi}: {sel.sum()} answers, accuracy {correct[sel].mean():.4f}, mean conf {conf[sel].mean():.4f}"
            )
    print(f"total {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
