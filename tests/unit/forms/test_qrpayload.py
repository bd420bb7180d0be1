"""The QR text: blank forms say kind and version; prefilled ones carry a signed form id."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kopplingar.forms import qrpayload as qrp

SECRET = b"test-secret-0123456789"


def test_blank_codes_carry_kind_and_version_only() -> None:
    assert qrp.encode("connect", "1") == "KPL1:C:1"
    payload = qrp.decode("KPL1:D:1", None)
    assert payload == qrp.Payload("disconnect", "1", None)
    assert not payload.prefilled


def test_prefilled_code_round_trips_and_is_short() -> None:
    text = qrp.encode("connect", "1", "PC-000042", SECRET)
    assert len(text) <= 40
    assert text == text.upper()  # QR alphanumeric mode: larger modules
    payload = qrp.decode(text, SECRET)
    assert payload == qrp.Payload("connect", "1", "PC-000042")
    assert payload.prefilled


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t.replace("PC-000042", "PC-000043"),  # another case
        lambda t: t.replace(":C:", ":D:"),  # moved to the other kind
        lambda t: t.replace("KPL1:C:1:", "KPL1:C:2:"),  # another version
        lambda t: t.rsplit(":", 1)[0],  # signature stripped
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character of the MAC
    ],
)
def test_altered_codes_are_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    text = qrp.encode("connect", "1", "PC-000042", SECRET)
    with pytest.raises(qrp.QrSignatureError) as info:
        qrp.decode(tamper(text), SECRET)
    assert info.value.reason == "bad_signature"


def test_forged_code_with_another_key_is_refused() -> None:
    forged = qrp.encode("connect", "1", "PC-000042", b"attacker key")
    with pytest.raises(qrp.QrSignatureError):
        qrp.decode(forged, SECRET)


def test_prefilled_code_without_key_cannot_be_trusted() -> None:
    text = qrp.encode("connect", "1", "PC-1", SECRET)
    with pytest.raises(qrp.QrSignatureError) as info:
        qrp.decode(text, None)
    assert info.value.reason == "unverifiable"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("https://example.com/", "not_ours"),
        ("", "not_ours"),
        ("KPL1", "malformed"),
        ("KPL1:X:1", "malformed"),
        ("KPL1:C:v1", "malformed"),
        ("KPL1:C:1:a:b:c", "malformed"),
        ("KPL1:C:1:" + "A" * 200, "not_ours"),
        ("KPL1:C:1:bad id:ABCDEFGHIJKLMNOP", "bad_signature"),
    ],
)
def test_foreign_or_malformed_codes_have_a_reason(text: str, reason: str) -> None:
    with pytest.raises(qrp.QrPayloadError) as info:
        qrp.decode(text, SECRET)
    assert info.value.reason == reason


def test_encode_refuses_what_it_cannot_sign() -> None:
    with pytest.raises(ValueError, match="secret"):
        qrp.encode("connect", "1", "PC-1", None)
    with pytest.raises(ValueError, match="form_id"):
        qrp.encode("connect", "1", "bad:id", SECRET)
    with pytest.raises(ValueError, match="kind"):
        qrp.encode("merge", "1")


@given(
    kind=st.sampled_from(["connect", "disconnect"]),
    form_id=st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True),
    flip=st.integers(min_value=0, max_value=200),
)
def test_any_single_character_change_is_detected(kind: str, form_id: str, flip: int) -> None:
    text = qrp.encode(kind, "1", form_id, SECRET)
    assert qrp.decode(text, SECRET).form_id == form_id
    i = flip % len(text)
    replacement = "Z" if text[i] != "Z" else "Y"
    altered = text[:i] + replacement + text[i + 1 :]
    with pytest.raises(qrp.QrPayloadError):
        qrp.decode(altered, SECRET)
