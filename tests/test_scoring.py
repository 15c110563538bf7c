"""Scorer and Scores: routing, hand-computed scores, missing data, bands."""

from __future__ import annotations

import datetime as dt
import io
import math

import numpy as np
import pytest

import healthscore as hs
from healthscore.exceptions import (
    ConstantSignalWarning,
    DegenerateSegmentWarning,
    InvalidInputError,
    InvalidTypeError,
)


def linear(name: str, low: float = 0.0, high: float = 100.0, **kwargs: object) -> hs.Signal:
    return hs.Signal(name=name, normaliser=hs.LinearRange(low=low, high=high), **kwargs)  # type: ignore[arg-type]


def three_signal_model(**kwargs: object) -> hs.SegmentModel:
    options: dict[str, object] = {
        "name": "all",
        "signals": [linear("usage"), linear("nps"), linear("support")],
        "weights": {"usage": 40, "nps": 20, "support": 40},
    }
    options.update(kwargs)
    return hs.SegmentModel(**options)  # type: ignore[arg-type]


def book(**signals: list[float | None]) -> hs.Accounts:
    n = len(next(iter(signals.values())))
    return hs.Accounts(ids=[f"A-{i + 1}" for i in range(n)], as_of="2024-06-01", signals=signals)


class TestHandComputed:
    def test_renormalizes_over_present_signals(self) -> None:
        scorer = hs.Scorer(segments=[], default=three_signal_model())
        scores = scorer.score(book(usage=[70], nps=[None], support=[50]))
        # (40 * 70 + 40 * 50) / 80
        assert scores.score[0] == pytest.approx(60.0)
        assert scores.coverage[0] == pytest.approx(0.8)
        assert scores.band[0] == "yellow"
        assert scores.status[0] is hs.ScoreStatus.SCORED

    def test_effective_weights_of_renormalized_account(self) -> None:
        scorer = hs.Scorer(segments=[], default=three_signal_model())
        scores = scorer.score(book(usage=[70], nps=[None], support=[50]))
        np.testing.assert_allclose(scores.effective_weights()[0], [0.5, 0.0, 0.5])

    def test_contributions_in_points(self) -> None:
        scorer = hs.Scorer(segments=[], default=three_signal_model())
        scores = scorer.score(book(usage=[70], nps=[None], support=[50]))
        assert scores.contribution("usage")[0] == pytest.approx(35.0)
        assert scores.contribution("support")[0] == pytest.approx(25.0)
        assert math.isnan(scores.contribution("nps")[0])

    def test_missing_as_zero_only_when_chosen(self) -> None:
        model = three_signal_model(missing_policy="zero")
        scores = hs.Scorer(segments=[], default=model).score(
            book(usage=[70], nps=[None], support=[50])
        )
        # (40 * 70 + 40 * 50) / 100
        assert scores.score[0] == pytest.approx(48.0)
        assert scores.contribution("nps")[0] == 0.0
        assert scores.coverage[0] == pytest.approx(0.8)

    def test_all_missing_is_withheld_not_zero(self) -> None:
        scorer = hs.Scorer(segments=[], default=three_signal_model(min_coverage=0.0))
        scores = scorer.score(book(usage=[None], nps=[None], support=[None]))
        assert math.isnan(scores.score[0])
        assert scores.status[0] is hs.ScoreStatus.NO_DATA
        assert scores.band[0] is None
        assert scores.coverage[0] == 0.0
        assert np.isnan(scores.contributions[0]).all()

    def test_half_coverage_scored_at_threshold(self) -> None:
        model = hs.SegmentModel(
            name="all",
            signals=[linear("usage"), linear("nps"), linear("support")],
            weights={"usage": 0.5, "nps": 0.25, "support": 0.25},
            min_coverage=0.5,
        )
        scores = hs.Scorer(segments=[], default=model).score(
            book(usage=[80, None], nps=[None, None], support=[None, None])
        )
        assert scores.score[0] == pytest.approx(80.0)
        assert scores.coverage[0] == pytest.approx(0.5)
        assert scores.status[1] is hs.ScoreStatus.NO_DATA

    def test_low_coverage_withheld_with_status(self) -> None:
        scorer = hs.Scorer(segments=[], default=three_signal_model(min_coverage=0.9))
        scores = scorer.score(book(usage=[70], nps=[None], support=[50]))
        assert math.isnan(scores.score[0])
        assert scores.status[0] is hs.ScoreStatus.LOW_COVERAGE
        assert scores.coverage[0] == pytest.approx(0.8)

    def test_higher_is_worse_signal(self) -> None:
        model = hs.SegmentModel(
            name="all",
            signals=[linear("tickets", 0, 20, higher_is_better=False), linear("usage")],
            weights={"tickets": 1, "usage": 3},
        )
        scores = hs.Scorer(segments=[], default=model).score(book(tickets=[5], usage=[60]))
        # tickets: 100 - 25 = 75; (1 * 75 + 3 * 60) / 4
        assert scores.score[0] == pytest.approx(63.75)

    def test_zero_weight_signal_does_not_count(self) -> None:
        model = hs.SegmentModel(
            name="all",
            signals=[linear("usage"), linear("nps")],
            weights={"usage": 1, "nps": 0},
        )
        scores = hs.Scorer(segments=[], default=model).score(book(usage=[40], nps=[100]))
        assert scores.score[0] == pytest.approx(40.0)
        assert scores.coverage[0] == pytest.approx(1.0)


class TestRouting:
    @pytest.fixture
    def scorer(self) -> hs.Scorer:
        small = hs.SegmentModel(
            name="small",
            rule="arr < 15000",
            signals=[linear("usage")],
            weights={"usage": 1},
            version="s-2",
        )
        analytics = hs.SegmentModel(
            name="analytics",
            rule="use_case == 'analytics'",
            signals=[linear("usage", 0, 50)],
            weights={"usage": 1},
        )
        default = hs.SegmentModel(
            name="other", signals=[linear("usage", 0, 200)], weights={"usage": 1}
        )
        return hs.Scorer(segments=[small, analytics], default=default)

    @pytest.fixture
    def accounts(self) -> hs.Accounts:
        return hs.Accounts(
            ids=["a", "b", "c", "d"],
            as_of="2024-06-01",
            signals={"usage": [40, 40, 40, 40]},
            attributes={
                "arr": [12000, 30000, 14000, None],
                "use_case": ["analytics", "analytics", "crm", None],
            },
        )

    def test_first_matching_segment_wins(self, scorer: hs.Scorer, accounts: hs.Accounts) -> None:
        scores = scorer.score(accounts)
        assert scores.segment.tolist() == ["small", "analytics", "small", "other"]

    def test_segment_normaliser_used(self, scorer: hs.Scorer, accounts: hs.Accounts) -> None:
        scores = scorer.score(accounts)
        assert scores.score.tolist() == pytest.approx([40.0, 80.0, 40.0, 20.0])

    def test_model_version_per_account(self, scorer: hs.Scorer, accounts: hs.Accounts) -> None:
        scores = scorer.score(accounts)
        assert scores.model_version.tolist() == ["s-2", "1", "s-2", "1"]

    def test_unmatched_without_default_raises(self, accounts: hs.Accounts) -> None:
        only = hs.SegmentModel(
            name="small", rule="arr < 15000", signals=[linear("usage")], weights={"usage": 1}
        )
        scorer = hs.Scorer(segments=[only], default=None)
        with pytest.raises(InvalidInputError, match=r"2 account\(s\) match no segment.*'b'"):
            scorer.score(accounts)

    def test_default_with_rule_rejected(self) -> None:
        model = hs.SegmentModel(
            name="x", rule="arr < 1", signals=[linear("usage")], weights={"usage": 1}
        )
        with pytest.raises(InvalidInputError, match="must have no rule"):
            hs.Scorer(segments=[], default=model)

    def test_duplicate_segment_names_rejected(self) -> None:
        model = hs.SegmentModel(name="x", signals=[linear("usage")], weights={"usage": 1})
        with pytest.raises(InvalidInputError, match=r"segment names must be unique; \['x'\]"):
            hs.Scorer(segments=[model], default=model)

    def test_rule_on_missing_column(self, accounts: hs.Accounts) -> None:
        model = hs.SegmentModel(
            name="x", rule="plan == 'pro'", signals=[linear("usage")], weights={"usage": 1}
        )
        scorer = hs.Scorer(segments=[model], default=None)
        with pytest.raises(InvalidInputError, match=r"segment 'x'.*unknown column 'plan'"):
            scorer.score(accounts)

    def test_route_returns_model_index(self, scorer: hs.Scorer, accounts: hs.Accounts) -> None:
        assert scorer.route(accounts).tolist() == [0, 1, 0, 2]


class TestInputChecks:
    def test_unknown_signal_column(self) -> None:
        scorer = hs.Scorer(segments=[], default=three_signal_model())
        with pytest.raises(InvalidInputError, match=r"signal 'nps'.*unknown signal column 'nps'"):
            scorer.score(book(usage=[1], support=[1]))

    def test_text_column_as_signal(self) -> None:
        scorer = hs.Scorer(
            segments=[],
            default=hs.SegmentModel(name="x", signals=[linear("plan")], weights={"plan": 1}),
        )
        accounts = hs.Accounts(ids=["a"], as_of="2024-06-01", attributes={"plan": ["pro"]})
        with pytest.raises(InvalidInputError, match="'plan' is not numeric"):
            scorer.score(accounts)

    def test_not_accounts(self) -> None:
        scorer = hs.Scorer(segments=[], default=three_signal_model())
        with pytest.raises(InvalidTypeError, match="expected an Accounts snapshot; got dict"):
            scorer.score({"usage": [1]})  # type: ignore[arg-type]

    def test_unfitted_percentile(self) -> None:
        model = hs.SegmentModel(
            name="x",
            signals=[hs.Signal(name="usage", normaliser=hs.PercentileRank())],
            weights={"usage": 1},
        )
        with pytest.raises(InvalidInputError, match="fit_references"):
            hs.Scorer(segments=[], default=model).score(book(usage=[1.0]))


class TestStaleness:
    def make(self, max_age: int | None) -> hs.Scorer:
        model = hs.SegmentModel(
            name="x",
            signals=[linear("nps", max_age=max_age), linear("usage")],
            weights={"nps": 1, "usage": 1},
            min_coverage=0.0,
        )
        return hs.Scorer(segments=[], default=model)

    def accounts(self) -> hs.Accounts:
        return hs.Accounts(
            ids=["fresh", "edge", "stale", "unknown"],
            as_of="2024-06-01",
            signals={"nps": [100, 100, 100, 100], "usage": [0, 0, 0, 0]},
            observed_at={"nps": ["2024-05-20", "2024-03-03", "2024-03-02", None]},
        )

    def test_stale_value_counts_as_missing(self) -> None:
        scores = self.make(max_age=90).score(self.accounts())
        # 2024-03-03 is exactly 90 days before as_of: still fresh.
        assert scores.score.tolist() == [50.0, 50.0, 0.0, 0.0]
        assert scores.coverage.tolist() == [1.0, 1.0, 0.5, 0.5]

    def test_without_max_age_everything_counts(self) -> None:
        scores = self.make(max_age=None).score(self.accounts())
        assert scores.score.tolist() == [50.0, 50.0, 50.0, 50.0]


class TestPercentileReference:
    def model(self) -> hs.SegmentModel:
        return hs.SegmentModel(
            name="x",
            signals=[hs.Signal(name="nps", normaliser=hs.PercentileRank())],
            weights={"nps": 1},
        )

    def test_constant_segment_warns_and_scores_neutral(self) -> None:
        accounts = book(nps=[40.0] * 25)
        with pytest.warns(ConstantSignalWarning, match=r"'nps' has zero variance in segment 'x'"):
            scorer = hs.Scorer(segments=[], default=self.model()).fit_references(accounts)
        scores = scorer.score(accounts)
        assert scores.score.tolist() == [50.0] * 25

    def test_reference_fixed_after_fit(self) -> None:
        reference = book(nps=[float(v) for v in range(101)])
        scorer = hs.Scorer(segments=[], default=self.model()).fit_references(reference)
        alone = scorer.score(book(nps=[30.0]))
        crowd = scorer.score(book(nps=[30.0, 0.0, 0.0, 0.0]))
        assert alone.score[0] == pytest.approx(30.0)
        assert crowd.score[0] == alone.score[0]

    def test_fit_per_segment(self) -> None:
        small = hs.SegmentModel(
            name="small",
            rule="arr < 100",
            signals=[hs.Signal(name="nps", normaliser=hs.PercentileRank())],
            weights={"nps": 1},
        )
        reference = hs.Accounts(
            ids=[str(i) for i in range(40)],
            as_of="2024-06-01",
            signals={"nps": [float(i) for i in range(40)]},
            attributes={"arr": [50.0] * 20 + [500.0] * 20},
        )
        scorer = hs.Scorer(segments=[small], default=self.model()).fit_references(reference)
        quantiles = scorer.segments[0].signals[0].normaliser.quantiles  # type: ignore[union-attr]
        assert quantiles[0] == 0.0
        assert quantiles[-1] == 19.0

    def test_tiny_reference_warns(self) -> None:
        with pytest.warns(DegenerateSegmentWarning, match="only 3 values"):
            hs.Scorer(segments=[], default=self.model()).fit_references(book(nps=[1, 2, 3]))

    def test_empty_reference_warns_and_drops_signal(self) -> None:
        with pytest.warns(DegenerateSegmentWarning, match="no usable values"):
            scorer = hs.Scorer(segments=[], default=self.model()).fit_references(
                book(nps=[None, None])
            )
        assert scorer.score(book(nps=[5.0])).status[0] is hs.ScoreStatus.NO_DATA


class TestScoresOutput:
    @pytest.fixture
    def scores(self) -> hs.Scores:
        scorer = hs.Scorer(segments=[], default=three_signal_model(min_coverage=0.5))
        accounts = hs.Accounts(
            ids=["=cmd|' /C calc'!A0", "B", "C"],
            as_of=dt.date(2024, 6, 1),
            signals={
                "usage": [90, 10, None],
                "nps": [90, 10, None],
                "support": [90, 10, 50],
            },
        )
        return scorer.score(accounts)

    def test_summary_counts(self, scores: hs.Scores) -> None:
        assert scores.summary() == {"all": {"green": 1, "red": 1, "low_coverage": 1}}

    def test_csv_escapes_formula(self, scores: hs.Scores) -> None:
        buffer = io.StringIO()
        scores.to_csv(buffer)
        lines = buffer.getvalue().splitlines()
        assert lines[0] == (
            "account_id,segment,score,band,coverage,model_version,"
            "contribution.usage,contribution.nps,contribution.support,status"
        )
        assert lines[1].startswith("'=cmd|' /C calc'!A0,all,90.0,green,1.0,1,36.0,18.0,36.0")
        assert lines[3] == "C,all,,,0.4,1,,,,low_coverage"

    def test_records(self, scores: hs.Scores) -> None:
        record = scores.to_records()[1]
        assert record["account_id"] == "B"
        assert record["score"] == pytest.approx(10.0)
        assert record["contribution.nps"] == pytest.approx(2.0)

    def test_pandas(self, scores: hs.Scores) -> None:
        pytest.importorskip("pandas")
        frame = scores.to_pandas()
        assert list(frame["band"][:2]) == ["green", "red"]
        assert frame["band"].isna().tolist() == [False, False, True]

    def test_unknown_contribution(self, scores: hs.Scores) -> None:
        with pytest.raises(InvalidInputError, match="unknown signal 'x'"):
            scores.contribution("x")

    def test_arrays_read_only(self, scores: hs.Scores) -> None:
        with pytest.raises(ValueError, match="read-only"):
            scores.score[0] = 1.0
