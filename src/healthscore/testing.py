"""Helpers for testing code that uses healthscore.

- :class:`InMemorySource` serves fixed :class:`~healthscore.Accounts` snapshots.
- :func:`make_accounts` builds a deterministic random snapshot.
- :func:`check_data_source` checks that a data source keeps the
  :class:`~healthscore.sources.DataSource` contract. Run it in the test suite
  of a custom source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from healthscore._accounts import Accounts
from healthscore._validation import check_fraction, check_name, list_some, to_date
from healthscore.exceptions import (
    DataSourceContractError,
    DataSourceError,
    HealthScoreError,
    InvalidInputError,
    InvalidTypeError,
)
from healthscore.sources import DataSource
from healthscore.sources._protocol import check_as_of

__all__ = ["DEFAULT_AS_OF", "InMemorySource", "check_data_source", "make_accounts"]

#: The default ``as_of`` of :func:`check_data_source`, the date that
#: :func:`make_accounts` uses by default.
DEFAULT_AS_OF = dt.date(2024, 6, 1)

# Values that check_data_source passes as as_of and expects a source to reject.
_NON_DATES: tuple[object, ...] = ("not-a-date", 20240601)


class InMemorySource:
    """A data source that serves fixed snapshots, one per date.

    :meth:`accounts` returns the snapshot whose ``as_of`` equals the requested
    date, and raises :class:`~healthscore.exceptions.DataSourceError` for any
    other date. Snapshots are immutable, so the same object is returned at each call.

    Parameters
    ----------
    snapshots : mapping of datetime.date to Accounts
        The snapshots, keyed by their ``as_of``.

    Raises
    ------
    InvalidTypeError
        If a key is not a ``datetime.date`` or a value is not an ``Accounts``.
    InvalidInputError
        If ``snapshots`` is empty or a key differs from its snapshot's ``as_of``.

    Examples
    --------
    >>> import datetime
    >>> from healthscore.testing import InMemorySource, make_accounts
    >>> source = InMemorySource.from_accounts(make_accounts(5, as_of="2024-06-01"))
    >>> source.accounts(datetime.date(2024, 6, 1)).n_accounts
    5
    """

    def __init__(self, snapshots: Mapping[dt.date, Accounts]) -> None:
        if not isinstance(snapshots, Mapping):
            msg = (
                f"snapshots must be a mapping of datetime.date to Accounts; "
                f"got {type(snapshots).__name__}"
            )
            raise InvalidTypeError(msg)
        if not snapshots:
            msg = "InMemorySource needs at least one snapshot"
            raise InvalidInputError(msg)
        checked: dict[dt.date, Accounts] = {}
        for as_of, accounts in snapshots.items():
            date = check_as_of(as_of)
            if not isinstance(accounts, Accounts):
                msg = f"snapshot for {date} must be an Accounts; got {type(accounts).__name__}"
                raise InvalidTypeError(msg)
            if accounts.as_of != date:
                msg = (
                    f"snapshot keyed {date} has as_of {accounts.as_of}; "
                    f"key each snapshot by its own as_of"
                )
                raise InvalidInputError(msg)
            checked[date] = accounts
        self._snapshots = dict(sorted(checked.items()))

    @classmethod
    def from_accounts(cls, *snapshots: Accounts) -> InMemorySource:
        """Build a source from snapshots, each served on its own ``as_of``.

        Raises
        ------
        InvalidInputError
            If no snapshot is given, or two share an ``as_of``.
        InvalidTypeError
            If an argument is not an ``Accounts``.
        """
        by_date: dict[dt.date, Accounts] = {}
        for accounts in snapshots:
            if not isinstance(accounts, Accounts):
                msg = f"from_accounts expects Accounts; got {type(accounts).__name__}"
                raise InvalidTypeError(msg)
            if accounts.as_of in by_date:
                msg = f"two snapshots have as_of {accounts.as_of}; pass one per date"
                raise InvalidInputError(msg)
            by_date[accounts.as_of] = accounts
        return cls(by_date)

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """Dates with a snapshot, in ascending order."""
        return tuple(self._snapshots)

    def accounts(self, as_of: dt.date) -> Accounts:
        """Return the snapshot for ``as_of``.

        Raises
        ------
        InvalidTypeError
            If ``as_of`` is not a ``datetime.date``.
        DataSourceError
            If there is no snapshot for ``as_of``; the message lists the dates
            that have one.
        """
        date = check_as_of(as_of)
        try:
            return self._snapshots[date]
        except KeyError:
            available = list_some([str(day) for day in self._snapshots], 10)
            msg = f"no snapshot for {date}; snapshots exist for {available}"
            raise DataSourceError(msg) from None

    def __repr__(self) -> str:
        return f"InMemorySource(dates={[str(day) for day in self._snapshots]})"


_OWNERS = ("csm-1", "csm-2", "csm-3", "csm-4")
_USE_CASES = ("analytics", "crm", "support")


def make_accounts(
    n: int = 10,
    *,
    as_of: dt.date | str = "2024-06-01",
    signals: Sequence[str] = ("usage", "nps"),
    seed: int = 0,
    missing_rate: float = 0.0,
) -> Accounts:
    """Build a random snapshot of ``n`` accounts for tests.

    The values come from ``numpy.random.default_rng(seed)``, so the same
    arguments give the same snapshot with the same numpy version. Numpy does not
    promise the same random stream across versions.

    - ids are ``A-0001``, ``A-0002``, ... (more digits when ``n`` > 9999).
    - Each signal is drawn uniformly from [0, 100) and rounded to one decimal, so
      values lie in [0, 100]. Each value is independently missing (NaN) with
      probability ``missing_rate``.
    - ``arr`` is log-normal with median about 22,000, rounded to whole units.
    - ``renewal_date`` is 1 to 365 days after ``as_of``.
    - ``owner`` is one of ``csm-1`` to ``csm-4`` and ``use_case`` one of
      ``analytics``, ``crm`` and ``support``.

    Parameters
    ----------
    n : int, default 10
        Number of accounts, 0 or more.
    as_of : datetime.date or str, default "2024-06-01"
        Snapshot date.
    signals : sequence of str, default ("usage", "nps")
        Names of the signal columns. They must differ from each other and from
        the attribute names.
    seed : int, default 0
        Seed of the random generator.
    missing_rate : float, default 0.0
        Probability in [0, 1] that a signal value is missing. Attributes are
        never missing.

    Returns
    -------
    Accounts

    Raises
    ------
    InvalidTypeError
        If ``n`` or ``seed`` is not an integer, or ``signals`` is a bare string.
    InvalidInputError
        If ``n`` is negative, ``missing_rate`` is outside [0, 1], or the signal
        names repeat or clash with an attribute name.
    """
    count = _check_count(n)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        msg = f"seed must be an integer; got {type(seed).__name__} {seed!r}"
        raise InvalidTypeError(msg)
    rate = check_fraction(missing_rate, field="missing_rate")
    names = _check_signal_names(signals)
    date = to_date(as_of, field="as_of")
    rng = np.random.default_rng(seed)

    width = max(4, len(str(count)))
    ids = [f"A-{number:0{width}d}" for number in range(1, count + 1)]

    signal_columns: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = {}
    for name in names:
        values = np.round(rng.uniform(0.0, 100.0, size=count), 1)
        values[rng.random(count) < rate] = np.nan
        signal_columns[name] = values

    days_to_renewal = rng.integers(1, 366, size=count)
    attributes = {
        # exp(10) is about 22,026, the median of this log-normal.
        "arr": np.round(rng.lognormal(mean=10.0, sigma=1.0, size=count)),
        "renewal_date": np.datetime64(date, "D") + days_to_renewal.astype("timedelta64[D]"),
        "owner": rng.choice(_OWNERS, size=count).tolist(),
        "use_case": rng.choice(_USE_CASES, size=count).tolist(),
    }
    return Accounts(ids=ids, as_of=date, signals=signal_columns, attributes=attributes)


def _check_count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        msg = f"n must be an integer; got {type(n).__name__} {n!r}"
        raise InvalidTypeError(msg)
    if n < 0:
        msg = f"n must be 0 or more; got {n}"
        raise InvalidInputError(msg)
    return int(n)


def _check_signal_names(signals: object) -> tuple[str, ...]:
    # A bare string is a Sequence too, and would make one signal per character.
    if isinstance(signals, str) or not isinstance(signals, Sequence):
        msg = f"signals must be a list or tuple of names; got {type(signals).__name__} {signals!r}"
        raise InvalidTypeError(msg)
    names = tuple(check_name(name, field="signal name") for name in signals)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        msg = f"signal names must be unique; got {repeated} more than once"
        raise InvalidInputError(msg)
    return names


# -- contract checks ------------------------------------------------------------------------


def check_data_source(source: object, as_of: dt.date = DEFAULT_AS_OF) -> None:
    """Check that ``source`` keeps the :class:`~healthscore.sources.DataSource` contract.

    Every rule is checked, even after one fails, and the error lists every broken
    rule:

    1. ``source`` is a ``DataSource``, that is, it has an ``accounts`` method.
    2. ``source.accounts(as_of)`` returns without raising. An exception that is
       not a :class:`~healthscore.exceptions.HealthScoreError` is reported with
       a hint to wrap driver errors in ``DataSourceError``.
    3. It returns an :class:`~healthscore.Accounts`.
    4. The snapshot's ``as_of`` equals the requested date.
    5. Ids are non-empty strings without leading or trailing whitespace, and unique.
    6. Every signal column is a read-only float64 array with one value per id.
    7. A second call returns the same ids, the same signal values (NaN positions
       included), the same attributes and the same observation dates.
    8. A non-date ``as_of`` (the string ``"not-a-date"`` and the integer
       ``20240601``) raises ``TypeError`` or ``ValueError``.

    Rule 7 assumes the underlying data does not change between the two calls.

    Parameters
    ----------
    source : object
        The data source to check.
    as_of : datetime.date, default 2024-06-01
        A date for which ``source`` has data. The default matches the default
        ``as_of`` of :func:`make_accounts`.

    Raises
    ------
    DataSourceContractError
        If any rule is broken. Its ``failures`` has one line per broken rule. It
        is an ``AssertionError``, so test runners report it as a failed test.
    InvalidTypeError
        If ``as_of`` is not a ``datetime.date``.

    Examples
    --------
    >>> from healthscore.testing import InMemorySource, check_data_source, make_accounts
    >>> check_data_source(InMemorySource.from_accounts(make_accounts()))
    """
    date = check_as_of(as_of)
    failures: list[str] = []
    if not isinstance(source, DataSource):
        failures.append(
            f"is not a DataSource: {type(source).__name__} has no accounts(as_of) method"
        )
        raise DataSourceContractError(repr(source), failures)

    first = _call_accounts(source, date, failures, label="accounts")
    if first is not None:
        _run_check(failures, "as_of", _check_as_of_matches, first, date)
        _run_check(failures, "ids", _check_ids, first)
        _run_check(failures, "signals", _check_signals, first)
        second = _call_accounts(source, date, failures, label="second call to accounts")
        if second is not None:
            _run_check(failures, "repeatability", _check_repeatable, first, second)
    for value in _NON_DATES:
        _run_check(failures, "non-date as_of", _check_rejects, source, value)

    if failures:
        raise DataSourceContractError(repr(source), failures)


def _call_accounts(
    source: DataSource, as_of: dt.date, failures: list[str], *, label: str
) -> Accounts | None:
    call = f"{label}({as_of.isoformat()})"
    # Any exception is caught, because reporting foreign exceptions is part of the check.
    try:
        result = source.accounts(as_of)
    except HealthScoreError as error:
        failures.append(f"{call} raised {type(error).__name__}: {error}")
        return None
    except Exception as error:
        failures.append(
            f"{call} raised {type(error).__name__}: {error}, which is not a HealthScoreError; "
            f"wrap driver and parsing errors in healthscore.exceptions.DataSourceError"
        )
        return None
    if not isinstance(result, Accounts):
        failures.append(f"{call} returned {type(result).__name__}, not healthscore.Accounts")
        return None
    return result


def _run_check(
    failures: list[str], rule: str, check: Callable[..., list[str]], *args: object
) -> None:
    # A check that crashes on a malformed snapshot is a failure of that rule only.
    try:
        failures.extend(check(*args))
    except Exception as error:
        failures.append(f"{rule} check could not run: {type(error).__name__}: {error}")


def _check_as_of_matches(accounts: Accounts, as_of: dt.date) -> list[str]:
    returned = accounts.as_of
    if type(returned) is dt.date and returned == as_of:
        return []
    returned_text = (
        str(returned) if type(returned) is dt.date else f"{type(returned).__name__} {returned!r}"
    )
    return [
        f"accounts({as_of.isoformat()}) returned a snapshot with as_of {returned_text}; "
        f"it must be the requested date as a datetime.date"
    ]


def _check_ids(accounts: Accounts) -> list[str]:
    ids = list(accounts.ids)
    failures = []
    bad = [repr(value) for value in ids if not isinstance(value, str) or not value]
    if bad:
        failures.append(f"ids must be non-empty strings; got {list_some(bad)}")
    padded = [repr(value) for value in ids if isinstance(value, str) and value != value.strip()]
    if padded:
        failures.append(
            f"ids must not have leading or trailing whitespace; got {list_some(padded)}"
        )
    seen: set[object] = set()
    repeated: list[str] = []
    for value in ids:
        if value in seen and repr(value) not in repeated:
            repeated.append(repr(value))
        seen.add(value)
    if repeated:
        failures.append(f"ids must be unique; repeated: {list_some(repeated)}")
    return failures


def _check_signals(accounts: Accounts) -> list[str]:
    n = len(accounts.ids)
    failures = []
    for name, values in accounts.signals.items():
        if not isinstance(values, np.ndarray):
            failures.append(
                f"signal column {name!r} is a {type(values).__name__}, not a numpy array"
            )
            continue
        if values.dtype != np.float64:
            failures.append(f"signal column {name!r} has dtype {values.dtype}, not float64")
        if values.flags.writeable:
            failures.append(
                f"signal column {name!r} is writeable; signal arrays must be read-only"
            )
        if values.shape != (n,):
            failures.append(
                f"signal column {name!r} has shape {values.shape}, but there are {n} ids"
            )
    return failures


def _check_repeatable(first: Accounts, second: Accounts) -> list[str]:
    failures = []
    if list(first.ids) != list(second.ids):
        failures.append("a second accounts() call returned different ids")
    groups = (
        ("signal", first.signals, second.signals),
        ("attribute", first.attributes, second.attributes),
        ("observed_at", first.observed_at, second.observed_at),
    )
    for kind, before, after in groups:
        if list(before) != list(after):
            failures.append(
                f"a second accounts() call returned {kind} columns {list(after)}, "
                f"not {list(before)}"
            )
            continue
        failures.extend(
            f"a second accounts() call returned different values in {kind} column {name!r}"
            for name in before
            if not _same_values(before[name], after[name])
        )
    return failures


def _same_values(before: object, after: object) -> bool:
    left = np.asarray(before)
    right = np.asarray(after)
    if left.shape != right.shape or left.dtype != right.dtype:
        return False
    if left.dtype.kind in "fcmM":
        return bool(np.array_equal(left, right, equal_nan=True))
    return bool(left.tolist() == right.tolist())


def _check_rejects(source: DataSource, value: object) -> list[str]:
    call = f"accounts({value!r})"
    try:
        result = source.accounts(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return []
    except Exception as error:
        return [
            f"{call} raised {type(error).__name__}: {error}; a non-date as_of must raise "
            f"TypeError or ValueError, such as healthscore.exceptions.InvalidTypeError"
        ]
    return [
        f"{call} returned {type(result).__name__} instead of raising; a non-date as_of "
        f"must raise TypeError or ValueError, such as healthscore.exceptions.InvalidTypeError"
    ]
