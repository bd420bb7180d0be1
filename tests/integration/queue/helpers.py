"""Building readings and apps for the queue tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kopplingar.bootstrap import App, build
from kopplingar.config import Settings
from kopplingar.services.registry import load_registry
from kopplingar.validation.registry_file import parse_registry
from tests.support.form_values import VALID_FORM_VALUES

REGISTRY = Path(__file__).parents[3] / "samples" / "registry.json"


def make_app(home: Path, database_url: str | None = None, **settings: Any) -> App:
    app = build(
        Settings(
            home=home,
            database_url=database_url,
            reader="tests.support.readers:scripted",
            read_timeout_seconds=20,
            **settings,
        )
    )
    load_registry(app.db, parse_registry(REGISTRY.read_bytes()))
    return app


def form(kind: str = "connect", page: int = 1, conf: float = 0.99, **fields: Any) -> dict[str, Any]:
    values = {**VALID_FORM_VALUES, **fields}
    signatures = {
        "company": {"present": fields.get("company_signed", True), "confidence": 0.99},
        "bureau": {"present": True, "confidence": 0.99},
    }
    return {
        "page": page,
        "form": {"kind": kind, "version": "1", "form_id": None},
        "source": "ocr",
        "fields": {
            k: {"value": v, "confidence": conf} for k, v in values.items() if k != "company_signed"
        },
        "signatures": signatures,
    }
