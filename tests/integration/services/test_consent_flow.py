"""The digital consent flow against SQLite and PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kopplingar.domain.consent import ConsentState
from kopplingar.domain.errors import (
    AlreadyConnectedError,
    ConsentClosedError,
    ConsentExpiredError,
    DigitalRouteClosedError,
    InvalidTokenError,
    NotAllowedError,
    NotConnectedError,
    NotFoundError,
)
from kopplingar.domain.model import OperationKind
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.services import connections
from kopplingar.services.consent import accept_consent, request_consent, show_consent
from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import (
    AuditRow,
    ConsentLinkRow,
    OperationRow,
    OutgoingMailRow,
)
from tests.integration.services.conftest import loaded_database

BUREAU = OrgNumber.parse("556677-8899")
BIG_BUREAU = OrgNumber.parse("556012-3456")
BAGERIET = "559123-4561"
SNICKERI = "556987-6542"
T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def tokens_sent(db: Database, purpose: str) -> dict[str, str]:
    """Recipient → token, read from the queued mails as an administrator would."""
    with db.transaction() as session:
        rows = session.scalars(
            select(OutgoingMailRow).where(OutgoingMailRow.purpose == purpose)
        ).all()
        return {row.recipients[0]: row.body.split("/consent/")[1].split()[0] for row in rows}


def connect_request(db: Database, now: datetime = T0, **kwargs: str) -> dict[str, str]:
    args = {"client_org": BAGERIET, **kwargs}
    request_consent(
        db,
        OperationKind.CONNECT,
        bureau_org=BUREAU,
        by_email="anna@siffrorna.se",
        public_url="https://k.example",
        now=now,
        **args,
    )
    return tokens_sent(db, "connect_request")


def test_every_client_admin_gets_a_personal_link_and_only_hashes_are_stored(db: Database) -> None:
    tokens = connect_request(db)
    assert set(tokens) == {"david@bageriet.se", "eva@bageriet.se"}
    with db.transaction() as session:
        stored = set(session.scalars(select(ConsentLinkRow.token_hash)).all())
    assert not stored & set(tokens.values())
    assert len(stored) == 2


def test_search_by_database_id_finds_the_same_company(db: Database) -> None:
    sent = request_consent(
        db,
        OperationKind.CONNECT,
        bureau_org=BUREAU,
        client_db_id="870311",
        by_email="anna@siffrorna.se",
        public_url="x",
        now=T0,
    )
    assert sent.company == BAGERIET
    with pytest.raises(NotFoundError):
        request_consent(
            db,
            OperationKind.CONNECT,
            bureau_org=BUREAU,
            client_db_id="999",
            by_email="anna@siffrorna.se",
            public_url="x",
            now=T0,
        )


def test_opening_a_link_changes_nothing_and_first_accept_completes(db: Database) -> None:
    tokens = connect_request(db)
    for _ in range(3):
        view = show_consent(db, tokens["eva@bageriet.se"], now=T0 + timedelta(hours=1))
        assert view.state is ConsentState.PENDING
    assert connections.client_lists(db, BUREAU)["activation_list"] == []

    view, applied = accept_consent(db, tokens["david@bageriet.se"], now=T0 + timedelta(days=1))
    assert view.state is ConsentState.ACCEPTED and view.accepted_by == "david@bageriet.se"
    assert not applied.already_applied
    assert [e.org_number for e in connections.client_lists(db, BUREAU)["activation_list"]] == [
        BAGERIET
    ]

    # The second administrator's later visit shows who accepted and when.
    later = show_consent(db, tokens["eva@bageriet.se"], now=T0 + timedelta(days=2))
    assert later.state is ConsentState.ACCEPTED
    assert later.accepted_by == "david@bageriet.se"
    assert later.accepted_at == T0 + timedelta(days=1)
    with pytest.raises(ConsentClosedError, match="david"):
        accept_consent(db, tokens["eva@bageriet.se"], now=T0 + timedelta(days=2))

    with db.transaction() as session:
        actions = [r.action for r in session.scalars(select(AuditRow).order_by(AuditRow.id)).all()]
        [op] = session.scalars(select(OperationRow)).all()
    assert actions[-2:] == ["connect_requested", "connect"]
    assert op.route == "digital" and op.evidence["accepted_by"] == "david@bageriet.se"


def test_seven_day_boundary_on_the_database(db: Database) -> None:
    tokens = connect_request(db)
    limit = T0 + timedelta(days=7)
    assert (
        show_consent(db, tokens["eva@bageriet.se"], now=limit - timedelta(seconds=1)).state
        is ConsentState.PENDING
    )
    assert show_consent(db, tokens["eva@bageriet.se"], now=limit).state is ConsentState.EXPIRED
    with pytest.raises(ConsentExpiredError):
        accept_consent(db, tokens["eva@bageriet.se"], now=limit)
    # One second before the limit still works.
    view, _ = accept_consent(db, tokens["david@bageriet.se"], now=limit - timedelta(seconds=1))
    assert view.state is ConsentState.ACCEPTED


def test_an_expired_request_can_be_sent_again(db: Database) -> None:
    connect_request(db)
    with pytest.raises(NotAllowedError, match="väntar redan"):
        connect_request(db, now=T0 + timedelta(days=1))
    connect_request(db, now=T0 + timedelta(days=8))


def test_links_are_personal_and_unknown_tokens_refused(db: Database) -> None:
    tokens = connect_request(db)
    with pytest.raises(NotAllowedError, match="skickades till"):
        accept_consent(db, tokens["david@bageriet.se"], by_email="eva@bageriet.se", now=T0)
    for bad in ("", "nope", tokens["david@bageriet.se"][:-1], "x" * 5000):
        with pytest.raises(InvalidTokenError):
            show_consent(db, bad, now=T0)


def test_flagged_bureaus_and_multi_company_setups_must_use_the_form(db: Database) -> None:
    with pytest.raises(DigitalRouteClosedError, match="blanketten"):
        request_consent(
            db,
            OperationKind.CONNECT,
            bureau_org=BIG_BUREAU,
            client_org=BAGERIET,
            by_email="cecilia@storbyran.se",
            public_url="x",
            now=T0,
        )
    with pytest.raises(DigitalRouteClosedError, match="flerföretag"):
        request_consent(
            db,
            OperationKind.CONNECT,
            bureau_org=BUREAU,
            client_org="556111-2227",
            by_email="anna@siffrorna.se",
            public_url="x",
            now=T0,
        )
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutgoingMailRow)) == 0


def test_only_bureau_admins_request_and_disconnect_needs_a_client_admin(db: Database) -> None:
    with pytest.raises(NotAllowedError):
        request_consent(
            db,
            OperationKind.CONNECT,
            bureau_org=BUREAU,
            client_org=BAGERIET,
            by_email="bertil@siffrorna.se",
            public_url="x",
            now=T0,
        )
    with pytest.raises(NotConnectedError):
        request_consent(
            db,
            OperationKind.DISCONNECT,
            bureau_org=BUREAU,
            client_org=BAGERIET,
            by_email="anna@siffrorna.se",
            public_url="x",
            now=T0,
        )
    with pytest.raises(AlreadyConnectedError):
        request_consent(
            db,
            OperationKind.CONNECT,
            bureau_org=BUREAU,
            client_org=SNICKERI,
            by_email="anna@siffrorna.se",
            public_url="x",
            now=T0,
        )
    # Ensamföretaget has only a signatory without email: no one could accept.
    connections.apply_operation(
        db,
        kind=OperationKind.CONNECT,
        bureau_org=BUREAU,
        company_org=OrgNumber.parse("556333-4449"),
        evidence=_paper("c1"),
        actor="worker",
        operation_key="case:c1",
        now=T0,
    )
    with pytest.raises(NotAllowedError, match="ingen systemadministratör"):
        request_consent(
            db,
            OperationKind.DISCONNECT,
            bureau_org=BUREAU,
            client_org="556333-4449",
            by_email="anna@siffrorna.se",
            public_url="x",
            now=T0,
        )


def _paper(case_id: str):  # type: ignore[no-untyped-def]
    from kopplingar.domain.model import Route
    from kopplingar.domain.operations import Evidence

    return Evidence(Route.PAPER, f"case:{case_id}", accepted_by="Hans Holm")


def test_disconnect_switches_billing_and_confirms_to_consultant_and_client(db: Database) -> None:
    request_consent(
        db,
        OperationKind.DISCONNECT,
        bureau_org=BUREAU,
        client_org=SNICKERI,
        by_email="anna@siffrorna.se",
        public_url="x",
        now=T0,
    )
    token = tokens_sent(db, "disconnect_request")["fredrik@snickeri.se"]
    _view, applied = accept_consent(db, token, now=T0 + timedelta(days=3))
    assert applied.billing_from == "2026-04"
    assert connections.client_lists(db, BUREAU)["client_list"] == []
    history = connections.billing_history(db, OrgNumber.parse(SNICKERI))
    assert history[-1] == {"from_period": "2026-04", "payer": "company", "bureau": None}
    assert history[0]["payer"] == "bureau"
    with db.transaction() as session:
        [mail] = session.scalars(
            select(OutgoingMailRow).where(OutgoingMailRow.purpose == "disconnect_confirmation")
        ).all()
    assert set(mail.recipients) == {"anna@siffrorna.se", "fredrik@snickeri.se"}
    assert "2026-04" in mail.body and "betalningsansvarig" in mail.body


def test_the_same_operation_key_applies_once(db: Database) -> None:
    kwargs = {
        "kind": OperationKind.CONNECT,
        "bureau_org": BUREAU,
        "company_org": OrgNumber.parse(BAGERIET),
        "evidence": _paper("42"),
        "actor": "worker",
        "operation_key": "case:42",
        "now": T0,
    }
    first = connections.apply_operation(db, **kwargs)  # type: ignore[arg-type]
    second = connections.apply_operation(db, **kwargs)  # type: ignore[arg-type]
    assert not first.already_applied and second.already_applied
    with db.transaction() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(AuditRow).where(AuditRow.action == "connect")
            )
            == 1
        )
    # A different key for the same pair is a real second connect: refused.
    with pytest.raises(AlreadyConnectedError):
        connections.apply_operation(db, **{**kwargs, "operation_key": "case:43"})  # type: ignore[arg-type]


def test_paper_route_closes_an_open_digital_request_for_the_pair(db: Database) -> None:
    tokens = connect_request(db)
    connections.apply_operation(
        db,
        kind=OperationKind.CONNECT,
        bureau_org=BUREAU,
        company_org=OrgNumber.parse(BAGERIET),
        evidence=_paper("7"),
        actor="worker",
        operation_key="case:7",
        now=T0 + timedelta(hours=1),
    )
    assert (
        show_consent(db, tokens["david@bageriet.se"], now=T0 + timedelta(hours=2)).state
        is ConsentState.CANCELLED
    )
    with pytest.raises(ConsentClosedError):
        accept_consent(db, tokens["david@bageriet.se"], now=T0 + timedelta(hours=2))


def test_activation_moves_the_client_to_the_client_list(db: Database) -> None:
    tokens = connect_request(db)
    accept_consent(db, tokens["eva@bageriet.se"], now=T0)
    with pytest.raises(NotAllowedError):
        connections.activate(
            db,
            bureau_org=BUREAU,
            company_org=OrgNumber.parse(BAGERIET),
            consultant_emails=["bertil@siffrorna.se"],
            permissions=[],
            actor="bertil@siffrorna.se",
        )
    connections.activate(
        db,
        bureau_org=BUREAU,
        company_org=OrgNumber.parse(BAGERIET),
        consultant_emails=["bertil@siffrorna.se"],
        permissions=[],
        actor="anna@siffrorna.se",
    )
    lists = connections.client_lists(db, BUREAU)
    assert lists["activation_list"] == []
    assert {e.org_number for e in lists["client_list"]} == {SNICKERI, BAGERIET}


def _race_accepts(db: Database, tokens: list[str]) -> list[str]:
    barrier = threading.Barrier(len(tokens))
    results: list[str] = []

    def accept(token: str) -> None:
        barrier.wait()
        try:
            accept_consent(db, token, now=T0 + timedelta(minutes=5))
            results.append("won")
        except ConsentClosedError:
            results.append("closed")

    threads = [threading.Thread(target=accept, args=(t,)) for t in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


@pytest.mark.postgres
def test_concurrent_accepts_exactly_one_wins(postgres) -> None:  # type: ignore[no-untyped-def]
    """Two administrators accept at the same moment on PostgreSQL: one wins, one is told."""
    for _round in range(5):
        db = loaded_database(postgres.create_database())
        tokens = connect_request(db)
        assert _race_accepts(db, list(tokens.values())) == ["closed", "won"]
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(OperationRow)) == 1
            assert (
                session.scalar(
                    select(func.count()).select_from(AuditRow).where(AuditRow.action == "connect")
                )
                == 1
            )
        db.dispose()


def test_concurrent_accepts_on_sqlite_exactly_one_wins(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = loaded_database(f"sqlite:///{tmp_path / 'race.db'}")
    tokens = connect_request(db)
    assert _race_accepts(db, list(tokens.values())) == ["closed", "won"]


@pytest.mark.postgres
def test_concurrent_applies_of_one_key_apply_once(postgres) -> None:  # type: ignore[no-untyped-def]
    """Two workers apply the same paper case at once: one applies, the other sees it applied."""
    db = loaded_database(postgres.create_database())
    barrier = threading.Barrier(2)
    outcomes: list[bool] = []

    def apply() -> None:
        barrier.wait()
        result = connections.apply_operation(
            db,
            kind=OperationKind.CONNECT,
            bureau_org=BUREAU,
            company_org=OrgNumber.parse(BAGERIET),
            evidence=_paper("99"),
            actor="worker",
            operation_key="case:99",
            now=T0,
        )
        outcomes.append(result.already_applied)

    threads = [threading.Thread(target=apply) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False, True]
    with db.transaction() as session:
        assert (
            session.scalar(
                select(func.count()).select_from(AuditRow).where(AuditRow.action == "connect")
            )
            == 1
        )
