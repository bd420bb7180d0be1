"""Logging for every command, configured once: text for people by default, JSON lines by option.

The case and the mail being handled are context variables: the worker binds the case id while it
reads and settles a case, the poller binds the mail id while it stores and extracts a mail, and
every line logged meanwhile (by any module, in that thread) carries them, as ``case=12 mail=3`` in
text and as ``case_id``/``mail_id`` keys in JSON. Choose with ``KOPPLINGAR_LOG_FORMAT=text|json``
(or ``kopplingar --log-json``) and ``KOPPLINGAR_LOG_LEVEL``. Lines go to standard error, so a
command's own output (``--json``) stays clean on standard output.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

CASE_ID: ContextVar[int | None] = ContextVar("kopplingar_case_id", default=None)
MAIL_ID: ContextVar[int | None] = ContextVar("kopplingar_mail_id", default=None)

FORMAT_ENV = "KOPPLINGAR_LOG_FORMAT"
LEVEL_ENV = "KOPPLINGAR_LOG_LEVEL"
QUIET_LOGGERS = {"alembic": logging.WARNING, "httpx": logging.WARNING}
# Attributes every LogRecord has; anything else was passed with ``extra=`` and goes into JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "case_id",
    "mail_id",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}


@contextmanager
def bound(*, case_id: int | None = None, mail_id: int | None = None) -> Iterator[None]:
    """Every line logged in this block (in this thread or task) names the case and/or mail."""
    tokens = []
    if case_id is not None:
        tokens.append((CASE_ID, CASE_ID.set(case_id)))
    if mail_id is not None:
        tokens.append((MAIL_ID, MAIL_ID.set(mail_id)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current() -> dict[str, int]:
    """The bound ids, to hand to a child process (the reading sandbox)."""
    values = {"case_id": CASE_ID.get(), "mail_id": MAIL_ID.get()}
    return {k: v for k, v in values.items() if v is not None}


class ContextFilter(logging.Filter):
    """Adds ``case_id`` and ``mail_id`` to every record (None when nothing is bound)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "case_id", None) is None:
            record.case_id = CASE_ID.get()
        if getattr(record, "mail_id", None) is None:
            record.mail_id = MAIL_ID.get()
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(context)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        parts = []
        if getattr(record, "case_id", None) is not None:
            parts.append(f"case={record.case_id}")  # type: ignore[attr-defined]
        if getattr(record, "mail_id", None) is not None:
            parts.append(f"mail={record.mail_id}")  # type: ignore[attr-defined]
        record.context = (" [" + " ".join(parts) + "]") if parts else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, case_id, mail_id, and any extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "case_id": getattr(record, "case_id", None),
            "mail_id": getattr(record, "mail_id", None),
            "process": record.process,
            "thread": record.threadName,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and key != "context":
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so configuring again replaces it."""


def configure(
    fmt: str | None = None, level: str | None = None, *, stream: TextIO | None = None
) -> None:
    """Configure the root logger; arguments override ``KOPPLINGAR_LOG_FORMAT``/``_LEVEL``.

    The choice is written back to the environment, so child processes (the reading sandbox)
    log the same way.
    """
    fmt = (fmt or os.environ.get(FORMAT_ENV) or "text").lower()
    level = (level or os.environ.get(LEVEL_ENV) or "INFO").upper()
    if fmt not in ("text", "json"):
        raise ValueError(f"{FORMAT_ENV} must be text or json, not {fmt!r}")
    if level not in logging.getLevelNamesMapping():
        raise ValueError(f"{LEVEL_ENV}: unknown level {level!r}")
    os.environ[FORMAT_ENV], os.environ[LEVEL_ENV] = fmt, level
    handler = _Handler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet, logging.getLevelNamesMapping()[level]))
    logging.captureWarnings(True)
