"""MemorySource: a data source over columns already in memory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from healthscore._validation import check_name, readonly
from healthscore.exceptions import InvalidInputError, InvalidTypeError
from healthscore.sources._protocol import check_as_of
from healthscore.sources._roles import ColumnRoles

if TYPE_CHECKING:
    import datetime as dt

    from numpy.typing import NDArray

    from healthscore._accounts import Accounts

__all__ = ["MemorySource"]


def _copy_column(name: str, values: object) -> Sequence[object] | NDArray[Any]:
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            msg = f"column {name!r} must be one-dimensional; got an array of shape {values.shape}"
            raise InvalidInputError(msg)
        return readonly(np.array(values, copy=True))
    # A string is a Sequence too, but as a column it would be one cell per character.
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        msg = (
            f"column {name!r} must be a sequence or a 1-D numpy array of cells; "
            f"got {type(values).__name__}"
        )
        raise InvalidTypeError(msg)
    return tuple(values)


class MemorySource:
    """A data source over raw columns held in memory.

    The columns are copied at construction, so later changes to the caller's
    lists or arrays do not change the snapshots. Each call to :meth:`accounts`
    parses the copy with :meth:`healthscore.Accounts.from_columns` and stamps the
    result with the requested date, so every date returns the same accounts.

    Parameters
    ----------
    columns : mapping of str to sequence or 1-D numpy array
        Raw columns of equal length, in the form
        :meth:`~healthscore.Accounts.from_columns` accepts. Text cells are parsed
        there: numbers, ISO dates and missing tokens such as ``""`` and ``NA``.
    id_column : str or None, default "account_id"
        Column of account ids. None numbers the rows ``"1"`` to ``"n"`` in order.
    signal_columns : sequence of str, optional
        Columns to read as numeric signals. By default every numeric column that
        has no fixed role is a signal.
    attribute_columns : sequence of str, default ()
        Columns to keep as text attributes even when they contain numbers.
    observed_at_suffix : str, default "_observed_at"
        A column named ``<signal><suffix>`` contains the observation dates of
        ``<signal>``.

    Raises
    ------
    InvalidTypeError
        If ``columns`` is not a mapping, a column name is not a string, or a column
        is not a sequence or numpy array.
    InvalidInputError
        If a column name is blank or an array is not one-dimensional.

    Examples
    --------
    >>> import datetime
    >>> from healthscore.sources import MemorySource
    >>> source = MemorySource({"account_id": ["A-1", "A-2"], "logins": ["3", ""]})
    >>> source.accounts(datetime.date(2024, 6, 1)).signal("logins")
    array([ 3., nan])
    """

    def __init__(
        self,
        columns: Mapping[str, Sequence[object] | NDArray[Any]],
        *,
        id_column: str | None = "account_id",
        signal_columns: Sequence[str] | None = None,
        attribute_columns: Sequence[str] = (),
        observed_at_suffix: str = "_observed_at",
    ) -> None:
        if not isinstance(columns, Mapping):
            msg = (
                f"columns must be a mapping of column name to cells; got {type(columns).__name__}"
            )
            raise InvalidTypeError(msg)
        self._columns: dict[str, Sequence[object] | NDArray[Any]] = {
            check_name(name, field="column name"): _copy_column(name, values)
            for name, values in columns.items()
        }
        self._roles = ColumnRoles.validated(
            id_column=id_column,
            signal_columns=signal_columns,
            attribute_columns=attribute_columns,
            observed_at_suffix=observed_at_suffix,
        )

    @property
    def column_names(self) -> tuple[str, ...]:
        """Names of the columns, in input order."""
        return tuple(self._columns)

    def accounts(self, as_of: dt.date) -> Accounts:
        """Build the snapshot of the stored columns, stamped with ``as_of``.

        Raises
        ------
        InvalidTypeError
            If ``as_of`` is not a ``datetime.date``.
        InvalidInputError
            If the columns fail a check of :meth:`healthscore.Accounts.from_columns`
            (such as a missing id column or duplicate ids).
        """
        return self._roles.build(self._columns, check_as_of(as_of))

    def __repr__(self) -> str:
        return f"MemorySource(columns={list(self._columns)!r}, {self._roles.describe()})"
