"""The generated PDFs: working AcroForm fields, exact round trips and machine-readable marks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from kopplingar.cli import app
from kopplingar.forms import acroform, qrpayload, raster
from kopplingar.forms.layout import FIELD_NAMES, get_layout
from kopplingar.forms.pdf import render_form

SECRET = b"pdf-test-secret"
VALUES = {
    "company_name": "Åkesson & Söner AB",
    "company_org_number": "556036-0793",
    "subscription_number": "1234567",
    "bureau_name": "Byrå Ekonomi i Norr AB",
    "bureau_org_number": "559112-3453",
    "company_signer_name": "Åsa Öberg",
    "company_signer_role": "systemadministratör",
    "company_sign_date": "2025-01-15",
    "bureau_signer_name": "Per Nilsson",
    "bureau_sign_date": "2025-01-16",
    "contact_email": "asa.oberg@akesson.se",
}


@pytest.fixture(scope="module")
def blank() -> bytes:
    return render_form("connect")


@pytest.fixture(scope="module")
def prefilled() -> bytes:
    values = {k: VALUES[k] for k in ("company_name", "company_org_number", "subscription_number")}
    values |= {"bureau_name": VALUES["bureau_name"], "company_signer_name": "Åsa Öberg"}
    return render_form("disconnect", values=values, form_id="PC-000042", secret=SECRET)


def test_blank_form_has_every_field_empty(blank: bytes) -> None:
    reader = PdfReader(io.BytesIO(blank))
    assert len(reader.pages) == 1
    fields = reader.get_fields()
    assert fields is not None and set(fields) == set(FIELD_NAMES)
    assert fields["company_org_number"]["/FT"] == "/Tx"
    widgets = {str(a.get_object().get("/T")): a.get_object() for a in reader.pages[0]["/Annots"]}
    assert widgets["company_org_number"]["/MaxLen"] == 11
    assert int(fields["company_org_number"]["/Ff"]) & (1 << 24)  # comb
    assert fields["company_signer_role"]["/FT"] == "/Btn"
    assert acroform.read_fields(blank) == dict.fromkeys(FIELD_NAMES, "")
    assert qrpayload.decode(acroform.read_form_code(blank) or "", None).kind == "connect"


def test_widgets_sit_on_the_layout_boxes(blank: bytes) -> None:
    spec = get_layout("connect")
    reader = PdfReader(io.BytesIO(blank))
    rects: dict[str, list[list[float]]] = {}
    for annot in reader.pages[0]["/Annots"]:
        a = annot.get_object()
        name = a.get("/T") or a["/Parent"].get_object()["/T"]
        rects.setdefault(str(name), []).append([float(v) for v in a["/Rect"]])
    for f in spec.fields:
        expected = [o.rect.as_list() for o in f.options] if f.options else [f.rect.as_list()]
        got = sorted(rects[f.name])
        assert len(got) == len(expected)
        for g, e in zip(got, sorted(expected), strict=True):
            assert g == pytest.approx(e, abs=0.05), f.name


def test_prefilled_form_reads_back_and_carries_a_signed_id(prefilled: bytes) -> None:
    values = acroform.read_fields(prefilled)
    assert values is not None
    assert values["company_name"] == "Åkesson & Söner AB"
    assert values["company_org_number"] == "556036-0793"
    assert values["bureau_signer_name"] == ""
    code = acroform.read_form_code(prefilled)
    assert code is not None
    payload = qrpayload.decode(code, SECRET)
    assert (payload.kind, payload.form_id) == ("disconnect", "PC-000042")
    with pytest.raises(qrpayload.QrSignatureError):
        qrpayload.decode(code, b"another key")


@pytest.mark.parametrize("kind", ["connect", "disconnect"])
def test_fill_with_pypdf_reads_back_exactly(kind: str) -> None:
    filled = acroform.fill_fields(render_form(kind), VALUES)
    assert acroform.read_fields(filled) == VALUES
    refilled = acroform.fill_fields(filled, {"company_signer_role": "firmatecknare"})
    assert acroform.read_fields(refilled) == VALUES | {"company_signer_role": "firmatecknare"}
    cleared = acroform.fill_fields(refilled, {"company_signer_role": "", "contact_email": ""})
    back = acroform.read_fields(cleared)
    assert back is not None and back["company_signer_role"] == "" and back["contact_email"] == ""


def test_filled_values_are_printed_where_the_layout_says() -> None:
    filled = acroform.fill_fields(render_form("connect"), VALUES)
    page = raster.render_pdf_page(filled, 0, 150)
    empty = raster.render_pdf_page(render_form("connect"), 0, 150)
    spec = get_layout("connect")
    for name in ("company_name", "company_org_number", "bureau_sign_date", "contact_email"):
        rows, cols = spec.rect_px(spec.field(name).rect.inset(3), 150).slices()
        assert (page[rows, cols] < 128).sum() > (empty[rows, cols] < 128).sum() + 30, name
    cell = spec.field("company_org_number").cell_rects()[0].inset(3)
    rows, cols = spec.rect_px(cell, 150).slices()
    assert (page[rows, cols] < 128).sum() > 20  # the first digit lands in the first box
    tick = spec.field("company_signer_role").options[1].rect.inset(2)
    rows, cols = spec.rect_px(tick, 150).slices()
    assert (page[rows, cols] < 128).sum() > 10  # systemadministratör is ticked
    tick = spec.field("company_signer_role").options[0].rect.inset(2)
    rows, cols = spec.rect_px(tick, 150).slices()
    assert (page[rows, cols] < 128).sum() == 0


def test_numbers_without_dashes_are_printed_in_their_boxes() -> None:
    pdf = render_form(
        "connect", values={"company_org_number": "5560360793", "company_sign_date": "20250115"}
    )
    values = acroform.read_fields(pdf)
    assert values is not None
    assert values["company_org_number"] == "556036-0793"
    assert values["company_sign_date"] == "2025-01-15"


def test_role_ticked_only_on_the_widget_is_read() -> None:
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter(clone_from=io.BytesIO(render_form("connect")))
    for ref in writer.pages[0]["/Annots"]:
        annot = ref.get_object()
        parent = annot.get("/Parent")
        if parent is not None and parent.get_object()["/T"] == "company_signer_role":
            states = [k for k in annot["/AP"]["/N"] if k != "/Off"]
            if states == ["/firmatecknare"]:
                annot[NameObject("/AS")] = NameObject("/firmatecknare")
    out = io.BytesIO()
    writer.write(out)
    values = acroform.read_fields(out.getvalue())
    assert values is not None and values["company_signer_role"] == "firmatecknare"


def test_bad_values_are_refused() -> None:
    blank = render_form("connect")
    with pytest.raises(acroform.AcroFormError, match="unknown"):
        acroform.fill_fields(blank, {"password": "x"})
    with pytest.raises(acroform.AcroFormError, match="fit"):
        acroform.fill_fields(blank, {"subscription_number": "1234567890123"})
    with pytest.raises(acroform.AcroFormError, match="company_signer_role"):
        acroform.fill_fields(blank, {"company_signer_role": "vd"})
    with pytest.raises(acroform.AcroFormError, match="control"):
        acroform.fill_fields(blank, {"company_name": "a\nb"})
    with pytest.raises(ValueError, match="secret"):
        render_form("connect", form_id="PC-1")


def test_read_fields_on_foreign_and_broken_pdfs() -> None:
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf)
    c.drawString(100, 700, "Hej")
    c.showPage()
    c.save()
    assert acroform.read_fields(buf.getvalue()) is None
    assert acroform.read_form_code(buf.getvalue()) is None
    with pytest.raises(acroform.AcroFormError):
        acroform.read_fields(b"%PDF-1.4 this is not a pdf")
    with pytest.raises(acroform.AcroFormError):
        acroform.read_fields(render_form("connect")[:2000])


# --- the marks are machine-readable -------------------------------------------------------------


def _detect(gray: np.ndarray) -> tuple[set[int], str]:
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    _, ids, _ = detector.detectMarkers(gray)
    found = set() if ids is None else {int(i) for i in ids.ravel()}
    qr = cv2.QRCodeDetector()
    h, w = gray.shape
    candidates = [gray] + [
        gray[y : y + h // 2, x : x + w // 2] for y in (0, h // 2) for x in (0, w // 2)
    ]
    for crop in candidates:
        text, _, _ = qr.detectAndDecode(crop)
        if text:
            return found, text
    return found, ""


def _rotate(gray: np.ndarray, degrees: float) -> np.ndarray:
    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(gray, m, (w, h), borderValue=255, flags=cv2.INTER_LINEAR)


@pytest.mark.parametrize(
    ("dpi", "transform"),
    [
        (300, "upright"),
        (200, "rotated+4.5"),
        (200, "rotated-5"),
        (150, "fax"),
        (200, "upside-down"),
    ],
)
def test_markers_and_qr_are_machine_readable(prefilled: bytes, dpi: int, transform: str) -> None:
    gray = raster.render_pdf_page(prefilled, 0, dpi)
    if transform.startswith("rotated"):
        gray = _rotate(gray, float(transform.removeprefix("rotated")))
    elif transform == "fax":  # blur, then a hard threshold as a fax machine does
        gray = cv2.GaussianBlur(gray, (3, 3), 0.8)
        gray = np.where(gray < 150, 0, 255).astype(np.uint8)
    elif transform == "upside-down":
        gray = np.ascontiguousarray(gray[::-1, ::-1])
    ids, text = _detect(gray)
    assert ids == {m.id for m in get_layout("disconnect").markers}
    assert qrpayload.decode(text, SECRET).form_id == "PC-000042"


def test_cli_blank_writes_a_fillable_pdf(tmp_path: Path) -> None:
    out = tmp_path / "bortkoppling.pdf"
    result = CliRunner().invoke(app, ["forms", "blank", "disconnect", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"] == str(out)
    data = out.read_bytes()
    assert acroform.read_fields(data) == dict.fromkeys(FIELD_NAMES, "")
    assert qrpayload.decode(acroform.read_form_code(data) or "", None).kind == "disconnect"
    bad = CliRunner().invoke(
        app, ["forms", "blank", "connect", "-o", str(tmp_path / "no" / "x.pdf")]
    )
    assert bad.exit_code == 1
