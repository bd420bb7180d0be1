#!/usr/bin/env python3
"""Regenerate the committed samples, or make many more for benchmarks.

    python scripts/make_samples.py                      # rewrite samples/ (deterministic)
    python scripts/make_samples.py --count 2000 --out bench-out/scans --seed 100000

Each sample is written with its ground truth beside it (``NAME.json``); the benchmark mode also
writes ``manifest.jsonl`` with one truth object per line. Needs ../shared/data (or
KOPPLINGAR_SHARED_DATA) for the handwriting and signatures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from kopplingar.forms.simulator import SampleSpec, generate

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SAMPLE_GLOB = "[0-9][0-9]-*"  # generated samples are named NN-description.ext

# Parties from samples/registry.json (the demo registry), so that the demo can apply the forms.
SIFFRORNA = {
    "bureau_name": "Siffrorna Redovisning AB",
    "bureau_org_number": "556677-8899",
    "bureau_signer_name": "Anna Andersson",
}
STORBYRAN = {
    "bureau_name": "Storbyrån Revision KB",
    "bureau_org_number": "556012-3456",
    "bureau_signer_name": "Cecilia Carlsson",
}
BAGERIET = {
    "company_name": "Bageriet i Byn AB",
    "company_org_number": "559123-4561",
    "subscription_number": "1048213",
    "company_signer_name": "David Dahl",
    "company_signer_role": "firmatecknare",
    "contact_email": "david@bageriet.se",
}
SNICKERIET = {
    "company_name": "Snickeri Norrland AB",
    "company_org_number": "556987-6542",
    "subscription_number": "1093377",
    "company_signer_name": "Fredrik Falk",
    "company_signer_role": "systemadministratör",
    "contact_email": "fredrik@snickeri.se",
}
KONCERNEN = {
    "company_name": "Koncernbolaget Holding AB",
    "company_org_number": "556111-2227",
    "subscription_number": "1011452",
    "company_signer_name": "Greta Gran",
    "company_signer_role": "systemadministratör",
    "contact_email": "greta@koncern.se",
}
ENSAM = {
    "company_name": "Ensamföretaget AB",
    "company_org_number": "556333-4449",
    "subscription_number": "1077001",
    "company_signer_name": "Hans Holm",
    "company_signer_role": "firmatecknare",
    "contact_email": "info@ensamforetaget.se",
}


def parties(company: dict[str, str], bureau: dict[str, str], **changes: str) -> dict[str, str]:
    return {**company, **bureau, **changes}


# The committed set: (name, seed, spec). Small captures (150-200 dpi, JPEG in PDFs, black and
# white where a fax would be), both kinds, valid and defective, and the hard negatives.
COMMITTED: list[tuple[str, int, SampleSpec]] = [
    ("01-connect-valid-typed-scan", 101, SampleSpec(kind="connect", scenario="valid", fill="typed", capture="scanner", delivery="pdf", dpi=200, jpeg_quality=40, cover_page=False, values=parties(BAGERIET, SIFFRORNA))),
    ("02-connect-valid-handwritten-scan", 102, SampleSpec(kind="connect", scenario="valid", fill="handwritten", capture="scanner", delivery="pdf", dpi=150, jpeg_quality=50, cover_page=False, values=parties(KONCERNEN, STORBYRAN))),
    ("03-disconnect-valid-prefilled-cover", 103, SampleSpec(kind="disconnect", scenario="valid", fill="prefilled", capture="scanner", delivery="pdf", dpi=200, jpeg_quality=40, cover_page=True, values=parties(SNICKERIET, SIFFRORNA))),
    ("04-disconnect-valid-handwritten-phone", 104, SampleSpec(kind="disconnect", scenario="valid", fill="handwritten", capture="phone", delivery="jpeg", dpi=150, jpeg_quality=55, values=parties(SNICKERIET, SIFFRORNA, company_signer_role="firmatecknare"))),
    ("05-connect-valid-mixed-fax", 105, SampleSpec(kind="connect", scenario="valid", fill="mixed", capture="fax", delivery="tiff", dpi=200, cover_page=True, values=parties(ENSAM, SIFFRORNA))),
    ("06-connect-valid-upside-down", 106, SampleSpec(kind="connect", scenario="valid", fill="prefilled", capture="scanner", delivery="pdf", dpi=200, jpeg_quality=40, upside_down=True, rotation=-2.5, cover_page=False, values=parties(BAGERIET, STORBYRAN, company_signer_name="Eva Ek", company_signer_role="systemadministratör"))),
    ("07-disconnect-valid-digital", 107, SampleSpec(kind="disconnect", scenario="valid", fill="typed", delivery="pdf_form", values=parties(SNICKERIET, SIFFRORNA))),
    ("08-connect-no-company-signature-noise-fax", 108, SampleSpec(kind="connect", scenario="missing_company_signature", negative="noise", fill="handwritten", capture="fax", delivery="png", dpi=200, values=parties(BAGERIET, SIFFRORNA))),
    ("09-disconnect-no-bureau-signature-dust", 109, SampleSpec(kind="disconnect", scenario="missing_bureau_signature", negative="dust", fill="typed", capture="scanner", delivery="pdf", dpi=150, jpeg_quality=40, cover_page=False, values=parties(SNICKERIET, SIFFRORNA))),
    ("10-connect-no-bureau-signature-fold-phone", 110, SampleSpec(kind="connect", scenario="missing_bureau_signature", negative="fold_line", fill="prefilled", capture="phone", delivery="jpeg", dpi=150, jpeg_quality=50, values=parties(KONCERNEN, STORBYRAN))),
    ("11-disconnect-no-company-signature-stamp", 111, SampleSpec(kind="disconnect", scenario="missing_company_signature", negative="stamp_edge", fill="mixed", capture="scanner", delivery="pdf", dpi=150, jpeg_quality=40, cover_page=False, values=parties(SNICKERIET, SIFFRORNA))),
    ("12-connect-printed-names-only", 112, SampleSpec(kind="connect", scenario="no_signatures", negative="printed_name_only", fill="typed", capture="scanner", delivery="pdf", dpi=150, jpeg_quality=40, cover_page=False, values=parties(BAGERIET, SIFFRORNA))),
    ("13-disconnect-bureau-missing", 113, SampleSpec(kind="disconnect", scenario="bureau_missing", negative="empty", fill="handwritten", capture="scanner", delivery="pdf", dpi=200, jpeg_quality=40, cover_page=False, values=parties(SNICKERIET, SIFFRORNA))),
    ("14-connect-company-signer-missing-fax", 114, SampleSpec(kind="connect", scenario="company_signer_missing", negative="empty", fill="typed", capture="fax", delivery="pdf", dpi=200, cover_page=False, values=parties(ENSAM, STORBYRAN))),
    ("15-connect-bad-org-number", 115, SampleSpec(kind="connect", scenario="bad_company_org", fill="handwritten", capture="scanner", delivery="jpeg", dpi=200, jpeg_quality=55)),
    ("16-disconnect-missing-subscription", 116, SampleSpec(kind="disconnect", scenario="missing_subscription", fill="typed", capture="scanner", delivery="pdf", dpi=150, jpeg_quality=40, cover_page=False, values=parties(SNICKERIET, SIFFRORNA))),
    ("17-connect-missing-role-fax", 117, SampleSpec(kind="connect", scenario="missing_role", fill="handwritten", capture="fax", delivery="png", dpi=200, values=parties(KONCERNEN, STORBYRAN))),
    ("18-disconnect-old-version", 118, SampleSpec(kind="disconnect", scenario="old_version", fill="typed", capture="scanner", delivery="pdf", dpi=150, jpeg_quality=40, cover_page=False, values=parties(SNICKERIET, SIFFRORNA))),
    ("19-connect-forged-qr", 119, SampleSpec(kind="connect", scenario="forged_qr", capture="scanner", delivery="pdf", dpi=150, jpeg_quality=40, cover_page=False, values=parties(BAGERIET, SIFFRORNA))),
    ("20-not-a-form", 120, SampleSpec(scenario="not_a_form", capture="scanner", delivery="pdf", dpi=150, jpeg_quality=40)),
    ("21-disconnect-valid-low-jpeg-300dpi", 121, SampleSpec(kind="disconnect", scenario="valid", fill="prefilled", capture="scanner", delivery="pdf", dpi=300, jpeg_quality=25, rotation=4.5, upside_down=False, cover_page=False, values=parties(SNICKERIET, SIFFRORNA))),
    ("22-connect-consultant-signs-for-bureau", 122, SampleSpec(kind="connect", scenario="valid", fill="handwritten", capture="scanner", delivery="pdf", dpi=200, jpeg_quality=40, cover_page=False, values=parties(BAGERIET, SIFFRORNA, bureau_signer_name="Bertil Berg"), registry_defects=("bureau_signer_not_authorized",))),
    ("23-connect-wrong-subscription-number", 123, SampleSpec(kind="connect", scenario="valid", fill="typed", capture="scanner", delivery="pdf", dpi=150, jpeg_quality=40, cover_page=False, values=parties(BAGERIET, SIFFRORNA, subscription_number="1048231"), registry_defects=("unknown_subscription_number",))),
]  # fmt: skip


def _write(out: Path, name: str, sample_data: bytes, truth: dict[str, object]) -> Path:
    ext = str(truth["file"]).rsplit(".", 1)[1]
    path = out / f"{name}.{ext}"
    truth = {**truth, "file": path.name}
    path.write_bytes(sample_data)
    (out / f"{name}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n")
    return path


README_HEAD = """# samples/

A small committed set of scanned and digital forms with their ground truth, for the demo and the
tests. **Generated; do not edit by hand.** Regenerate (deterministic: same seeds, same files with
the same library versions) after changing the forms or the simulator:

```sh
.venv/bin/python scripts/make_samples.py            # rewrites samples/, this README included
.venv/bin/python scripts/make_samples.py --count 2000 --out bench-out/scans --seed 100000   # benchmarks
```

It needs `../shared/data` (or `KOPPLINGAR_SHARED_DATA`): handwritten digits and signatures come
from its **eval** split only, so readers are measured on writers they never trained on.
`tests/unit/forms/test_simulator.py` fails when the committed truth no longer matches the generator.

- Each `NAME.json` is the truth of `NAME.<ext>`: `kind`, `version`, `form_id`, `qr` (text, whether
  it is authentic, how it was tampered with), `expected` (`valid` and the `defects` put in on
  purpose), and per page: `is_form`, `content`, capture `dpi`, `rotation` (degrees, 180 added when
  upside down), `transform` (3 × 3 homography from PDF points, origin bottom-left, to the pixels
  of the delivered page), `markers_visible`, every field's `value` and `fill`
  (`typed`/`handwritten`/`empty`, plus the digit images used and the boxes they went into), every
  signature box's `state` (`signed`, `empty`, `noise`, `dust`, `fold_line`, `stamp_edge`,
  `printed_name_only`) and the `degradations` with their parameters.
- Prefilled forms' QR codes are signed with `kopplingar.forms.simulator.SAMPLE_SECRET`, a key that
  is published on purpose: it only lets tests and the demo verify them. Forged and altered codes
  are signed with another key or edited after signing.
- Most samples use the bureaus, companies and people of `samples/registry.json` (the demo
  registry), so the demo can apply them; `expected.defects` then also names what is wrong only
  against that registry (`bureau_signer_not_authorized`, `unknown_subscription_number`). The rest
  are invented: organisation numbers are 10 digits with a Luhn check digit (except where a bad one
  is the defect), subscription numbers mostly 6–8 digits (the form has 12 boxes, the registry
  accepts 4–12). Prefilled forms carry made-up case ids that no demo case has.

| file | kind | what | capture | pages | expected |
|---|---|---|---|---|---|
"""


def _readme_row(path: Path, truth: dict[str, Any]) -> str:
    spec = truth["spec"]
    capture = "digital PDF" if spec["capture"] == "none" else f"{spec['capture']} {spec['dpi']} dpi"
    form = next((p for p in truth["pages"] if p["is_form"]), None)
    what = f"{truth['scenario']}, {spec['fill']}" if form else truth["scenario"]
    if form and form.get("upside_down"):
        what += ", upside down"
    skew = (form["rotation"] - (180 if form["upside_down"] else 0)) if form else 0.0
    if abs(skew) > 2:
        what += f", skewed {skew:+.1f}°"
    if form:
        states = {s["state"] for s in form["signatures"].values()} - {"signed"}
        if states:
            what += ", signature box: " + "/".join(sorted(states))
    expected = "valid" if truth["expected"]["valid"] else ", ".join(truth["expected"]["defects"])
    kind = truth["kind"] or "–"
    return f"| `{path.name}` | {kind} | {what} | {capture} | {truth['page_count']} | {expected} |"


def committed() -> int:
    SAMPLES.mkdir(exist_ok=True)
    for old in SAMPLES.glob(SAMPLE_GLOB):  # ours only: samples/ also holds the demo registry
        old.unlink()
    total = 0
    rows: list[str] = []
    for name, seed, spec in COMMITTED:
        sample = generate(seed, spec)
        path = _write(SAMPLES, name, sample.data, sample.truth)
        total += len(sample.data)
        rows.append(_readme_row(path, sample.truth))
        print(f"{path.relative_to(ROOT)}  {len(sample.data) // 1024} KiB")
    (SAMPLES / "README.md").write_text(README_HEAD + "\n".join(rows) + "\n")
    print(f"{len(COMMITTED)} samples, {total / 1e6:.2f} MB")
    return 0


def many(count: int, out: Path, first_seed: int) -> int:
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with (out / "manifest.jsonl").open("w") as manifest:
        for seed in range(first_seed, first_seed + count):
            sample = generate(seed, SampleSpec())
            name = sample.filename.rsplit(".", 1)[0]
            path = _write(out, name, sample.data, sample.truth)
            manifest.write(
                json.dumps({**sample.truth, "file": path.name}, ensure_ascii=False) + "\n"
            )
    elapsed = time.monotonic() - started
    print(f"{count} samples in {out} ({elapsed:.0f} s, {elapsed / max(count, 1):.2f} s each)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, help="make this many random samples (benchmark mode)")
    parser.add_argument("--out", type=Path, help="folder for benchmark samples")
    parser.add_argument("--seed", type=int, default=1_000_000, help="first seed in benchmark mode")
    args = parser.parse_args(argv)
    if args.count is None:
        if args.out:
            parser.error("--out needs --count")
        return committed()
    if not args.out:
        parser.error("--count needs --out")
    return many(args.count, args.out, args.seed)


if __name__ == "__main__":
    sys.exit(main())
