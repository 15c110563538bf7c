"""Hypothesis properties of scoring that must hold for every model and book."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import healthscore as hs

N_SIGNALS = 4
SIGNAL_NAMES = [f"s{j}" for j in range(N_SIGNALS)]

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@st.composite
def normalisers(
    draw: st.DrawFn, higher_is_better: bool
) -> hs.LinearRange | hs.LogScale | hs.ThresholdBands | hs.PercentileRank:
    kind = draw(st.sampled_from(["linear", "log", "bands", "percentile"]))
    if kind == "linear":
        low = draw(st.floats(-1000, 1000))
        width = draw(st.floats(1e-3, 1000))
        return hs.LinearRange(low=low, high=low + width)
    if kind == "log":
        low = draw(st.floats(0, 100))
        return hs.LogScale(low=low, high=low + draw(st.floats(1e-3, 1e4)))
    if kind == "bands":
        edges = sorted(draw(st.sets(st.integers(-100, 100), min_size=1, max_size=4)))
        scores = sorted(
            draw(st.lists(st.floats(0, 100), min_size=len(edges) + 1, max_size=len(edges) + 1))
        )
        if not higher_is_better:
            scores = scores[::-1]
        return hs.ThresholdBands(edges=edges, scores=scores)
    sample = draw(hnp.arrays(np.float64, st.integers(2, 50), elements=st.floats(-100, 100)))
    return hs.PercentileRank(n_quantiles=draw(st.integers(2, 101))).fit(sample)


@st.composite
def scorers(draw: st.DrawFn) -> hs.Scorer:
    models = []
    for name in ("small", "large"):
        signals = []
        for signal_name in SIGNAL_NAMES:
            higher = draw(st.booleans())
            signals.append(
                hs.Signal(
                    name=signal_name,
                    normaliser=draw(normalisers(higher)),
                    higher_is_better=higher,
                )
            )
        weights = draw(st.lists(st.floats(0, 100), min_size=N_SIGNALS, max_size=N_SIGNALS))
        if sum(weights) <= 0:
            weights[0] = 1.0
        models.append(
            hs.SegmentModel(
                name=name,
                signals=signals,
                weights=dict(zip(SIGNAL_NAMES, weights, strict=True)),
                min_coverage=draw(st.floats(0, 1)),
                missing_policy=draw(st.sampled_from(["renormalize", "zero"])),
                rule="arr < 15000" if name == "small" else None,
            )
        )
    return hs.Scorer(segments=models[:1], default=models[1])


@st.composite
def books(draw: st.DrawFn) -> hs.Accounts:
    n = draw(st.integers(1, 30))
    values = draw(
        hnp.arrays(
            np.float64,
            (n, N_SIGNALS),
            elements=st.one_of(finite, st.just(np.nan)),
        )
    )
    arr = draw(hnp.arrays(np.float64, n, elements=st.floats(0, 50000)))
    return hs.Accounts(
        ids=[f"acct-{i}" for i in range(n)],
        as_of="2024-06-01",
        signals={name: values[:, j] for j, name in enumerate(SIGNAL_NAMES)},
        attributes={"arr": arr},
    )


@settings(max_examples=150, deadline=None)
@given(scorer=scorers(), accounts=books())
def test_scores_in_range_or_withheld(scorer: hs.Scorer, accounts: hs.Accounts) -> None:
    scores = scorer.score(accounts)
    scored = scores.status == hs.ScoreStatus.SCORED
    assert np.all((scores.score[scored] >= 0.0) & (scores.score[scored] <= 100.0))
    assert np.isnan(scores.score[~scored]).all()
    assert all(band is None for band in scores.band[~scored])
    assert all(band is not None for band in scores.band[scored])


@settings(max_examples=150, deadline=None)
@given(scorer=scorers(), accounts=books())
def test_contributions_sum_to_score(scorer: hs.Scorer, accounts: hs.Accounts) -> None:
    scores = scorer.score(accounts)
    scored = scores.status == hs.ScoreStatus.SCORED
    totals = np.nansum(scores.contributions[scored], axis=1)
    np.testing.assert_allclose(totals, scores.score[scored], rtol=0, atol=1e-9)


@settings(max_examples=150, deadline=None)
@given(scorer=scorers(), accounts=books())
def test_coverage_is_a_share(scorer: hs.Scorer, accounts: hs.Accounts) -> None:
    scores = scorer.score(accounts)
    assert np.all((scores.coverage >= 0.0) & (scores.coverage <= 1.0 + 1e-12))


@settings(max_examples=150, deadline=None)
@given(
    scorer=scorers(),
    accounts=books(),
    signal=st.sampled_from(SIGNAL_NAMES),
    step=st.floats(0, 1e5),
)
def test_better_value_never_lowers_score(
    scorer: hs.Scorer, accounts: hs.Accounts, signal: str, step: float
) -> None:
    before = scorer.score(accounts)
    improved = {}
    for name in SIGNAL_NAMES:
        values = accounts.signal(name).copy()
        if name == signal:
            # Move every account's value in its segment's healthier direction.
            routing = scorer.route(accounts)
            for position, model in enumerate(scorer.models):
                member = routing == position
                higher = next(s for s in model.signals if s.name == name).higher_is_better
                values[member] += step if higher else -step
        improved[name] = values
    better = hs.Accounts(
        ids=accounts.ids,
        as_of=accounts.as_of,
        signals=improved,
        attributes=dict(accounts.attributes),
    )
    after = scorer.score(better)
    scored = ~np.isnan(before.score)
    assert np.all(after.score[scored] >= before.score[scored] - 1e-9)


@settings(max_examples=100, deadline=None)
@given(scorer=scorers(), accounts=books(), data=st.data())
def test_reordering_changes_no_score(
    scorer: hs.Scorer, accounts: hs.Accounts, data: st.DataObject
) -> None:
    order = data.draw(st.permutations(range(accounts.n_accounts)))
    original = scorer.score(accounts)
    shuffled = scorer.score(accounts.take(order))
    np.testing.assert_array_equal(shuffled.ids, original.ids[order])
    np.testing.assert_array_equal(shuffled.score, original.score[order])
    np.testing.assert_array_equal(shuffled.contributions, original.contributions[order])
    np.testing.assert_array_equal(shuffled.band, original.band[order])


@settings(max_examples=100, deadline=None)
@given(scorer=scorers(), accounts=books(), data=st.data())
def test_score_does_not_depend_on_batch(
    scorer: hs.Scorer, accounts: hs.Accounts, data: st.DataObject
) -> None:
    keep = data.draw(st.lists(st.integers(0, accounts.n_accounts - 1), min_size=1, unique=True))
    whole = scorer.score(accounts)
    part = scorer.score(accounts.take(keep))
    np.testing.assert_array_equal(part.score, whole.score[keep])
