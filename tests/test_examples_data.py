"""Tests of the bundled datasets and of examples/crm6_snapshot.py.

The crm6 snapshot checks recompute the expected values from the raw CSV rows
with plain loops, so they do not share code with the vectorised script.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.util
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
CRM6_DIR = DATA_DIR / "fightchurn-crm6-sim"
IRANIAN_DIR = DATA_DIR / "iranian-churn"

# SHA-256 of each bundled file as shipped. They must match the READMEs next to the data.
SHIPPED_SHA256 = {
    IRANIAN_DIR / "customer_churn.csv": (
        "72a4a660cba4166bab4f0c24e930d5453d1917e208c9ce2ed16b841347350dd3"
    ),
    CRM6_DIR / "LICENSE.md": ("397062898af365e97205b01b59cee6a47cb3aa53a49d907e67295a171d674044"),
    CRM6_DIR / "account.csv": ("3d4e22aa6ec4c4430d3b0639bb4233459ee9b8a6e561b3c2d086d4bddd976509"),
    CRM6_DIR / "account_daily_events.csv.gz": (
        "5ba94bdc5ffc9715ba4648803c94092300e411e653a9a6edd784c48f67f55a52"
    ),
    CRM6_DIR / "account_outcome.csv": (
        "12e74c1f7c0a8e584831db5708802592d29fb4b60c5ed285e466d58c183621c9"
    ),
    CRM6_DIR / "event_type.csv": (
        "12c5f50ee533831d8c72622888316fa58cd52799b46247a51dec61f5a42acfc3"
    ),
    CRM6_DIR / "subscription.csv.gz": (
        "7bcd6d1d9d6aa9d9c11f2b7585e4f8a83c6aca4a87f4aba449977c25f8e6d9e2"
    ),
}

# SHA-256 of the decompressed content of the gzip files.
UNCOMPRESSED_SHA256 = {
    CRM6_DIR / "account_daily_events.csv.gz": (
        "6f5290830179a4617af66f9c3696bbef984ffa93145eada47823144ff564219b"
    ),
    CRM6_DIR / "subscription.csv.gz": (
        "27bc3bae1dc9f5a83d53dab190c45f51ccfe804f61770c51bb8ead76d7eefa61"
    ),
}

IRANIAN_HEADER = [
    "Call  Failure",
    "Complains",
    "Subscription  Length",
    "Charge  Amount",
    "Seconds of Use",
    "Frequency of use",
    "Frequency of SMS",
    "Distinct Called Numbers",
    "Age Group",
    "Tariff Plan",
    "Status",
    "Age",
    "Customer Value",
    "Churn",
]

ADD_ONS = {"meetings", "search_unlimited"}
NEGATIVE_EVENTS = (
    "cancel_meeting",
    "unsub_lead",
    "add_competitor",
    "disqualify_opportunity",
    "lose_opportunity",
)
AS_OF = date(2023, 1, 1)
WINDOW_DAYS = 28
HORIZON_DAYS = 90


def _load_snapshot_module() -> ModuleType:
    path = REPO_ROOT / "examples" / "crm6_snapshot.py"
    spec = importlib.util.spec_from_file_location("crm6_snapshot", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


crm6_snapshot = _load_snapshot_module()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_dicts(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- Bundled files -------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SHIPPED_SHA256), ids=lambda path: path.name)
def test_bundled_file_sha256(path: Path) -> None:
    assert path.is_file(), f"missing bundled file {path}"
    assert _sha256(path.read_bytes()) == SHIPPED_SHA256[path]


@pytest.mark.parametrize("path", sorted(UNCOMPRESSED_SHA256), ids=lambda path: path.name)
def test_gzip_content_sha256(path: Path) -> None:
    assert _sha256(gzip.decompress(path.read_bytes())) == UNCOMPRESSED_SHA256[path]


def test_readmes_list_recorded_sha256() -> None:
    readme_text = {
        IRANIAN_DIR: (IRANIAN_DIR / "README.md").read_text(encoding="utf-8"),
        CRM6_DIR: (CRM6_DIR / "README.md").read_text(encoding="utf-8"),
    }
    for path, digest in {**SHIPPED_SHA256, **UNCOMPRESSED_SHA256}.items():
        assert digest in readme_text[path.parent], f"{path.parent.name}/README.md lacks {digest}"


@pytest.mark.parametrize(
    "path",
    [
        IRANIAN_DIR / "README.md",
        IRANIAN_DIR / "LICENSE.md",
        CRM6_DIR / "README.md",
        CRM6_DIR / "LICENSE.md",
    ],
    ids=lambda path: f"{path.parent.name}/{path.name}",
)
def test_license_and_readme_present(path: Path) -> None:
    assert path.is_file()


def test_iranian_csv_shape_and_label() -> None:
    with (IRANIAN_DIR / "customer_churn.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))

    assert rows[0] == IRANIAN_HEADER
    body = rows[1:]
    assert len(body) == 3150
    assert all(len(row) == len(IRANIAN_HEADER) for row in body)
    assert sum(row[-1] == "1" for row in body) == 495
    assert {row[-1] for row in body} == {"0", "1"}


# --- crm6 snapshot on the bundled data -----------------------------------


@pytest.fixture(scope="module")
def snapshot() -> dict[str, dict[str, str]]:
    rows = crm6_snapshot.build_snapshot(CRM6_DIR, AS_OF, WINDOW_DAYS, HORIZON_DAYS)
    return {row["account_id"]: row for row in rows}


@pytest.fixture(scope="module")
def subscriptions() -> list[dict[str, str]]:
    return _read_dicts(CRM6_DIR / "subscription.csv.gz")


@pytest.fixture(scope="module")
def daily_rows() -> dict[str, list[dict[str, str]]]:
    by_account: dict[str, list[dict[str, str]]] = {}
    for row in _read_dicts(CRM6_DIR / "account_daily_events.csv.gz"):
        by_account.setdefault(row["account_id"], []).append(row)
    return by_account


def _covers(period: dict[str, str], day: date) -> bool:
    return date.fromisoformat(period["start_date"]) <= day < date.fromisoformat(period["end_date"])


def _base_plan_on(subscriptions: list[dict[str, str]], account: str, day: date) -> dict[str, str]:
    matches = [
        period
        for period in subscriptions
        if period["account_id"] == account
        and period["product"] not in ADD_ONS
        and _covers(period, day)
    ]
    assert len(matches) == 1, f"account {account} has {len(matches)} base plans on {day}"
    return matches[0]


def _expected_row(
    account: str,
    subscriptions: list[dict[str, str]],
    daily_rows: dict[str, list[dict[str, str]]],
) -> dict[str, float | str | None]:
    """Recompute one snapshot row with plain loops over the raw rows."""
    base = _base_plan_on(subscriptions, account, AS_OF)
    mrr = 0.0
    first_start = AS_OF
    for period in subscriptions:
        if period["account_id"] != account:
            continue
        if _covers(period, AS_OF):
            mrr += float(period["mrr"])
        first_start = min(first_start, date.fromisoformat(period["start_date"]))

    window_start = AS_OF - timedelta(days=WINDOW_DAYS)
    utilisation = []
    active_users = 0
    events = 0
    negative = 0
    won_value = 0.0
    active_days = 0
    used_features = set()
    last_active: date | None = None
    for row in daily_rows[account]:
        day = date.fromisoformat(row["date"])
        if day >= AS_OF:
            continue
        if int(row["n_events"]) > 0 and (last_active is None or day > last_active):
            last_active = day
        if day < window_start:
            continue

        seats = int(_base_plan_on(subscriptions, account, day)["quantity"])
        utilisation.append(int(row["active_users"]) / seats)
        active_users += int(row["active_users"])
        events += int(row["n_events"])
        negative += sum(int(row[name]) for name in NEGATIVE_EVENTS)
        won_value += float(row["won_value"])
        active_days += int(row["n_events"]) > 0
        for name in crm6_snapshot.EVENT_COLUMNS:
            if int(row[name]) > 0:
                used_features.add(name)

    history_days = len(utilisation)
    return {
        "arr": 12 * mrr,
        "renewal_date": base["end_date"],
        "seats": base["quantity"],
        "plan": base["product"],
        "bill_period_months": base["bill_period_months"],
        "tenure_days": float((AS_OF - first_start).days),
        "seat_utilisation": sum(utilisation) / history_days if history_days else None,
        "events_per_active_user": events / active_users if active_users else None,
        "feature_breadth": float(len(used_features)) if history_days else None,
        "active_days_share": active_days / history_days if history_days else None,
        "days_since_last_activity": (
            float((AS_OF - last_active).days) if last_active is not None else None
        ),
        "negative_event_share": negative / events if events else None,
        "won_value_window": won_value if history_days else None,
    }


# Account 309 changed from standard_mthly (25 seats) to advanced_mthly (50 seats)
# on 2022-12-18, inside the window. Account 337 started 13 days before the
# snapshot, and account 353 started on the snapshot date itself.
@pytest.mark.parametrize("account", ["0", "309", "337", "353"])
def test_snapshot_matches_loop_recomputation(
    account: str,
    snapshot: dict[str, dict[str, str]],
    subscriptions: list[dict[str, str]],
    daily_rows: dict[str, list[dict[str, str]]],
) -> None:
    row = snapshot[account]
    expected = _expected_row(account, subscriptions, daily_rows)

    for column, value in expected.items():
        if value is None:
            assert row[column] == "", f"{column} should be missing"
        elif isinstance(value, str):
            assert row[column] == value, column
        else:
            assert row[column] != "", f"{column} should not be missing"
            assert float(row[column]) == pytest.approx(value, abs=1e-6), column


def test_snapshot_plan_change_uses_daily_seats(snapshot: dict[str, dict[str, str]]) -> None:
    # The window has 14 days on 25 seats and 14 on 50 seats. Dividing every day
    # by the current 50 seats would give a lower value.
    row = snapshot["309"]
    assert row["plan"] == "advanced_mthly"
    assert row["seats"] == "50"
    assert float(row["seat_utilisation"]) == pytest.approx(0.458571, abs=1e-6)


def test_snapshot_new_account_has_missing_window(snapshot: dict[str, dict[str, str]]) -> None:
    row = snapshot["353"]
    assert row["tenure_days"] == "0"
    for column in (
        "seat_utilisation",
        "events_per_active_user",
        "feature_breadth",
        "active_days_share",
        "days_since_last_activity",
        "negative_event_share",
        "won_value_window",
    ):
        assert row[column] == "", column


def test_snapshot_columns_and_order(snapshot: dict[str, dict[str, str]]) -> None:
    for row in snapshot.values():
        assert tuple(row) == crm6_snapshot.SNAPSHOT_COLUMNS
    account_ids = [int(account) for account in snapshot]
    assert account_ids == sorted(account_ids)


def test_snapshot_contains_exactly_active_accounts(
    snapshot: dict[str, dict[str, str]], subscriptions: list[dict[str, str]]
) -> None:
    active = {
        period["account_id"]
        for period in subscriptions
        if period["product"] not in ADD_ONS and _covers(period, AS_OF)
    }
    assert set(snapshot) == active
    assert len(snapshot) == 298


def test_snapshot_excludes_churned_before_as_of(snapshot: dict[str, dict[str, str]]) -> None:
    outcomes = _read_dicts(CRM6_DIR / "account_outcome.csv")
    churned_before = [
        row["account_id"]
        for row in outcomes
        if row["churn_date"] and date.fromisoformat(row["churn_date"]) <= AS_OF
    ]
    assert churned_before, "the bundled data should have accounts churned before the snapshot"
    for account in churned_before:
        assert account not in snapshot, f"account {account} churned before {AS_OF}"


def test_snapshot_churn_labels(snapshot: dict[str, dict[str, str]]) -> None:
    horizon_end = AS_OF + timedelta(days=HORIZON_DAYS)
    churn_dates = {
        row["account_id"]: date.fromisoformat(row["churn_date"])
        for row in _read_dicts(CRM6_DIR / "account_outcome.csv")
        if row["churn_date"]
    }
    expected_churners = {
        account
        for account in snapshot
        if account in churn_dates and AS_OF <= churn_dates[account] < horizon_end
    }

    labelled = {
        account for account, row in snapshot.items() if row["churned_within_horizon"] == "1"
    }
    assert labelled == expected_churners
    assert len(labelled) == 16
    assert {row["churned_within_horizon"] for row in snapshot.values()} == {"0", "1"}


def test_snapshot_renewal_after_as_of(snapshot: dict[str, dict[str, str]]) -> None:
    for account, row in snapshot.items():
        assert date.fromisoformat(row["renewal_date"]) > AS_OF, account


# --- crm6 snapshot on a small synthetic dataset ---------------------------

SYNTHETIC_DAYS = [date(2023, 1, 1) + timedelta(days=offset) for offset in range(10)]


def _daily_row(account: int, day: date, **counts: float) -> dict[str, str]:
    row = {"account_id": str(account), "date": day.isoformat()}
    row["active_users"] = str(int(counts.pop("active_users", 0)))
    won_value = counts.pop("won_value", 0.0)
    row["n_events"] = str(int(sum(counts.values())))
    for name in crm6_snapshot.EVENT_COLUMNS:
        row[name] = str(int(counts.get(name, 0)))
    row["won_value"] = str(won_value)
    row["lost_value"] = "0.0"
    return row


def _synthetic_daily_rows() -> Iterator[dict[str, str]]:
    """Yield daily rows for five accounts over 2023-01-01 .. 2023-01-10."""
    activity: dict[date, dict[str, float]] = {
        date(2023, 1, 5): {"active_users": 2, "search": 3, "cancel_meeting": 1, "won_value": 10.5},
        date(2023, 1, 7): {"active_users": 1, "quote": 2},
    }
    for day in SYNTHETIC_DAYS:
        # Account 0: activity on two of the three window days.
        yield _daily_row(0, day, **activity.get(day, {}))
        # Account 1: subscribed throughout but never active.
        yield _daily_row(1, day)
        # Account 2: churned on 2023-01-05, so its rows stop the day before.
        if day < date(2023, 1, 5):
            yield _daily_row(2, day, active_users=1, search=1)
        # Account 3: signed up on 2023-01-08.
        if day >= date(2023, 1, 8):
            yield _daily_row(3, day, active_users=1, search=1)
        # Account 4: churns on 2023-01-10.
        if day < date(2023, 1, 10):
            yield _daily_row(4, day, active_users=1, meeting=1)


def _write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def synthetic_dir(tmp_path: Path) -> Path:
    """Write a five-account crm6-shaped dataset and return its folder."""
    periods = [
        # account, product, start, end, mrr, seats
        (0, "starter_mthly", "2023-01-01", "2023-02-01", 100, 5),
        (0, "meetings", "2023-01-01", "2023-02-01", 300, 5000),
        (1, "basic_mthly", "2023-01-01", "2023-02-01", 200, 10),
        (2, "starter_mthly", "2023-01-01", "2023-01-05", 100, 5),
        (3, "basic_mthly", "2023-01-08", "2023-02-08", 200, 10),
        (4, "starter_mthly", "2022-12-10", "2023-01-10", 100, 5),
    ]
    subscription_rows = [
        {
            "account_id": str(account),
            "product": product,
            "start_date": start,
            "end_date": end,
            "mrr": str(mrr),
            "quantity": str(quantity),
            "units": "users",
            "bill_period_months": "1",
            "discount": "0.0",
        }
        for account, product, start, end, mrr, quantity in periods
    ]
    _write_csv(tmp_path / "subscription.csv.gz", list(subscription_rows[0]), subscription_rows)

    daily = list(_synthetic_daily_rows())
    _write_csv(tmp_path / "account_daily_events.csv.gz", list(daily[0]), daily)

    accounts = [{"id": str(account), "channel": "web"} for account in range(5)]
    _write_csv(tmp_path / "account.csv", ["id", "channel"], accounts)

    churn_dates = {0: "", 1: "", 2: "2023-01-05", 3: "", 4: "2023-01-10"}
    outcomes = [
        {"account_id": str(account), "churn_date": churn_date}
        for account, churn_date in churn_dates.items()
    ]
    _write_csv(tmp_path / "account_outcome.csv", ["account_id", "churn_date"], outcomes)
    return tmp_path


def test_synthetic_snapshot_values(synthetic_dir: Path) -> None:
    rows = crm6_snapshot.build_snapshot(
        synthetic_dir, date(2023, 1, 8), window_days=3, horizon_days=3
    )
    by_account = {row["account_id"]: row for row in rows}

    assert list(by_account) == ["0", "1", "3", "4"]
    # Window 2023-01-05 .. 2023-01-07: (2/5 + 0 + 1/5) / 3 seat utilisation,
    # 6 events by 3 active users, and 1 of 6 events negative (cancel_meeting).
    assert by_account["0"] == {
        "account_id": "0",
        "arr": "4800",
        "renewal_date": "2023-02-01",
        "seats": "5",
        "plan": "starter_mthly",
        "bill_period_months": "1",
        "channel": "web",
        "tenure_days": "7",
        "seat_utilisation": "0.2",
        "events_per_active_user": "2",
        "feature_breadth": "3",
        "active_days_share": "0.666667",
        "days_since_last_activity": "1",
        "negative_event_share": "0.166667",
        "won_value_window": "10.5",
        "churned_within_horizon": "0",
    }


def test_synthetic_inactive_account_missing_ratios(synthetic_dir: Path) -> None:
    rows = crm6_snapshot.build_snapshot(
        synthetic_dir, date(2023, 1, 8), window_days=3, horizon_days=3
    )
    inactive = next(row for row in rows if row["account_id"] == "1")

    assert inactive["events_per_active_user"] == ""
    assert inactive["negative_event_share"] == ""
    assert inactive["days_since_last_activity"] == ""
    assert inactive["seat_utilisation"] == "0"
    assert inactive["active_days_share"] == "0"
    assert inactive["feature_breadth"] == "0"
    assert inactive["won_value_window"] == "0"


def test_synthetic_new_and_churning_accounts(synthetic_dir: Path) -> None:
    rows = crm6_snapshot.build_snapshot(
        synthetic_dir, date(2023, 1, 8), window_days=3, horizon_days=3
    )
    by_account = {row["account_id"]: row for row in rows}

    assert by_account["3"]["tenure_days"] == "0"
    assert by_account["3"]["seat_utilisation"] == ""
    assert by_account["3"]["feature_breadth"] == ""
    assert by_account["4"]["churned_within_horizon"] == "1"
    assert by_account["4"]["tenure_days"] == "29"


@pytest.mark.parametrize(("horizon_days", "expected_label"), [(2, "0"), (3, "1")])
def test_synthetic_horizon_end_exclusive(
    synthetic_dir: Path, horizon_days: int, expected_label: str
) -> None:
    # Account 4 churns on 2023-01-10, which is outside [2023-01-08, 2023-01-10)
    # but inside [2023-01-08, 2023-01-11).
    rows = crm6_snapshot.build_snapshot(
        synthetic_dir, date(2023, 1, 8), window_days=3, horizon_days=horizon_days
    )
    churning = next(row for row in rows if row["account_id"] == "4")

    assert churning["churned_within_horizon"] == expected_label


def test_synthetic_horizon_past_data_end(synthetic_dir: Path) -> None:
    # The data ends on 2023-01-10, so the outcome after it is unknown.
    with pytest.warns(UserWarning, match="after the last observed day"):
        rows = crm6_snapshot.build_snapshot(
            synthetic_dir, date(2023, 1, 8), window_days=3, horizon_days=5
        )
    labels = {row["account_id"]: row["churned_within_horizon"] for row in rows}

    assert labels == {"0": "", "1": "", "3": "", "4": "1"}


@pytest.mark.parametrize(
    ("as_of", "window_days", "horizon_days", "message"),
    [
        (date(2023, 1, 8), 0, 3, "window_days must be at least 1"),
        (date(2023, 1, 8), 3, 0, "horizon_days must be at least 1"),
        (date(2023, 1, 12), 3, 3, "after the end of the data"),
    ],
)
def test_synthetic_invalid_arguments(
    synthetic_dir: Path, as_of: date, window_days: int, horizon_days: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        crm6_snapshot.build_snapshot(synthetic_dir, as_of, window_days, horizon_days)


def test_synthetic_missing_daily_row(synthetic_dir: Path) -> None:
    path = synthetic_dir / "account_daily_events.csv.gz"
    rows = [
        row
        for row in _synthetic_daily_rows()
        if not (row["account_id"] == "0" and row["date"] == "2023-01-06")
    ]
    _write_csv(path, list(rows[0]), rows)

    with pytest.raises(ValueError, match=r"accounts \[0\] lack daily rows"):
        crm6_snapshot.build_snapshot(synthetic_dir, date(2023, 1, 8), 3, 3)


def test_synthetic_ragged_row_rejected(synthetic_dir: Path) -> None:
    with (synthetic_dir / "account.csv").open("a", encoding="utf-8") as handle:
        handle.write("5\n")

    with pytest.raises(ValueError, match=r"account\.csv line 7: expected 2 fields, got 1"):
        crm6_snapshot.build_snapshot(synthetic_dir, date(2023, 1, 8), 3, 3)


def test_cli_writes_csv_and_summary(
    synthetic_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "nested" / "snapshot.csv"
    status = crm6_snapshot.main(
        [
            "--data-dir",
            str(synthetic_dir),
            "--as-of",
            "2023-01-08",
            "--window-days",
            "3",
            "--horizon-days",
            "3",
            "--out",
            str(out_path),
        ]
    )

    assert status == 0
    with out_path.open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [row["account_id"] for row in written] == ["0", "1", "3", "4"]
    assert tuple(written[0]) == crm6_snapshot.SNAPSHOT_COLUMNS
    summary = capsys.readouterr().err
    assert "4 accounts" in summary
    assert "ARR below 15000: 4" in summary
    assert "churned within 3 days: 1" in summary
