"""Swedish mail texts. Each function returns (subject, body) as plain text."""

from __future__ import annotations

from datetime import datetime

from kopplingar.domain.model import OperationKind

SIGNATURE = "\n\nVänliga hälsningar\nKundtjänst, kopplingar@fortnox.se\n"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def consent_request(
    kind: OperationKind,
    *,
    bureau_name: str,
    company_name: str,
    link: str,
    expires_at: datetime,
    recipient_name: str,
) -> tuple[str, str]:
    if kind is OperationKind.CONNECT:
        subject = f"{bureau_name} vill koppla ihop sig med {company_name}"
        action = (
            f"{bureau_name} har begärt att få kopplas ihop med {company_name} som byrå. "
            "När kopplingen är godkänd kan byrån aktivera er som klient och arbeta i ert företag."
        )
    else:
        subject = f"{bureau_name} vill koppla bort {company_name}"
        action = (
            f"{bureau_name} har begärt att kopplingen till {company_name} ska tas bort. "
            "När den är godkänd har byrån inte längre tillgång till ert företag."
        )
    body = (
        f"Hej {recipient_name},\n\n{action}\n\n"
        f"Öppna länken för att se förfrågan och godkänna den:\n{link}\n\n"
        f"Länken gäller till {_when(expires_at)} (7 dagar). Den första systemadministratören "
        "som godkänner slutför förfrågan. Om du inte känner igen förfrågan kan du bortse från "
        "det här meddelandet."
    )
    return subject, body + SIGNATURE


def operation_confirmation(
    kind: OperationKind,
    *,
    bureau_name: str,
    company_name: str,
    accepted_by: str,
    at: datetime,
    billing_from: str | None,
) -> tuple[str, str]:
    if kind is OperationKind.CONNECT:
        subject = f"Bekräftelse: {company_name} är kopplad till {bureau_name}"
        what = (
            f"{company_name} är nu kopplad till {bureau_name}. Klienten finns i byråns "
            "aktiveringslista tills byrån har aktiverat den och gett konsulterna behörighet."
        )
    else:
        subject = f"Bekräftelse: {company_name} är bortkopplad från {bureau_name}"
        what = f"Kopplingen mellan {bureau_name} och {company_name} är borttagen."
        if billing_from:
            what += (
                f" Byrån betalade tidigare för abonnemanget; från och med perioden {billing_from} "
                f"är {company_name} betalningsansvarig."
            )
    body = f"Hej,\n\n{what}\n\nGodkänd av: {accepted_by}\nTidpunkt: {_when(at)}"
    return subject, body + SIGNATURE


def rejection(
    *, reasons: list[tuple[str, str]], file_name: str | None, case_id: int
) -> tuple[str, str]:
    """A reply to the sender of a scan: what was wrong in plain words and what to do."""
    lines = [f"• {text}\n  Gör så här: {advice}" for text, advice in reasons]
    about = f" ({file_name})" if file_name else ""
    body = (
        "Hej,\n\nTack för blanketten. Vi kunde tyvärr inte genomföra kopplingen"
        f"{about}, eftersom:\n\n" + "\n\n".join(lines) + "\n\n"
        "Blanketten ska vara underskriven av både företaget (firmatecknare eller systemadministratör) "
        "och byråns systemadministratör, och abonnemangsnumret måste stämma. "
        f"Svara på det här meddelandet om du har frågor och ange ärendenummer {case_id}."
    )
    return f"Blanketten kunde inte behandlas (ärende {case_id})", body + SIGNATURE


def reply_subject(original: str | None, fallback: str) -> str:
    if not original:
        return fallback
    clean = " ".join(original.split())[:200]
    return clean if clean.lower().startswith(("sv:", "re:")) else f"Sv: {clean}"


def sign_in_link(*, recipient_name: str, link: str, minutes: int) -> tuple[str, str]:
    body = (
        f"Hej {recipient_name},\n\nHär är din inloggningslänk till Kopplingar:\n{link}\n\n"
        f"Länken gäller i {minutes} minuter och kan bara användas en gång. Om du inte har bett om "
        "att logga in kan du bortse från det här meddelandet."
    )
    return "Din inloggningslänk till Kopplingar", body + SIGNATURE


def receipt(*, file_name: str | None, case_id: int) -> tuple[str, str]:
    """The form arrived and waits for a person: no need to send it again."""
    about = f" ({file_name})" if file_name else ""
    body = (
        f"Hej,\n\nVi har tagit emot blanketten{about}. Den granskas nu av vår kundtjänst, och ni får "
        "ett nytt besked när kopplingen är genomförd eller om något behöver kompletteras. Ni behöver "
        f"inte skicka blanketten igen. Ange ärendenummer {case_id} om ni har frågor."
    )
    return f"Blanketten är mottagen (ärende {case_id})", body + SIGNATURE
