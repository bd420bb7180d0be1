"""The reading of one form, as ``kopplingar read --json`` prints it: the contract between the
reader (``forms/``) and the decision (``validation/``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kopplingar.forms.layout import FIELD_NAMES  # the form's names are the contract

__all__ = ["FIELD_NAMES", "FieldValue", "FormInfo", "FormReading", "SignatureValue"]

Confidence = Field(ge=0.0, le=1.0)


class FieldValue(BaseModel):
    model_config = ConfigDict(extra="allow")
    value: str | None = None
    confidence: float = Confidence


class SignatureValue(BaseModel):
    model_config = ConfigDict(extra="allow")
    present: bool | None = None
    confidence: float = Confidence


class FormInfo(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: Literal["connect", "disconnect"] | None = None
    version: str | None = None
    form_id: str | None = None
    form_id_valid: bool | None = None  # the QR's HMAC checked out (None: no form_id)


class FormReading(BaseModel):
    model_config = ConfigDict(extra="allow")
    file: str
    page: int | None = None
    form: FormInfo = Field(default_factory=FormInfo)
    source: Literal["acroform", "qr", "ocr", "none"] = "none"
    fields: dict[str, FieldValue] = Field(default_factory=dict)
    signatures: dict[str, SignatureValue] = Field(default_factory=dict)
    reason: str | None = None

    def field(self, name: str) -> FieldValue:
        return self.fields.get(name) or FieldValue(value=None, confidence=0.0)

    def signature(self, party: str) -> SignatureValue:
        return self.signatures.get(party) or SignatureValue(present=None, confidence=0.0)
