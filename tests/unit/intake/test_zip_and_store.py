"""Zip limits, magic-byte sniffing and the durable content-addressed store."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kopplingar.intake import sniff
from kopplingar.intake.rawstore import FileRawStore, sha256_hex
from kopplingar.intake.zipfiles import ZipLimits, ZipRejectedError, expand_zip, is_unsafe_name
from tests.support.mails import PNG_1PX, encrypted_zip, overlapping_zip, pdf_bytes, zip_of


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (zip_of({"a.pdf": b"0" * 2_000_000}), "zip_bomb"),
        (zip_of({f"{i}.pdf": b"x" for i in range(101)}), "zip_too_many_entries"),
        (zip_of({"../x.pdf": b"x"}), "zip_traversal"),
        (zip_of({"/abs.pdf": b"x"}), "zip_traversal"),
        (zip_of({"a\\..\\x.pdf": b"x"}), "zip_traversal"),
        (encrypted_zip({"a.pdf": b"x"}), "zip_encrypted"),
        (overlapping_zip(), "zip_overlapping"),
        (b"PK\x03\x04 truncated", "zip_corrupt"),
    ],
)
def test_zip_limits(data: bytes, reason: str) -> None:
    with pytest.raises(ZipRejectedError) as caught:
        expand_zip(data, ZipLimits())
    assert caught.value.reason == reason


def test_zip_total_limit_counts_every_entry() -> None:
    data = zip_of({f"{i}.pdf": bytes(range(256)) * 40 for i in range(5)})
    with pytest.raises(ZipRejectedError, match="zip_bomb"):
        expand_zip(data, ZipLimits(max_total_bytes=30_000))
    assert len(expand_zip(data, ZipLimits())) == 5


@given(st.text(max_size=40))
def test_unsafe_names_never_climb(name: str) -> None:
    if not is_unsafe_name(name):
        assert ".." not in name.split("/") and not name.startswith("/") and "\\" not in name


def test_sniff_by_magic_bytes() -> None:
    assert sniff.sniff(pdf_bytes("x")) == sniff.PDF
    assert sniff.sniff(PNG_1PX) == sniff.PNG
    assert sniff.sniff(b"\xff\xd8\xff\xe0rest") == sniff.JPEG
    assert sniff.sniff(b"II*\x00rest") == sniff.TIFF
    assert sniff.sniff(b"junk\n%PDF-1.7") == sniff.PDF  # readers accept a late header, so do we
    assert sniff.sniff(b"") is None


def test_raw_store_is_idempotent_and_detects_damage(tmp_path: Path) -> None:
    store = FileRawStore(tmp_path)
    key = store.put(b"mail")
    assert key == sha256_hex(b"mail") == store.put(b"mail")
    assert store.get(key) == b"mail"
    assert not list((tmp_path / "tmp").iterdir())
    store.path_for(key).write_bytes(b"evil")
    with pytest.raises(KeyError):
        store.get(key)
    with pytest.raises(KeyError):
        store.get("../../etc/passwd")
