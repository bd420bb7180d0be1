from datetime import UTC, datetime

import pytest

from kopplingar.domain import operations
from kopplingar.domain.errors import AlreadyConnectedError, NotAllowedError, NotConnectedError
from kopplingar.domain.model import (
    BillingPeriod,
    ConnectionStatus,
    ConsultantAccess,
    Payer,
    Permission,
    Role,
    Route,
)
from kopplingar.domain.operations import Evidence
from tests.unit.domain.factories import BUREAU_ORG, COMPANY_ORG, NOW, bureau, company, person

PAPER = Evidence(Route.PAPER, "case:17", accepted_by="David Dahl")


def connected(bureau_pays: bool = False) -> operations.Outcome:
    return operations.connect(
        None, bureau(), company(), evidence=PAPER, actor="worker", now=NOW, bureau_pays=bureau_pays
    )


def test_connect_puts_the_client_in_the_activation_list_with_evidence() -> None:
    outcome = connected()
    assert outcome.connection.status is ConnectionStatus.PENDING_ACTIVATION
    assert outcome.connection.route is Route.PAPER
    [event] = outcome.events
    assert event.action == "connect"
    assert event.data == {"route": "paper", "reference": "case:17", "accepted_by": "David Dahl"}


def test_connect_twice_is_refused_but_an_ended_connection_can_be_renewed() -> None:
    first = connected().connection
    with pytest.raises(AlreadyConnectedError):
        operations.connect(first, bureau(), company(), evidence=PAPER, actor="w", now=NOW)
    ended = operations.disconnect(
        first, bureau(), company(), evidence=PAPER, actor="w", now=NOW
    ).connection
    again = operations.connect(ended, bureau(), company(), evidence=PAPER, actor="w", now=NOW)
    assert again.connection.status is ConnectionStatus.PENDING_ACTIVATION


def test_activate_needs_bureau_users_and_moves_to_client_list() -> None:
    pending = connected().connection
    consultant = person("Bertil", (BUREAU_ORG, Role.CONSULTANT), email="bertil@siffrorna.se")
    outsider = person("Olle", (COMPANY_ORG, Role.SYSTEM_ADMINISTRATOR), email="olle@x.se")
    access = ConsultantAccess("bertil@siffrorna.se", frozenset({Permission.BOOKKEEPING}))
    with pytest.raises(NotAllowedError):
        operations.activate(pending, bureau(), [(outsider, access)], actor="a", now=NOW)
    with pytest.raises(NotAllowedError):
        operations.activate(pending, bureau(), [], actor="a", now=NOW)
    active = operations.activate(
        pending, bureau(), [(consultant, access)], actor="a", now=NOW
    ).connection
    assert active.status is ConnectionStatus.ACTIVE
    assert active.consultants == (access,)
    with pytest.raises(NotAllowedError, match="redan aktiverad"):
        operations.activate(active, bureau(), [(consultant, access)], actor="a", now=NOW)


def test_disconnect_of_a_connection_that_does_not_exist_is_refused() -> None:
    with pytest.raises(NotConnectedError):
        operations.disconnect(None, bureau(), company(), evidence=PAPER, actor="w", now=NOW)


@pytest.mark.parametrize(
    ("when", "period"),
    [
        (datetime(2026, 3, 14, tzinfo=UTC), "2026-04"),
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "2027-01"),
        (datetime(2026, 1, 1, tzinfo=UTC), "2026-02"),
    ],
)
def test_company_pays_from_the_next_period_when_the_bureau_paid(
    when: datetime, period: str
) -> None:
    outcome = operations.disconnect(
        connected(bureau_pays=True).connection,
        bureau(),
        company(),
        evidence=PAPER,
        actor="w",
        now=when,
    )
    assert outcome.billing_change is not None
    assert outcome.billing_change.payer is Payer.COMPANY
    assert str(outcome.billing_change.from_period) == period
    assert [e.action for e in outcome.events] == ["disconnect", "billing_change"]


def test_no_billing_change_when_the_company_already_paid() -> None:
    outcome = operations.disconnect(
        connected().connection, bureau(), company(), evidence=PAPER, actor="w", now=NOW
    )
    assert outcome.billing_change is None
    assert outcome.connection.status is ConnectionStatus.ENDED


def test_billing_period_order_and_parse() -> None:
    assert BillingPeriod.parse("2026-12").next() == BillingPeriod(2027, 1)
    assert BillingPeriod(2026, 3) < BillingPeriod(2026, 11)
