"""Customer service's actions on cases, through the services and the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kopplingar.queue.cases import enqueue_file
from kopplingar.services import review
from kopplingar.storage.registry_tables import OperationRow, OutgoingMailRow
from tests.integration.queue.helpers import form, make_app
from tests.integration.queue.test_cases import run_all, statuses
from tests.support.readers import scripted_document


def test_a_reviewer_corrects_a_misread_number_and_approves(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    misread = form(subscription_number="1048218", conf=0.6)  # one digit misread, low confidence
    case_id = enqueue_file(app.db, app.documents, scripted_document([misread]), "scan.pdf")
    run_all(app)
    assert statuses(app)[case_id][0] == "review"
    items, counts = review.list_cases(app.db)
    assert [i["case_id"] for i in items] == [case_id] and counts == {"review": 1}

    with pytest.raises(review.ReviewError, match="Abonnemangsnumret"):
        review.approve(app.db, case_id, reviewer="kundtjanst@fortnox.se")  # as read: unknown number
    result = review.approve(
        app.db,
        case_id,
        reviewer="kundtjanst@fortnox.se",
        corrections={"subscription_number": "1048213"},
    )
    assert result["status"] == "applied"
    detail = review.show(app.db, case_id)
    assert detail.case["corrections"] == {"subscription_number": "1048213"}
    assert [e["action"] for e in detail.events][-1] == "applied"
    assert detail.events[-1]["actor"] == "kundtjanst@fortnox.se"
    with pytest.raises(review.ReviewError, match="redan genomfört"):
        review.approve(app.db, case_id, reviewer="x")


def test_reject_with_reasons_replies_and_a_rejected_case_can_be_reopened(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    case_id = enqueue_file(app.db, app.documents, scripted_document([form(conf=0.5)]), "scan.pdf")
    run_all(app)
    with pytest.raises(review.ReviewError, match="okänd skälkod"):
        review.reject(app.db, case_id, reviewer="k", codes=["nonsense"])
    review.reject(
        app.db, case_id, reviewer="k", codes=["missing_bureau_signature"], note="tom ruta"
    )
    assert statuses(app)[case_id] == ("rejected", "connect", ["missing_bureau_signature"])
    review.reopen(app.db, case_id, reviewer="k")
    review.approve(app.db, case_id, reviewer="k")
    assert statuses(app)[case_id][0] == "applied"
    with app.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OperationRow)) == 1
    subject, body = review.preview_rejection(["missing_bureau_signature"], "scan.pdf", case_id)
    assert "Byråns underskrift saknas" in body and str(case_id) in subject


def test_review_cli_contract(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    case_id = enqueue_file(app.db, app.documents, scripted_document([form(conf=0.5)]), "scan.pdf")
    run_all(app)
    env = {**os.environ, "KOPPLINGAR_HOME": str(tmp_path)}

    def cli(*args: str, ok: bool = True) -> dict:  # type: ignore[type-arg]
        proc = subprocess.run(
            [sys.executable, "-m", "kopplingar.cli", "review", *args, "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
        return json.loads(proc.stdout)  # type: ignore[no-any-return]

    listed = cli("list")
    assert [c["case_id"] for c in listed["cases"]] == [case_id] and listed["counts"]["review"] == 1
    shown = cli("show", str(case_id))
    assert shown["reading"]["fields"]["subscription_number"]["confidence"] == 0.5
    assert (
        cli("approve", str(case_id), "--by", "k@f.se", "--set", "bogus=1", ok=False)["error"][
            "code"
        ]
        == "review_refused"
    )
    assert (
        cli("approve", str(case_id), "--by", "k@f.se", "--set", "company_signer_name=David Dahl")[
            "status"
        ]
        == "applied"
    )
    assert cli("show", "999", ok=False)["error"]["code"] == "not_found"
    with app.db.transaction() as session:
        purposes = session.scalars(select(OutgoingMailRow.purpose)).all()
    assert "connect_confirmation" in purposes
