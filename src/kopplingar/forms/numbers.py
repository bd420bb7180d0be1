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
_LUHN_DOUBLE_ARRAY = np.array(_LUHN_DOUBLE)
_DIGITS = np.arange(10)
_DIGIT_CHARS = "0123456789"


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
    scores, texts = _luhn_beams(np.log(p), keep)
    mass = np.zeros(10)  # total probability of all digit strings per residue of the Luhn sum
    mass[0] = 1.0
    residues = np.array([0])  # in the order they first arise (one summation order, always)
    for i in range(ORG_NUMBER_LENGTH):
        add = _LUHN_DOUBLE_ARRAY if i % 2 == 0 else _DIGITS
        targets = ((residues[:, None] + add[None, :]) % 10).ravel()
        new_mass = np.zeros(10)
        np.add.at(new_mass, targets, (mass[residues][:, None] * p[i, :10][None, :]).ravel())
        mass, residues = new_mass, np.array(list(dict.fromkeys(targets.tolist())))
    z_valid = float(mass[0])  # probability that the cells hold a Luhn-valid digit string
    z_all = 1.0  # every 11-symbol string: the rows sum to one
    normaliser = z_all + (boost - 1.0) * z_valid
    alternatives = [
        (str(text).zfill(ORG_NUMBER_LENGTH), float(boost * math.exp(score) / normaliser))
        for score, text in zip(scores.tolist(), texts.tolist(), strict=True)
    ]
    if not alternatives:
        return Reading(None, 0.0, False, [], raw)
    value, confidence = alternatives[0]
    return Reading(value, min(confidence, 1.0), True, alternatives[1:], raw)


# for each new residue of the running Luhn sum (row) and digit (column): the residue it came from
_LUHN_SOURCE = tuple(
    (_DIGITS[:, None] - add[None, :]) % 10 for add in (_LUHN_DOUBLE_ARRAY, _DIGITS)
)


def _luhn_beams(logp: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``keep`` best digit strings over the ten cells whose Luhn sum is 0 mod 10: log scores
    (best first) and the strings as integers. A beam per residue of the running Luhn sum, all
    ten extended at once per cell: each new residue gathers the beams it can come from, one
    candidate per (digit, rank), and keeps its best; ties go to the larger string, as
    ``heapq.nlargest`` on (score, text) would. Slots no string reaches stay at -inf."""
    scores = np.full((10, keep), -np.inf)  # residue x rank
    texts = np.zeros((10, keep), np.int64)
    scores[0, 0] = 0.0
    for i in range(ORG_NUMBER_LENGTH):
        source = _LUHN_SOURCE[i % 2]
        cand_scores = (scores[source] + logp[i, :10][None, :, None]).reshape(10, -1)
        cand_texts = (texts[source] * 10 + _DIGITS[None, :, None]).reshape(10, -1)
        # per new residue: best score first, then the larger string
        order = np.lexsort((-cand_texts, -cand_scores), axis=1)[:, :keep]
        scores = np.take_along_axis(cand_scores, order, axis=1)
        texts = np.take_along_axis(cand_texts, order, axis=1)
    alive0 = np.isfinite(scores[0])
    return scores[0][alive0], texts[0][alive0]


def _k_best_runs(
    logp: list[list[float]], start: int, longest: int, keep: int
) -> list[list[tuple[float, str]]]:
    """The ``keep`` most probable digit strings (log scores) for cells ``start..start+length``,
    for every length up to ``longest``: the beam of a run is the beam of the run one cell
    shorter, extended, so one pass serves every length.

    Both the beam and the cell's digits are ranked best first, so the extension by the
    ``j``-th digit of the ``b``-th string is outscored by the ``(b+1)(j+1) - 1`` pairs of better
    or equal rank: only pairs with ``(b+1)(j+1) <= keep`` can make the new beam (20 instead of
    80 for 8). That holds when the best pair left out scores strictly below the ``keep``-th
    kept one; otherwise (a tie) every pair is ranked, so the result is always that of
    ``heapq.nlargest`` over all pairs."""
    beams: list[tuple[float, str]] = [(0.0, "")]
    out: list[list[tuple[float, str]]] = []
    for i in range(start, start + longest):
        ranked = sorted(zip(logp[i][:EMPTY], _DIGIT_CHARS, strict=True), reverse=True)
        kept = [
            (s + v, text + d)
            for b, (s, text) in enumerate(beams)
            for v, d in ranked[: keep // (b + 1)]
        ]
        best = heapq.nlargest(keep, kept)
        left_out = [
            s + ranked[keep // (b + 1)][0]
            for b, (s, _) in enumerate(beams)
            if keep // (b + 1) < EMPTY
        ]
        if len(best) < keep or (left_out and max(left_out) >= best[-1][0]):
            best = heapq.nlargest(keep, [(s + v, text + d) for s, text in beams for v, d in ranked])
        beams = best
        out.append(beams)
    return out


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
    logp: list[list[float]] = np.log(p).tolist()
    runs: dict[int, list[list[tuple[float, str]]]] = {}
    for length in range(max(lo, 1), min(hi, n) + 1):
        starts = [0] if left_aligned else range(n - length + 1)
        for start in starts:
            outside = float(empty_log[:start].sum() + empty_log[start + length :].sum())
            z_valid += float(np.exp(outside) * np.prod(digit_mass[start : start + length]))
            if start not in runs:
                runs[start] = _k_best_runs(logp, start, min(hi, n - start), keep)
            for s, text in runs[start][length - 1]:
                values[text] = values.get(text, 0.0) + math.exp(s + outside)
    if not values:
        return Reading(None, 0.0, False, [], raw)
    normaliser = 1.0 + (boost - 1.0) * z_valid
    ranked = sorted(values.items(), key=lambda kv: kv[1], reverse=True)
    scored = [(text, min(boost * score / normaliser, 1.0)) for text, score in ranked[:keep]]
    value, confidence = scored[0]
    return Reading(value, confidence, luhn_ok(value), scored[1:], raw)
