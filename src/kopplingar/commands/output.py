"""How every command speaks: one JSON object with ``--json``, Rich text otherwise, errors non-zero."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def to_jsonable(value: Any) -> Any:
    from datetime import date, datetime
    from enum import Enum
    from pathlib import Path

    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(mode="json"))
    return value


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(obj), ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fail(
    message: str, *, as_json: bool = False, code: str = "error", exit_code: int = 1
) -> NoReturn:
    """Print an error (as a JSON object on stdout with ``--json``) and exit non-zero."""
    if as_json:
        emit_json({"error": {"code": code, "message": message}})
    else:
        err_console.print(f"[bold red]Fel:[/] {message}", highlight=False)
    raise typer.Exit(exit_code)


@contextmanager
def handled(as_json: bool) -> Iterator[None]:
    """Domain errors become a clear message (with their code) and a non-zero exit."""
    from kopplingar.domain.errors import DomainError

    try:
        yield
    except DomainError as error:
        fail(error.message, as_json=as_json, code=error.code)
