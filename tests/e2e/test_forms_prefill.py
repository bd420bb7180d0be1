"""``forms prefill``: registry values in the fields, a signed form id bound to a paper request."""

import json
import os
import subprocess
import sys
from pathlib import Path

from kopplingar.config import Settings
from kopplingar.forms import acroform, qrpayload
from kopplingar.storage.database import Database
from kopplingar.storage.registry_tables import PaperRequestRow

ROOT = Path(__file__).parents[2]


def cli(home: Path, *args: str, ok: bool = True) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "KOPPLINGAR_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-m", "kopplingar.cli", *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_prefilled_form_carries_registry_values_and_a_verifiable_id(tmp_path: Path) -> None:
    cli(tmp_path, "registry", "load", str(ROOT / "samples" / "registry.json"))
    out = tmp_path / "bort.pdf"
    made = cli(
        tmp_path,
        "forms",
        "prefill",
        "disconnect",
        "--bureau",
        "556677-8899",
        "--client-org",
        "5569876542",
        "-o",
        str(out),
    )
    assert made["form_id"].startswith("PC-")
    fields = acroform.read_fields(out.read_bytes())
    assert fields is not None
    assert fields["company_org_number"] == "556987-6542"
    assert fields["subscription_number"] == "1093377"
    assert fields["company_signer_name"] == "Fredrik Falk"
    assert fields["bureau_signer_name"] == "Anna Andersson"
    assert fields["company_sign_date"] == ""  # dated by hand when signed
    code = acroform.read_form_code(out.read_bytes())
    assert code is not None
    payload = qrpayload.decode(code, Settings(home=tmp_path).secret_bytes())
    assert (payload.kind, payload.form_id) == ("disconnect", made["form_id"])
    db = Database(Settings(home=tmp_path).resolved_database_url)
    with db.transaction() as session:
        [row] = session.query(PaperRequestRow).all()
        assert (row.form_id, row.kind, row.company_org_number) == (
            made["form_id"],
            "disconnect",
            "5569876542",
        )

    second = cli(
        tmp_path,
        "forms",
        "prefill",
        "connect",
        "--bureau",
        "556677-8899",
        "--client-org",
        "559123-4561",
        "-o",
        str(tmp_path / "k.pdf"),
    )
    assert second["form_id"] != made["form_id"]
    assert (
        cli(
            tmp_path,
            "forms",
            "prefill",
            "connect",
            "--bureau",
            "556677-8899",
            "--client-org",
            "559123-4562",
            "-o",
            str(tmp_path / "x.pdf"),
            ok=False,
        )["error"]["code"]
        == "invalid_org_number"
    )
    assert (
        cli(
            tmp_path,
            "forms",
            "prefill",
            "connect",
            "--bureau",
            "556333-4449",
            "--client-org",
            "559123-4561",
            "-o",
            str(tmp_path / "x.pdf"),
            ok=False,
        )["error"]["code"]
        == "not_found"
    )
