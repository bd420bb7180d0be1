"""Scan simulator: fills forms as people do, prints and captures them, and keeps the truth.

Used by tests and benchmarks (and ``scripts/make_samples.py``)::

    from kopplingar.forms.simulator import SampleSpec, generate
    sample = generate(7, SampleSpec(kind="connect", capture="fax"))
    sample.filename, sample.data, sample.truth

Handwriting and signatures come only from the ``eval`` split of the shared data.
"""

from kopplingar.forms.simulator.generate import (
    CAPTURES,
    DELIVERIES,
    FILL_STYLES,
    NEGATIVES,
    SAMPLE_SECRET,
    SCENARIOS,
    Sample,
    SampleSpec,
    generate,
    resolve,
)

__all__ = [
    "CAPTURES",
    "DELIVERIES",
    "FILL_STYLES",
    "NEGATIVES",
    "SAMPLE_SECRET",
    "SCENARIOS",
    "Sample",
    "SampleSpec",
    "generate",
    "resolve",
]
