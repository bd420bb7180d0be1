"""The geometry of the paper forms: the single source of truth for drawing and for reading them.

Everything here is pure data. The PDF generator draws exactly these rectangles, and the reader
(alignment, digit classifier, signature presence) looks exactly there. Coordinates are PDF points
(1/72 inch) with the origin at the bottom-left of the A4 page, as in the PDF itself; the helpers
convert to pixels (origin top-left) of an upright, aligned page image at any dpi.

Design choices for machine reading: four ArUco markers (DICT_4X4_50, 12 mm) at the corners, 14 mm
from the paper edge, whose ids differ per form kind so that the kind is known even if the QR code
is unreadable; one QR code (24 mm) with the kind, layout version and, for prefilled forms, a signed
form id; comb boxes of 7 × 9 mm for handwritten digits; empty, clearly bordered signature boxes
(labels are printed outside every box, so any ink inside a box was put there after printing).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

FormKind = Literal["connect", "disconnect"]
FieldType = Literal["text", "comb", "choice"]
Party = Literal["company", "bureau"]

KINDS: tuple[FormKind, ...] = ("connect", "disconnect")
CURRENT_VERSION = "1"
SUPPORTED_VERSIONS: tuple[str, ...] = ("1",)
# Version "0" is a superseded edition, kept so that the simulator can produce old forms that a
# reader must recognise and refuse. It is never offered for download.
KNOWN_VERSIONS: tuple[str, ...] = ("0", "1")

MM = 72.0 / 25.4  # points per millimetre
PAGE_WIDTH_MM = 210.0
PAGE_HEIGHT_MM = 297.0
PAGE_WIDTH = PAGE_WIDTH_MM * MM  # 595.28 pt
PAGE_HEIGHT = PAGE_HEIGHT_MM * MM  # 841.89 pt
SAFE_MARGIN_MM = 12.0  # no mark closer than this to the paper edge

ARUCO_DICTIONARY = "DICT_4X4_50"
MARKER_SIZE_MM = 12.0  # black border included: 6 × 6 cells of 2 mm
MARKER_INSET_MM = 14.0  # from the paper edge to the marker's outer edge
MARKER_IDS: dict[FormKind, tuple[int, int, int, int]] = {
    # top-left, top-right, bottom-right, bottom-left of the upright page
    "connect": (0, 1, 2, 3),
    "disconnect": (4, 5, 6, 7),
}
QR_SIZE_MM = 24.0  # the symbol without its quiet zone; white space of ≥ 4 mm is kept around it
QR_QUIET_MM = 4.0

COMB_CELL_WIDTH_MM = 7.0
COMB_HEIGHT_MM = 9.0
TEXT_HEIGHT_MM = 9.0
SIGNATURE_HEIGHT_MM = 28.0

FORM_CODES: dict[FormKind, str] = {"connect": "KS", "disconnect": "KB"}
TITLES: dict[FormKind, str] = {"connect": "Sammankoppling", "disconnect": "Bortkoppling"}
SEND_TO = "kopplingar@fortnox.se"

ROLE_FIRMATECKNARE = "firmatecknare"
ROLE_SYSTEMADMIN = "systemadministratör"


@dataclass(frozen=True)
class Rect:
    """An axis-aligned rectangle in PDF points, origin bottom-left, ``x0 < x1`` and ``y0 < y1``."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    def inset(self, d: float) -> Rect:
        return Rect(self.x0 + d, self.y0 + d, self.x1 - d, self.y1 - d)

    def contains(self, other: Rect) -> bool:
        return (
            self.x0 <= other.x0
            and self.y0 <= other.y0
            and other.x1 <= self.x1
            and other.y1 <= self.y1
        )

    def intersects(self, other: Rect) -> bool:
        return not (
            other.x1 <= self.x0 or self.x1 <= other.x0 or other.y1 <= self.y0 or self.y1 <= other.y0
        )

    def as_list(self) -> list[float]:
        return [round(v, 2) for v in (self.x0, self.y0, self.x1, self.y1)]

    @staticmethod
    def from_mm_top(x_mm: float, top_mm: float, width_mm: float, height_mm: float) -> Rect:
        """A rectangle given as a designer measures it: mm from the left and from the top edge."""
        x0 = x_mm * MM
        y1 = PAGE_HEIGHT - top_mm * MM
        return Rect(x0, y1 - height_mm * MM, x0 + width_mm * MM, y1)


@dataclass(frozen=True)
class PixelBox:
    """A rectangle in pixels of an upright page image, origin top-left, ``y0 < y1``."""

    x0: float
    y0: float
    x1: float
    y1: float

    def slices(self) -> tuple[slice, slice]:
        """Rows and columns to index a NumPy image with (rounded to whole pixels)."""
        return (slice(round(self.y0), round(self.y1)), slice(round(self.x0), round(self.x1)))

    def as_ints(self) -> tuple[int, int, int, int]:
        return (round(self.x0), round(self.y0), round(self.x1), round(self.y1))


@dataclass(frozen=True)
class Option:
    """One printed tick box of a choice field; ``value`` is the field value it stands for."""

    value: str
    label: str
    rect: Rect
    export: str  # the ASCII name stored in the PDF radio button


@dataclass(frozen=True)
class FieldSpec:
    """A fillable field: where it is, how it is typed and how it is printed."""

    name: str
    type: FieldType
    rect: Rect
    label: str
    cells: int | None = None  # comb fields: one box per character
    separators: dict[int, str] = field(default_factory=dict)  # comb cells with a printed "-"
    options: tuple[Option, ...] = ()
    max_length: int | None = None
    font_size: float = 11.0

    def cell_rects(self) -> list[Rect]:
        """The boxes of a comb field, left to right (empty for other fields)."""
        if not self.cells:
            return []
        w = self.rect.width / self.cells
        return [
            Rect(self.rect.x0 + i * w, self.rect.y0, self.rect.x0 + (i + 1) * w, self.rect.y1)
            for i in range(self.cells)
        ]

    def formatted(self, value: str) -> str:
        """A comb value with its printed separators put in ("5560360793" -> "556036-0793"), so
        each digit lands in its box; anything else is returned unchanged."""
        digits = self.digit_cells()
        if self.separators and value.isdigit() and len(value) == len(digits):
            chars = dict(zip(digits, value, strict=True)) | self.separators
            return "".join(chars[i] for i in range(self.cells or 0))
        return value

    def digit_cells(self) -> list[int]:
        """Indices of the comb cells meant for a digit (not a printed separator)."""
        return [i for i in range(self.cells or 0) if i not in self.separators]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rect": self.rect.as_list(), "type": self.type, "label": self.label}
        if self.cells:
            out["cells"] = self.cells
            out["cell_rects"] = [r.as_list() for r in self.cell_rects()]
            if self.separators:
                out["separators"] = {str(k): v for k, v in sorted(self.separators.items())}
        if self.options:
            out["options"] = {
                o.value: {"rect": o.rect.as_list(), "label": o.label} for o in self.options
            }
        if self.max_length:
            out["max_length"] = self.max_length
        return out


@dataclass(frozen=True)
class SignatureBox:
    party: Party
    rect: Rect
    label: str
    name_field: str
    date_field: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "rect": self.rect.as_list(),
            "label": self.label,
            "name_field": self.name_field,
            "date_field": self.date_field,
        }


@dataclass(frozen=True)
class Marker:
    """An ArUco marker; ``corner`` says where it sits on the upright page."""

    id: int
    corner: Literal["top_left", "top_right", "bottom_right", "bottom_left"]
    rect: Rect

    @property
    def center(self) -> tuple[float, float]:
        return self.rect.center

    def corners(self) -> list[tuple[float, float]]:
        """Corner points in ArUco's order for an upright page: top-left, top-right, bottom-right,
        bottom-left (in points, origin bottom-left)."""
        r = self.rect
        return [(r.x0, r.y1), (r.x1, r.y1), (r.x1, r.y0), (r.x0, r.y0)]


@dataclass(frozen=True)
class TextBlock:
    """A region of printed static text (intro, checks, footer); never filled in."""

    name: str
    rect: Rect


@dataclass(frozen=True)
class FormLayout:
    kind: FormKind
    version: str
    page_width: float
    page_height: float
    fields: tuple[FieldSpec, ...]
    signatures: tuple[SignatureBox, ...]
    markers: tuple[Marker, ...]
    qr: Rect
    blocks: tuple[TextBlock, ...]

    @property
    def form_code(self) -> str:
        return FORM_CODES[self.kind]

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def supported(self) -> bool:
        return self.version in SUPPORTED_VERSIONS

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def signature(self, party: Party) -> SignatureBox:
        for s in self.signatures:
            if s.party == party:
                return s
        raise KeyError(party)

    def block(self, name: str) -> Rect:
        for b in self.blocks:
            if b.name == name:
                return b.rect
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def all_rects(self) -> Iterator[tuple[str, Rect]]:
        """Every mark this layout prints, by name (for contract checks)."""
        for f in self.fields:
            yield f"field:{f.name}", f.rect
            for o in f.options:
                yield f"option:{f.name}:{o.value}", o.rect
        for s in self.signatures:
            yield f"signature:{s.party}", s.rect
        for m in self.markers:
            yield f"marker:{m.id}", m.rect
        yield "qr", self.qr
        for b in self.blocks:
            yield f"block:{b.name}", b.rect

    # --- pixels of an aligned, upright page image -------------------------------------------

    def page_size_px(self, dpi: float) -> tuple[int, int]:
        """(width, height) in pixels of the whole page rendered at ``dpi`` (rounded up, as PDFium)."""
        s = dpi / 72.0
        return (math.ceil(self.page_width * s - 1e-6), math.ceil(self.page_height * s - 1e-6))

    def point_px(self, x: float, y: float, dpi: float) -> tuple[float, float]:
        """A point in PDF points to pixel coordinates (origin top-left) at ``dpi``."""
        s = dpi / 72.0
        return (x * s, (self.page_height - y) * s)

    def rect_px(self, rect: Rect, dpi: float) -> PixelBox:
        s = dpi / 72.0
        return PixelBox(
            rect.x0 * s,
            (self.page_height - rect.y1) * s,
            rect.x1 * s,
            (self.page_height - rect.y0) * s,
        )

    def marker_centers_px(self, dpi: float) -> dict[int, tuple[float, float]]:
        return {m.id: self.point_px(*m.center, dpi) for m in self.markers}

    def marker_corners_px(self, dpi: float) -> dict[int, list[tuple[float, float]]]:
        return {m.id: [self.point_px(x, y, dpi) for x, y in m.corners()] for m in self.markers}

    def to_dict(self) -> dict[str, Any]:
        """The layout as JSON-ready data (``kopplingar forms layout --json``)."""
        return {
            "kind": self.kind,
            "version": self.version,
            "form_code": self.form_code,
            "supported": self.supported,
            "page": {
                "width": round(self.page_width, 2),
                "height": round(self.page_height, 2),
                "unit": "pt",
                "origin": "bottom-left",
            },
            "fields": {f.name: f.to_dict() for f in self.fields},
            "signatures": {s.party: s.to_dict() for s in self.signatures},
            "markers": [
                {
                    "id": m.id,
                    "corner": m.corner,
                    "rect": m.rect.as_list(),
                    "center": [round(v, 2) for v in m.center],
                    "dictionary": ARUCO_DICTIONARY,
                }
                for m in self.markers
            ],
            "qr": {"rect": self.qr.as_list(), "quiet_zone": round(QR_QUIET_MM * MM, 2)},
            "blocks": {b.name: b.rect.as_list() for b in self.blocks},
        }


FIELD_NAMES: tuple[str, ...] = (
    "company_name",
    "company_org_number",
    "subscription_number",
    "bureau_name",
    "bureau_org_number",
    "company_signer_name",
    "company_signer_role",
    "company_sign_date",
    "bureau_signer_name",
    "bureau_sign_date",
    "contact_email",
)
COMB_FIELDS: tuple[str, ...] = (
    "company_org_number",
    "subscription_number",
    "bureau_org_number",
    "company_sign_date",
    "bureau_sign_date",
)
# Abonnemangsnummer: 4-12 digits, as the registry accepts them (typically 6-8); one box each.
SUBSCRIPTION_MIN_DIGITS = 4
SUBSCRIPTION_MAX_DIGITS = 12


def _markers(kind: FormKind) -> tuple[Marker, ...]:
    ids = MARKER_IDS[kind]
    near, far_x, far_y = (
        MARKER_INSET_MM,
        PAGE_WIDTH_MM - MARKER_INSET_MM - MARKER_SIZE_MM,
        PAGE_HEIGHT_MM - MARKER_INSET_MM - MARKER_SIZE_MM,
    )
    s = MARKER_SIZE_MM
    return (
        Marker(ids[0], "top_left", Rect.from_mm_top(near, near, s, s)),
        Marker(ids[1], "top_right", Rect.from_mm_top(far_x, near, s, s)),
        Marker(ids[2], "bottom_right", Rect.from_mm_top(far_x, far_y, s, s)),
        Marker(ids[3], "bottom_left", Rect.from_mm_top(near, far_y, s, s)),
    )


def _comb(
    name: str, label: str, at: tuple[float, float], cells: int, separators: dict[int, str]
) -> FieldSpec:
    """A comb field whose top-left corner is ``at`` (mm from the left and top edges)."""
    x, top = at
    return FieldSpec(
        name=name,
        type="comb",
        rect=Rect.from_mm_top(x, top, cells * COMB_CELL_WIDTH_MM, COMB_HEIGHT_MM),
        label=label,
        cells=cells,
        separators=separators,
        max_length=cells,
        font_size=14.0,
    )


def _text(
    name: str,
    label: str,
    at: tuple[float, float],
    size: tuple[float, float],
    *,
    max_length: int = 80,
) -> FieldSpec:
    """A text field at ``at`` (mm from the left and top edges) of ``size`` (mm)."""
    (x, top), (width, height) = at, size
    return FieldSpec(
        name=name,
        type="text",
        rect=Rect.from_mm_top(x, top, width, height),
        label=label,
        max_length=max_length,
    )


LEFT = 16.0  # content column, mm from the left edge
RIGHT = 194.0
COLUMN_2 = 110.0  # second column of the signature section
SIGNATURE_WIDTH = 84.0


def _build(kind: FormKind, version: str) -> FormLayout:
    legacy = version == "0"
    # The old edition had the bureau first, org numbers and dates without printed separators.
    org_cells, org_sep = (10, {}) if legacy else (11, {6: "-"})
    date_cells, date_sep = (8, {}) if legacy else (10, {4: "-", 7: "-"})
    company_top, bureau_top = (102.0, 62.0) if legacy else (62.0, 102.0)
    head = 10.0  # from a section's top to its first box (heading, rule and label)

    wide = RIGHT - LEFT
    fields: list[FieldSpec] = [
        _text(
            "company_name", "Företagets namn", (LEFT, company_top + head), (wide, TEXT_HEIGHT_MM)
        ),
        _comb(
            "company_org_number",
            "Organisationsnummer",
            (LEFT, company_top + head + 15),
            org_cells,
            org_sep,
        ),
        _comb(
            "subscription_number",
            "Abonnemangsnummer",
            (COLUMN_2, company_top + head + 15),
            SUBSCRIPTION_MAX_DIGITS,
            {},
        ),
        _text("bureau_name", "Byråns namn", (LEFT, bureau_top + head), (wide, TEXT_HEIGHT_MM)),
        _comb(
            "bureau_org_number",
            "Byråns organisationsnummer",
            (LEFT, bureau_top + head + 15),
            org_cells,
            org_sep,
        ),
    ]
    sig_section_top = 142.0
    sig_top = sig_section_top + 14.0  # 156: heading, column heads and the "Underskrift" label
    name_top = sig_top + SIGNATURE_HEIGHT_MM + 5.0  # 189
    role_top = name_top + 8.0 + 4.0  # 201
    date_top = role_top + 4.5 + 6.0  # 211.5
    contact_top = date_top + COMB_HEIGHT_MM + 5.5  # 226
    name_size = (SIGNATURE_WIDTH, 8.0)
    tick = 4.5
    fields += [
        _text("company_signer_name", "Namnförtydligande", (LEFT, name_top), name_size),
        FieldSpec(
            name="company_signer_role",
            type="choice",
            rect=Rect.from_mm_top(LEFT, role_top - 1.0, SIGNATURE_WIDTH, tick + 2.0),
            label="Roll",
            options=(
                Option(
                    ROLE_FIRMATECKNARE,
                    "Firmatecknare",
                    Rect.from_mm_top(LEFT + 10, role_top, tick, tick),
                    "firmatecknare",
                ),
                Option(
                    ROLE_SYSTEMADMIN,
                    "Systemadministratör",
                    Rect.from_mm_top(LEFT + 43, role_top, tick, tick),
                    "systemadministrator",
                ),
            ),
        ),
        _comb("company_sign_date", "Datum (ÅÅÅÅ-MM-DD)", (LEFT, date_top), date_cells, date_sep),
        _text("bureau_signer_name", "Namnförtydligande", (COLUMN_2, name_top), name_size),
        _comb("bureau_sign_date", "Datum (ÅÅÅÅ-MM-DD)", (COLUMN_2, date_top), date_cells, date_sep),
        _text(
            "contact_email",
            "E-postadress för besked om ärendet",
            (LEFT, contact_top + head),
            (112.0, 8.0),
            max_length=120,
        ),
    ]
    signatures = (
        SignatureBox(
            "company",
            Rect.from_mm_top(LEFT, sig_top, SIGNATURE_WIDTH, SIGNATURE_HEIGHT_MM),
            "Underskrift",
            "company_signer_name",
            "company_sign_date",
        ),
        SignatureBox(
            "bureau",
            Rect.from_mm_top(COLUMN_2, sig_top, SIGNATURE_WIDTH, SIGNATURE_HEIGHT_MM),
            "Underskrift",
            "bureau_signer_name",
            "bureau_sign_date",
        ),
    )
    qr = Rect.from_mm_top(RIGHT - QR_SIZE_MM, 31.0, QR_SIZE_MM, QR_SIZE_MM)
    instructions_top = contact_top + head + 8.0 + 4.0  # 248
    blocks = (
        TextBlock("header", Rect.from_mm_top(30.0, 14.0, 150.0, 13.0)),
        TextBlock(
            "intro", Rect.from_mm_top(LEFT, 31.0, RIGHT - LEFT - QR_SIZE_MM - QR_QUIET_MM - 2, 26.0)
        ),
        TextBlock(
            "company_section",
            Rect.from_mm_top(LEFT, company_top, RIGHT - LEFT, head + 15 + COMB_HEIGHT_MM),
        ),
        TextBlock(
            "bureau_section",
            Rect.from_mm_top(LEFT, bureau_top, RIGHT - LEFT, head + 15 + COMB_HEIGHT_MM),
        ),
        TextBlock(
            "signature_section",
            Rect.from_mm_top(
                LEFT, sig_section_top, RIGHT - LEFT, date_top + COMB_HEIGHT_MM - sig_section_top
            ),
        ),
        TextBlock("contact_section", Rect.from_mm_top(LEFT, contact_top, RIGHT - LEFT, head + 8.0)),
        TextBlock(
            "instructions",
            Rect.from_mm_top(LEFT, instructions_top, RIGHT - LEFT, 269.0 - instructions_top),
        ),
        TextBlock("footer", Rect.from_mm_top(30.0, 276.0, 150.0, 7.0)),
    )
    return FormLayout(
        kind=kind,
        version=version,
        page_width=PAGE_WIDTH,
        page_height=PAGE_HEIGHT,
        fields=tuple(fields),
        signatures=signatures,
        markers=_markers(kind),
        qr=qr,
        blocks=blocks,
    )


class UnknownFormError(ValueError):
    """A form kind or layout version this code does not know."""


@lru_cache(maxsize=8)
def get_layout(kind: FormKind | str, version: str = CURRENT_VERSION) -> FormLayout:
    """The layout of one form kind and version (``UnknownFormError`` for anything else)."""
    if kind not in KINDS:
        raise UnknownFormError(f"unknown form kind {kind!r}; expected one of {', '.join(KINDS)}")
    if version not in KNOWN_VERSIONS:
        raise UnknownFormError(f"unknown layout version {version!r} of {kind!r}")
    return _build(kind, version)


def kind_from_marker_ids(ids: set[int] | frozenset[int]) -> FormKind | None:
    """The form kind that printed these marker ids, when they all belong to one kind."""
    kinds = {k for k, kind_ids in MARKER_IDS.items() if ids and ids <= set(kind_ids)}
    return next(iter(kinds)) if len(kinds) == 1 else None
