"""The scan simulator's ground truth is checked against its own images and files."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from kopplingar.forms import acroform, datasets, qrpayload, raster
from kopplingar.forms.layout import MM, FormLayout, Rect, get_layout
from kopplingar.forms.pdf import render_form
from kopplingar.forms.simulator import SAMPLE_SECRET, Sample, SampleSpec, generate, ink
from kopplingar.forms.simulator import values as fake
from kopplingar.forms.simulator.ink import MASTER_DPI

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples"


def _form_index(sample: Sample) -> int:
    return next(p["index"] for p in sample.truth["pages"] if p["is_form"])


def _new_ink(
    master: np.ndarray, blank: np.ndarray, layout: FormLayout, rect: Rect, inset_mm: float
) -> int:
    """Pixels in ``rect`` that are clearly darker than on the blank printed form."""
    rows, cols = layout.rect_px(rect.inset(inset_mm * MM), MASTER_DPI).slices()
    diff = blank[rows, cols].astype(int) - master[rows, cols].astype(int)
    return int((diff > 80).sum())


def _field_ink(master: np.ndarray, blank: np.ndarray, layout: FormLayout, name: str) -> int:
    f = layout.field(name)
    if f.type == "comb":
        cells = f.cell_rects()
        return sum(_new_ink(master, blank, layout, cells[i], 1.0) for i in range(len(cells)))
    if f.type == "choice":
        return sum(_new_ink(master, blank, layout, o.rect, 0.8) for o in f.options)
    return _new_ink(master, blank, layout, f.rect, 1.0)


@pytest.fixture(scope="module")
def blanks() -> dict[tuple[str, str], np.ndarray]:
    return {
        (k, v): raster.render_pdf_page(render_form(k, version=v), 0, MASTER_DPI)
        for k in ("connect", "disconnect")
        for v in ("0", "1")
    }


def _check_fields_against_master(sample: Sample, blanks: dict[tuple[str, str], np.ndarray]) -> None:
    truth = sample.truth
    page = truth["pages"][_form_index(sample)]
    layout = get_layout(truth["kind"], truth["version"])
    master = sample.masters[_form_index(sample)]
    blank = blanks[(truth["kind"], truth["version"])]
    for name, field in page["fields"].items():
        ink = _field_ink(master, blank, layout, name)
        if field["fill"] == "empty":
            assert ink == 0, f"{name} is empty in the truth but has {ink} ink pixels"
        else:  # a tick is small; a digit, a word or a typed value is not
            least = 40 if layout.field(name).type == "choice" else 150
            assert ink > least, f"{name} is {field['fill']} {field['value']!r} but shows {ink} px"
    for party, sig in page["signatures"].items():
        box = layout.signature(party).rect
        ink = _new_ink(master, blank, layout, box, 1.0)
        if sig["state"] == "empty":
            assert ink == 0, f"{party} signature box is empty in the truth but has ink"
        elif sig["state"] == "signed":
            assert ink > 300, f"{party} is signed in the truth but the box is nearly blank"
        else:  # hard negatives: something is there, but it is not a signature
            assert ink > 0, f"{party}: {sig['state']} left no mark"


@pytest.mark.parametrize(
    ("seed", "spec"),
    [
        (
            1,
            SampleSpec(
                kind="connect",
                scenario="valid",
                fill="handwritten",
                capture="scanner",
                fold_lines=False,
            ),
        ),
        (
            2,
            SampleSpec(
                kind="disconnect",
                scenario="valid",
                fill="typed",
                capture="scanner",
                fold_lines=False,
            ),
        ),
        (
            3,
            SampleSpec(
                kind="connect",
                scenario="bureau_missing",
                fill="prefilled",
                negative="empty",
                fold_lines=False,
            ),
        ),
        (
            4,
            SampleSpec(
                kind="disconnect",
                scenario="company_signer_missing",
                fill="mixed",
                negative="empty",
                fold_lines=False,
            ),
        ),
        (
            5,
            SampleSpec(
                kind="connect", scenario="missing_role", fill="handwritten", fold_lines=False
            ),
        ),
        (
            6,
            SampleSpec(
                kind="disconnect", scenario="old_version", fill="handwritten", fold_lines=False
            ),
        ),
        (
            7,
            SampleSpec(
                kind="connect", scenario="missing_subscription", fill="typed", fold_lines=False
            ),
        ),
    ],
)
def test_field_and_signature_truth_matches_the_page(
    seed: int, spec: SampleSpec, blanks: dict[tuple[str, str], np.ndarray]
) -> None:
    _check_fields_against_master(generate(seed, spec), blanks)


@pytest.mark.parametrize(
    "negative", ["noise", "dust", "fold_line", "stamp_edge", "printed_name_only"]
)
def test_hard_negatives_leave_marks_but_no_signature(
    negative: str, blanks: dict[tuple[str, str], np.ndarray]
) -> None:
    sample = generate(
        40,
        SampleSpec(
            kind="connect",
            scenario="missing_company_signature",
            negative=negative,
            capture="scanner",
            fold_lines=False,
        ),
    )
    sig = sample.truth["pages"][_form_index(sample)]["signatures"]
    assert sig["company"]["state"] == negative and sig["company"]["signed"] is False
    assert sig["bureau"]["signed"] is True
    assert "missing_company_signature" in sample.truth["expected"]["defects"]
    assert not sample.truth["expected"]["valid"]
    layout = get_layout("connect")
    ink = _new_ink(
        sample.masters[0], blanks[("connect", "1")], layout, layout.signature("company").rect, 1.0
    )
    assert ink > 0


def _upright(image: np.ndarray, transform: np.ndarray, layout: FormLayout, dpi: int) -> np.ndarray:
    """Undo the capture with the true transform: the page as if perfectly aligned."""
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    s = dpi / 72
    to_upright = np.array([[s, 0, 0], [0, -s, layout.page_height * s], [0, 0, 1]])
    m = to_upright @ np.linalg.inv(transform)
    w, h = layout.page_size_px(dpi)
    return cv2.warpPerspective(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


@pytest.mark.parametrize(
    ("seed", "spec"),
    [
        (
            11,
            SampleSpec(
                kind="connect",
                scenario="bureau_missing",
                negative="empty",
                capture="scanner",
                rotation=4.0,
                upside_down=False,
                fold_lines=False,
                dpi=200,
            ),
        ),
        (
            12,
            SampleSpec(
                kind="disconnect",
                scenario="bureau_missing",
                negative="empty",
                capture="scanner",
                upside_down=True,
                rotation=-1.5,
                fold_lines=False,
                dpi=150,
            ),
        ),
        (
            13,
            SampleSpec(
                kind="connect",
                scenario="bureau_missing",
                negative="empty",
                capture="phone",
                rotation=2.0,
                fold_lines=False,
            ),
        ),
        (
            14,
            SampleSpec(
                kind="disconnect",
                scenario="bureau_missing",
                negative="empty",
                capture="fax",
                rotation=-3.0,
                fold_lines=False,
            ),
        ),
    ],
)
def test_captured_image_agrees_with_truth_transform(seed: int, spec: SampleSpec) -> None:
    sample = generate(seed, spec)
    page = sample.truth["pages"][_form_index(sample)]
    layout = get_layout(page["kind"])
    transform = np.array(page["transform"])
    image = sample.images[_form_index(sample)]
    assert [image.shape[1], image.shape[0]] == page["size_px"]
    assert page["upside_down"] == bool(spec.upside_down)

    # Markers found in the image sit where the true transform puts them.
    gray = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    detector = cv2.aruco.ArucoDetector(
        cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50), cv2.aruco.DetectorParameters()
    )
    corners, ids, _ = detector.detectMarkers(gray)
    found = (
        {}
        if ids is None
        else {
            int(i): c.reshape(4, 2).mean(axis=0) for i, c in zip(ids.ravel(), corners, strict=True)
        }
    )
    assert set(page["markers_visible"]) <= set(found) | set()
    assert len(found) >= 3
    for marker in layout.markers:
        if marker.id in found:
            x, y, w = transform @ np.array([*marker.center, 1.0])
            assert np.hypot(x / w - found[marker.id][0], y / w - found[marker.id][1]) < 4, marker.id

    # Empty bureau fields stay empty and filled company fields show ink, once realigned: new dark
    # pixels where the blank printed form is white (its lines widened for resampling).
    dpi = 150
    upright = _upright(image, transform, layout, dpi)
    blank = raster.render_pdf_page(render_form(page["kind"]), 0, dpi)
    printed = cv2.dilate((blank < 200).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    new_ink = (upright < 110) & ~printed
    for name, field in page["fields"].items():
        rows, cols = layout.rect_px(layout.field(name).rect.inset(1.0 * MM), dpi).slices()
        dark = float(new_ink[rows, cols].mean())
        if field["fill"] == "empty":
            assert dark < 0.004, f"{name} empty but {dark:.4f} new ink"
        elif layout.field(name).type == "text":
            assert dark > 0.01, f"{name} filled but {dark:.4f} new ink"
    rows, cols = layout.rect_px(layout.signature("bureau").rect.inset(1.5 * MM), dpi).slices()
    assert float(new_ink[rows, cols].mean()) < 0.004
    rows, cols = layout.rect_px(layout.signature("company").rect.inset(1.5 * MM), dpi).slices()
    assert float(new_ink[rows, cols].mean()) > 0.0005


def _decode(data: bytes, fmt: str) -> list[np.ndarray]:
    if fmt in ("pdf", "pdf_form"):
        return [
            raster.render_pdf_page(data, i, 100)
            for i in range(len(PdfReader(io.BytesIO(data)).pages))
        ]
    image = Image.open(io.BytesIO(data))
    expected = {"jpeg": "JPEG", "png": "PNG", "tiff": "TIFF"}[fmt]
    assert image.format == expected
    frames = []
    for i in range(getattr(image, "n_frames", 1)):
        image.seek(i)
        frames.append(np.asarray(image.convert("L")))
    return frames


@pytest.mark.parametrize(
    ("seed", "spec"),
    [
        (21, SampleSpec(delivery="pdf", capture="scanner", cover_page=True, scenario="valid")),
        (22, SampleSpec(delivery="tiff", capture="fax", cover_page=True, scenario="valid")),
        (23, SampleSpec(delivery="jpeg", capture="phone", scenario="valid")),
        (24, SampleSpec(delivery="png", capture="fax", scenario="missing_role")),
        (25, SampleSpec(delivery="pdf", capture="fax", scenario="not_a_form")),
    ],
)
def test_delivered_file_is_what_truth_says(seed: int, spec: SampleSpec) -> None:
    sample = generate(seed, spec)
    truth = sample.truth
    assert truth["format"] == spec.delivery
    assert sample.filename.endswith(
        {"pdf": ".pdf", "tiff": ".tif", "jpeg": ".jpg", "png": ".png"}[truth["format"]]
    )
    pages = _decode(sample.data, truth["format"])
    assert len(pages) == truth["page_count"] == len(truth["pages"]) == len(sample.images)
    assert [p["index"] for p in truth["pages"]] == list(range(len(pages)))
    forms = [p for p in truth["pages"] if p["is_form"]]
    assert len(forms) == (0 if spec.scenario == "not_a_form" else 1)
    if spec.cover_page:
        assert len(pages) == 2 and {p["content"] for p in truth["pages"]} - {"form"}
    for p, image in zip(truth["pages"], sample.images, strict=True):
        assert p["binary"] == (spec.capture == "fax")
        if p["binary"]:
            assert set(np.unique(image)) <= {0, 255}
    json.dumps(truth)  # plain JSON all the way down


def test_digital_pdf_is_read_from_its_fields() -> None:
    sample = generate(31, SampleSpec(delivery="pdf_form", scenario="valid", kind="disconnect"))
    page = sample.truth["pages"][0]
    assert page["digital"] and sample.truth["format"] == "pdf_form"
    read = acroform.read_fields(sample.data)
    assert read == {name: f["value"] for name, f in page["fields"].items()}
    assert all(f["fill"] in ("typed", "empty") for f in page["fields"].values())
    code = acroform.read_form_code(sample.data)
    assert code is not None and qrpayload.decode(code, SAMPLE_SECRET).kind == "disconnect"
    layout = get_layout("disconnect")
    image = sample.images[0]
    for party in ("company", "bureau"):
        rows, cols = layout.rect_px(
            layout.signature(party).rect.inset(3), sample.truth["spec"]["dpi"]
        ).slices()
        assert (image[rows, cols] < 128).mean() > 0.003  # the pasted signature image is drawn


@pytest.mark.parametrize(("seed", "authentic"), [(51, True), (52, False), (53, False)])
def test_qr_truth_matches_the_printed_code(seed: int, authentic: bool) -> None:
    scenario = "valid" if authentic else "forged_qr"
    sample = generate(
        seed, SampleSpec(kind="connect", scenario=scenario, fill="prefilled", capture="scanner")
    )
    qr = sample.truth["qr"]
    assert qr["authentic"] is authentic and qr["form_id"]
    layout = get_layout("connect")
    rows, cols = layout.rect_px(layout.qr.inset(-4 * MM), MASTER_DPI).slices()
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(
        sample.masters[_form_index(sample)][rows, cols]
    )
    assert text == qr["text"]
    if authentic:
        assert qrpayload.decode(text, SAMPLE_SECRET).form_id == qr["form_id"]
        assert sample.truth["expected"]["valid"]
    else:
        with pytest.raises(qrpayload.QrSignatureError):
            qrpayload.decode(text, SAMPLE_SECRET)
        assert qr["tamper"] in ("forged", "altered")
        assert sample.truth["expected"]["defects"] == [f"qr_{qr['tamper']}"]


def test_only_the_eval_split_is_used() -> None:
    glyphs: list[str] = []
    signatures: list[str] = []
    for seed in range(60, 66):
        sample = generate(seed, SampleSpec(fill="handwritten", scenario="valid", capture="scanner"))
        page: dict[str, Any] = sample.truth["pages"][_form_index(sample)]
        for f in page["fields"].values():
            glyphs += f.get("glyphs", [])
        signatures += [s["source"] for s in page["signatures"].values() if s.get("source")]
    assert glyphs and signatures
    for g in glyphs:
        source, row = g.split(":")
        first = {"mnist": datasets.MNIST_EVAL_FROM, "semeion": datasets.SEMEION_EVAL_FROM}[source]
        assert int(row) >= first, g
    assert all(datasets.signature_split(name) == "eval" for name in signatures)


def test_train_split_digits_only_inside_digits_from() -> None:
    """Training scripts scan train-split digits through the simulator; outside that block (tests,
    benchmarks) the eval split is back, even after an exception inside it."""
    spec = SampleSpec(fill="handwritten", scenario="valid", capture="none")

    def rows(sample: Sample) -> list[tuple[str, int]]:
        page = sample.truth["pages"][_form_index(sample)]
        names = [g for f in page["fields"].values() for g in f.get("glyphs", [])]
        return [(n.split(":")[0], int(n.split(":")[1])) for n in names]

    eval_from = {"mnist": datasets.MNIST_EVAL_FROM, "semeion": datasets.SEMEION_EVAL_FROM}
    with pytest.raises(RuntimeError), ink.digits_from("train"):
        train_rows = rows(generate(61, spec))
        raise RuntimeError("leaves the block")
    assert train_rows and all(row < eval_from[source] for source, row in train_rows)
    assert all(row >= eval_from[source] for source, row in rows(generate(61, spec)))


def test_generation_is_deterministic() -> None:
    spec = SampleSpec(kind="disconnect", capture="phone", scenario="valid", fill="handwritten")
    a, b = generate(77, spec), generate(77, spec)
    assert a.data == b.data and a.truth == b.truth
    assert generate(78, spec).data != a.data


def test_org_numbers_and_subscription_numbers() -> None:
    assert fake.is_valid_org_number("556036-0793")
    assert not fake.is_valid_org_number("556036-0794")
    rng = np.random.default_rng(0)
    for _ in range(200):
        assert fake.is_valid_org_number(fake.org_number(rng))
        assert not fake.is_valid_org_number(fake.org_number(rng, valid=False))
        sub = fake.subscription_number(rng)
        assert sub.isdigit() and 4 <= len(sub) <= 12 and sub[0] != "0"


# --- the committed samples ---------------------------------------------------------------------


def _committed() -> list[Path]:
    return sorted(SAMPLES.glob("[0-9][0-9]-*.json"))


def test_committed_samples_are_complete_and_varied() -> None:
    truths = [json.loads(p.read_text()) for p in _committed()]
    assert 15 <= len(truths) <= 30
    assert (SAMPLES / "README.md").exists()
    total = 0
    for path, truth in zip(_committed(), truths, strict=True):
        data = (SAMPLES / truth["file"]).read_bytes()
        total += len(data)
        assert truth["file"].rsplit(".", 1)[0] == path.stem
        assert len(_decode(data, truth["format"])) == truth["page_count"]
    assert total < 5_000_000
    assert {t["kind"] for t in truths} >= {"connect", "disconnect"}
    assert any(t["expected"]["valid"] for t in truths)
    defects = {d for t in truths for d in t["expected"]["defects"]}
    assert {
        "missing_company_signature",
        "missing_bureau_signature",
        "bureau_party_missing",
    } <= defects
    captures = {t["spec"]["capture"] for t in truths}
    assert captures >= {"scanner", "fax", "phone", "none"}
    states = {
        s["state"]
        for t in truths
        for p in t["pages"]
        if p["is_form"]
        for s in p["signatures"].values()
    }
    assert states >= {
        "signed",
        "empty",
        "noise",
        "dust",
        "fold_line",
        "stamp_edge",
        "printed_name_only",
    }


def test_committed_samples_match_the_generator() -> None:
    """The committed truth is what the generator makes today: rerun scripts/make_samples.py when
    the forms or the simulator change."""
    import importlib.util

    loader = importlib.util.spec_from_file_location(
        "make_samples", ROOT / "scripts" / "make_samples.py"
    )
    assert loader is not None and loader.loader is not None
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    COMMITTED = module.COMMITTED  # noqa: N806

    assert len(COMMITTED) == len(_committed())
    name, seed, spec = COMMITTED[3]
    committed = json.loads((SAMPLES / f"{name}.json").read_text())
    fresh = generate(seed, spec).truth
    assert {**fresh, "file": committed["file"]} == committed


def test_samples_use_the_demo_registry_where_they_say() -> None:
    registry = json.loads((SAMPLES / "registry.json").read_text())
    bureaus = {b["org_number"]: b["name"] for b in registry["bureaus"]}
    companies = {c["org_number"]: c for c in registry["companies"]}
    people = {p["name"] for p in registry["people"]}
    checked = 0
    for path in _committed():
        truth = json.loads(path.read_text())
        if not truth["spec"]["values"]:
            continue
        checked += 1
        fields = next(p for p in truth["pages"] if p["is_form"])["fields"]
        given = truth["spec"]["values"]
        assert bureaus[given["bureau_org_number"]] == given["bureau_name"]
        company = companies[given["company_org_number"]]
        assert company["name"] == given["company_name"]
        assert given["company_signer_name"] in people and given["bureau_signer_name"] in people
        wrong_subscription = "unknown_subscription_number" in truth["expected"]["defects"]
        assert (
            given["subscription_number"] != company["subscription_number"]
        ) == wrong_subscription
        for name in ("company_name", "bureau_name"):
            assert fields[name]["value"] in ("", given[name])
    assert checked >= 15
