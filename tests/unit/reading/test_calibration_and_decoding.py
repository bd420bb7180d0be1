"""Calibration maps and the reader's number decoding rules (no OCR)."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np

from kopplingar.forms import calibration, digits, fields
from kopplingar.forms.layout import get_layout
from kopplingar.forms.reader import canonical, interpret_qr
from kopplingar.forms.simulator import SAMPLE_SECRET


def test_isotonic_map_is_monotone_and_conservative() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, 2000)
    y = rng.uniform(0, 1, 2000) < x  # a score that is exactly P(correct)
    xs, ys = calibration.isotonic(x, y, min_bin=50)
    assert np.all(np.diff(ys) >= 0)
    mapped = np.interp(x, xs, ys)
    high = mapped >= 0.9
    assert high.any() and y[high].mean() >= 0.9  # what it calls >= 0.9 is right that often


def test_shipped_table_is_monotone_per_kind() -> None:
    for kind in ("org", "subscription", "date", "text"):
        values = [calibration.calibrate(kind, r) for r in np.linspace(0, 1, 21)]
        assert all(b >= a - 1e-9 for a, b in itertools.pairwise(values))
    for kind, (xs, ys) in calibration._table().items():  # what np.interp needs
        assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) >= 0), kind


def _onehot(text: str) -> np.ndarray:
    probs = np.full((len(text), digits.N_CLASSES), 0.001)
    for i, ch in enumerate(text):
        probs[i, digits.EMPTY if ch == "_" else int(ch)] = 1.0
    return probs / probs.sum(axis=1, keepdims=True)


def test_org_number_in_its_boxes_or_typed_without_dash() -> None:
    spec = get_layout("connect").field("company_org_number")
    boxed = fields.read_org(_onehot("556677_8899"), spec)
    shifted = fields.read_org(_onehot("5566778899_"), spec)
    assert boxed.value == shifted.value == "556677-8899"
    assert boxed.details["placement"] == "boxes" and shifted.details["placement"] == "no_separator"


def test_confidently_written_invalid_org_number_is_reported_as_written() -> None:
    spec = get_layout("connect").field("company_org_number")
    reading = fields.read_org(_onehot("556677_8898"), spec)  # fails the Luhn check
    assert reading.value == "556677-8898" and reading.details["luhn_ok"] is False


def test_blank_comb_is_empty() -> None:
    spec = get_layout("connect").field("company_org_number")
    assert fields.read_org(_onehot("_" * 11), spec).value is None
    assert fields.read_subscription(_onehot("_" * 12), 4, 12).value is None


def test_tesseract_is_asked_only_when_the_network_is_unsure_of_a_box() -> None:
    """Every box at least SURE_CELL sure (digits, empty boxes and the dash's box alike): no
    second opinion; one unsure box, whichever, and tesseract is asked."""
    for text in ("556677_8899", "5566778899_"):  # in its boxes, or typed without the dash
        sure = _onehot(text)
        assert fields.network_sure(sure)
        for box in (0, 6, len(text) - 1):  # a digit; the dash's box; the last box
            unsure = sure.copy()
            unsure[box, unsure[box].argmax()] = fields.SURE_CELL - 0.01
            assert not fields.network_sure(unsure)
    assert not fields.network_sure(_onehot("")[:0])


def test_typed_combs_have_digits_of_one_height_and_handwritten_ones_do_not() -> None:
    typed = [0.40, 0.41, 0.40, 0.40, 0.39, 0.40, 0.41]
    assert fields.looks_typed(typed)
    # a speck in an empty box or one damaged digit does not make typed digits look handwritten
    assert fields.looks_typed([*typed, 0.2, 0.21])
    handwritten = [0.40, 0.52, 0.35, 0.47, 0.38, 0.58, 0.44]
    assert not fields.looks_typed(handwritten)
    assert fields.looks_typed([0.5])  # one box tells nothing: tesseract is asked as before
    assert fields.looks_typed([])


def test_dates_must_be_real_days() -> None:
    spec = get_layout("connect").field("company_sign_date")
    assert fields.read_date(_onehot("2025_11_09"), spec).value == "2025-11-09"
    bad = fields.read_date(_onehot("2025_13_45"), spec)
    assert bad.value != "2025-13-45" and bad.confidence < 0.5


def test_an_unsure_year_digit_is_read_as_a_recent_date() -> None:
    spec = get_layout("connect").field("company_sign_date")
    probs = _onehot("2025_11_09")
    probs[2] = 0.0
    probs[2, 7], probs[2, 2] = 0.6, 0.4  # the classifier leans to 2075
    today = dt.date(2026, 1, 10)
    assert fields.read_date(probs, spec, today=today).value == "2025-11-09"
    # a date written clearly stays what was written, however old
    old = fields.read_date(_onehot("2011_03_04"), spec, today=today)
    assert old.value == "2011-03-04"
    assert fields.date_prior(dt.date(2011, 3, 4), today) < fields.date_prior(
        dt.date(2025, 1, 1), today
    )


def test_canonical_values() -> None:
    assert canonical("company_org_number", "5566778899") == "556677-8899"
    assert canonical("bureau_sign_date", "20251109") == "2025-11-09"
    assert canonical("company_name", "  ") is None


def test_qr_interpretation() -> None:
    from kopplingar.forms import qrpayload

    good = qrpayload.encode("disconnect", "1", "PC-000042", SAMPLE_SECRET)
    info = interpret_qr(good, SAMPLE_SECRET)
    assert (info.kind, info.version, info.form_id, info.form_id_valid) == (
        "disconnect",
        "1",
        "PC-000042",
        True,
    )
    forged = good.replace("PC-000042", "PC-000043")
    info = interpret_qr(forged, SAMPLE_SECRET)
    assert info.form_id == "PC-000043" and info.form_id_valid is False
    assert interpret_qr("https://example.com", SAMPLE_SECRET).kind is None
    blank = interpret_qr("KPL1:C:1", SAMPLE_SECRET)
    assert blank.kind == "connect" and blank.form_id_valid is None


def test_a_long_run_of_right_answers_earns_a_high_confidence() -> None:
    """500 scores all right: one knot on all 500 (lower bound > 0.99), not twenty bins of 25
    each capped at their own small-sample bound (0.94)."""
    x = np.linspace(0.9, 1.0, 500)
    _, ys = calibration.isotonic(x, np.ones(500, bool), min_bin=25)
    assert ys[-1] > 0.99
    mixed = np.r_[np.zeros(50, bool), np.ones(450, bool)]
    _, ys_mixed = calibration.isotonic(x, mixed, min_bin=25)
    assert ys_mixed[0] < 0.1 and ys_mixed[-1] > 0.98


def test_signature_calibration_never_makes_present_more_confident() -> None:
    for raw in np.linspace(0.5, 1.0, 11):
        assert calibration.calibrate_signature("signature_present", raw, present=True) <= raw + 1e-9
    # a group without a map keeps the model's own probability
    assert calibration.calibrate_signature("signature_guarded", 0.6, present=False) == 0.6


def test_a_wide_block_keeps_its_own_accuracy_up_to_its_highest_score() -> None:
    """Scores 0.30-0.97 right 80 % of the time, then 0.99 always right: a 0.95 is worth 0.8-ish,
    not a value between the two blocks' accuracies."""
    rng = np.random.default_rng(9)
    low_x = rng.uniform(0.30, 0.97, 400)
    low_y = rng.uniform(0, 1, 400) < 0.8
    x = np.r_[low_x, np.full(200, 0.99)]
    y = np.r_[low_y, np.ones(200, bool)]
    xs, ys = calibration.isotonic(x, y, min_bin=25)
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) >= 0)
    assert np.interp(0.95, xs, ys) < 0.85
    assert np.interp(0.99, xs, ys) > 0.97
    tied = calibration.isotonic(np.full(100, 0.5), np.ones(100, bool), min_bin=25)
    assert len(tied[0]) == 1  # equal scores are one block, never split


def test_a_raw_score_below_all_fitted_scores_is_not_lifted() -> None:
    """The "agreed" maps start where their data did (0.68 for subscriptions): a reading whose
    decoder found no explanation for an inked box (raw 0.0001) must stay far from trusted."""
    for kind, (xs, ys) in calibration._table().items():
        if kind.startswith("signature") or xs[0] < 0.01:
            continue  # signatures have their own rule; a map fitted down to 0 has data there
        assert calibration.calibrate(kind, 1e-4) < 0.01, kind
        half = calibration.calibrate(kind, xs[0] / 2)
        assert abs(half - ys[0] / 2) < 1e-6, kind
        assert calibration.calibrate(kind, float(xs[-1])) == float(ys[-1])
