"""Build an account snapshot CSV from the bundled ChurnSim crm6 data.

A snapshot as of date ``D`` describes every account that is active on ``D``,
using only what was known at the start of that day:

* An account is active on ``D`` when one of its base-plan subscription periods
  covers ``D``. Periods are half-open ``[start_date, end_date)``, so an account
  whose last period ends on ``D`` has churned and is left out.
* Behaviour features use the daily rows of the ``window_days`` days
  ``D - window_days`` .. ``D - 1``. Window days before the account's first
  daily row are outside its history and are not counted. When no window day
  is inside the history (an account that started on ``D``), every window
  feature is missing.
* ``churned_within_horizon`` is 1 when the account's churn date falls in
  ``[D, D + horizon_days)``. It is missing when the horizon reaches past the
  last day of the data and the account had not churned by then, because the
  outcome is not observed.

Missing values are written as empty cells, never as 0. Ratios are rounded to
6 decimals and money to 2 decimals.

Run ``python examples/crm6_snapshot.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import sys
import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from collections.abc import Sequence

DEFAULT_DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "fightchurn-crm6-sim"
DEFAULT_AS_OF = date(2023, 1, 1)
ARR_SEGMENT_THRESHOLD = 15000.0

ADD_ON_PRODUCTS = frozenset({"meetings", "search_unlimited"})

# The 25 product event types of the crm6 model, in file order.
EVENT_COLUMNS = (
    "search",
    "create_search",
    "edit_search",
    "delete_search",
    "win_opportunity",
    "advance_stage",
    "add_competitor",
    "disqualify_opportunity",
    "lose_opportunity",
    "quote",
    "create_opportunity",
    "add_contact",
    "edit_contact",
    "add_lead",
    "unsub_lead",
    "edit_lead",
    "email_lead",
    "call_lead",
    "create_list",
    "delete_list",
    "email_list",
    "meeting",
    "schedule_meeting",
    "edit_meeting",
    "cancel_meeting",
)

# Events that signal a bad experience or a lost deal.
NEGATIVE_EVENT_COLUMNS = (
    "cancel_meeting",
    "unsub_lead",
    "add_competitor",
    "disqualify_opportunity",
    "lose_opportunity",
)

SNAPSHOT_COLUMNS = (
    "account_id",
    "arr",
    "renewal_date",
    "seats",
    "plan",
    "bill_period_months",
    "channel",
    "tenure_days",
    "seat_utilisation",
    "events_per_active_user",
    "feature_breadth",
    "active_days_share",
    "days_since_last_activity",
    "negative_event_share",
    "won_value_window",
    "churned_within_horizon",
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
StrArray = npt.NDArray[np.str_]


@dataclass(frozen=True)
class Subscriptions:
    """Subscription periods, one entry per product and billing period.

    Dates are day numbers since 1970-01-01, and ``end`` is exclusive.
    """

    account: IntArray
    product: StrArray
    start: IntArray
    end: IntArray
    mrr: FloatArray
    quantity: IntArray
    bill_period_months: IntArray


@dataclass(frozen=True)
class DailyEvents:
    """Per-account daily event counts, one entry per account and calendar day."""

    account: IntArray
    day: IntArray
    active_users: FloatArray
    n_events: FloatArray
    event_counts: FloatArray  # shape (rows, len(EVENT_COLUMNS))
    negative_events: FloatArray
    won_value: FloatArray


def _read_columns(path: Path, required: Sequence[str]) -> dict[str, StrArray]:
    """Read the ``required`` columns of a CSV file, gzip-compressed if it ends in ``.gz``."""
    if not path.is_file():
        raise FileNotFoundError(f"data file not found: {path}")

    with (
        gzip.open(path, "rt", encoding="utf-8", newline="")
        if path.suffix == ".gz"
        else path.open(encoding="utf-8", newline="")
    ) as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        missing = [name for name in required if name not in header]
        if missing:
            raise ValueError(f"{path}: missing columns {missing}. The header is {header}.")
        rows = list(reader)

    for line_number, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise ValueError(
                f"{path} line {line_number}: expected {len(header)} fields, got {len(row)}"
            )

    table = np.array(rows, dtype=np.str_).reshape(len(rows), len(header))
    return {name: table[:, header.index(name)] for name in required}


def _to_day_numbers(values: StrArray) -> IntArray:
    """Convert YYYY-MM-DD strings to day numbers since 1970-01-01."""
    return values.astype("datetime64[D]").astype(np.int64)


def _day_number(day: date) -> int:
    return int(np.datetime64(day, "D").astype(np.int64))


def _from_day_number(day_number: int) -> date:
    return date(1970, 1, 1) + timedelta(days=day_number)


def load_subscriptions(data_dir: Path) -> Subscriptions:
    """Load ``subscription.csv.gz``."""
    columns = _read_columns(
        data_dir / "subscription.csv.gz",
        (
            "account_id",
            "product",
            "start_date",
            "end_date",
            "mrr",
            "quantity",
            "bill_period_months",
        ),
    )
    return Subscriptions(
        account=columns["account_id"].astype(np.int64),
        product=columns["product"],
        start=_to_day_numbers(columns["start_date"]),
        end=_to_day_numbers(columns["end_date"]),
        mrr=columns["mrr"].astype(np.float64),
        quantity=columns["quantity"].astype(np.int64),
        bill_period_months=columns["bill_period_months"].astype(np.int64),
    )


def load_daily_events(data_dir: Path) -> DailyEvents:
    """Load ``account_daily_events.csv.gz``."""
    columns = _read_columns(
        data_dir / "account_daily_events.csv.gz",
        ("account_id", "date", "active_users", "n_events", "won_value", *EVENT_COLUMNS),
    )
    event_counts = np.column_stack(
        [columns[name].astype(np.float64) for name in EVENT_COLUMNS]
    ).reshape(len(columns["date"]), len(EVENT_COLUMNS))
    negative_indices = [EVENT_COLUMNS.index(name) for name in NEGATIVE_EVENT_COLUMNS]
    return DailyEvents(
        account=columns["account_id"].astype(np.int64),
        day=_to_day_numbers(columns["date"]),
        active_users=columns["active_users"].astype(np.float64),
        n_events=columns["n_events"].astype(np.float64),
        event_counts=event_counts,
        negative_events=event_counts[:, negative_indices].sum(axis=1),
        won_value=columns["won_value"].astype(np.float64),
    )


def load_channels(data_dir: Path) -> dict[int, str]:
    """Load the acquisition channel of each account from ``account.csv``."""
    columns = _read_columns(data_dir / "account.csv", ("id", "channel"))
    return {
        int(account_id): str(channel)
        for account_id, channel in zip(columns["id"], columns["channel"], strict=True)
    }


def load_churn_dates(data_dir: Path) -> dict[int, date]:
    """Load the churn date of each churned account from ``account_outcome.csv``.

    Accounts that had not churned by the end of the simulation have no entry.
    """
    columns = _read_columns(data_dir / "account_outcome.csv", ("account_id", "churn_date"))
    return {
        int(account_id): date.fromisoformat(str(churn_date))
        for account_id, churn_date in zip(
            columns["account_id"], columns["churn_date"], strict=True
        )
        if churn_date
    }


def _sum_by_account(accounts: IntArray, values: FloatArray | None, n_accounts: int) -> FloatArray:
    return np.bincount(accounts, weights=values, minlength=n_accounts).astype(np.float64)


def _divide_or_nan(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Divide element-wise, with NaN where the denominator is 0."""
    result = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=result, where=denominator != 0)
    return result


def _base_period_index(
    subscriptions: Subscriptions, accounts: IntArray, days: IntArray
) -> IntArray:
    """Find the base-plan period that covers each (account, day) pair.

    Returns indices into ``subscriptions``, or -1 where no base-plan period
    covers the day.
    """
    base = np.flatnonzero(~np.isin(subscriptions.product, list(ADD_ON_PRODUCTS)))

    # Sortable int64 keys per (account, day). Day numbers stay below 10**6 until
    # the year 4707, so the scaled account id keeps accounts apart.
    key_scale = 1_000_000
    start_keys = subscriptions.account[base] * key_scale + subscriptions.start[base]
    order = np.argsort(start_keys, kind="stable")
    sorted_base = base[order]
    sorted_keys = start_keys[order]

    position = np.searchsorted(sorted_keys, accounts * key_scale + days, side="right") - 1
    candidate = sorted_base[np.clip(position, 0, None)]
    covered = (
        (position >= 0)
        & (subscriptions.account[candidate] == accounts)
        & (subscriptions.end[candidate] > days)
    )
    return np.where(covered, candidate, -1)


@dataclass(frozen=True)
class CurrentPlans:
    """Subscription state on the snapshot date, indexed by account id."""

    base_period: dict[int, int]  # account id -> index of its base-plan period in Subscriptions
    mrr_total: FloatArray  # MRR summed over all products covering the date
    first_start: IntArray  # day number of the first subscription start


@dataclass(frozen=True)
class WindowFeatures:
    """Behaviour features over the window, indexed by account id, with NaN for missing values."""

    seat_utilisation: FloatArray
    events_per_active_user: FloatArray
    feature_breadth: FloatArray
    active_days_share: FloatArray
    negative_event_share: FloatArray
    won_value: FloatArray
    last_active_day: IntArray  # day number of the last day with events before D, or NO_DAY


NO_DAY = np.iinfo(np.int64).min


def _current_plans(subscriptions: Subscriptions, as_of_day: int, n_accounts: int) -> CurrentPlans:
    """Find each account's base plan and total MRR on ``as_of_day``.

    Raises ValueError if an account has two base-plan periods covering the day.
    """
    covering = (subscriptions.start <= as_of_day) & (subscriptions.end > as_of_day)
    is_base = ~np.isin(subscriptions.product, list(ADD_ON_PRODUCTS))
    current_base = np.flatnonzero(covering & is_base)

    base_counts = np.bincount(subscriptions.account[current_base], minlength=n_accounts)
    if np.any(base_counts > 1):
        duplicated = np.flatnonzero(base_counts > 1).tolist()
        as_of = _from_day_number(as_of_day)
        raise ValueError(
            f"accounts {duplicated} have more than one base plan on {as_of}. "
            "Base-plan periods of one account must not overlap."
        )

    first_start = np.full(n_accounts, np.iinfo(np.int64).max)
    np.minimum.at(first_start, subscriptions.account, subscriptions.start)
    return CurrentPlans(
        base_period={int(subscriptions.account[i]): int(i) for i in current_base},
        mrr_total=_sum_by_account(
            subscriptions.account[covering], subscriptions.mrr[covering], n_accounts
        ),
        first_start=first_start,
    )


def _history_days(
    events: DailyEvents, window_start: int, as_of_day: int, n_accounts: int
) -> FloatArray:
    """Count the window days on or after each account's first daily row."""
    first_day = np.full(n_accounts, as_of_day, dtype=np.int64)
    np.minimum.at(first_day, events.account, events.day)
    history_start = np.maximum(first_day, window_start)
    history_days: FloatArray = (as_of_day - history_start).astype(np.float64)
    return history_days


def _window_features(
    events: DailyEvents,
    subscriptions: Subscriptions,
    active_accounts: IntArray,
    *,
    as_of_day: int,
    window_days: int,
    n_accounts: int,
) -> WindowFeatures:
    """Aggregate the daily rows of the window ``as_of_day - window_days`` .. ``as_of_day - 1``.

    Raises ValueError if an active account lacks a daily row or a base-plan
    period for a day inside its history.
    """
    window_start = as_of_day - window_days
    history_days = _history_days(events, window_start, as_of_day, n_accounts)

    in_window = (events.day >= window_start) & (events.day < as_of_day)
    window_account = events.account[in_window]
    window_rows = _sum_by_account(window_account, None, n_accounts)
    incomplete = active_accounts[window_rows[active_accounts] != history_days[active_accounts]]
    if incomplete.size:
        raise ValueError(
            f"accounts {incomplete.tolist()} lack daily rows between "
            f"{_from_day_number(window_start)} and {_from_day_number(as_of_day - 1)}. "
            "The daily file needs one row per account and calendar day."
        )

    # Seats can change inside the window after an upgrade or downgrade, so each
    # day's utilisation uses the seats of the base plan in force on that day.
    window_base = _base_period_index(subscriptions, window_account, events.day[in_window])
    uncovered = np.isin(window_account, active_accounts) & (window_base < 0)
    if np.any(uncovered):
        raise ValueError(
            f"accounts {np.unique(window_account[uncovered]).tolist()} have window days "
            "without a base-plan period."
        )
    day_seats = subscriptions.quantity[np.clip(window_base, 0, None)].astype(np.float64)
    day_utilisation = _divide_or_nan(events.active_users[in_window], day_seats)

    def window_sum(values: FloatArray) -> FloatArray:
        return _sum_by_account(window_account, values[in_window], n_accounts)

    events_sum = window_sum(events.n_events)
    utilisation_sum = _sum_by_account(window_account, np.nan_to_num(day_utilisation), n_accounts)
    active_day_count = window_sum((events.n_events > 0).astype(np.float64))
    feature_totals = np.zeros((n_accounts, len(EVENT_COLUMNS)))
    np.add.at(feature_totals, window_account, events.event_counts[in_window])
    has_history = history_days > 0

    # Last activity may lie before the window, so it looks at all rows before D.
    active_before = (events.day < as_of_day) & (events.n_events > 0)
    last_active_day = np.full(n_accounts, NO_DAY)
    np.maximum.at(last_active_day, events.account[active_before], events.day[active_before])

    return WindowFeatures(
        seat_utilisation=_divide_or_nan(utilisation_sum, history_days),
        events_per_active_user=_divide_or_nan(events_sum, window_sum(events.active_users)),
        feature_breadth=np.where(has_history, (feature_totals > 0).sum(axis=1), np.nan),
        active_days_share=_divide_or_nan(active_day_count, history_days),
        negative_event_share=_divide_or_nan(window_sum(events.negative_events), events_sum),
        won_value=np.where(has_history, window_sum(events.won_value), np.nan),
        last_active_day=last_active_day,
    )


def _churn_label(
    churn_date: date | None, as_of: date, horizon_end: date, observation_end: date
) -> str:
    """Return "1" for churn in ``[as_of, horizon_end)``, "0" for none, "" when unobserved."""
    if churn_date is not None and as_of <= churn_date < horizon_end:
        return "1"
    if churn_date is None and horizon_end > observation_end:
        return ""
    return "0"


def _format_number(value: float, decimals: int) -> str:
    """Format a number with at most ``decimals`` decimals, NaN as an empty string."""
    if math.isnan(value):
        return ""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def build_snapshot(
    data_dir: Path,
    as_of: date,
    window_days: int = 28,
    horizon_days: int = 90,
) -> list[dict[str, str]]:
    """Build one snapshot row per account that is active on ``as_of``.

    Parameters
    ----------
    data_dir
        Folder with the crm6 files: ``subscription.csv.gz``,
        ``account_daily_events.csv.gz``, ``account.csv`` and ``account_outcome.csv``.
    as_of
        Snapshot date ``D``. Daily rows strictly before ``D`` are used.
    window_days
        Length of the behaviour window ``D - window_days`` .. ``D - 1``, in days.
    horizon_days
        Length of the churn label horizon ``[D, D + horizon_days)``, in days.

    Returns
    -------
    list of dict
        Rows keyed by ``SNAPSHOT_COLUMNS``, sorted by account id. Every value is
        a string, and missing values are empty strings.

    Raises
    ------
    ValueError
        If ``window_days`` or ``horizon_days`` is below 1, or ``as_of`` is after
        the day following the last daily row. Also if a file lacks a column or
        has a row with the wrong field count, if an account has two base-plan
        periods covering ``as_of``, or if an active account lacks a daily row or
        a base-plan period on a day inside its history window.
    FileNotFoundError
        If a data file is missing.

    Warns
    -----
    UserWarning
        If the horizon ends after the last observed day, so some labels are missing.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")

    subscriptions = load_subscriptions(data_dir)
    events = load_daily_events(data_dir)
    channels = load_channels(data_dir)
    churn_dates = load_churn_dates(data_dir)

    # The daily rows end the day before the simulation end (2023-04-01 for the
    # bundled run). Later snapshots would have incomplete windows, and churn after
    # that day is unknown.
    observation_end = _from_day_number(int(events.day.max()) + 1)
    if as_of > observation_end:
        raise ValueError(
            f"as-of date {as_of} is after the end of the data. "
            f"Choose a date up to {observation_end}."
        )
    horizon_end = as_of + timedelta(days=horizon_days)
    if horizon_end > observation_end:
        warnings.warn(
            f"the horizon ends on {horizon_end}, after the last observed day "
            f"{observation_end - timedelta(days=1)}, so churned_within_horizon is empty "
            "for accounts that had not churned by then",
            UserWarning,
            stacklevel=2,
        )

    as_of_day = _day_number(as_of)
    n_accounts = int(max(subscriptions.account.max(), events.account.max())) + 1
    plans = _current_plans(subscriptions, as_of_day, n_accounts)
    active_accounts = np.array(sorted(plans.base_period), dtype=np.int64)
    features = _window_features(
        events,
        subscriptions,
        active_accounts,
        as_of_day=as_of_day,
        window_days=window_days,
        n_accounts=n_accounts,
    )

    rows: list[dict[str, str]] = []
    for account in active_accounts.tolist():
        base = plans.base_period[account]
        last_active_day = int(features.last_active_day[account])
        rows.append(
            {
                "account_id": str(account),
                "arr": _format_number(12.0 * plans.mrr_total[account], 2),
                "renewal_date": _from_day_number(int(subscriptions.end[base])).isoformat(),
                "seats": str(int(subscriptions.quantity[base])),
                "plan": str(subscriptions.product[base]),
                "bill_period_months": str(int(subscriptions.bill_period_months[base])),
                "channel": channels.get(account, ""),
                "tenure_days": str(as_of_day - int(plans.first_start[account])),
                "seat_utilisation": _format_number(features.seat_utilisation[account], 6),
                "events_per_active_user": _format_number(
                    features.events_per_active_user[account], 6
                ),
                "feature_breadth": _format_number(features.feature_breadth[account], 0),
                "active_days_share": _format_number(features.active_days_share[account], 6),
                "days_since_last_activity": (
                    "" if last_active_day == NO_DAY else str(as_of_day - last_active_day)
                ),
                "negative_event_share": _format_number(features.negative_event_share[account], 6),
                "won_value_window": _format_number(features.won_value[account], 2),
                "churned_within_horizon": _churn_label(
                    churn_dates.get(account), as_of, horizon_end, observation_end
                ),
            }
        )
    return rows


def write_snapshot(rows: Sequence[dict[str, str]], path: Path) -> None:
    """Write snapshot rows as CSV with the ``SNAPSHOT_COLUMNS`` header, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SNAPSHOT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def summarise_snapshot(rows: Sequence[dict[str, str]], horizon_days: int) -> str:
    """Return a one-line summary: account count, ARR segments and churners."""
    arr = [float(row["arr"]) for row in rows]
    below = sum(value < ARR_SEGMENT_THRESHOLD for value in arr)
    churners = sum(row["churned_within_horizon"] == "1" for row in rows)
    unknown = sum(row["churned_within_horizon"] == "" for row in rows)
    summary = (
        f"{len(rows)} accounts; ARR below {ARR_SEGMENT_THRESHOLD:.0f}: {below}, "
        f"at or above: {len(rows) - below}; churned within {horizon_days} days: {churners}"
    )
    if unknown:
        summary += f" ({unknown} with unknown outcome)"
    return summary


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}, expected YYYY-MM-DD") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command-line interface and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--as-of",
        type=_parse_date,
        default=DEFAULT_AS_OF,
        help="snapshot date D (YYYY-MM-DD). Daily rows before D are used (default: %(default)s)",
    )
    parser.add_argument(
        "--window-days",
        type=int,
        default=28,
        help="behaviour window length in days, ending the day before D (default: %(default)s)",
    )
    parser.add_argument(
        "--horizon-days",
        type=int,
        default=90,
        help="churn label horizon in days, starting on D (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        help="folder with the crm6 files (default: the repository's data/fightchurn-crm6-sim)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output CSV path (default: out/crm6_accounts_<as-of>.csv in the current directory)",
    )
    args = parser.parse_args(argv)

    out_path: Path = args.out or Path("out") / f"crm6_accounts_{args.as_of.isoformat()}.csv"
    try:
        rows = build_snapshot(args.data_dir, args.as_of, args.window_days, args.horizon_days)
    except (ValueError, FileNotFoundError) as error:
        parser.error(str(error))
    write_snapshot(rows, out_path)
    print(f"wrote {out_path}: {summarise_snapshot(rows, args.horizon_days)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
