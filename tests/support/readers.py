"""Reader functions that misbehave on purpose, to test the sandbox around the real reader."""

import os
import time


class CodedError(Exception):
    code = "encrypted"
    message = "lösenordsskyddad PDF"


def echo(data: bytes, name: str) -> dict[str, object]:
    return {"name": name, "size": len(data), "pid": os.getpid()}


def misbehave(data: bytes, name: str) -> object:
    if data == b"sleep":
        time.sleep(60)
    if data == b"hog":
        hoard = []
        while True:
            hoard.append(bytearray(50 * 1024 * 1024))
    if data == b"die":
        os._exit(139)
    if data == b"coded":
        raise CodedError()
    return echo(data, name)


MARK = b"%KOPPLINGAR-TEST-READINGS%"


def scripted_document(readings: list[dict[str, object]]) -> bytes:
    """A PDF-looking document whose 'reading' is given: tests the queue around the reader."""
    import json

    return b"%PDF-1.4\n" + MARK + json.dumps(readings).encode() + b"\n%%EOF\n"


def scripted(data: bytes, name: str) -> list[dict[str, object]]:
    import json

    if MARK not in data:
        return [{"file": name, "form": {"kind": None}, "source": "none", "reason": "no form found"}]
    readings: list[dict[str, object]] = json.loads(data.split(MARK, 1)[1].rsplit(b"\n%%EOF", 1)[0])
    for reading in readings:
        reading.setdefault("file", name)
    return readings


DELAY_ENV = "KOPPLINGAR_TEST_READ_DELAY"
MARKER_ENV = "KOPPLINGAR_TEST_READ_MARKER"  # a file the slow reader writes when reading starts


def slow_scripted(data: bytes, name: str) -> list[dict[str, object]]:
    """``scripted``, after sleeping ``$KOPPLINGAR_TEST_READ_DELAY`` seconds: a reading in progress
    for shutdown tests. Logs a line, to show the case id reaches the reading process's logs."""
    import logging

    delay = float(os.environ.get(DELAY_ENV, "0"))
    marker = os.environ.get(MARKER_ENV)
    if marker:
        with open(marker, "w") as started:
            started.write(str(os.getpid()))
    logging.getLogger("tests.reader").info("reading %s for %.1f s", name, delay)
    time.sleep(delay)
    return scripted(data, name)
