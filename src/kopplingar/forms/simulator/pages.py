"""Pages that are not our form: a cover letter, an invoice, a page of notes.

They travel in the same scans as real forms, and a reader must tell them apart.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from kopplingar.forms import raster
from kopplingar.forms.pdf import FONT, FONT_BOLD, _register_fonts
from kopplingar.forms.simulator import values as fake
from kopplingar.forms.simulator.ink import MASTER_DPI

UNRELATED_KINDS = ("cover_letter", "invoice", "notes")

_LETTER_LINES = (
    "Hej! Här kommer den underskrivna blanketten för vår byrå och vårt företag.",
    "Bifogat finner ni blanketten. Hör av er om något saknas.",
    "Vi har bytt redovisningsbyrå och skickar därför blanketten enligt era instruktioner.",
    "Enligt överenskommelse med er kundtjänst skickar vi blanketten per e-post.",
    "Blanketten är underskriven av vår firmatecknare. Tack på förhand för snabb hantering.",
    "Vänligen bekräfta när kopplingen är genomförd så att vi kan informera våra konsulter.",
)


@dataclass(frozen=True)
class _Letterhead:
    company: str
    person: str
    day: str


def _cover(c: Canvas, who: _Letterhead, rng: np.random.Generator) -> None:
    width, height = A4
    c.setFont(FONT_BOLD, 16)
    c.drawString(60, height - 80, who.company)
    c.setFont(FONT, 9)
    contact = fake.email_for(who.person, who.company)
    c.drawString(60, height - 96, f"Org.nr {fake.org_number(rng)} · {contact}")
    c.drawRightString(width - 60, height - 140, who.day)
    c.setFont(FONT_BOLD, 12)
    c.drawString(60, height - 190, "Angående koppling till redovisningsbyrå")
    c.setFont(FONT, 11)
    y = height - 220
    for paragraph in rng.choice(_LETTER_LINES, size=int(rng.integers(2, 5)), replace=False):
        for line in simpleSplit(str(paragraph), FONT, 11, width - 120):
            c.drawString(60, y, line)
            y -= 15
        y -= 8
    c.drawString(60, y - 20, "Med vänliga hälsningar")
    c.drawString(60, y - 70, who.person)


def _invoice(c: Canvas, who: _Letterhead, rng: np.random.Generator) -> None:
    width, height = A4
    c.setFont(FONT_BOLD, 20)
    c.drawString(60, height - 90, "FAKTURA")
    c.setFont(FONT, 10)
    c.drawString(60, height - 115, f"{who.company} · Fakturadatum {who.day}")
    number, ocr = int(rng.integers(10000, 99999)), int(rng.integers(10**9, 10**10))
    c.drawString(60, height - 130, f"Fakturanummer {number} · OCR {ocr}")
    y = height - 180
    c.setFont(FONT_BOLD, 10)
    for x, head in ((60, "Artikel"), (330, "Antal"), (400, "À-pris"), (480, "Belopp")):
        c.drawString(x, y, head)
    c.line(60, y - 5, width - 60, y - 5)
    c.setFont(FONT, 10)
    total = 0
    for _ in range(int(rng.integers(3, 9))):
        y -= 20
        qty, price = int(rng.integers(1, 20)), int(rng.integers(50, 2000))
        total += qty * price
        row = (
            f"{rng.choice(fake.COMPANY_TRADES)}tjänst",
            str(qty),
            f"{price},00",
            f"{qty * price},00",
        )
        for x, text in zip((60, 330, 400, 480), row, strict=True):
            c.drawString(x, y, text)
    c.line(60, y - 8, width - 60, y - 8)
    c.setFont(FONT_BOLD, 11)
    c.drawString(400, y - 26, f"Att betala {total},00 kr")


def _notes(c: Canvas, who: _Letterhead, rng: np.random.Generator) -> None:
    _, height = A4
    c.setFont(FONT_BOLD, 13)
    c.drawString(60, height - 80, f"Anteckningar {who.day}")
    c.setFont(FONT, 10.5)
    y = height - 110
    words = [*fake.COMPANY_WORDS, *fake.COMPANY_TRADES, *fake.TOWNS, "och", "att", "med", "för"]
    for _ in range(int(rng.integers(10, 30))):
        line = " ".join(str(w) for w in rng.choice(words, size=int(rng.integers(5, 12))))
        c.drawString(60, y, line.capitalize())
        y -= 16


_DRAW = {"cover_letter": _cover, "invoice": _invoice, "notes": _notes}


def unrelated_page(kind: str, rng: np.random.Generator) -> np.ndarray:
    """An upright page at the master resolution with content that is not a form."""
    _register_fonts()
    who = _Letterhead(fake.company_name(rng), fake.person_name(rng), fake.date(rng)[0])
    buf = io.BytesIO()
    c = Canvas(buf, pagesize=A4, invariant=True)
    _DRAW[kind](c, who, rng)
    c.showPage()
    c.save()
    return raster.render_pdf_page(buf.getvalue(), 0, MASTER_DPI)
