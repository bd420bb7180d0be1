"""``kopplingar read FILE... --json``: read forms from files, one JSON line per form, no database."""

from __future__ import annotations

from pathlib import Path

import typer

from kopplingar.commands.output import console, emit_json


def _read_file(path: Path) -> list[dict[str, object]]:
    from kopplingar.forms.reader import read_document

    try:
        data = path.read_bytes()
    except OSError as exc:
        return [
            {
                "file": str(path),
                "page": None,
                "form": {"kind": None, "version": None, "form_id": None, "form_id_valid": None},
                "source": "none",
                "fields": {},
                "signatures": {},
                "reason": "unreadable",
                "detail": str(exc),
            }
        ]
    results = read_document(data, path.name)
    for result in results:
        result["file"] = str(path)
    return results


def register(app: typer.Typer) -> None:
    @app.command("read")
    def read(
        files: list[Path] = typer.Argument(..., help="PDF, JPEG, PNG or TIFF files."),
        as_json: bool = typer.Option(False, "--json", help="JSON Lines: one object per form."),
    ) -> None:
        """Find and read the connect/disconnect forms in FILES (nothing is stored or applied)."""
        for path in files:
            for result in _read_file(path):
                if as_json:
                    emit_json(result)
                    continue
                form = result["form"]
                assert isinstance(form, dict)
                head = f"{result['file']} page {result.get('page')}: {form.get('kind') or '–'}"
                if result.get("reason"):
                    head += f" ({result['reason']})"
                console.print(f"[bold]{head}[/bold]")
                fields = result.get("fields") or {}
                assert isinstance(fields, dict)
                for name, value in fields.items():
                    console.print(f"  {name}: {value['value']!r} ({value['confidence']:.2f})")
                signatures = result.get("signatures") or {}
                assert isinstance(signatures, dict)
                for party, sig in signatures.items():
                    console.print(
                        f"  signature {party}: {sig['present']} ({sig['confidence']:.2f})"
                    )
