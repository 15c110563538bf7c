"""The Scorer, which routes accounts to segment models and scores them, and Scores."""

from __future__ import annotations

import datetime as dt
import enum
import os
import warnings
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import IO, TYPE_CHECKING, Any

import attrs
import numpy as np
from numpy.typing import NDArray

from healthscore._accounts import Accounts
from healthscore._engine import SCORED, CompiledScorer, compile_models
from healthscore._export import write_scores_csv
from healthscore._segments import SegmentModel
from healthscore._signals import PercentileRank, Signal
from healthscore._validation import list_some, readonly
from healthscore.exceptions import (
    ConstantSignalWarning,
    DegenerateSegmentWarning,
    InvalidInputError,
    InvalidTypeError,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ScoreStatus", "Scorer", "Scores"]

FloatArray = NDArray[np.float64]

#: Fewer reference values than this make a percentile fit warn.
MIN_REFERENCE_VALUES = 10


class ScoreStatus(str, enum.Enum):
    """Reason an account has, or has not, a score."""

    SCORED = "scored"
    """Enough usable signals: the score, band and contributions are given."""
    LOW_COVERAGE = "low_coverage"
    """Some signals are usable, but less weight than the segment's ``min_coverage``."""
    NO_DATA = "no_data"
    """No signal with a positive weight is usable: every one is missing or stale."""

    def __str__(self) -> str:
        return self.value


def _check_segment(value: object, *, field: str) -> SegmentModel:
    if not isinstance(value, SegmentModel):
        msg = f"{field} must be a SegmentModel; got {type(value).__name__}"
        raise InvalidTypeError(msg)
    return value


def _to_segments(value: object) -> tuple[SegmentModel, ...]:
    if isinstance(value, SegmentModel):
        return (value,)
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = f"Scorer.segments must be a sequence of SegmentModel; got {type(value).__name__}"
        raise InvalidTypeError(msg)
    return tuple(_check_segment(v, field=f"Scorer.segments[{i}]") for i, v in enumerate(value))


def _to_default(value: object) -> SegmentModel | None:
    if value is None:
        return None
    return _check_segment(value, field="Scorer.default")


@attrs.frozen(kw_only=True)
class Scorer:
    """Routes every account to one segment model and scores all accounts at once.

    Segments are tried in order and the first whose rule matches an account takes
    it; accounts that no segment matches go to ``default``.

    Parameters
    ----------
    segments : sequence of SegmentModel
        Ordered segment models; their names must be unique.
    default : SegmentModel or None
        Model for the accounts no segment matches. Its rule must be empty. Required:
        pass None explicitly to make an unmatched account an error instead.
    id_column : str or None, default "account_id"
        For tabular inputs read through a model file (the CLI), the column that
        contains account ids, or None to number rows in file order.

    Notes
    -----
    Scoring is vectorised over accounts: for each segment and signal, one pass of
    numpy operations computes the sub-scores, and the weighted sum, coverage and
    contributions follow from them without a Python loop over accounts.

    Examples
    --------
    >>> import healthscore as hs
    >>> model = hs.SegmentModel(
    ...     name="all",
    ...     signals=[
    ...         hs.Signal(name="usage", normaliser=hs.LinearRange(low=0, high=100)),
    ...         hs.Signal(name="nps", normaliser=hs.LinearRange(low=-100, high=100)),
    ...     ],
    ...     weights={"usage": 3, "nps": 1},
    ... )
    >>> scorer = hs.Scorer(segments=[], default=model)
    >>> book = hs.Accounts(ids=["A", "B"], as_of="2024-06-01",
    ...                    signals={"usage": [80, 40], "nps": [20, None]})
    >>> scores = scorer.score(book)
    >>> scores.score.tolist(), scores.coverage.tolist()
    ([75.0, 40.0], [1.0, 0.75])
    """

    segments: tuple[SegmentModel, ...] = attrs.field(converter=_to_segments)
    default: SegmentModel | None = attrs.field(converter=_to_default)
    id_column: str | None = attrs.field(default="account_id")
    _compiled: CompiledScorer = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        models = list(self.models)
        if not models:
            msg = "Scorer needs at least one segment model or a default"
            raise InvalidInputError(msg)
        names = [m.name for m in models]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            msg = f"Scorer: segment names must be unique; {duplicated} appear more than once"
            raise InvalidInputError(msg)
        if self.default is not None and self.default.rule.conditions:
            msg = (
                f"Scorer.default (segment {self.default.name!r}) must have no rule, because it "
                f"takes every account the other segments leave; "
                f"got rule {str(self.default.rule)!r}"
            )
            raise InvalidInputError(msg)
        if self.id_column is not None and not (
            isinstance(self.id_column, str) and self.id_column.strip()
        ):
            msg = f"Scorer.id_column must be a non-blank string or None; got {self.id_column!r}"
            raise InvalidInputError(msg)

        # Resolve every model into arrays once, so scoring is a fixed sequence of
        # numpy operations.
        object.__setattr__(self, "_compiled", compile_models(tuple(models)))

    @property
    def models(self) -> tuple[SegmentModel, ...]:
        """The segment models in routing order, the default last."""
        return self.segments + (() if self.default is None else (self.default,))

    @property
    def signal_names(self) -> tuple[str, ...]:
        """Every signal name used by any segment, in order of first use."""
        return self._compiled.signal_names

    @property
    def input_columns(self) -> tuple[str, ...]:
        """Every ``Accounts`` column the scorer reads: signal columns, then rule columns."""
        columns = [s.column for m in self.models for s in m.signals]
        columns += [c for m in self.models for c in m.rule.columns]
        return tuple(dict.fromkeys(columns))

    @property
    def rule_columns(self) -> tuple[str, ...]:
        """Columns read by segment rules."""
        return tuple(dict.fromkeys(c for m in self.models for c in m.rule.columns))

    @property
    def needs_fit(self) -> bool:
        """True if any signal needs a reference from :meth:`fit_references`."""
        return any(s.normaliser.needs_fit for m in self.models for s in m.signals)

    def route(self, accounts: Accounts) -> NDArray[np.intp]:
        """Return, for each account, the index into :attr:`models` of its segment.

        Raises
        ------
        InvalidInputError
            If a rule reads a column the accounts lack, or an account matches no
            segment and there is no default; the message lists such accounts.
        """
        _check_accounts(accounts)
        index = np.full(accounts.n_accounts, -1, dtype=np.intp)
        # Walk the segments backwards so that an earlier match overwrites a later
        # one: the first matching segment wins, with no masked writes.
        for position in range(len(self.segments) - 1, -1, -1):
            model = self.segments[position]
            try:
                matched = model.rule.evaluate(accounts)
            except InvalidInputError as error:
                msg = f"segment {model.name!r}: {error}"
                raise InvalidInputError(msg) from None
            index = np.where(matched, position, index)
        unmatched = index < 0
        if self.default is not None:
            index[unmatched] = len(self.segments)
        elif unmatched.any():
            lost = accounts.ids[unmatched].tolist()
            msg = (
                f"{len(lost)} account(s) match no segment and the scorer has no default: "
                f"{list_some([repr(i) for i in lost])}. Add a default segment model or "
                f"widen the segment rules."
            )
            raise InvalidInputError(msg)
        return index

    def fit_references(self, accounts: Accounts) -> Scorer:
        """Return a copy whose percentile signals are fitted on ``accounts``, per segment.

        Each segment's percentile-rank signals get the distribution of the usable
        (present and fresh) values of the accounts routed to that segment. Other
        signals are unchanged.

        Warns
        -----
        ConstantSignalWarning
            When a segment's values of a signal are all equal; that signal then
            gives every account of the segment the neutral sub-score 50.
        DegenerateSegmentWarning
            When a segment has fewer than 10 usable values of a signal (none at
            all makes the signal missing for that segment).
        """
        routing = self.route(accounts)
        new_models = []
        for position, model in enumerate(self.models):
            members = np.flatnonzero(routing == position)
            signals = []
            for signal in model.signals:
                if not isinstance(signal.normaliser, PercentileRank):
                    signals.append(signal)
                    continue
                values = _usable_values(accounts, signal, members)
                fitted = signal.normaliser.fit(values)
                _warn_about_reference(model.name, signal.name, fitted)
                signals.append(attrs.evolve(signal, normaliser=fitted))
            new_models.append(attrs.evolve(model, signals=tuple(signals)))
        n_segments = len(self.segments)
        return attrs.evolve(
            self,
            segments=tuple(new_models[:n_segments]),
            default=new_models[n_segments] if self.default is not None else None,
        )

    def score(self, accounts: Accounts) -> Scores:
        """Score every account.

        Parameters
        ----------
        accounts : Accounts
            The snapshot to score. Every signal column of every segment model must
            be present (its values may be missing).

        Returns
        -------
        Scores
            Per account: score, band, status, coverage, segment, model version and
            per-signal contributions, in the order of ``accounts.ids``.

        Raises
        ------
        InvalidInputError
            If a signal or rule column is absent or not numeric, a percentile
            signal has not been fitted, or an account matches no segment.
        """
        _check_accounts(accounts)
        self._check_columns(accounts)
        routing = self.route(accounts)
        scores, coverage, contributions, status = self._compiled.run(accounts, routing)

        band_codes = np.full(accounts.n_accounts, -1, dtype=np.int8)
        scored = status == SCORED
        models = self.models
        if all(m.bands == models[0].bands for m in models):
            band_codes[scored] = models[0].bands.assign(scores[scored])
        else:
            for position, model in enumerate(models):
                members = scored & (routing == position)
                band_codes[members] = model.bands.assign(scores[members])

        return Scores(
            ids=accounts.ids,
            as_of=accounts.as_of,
            score=readonly(scores),
            coverage=readonly(coverage),
            contributions=readonly(contributions.T),
            signal_names=self.signal_names,
            segment_codes=readonly(routing.astype(np.int16)),
            status_codes=readonly(status),
            band_codes=readonly(band_codes),
            models=tuple(models),
        )

    def _check_columns(self, accounts: Accounts) -> None:
        for model in self.models:
            for signal in model.signals:
                if signal.normaliser.needs_fit:
                    msg = (
                        f"segment {model.name!r}: signal {signal.name!r} uses a percentile rank "
                        f"with no reference yet; call scorer.fit_references(accounts) first"
                    )
                    raise InvalidInputError(msg)
                try:
                    accounts.signal(signal.column)
                except InvalidInputError as error:
                    msg = f"segment {model.name!r}, signal {signal.name!r}: {error}"
                    raise InvalidInputError(msg) from None


def _check_accounts(accounts: object) -> None:
    if not isinstance(accounts, Accounts):
        msg = f"expected an Accounts snapshot; got {type(accounts).__name__}"
        raise InvalidTypeError(msg)


def _usable(
    accounts: Accounts,
    signal: Signal,
    members: NDArray[np.intp],
    as_of: np.datetime64,
    max_age_days: float | None,
) -> FloatArray:
    """Return the signal's values for ``members``, with stale values set to NaN."""
    values = accounts.signal(signal.column)[members]
    if max_age_days is None or signal.column not in accounts.observed_at:
        return values
    observed = accounts.observed_at[signal.column][members]
    # Dividing a NaT age gives NaN, and NaN fails the test: unknown age is not fresh.
    age_days = (as_of - observed) / np.timedelta64(1, "D")
    with np.errstate(invalid="ignore"):
        stale = ~(age_days <= max_age_days)
    if stale.any():
        values = values.copy()
        values[stale] = np.nan
    return values


def _usable_values(accounts: Accounts, signal: Signal, members: NDArray[np.intp]) -> FloatArray:
    max_age = None if signal.max_age is None else signal.max_age / dt.timedelta(days=1)
    as_of = np.datetime64(accounts.as_of, "D")
    return _usable(accounts, signal, members, as_of, max_age)


def _warn_about_reference(segment: str, signal: str, fitted: PercentileRank) -> None:
    if fitted.n_reference == 0:
        warnings.warn(
            f"segment {segment!r}: signal {signal!r} has no usable values to fit a percentile "
            f"reference on, so it will be missing for every account of the segment; fit on a "
            f"snapshot where the segment has data",
            DegenerateSegmentWarning,
            stacklevel=3,
        )
    elif fitted.is_constant:
        value = fitted.quantiles[0]  # type: ignore[index]
        warnings.warn(
            f"{signal!r} has zero variance in segment {segment!r} (all {fitted.n_reference} "
            f"values equal {value:g}); every account of the segment gets the neutral "
            f"sub-score 50 for it",
            ConstantSignalWarning,
            stacklevel=3,
        )
    elif fitted.n_reference < MIN_REFERENCE_VALUES:
        warnings.warn(
            f"segment {segment!r}: the percentile reference of {signal!r} rests on only "
            f"{fitted.n_reference} values (fewer than {MIN_REFERENCE_VALUES}); its ranks are "
            f"coarse",
            DegenerateSegmentWarning,
            stacklevel=3,
        )


def _codes_to_labels(codes: NDArray[np.integer[Any]], labels: list[Any]) -> NDArray[np.object_]:
    table = np.array([*labels, None], dtype=object)
    # Code -1 picks the trailing None.
    return readonly(table[codes])


@attrs.frozen(kw_only=True, eq=False)
class Scores:
    """The scores of one snapshot, one entry per account in input order.

    Per-account labels (``segment``, ``band``, ``status``, ``model_version``) are
    stored as small integer codes and built into object arrays when read.

    Attributes
    ----------
    ids : ndarray of str, shape (n,)
    as_of : datetime.date
    score : ndarray of float, shape (n,)
        0-100, or NaN when withheld (see ``status``).
    coverage : ndarray of float, shape (n,)
        Share of the segment's weight that came from usable signals, in [0, 1].
    contributions : ndarray of float, shape (n, k)
        Points each signal added to the score, by :attr:`signal_names`. They sum to
        the score. NaN marks a signal that did not count: missing, stale, not in
        the account's segment, or the whole score withheld. Under the "zero"
        missing policy a missing signal shows 0.
    signal_names : tuple of str, length k
    segment_codes : ndarray of int16, shape (n,)
        Index of each account's segment model in :attr:`models`.
    status_codes : ndarray of int8, shape (n,)
        0 scored, 1 low coverage, 2 no data; :attr:`status` names them.
    band_codes : ndarray of int8, shape (n,)
        Index into the segment model's band names, -1 when the score is withheld.
    models : tuple of SegmentModel
        The segment models of the scorer, in routing order.
    """

    ids: NDArray[np.object_]
    as_of: dt.date
    score: FloatArray
    coverage: FloatArray
    contributions: FloatArray
    signal_names: tuple[str, ...]
    segment_codes: NDArray[np.int16]
    status_codes: NDArray[np.int8]
    band_codes: NDArray[np.int8]
    models: tuple[SegmentModel, ...]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_accounts(self) -> int:
        """Number of accounts."""
        return len(self.ids)

    @property
    def segment(self) -> NDArray[np.object_]:
        """Segment name of each account, shape (n,)."""
        return _codes_to_labels(self.segment_codes, [m.name for m in self.models])

    @property
    def model_version(self) -> NDArray[np.object_]:
        """Version of the segment model that scored each account, shape (n,)."""
        return _codes_to_labels(self.segment_codes, [m.version for m in self.models])

    @property
    def status(self) -> NDArray[np.object_]:
        """:class:`ScoreStatus` of each account, shape (n,)."""
        return _codes_to_labels(self.status_codes, list(ScoreStatus))

    @property
    def band(self) -> NDArray[np.object_]:
        """Band name of each account, or None when the score is withheld, shape (n,)."""
        widest = max(len(m.bands.names) for m in self.models)
        table = np.full((len(self.models), widest + 1), None, dtype=object)
        for position, model in enumerate(self.models):
            table[position, : len(model.bands.names)] = model.bands.names
        # Code -1 picks the last column, which is None in every row.
        return readonly(table[self.segment_codes, self.band_codes])

    @property
    def segment_weights(self) -> Mapping[str, FloatArray]:
        """Normalised weights of each segment model over :attr:`signal_names`."""
        out = {}
        for model in self.models:
            weights = model.normalized_weights
            out[model.name] = readonly(np.array([weights.get(s, 0.0) for s in self.signal_names]))
        return MappingProxyType(out)

    @property
    def model_hashes(self) -> Mapping[str, str]:
        """Content hash of each segment model, by segment name."""
        return MappingProxyType({m.name: m.content_hash for m in self.models})

    def contribution(self, signal: str) -> FloatArray:
        """Return the contributions of one signal, shape (n,)."""
        try:
            return self.contributions[:, self.signal_names.index(signal)]
        except ValueError:
            msg = f"unknown signal {signal!r}; signals are {list(self.signal_names)}"
            raise InvalidInputError(msg) from None

    def effective_weights(self) -> FloatArray:
        """Return the weight each signal had in each account's score, shape (n, k).

        Under the default "renormalize" policy these are the segment's normalised
        weights over the signals that were usable, rescaled to sum to 1; a missing
        signal gets 0. Under "zero" they are the configured weights. Rows of
        withheld scores are NaN.
        """
        table = np.stack(list(self.segment_weights.values()))
        weights = table[self.segment_codes] * ~np.isnan(self.contributions)
        with np.errstate(invalid="ignore", divide="ignore"):
            weights /= weights.sum(axis=1, keepdims=True)
        weights[np.isnan(self.score)] = np.nan
        return weights

    def summary(self) -> dict[str, dict[str, int]]:
        """Count accounts per segment and band; withheld scores count under their status.

        Returns
        -------
        dict
            ``{segment: {band or status: count}}`` for the segments that have
            accounts, in model order, bands in band order, statuses last.
        """
        out: dict[str, dict[str, int]] = {}
        for position, model in enumerate(self.models):
            members = self.segment_codes == position
            if not members.any():
                continue
            counts: dict[str, int] = {}
            bands = np.bincount(
                self.band_codes[members & (self.band_codes >= 0)], minlength=len(model.bands.names)
            )
            for name, count in zip(model.bands.names, bands.tolist(), strict=True):
                if count:
                    counts[name] = count
            for code, status in ((1, ScoreStatus.LOW_COVERAGE), (2, ScoreStatus.NO_DATA)):
                count = int(np.count_nonzero(members & (self.status_codes == code)))
                if count:
                    counts[str(status)] = count
            out[model.name] = counts
        return out

    def to_columns(self) -> dict[str, NDArray[Any]]:
        """Return the scores as flat columns, one ``contribution.<signal>`` per signal."""
        columns: dict[str, NDArray[Any]] = {
            "account_id": self.ids,
            "segment": self.segment,
            "score": self.score,
            "band": self.band,
            "status": _codes_to_labels(self.status_codes, [str(s) for s in ScoreStatus]),
            "coverage": self.coverage,
            "model_version": self.model_version,
        }
        for position, name in enumerate(self.signal_names):
            columns[f"contribution.{name}"] = self.contributions[:, position]
        return columns

    def to_records(self) -> list[dict[str, Any]]:
        """Return one dict per account with the columns of :meth:`to_columns`."""
        columns = self.to_columns()
        lists = {name: values.tolist() for name, values in columns.items()}
        return [{name: lists[name][i] for name in lists} for i in range(len(self))]

    def to_csv(self, target: str | os.PathLike[str] | IO[str]) -> None:
        """Write the scores as CSV, escaped against spreadsheet formula injection.

        See :func:`healthscore.write_scores_csv` for the columns.
        """
        write_scores_csv(self, target)

    def to_pandas(self) -> pd.DataFrame:
        """Return the scores as a pandas DataFrame (requires the ``pandas`` extra)."""
        try:
            import pandas as pd  # noqa: PLC0415 (optional dependency)
        except ImportError:  # pragma: no cover - depends on the environment
            msg = "to_pandas requires pandas; install healthscore[pandas]"
            raise InvalidTypeError(msg) from None
        return pd.DataFrame(self.to_columns())
