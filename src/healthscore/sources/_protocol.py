"""The DataSource protocol and the as_of check that every shipped source applies."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from healthscore.exceptions import InvalidTypeError

if TYPE_CHECKING:
    from healthscore._accounts import Accounts

__all__ = ["DataSource", "check_as_of"]


@runtime_checkable
class DataSource(Protocol):
    """Anything that returns a snapshot of accounts for a date.

    The one required method is :meth:`accounts`. Any object with that method is a
    ``DataSource``, with no need to subclass, and ``isinstance(obj, DataSource)``
    checks only that the method exists. Run
    :func:`healthscore.testing.check_data_source` to check the full contract.

    Later versions may add optional methods, such as ``event_counts`` for
    activity over a window and ``outcomes`` for renewals and churn. They will
    not be added to this protocol, so existing sources keep satisfying it.

    Contract of :meth:`accounts`:

    - It returns an :class:`~healthscore.Accounts` whose ``as_of`` equals the
      requested date.
    - Two calls with the same date and unchanged underlying data return the same
      ids, signal values (NaN positions included) and attributes.
    - An ``as_of`` that is not a ``datetime.date`` raises ``TypeError`` or
      ``ValueError``, preferably :class:`~healthscore.exceptions.InvalidTypeError`.
    - Failures to read the data raise
      :class:`~healthscore.exceptions.DataSourceError`, with the driver's
      exception chained as ``__cause__``. Other exceptions should be
      :class:`~healthscore.exceptions.HealthScoreError` subclasses too.
    """

    def accounts(self, as_of: dt.date) -> Accounts:
        """Return the snapshot of accounts as of ``as_of``.

        Parameters
        ----------
        as_of : datetime.date
            Snapshot date. The returned ``Accounts.as_of`` equals it.

        Returns
        -------
        Accounts
        """
        ...


def check_as_of(as_of: object) -> dt.date:
    """Return ``as_of`` if it is a ``datetime.date``; raise otherwise.

    A ``datetime.datetime`` is rejected too, because a snapshot describes a whole
    day and silently dropping the time of day could pick the wrong day in
    another time zone.

    Raises
    ------
    InvalidTypeError
        If ``as_of`` is not a ``datetime.date`` or is a ``datetime.datetime``.
    """
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        return as_of
    if isinstance(as_of, dt.datetime):
        hint = "; pass as_of.date() for its calendar day"
    elif isinstance(as_of, str):
        hint = "; convert ISO text with datetime.date.fromisoformat"
    else:
        hint = ""
    msg = f"as_of must be a datetime.date; got {type(as_of).__name__} {as_of!r}{hint}"
    raise InvalidTypeError(msg)
