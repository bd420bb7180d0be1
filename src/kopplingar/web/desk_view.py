"""What the case page shows, computed once: values with confidences, boxes over the page, crops.

Boxes come from the layout of the form that was read and the reading's page geometry
(:mod:`kopplingar.forms.page_geometry`); without geometry the page is shown without boxes and the
signature crops are left out (the whole page is still there to look at).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kopplingar.forms.layout import FormLayout, UnknownFormError, get_layout
from kopplingar.forms.page_geometry import PageGeometry, page_geometry
from kopplingar.services.review import CaseDetail, rejected_by_person
from kopplingar.validation.reading import FIELD_NAMES
from kopplingar.validation.reasons import EXPLANATIONS, Code
from kopplingar.web.labels import FIELD_LABELS, PARTY_LABELS

CROP_MARGIN_PT = 6.0
# Reasons a person may give when rejecting; ``new_scan_requested`` has its own button.
REJECT_CODES = tuple(
    c
    for c in Code
    if c not in (Code.LOW_CONFIDENCE, Code.PENDING_DIGITAL_REQUEST, Code.NEW_SCAN_REQUESTED)
)


@dataclass
class FieldView:
    name: str
    label: str
    value: str
    confidence: float | None
    low: bool
    corrected: bool
    points: str | None = None  # SVG polygon points over the page image


@dataclass
class CropView:
    party: str
    label: str
    present: bool | None
    confidence: float | None
    low: bool
    view_box: str | None = None


@dataclass
class CaseView:
    detail: CaseDetail
    fields: list[FieldView] = field(default_factory=list)
    crops: list[CropView] = field(default_factory=list)
    geometry: PageGeometry | None = None
    reasons: list[dict[str, str]] = field(default_factory=list)
    rejected_by_person: bool = False

    @property
    def case(self) -> dict[str, Any]:
        return self.detail.case

    @property
    def page(self) -> int:
        page = self.case.get("page")
        return page if isinstance(page, int) and page > 0 else 1


def _layout(reading: dict[str, Any] | None) -> FormLayout | None:
    form = (reading or {}).get("form") or {}
    try:
        return get_layout(form.get("kind") or "", str(form.get("version") or "1"))
    except UnknownFormError:
        return None


def _points(geometry: PageGeometry | None, layout: FormLayout | None, name: str) -> str | None:
    if geometry is None or layout is None:
        return None
    try:
        rect = layout.field(name).rect
    except KeyError:
        return None
    quad = geometry.quad(rect)
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in quad) if quad else None


def case_view(
    detail: CaseDetail, *, field_threshold: float, signature_threshold: float
) -> CaseView:
    reading = detail.reading or {}
    layout = _layout(reading)
    geometry = page_geometry(reading) if layout is not None else None
    corrections = detail.case.get("corrections") or {}
    values = reading.get("fields") or {}
    view = CaseView(detail=detail, geometry=geometry)
    for name in FIELD_NAMES:
        item = values.get(name) or {}
        confidence = item.get("confidence") if isinstance(item, dict) else None
        confidence = float(confidence) if isinstance(confidence, int | float) else None
        view.fields.append(
            FieldView(
                name=name,
                label=FIELD_LABELS.get(name, name),
                value=str(item.get("value") or "") if isinstance(item, dict) else "",
                confidence=confidence,
                low=confidence is None or confidence < field_threshold,
                corrected=name in corrections,
                points=_points(geometry, layout, name),
            )
        )
    signatures = reading.get("signatures") or {}
    for party in ("company", "bureau"):
        sig = signatures.get(party) or {}
        confidence = sig.get("confidence") if isinstance(sig, dict) else None
        confidence = float(confidence) if isinstance(confidence, int | float) else None
        crop = CropView(
            party=party,
            label=PARTY_LABELS[party],
            present=sig.get("present") if isinstance(sig, dict) else None,
            confidence=confidence,
            low=confidence is None or confidence < signature_threshold,
        )
        if geometry is not None and layout is not None:
            bounds = geometry.bounds(layout.signature(party).rect.inset(-CROP_MARGIN_PT))
            if bounds:
                crop.view_box = " ".join(f"{v:.1f}" for v in bounds)
        view.crops.append(crop)
    for item in detail.case.get("details") or []:
        code = item.get("code", "")
        try:
            text = EXPLANATIONS[Code(code)][0]
        except ValueError:
            text = code
        view.reasons.append({"code": code, "text": text, "detail": item.get("detail") or ""})
    view.rejected_by_person = rejected_by_person(detail.events)
    return view
