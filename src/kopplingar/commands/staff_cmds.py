"""``kopplingar staff``: the review desk's users (customer service), added on the command line."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from kopplingar.commands.output import console, emit_json, fail
from kopplingar.domain.errors import DomainError

staff_app = typer.Typer(help="Review-desk users (customer service).", no_args_is_help=True)
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object.")


def register(app_cli: typer.Typer) -> None:
    app_cli.add_typer(staff_app, name="staff")


def _as_dict(user: object) -> dict[str, object]:
    from dataclasses import asdict

    return asdict(user)  # type: ignore[call-overload, no-any-return]


@staff_app.command("add")
def add(
    email: str = typer.Argument(..., help="The user's email address (their sign-in name)."),
    name: str = typer.Option(..., "--name", help="Full name, shown in the desk."),
    role: str = typer.Option("reviewer", "--role", help="reviewer or admin."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Add a staff user (or update an existing one: name, role, password; reactivates it).

    The password is read from standard input with --password-stdin or when input is not a
    terminal, else asked for twice without echo; never as an argument.
    """
    from kopplingar.bootstrap import build
    from kopplingar.services import staff
    from kopplingar.services.passwords import WeakPasswordError

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Lösenord", hide_input=True, confirmation_prompt=True)
    try:
        user = staff.add(build().db, email, name=name, role=role, password=password)
    except WeakPasswordError as error:
        fail(str(error), as_json=as_json, code="weak_password")
    except DomainError as error:
        fail(error.message, as_json=as_json, code=error.code)
    if as_json:
        emit_json(_as_dict(user))
    else:
        console.print(f"{user.email} ({user.role.value}) kan logga in på granskningsdesken.")


@staff_app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """Every staff user with role and whether active."""
    from kopplingar.bootstrap import build
    from kopplingar.services import staff

    users = staff.all_users(build().db)
    if as_json:
        emit_json({"staff": [_as_dict(u) for u in users]})
        return
    table = Table(title="Personal")
    for column in ("E-post", "Namn", "Roll", "Aktiv"):
        table.add_column(column)
    for u in users:
        table.add_row(u.email, u.name, u.role.value, "ja" if u.active else "nej")
    console.print(table)


@staff_app.command("deactivate")
def deactivate(email: str = typer.Argument(...), as_json: bool = JSON_OPTION) -> None:
    """Refuse further sign-ins and end the user's sessions (the history keeps their name)."""
    from kopplingar.bootstrap import build
    from kopplingar.services import staff

    try:
        user = staff.deactivate(build().db, email)
    except DomainError as error:
        fail(error.message, as_json=as_json, code=error.code)
    emit_json(_as_dict(user)) if as_json else console.print(f"{user.email} är inaktiverad.")
