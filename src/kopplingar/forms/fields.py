"""Read every field of an aligned form page: comb digits, text lines, the role tick and signatures.

The page is upright on the layout at ``align.WORK_DPI``, so every crop comes straight from
``layout.rect_px``. Comb boxes go cell by cell through the numpy digit classifier and the
constrained decoders of ``numbers`` (Luhn, length, a valid date); a number typed without its dash
lands one box off, and both placements are weighed. Text lines go through one in-process
tesseract instance for the whole page. Confidences here are raw scores; ``calibration`` maps them
to the probability of being right.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np

from kopplingar.forms import combs, digits, graylevels, numbers, tesseract
from kopplingar.forms.layout import (
    MM,
    SUBSCRIPTION_MAX_DIGITS,
    SUBSCRIPTION_MIN_DIGITS,
    FieldSpec,
    FormLayout,
)
from kopplingar.forms.opencv import components, cv2_module
from kopplingar.forms.signature import looks_like_printed_line, signature_presence

TEXT_FIELDS = (
    "company_name",
    "bureau_name",
    "company_signer_name",
    "bureau_signer_name",
    "contact_email",
)
EMAIL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZåäöÅÄÖ0123456789@._-+"


@dataclass
class FieldReading:
    value: str | None
    confidence: float  # raw, before calibration
    kind: str  # what produced it: org, subscription, date, text, choice
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class SignatureReading:
    present: bool
    confidence: float
    ink_fraction: float
    guard: str = ""  # which extra caution overruled the model, if any


def _crop(page: np.ndarray, layout: FormLayout, rect_px: tuple[float, ...]) -> np.ndarray:
    x0, y0, x1, y1 = (round(v) for v in rect_px)
    h, w = page.shape
    return page[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]


def _px(
    layout: FormLayout, spec_rect: object, dpi: float, grow_mm: float = 0.0
) -> tuple[float, ...]:
    box = layout.rect_px(spec_rect, dpi)  # type: ignore[arg-type]
    g = grow_mm * dpi / 25.4
    return (box.x0 - g, box.y0 - g, box.x1 + g, box.y1 + g)


def comb_cells(
    page: np.ndarray, layout: FormLayout, spec: FieldSpec, dpi: float
) -> list[np.ndarray]:
    """Each comb box as its own image: its whole strokes on clean paper (``combs``)."""
    rects = [layout.rect_px(r, dpi) for r in spec.cell_rects()]
    geo = combs.CombGeometry(
        x0=rects[0].x0,
        y0=rects[0].y0,
        cell_width=(rects[-1].x1 - rects[0].x0) / len(rects),
        cell_height=rects[0].y1 - rects[0].y0,
        cells=len(rects),
    )
    return combs.box_images(page, geo)


# --- numbers -----------------------------------------------------------------------------------


def _empty_p(probs: np.ndarray, index: int) -> float:
    return float(probs[index, digits.EMPTY])


def _all_empty(probs: np.ndarray) -> float:
    return float(np.prod(probs[:, digits.EMPTY]))


def read_org(probs: np.ndarray, spec: FieldSpec) -> FieldReading:
    """An organisationsnummer, with the dash in its printed box or typed without it (shifted)."""
    n = len(probs)
    p_blank = _all_empty(probs)
    digit_cells = spec.digit_cells()
    candidates: list[tuple[float, numbers.Reading, str]] = []
    raws: list[tuple[float, np.ndarray, str]] = []
    # placement A: ten digits in the boxes around the printed dash, the dash box holds no digit
    if len(digit_cells) == numbers.ORG_NUMBER_LENGTH:
        reading = numbers.best_org_number(probs[digit_cells])
        seps = [i for i in range(n) if i not in digit_cells]
        prior = float(np.prod([_empty_p(probs, i) for i in seps])) if seps else 1.0
        candidates.append((prior, reading, "boxes"))
        raws.append((prior, probs[digit_cells], "boxes"))
    # placement B: ten digits typed without the dash from the first box on, the last box empty
    if n > numbers.ORG_NUMBER_LENGTH and spec.separators:
        reading = numbers.best_org_number(probs[: numbers.ORG_NUMBER_LENGTH])
        rest = range(numbers.ORG_NUMBER_LENGTH, n)
        first_sep = min(spec.separators)
        prior = float(np.prod([_empty_p(probs, i) for i in rest])) * (
            1.0 - _empty_p(probs, first_sep)
        )
        candidates.append((prior, reading, "no_separator"))
        raws.append((prior, probs[: numbers.ORG_NUMBER_LENGTH], "no_separator"))
    total = sum(c[0] for c in candidates) + 1e-12
    if p_blank > 0.5:
        return FieldReading(None, p_blank, "org", {"raw": numbers.raw_reading(probs)})
    # every reading of both placements, weighted by how well its placement fits the empty boxes
    scored: dict[str, tuple[float, str, numbers.Reading]] = {}
    for prior, reading, placement in candidates:
        options = [(reading.value, reading.confidence), *reading.alternatives]
        for text, posterior in options:
            if not text:
                continue
            weight = posterior * prior / total * (1.0 - p_blank)
            if weight > scored.get(text, (-1.0, "", reading))[0]:
                scored[text] = (weight, placement, reading)
    # what the cells say without the check: a number written wrong must be reported as written
    # (the rules reject it as invalid), not "corrected" into a valid one nobody wrote
    invalid: tuple[float, str, str] | None = None
    for prior, cells, placement in raws:
        digits_only = cells[:, : digits.EMPTY]
        text = "".join(str(int(d)) for d in digits_only.argmax(axis=1))
        weight = float(np.prod(digits_only.max(axis=1))) * prior / total * (1.0 - p_blank)
        if not numbers.luhn_ok(text) and (invalid is None or weight > invalid[0]):
            invalid = (weight, text, placement)
    best_valid = max((w for w, _, _ in scored.values()), default=0.0)
    if invalid is not None and invalid[0] > best_valid:
        weight, text, placement = invalid
        return FieldReading(
            f"{text[:6]}-{text[6:]}",
            weight,
            "org_invalid",
            {"raw": numbers.raw_reading(probs), "placement": placement, "luhn_ok": False},
        )
    if not scored:
        return FieldReading(None, 0.0, "org", {"raw": numbers.raw_reading(probs)})
    ranked = sorted(scored.items(), key=lambda kv: kv[1][0], reverse=True)
    best, (confidence, placement, reading) = ranked[0]
    return FieldReading(
        f"{best[:6]}-{best[6:]}",
        confidence,
        "org",
        {
            "raw": reading.raw,
            "placement": placement,
            "luhn_ok": True,
            "alternatives": [(f"{t[:6]}-{t[6:]}", w) for t, (w, _, _) in ranked[1:8]],
        },
    )


def read_subscription(probs: np.ndarray, lo: int, hi: int) -> FieldReading:
    p_blank = _all_empty(probs)
    if p_blank > 0.5:
        return FieldReading(None, p_blank, "subscription", {"raw": numbers.raw_reading(probs)})
    reading = numbers.best_digits(probs, (lo, hi))
    return FieldReading(
        reading.value,
        reading.confidence * (1.0 - p_blank),
        "subscription",
        {"raw": reading.raw, "alternatives": reading.alternatives},
    )


def _calendar_day(text: str) -> dt.date | None:
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def date_prior(day: dt.date, today: dt.date) -> float:
    """How likely a signing date is before reading it: forms are signed shortly before they are
    mailed, so the last two years (and a few weeks ahead: a wrong clock, a slip) are usual, the
    decade around them possible, anything else rare. It decides between 2025 and 2075 when a
    handwritten 2 looks like a 7; a clear date far off is still read as written."""
    if today - dt.timedelta(days=731) <= day <= today + dt.timedelta(days=31):
        return 1.0
    if today - dt.timedelta(days=3653) <= day <= today + dt.timedelta(days=366):
        return 0.05
    return 0.002


def read_date(probs: np.ndarray, spec: FieldSpec, today: dt.date | None = None) -> FieldReading:
    """YYYY-MM-DD in its boxes (or typed without dashes): the most probable real calendar date,
    weighed by how plausible it is as a signing date (``date_prior``)."""
    today = today or dt.date.today()
    p_blank = _all_empty(probs)
    if p_blank > 0.5:
        return FieldReading(None, p_blank, "date", {"raw": numbers.raw_reading(probs)})
    digit_cells = spec.digit_cells()
    options: list[tuple[float, str]] = []
    placements = [(digit_cells, [i for i in range(len(probs)) if i not in digit_cells])]
    if spec.separators:
        placements.append((list(range(8)), list(range(8, len(probs)))))
    for cells, others in placements:
        if len(cells) != 8:
            continue
        prior = float(np.prod([_empty_p(probs, i) for i in others])) if others else 1.0
        reading = numbers.best_digits(probs[cells], (8, 8), left_aligned=True, keep=16)
        for value, score in [(reading.value, reading.confidence), *reading.alternatives]:
            day = _calendar_day(value) if value else None
            if value and day is not None:
                options.append((score * prior * date_prior(day, today), value))
    if not options:
        return FieldReading(None, 0.05, "date", {"raw": numbers.raw_reading(probs)})
    total = sum(s for s, _ in options) + 1e-12
    score, value = max(options)
    # the posterior of the best date among all placements, times how sure we are it is not blank
    confidence = min(1.0, score / max(total, score)) * min(1.0, total * 2) * (1.0 - p_blank)
    return FieldReading(f"{value[:4]}-{value[4:6]}-{value[6:]}", confidence, "date")


SURE_CELL = 0.97  # every box of a comb at least this sure: tesseract is not asked


def network_sure(probs: np.ndarray) -> bool:
    """Whether the digit network is sure of every box of a comb (digit, empty box and the dash's
    box alike: typed without its dash, an org number has a digit there). Then tesseract's
    tempered opinion cannot change the reading: on 2,445 generated dev combs (seeds
    620000-620299, 630000-630299) asking it only below this changed no value against asking it
    always, and it was not asked for half of them."""
    return len(probs) > 0 and float(np.asarray(probs).max(axis=1).min()) >= SURE_CELL


TYPED_HEIGHT_TOLERANCE = 0.05  # of the median ink height
TYPED_SHARE = 0.7  # of a comb's inked digit boxes


def looks_typed(heights: list[float]) -> bool:
    """Whether a comb's digits look typed: at least 70 % of its inked digit boxes hold ink within
    5 % of their median height (one font, one size), where handwritten digits vary. Tesseract's
    opinion helps on typed digits and misleads on handwriting: on generated dev combs (chosen on
    620000-620299, checked on 630000-630299) asking it only for unsure typed-looking combs read
    all typed combs as asking it always did and 12 more of 1,054 handwritten ones right. One
    inked box tells nothing: it counts as typed (tesseract is asked, as before)."""
    if len(heights) < 2:
        return True
    hs = np.asarray(heights, np.float64)
    median = float(np.median(hs))
    return float(np.mean(np.abs(hs - median) <= TYPED_HEIGHT_TOLERANCE * median)) >= TYPED_SHARE


def decode_comb(spec: FieldSpec, probs: np.ndarray, today: dt.date | None = None) -> FieldReading:
    """A comb's value from its cells' probabilities, by the field's rule: Luhn for org numbers,
    length for the subscription number, a plausible calendar date for sign dates."""
    if spec.name.endswith("org_number"):
        return read_org(probs, spec)
    if spec.name == "subscription_number":
        return read_subscription(probs, SUBSCRIPTION_MIN_DIGITS, SUBSCRIPTION_MAX_DIGITS)
    return read_date(probs, spec, today)


def read_combs(page: np.ndarray, layout: FormLayout, dpi: float) -> dict[str, FieldReading]:
    """Every comb field of the page, classified in one batch."""
    specs = [f for f in layout.fields if f.type == "comb"]
    cells: list[np.ndarray] = []
    spans: list[tuple[int, int]] = []
    for spec in specs:
        crops = comb_cells(page, layout, spec, dpi)
        spans.append((len(cells), len(cells) + len(crops)))
        cells.extend(crops)
    probs, scalars, has_ink = digits.classify_batch(cells, lines_removed=True)
    out: dict[str, FieldReading] = {}
    for spec, (a, b) in zip(specs, spans, strict=True):
        p = probs[a:b]
        seen: dict[int, int] = {}
        sure = network_sure(p)
        heights = [
            float(scalars[a + i, 1])
            for i in range(b - a)
            if has_ink[a + i] and i not in spec.separators
        ]
        typed = looks_typed(heights)
        if not sure and typed:
            evidence, seen = tesseract_cell_evidence(cells[a:b])
            p = fuse(p, evidence)
        reading = out[spec.name] = decode_comb(spec, p)
        if sure or not typed:  # each its own calibration group: tesseract was not asked
            reading.kind += "+sure" if sure else "+handwritten"
            continue
        # both readers independently saw the same digits, and no inked box is left out of the
        # value (tesseract may miss a digit the value dropped too): calibrated as its own group
        tess_digits = "".join(str(seen[i]) for i in sorted(seen))
        value_digits = re.sub(r"\D", "", reading.value or "")
        inked = sum(1 for i in range(b - a) if i not in spec.separators and _empty_p(p, i) < 0.5)
        if value_digits and tess_digits == value_digits and inked <= len(value_digits):
            reading.details["agreed"] = True
            reading.kind += "+agreed"
    return out


TESSERACT_WEIGHT = 0.7  # tesseract's per-cell evidence is tempered: it is weak on handwriting
GAP_PX = 30  # wide gaps: tesseract keeps neighbouring digits apart


def _cell_interior(cell: np.ndarray, height: int) -> np.ndarray:
    """A box's strokes binarised (tesseract misses a third of grey typed digits), centred on
    paper ``height`` pixels high so that the boxes line up as one line of text."""
    cv2 = cv2_module()
    if cell.size == 0 or tesseract.looks_blank(cell):
        return cell[:0]
    smooth = cv2.GaussianBlur(cell, (0, 0), 0.7)
    binary = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]
    above = (height - binary.shape[0]) // 2
    below = height - binary.shape[0] - above
    return np.pad(binary, ((above, below), (0, 0)), constant_values=255)


def tesseract_cell_evidence(cells: list[np.ndarray]) -> tuple[np.ndarray, dict[int, int]]:
    """Per cell, what tesseract read there as likelihoods over 0-9 and EMPTY (uniform where it
    read nothing), and the digit it read per cell. The interiors of the inked cells go through
    tesseract as one line (one call per comb field) and every character is put back into its
    cell by its position."""
    n = len(cells)
    evidence = np.ones((n, digits.N_CLASSES), np.float64)
    parts: list[np.ndarray] = []
    spans: list[tuple[int, int, int]] = []  # (cell, x0, x1) in the strip
    x = GAP_PX
    height = max((c.shape[0] for c in cells if c.size), default=0)
    inners = [_cell_interior(c, height) for c in cells]
    if height < 8:
        return evidence, {}
    for index, inner in enumerate(inners):
        if inner.size == 0:
            continue
        parts += [inner, np.full((height, GAP_PX), 255, np.uint8)]
        spans.append((index, x, x + inner.shape[1]))
        x += inner.shape[1] + GAP_PX
    if not parts:
        return evidence, {}
    strip = np.pad(np.hstack(parts), ((16, 16), (GAP_PX + 2, 16)), constant_values=255)
    try:
        symbols = tesseract.ocr_symbols(strip, tesseract.DIGITS, dark_on_white=True)
    except tesseract.TesseractTimeoutError:
        return evidence, {}
    seen: dict[int, tuple[int, float]] = {}
    for sym in symbols:
        if len(sym.text) != 1 or not sym.text.isdigit():
            continue
        centre = (sym.box[0] + sym.box[2]) / 2 - 2
        for index, x0, x1 in spans:
            inside = x0 - GAP_PX / 2 <= centre < x1 + GAP_PX / 2
            if inside and (index not in seen or sym.confidence > seen[index][1]):
                seen[index] = (int(sym.text), sym.confidence)
    for index, (digit, conf) in seen.items():
        c = float(np.clip(conf, 0.5, 0.97))
        row = np.full(digits.N_CLASSES, (1.0 - c) / 10.0)
        row[digit] = c
        evidence[index] = row**TESSERACT_WEIGHT
    return evidence, {index: digit for index, (digit, _) in seen.items()}


def fuse(probs: np.ndarray, evidence: np.ndarray) -> np.ndarray:
    """Classifier probabilities times tesseract's likelihoods, renormalised per cell."""
    fused = np.asarray(probs, np.float64) * evidence
    return np.asarray(fused / fused.sum(axis=1, keepdims=True))


# --- text ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Cleaned:
    """The text cleaner's result (``_cleaned``) and the ink components it kept (labels and stats
    of OpenCV's labelling), so that the line image need not label the same ink again."""

    binary: np.ndarray
    labels: np.ndarray
    stats: np.ndarray
    kept: np.ndarray  # per label
    ink_level: float  # the crop's 1st and 90th percentiles: its darkest ink and its paper
    paper_level: float


def _cleaned(crop: np.ndarray) -> _Cleaned:
    """Binarise (scanner grain and JPEG noise cost tesseract whole letters) and whiten what is
    left of the box border so that it is not read as I or |; ``crop`` must not be empty."""
    cv2 = cv2_module()
    smooth = cv2.GaussianBlur(crop, (0, 0), 0.8)
    _, binary = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    top, median, darkest, paper = graylevels.percentiles(crop, 99, 50, 1, 90)
    if int(top) - int(crop.min()) < 60:
        binary = np.full_like(crop, 255)  # no contrast: Otsu would turn grain into letters
    ink = (crop < min(160, int(median) - 40)).astype(np.uint8)
    h, w = crop.shape
    horizontal = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(10, w // 6)), np.uint8))
    vertical = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(10, int(h * 0.8)), 1), np.uint8))
    lines = cv2.dilate(horizontal | vertical, np.ones((3, 3), np.uint8)) > 0
    out = np.asarray(binary).copy()
    out[lines] = 255
    # specks and bits of the printed label that touch the crop's edge are not the value
    _, labels, stats, _ = components((out < 128).astype(np.uint8))
    x, y, bw, bh, area = (stats[:, k] for k in range(5))
    touches = (y == 0) | (y + bh >= h) | (x == 0) | (x + bw >= w)
    drop = (area < 6) | (touches & (bh < 0.35 * h))
    drop[0] = True  # the background
    if drop[1:].any():
        out[drop[labels] & (labels > 0)] = 255
    return _Cleaned(out, labels, stats, ~drop, darkest, paper)


def _border_dashes(cleaned: _Cleaned) -> np.ndarray:
    """Per label, whether it is one of the flat dashes in the top and bottom quarters that a
    broken box border leaves: one 12 px long or more, or short ones that together run along a
    quarter of the width (a jagged, aliased border). Text sits on the middle of the line, its
    hyphens and underscores too. (Also taking longer flat pieces of any height, a slanted
    border's, read 6 fewer of 1,066 typed dev values right.)"""
    h, w = cleaned.binary.shape
    _, y, bw, bh, _ = (cleaned.stats[:, k] for k in range(5))
    flat = cleaned.kept & (bh <= 4) & (bw >= 2 * bh)
    dashes = np.zeros(len(flat), bool)
    for band in (flat & (y + bh <= 0.25 * h), flat & (y >= 0.75 * h)):
        runs_along = int(bw[band].sum()) >= 0.25 * w
        dashes |= band & (runs_along | (bw >= 12))
    return dashes


def _text_line_image(crop: np.ndarray) -> np.ndarray:
    """The cleaned line in gray, not black and white: tesseract's LSTM reads the anti-aliased
    edges (l against i, å against a, rn against m) that binarising throws away. What the cleaner
    kept as ink, less a broken border's dashes (``_border_dashes``) and grown by two pixels so
    that the edges stay, is contrast-stretched from the darkest ink to the paper; everything
    else is white. On the names and e-mail addresses of generated dev scans (seeds
    640000-640199 and 650000-650199) 1,011 instead of 952 of 1,066 typed values were read
    exactly, 32 instead of 27 of 474 handwritten ones, and 129 instead of 127 of 130 empty boxes
    read as empty (with the two-character rule of ``read_texts``), for about 8 % more time on
    text lines; 1,016 with the block-mode retry of ``_line_words``."""
    if crop.size == 0:
        return crop
    cv2 = cv2_module()
    cleaned = _cleaned(crop)
    ink_mask = (cleaned.kept & ~_border_dashes(cleaned))[cleaned.labels]
    ink, paper = cleaned.ink_level, cleaned.paper_level
    stretched = np.clip((crop.astype(np.float32) - ink) * (255.0 / max(paper - ink, 1.0)), 0, 255)
    kept = cv2.dilate(ink_mask.astype(np.uint8), np.ones((5, 5), np.uint8))
    gray = np.where(kept > 0, stretched, 255).astype(np.uint8)
    return np.pad(gray, 12, constant_values=255)


def _ink_columns(crop: np.ndarray, margin: int = 12) -> np.ndarray:
    """A cleaned line crop narrowed to the columns with ink and a white margin: tesseract reads
    the whole width of a single-line crop, blank paper too (15 % of its time on name boxes)."""
    cols = np.flatnonzero((crop < 128).any(axis=0))
    if len(cols) == 0:
        return crop
    return crop[:, max(int(cols[0]) - margin, 0) : int(cols[-1]) + 1 + margin]


def _line_words(crop: np.ndarray, lang: str) -> tesseract.LineResult:
    """One line of text; unsure words at its ends (specks, bits of the border) are dropped."""
    line = _ink_columns(crop)
    found = tesseract.ocr_words(line, lang, psm=tesseract.PSM_SINGLE_LINE, dark_on_white=True)
    if not any(w.text for w in found):
        # tesseract's single-line mode sometimes gives up on a whole line (remains of a box
        # border above and below it); read as a block it finds the words
        found = tesseract.ocr_words(line, lang, psm=tesseract.PSM_SINGLE_BLOCK, dark_on_white=True)
    words = [w for w in found if w.text]
    while words and words[-1].confidence < 0.5 and len(words[-1].text) <= 3:
        words.pop()
    while words and words[0].confidence < 0.5 and len(words[0].text) <= 2:
        words.pop(0)
    if not words:
        return tesseract.LineResult("", 0.0)
    confidence = float(np.mean([w.confidence for w in words]))
    return tesseract.LineResult(" ".join(w.text for w in words), confidence)


def read_texts(page: np.ndarray, layout: FormLayout, dpi: float) -> dict[str, FieldReading]:
    """The text fields through one tesseract instance (a line each)."""
    names = [n for n in TEXT_FIELDS if n in layout.field_names]
    crops = []
    for name in names:
        spec = layout.field(name)
        # a little larger than the box: handwriting leaves it; the cleaner removes the border
        crops.append(_text_line_image(_crop(page, layout, _px(layout, spec.rect, dpi, 0.6))))
    # Swedish data for names; e-mail addresses through the English model, which knows "@"
    results = [
        _line_words(crop, "eng" if name == "contact_email" else "swe")
        for name, crop in zip(names, crops, strict=True)
    ]
    out: dict[str, FieldReading] = {}
    for name, crop, result in zip(names, crops, results, strict=True):
        blank = tesseract.looks_blank(crop)
        text = result.text.strip(" |_.,:;'\"")
        if name == "contact_email":
            text = text.replace(" ", "")
        if sum(ch.isalnum() for ch in text) < 2:
            # dashes and strokes (a box's remains, a crossed-out line) are no value, and one
            # letter (a border's remnant read as I) is no name or address either
            text = ""
        if blank or not text:
            out[name] = FieldReading(None, 0.95 if blank else 0.3, "text", {"blank": blank})
        else:
            out[name] = FieldReading(text, result.confidence, "text")
    return out


# --- ticks and signatures ------------------------------------------------------------------------


def _ink_share(crop: np.ndarray) -> float:
    if crop.size == 0:
        return 0.0
    paper = graylevels.percentile(crop, 95)
    return float(np.mean(crop < paper - 80))


def read_role(page: np.ndarray, layout: FormLayout, dpi: float) -> FieldReading:
    """Which role box is ticked: the one with clearly more ink inside its border."""
    spec = layout.field("company_signer_role")
    shares = {
        o.value: _ink_share(_crop(page, layout, _px(layout, o.rect.inset(0.9 * MM), dpi)))
        for o in spec.options
    }
    ranked = sorted(shares.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    details: dict[str, object] = {"ink": {k: round(v, 4) for k, v in shares.items()}}
    if top < 0.03:
        return FieldReading(None, float(np.clip(1.0 - top / 0.03, 0.5, 0.99)), "choice", details)
    if second >= 0.03 and second > 0.5 * top:
        return FieldReading(None, 0.2, "choice", details)  # both ticked: a person decides
    margin = (top - second) / top
    return FieldReading(
        best, float(np.clip(0.5 + 0.5 * margin * min(top / 0.06, 1.0), 0, 0.999)), "choice", details
    )


SIGNATURE_MARGIN_MM = 1.2
DOUBT = 0.6  # confidence of an "absent" we reached by overruling the model: a person looks


def _interior_ink(crop: np.ndarray, margin_px: int) -> np.ndarray:
    """Ink inside the box border (long straight lines removed)."""
    cv2 = cv2_module()
    inner = crop[margin_px:-margin_px, margin_px:-margin_px] if margin_px else crop
    if inner.size == 0:
        return np.zeros((0, 0), bool)
    paper = graylevels.percentile(inner, 90)
    ink = (inner < paper - 70).astype(np.uint8)
    h, w = ink.shape
    lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, max(15, w // 4)), np.uint8)) | (
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((max(15, int(h * 0.6)), 1), np.uint8))
    )
    ink = ((ink > 0) & (cv2.dilate(lines, np.ones((5, 5), np.uint8)) == 0)).astype(np.uint8)
    # specks and dust are not where the ink "is": keep components of some size only
    n, labels, stats, _ = components(ink)
    keep = np.zeros(n, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= max(25, ink.size // 4000)
    return np.asarray(keep[labels])


EDGE_REACH = 0.1  # ink this close to a side (share of the box height) may have come in across it


def ink_only_at_edges(crop: np.ndarray, margin_px: int) -> bool:
    """Ink only in a side band or corner of the box that reaches a side: a stamp's edge or a
    neighbour's mark coming in from outside, not a signature. Ink that keeps clear of every side
    did not come in from outside: a signature written small in a corner is left to the model."""
    ink = _interior_ink(crop, margin_px)
    total = int(ink.sum())
    if total == 0:
        return True
    h, w = ink.shape
    ys, xs = np.nonzero(ink)
    gap = min(int(ys.min()), h - 1 - int(ys.max()), int(xs.min()), w - 1 - int(xs.max()))
    core = ink[int(h * 0.2) : int(h * 0.8), int(w * 0.18) : int(w * 0.82)]
    if int(core.sum()) < 0.12 * total and gap <= EDGE_REACH * h:
        return True
    # ink that comes in across one side and stays near it (the rim of a stamp beside the box)
    edge = 3
    bands = (
        (ys.max() < 0.3 * h, ink[:edge].any()),
        (ys.min() > 0.7 * h, ink[-edge:].any()),
        (xs.max() < 0.22 * w, ink[:, :edge].any()),
        (xs.min() > 0.78 * w, ink[:, -edge:].any()),
    )
    return any(near and touching for near, touching in bands)


def without_printed_words(crop: np.ndarray) -> tuple[np.ndarray, int]:
    """The box with every confidently recognised printed word whitened, and how many there were:
    a typed or stamped name is not a signature. Tesseract reads the box as the text cleaner
    leaves it (binarised, border and specks gone): on the raw box it found no word at all for
    40 % of signed boxes and had to read the cleaned one too. On generated dev boxes (seeds
    620000-620299, 630000-630299) reading only the cleaned box vetoed 1,266 instead of 1,259 of
    1,276 boxes holding only a name typed in a font no network was trained on, wrongly vetoed 0
    instead of 2 of 764 signatures, and took 12 % less time per box. The box is paper with dark
    ink, so tesseract is told not to read unsure words again inverted (a quarter faster)."""
    try:
        cleaned = _cleaned(crop).binary if crop.size else crop
        words = tesseract.ocr_words(cleaned, dark_on_white=True)
    except tesseract.TesseractTimeoutError:
        return crop, 0
    out = crop.copy()
    count = 0
    # words are filled with the paper, not white: a white patch on grey paper is a shape
    paper = round(graylevels.percentile(crop, 90))

    def wordlike(word: tesseract.Word) -> bool:
        letters = sum(ch.isalpha() for ch in word.text)
        return letters >= 2 and letters >= 0.6 * len(word.text)

    # one confidently printed word makes its less certain neighbours printed words too
    sure = any(w.confidence >= 0.75 and wordlike(w) for w in words)
    for word in words:
        if sure and word.confidence >= 0.5 and wordlike(word):
            x0, y0, x1, y1 = word.box
            out[max(y0 - 2, 0) : y1 + 2, max(x0 - 2, 0) : x1 + 2] = paper
            count += 1
    return out, count


def read_signatures(
    page: np.ndarray, layout: FormLayout, dpi: float
) -> dict[str, SignatureReading]:
    """Presence per signature box of the page (``judge_signature_box``)."""
    margin = round(SIGNATURE_MARGIN_MM * dpi / 25.4)
    return {
        box.party: judge_signature_box(
            _crop(page, layout, _px(layout, box.rect, dpi, SIGNATURE_MARGIN_MM)), margin
        )
        for box in layout.signatures
    }


def judge_signature_box(crop: np.ndarray, margin: int) -> SignatureReading:
    """Presence from ``signature_presence``, only ever made more cautious here: a box whose ink
    sits only at its edges, is shaped like one printed line, or is printed words once they are
    taken away, is not called signed (a person looks instead). ``crop``: the box with ``margin``
    pixels of paper around its border."""
    present, confidence, features = signature_presence(crop)
    guard = ""
    if present and ink_only_at_edges(crop, margin + 4):
        present, confidence, guard = False, DOUBT, "edge_ink"
    if present and looks_like_printed_line(features):
        present, confidence, guard = False, DOUBT, "printed_line"
    if present:
        cleaned, words = without_printed_words(crop)
        if words:
            still, conf2, _ = signature_presence(cleaned)
            if not still:
                present, confidence, guard = False, DOUBT, "printed_text"
            else:
                confidence = min(confidence, conf2)
    reading = SignatureReading(bool(present), float(confidence), features.ink_fraction)
    if guard:
        reading.guard = guard
    return reading
