"""Builders for test mails: forms as attachments, and the hostile mails of the checklist."""

from __future__ import annotations

import io
import zipfile
from email.message import EmailMessage
from email.utils import make_msgid

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


def pdf_bytes(tag: str) -> bytes:
    """A small PDF-signed file, distinct per tag (content is not parsed by the intake)."""
    return (
        f"%PDF-1.4\n% kopplingar test {tag}\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".encode()
    )


def form_mail(
    tag: str,
    *,
    attachments: list[tuple[bytes, str, str]] | None = None,
    subject: str = "Blankett koppling",
) -> bytes:
    """A mail with one PDF form by default; ``attachments`` is [(data, mime type, filename)]."""
    msg = EmailMessage()
    msg["From"] = "Anna Andersson <anna@example.se>"
    msg["To"] = "kopplingar@fortnox.se"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(idstring=tag, domain="example.se")
    msg.set_content(f"Hej, här kommer blanketten ({tag}).")
    if attachments is None:
        attachments = [(pdf_bytes(tag), "application/pdf", f"blankett-{tag}.pdf")]
    for data, mime_type, filename in attachments:
        maintype, subtype = mime_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def encrypted_zip(files: dict[str, bytes]) -> bytes:
    """A zip whose entries carry the 'encrypted' flag (zipfile cannot write real encryption)."""
    data = bytearray(zip_of(files, zipfile.ZIP_STORED))
    index = 0
    while (index := data.find(b"PK\x03\x04", index)) >= 0:
        data[index + 6] |= 0x1
        index += 4
    index = 0
    while (index := data.find(b"PK\x01\x02", index)) >= 0:
        data[index + 8] |= 0x1
        index += 4
    return bytes(data)


def overlapping_zip() -> bytes:
    """Two central entries pointing at one local entry (the CVE-2024-0450 shape)."""
    data = bytearray(zip_of({"a.pdf": pdf_bytes("a"), "b.pdf": pdf_bytes("b")}))
    second = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)
    data[second + 42 : second + 46] = (0).to_bytes(4, "little")
    return bytes(data)


def raw_mail(headers: str, body: str) -> bytes:
    return (headers.strip("\n") + "\n\n" + body).replace("\n", "\r\n").encode()


def hostile_mails() -> dict[str, tuple[bytes, str]]:
    """name -> (raw mail, expected quarantine reason)."""
    pdf = pdf_bytes("hostile")
    many_parts = "".join(f"--b\nContent-Type: text/plain\n\npart {i}\n" for i in range(300))
    deep = "Subject: deep\nContent-Type: message/rfc822\n\n" * 12 + "Subject: end\n\nx\n"
    return {
        "zip_bomb": (
            form_mail(
                "bomb",
                attachments=[(zip_of({"f.pdf": b"0" * 5_000_000}), "application/zip", "x.zip")],
            ),
            "zip_bomb",
        ),
        "zip_traversal": (
            form_mail(
                "trav", attachments=[(zip_of({"../../etc/f.pdf": pdf}), "application/zip", "t.zip")]
            ),
            "zip_traversal",
        ),
        "zip_encrypted": (
            form_mail(
                "enc", attachments=[(encrypted_zip({"f.pdf": pdf}), "application/zip", "e.zip")]
            ),
            "zip_encrypted",
        ),
        "zip_overlapping": (
            form_mail("ovl", attachments=[(overlapping_zip(), "application/zip", "o.zip")]),
            "zip_overlapping",
        ),
        "too_many_parts": (
            raw_mail(
                "From: a@example.se\nSubject: many\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="b"',
                many_parts + "--b--\n",
            ),
            "too_many_parts",
        ),
        "nesting_too_deep": (
            raw_mail("From: a@example.se\nMIME-Version: 1.0\nContent-Type: message/rfc822", deep),
            "nesting_too_deep",
        ),
        "bad_base64": (
            raw_mail(
                "From: a@example.se\nSubject: b64\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="b"',
                "--b\nContent-Type: text/plain\n\nhej\n--b\nContent-Type: application/pdf\n"
                'Content-Disposition: attachment; filename="f.pdf"\n'
                "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK!!!$$$***\n--b--\n",
            ),
            "bad_encoding",
        ),
        "unknown_encoding": (
            raw_mail(
                "From: a@example.se\nSubject: cte\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="b"',
                "--b\nContent-Type: application/pdf; name=f.pdf\n"
                "Content-Transfer-Encoding: x-evil\n\n%PDF-1.4 xx\n--b--\n",
            ),
            "bad_encoding",
        ),
        "header_injection": (
            raw_mail(
                "From: a@example.se\nSubject: =?utf-8?q?Hej=0D=0ABcc=3A_evil=40example=2Ecom?=\n"
                "MIME-Version: 1.0\nContent-Type: application/pdf",
                "%PDF-1.4 injected\n",
            ),
            "header_injection",
        ),
        "filename_injection": (
            raw_mail(
                "From: a@example.se\nSubject: fn\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="b"',
                "--b\nContent-Type: application/pdf\n"
                "Content-Disposition: attachment; filename*=utf-8''a%0D%0ABcc%3A%20x.pdf\n\n"
                "%PDF-1.4 xx\n--b--\n",
            ),
            "header_injection",
        ),
        "truncated_multipart": (
            raw_mail(
                "From: a@example.se\nSubject: cut\nMIME-Version: 1.0\n"
                'Content-Type: multipart/mixed; boundary="b"',
                "--b\nContent-Type: application/pdf\n\n%PDF-1.4 cut off",
            ),
            "malformed_mime",
        ),
    }
