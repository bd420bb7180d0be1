"""Who may start a digital request, and who may accept it (the seed articles' rules)."""

from __future__ import annotations

from kopplingar.domain.errors import DigitalRouteClosedError, NotAllowedError
from kopplingar.domain.model import Bureau, Company, Person

FORM_HINT = (
    "Använd blanketten för sammankoppling/bortkoppling och skicka den till kopplingar@fortnox.se."
)


def check_connect_request(bureau: Bureau, company: Company, requester: Person) -> None:
    if not requester.is_admin_of(bureau.org_number):
        raise NotAllowedError(f"{requester.name} är inte systemadministratör hos {bureau.name}")
    if not bureau.digital_connect:
        raise DigitalRouteClosedError(
            f"{bureau.name} kan inte koppla klienter digitalt. {FORM_HINT}"
        )
    if company.multi_company:
        raise DigitalRouteClosedError(
            f"{company.name} ingår i en flerföretagslösning och kan inte kopplas digitalt. {FORM_HINT}"
        )


def check_disconnect_request(
    bureau: Bureau, company: Company, requester: Person, client_admins: list[Person]
) -> None:
    if not requester.is_admin_of(bureau.org_number):
        raise NotAllowedError(
            f"{requester.name} är inte systemadministratör hos {bureau.name}; "
            "bara byråns systemadministratör kan koppla bort en klient"
        )
    if not bureau.digital_disconnect:
        raise DigitalRouteClosedError(
            f"{bureau.name} kan inte koppla bort klienter digitalt. {FORM_HINT}"
        )
    if company.multi_company:
        raise DigitalRouteClosedError(
            f"{company.name} ingår i en flerföretagslösning och kan inte kopplas bort digitalt. {FORM_HINT}"
        )
    if not [admin for admin in client_admins if admin.email]:
        raise NotAllowedError(
            f"{company.name} har ingen systemadministratör med e-postadress som kan godkänna. {FORM_HINT}"
        )


def check_may_accept(company: Company, person: Person) -> None:
    if not person.is_admin_of(company.org_number):
        raise NotAllowedError(f"{person.name} är inte systemadministratör hos {company.name}")
