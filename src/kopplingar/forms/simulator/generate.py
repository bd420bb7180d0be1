"""One sample: a form filled the way people do, printed, captured and delivered, with its truth.

``generate(seed, spec)`` is deterministic: the same seed and spec give the same bytes (with the
same library versions). Every choice the spec leaves open is drawn from the seed.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from kopplingar.forms import qrpayload, raster
from kopplingar.forms.layout import (
    CURRENT_VERSION,
    FIELD_NAMES,
    FormLayout,
    get_layout,
)
from kopplingar.forms.pdf import render_with_code
from kopplingar.forms.simulator import ink
from kopplingar.forms.simulator import values as fake
from kopplingar.forms.simulator.deliver import EXTENSIONS, MULTI_PAGE, deliver
from kopplingar.forms.simulator.pages import UNRELATED_KINDS, unrelated_page
from kopplingar.forms.simulator.scan import (
    Captured,
    capture_page,
    no_capture,
    random_capture,
    visible_markers,
)

# The key that signs the QR codes of generated prefilled forms. Not a secret: it only lets tests,
# the demo and benchmarks verify the simulator's codes (production uses Settings.secret_bytes()).
SAMPLE_SECRET = b"kopplingar-simulator-sample-key"
TRUTH_SCHEMA = 1

SCENARIOS: dict[str, float] = {  # what is on the form, with how often it is drawn
    "valid": 0.34,
    "missing_company_signature": 0.08,
    "missing_bureau_signature": 0.08,
    "no_signatures": 0.04,
    "company_signer_missing": 0.05,
    "bureau_missing": 0.06,
    "bad_company_org": 0.05,
    "bad_bureau_org": 0.04,
    "missing_subscription": 0.04,
    "missing_role": 0.04,
    "old_version": 0.05,
    "forged_qr": 0.06,
    "not_a_form": 0.07,
}
FILL_STYLES = ("typed", "handwritten", "mixed", "prefilled")
NEGATIVES = ("empty", "noise", "dust", "fold_line", "stamp_edge", "printed_name_only")
CAPTURES = ("scanner", "fax", "phone", "none")
DELIVERIES = ("pdf", "jpeg", "png", "tiff", "pdf_form")

PREFILLED_FIELDS = (  # what `forms prefill` takes from the registry
    "company_name",
    "company_org_number",
    "subscription_number",
    "bureau_name",
    "bureau_org_number",
    "company_signer_name",
    "bureau_signer_name",
)
SIGNER_FIELDS = {
    "company": ("company_signer_name", "company_signer_role", "company_sign_date"),
    "bureau": ("bureau_signer_name", "bureau_sign_date"),
}
BUREAU_FIELDS = ("bureau_name", "bureau_org_number", "bureau_signer_name", "bureau_sign_date")
HAND_IN_MIXED = ("company_signer_role", "company_sign_date", "bureau_sign_date")


@dataclass(frozen=True)
class SampleSpec:
    """What to generate; every ``None`` is drawn from the seed."""

    kind: str | None = None
    scenario: str | None = None
    fill: str | None = None  # typed, handwritten, mixed, prefilled
    delivery: str | None = None  # pdf, jpeg, png, tiff, pdf_form (a digitally filled PDF)
    capture: str | None = None  # scanner, fax, phone, none (rendered only, no degradation)
    dpi: int | None = None
    cover_page: bool | None = None
    negative: str | None = None  # what an unsigned signature box shows
    jpeg_quality: int | None = None
    rotation: float | None = None
    upside_down: bool | None = None
    fold_lines: bool | None = None  # the page was folded in three for an envelope
    values: dict[str, str] | None = None  # true field values to use (e.g. the demo registry's)
    registry_defects: tuple[str, ...] = ()  # wrong only against a registry (reason codes)


@dataclass
class Sample:
    filename: str
    data: bytes
    truth: dict[str, Any]
    images: list[np.ndarray] = field(repr=False)  # each delivered page, before encoding
    masters: list[np.ndarray] = field(repr=False)  # each page upright at 300 dpi, before capture


def _pick(rng: np.random.Generator, options: dict[str, float]) -> str:
    names = list(options)
    p = np.array([options[n] for n in names], dtype=np.float64)
    return str(rng.choice(names, p=p / p.sum()))


def resolve(spec: SampleSpec, rng: np.random.Generator) -> SampleSpec:
    """Fill every open choice of ``spec``, consistently (e.g. a fax is black and white)."""
    kind = spec.kind or str(rng.choice(["connect", "disconnect"]))
    scenario = spec.scenario or _pick(rng, SCENARIOS)
    fill = spec.fill or _pick(
        rng, {"typed": 0.3, "handwritten": 0.3, "mixed": 0.15, "prefilled": 0.25}
    )
    if scenario == "forged_qr":
        fill = "prefilled"
    if scenario == "old_version" and fill == "prefilled":
        fill = "typed"  # only current forms are prefilled
    delivery = spec.delivery
    capture = spec.capture
    if delivery == "pdf_form":
        capture = "none"
    if capture is None:
        capture = _pick(rng, {"scanner": 0.55, "phone": 0.22, "fax": 0.15, "none": 0.0})
        if delivery is None and scenario != "not_a_form" and rng.random() < 0.08:
            delivery, capture = "pdf_form", "none"
    if delivery is None:
        delivery = {
            "scanner": _pick(rng, {"pdf": 0.65, "jpeg": 0.1, "png": 0.15, "tiff": 0.1}),
            "phone": _pick(rng, {"jpeg": 0.75, "pdf": 0.25}),
            "fax": _pick(rng, {"tiff": 0.6, "pdf": 0.4}),
            "none": "pdf",
        }[capture]
    if scenario == "not_a_form" and delivery == "pdf_form":
        delivery = "pdf"
    dpi = (
        spec.dpi
        or {
            "scanner": int(rng.choice([150, 200, 300])),
            "phone": int(rng.choice([150, 200])),
            "fax": 200,
            "none": 200,
        }[capture]
    )
    multi = delivery in MULTI_PAGE
    cover = spec.cover_page if spec.cover_page is not None else bool(multi and rng.random() < 0.25)
    cover = cover and multi
    negative = spec.negative or str(rng.choice(NEGATIVES))
    if delivery == "pdf_form" and negative not in ("empty", "printed_name_only"):
        negative = "empty"  # dust and folds need paper
    quality = spec.jpeg_quality or int(np.clip(rng.normal(72, 18), 25, 95))
    fold = spec.fold_lines if spec.fold_lines is not None else bool(rng.random() < 0.25)
    return replace(
        spec,
        kind=kind,
        scenario=scenario,
        fill=fill,
        delivery=delivery,
        capture=capture,
        dpi=dpi,
        cover_page=cover,
        negative=negative,
        jpeg_quality=quality,
        fold_lines=fold and delivery != "pdf_form",
    )


# --- what is written where ----------------------------------------------------------------------


def _to_version(values: dict[str, str], version: str) -> dict[str, str]:
    """Values as the old edition's boxes hold them: no printed separators, so no dashes."""
    if version != "0":
        return values
    out = dict(values)
    for name in (
        "company_org_number",
        "bureau_org_number",
        "company_sign_date",
        "bureau_sign_date",
    ):
        out[name] = out[name].replace("-", "")
    return out


@dataclass(frozen=True)
class _Rules:
    """What a scenario changes on an otherwise correct form."""

    defects: tuple[str, ...] = ()
    empty: tuple[str, ...] = ()  # fields left blank
    unsigned: tuple[str, ...] = ()  # parties whose signature box shows a negative instead
    bad_org: str | None = None  # an org number field given a wrong check digit


RULES: dict[str, _Rules] = {
    "valid": _Rules(),
    "missing_company_signature": _Rules(("missing_company_signature",), unsigned=("company",)),
    "missing_bureau_signature": _Rules(("missing_bureau_signature",), unsigned=("bureau",)),
    "no_signatures": _Rules(
        ("missing_company_signature", "missing_bureau_signature"), unsigned=("company", "bureau")
    ),
    "company_signer_missing": _Rules(
        ("missing_company_signature", "company_signer_missing"),
        empty=SIGNER_FIELDS["company"],
        unsigned=("company",),
    ),
    "bureau_missing": _Rules(
        ("missing_bureau_signature", "bureau_party_missing"),
        empty=BUREAU_FIELDS,
        unsigned=("bureau",),
    ),
    "bad_company_org": _Rules(("invalid_org_number",), bad_org="company_org_number"),
    "bad_bureau_org": _Rules(("invalid_org_number",), bad_org="bureau_org_number"),
    "missing_subscription": _Rules(
        ("subscription_number_missing",), empty=("subscription_number",)
    ),
    "missing_role": _Rules(("signer_role_missing",), empty=("company_signer_role",)),
    "old_version": _Rules(("unsupported_version",)),
    "forged_qr": _Rules(),  # its defect depends on the code: qr_forged or qr_altered
    "not_a_form": _Rules(("not_a_form",)),
}


def _fill_mode(fill: str, name: str) -> str:
    if fill in ("typed", "handwritten"):
        return fill
    if fill == "mixed":  # typed on screen, printed, then dated and ticked by hand
        return "handwritten" if name in HAND_IN_MIXED else "typed"
    return "typed" if name in PREFILLED_FIELDS else "handwritten"  # the registry's values printed


def _contents(
    spec: SampleSpec, rng: np.random.Generator
) -> tuple[dict[str, str], dict[str, str], list[str], dict[str, str]]:
    """True values, how each field is filled, the defects, and each signature box's state."""
    assert spec.scenario and spec.fill and spec.negative
    rules = RULES[spec.scenario]
    values = fake.form_values(rng) | dict(spec.values or {})
    if rules.bad_org:
        values[rules.bad_org] = fake.org_number(rng, valid=False)
    digital = spec.delivery == "pdf_form"  # filled on screen and sent as is: nothing by hand
    modes = {n: "typed" if digital else _fill_mode(spec.fill, n) for n in FIELD_NAMES}
    if rng.random() < 0.2:
        modes["contact_email"] = "empty"  # optional on the form
    for name in rules.empty:
        modes[name] = "empty"
    signatures = {
        party: spec.negative if party in rules.unsigned else "signed"
        for party in ("company", "bureau")
    }
    if spec.scenario == "no_signatures" and spec.negative != "printed_name_only":
        signatures["bureau"] = str(rng.choice(NEGATIVES))
    return values, modes, [*rules.defects, *spec.registry_defects], signatures


def _qr(spec: SampleSpec, version: str, rng: np.random.Generator) -> dict[str, Any]:
    assert spec.kind
    if spec.fill != "prefilled":
        return {
            "text": qrpayload.encode(spec.kind, version),
            "form_id": None,
            "authentic": True,
            "tamper": None,
        }
    form_id = f"PC-{int(rng.integers(100000, 999999))}"
    if spec.scenario != "forged_qr":
        text = qrpayload.encode(spec.kind, version, form_id, SAMPLE_SECRET)
        return {"text": text, "form_id": form_id, "authentic": True, "tamper": None}
    if rng.random() < 0.5:  # someone made their own code
        text = qrpayload.encode(spec.kind, version, form_id, b"not the key")
        return {"text": text, "form_id": form_id, "authentic": False, "tamper": "forged"}
    original = f"PC-{int(rng.integers(100000, 999999))}"  # a real code, its case number edited
    text = qrpayload.encode(spec.kind, version, original, SAMPLE_SECRET).replace(original, form_id)
    return {"text": text, "form_id": form_id, "authentic": False, "tamper": "altered"}


def _typed_value(
    name: str, value: str, layout: FormLayout, rng: np.random.Generator
) -> tuple[str, dict[str, Any]]:
    """What a person types on screen: sometimes a number without its dash, shifting the boxes."""
    spec = layout.field(name)
    if spec.separators and rng.random() < 0.12:
        return value.replace("-", ""), {"variant": "no_separator"}
    return value, {}


def _field_truth(
    spec: SampleSpec,
    layout: FormLayout,
    values: dict[str, str],
    modes: dict[str, str],
    rng: np.random.Generator,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each field's truth, and the values typed into the PDF's fields."""
    fields_truth: dict[str, dict[str, Any]] = {}
    typed: dict[str, str] = {}
    for name in FIELD_NAMES:
        mode = modes[name]
        if mode == "empty":
            fields_truth[name] = {"value": "", "fill": "empty"}
        elif mode == "typed":
            value, extra = _typed_value(name, values[name], layout, rng)
            typed[name] = value
            fields_truth[name] = {"value": value, "fill": "typed", **extra}
            if spec.fill == "prefilled" and name in PREFILLED_FIELDS:
                fields_truth[name]["prefilled"] = True
        else:
            fields_truth[name] = {"value": values[name], "fill": "handwritten"}
    return fields_truth, typed


def _handwrite(
    page: np.ndarray,
    layout: FormLayout,
    fields_truth: dict[str, dict[str, Any]],
    pens: dict[str, ink.Pen],
    rng: np.random.Generator,
) -> None:
    for name in FIELD_NAMES:
        if fields_truth[name]["fill"] != "handwritten":
            continue
        pen = pens["bureau" if name.startswith("bureau") else "company"]
        f = layout.field(name)
        value = fields_truth[name]["value"]
        if f.type == "comb":
            extra = ink.draw_comb(page, layout, f, value, pen=pen, rng=rng)
        elif f.type == "choice":
            option = next(o for o in f.options if o.value == value)
            extra = ink.draw_tick(page, ink.rect_px(layout, option.rect), pen, rng)
        else:
            extra = ink.draw_text(page, ink.rect_px(layout, f.rect), value, pen, rng)
        fields_truth[name].update(extra)


def _mark_signature_box(
    page: np.ndarray,
    layout: FormLayout,
    party: str,
    *,
    state: str,
    name: str,
    pen: ink.Pen,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Sign a box, or leave what an unsigned box shows; returns the box's truth."""
    rect = layout.signature(party).rect  # type: ignore[arg-type]
    px = ink.rect_px(layout, rect)
    entry: dict[str, Any] = {"state": state, "signed": state == "signed"}
    if state == "signed":
        entry.update(ink.draw_signature(page, px, pen, rng))
    elif state == "noise":
        entry.update(ink.draw_noise(page, ink.inset_px(layout, rect, 0.6), rng))
    elif state == "dust":
        entry.update(ink.draw_dust(page, ink.inset_px(layout, rect, 0.6), rng))
    elif state == "fold_line":
        y = rng.uniform(px.y0 + ink.mm(3), px.y1 - ink.mm(3))
        entry.update(ink.draw_fold_line(page, y, rng))
    elif state == "stamp_edge":
        entry.update(ink.draw_stamp_edge(page, px, rng))
    elif state == "printed_name_only":
        name = name or fake.person_name(rng)
        ink.draw_printed_text(page, px, name, rng, float(rng.uniform(10, 14)))
        entry["text"] = name
    return entry


def _fill_form(
    spec: SampleSpec, layout: FormLayout, rng: np.random.Generator
) -> tuple[bytes, np.ndarray | None, dict[str, Any]]:
    """The filled form as a PDF (typed values in its fields) and, unless delivered digitally, the
    upright paper page with everything written by hand; plus its truth."""
    assert spec.kind
    values, modes, defects, signatures = _contents(spec, rng)
    values = _to_version(values, layout.version)
    qr = _qr(spec, layout.version, rng)
    if not qr["authentic"]:
        defects.append(f"qr_{qr['tamper']}")
    fields_truth, typed = _field_truth(spec, layout, values, modes, rng)
    pdf_bytes = render_with_code(
        spec.kind, qr["text"], values=typed, printed_id=qr["form_id"], version=layout.version
    )
    truth: dict[str, Any] = {"qr": qr, "defects": defects, "fields": fields_truth, "signatures": {}}
    if spec.delivery == "pdf_form":
        pdf_bytes, sig_truth = _sign_digitally(pdf_bytes, layout, signatures, values, rng)
        truth["signatures"] = sig_truth
        return pdf_bytes, None, truth

    page = raster.render_pdf_page(pdf_bytes, 0, ink.MASTER_DPI)
    pens = {"company": ink.Pen.random(rng), "bureau": ink.Pen.random(rng)}
    _handwrite(page, layout, fields_truth, pens, rng)
    for party, state in signatures.items():
        signer = values[layout.signature(party).name_field]  # type: ignore[arg-type]
        truth["signatures"][party] = _mark_signature_box(
            page, layout, party, state=state, name=signer, pen=pens[party], rng=rng
        )
    marks: list[dict[str, Any]] = []
    if spec.fold_lines:  # folded in three for a C5/6 envelope
        for y_mm in (99.0, 198.0):
            fold = ink.draw_fold_line(page, ink.mm(y_mm + rng.uniform(-4, 4)), rng)
            marks.append({"name": "fold_line", **fold})
    truth["marks"] = marks
    return pdf_bytes, page, truth


def _sign_digitally(
    pdf_bytes: bytes,
    layout: FormLayout,
    signatures: dict[str, str],
    values: dict[str, str],
    rng: np.random.Generator,
) -> tuple[bytes, dict[str, Any]]:
    """Signature images placed on the page as PDF readers' "fill and sign" tools do."""
    from PIL import Image
    from pypdf import PdfReader, PdfWriter
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, pagesize=(layout.page_width, layout.page_height), invariant=True)
    truth: dict[str, Any] = {}
    for party, state in signatures.items():
        box = layout.signature(party)  # type: ignore[arg-type]
        entry: dict[str, Any] = {"state": state, "signed": state == "signed"}
        if state == "signed":
            files = ink.eval_signature_files()
            path = files[int(rng.integers(len(files)))]
            alpha = ink._signature_alpha(path)
            rgba = np.zeros((*alpha.shape, 4), np.uint8)
            rgba[..., 2] = 60  # dark blue ink
            rgba[..., 3] = (alpha * 255).round().astype(np.uint8)
            image = ImageReader(Image.fromarray(rgba, "RGBA"))
            r = box.rect.inset(4)
            scale = min(r.width / alpha.shape[1], r.height / alpha.shape[0]) * rng.uniform(0.6, 1.0)
            w, h = alpha.shape[1] * scale, alpha.shape[0] * scale
            c.drawImage(
                image,
                r.x0 + rng.uniform(0, r.width - w),
                r.y0 + rng.uniform(0, r.height - h),
                w,
                h,
                mask="auto",
            )
            entry["source"] = path.name
        elif state == "printed_name_only":
            from kopplingar.forms.pdf import FONT, _register_fonts

            _register_fonts()
            name = values[box.name_field]
            c.setFont(FONT, 12)
            c.drawString(box.rect.x0 + 10, box.rect.y0 + box.rect.height / 2, name)
            entry["text"] = name
        truth[party] = entry
    c.showPage()
    c.save()
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes))
    writer.pages[0].merge_page(PdfReader(io.BytesIO(buf.getvalue())).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue(), truth


# --- the whole sample ---------------------------------------------------------------------------


def _capture_spec(spec: SampleSpec, rng: np.random.Generator) -> Any:
    assert spec.capture and spec.dpi
    if spec.capture == "none":
        return None
    c = random_capture(rng, spec.capture, spec.dpi)  # type: ignore[arg-type]
    if spec.rotation is not None:
        c.rotation = spec.rotation
    if spec.upside_down is not None:
        c.upside_down = spec.upside_down
    return c


def _capture(master: np.ndarray, spec: SampleSpec, rng: np.random.Generator) -> Captured:
    cap = _capture_spec(spec, rng)
    if cap is None:
        assert spec.dpi
        return no_capture(master, spec.dpi)
    return capture_page(master, cap, rng)


def _page_truth(index: int, captured: Captured, content: str) -> dict[str, Any]:
    h, w = captured.image.shape[:2]
    return {
        "index": index,
        "is_form": content == "form",
        "content": content,
        "dpi": captured.dpi,
        "size_px": [w, h],
        "binary": captured.binary,
        "color": captured.image.ndim == 3,
        "rotation": round(captured.rotation, 3),
        "upside_down": abs(captured.rotation) > 90,
        "transform": [[round(float(v), 6) for v in row] for row in captured.transform],
        "degradations": captured.degradations,
    }


def generate(seed: int, spec: SampleSpec | None = None) -> Sample:
    """A sample from ``seed``; ``spec`` fixes any choices (kind, scenario, capture, ...)."""
    rng = np.random.default_rng(seed)
    s = resolve(spec or SampleSpec(), rng)
    assert s.kind and s.scenario and s.delivery and s.dpi and s.jpeg_quality is not None
    version = "0" if s.scenario == "old_version" else CURRENT_VERSION
    layout = get_layout(s.kind, version)
    ext = EXTENSIONS[s.delivery]
    filename = f"{s.kind}-{s.scenario}-{seed}.{ext}"
    truth: dict[str, Any] = {
        "schema": TRUTH_SCHEMA,
        "file": filename,
        "format": s.delivery,
        "seed": seed,
        "spec": json.loads(json.dumps(asdict(s))),  # plain JSON types: lists, not tuples
        "scenario": s.scenario,
    }
    if s.scenario == "not_a_form":
        return _unrelated_sample(s, rng, truth)
    pdf_bytes, master, form_truth = _fill_form(s, layout, rng)
    qr = form_truth["qr"]
    truth.update(
        {
            "kind": s.kind,
            "version": version,
            "form_id": qr["form_id"],
            "qr": qr,
            "expected": {"valid": not form_truth["defects"], "defects": form_truth["defects"]},
        }
    )
    form_page = {
        "kind": s.kind,
        "version": version,
        "fields": form_truth["fields"],
        "signatures": form_truth["signatures"],
    }
    if s.delivery == "pdf_form":
        image = raster.render_pdf_page(pdf_bytes, 0, s.dpi)
        truth["page_count"] = 1
        truth["pages"] = [
            {
                "index": 0,
                "is_form": True,
                "content": "form",
                "digital": True,
                "dpi": None,
                "rotation": 0.0,
                "upside_down": False,
                "transform": None,
                "degradations": [],
                **form_page,
            }
        ]
        truth["pages"][0]["marks"] = []
        return Sample(
            filename,
            pdf_bytes,
            truth,
            [image],
            [raster.render_pdf_page(pdf_bytes, 0, ink.MASTER_DPI)],
        )

    assert master is not None
    contents = ["form"]
    if s.cover_page:
        cover = str(rng.choice(UNRELATED_KINDS))
        contents = [cover, "form"] if rng.random() < 0.8 else ["form", cover]
    masters = [master if c == "form" else unrelated_page(c, rng) for c in contents]
    pages_truth: list[dict[str, Any]] = []
    images: list[np.ndarray] = []
    binary: list[bool] = []
    for index, (content, page) in enumerate(zip(contents, masters, strict=True)):
        captured = _capture(page, s, rng)
        entry = _page_truth(index, captured, content)
        if content == "form":
            entry["markers_visible"] = visible_markers(
                layout, captured.transform, captured.image.shape
            )
            entry.update(form_page)
            entry["marks"] = form_truth["marks"]
        pages_truth.append(entry)
        images.append(captured.image)
        binary.append(captured.binary)
    data = deliver(images, binary, s.delivery, s.dpi, s.jpeg_quality)  # type: ignore[arg-type]
    _note_compression(pages_truth, s, binary)
    truth["page_count"] = len(images)
    truth["pages"] = pages_truth
    return Sample(filename, data, truth, images, masters)


def _note_compression(pages: list[dict[str, Any]], spec: SampleSpec, binary: list[bool]) -> None:
    for entry, is_binary in zip(pages, binary, strict=True):
        if spec.delivery in ("pdf", "jpeg") and not is_binary:
            entry["degradations"].append({"name": "jpeg", "quality": spec.jpeg_quality})
        elif is_binary and spec.delivery in ("pdf", "tiff"):
            entry["degradations"].append({"name": "ccitt_g4"})


def _unrelated_sample(s: SampleSpec, rng: np.random.Generator, truth: dict[str, Any]) -> Sample:
    assert s.delivery and s.dpi and s.jpeg_quality is not None
    n = 2 if s.delivery in MULTI_PAGE and rng.random() < 0.4 else 1
    contents = [str(rng.choice(UNRELATED_KINDS)) for _ in range(n)]
    masters = [unrelated_page(c, rng) for c in contents]
    captures = [_capture(m, s, rng) for m in masters]
    pages = [
        _page_truth(i, c, content)
        for i, (c, content) in enumerate(zip(captures, contents, strict=True))
    ]
    binary = [c.binary for c in captures]
    data = deliver([c.image for c in captures], binary, s.delivery, s.dpi, s.jpeg_quality)  # type: ignore[arg-type]
    _note_compression(pages, s, binary)
    truth.update(
        {
            "kind": None,
            "version": None,
            "form_id": None,
            "qr": None,
            "expected": {"valid": False, "defects": ["not_a_form"]},
            "page_count": n,
            "pages": pages,
        }
    )
    return Sample(truth["file"], data, truth, [c.image for c in captures], masters)
