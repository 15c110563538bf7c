"""Segment rules, health bands and the per-segment scoring model."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from healthscore._signals import Signal
from healthscore._validation import check_name, check_real, list_some
from healthscore.exceptions import BandAssignmentError, InvalidInputError, InvalidTypeError

if TYPE_CHECKING:
    from healthscore._accounts import Accounts

__all__ = ["Bands", "Condition", "Rule", "SegmentModel"]

Operator = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not in"]
OPERATORS: tuple[str, ...] = ("==", "!=", "<", "<=", ">", ">=", "in", "not in")
ORDERING_OPERATORS = frozenset({"<", "<=", ">", ">="})
RuleValue = str | float | tuple[str | float, ...]


def _to_rule_value(value: object) -> RuleValue:
    if isinstance(value, list | tuple):
        return tuple(_scalar_rule_value(v) for v in value)
    return _scalar_rule_value(value)


def _scalar_rule_value(value: object) -> str | float:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    return check_real(value, field="Condition.value")


def _condition_column(value: object) -> str:
    return check_name(value, field="Condition.column")


def _segment_name(value: object) -> str:
    return check_name(value, field="SegmentModel.name")


def _min_coverage_number(value: object) -> float:
    return check_real(value, field="SegmentModel.min_coverage")


def _version(value: object) -> str:
    return check_name(value, field="SegmentModel.version")


@attrs.frozen(kw_only=True)
class Condition:
    """One comparison of an account column with a constant, such as ``arr < 15000``.

    Parameters
    ----------
    column : str
        An attribute or signal column of :class:`~healthscore.Accounts`.
    op : {"==", "!=", "<", "<=", ">", ">=", "in", "not in"}
        Comparison operator.
    value : str, float, or tuple of those
        The constant; a tuple for ``in`` and ``not in``. A date column compares with
        ISO date strings. Numbers compare with a text column as their text (``2``
        matches ``"2"``).

    Notes
    -----
    A missing value (NaN, NaT or None) never satisfies a condition, not even
    ``!=`` or ``not in``: an account with unknown ARR is in no ARR tier.
    """

    column: str = attrs.field(converter=_condition_column)
    op: Operator = attrs.field()
    value: RuleValue = attrs.field(converter=_to_rule_value)

    @op.validator
    def _check_op(self, attribute: attrs.Attribute[Any], op: object) -> None:
        if op not in OPERATORS:
            msg = f"Condition.op must be one of {list(OPERATORS)}; got {op!r}"
            raise InvalidInputError(msg)

    def __attrs_post_init__(self) -> None:
        is_set = isinstance(self.value, tuple)
        if self.op in ("in", "not in") and not is_set:
            msg = f"Condition {self}: {self.op!r} needs a list of values; got {self.value!r}"
            raise InvalidInputError(msg)
        if self.op not in ("in", "not in") and is_set:
            msg = f"Condition {self}: {self.op!r} needs a single value; got {self.value!r}"
            raise InvalidInputError(msg)

    def __str__(self) -> str:
        name = self.column if re.fullmatch(r"[A-Za-z_][\w.]*", self.column) else f"`{self.column}`"
        return f"{name} {self.op} {_format_value(self.value)}"

    def evaluate(self, accounts: Accounts) -> NDArray[np.bool_]:
        """Return a boolean mask of the accounts that satisfy the condition.

        Raises
        ------
        InvalidInputError
            If the column does not exist, or an ordering operator is applied to a
            text column.
        """
        column = accounts.column(self.column)
        if column.dtype.kind == "f":
            return self._evaluate_numbers(column)
        if np.issubdtype(column.dtype, np.datetime64):
            return self._evaluate_dates(column)
        return self._evaluate_text(column)

    def _evaluate_numbers(self, column: NDArray[np.float64]) -> NDArray[np.bool_]:
        values = self._constants(float, "a number")
        present = ~np.isnan(column)
        return present & self._compare(column, values)

    def _evaluate_dates(self, column: NDArray[np.datetime64]) -> NDArray[np.bool_]:
        def parse(text: object) -> np.datetime64:
            if not isinstance(text, str):
                raise ValueError(text)
            return np.datetime64(dt.date.fromisoformat(text), "D")

        values = self._constants(parse, "an ISO date such as 2024-06-01")
        return ~np.isnat(column) & self._compare(column, values)

    def _evaluate_text(self, column: NDArray[np.object_]) -> NDArray[np.bool_]:
        if self.op in ORDERING_OPERATORS:
            msg = (
                f"segment rule {str(self)!r}: operator {self.op!r} needs a numeric or date "
                f"column, but {self.column!r} holds text; use == or in"
            )
            raise InvalidInputError(msg)
        values = self._constants(_as_text, "text")
        present = np.array([v is not None for v in column.tolist()], dtype=bool)
        return present & self._compare(column, values)

    def _constants(self, parse: Any, expected: str) -> list[Any]:
        raw = list(self.value) if isinstance(self.value, tuple) else [self.value]
        try:
            return [parse(v) for v in raw]
        except (TypeError, ValueError):
            msg = (
                f"segment rule {str(self)!r}: column {self.column!r} needs {expected} "
                f"to compare with; got {self.value!r}"
            )
            raise InvalidInputError(msg) from None

    def _compare(self, column: NDArray[Any], values: list[Any]) -> NDArray[np.bool_]:
        with np.errstate(invalid="ignore"):
            if self.op == "in":
                return np.isin(column, np.array(values, dtype=column.dtype))
            if self.op == "not in":
                return ~np.isin(column, np.array(values, dtype=column.dtype))
            value = values[0]
            result = {
                "==": lambda: column == value,
                "!=": lambda: column != value,
                "<": lambda: column < value,
                "<=": lambda: column <= value,
                ">": lambda: column > value,
                ">=": lambda: column >= value,
            }[self.op]()
        return np.asarray(result, dtype=bool)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this condition."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {"column": self.column, "op": self.op, "value": value}


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _format_value(value: RuleValue) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_format_value(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<name>`[^`]+`|[A-Za-z_][\w.]*)
        |(?P<op>==|!=|<=|>=|<|>)
        |(?P<string>'[^']*'|"[^"]*")
        |(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
        |(?P<punct>[\[\],])
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            msg = f"cannot parse segment rule {text!r} at position {position}: {text[position:]!r}"
            raise InvalidInputError(msg)
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _parse_literal(kind: str, token: str, text: str) -> str | float:
    if kind == "string":
        return token[1:-1]
    if kind == "number":
        return float(token)
    msg = f"segment rule {text!r}: expected a number or a quoted string; got {token!r}"
    raise InvalidInputError(msg)


def _parse_condition(tokens: list[tuple[str, str]], text: str) -> tuple[Condition, int]:
    if len(tokens) < 3 or tokens[0][0] != "name":
        msg = f"segment rule {text!r}: expected '<column> <operator> <value>'"
        raise InvalidInputError(msg)
    column = tokens[0][1].strip("`")
    index = 1
    if tokens[1] == ("name", "not") and len(tokens) > 2 and tokens[2] == ("name", "in"):
        op, index = "not in", 3
    elif tokens[1] == ("name", "in"):
        op, index = "in", 2
    elif tokens[1][0] == "op":
        op, index = tokens[1][1], 2
    else:
        msg = f"segment rule {text!r}: expected an operator after {column!r}; got {tokens[1][1]!r}"
        raise InvalidInputError(msg)
    if op in ("in", "not in"):
        if index >= len(tokens) or tokens[index] != ("punct", "["):
            msg = f"segment rule {text!r}: {op!r} needs a list such as ['a', 'b']"
            raise InvalidInputError(msg)
        values: list[str | float] = []
        index += 1
        expect_value = True
        while index < len(tokens) and tokens[index] != ("punct", "]"):
            kind, token = tokens[index]
            if expect_value:
                values.append(_parse_literal(kind, token, text))
            elif (kind, token) != ("punct", ","):
                msg = f"segment rule {text!r}: list values must be separated by commas"
                raise InvalidInputError(msg)
            expect_value = not expect_value
            index += 1
        if index >= len(tokens):
            msg = f"segment rule {text!r}: missing ']'"
            raise InvalidInputError(msg)
        return Condition(column=column, op=op, value=tuple(values)), index + 1  # type: ignore[arg-type]
    if index >= len(tokens):
        msg = f"segment rule {text!r}: missing value after {op!r}"
        raise InvalidInputError(msg)
    kind, token = tokens[index]
    return Condition(column=column, op=op, value=_parse_literal(kind, token, text)), index + 1  # type: ignore[arg-type]


def _to_conditions(value: object) -> tuple[Condition, ...]:
    if isinstance(value, Condition):
        return (value,)
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = f"Rule.conditions must be a sequence of Condition; got {type(value).__name__}"
        raise InvalidTypeError(msg)
    for item in value:
        if not isinstance(item, Condition):
            msg = f"Rule.conditions must hold Condition objects; got {type(item).__name__}"
            raise InvalidTypeError(msg)
    return tuple(value)


@attrs.frozen(kw_only=True)
class Rule:
    """Account filter of a segment: every one of its conditions must be true.

    An empty rule matches every account. Build one from a string with
    :meth:`parse`.

    Parameters
    ----------
    conditions : sequence of Condition, default ()

    Examples
    --------
    >>> Rule.parse("arr < 15000 and use_case in ['analytics', 'bi']")
    Rule(conditions=(Condition(column='arr', op='<', value=15000.0), \
Condition(column='use_case', op='in', value=('analytics', 'bi'))))
    """

    conditions: tuple[Condition, ...] = attrs.field(default=(), converter=_to_conditions)

    @classmethod
    def parse(cls, text: str) -> Rule:
        """Parse conditions joined by ``and``, such as ``"arr >= 15000 and plan == 'pro'"``.

        Column names with spaces or symbols go between backticks:
        ``"`Tariff Plan` == 2"``. Values are numbers, quoted strings, or lists in
        square brackets for ``in`` and ``not in``.

        Raises
        ------
        InvalidInputError
            If the text is not a conjunction of conditions.
        """
        if not isinstance(text, str):
            msg = f"Rule.parse expects a string; got {type(text).__name__}"
            raise InvalidTypeError(msg)
        tokens = _tokenize(text)
        conditions: list[Condition] = []
        while tokens:
            condition, used = _parse_condition(tokens, text)
            conditions.append(condition)
            tokens = tokens[used:]
            if tokens:
                if tokens[0] != ("name", "and"):
                    msg = f"segment rule {text!r}: expected 'and'; got {tokens[0][1]!r}"
                    raise InvalidInputError(msg)
                tokens = tokens[1:]
                if not tokens:
                    msg = f"segment rule {text!r}: a condition must follow 'and'"
                    raise InvalidInputError(msg)
        return cls(conditions=tuple(conditions))

    def __str__(self) -> str:
        return " and ".join(str(c) for c in self.conditions) or "<all accounts>"

    @property
    def columns(self) -> tuple[str, ...]:
        """Columns the rule reads, in order of first use."""
        return tuple(dict.fromkeys(c.column for c in self.conditions))

    def evaluate(self, accounts: Accounts) -> NDArray[np.bool_]:
        """Return a boolean mask of the accounts the rule matches."""
        mask = np.ones(accounts.n_accounts, dtype=bool)
        for condition in self.conditions:
            mask &= condition.evaluate(accounts)
        return mask

    def to_dict(self) -> list[dict[str, Any]]:
        """Return the JSON form of this rule: a list of conditions."""
        return [c.to_dict() for c in self.conditions]


def _to_rule(value: object) -> Rule:
    if isinstance(value, Rule):
        return value
    if value is None:
        return Rule()
    if isinstance(value, str):
        return Rule.parse(value)
    msg = f"SegmentModel.rule must be a Rule, a rule string or None; got {type(value).__name__}"
    raise InvalidTypeError(msg)


def _to_names(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = f"Bands.names must be a sequence of strings; got {value!r}"
        raise InvalidTypeError(msg)
    return tuple(check_name(v, field=f"Bands.names[{i}]") for i, v in enumerate(value))


def _to_edges(value: object) -> tuple[float, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence | np.ndarray):
        msg = f"Bands.edges must be a sequence of numbers; got {value!r}"
        raise InvalidTypeError(msg)
    return tuple(check_real(v, field=f"Bands.edges[{i}]") for i, v in enumerate(value))


@attrs.frozen(kw_only=True)
class Bands:
    """Health bands over the score range [0, 100], such as red, yellow and green.

    Band ``i`` covers the interval from ``edges[i]`` to ``edges[i + 1]``. With
    ``closed="left"`` (the default) intervals include their lower edge and the last
    band also includes 100: red ``[0, 50)``, yellow ``[50, 75)``, green
    ``[75, 100]``. With ``closed="right"`` they include their upper edge and the
    first band also includes 0: ``[0, 50]``, ``(50, 75]``, ``(75, 100]``. Either way
    every score in [0, 100] falls in exactly one band.

    Parameters
    ----------
    names : sequence of str, default ("red", "yellow", "green")
        Unique band names from the lowest scores to the highest.
    edges : sequence of float, default (0, 50, 75, 100)
        ``len(names) + 1`` strictly increasing edges from 0 to 100.
    closed : {"left", "right"}, default "left"
        Which end of each interval belongs to it.

    Examples
    --------
    >>> bands = Bands()
    >>> [bands.band_of(s) for s in (0, 49.999, 50, 74.91, 75, 100)]
    ['red', 'red', 'yellow', 'yellow', 'green', 'green']
    """

    names: tuple[str, ...] = attrs.field(default=("red", "yellow", "green"), converter=_to_names)
    edges: tuple[float, ...] = attrs.field(default=(0.0, 50.0, 75.0, 100.0), converter=_to_edges)
    closed: Literal["left", "right"] = attrs.field(default="left")

    def __attrs_post_init__(self) -> None:
        if not self.names:
            msg = "Bands needs at least one band name; got names=()"
            raise InvalidInputError(msg)
        if len(set(self.names)) != len(self.names):
            msg = f"Bands.names must be unique; got {self.names!r}"
            raise InvalidInputError(msg)
        if self.closed not in ("left", "right"):
            msg = f"Bands.closed must be 'left' or 'right'; got {self.closed!r}"
            raise InvalidInputError(msg)
        if len(self.edges) != len(self.names) + 1:
            msg = (
                f"Bands needs one more edge than names; got {len(self.names)} names "
                f"{self.names!r} and {len(self.edges)} edges {self.edges!r}"
            )
            raise InvalidInputError(msg)
        if self.edges[0] != 0.0 or self.edges[-1] != 100.0:
            msg = (
                f"Bands must cover [0, 100]: the first edge must be 0 and the last 100; "
                f"got {self.edges!r}"
            )
            raise InvalidInputError(msg)
        for i, (low, high) in enumerate(zip(self.edges, self.edges[1:], strict=False)):
            if not low < high:
                msg = (
                    f"Bands.edges must be strictly increasing; band {self.names[i]!r} "
                    f"would run from {low:g} to {high:g}"
                )
                raise InvalidInputError(msg)

    @classmethod
    def from_intervals(
        cls,
        intervals: Sequence[tuple[str, float, float]],
        *,
        closed: Literal["left", "right"] = "left",
    ) -> Bands:
        """Build bands from ``(name, low, high)`` intervals, rejecting gaps and overlaps.

        Raises
        ------
        InvalidInputError
            Naming the uncovered or doubly covered interval, such as bands typed as
            ``("red", 0, 74.9), ("green", 75, 100)``, which leave (74.9, 75) uncovered.
        """
        ordered = sorted(intervals, key=lambda item: (item[1], item[2]))
        if not ordered:
            msg = "Bands.from_intervals needs at least one interval"
            raise InvalidInputError(msg)
        for name, low, high in ordered:
            if not low < high:
                msg = f"band {name!r} must have low < high; got ({low!r}, {high!r})"
                raise InvalidInputError(msg)
        if ordered[0][1] != 0:
            msg = f"bands must start at 0; the interval [0, {ordered[0][1]:g}) is uncovered"
            raise InvalidInputError(msg)
        if ordered[-1][2] != 100:
            msg = f"bands must end at 100; the interval ({ordered[-1][2]:g}, 100] is uncovered"
            raise InvalidInputError(msg)
        for (name_a, _, high_a), (name_b, low_b, _) in itertools.pairwise(ordered):
            if low_b > high_a:
                msg = (
                    f"bands leave the interval ({high_a:g}, {low_b:g}) uncovered: {name_a!r} "
                    f"ends at {high_a:g} and {name_b!r} starts at {low_b:g}; make one band's "
                    f"edge equal to the next one's and choose the closure with closed="
                )
                raise InvalidInputError(msg)
            if low_b < high_a:
                msg = (
                    f"bands overlap on ({low_b:g}, {high_a:g}): {name_a!r} ends at {high_a:g} "
                    f"and {name_b!r} starts at {low_b:g}"
                )
                raise InvalidInputError(msg)
        edges = [ordered[0][1]] + [high for _, _, high in ordered]
        return cls(names=tuple(name for name, _, _ in ordered), edges=tuple(edges), closed=closed)

    def assign(
        self, scores: NDArray[np.float64], *, ids: Sequence[str] | None = None
    ) -> NDArray[np.intp]:
        """Return the band index of each score.

        Raises
        ------
        BandAssignmentError
            If any score is NaN, infinite or outside [0, 100]; the message names
            the accounts (or positions) and their scores.
        """
        values = np.asarray(scores, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero(~((values >= 0.0) & (values <= 100.0)))
        if bad.size:
            names = [f"{ids[i] if ids is not None else i}={float(values[i])!r}" for i in bad[:5]]
            msg = (
                f"only scores in [0, 100] can be given a band; got {list_some(names)} "
                f"({bad.size} in all). A withheld score has no band."
            )
            raise BandAssignmentError(msg)
        inner = np.asarray(self.edges[1:-1])
        side: Literal["left", "right"] = "right" if self.closed == "left" else "left"
        return np.searchsorted(inner, values, side=side).astype(np.intp)

    def band_of(self, score: float) -> str:
        """Return the name of the band that ``score`` falls in."""
        return self.names[int(self.assign(np.array([score]))[0])]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of these bands."""
        return {"names": list(self.names), "edges": list(self.edges), "closed": self.closed}


def _to_signals(value: object) -> tuple[Signal, ...]:
    if isinstance(value, Signal):
        return (value,)
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = f"SegmentModel.signals must be a sequence of Signal; got {type(value).__name__}"
        raise InvalidTypeError(msg)
    for item in value:
        if not isinstance(item, Signal):
            msg = f"SegmentModel.signals must hold Signal objects; got {type(item).__name__}"
            raise InvalidTypeError(msg)
    return tuple(value)


def _to_weights(value: object) -> Mapping[str, float]:
    if not isinstance(value, Mapping):
        msg = f"SegmentModel.weights must be a mapping of signal name to number; got {value!r}"
        raise InvalidTypeError(msg)
    weights: dict[str, float] = {}
    for name, weight in value.items():
        if isinstance(weight, bool) or not isinstance(
            weight, int | float | np.integer | np.floating
        ):
            msg = (
                f"weight of signal {name!r} must be a number; "
                f"got {type(weight).__name__} {weight!r}"
            )
            raise InvalidTypeError(msg)
        weights[str(name)] = float(weight)
    return MappingProxyType(weights)


@attrs.frozen(kw_only=True)
class SegmentModel:
    """The scoring model of one segment of accounts.

    Parameters
    ----------
    name : str
        Segment name, unique within a scorer.
    signals : sequence of Signal
        The signals this segment scores on; names must be unique.
    weights : mapping of str to float
        A weight for every signal, by signal name. Any non-negative finite numbers
        with a positive sum; they are normalised to sum to 1. A zero weight keeps a
        signal in the model without letting it count.
    rule : Rule, str or None, default None
        Which accounts belong to this segment; None (or an empty rule) matches all.
    bands : Bands, default red [0, 50), yellow [50, 75), green [75, 100]
    min_coverage : float, default 0.5
        Minimum share of weight, in [0, 1], that must come from usable (present and
        fresh) signals for a score to be given. Below it the score is withheld.
    missing_policy : {"renormalize", "zero"}, default "renormalize"
        ``"renormalize"`` drops a missing or stale signal and rescales the other
        weights, so the score is the weighted mean of what is known.
        ``"zero"`` counts a missing signal as a sub-score of 0 instead; choose it only
        when absence really is bad news.
    version : str, default "1"
        Version label reported with every score this model produces.
    description : str, default ""

    Raises
    ------
    InvalidInputError
        For a weight that is negative, non-finite or missing, a weight for an
        unknown signal, weights that sum to 0, duplicate signal names, or a
        ``min_coverage`` outside [0, 1]. Messages name the segment.
    """

    name: str = attrs.field(converter=_segment_name)
    signals: tuple[Signal, ...] = attrs.field(converter=_to_signals)
    weights: Mapping[str, float] = attrs.field(converter=_to_weights)
    rule: Rule = attrs.field(default=None, converter=_to_rule)
    bands: Bands = attrs.field(factory=Bands)
    min_coverage: float = attrs.field(default=0.5, converter=_min_coverage_number)
    missing_policy: Literal["renormalize", "zero"] = attrs.field(default="renormalize")
    version: str = attrs.field(default="1", converter=_version)
    description: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        where = f"segment {self.name!r}"
        if not 0.0 <= self.min_coverage <= 1.0:
            msg = f"{where}: min_coverage must be between 0 and 1; got {self.min_coverage!r}"
            raise InvalidInputError(msg)
        if not isinstance(self.bands, Bands):
            msg = f"{where}: bands must be a Bands object; got {type(self.bands).__name__}"
            raise InvalidTypeError(msg)
        if self.missing_policy not in ("renormalize", "zero"):
            msg = (
                f"{where}: missing_policy must be 'renormalize' or 'zero'; "
                f"got {self.missing_policy!r}"
            )
            raise InvalidInputError(msg)
        if not self.signals:
            msg = f"{where}: a segment model needs at least one signal"
            raise InvalidInputError(msg)
        names = [s.name for s in self.signals]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            msg = f"{where}: signal names must be unique; {duplicated} appear more than once"
            raise InvalidInputError(msg)

        unknown = sorted(set(self.weights) - set(names))
        if unknown:
            msg = f"{where}: weights name unknown signal(s) {unknown}; signals are {names}"
            raise InvalidInputError(msg)
        missing = [n for n in names if n not in self.weights]
        if missing:
            msg = (
                f"{where}: signal(s) {missing} have no weight; give each signal a weight "
                f"(0 keeps it without letting it count)"
            )
            raise InvalidInputError(msg)
        for name, weight in self.weights.items():
            if not math.isfinite(weight):
                msg = f"{where}: weight of signal {name!r} must be finite; got {weight!r}"
                raise InvalidInputError(msg)
            if weight < 0:
                msg = (
                    f"{where}: weight of signal {name!r} must be >= 0; got {weight!r}. "
                    f"For a signal that is healthier when lower, set higher_is_better=False."
                )
                raise InvalidInputError(msg)
        if sum(self.weights.values()) <= 0:
            msg = f"{where}: weights sum to 0; at least one signal needs a positive weight"
            raise InvalidInputError(msg)

    @property
    def signal_names(self) -> tuple[str, ...]:
        """Names of the signals, in model order."""
        return tuple(s.name for s in self.signals)

    @property
    def normalized_weights(self) -> Mapping[str, float]:
        """Weights rescaled to sum to 1, by signal name."""
        # Scale by the largest weight first, so that huge weights cannot sum to inf.
        largest = max(self.weights.values())
        scaled = {n: self.weights[n] / largest for n in self.signal_names}
        total = sum(scaled.values())
        return MappingProxyType({n: scaled[n] / total for n in self.signal_names})

    def content(self) -> dict[str, Any]:
        """Return the JSON form of everything that affects scores.

        That is the rule, signals, normalised weights, bands, minimum coverage and
        missing policy; not the name, version or descriptions.
        """
        signals = []
        for signal in self.signals:
            fields = signal.to_dict()
            fields.pop("description", None)
            signals.append(fields)
        return {
            "rule": self.rule.to_dict(),
            "signals": signals,
            "weights": dict(self.normalized_weights),
            "bands": self.bands.to_dict(),
            "min_coverage": self.min_coverage,
            "missing_policy": self.missing_policy,
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 of :meth:`content` as canonical JSON, in hex.

        Two models that score every account the same way have the same hash,
        whatever their names and versions.
        """
        text = json.dumps(self.content(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of this segment model."""
        out: dict[str, Any] = {"name": self.name, "version": self.version}
        if self.description:
            out["description"] = self.description
        out.update(self.content())
        # The file keeps the weights as given and the signals' descriptions.
        out["signals"] = [s.to_dict() for s in self.signals]
        out["weights"] = {n: self.weights[n] for n in self.signal_names}
        return out
