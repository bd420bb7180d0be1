"""The CLI contract, run as a real process: JSON out, clear errors, non-zero exits."""

import json
import os
import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from tests.support.browser import cli

ROOT = Path(__file__).parents[2]
REGISTRY = ROOT / "samples" / "registry.json"


def run(home: Path, *args: str, ok: bool = True) -> dict:  # type: ignore[type-arg]
    env = {
        **os.environ,
        "KOPPLINGAR_HOME": str(home),
        "KOPPLINGAR_PUBLIC_URL": "https://kopplingar.example",
    }
    out = cli(env, *args, ok=ok)
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    return json.loads(lines[0])  # type: ignore[no-any-return]


def link_tokens(home: Path) -> dict[str, str]:
    tokens = {}
    for path in sorted((home / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=default)
        found = re.search(r"https://kopplingar\.example/consent/(\S+)", message.get_content())  # type: ignore[attr-defined]
        if found:
            tokens[str(message["To"])] = found.group(1)
    return tokens


def test_connect_accept_activate_disconnect(tmp_path: Path) -> None:
    loaded = run(tmp_path, "registry", "load", str(REGISTRY))
    assert loaded["loaded"] == {"bureaus": 2, "companies": 5, "people": 9, "connections": 1}
    again = run(tmp_path, "registry", "load", str(REGISTRY))
    assert again["loaded"]["people"] == 9

    sent = run(
        tmp_path,
        "connect",
        "request",
        "--bureau",
        "5566778899",
        "--client-db-id",
        "870311",
        "--by",
        "anna@siffrorna.se",
    )
    assert sent["company"] == "559123-4561" and sorted(sent["recipients"]) == [
        "david@bageriet.se",
        "eva@bageriet.se",
    ]
    assert "token" not in json.dumps(sent)  # links go only to the administrators
    tokens = link_tokens(tmp_path)

    shown = run(tmp_path, "consent", "show", tokens["eva@bageriet.se"])
    assert shown["state"] == "pending" and shown["bureau_name"] == "Siffrorna Redovisning AB"
    accepted = run(
        tmp_path, "consent", "accept", tokens["eva@bageriet.se"], "--by", "eva@bageriet.se"
    )
    assert accepted["state"] == "accepted" and accepted["accepted_by"] == "eva@bageriet.se"
    late = run(
        tmp_path,
        "consent",
        "accept",
        tokens["david@bageriet.se"],
        "--by",
        "david@bageriet.se",
        ok=False,
    )
    assert late["error"]["code"] == "consent_closed"
    later_view = run(tmp_path, "consent", "show", tokens["david@bageriet.se"])
    assert later_view["accepted_by"] == "eva@bageriet.se"

    lists = run(tmp_path, "clients", "--bureau", "556677-8899")
    assert [c["org_number"] for c in lists["activation_list"]] == ["559123-4561"]
    activated = run(
        tmp_path,
        "activate",
        "--bureau",
        "556677-8899",
        "--client-org",
        "559123-4561",
        "--consultant",
        "bertil@siffrorna.se",
    )
    assert {c["org_number"] for c in activated["client_list"]} == {"559123-4561", "556987-6542"}

    run(
        tmp_path,
        "disconnect",
        "request",
        "--bureau",
        "556677-8899",
        "--client-org",
        "556987-6542",
        "--by",
        "anna@siffrorna.se",
    )
    token = link_tokens(tmp_path)["fredrik@snickeri.se"]
    done = run(tmp_path, "consent", "accept", token, "--by", "fredrik@snickeri.se")
    assert done["operation"]["kind"] == "disconnect"
    assert done["operation"]["billing_from"] is not None
    assert {
        c["org_number"] for c in run(tmp_path, "clients", "--bureau", "556677-8899")["client_list"]
    } == {"559123-4561"}


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (
            (
                "connect",
                "request",
                "--bureau",
                "556677-8898",
                "--client-org",
                "559123-4561",
                "--by",
                "anna@siffrorna.se",
            ),
            "invalid_org_number",
        ),
        (
            (
                "connect",
                "request",
                "--bureau",
                "556012-3456",
                "--client-org",
                "559123-4561",
                "--by",
                "cecilia@storbyran.se",
            ),
            "digital_route_closed",
        ),
        (
            (
                "connect",
                "request",
                "--bureau",
                "556677-8899",
                "--client-org",
                "559123-4561",
                "--by",
                "bertil@siffrorna.se",
            ),
            "not_allowed",
        ),
        (
            (
                "connect",
                "request",
                "--bureau",
                "556677-8899",
                "--client-org",
                "559123-4561",
                "--client-db-id",
                "1",
                "--by",
                "a@b.se",
            ),
            "usage",
        ),
        (
            (
                "disconnect",
                "request",
                "--bureau",
                "556677-8899",
                "--client-org",
                "559123-4561",
                "--by",
                "anna@siffrorna.se",
            ),
            "not_connected",
        ),
        (("consent", "show", "bogus"), "invalid_token"),
        (("clients", "--bureau", "559123-4561"), "not_found"),
    ],
)
def test_errors_exit_non_zero_with_a_code(tmp_path: Path, args: tuple[str, ...], code: str) -> None:
    run(tmp_path, "registry", "load", str(REGISTRY))
    assert run(tmp_path, *args, ok=False)["error"]["code"] == code


def test_registry_errors_name_the_entry_and_field(tmp_path: Path) -> None:
    data = json.loads(REGISTRY.read_text())
    data["companies"][2]["org_number"] = "556111-2228"
    data["people"][1]["roles"][0]["role"] = "boss"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    error = run(tmp_path, "registry", "load", str(bad), ok=False)["error"]
    assert error["code"] == "invalid_registry"
    assert "companies[2].org_number" in error["message"]
    assert "people[1].roles[0].role" in error["message"]
    (tmp_path / "broken.json").write_text("{not json")
    assert (
        run(tmp_path, "registry", "load", str(tmp_path / "broken.json"), ok=False)["error"]["code"]
        == "invalid_registry"
    )
    assert (
        run(tmp_path, "registry", "load", str(tmp_path / "missing.json"), ok=False)["error"]["code"]
        == "unreadable_file"
    )
