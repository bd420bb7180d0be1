"""``kopplingar staff`` and ``kopplingar review reply``: the desk's users and actions on the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kopplingar.queue.cases import enqueue_file
from kopplingar.services import review, staff
from tests.integration.queue.helpers import form, make_app
from tests.support.browser import cli
from tests.support.desk_cases import mail_in, scan_mail
from tests.support.readers import scripted_document


def run(env: dict[str, str], *args: str, stdin: str = "", ok: bool = True) -> dict:  # type: ignore[type-arg]
    return json.loads(cli(env, *args, stdin=stdin, ok=ok))  # type: ignore[no-any-return]


def test_staff_users_are_added_listed_and_deactivated(tmp_path: Path) -> None:
    env = {**os.environ, "KOPPLINGAR_HOME": str(tmp_path)}
    password = "ett-långt-lösenord\n"
    added = run(
        env, "staff", "add", "Rut@Kundtjanst.se", "--name", "Rut", "--role", "admin",
        "--password-stdin", stdin=password,
    )  # fmt: skip
    assert added["email"] == "rut@kundtjanst.se" and added["role"] == "admin"
    weak = run(env, "staff", "add", "x@k.se", "--name", "X", "--password-stdin", stdin="kort\n", ok=False)  # fmt: skip
    assert weak["error"]["code"] == "weak_password"
    assert run(env, "staff", "deactivate", "rut@kundtjanst.se")["active"] is False
    from kopplingar.bootstrap import build
    from kopplingar.config import Settings

    db = build(Settings(home=tmp_path)).db
    assert staff.authenticate(db, "rut@kundtjanst.se", password.strip()) is None
    assert [u.email for u in staff.all_users(db)] == ["rut@kundtjanst.se"]
    with pytest.raises(staff.StaffError):
        staff.add(db, "y@k.se", name="Y", role="boss", password=password)


def test_review_reply_sends_a_held_back_rejection_once(tmp_path: Path) -> None:
    app = make_app(tmp_path, reply_on_reject=False)
    local = enqueue_file(app.db, app.documents, scripted_document([form(company_signed=False)]), "x.pdf")  # fmt: skip
    mail_in(app, scan_mail(scripted_document([form(company_signed=False)]), "held"))
    [case] = [c for c in review.list_cases(app.db, status="rejected")[0] if c["reply_to"]]
    assert case["replied_at"] is None
    env = {**os.environ, "KOPPLINGAR_HOME": str(tmp_path)}
    sent = run(env, "review", "reply", str(case["case_id"]), "--by", "rut@k.se")
    assert sent["replied_at"] is not None
    again = run(env, "review", "reply", str(case["case_id"]), "--by", "rut@k.se", ok=False)
    assert again["error"]["code"] == "review_refused"
    with pytest.raises(review.ReviewError, match="ingen avsändare"):
        review.send_reply(app.db, local, reviewer="rut@k.se")
    mails = list((tmp_path / "outbox").glob("*.eml"))
    assert len(mails) == 1
