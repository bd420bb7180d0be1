"""The form reader end to end on the committed samples and on generated hard cases."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from kopplingar.forms import align
from kopplingar.forms.opencv import cv2_module
from kopplingar.forms.reader import canonical, read_document
from kopplingar.forms.simulator import SAMPLE_SECRET, SampleSpec, generate
from kopplingar.validation.reading import FormReading

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "samples"
SAMPLE_FILES = sorted(p for p in SAMPLES.iterdir() if p.suffix not in (".json", ".md"))


@lru_cache(maxsize=64)
def _read(name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    path = SAMPLES / name
    truth = json.loads(path.with_suffix(".json").read_text())
    results = read_document(path.read_bytes(), path.name, secret=SAMPLE_SECRET)
    for result in results:
        FormReading.model_validate(result)
    return results, truth


def _form_reading(results: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((r for r in results if r["form"]["kind"]), None)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_kind_form_id_and_signatures(path: Path) -> None:
    results, truth = _read(path.name)
    reading = _form_reading(results)
    if truth["kind"] is None or truth["version"] != "1":
        assert reading is None and len(results) == 1
        expected = "unsupported_version" if truth["version"] == "0" else "no form found"
        assert results[0]["reason"] == expected
        return
    assert reading is not None and reading["form"]["kind"] == truth["kind"]
    form_page = next(p for p in truth["pages"] if p["is_form"])
    assert reading["page"] == form_page["index"] + 1
    if truth["form_id"]:
        assert reading["form"]["form_id"] == truth["form_id"]
        assert reading["form"]["form_id_valid"] is bool(truth["qr"]["authentic"])
    else:
        assert reading["form"]["form_id_valid"] is None
    for party, sig in reading["signatures"].items():
        if not form_page["signatures"][party]["signed"]:
            assert sig["present"] is False, f"blank {party} box judged signed"


def test_sample_numbers_typed_are_read_and_trusted_values_are_right() -> None:
    typed = right = 0
    for path in SAMPLE_FILES:
        results, truth = _read(path.name)
        reading = _form_reading(results)
        if reading is None:
            continue
        form_page = next(p for p in truth["pages"] if p["is_form"])
        for name in ("subscription_number", "company_org_number", "bureau_org_number"):
            field = form_page["fields"][name]
            got = reading["fields"][name]
            expected = canonical(name, field["value"] or None)
            if field["fill"] == "typed" or reading["source"] == "acroform":
                typed += 1
                right += got["value"] == expected
            if got["confidence"] >= 0.9:  # whatever the rules would trust must be right
                assert got["value"] == expected, (path.name, name)
    assert typed >= 20 and right / typed >= 0.95, (right, typed)


def test_combs_not_shown_to_tesseract_are_sure_and_right_or_handwritten() -> None:
    """A comb whose every box the network reads surely is not shown to tesseract ("+sure");
    those readings must be right, and on clean typed scans they are common. A comb whose digits
    differ in height is not shown to tesseract either ("+handwritten"): never a typed one."""
    sure = handwritten = 0
    for path in SAMPLE_FILES:
        truth = json.loads(path.with_suffix(".json").read_text())
        results = read_document(path.read_bytes(), path.name, secret=SAMPLE_SECRET, raw_scores=True)
        reading = _form_reading(results)
        if reading is None or reading["source"] != "ocr":
            continue
        form_page = next(p for p in truth["pages"] if p["is_form"])
        for name, got in reading["fields"].items():
            kind = got.get("raw", {}).get("kind", "")
            if kind.endswith("+sure"):
                sure += 1
                expected = canonical(name, form_page["fields"][name]["value"] or None)
                assert got["value"] == expected, (path.name, name)
            if kind.endswith("+handwritten"):  # uneven digits: tesseract was not asked either
                handwritten += 1
                assert form_page["fields"][name]["fill"] == "handwritten", (path.name, name)
    assert sure >= 10 and handwritten >= 5


def test_digital_pdf_is_read_from_its_fields() -> None:
    results, truth = _read("07-disconnect-valid-digital.pdf")
    reading = _form_reading(results)
    assert reading is not None and reading["source"] == "acroform"
    page = truth["pages"][0]
    for name, field in page["fields"].items():
        assert reading["fields"][name]["value"] == canonical(name, field["value"] or None)


def test_upside_down_and_rotated_pages_are_aligned() -> None:
    results, _ = _read("06-connect-valid-upside-down.pdf")
    assert results[0]["rotation"] == 180
    sample = generate(
        4242,
        SampleSpec(
            kind="disconnect",
            scenario="valid",
            fill="typed",
            capture="scanner",
            delivery="png",
            dpi=200,
        ),
    )
    image = sample.images[0]
    for quarter in (1, 3):
        turned = np.ascontiguousarray(np.rot90(image, quarter))
        buf = io.BytesIO()
        Image.fromarray(turned).save(buf, format="PNG")
        found = read_document(buf.getvalue(), "turned.png", secret=SAMPLE_SECRET)
        reading = _form_reading(found)
        assert reading is not None and reading["form"]["kind"] == "disconnect"
        assert reading["rotation"] in (90, 270)
        truth = sample.truth["pages"][0]["fields"]["subscription_number"]["value"]
        assert reading["fields"]["subscription_number"]["value"] == truth


def test_mixed_document_reports_only_the_form_page() -> None:
    results, truth = _read("05-connect-valid-mixed-fax.tif")
    assert len(results) == 1 and results[0]["page"] == 2
    assert truth["pages"][0]["is_form"] is False


def test_similarity_fallback_with_two_markers() -> None:
    sample = generate(
        77,
        SampleSpec(
            kind="connect",
            scenario="valid",
            fill="typed",
            capture="scanner",
            delivery="png",
            dpi=200,
        ),
    )
    image = sample.images[0].copy()
    markers = align.detect_markers(image)
    for marker_id in (2, 3):  # cover the two bottom markers
        x0, y0 = markers[marker_id].min(axis=0).astype(int) - 10
        x1, y1 = markers[marker_id].max(axis=0).astype(int) + 10
        image[max(y0, 0) : y1, max(x0, 0) : x1] = 255
    alignment, _ = align.find_form(image)
    assert alignment is not None and alignment.method == "similarity"
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    reading = _form_reading(read_document(buf.getvalue(), "covered.png", secret=SAMPLE_SECRET))
    assert reading is not None
    truth = sample.truth["pages"][0]["fields"]["subscription_number"]["value"]
    assert reading["fields"]["subscription_number"]["value"] == truth


def test_wrong_secret_makes_a_prefilled_id_invalid() -> None:
    path = SAMPLES / "06-connect-valid-upside-down.pdf"
    results = read_document(path.read_bytes(), path.name, secret=b"another key")
    assert results[0]["form"]["form_id_valid"] is False


def test_not_a_form_and_hints() -> None:
    from kopplingar.forms.reader import hints_from_text

    results, _ = _read("20-not-a-form.pdf")
    assert results[0]["form"]["kind"] is None and results[0]["source"] == "none"
    hints = hints_from_text("Faktura till 556677-8899, abonnemangsnummer: 1048213")
    assert hints["company_org_number"]["value"] == "556677-8899"
    assert hints["company_org_number"]["confidence"] < 0.5
    assert hints["subscription_number"]["value"] == "1048213"
    assert "company_org_number" not in hints_from_text("telefon 0701234567")  # fails Luhn


def _assert_letter_hints(results: list[dict[str, Any]], source: str) -> None:
    """The letter of the two tests below: no form, its org and subscription numbers as
    low-confidence hints read from ``source``."""
    assert len(results) == 1 and results[0]["form"]["kind"] is None
    assert results[0]["hints_from"] == [source]
    hints = results[0]["fields"]
    assert hints["company_org_number"]["value"] == "556036-0793"
    assert hints["company_org_number"]["confidence"] < 0.5
    assert hints["subscription_number"]["value"] == "1048213"
    FormReading.model_validate(results[0])


def test_a_letter_gives_its_org_number_as_a_hint_without_a_tesseract_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PIL import ImageDraw, ImageFont

    def no_process(*_args: object, **_kwargs: object) -> str:
        raise AssertionError("the reader started a tesseract process")

    monkeypatch.setattr("pytesseract.image_to_string", no_process)
    page = Image.new("L", (1654, 2339), 255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 30)
    draw.text((160, 220), "Bolaget AB", font=font, fill=0)
    draw.text((160, 270), "Org.nr 556036-0793 · abonnemangsnummer: 1048213", font=font, fill=0)
    draw.text((160, 520), "Angående koppling till redovisningsbyrå", font=font, fill=0)
    buf = io.BytesIO()
    page.save(buf, format="PNG", dpi=(200, 200))
    _assert_letter_hints(read_document(buf.getvalue(), "letter.png"), "ocr")


def test_a_letter_made_on_a_computer_gives_its_hints_from_its_text_layer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    def no_ocr(*_args: object, **_kwargs: object) -> str:
        raise AssertionError("a page with a text layer was OCR'd")

    monkeypatch.setattr("kopplingar.forms.tesseract.page_text", no_ocr)
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=A4)
    c.setFont("Helvetica", 11)
    c.drawString(72, 760, "Bolaget AB, org.nr 556036-0793")
    c.drawString(72, 740, "Vi vill koppla vår byrå, abonnemangsnummer: 1048213")
    c.showPage()
    c.save()
    _assert_letter_hints(read_document(buffer.getvalue(), "letter.pdf"), "text_layer")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"hello, not a document", "unsupported_type"),
        (b"%PDF-1.7\n1 0 obj garbage", "broken"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "broken"),
    ],
)
def test_hostile_files_give_reasons(data: bytes, reason: str) -> None:
    results = read_document(data, "bad.bin")
    assert len(results) == 1
    assert results[0]["form"]["kind"] is None and results[0]["reason"] == reason
    FormReading.model_validate(results[0])


def test_encrypted_pdf_gives_a_reason() -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(SAMPLES / "01-connect-valid-typed-scan.pdf"))
    writer.encrypt("secret-password")
    buf = io.BytesIO()
    writer.write(buf)
    results = read_document(buf.getvalue(), "locked.pdf")
    assert results[0]["reason"] == "encrypted"


def test_cli_read_prints_json_lines(tmp_path: Path) -> None:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "src"),
        KOPPLINGAR_HOME=str(tmp_path),
        KOPPLINGAR_SECRET_KEY=SAMPLE_SECRET.decode(),
    )
    files = [SAMPLES / "06-connect-valid-upside-down.pdf", SAMPLES / "20-not-a-form.pdf"]
    out = (
        subprocess.run(
            [sys.executable, "-m", "kopplingar.cli", "read", *map(str, files), "--json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=240,
        )
        .stdout.strip()
        .splitlines()
    )
    objects = [json.loads(line) for line in out]
    assert len(objects) == 2
    first, second = (FormReading.model_validate(o) for o in objects)
    assert first.form.kind == "connect" and first.form.form_id_valid is True
    assert second.form.kind is None and second.reason


def _typed_disconnect_page() -> np.ndarray:
    """A plain scanned disconnect form (PNG, 200 dpi) as its page image."""
    sample = generate(
        78,
        SampleSpec(
            kind="disconnect",
            scenario="valid",
            fill="typed",
            capture="scanner",
            delivery="png",
            dpi=200,
        ),
    )
    return np.asarray(sample.images[0]).copy()


def test_a_marker_too_small_for_the_coarse_pass_is_found_on_the_finer_one() -> None:
    """Markers are looked for on a reduced copy first; when only some of them turn up there, a
    finer copy is searched before the page is aligned with fewer markers."""
    image = _typed_disconnect_page()
    _, corners = sorted(align.detect_markers(image).items())[0]
    x0, y0 = corners.min(axis=0).astype(int) - 3
    x1, y1 = corners.max(axis=0).astype(int) + 3
    shrunk = cv2_module().resize(
        image[y0:y1, x0:x1], None, fx=0.2, fy=0.2, interpolation=cv2_module().INTER_AREA
    )
    image[y0:y1, x0:x1] = 255
    image[y0 : y0 + shrunk.shape[0], x0 : x0 + shrunk.shape[1]] = shrunk
    assert len(align._detect_at(align.to_gray(image), align.DETECT_MAX_SIDE)) == 3
    assert len(align.detect_markers(image)) == 4


def test_page_without_markers_is_found_by_its_qr_code() -> None:
    image = _typed_disconnect_page()
    for corners in align.detect_markers(image).values():
        x0, y0 = corners.min(axis=0).astype(int) - 10
        x1, y1 = corners.max(axis=0).astype(int) + 10
        image[max(y0, 0) : y1, max(x0, 0) : x1] = 255
    assert align.find_form(image)[0] is None
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG")
    reading = _form_reading(read_document(buf.getvalue(), "nomarkers.png", secret=SAMPLE_SECRET))
    assert reading is not None and reading["form"]["kind"] == "disconnect"
    assert reading["alignment"]["method"] == "qr_similarity"


def test_wall_time_limit_gives_a_reason() -> None:
    path = SAMPLES / "01-connect-valid-typed-scan.pdf"
    results = read_document(path.read_bytes(), path.name, deadline_s=0.0)
    assert results[0]["form"]["kind"] is None and results[0]["reason"] == "timeout"


def test_only_what_the_reader_crops_is_warped_and_it_matches_the_whole_page_warp() -> None:
    from kopplingar.forms import reader
    from kopplingar.forms.layout import get_layout

    image = _typed_disconnect_page()
    alignment, _ = align.find_form(image)
    assert alignment is not None
    layout = get_layout(alignment.kind)
    whole = align.warp(image, alignment, layout)
    regions = reader._read_regions()
    part = align.warp(image, alignment, layout, regions)
    assert part.shape == whole.shape
    covered = np.zeros(whole.shape, bool)
    for rect in regions:
        x0, y0, x1, y1 = align.region_px(layout, rect)
        covered[y0:y1, x0:x1] = True
    # every field, tick box, signature box and the QR code lies in a warped region
    for name, rect in layout.all_rects():
        if not name.startswith(("marker:", "block:")):
            assert covered[layout.rect_px(rect, align.WORK_DPI).slices()].all(), name
    # the same pixels there (the shifted matrix may round a rare pixel the other way), paper
    # elsewhere, and far less of the page warped
    diff = np.abs(whole.astype(int) - part.astype(int))[covered]
    assert diff.max() <= 1 and np.count_nonzero(diff) < 0.005 * diff.size
    assert (part[~covered] == 255).all()
    assert np.count_nonzero(whole[~covered] < 128) > 10_000  # the printed text left out
    assert 0.3 < covered.mean() < 0.7


def test_the_detection_copy_shrunk_by_whole_factors_first_finds_the_same_corners(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    image = _typed_disconnect_page()
    cv2 = cv2_module()
    big = cv2.resize(image, None, fx=1.7, fy=1.7, interpolation=cv2.INTER_CUBIC)  # ~340 dpi
    found = {
        side: align.detect_markers(page) for side, page in (("200 dpi", image), ("340 dpi", big))
    }

    def one_step(gray: np.ndarray, scale: float) -> np.ndarray:
        h, w = gray.shape
        size = (round(w * scale), round(h * scale))
        return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA))

    monkeypatch.setattr(align, "_shrunk", one_step)
    for side, page in (("200 dpi", image), ("340 dpi", big)):
        reference = align.detect_markers(page)
        assert set(found[side]) == set(reference) and len(reference) == 4, side
        for marker, corners in reference.items():
            assert np.abs(found[side][marker] - corners).max() < 0.1, side
