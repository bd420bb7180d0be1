"""Plausible form contents: Swedish companies, bureaus, people, numbers and dates.

Organisation numbers are 10 digits, NNNNNN-NNNN, whose last digit is the Luhn check digit over
the first nine (the Swedish rule). Subscription numbers (abonnemangsnummer) are 6 to 8 digits
without a leading zero as a rule (the registry and the form accept 4 to 12).
"""

from __future__ import annotations

import unicodedata

import numpy as np

from kopplingar.domain.orgnr import luhn_check_digit, luhn_valid
from kopplingar.forms.layout import (
    ROLE_FIRMATECKNARE,
    ROLE_SYSTEMADMIN,
    SUBSCRIPTION_MAX_DIGITS,
    SUBSCRIPTION_MIN_DIGITS,
)

FIRST_NAMES = (
    "Anna", "Åsa", "Maria", "Karin", "Eva", "Sofia", "Ingrid", "Märta", "Linnéa", "Elin",
    "Ebba", "Maja", "Astrid", "Sara", "Lena", "Erik", "Lars", "Karl", "Per", "Björn",
    "Johan", "Anders", "Mikael", "Jörgen", "Göran", "Oskar", "Nils", "Håkan", "Olof", "Ali",
)  # fmt: skip
LAST_NAMES = (
    "Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
    "Persson", "Svensson", "Gustafsson", "Lindström", "Bäckström", "Öberg", "Åkesson",
    "Sjöberg", "Lundqvist", "Holmgren", "Ekström", "Hägglund", "Nyström", "Wallin", "Yilmaz",
)  # fmt: skip
COMPANY_WORDS = (
    "Norrlands", "Åkessons", "Bäckströms", "Lilla", "Solrosen", "Fjällbacka", "Västkust",
    "Ekdahls", "Öhrlings", "Skärgårds", "Mälardalens", "Höga Kusten", "Nordic", "Gröna",
)  # fmt: skip
COMPANY_TRADES = (
    "Bygg", "Konsult", "Fastigheter", "El", "Transport", "Café", "Design", "Handel",
    "Måleri", "Trädgård", "Snickeri", "IT", "Bageri", "Städ",
)  # fmt: skip
COMPANY_FORMS = ("AB", "AB", "AB", "Aktiebolag", "HB", "& Söner AB")
BUREAU_STYLES = (
    "{w} Redovisning AB", "Redovisningsbyrån i {t} AB", "{w} Ekonomi & Revision AB",
    "Bokföringsbyrån {w} AB", "{t} Revisionsbyrå KB", "{w} Ekonomitjänst AB",
)  # fmt: skip
TOWNS = ("Umeå", "Luleå", "Gävle", "Örebro", "Västerås", "Jönköping", "Malmö", "Växjö", "Kiruna")
ORG_PREFIXES = ("556", "559", "969", "802", "716")  # AB, AB, HB/KB, ideell förening, ...


def is_valid_org_number(value: str) -> bool:
    return luhn_valid(value.replace("-", ""))


def org_number(rng: np.random.Generator, *, valid: bool = True) -> str:
    prefix = str(rng.choice(ORG_PREFIXES))
    body = prefix + "".join(str(d) for d in rng.integers(0, 10, 9 - len(prefix)))
    check = luhn_check_digit(body)
    if not valid:
        check = (check + int(rng.integers(1, 10))) % 10
    digits = f"{body}{check}"
    return f"{digits[:6]}-{digits[6:]}"


def subscription_number(rng: np.random.Generator) -> str:
    wide = rng.random() < 0.1  # now and then an unusually short or long one
    low, high = (SUBSCRIPTION_MIN_DIGITS, SUBSCRIPTION_MAX_DIGITS) if wide else (6, 8)
    n = int(rng.integers(low, high + 1))
    return str(int(rng.integers(1, 10))) + "".join(str(d) for d in rng.integers(0, 10, n - 1))


def person_name(rng: np.random.Generator) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def company_name(rng: np.random.Generator) -> str:
    return f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_TRADES)} {rng.choice(COMPANY_FORMS)}"


def bureau_name(rng: np.random.Generator) -> str:
    style = str(rng.choice(BUREAU_STYLES))
    return style.format(w=rng.choice(COMPANY_WORDS), t=rng.choice(TOWNS))


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch in ".-")


def email_for(person: str, company: str) -> str:
    first, last = person.split(" ", 1)
    words = company.split(" ")
    domain = ascii_slug("".join(words[:2])) or "foretaget"
    return f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}.se"


def date(rng: np.random.Generator, base_day: int | None = None) -> tuple[str, int]:
    """A date in 2024-2026 as YYYY-MM-DD, and its day number (to draw a nearby second date)."""
    import datetime as dt

    start = dt.date(2024, 1, 1).toordinal()
    day = (
        int(rng.integers(start, start + 3 * 365))
        if base_day is None
        else base_day + int(rng.integers(-3, 12))
    )
    return dt.date.fromordinal(day).isoformat(), day


def role(rng: np.random.Generator) -> str:
    return ROLE_FIRMATECKNARE if rng.random() < 0.55 else ROLE_SYSTEMADMIN


def form_values(rng: np.random.Generator) -> dict[str, str]:
    """A complete, correct set of field values for one form (layout version 1 formats)."""
    company = company_name(rng)
    company_signer = person_name(rng)
    company_date, day = date(rng)
    bureau_date, _ = date(rng, day)
    return {
        "company_name": company,
        "company_org_number": org_number(rng),
        "subscription_number": subscription_number(rng),
        "bureau_name": bureau_name(rng),
        "bureau_org_number": org_number(rng),
        "company_signer_name": company_signer,
        "company_signer_role": role(rng),
        "company_sign_date": company_date,
        "bureau_signer_name": person_name(rng),
        "bureau_sign_date": bureau_date,
        "contact_email": email_for(company_signer, company),
    }
