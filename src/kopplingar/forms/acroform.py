"""Fill and read the forms' AcroForm fields with pypdf (digitally filled PDFs need no OCR).

The role field is a radio group whose PDF export names are ASCII (``firmatecknare``,
``systemadministrator``); callers only ever see the Swedish values of the layout
(``firmatecknare``, ``systemadministratör``), both when filling and when reading.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import BooleanObject, NameObject

from kopplingar.forms.layout import FIELD_NAMES, get_layout

ROLE_FIELD = "company_signer_role"
MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_VALUE_LENGTH = 200
_ROLE_OPTIONS = get_layout("connect").field(ROLE_FIELD).options
ROLE_EXPORTS: dict[str, str] = {o.value: o.export for o in _ROLE_OPTIONS}
ROLE_VALUES: dict[str, str] = {o.export: o.value for o in _ROLE_OPTIONS}
INFO_KEY = "/KopplingarForm"


class AcroFormError(ValueError):
    """A PDF that cannot be read or filled as one of our forms (corrupt, encrypted, bad values)."""


def _check_values(values: Mapping[str, str]) -> None:
    unknown = set(values) - set(FIELD_NAMES)
    if unknown:
        raise AcroFormError(f"unknown form fields: {', '.join(sorted(unknown))}")
    for name, value in values.items():
        if not isinstance(value, str):
            raise AcroFormError(f"{name}: value must be text")
        if len(value) > MAX_VALUE_LENGTH or any(ord(ch) < 32 for ch in value):
            raise AcroFormError(f"{name}: value too long or with control characters")
    role = values.get(ROLE_FIELD, "")
    if role and role not in ROLE_EXPORTS:
        raise AcroFormError(f"{ROLE_FIELD} must be one of {', '.join(ROLE_EXPORTS)} or empty")


def _max_lengths(writer: PdfWriter) -> dict[str, int]:
    """Each text field's /MaxLen, read from the widgets (pypdf's field summary leaves it out)."""
    out: dict[str, int] = {}
    for page in writer.pages:
        for ref in page.get("/Annots") or []:
            annot = ref.get_object()
            node = annot
            while node is not None and "/T" not in node:
                parent = node.get("/Parent")
                node = parent.get_object() if parent is not None else None
            if node is None:
                continue
            limit = annot.get("/MaxLen", node.get("/MaxLen"))
            if limit is not None:
                out[str(node["/T"])] = int(limit)
    return out


def finish(
    pdf_bytes: bytes, values: Mapping[str, str], info: Mapping[str, str] | None = None
) -> bytes:
    """Fill ``values`` into a form (appearance streams written, so it prints as shown) and set
    document info entries. Raises :class:`AcroFormError` for unknown fields or values that do not fit."""
    _check_values(values)
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes))
    limits = _max_lengths(writer)
    for name, value in values.items():
        if name in limits and len(value) > limits[name]:
            raise AcroFormError(
                f"{name}: {len(value)} characters do not fit in {limits[name]} boxes"
            )
    mapped: dict[str, str] = {k: v for k, v in values.items() if k != ROLE_FIELD}
    if ROLE_FIELD in values:
        role = values[ROLE_FIELD]
        mapped[ROLE_FIELD] = f"/{ROLE_EXPORTS[role]}" if role else "/Off"
    if mapped:
        writer.update_page_form_field_values(None, mapped, auto_regenerate=False)
    acro = writer._root_object.get("/AcroForm")
    if acro is not None:
        acro.get_object()[NameObject("/NeedAppearances")] = BooleanObject(False)
    if info:
        writer.add_metadata(dict(info))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_fields(pdf_bytes: bytes, values: Mapping[str, str]) -> bytes:
    """The form with these field values, as a person would fill it in a PDF reader."""
    return finish(pdf_bytes, values)


def _open(pdf_bytes: bytes) -> PdfReader:
    if len(pdf_bytes) > MAX_PDF_BYTES:
        raise AcroFormError("PDF too large")
    try:
        reader = PdfReader(io.BytesIO(pdf_bytes))
        if reader.is_encrypted and not reader.decrypt(""):
            raise AcroFormError("PDF is encrypted with a password")
        return reader
    except AcroFormError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError, OSError) as exc:
        raise AcroFormError(f"unreadable PDF: {exc}") from exc


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # a multi-valued field is not one of ours; keep it readable
        return ", ".join(_as_text(v) for v in value)
    return str(value)


def read_fields(pdf_bytes: bytes) -> dict[str, str] | None:
    """Our fields' values from a digitally filled PDF, every field present ("" when empty); None
    when the PDF has none of our fields (scanned or flattened: read it as an image instead)."""
    reader = _open(pdf_bytes)
    try:
        fields = reader.get_fields() or {}
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise AcroFormError(f"unreadable form fields: {exc}") from exc
    ours = {name: fields[name] for name in FIELD_NAMES if name in fields}
    if not ours:
        return None
    out: dict[str, str] = {}
    for name in FIELD_NAMES:
        spec = ours.get(name)
        value = _as_text(spec.get("/V")) if spec is not None else ""
        if name == ROLE_FIELD:
            export = value.removeprefix("/") or _ticked_widget(reader)
            value = ROLE_VALUES.get(export, "" if export in ("", "Off") else export)
        out[name] = value
    return out


def _ticked_widget(reader: PdfReader) -> str:
    """The role a reader ticked by setting only a widget's /AS (some viewers leave /V unset)."""
    try:
        for page in reader.pages:
            for ref in page.get("/Annots") or []:
                annot = ref.get_object()
                parent = annot.get("/Parent")
                if parent is None or str(parent.get_object().get("/T")) != ROLE_FIELD:
                    continue
                state = str(annot.get("/AS", "/Off")).removeprefix("/")
                if state != "Off":
                    return state
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise AcroFormError(f"unreadable form fields: {exc}") from exc
    return ""


def read_form_code(pdf_bytes: bytes) -> str | None:
    """The QR text our generator stored in the document info (verify it with ``qrpayload.decode``)."""
    reader = _open(pdf_bytes)
    try:
        meta = reader.metadata
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise AcroFormError(f"unreadable document info: {exc}") from exc
    if not meta:
        return None
    value = meta.get(INFO_KEY)
    return str(value) if value is not None else None
