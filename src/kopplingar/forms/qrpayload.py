"""The text in a form's QR code: form kind, layout version and, on prefilled forms, a signed form id.

Format (QR alphanumeric-mode characters only when the id is upper case, to keep modules large)::

    KPL1:C:1                        blank connect form, layout version 1
    KPL1:D:1:PC-000042:MFRGGZDFMZTWQ2LK   prefilled disconnect form bound to case PC-000042

The last part is the first 80 bits of HMAC-SHA256 over everything before it, base32 without
padding. It binds the id to the kind and version, so a forged id, an id moved to the other kind,
or a stripped signature is refused with :class:`QrSignatureError`. Eighty bits are far beyond
what anyone can guess through a channel of mailed scans; the code stays a small QR (version 3–4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from kopplingar.forms.layout import KINDS, FormKind

PREFIX = "KPL1"
KIND_CODES: dict[str, str] = {"connect": "C", "disconnect": "D"}
KINDS_BY_CODE: dict[str, FormKind] = {"C": "connect", "D": "disconnect"}
MAC_BYTES = 10
MAX_TEXT = 120
_FORM_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_VERSION = re.compile(r"[0-9]{1,3}")
_MAC = re.compile(r"[A-Z2-7]{16}")
_DOMAIN = b"kopplingar-form-qr|"


class QrPayloadError(ValueError):
    """The text is not a form code of ours, or is malformed. ``reason`` is a stable code."""

    def __init__(self, message: str, reason: str = "malformed") -> None:
        super().__init__(message)
        self.reason = reason


class QrSignatureError(QrPayloadError):
    """A form id whose signature is missing, wrong or cannot be checked: forged or altered."""

    def __init__(self, message: str, reason: str = "bad_signature") -> None:
        super().__init__(message, reason)


@dataclass(frozen=True)
class Payload:
    kind: FormKind
    version: str
    form_id: str | None = None

    @property
    def prefilled(self) -> bool:
        return self.form_id is not None


def _mac(body: str, secret: bytes) -> str:
    digest = hmac.new(secret, _DOMAIN + body.encode("ascii"), hashlib.sha256).digest()
    return base64.b32encode(digest[:MAC_BYTES]).decode("ascii").rstrip("=")


def encode(kind: str, version: str, form_id: str | None = None, secret: bytes | None = None) -> str:
    """The QR text for a blank form (no ``form_id``) or a prefilled one (``form_id`` and ``secret``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown form kind {kind!r}")
    if not _VERSION.fullmatch(version):
        raise ValueError(f"bad layout version {version!r}")
    body = f"{PREFIX}:{KIND_CODES[kind]}:{version}"
    if form_id is None:
        return body
    if not _FORM_ID.fullmatch(form_id):
        raise ValueError("form_id must be 1-40 characters A-Z, a-z, 0-9, '-' or '_'")
    if not secret:
        raise ValueError("a prefilled form's id must be signed: give the secret")
    body = f"{body}:{form_id}"
    return f"{body}:{_mac(body, secret)}"


def decode(text: str, secret: bytes | None) -> Payload:
    """Parse and verify a QR text. Raises :class:`QrPayloadError` (not ours, malformed) or
    :class:`QrSignatureError` (a form id that is forged, altered or cannot be verified)."""
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise QrPayloadError("QR text too long for a form code", "not_ours")
    parts = text.split(":")
    if parts[0] != PREFIX:
        raise QrPayloadError("not a kopplingar form code", "not_ours")
    if len(parts) not in (3, 4, 5):
        raise QrPayloadError("malformed form code")
    code, version = parts[1], parts[2]
    if code not in KINDS_BY_CODE or not _VERSION.fullmatch(version):
        raise QrPayloadError("malformed form code")
    kind = KINDS_BY_CODE[code]
    if len(parts) == 3:
        return Payload(kind, version)
    form_id = parts[3]
    if not _FORM_ID.fullmatch(form_id):
        raise QrSignatureError("malformed form id")
    if len(parts) == 4:
        raise QrSignatureError("form id without signature")
    mac = parts[4]
    if not _MAC.fullmatch(mac):
        raise QrSignatureError("malformed signature")
    if not secret:
        raise QrSignatureError("no key to verify the form id", "unverifiable")
    expected = _mac(":".join(parts[:4]), secret)
    if not hmac.compare_digest(expected, mac):
        raise QrSignatureError("form id signature does not match: forged or altered")
    return Payload(kind, version, form_id)
