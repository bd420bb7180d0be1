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
}
