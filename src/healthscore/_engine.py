"""The vectorised scoring kernel behind ``Scorer.score``.

A scorer's segment models are compiled once into one plan per signal name
("slot"): how to turn a raw column into sub-scores for every account whatever its
segment, and the weight each segment gives it. Scoring then walks the accounts in
chunks of rows, so a chunk's block of contributions stays in the CPU cache
between the pass that fills it and the pass that rescales it.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from healthscore._signals import LinearRange, Signal
from healthscore.exceptions import InvalidInputError

if TYPE_CHECKING:
    from healthscore._accounts import Accounts
    from healthscore._segments import SegmentModel

__all__ = ["CompiledScorer", "compile_models"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Rows per chunk. With 24 signals a chunk's contributions take 6 MiB, which
#: stays in a server CPU's last-level cache between the two passes over it.
CHUNK_ROWS = 32_768

#: Status codes stored per account; ``ScoreStatus`` gives them names.
SCORED, LOW_COVERAGE, NO_DATA = 0, 1, 2


@attrs.frozen(kw_only=True, eq=False)
class _Slot:
    """One signal name compiled over all segment models."""

    name: str
    column: str
    kind: Literal["uniform", "affine", "general"]
    # Signal per model position; None where that model lacks the signal.
    signals: tuple[Signal | None, ...]
    # Per model position: normalised weight (0 where absent), whether present.
    weights: FloatArray
    present_in: NDArray[np.bool_]
    # For kind "affine": slope and intercept per model (NaN where absent).
    slopes: FloatArray
    intercepts: FloatArray
    # Per model position: max age in days, +inf where the model sets none.
    max_age_days: FloatArray
    # Per model position: missing counts as 0 (the "zero" policy) for this signal.
    zero_fill: NDArray[np.bool_]

    # The weight when every model has this signal with the same weight, else None.
    uniform_weight: float | None

    @property
    def checks_age(self) -> bool:
        return bool(np.isfinite(self.max_age_days).any())

    def subscores(self, values: FloatArray, routing: IntArray | None, out: FloatArray) -> None:
        """Write the sub-scores of one chunk of raw values into ``out`` (NaN = unusable)."""
        if self.kind == "uniform":
            signal = next(s for s in self.signals if s is not None)
            out[:] = signal.normaliser.subscores(values, higher_is_better=signal.higher_is_better)
            if routing is not None and not self.present_in.all():
                out[~self.present_in[routing]] = np.nan
            return
        if self.kind == "affine":
            assert routing is not None
            # Values far outside the range may overflow to +-inf, which the clip handles.
            with np.errstate(over="ignore", invalid="ignore"):
                np.multiply(values, np.take(self.slopes, routing), out=out)
                out += np.take(self.intercepts, routing)
            np.clip(out, 0.0, 100.0, out=out)
            return
        assert routing is not None
        out[:] = np.nan
        for position, model_signal in enumerate(self.signals):
            if model_signal is None:
                continue
            members = routing == position
            if members.any():
                out[members] = model_signal.normaliser.subscores(
                    values[members], higher_is_better=model_signal.higher_is_better
                )


def _compile_slot(name: str, models: tuple[SegmentModel, ...]) -> _Slot:
    signals: list[Signal | None] = []
    for model in models:
        signals.append(next((s for s in model.signals if s.name == name), None))
    used = [s for s in signals if s is not None]
    columns = {s.column for s in used}
    if len(columns) > 1:
        # One slot reads one column, so contributions line up across segments.
        msg = (
            f"signal {name!r} reads different columns in different segments "
            f"({sorted(columns)}); give the signals different names"
        )
        raise InvalidInputError(msg)

    weights = np.array(
        [
            0.0 if s is None else m.normalized_weights[name]
            for s, m in zip(signals, models, strict=True)
        ]
    )
    present_in = np.array([s is not None for s in signals])
    max_age = np.array(
        [
            np.inf if s is None or s.max_age is None else s.max_age / dt.timedelta(days=1)
            for s in signals
        ]
    )
    zero_fill = np.array(
        [
            s is not None and m.missing_policy == "zero"
            for s, m in zip(signals, models, strict=True)
        ]
    )
    slopes = np.full(len(models), np.nan)
    intercepts = np.full(len(models), np.nan)

    first = used[0]
    same = all(
        s.normaliser == first.normaliser and s.higher_is_better == first.higher_is_better
        for s in used
    )
    if same:
        kind: Literal["uniform", "affine", "general"] = "uniform"
    elif all(isinstance(s.normaliser, LinearRange) for s in used):
        kind = "affine"
        for position, signal in enumerate(signals):
            if signal is not None:
                assert isinstance(signal.normaliser, LinearRange)
                slopes[position], intercepts[position] = signal.normaliser.affine(
                    higher_is_better=signal.higher_is_better
                )
    else:
        kind = "general"
    uniform = present_in.all() and bool(np.all(weights == weights[0]))
    return _Slot(
        uniform_weight=float(weights[0]) if uniform else None,
        name=name,
        column=first.column,
        kind=kind,
        signals=tuple(signals),
        weights=weights,
        present_in=present_in,
        slopes=slopes,
        intercepts=intercepts,
        max_age_days=max_age,
        zero_fill=zero_fill,
    )


@attrs.frozen(kw_only=True, eq=False)
class CompiledScorer:
    """Segment models resolved into per-signal arrays for fast scoring."""

    slots: tuple[_Slot, ...]
    min_coverage: FloatArray
    zero_policy: NDArray[np.bool_]

    @property
    def signal_names(self) -> tuple[str, ...]:
        return tuple(slot.name for slot in self.slots)

    def run(
        self, accounts: Accounts, routing: IntArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int8]]:
        """Score all accounts.

        Returns
        -------
        scores, coverage : ndarray, shape (n,)
        contributions : ndarray, shape (k, n)
            Signal-major, so each signal's row is written contiguously.
        status : ndarray of int8, shape (n,)
        """
        n = accounts.n_accounts
        k = len(self.slots)
        single = len(self.min_coverage) == 1
        scores = np.empty(n)
        coverage = np.empty(n)
        contributions = np.empty((k, n))
        status = np.empty(n, dtype=np.int8)

        columns = [accounts.signal(slot.column) for slot in self.slots]
        observed = [
            accounts.observed_at.get(slot.column) if slot.checks_age else None
            for slot in self.slots
        ]
        as_of = np.datetime64(accounts.as_of, "D")

        for start in range(0, n, CHUNK_ROWS):
            rows = slice(start, min(start + CHUNK_ROWS, n))
            chunk_routing = None if single else routing[rows]
            block = contributions[:, rows]
            values = []
            for j, slot in enumerate(self.slots):
                column = columns[j][rows]
                dates = observed[j]
                if dates is not None:
                    column = _drop_stale(column, dates[rows], as_of, slot, chunk_routing)
                values.append(column)
            scores[rows], coverage[rows], status[rows] = self._score_chunk(
                values, chunk_routing, block
            )
        return scores, coverage, contributions, status

    def _score_chunk(
        self, values: list[FloatArray], routing: IntArray | None, block: FloatArray
    ) -> tuple[FloatArray, FloatArray, NDArray[np.int8]]:
        """Score one chunk of rows, filling ``block`` (k, m) with contributions."""
        m = block.shape[1]
        present_weight = np.zeros(m)
        numerator = np.zeros(m)
        any_zero = bool(self.zero_policy.any())

        for j, slot in enumerate(self.slots):
            sub = block[j]
            slot.subscores(values[j], routing, sub)
            usable = sub == sub  # noqa: PLR0124 - one pass; False exactly where NaN
            weight = slot.uniform_weight
            if weight is None:
                weight_by_row = _per_row(slot.weights, routing)
                present_weight += usable * weight_by_row
                sub *= weight_by_row
            else:
                present_weight += usable * weight
                sub *= weight
            if any_zero:
                fill = ~usable & _per_row(slot.zero_fill, routing)
                sub[fill] = 0.0
                usable |= fill
            np.add(numerator, sub, out=numerator, where=usable)

        denominator = present_weight
        if any_zero:
            denominator = np.where(_per_row(self.zero_policy, routing), 1.0, present_weight)
        # Divide rather than multiply by a reciprocal: a tiny positive weight would
        # overflow 1 / weight. An account with no usable signal gets NaN points here,
        # and its status below withholds them.
        with np.errstate(divide="ignore", invalid="ignore"):
            block /= denominator
            scores = numerator / denominator
        np.clip(scores, 0.0, 100.0, out=scores)

        coverage = np.minimum(present_weight, 1.0)
        needed = _per_row(self.min_coverage, routing)
        status = np.where(
            present_weight <= 0.0,
            NO_DATA,
            np.where(coverage < needed, LOW_COVERAGE, SCORED),
        ).astype(np.int8)
        withheld = status != SCORED
        if withheld.any():
            # A withheld score has no contributions either.
            scores[withheld] = np.nan
            block[:, withheld] = np.nan
        return scores, coverage, status


def _per_row(table: NDArray[Any], routing: IntArray | None) -> Any:
    """Look a per-model value up for each row, or return the single model's value."""
    return table[0] if routing is None else np.take(table, routing)


def _drop_stale(
    values: FloatArray,
    dates: NDArray[np.datetime64],
    as_of: np.datetime64,
    slot: _Slot,
    routing: IntArray | None,
) -> FloatArray:
    """Return ``values`` with NaN where the observation is older than the model allows."""
    limit = _per_row(slot.max_age_days, routing)
    # Dividing a NaT age gives NaN, and NaN fails the test: unknown age is not fresh.
    age_days = (as_of - dates) / np.timedelta64(1, "D")
    with np.errstate(invalid="ignore"):
        stale = ~(age_days <= limit) & np.isfinite(limit)
    if not stale.any():
        return values
    return np.where(stale, np.nan, values)


def compile_models(models: tuple[SegmentModel, ...]) -> CompiledScorer:
    """Compile segment models, in routing order, into a :class:`CompiledScorer`."""
    names = tuple(dict.fromkeys(s.name for m in models for s in m.signals))
    return CompiledScorer(
        slots=tuple(_compile_slot(name, models) for name in names),
        min_coverage=np.array([m.min_coverage for m in models]),
        zero_policy=np.array([m.missing_policy == "zero" for m in models]),
    )
