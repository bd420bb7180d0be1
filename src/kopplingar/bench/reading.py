"""The reading benchmark: generated scans of every kind and degradation, read by the form reader
and by plain full-page tesseract on the same files, side by side in one run.

Scans come from the simulator (handwriting and signatures of the eval split only) and are cached
under ``var/bench/scans/`` by seed, so reruns skip generation. Printed: exact match per field for
typed and handwritten values separately, signature accuracy with false-present and false-absent
rates, calibration (accuracy of the values the rules would accept on their own, confidence
>= 0.90), pages per second for both readers and their ratio, and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import resource
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kopplingar.forms.layout import FIELD_NAMES

DEFAULT_COUNT = 1000
DEFAULT_SEED = 500_000  # calibration uses 700_000+: never the same scans
ACCEPT = 0.90  # validation.rules.Thresholds().field: a value above it is trusted on its own
CACHE = Path("var/bench/scans")


def scan(seed: int, cache: Path = CACHE) -> tuple[str, bytes, dict[str, Any]]:
    """The generated scan for ``seed`` (file name, bytes, truth), from the cache when present."""
    meta, blob = cache / f"{seed}.json", cache / f"{seed}.bin"
    if meta.exists() and blob.exists():
        truth = json.loads(meta.read_text())
        return truth["file"], blob.read_bytes(), truth
    from kopplingar.forms.simulator import generate

    sample = generate(seed)
    cache.mkdir(parents=True, exist_ok=True)
    blob.write_bytes(sample.data)
    meta.write_text(json.dumps(sample.truth))
    return sample.filename, sample.data, sample.truth


def canonical_truth(name: str, value: str | None) -> str | None:
    from kopplingar.forms.reader import canonical

    return canonical(name, value or None)


@dataclass
class Tally:
    n: int = 0
    ok: int = 0

    def add(self, ok: bool) -> None:
        self.n += 1
        self.ok += int(ok)

    @property
    def rate(self) -> float:
        return self.ok / self.n if self.n else float("nan")


@dataclass
class Score:
    fields: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    calibration: Tally = field(default_factory=Tally)  # values with confidence >= ACCEPT
    calibration_by_field: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    signatures: Tally = field(default_factory=Tally)
    blank_boxes: int = 0
    false_present: int = 0
    signed_boxes: int = 0
    false_absent: int = 0
    sure_signature_errors: int = 0  # wrong judgements with confidence >= ACCEPT
    values: int = 0  # every field value scored
    kind: Tally = field(default_factory=Tally)
    form_id: Tally = field(default_factory=Tally)
    pairs: list[tuple[str, float, bool]] = field(default_factory=list)  # (kind, raw, ok)


def score_document(results: list[dict[str, Any]], truth: dict[str, Any], score: Score) -> None:
    """Compare one document's readings with its truth."""
    form_pages = [p for p in truth.get("pages", []) if p.get("is_form")]
    readings = [r for r in results if r.get("form", {}).get("kind")]
    if not form_pages or truth.get("version") not in (None, "1"):
        score.kind.add(not readings)  # not a form, or an old edition: no form may be reported
        return
    page_truth = form_pages[0]
    reading = next((r for r in readings if r.get("page") == page_truth["index"] + 1), None)
    score.kind.add(reading is not None and reading["form"]["kind"] == truth["kind"])
    if truth.get("form_id"):
        authentic = bool(truth["qr"]["authentic"])
        score.form_id.add(reading is not None and reading["form"].get("form_id_valid") is authentic)
    for name in FIELD_NAMES:
        t = page_truth["fields"][name]
        fill = "digital" if page_truth.get("digital") else t["fill"]
        expected = canonical_truth(name, t["value"])
        got = (reading or {}).get("fields", {}).get(name, {})
        value, confidence = got.get("value"), float(got.get("confidence", 0.0))
        ok = value == expected
        score.fields[(name, fill)].add(ok)
        score.values += 1
        if confidence >= ACCEPT:
            score.calibration.add(ok)
            score.calibration_by_field[name].add(ok)
        raw = got.get("raw")
        if raw:
            score.pairs.append((raw["kind"], float(raw["score"]), ok))
    for party in ("company", "bureau"):
        signed = bool(page_truth["signatures"][party]["signed"])
        got = (reading or {}).get("signatures", {}).get(party, {})
        present = got.get("present") is True
        confidence = float(got.get("confidence", 0.0))
        score.signatures.add(present == signed)
        if signed:
            score.signed_boxes += 1
            score.false_absent += int(not present)
        else:
            score.blank_boxes += 1
            score.false_present += int(present)
        if present != signed and confidence >= ACCEPT:
            score.sure_signature_errors += 1
        raw = got.get("raw")
        if raw:
            score.pairs.append((raw["kind"], float(raw["score"]), present == signed))


def field_records(seed: int, results: list[dict[str, Any]], truth: dict[str, Any]) -> list[str]:
    """One JSON line per field of the document's form page: what was written (and, for
    handwritten combs, which data-set glyphs), what was read and how sure: the material for
    looking at errors after a run (``--details``), not part of the scores."""
    form_pages = [p for p in truth.get("pages", []) if p.get("is_form")]
    if not form_pages or truth.get("version") not in (None, "1"):
        return []
    page_truth = form_pages[0]
    reading = next(
        (r for r in results if r.get("page") == page_truth["index"] + 1 and r.get("form")), {}
    )
    lines = []
    for name in FIELD_NAMES:
        t = page_truth["fields"][name]
        got = reading.get("fields", {}).get(name, {})
        record = {
            "seed": seed,
            "field": name,
            "fill": "digital" if page_truth.get("digital") else t["fill"],
            "expected": canonical_truth(name, t["value"]),
            "value": got.get("value"),
            "confidence": got.get("confidence"),
            "glyphs": t.get("glyphs"),
            "capture": truth.get("spec", {}).get("capture"),
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def _pages(truth: dict[str, Any]) -> int:
    return int(truth.get("page_count") or len(truth.get("pages", [])) or 1)


def run(
    count: int,
    seed: int,
    baseline: bool,
    progress: bool,
    *,
    partial: Path | None = None,
    checkpoint: Path | None = None,
    baseline_every: int = 1,
    details: Path | None = None,
) -> dict[str, Any]:
    from kopplingar.forms import inputs, tesseract
    from kopplingar.forms.reader import READ_DPI, read_document
    from kopplingar.forms.simulator import SAMPLE_SECRET

    score = Score()
    reader_s = baseline_s = reader_cpu = baseline_cpu = 0.0
    pages = baseline_pages = 0
    started = time.perf_counter()
    for k in range(count):
        name, data, truth = scan(seed + k)
        n_pages = _pages(truth)
        t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
        results = read_document(data, name, secret=SAMPLE_SECRET, raw_scores=True)
        reader_s += time.perf_counter() - t0
        reader_cpu += time.process_time() - c0 + _children_cpu() - k0  # tesseract processes too
        pages += n_pages
        score_document(results, truth, score)
        if details is not None:
            with details.open("a", encoding="utf-8") as handle:
                handle.writelines(line + "\n" for line in field_records(seed + k, results, truth))
        if baseline and (seed + k) % baseline_every == 0:
            # the same page images the reader sees (PDFs rendered at the reader's dpi)
            t0, c0, k0 = time.perf_counter(), time.process_time(), _children_cpu()
            try:
                doc = inputs.load_pages(data, name, inputs.Limits(pdf_dpi=READ_DPI))
                for page in doc.pages:
                    tesseract.full_page_text(page.image)
            except inputs.InputError:
                pass
            baseline_s += time.perf_counter() - t0
            baseline_cpu += time.process_time() - c0 + _children_cpu() - k0
            baseline_pages += n_pages
        if progress and (k + 1) % 25 == 0:
            elapsed = time.perf_counter() - started
            print(f"  {k + 1}/{count} documents, {elapsed:.0f} s", flush=True)
        if checkpoint is not None and (k + 1) % 25 == 0:
            snap = _outcome(
                score, k + 1, pages, reader_s, baseline_s=baseline_s, baseline_pages=baseline_pages
            )
            snap.update(reader_cpu=reader_cpu, baseline_cpu=baseline_cpu)
            _save(checkpoint, snap)
        if partial is not None and (k + 1) % 100 == 0 and k + 1 < count:
            partial.parent.mkdir(parents=True, exist_ok=True)
            snapshot = _outcome(
                score, k + 1, pages, reader_s, baseline_s=baseline_s, baseline_pages=baseline_pages
            )
            snapshot["quiet"] = True
            partial.write_text(report(snapshot))
    final = _outcome(
        score, count, pages, reader_s, baseline_s=baseline_s, baseline_pages=baseline_pages
    )
    final.update(reader_cpu=reader_cpu, baseline_cpu=baseline_cpu)
    if checkpoint is not None:
        _save(checkpoint, final)
    return final


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _save(path: Path, outcome: dict[str, Any]) -> None:
    """A worker's running totals, so a long run that is stopped can still be reported."""
    import pickle

    score: Score = outcome["score"]
    plain = Score(**{**score.__dict__})
    plain.fields = dict(score.fields)
    plain.calibration_by_field = dict(score.calibration_by_field)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps({**outcome, "score": plain}))
    tmp.replace(path)


def combine(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """Several workers' outcomes as one (times summed per document: per-core figures)."""
    out = _outcome(
        merge([o["score"] for o in outcomes]),
        sum(o["documents"] for o in outcomes),
        sum(o["pages"] for o in outcomes),
        sum(o["reader_s"] for o in outcomes),
        baseline_s=sum(o["baseline_s"] for o in outcomes),
        baseline_pages=sum(o["baseline_pages"] for o in outcomes),
    )
    out["reader_cpu"] = sum(o.get("reader_cpu", 0.0) for o in outcomes)
    out["baseline_cpu"] = sum(o.get("baseline_cpu", 0.0) for o in outcomes)
    out["peak_rss_mib"] = max(o["peak_rss_mib"] for o in outcomes)
    out["jobs"] = len(outcomes)
    return out


def merge(scores: list[Score]) -> Score:
    """Several workers' scores as one."""
    total = Score()
    for sc in scores:
        for key, t in sc.fields.items():
            total.fields[key].n += t.n
            total.fields[key].ok += t.ok
        for name_key, t in sc.calibration_by_field.items():
            total.calibration_by_field[name_key].n += t.n
            total.calibration_by_field[name_key].ok += t.ok
        for name in ("calibration", "signatures", "kind", "form_id"):
            mine, theirs = getattr(total, name), getattr(sc, name)
            mine.n += theirs.n
            mine.ok += theirs.ok
        for name in (
            "values",
            "blank_boxes",
            "false_present",
            "signed_boxes",
            "false_absent",
            "sure_signature_errors",
        ):
            setattr(total, name, getattr(total, name) + getattr(sc, name))
        total.pairs += sc.pairs
    return total


def _chunk(args: tuple[int, int, bool, int, Path | None]) -> dict[str, Any]:
    count, seed, baseline, every, details = args
    checkpoint = _checkpoint(seed)
    outcome = run(
        count,
        seed,
        baseline,
        progress=False,
        baseline_every=every,
        checkpoint=checkpoint,
        details=None if details is None else details.with_name(f"{details.name}.{seed}"),
    )
    outcome["score"].fields = dict(outcome["score"].fields)  # picklable
    outcome["score"].calibration_by_field = dict(outcome["score"].calibration_by_field)
    return outcome


def _split(count: int, seed: int, jobs: int) -> tuple[list[int], list[int]]:
    """Each worker's document count and first seed: consecutive ranges."""
    sizes = [count // jobs + (1 if i < count % jobs else 0) for i in range(jobs)]
    return sizes, [seed + sum(sizes[:i]) for i in range(jobs)]


def _checkpoint(seed: int) -> Path:
    return CACHE.parent / f"worker-{seed}.pkl"


def run_parallel(
    count: int,
    seed: int,
    baseline: bool,
    jobs: int,
    baseline_every: int = 1,
    *,
    details: Path | None = None,
) -> dict[str, Any]:
    """``jobs`` single-threaded workers on consecutive seed ranges; times are summed per
    document, so pages/s is per core, as for one process. ``details``: each worker writes its
    own part beside it, joined into that file in seed order at the end."""
    import multiprocessing

    sizes, starts = _split(count, seed, jobs)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(jobs) as pool:
        parts = pool.map(
            _chunk,
            [
                (n, st, baseline, baseline_every, details)
                for n, st in zip(sizes, starts, strict=True)
            ],
        )
    if details is not None:
        with details.open("a", encoding="utf-8") as joined:
            for start in starts:
                part = details.with_name(f"{details.name}.{start}")
                if part.exists():
                    joined.write(part.read_text(encoding="utf-8"))
                    part.unlink()
    return combine(parts)


def _outcome(
    score: Score,
    documents: int,
    pages: int,
    reader_s: float,
    *,
    baseline_s: float,
    baseline_pages: int = 0,
) -> dict[str, Any]:
    # The reader's peak is its own process's. Children's peaks are not reported: Linux counts a
    # child's memory before its exec, so each tesseract process of the baseline "peaks" at the
    # size of the worker that started it (a full-page tesseract alone peaks at ~70 MiB). Scans not
    # cached yet are generated in the workers too, which raises their peak: the simulator alone
    # reached 489 MiB after 40 documents, what session 10's 611 MiB on an empty cache was.
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "score": score,
        "documents": documents,
        "pages": pages,
        "reader_s": reader_s,
        "baseline_s": baseline_s,
        "baseline_pages": baseline_pages,
        "peak_rss_mib": peak_kib / 1024,
    }


def _speed_rows(summary: Any, outcome: dict[str, Any]) -> None:
    """Pages per second of the reader and the baseline, by wall clock and by CPU time (the
    machine may be shared: CPU time does not count other people's load)."""
    pages = outcome["pages"]
    reader_pps = pages / outcome["reader_s"] if outcome["reader_s"] else float("nan")
    summary.add_row("pages", str(pages))
    if outcome.get("jobs"):
        summary.add_row("worker processes (times summed: pages/s per core)", str(outcome["jobs"]))
    summary.add_row("reader pages/s", f"{reader_pps:.2f}")
    if outcome["baseline_s"]:
        base_pps = outcome["baseline_pages"] / outcome["baseline_s"]
        summary.add_row(
            f"baseline (full-page tesseract) pages/s, on {outcome['baseline_pages']} pages",
            f"{base_pps:.2f}",
        )
        summary.add_row("speed ratio reader / baseline", f"{reader_pps / base_pps:.2f}×")
    if outcome.get("reader_cpu") and outcome.get("baseline_cpu"):
        reader_cpu_pps = pages / outcome["reader_cpu"]
        base_cpu_pps = outcome["baseline_pages"] / outcome["baseline_cpu"]
        summary.add_row("reader pages per CPU-second", f"{reader_cpu_pps:.2f}")
        summary.add_row(
            "baseline pages per CPU-second (tesseract process included)", f"{base_cpu_pps:.2f}"
        )
        summary.add_row("speed ratio by CPU time", f"{reader_cpu_pps / base_cpu_pps:.2f}×")


def report(outcome: dict[str, Any]) -> str:
    from rich.console import Console
    from rich.table import Table

    score: Score = outcome["score"]
    import io

    quiet = bool(outcome.get("quiet"))
    console = Console(record=True, width=110, file=io.StringIO() if quiet else None)
    table = Table(title=f"Field exact match ({outcome['documents']} documents)")
    table.add_column("field")
    for fill in ("typed", "handwritten", "digital", "empty"):
        table.add_column(fill, justify="right")
    for name in FIELD_NAMES:
        cells = []
        for fill in ("typed", "handwritten", "digital", "empty"):
            t = score.fields.get((name, fill))
            cells.append(f"{t.rate:.1%} ({t.n})" if t and t.n else "–")
        table.add_row(name, *cells)
    console.print(table)
    summary = Table(title="Reading summary")
    summary.add_column("measure")
    summary.add_column("value", justify="right")
    summary.add_row(
        "form kind found (or correctly none)", f"{score.kind.rate:.1%} ({score.kind.n})"
    )
    if score.form_id.n:
        summary.add_row("form id validity right", f"{score.form_id.rate:.1%} ({score.form_id.n})")
    summary.add_row(
        f"calibration: accuracy of values with confidence >= {ACCEPT}",
        f"{score.calibration.rate:.2%} ({score.calibration.n})",
    )
    if score.values:
        summary.add_row(
            "values trusted without a person (confidence >= 0.9)",
            f"{score.calibration.n / score.values:.1%} of {score.values}",
        )
    summary.add_row("signature accuracy", f"{score.signatures.rate:.1%} ({score.signatures.n})")
    fp = score.false_present / score.blank_boxes if score.blank_boxes else float("nan")
    fa = score.false_absent / score.signed_boxes if score.signed_boxes else float("nan")
    summary.add_row(
        "signature false present (blank judged signed)",
        f"{fp:.2%} ({score.false_present}/{score.blank_boxes})",
    )
    summary.add_row(
        "signature false absent", f"{fa:.2%} ({score.false_absent}/{score.signed_boxes})"
    )
    summary.add_row("signature errors with confidence >= 0.90", str(score.sure_signature_errors))
    _speed_rows(summary, outcome)
    summary.add_row("peak RSS (largest reader worker)", f"{outcome['peak_rss_mib']:.0f} MiB")
    console.print(summary)
    cal = Table(title=f"Calibration per field (confidence >= {ACCEPT})")
    cal.add_column("field")
    cal.add_column("accepted", justify="right")
    cal.add_column("accuracy", justify="right")
    for name in FIELD_NAMES:
        t = score.calibration_by_field.get(name)
        if t and t.n:
            cal.add_row(name, str(t.n), f"{t.rate:.2%}")
    console.print(cal)
    return console.export_text()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kopplingar.bench reading")
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="worker processes, one single-threaded reader each (default: up to 2)",
    )
    parser.add_argument(
        "--from-checkpoints",
        action="store_true",
        help="report the workers' saved totals (of a run that was stopped) instead of running",
    )
    parser.add_argument(
        "--baseline-every", type=int, default=1, help="run the baseline on every Nth document"
    )
    parser.add_argument("--out", type=Path, default=Path("var/bench/reading.txt"))
    parser.add_argument(
        "--details",
        type=Path,
        default=None,
        help="also write every field's truth, reading and confidence as JSON Lines to this file",
    )
    args = parser.parse_args(argv)
    if args.details is not None:
        args.details.parent.mkdir(parents=True, exist_ok=True)
        args.details.write_text("")  # this run's lines only
    partial = args.out.with_name(args.out.stem + "-partial.txt")
    if args.from_checkpoints:
        import pickle

        # this run's workers only (--count, --seed, --jobs as given to the run that stopped),
        # never another run's files (the calibration script writes its own there too)
        files = [_checkpoint(start) for start in _split(args.count, args.seed, args.jobs)[1]]
        missing = [f for f in files if not f.exists()]
        if missing:
            print("no worker checkpoint:", ", ".join(str(f) for f in missing))
            return 1
        # the files this benchmark wrote itself under var/bench/, never input from outside
        outcome = combine([pickle.loads(f.read_bytes()) for f in files])  # noqa: S301
    elif args.jobs > 1:
        outcome = run_parallel(
            args.count,
            args.seed,
            not args.no_baseline,
            args.jobs,
            args.baseline_every,
            details=args.details,
        )
    else:
        outcome = run(
            args.count,
            args.seed,
            not args.no_baseline,
            not args.quiet,
            partial=partial,
            baseline_every=args.baseline_every,
            details=args.details,
        )
    text = report(outcome)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0
