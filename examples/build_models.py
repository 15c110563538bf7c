"""Build the example model files in examples/models/ from the bundled data.

Run it from the repository root after installing healthscore:

    python examples/build_models.py

It defines one scorer per bundled dataset in Python, fits the percentile
references on the data, and saves each as a JSON model file. The files are
committed, so running this again is only needed after changing a model here;
a test checks that the committed files match what this script builds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import sys
from pathlib import Path

import healthscore as hs
from healthscore.sources import CSVSource

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "examples" / "models"

#: Snapshot date of the crm6 example: far enough before the end of the simulated
#: data (2023-03-31) that churn in the following 90 days is known.
CRM6_AS_OF = dt.date(2023, 1, 1)

#: The Iranian data has no dates; scores are stamped with this nominal date.
IRANIAN_AS_OF = dt.date(2020, 1, 1)


def _load_snapshot_module() -> object:
    spec = importlib.util.spec_from_file_location("crm6_snapshot", ROOT / "examples" / "crm6_snapshot.py")
    if spec is None or spec.loader is None:
        raise ImportError("cannot load examples/crm6_snapshot.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["crm6_snapshot"] = module
    spec.loader.exec_module(module)
    return module


def crm6_scorer() -> hs.Scorer:
    """Two segments split at $15K ARR over usage signals from the daily events."""

    def signals(utilisation_high: float) -> list[hs.Signal]:
        return [
            hs.Signal(
                name="seat_utilisation",
                normaliser=hs.LinearRange(low=0.0, high=utilisation_high),
                description="mean daily active users / seats over the last 28 days",
            ),
            hs.Signal(
                name="events_per_active_user",
                normaliser=hs.PercentileRank(),
                description="events per active user-day over the last 28 days, ranked in segment",
            ),
            hs.Signal(
                name="feature_breadth",
                normaliser=hs.LinearRange(low=5, high=22),
                description="distinct event types used in the last 28 days (of 25)",
            ),
            hs.Signal(
                name="active_days_share",
                normaliser=hs.LinearRange(low=0.3, high=1.0),
                description="share of the last 28 days with any event",
            ),
            hs.Signal(
                name="days_since_last_activity",
                normaliser=hs.ThresholdBands(edges=(2, 4, 8, 15), scores=(100, 80, 50, 20, 0)),
                higher_is_better=False,
                description="days since the last day with any event",
            ),
            hs.Signal(
                name="negative_event_share",
                normaliser=hs.LinearRange(low=0.05, high=0.40),
                higher_is_better=False,
                description="share of events that are cancellations, unsubscribes or lost deals",
            ),
        ]

    small = hs.SegmentModel(
        name="under_15k",
        rule="arr < 15000",
        signals=signals(utilisation_high=0.6),
        weights={
            "seat_utilisation": 30,
            "events_per_active_user": 20,
            "feature_breadth": 10,
            "active_days_share": 20,
            "days_since_last_activity": 15,
            "negative_event_share": 5,
        },
        version="crm6-under-15k-1",
        description="accounts under $15K ARR: adoption across the few seats matters most",
    )
    large = hs.SegmentModel(
        name="15k_plus",
        signals=signals(utilisation_high=0.5),
        weights={
            "seat_utilisation": 25,
            "events_per_active_user": 15,
            "feature_breadth": 25,
            "active_days_share": 15,
            "days_since_last_activity": 10,
            "negative_event_share": 10,
        },
        version="crm6-15k-plus-1",
        description="accounts at or above $15K ARR: breadth of use across the team matters more",
    )
    return hs.Scorer(segments=[small], default=large, id_column="account_id")


def iranian_scorer() -> hs.Scorer:
    """Segments by tariff plan over usage, complaints and call failures."""

    def signals() -> list[hs.Signal]:
        return [
            hs.Signal(name="seconds_of_use", column="Seconds of Use", normaliser=hs.PercentileRank()),
            hs.Signal(name="calls", column="Frequency of use", normaliser=hs.PercentileRank()),
            hs.Signal(name="sms", column="Frequency of SMS", normaliser=hs.LogScale(low=0, high=500)),
            hs.Signal(
                name="distinct_numbers",
                column="Distinct Called Numbers",
                normaliser=hs.LinearRange(low=0, high=50),
            ),
            hs.Signal(
                name="complaints",
                column="Complains",
                normaliser=hs.ThresholdBands(edges=(1,), scores=(100, 0)),
                higher_is_better=False,
            ),
            hs.Signal(
                name="call_failures",
                column="Call  Failure",
                normaliser=hs.LinearRange(low=0, high=20),
                higher_is_better=False,
            ),
            hs.Signal(
                name="tenure_months",
                column="Subscription  Length",
                normaliser=hs.LinearRange(low=3, high=40),
            ),
        ]

    contractual = hs.SegmentModel(
        name="contractual",
        rule=hs.Rule(conditions=(hs.Condition(column="Tariff Plan", op="==", value=2),)),
        signals=signals(),
        weights={
            "seconds_of_use": 20,
            "calls": 15,
            "sms": 5,
            "distinct_numbers": 15,
            "complaints": 25,
            "call_failures": 10,
            "tenure_months": 10,
        },
        version="iranian-contractual-1",
    )
    pay_as_you_go = hs.SegmentModel(
        name="pay_as_you_go",
        signals=signals(),
        weights={
            "seconds_of_use": 25,
            "calls": 20,
            "sms": 5,
            "distinct_numbers": 15,
            "complaints": 20,
            "call_failures": 10,
            "tenure_months": 5,
        },
        version="iranian-payg-1",
    )
    return hs.Scorer(segments=[contractual], default=pay_as_you_go, id_column=None)


def build(out_dir: Path) -> list[Path]:
    """Fit both example scorers on the bundled data and save them into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    snapshot = _load_snapshot_module()
    rows = snapshot.build_snapshot(ROOT / "data" / "fightchurn-crm6-sim", CRM6_AS_OF)  # type: ignore[attr-defined]
    crm6_accounts = hs.Accounts.from_records(rows, as_of=CRM6_AS_OF, id_column="account_id")
    crm6 = crm6_scorer().fit_references(crm6_accounts)

    iranian_accounts = CSVSource(
        ROOT / "data" / "iranian-churn" / "customer_churn.csv", id_column=None
    ).accounts(IRANIAN_AS_OF)
    iranian = iranian_scorer().fit_references(iranian_accounts)

    paths = [out_dir / "crm6.json", out_dir / "iranian-churn.json"]
    hs.save_model(crm6, paths[0])
    hs.save_model(iranian, paths[1])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=MODELS, help="folder for the model files")
    arguments = parser.parse_args()
    for path in build(arguments.out_dir):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
