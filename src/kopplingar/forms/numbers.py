"""Decode per-cell digit probabilities into the best number reading with a meaningful confidence.

Each comb cell has a probability row over digits 0-9 and EMPTY (``digits.classify_cells``). A
reading is a string over those 11 symbols; its score is the product of the cell probabilities
(the cells are read independently). Constraints (the Luhn check of an organisationsnummer, the
length of a subscription number) act as a prior: strings that satisfy them weigh ``boost`` times
more than strings that do not. The confidence of the chosen value is its posterior probability
under that prior, normalised over every string, valid or not. So a low-confidence digit that only
one valid reading explains is fixed with high confidence, while a confident reading that fails
the check yields a low confidence (a person decides).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np

from kopplingar.forms.digits import EMPTY, N_CLASSES

ORG_NUMBER_LENGTH = 10
_LUHN_DOUBLE = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9]  # digit sum of 2*d


@dataclass(frozen=True)
class Reading:
    value: str | None  # None when no admissible string is possible at all
    confidence: float  # posterior probability that ``value`` is what was written, 0..1
    luhn_ok: bool
    alternatives: list[tuple[str, float]] = field(default_factory=list)  # (value, posterior)
    raw: str = ""  # the per-cell argmax, "_" for EMPTY: what the cells say without constraints


def luhn_ok(number: str) -> bool:
    """The Luhn check used by Swedish organisations- and personnummer (10 digits)."""
    if len(number) != ORG_NUMBER_LENGTH or not number.isdigit():
        return False
    return _luhn_sum(number) % 10 == 0


def _luhn_sum(number: str) -> int:
    return sum(_LUHN_DOUBLE[int(ch)] if i % 2 == 0 else int(ch) for i, ch in enumerate(number))


def _as_probs(probs: np.ndarray) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != N_CLASSES:
        raise ValueError(f"expected (cells, {N_CLASSES}) probabilities, got {p.shape}")
    p = np.clip(p, 1e-12, None)
    return np.asarray(p / p.sum(axis=1, keepdims=True))


def raw_reading(probs: np.ndarray) -> str:
    p = _as_probs(probs)
    return "".join("_" if k == EMPTY else str(k) for k in p.argmax(axis=1))


def best_org_number(probs: np.ndarray, *, boost: float = 100.0, keep: int = 8) -> Reading:
    """The most probable 10-digit string passing the Luhn check, and its posterior.

    ``probs`` has one row per comb cell (exactly ten for the NNNNNN-NNNN comb). The k best valid
    strings come from a beam over (position, Luhn sum mod 10) that is exact for the top ``keep``.
    """
    p = _as_probs(probs)
    raw = raw_reading(p)
    if len(p) != ORG_NUMBER_LENGTH:
        return Reading(None, 0.0, False, [], raw)
    # states: residue -> list of (log score, digits) best-first, at most ``keep`` each
    beams: dict[int, list[tuple[float, str]]] = {0: [(0.0, "")]}
    valid_mass = [0.0] * 10  # total probability of all digit strings per residue
    valid_mass[0] = 1.0
    # plain floats: this loop runs 10 x 10 x residues x keep times per number
    plist: list[list[float]] = p.tolist()
    logp: list[list[float]] = np.log(p).tolist()
    for i in range(ORG_NUMBER_LENGTH):
        new_beams: dict[int, list[tuple[float, str]]] = {}
        new_mass = [0.0] * 10
        row, logrow = plist[i], logp[i]
        for residue, entries in beams.items():
            for d in range(10):
                add = _LUHN_DOUBLE[d] if i % 2 == 0 else d
                r = (residue + add) % 10
                new_mass[r] += valid_mass[residue] * row[d]
                bucket = new_beams.setdefault(r, [])
                ld, digit = logrow[d], str(d)
                bucket.extend((s + ld, text + digit) for s, text in entries)
        beams = {r: heapq.nlargest(keep, b) for r, b in new_beams.items()}
        valid_mass = new_mass
    z_valid = valid_mass[0]  # probability that the cells hold a Luhn-valid digit string
    z_all = 1.0  # every 11-symbol string: the rows sum to one
    normaliser = z_all + (boost - 1.0) * z_valid
    best = beams.get(0, [])
    alternatives = [(text, float(boost * math.exp(s) / normaliser)) for s, text in best]
    if not alternatives:
        return Reading(None, 0.0, False, [], raw)
    value, confidence = alternatives[0]
    return Reading(value, min(confidence, 1.0), True, alternatives[1:], raw)


def _k_best_run(p: np.ndarray, start: int, length: int, keep: int) -> list[tuple[float, str]]:
    """The ``keep`` most probable digit strings for cells ``start..start+length`` (log scores)."""
    beams: list[tuple[float, str]] = [(0.0, "")]
    logp: list[list[float]] = np.log(p).tolist()
    for i in range(start, start + length):
        row = logp[i]
        candidates = [(s + row[d], text + str(d)) for s, text in beams for d in range(10)]
        beams = heapq.nlargest(keep, candidates)
    return beams


def best_digits(
    probs: np.ndarray,
    length_range: tuple[int, int],
    *,
    boost: float = 10.0,
    keep: int = 8,
    left_aligned: bool = False,
) -> Reading:
    """The most probable digit string written as one unbroken run of ``length_range`` cells.

    Cells outside the run must be EMPTY. With ``left_aligned`` the run starts at the first cell;
    otherwise it may start anywhere (people do right-align or skip a box).
    """
    p = _as_probs(probs)
    raw = raw_reading(p)
    n = len(p)
    lo, hi = length_range
    empty_log = np.log(p[:, EMPTY])
    digit_mass = p[:, :EMPTY].sum(axis=1)
    z_valid = 0.0
    values: dict[str, float] = {}
    for length in range(max(lo, 1), min(hi, n) + 1):
        starts = [0] if left_aligned else range(n - length + 1)
        for start in starts:
            outside = float(empty_log[:start].sum() + empty_log[start + length :].sum())
            z_valid += float(np.exp(outside) * np.prod(digit_mass[start : start + length]))
            for s, text in _k_best_run(p, start, length, keep):
                values[text] = values.get(text, 0.0) + float(np.exp(s + outside))
    if not values:
        return Reading(None, 0.0, False, [], raw)
    normaliser = 1.0 + (boost - 1.0) * z_valid
    ranked = sorted(values.items(), key=lambda kv: kv[1], reverse=True)
    scored = [(text, min(boost * score / normaliser, 1.0)) for text, score in ranked[:keep]]
    value, confidence = scored[0]
    return Reading(value, confidence, luhn_ok(value), scored[1:], raw)
