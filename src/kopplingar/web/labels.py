"""Swedish words for the pages: permissions, states and the fixed messages after an action."""

from __future__ import annotations

from kopplingar.domain.model import Permission

PERMISSION_LABELS = {
    Permission.BOOKKEEPING.value: "Bokföring",
    Permission.INVOICING.value: "Fakturering",
    Permission.SALARY.value: "Lön",
    Permission.REPORTS.value: "Rapporter",
    Permission.ADMINISTRATION.value: "Administration",
}

# Shown after a redirect (``?done=code``): fixed texts only, never text taken from the address.
DONE_MESSAGES = {
    "sent": "Förfrågan är skickad. Klientens systemadministratörer har fått ett e-postmeddelande med en länk som gäller i 7 dagar.",
    "disconnect_sent": "Förfrågan om bortkoppling är skickad. Klientens systemadministratörer har fått en länk som gäller i 7 dagar.",
    "resent": "Förfrågan är skickad igen med nya länkar. De tidigare länkarna fungerar inte längre.",
    "activated": "Klienten är aktiverad och finns nu i klientlistan.",
    "signed_out": "Du är utloggad.",
    "approved": "Ärendet är godkänt och åtgärden genomförd.",
    "rejected": "Ärendet är avvisat och svaret skickat till avsändaren.",
    "rescan": "Avsändaren har fått en begäran om en ny skanning.",
    "reopened": "Ärendet är öppnat igen och väntar på granskning.",
    "replied": "Avvisningssvaret är skickat till avsändaren.",
}

# The review desk
STATUS_LABELS = {
    "review": "Att granska",
    "rejected": "Avvisade",
    "applied": "Genomförda",
    "received": "Inte lästa än",
}
OPERATION_LABELS = {"connect": "Sammankoppling", "disconnect": "Bortkoppling"}
FIELD_LABELS = {
    "company_name": "Företagets namn",
    "company_org_number": "Företagets organisationsnummer",
    "subscription_number": "Abonnemangsnummer",
    "bureau_name": "Byråns namn",
    "bureau_org_number": "Byråns organisationsnummer",
    "company_signer_name": "Undertecknare för företaget",
    "company_signer_role": "Undertecknarens roll",
    "company_sign_date": "Företagets datum",
    "bureau_signer_name": "Undertecknare för byrån",
    "bureau_sign_date": "Byråns datum",
    "contact_email": "E-post för besked",
}
PARTY_LABELS = {"company": "Företagets underskrift", "bureau": "Byråns underskrift"}
EVENT_LABELS = {
    "received": "Mottaget",
    "claimed": "Läses",
    "applied": "Genomfört",
    "rejected": "Avvisat",
    "review": "Till granskning",
    "replied": "Svar skickat",
    "reply_released": "Svar godkänt av handläggare",
}
ROLE_LABELS = {"reviewer": "Handläggare", "admin": "Administratör"}
