"""Is a signature box signed? Presence with a confidence that means P(correct).

The input is the crop of one signature box from an aligned page with a small margin, so box
borders may show as lines near the edges. The steps: normalise the paper level, binarise against
the estimated noise, remove long straight lines (box borders, fold lines, stamp edges; Hough for
slanted ones), drop dust-sized components, then describe the remaining ink (amount, spread,
component sizes, stroke direction variety, curvature). A logistic model trained on synthetic boxes
(``scripts/train_signature.py``: real signature crops of the train split pasted into boxes, and
hard negatives: noise, dust, hair, fold lines, stamp edges, misaligned borders, printed text, JPEG,
fax) turns the features into P(signed). The decision threshold is set so that no hard negative of
the training run was judged signed: a blank box judged signed is the worst error we can make, a
signed box judged blank only sends the case to a person.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kopplingar.forms.opencv import cv2_module

MODEL_PATH = Path(__file__).parent / "models" / "signature.npz"
NORMAL_HEIGHT = 120  # boxes are analysed at this height; the features are scale-free


@dataclass(frozen=True)
class SignatureFeatures:
    ink_fraction: float  # cleaned ink pixels / box area
    n_components: float  # components that survived cleaning
    largest_component: float  # area of the largest component / box area
    height_spread: float  # vertical extent of the ink / box height
    width_spread: float  # horizontal extent / box width
    direction_entropy: float  # variety of stroke directions (0 = all parallel), bits
    curvature: float  # ink perimeter^2 / area of the largest components: wiggly strokes score high
    removed_lines: float  # fraction of raw ink removed as straight lines
    tall_components: float  # components taller than 25 % of the box (signatures), count
    row_concentration: float  # share of ink in its densest 20 % band of rows (printed text: high)
    # shape of a printed line, for the printed-line guard only (not model inputs):
    height_variation: float  # IQR of the parts' heights / their median (letters: low)
    baseline_spread: float  # IQR of the parts' bottoms / median height (one line of print: low)

    def vector(self) -> np.ndarray:
        """The model's inputs: every feature but the printed-line shape."""
        values = asdict(self)
        return np.array([values[name] for name in MODEL_FEATURES], dtype=np.float64)


MODEL_FEATURES = (
    "ink_fraction",
    "n_components",
    "largest_component",
    "height_spread",
    "width_spread",
    "direction_entropy",
    "curvature",
    "removed_lines",
    "tall_components",
    "row_concentration",
)

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


def _direction_entropy(mask: np.ndarray) -> float:
    cv2 = cv2_module()
    img = mask.astype(np.float32)
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    sel = mag > 0.5
    if sel.sum() < 10:
        return 0.0
    angle = np.mod(np.arctan2(gy[sel], gx[sel]), np.pi)
    hist, _ = np.histogram(angle, bins=12, range=(0, np.pi), weights=mag[sel])
    prob = hist / hist.sum()
    prob = prob[prob > 0]
    return float(-(prob * np.log2(prob)).sum())


def extract_features(
    box_img: np.ndarray, printed_name_band: tuple[int, int] | None = None
) -> SignatureFeatures:
    """Features of the ink left after cleaning; ``printed_name_band`` = (top, bottom) rows to ignore."""
    cv2 = cv2_module()
    original_h = np.asarray(box_img).shape[0]
    flat = _normalise(box_img)
    h, w = flat.shape
    ink = _ink_mask(flat)
    raw_ink = int(ink.sum())
    lines = _line_mask(ink)
    ink &= ~lines
    if printed_name_band is not None:
        top, bottom = (round(v * h / original_h) for v in printed_name_band)
        ink[max(top, 0) : max(bottom, 0), :] = False
    # the outer 3 % is where misaligned borders and neighbouring print live
    mh, mw = max(2, int(h * 0.03)), max(2, int(w * 0.03))
    ink[:mh, :] = False
    ink[-mh:, :] = False
    ink[:, :mw] = False
    ink[:, -mw:] = False
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    min_area = 12  # dust at NORMAL_HEIGHT (about 0.3 mm² at 300 dpi for a 20 mm box)
    keep = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area]
    clean = np.isin(labels, keep) if keep else np.zeros_like(ink)
    area = float(h * w)
    total = float(clean.sum())
    if total == 0:
        return SignatureFeatures(
            0, 0, 0, 0, 0, 0, 0, raw_ink and (raw_ink - total) / raw_ink, 0, 0, 0, 0
        )
    ys, xs = np.nonzero(clean)
    kept = stats[keep].astype(np.float64)
    areas, heights = kept[:, cv2.CC_STAT_AREA], kept[:, cv2.CC_STAT_HEIGHT]
    bottoms = kept[:, cv2.CC_STAT_TOP] + heights
    big = [keep[k] for k in np.argsort(-areas)[:5]]
    perimeter = 0.0
    for i in big:
        contours, _ = cv2.findContours(
            (labels == i).astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE
        )
        perimeter += sum(cv2.arcLength(c, True) for c in contours)
    big_area = float(sum(stats[i, cv2.CC_STAT_AREA] for i in big))
    median_height = max(float(np.median(heights)), 1.0)
    rows = clean.sum(axis=1).astype(np.float64)
    band = max(1, int(h * 0.2))
    window = np.convolve(rows, np.ones(band), mode="valid")
    return SignatureFeatures(
        ink_fraction=total / area * 100,
        n_components=float(len(keep)),
        largest_component=float(areas.max()) / area * 100,
        height_spread=float(ys.max() - ys.min() + 1) / h,
        width_spread=float(xs.max() - xs.min() + 1) / w,
        direction_entropy=_direction_entropy(clean),
        curvature=perimeter**2 / max(big_area, 1.0) / 100,
        removed_lines=(raw_ink - total) / raw_ink if raw_ink else 0.0,
        tall_components=float((heights > 0.25 * h).sum()),
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


def model_inputs(vectors: np.ndarray) -> np.ndarray:
    """Feature vectors → model inputs: log-compressed counts and sizes, plus pairwise products."""
    v = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    out = v.copy()
    for col in (0, 1, 2, 6, 8):
        out[:, col] = np.log1p(v[:, col])
    # pairwise products let the logistic model express "much ink AND varied directions" etc.
    rows, cols = np.triu_indices(out.shape[1])
    return np.hstack([out, out[:, rows] * out[:, cols]])


@lru_cache(maxsize=1)
def _model() -> dict[str, np.ndarray]:
    with np.load(MODEL_PATH) as data:
        return {k: data[k].astype(np.float64) for k in data.files}


def probability_signed(features: SignatureFeatures | np.ndarray) -> float:
    """P(signed) from the logistic model (calibrated on the training run's held-out boxes)."""
    m = _model()
    vec = features.vector() if isinstance(features, SignatureFeatures) else features
    x = (model_inputs(vec) - m["mean"]) / m["std"]
    z = float((x @ m["coef"])[0] + m["intercept"][0])
    return float(1.0 / (1.0 + np.exp(-z)))


def decision_threshold() -> float:
    return float(_model()["threshold"][0])


def signature_presence(
    box_img: np.ndarray, *, printed_name_band: tuple[int, int] | None = None
) -> tuple[bool, float, SignatureFeatures]:
    """(present, confidence in the answer, features). Blank-looking boxes are never called signed."""
    features = extract_features(box_img, printed_name_band)
    if features.ink_fraction == 0:
        return False, 0.999, features
    p_signed = probability_signed(features)
    present = p_signed >= decision_threshold()
    return present, (p_signed if present else 1.0 - p_signed), features
