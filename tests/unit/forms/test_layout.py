"""The layout contract: names, geometry and margins the PDF and the reader both rely on."""

from __future__ import annotations

import itertools
import json

import pytest
from typer.testing import CliRunner

from kopplingar.cli import app
from kopplingar.forms import layout as lay

ALL_LAYOUTS = [lay.get_layout(k, v) for k in lay.KINDS for v in lay.KNOWN_VERSIONS]


@pytest.mark.parametrize("spec", ALL_LAYOUTS, ids=lambda s: f"{s.kind}-v{s.version}")
def test_every_field_of_the_issue_is_there_with_its_type(spec: lay.FormLayout) -> None:
    assert spec.field_names == lay.FIELD_NAMES
    for name in lay.COMB_FIELDS:
        assert spec.field(name).type == "comb"
    role = spec.field("company_signer_role")
    assert role.type == "choice"
    assert {o.value for o in role.options} == {"firmatecknare", "systemadministratör"}
    assert {s.party for s in spec.signatures} == {"company", "bureau"}
    assert spec.signature("company").name_field == "company_signer_name"
    assert spec.signature("bureau").date_field == "bureau_sign_date"


@pytest.mark.parametrize("spec", ALL_LAYOUTS, ids=lambda s: f"{s.kind}-v{s.version}")
def test_every_mark_is_on_the_page_and_inside_the_safe_margin(spec: lay.FormLayout) -> None:
    margin = lay.SAFE_MARGIN_MM * lay.MM
    safe = lay.Rect(margin, margin, spec.page_width - margin, spec.page_height - margin)
    for name, rect in spec.all_rects():
        assert rect.width > 0 and rect.height > 0, name
        assert safe.contains(rect), f"{name} {rect.as_list()} is closer than 12 mm to the edge"


@pytest.mark.parametrize("spec", ALL_LAYOUTS, ids=lambda s: f"{s.kind}-v{s.version}")
def test_boxes_and_marks_do_not_overlap(spec: lay.FormLayout) -> None:
    boxes = [(f.name, f.rect) for f in spec.fields]
    boxes += [(f"signature:{s.party}", s.rect) for s in spec.signatures]
    boxes += [(f"marker:{m.id}", m.rect) for m in spec.markers]
    quiet = lay.QR_QUIET_MM * lay.MM
    boxes.append(("qr+quiet zone", spec.qr.inset(-quiet)))
    for (a, ra), (b, rb) in itertools.combinations(boxes, 2):
        assert not ra.intersects(rb), f"{a} overlaps {b}"


@pytest.mark.parametrize("spec", ALL_LAYOUTS, ids=lambda s: f"{s.kind}-v{s.version}")
def test_comb_cells_fit_handwriting(spec: lay.FormLayout) -> None:
    for name in lay.COMB_FIELDS:
        f = spec.field(name)
        cells = f.cell_rects()
        assert f.cells is not None and len(cells) == f.cells == f.max_length
        assert all(c.width >= 6 * lay.MM - 1e-6 and c.height >= 8 * lay.MM - 1e-6 for c in cells)
        assert cells[0].x0 == pytest.approx(f.rect.x0) and cells[-1].x1 == pytest.approx(f.rect.x1)
    if spec.version == "1":
        assert spec.field("company_org_number").cells == 11
        assert spec.field("company_org_number").separators == {6: "-"}
        assert len(spec.field("company_org_number").digit_cells()) == 10
        assert spec.field("company_sign_date").separators == {4: "-", 7: "-"}
        assert spec.field("subscription_number").cells == lay.SUBSCRIPTION_MAX_DIGITS


def test_comb_values_get_their_printed_separators() -> None:
    spec = lay.get_layout("connect")
    org = spec.field("company_org_number")
    assert org.formatted("5560360793") == "556036-0793"
    assert org.formatted("556036-0793") == "556036-0793"
    assert org.formatted("55603607") == "55603607"  # too short: left for validation to refuse
    assert spec.field("bureau_sign_date").formatted("20250116") == "2025-01-16"
    assert spec.field("subscription_number").formatted("123456") == "123456"
    assert (
        lay.get_layout("connect", "0").field("company_org_number").formatted("5560360793")
        == "5560360793"
    )


def test_markers_are_big_far_from_the_edge_and_tell_the_kind() -> None:
    seen: set[int] = set()
    for kind in lay.KINDS:
        spec = lay.get_layout(kind)
        assert len(spec.markers) >= 4
        ids = {m.id for m in spec.markers}
        assert not ids & seen
        seen |= ids
        assert lay.kind_from_marker_ids(ids) == kind
        assert lay.kind_from_marker_ids(set(list(ids)[:3])) == kind
        for m in spec.markers:
            assert m.rect.width == pytest.approx(12 * lay.MM)
            edge = min(
                m.rect.x0, m.rect.y0, spec.page_width - m.rect.x1, spec.page_height - m.rect.y1
            )
            assert edge >= 14 * lay.MM - 1e-6
    assert lay.kind_from_marker_ids({0, 5}) is None
    assert lay.kind_from_marker_ids(set()) is None


def test_qr_modules_stay_large() -> None:
    from kopplingar.forms import marks, qrpayload

    longest = qrpayload.encode("disconnect", "1", "X" * 40, b"secret")
    modules = marks.qr_modules(longest).shape[0]
    assert lay.QR_SIZE_MM / modules >= 0.5


def test_pixel_helpers_put_points_top_left() -> None:
    spec = lay.get_layout("connect")
    w, h = spec.page_size_px(300)
    assert (w, h) == (2481, 3508)  # as PDFium renders it
    box = spec.rect_px(spec.signature("company").rect, 300)
    assert box.y0 < box.y1 and box.x0 < box.x1
    # the company signature box is 156 mm from the top and 16 mm from the left
    assert box.y0 == pytest.approx(156 / 25.4 * 300, abs=0.5)
    assert box.x0 == pytest.approx(16 / 25.4 * 300, abs=0.5)
    rows, _ = box.slices()
    assert abs((rows.stop - rows.start) - 28 / 25.4 * 300) <= 1
    centers = spec.marker_centers_px(300)
    assert centers[0] == pytest.approx((20 / 25.4 * 300, 20 / 25.4 * 300))
    corners = spec.marker_corners_px(300)[0]
    assert corners[0][0] < corners[1][0] and corners[1][1] < corners[2][1]


def test_unknown_kind_or_version_is_refused() -> None:
    with pytest.raises(lay.UnknownFormError):
        lay.get_layout("merge")
    with pytest.raises(lay.UnknownFormError):
        lay.get_layout("connect", "7")
    assert not lay.get_layout("connect", "0").supported
    assert lay.get_layout("connect").supported


def test_cli_layout_json_is_the_layout() -> None:
    result = CliRunner().invoke(app, ["forms", "layout", "connect", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "connect" and data["version"] == lay.CURRENT_VERSION
    assert data["page"] == {
        "width": 595.28,
        "height": 841.89,
        "unit": "pt",
        "origin": "bottom-left",
    }
    assert set(data["fields"]) == set(lay.FIELD_NAMES)
    assert data["fields"]["company_org_number"]["cells"] == 11
    assert data["fields"]["company_name"]["type"] == "text"
    assert data["fields"]["company_signer_role"]["type"] == "choice"
    assert set(data["signatures"]) == {"company", "bureau"}
    assert len(data["markers"]) == 4 and data["qr"]["rect"]
    spec = lay.get_layout("connect")
    assert data["signatures"]["bureau"]["rect"] == spec.signature("bureau").rect.as_list()


def test_cli_layout_unknown_version_fails_with_json_error() -> None:
    result = CliRunner().invoke(app, ["forms", "layout", "disconnect", "--version", "9", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["error"]["code"] == "unknown_version"
