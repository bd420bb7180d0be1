"""The review desk's test fixtures: one desk with its cases built per test module, copied per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kopplingar.bootstrap import App
from tests.integration.web.desk_helpers import Cases, build_desk, copy_desk


@pytest.fixture(scope="module")
def desk_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Cases]:
    """Building the desk (mails, cases, staff) is slow: once per module."""
    home = tmp_path_factory.mktemp("desk") / "home"
    _, cases = build_desk(home)
    return home, cases


@pytest.fixture
def desk(desk_template: tuple[Path, Cases], tmp_path: Path) -> Iterator[tuple[App, Cases]]:
    """A test's own copy of the desk: what it changes, no other test sees."""
    yield copy_desk(desk_template[0], tmp_path / "home"), desk_template[1]
