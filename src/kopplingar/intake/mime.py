"""Finding every part of a mail that may hold a form: pure functions, no I/O.

Parsing uses the ``compat32`` policy because it never raises on malformed input (the modern policy
can raise while reading odd headers); headers are then decoded here with explicit fallbacks. Types
are decided by magic bytes, not by declared content types. Anything hostile raises nothing: the
result carries a quarantine reason code instead, so one bad mail never stops the poller.
"""

from __future__ import annotations

import email
import email.errors
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

from kopplingar.intake import sniff
from kopplingar.intake.rawstore import sha256_hex
from kopplingar.intake.zipfiles import ZipLimits, ZipRejectedError, expand_zip

KNOWN_ENCODINGS = frozenset(
    {"", "7bit", "8bit", "binary", "base64", "quoted-printable"}
    | {"x-uuencode", "uuencode", "uue", "x-uue"}
)
FORM_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".zip")
ZIP_DECLARED = frozenset(
    {
        "application/zip",
        "application/x-zip-compressed",
        "application/octet-stream",
        "multipart/x-zip",
    }
)
_BROKEN_STRUCTURE = (
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.CloseBoundaryNotFoundDefect,
)
_BAD_BASE64 = (email.errors.InvalidBase64CharactersDefect, email.errors.InvalidBase64PaddingDefect)
_INJECTION = re.compile(r"[\r\n\x00]")
_FOLDING = re.compile(r"\r?\n(?=[ \t])")
_ADDRESS = re.compile(
    r"[^@\s<>(),;:\"\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)
MAX_FILENAME_CHARS = 255


@dataclass(frozen=True)
class MimeLimits:
    max_parts: int = 200
    max_depth: int = 8
    zip: ZipLimits = field(default_factory=ZipLimits)


@dataclass(frozen=True)
class Document:
    """Bytes that may hold a form, with where they came from. The filename is metadata only."""

    part_path: str
    original_filename: str | None
    declared_type: str | None
    sniffed_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return sha256_hex(self.data)


@dataclass(frozen=True)
class MailSummary:
    message_id: str | None
    sender: str | None
    subject: str | None


@dataclass(frozen=True)
class Extraction:
    summary: MailSummary
    documents: tuple[Document, ...] = ()
    reason: str | None = None
    detail: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def quarantined(self) -> bool:
        return self.reason is not None


class _QuarantineError(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# ---------------------------------------------------------------- text and header helpers


def clean_text(value: str, limit: int = 998) -> str:
    """Printable text for records and replies: control characters become U+FFFD, length capped."""
    cleaned = "".join(
        "\ufffd" if unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\t" else ch
        for ch in value
    )
    return cleaned[:limit]


def has_injection(value: str) -> bool:
    """CR, LF or NUL after decoding: copied into a reply header, it would add headers."""
    return bool(_INJECTION.search(value))


def decode_header_value(raw: object) -> str:
    """An RFC 2047 header decoded to text, unfolded; never raises."""
    text = str(raw) if raw is not None else ""
    text = _FOLDING.sub("", text)
    try:
        return str(make_header(decode_header(text)))
    except (email.errors.HeaderParseError, LookupError, UnicodeError, ValueError):
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def display_filename(raw: str | None) -> str | None:
    """The original filename kept as metadata: decoded, control characters replaced, capped.

    It is never used as a path; documents are stored under their SHA-256.
    """
    if raw is None:
        return None
    decoded = decode_header_value(raw)
    return clean_text(decoded, MAX_FILENAME_CHARS) or None


def parse_sender(raw: str | None) -> str | None:
    """The one sender address, or None when the header is ambiguous (CVE-2023-27043 style)."""
    if not raw:
        return None
    value = decode_header_value(raw)
    if has_injection(value) or value.count("@") != 1:
        return None
    addresses = [addr for _, addr in getaddresses([value]) if addr]
    if len(addresses) != 1 or not _ADDRESS.fullmatch(addresses[0]):
        return None
    return addresses[0].lower()


def summarize(message: Message) -> MailSummary:
    message_id = message.get("Message-ID")
    subject = message.get("Subject")
    return MailSummary(
        message_id=clean_text(decode_header_value(message_id).strip(), 998) if message_id else None,
        sender=parse_sender(message.get("From")),
        subject=clean_text(decode_header_value(subject)) if subject is not None else None,
    )


def read_summary(raw: bytes) -> MailSummary:
    """Message-ID, sender and subject from a mail or just its header block."""
    return summarize(email.message_from_bytes(raw))


# ---------------------------------------------------------------- extraction


def extract(raw: bytes, limits: MimeLimits | None = None) -> Extraction:
    """Every part of ``raw`` that may hold a form, or a quarantine reason. Never raises."""
    limits = limits or MimeLimits()
    message = email.message_from_bytes(raw)
    summary = summarize(message)
    notes: list[str] = []
    try:
        _check_headers(message)
        documents = _dedupe(list(_Walker(limits, notes).walk(message, "1", 0)))
    except _QuarantineError as q:
        return Extraction(summary=summary, reason=q.reason, detail=q.detail, notes=tuple(notes))
    return Extraction(summary=summary, documents=tuple(documents), notes=tuple(notes))


def _check_headers(message: Message) -> None:
    for name in ("Subject", "From", "Reply-To", "To", "Cc"):
        for value in message.get_all(name) or []:
            if has_injection(decode_header_value(value)):
                raise _QuarantineError("header_injection", f"{name} carries CR/LF/NUL")


class _Walker:
    """Walks the part tree once, counting parts against the limits and collecting notes."""

    def __init__(self, limits: MimeLimits, notes: list[str]) -> None:
        self.limits = limits
        self.notes = notes
        self.count = 0

    def walk(self, part: Message, path: str, depth: int) -> Iterator[Document]:
        self.count += 1
        if self.count > self.limits.max_parts:
            raise _QuarantineError(
                "too_many_parts", f"more than {self.limits.max_parts} MIME parts"
            )
        if depth > self.limits.max_depth:
            raise _QuarantineError(
                "nesting_too_deep", f"deeper than {self.limits.max_depth} levels at {path}"
            )
        for defect in part.defects:
            if isinstance(defect, _BROKEN_STRUCTURE):
                raise _QuarantineError("malformed_mime", f"{type(defect).__name__} at {path}")
        payload = part.get_payload()
        if isinstance(payload, list):
            for index, child in enumerate(payload, start=1):
                if isinstance(child, Message):
                    yield from self.walk(child, f"{path}.{index}", depth + 1)
            return
        yield from self.leaf(part, path, depth)

    def leaf(self, part: Message, path: str, depth: int) -> Iterator[Document]:
        declared = part.get_content_type()
        filename = _filename(part)
        if filename is not None and has_injection(decode_header_value(filename)):
            raise _QuarantineError("header_injection", f"filename at {path} carries CR/LF/NUL")
        shown = display_filename(filename)
        attachment_like = (
            declared in sniff.FORM_TYPES
            or declared.startswith("image/")
            or declared in ZIP_DECLARED
            or (shown or "").lower().endswith(FORM_EXTENSIONS)
        )
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if encoding not in KNOWN_ENCODINGS:
            if attachment_like:
                raise _QuarantineError(
                    "bad_encoding", f"unknown transfer encoding {encoding[:40]!r} at {path}"
                )
            self.notes.append(f"{path}: unknown transfer encoding skipped")
            return
        try:
            data = part.get_payload(decode=True)
        except (ValueError, UnicodeError, LookupError) as exc:
            raise _QuarantineError("bad_encoding", f"{path}: {exc}") from exc
        if not isinstance(data, bytes):
            data = b""
        if any(isinstance(d, _BAD_BASE64) for d in part.defects) and attachment_like:
            raise _QuarantineError("bad_encoding", f"invalid base64 in attachment at {path}")
        if declared == "message/rfc822" and data:
            inner = email.message_from_bytes(data)
            yield from self.walk(inner, f"{path}.1", depth + 1)
            return
        kind = sniff.sniff(data)
        if kind in sniff.FORM_TYPES:
            yield Document(path, shown, declared, kind, data)
        elif kind == sniff.ZIP:
            if declared in ZIP_DECLARED or (shown or "").lower().endswith(".zip"):
                yield from self.zip_documents(data, path)
            else:
                self.notes.append(f"{path}: zip-based {declared} not expanded")
        elif attachment_like and data:
            self.notes.append(f"{path}: {declared} attachment is not a PDF, JPEG, PNG or TIFF")

    def zip_documents(self, data: bytes, path: str) -> Iterator[Document]:
        try:
            entries = expand_zip(data, self.limits.zip)
        except ZipRejectedError as exc:
            raise _QuarantineError(exc.reason, f"{path}: {exc.detail}") from exc
        for index, entry in enumerate(entries, start=1):
            kind = sniff.sniff(entry.data)
            if kind == sniff.ZIP:
                raise _QuarantineError("zip_nested", f"{path}: zip inside zip ({entry.name!r})")
            if kind in sniff.FORM_TYPES:
                yield Document(
                    f"{path}/zip:{index}", display_filename(entry.name), None, kind, entry.data
                )
            else:
                self.notes.append(f"{path}/zip:{index}: not a form type")


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except (ValueError, LookupError, UnicodeError, IndexError):
        return "\ufffd"
    return None if name is None else str(name)


def _dedupe(documents: list[Document]) -> list[Document]:
    seen: set[str] = set()
    unique = []
    for doc in documents:
        if doc.sha256 not in seen:
            seen.add(doc.sha256)
            unique.append(doc)
    return unique
