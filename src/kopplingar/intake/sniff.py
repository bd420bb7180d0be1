"""Recognise file types by their magic bytes: senders and mail clients misdeclare content types."""

from __future__ import annotations

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
ZIP = "application/zip"

FORM_TYPES = frozenset({PDF, JPEG, PNG, TIFF})
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png", TIFF: "tif", ZIP: "zip"}


def sniff(data: bytes) -> str | None:
    """The type the bytes really are, or None when it is none we handle.

    PDF readers accept ``%PDF-`` anywhere in the first kilobyte, so this does too.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if b"%PDF-" in data[:1024]:
        return PDF
    return None


def may_hold_form(data: bytes) -> bool:
    return sniff(data) in FORM_TYPES
