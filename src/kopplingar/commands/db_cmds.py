"""``kopplingar db``: the schema's revision, and the upgrade step of a deployment.

Upgrading is ``kopplingar db upgrade`` once, then restarting the services. By default every process
also upgrades when it starts (``KOPPLINGAR_AUTO_MIGRATE=true``, the one-machine default); on
several machines set it to false so that only this command changes the schema, and processes of
an older or newer version refuse to start against a database they do not match.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from kopplingar.commands.output import console, emit_json, fail

if TYPE_CHECKING:
    from sqlalchemy import Engine

db_app = typer.Typer(
    help="The database schema: show its revision, upgrade it.", no_args_is_help=True
)
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object.")


def _engine() -> Engine:
    from kopplingar.config import Settings
    from kopplingar.storage.engine import make_engine

    return make_engine(Settings().resolved_database_url)


@db_app.command("current")
def current(
    as_json: bool = JSON_OPTION,
    check: bool = typer.Option(
        False, "--check", help="Exit 1 unless the database is at the newest revision."
    ),
) -> None:
    """The database's revision and the newest this version ships."""
    from kopplingar.storage.schema import current_revision, head_revision

    try:
        now, head = current_revision(_engine()), head_revision()
    except Exception as error:  # the database cannot be reached: say so, non-zero
        fail(f"database unavailable: {error}", as_json=as_json, code="database_unavailable")
    result = {"current": now, "head": head, "up_to_date": now == head}
    if as_json:
        emit_json(result)
    else:
        state = "up to date" if now == head else "needs `kopplingar db upgrade`"
        console.print(f"revision {now or 'none'}, newest {head}: {state}")
    if check and now != head:
        raise typer.Exit(1)


@db_app.command("upgrade")
def upgrade(as_json: bool = JSON_OPTION) -> None:
    """Upgrade the schema to the newest revision (safe to run again, and from several hosts)."""
    from kopplingar.storage.schema import create_schema, current_revision

    try:
        engine = _engine()
        before = current_revision(engine)
        create_schema(engine)
        after = current_revision(engine)
    except Exception as error:  # a failed migration is rolled back by its transaction
        fail(f"upgrade failed: {error}", as_json=as_json, code="upgrade_failed")
    if as_json:
        emit_json({"from": before, "to": after, "changed": before != after})
    else:
        console.print(
            f"schema {before or 'none'} → {after}" if before != after else f"schema at {after}"
        )


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
