"""scripts/harvest_cells.py: the reader's own comb cells with their true classes, for training."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from kopplingar.forms import datasets, digits

ROOT = Path(__file__).resolve().parents[3]
EMPTY = digits.EMPTY


@pytest.fixture(scope="module")
def harvest() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "harvest_cells", ROOT / "scripts" / "harvest_cells.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_handwritten_digits_are_labelled_in_the_boxes_they_were_written_in(
    harvest: ModuleType,
) -> None:
    truth = {"fill": "handwritten", "value": "5231", "cells": [2, 3, 4, 5]}
    assert harvest._labels(truth, 8) == [EMPTY, EMPTY, 5, 2, 3, 1, EMPTY, EMPTY]


def test_each_glyph_is_named_for_its_own_box_past_the_printed_dash(harvest: ModuleType) -> None:
    truth = {
        "fill": "handwritten",
        "value": "55-6",
        "cells": [0, 1, 2, 3],
        "glyphs": ["mnist:1", "mnist:2", "semeion:3"],
    }
    assert harvest._glyphs_by_box(truth, (2,)) == {0: "mnist:1", 1: "mnist:2", 3: "semeion:3"}
    assert harvest._glyphs_by_box({"fill": "typed", "value": "556"}, (2,)) == {}


def test_typed_digits_fill_from_the_left_and_a_printed_dash_box_is_empty(
    harvest: ModuleType,
) -> None:
    with_dash = {"fill": "typed", "value": "556036-0793"}
    assert harvest._labels(with_dash, 11) == [5, 5, 6, 0, 3, 6, EMPTY, 0, 7, 9, 3]
    # typed without its dash, the number shifts a digit into the dash's box
    without = {"fill": "typed", "value": "5560360793"}
    assert harvest._labels(without, 11) == [5, 5, 6, 0, 3, 6, 0, 7, 9, 3, EMPTY]
    assert harvest._labels({"fill": "empty", "value": ""}, 4) == [EMPTY] * 4


def test_training_seeds_are_refused_below_their_range(harvest: ModuleType) -> None:
    import sys

    argv = sys.argv
    sys.argv = ["harvest_cells.py", "--split", "train", "--start", "620000", "--out", "/dev/null"]
    try:
        with pytest.raises(SystemExit) as stop:
            harvest.main()
    finally:
        sys.argv = argv
    assert stop.value.code == 2


def test_one_scan_gives_every_comb_box_with_its_digit(harvest: ModuleType) -> None:
    """A handwritten scan: each comb field gives one cell per box, 28×28 as the network sees it,
    the value's digits among the labels, and train-split glyphs only when asked for."""
    seed = next(
        s
        for s in range(900_000, 900_050)
        if harvest.harvest_seed(s, "train", "handwritten")["fields"]
    )
    out = harvest.harvest_seed(seed, "train", "handwritten")
    assert len(out["images"]) == len(out["labels"]) == len(out["has_ink"]) == len(out["glyphs"])
    assert all(img.shape == (28, 28) and img.dtype == np.uint8 for img in out["images"])
    for _, name, value, fill, a, b in out["fields"]:
        assert fill == "handwritten"
        labels = out["labels"][a:b]
        assert sorted(d for d in labels if d != EMPTY) == sorted(
            int(c) for c in value if c.isdigit()
        )
        assert name.endswith(("org_number", "sign_date")) or name == "subscription_number"
    eval_from = {"mnist": datasets.MNIST_EVAL_FROM, "semeion": datasets.SEMEION_EVAL_FROM}
    glyphs = [g for g in out["glyphs"] if g]
    assert glyphs and all(int(g.split(":")[1]) < eval_from[g.split(":")[0]] for g in glyphs)
    # each box's glyph is a data-set row of the digit labelled in that box
    train = datasets.handwritten_digits("train")
    first_row = {"mnist": 0, "semeion": train.source.index("semeion")}
    for glyph, label in zip(out["glyphs"], out["labels"], strict=True):
        if glyph:
            source, row = glyph.split(":")
            assert train.labels[first_row[source] + int(row)] == label, glyph
    # most boxes the simulator wrote a digit into reach the network with ink
    written = [
        ink for ink, label in zip(out["has_ink"], out["labels"], strict=True) if label != EMPTY
    ]
    assert sum(written) >= 0.9 * len(written)
