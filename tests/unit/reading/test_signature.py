"""Signature presence: never a blank box judged signed; most real signatures caught."""

from __future__ import annotations

import numpy as np
import pytest

from kopplingar.forms import datasets, signature, sigsynth

pytestmark = pytest.mark.timeout(120)


def test_blank_and_clean_boxes_are_absent_with_high_confidence() -> None:
    blank = np.full((200, 800), 250, np.uint8)
    present, confidence, features = signature.signature_presence(blank)
    assert not present and confidence > 0.99 and features.ink_fraction == 0
    bordered = blank.copy()
    bordered[8:11, :] = 30  # box border slightly inside the crop
    bordered[:, 5:8] = 30
    bordered[100:102, :] = 140  # a fold line across the box
    present, confidence, _ = signature.signature_presence(bordered)
    assert not present and confidence > 0.9


def test_no_false_present_on_generated_hard_negatives() -> None:
    rng = np.random.default_rng(11)
    judged_signed = 0
    for _ in range(300):
        box, name_band = sigsynth.synth_box(None, rng, hard=2.0)
        present, _, _ = signature.signature_presence(box, printed_name_band=name_band)
        judged_signed += present
    assert judged_signed == 0


def test_held_out_signatures_are_mostly_caught() -> None:
    rng = np.random.default_rng(12)
    crops = [sigsynth.load_signature_ink(f) for f in datasets.signature_files("eval")]
    found, confidences = 0, []
    for ink in crops * 2:
        box, name_band = sigsynth.synth_box(ink, rng, hard=0.3)
        present, confidence, _ = signature.signature_presence(box, printed_name_band=name_band)
        found += present
        if present:
            confidences.append(confidence)
    assert found / (2 * len(crops)) >= 0.5
    assert min(confidences) >= signature.decision_threshold()
