"""The ``healthscore`` command.

``healthscore score`` reads a model file and a source of accounts, writes one CSV
row per account, and prints a summary per segment and band to standard error.
``healthscore validate`` checks a model file and prints what it contains.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from healthscore import __version__
from healthscore._export import write_scores_csv
from healthscore._serialization import load_model
from healthscore._validation import to_date
from healthscore.exceptions import HealthScoreError, InvalidInputError, ModelFileError
from healthscore.sources import parse_source_uri

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from healthscore._accounts import Accounts
    from healthscore._scoring import Scorer, Scores

__all__ = ["main"]

#: Exit status for a run that failed on bad data, a bad model or an unreadable file.
EXIT_FAILURE = 1


def _parse_date(text: str) -> dt.date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        msg = f"--as-of must be a date written YYYY-MM-DD, such as 2024-06-01; got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    try:
        return to_date(text, field="--as-of")
    except HealthScoreError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``healthscore`` command."""
    parser = argparse.ArgumentParser(
        prog="healthscore",
        description="Compute customer health scores with a healthscore model file.",
    )
    parser.add_argument("--version", action="version", version=f"healthscore {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    score = commands.add_parser(
        "score",
        help="score a book of accounts",
        description=(
            "Score every account of SOURCE with the model file and write one CSV row per "
            "account. A summary per segment and band goes to standard error."
        ),
    )
    score.add_argument("--model", required=True, metavar="MODEL.json", help="model file")
    score.add_argument(
        "--accounts",
        required=True,
        metavar="SOURCE",
        help="a CSV file (.csv or .csv.gz) or sqlite:///path.db?table=NAME",
    )
    score.add_argument(
        "--as-of",
        required=True,
        type=_parse_date,
        metavar="YYYY-MM-DD",
        help="snapshot date; signal ages are measured up to it",
    )
    score.add_argument(
        "--out", metavar="FILE", help="write the scores CSV here instead of standard output"
    )
    score.add_argument(
        "--outcome-column",
        metavar="COLUMN",
        help=(
            "a 0/1 column of the input (1 = churned); the summary then adds the churn "
            "rate per segment and band"
        ),
    )

    validate = commands.add_parser(
        "validate",
        help="check a model file",
        description="Load a model file, check it, and print its segments.",
    )
    validate.add_argument("model", metavar="MODEL.json", help="model file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``healthscore`` command and return its exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "score":
            return _run_score(arguments)
        return _run_validate(arguments)
    except ModelFileError as error:
        problems = "; ".join(f"{path}: {message}" for path, message in error.problems)
        _fail(f"invalid model file {error.source}: {problems}")
    except (HealthScoreError, OSError) as error:
        # One line, without touching the spacing inside column names.
        _fail("; ".join(line.strip() for line in str(error).splitlines() if line.strip()))
    return EXIT_FAILURE


def _fail(message: str) -> None:
    print(f"healthscore: error: {message}", file=sys.stderr)


def _run_score(arguments: argparse.Namespace) -> int:
    scorer = load_model(arguments.model)
    source = parse_source_uri(
        arguments.accounts,
        id_column=scorer.id_column,
        attribute_columns=_text_rule_columns(scorer),
    )
    accounts = source.accounts(arguments.as_of)
    scores = scorer.score(accounts)

    outcome = None
    if arguments.outcome_column:
        outcome = _read_outcome(accounts, arguments.outcome_column)
    if arguments.out:
        write_scores_csv(scores, arguments.out)
    else:
        write_scores_csv(scores, sys.stdout)
    _print_summary(scores, outcome, sys.stderr)
    if arguments.out:
        print(f"wrote {scores.n_accounts} scores to {arguments.out}", file=sys.stderr)
    return 0


def _text_rule_columns(scorer: Scorer) -> list[str]:
    """Return the rule columns compared with text, so codes such as "007" stay text."""
    text_columns = []
    for model in scorer.models:
        for condition in model.rule.conditions:
            values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
            if any(isinstance(v, str) for v in values):
                text_columns.append(condition.column)
    return list(dict.fromkeys(text_columns))


def _read_outcome(accounts: Accounts, column: str) -> NDArray[np.float64]:
    values = np.asarray(accounts.column(column))
    if values.dtype.kind != "f":
        msg = f"--outcome-column {column!r} must hold 0 or 1; it holds text"
        raise InvalidInputError(msg)
    present = values[~np.isnan(values)]
    bad = present[(present != 0) & (present != 1)]
    if bad.size:
        msg = f"--outcome-column {column!r} must hold 0 or 1 (or be empty); got {bad[0]:g}"
        raise InvalidInputError(msg)
    return values.astype(np.float64)


def _print_summary(scores: Scores, outcome: NDArray[np.float64] | None, stream: IO[str]) -> None:
    summary = scores.summary()
    seen = {label for counts in summary.values() for label in counts}
    # Bands first, in their models' order, withheld statuses last.
    band_order = dict.fromkeys(name for model in scores.models for name in model.bands.names)
    bands = [label for label in band_order if label in seen]
    statuses = [label for label in ("low_coverage", "no_data") if label in seen]
    header = ["segment", *bands, *statuses, "total"]
    rows: list[list[Any]] = []
    for segment, counts in summary.items():
        rows.append([segment, *(counts.get(label, 0) for label in [*bands, *statuses])])
        rows[-1].append(sum(counts.values()))
    totals = [sum(row[i] for row in rows) for i in range(1, len(header))]
    rows.append(["all", *totals])
    print(f"Accounts per segment and band (as of {scores.as_of}):", file=stream)
    _print_table(header, rows, stream)

    if outcome is None:
        return
    print("\nObserved churn rate per band:", file=stream)
    band_labels = np.array(
        [b if b is not None else str(s) for b, s in zip(scores.band, scores.status, strict=True)],
        dtype=object,
    )
    churn_rows: list[list[Any]] = []
    known = ~np.isnan(outcome)
    segment_names: list[str | None] = [*summary, None]
    segment_column = scores.segment
    for segment_name in segment_names:
        in_segment = known if segment_name is None else known & (segment_column == segment_name)
        for label in [*bands, *statuses]:
            members = in_segment & (band_labels == label)
            n = int(members.sum())
            if n == 0:
                continue
            churned = int(outcome[members].sum())
            churn_rows.append(
                [segment_name or "all", label, n, churned, f"{100.0 * churned / n:.1f}%"]
            )
    _print_table(["segment", "band", "accounts", "churned", "churn rate"], churn_rows, stream)


def _print_table(header: list[str], rows: list[list[Any]], stream: IO[str]) -> None:
    cells = [header, *[[str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        first = row[0].ljust(widths[0])
        rest = [value.rjust(width) for value, width in zip(row[1:], widths[1:], strict=True)]
        print("  ".join([first, *rest]), file=stream)


def _run_validate(arguments: argparse.Namespace) -> int:
    scorer = load_model(arguments.model)
    print(f"{arguments.model}: valid healthscore model")
    print(f"id column: {scorer.id_column or '<row number>'}")
    for model in scorer.models:
        role = "default" if model is scorer.default else f"rule: {model.rule}"
        weights = ", ".join(f"{k}={v:.3g}" for k, v in model.normalized_weights.items())
        print(f"- segment {model.name!r} version {model.version} ({role})")
        print(f"  hash {model.content_hash[:16]}  weights {weights}")
    if scorer.needs_fit:
        print("note: some percentile signals have no reference yet; scoring will fail")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
