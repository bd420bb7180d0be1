"""The shared training data (handwritten digits, signature crops) and its fixed train/eval split.

The data sets live beside the repository in ``../shared/data`` (never shipped). Models train only on
the ``train`` split; the scan simulator fills forms for tests and benchmarks from the ``eval`` split,
so that measured accuracy is on handwriting and signatures the models have never seen.
"""

from __future__ import annotations

import csv
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

Split = Literal["train", "eval"]

MNIST_FILE = "handwriting/mnist_t10k_0-4999.npz"
SEMEION_FILE = "handwriting/semeion.npz"
SIGNATURES_DIR = "signatures/train"
MNIST_EVAL_FROM = 4000  # MNIST rows 4000-4999 are held out for evaluation
SEMEION_EVAL_FROM = 1274  # Semeion rows 1274-1592 (the last fifth, other writers) are held out


class SharedDataMissingError(RuntimeError):
    """The shared data folder is not where it should be."""


def shared_data_dir() -> Path:
    """``$KOPPLINGAR_SHARED_DATA``, else the first ``shared/data`` found beside a parent folder."""
    configured = os.environ.get("KOPPLINGAR_SHARED_DATA")
    if configured:
        return Path(configured)
    for start in (Path.cwd(), Path(__file__).resolve()):
        for parent in (start, *start.parents):
            candidate = parent.parent / "shared" / "data"
            if (candidate / MNIST_FILE).exists():
                return candidate
    raise SharedDataMissingError(
        "shared data not found: set KOPPLINGAR_SHARED_DATA or keep ../shared beside the repository"
    )


@dataclass(frozen=True)
class Digits:
    """Digit images, 0 = background, 255 = ink, with labels 0-9."""

    images: list[np.ndarray]
    labels: np.ndarray
    source: list[str]


@lru_cache(maxsize=4)
def handwritten_digits(split: Split) -> Digits:
    base = shared_data_dir()
    mnist = np.load(base / MNIST_FILE)
    semeion = np.load(base / SEMEION_FILE)
    m_slice = slice(MNIST_EVAL_FROM, None) if split == "eval" else slice(0, MNIST_EVAL_FROM)
    s_slice = slice(SEMEION_EVAL_FROM, None) if split == "eval" else slice(0, SEMEION_EVAL_FROM)
    m_images, m_labels = mnist["images"][m_slice], mnist["labels"][m_slice]
    s_images, s_labels = semeion["images"][s_slice], semeion["labels"][s_slice]
    images = [img for img in m_images] + [img for img in s_images]
    labels = np.concatenate([m_labels, s_labels]).astype(np.int64)
    source = ["mnist"] * len(m_images) + ["semeion"] * len(s_images)
    return Digits(images=images, labels=labels, source=source)


def signature_group(file_name: str) -> str:
    """The page group of a crop: one scanned document (and its signer) is never in both splits."""
    stem = file_name.removesuffix(".png")
    if stem.startswith("image_"):
        return "_".join(stem.split("_")[:2])
    return stem[:8]


def signature_split(file_name: str) -> Split:
    return "eval" if zlib.crc32(signature_group(file_name).encode()) % 5 == 0 else "train"


def signature_files(split: Split) -> Iterator[Path]:
    folder = shared_data_dir() / SIGNATURES_DIR
    with (folder / "index.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if signature_split(row["file"]) == split:
                yield folder / row["file"]
