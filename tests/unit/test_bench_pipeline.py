"""The pipeline benchmark's registry, built from ground truth, is a valid registry file that makes
the valid samples right and leaves the defects wrong."""

import json
from pathlib import Path

from kopplingar.bench.pipeline import registry_from_truth
from kopplingar.validation.registry_file import parse_registry

SAMPLES = Path(__file__).parents[2] / "samples"


def test_registry_from_the_committed_truths() -> None:
    truths = [json.loads(p.read_text()) for p in sorted(SAMPLES.glob("[0-9][0-9]-*.json"))]
    registry, requests = registry_from_truth(truths)
    parsed = parse_registry(json.dumps(registry).encode())
    orgs = {c.org_number for c in parsed.companies}
    assert "5591234561" in orgs and "5569876542" in orgs
    assert (
        "5562344855" not in orgs
    )  # sample 15's company number fails the Luhn check: not registered
    snickeri = [c for c in parsed.connections if c.company_org_number == "5569876542"]
    assert snickeri and snickeri[0].status.value == "active"  # disconnect forms need a connection
    assert all(form_id.startswith("PC-") for form_id, *_ in requests)
