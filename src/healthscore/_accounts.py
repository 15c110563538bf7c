"""Accounts: a validated, immutable columnar snapshot of a book of accounts."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
from numpy.typing import NDArray

from healthscore._validation import (
    check_name,
    is_missing,
    list_some,
    looks_numeric,
    readonly,
    to_date,
    to_date_array,
    to_float_array,
    to_text_array,
)
from healthscore.exceptions import InvalidInputError, InvalidTypeError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["STANDARD_ATTRIBUTES", "Accounts"]

#: Attribute columns with a fixed meaning and type: contracted annual recurring
#: revenue (float, >= 0), the next renewal date (``datetime64[D]``) and the owning
#: CSM (text).
STANDARD_ATTRIBUTES = ("arr", "renewal_date", "owner")

FloatArray = NDArray[np.float64]


def _convert_ids(values: Iterable[object] | NDArray[Any]) -> NDArray[np.object_]:
    cells = values.tolist() if isinstance(values, np.ndarray) else list(values)
    out = np.empty(len(cells), dtype=object)
    blank: list[str] = []
    for position, cell in enumerate(cells):
        if isinstance(cell, str):
            text = cell.strip()
        elif is_missing(cell):
            text = ""
        elif isinstance(cell, float | np.floating):
            if not float(cell).is_integer():
                msg = f"account ids must be strings or integers; got {cell!r} at row {position}"
                raise InvalidTypeError(msg)
            text = str(int(cell))
        else:
            text = str(cell).strip()
        if not text:
            blank.append(str(position))
        out[position] = text
    if blank:
        msg = (
            f"account ids must not be blank or missing (after trimming whitespace); "
            f"got blank ids at row(s) {list_some(blank)}"
        )
        raise InvalidInputError(msg)
    _check_unique(cells, out)
    return readonly(out)


def _check_unique(raw: Sequence[object], ids: NDArray[np.object_]) -> None:
    if len(set(ids.tolist())) == len(ids):
        return
    counts = Counter(ids.tolist())
    # Ids that only the whitespace trimming made equal to another id.
    trimmed = {
        text
        for cell, text in zip(raw, ids.tolist(), strict=True)
        if isinstance(cell, str) and cell != text
    }
    parts = []
    for account_id, count in counts.items():
        if count < 2:
            continue
        note = " after whitespace normalization" if account_id in trimmed else ""
        parts.append(f"{account_id} ({count} rows{note})")
    msg = (
        "duplicate account_id: "
        + "; ".join(parts[:20])
        + ("" if len(parts) <= 20 else f"; and {len(parts) - 20} more")
        + ". Ids are compared after trimming leading and trailing whitespace; "
        "remove or merge the duplicated rows before building Accounts."
    )
    raise InvalidInputError(msg)


@attrs.frozen
class _TextColumn:
    """Raw cells that ``from_columns`` keeps as text, whatever they look like."""

    cells: Sequence[object]

    def __len__(self) -> int:
        return len(self.cells)


def _convert_attribute(
    name: str, values: Iterable[object] | NDArray[Any], ids: NDArray[np.object_]
) -> NDArray[Any]:
    id_list = ids.tolist()
    if isinstance(values, _TextColumn):
        return readonly(to_text_array(values.cells))
    if name == "arr":
        arr = to_float_array(values, field="arr", ids=id_list)
        _check_arr(arr, ids)
        return readonly(arr)
    if name == "renewal_date":
        return readonly(to_date_array(values, field="renewal_date", ids=id_list))
    if name == "owner":
        return readonly(to_text_array(values))
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "biuf":
            return readonly(np.array(values, dtype=np.float64, copy=True))
        if np.issubdtype(values.dtype, np.datetime64):
            return readonly(values.astype("datetime64[D]"))
    cells = values.tolist() if isinstance(values, np.ndarray) else list(values)
    is_dates = all(isinstance(c, dt.date) or is_missing(c) for c in cells)
    if is_dates and any(isinstance(c, dt.date) for c in cells):
        return readonly(to_date_array(cells, field=name, ids=id_list))
    if looks_numeric(cells):
        return readonly(to_float_array(cells, field=name, ids=id_list))
    if _looks_like_dates(cells):
        return readonly(to_date_array(cells, field=name, ids=id_list))
    return readonly(to_text_array(cells))


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _looks_like_dates(cells: list[object]) -> bool:
    """Tell whether every non-missing cell is an ISO date string (and there is one)."""
    present = [c for c in cells if not is_missing(c)]
    return bool(present) and all(
        isinstance(c, str) and _ISO_DATE.fullmatch(c.strip()) for c in present
    )


def _check_arr(arr: FloatArray, ids: NDArray[np.object_]) -> None:
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~(np.isnan(arr) | ((arr >= 0) & np.isfinite(arr))))
    if bad.size:
        shown = [f"{arr[i]:g} for {ids[i]}" for i in bad[:5]]
        msg = (
            f"arr must be >= 0 and finite (contracted annual recurring revenue, not net of "
            f"credits; leave it empty when unknown); got {list_some(shown)}"
        )
        if bad.size > 5:
            msg += f" ({bad.size} accounts in all)"
        raise InvalidInputError(msg)


def _to_columns(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Accept any mapping of column name to array-like; the real checks run after init."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        msg = f"columns must be given as a mapping of name to values; got {type(value).__name__}"
        raise InvalidTypeError(msg)
    return dict(value)


def _freeze_mapping(mapping: Mapping[str, NDArray[Any]]) -> Mapping[str, NDArray[Any]]:
    return MappingProxyType(dict(mapping))


def _as_of(value: object) -> dt.date:
    return to_date(value, field="as_of")


@attrs.frozen(kw_only=True, eq=False)
class Accounts:
    """A validated, immutable snapshot of accounts as of one date.

    Columns are numpy arrays of equal length, one element per account, all
    read-only. Build one with :meth:`from_columns`, :meth:`from_records` or
    :meth:`from_pandas` when the column types should be inferred, or with the
    constructor when they are known.

    Parameters
    ----------
    ids : sequence of str, length n
        Unique account ids. Leading and trailing whitespace is removed, then ids
        must be non-blank and unique; integers are accepted and turned into text.
    as_of : datetime.date or str
        The date the snapshot describes (ISO string accepted).
    signals : mapping of str to array-like of float, optional
        Numeric signal columns. Converted to float64; NaN (or None) means missing.
        Infinite values are rejected.
    attributes : mapping of str to array-like, optional
        Attribute columns. ``arr`` is converted to float64 and must be >= 0 or NaN;
        ``renewal_date`` to ``datetime64[D]`` with NaT for missing; ``owner`` to text
        with None for missing. Other columns become float64 when every value is a
        number, ``datetime64[D]`` when every value is a date, and text otherwise.
    observed_at : mapping of str to array-like of dates, optional
        For a signal column, the date each value was observed (NaT when unknown).
        Keys must be signal columns; dates after ``as_of`` are rejected.

    Raises
    ------
    InvalidInputError
        For blank or duplicate ids, columns of unequal length, a column that is both
        a signal and an attribute, infinite signal values, negative ARR, or
        observation dates after ``as_of``.
    InvalidTypeError
        For a non-numeric signal column or a column name that is not a string.

    Examples
    --------
    >>> import healthscore as hs
    >>> book = hs.Accounts(
    ...     ids=["A-1", "A-2"],
    ...     as_of="2024-06-01",
    ...     signals={"logins_30d": [12, None]},
    ...     attributes={"arr": [12000, 48000], "use_case": ["analytics", "crm"]},
    ... )
    >>> book.n_accounts, book.signal("logins_30d")
    (2, array([12., nan]))
    """

    ids: NDArray[np.object_] = attrs.field(converter=_convert_ids)
    as_of: dt.date = attrs.field(converter=_as_of)
    signals: Mapping[str, FloatArray] = attrs.field(factory=dict, converter=_to_columns)
    attributes: Mapping[str, NDArray[Any]] = attrs.field(factory=dict, converter=_to_columns)
    observed_at: Mapping[str, NDArray[np.datetime64]] = attrs.field(
        factory=dict, converter=_to_columns
    )

    def __attrs_post_init__(self) -> None:
        n = len(self.ids)
        id_list = self.ids.tolist()

        for field, mapping in (
            ("", self.signals),
            ("", self.attributes),
            ("observed_at", self.observed_at),
        ):
            for name, values in mapping.items():
                _check_length(f"{field}[{name!r}]" if field else name, values, n)

        signals: dict[str, FloatArray] = {}
        for name, values in self.signals.items():
            check_name(name, field="signal column name")
            if name in STANDARD_ATTRIBUTES:
                msg = (
                    f"{name!r} is a standard attribute with its own checks, so it cannot be "
                    f"a signal column; pass it in attributes= and derive a signal from it"
                )
                raise InvalidInputError(msg)
            column = to_float_array(values, field=name, ids=id_list)
            infinite = np.flatnonzero(np.isinf(column))
            if infinite.size:
                shown = [f"{column[i]} for {id_list[i]}" for i in infinite[:5]]
                msg = (
                    f"signal column {name!r} must hold finite numbers or NaN for missing; "
                    f"got {list_some(shown)}"
                )
                raise InvalidInputError(msg)
            signals[name] = readonly(column)

        attributes: dict[str, NDArray[Any]] = {}
        for name, values in self.attributes.items():
            check_name(name, field="attribute column name")
            if name in signals:
                msg = (
                    f"column {name!r} is given both as a signal and as an attribute; pass it once"
                )
                raise InvalidInputError(msg)
            attributes[name] = _convert_attribute(name, values, self.ids)

        observed: dict[str, NDArray[np.datetime64]] = {}
        for name, dates_in in self.observed_at.items():
            if name not in signals:
                msg = (
                    f"observed_at names column {name!r}, which is not a signal column; "
                    f"signal columns are {sorted(signals)}"
                )
                raise InvalidInputError(msg)
            dates = readonly(to_date_array(dates_in, field=f"observed_at[{name!r}]", ids=id_list))
            future = np.flatnonzero(dates > np.datetime64(self.as_of, "D"))
            if future.size:
                shown = [f"{dates[i]} for {id_list[i]}" for i in future[:5]]
                msg = (
                    f"observed_at[{name!r}] must not be after as_of {self.as_of}; "
                    f"got {list_some(shown)}"
                )
                raise InvalidInputError(msg)
            observed[name] = dates

        object.__setattr__(self, "signals", _freeze_mapping(signals))
        object.__setattr__(self, "attributes", _freeze_mapping(attributes))
        object.__setattr__(self, "observed_at", _freeze_mapping(observed))

    # -- access -----------------------------------------------------------------------

    @property
    def n_accounts(self) -> int:
        """Number of accounts in the snapshot."""
        return len(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of every signal and attribute column, signals first."""
        return (*self.signals, *self.attributes)

    def signal(self, name: str) -> FloatArray:
        """Return the signal column ``name``.

        Raises
        ------
        InvalidInputError
            If there is no signal column of that name; the message lists the
            signal columns, and says so when ``name`` is a non-numeric attribute.
        """
        try:
            return self.signals[name]
        except KeyError:
            pass
        if name in self.attributes and self.attributes[name].dtype.kind == "f":
            msg = (
                f"column {name!r} is an attribute, not a signal; pass it in signals= "
                f"(or list it in signal_columns=) to score on it"
            )
            raise InvalidInputError(msg)
        if name in self.attributes:
            msg = f"column {name!r} is not numeric, so it cannot be used as a signal"
            for account_id, value in zip(
                self.ids.tolist(), self.attributes[name].tolist(), strict=True
            ):
                if not looks_numeric([value]) and value is not None:
                    msg += f" (first non-numeric value: {value!r} for account {account_id!r})"
                    break
            raise InvalidInputError(msg + "; clean the column or choose another one")
        msg = f"unknown signal column {name!r}; signal columns are {sorted(self.signals)}"
        raise InvalidInputError(msg)

    def column(self, name: str) -> NDArray[Any]:
        """Return the signal or attribute column ``name``.

        Raises
        ------
        InvalidInputError
            If there is no column of that name; the message lists the columns.
        """
        if name in self.attributes:
            return self.attributes[name]
        if name in self.signals:
            return self.signals[name]
        msg = f"unknown column {name!r}; columns are {sorted(self.columns)}"
        raise InvalidInputError(msg)

    def take(self, indices: Sequence[int] | NDArray[np.integer[Any]]) -> Accounts:
        """Return the accounts at ``indices`` (in that order) as a new snapshot."""
        index = np.asarray(indices, dtype=np.intp)
        return Accounts(
            ids=self.ids[index],
            as_of=self.as_of,
            signals={k: v[index] for k, v in self.signals.items()},
            attributes={k: v[index] for k, v in self.attributes.items()},
            observed_at={k: v[index] for k, v in self.observed_at.items()},
        )

    # -- constructors -------------------------------------------------------------------

    @classmethod
    def from_columns(
        cls,
        columns: Mapping[str, Sequence[object] | NDArray[Any]],
        *,
        as_of: dt.date | str,
        id_column: str | None = "account_id",
        signal_columns: Sequence[str] | None = None,
        attribute_columns: Sequence[str] = (),
        observed_at_suffix: str = "_observed_at",
    ) -> Accounts:
        """Build a snapshot from a flat mapping of columns, inferring column roles.

        Parameters
        ----------
        columns : mapping of str to sequence
            Raw columns of equal length, such as the cells of a CSV file or the
            rows of a SQL query. Text cells are parsed: numbers, ISO dates, and
            the missing tokens ``""``, ``NA``, ``N/A``, ``NaN``, ``null``, ``None``.
        as_of : datetime.date or str
            Snapshot date.
        id_column : str or None, default "account_id"
            Column holding the account ids. None numbers the rows ``1, 2, ...``
            in input order, for data without ids.
        signal_columns : sequence of str, optional
            Columns to read as numeric signals. By default every column that is not
            the id, a standard attribute (``arr``, ``renewal_date``, ``owner``), in
            ``attribute_columns`` or an observation-date column, and whose non-missing
            cells are all numbers, is a signal; the other columns are attributes.
        attribute_columns : sequence of str, default ()
            Columns to keep as text attributes even when they hold numbers, such as
            plan codes like ``"007"`` that a segment rule compares as text.
        observed_at_suffix : str, default "_observed_at"
            A column named ``<signal><suffix>`` holds the observation date of
            ``<signal>``.

        Raises
        ------
        InvalidInputError
            If ``id_column`` or a listed column is missing, columns differ in length,
            or any check of the constructor fails.
        """
        names = list(columns)
        lengths = {name: len(columns[name]) for name in names}
        if len(set(lengths.values())) > 1:
            shown = [f"{name}={length}" for name, length in lengths.items()]
            msg = f"columns must have equal length; got {list_some(shown, 20)}"
            raise InvalidInputError(msg)
        n = next(iter(lengths.values()), 0)

        for name in [*(signal_columns or ()), *attribute_columns]:
            if name not in columns:
                msg = f"column {name!r} is not in the input; columns are {names}"
                raise InvalidInputError(msg)
        ids = _ids_from_columns(columns, id_column, n)

        observed_names = {
            name: name[: -len(observed_at_suffix)]
            for name in names
            if observed_at_suffix and name.endswith(observed_at_suffix)
        }
        fixed = {id_column, *STANDARD_ATTRIBUTES, *attribute_columns, *observed_names}
        if signal_columns is None:
            signal_set = [
                name
                for name in names
                if name not in fixed and looks_numeric(_cells(columns[name]))
            ]
        else:
            signal_set = list(signal_columns)

        signals: dict[str, Any] = {name: columns[name] for name in signal_set}
        attributes: dict[str, Any] = {
            name: columns[name]
            for name in names
            if name != id_column and name not in signals and name not in observed_names
        }
        for name in attribute_columns:
            if name not in STANDARD_ATTRIBUTES:
                # A listed column keeps codes such as "007" as text.
                raw = columns[name]
                cells = raw.tolist() if isinstance(raw, np.ndarray) else list(raw)
                attributes[name] = _TextColumn(cells)
        observed: dict[str, Any] = {}
        for column_name, signal_name in observed_names.items():
            if signal_name in signals:
                observed[signal_name] = columns[column_name]
            else:
                attributes[column_name] = columns[column_name]
        return cls(
            ids=ids, as_of=as_of, signals=signals, attributes=attributes, observed_at=observed
        )

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, object]],
        *,
        as_of: dt.date | str,
        id_column: str | None = "account_id",
        signal_columns: Sequence[str] | None = None,
        attribute_columns: Sequence[str] = (),
        observed_at_suffix: str = "_observed_at",
    ) -> Accounts:
        """Build a snapshot from one mapping per account, inferring column roles.

        A key absent from some records is missing for those accounts. The other
        parameters are those of :meth:`from_columns`.
        """
        rows = list(records)
        names: dict[str, None] = {}
        for row in rows:
            names.update(dict.fromkeys(row))
        columns = {name: [row.get(name) for row in rows] for name in names}
        return cls.from_columns(
            columns,
            as_of=as_of,
            id_column=id_column,
            signal_columns=signal_columns,
            attribute_columns=attribute_columns,
            observed_at_suffix=observed_at_suffix,
        )

    @classmethod
    def from_pandas(
        cls,
        frame: pd.DataFrame,
        *,
        as_of: dt.date | str,
        id_column: str | None = "account_id",
        signal_columns: Sequence[str] | None = None,
        attribute_columns: Sequence[str] = (),
        observed_at_suffix: str = "_observed_at",
    ) -> Accounts:
        """Build a snapshot from a pandas DataFrame, inferring column roles.

        Requires the ``pandas`` extra. Use ``id_column=None`` to number rows in
        order; the DataFrame index is ignored. The other parameters are those of
        :meth:`from_columns`.
        """
        try:
            import pandas as pd  # noqa: PLC0415 (optional dependency)
        except ImportError:  # pragma: no cover - depends on the environment
            msg = "from_pandas requires pandas; install healthscore[pandas]"
            raise InvalidTypeError(msg) from None
        if not isinstance(frame, pd.DataFrame):
            msg = f"from_pandas expects a pandas DataFrame; got {type(frame).__name__}"
            raise InvalidTypeError(msg)
        columns: dict[str, Sequence[object] | NDArray[Any]] = {}
        for name in frame.columns:
            series = frame[name]
            if not isinstance(name, str):
                msg = f"DataFrame column names must be strings; got {name!r}"
                raise InvalidTypeError(msg)
            if pd.api.types.is_integer_dtype(series) and not series.isna().any():
                # Keep integers exact: float64 would merge ids above 2**53.
                columns[name] = series.to_numpy(dtype=np.int64)
            elif pd.api.types.is_integer_dtype(series):
                columns[name] = [None if pd.isna(v) else int(v) for v in series.tolist()]
            elif pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
                columns[name] = series.to_numpy(dtype=np.float64, na_value=np.nan)
            elif pd.api.types.is_datetime64_any_dtype(series):
                columns[name] = (
                    series.dt.tz_localize(None).to_numpy().astype("datetime64[D]")
                    if getattr(series.dt, "tz", None) is not None
                    else series.to_numpy().astype("datetime64[D]")
                )
            else:
                columns[name] = [None if pd.isna(v) else v for v in series.tolist()]
        return cls.from_columns(
            columns,
            as_of=as_of,
            id_column=id_column,
            signal_columns=signal_columns,
            attribute_columns=attribute_columns,
            observed_at_suffix=observed_at_suffix,
        )


def _ids_from_columns(
    columns: Mapping[str, Sequence[object] | NDArray[Any]], id_column: str | None, n: int
) -> Sequence[object] | NDArray[Any]:
    if id_column is None:
        return [str(i) for i in range(1, n + 1)]
    if id_column not in columns:
        msg = (
            f"id column {id_column!r} is not in the input; columns are {list(columns)}. "
            f"Pass id_column=None to number rows in input order."
        )
        raise InvalidInputError(msg)
    return columns[id_column]


def _cells(values: Sequence[object] | NDArray[Any]) -> Sequence[object]:
    if isinstance(values, np.ndarray):
        if values.dtype.kind in "biuf":
            return [0.0]
        if np.issubdtype(values.dtype, np.datetime64):
            return ["date"]
        return values.tolist()  # type: ignore[no-any-return]
    return values


def _check_length(name: str, column: object, n: int) -> None:
    try:
        length = len(column)  # type: ignore[arg-type]
    except TypeError:
        msg = f"column {name!r} must be a sequence or array; got {type(column).__name__}"
        raise InvalidTypeError(msg) from None
    if length != n:
        msg = f"column {name!r} has {length} values but there are {n} account ids"
        raise InvalidInputError(msg)
