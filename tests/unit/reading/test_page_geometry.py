"""The reading carries where the layout sits on the page image, as the review desk draws it."""

import json
from pathlib import Path

import numpy as np

from kopplingar.forms.page_geometry import page_geometry
from kopplingar.forms.reader import read_document

SAMPLES = Path(__file__).parents[3] / "samples"


def test_geometry_matches_the_simulator_truth_on_an_upside_down_scan() -> None:
    name = "06-connect-valid-upside-down"
    truth = json.loads((SAMPLES / f"{name}.json").read_text())
    page = next(p for p in truth["pages"] if p.get("is_form"))
    [reading] = read_document((SAMPLES / f"{name}.pdf").read_bytes(), f"{name}.pdf")
    geometry = reading["geometry"]
    assert abs(geometry["image_size"][0] - page["size_px"][0]) <= 2
    ours, real = np.array(geometry["homography"]), np.array(page["transform"])
    for point in ((40.0, 40.0), (555.0, 800.0), (300.0, 420.0)):  # PDF points across the page
        a, b = ours @ (*point, 1.0), real @ (*point, 1.0)
        assert np.hypot(*(a[:2] / a[2] - b[:2] / b[2])) < 6.0  # pixels at 200 dpi: under 1 mm
    assert page_geometry(reading) is not None  # the desk accepts it
