"""Swedish organisation numbers: ten digits, shown NNNNNN-NNNN, the last a Luhn check digit."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kopplingar.domain.errors import InvalidOrgNumberError

_PATTERN = re.compile(r"^(\d{6})-?(\d{4})$")


def luhn_check_digit(digits: str) -> int:
    """The digit that makes ``digits + check`` pass the Luhn test (weights 2,1,2,... from the left)."""
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def luhn_valid(ten_digits: str) -> bool:
    return (
        len(ten_digits) == 10
        and ten_digits.isdigit()
        and luhn_check_digit(ten_digits[:9]) == int(ten_digits[9])
    )


@dataclass(frozen=True, order=True)
class OrgNumber:
    """A validated organisation number; ``digits`` is the stored normal form (ten digits)."""

    digits: str

    @classmethod
    def parse(cls, text: str) -> OrgNumber:
        cleaned = text.strip()
        match = _PATTERN.match(cleaned)
        if not match:
            raise InvalidOrgNumberError(
                f"ogiltigt organisationsnummer {cleaned!r}: ange tio siffror, NNNNNN-NNNN"
            )
        digits = match.group(1) + match.group(2)
        if not luhn_valid(digits):
            raise InvalidOrgNumberError(
                f"ogiltigt organisationsnummer {cleaned!r}: kontrollsiffran stämmer inte"
            )
        return cls(digits)

    def __post_init__(self) -> None:
        if not luhn_valid(self.digits):
            raise InvalidOrgNumberError(f"ogiltigt organisationsnummer {self.digits!r}")

    def __str__(self) -> str:
        return f"{self.digits[:6]}-{self.digits[6:]}"
