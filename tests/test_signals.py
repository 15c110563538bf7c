"""Tests of the normalisers (LinearRange, LogScale, ThresholdBands, PercentileRank) and Signal."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import percentileofscore

import healthscore as hs
from healthscore.exceptions import InvalidInputError, InvalidTypeError

NAN = math.nan


def subscores(normaliser, values, *, higher_is_better=True):
    return normaliser.subscores(
        np.array(values, dtype=np.float64), higher_is_better=higher_is_better
    )


def assert_scores(actual, expected):
    """Compare element by element. NaN must stay NaN."""
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        if math.isnan(want):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want, abs=1e-9)


# -- LinearRange ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "higher", "lower"),
    [
        (0.0, 0.0, 100.0),
        (10.0, 25.0, 75.0),
        (20.0, 50.0, 50.0),
        (30.0, 75.0, 25.0),
        (40.0, 100.0, 0.0),
        (60.0, 100.0, 0.0),
        (-5.0, 0.0, 100.0),
        (NAN, NAN, NAN),
    ],
    ids=["low", "quarter", "middle", "three-quarters", "high", "above-high", "below-low", "nan"],
)
def test_linear_range_table(value, higher, lower):
    normaliser = hs.LinearRange(low=0, high=40)

    assert_scores(subscores(normaliser, [value]), [higher])
    assert_scores(subscores(normaliser, [value], higher_is_better=False), [lower])


def test_linear_range_negative_bounds():
    normaliser = hs.LinearRange(low=-100, high=100)

    assert_scores(subscores(normaliser, [-100, -50, 0, 40, 100]), [0, 25, 50, 70, 100])


def test_linear_range_keeps_input():
    values = np.array([10.0, 60.0])

    subscores_out = hs.LinearRange(low=0, high=40).subscores(values, higher_is_better=False)

    assert values.tolist() == [10.0, 60.0]
    assert subscores_out.tolist() == [75.0, 0.0]


@pytest.mark.parametrize(
    ("low", "high"),
    [(-1e308, 1e308), (0.0, 5e-324)],
    ids=["width-overflows", "subnormal-width"],
)
def test_linear_range_extreme_bounds_rejected(low, high):
    # A width that overflows, or whose reciprocal overflows, cannot give finite sub-scores.
    with pytest.raises(InvalidInputError, match="LinearRange width high - low must be a finite"):
        hs.LinearRange(low=low, high=high)


def test_linear_range_to_dict():
    assert hs.LinearRange(low=0, high=40).to_dict() == {"kind": "linear", "low": 0.0, "high": 40.0}


# -- LogScale ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, 0.0),
        (1000.0, 100.0),
        (10.0, 100 * math.log1p(10) / math.log1p(1000)),
        (-3.0, 0.0),
        (5000.0, 100.0),
        (NAN, NAN),
    ],
    ids=["low", "high", "ten", "negative", "above-high", "nan"],
)
def test_log_scale_table(value, expected):
    assert_scores(subscores(hs.LogScale(low=0, high=1000), [value]), [expected])


def test_log_scale_ten_value():
    # 100 * log(11) / log(1001), worked out to two decimals.
    assert subscores(hs.LogScale(low=0, high=1000), [10.0])[0] == pytest.approx(34.71, abs=0.005)


def test_log_scale_flipped():
    result = subscores(hs.LogScale(low=0, high=1000), [0.0, 10.0, 1000.0], higher_is_better=False)

    assert_scores(result, [100.0, 100 - 100 * math.log1p(10) / math.log1p(1000), 0.0])


def test_log_scale_positive_low():
    # log1p(9) = log(10) and log1p(99) = log(100), so log(1 + x) = log(sqrt(1000)) is halfway.
    normaliser = hs.LogScale(low=9, high=99)
    halfway = math.sqrt(1000) - 1

    assert_scores(subscores(normaliser, [0.0, 9.0, halfway, 99.0]), [0.0, 0.0, 50.0, 100.0])


# -- ThresholdBands ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (-math.inf, 0.0),
        (0.0, 0.0),
        (0.99, 0.0),
        (1.0, 50.0),
        (4.99, 50.0),
        (5.0, 100.0),
        (1e9, 100.0),
        (NAN, NAN),
    ],
    ids=[
        "minus-inf",
        "zero",
        "below-first-edge",
        "first-edge",
        "below-second-edge",
        "second-edge",
        "far-above",
        "nan",
    ],
)
def test_threshold_bands_table(value, expected):
    normaliser = hs.ThresholdBands(edges=(1, 5), scores=(0, 50, 100))

    assert_scores(subscores(normaliser, [value]), [expected])


def test_threshold_bands_scores_not_flipped():
    # The scores are points already, so higher_is_better=False does not invert them.
    normaliser = hs.ThresholdBands(edges=(1, 5), scores=(100, 50, 0))

    result = subscores(normaliser, [0.5, 3.0, 7.0], higher_is_better=False)

    assert_scores(result, [100.0, 50.0, 0.0])


def test_threshold_bands_direction_rising_scores():
    normaliser = hs.ThresholdBands(edges=(1, 5), scores=(0, 50, 100))

    normaliser.check_direction(True, field="Signal 'tickets'")
    with pytest.raises(InvalidInputError, match="must be non-increasing") as excinfo:
        normaliser.check_direction(False, field="Signal 'tickets'")

    message = str(excinfo.value)
    assert "Signal 'tickets'" in message
    assert "higher_is_better=False" in message
    assert "(0.0, 50.0, 100.0)" in message


def test_threshold_bands_direction_falling_scores():
    normaliser = hs.ThresholdBands(edges=(1, 5), scores=(100, 50, 0))

    normaliser.check_direction(False, field="Signal 'tickets'")
    with pytest.raises(InvalidInputError, match=r"higher_is_better=True.*non-decreasing"):
        normaliser.check_direction(True, field="Signal 'tickets'")


def test_threshold_bands_direction_flat_scores():
    normaliser = hs.ThresholdBands(edges=(1, 5), scores=(50, 50, 50))

    normaliser.check_direction(True, field="Signal 'tickets'")
    normaliser.check_direction(False, field="Signal 'tickets'")


def test_threshold_bands_direction_mixed_scores():
    normaliser = hs.ThresholdBands(edges=(1, 5), scores=(0, 100, 50))

    with pytest.raises(InvalidInputError, match="non-decreasing"):
        normaliser.check_direction(True, field="Signal 'tickets'")
    with pytest.raises(InvalidInputError, match="non-increasing"):
        normaliser.check_direction(False, field="Signal 'tickets'")


def test_signal_checks_band_direction():
    bands = hs.ThresholdBands(edges=(1, 5), scores=(100, 50, 0))

    with pytest.raises(InvalidInputError, match=r"Signal 'open_tickets'.*non-decreasing"):
        hs.Signal(name="open_tickets", normaliser=bands)

    signal = hs.Signal(name="open_tickets", normaliser=bands, higher_is_better=False)
    assert signal.subscores(np.array([0.0, 6.0])).tolist() == [100.0, 0.0]


# -- PercentileRank ------------------------------------------------------------------------


@pytest.fixture
def uniform_rank():
    """PercentileRank fitted on the integers 0 to 100, so quantile i is (about) the value i."""
    return hs.PercentileRank().fit(np.arange(101, dtype=np.float64))


def test_percentile_rank_fit_stores_quantiles(uniform_rank):
    # np.quantile interpolates, so a quantile may be off by an ulp or so.
    assert uniform_rank.quantiles == pytest.approx(range(101), abs=1e-12)
    assert uniform_rank.n_reference == 101
    assert not uniform_rank.needs_fit


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (50.0, 50.0),
        (50.5, 50.5),
        (0.0, 0.0),
        (100.0, 100.0),
        (-1.0, 0.0),
        (101.0, 100.0),
        (NAN, NAN),
    ],
    ids=["middle", "between-quantiles", "min", "max", "below-min", "above-max", "nan"],
)
def test_percentile_rank_uniform(uniform_rank, value, expected):
    assert_scores(subscores(uniform_rank, [value]), [expected])


def test_percentile_rank_flipped(uniform_rank):
    result = subscores(uniform_rank, [25.0, -1.0, 101.0], higher_is_better=False)

    assert_scores(result, [75.0, 100.0, 0.0])


def test_percentile_rank_fit_ignores_nan():
    fitted = hs.PercentileRank(n_quantiles=3).fit(np.array([NAN, 4.0, 0.0, NAN, 2.0]))

    assert fitted.quantiles == (0.0, 2.0, 4.0)
    assert fitted.n_reference == 3


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, 30.0),
        (1.5, 70.0),
        (2.0, 80.0),
        (2.5, 90.0),
        (3.0, 100.0),
        (0.5, 0.0),
        (4.0, 100.0),
    ],
    ids=["tied-min", "between", "two", "between-two-three", "max", "below", "above"],
)
def test_percentile_rank_ties(value, expected):
    # In the sorted reference [1, 1, 1, 1, 2, 3], the linear quantile at level p sits at
    # position 5p, so levels 0.00 to 0.60 (quantiles 0 to 60) all equal 1. The value 1 gets the
    # middle of that jump, 0.30. Position 3.5 (level 0.70) is 1.5, position 4 (level 0.80) is 2
    # and position 4.5 (level 0.90) is 2.5.
    fitted = hs.PercentileRank().fit(np.array([1.0, 1.0, 1.0, 1.0, 2.0, 3.0]))

    assert_scores(subscores(fitted, [value]), [expected])


def test_percentile_rank_tie_run():
    fitted = hs.PercentileRank().fit(np.array([1.0, 1.0, 1.0, 1.0, 2.0, 3.0]))

    assert fitted.quantiles[:61] == (1.0,) * 61
    assert fitted.quantiles[61] > 1.0


@pytest.mark.parametrize(
    "value", [7.0, 0.0, 1e6, -1e6], ids=["reference-value", "below", "far-above", "far-below"]
)
def test_percentile_rank_constant_reference(value):
    fitted = hs.PercentileRank().fit(np.array([7.0, 7.0, NAN, 7.0]))

    assert fitted.is_constant
    assert subscores(fitted, [value])[0] == 50.0
    assert subscores(fitted, [value], higher_is_better=False)[0] == 50.0


def test_percentile_rank_constant_keeps_nan():
    fitted = hs.PercentileRank().fit(np.array([7.0, 7.0]))

    assert math.isnan(subscores(fitted, [NAN])[0])


def test_percentile_rank_empty_reference():
    fitted = hs.PercentileRank().fit(np.array([NAN, NAN]))

    result = subscores(fitted, [0.0, 7.0, NAN])

    assert fitted.quantiles == ()
    assert fitted.n_reference == 0
    assert not fitted.needs_fit
    assert np.isnan(result).all()


def test_percentile_rank_unfitted_rejected():
    unfitted = hs.PercentileRank()

    assert unfitted.needs_fit
    with pytest.raises(InvalidInputError, match=r"no reference yet.*fit_references"):
        subscores(unfitted, [1.0])


def test_percentile_rank_fewer_quantiles():
    fitted = hs.PercentileRank(n_quantiles=11).fit(np.arange(101, dtype=np.float64))

    assert fitted.quantiles == pytest.approx(range(0, 101, 10), abs=1e-12)
    assert_scores(subscores(fitted, [55.0, 10.0, 99.0]), [55.0, 10.0, 99.0])


def test_percentile_rank_matches_scipy():
    # scipy.stats.percentileofscore(kind="mean") is an independent reference: the mean of the
    # strict and weak empirical CDFs. Checked against scipy 1.17.1. A 101-quantile summary of
    # a continuous sample should stay within about one point of it.
    rng = np.random.default_rng(20240601)
    reference = rng.lognormal(mean=3.0, sigma=0.8, size=20_000)
    fitted = hs.PercentileRank().fit(reference)
    probes = np.concatenate([rng.choice(reference, 200), rng.uniform(0, 200, 200)])

    ours = subscores(fitted, probes)
    theirs = np.array([percentileofscore(reference, p, kind="mean") for p in probes])

    assert np.max(np.abs(ours - theirs)) < 1.0


def test_percentile_rank_given_quantiles():
    normaliser = hs.PercentileRank(n_quantiles=3, quantiles=[0, 10, 20], n_reference=3)

    assert normaliser.quantiles == (0.0, 10.0, 20.0)
    assert_scores(subscores(normaliser, [5.0, 15.0]), [25.0, 75.0])


def test_percentile_rank_fit_extreme_values():
    # The median of [-1e308, 1e308] is 0, but np.quantile interpolates as a + (b - a) * t,
    # and b - a overflows float64, so the fit rejects the values instead of storing NaN.
    with pytest.raises(InvalidInputError, match="span more than the float64 range"):
        hs.PercentileRank(n_quantiles=3).fit(np.array([-1e308, 1e308]))


# -- configuration checks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "expected"),
    [
        (
            lambda: hs.LinearRange(low=10, high=10),
            InvalidInputError,
            r"LinearRange needs low < high; got low=10\.0, high=10\.0",
        ),
        (
            lambda: hs.LinearRange(low=10, high=5),
            InvalidInputError,
            r"LinearRange needs low < high; got low=10\.0, high=5\.0",
        ),
        (
            lambda: hs.LinearRange(low=NAN, high=5),
            InvalidInputError,
            "LinearRange.low must be finite; got nan",
        ),
        (
            lambda: hs.LinearRange(low=0, high=math.inf),
            InvalidInputError,
            "LinearRange.high must be finite; got inf",
        ),
        (
            lambda: hs.LinearRange(low=True, high=5),
            InvalidTypeError,
            "LinearRange.low must be a real number; got bool True",
        ),
        (
            lambda: hs.LinearRange(low=0, high="40"),
            InvalidTypeError,
            "LinearRange.high must be a real number; got str '40'",
        ),
        (
            lambda: hs.LogScale(low=-1, high=10),
            InvalidInputError,
            r"LogScale needs 0 <= low < high; got low=-1\.0, high=10\.0",
        ),
        (
            lambda: hs.LogScale(low=5, high=5),
            InvalidInputError,
            r"LogScale needs 0 <= low < high; got low=5\.0, high=5\.0",
        ),
        (
            lambda: hs.LogScale(low=0, high=NAN),
            InvalidInputError,
            "LogScale.high must be finite; got nan",
        ),
        (
            lambda: hs.LogScale(low=False, high=10),
            InvalidTypeError,
            "LogScale.low must be a real number; got bool False",
        ),
        (
            lambda: hs.ThresholdBands(edges=(5, 1), scores=(0, 50, 100)),
            InvalidInputError,
            r"edges must be strictly increasing; got \(5\.0, 1\.0\)",
        ),
        (
            lambda: hs.ThresholdBands(edges=(1, 1), scores=(0, 50, 100)),
            InvalidInputError,
            r"edges must be strictly increasing; got \(1\.0, 1\.0\)",
        ),
        (
            lambda: hs.ThresholdBands(edges=(), scores=(0,)),
            InvalidInputError,
            r"at least one edge; got edges=\(\)",
        ),
        (
            lambda: hs.ThresholdBands(edges=(1, 5), scores=(0, 100)),
            InvalidInputError,
            "one more score than edges; got 2 edges and 2 scores",
        ),
        (
            lambda: hs.ThresholdBands(edges=(1, 5), scores=(0, 25, 50, 100)),
            InvalidInputError,
            "one more score than edges; got 2 edges and 4 scores",
        ),
        (
            lambda: hs.ThresholdBands(edges=(1, 5), scores=(0, 50, 101)),
            InvalidInputError,
            r"scores must each be in \[0, 100\]; got \(0\.0, 50\.0, 101\.0\)",
        ),
        (
            lambda: hs.ThresholdBands(edges=(1, 5), scores=(-1, 50, 100)),
            InvalidInputError,
            r"scores must each be in \[0, 100\]; got \(-1\.0, 50\.0, 100\.0\)",
        ),
        (
            lambda: hs.ThresholdBands(edges=(1, NAN), scores=(0, 50, 100)),
            InvalidInputError,
            r"ThresholdBands.edges\[1\] must be finite; got nan",
        ),
        (
            lambda: hs.ThresholdBands(edges="1,5", scores=(0, 50, 100)),
            InvalidTypeError,
            "ThresholdBands.edges must be a sequence of numbers; got str '1,5'",
        ),
        (
            lambda: hs.ThresholdBands(edges=(1, 5), scores=(0, True, 100)),
            InvalidTypeError,
            r"ThresholdBands.scores\[1\] must be a real number; got bool True",
        ),
        (
            lambda: hs.PercentileRank(n_quantiles=1),
            InvalidInputError,
            "n_quantiles must be >= 2; got 1",
        ),
        (
            lambda: hs.PercentileRank(n_quantiles=0),
            InvalidInputError,
            "n_quantiles must be >= 2; got 0",
        ),
        (
            lambda: hs.PercentileRank(n_quantiles=True),
            InvalidTypeError,
            "n_quantiles must be an integer; got True",
        ),
        (
            lambda: hs.PercentileRank(n_quantiles=101.0),
            InvalidTypeError,
            r"n_quantiles must be an integer; got 101\.0",
        ),
        (
            lambda: hs.PercentileRank(quantiles=(3, 1)),
            InvalidInputError,
            "quantiles must be non-decreasing",
        ),
        (
            lambda: hs.PercentileRank(quantiles=(5,)),
            InvalidInputError,
            "quantiles must hold at least 2 values, or none",
        ),
        (
            lambda: hs.PercentileRank(quantiles=(0, NAN)),
            InvalidInputError,
            r"PercentileRank.quantiles\[1\] must be finite; got nan",
        ),
        (
            lambda: hs.PercentileRank(n_reference=-1),
            InvalidInputError,
            "n_reference must be >= 0; got -1",
        ),
    ],
    ids=[
        "linear-equal-bounds",
        "linear-reversed",
        "linear-nan-low",
        "linear-inf-high",
        "linear-bool-low",
        "linear-text-high",
        "log-negative-low",
        "log-equal-bounds",
        "log-nan-high",
        "log-bool-low",
        "bands-decreasing-edges",
        "bands-repeated-edge",
        "bands-no-edges",
        "bands-too-few-scores",
        "bands-too-many-scores",
        "bands-score-above",
        "bands-score-below",
        "bands-nan-edge",
        "bands-text-edges",
        "bands-bool-score",
        "percentile-one-quantile",
        "percentile-zero-quantiles",
        "percentile-bool-count",
        "percentile-float-count",
        "percentile-decreasing",
        "percentile-single-value",
        "percentile-nan-quantile",
        "percentile-negative-reference",
    ],
)
def test_normaliser_config_rejected(build, error, expected):
    with pytest.raises(error, match=expected):
        build()


# -- Signal --------------------------------------------------------------------------------


LOGINS = hs.LinearRange(low=0, high=40)


def test_signal_column_defaults_to_name():
    assert hs.Signal(name="logins_30d", normaliser=LOGINS).column == "logins_30d"


def test_signal_column_explicit():
    signal = hs.Signal(name="logins", normaliser=LOGINS, column="logins_30d")

    assert signal.name == "logins"
    assert signal.column == "logins_30d"


@pytest.mark.parametrize(
    ("max_age", "expected"),
    [
        (30, dt.timedelta(days=30)),
        (0, dt.timedelta(0)),
        (np.int64(7), dt.timedelta(days=7)),
        (dt.timedelta(hours=36), dt.timedelta(hours=36)),
        (None, None),
    ],
    ids=["int-days", "zero", "numpy-int", "timedelta", "none"],
)
def test_signal_max_age(max_age, expected):
    signal = hs.Signal(name="logins_30d", normaliser=LOGINS, max_age=max_age)

    assert signal.max_age == expected


@pytest.mark.parametrize("max_age", [-1, dt.timedelta(seconds=-1)], ids=["int-days", "timedelta"])
def test_signal_negative_max_age_rejected(max_age):
    with pytest.raises(
        InvalidInputError, match="Signal 'logins_30d': max_age must not be negative"
    ):
        hs.Signal(name="logins_30d", normaliser=LOGINS, max_age=max_age)


@pytest.mark.parametrize(
    ("max_age", "shown"),
    [(7.5, "float 7.5"), (True, "bool True"), ("7", "str '7'")],
    ids=["float", "bool", "text"],
)
def test_signal_max_age_type_rejected(max_age, shown):
    with pytest.raises(
        InvalidTypeError, match=f"Signal.max_age must be a datetime.timedelta.*{shown}"
    ):
        hs.Signal(name="logins_30d", normaliser=LOGINS, max_age=max_age)


@pytest.mark.parametrize("name", ["", "   "], ids=["empty", "spaces"])
def test_signal_blank_name_rejected(name):
    with pytest.raises(InvalidInputError, match=r"Signal.name must not be blank"):
        hs.Signal(name=name, normaliser=LOGINS)


def test_signal_name_type_rejected():
    with pytest.raises(InvalidTypeError, match=r"Signal.name must be a string; got int 5"):
        hs.Signal(name=5, normaliser=LOGINS)


def test_signal_blank_column_rejected():
    with pytest.raises(InvalidInputError, match="Signal 'logins' column must not be blank"):
        hs.Signal(name="logins", normaliser=LOGINS, column=" ")


@pytest.mark.parametrize("flag", [1, "yes", None], ids=["int", "text", "None"])
def test_signal_higher_is_better_type_rejected(flag):
    with pytest.raises(InvalidTypeError, match=r"Signal.higher_is_better must be True or False"):
        hs.Signal(name="logins_30d", normaliser=LOGINS, higher_is_better=flag)


def test_signal_normaliser_type_rejected():
    with pytest.raises(InvalidTypeError, match=r"Signal.normaliser must be LinearRange.*got dict"):
        hs.Signal(name="logins_30d", normaliser={"kind": "linear", "low": 0, "high": 40})


def test_signal_subscores():
    signal = hs.Signal(name="logins_30d", normaliser=LOGINS)

    result = signal.subscores([0, 10, 60, None])

    assert_scores(result, [0.0, 25.0, 100.0, NAN])
    assert not result.flags.writeable


def test_signal_subscores_flipped():
    signal = hs.Signal(name="open_tickets", normaliser=LOGINS, higher_is_better=False)

    assert_scores(signal.subscores(np.array([10.0, -5.0])), [75.0, 100.0])


def test_signal_to_dict():
    signal = hs.Signal(
        name="logins", normaliser=LOGINS, column="logins_30d", max_age=dt.timedelta(hours=36)
    )

    assert signal.to_dict() == {
        "name": "logins",
        "column": "logins_30d",
        "higher_is_better": True,
        "normaliser": {"kind": "linear", "low": 0.0, "high": 40.0},
        "max_age_days": 1.5,
    }


# -- properties ----------------------------------------------------------------------------

# Bounds and references stay within +-1e12, far beyond any real signal. Ranges near
# float64's limit overflow, which test_linear_range_extreme_bounds covers.
BOUND = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False)
RAW_VALUES = st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=30)


@st.composite
def linear_ranges(draw):
    low = draw(BOUND)
    high = draw(BOUND.filter(lambda h: h > low + 1e-6 * max(1.0, abs(low))))
    return hs.LinearRange(low=low, high=high)


@st.composite
def log_scales(draw):
    low = draw(st.floats(min_value=0, max_value=1e12))
    high = draw(st.floats(min_value=0, max_value=1e12).filter(lambda h: h > low * (1 + 1e-6)))
    return hs.LogScale(low=low, high=high)


@st.composite
def threshold_bands(draw):
    edges = sorted(draw(st.sets(BOUND, min_size=1, max_size=6)))
    scores = sorted(
        draw(
            st.lists(
                st.floats(min_value=0, max_value=100),
                min_size=len(edges) + 1,
                max_size=len(edges) + 1,
            )
        )
    )
    return hs.ThresholdBands(edges=edges, scores=scores)


@st.composite
def percentile_ranks(draw):
    reference = draw(st.lists(BOUND, min_size=1, max_size=50))
    n_quantiles = draw(st.integers(min_value=2, max_value=201))
    return hs.PercentileRank(n_quantiles=n_quantiles).fit(np.array(reference))


NORMALISERS = st.one_of(linear_ranges(), log_scales(), threshold_bands(), percentile_ranks())


def make_signal(normaliser, higher_is_better):
    if isinstance(normaliser, hs.ThresholdBands) and not higher_is_better:
        # Band scores must fall when lower is better.
        normaliser = hs.ThresholdBands(edges=normaliser.edges, scores=normaliser.scores[::-1])
    return hs.Signal(name="signal", normaliser=normaliser, higher_is_better=higher_is_better)


@settings(max_examples=300, deadline=None)
@given(normaliser=NORMALISERS, higher_is_better=st.booleans(), values=RAW_VALUES)
def test_subscores_within_range(normaliser, higher_is_better, values):
    signal = make_signal(normaliser, higher_is_better)

    result = signal.subscores(np.array(values))

    assert not np.isnan(result).any()
    assert (result >= 0.0).all()
    assert (result <= 100.0).all()


@settings(max_examples=300, deadline=None)
@given(normaliser=NORMALISERS, higher_is_better=st.booleans(), values=RAW_VALUES)
def test_subscores_monotone(normaliser, higher_is_better, values):
    signal = make_signal(normaliser, higher_is_better)
    ordered = np.sort(np.array(values))

    steps = np.diff(signal.subscores(ordered))

    if higher_is_better:
        assert (steps >= 0.0).all()
    else:
        assert (steps <= 0.0).all()
