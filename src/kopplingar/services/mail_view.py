"""The original mail behind a case, for a person to read: headers, plain text, attachments listed.

Everything is returned as text, to be shown as text (never as HTML): header values are decoded and
cleaned of control characters, a body that is only HTML is returned as its source, and sizes are
capped. Parsing uses the standard library's tolerant ``compat32`` parser; attachments are only
listed, never decoded beyond their transfer encoding.
"""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from email.message import Message

from kopplingar.domain.errors import NotFoundError
from kopplingar.intake.mime import clean_text, decode_header_value, display_filename
from kopplingar.intake.rawstore import RawStore
from kopplingar.storage.database import Database
from kopplingar.storage.mail_tables import MailRow

HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject", "Message-ID")
MAX_BODY_CHARS = 100_000
MAX_PARTS = 200


@dataclass(frozen=True)
class Attachment:
    name: str | None
    content_type: str
    size: int


@dataclass
class MailView:
    mail_id: int
    state: str
    received_at: object
    headers: list[tuple[str, str]] = field(default_factory=list)
    text: str = ""
    text_is_html_source: bool = False
    truncated: bool = False
    attachments: list[Attachment] = field(default_factory=list)
    available: bool = True  # False: the raw mail is no longer in the store


def _charset(part: Message) -> str:
    charset = part.get_content_charset() or "utf-8"
    try:
        "".encode(charset)
    except LookupError:
        return "utf-8"
    return charset


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return payload.decode(_charset(part), "replace")


def _clean_body(text: str) -> str:
    kept = "".join(ch if ch in "\n\t" else clean_text(ch, 1) for ch in text.replace("\r\n", "\n"))
    return kept


def read_mail(db: Database, raw_store: RawStore, mail_id: int) -> MailView:
    with db.transaction() as session:
        row = session.get(MailRow, mail_id)
        if row is None:
            raise NotFoundError(f"inget e-postmeddelande {mail_id}")
        view = MailView(mail_id=row.id, state=row.state, received_at=row.received_at)
        raw_key = row.raw_key
    if raw_key is None:
        view.available = False
        return view
    try:
        raw = raw_store.get(raw_key)
    except KeyError:
        view.available = False
        return view
    message = email.message_from_bytes(raw)
    for name in HEADERS:
        for value in message.get_all(name) or []:
            view.headers.append((name, clean_text(decode_header_value(value), 2000)))
    plain: list[str] = []
    html: list[str] = []
    for count, part in enumerate(message.walk()):
        if count >= MAX_PARTS:
            break
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
        content_type = part.get_content_type()
        if filename is None and disposition != "attachment" and content_type == "text/plain":
            plain.append(_decoded(part))
        elif filename is None and disposition != "attachment" and content_type == "text/html":
            html.append(_decoded(part))
        else:
            payload = part.get_payload(decode=True)
            size = len(payload) if isinstance(payload, bytes) else 0
            view.attachments.append(
                Attachment(display_filename(filename), clean_text(content_type, 100), size)
            )
    text = "\n\n".join(plain) if plain else "\n\n".join(html)
    view.text_is_html_source = not plain and bool(html)
    view.truncated = len(text) > MAX_BODY_CHARS
    view.text = _clean_body(text[:MAX_BODY_CHARS])
    return view
