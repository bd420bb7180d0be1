"""Draws the connect and disconnect forms as fillable A4 PDFs, exactly where the layout says.

Static text, boxes and marks are drawn with reportlab; the fillable AcroForm widgets sit on the
printed boxes (no widget border of their own, so the printout looks the same in every reader).
Prefilled forms are the blank form filled through :mod:`kopplingar.forms.acroform`, which writes the
appearance streams, so a prefilled form prints its values even in readers that do not regenerate.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from functools import lru_cache

from reportlab.lib.colors import Color, black, transparent
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from kopplingar.forms import qrpayload
from kopplingar.forms.fonts import FontMissingError, font_path
from kopplingar.forms.layout import (
    CURRENT_VERSION,
    MM,
    SEND_TO,
    FieldSpec,
    FormLayout,
    Rect,
    get_layout,
)
from kopplingar.forms.marks import aruco_modules, qr_modules

log = logging.getLogger(__name__)

FONT = "KopplingarSans"
FONT_BOLD = "KopplingarSans-Bold"
FIELD_FONT = "Helv"  # the reader's standard Helvetica, as field appearances expect
GREY = Color(0.35, 0.35, 0.35)
LIGHT = Color(0.93, 0.93, 0.93)
RULE = Color(0.2, 0.2, 0.2)
PRODUCER = "kopplingar"
INFO_KEY = "/KopplingarForm"  # document info entry holding the QR text, for digital PDFs


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    try:
        regular, bold = font_path("sans"), font_path("sans-bold")
    except FontMissingError as exc:  # the form still prints, in reportlab's bundled Vera
        log.warning("%s; using Bitstream Vera", exc)
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, "VeraBd.ttf"))
        return
    pdfmetrics.registerFont(TTFont(FONT, str(regular)))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))


def _intro(layout: FormLayout) -> list[str]:
    if layout.kind == "connect":
        what = (
            "Med den här blanketten kopplas en redovisnings- eller revisionsbyrå samman med ett "
            "klientföretag. Byrån får då tillgång till företaget och kan aktivera det i sin klientlista."
        )
    else:
        what = (
            "Med den här blanketten kopplas en redovisnings- eller revisionsbyrå bort från ett "
            "klientföretag. Byrån förlorar då tillgången till företaget. Har byrån betalat för "
            "företagets abonnemang blir företaget betalningsansvarigt från och med nästa period."
        )
    return [
        what,
        "Båda parter ska skriva under: företaget genom en firmatecknare eller en "
        "systemadministratör, och byrån genom sin systemadministratör.",
        "Fyll i blanketten på skärmen eller för hand med svart eller blå penna, en siffra per ruta.",
    ]


def _text(
    c: Canvas,
    x: float,
    y: float,
    text: str,
    size: float,
    *,
    bold: bool = False,
    color: Color = black,
) -> None:
    c.setFillColor(color)
    c.setFont(FONT_BOLD if bold else FONT, size)
    c.drawString(x, y, text)


def _paragraphs(
    c: Canvas, rect: Rect, paragraphs: list[str], *, size: float, leading: float, gap: float
) -> float:
    """Wrapped paragraphs from the top of ``rect``; returns the baseline of the last line."""
    y = rect.y1 - size
    c.setFillColor(black)
    for paragraph in paragraphs:
        for line in simpleSplit(paragraph, FONT, size, rect.width):
            c.setFont(FONT, size)
            c.drawString(rect.x0, y, line)
            y -= leading
        y -= gap
    return y


def _modules(c: Canvas, matrix: list[list[bool]], rect: Rect) -> None:
    """Dark modules of a square matrix as filled rectangles, one run per row."""
    n = len(matrix)
    step = rect.width / n
    c.setFillColor(black)
    path = c.beginPath()
    for r, row in enumerate(matrix):
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                path.rect(
                    rect.x0 + start * step, rect.y1 - (r + 1) * step, (col - start) * step, step
                )
            else:
                col += 1
    c.drawPath(path, stroke=0, fill=1)


def _section_header(c: Canvas, rect: Rect, number: str, title: str, note: str = "") -> None:
    top = rect.y1
    _text(c, rect.x0, top - 11, number, 11, bold=True)
    _text(c, rect.x0 + 6 * MM, top - 11, title, 11, bold=True)
    if note:
        c.setFont(FONT, 8)
        c.setFillColor(GREY)
        c.drawRightString(rect.x1, top - 11, note)
    c.setStrokeColor(RULE)
    c.setLineWidth(0.8)
    c.line(rect.x0, top - 14.5, rect.x1, top - 14.5)


def _label(c: Canvas, rect: Rect, text: str) -> None:
    _text(c, rect.x0, rect.y1 + 2.6, text, 7.5, color=GREY)


def _draw_box(c: Canvas, spec: FieldSpec) -> None:
    r = spec.rect
    c.setStrokeColor(black)
    if spec.type == "comb":
        cells = spec.cell_rects()
        for i, cell in enumerate(cells):
            if i in spec.separators:
                c.setFillColor(LIGHT)
                c.rect(cell.x0, cell.y0, cell.width, cell.height, stroke=0, fill=1)
                c.setFillColor(GREY)
                c.setFont(FONT, 13)
                c.drawCentredString(cell.center[0], cell.center[1] - 4.5, spec.separators[i])
        c.setLineWidth(0.45)
        for cell in cells[1:]:
            c.line(cell.x0, r.y0, cell.x0, r.y1)
        c.setLineWidth(0.9)
        c.rect(r.x0, r.y0, r.width, r.height, stroke=1, fill=0)
    elif spec.type == "text":
        c.setLineWidth(0.7)
        c.rect(r.x0, r.y0, r.width, r.height, stroke=1, fill=0)
    else:  # choice: printed tick boxes with their labels
        _text(c, r.x0, spec.options[0].rect.y0 + 1.5, spec.label + ":", 8.5)
        for option in spec.options:
            o = option.rect
            c.setStrokeColor(black)
            c.setLineWidth(0.8)
            c.rect(o.x0, o.y0, o.width, o.height, stroke=1, fill=0)
            _text(c, o.x1 + 1.8 * MM, o.y0 + 1.5, option.label, 8.5)
        return
    _label(c, r, spec.label)


def _add_widget(c: Canvas, spec: FieldSpec) -> None:
    form = c.acroForm
    r = spec.rect
    common = {
        "borderWidth": 0,
        "borderColor": transparent,
        "fillColor": transparent,
        "textColor": black,
    }
    if spec.type == "choice":
        for option in spec.options:
            o = option.rect
            form.radio(
                name=spec.name,
                value=option.export,
                selected=False,
                x=o.x0,
                y=o.y0,
                size=o.width,
                buttonStyle="cross",
                shape="square",
                tooltip=f"{spec.label}: {option.label}",
                fieldFlags="radio",  # no "required", so "nothing ticked" can be saved as is
                **common,
            )
        return
    flags = "comb doNotScroll doNotSpellCheck" if spec.type == "comb" else "doNotSpellCheck"
    form.textfield(
        name=spec.name,
        tooltip=spec.label,
        x=r.x0,
        y=r.y0,
        width=r.width,
        height=r.height,
        maxlen=spec.max_length,
        fieldFlags=flags,
        fontName="Helvetica",
        fontSize=spec.font_size,
        value="",
        **common,
    )


def _draw_marks(c: Canvas, layout: FormLayout, qr_text: str, form_id: str | None) -> None:
    for marker in layout.markers:
        _modules(c, aruco_modules(marker.id).tolist(), marker.rect)
    _modules(c, qr_modules(qr_text).tolist(), layout.qr)
    c.setFont(FONT, 6.5)
    c.setFillColor(GREY)
    qx = layout.qr.center[0]
    c.drawCentredString(qx, layout.qr.y0 - 8, "Maskinläsbar kod")
    if form_id:  # for people, when the code is damaged; the QR code is what is trusted
        c.drawCentredString(qx, layout.qr.y0 - 15, f"Ärende {form_id}")


def _draw_header(c: Canvas, layout: FormLayout, title: str) -> None:
    header = layout.block("header")
    kicker = f"BLANKETT {layout.form_code} · KOPPLING MELLAN BYRÅ OCH KLIENTFÖRETAG"
    _text(c, header.x0, header.y1 - 8, kicker, 7.5, color=GREY)
    size = 19.0
    while pdfmetrics.stringWidth(title, FONT_BOLD, size) > header.width and size > 12:
        size -= 0.5
    _text(c, header.x0, header.y0 + 2, title, size, bold=True)
    c.setStrokeColor(RULE)
    c.setLineWidth(1.2)
    c.line(header.x0, header.y0 - 3, header.x1, header.y0 - 3)
    _paragraphs(c, layout.block("intro"), _intro(layout), size=8.5, leading=10.6, gap=3.0)


def _draw_sections(c: Canvas, layout: FormLayout) -> None:
    company, bureau = layout.block("company_section"), layout.block("bureau_section")
    company_first = company.y1 > bureau.y1
    _section_header(c, company, "1" if company_first else "2", "Klientföretag")
    note = "Redovisnings- eller revisionsbyrå"
    _section_header(c, bureau, "2" if company_first else "1", "Byrå", note)
    signatures = layout.block("signature_section")
    _section_header(c, signatures, "3", "Underskrifter", "Båda parter ska skriva under")
    _section_header(c, layout.block("contact_section"), "4", "Kontakt")

    for box, heading, who in (
        (layout.signature("company"), "Klientföretaget", "Firmatecknare eller systemadministratör"),
        (layout.signature("bureau"), "Byrån", "Byråns systemadministratör"),
    ):
        r = box.rect
        _text(c, r.x0, r.y1 + 12.5, heading, 9, bold=True)
        indent = pdfmetrics.stringWidth(heading, FONT_BOLD, 9) + 5
        _text(c, r.x0 + indent, r.y1 + 12.5, "– " + who, 8.5)
        _label(c, r, box.label)
        c.setStrokeColor(black)
        c.setLineWidth(0.9)
        c.rect(r.x0, r.y0, r.width, r.height, stroke=1, fill=0)
    role_y = layout.field("company_signer_role").options[0].rect.y0 + 1.5
    bureau_x = layout.signature("bureau").rect.x0
    _text(c, bureau_x, role_y, "Roll: Systemadministratör på byrån", 8.5)
    for spec in layout.fields:
        _draw_box(c, spec)


def _draw_instructions(c: Canvas, layout: FormLayout) -> None:
    box = layout.block("instructions")
    c.setFillColor(Color(0.965, 0.965, 0.965))
    c.setStrokeColor(RULE)
    c.setLineWidth(0.6)
    c.rect(box.x0, box.y0, box.width, box.height, stroke=1, fill=1)
    pad = 2.5 * MM
    half = box.width / 2
    columns = (
        (
            Rect(box.x0 + pad, box.y0 + pad, box.x0 + half - pad, box.y1 - pad),
            "Så skickar du blanketten",
            [
                "Skanna eller fotografera hela sidan och e-posta den som PDF eller bild till "
                f"{SEND_TO}. En blankett per klientföretag. Vik inte blanketten över rutorna.",
            ],
        ),
        (
            Rect(box.x0 + half + pad, box.y0 + pad, box.x1 - pad, box.y1 - pad),
            "Kundtjänst kontrollerar att",
            [
                "• abonnemangsnumret stämmer med klientföretaget",
                "• rätt personer har skrivit under: firmatecknare eller systemadministratör för "
                "företaget, systemadministratör för byrån",
                "• båda parter har skrivit under",
            ],
        ),
    )
    for rect, heading, paragraphs in columns:
        _text(c, rect.x0, rect.y1 - 8, heading, 8.5, bold=True)
        body = Rect(rect.x0, rect.y0, rect.x1, rect.y1 - 11)
        _paragraphs(c, body, paragraphs, size=7.5, leading=9.2, gap=0)

    footer = layout.block("footer")
    c.setFont(FONT, 7)
    c.setFillColor(GREY)
    edition = f"Blankett {layout.form_code} · {layout.title} · layoutversion {layout.version}"
    c.drawString(footer.x0, footer.y0 + 6, edition)
    c.drawRightString(footer.x1, footer.y0 + 6, f"Skickas till {SEND_TO}")


def _draw(layout: FormLayout, qr_text: str, form_id: str | None) -> bytes:
    _register_fonts()
    buf = io.BytesIO()
    size = (layout.page_width, layout.page_height)
    c = Canvas(buf, pagesize=size, invariant=True, pageCompression=1)
    title = f"{layout.title} av byrå och klientföretag"
    c.setTitle(title)
    c.setSubject(f"Blankett {layout.form_code}, layoutversion {layout.version}")
    c.setAuthor("kopplingar")
    c.setCreator(PRODUCER)
    c.setKeywords(f"kopplingar {layout.kind} {layout.form_code} v{layout.version}")
    _draw_marks(c, layout, qr_text, form_id)
    _draw_header(c, layout, title)
    _draw_sections(c, layout)
    _draw_instructions(c, layout)
    for spec in layout.fields:  # widgets last: on top of the printed boxes
        _add_widget(c, spec)
    c.showPage()
    c.save()
    return buf.getvalue()


def render_form(
    kind: str,
    *,
    values: Mapping[str, str] | None = None,
    form_id: str | None = None,
    secret: bytes | None = None,
    version: str = CURRENT_VERSION,
) -> bytes:
    """The form as PDF bytes: blank without ``values``; with ``form_id`` (and the HMAC ``secret``)
    its QR code binds the printout to a pending paper case. Field names are the layout's; numbers
    may come with or without their dashes (``5560360793`` is printed as ``556036-0793``)."""
    if values:
        layout = get_layout(kind, version)
        names = set(layout.field_names)
        values = {k: layout.field(k).formatted(v) if k in names else v for k, v in values.items()}
    qr_text = qrpayload.encode(kind, version, form_id, secret)
    return render_with_code(kind, qr_text, values=values, printed_id=form_id, version=version)


def render_with_code(
    kind: str,
    qr_text: str,
    *,
    values: Mapping[str, str] | None = None,
    printed_id: str | None = None,
    version: str = CURRENT_VERSION,
) -> bytes:
    """The form with any QR text, checked or not: for the scan simulator's forged and altered
    codes. Everything else should call :func:`render_form`."""
    from kopplingar.forms import acroform

    layout = get_layout(kind, version)
    drawn = _draw(layout, qr_text, printed_id)
    return acroform.finish(drawn, dict(values or {}), info={INFO_KEY: qr_text})
