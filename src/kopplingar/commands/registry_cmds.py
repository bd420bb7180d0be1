"""Registry and digital-route commands: load, connect/disconnect requests, consent, activate, clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from kopplingar import __version__
from kopplingar.bootstrap import App, build
from kopplingar.commands.output import console, emit_json, fail
from kopplingar.commands.output import handled as domain_errors_handled
from kopplingar.domain.errors import DomainError
from kopplingar.domain.model import OperationKind, Permission
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.services import connections, consent, registry
from kopplingar.validation.registry_file import RegistryFileError, parse_registry

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON object.")


@contextmanager
def handled(as_json: bool) -> Iterator[None]:
    """Domain errors as everywhere (``output.handled``), and registry file errors with their list."""
    with domain_errors_handled(as_json):
        try:
            yield
        except RegistryFileError as error:
            fail(
                "registerfilen är ogiltig: " + "; ".join(error.problems),
                as_json=as_json,
                code="invalid_registry",
            )


def _org(text: str, as_json: bool) -> OrgNumber:
    with handled(as_json):
        return OrgNumber.parse(text)
    raise AssertionError("unreachable")


def _deliver(app: App) -> None:
    app.deliver_mail()


registry_app = typer.Typer(
    help="The registry of bureaus, companies and people.", no_args_is_help=True
)
connect_app = typer.Typer(help="Digital connect requests.", no_args_is_help=True)
disconnect_app = typer.Typer(help="Digital disconnect requests.", no_args_is_help=True)
consent_app = typer.Typer(help="Emailed consent links.", no_args_is_help=True)


def register(app_cli: typer.Typer) -> None:
    app_cli.add_typer(registry_app, name="registry")
    app_cli.add_typer(connect_app, name="connect")
    app_cli.add_typer(disconnect_app, name="disconnect")
    app_cli.add_typer(consent_app, name="consent")
    app_cli.command("version")(version)
    app_cli.command("activate")(activate)
    app_cli.command("clients")(clients)


def version() -> None:
    """Print the version."""
    typer.echo(__version__)


@registry_app.command("load")
def registry_load(
    file: Path = typer.Argument(..., help="Registry JSON file."), as_json: bool = JSON_OPTION
) -> None:
    """Load bureaus, companies, people and connections (again: updates, never duplicates)."""
    try:
        raw = file.read_bytes()
    except OSError as error:
        fail(f"kan inte läsa {file}: {error.strerror}", as_json=as_json, code="unreadable_file")
    with handled(as_json):
        parsed = parse_registry(raw)
        report = registry.load_registry(build().db, parsed)
    result = {"loaded": asdict(report), "file": str(file)}
    if as_json:
        emit_json(result)
    else:
        console.print(
            f"Inläst: {report.bureaus} byråer, {report.companies} företag, "
            f"{report.people} personer, {report.connections} kopplingar"
        )


def _request(
    kind: OperationKind,
    bureau: str,
    client_org: str | None,
    client_db_id: str | None,
    by: str,
    as_json: bool,
) -> None:
    app = build()
    with handled(as_json):
        sent = consent.request_consent(
            app.db,
            kind,
            bureau_org=OrgNumber.parse(bureau),
            client_org=client_org,
            client_db_id=client_db_id,
            by_email=by,
            public_url=app.settings.public_url,
            valid_days=app.settings.consent_valid_days,
        )
    _deliver(app)
    if as_json:
        emit_json(asdict(sent))
    else:
        console.print(
            f"Förfrågan {sent.request_id} skickad till {', '.join(sent.recipients)}; "
            f"gäller till {sent.expires_at:%Y-%m-%d %H:%M} UTC."
        )


@connect_app.command("request")
def connect_request(
    bureau: str = typer.Option(..., "--bureau", help="The bureau's organisation number."),
    client_org: str | None = typer.Option(
        None, "--client-org", help="The client's organisation number."
    ),
    client_db_id: str | None = typer.Option(
        None, "--client-db-id", help="The client's database ID."
    ),
    by: str = typer.Option(..., "--by", help="Email of the bureau's system administrator."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Ask the client's system administrators to accept a connection."""
    if bool(client_org) == bool(client_db_id):
        fail("ange antingen --client-org eller --client-db-id", as_json=as_json, code="usage")
    _request(OperationKind.CONNECT, bureau, client_org, client_db_id, by, as_json)


@disconnect_app.command("request")
def disconnect_request(
    bureau: str = typer.Option(..., "--bureau", help="The bureau's organisation number."),
    client_org: str = typer.Option(..., "--client-org", help="The client's organisation number."),
    by: str = typer.Option(..., "--by", help="Email of the bureau's system administrator."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Ask the client's system administrators to accept a disconnection."""
    _request(OperationKind.DISCONNECT, bureau, client_org, None, by, as_json)


@consent_app.command("show")
def consent_show(
    token: str = typer.Argument(..., help="Last path segment of the link."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a request without changing it."""
    with handled(as_json):
        view = consent.show_consent(build().db, token)
    if as_json:
        emit_json(asdict(view))
    else:
        _print_view(view)


@consent_app.command("accept")
def consent_accept(
    token: str = typer.Argument(..., help="Last path segment of the link."),
    by: str = typer.Option(..., "--by", help="Email of the accepting system administrator."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Accept a request: the first administrator to accept completes it."""
    app = build()
    with handled(as_json):
        view, applied = consent.accept_consent(app.db, token, by_email=by)
    _deliver(app)
    if as_json:
        emit_json({**asdict(view), "operation": asdict(applied)})
    else:
        _print_view(view)


def activate(
    bureau: str = typer.Option(..., "--bureau", help="The bureau's organisation number."),
    client_org: str = typer.Option(..., "--client-org", help="The client's organisation number."),
    consultant: list[str] = typer.Option(
        ..., "--consultant", help="Email of a consultant (repeatable)."
    ),
    permission: list[Permission] = typer.Option(
        [Permission.BOOKKEEPING],
        "--permission",
        help="Permission given to the consultants (repeatable).",
    ),
    by: str | None = typer.Option(None, "--by", help="Email of the bureau's system administrator."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Activate a connected client with chosen consultants: it moves to the client list."""
    app = build()
    bureau_org = _org(bureau, as_json)
    with handled(as_json):
        actor = by or _first_admin(app, bureau_org)
        connections.activate(
            app.db,
            bureau_org=bureau_org,
            company_org=OrgNumber.parse(client_org),
            consultant_emails=consultant,
            permissions=permission,
            actor=actor,
        )
        lists = connections.client_lists(app.db, bureau_org)
    result = {
        "bureau": str(bureau_org),
        "client_org": client_org,
        "status": "active",
        **_lists_json(lists),
    }
    if as_json:
        emit_json(result)
    else:
        console.print(f"{client_org} är aktiverad och finns nu i klientlistan.")


def clients(
    bureau: str = typer.Option(..., "--bureau", help="The bureau's organisation number."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The bureau's activation list and client list."""
    app = build()
    bureau_org = _org(bureau, as_json)
    with handled(as_json):
        lists = connections.client_lists(app.db, bureau_org)
    if as_json:
        emit_json({"bureau": str(bureau_org), **_lists_json(lists)})
        return
    for key, title in (("activation_list", "Aktiveringslista"), ("client_list", "Klientlista")):
        table = Table(title=title)
        for column in ("Organisationsnummer", "Namn", "Abonnemang", "Betalar", "Konsulter"):
            table.add_column(column)
        for entry in lists[key]:
            table.add_row(
                entry.org_number,
                entry.name,
                entry.subscription_number,
                "byrån" if entry.payer == "bureau" else "klienten",
                ", ".join(str(c["email"]) for c in entry.consultants),
            )
        console.print(table)


def _first_admin(app: App, bureau_org: OrgNumber) -> str:
    from kopplingar.domain.model import Role
    from kopplingar.storage.repository import Repository

    with app.db.transaction() as session:
        admins = Repository(session).people_with_role(bureau_org, Role.SYSTEM_ADMINISTRATOR)
    emails = [a.email for a in admins if a.email]
    if not emails:
        raise DomainError(f"byrån {bureau_org} har ingen systemadministratör")
    return emails[0]


def _lists_json(lists: dict[str, list[connections.ClientEntry]]) -> dict[str, Any]:
    return {key: [asdict(entry) for entry in entries] for key, entries in lists.items()}


def _print_view(view: consent.ConsentView) -> None:
    what = "sammankoppling" if view.kind is OperationKind.CONNECT else "bortkoppling"
    console.print(
        f"Förfrågan {view.request_id}: {what} av {view.company_name} och {view.bureau_name}"
    )
    labels: dict[str, Callable[[], str]] = {
        "pending": lambda: f"väntar, gäller till {view.expires_at:%Y-%m-%d %H:%M} UTC",
        "accepted": lambda: (
            f"godkänd av {view.accepted_by} den {view.accepted_at:%Y-%m-%d %H:%M} UTC"
        ),
        "expired": lambda: f"utgången {view.expires_at:%Y-%m-%d %H:%M} UTC",
        "cancelled": lambda: "återkallad",
    }
    console.print("Status: " + labels[view.state.value]())
