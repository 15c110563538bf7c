"""parse_source_uri: build a data source from a SQLite URI or a CSV path."""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from healthscore.exceptions import DataSourceError, InvalidInputError, InvalidTypeError
from healthscore.sources._csv import CSVSource
from healthscore.sources._roles import ColumnRoles
from healthscore.sources._sql import SQLSource

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from healthscore.sources._protocol import DataSource

__all__ = ["parse_source_uri"]

_SQLITE_PREFIX = "sqlite:///"
_ACCEPTED_FORMS = (
    "sqlite:///PATH.db?table=NAME for a SQLite table (relative PATH, or "
    "sqlite:////abs/PATH.db for an absolute one), or the path of a .csv or .csv.gz file"
)


def parse_source_uri(
    uri: str,
    *,
    id_column: str | None = "account_id",
    signal_columns: Sequence[str] | None = None,
    attribute_columns: Sequence[str] = (),
    observed_at_suffix: str = "_observed_at",
) -> DataSource:
    """Build the data source that ``uri`` names.

    Two forms are accepted:

    - ``sqlite:///PATH?table=NAME`` returns a :class:`SQLSource` over table
      ``NAME`` of the SQLite file ``PATH``. As in SQLAlchemy URLs, three slashes
      precede a relative path and four an absolute one
      (``sqlite:////srv/crm.db?table=accounts``). ``PATH`` is used as written,
      without percent-decoding. The file is opened read-only, and again at each
      read, so changes to it between snapshots are seen.
    - A path ending in ``.csv`` or ``.csv.gz`` (in any letter case) returns a
      :class:`CSVSource` with its default delimiter and encoding.

    Parameters
    ----------
    uri : str
        The URI or path.
    id_column, signal_columns, attribute_columns, observed_at_suffix
        Passed to the source. See :meth:`healthscore.Accounts.from_columns`.

    Returns
    -------
    DataSource

    Raises
    ------
    InvalidInputError
        If ``uri`` has another form, a SQLite URI has no ``table`` parameter or
        has another parameter, or the table name is invalid.
    DataSourceError
        If the SQLite or CSV file does not exist.
    InvalidTypeError
        If ``uri`` is not a string.
    """
    if not isinstance(uri, str):
        msg = f"uri must be a string; got {type(uri).__name__} {uri!r}"
        raise InvalidTypeError(msg)
    roles = ColumnRoles.validated(
        id_column=id_column,
        signal_columns=signal_columns,
        attribute_columns=attribute_columns,
        observed_at_suffix=observed_at_suffix,
    )

    if uri.startswith(_SQLITE_PREFIX):
        return _sqlite_source(uri, roles)
    if uri.startswith("sqlite:"):
        msg = f"invalid SQLite URI {uri!r}: expected {_ACCEPTED_FORMS}"
        raise InvalidInputError(msg)

    if uri.lower().endswith((".csv", ".csv.gz")):
        path = Path(uri)
        if not path.is_file():
            msg = f"CSV file not found: {path}"
            raise DataSourceError(msg)
        return CSVSource(
            path,
            id_column=roles.id_column,
            signal_columns=roles.signal_columns,
            attribute_columns=roles.attribute_columns,
            observed_at_suffix=roles.observed_at_suffix,
        )

    msg = f"unsupported data source {uri!r}: expected {_ACCEPTED_FORMS}"
    raise InvalidInputError(msg)


def _sqlite_source(uri: str, roles: ColumnRoles) -> SQLSource:
    path_text, _, query_text = uri[len(_SQLITE_PREFIX) :].partition("?")
    if not path_text:
        msg = f"SQLite URI {uri!r} has no file path; expected {_ACCEPTED_FORMS}"
        raise InvalidInputError(msg)

    options = urllib.parse.parse_qs(query_text, keep_blank_values=True)
    unknown = sorted(set(options) - {"table"})
    if unknown:
        msg = f"SQLite URI {uri!r} has unknown parameter(s) {unknown}; the only parameter is table"
        raise InvalidInputError(msg)
    tables = options.get("table", [])
    if len(tables) != 1 or not tables[0]:
        msg = f"SQLite URI {uri!r} must name one table, as in sqlite:///{path_text}?table=accounts"
        raise InvalidInputError(msg)

    path = Path(path_text)
    if not path.is_file():
        msg = f"SQLite database file not found: {path}"
        raise DataSourceError(msg)
    return _SQLiteFileSource(path, table=tables[0], roles=roles)


class _SQLiteFileSource(SQLSource):
    """A SQLSource over a SQLite file that it opens read-only for each read."""

    def __init__(self, path: Path, *, table: str, roles: ColumnRoles) -> None:
        # The base __init__ is skipped because this source has no long-lived connection.
        self._path = path
        self._configure(table=table, query=None, parameters=(), roles=roles, as_of_parameter=False)

    @contextlib.contextmanager
    def _open(self) -> Iterator[sqlite3.Connection]:
        # mode=ro makes SQLite reject writes, so a query can never change the file.
        target = f"{self._path.resolve().as_uri()}?mode=ro"
        try:
            connection = sqlite3.connect(target, uri=True)
        except sqlite3.Error as error:
            msg = f"cannot open SQLite database {self._path} read-only: {error}"
            raise DataSourceError(msg) from error
        try:
            yield connection
        finally:
            connection.close()

    def __repr__(self) -> str:
        return (
            f"SQLSource(database={str(self._path)!r}, table={self.table!r}, "
            f"{self._roles.describe()})"
        )
