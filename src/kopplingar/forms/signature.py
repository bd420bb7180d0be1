"""Is a signature box signed? Presence with a confidence that means P(correct).

The input is the crop of one signature box from an aligned page with a small margin, so box
borders may show as lines near the edges. A small CNN (``scripts/train_signature.py``, run here in
numpy) looks at the whole box with the paper level flattened and gives P(signed). It was trained on
synthetic boxes: real signature crops of the train split pasted into boxes, and hard negatives:
noise, dust, hair, fold lines, stamp edges, misaligned borders, typed names, JPEG, fax. Its
decision threshold lies above every hard negative of the training run: a blank box judged signed
is the worst error we can make, a signed box judged blank only sends the case to a person.

Beside the network, hand-made measures of the cleaned ink (binarised against the noise, long
straight lines and dust removed) gate and guard it: a box with no ink left after cleaning is never
called signed, and the reader's guards (``fields.read_signatures``) use the shape of that ink.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kopplingar.forms import nets
from kopplingar.forms.opencv import components, cv2_module

MODEL_PATH = Path(__file__).parent / "models" / "signature.npz"
# A second network of the same shape, trained with names typed in six faces (the first saw one):
# below PRINT_VETO it overrules a "signed". On generated dev boxes (seeds 620000-620299 and
# 630000-630299) it vetoed none of 799 boxes the first network rightly called signed, and it took
# 89 of 105 typed names in faces neither network was trained on that the first called signed
# (``scripts/eval_signature_print.py``). A veto answers "absent" with VETOED_CONFIDENCE: a person
# looks.
PRINT_MODEL_PATH = Path(__file__).parent / "models" / "signature_print.npz"
PRINT_VETO = 0.5
VETOED_CONFIDENCE = 0.6
NORMAL_HEIGHT = 120  # boxes are analysed at this height; the features are scale-free


@dataclass(frozen=True)
class SignatureFeatures:
    """Measures of the ink left after cleaning: the gate (no ink, no signature) and the shape the
    printed-line guard looks at."""

    ink_fraction: float  # cleaned ink pixels / box area, per cent
    n_components: float  # components that survived cleaning
    row_concentration: float  # share of ink in its densest 20 % band of rows (printed text: high)
    height_variation: float  # IQR of the parts' heights / their median (letters: low)
    baseline_spread: float  # IQR of the parts' bottoms / median height (one line of print: low)


# A printed line: one dense band of rows, five or more parts of similar height standing on one
# baseline. On generated scans (seeds 620000-620299 and 630000-630299) this matched 39 of the
# 46 boxes holding only a typed name, and 10 of 776 signed boxes.
LINE_ROW_CONCENTRATION = 0.9
LINE_HEIGHT_VARIATION = 0.6
LINE_BASELINE_SPREAD = 0.35
LINE_MIN_PARTS = 5


def looks_like_printed_line(features: SignatureFeatures) -> bool:
    """The box's ink is shaped like one line of print (a typed name, a stamp's text line) rather
    than handwriting: a second line of defence beside the OCR of printed words, which a blurred
    phone capture or a stamp's typeface can defeat."""
    return bool(
        features.ink_fraction > 0
        and features.n_components >= LINE_MIN_PARTS
        and features.row_concentration >= LINE_ROW_CONCENTRATION
        and features.height_variation <= LINE_HEIGHT_VARIATION
        and features.baseline_spread <= LINE_BASELINE_SPREAD
    )


def _normalise(box: np.ndarray) -> np.ndarray:
    """Resize to NORMAL_HEIGHT and flatten the paper to 255 (removes shading and tinted paper)."""
    cv2 = cv2_module()
    gray = np.asarray(box)
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    scale = NORMAL_HEIGHT / h
    width = max(8, min(round(w * scale), NORMAL_HEIGHT * 12))
    small = cv2.resize(gray.astype(np.uint8), (width, NORMAL_HEIGHT), interpolation=cv2.INTER_AREA)
    background = cv2.medianBlur(cv2.dilate(small, np.ones((7, 7), np.uint8)), 31)
    flat = 255.0 - np.clip(background.astype(np.float32) - small.astype(np.float32), 0, 255)
    return np.asarray(flat, dtype=np.uint8)


def _ink_mask(flat: np.ndarray) -> np.ndarray:
    """Ink = darker than the paper by well more than the noise (robust to speckle and grain)."""
    darkness = 255.0 - flat.astype(np.float32)
    mad = float(np.median(np.abs(darkness - np.median(darkness))))
    threshold = max(55.0, 6.0 * 1.4826 * mad)
    return darkness > threshold


def _line_mask(ink: np.ndarray) -> np.ndarray:
    """Long straight lines: morphological opening for axis-parallel ones, Hough for slanted."""
    cv2 = cv2_module()
    h, w = ink.shape
    ink8 = ink.astype(np.uint8) * 255
    horizontal = cv2.morphologyEx(
        ink8, cv2.MORPH_OPEN, np.ones((1, max(15, int(w * 0.25))), np.uint8)
    )
    vertical = cv2.morphologyEx(ink8, cv2.MORPH_OPEN, np.ones((max(15, int(h * 0.6)), 1), np.uint8))
    lines = horizontal | vertical
    min_len = int(0.6 * h)
    segments = cv2.HoughLinesP(
        ink8, 1, np.pi / 180, threshold=min_len, minLineLength=min_len, maxLineGap=3
    )
    if segments is not None:
        for x1, y1, x2, y2 in np.asarray(segments).reshape(-1, 4)[:50]:
            cv2.line(lines, (int(x1), int(y1)), (int(x2), int(y2)), 255, 3)
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    return np.asarray(lines > 0)


def extract_features(box_img: np.ndarray) -> SignatureFeatures:
    """Features of the ink left after cleaning."""
    return _features(_normalise(box_img))


def _features(flat: np.ndarray) -> SignatureFeatures:
    cv2 = cv2_module()
    h, w = flat.shape
    ink = _ink_mask(flat)
    ink &= ~_line_mask(ink)
    # the outer 3 % is where misaligned borders and neighbouring print live
    mh, mw = max(2, int(h * 0.03)), max(2, int(w * 0.03))
    ink[:mh, :] = False
    ink[-mh:, :] = False
    ink[:, :mw] = False
    ink[:, -mw:] = False
    n, labels, stats, _ = components(ink.astype(np.uint8))
    min_area = 12  # dust at NORMAL_HEIGHT (about 0.3 mm² at 300 dpi for a 20 mm box)
    keep = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area]
    if not keep:
        return SignatureFeatures(0, 0, 0, 0, 0)
    keep_mask = np.zeros(n, bool)
    keep_mask[keep] = True
    clean = keep_mask[labels]
    total = float(clean.sum())
    kept = stats[keep].astype(np.float64)
    heights = kept[:, cv2.CC_STAT_HEIGHT]
    bottoms = kept[:, cv2.CC_STAT_TOP] + heights
    median_height = max(float(np.median(heights)), 1.0)
    rows = clean.sum(axis=1).astype(np.float64)
    window = np.convolve(rows, np.ones(max(1, int(h * 0.2))), mode="valid")
    return SignatureFeatures(
        ink_fraction=total / float(h * w) * 100,
        n_components=float(len(keep)),
        row_concentration=float(window.max() / total),
        height_variation=_iqr(heights) / median_height,
        baseline_spread=_iqr(bottoms) / median_height,
    )


def _iqr(values: np.ndarray) -> float:
    """Interquartile range (0 for fewer than three values: no spread to speak of)."""
    if len(values) < 3:
        return 0.0
    q1, q3 = np.percentile(values, [25, 75])
    return float(q3 - q1)


NETWORK_SIZE = (48, 192)  # the box as the network sees it: rows, columns


def network_input(box_img: np.ndarray) -> np.ndarray:
    """The box with its paper flattened, as darkness in 0..1 at ``NETWORK_SIZE``."""
    return _network_input(_normalise(box_img))


def _network_input(flat: np.ndarray) -> np.ndarray:
    cv2 = cv2_module()
    darkness = (255.0 - flat.astype(np.float32)) / 255.0
    rows, cols = NETWORK_SIZE
    return np.asarray(cv2.resize(darkness, (cols, rows), interpolation=cv2.INTER_AREA))


def _load(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {k: data[k].astype(np.float32) for k in data.files}


@lru_cache(maxsize=1)
def network_weights() -> dict[str, np.ndarray]:
    return _load(MODEL_PATH)


@lru_cache(maxsize=1)
def print_network_weights() -> dict[str, np.ndarray]:
    return _load(PRINT_MODEL_PATH)


def network_logit(images: np.ndarray, wts: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Logits (n,) of P(signed) for network inputs (n, rows, cols): four conv3×3-ReLU-pool stages,
    global max and mean pooling, one hidden layer. ``wts``: another network's (default: the
    first)."""
    wts = wts if wts is not None else network_weights()
    x = np.ascontiguousarray(images[..., None], dtype=np.float32)
    for i in range(1, 5):
        x = nets.conv3x3_relu(x, wts[f"conv{i}_w"], wts[f"conv{i}_b"], pool=True)
    x = np.concatenate([x.max(axis=(1, 2)), x.mean(axis=(1, 2))], axis=1)
    x = np.maximum(x @ wts["fc1_w"].T + wts["fc1_b"], 0)
    return np.asarray((x @ wts["fc2_w"].T + wts["fc2_b"])[:, 0], dtype=np.float64)


def network_probability(image: np.ndarray, wts: dict[str, np.ndarray] | None = None) -> float:
    """P(signed) for one network input (rows, cols)."""
    z = float(network_logit(image[None], wts)[0])
    return float(1.0 / (1.0 + np.exp(-np.clip(z, -60, 60))))


def decision_threshold() -> float:
    return float(network_weights()["threshold"][0])


def signature_presence(box_img: np.ndarray) -> tuple[bool, float, SignatureFeatures]:
    """(present, confidence in the answer, features). A box with no ink left after cleaning is
    never called signed, whatever the network says; nor is one the print-trained network vetoes."""
    flat = _normalise(box_img)
    features = _features(flat)
    if features.ink_fraction == 0:
        return False, 0.999, features
    image = _network_input(flat)
    p_signed = network_probability(image)
    present = p_signed >= decision_threshold()
    if present and network_probability(image, print_network_weights()) < PRINT_VETO:
        return False, VETOED_CONFIDENCE, features
    return present, (p_signed if present else 1.0 - p_signed), features
