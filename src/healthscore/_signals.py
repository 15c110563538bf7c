"""Signals and the normalisers that map a raw value onto a 0-100 sub-score."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeAlias

import attrs
import numpy as np
from numpy.typing import NDArray

from healthscore._validation import (
    check_name,
    check_real,
    readonly,
)
from healthscore.exceptions import InvalidInputError, InvalidTypeError

__all__ = [
    "LinearRange",
    "LogScale",
    "Normaliser",
    "PercentileRank",
    "Signal",
    "ThresholdBands",
]

FloatArray = NDArray[np.float64]

#: Sub-score given to every account when a fitted reference has a single value.
NEUTRAL_SUBSCORE = 50.0


def _orient(fraction: FloatArray, higher_is_better: bool) -> FloatArray:
    """Scale a fraction in [0, 1] (1 = highest raw value) to points, flipping if needed."""
    if higher_is_better:
        fraction *= 100.0
    else:
        # 100 - 100 * f, computed in place.
        fraction *= -100.0
        fraction += 100.0
    return fraction


def _linear_low(value: object) -> float:
    return check_real(value, field="LinearRange.low")


def _linear_high(value: object) -> float:
    return check_real(value, field="LinearRange.high")


def _log_low(value: object) -> float:
    return check_real(value, field="LogScale.low")


def _log_high(value: object) -> float:
    return check_real(value, field="LogScale.high")


def _signal_name(value: object) -> str:
    return check_name(value, field="Signal.name")


@attrs.frozen(kw_only=True)
class LinearRange:
    """Map ``[low, high]`` linearly onto 0-100, clipping values outside the range.

    With ``higher_is_better`` the sub-score is ``100 * (x - low) / (high - low)``
    clipped to [0, 100]; otherwise it is 100 minus that.

    Parameters
    ----------
    low, high : float
        Finite bounds in the signal's own units, ``low < high``.
    """

    kind: ClassVar[str] = "linear"

    low: float = attrs.field(converter=_linear_low)
    high: float = attrs.field(converter=_linear_high)

    def __attrs_post_init__(self) -> None:
        if not self.low < self.high:
            msg = f"LinearRange needs low < high; got low={self.low!r}, high={self.high!r}"
            raise InvalidInputError(msg)
        with np.errstate(over="ignore"):
            width = np.float64(self.high) - np.float64(self.low)
            slope = 100.0 / width
        if not (np.isfinite(width) and np.isfinite(slope)):
            msg = (
                f"LinearRange width high - low must be a finite number of units whose "
                f"reciprocal is finite; got low={self.low!r}, high={self.high!r}"
            )
            raise InvalidInputError(msg)

    @property
    def needs_fit(self) -> bool:
        """False: the bounds are part of the configuration."""
        return False

    def affine(self, *, higher_is_better: bool) -> tuple[float, float]:
        """Return ``(slope, intercept)`` of the map ``clip(slope * x + intercept, 0, 100)``."""
        slope = 100.0 / (self.high - self.low)
        if higher_is_better:
            return slope, -self.low * slope
        return -slope, self.high * slope

    def subscores(self, values: FloatArray, *, higher_is_better: bool) -> FloatArray:
        """Return the sub-scores of ``values`` (NaN stays NaN) as a new array."""
        slope, intercept = self.affine(higher_is_better=higher_is_better)
        # Values far outside the range may overflow to +-inf, which the clip handles.
        with np.errstate(over="ignore", invalid="ignore"):
            out = values * slope
            out += intercept
        return np.clip(out, 0.0, 100.0, out=out)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this normaliser."""
        return {"kind": self.kind, "low": self.low, "high": self.high}


@attrs.frozen(kw_only=True)
class LogScale:
    """Map ``[low, high]`` onto 0-100 linearly in ``log(1 + x)``, for skewed counts.

    Values are clipped to ``[low, high]`` first, so zero and negative counts are
    safe. Ten events out of a range of 0-1000 gets about 35 points, where a
    linear range would give 1.

    Parameters
    ----------
    low, high : float
        Finite bounds with ``0 <= low < high``.
    """

    kind: ClassVar[str] = "log"

    low: float = attrs.field(converter=_log_low)
    high: float = attrs.field(converter=_log_high)

    def __attrs_post_init__(self) -> None:
        if not 0.0 <= self.low < self.high:
            msg = f"LogScale needs 0 <= low < high; got low={self.low!r}, high={self.high!r}"
            raise InvalidInputError(msg)

    @property
    def needs_fit(self) -> bool:
        """False: the bounds are part of the configuration."""
        return False

    def subscores(self, values: FloatArray, *, higher_is_better: bool) -> FloatArray:
        """Return the sub-scores of ``values`` (NaN stays NaN) as a new array."""
        fraction = np.clip(values, self.low, self.high)
        np.log1p(fraction, out=fraction)
        base = math.log1p(self.low)
        fraction -= base
        fraction *= 1.0 / (math.log1p(self.high) - base)
        np.clip(fraction, 0.0, 1.0, out=fraction)
        return _orient(fraction, higher_is_better)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this normaliser."""
        return {"kind": self.kind, "low": self.low, "high": self.high}


def _float_tuple(values: object, *, field: str) -> tuple[float, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | np.ndarray):
        msg = f"{field} must be a sequence of numbers; got {type(values).__name__} {values!r}"
        raise InvalidTypeError(msg)
    return tuple(check_real(v, field=f"{field}[{i}]") for i, v in enumerate(values))


def _band_edges(value: object) -> tuple[float, ...]:
    return _float_tuple(value, field="ThresholdBands.edges")


def _band_scores(value: object) -> tuple[float, ...]:
    return _float_tuple(value, field="ThresholdBands.scores")


@attrs.frozen(kw_only=True)
class ThresholdBands:
    """Map a value onto fixed sub-scores by step points.

    With edges ``(e1, ..., ek)`` and scores ``(s0, ..., sk)``, a value below
    ``e1`` gets ``s0``, a value in ``[e1, e2)`` gets ``s1``, and a value at or above
    ``ek`` gets ``sk``: intervals are closed on the left.

    Parameters
    ----------
    edges : sequence of float
        Strictly increasing finite step points, at least one.
    scores : sequence of float
        One more score than edges, each in [0, 100]. The scores must not decrease
        when the signal is ``higher_is_better`` and must not increase otherwise;
        the signal checks this.
    """

    kind: ClassVar[str] = "bands"

    edges: tuple[float, ...] = attrs.field(converter=_band_edges)
    scores: tuple[float, ...] = attrs.field(converter=_band_scores)

    def __attrs_post_init__(self) -> None:
        if not self.edges:
            msg = "ThresholdBands needs at least one edge; got edges=()"
            raise InvalidInputError(msg)
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            msg = f"ThresholdBands.edges must be strictly increasing; got {self.edges!r}"
            raise InvalidInputError(msg)
        if len(self.scores) != len(self.edges) + 1:
            msg = (
                f"ThresholdBands needs one more score than edges; got {len(self.edges)} "
                f"edges and {len(self.scores)} scores"
            )
            raise InvalidInputError(msg)
        if not all(0.0 <= s <= 100.0 for s in self.scores):
            msg = f"ThresholdBands.scores must each be in [0, 100]; got {self.scores!r}"
            raise InvalidInputError(msg)

    @property
    def needs_fit(self) -> bool:
        """False: the step points are part of the configuration."""
        return False

    def check_direction(self, higher_is_better: bool, *, field: str) -> None:
        """Raise unless the scores move in the direction that ``higher_is_better`` sets."""
        pairs = list(zip(self.scores, self.scores[1:], strict=False))
        rising = all(b >= a for a, b in pairs)
        falling = all(b <= a for a, b in pairs)
        if (higher_is_better and not rising) or (not higher_is_better and not falling):
            want = "non-decreasing" if higher_is_better else "non-increasing"
            msg = (
                f"{field}: with higher_is_better={higher_is_better} the band scores must be "
                f"{want}, so that a better value never lowers the score; got {self.scores!r}"
            )
            raise InvalidInputError(msg)

    def subscores(self, values: FloatArray, *, higher_is_better: bool) -> FloatArray:
        """Return the sub-scores of ``values`` (NaN stays NaN) as a new array.

        ``higher_is_better`` is not used: the scores are given in points already.
        """
        del higher_is_better
        table = np.asarray(self.scores, dtype=np.float64)
        positions = np.searchsorted(np.asarray(self.edges), values, side="right")
        out = table[positions]
        out[np.isnan(values)] = np.nan
        return out

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this normaliser."""
        return {"kind": self.kind, "edges": list(self.edges), "scores": list(self.scores)}


@attrs.frozen(kw_only=True)
class PercentileRank:
    """Map a value onto its percentile rank in a reference distribution.

    The reference is fitted per segment from a snapshot, with
    :meth:`healthscore.Scorer.fit_references`, and stored in the model as
    quantiles. An account's sub-score therefore depends only on its own value and
    the stored reference, never on which other accounts are scored with it.

    The sub-score is 100 times the reference's cumulative distribution at the
    value, interpolated linearly between the stored quantiles. Values below the
    reference minimum get 0 and values above the maximum get 100. A value equal
    to a run of tied quantiles gets the middle of the run, so when a quarter of
    the reference sits at its minimum, that minimum gets about 12.

    Parameters
    ----------
    n_quantiles : int, default 101
        How many quantiles (evenly spaced levels from 0 to 1) a fit stores, >= 2.
    quantiles : sequence of float or None, default None
        The fitted reference, non-decreasing; None until fitted. An empty tuple
        means the fit saw no values, and every sub-score is then missing.
    n_reference : int, default 0
        How many values the reference was fitted on.

    Notes
    -----
    A reference with a single distinct value (every account had the same value)
    cannot rank anyone: every value then gets the neutral sub-score 50, and the
    fit emits a :class:`~healthscore.exceptions.ConstantSignalWarning`.
    """

    kind: ClassVar[str] = "percentile"

    n_quantiles: int = attrs.field(default=101)
    quantiles: tuple[float, ...] | None = attrs.field(default=None)
    n_reference: int = attrs.field(default=0)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.n_quantiles, bool) or not isinstance(self.n_quantiles, int):
            msg = f"PercentileRank.n_quantiles must be an integer; got {self.n_quantiles!r}"
            raise InvalidTypeError(msg)
        if self.n_quantiles < 2:
            msg = f"PercentileRank.n_quantiles must be >= 2; got {self.n_quantiles}"
            raise InvalidInputError(msg)
        if self.quantiles is not None:
            values = _float_tuple(self.quantiles, field="PercentileRank.quantiles")
            if any(b < a for a, b in itertools.pairwise(values)):
                msg = "PercentileRank.quantiles must be non-decreasing"
                raise InvalidInputError(msg)
            if len(values) == 1:
                msg = "PercentileRank.quantiles must hold at least 2 values, or none"
                raise InvalidInputError(msg)
            object.__setattr__(self, "quantiles", values)
        if isinstance(self.n_reference, bool) or not isinstance(self.n_reference, int):
            msg = f"PercentileRank.n_reference must be an integer; got {self.n_reference!r}"
            raise InvalidTypeError(msg)
        if self.n_reference < 0:
            msg = f"PercentileRank.n_reference must be >= 0; got {self.n_reference}"
            raise InvalidInputError(msg)

    @property
    def needs_fit(self) -> bool:
        """True while no reference has been fitted."""
        return self.quantiles is None

    @property
    def is_constant(self) -> bool:
        """True when the fitted reference has a single distinct value."""
        return bool(self.quantiles) and self.quantiles[0] == self.quantiles[-1]  # type: ignore[index]

    def fit(self, values: FloatArray) -> PercentileRank:
        """Return a copy whose reference is the non-missing entries of ``values``."""
        present = values[~np.isnan(values)]
        if present.size == 0:
            return attrs.evolve(self, quantiles=(), n_reference=0)
        levels = np.linspace(0.0, 1.0, self.n_quantiles)
        with np.errstate(over="ignore", invalid="ignore"):
            quantiles = np.quantile(present, levels)
        if not np.isfinite(quantiles).all():
            msg = (
                "PercentileRank.fit: the values span more than the float64 range "
                f"(min {present.min()!r}, max {present.max()!r}); rescale the signal"
            )
            raise InvalidInputError(msg)
        # Quantiles of sorted data are non-decreasing, but interpolation can round a
        # tied pair apart by one ulp in the wrong direction.
        quantiles = np.maximum.accumulate(quantiles)
        return attrs.evolve(
            self, quantiles=tuple(float(q) for q in quantiles), n_reference=int(present.size)
        )

    def subscores(self, values: FloatArray, *, higher_is_better: bool) -> FloatArray:
        """Return the sub-scores of ``values`` (NaN stays NaN) as a new array.

        Raises
        ------
        InvalidInputError
            If the reference has not been fitted.
        """
        if self.quantiles is None:
            msg = (
                "PercentileRank has no reference yet; fit one with "
                "Scorer.fit_references(accounts) before scoring"
            )
            raise InvalidInputError(msg)
        if not self.quantiles:
            return np.full(values.shape, np.nan)
        if self.is_constant:
            out = np.full(values.shape, NEUTRAL_SUBSCORE)
            out[np.isnan(values)] = np.nan
            return out
        fraction = _interpolated_cdf(values, np.asarray(self.quantiles))
        return _orient(fraction, higher_is_better)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this normaliser."""
        out: dict[str, Any] = {"kind": self.kind, "n_quantiles": self.n_quantiles}
        if self.quantiles is not None:
            out["quantiles"] = list(self.quantiles)
            out["n_reference"] = self.n_reference
        return out


def _interpolated_cdf(values: FloatArray, quantiles: FloatArray) -> FloatArray:
    """Evaluate the piecewise-linear CDF through ``(quantiles[i], i / (m - 1))``.

    A run of equal quantiles is a jump; a value exactly on it gets the middle of
    the jump. Below the first quantile the CDF is 0 and above the last it is 1.
    """
    levels = np.linspace(0.0, 1.0, quantiles.size)
    distinct, first = np.unique(quantiles, return_index=True)
    last = np.append(first[1:] - 1, quantiles.size - 1)
    low_level = levels[first]
    high_level = levels[last]

    position = np.searchsorted(distinct, values, side="left")
    inside = np.clip(position, 1, distinct.size - 1)
    left = distinct[inside - 1]
    right = distinct[inside]
    with np.errstate(invalid="ignore", over="ignore"):
        share = (values - left) / (right - left)
        fraction = high_level[inside - 1] + share * (low_level[inside] - high_level[inside - 1])
    on_point = np.clip(position, 0, distinct.size - 1)
    exact = distinct[on_point] == values
    fraction = np.where(exact, 0.5 * (low_level[on_point] + high_level[on_point]), fraction)
    fraction = np.where(values < distinct[0], 0.0, fraction)
    fraction = np.where(values > distinct[-1], 1.0, fraction)
    fraction[np.isnan(values)] = np.nan
    return np.asarray(fraction, dtype=np.float64)


Normaliser: TypeAlias = LinearRange | LogScale | ThresholdBands | PercentileRank


def _to_max_age(value: object) -> dt.timedelta | None:
    if value is None or isinstance(value, dt.timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        msg = (
            f"Signal.max_age must be a datetime.timedelta or a whole number of days; "
            f"got {type(value).__name__} {value!r}"
        )
        raise InvalidTypeError(msg)
    return dt.timedelta(days=int(value))


def _check_normaliser(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, LinearRange | LogScale | ThresholdBands | PercentileRank):
        msg = (
            f"Signal.normaliser must be LinearRange, LogScale, ThresholdBands or "
            f"PercentileRank; got {type(value).__name__} {value!r}"
        )
        raise InvalidTypeError(msg)


def _check_bool(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        msg = f"Signal.{attribute.name} must be True or False; got {value!r}"
        raise InvalidTypeError(msg)


@attrs.frozen(kw_only=True)
class Signal:
    """One input of a health score and how it maps onto a 0-100 sub-score.

    Parameters
    ----------
    name : str
        Name of the signal, unique within a segment model; contributions are
        reported under it.
    normaliser : LinearRange, LogScale, ThresholdBands or PercentileRank
        How a raw value maps onto a sub-score.
    column : str, optional
        The ``Accounts`` signal column to read. Defaults to ``name``.
    higher_is_better : bool, default True
        Whether a higher raw value is healthier.
    max_age : datetime.timedelta or int or None, default None
        How old a value may be (an int is a number of days) before it counts as
        missing. Age is ``as_of`` minus the column's observation date in
        ``Accounts.observed_at``. With ``max_age`` set, a value whose observation
        date is unknown (NaT) counts as missing too; a column without observation
        dates counts as observed on ``as_of``.
    description : str, default ""
        Free text for people reading the model file.

    Examples
    --------
    >>> import healthscore as hs
    >>> logins = hs.Signal(name="logins_30d", normaliser=hs.LinearRange(low=0, high=40))
    >>> logins.subscores(np.array([0.0, 10.0, 60.0, np.nan]))
    array([  0.,  25., 100.,  nan])
    """

    name: str = attrs.field(converter=_signal_name)
    normaliser: Normaliser = attrs.field(validator=_check_normaliser)
    column: str = attrs.field(default=None)
    higher_is_better: bool = attrs.field(default=True, validator=_check_bool)
    max_age: dt.timedelta | None = attrs.field(default=None, converter=_to_max_age)
    description: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        if self.column is None:
            object.__setattr__(self, "column", self.name)
        check_name(self.column, field=f"Signal {self.name!r} column")
        if self.max_age is not None and self.max_age < dt.timedelta(0):
            msg = f"Signal {self.name!r}: max_age must not be negative; got {self.max_age}"
            raise InvalidInputError(msg)
        if isinstance(self.normaliser, ThresholdBands):
            self.normaliser.check_direction(self.higher_is_better, field=f"Signal {self.name!r}")

    def subscores(self, values: FloatArray) -> FloatArray:
        """Return the 0-100 sub-scores of raw ``values``; NaN stays NaN."""
        array = np.asarray(values, dtype=np.float64)
        return readonly(self.normaliser.subscores(array, higher_is_better=self.higher_is_better))

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this signal."""
        out: dict[str, Any] = {
            "name": self.name,
            "column": self.column,
            "higher_is_better": self.higher_is_better,
            "normaliser": self.normaliser.to_dict(),
        }
        if self.max_age is not None:
            out["max_age_days"] = self.max_age / dt.timedelta(days=1)
        if self.description:
            out["description"] = self.description
        return out


NORMALISER_KINDS: Mapping[str, type[LinearRange | LogScale | ThresholdBands | PercentileRank]] = {
    cls.kind: cls for cls in (LinearRange, LogScale, ThresholdBands, PercentileRank)
}
