"""MIME extraction: forwarded, inline, misdeclared and hostile parts; properties with Hypothesis."""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kopplingar.intake import mime, sniff
from tests.support.mails import PNG_1PX, form_mail, hostile_mails, pdf_bytes, raw_mail, zip_of


def test_forwarded_inline_and_misdeclared_parts_are_all_found() -> None:
    inner = EmailMessage()
    inner["Subject"] = "Fwd"
    inner.set_content("original")
    inner.add_attachment(pdf_bytes("fwd"), maintype="application", subtype="pdf", filename="f.pdf")
    outer = EmailMessage()
    outer["From"] = "b@example.se"
    outer.set_content("se bifogat")
    outer.add_attachment(inner)  # message/rfc822
    outer.add_attachment(PNG_1PX, maintype="text", subtype="plain", filename="scan.txt")
    outer.add_attachment(
        pdf_bytes("inline"), maintype="application", subtype="pdf", disposition="inline"
    )
    outer.add_attachment(
        zip_of({"in/zip.pdf": pdf_bytes("zip")}),
        maintype="application",
        subtype="zip",
        filename="forms.zip",
    )
    result = mime.extract(outer.as_bytes())
    assert result.reason is None
    kinds = sorted(d.sniffed_type for d in result.documents)
    assert kinds == [sniff.PDF, sniff.PDF, sniff.PDF, sniff.PNG]
    assert {d.original_filename for d in result.documents} >= {"f.pdf", "scan.txt", "in/zip.pdf"}


def test_same_form_twice_in_one_mail_is_one_document() -> None:
    pdf = pdf_bytes("same")
    raw = form_mail(
        "t", attachments=[(pdf, "application/pdf", "a.pdf"), (pdf, "application/pdf", "b.pdf")]
    )
    assert len(mime.extract(raw).documents) == 1


def test_mail_without_forms_is_ready_with_no_documents() -> None:
    result = mime.extract(form_mail("none", attachments=[(b"GIF89a...", "image/gif", "x.gif")]))
    assert (result.reason, result.documents) == (None, ())
    assert any("not a PDF" in note for note in result.notes)


def test_rfc2231_and_traversal_filenames_are_metadata_only() -> None:
    raw = raw_mail(
        "From: a@example.se\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b",
        "--b\nContent-Type: application/octet-stream\n"
        "Content-Disposition: attachment; filename*=utf-8''..%2F..%2Fetc%2Fbl%C3%A5nkett.pdf\n\n"
        "%PDF-1.4 x\n--b--\n",
    )
    (doc,) = mime.extract(raw).documents
    assert doc.original_filename == "../../etc/blånkett.pdf"
    assert doc.sniffed_type == sniff.PDF


@pytest.mark.parametrize("name", sorted(hostile_mails()))
def test_hostile_mail_gets_its_reason(name: str) -> None:
    raw, reason = hostile_mails()[name]
    assert mime.extract(raw).reason == reason


def test_sender_parsing_refuses_ambiguous_addresses() -> None:
    assert mime.parse_sender("Anna <Anna@Example.se>") == "anna@example.se"
    assert mime.parse_sender("alice@example.org)<bob@example.org>") is None
    assert mime.parse_sender("a@example.se, b@example.se") is None
    assert mime.parse_sender("=?utf-8?q?x=0D=0Ay?= <a@example.se>") is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=4000))
def test_extract_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    result = mime.extract(data)
    for doc in result.documents:
        assert sniff.sniff(doc.data) in sniff.FORM_TYPES


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_display_filename_is_safe_for_records_and_replies(name: str) -> None:
    shown = mime.display_filename(name)
    assert shown is None or (
        len(shown) <= mime.MAX_FILENAME_CHARS and not mime.has_injection(shown)
    )


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120))
def test_any_rfc2231_filename_survives_as_metadata(name: str) -> None:
    encoded = quote(name.encode("utf-8"), safe="")
    raw = raw_mail(
        "From: a@example.se\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b",
        "--b\nContent-Type: application/pdf\n"
        f"Content-Disposition: attachment; filename*=utf-8''{encoded}\n\n%PDF-1.4 x\n--b--\n",
    )
    result = mime.extract(raw)
    if mime.has_injection(name.strip()):  # leading/trailing line breaks are stripped harmlessly
        assert result.reason == "header_injection"
        return
    assert result.reason is None
    (doc,) = result.documents
    assert not mime.has_injection(doc.original_filename or "")
    # Kept as metadata up to whitespace folding; encoded-word lookalikes may be decoded.
    assume("=?" not in name)
    expected = "".join(mime.clean_text(name.strip(), mime.MAX_FILENAME_CHARS).split())
    assert "".join((doc.original_filename or "").split()) == expected
