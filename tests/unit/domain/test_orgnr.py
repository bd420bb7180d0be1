import pytest
from hypothesis import given
from hypothesis import strategies as st

from kopplingar.domain.errors import InvalidOrgNumberError
from kopplingar.domain.orgnr import OrgNumber, luhn_check_digit, luhn_valid


@pytest.mark.parametrize("text", ["556677-8899", "5566778899", " 556677-8899 "])
def test_both_forms_give_one_normal_form(text: str) -> None:
    org = OrgNumber.parse(text)
    assert org.digits == "5566778899"
    assert str(org) == "556677-8899"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("556677-8898", "kontrollsiffran"),
        ("55667788", "tio siffror"),
        ("556677-88990", "tio siffror"),
        ("55667-788990", "tio siffror"),
        ("abcdef-ghij", "tio siffror"),
        ("", "tio siffror"),
        ("556677–8899", "tio siffror"),  # en dash is not accepted silently
    ],
)
def test_bad_numbers_are_clear_errors(text: str, why: str) -> None:
    with pytest.raises(InvalidOrgNumberError, match=why):
        OrgNumber.parse(text)


def test_known_real_world_check_digits() -> None:
    # Published organisation numbers (Swedish authorities) pass; one digit off fails.
    for valid in ("202100-5489", "212000-0142", "556036-0793"):
        assert luhn_valid(OrgNumber.parse(valid).digits)
    assert not luhn_valid("2021005488")


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_every_nine_digits_have_exactly_one_check_digit(nine: str) -> None:
    check = luhn_check_digit(nine)
    valid = [d for d in range(10) if luhn_valid(nine + str(d))]
    assert valid == [check]


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(0, 9), st.integers(1, 9))
def test_any_single_digit_error_is_caught(nine: str, position: int, delta: int) -> None:
    number = nine + str(luhn_check_digit(nine))
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert not luhn_valid(wrong)
