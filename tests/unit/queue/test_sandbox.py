"""The reader sandbox: a hostile document costs a killed child, never the worker."""

import pytest

from kopplingar.queue.sandbox import ReaderProcess, ReadFailedError


@pytest.fixture(scope="module")
def reader():  # type: ignore[no-untyped-def]
    with ReaderProcess("tests.support.readers:misbehave", timeout=3, memory_mb=400) as process:
        yield process


def test_reads_and_keeps_the_child_alive(reader: ReaderProcess) -> None:
    first = reader.read(b"abc", "a.pdf")
    second = reader.read(b"abcd", "b.pdf")
    assert (first["size"], second["size"]) == (3, 4)
    assert first["pid"] == second["pid"]


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"sleep", "timeout"), (b"hog", "too_large"), (b"die", "crashed"), (b"coded", "encrypted")],
)
def test_each_failure_has_a_code_and_the_next_document_is_read(
    reader: ReaderProcess, data: bytes, code: str
) -> None:
    with pytest.raises(ReadFailedError) as caught:
        reader.read(data, "evil.pdf")
    assert caught.value.code == code
    assert reader.read(b"ok", "next.pdf")["size"] == 2
