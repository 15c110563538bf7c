"""Benchmark ``Scorer.score`` against hand-written numpy scoring of the same columns.

The workload is a synthetic book of accounts: ``--signals`` numeric signal columns on
different scales with about ``--missing-rate`` of the values missing, an ``arr``
attribute and a numeric ``tier`` attribute that routes each account to one of
``--segments`` segment models. Every segment scores all signals with ``LinearRange``
normalisers whose bounds differ by segment.

Three hand-written references score the same column arrays that ``Scorer.score``
reads:

* baseline 0, bare per segment: each account gets the bounds and weights of its own
  segment, looked up with ``np.take`` from the routing that ``Scorer.route`` returns.
  The routing is computed once, outside the timed region. Per column it computes
  ``score += w[r, j] * clip((x_j - low[r, j]) * inv[r, j], 0, 1)``, where ``r`` is
  the account's segment index, with no NaN handling and no contributions. It does
  the normalise-and-weight work of ``Scorer.score`` on the same segments, so the time
  target is measured against it.
* baseline 1, bare single model: the same formula with the default (last) segment
  model's bounds and weights for every account, and no routing.
* baseline 2, single model with NaN handling: as baseline 1, but a missing value drops
  out and the remaining weights are rescaled, and an (n, k) contribution matrix is
  written.

Run ``python benchmarks/bench_scoring.py --help`` for the options. The script exits 0
whether or not the targets are met, and 1 if a baseline disagrees with the scorer.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

import healthscore as hs

FloatArray = NDArray[np.float64]
T = TypeVar("T")

AS_OF = "2024-06-01"

#: Project targets: Scorer.score time relative to baseline 0 (bare, per segment), and the
#: peak memory allocated during one Scorer.score call relative to the input matrix
#: (n * k * 8 bytes).
TARGET_TIME_RATIO = 2.0
TARGET_MEMORY_RATIO = 3.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time Scorer.score against hand-written numpy scoring and measure "
        "its peak memory."
    )
    parser.add_argument(
        "--accounts", type=int, default=1_000_000, help="number of accounts (default: 1000000)"
    )
    parser.add_argument(
        "--signals", type=int, default=24, help="number of signal columns (default: 24)"
    )
    parser.add_argument(
        "--segments",
        type=int,
        default=6,
        help="number of segment models, the last one being the default (default: 6)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=5,
        help="number of timed runs of each measurement, of which the minimum is reported "
        "(default: 5)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of numpy.random.default_rng (default: 0)"
    )
    parser.add_argument(
        "--missing-rate",
        type=float,
        default=0.05,
        help="probability that a signal value is NaN, in [0, 1] (default: 0.05)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as one JSON object")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also run Scorer.score once under cProfile and print the 15 functions "
        "with the highest own time",
    )

    args = parser.parse_args(argv)
    if args.accounts < 1:
        parser.error(f"--accounts must be at least 1; got {args.accounts}")
    if args.signals < 1:
        parser.error(f"--signals must be at least 1; got {args.signals}")
    if args.segments < 1:
        parser.error(f"--segments must be at least 1; got {args.segments}")
    if args.repeat < 1:
        parser.error(f"--repeat must be at least 1; got {args.repeat}")
    if not 0.0 <= args.missing_rate <= 1.0:
        parser.error(f"--missing-rate must be in [0, 1]; got {args.missing_rate}")
    return args


# -- workload ----------------------------------------------------------------------------


def make_workload(
    rng: np.random.Generator, n: int, k: int, segments: int, missing_rate: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Draw the signal matrix (n, k), the column scales (k,), ``arr`` and ``tier``."""
    scales = 10.0 ** rng.uniform(0.0, 4.0, size=k)
    matrix = rng.random((n, k))
    matrix *= 2.0 * scales
    matrix[rng.random((n, k)) < missing_rate] = np.nan
    arr = np.clip(rng.lognormal(mean=np.log(15_000.0), sigma=1.0, size=n), 1_000.0, 200_000.0)
    tier = rng.integers(0, segments, size=n).astype(np.float64)
    return matrix, scales, arr, tier


def make_scorer(rng: np.random.Generator, scales: FloatArray, segments: int) -> hs.Scorer:
    """Build ``segments`` models routed by ``tier == i``. The last model is the default."""
    k = scales.size
    lower_is_better = set(rng.choice(k, size=max(1, k // 6), replace=False).tolist())
    models = []
    for i in range(segments):
        lows = scales * rng.uniform(0.0, 0.4, size=k)
        highs = scales * rng.uniform(1.2, 2.0, size=k)
        weights = rng.uniform(0.5, 3.0, size=k)
        signals = [
            hs.Signal(
                name=f"s{j}",
                normaliser=hs.LinearRange(low=float(lows[j]), high=float(highs[j])),
                higher_is_better=j not in lower_is_better,
            )
            for j in range(k)
        ]
        models.append(
            hs.SegmentModel(
                name=f"tier{i}",
                signals=signals,
                weights={f"s{j}": float(weights[j]) for j in range(k)},
                rule=f"tier == {i}" if i < segments - 1 else None,
            )
        )
    return hs.Scorer(segments=models[:-1], default=models[-1])


def reference_parameters(model: hs.SegmentModel) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return per-column ``low``, ``inv`` and weight in points for the baselines.

    For a lower-is-better signal the returned ``low`` is the normaliser's ``high``
    and ``inv`` is ``-1 / (high - low)``. The clipped fraction is then ``1 - f``,
    so both directions cost the same. The weights are normalised and multiplied by 100.
    """
    weights = model.normalized_weights
    lows, invs, points = [], [], []
    for signal in model.signals:
        normaliser = signal.normaliser
        if not isinstance(normaliser, hs.LinearRange):
            msg = f"baselines support LinearRange only; signal {signal.name!r} uses {normaliser}"
            raise TypeError(msg)
        span = normaliser.high - normaliser.low
        if signal.higher_is_better:
            lows.append(normaliser.low)
            invs.append(1.0 / span)
        else:
            lows.append(normaliser.high)
            invs.append(-1.0 / span)
        points.append(100.0 * weights[signal.name])
    return np.array(lows), np.array(invs), np.array(points)


def per_segment_parameters(
    models: tuple[hs.SegmentModel, ...],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Stack :func:`reference_parameters` of ``models`` into arrays of shape (segments, k).

    Row ``i`` belongs to ``models[i]``, so the routing index from ``Scorer.route``
    selects an account's row. Every model must score the same signals in the same order.
    """
    names = [signal.name for signal in models[0].signals]
    for model in models[1:]:
        other = [signal.name for signal in model.signals]
        if other != names:
            msg = (
                f"baseline 0 requires every segment to score the same signals in the same "
                f"order, but segment {model.name!r} has {other} and {models[0].name!r} "
                f"has {names}"
            )
            raise ValueError(msg)
    parameters = [reference_parameters(model) for model in models]
    lows, invs, points = (np.stack(arrays) for arrays in zip(*parameters, strict=True))
    return lows, invs, points


# -- baselines ---------------------------------------------------------------------------


def baseline_per_segment(
    columns: list[FloatArray],
    routing: NDArray[np.intp],
    lows: FloatArray,
    invs: FloatArray,
    points: FloatArray,
) -> FloatArray:
    """Score each account with its own segment's parameters, without NaN handling.

    ``lows``, ``invs`` and ``points`` have shape (segments, k), and ``routing`` contains
    each account's row index into them. No contributions are kept.
    """
    score = np.zeros(columns[0].size)
    for j, x in enumerate(columns):
        low = np.take(lows[:, j], routing)
        inv = np.take(invs[:, j], routing)
        weight = np.take(points[:, j], routing)
        score += weight * np.clip((x - low) * inv, 0.0, 1.0)
    return score


def baseline_bare(
    columns: list[FloatArray], lows: FloatArray, invs: FloatArray, points: FloatArray
) -> FloatArray:
    """Score with one model, without segments, NaN handling or contributions."""
    score = np.zeros(columns[0].size)
    for j, x in enumerate(columns):
        score += points[j] * np.clip((x - lows[j]) * invs[j], 0.0, 1.0)
    return score


def baseline_renormalised(
    columns: list[FloatArray], lows: FloatArray, invs: FloatArray, points: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Score with one model, dropping missing values and writing contributions.

    Returns the scores (n,) and the contributions (n, k), a transposed view of a
    signal-major (k, n) array so that each column is written contiguously. An
    account with no values gets NaN.
    """
    n = columns[0].size
    contributions = np.empty((len(columns), n))
    total = np.zeros(n)
    weight_sum = np.zeros(n)
    for j, x in enumerate(columns):
        row = contributions[j]
        np.subtract(x, lows[j], out=row)
        row *= invs[j]
        np.clip(row, 0.0, 1.0, out=row)
        row *= points[j]
        present = ~np.isnan(row)
        weight_sum += points[j] * present
        total += np.where(present, row, 0.0)
    # The weights in points sum to 100, so the rescaling factor is 100 / weight_sum.
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = 100.0 / weight_sum
        contributions *= factor
        total *= factor
    return total, contributions.T


# -- measurement -------------------------------------------------------------------------


def best_time(function: Callable[[], T], repeat: int) -> tuple[float, T]:
    """Run ``function`` ``repeat`` times and return the minimum seconds and the last result."""
    best = float("inf")
    result: T
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_bytes(function: Callable[[], T]) -> tuple[int, T]:
    """Run ``function`` once and return the peak bytes it allocated and its result.

    Counts the allocations that tracemalloc traces: Python objects and numpy array
    buffers, which numpy reports to tracemalloc. Memory allocated before the call is
    not counted.
    """
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before, result


def scores_nbytes(scores: hs.Scores) -> dict[str, int]:
    """Return the array bytes of a Scores object, by field.

    ``ids`` is left out because it is the input's array, not a copy. Object arrays
    count 8-byte pointers to shared objects (band names, statuses, segment names).
    """
    fields = ("score", "band", "status", "coverage", "segment", "model_version", "contributions")
    return {name: int(getattr(scores, name).nbytes) for name in fields}


def check_baselines(
    scores: hs.Scores,
    *,
    rows: NDArray[np.bool_],
    complete: NDArray[np.bool_],
    per_segment: FloatArray,
    bare: FloatArray,
    renormalised: FloatArray,
    contributions: FloatArray,
) -> list[str]:
    """Compare the baselines with the scorer.

    Baseline 0 is compared on the ``complete`` accounts (no missing signal value) of
    every segment. Baselines 1 and 2 are compared on ``rows``, the default segment's
    accounts. Returns a description of each mismatch, so an empty list means they agree.
    """
    problems = []
    if not np.allclose(per_segment[complete], scores.score[complete], rtol=1e-9, atol=1e-9):
        problems.append("baseline 0 scores differ from Scorer.score on complete accounts")
    scored = rows & (scores.status == hs.ScoreStatus.SCORED)
    complete_scored = scored & ~np.isnan(scores.contributions).any(axis=1)
    if not np.allclose(bare[complete_scored], scores.score[complete_scored], rtol=1e-9, atol=1e-9):
        problems.append("baseline 1 scores differ from Scorer.score on complete accounts")
    if not np.allclose(renormalised[scored], scores.score[scored], rtol=1e-9, atol=1e-9):
        problems.append("baseline 2 scores differ from Scorer.score")
    if not np.allclose(
        contributions[scored], scores.contributions[scored], rtol=1e-9, atol=1e-9, equal_nan=True
    ):
        problems.append("baseline 2 contributions differ from Scorer.score")
    return problems


def cpu_model() -> str:
    """Return the CPU model name, from /proc/cpuinfo when platform.processor() is empty."""
    name = platform.processor()
    if name:
        return name
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def machine_info() -> dict[str, Any]:
    uname = platform.uname()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "healthscore": hs.__version__,
        "cpu_count": os.cpu_count(),
        "cpu": cpu_model(),
        "system": f"{uname.system} {uname.release} {uname.machine}",
    }


def profile_score(scorer: hs.Scorer, accounts: hs.Accounts) -> None:
    """Print the 15 functions with the highest own time in one ``Scorer.score`` call.

    numpy operators such as ``*=`` and fancy indexing are not function calls, so
    cProfile counts their time as own time of the Python function that runs them.
    """
    profiler = cProfile.Profile()
    profiler.runcall(scorer.score, accounts)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.strip_dirs().sort_stats("tottime").print_stats(15)


# -- report ------------------------------------------------------------------------------


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def print_table(results: dict[str, Any]) -> None:
    workload = results["workload"]
    seconds = results["seconds"]
    ratios = results["ratios"]
    memory = results["memory"]
    machine = results["machine"]
    mib = 1024.0**2
    rows = [
        (
            "workload",
            f"{workload['accounts']:,} accounts x {workload['signals']} signals, "
            f"{workload['segments']} segments, {workload['missing_rate']:.0%} missing, "
            f"seed {workload['seed']}",
        ),
        ("Accounts construction", f"{seconds['accounts_construction'] * 1e3:,.1f} ms (run once)"),
        (
            "Scorer.route",
            f"{seconds['route'] * 1e3:,.1f} ms (included in Scorer.score, not in baseline 0)",
        ),
        ("baseline 0, bare per segment", f"{seconds['baseline_per_segment'] * 1e3:,.1f} ms"),
        ("baseline 1, bare single model", f"{seconds['baseline_bare'] * 1e3:,.1f} ms"),
        ("baseline 2, NaN + contributions", f"{seconds['baseline_renormalised'] * 1e3:,.1f} ms"),
        ("Scorer.score", f"{seconds['scorer'] * 1e3:,.1f} ms"),
        (
            "scorer / baseline 0",
            f"{ratios['scorer_to_per_segment']:.2f}x  target < {TARGET_TIME_RATIO:g}x  "
            f"{verdict(results['targets']['time_passed'])}",
        ),
        ("scorer / baseline 1", f"{ratios['scorer_to_bare']:.2f}x  (no target)"),
        ("scorer / baseline 2", f"{ratios['scorer_to_renormalised']:.2f}x  (no target)"),
        ("input matrix", f"{memory['input_bytes'] / mib:,.0f} MiB (n * k * 8 bytes)"),
        (
            "Scorer.score peak memory",
            f"{memory['scorer_peak_bytes'] / mib:,.0f} MiB = "
            f"{ratios['scorer_peak_to_input']:.2f}x input  "
            f"target < {TARGET_MEMORY_RATIO:g}x  {verdict(results['targets']['memory_passed'])}",
        ),
        (
            "baseline 2 peak memory",
            f"{memory['renormalised_peak_bytes'] / mib:,.0f} MiB = "
            f"{ratios['renormalised_peak_to_input']:.2f}x input",
        ),
        (
            "Scores result arrays",
            f"{memory['scores_bytes'] / mib:,.0f} MiB = "
            f"{memory['scores_bytes'] / memory['input_bytes']:.2f}x input "
            f"(contributions {memory['scores_by_field']['contributions'] / mib:,.0f} MiB)",
        ),
        (
            "machine",
            f"{machine['cpu']}, {machine['cpu_count']} CPUs, {machine['system']}, "
            f"Python {machine['python']}, numpy {machine['numpy']}",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


def build_book(args: argparse.Namespace) -> tuple[hs.Accounts, float, FloatArray, hs.Scorer]:
    """Build the accounts and the scorer, and return them with construction seconds and tiers."""
    n, k = args.accounts, args.signals
    rng = np.random.default_rng(args.seed)
    matrix, scales, arr, tier = make_workload(rng, n, k, args.segments, args.missing_rate)
    ids = [f"A{i:08d}" for i in range(n)]
    signal_columns = {f"s{j}": matrix[:, j] for j in range(k)}

    start = time.perf_counter()
    accounts = hs.Accounts(
        ids=ids, as_of=AS_OF, signals=signal_columns, attributes={"arr": arr, "tier": tier}
    )
    construction_seconds = time.perf_counter() - start

    scorer = make_scorer(rng, scales, args.segments)
    return accounts, construction_seconds, tier, scorer


def measure(
    args: argparse.Namespace, accounts: hs.Accounts, tier: FloatArray, scorer: hs.Scorer
) -> dict[str, Any]:
    """Time the baselines, routing and the scorer, check that they agree and measure memory."""
    default_model = scorer.models[-1]
    lows, invs, points = reference_parameters(default_model)
    segment_lows, segment_invs, segment_points = per_segment_parameters(scorer.models)
    # The baselines read the arrays that Accounts stores and Scorer.score reads.
    columns = [accounts.signal(signal.column) for signal in default_model.signals]
    complete = np.ones(accounts.n_accounts, dtype=bool)
    for x in columns:
        complete &= ~np.isnan(x)

    route_seconds, routing = best_time(lambda: scorer.route(accounts), args.repeat)
    per_segment_seconds, per_segment = best_time(
        lambda: baseline_per_segment(columns, routing, segment_lows, segment_invs, segment_points),
        args.repeat,
    )
    bare_seconds, bare = best_time(lambda: baseline_bare(columns, lows, invs, points), args.repeat)
    renormalised_seconds, (renormalised, contributions) = best_time(
        lambda: baseline_renormalised(columns, lows, invs, points), args.repeat
    )
    scorer_seconds, scores = best_time(lambda: scorer.score(accounts), args.repeat)
    problems = check_baselines(
        scores,
        rows=tier == args.segments - 1,
        complete=complete,
        per_segment=per_segment,
        bare=bare,
        renormalised=renormalised,
        contributions=contributions,
    )
    # Free the results before measuring memory, so that one set of results is alive at a time.
    del per_segment, bare, renormalised, contributions, scores

    renormalised_peak, _ = peak_bytes(lambda: baseline_renormalised(columns, lows, invs, points))
    scorer_peak, scores = peak_bytes(lambda: scorer.score(accounts))
    return {
        "route_seconds": route_seconds,
        "per_segment_seconds": per_segment_seconds,
        "bare_seconds": bare_seconds,
        "renormalised_seconds": renormalised_seconds,
        "scorer_seconds": scorer_seconds,
        "renormalised_peak": renormalised_peak,
        "scorer_peak": scorer_peak,
        "scores_by_field": scores_nbytes(scores),
        "problems": problems,
    }


def summarise(
    args: argparse.Namespace, command: str, construction_seconds: float, measured: dict[str, Any]
) -> dict[str, Any]:
    """Return the results as the JSON-ready mapping that ``--json`` prints."""
    input_bytes = args.accounts * args.signals * 8
    scorer_seconds = measured["scorer_seconds"]
    time_ratio = scorer_seconds / measured["per_segment_seconds"]
    memory_ratio = measured["scorer_peak"] / input_bytes
    return {
        "date": dt.date.today().isoformat(),
        "command": command,
        "workload": {
            "accounts": args.accounts,
            "signals": args.signals,
            "segments": args.segments,
            "missing_rate": args.missing_rate,
            "seed": args.seed,
            "repeat": args.repeat,
        },
        "seconds": {
            "accounts_construction": construction_seconds,
            "route": measured["route_seconds"],
            "baseline_per_segment": measured["per_segment_seconds"],
            "baseline_bare": measured["bare_seconds"],
            "baseline_renormalised": measured["renormalised_seconds"],
            "scorer": scorer_seconds,
        },
        "ratios": {
            "scorer_to_per_segment": time_ratio,
            "scorer_to_bare": scorer_seconds / measured["bare_seconds"],
            "scorer_to_renormalised": scorer_seconds / measured["renormalised_seconds"],
            "scorer_peak_to_input": memory_ratio,
            "renormalised_peak_to_input": measured["renormalised_peak"] / input_bytes,
        },
        "memory": {
            "input_bytes": input_bytes,
            "scorer_peak_bytes": measured["scorer_peak"],
            "renormalised_peak_bytes": measured["renormalised_peak"],
            "scores_bytes": sum(measured["scores_by_field"].values()),
            "scores_by_field": measured["scores_by_field"],
        },
        "targets": {
            "time_baseline": "baseline 0, bare per segment",
            "time_ratio": TARGET_TIME_RATIO,
            "time_passed": time_ratio < TARGET_TIME_RATIO,
            "memory_ratio": TARGET_MEMORY_RATIO,
            "memory_passed": memory_ratio < TARGET_MEMORY_RATIO,
        },
        "baseline_mismatches": measured["problems"],
        "machine": machine_info(),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    arguments = sys.argv[1:] if argv is None else argv
    command = " ".join(["python benchmarks/bench_scoring.py", *arguments])
    accounts, construction_seconds, tier, scorer = build_book(args)
    measured = measure(args, accounts, tier, scorer)
    results = summarise(args, command, construction_seconds, measured)

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print_table(results)
    if args.profile:
        profile_score(scorer, accounts)
    for problem in measured["problems"]:
        message = (
            f"error: {problem}, so the time ratios compare different computations. "
            f"Update the baselines to compute what Scorer.score computes."
        )
        print(message, file=sys.stderr)
    return 1 if measured["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
