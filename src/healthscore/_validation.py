"""Shared helpers that turn raw user input into validated arrays with clear errors."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from healthscore.exceptions import InvalidInputError, InvalidTypeError

#: Cell values that mean "missing" in text input (CSV files, SQL text columns).
#: Compared after stripping whitespace; the comparison is case-sensitive except
#: for the spellings listed here.
MISSING_TOKENS = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "None"})

#: How many offending values an error message lists before it adds "and N more".
MAX_LISTED = 5


def list_some(items: Sequence[str], limit: int = MAX_LISTED) -> str:
    """Join the first ``limit`` items with commas, then say how many were left out."""
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f" and {len(items) - limit} more"
    return shown


def readonly(array: NDArray[Any]) -> NDArray[Any]:
    """Mark ``array`` read-only and return it."""
    array.flags.writeable = False
    return array


def is_missing(value: object) -> bool:
    """Tell whether a raw cell value means "missing" (None, NaN, NaT or a missing token)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() in MISSING_TOKENS
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return False


def to_date(value: object, *, field: str) -> dt.date:
    """Convert a date, a datetime, a ``numpy.datetime64`` or an ISO string to a date.

    Raises
    ------
    InvalidTypeError
        If ``value`` has another type.
    InvalidInputError
        If a string is not an ISO 8601 date or the value is missing.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            msg = f"{field} must be a date; got NaT"
            raise InvalidInputError(msg)
        return dt.date.fromisoformat(str(value.astype("datetime64[D]")))
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            # A full timestamp keeps its calendar day.
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            msg = f"{field} must be an ISO date such as 2024-06-01; got {value!r}"
            raise InvalidInputError(msg) from None
    msg = (
        f"{field} must be a date, datetime or ISO date string; "
        f"got {type(value).__name__} {value!r}"
    )
    raise InvalidTypeError(msg)


def to_date_array(
    values: Iterable[object] | NDArray[Any], *, field: str, ids: Sequence[str] | None = None
) -> NDArray[np.datetime64]:
    """Convert a column of dates to ``datetime64[D]``, with NaT for missing cells.

    Raises
    ------
    InvalidInputError
        Naming the column, the first offending account and its value, if a cell is
        neither missing nor a date.
    """
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[D]")
    cells = list(values)
    out = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[D]")
    for position, cell in enumerate(cells):
        if is_missing(cell):
            continue
        where = (
            f"{field} of account {ids[position]!r}" if ids is not None else f"{field}[{position}]"
        )
        out[position] = np.datetime64(to_date(cell, field=where), "D")
    return out


def to_float_array(
    values: Iterable[object] | NDArray[Any], *, field: str, ids: Sequence[str] | None = None
) -> NDArray[np.float64]:
    """Convert a column of numbers to a new float64 array, with NaN for missing cells.

    Numeric strings are parsed; the missing tokens in :data:`MISSING_TOKENS` become NaN.

    Raises
    ------
    InvalidTypeError
        Naming the column, the first offending account and its value, if a cell is
        not a number.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
        return np.array(values, dtype=np.float64, copy=True)
    cells = values.tolist() if isinstance(values, np.ndarray) else list(values)
    try:
        # Fast path: numbers and None only.
        return np.array(cells, dtype=np.float64)
    except (TypeError, ValueError):
        pass
    out = np.empty(len(cells), dtype=np.float64)
    for position, cell in enumerate(cells):
        if is_missing(cell):
            out[position] = np.nan
            continue
        try:
            out[position] = float(cell.strip() if isinstance(cell, str) else cell)
        except (TypeError, ValueError):
            where = f"account {ids[position]!r}" if ids is not None else f"row {position}"
            msg = (
                f"column {field!r} must hold numbers (missing cells may be empty or NaN); "
                f"got {cell!r} for {where}"
            )
            raise InvalidTypeError(msg) from None
    return out


def looks_numeric(values: Sequence[object]) -> bool:
    """Tell whether every non-missing cell of a raw column parses as a number."""
    seen_any = False
    for cell in values:
        if is_missing(cell):
            continue
        if isinstance(cell, bool | int | float | np.integer | np.floating):
            seen_any = True
            continue
        if not isinstance(cell, str):
            return False
        try:
            float(cell.strip())
        except ValueError:
            return False
        seen_any = True
    return seen_any


def to_text_array(values: Iterable[object] | NDArray[Any]) -> NDArray[np.object_]:
    """Convert a column to an object array of stripped strings, with None for missing cells."""
    cells = values.tolist() if isinstance(values, np.ndarray) else list(values)
    out = np.empty(len(cells), dtype=object)
    for position, cell in enumerate(cells):
        if is_missing(cell):
            out[position] = None
        elif isinstance(cell, float) and cell.is_integer():
            # 2.0 read from a numeric database column means the category "2".
            out[position] = str(int(cell))
        else:
            out[position] = str(cell).strip()
    return out


def check_name(name: object, *, field: str) -> str:
    """Return ``name`` if it is a non-blank string; raise otherwise."""
    if not isinstance(name, str):
        msg = f"{field} must be a string; got {type(name).__name__} {name!r}"
        raise InvalidTypeError(msg)
    if not name.strip():
        msg = f"{field} must not be blank; got {name!r}"
        raise InvalidInputError(msg)
    return name


def check_fraction(value: object, *, field: str) -> float:
    """Return ``value`` as a float in [0, 1]; NaN fails the check."""
    number = check_real(value, field=field)
    if not 0.0 <= number <= 1.0:
        msg = f"{field} must be between 0 and 1; got {value!r}"
        raise InvalidInputError(msg)
    return number


def check_real(value: object, *, field: str) -> float:
    """Return ``value`` as a finite float; bools, NaN and infinities fail."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        msg = f"{field} must be a real number; got {type(value).__name__} {value!r}"
        raise InvalidTypeError(msg)
    number = float(value)
    if not math.isfinite(number):
        msg = f"{field} must be finite; got {value!r}"
        raise InvalidInputError(msg)
    return number
