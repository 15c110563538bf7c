"""Tests of healthscore.testing: InMemorySource, make_accounts and check_data_source."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pytest

from healthscore import Accounts
from healthscore.exceptions import (
    DataSourceContractError,
    DataSourceError,
    InvalidInputError,
    InvalidTypeError,
)
from healthscore.sources import DataSource
from healthscore.testing import (
    DEFAULT_AS_OF,
    InMemorySource,
    check_data_source,
    make_accounts,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

AS_OF = dt.date(2024, 6, 1)


# -- InMemorySource ---------------------------------------------------------------------


def test_in_memory_source_passes_contract() -> None:
    source = InMemorySource.from_accounts(make_accounts(20, missing_rate=0.2))
    assert isinstance(source, DataSource)
    check_data_source(source)
    check_data_source(source, AS_OF)


def test_in_memory_source_serves_matching_date() -> None:
    june = make_accounts(3, as_of="2024-06-01", seed=1)
    july = make_accounts(4, as_of="2024-07-01", seed=2)
    source = InMemorySource({dt.date(2024, 7, 1): july, dt.date(2024, 6, 1): june})
    assert source.accounts(dt.date(2024, 6, 1)) is june
    assert source.accounts(dt.date(2024, 7, 1)) is july
    assert source.dates == (dt.date(2024, 6, 1), dt.date(2024, 7, 1))
    check_data_source(source, dt.date(2024, 7, 1))


def test_in_memory_source_unknown_date_lists_dates() -> None:
    source = InMemorySource.from_accounts(
        make_accounts(2, as_of="2024-06-01"), make_accounts(2, as_of="2024-07-01")
    )
    with pytest.raises(
        DataSourceError,
        match="no snapshot for 2024-06-15; snapshots exist for 2024-06-01, 2024-07-01",
    ):
        source.accounts(dt.date(2024, 6, 15))


def test_in_memory_source_rejects_non_date() -> None:
    source = InMemorySource.from_accounts(make_accounts(2))
    with pytest.raises(InvalidTypeError, match=r"as_of must be a datetime\.date"):
        source.accounts("2024-06-01")  # type: ignore[arg-type]


def test_in_memory_source_rejects_mismatched_key() -> None:
    with pytest.raises(InvalidInputError, match="keyed 2024-07-01 has as_of 2024-06-01"):
        InMemorySource({dt.date(2024, 7, 1): make_accounts(2, as_of="2024-06-01")})


def test_in_memory_source_rejects_bad_snapshots() -> None:
    with pytest.raises(InvalidInputError, match="at least one snapshot"):
        InMemorySource({})
    with pytest.raises(InvalidInputError, match="at least one snapshot"):
        InMemorySource.from_accounts()
    with pytest.raises(InvalidTypeError, match="must be an Accounts"):
        InMemorySource({AS_OF: {"ids": ["A-1"]}})  # type: ignore[dict-item]
    with pytest.raises(InvalidTypeError, match=r"as_of must be a datetime\.date"):
        InMemorySource({"2024-06-01": make_accounts(2)})  # type: ignore[dict-item]
    with pytest.raises(InvalidInputError, match="two snapshots have as_of 2024-06-01"):
        InMemorySource.from_accounts(make_accounts(2), make_accounts(3))


def test_in_memory_source_repr() -> None:
    source = InMemorySource.from_accounts(make_accounts(2))
    assert repr(source) == "InMemorySource(dates=['2024-06-01'])"


# -- make_accounts ----------------------------------------------------------------------


def assert_same_accounts(left: Accounts, right: Accounts) -> None:
    assert left.ids.tolist() == right.ids.tolist()
    assert left.as_of == right.as_of
    assert list(left.signals) == list(right.signals)
    for name in left.signals:
        np.testing.assert_array_equal(left.signal(name), right.signal(name))
    assert list(left.attributes) == list(right.attributes)
    for name in left.attributes:
        np.testing.assert_array_equal(left.column(name), right.column(name))


def test_make_accounts_is_deterministic() -> None:
    first = make_accounts(50, seed=7, missing_rate=0.3)
    second = make_accounts(50, seed=7, missing_rate=0.3)
    assert_same_accounts(first, second)


def test_make_accounts_seed_changes_values() -> None:
    first = make_accounts(50, seed=1)
    second = make_accounts(50, seed=2)
    assert not np.array_equal(first.signal("usage"), second.signal("usage"))


def test_make_accounts_shape_and_columns() -> None:
    accounts = make_accounts()
    assert accounts.n_accounts == 10
    assert accounts.as_of == DEFAULT_AS_OF
    assert accounts.ids.tolist()[:2] == ["A-0001", "A-0002"]
    assert list(accounts.signals) == ["usage", "nps"]
    assert list(accounts.attributes) == ["arr", "renewal_date", "owner", "use_case"]


def test_make_accounts_value_ranges() -> None:
    accounts = make_accounts(500, as_of=dt.date(2024, 1, 31), signals=("logins",), seed=3)
    logins = accounts.signal("logins")
    assert not np.isnan(logins).any()
    assert logins.min() >= 0.0
    assert logins.max() <= 100.0
    np.testing.assert_array_equal(logins, np.round(logins, 1))
    arr = accounts.column("arr")
    assert (arr > 0).all()
    np.testing.assert_array_equal(arr, np.round(arr))
    renewal = accounts.column("renewal_date")
    as_of = np.datetime64("2024-01-31")
    assert (renewal > as_of).all()
    assert (renewal <= as_of + np.timedelta64(365, "D")).all()
    assert set(accounts.column("owner").tolist()) == {"csm-1", "csm-2", "csm-3", "csm-4"}
    assert set(accounts.column("use_case").tolist()) == {"analytics", "crm", "support"}


@pytest.mark.parametrize("rate", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_make_accounts_missing_rate(rate: float) -> None:
    accounts = make_accounts(4000, missing_rate=rate, seed=11)
    for name in accounts.signals:
        share = float(np.isnan(accounts.signal(name)).mean())
        # With 4,000 draws the standard error is at most 0.008, so 0.04 is 5 of them.
        assert share == pytest.approx(rate, abs=0.04)
    for name in ("arr", "owner", "use_case"):
        values = accounts.column(name).tolist()
        assert all(value is not None and value == value for value in values)


def test_make_accounts_wide_ids() -> None:
    accounts = make_accounts(10_000, signals=())
    assert accounts.ids[0] == "A-00001"
    assert accounts.ids[-1] == "A-10000"


def test_make_accounts_zero_accounts() -> None:
    accounts = make_accounts(0)
    assert accounts.n_accounts == 0
    assert list(accounts.signals) == ["usage", "nps"]


def test_make_accounts_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidInputError, match="n must be 0 or more"):
        make_accounts(-1)
    with pytest.raises(InvalidTypeError, match="n must be an integer"):
        make_accounts(2.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="n must be an integer"):
        make_accounts(True)
    with pytest.raises(InvalidInputError, match="missing_rate"):
        make_accounts(missing_rate=1.5)
    with pytest.raises(InvalidTypeError, match="seed must be an integer"):
        make_accounts(seed=1.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="signals must be a list"):
        make_accounts(signals="usage")
    with pytest.raises(InvalidInputError, match=r"unique; got \['usage'\]"):
        make_accounts(signals=("usage", "usage"))
    with pytest.raises(InvalidInputError, match="'arr' is a standard attribute"):
        make_accounts(signals=("arr",))


# -- check_data_source ------------------------------------------------------------------


class ManyFaultsSource:
    """Breaks several rules: wrong as_of, padded and repeated ids, unstable values."""

    def __init__(self) -> None:
        self._calls = 0

    def accounts(self, as_of: object) -> Accounts:
        self._calls += 1
        # Accounts validates at construction, so the broken parts are set afterwards.
        accounts = make_accounts(3, as_of="2024-05-01", seed=self._calls)
        ids = np.array([" A-1", "A-2", "A-2"], dtype=object)
        usage = np.array([1.0, 2.0, 3.0])  # writeable, which breaks the read-only rule
        object.__setattr__(accounts, "ids", ids)
        object.__setattr__(accounts, "signals", {"usage": usage})
        return accounts


def test_check_lists_every_failure() -> None:
    with pytest.raises(DataSourceContractError) as caught:
        check_data_source(ManyFaultsSource(), AS_OF)
    failures = caught.value.failures
    text = "\n".join(failures)
    assert "as_of 2024-05-01" in text
    assert "leading or trailing whitespace; got ' A-1'" in text
    assert "ids must be unique; repeated: 'A-2'" in text
    assert "signal column 'usage' is writeable" in text
    assert "different values in attribute column 'arr'" in text
    assert "accounts('not-a-date') returned Accounts instead of raising" in text
    assert "accounts(20240601) returned Accounts instead of raising" in text
    assert len(failures) >= 7
    assert str(caught.value).startswith("<")
    assert "breaks the DataSource contract" in str(caught.value)


class NotAccountsSource:
    def accounts(self, as_of: dt.date) -> Mapping[str, object]:
        if not isinstance(as_of, dt.date):
            raise ValueError(as_of)
        return {"ids": ["A-1"]}


def test_check_rejects_wrong_return_type() -> None:
    with pytest.raises(DataSourceContractError, match=r"returned dict, not healthscore\.Accounts"):
        check_data_source(NotAccountsSource(), AS_OF)


class IntegerSignalSource:
    def accounts(self, as_of: dt.date) -> Accounts:
        if not isinstance(as_of, dt.date):
            raise TypeError(as_of)
        accounts = make_accounts(2, as_of=as_of)
        usage = np.array([1, 2], dtype=np.int64)
        usage.flags.writeable = False
        object.__setattr__(accounts, "signals", {"usage": usage})
        return accounts


def test_check_rejects_non_float_signal() -> None:
    with pytest.raises(DataSourceContractError, match="'usage' has dtype int64, not float64"):
        check_data_source(IntegerSignalSource(), AS_OF)


class DatetimeStampSource:
    def accounts(self, as_of: dt.date) -> Accounts:
        if not isinstance(as_of, dt.date):
            raise TypeError(as_of)
        accounts = make_accounts(2, as_of=as_of)
        stamp = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.timezone.utc)
        return _with_as_of(accounts, stamp)


def _with_as_of(accounts: Accounts, as_of: object) -> Accounts:
    object.__setattr__(accounts, "as_of", as_of)
    return accounts


def test_check_rejects_datetime_as_of() -> None:
    with pytest.raises(DataSourceContractError, match="as_of datetime"):
        check_data_source(DatetimeStampSource(), AS_OF)


class ForeignErrorOnBadDateSource:
    def __init__(self) -> None:
        self._snapshot = make_accounts(2)

    def accounts(self, as_of: dt.date) -> Accounts:
        if not isinstance(as_of, dt.date):
            raise KeyError(as_of)
        return self._snapshot


def test_check_non_date_wrong_error() -> None:
    with pytest.raises(DataSourceContractError) as caught:
        check_data_source(ForeignErrorOnBadDateSource(), AS_OF)
    failures = caught.value.failures
    assert len(failures) == 2
    assert failures[0].startswith("accounts('not-a-date') raised KeyError")
    assert failures[1].startswith("accounts(20240601) raised KeyError")


class HealthScoreErrorSource:
    def accounts(self, as_of: dt.date) -> Accounts:
        if not isinstance(as_of, dt.date):
            raise TypeError(as_of)
        msg = "database is down"
        raise DataSourceError(msg)


def test_check_reports_data_source_error() -> None:
    with pytest.raises(DataSourceContractError) as caught:
        check_data_source(HealthScoreErrorSource(), AS_OF)
    assert caught.value.failures == (
        "accounts(2024-06-01) raised DataSourceError: database is down",
    )


class FailsOnSecondCallSource:
    def __init__(self) -> None:
        self._calls = 0

    def accounts(self, as_of: dt.date) -> Accounts:
        if not isinstance(as_of, dt.date):
            raise TypeError(as_of)
        self._calls += 1
        if self._calls > 1:
            raise RuntimeError("connection reset")
        return make_accounts(2, as_of=as_of)


def test_check_reports_second_call_failure() -> None:
    with pytest.raises(
        DataSourceContractError, match=r"second call to accounts\(2024-06-01\) raised RuntimeError"
    ):
        check_data_source(FailsOnSecondCallSource(), AS_OF)


class BrokenIdsSource:
    def accounts(self, as_of: dt.date) -> Accounts:
        if not isinstance(as_of, dt.date):
            raise TypeError(as_of)
        accounts = make_accounts(2, as_of=as_of)
        object.__setattr__(accounts, "ids", None)
        return accounts


def test_check_survives_crashing_rule() -> None:
    with pytest.raises(DataSourceContractError) as caught:
        check_data_source(BrokenIdsSource(), AS_OF)
    text = "\n".join(caught.value.failures)
    assert "ids check could not run: TypeError" in text
    assert "signals check could not run" in text


def test_check_rejects_object_without_accounts() -> None:
    with pytest.raises(DataSourceContractError, match="is not a DataSource"):
        check_data_source(object(), AS_OF)


def test_check_rejects_non_date_as_of() -> None:
    source = InMemorySource.from_accounts(make_accounts(2))
    with pytest.raises(InvalidTypeError, match=r"as_of must be a datetime\.date"):
        check_data_source(source, "2024-06-01")  # type: ignore[arg-type]
