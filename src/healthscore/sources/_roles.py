"""Column-role options shared by the shipped sources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from healthscore._accounts import Accounts
from healthscore._validation import check_name
from healthscore.exceptions import InvalidTypeError

if TYPE_CHECKING:
    import datetime as dt

    from numpy.typing import NDArray

__all__ = ["ColumnRoles"]


def _check_names(value: object, *, field: str) -> tuple[str, ...]:
    # A bare string is a Sequence too, and would be read one character per column.
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = (
            f"{field} must be a list or tuple of column names; "
            f"got {type(value).__name__} {value!r}"
        )
        raise InvalidTypeError(msg)
    return tuple(check_name(name, field=f"{field} entry") for name in value)


@attrs.frozen
class ColumnRoles:
    """The options that tell :meth:`Accounts.from_columns` which column plays which role.

    Build one with :meth:`validated`. The fields have the meaning of the parameters
    of the same name of :meth:`healthscore.Accounts.from_columns`.
    """

    id_column: str | None
    signal_columns: tuple[str, ...] | None
    attribute_columns: tuple[str, ...]
    observed_at_suffix: str

    @classmethod
    def validated(
        cls,
        *,
        id_column: object,
        signal_columns: object,
        attribute_columns: object,
        observed_at_suffix: object,
    ) -> ColumnRoles:
        """Check the types of the options and return them as a ``ColumnRoles``.

        Raises
        ------
        InvalidTypeError
            If a column name is not a string, or a list of names is a bare string.
        InvalidInputError
            If a column name is blank.
        """
        checked_id = None if id_column is None else check_name(id_column, field="id_column")
        checked_signals = (
            None
            if signal_columns is None
            else _check_names(signal_columns, field="signal_columns")
        )
        checked_attributes = _check_names(attribute_columns, field="attribute_columns")
        if not isinstance(observed_at_suffix, str):
            msg = (
                f"observed_at_suffix must be a string; got "
                f"{type(observed_at_suffix).__name__} {observed_at_suffix!r}"
            )
            raise InvalidTypeError(msg)
        return cls(
            id_column=checked_id,
            signal_columns=checked_signals,
            attribute_columns=checked_attributes,
            observed_at_suffix=observed_at_suffix,
        )

    def build(
        self, columns: Mapping[str, Sequence[object] | NDArray[Any]], as_of: dt.date
    ) -> Accounts:
        """Build the snapshot of ``columns`` as of ``as_of`` with these roles.

        Validation errors of :meth:`Accounts.from_columns` propagate unchanged.
        """
        return Accounts.from_columns(
            columns,
            as_of=as_of,
            id_column=self.id_column,
            signal_columns=self.signal_columns,
            attribute_columns=self.attribute_columns,
            observed_at_suffix=self.observed_at_suffix,
        )

    def describe(self) -> str:
        """Return the options as keyword arguments for a ``repr``, skipping defaults."""
        parts = [f"id_column={self.id_column!r}"]
        if self.signal_columns is not None:
            parts.append(f"signal_columns={list(self.signal_columns)!r}")
        if self.attribute_columns:
            parts.append(f"attribute_columns={list(self.attribute_columns)!r}")
        if self.observed_at_suffix != "_observed_at":
            parts.append(f"observed_at_suffix={self.observed_at_suffix!r}")
        return ", ".join(parts)
