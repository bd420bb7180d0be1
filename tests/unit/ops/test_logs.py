"""kopplingar.logs: one configuration, the case and mail ids on every line logged while bound."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from kopplingar import logs


@pytest.fixture
def restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(logs.FORMAT_ENV, raising=False)
    monkeypatch.delenv(logs.LEVEL_ENV, raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_text_lines_name_the_case_and_mail_while_bound(restore_logging: None) -> None:
    out = io.StringIO()
    logs.configure(stream=out)
    log = logging.getLogger("kopplingar.test")
    log.info("before")
    with logs.bound(case_id=12, mail_id=3):
        log.info("reading")
        with logs.bound(case_id=13):
            log.warning("nested")
    log.debug("not shown at INFO")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert lines[0].endswith("kopplingar.test: before")
    assert "kopplingar.test [case=12 mail=3]: reading" in lines[1]
    assert "WARNING kopplingar.test [case=13 mail=3]: nested" in lines[2]


def test_json_lines_with_ids_extras_and_exceptions(restore_logging: None) -> None:
    out = io.StringIO()
    logs.configure("json", "debug", stream=out)
    log = logging.getLogger("kopplingar.test")
    with logs.bound(case_id=7):
        log.debug("tried %d times", 2, extra={"owner": "worker:a"})
        try:
            raise ValueError("broken scan")
        except ValueError:
            log.exception("failed")
    seen: list[int | None] = []
    other = threading.Thread(target=lambda: seen.append(logs.CASE_ID.get()))
    other.start()
    other.join()
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert (first["message"], first["level"], first["case_id"], first["mail_id"]) == (
        "tried 2 times",
        "DEBUG",
        7,
        None,
    )
    assert first["owner"] == "worker:a"
    assert "ValueError: broken scan" in second["exception"]
    assert seen == [None]  # another thread handles another case


def test_configuring_again_replaces_the_handler_and_bad_values_are_refused(
    restore_logging: None,
) -> None:
    out = io.StringIO()
    logs.configure(stream=io.StringIO())
    logs.configure("json", stream=out)
    logging.getLogger("kopplingar.test").warning("once")
    assert len(out.getvalue().splitlines()) == 1
    with pytest.raises(ValueError, match="text or json"):
        logs.configure("xml")
    with pytest.raises(ValueError, match="unknown level"):
        logs.configure(level="chatty")
