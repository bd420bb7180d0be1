"""The form reader: whatever arrived attached to a mail in, one reading per form page out.

Steps: decode the file within hard limits (``inputs``); on each page look for our markers (the
kind) and align the page to the layout (``align``); read the QR on the aligned page (version and
a signed form id, ``qrread`` + ``qrpayload``); read the fields (``fields``) and map every raw score
to a calibrated probability (``calibration``). A digitally filled PDF gives its field values
directly (source ``acroform``), its signature boxes are still judged on the rendered page. A
file without any form gives one reading with ``form.kind`` None and a ``reason``; where a
full-page OCR finds something like an organisation or subscription number it is reported with
low confidence. The output dicts validate as ``validation.reading.FormReading``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from kopplingar.forms import acroform, align, calibration, fields, qrpayload, qrread, tesseract
from kopplingar.forms import page_geometry as geometry
from kopplingar.forms.inputs import Document, InputError, Limits, load_pages
from kopplingar.forms.layout import (
    FIELD_NAMES,
    KINDS,
    SUPPORTED_VERSIONS,
    FormKind,
    FormLayout,
    Rect,
    UnknownFormError,
    get_layout,
)
from kopplingar.forms.numbers import luhn_ok

READ_DPI = 200.0  # PDFs are rendered at this resolution: the aligned page is 200 dpi anyway
DEFAULT_DEADLINE_S = 90.0  # the sandbox kills the reader at 120 s; stop reading pages before
UNKNOWN_OCR_PAGES = 2  # unknown documents: full-page OCR of at most this many pages
UNKNOWN_CONFIDENCE = 0.3  # a number found on a page that is not our form is only a hint

Result = dict[str, Any]


@lru_cache(maxsize=1)
def _secret() -> bytes | None:
    try:
        from kopplingar.config import Settings

        return Settings().secret_bytes()
    except Exception:  # without a key, form ids are reported unverifiable
        return None


@lru_cache(maxsize=1)
def _read_regions() -> tuple[Rect, ...]:
    """Where any supported layout has something to read: all the warp needs to cover (the QR
    code may name another kind than the markers, and that kind's layout is read then)."""
    layouts = [get_layout(k, v) for k in KINDS for v in SUPPORTED_VERSIONS]
    return tuple(align.read_regions(*layouts))


@dataclass
class QrInfo:
    text: str | None
    kind: FormKind | None = None
    version: str | None = None
    form_id: str | None = None
    form_id_valid: bool | None = None
    problem: str | None = None


def interpret_qr(text: str | None, secret: bytes | None) -> QrInfo:
    """Kind, version and form id from a QR text, with the form id's HMAC verified."""
    if not text:
        return QrInfo(None)
    try:
        payload = qrpayload.decode(text, secret)
    except qrpayload.QrSignatureError as exc:
        parts = text.strip().split(":")
        kind = qrpayload.KINDS_BY_CODE.get(parts[1]) if len(parts) > 2 else None
        return QrInfo(
            text,
            kind,
            parts[2] if len(parts) > 2 else None,
            parts[3] if len(parts) > 3 else None,
            False,
            exc.reason,
        )
    except qrpayload.QrPayloadError as exc:
        return QrInfo(text, problem=exc.reason)
    return QrInfo(
        text,
        payload.kind,
        payload.version,
        payload.form_id,
        True if payload.form_id else None,
    )


def _no_form(name: str, reason: str, detail: str = "", page: int | None = None) -> Result:
    out: Result = {
        "file": name,
        "page": page,
        "form": {"kind": None, "version": None, "form_id": None, "form_id_valid": None},
        "source": "none",
        "fields": {},
        "signatures": {},
        "reason": reason,
    }
    if detail:
        out["detail"] = detail
    return out


def _field(value: str | None, confidence: float, **extra: Any) -> dict[str, Any]:
    return {"value": value, "confidence": round(float(np.clip(confidence, 0.0, 1.0)), 4), **extra}


# --- values from a digital PDF ---------------------------------------------------------------------


def canonical(name: str, value: str | None) -> str | None:
    """A field value in the form the reader reports (org NNNNNN-NNNN, dates YYYY-MM-DD)."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text:
        return None
    if name.endswith("org_number"):
        digits = re.sub(r"\D", "", text)
        return f"{digits[:6]}-{digits[6:]}" if len(digits) == 10 else text
    if name.endswith("sign_date"):
        digits = re.sub(r"\D", "", text)
        return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}" if len(digits) == 8 else text
    if name == "subscription_number":
        return re.sub(r"\s", "", text)
    return text


def _acroform_fields(values: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FIELD_NAMES:
        value = canonical(name, values.get(name))
        if name.endswith("org_number") and value and not luhn_ok(value.replace("-", "")):
            out[name] = _field(value, 1.0, luhn_ok=False)  # typed as it is: the rules judge it
        else:
            out[name] = _field(value, 1.0)
    return out


# --- one page -----------------------------------------------------------------------------------


@dataclass
class FoundForm:
    index: int
    alignment: align.Alignment
    aligned: np.ndarray
    layout: FormLayout
    qr: QrInfo
    image_size: tuple[int, int] = (0, 0)  # width, height of the page image that was read


def page_geometry(found: FoundForm) -> dict[str, Any]:
    """Where the layout sits on the page image (``forms/page_geometry.py``), so the review desk
    can draw the boxes over the scan: the aligned page's own geometry, taken back to the image."""
    aligned = geometry.aligned_page(found.layout, align.WORK_DPI)[geometry.HOMOGRAPHY_KEY]
    to_image = np.linalg.inv(found.alignment.to_layout) @ np.array(aligned)
    return geometry.geometry_dict(to_image / to_image[2, 2], found.image_size)


def _locate(image: np.ndarray, secret: bytes | None) -> FoundForm | None:
    """Our form on this page: by its markers or, failing that, by its QR code."""
    alignment, _ = align.find_form(image)
    if alignment is not None:
        layout = get_layout(alignment.kind)
        aligned = align.warp(image, alignment, layout, _read_regions())
        qr = interpret_qr(qrread.read_aligned(aligned, layout, align.WORK_DPI), secret)
        return FoundForm(0, alignment, aligned, layout, qr, (image.shape[1], image.shape[0]))
    hit = qrread.search_page(align.to_gray(image))
    if hit is None:
        return None
    qr = interpret_qr(hit.text, secret)
    if qr.kind is None:
        return None
    layout = get_layout(qr.kind)
    box = layout.rect_px(layout.qr, align.WORK_DPI)
    target = np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    alignment = align.align_from_quad(hit.corners, target, qr.kind)
    if alignment is None:
        return None
    warped = align.warp(image, alignment, layout, _read_regions())
    return FoundForm(0, alignment, warped, layout, qr, (image.shape[1], image.shape[0]))


def _read_page(
    found: FoundForm, name: str, acro: dict[str, str] | None, raw_scores: bool = False
) -> Result:
    alignment, qr = found.alignment, found.qr
    kind: FormKind = alignment.kind
    warnings: list[str] = []
    if qr.kind is not None and qr.kind != kind:
        warnings.append("qr_kind_differs_from_markers")
        if qr.form_id_valid:
            kind = qr.kind  # a signed code is the stronger evidence
    version = qr.version
    form: dict[str, Any] = {
        "kind": kind,
        "version": version,
        "form_id": qr.form_id,
        "form_id_valid": qr.form_id_valid,
        "qr": "read" if qr.text else "unreadable",
        "markers": alignment.marker_ids,
    }
    if qr.problem:
        form["qr_problem"] = qr.problem
    result: Result = {
        "file": name,
        "page": found.index + 1,
        "form": form,
        "source": "ocr",
        "fields": {},
        "signatures": {},
        "rotation": alignment.rotation,
        "alignment": {"method": alignment.method, "error_px": round(alignment.reprojection_px, 2)},
        "geometry": page_geometry(found),
    }
    if warnings:
        result["warnings"] = warnings
    if version is not None and version not in SUPPORTED_VERSIONS:
        result["form"]["kind"] = None
        result["form"]["detected_kind"] = kind
        result["source"] = "none"
        result["reason"] = "unsupported_version"
        return result
    if version is None:
        form["version_assumed"] = SUPPORTED_VERSIONS[-1]
    layout = get_layout(kind, version or SUPPORTED_VERSIONS[-1])
    page = found.aligned
    dpi = align.WORK_DPI
    quality = alignment.quality if version is not None else alignment.quality * 0.9
    if acro is not None:
        result["source"] = "acroform"
        result["fields"] = _acroform_fields(acro)
    else:
        readings = fields.read_combs(page, layout, dpi)
        readings.update(fields.read_texts(page, layout, dpi))
        readings["company_signer_role"] = fields.read_role(page, layout, dpi)
        for fname in FIELD_NAMES:
            r = readings[fname]
            kind_key = "email" if fname == "contact_email" else r.kind
            conf = calibration.calibrate(kind_key, r.confidence) * quality
            extra: dict[str, Any] = (
                {"luhn_ok": r.details["luhn_ok"]} if "luhn_ok" in r.details else {}
            )
            if raw_scores:  # for fitting the calibration: the score before it
                extra["raw"] = {"score": round(r.confidence, 5), "kind": kind_key}
            result["fields"][fname] = _field(r.value, conf, **extra)
    result["signatures"] = _signatures(page, layout, quality, raw_scores)
    return result


def _signatures(
    page: np.ndarray, layout: FormLayout, quality: float, raw_scores: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for party, sig in fields.read_signatures(page, layout, align.WORK_DPI).items():
        key = signature_key(sig)
        confidence = calibration.calibrate_signature(key, sig.confidence, present=sig.present)
        if sig.present:
            confidence *= quality
        entry: dict[str, Any] = {
            "present": sig.present,
            "confidence": round(float(np.clip(confidence, 0.0, 1.0)), 4),
        }
        if raw_scores:
            entry["raw"] = {"score": round(sig.confidence, 5), "kind": key}
        out[party] = entry
    return out


def signature_key(sig: fields.SignatureReading) -> str:
    """The calibration group of a presence judgement (overruled ones stay as they are)."""
    if sig.guard:
        return "signature_guarded"
    return "signature_present" if sig.present else "signature_absent"


# --- unknown documents ---------------------------------------------------------------------------

_ORG = re.compile(r"(?<![\d-])(\d{6})\s?-?\s?(\d{4})(?![\d-])")
_SUBSCRIPTION = re.compile(r"abonnemangs\s*(?:nummer|nr)\.?\s*:?\s*(\d{4,12})", re.IGNORECASE)


def hints_from_text(text: str) -> dict[str, Any]:
    """Org and subscription numbers that a page of unknown text seems to mention."""
    out: dict[str, Any] = {}
    orgs = [a + b for a, b in _ORG.findall(text) if luhn_ok(a + b) and int(a[2]) >= 2]
    if orgs:
        out["company_org_number"] = _field(f"{orgs[0][:6]}-{orgs[0][6:]}", UNKNOWN_CONFIDENCE)
    sub = _SUBSCRIPTION.search(text)
    if sub:
        out["subscription_number"] = _field(sub.group(1), UNKNOWN_CONFIDENCE)
    return out


TEXT_LAYER_MIN_CHARS = 40  # fewer: a scan with a stray label, OCR it instead


def _unknown_document(name: str, doc: Document, deadline: float, reason: str) -> Result:
    """No form: hints from the text of the first pages, their own text layer where a PDF page
    has one (a letter made on a computer: exact and a thousand times cheaper), else OCR."""
    result = _no_form(name, reason)
    hints: dict[str, Any] = {}
    sources: list[str] = []
    for page in doc.pages[:UNKNOWN_OCR_PAGES]:
        if len(page.text.strip()) >= TEXT_LAYER_MIN_CHARS:
            text, source = page.text, "text_layer"
        else:
            if time.monotonic() > deadline:
                break
            try:
                remaining_ms = int(max(5.0, deadline - time.monotonic()) * 1000)
                text, source = tesseract.page_text(page.image, timeout_ms=remaining_ms), "ocr"
            except (tesseract.TesseractTimeoutError, tesseract.TesseractUnavailableError):
                break
        sources.append(source)
        for key, value in hints_from_text(text).items():
            hints.setdefault(key, value)
    result["fields"] = hints
    if sources:
        result["hints_from"] = sources  # per page read: "text_layer" or "ocr"
    return result


# --- the document ---------------------------------------------------------------------------------


def _acroform_values(doc: Document) -> tuple[dict[str, str] | None, str | None]:
    if doc.pdf_bytes is None:
        return None, None
    try:
        return acroform.read_fields(doc.pdf_bytes), acroform.read_form_code(doc.pdf_bytes)
    except acroform.AcroFormError:
        return None, None


def read_document(
    data: bytes,
    name: str,
    *,
    limits: Limits | None = None,
    deadline_s: float = DEFAULT_DEADLINE_S,
    secret: bytes | None = None,
    unknown_ocr: bool = True,
    raw_scores: bool = False,
) -> list[Result]:
    """Every form in the file, one JSON-able reading each (see the module docstring)."""
    deadline = time.monotonic() + deadline_s
    try:
        doc = load_pages(data, name, limits or Limits(pdf_dpi=READ_DPI))
    except InputError as exc:
        return [_no_form(name, exc.code, exc.message)]
    key = secret if secret is not None else _secret()
    acro, acro_code = _acroform_values(doc)
    results: list[Result] = []
    for index, page in enumerate(doc.pages):
        if time.monotonic() > deadline:
            if results:
                results[-1]["incomplete"] = True
                break
            return [_no_form(name, "timeout", f"stopped after {index} of {len(doc.pages)} pages")]
        found = _locate(page.image, key)
        if found is None:
            continue
        found.index = index
        if found.qr.text is None and acro_code and acro is not None:
            found.qr = interpret_qr(acro_code, key)  # the code the generator stored in the PDF
        try:
            results.append(_read_page(found, name, acro, raw_scores))
        except UnknownFormError as exc:
            results.append(_no_form(name, "unsupported_version", str(exc), index + 1))
        acro = None  # a PDF's fields belong to its first form page
    if results:
        return results
    if not unknown_ocr:
        return [_no_form(name, "no form found")]
    return [_unknown_document(name, doc, deadline, "no form found")]
