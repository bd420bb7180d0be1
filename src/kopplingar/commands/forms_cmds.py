"""``kopplingar forms``: blank fillable PDFs and the layout contract the reader relies on."""

from __future__ import annotations

import os
import tempfile
from enum import StrEnum
from pathlib import Path

import typer

from kopplingar.commands.output import console, emit_json, fail


class Kind(StrEnum):
    connect = "connect"
    disconnect = "disconnect"


def _write_atomically(path: Path, data: bytes) -> None:
    """Write next to the target and rename, so a half-written PDF never appears under its name."""
    directory = path.parent if str(path.parent) else Path()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


forms_app = typer.Typer(
    name="forms",
    help="Paper forms: blank fillable PDFs and their layout.",
    no_args_is_help=True,
)


@forms_app.command("blank")
def blank(
    kind: Kind = typer.Argument(..., help="connect (sammankoppling) or disconnect (bortkoppling)."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the PDF."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Write a blank fillable form (PDF) to print or fill on screen."""
    from kopplingar.forms.layout import CURRENT_VERSION
    from kopplingar.forms.pdf import render_form

    if output.exists() and output.is_dir():
        fail(f"{output} is a directory", as_json=as_json, code="bad_output")
    if not output.parent.exists():
        fail(f"folder {output.parent} does not exist", as_json=as_json, code="bad_output")
    data = render_form(kind.value)
    try:
        _write_atomically(output, data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}", as_json=as_json, code="bad_output")
    result = {
        "kind": kind.value,
        "version": CURRENT_VERSION,
        "path": str(output),
        "bytes": len(data),
    }
    if as_json:
        emit_json(result)
    else:
        console.print(f"Skrev blankett ({kind.value}, version {CURRENT_VERSION}) till {output}")


@forms_app.command("prefill")
def prefill(
    kind: Kind = typer.Argument(..., help="connect (sammankoppling) or disconnect (bortkoppling)."),
    bureau: str = typer.Option(..., "--bureau", help="The bureau's organisation number."),
    client_org: str = typer.Option(..., "--client-org", help="The client's organisation number."),
    output: Path = typer.Option(..., "-o", "--output", help="Where to write the PDF."),
    by: str | None = typer.Option(None, "--by", help="Who asked for it (recorded)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as one JSON object."),
) -> None:
    """Write a form prefilled from the registry, bound to a new paper request by its QR code."""
    from kopplingar.bootstrap import build
    from kopplingar.domain.errors import DomainError
    from kopplingar.domain.model import OperationKind
    from kopplingar.domain.orgnr import OrgNumber
    from kopplingar.forms.layout import CURRENT_VERSION
    from kopplingar.forms.pdf import render_form
    from kopplingar.services.paper import create_prefilled

    if not output.parent.exists() or output.is_dir():
        fail(f"cannot write to {output}", as_json=as_json, code="bad_output")
    app = build()
    try:
        made = create_prefilled(
            app.db,
            OperationKind(kind.value),
            bureau_org=OrgNumber.parse(bureau),
            company_org=OrgNumber.parse(client_org),
            created_by=by,
        )
    except DomainError as error:
        fail(error.message, as_json=as_json, code=error.code)
    data = render_form(
        kind.value, values=made.values, form_id=made.form_id, secret=app.settings.secret_bytes()
    )
    try:
        _write_atomically(output, data)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}", as_json=as_json, code="bad_output")
    result = {
        "kind": kind.value,
        "version": CURRENT_VERSION,
        "form_id": made.form_id,
        "path": str(output),
        "bytes": len(data),
        "values": made.values,
    }
    if as_json:
        emit_json(result)
    else:
        console.print(f"Skrev ifylld blankett {made.form_id} ({kind.value}) till {output}")


@forms_app.command("layout")
def layout(
    kind: Kind = typer.Argument(..., help="connect or disconnect."),
    version: str | None = typer.Option(
        None, "--version", help="Layout version (default: the current one)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the layout as one JSON object."),
) -> None:
    """Print where every field, signature box and mark is (PDF points, origin bottom-left)."""
    from kopplingar.forms.layout import CURRENT_VERSION, UnknownFormError, get_layout

    try:
        spec = get_layout(kind.value, version or CURRENT_VERSION)
    except UnknownFormError as exc:
        fail(str(exc), as_json=as_json, code="unknown_version")
    data = spec.to_dict()
    if as_json:
        emit_json(data)
        return
    from rich.table import Table

    page = data["page"]
    console.print(
        f"[bold]{kind.value}[/] layoutversion {spec.version}: "
        f"{page['width']} × {page['height']} pt, origo nere till vänster"
    )
    table = Table("namn", "typ", "rektangel [x0, y0, x1, y1]", "rutor")
    for name, f in data["fields"].items():
        table.add_row(name, f["type"], str(f["rect"]), str(f.get("cells", "")))
    for party, s in data["signatures"].items():
        table.add_row(f"signatur:{party}", "signature", str(s["rect"]), "")
    for m in data["markers"]:
        table.add_row(f"aruco:{m['id']}", m["corner"], str(m["rect"]), "")
    table.add_row("qr", "qr", str(data["qr"]["rect"]), "")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(forms_app, name="forms")
