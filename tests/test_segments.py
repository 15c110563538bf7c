"""Tests of Condition, Rule, Bands and SegmentModel."""

from __future__ import annotations

import datetime as dt
import math
import re

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import healthscore as hs
from healthscore.exceptions import BandAssignmentError, InvalidInputError, InvalidTypeError

NAN = math.nan


@pytest.fixture
def book():
    """Five accounts. A-3 is missing in every column."""
    return hs.Accounts(
        ids=["A-1", "A-2", "A-3", "A-4", "A-5"],
        as_of="2024-06-01",
        signals={"logins_30d": [10, 20, None, 40, 5]},
        attributes={
            "arr": [12000, 15000, None, 60000, 0],
            "plan": ["pro", "basic", None, "2", "pro"],
            "Tariff Plan": [1, 2, None, 2, 1],
            "renewal_date": ["2024-07-01", "2024-12-31", None, "2025-03-01", "2024-06-30"],
        },
    )


# -- Rule.parse ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "op", "value"),
    [
        ("arr < 15000", "arr", "<", 15000.0),
        ("arr<15000", "arr", "<", 15000.0),
        ("arr >= -1.5e3", "arr", ">=", -1500.0),
        ("nps > .5", "nps", ">", 0.5),
        ("nps <= +7", "nps", "<=", 7.0),
        ("plan == 'pro'", "plan", "==", "pro"),
        ('plan != "pro plus"', "plan", "!=", "pro plus"),
        ("plan == ''", "plan", "==", ""),
        ("`Tariff Plan` == 2", "Tariff Plan", "==", 2.0),
        ("crm.segment == 'smb'", "crm.segment", "==", "smb"),
        ("plan in ['pro', 'basic']", "plan", "in", ("pro", "basic")),
        ("plan not in ['trial']", "plan", "not in", ("trial",)),
        ("code in [1, 2.5, 'x']", "code", "in", (1.0, 2.5, "x")),
    ],
    ids=[
        "number",
        "no-spaces",
        "exponent",
        "leading-dot",
        "plus-sign",
        "single-quotes",
        "double-quotes-space",
        "empty-string",
        "backtick-name",
        "dotted-name",
        "in-list",
        "not-in-list",
        "mixed-list",
    ],
)
def test_rule_parse_condition(text, column, op, value):
    rule = hs.Rule.parse(text)

    assert rule.conditions == (hs.Condition(column=column, op=op, value=value),)


def test_rule_parse_and_chain():
    rule = hs.Rule.parse("arr >= 15000 and plan in ['pro', 'basic'] and `Tariff Plan` != 3")

    assert rule.conditions == (
        hs.Condition(column="arr", op=">=", value=15000),
        hs.Condition(column="plan", op="in", value=("pro", "basic")),
        hs.Condition(column="Tariff Plan", op="!=", value=3),
    )
    assert rule.columns == ("arr", "plan", "Tariff Plan")


def test_rule_parse_empty_matches_all(book):
    rule = hs.Rule.parse("")

    assert rule.conditions == ()
    assert rule.evaluate(book).tolist() == [True] * 5


@pytest.mark.parametrize(
    "text",
    [
        "arr < 15000",
        "`Tariff Plan` == 2 and plan in ['pro', 'basic']",
        "plan not in ['trial'] and arr >= 1234567",
        "nps > 0.25",
    ],
    ids=["number", "backtick-and-list", "seven-digit-number", "fraction"],
)
def test_rule_str_round_trip(text):
    rule = hs.Rule.parse(text)

    assert str(rule) == text
    assert hs.Rule.parse(str(rule)) == rule


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arr <", "expected '<column> <operator> <value>'"),
        ("arr", "expected '<column> <operator> <value>'"),
        ("arr < and plan == 'pro'", "expected a number or a quoted string; got 'and'"),
        ("plan == pro", "expected a number or a quoted string; got 'pro'"),
        ("arr = 5", "cannot parse segment rule 'arr = 5' at position 3: ' = 5'"),
        ("arr like 5", "expected an operator after 'arr'; got 'like'"),
        ("plan == 'pro", "cannot parse segment rule .* at position 7"),
        ("arr < 5 and", "a condition must follow 'and'"),
        ("arr < 5 and ", "a condition must follow 'and'"),
        ("arr < 5 or plan == 'pro'", "expected 'and'; got 'or'"),
        ("arr < 5 plan == 'pro'", "expected 'and'; got 'plan'"),
        ("plan in ['pro', 'basic'", "missing '\\]'"),
        ("plan in 'pro'", "'in' needs a list such as \\['a', 'b'\\]"),
        ("plan not in", "'not in' needs a list"),
        ("plan in [['pro']]", "expected a number or a quoted string; got '\\['"),
        ("== 5", "expected '<column> <operator> <value>'"),
    ],
    ids=[
        "missing-value",
        "column-only",
        "and-as-value",
        "unquoted-text",
        "single-equals",
        "unknown-word-operator",
        "unclosed-quote",
        "dangling-and",
        "dangling-and-space",
        "or",
        "missing-and",
        "unclosed-list",
        "in-without-list",
        "not-in-without-list",
        "nested-list",
        "missing-column",
    ],
)
def test_rule_parse_error(text, expected):
    with pytest.raises(InvalidInputError, match=expected) as excinfo:
        hs.Rule.parse(text)

    assert repr(text) in str(excinfo.value)


def test_rule_parse_list_needs_commas():
    with pytest.raises(InvalidInputError, match="plan in \\['pro' 'basic'\\]"):
        hs.Rule.parse("plan in ['pro' 'basic']")


def test_rule_parse_non_text_rejected():
    with pytest.raises(InvalidTypeError, match=r"Rule.parse expects a string; got int"):
        hs.Rule.parse(5)


# -- Condition -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "expected"),
    [
        (
            {"column": "plan", "op": "in", "value": "pro"},
            InvalidInputError,
            "'in' needs a list of values; got 'pro'",
        ),
        (
            {"column": "arr", "op": "<", "value": [1, 2]},
            InvalidInputError,
            r"'<' needs a single value; got \(1\.0, 2\.0\)",
        ),
        (
            {"column": "arr", "op": "=~", "value": 1},
            InvalidInputError,
            r"Condition.op must be one of \['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'\]; "
            r"got '=~'",
        ),
        (
            {"column": "arr", "op": "==", "value": True},
            InvalidTypeError,
            "Condition.value must be a real number; got bool True",
        ),
        (
            {"column": "arr", "op": "==", "value": NAN},
            InvalidInputError,
            "Condition.value must be finite; got nan",
        ),
        (
            {"column": "arr", "op": "in", "value": [1, math.inf]},
            InvalidInputError,
            "Condition.value must be finite; got inf",
        ),
        (
            {"column": " ", "op": "==", "value": 1},
            InvalidInputError,
            "Condition.column must not be blank",
        ),
    ],
    ids=[
        "in-scalar",
        "less-list",
        "unknown-op",
        "bool-value",
        "nan-value",
        "inf-in-list",
        "blank-column",
    ],
)
def test_condition_rejected(kwargs, error, expected):
    with pytest.raises(error, match=expected):
        hs.Condition(**kwargs)


def test_condition_date_value_stored_as_iso():
    condition = hs.Condition(column="renewal_date", op="<", value=dt.date(2024, 7, 1))

    assert condition.value == "2024-07-01"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arr < 15000", [True, False, False, False, True]),
        ("arr >= 15000", [False, True, False, True, False]),
        ("arr == 0", [False, False, False, False, True]),
        ("arr != 12000", [False, True, False, True, True]),
        ("arr in [0, 60000]", [False, False, False, True, True]),
        ("arr not in [0, 60000]", [True, True, False, False, False]),
        ("logins_30d > 15", [False, True, False, True, False]),
        ("logins_30d <= 10", [True, False, False, False, True]),
        ("`Tariff Plan` == 2", [False, True, False, True, False]),
        ("plan == 'pro'", [True, False, False, False, True]),
        ("plan != 'pro'", [False, True, False, True, False]),
        ("plan in ['basic', '2']", [False, True, False, True, False]),
        ("plan not in ['pro']", [False, True, False, True, False]),
        ("plan == 2", [False, False, False, True, False]),
        ("plan in [2, 'basic']", [False, True, False, True, False]),
        ("renewal_date < '2024-12-31'", [True, False, False, False, True]),
        ("renewal_date <= '2024-12-31'", [True, True, False, False, True]),
        ("renewal_date > '2024-06-30'", [True, True, False, True, False]),
        ("renewal_date == '2025-03-01'", [False, False, False, True, False]),
        ("renewal_date != '2024-07-01'", [False, True, False, True, True]),
        ("renewal_date in ['2024-07-01', '2025-03-01']", [True, False, False, True, False]),
        ("renewal_date not in ['2024-07-01']", [False, True, False, True, True]),
        ("arr < 15000 and plan == 'pro'", [True, False, False, False, True]),
        (
            "arr >= 0 and plan != 'pro' and renewal_date > '2024-12-01'",
            [False, True, False, True, False],
        ),
    ],
    ids=[
        "number-less",
        "number-at-least",
        "number-equal",
        "number-not-equal",
        "number-in",
        "number-not-in",
        "signal-greater",
        "signal-at-most",
        "backtick-column",
        "text-equal",
        "text-not-equal",
        "text-in",
        "text-not-in",
        "number-on-text",
        "mixed-list-on-text",
        "date-less",
        "date-at-most",
        "date-greater",
        "date-equal",
        "date-not-equal",
        "date-in",
        "date-not-in",
        "two-conditions",
        "three-conditions",
    ],
)
def test_rule_evaluate(book, text, expected):
    mask = hs.Rule.parse(text).evaluate(book)

    assert mask.dtype == np.bool_
    assert mask.tolist() == expected


@pytest.mark.parametrize(
    "text",
    [
        "arr != 1",
        "arr not in [1]",
        "plan != 'x'",
        "plan not in ['x']",
        "renewal_date != '2000-01-01'",
        "renewal_date not in ['2000-01-01']",
        "logins_30d >= -1e9",
    ],
    ids=[
        "number-not-equal",
        "number-not-in",
        "text-not-equal",
        "text-not-in",
        "date-not-equal",
        "date-not-in",
        "signal-wide-range",
    ],
)
def test_missing_value_never_matches(book, text):
    # A-3 (index 2) is missing in every column. Every other account matches.
    assert hs.Rule.parse(text).evaluate(book).tolist() == [True, True, False, True, True]


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="], ids=["lt", "le", "gt", "ge"])
def test_ordering_on_text_rejected(book, op):
    condition = hs.Condition(column="plan", op=op, value="pro")

    with pytest.raises(InvalidInputError, match=f"operator '{op}' needs a numeric or date column"):
        condition.evaluate(book)


def test_ordering_on_text_message(book):
    with pytest.raises(InvalidInputError, match="'plan' holds text; use == or in"):
        hs.Rule.parse("plan < 'pro'").evaluate(book)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arr == 'big'", "column 'arr' needs a number to compare with; got 'big'"),
        ("arr in [1, 'big']", r"column 'arr' needs a number to compare with; got \(1\.0, 'big'\)"),
        ("renewal_date < 2024", "column 'renewal_date' needs an ISO date such as 2024-06-01"),
        ("renewal_date < '2024-13-01'", "needs an ISO date.*got '2024-13-01'"),
    ],
    ids=["text-on-number", "text-in-number-list", "number-on-date", "invalid-date"],
)
def test_constant_type_mismatch(book, text, expected):
    with pytest.raises(InvalidInputError, match=expected):
        hs.Rule.parse(text).evaluate(book)


def test_unknown_column_lists_columns(book):
    with pytest.raises(InvalidInputError, match="unknown column 'seats'") as excinfo:
        hs.Rule.parse("seats > 5").evaluate(book)

    assert "['Tariff Plan', 'arr', 'logins_30d', 'plan', 'renewal_date']" in str(excinfo.value)


# -- Bands ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, "red"),
        (49.999, "red"),
        (50.0, "yellow"),
        (74.91, "yellow"),
        (74.999, "yellow"),
        (75.0, "green"),
        (100.0, "green"),
    ],
    ids=["zero", "below-50", "50", "74.91", "below-75", "75", "100"],
)
def test_bands_default_left_closed(score, band):
    assert hs.Bands().band_of(score) == band


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (0.0, "red"),
        (50.0, "red"),
        (50.001, "yellow"),
        (75.0, "yellow"),
        (75.001, "green"),
        (100.0, "green"),
    ],
    ids=["zero", "50", "above-50", "75", "above-75", "100"],
)
def test_bands_right_closed(score, band):
    assert hs.Bands(closed="right").band_of(score) == band


def test_bands_assign_indices():
    indices = hs.Bands().assign(np.array([0.0, 50.0, 75.0, 100.0, 49.9]))

    assert indices.dtype == np.intp
    assert indices.tolist() == [0, 1, 2, 2, 0]


def test_bands_custom():
    bands = hs.Bands(names=["at-risk", "healthy"], edges=[0, 60, 100])

    assert bands.band_of(59.99) == "at-risk"
    assert bands.band_of(60) == "healthy"


@pytest.mark.parametrize(
    "score",
    [-0.1, 100.1, NAN, math.inf, -math.inf],
    ids=["below-0", "above-100", "nan", "inf", "minus-inf"],
)
def test_bands_assign_rejects_score(score):
    with pytest.raises(BandAssignmentError, match="only scores in \\[0, 100\\]") as excinfo:
        hs.Bands().assign(np.array([50.0, score]), ids=["A-1", "A-2"])

    message = str(excinfo.value)
    assert f"A-2={score!r}" in message
    assert "(1 in all)" in message
    assert "A-1" not in message


def test_bands_assign_rejects_many():
    scores = np.array([NAN] * 7)
    ids = [f"A-{i}" for i in range(7)]

    with pytest.raises(BandAssignmentError, match="\\(7 in all\\)") as excinfo:
        hs.Bands().assign(scores, ids=ids)

    message = str(excinfo.value)
    assert "A-4=nan" in message
    assert "A-5" not in message


def test_band_of_rejects_nan():
    with pytest.raises(BandAssignmentError, match="0=nan"):
        hs.Bands().band_of(NAN)


def test_from_intervals_unordered():
    bands = hs.Bands.from_intervals(
        [("green", 75, 100), ("red", 0, 50), ("yellow", 50, 75)], closed="right"
    )

    assert bands.names == ("red", "yellow", "green")
    assert bands.edges == (0.0, 50.0, 75.0, 100.0)
    assert bands.closed == "right"


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        (
            [("red", 0, 74.9), ("green", 75, 100)],
            r"leave the interval \(74\.9, 75\) uncovered: 'red' ends at 74\.9 and 'green' starts "
            r"at 75",
        ),
        (
            [("red", 0, 60), ("green", 50, 100)],
            r"overlap on \(50, 60\): 'red' ends at 60 and 'green' starts at 50",
        ),
        ([("red", 10, 100)], r"must start at 0; the interval \[0, 10\) is uncovered"),
        ([("red", 0, 90)], r"must end at 100; the interval \(90, 100\] is uncovered"),
        (
            [("red", 0, 50), ("yellow", 50, 50), ("green", 50, 100)],
            r"band 'yellow' must have low < high; got \(50, 50\)",
        ),
        ([], "needs at least one interval"),
        ([("red", 0, 50), ("red", 50, 100)], "Bands.names must be unique"),
    ],
    ids=[
        "gap",
        "overlap",
        "late-start",
        "early-end",
        "empty-band",
        "no-intervals",
        "repeated-name",
    ],
)
def test_from_intervals_rejected(intervals, expected):
    with pytest.raises(InvalidInputError, match=expected):
        hs.Bands.from_intervals(intervals)


@pytest.mark.parametrize(
    ("kwargs", "error", "expected"),
    [
        (
            {"edges": (0, 75, 50, 100)},
            InvalidInputError,
            "strictly increasing; band 'yellow' would run from 75 to 50",
        ),
        (
            {"edges": (0, 50, 50, 100)},
            InvalidInputError,
            "strictly increasing; band 'yellow' would run from 50 to 50",
        ),
        ({"edges": (0, 50, 100)}, InvalidInputError, "one more edge than names; got 3 names"),
        (
            {"edges": (5, 50, 75, 100)},
            InvalidInputError,
            r"must cover \[0, 100\]: the first edge must be 0",
        ),
        ({"edges": (0, 50, 75, 99)}, InvalidInputError, r"must cover \[0, 100\]"),
        (
            {"names": ("red", "red", "green")},
            InvalidInputError,
            r"Bands.names must be unique; got \('red', 'red', 'green'\)",
        ),
        ({"names": (), "edges": (0,)}, InvalidInputError, "at least one band name"),
        (
            {"names": ("red", " ", "green")},
            InvalidInputError,
            r"Bands.names\[1\] must not be blank",
        ),
        ({"names": "red"}, InvalidTypeError, "Bands.names must be a sequence of strings"),
        ({"edges": (0, NAN, 75, 100)}, InvalidInputError, r"Bands.edges\[1\] must be finite"),
        (
            {"closed": "both"},
            InvalidInputError,
            "Bands.closed must be 'left' or 'right'; got 'both'",
        ),
    ],
    ids=[
        "decreasing-edges",
        "repeated-edge",
        "edge-count",
        "start-not-0",
        "end-not-100",
        "repeated-name",
        "no-names",
        "blank-name",
        "names-as-text",
        "nan-edge",
        "bad-closed",
    ],
)
def test_bands_rejected(kwargs, error, expected):
    with pytest.raises(error, match=expected):
        hs.Bands(**kwargs)


@st.composite
def bands_and_score(draw):
    inner = sorted(
        draw(
            st.sets(
                st.floats(min_value=0, max_value=100, exclude_min=True, exclude_max=True),
                max_size=5,
            )
        )
    )
    edges = (0.0, *inner, 100.0)
    closed = draw(st.sampled_from(["left", "right"]))
    bands = hs.Bands(names=[f"band{i}" for i in range(len(edges) - 1)], edges=edges, closed=closed)
    score = draw(st.one_of(st.floats(min_value=0, max_value=100), st.sampled_from(edges)))
    return bands, score


def contains(bands, index, score):
    """Apply the closure rule in the Bands docstring to band ``index``."""
    low, high = bands.edges[index], bands.edges[index + 1]
    last = len(bands.names) - 1
    if bands.closed == "left":
        return low <= score < high or (index == last and score == high)
    return low < score <= high or (index == 0 and score == low)


@settings(max_examples=500, deadline=None)
@given(bands_and_score())
def test_bands_every_score_in_one_band(case):
    bands, score = case

    containing = [i for i in range(len(bands.names)) if contains(bands, i, score)]
    assigned = int(bands.assign(np.array([score]))[0])

    assert len(containing) == 1
    assert assigned == containing[0]


# -- SegmentModel --------------------------------------------------------------------------


SIGNALS = (
    hs.Signal(name="logins", normaliser=hs.LinearRange(low=0, high=40), column="logins_30d"),
    hs.Signal(name="nps", normaliser=hs.LinearRange(low=-100, high=100)),
    hs.Signal(name="tickets", normaliser=hs.LogScale(low=0, high=50), higher_is_better=False),
)
WEIGHTS = {"logins": 40, "nps": 20, "tickets": 40}


def make_model(**changes):
    options = {"name": "smb", "signals": SIGNALS, "weights": WEIGHTS, "rule": "arr < 15000"}
    options.update(changes)
    return hs.SegmentModel(**options)


def test_segment_weights_normalised():
    model = make_model()

    normalized = model.normalized_weights

    assert list(normalized) == ["logins", "nps", "tickets"]
    assert normalized["logins"] == pytest.approx(0.4)
    assert normalized["nps"] == pytest.approx(0.2)
    assert normalized["tickets"] == pytest.approx(0.4)
    assert dict(model.weights) == {"logins": 40.0, "nps": 20.0, "tickets": 40.0}


def test_segment_zero_weight_kept():
    model = make_model(weights={"logins": 1, "nps": 0, "tickets": 3})

    assert model.normalized_weights["nps"] == 0.0
    assert model.normalized_weights["tickets"] == pytest.approx(0.75)


def test_segment_huge_weights_normalised():
    # Each weight is finite, but their float sum overflows to inf.
    model = make_model(weights={"logins": 1e308, "nps": 0, "tickets": 1e308})

    assert model.normalized_weights["logins"] == pytest.approx(0.5)
    assert model.normalized_weights["tickets"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (
            {"logins": 40, "nps": -1, "tickets": 40},
            "segment 'smb': weight of signal 'nps' must be >= 0; got -1.0.*higher_is_better=False",
        ),
        (
            {"logins": 40, "nps": NAN, "tickets": 40},
            "segment 'smb': weight of signal 'nps' must be finite; got nan",
        ),
        (
            {"logins": math.inf, "nps": 20, "tickets": 40},
            "segment 'smb': weight of signal 'logins' must be finite; got inf",
        ),
        (
            {"logins": 0, "nps": 0, "tickets": 0},
            "segment 'smb': weights sum to 0; at least one signal needs a positive weight",
        ),
        ({"logins": 40, "nps": 20}, r"segment 'smb': signal\(s\) \['tickets'\] have no weight"),
        (
            {"logins": 40, "nps": 20, "tickets": 40, "seats": 1},
            r"segment 'smb': weights name unknown signal\(s\) \['seats'\]; "
            r"signals are \['logins', 'nps', 'tickets'\]",
        ),
    ],
    ids=["negative", "nan", "inf", "all-zero", "missing", "unknown-signal"],
)
def test_segment_weights_rejected(weights, expected):
    with pytest.raises(InvalidInputError, match=expected):
        make_model(weights=weights)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        (
            {"logins": True, "nps": 20, "tickets": 40},
            "weight of signal 'logins' must be a number; got bool True",
        ),
        (
            {"logins": "40", "nps": 20, "tickets": 40},
            "weight of signal 'logins' must be a number; got str '40'",
        ),
        ([40, 20, 40], "weights must be a mapping of signal name to number"),
    ],
    ids=["bool", "text", "list"],
)
def test_segment_weights_type_rejected(weights, expected):
    with pytest.raises(InvalidTypeError, match=expected):
        make_model(weights=weights)


def test_segment_duplicate_signal_names():
    signals = (*SIGNALS, hs.Signal(name="nps", normaliser=hs.LinearRange(low=0, high=10)))

    with pytest.raises(
        InvalidInputError,
        match=r"segment 'smb': signal names must be unique; "
        r"\['nps'\] appear more than once",
    ):
        make_model(signals=signals)


def test_segment_no_signals():
    with pytest.raises(InvalidInputError, match=r"segment 'smb': .*needs at least one signal"):
        make_model(signals=(), weights={})


@pytest.mark.parametrize(
    ("value", "error", "expected"),
    [
        (1.5, InvalidInputError, "segment 'smb': min_coverage must be between 0 and 1; got 1.5"),
        (-0.1, InvalidInputError, "segment 'smb': min_coverage must be between 0 and 1; got -0.1"),
        (NAN, InvalidInputError, "SegmentModel.min_coverage must be finite; got nan"),
        (True, InvalidTypeError, "SegmentModel.min_coverage must be a real number; got bool"),
        ("0.5", InvalidTypeError, "SegmentModel.min_coverage must be a real number; got str"),
    ],
    ids=["above-1", "below-0", "nan", "bool", "text"],
)
def test_segment_min_coverage_rejected(value, error, expected):
    with pytest.raises(error, match=expected):
        make_model(min_coverage=value)


def test_segment_min_coverage_error_names_segment():
    # The SegmentModel docstring promises that its InvalidInputError messages name the segment.
    with pytest.raises(InvalidInputError, match="'smb'"):
        make_model(min_coverage=1.5)


@pytest.mark.parametrize("value", [0, 1, 0.25], ids=["zero", "one", "quarter"])
def test_segment_min_coverage_accepted(value):
    assert make_model(min_coverage=value).min_coverage == value


def test_segment_missing_policy_rejected():
    with pytest.raises(
        InvalidInputError,
        match="segment 'smb': missing_policy must be 'renormalize' or 'zero'; got 'drop'",
    ):
        make_model(missing_policy="drop")


@pytest.mark.parametrize(
    ("changes", "error", "expected"),
    [
        ({"name": " "}, InvalidInputError, "SegmentModel.name must not be blank"),
        ({"version": ""}, InvalidInputError, "SegmentModel.version must not be blank"),
        ({"bands": "default"}, InvalidTypeError, "segment 'smb': bands must be a Bands object"),
        ({"rule": 15000}, InvalidTypeError, "SegmentModel.rule must be a Rule, a rule string"),
        ({"rule": "arr <"}, InvalidInputError, "segment rule 'arr <'"),
        ({"signals": "logins"}, InvalidTypeError, "SegmentModel.signals must be a sequence"),
    ],
    ids=[
        "blank-name",
        "blank-version",
        "bands-text",
        "rule-number",
        "rule-invalid",
        "signals-text",
    ],
)
def test_segment_field_rejected(changes, error, expected):
    with pytest.raises(error, match=expected):
        make_model(**changes)


def test_segment_rule_string_parsed(book):
    model = make_model(rule="arr < 15000 and plan == 'pro'")

    assert isinstance(model.rule, hs.Rule)
    assert model.rule == hs.Rule.parse("arr < 15000 and plan == 'pro'")
    assert model.rule.evaluate(book).tolist() == [True, False, False, False, True]


def test_segment_rule_none_matches_all(book):
    model = make_model(rule=None)

    assert model.rule == hs.Rule()
    assert model.rule.evaluate(book).tolist() == [True] * 5


def test_content_hash_format():
    assert re.fullmatch("[0-9a-f]{64}", make_model().content_hash)


def test_content_hash_equal_models():
    assert make_model().content_hash == make_model().content_hash


@pytest.mark.parametrize(
    "changes",
    [{"name": "enterprise"}, {"version": "7"}, {"description": "Accounts under 15k ARR"}],
    ids=["name", "version", "description"],
)
def test_content_hash_ignores_labels(changes):
    assert make_model(**changes).content_hash == make_model().content_hash


def test_content_hash_ignores_weight_scale():
    # 2/1/2 normalises to the same 0.4/0.2/0.4 as 40/20/40, so every score is the same.
    scaled = make_model(weights={"logins": 2, "nps": 1, "tickets": 2})

    assert scaled.content_hash == make_model().content_hash


def test_content_hash_ignores_signal_description():
    described = (attrs.evolve(SIGNALS[0], description="Logins in the last 30 days"), *SIGNALS[1:])

    assert make_model(signals=described).content_hash == make_model().content_hash


@pytest.mark.parametrize(
    "changes",
    [
        {"weights": {"logins": 40, "nps": 30, "tickets": 40}},
        {"rule": "arr < 20000"},
        {"bands": hs.Bands(closed="right")},
        {"min_coverage": 0.6},
        {"missing_policy": "zero"},
        {"signals": (attrs.evolve(SIGNALS[0], higher_is_better=False), *SIGNALS[1:])},
        {
            "signals": (
                attrs.evolve(SIGNALS[0], normaliser=hs.LinearRange(low=0, high=50)),
                *SIGNALS[1:],
            )
        },
        {"signals": (attrs.evolve(SIGNALS[0], max_age=30), *SIGNALS[1:])},
        {"signals": (attrs.evolve(SIGNALS[0], column="logins_7d"), *SIGNALS[1:])},
    ],
    ids=[
        "weight",
        "rule",
        "bands",
        "min-coverage",
        "missing-policy",
        "direction",
        "normaliser",
        "max-age",
        "column",
    ],
)
def test_content_hash_changes(changes):
    assert make_model(**changes).content_hash != make_model().content_hash
