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
        box = sigsynth.synth_box(None, rng, hard=2.0)
        present, _, _ = signature.signature_presence(box)
        judged_signed += present
    assert judged_signed == 0


def test_held_out_signatures_are_mostly_caught() -> None:
    rng = np.random.default_rng(12)
    crops = [sigsynth.load_signature_ink(f) for f in datasets.signature_files("eval")]
    found, confidences = 0, []
    for ink in crops * 2:
        box = sigsynth.synth_box(ink, rng, hard=0.3)
        present, confidence, _ = signature.signature_presence(box)
        found += present
        if present:
            confidences.append(confidence)
    assert found / (2 * len(crops)) >= 0.5
    assert min(confidences) >= signature.decision_threshold()


def _typed_name_box(
    name: str,
    rng: np.random.Generator,
    *,
    paper_level: float = 245.0,
    font_path: str = sigsynth.FONT,
    height: tuple[float, float] = (0.14, 0.22),
    palest_ink: float = 60.0,
) -> np.ndarray:
    """A scanned box holding only a typed name (no signature), with its border."""
    h, w = 200, 800
    paper = np.full((h, w), paper_level, np.float32)
    paper[6:9, :] = paper[-9:-6, :] = 40.0
    paper[:, 6:9] = paper[:, -9:-6] = 40.0
    size = int(h * rng.uniform(*height))
    at = (int(rng.uniform(0.08, 0.4) * w), int(rng.uniform(0.3, 0.6) * h))
    level = float(rng.uniform(0, palest_ink))
    sigsynth._draw_text(paper, name, at, size, level, font_path=font_path)
    paper += rng.normal(0, 3, paper.shape).astype(np.float32)
    return np.clip(paper, 0, 255).astype(np.uint8)


def test_a_typed_name_alone_is_shaped_like_a_printed_line() -> None:
    rng = np.random.default_rng(21)
    names = ["Anna Lindqvist", "Erik Olsson", "Karin Hägglund", "Per-Olof Berg", "Sara Nyström"]
    hits = [
        signature.looks_like_printed_line(signature.extract_features(_typed_name_box(n, rng)))
        for n in names * 4
    ]
    assert sum(hits) >= 0.8 * len(hits)


def test_the_model_itself_does_not_take_a_typed_name_for_a_signature() -> None:
    """The network sees the whole box, typed name included, and must reject print by itself
    (the reader's guards against print are not run here)."""
    rng = np.random.default_rng(23)
    names = ["Anna Lindqvist", "Erik Olsson", "Karin Hägglund", "Per-Olof Berg", "Sara Nyström"]
    judged_signed = sum(
        signature.signature_presence(_typed_name_box(name, rng))[0] for name in names * 4
    )
    assert judged_signed == 0


def test_real_signatures_are_rarely_taken_for_a_printed_line() -> None:
    rng = np.random.default_rng(22)
    crops = [sigsynth.load_signature_ink(f) for f in datasets.signature_files("eval")]
    taken = 0
    for ink in crops * 2:
        box = sigsynth.synth_box(ink, rng, hard=0.0)
        taken += signature.looks_like_printed_line(signature.extract_features(box))
    assert taken <= 0.05 * 2 * len(crops)


def test_the_print_trained_network_vetoes_a_bold_typed_name() -> None:
    rng = np.random.default_rng(31)
    bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"  # a face the first never saw
    boxes = [
        _typed_name_box(
            "Sofia Sjöberg",
            rng,
            paper_level=float(rng.uniform(165, 200)),  # grey paper
            font_path=bold,
            height=(0.2, 0.26),
            palest_ink=30.0,
        )
        for _ in range(30)
    ]
    first = [
        signature.network_probability(signature.network_input(b)) >= signature.decision_threshold()
        for b in boxes
    ]
    assert sum(first) >= 3  # the first network alone takes some of them for signatures
    for box, signed_by_first in zip(boxes, first, strict=True):
        present, confidence, _ = signature.signature_presence(box)
        assert not present
        if signed_by_first:
            assert confidence == signature.VETOED_CONFIDENCE  # overruled: a person looks


def test_the_veto_spares_real_signatures() -> None:
    rng = np.random.default_rng(32)
    crops = [sigsynth.load_signature_ink(f) for f in datasets.signature_files("eval")]
    kept = vetoed = 0
    for ink in crops * 2:
        image = signature.network_input(sigsynth.synth_box(ink, rng, hard=0.3))
        if signature.network_probability(image) < signature.decision_threshold():
            continue
        weights = signature.print_network_weights()
        if signature.network_probability(image, weights) < signature.PRINT_VETO:
            vetoed += 1
        else:
            kept += 1
    assert kept >= 30
    assert vetoed <= 0.02 * (kept + vetoed)
