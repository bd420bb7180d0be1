"""Cases for the review desk tests: a real simulated scan, read by the scripted reader, by mail.

The scan is the scan simulator's page of the demo registry's connect form (Bageriet i Byn AB and
Siffrorna Redovisning AB), delivered as a PDF; the scripted reading appended to it is what a reader
would say about it, with the simulator's true page geometry and one misread value.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from kopplingar.bootstrap import App
from kopplingar.config import Settings
from kopplingar.forms.page_geometry import geometry_dict
from kopplingar.forms.simulator import SampleSpec, generate
from kopplingar.intake.maildir import deliver
from kopplingar.intake.wiring import build_poller
from tests.integration.queue.helpers import form
from tests.support.form_values import VALID_FORM_VALUES
from tests.support.mails import form_mail
from tests.support.readers import MARK

TRUE_VALUES = VALID_FORM_VALUES


@cache
def simulated_scan() -> tuple[bytes, dict[str, Any]]:
    """A scanned connect form (PDF) and the geometry of its page, as the reader would report it."""
    sample = generate(
        11,
        SampleSpec(
            kind="connect",
            scenario="valid",
            fill="typed",
            delivery="pdf",
            capture="scanner",
            dpi=150,
            cover_page=False,
            values=dict(TRUE_VALUES),
        ),
    )
    page = sample.truth["pages"][0]
    return sample.data, geometry_dict(page["transform"], tuple(page["size_px"]))


def misread_scan(**misread: Any) -> bytes:
    """The scan with a scripted reading: true values, confident, except ``misread`` (value, conf)."""
    data, geometry = simulated_scan()
    reading = form()
    for name, (value, confidence) in misread.items():
        reading["fields"][name] = {"value": value, "confidence": confidence}
    reading["geometry"] = geometry
    return data + b"\n" + MARK + json.dumps([reading]).encode() + b"\n%%EOF\n"


def mail_in(app: App, *mails: bytes) -> None:
    """Deliver mails to the Maildir, poll them, and let one worker read every case."""
    settings = Settings(home=app.settings.home, reader=app.settings.reader)
    for raw in mails:
        deliver(settings.resolved_maildir, raw)
    poller = build_poller(settings)
    poller.open()
    poller.poll_once()
    with app.reader_process() as reader:
        worker = app.worker(reader)
        while worker.run_once():
            pass


def scan_mail(document: bytes, tag: str, filename: str = "blankett.pdf") -> bytes:
    return form_mail(tag, attachments=[(document, "application/pdf", filename)])


def home_of(app: App) -> Path:
    return app.settings.home
