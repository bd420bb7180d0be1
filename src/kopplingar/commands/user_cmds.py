"""``kopplingar users``: passwords for registry people who sign in to the bureau and client pages."""

from __future__ import annotations

import sys

import typer

from kopplingar.commands.output import console, emit_json, fail
from kopplingar.domain.errors import DomainError

users_app = typer.Typer(help="Registry people who sign in to the pages.", no_args_is_help=True)


def register(app_cli: typer.Typer) -> None:
    app_cli.add_typer(users_app, name="users")


@users_app.command("set-password")
def set_password(
    email: str = typer.Argument(..., help="The person's email address in the registry."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Set or replace a person's password; their open sessions end.

    Reads the password from standard input with --password-stdin or when input is not a terminal,
    else asks twice without echo. Never take a password as an argument: it would land in shell
    history and process lists.
    """
    from kopplingar.bootstrap import build
    from kopplingar.services import accounts
    from kopplingar.services.passwords import WeakPasswordError

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Lösenord", hide_input=True, confirmation_prompt=True)
    try:
        accounts.set_password(build().db, email, password)
    except WeakPasswordError as error:
        fail(str(error), as_json=as_json, code="weak_password")
    except DomainError as error:
        fail(error.message, as_json=as_json, code=error.code)
    if as_json:
        emit_json({"password_set": email.strip().lower()})
    else:
        console.print(f"Lösenordet är satt för {email.strip().lower()}.")
