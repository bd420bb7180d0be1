"""The decision rules against the demo registry in a real database."""

from collections.abc import Iterator
from typing import Any

import pytest

from kopplingar.domain.model import OperationKind
from kopplingar.domain.orgnr import OrgNumber
from kopplingar.services.consent import request_consent
from kopplingar.services.registry_view import DatabaseRegistryView
from kopplingar.storage.database import Database
from kopplingar.validation.reading import FormReading
from kopplingar.validation.rules import Decision, Verdict, decide, match_person, normalise_name
from tests.integration.services.conftest import loaded_database
from tests.support.form_values import VALID_FORM_VALUES


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = loaded_database(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield database
    database.dispose()


def reading(kind: str = "connect", conf: float = 0.99, **overrides: Any) -> FormReading:
    fields = dict(VALID_FORM_VALUES)
    signatures = {
        "company": {"present": True, "confidence": 0.99},
        "bureau": {"present": True, "confidence": 0.99},
    }
    for key, value in overrides.items():
        if key.endswith("_signature"):
            signatures[key.removesuffix("_signature")] = value
        elif isinstance(value, tuple):
            fields[key] = value  # type: ignore[assignment]
        else:
            fields[key] = value
    return FormReading.model_validate(
        {
            "file": "scan.pdf",
            "page": 1,
            "form": {"kind": kind, "version": "1"},
            "source": "ocr",
            "fields": {
                k: (
                    {"value": v[0], "confidence": v[1]}
                    if isinstance(v, tuple)
                    else {"value": v, "confidence": conf}
                )
                for k, v in fields.items()
            },
            "signatures": signatures,
        }
    )


def run(db: Database, form: FormReading) -> Decision:
    with db.transaction() as session:
        return decide(form, DatabaseRegistryView(session))


def test_a_correct_confident_form_is_applied(db: Database) -> None:
    decision = run(db, reading())
    assert decision.verdict is Verdict.APPLY, decision.reasons
    assert decision.operation is OperationKind.CONNECT
    assert str(decision.company) == "559123-4561" and str(decision.bureau) == "556677-8899"
    assert (decision.company_signer, decision.bureau_signer) == ("David Dahl", "Anna Andersson")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        (
            {"company_signature": {"present": False, "confidence": 0.99}},
            "missing_company_signature",
        ),
        ({"bureau_signature": {"present": False, "confidence": 0.985}}, "missing_bureau_signature"),
        ({"subscription_number": "9999999"}, "unknown_subscription_number"),
        ({"company_org_number": "559123-4562"}, "invalid_org_number"),
        ({"subscription_number": "1093377"}, "org_number_mismatch"),
        ({"bureau_org_number": "556333-4449"}, "unknown_bureau"),
        ({"company_signer_name": "Bertil Berg"}, "company_signer_not_authorized"),
        ({"bureau_signer_name": "Bertil Berg"}, "bureau_signer_not_authorized"),
    ],
)
def test_confident_defects_are_rejected_with_their_reason(
    db: Database, overrides: dict[str, Any], code: str
) -> None:
    decision = run(db, reading(**overrides))
    assert decision.verdict is Verdict.REJECT
    assert code in decision.codes


@pytest.mark.parametrize(
    "overrides",
    [
        {"company_signature": {"present": True, "confidence": 0.6}},
        {"bureau_signature": {"present": False, "confidence": 0.55}},
        {"subscription_number": ("9999999", 0.5)},
        {"bureau_org_number": ("556677-8899", 0.4)},
        {"company_signer_name": ("Bertil Berg", 0.3)},
        {"company_org_number": ("559123-4562", 0.5)},
        {"company_signer_role": ""},  # the capacity box was not ticked
        {"company_signer_role": ("firmatecknare", 0.4)},
    ],
)
def test_doubtful_readings_go_to_a_person(db: Database, overrides: dict[str, Any]) -> None:
    decision = run(db, reading(**overrides))
    assert decision.verdict is Verdict.REVIEW
    assert "low_confidence" in decision.codes


def test_registry_agreement_confirms_moderately_confident_numbers(db: Database) -> None:
    form = reading(company_org_number=("559123-4561", 0.75), subscription_number=("1048213", 0.8))
    assert run(db, form).verdict is Verdict.APPLY
    weak = reading(company_org_number=("559123-4561", 0.3), subscription_number=("1048213", 0.8))
    assert run(db, weak).verdict is Verdict.REVIEW


def test_state_rules_for_connect_and_disconnect(db: Database) -> None:
    # Snickeri is connected in the demo registry; Bageriet is not.
    snickeri = {
        "company_org_number": "556987-6542",
        "subscription_number": "1093377",
        "company_signer_name": "Fredrik Falk",
    }
    assert "already_connected" in run(db, reading(**snickeri)).codes
    assert run(db, reading("disconnect", **snickeri)).verdict is Verdict.APPLY
    assert "not_connected" in run(db, reading("disconnect")).codes


def test_an_open_digital_request_is_noted_and_superseded(db: Database) -> None:
    request_consent(
        db,
        OperationKind.CONNECT,
        bureau_org=OrgNumber.parse("556677-8899"),
        client_org="559123-4561",
        by_email="anna@siffrorna.se",
        public_url="x",
    )
    decision = run(db, reading())
    assert decision.verdict is Verdict.APPLY
    assert "pending_digital_request" in decision.codes


def test_documents_that_are_not_forms() -> None:
    assert decide(FormReading(file="x.pdf", reason="no form found"), None).codes == ["not_a_form"]  # type: ignore[arg-type]
    assert decide(FormReading(file="x.pdf", reason="encrypted"), None).codes == ["unreadable"]  # type: ignore[arg-type]


def test_a_forged_qr_code_is_never_applied_unaided(db: Database) -> None:
    form = reading()
    form.form.form_id, form.form.form_id_valid = "abc", False
    assert run(db, form).verdict is Verdict.REVIEW


def test_name_matching_ignores_case_accents_and_order() -> None:
    assert normalise_name("  ÅSA  Öberg-Ek ") == "asa oberg ek"
    from kopplingar.domain.model import Person

    people = [Person("Åsa Öberg", None), Person("Per Persson", None)]
    assert match_person("OBERG, ASA", people, 95)[0] == people[0]
    assert match_person("Per Pettersson", people, 95)[0] is None
    assert match_person("", people, 80)[0] is None


def test_a_name_that_only_resembles_an_authorised_person_goes_to_a_person(db: Database) -> None:
    misread = run(db, reading(company_signer_name="Davld Dahl"))
    assert misread.verdict is Verdict.REVIEW
    other = run(
        db, reading(company_signer_name="Eva Ekström")
    )  # Eva Ek is an admin; not the same person
    assert other.verdict is not Verdict.APPLY


def test_a_prefilled_form_id_must_be_known_unused_and_match(db: Database) -> None:
    from kopplingar.services.paper import create_prefilled, paper_request

    made = create_prefilled(
        db,
        OperationKind.CONNECT,
        bureau_org=OrgNumber.parse("556677-8899"),
        company_org=OrgNumber.parse("559123-4561"),
    )
    other = create_prefilled(
        db,
        OperationKind.DISCONNECT,
        bureau_org=OrgNumber.parse("556677-8899"),
        company_org=OrgNumber.parse("556987-6542"),
    )

    def with_id(form_id: str, valid: bool = True) -> FormReading:
        form = reading()
        form.form.form_id, form.form.form_id_valid = form_id, valid
        return form

    assert run(db, with_id(made.form_id)).verdict is Verdict.APPLY
    assert (
        run(db, with_id(other.form_id)).verdict is Verdict.REVIEW
    )  # made for another pair and kind
    assert run(db, with_id("PC-999999")).verdict is Verdict.REVIEW  # genuine signature, unknown id
    with db.transaction() as session:
        request = paper_request(session, made.form_id)
        assert request is not None
        request.used_by_case = 12
    used = run(db, with_id(made.form_id))
    assert used.verdict is Verdict.REJECT and "duplicate" in used.codes


def test_the_bureau_name_confirms_a_moderately_sure_bureau_number(db: Database) -> None:
    assert run(db, reading(bureau_org_number=("556677-8899", 0.8))).verdict is Verdict.APPLY
    other_name = reading(
        bureau_org_number=("556677-8899", 0.8), bureau_name="Storbyrån Revision KB"
    )
    assert run(db, other_name).verdict is Verdict.REVIEW
    too_weak = reading(bureau_org_number=("556677-8899", 0.4))
    assert run(db, too_weak).verdict is Verdict.REVIEW
