"""SQLSource: a data source over a table or query of a DB-API 2.0 connection."""

from __future__ import annotations

import contextlib
import decimal
import logging
import re
import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from healthscore._validation import list_some
from healthscore.exceptions import (
    DataSourceError,
    HealthScoreError,
    InvalidInputError,
    InvalidTypeError,
)
from healthscore.sources._protocol import check_as_of
from healthscore.sources._roles import ColumnRoles

if TYPE_CHECKING:
    import datetime as dt
    from contextlib import AbstractContextManager

    from healthscore._accounts import Accounts

__all__ = ["SQLSource"]

logger = logging.getLogger("healthscore")

# Rows requested per cursor.fetchmany call.
_FETCH_SIZE = 10_000

# One or two dot-separated parts of ASCII letters, digits and underscores. A
# table name cannot be a query parameter, so it is checked against this pattern
# and double-quoted before it goes into the SQL text.
_TABLE_NAME = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?")

Parameters = Sequence[object] | Mapping[str, object]


class Connection(Protocol):
    """A DB-API 2.0 (PEP 249) connection. Sources call only its ``cursor()`` method."""

    def cursor(self) -> Any:
        """Return a new DB-API cursor."""
        ...


class SQLSource:
    """A data source over a table or a query of any DB-API 2.0 connection.

    Each call to :meth:`accounts` runs the query on a new cursor, fetches every
    row in batches of 10,000 and stamps the snapshot with the
    requested date. Column names come from ``cursor.description``, and cells are
    parsed by :meth:`healthscore.Accounts.from_columns`, so SQL NULL is missing.
    ``decimal.Decimal`` cells, which drivers return for NUMERIC columns, are
    converted to float. The source never commits, closes or rolls back the
    connection, which stays the caller's to manage.

    Parameters
    ----------
    connection : DB-API 2.0 connection
        An open connection, such as one from ``sqlite3.connect``.
    table : str, optional
        Table to read in full, as ``name`` or ``schema.name`` made of ASCII letters,
        digits and underscores. Each part is double-quoted in the SQL text, so
        the name is case-sensitive on most databases.
    query : str, optional
        SELECT statement to run instead. Pass exactly one of ``table`` and ``query``.
    parameters : sequence or mapping, default ()
        Parameters for ``query``, passed to ``cursor.execute(query, parameters)``
        and never formatted into the SQL text. Placeholders follow the driver's
        ``paramstyle``, such as ``?`` or ``:name`` for ``sqlite3``.
    id_column : str or None, default "account_id"
        Column of account ids. None numbers the rows ``"1"`` to ``"n"`` in result order.
    signal_columns : sequence of str, optional
        Columns to read as numeric signals. By default every numeric column that
        has no fixed role is a signal.
    attribute_columns : sequence of str, default ()
        Columns to keep as text attributes even when they contain numbers.
    observed_at_suffix : str, default "_observed_at"
        A column named ``<signal><suffix>`` contains the observation dates of
        ``<signal>``.
    as_of_parameter : bool, default False
        Pass the requested date to ``query`` as an ISO string (``"2024-06-01"``).
        With sequence ``parameters`` it is the last positional parameter, and with
        mapping ``parameters`` it is the named parameter ``as_of``.

    Raises
    ------
    InvalidInputError
        If not exactly one of ``table`` and ``query`` is given, ``table`` is not a
        plain or schema-qualified name, ``parameters`` or ``as_of_parameter`` are
        given with ``table``, or a mapping of ``parameters`` already contains
        ``as_of`` while ``as_of_parameter`` is true.
    InvalidTypeError
        If ``connection`` has no ``cursor`` method, or another argument has the
        wrong type.

    Notes
    -----
    The quoting follows standard SQL, which SQLite, PostgreSQL, DuckDB and most
    other databases use for identifiers. MySQL and MariaDB read double quotes as
    string quotes unless the ``ANSI_QUOTES`` SQL mode is on, so pass a ``query``
    there instead of ``table``.

    Examples
    --------
    >>> import datetime, sqlite3
    >>> from healthscore.sources import SQLSource
    >>> connection = sqlite3.connect(":memory:")
    >>> _ = connection.execute("CREATE TABLE accounts (account_id TEXT, logins INTEGER)")
    >>> _ = connection.execute("INSERT INTO accounts VALUES ('A-1', 12), ('A-2', NULL)")
    >>> source = SQLSource(connection, table="accounts")
    >>> source.accounts(datetime.date(2024, 6, 1)).signal("logins")
    array([12., nan])
    """

    def __init__(
        self,
        connection: Connection,
        *,
        table: str | None = None,
        query: str | None = None,
        parameters: Parameters = (),
        id_column: str | None = "account_id",
        signal_columns: Sequence[str] | None = None,
        attribute_columns: Sequence[str] = (),
        observed_at_suffix: str = "_observed_at",
        as_of_parameter: bool = False,
    ) -> None:
        if not callable(getattr(connection, "cursor", None)):
            msg = (
                f"connection must be a DB-API 2.0 connection with a cursor() method; "
                f"got {type(connection).__name__}"
            )
            raise InvalidTypeError(msg)
        self._connection = connection
        self._configure(
            table=table,
            query=query,
            parameters=parameters,
            roles=ColumnRoles.validated(
                id_column=id_column,
                signal_columns=signal_columns,
                attribute_columns=attribute_columns,
                observed_at_suffix=observed_at_suffix,
            ),
            as_of_parameter=as_of_parameter,
        )

    def _configure(
        self,
        *,
        table: object,
        query: object,
        parameters: object,
        roles: ColumnRoles,
        as_of_parameter: object,
    ) -> None:
        if (table is None) == (query is None):
            msg = "pass exactly one of table (a table name) and query (a SELECT statement)"
            raise InvalidInputError(msg)
        if not isinstance(as_of_parameter, bool):
            msg = f"as_of_parameter must be True or False; got {as_of_parameter!r}"
            raise InvalidTypeError(msg)

        self._parameters = _check_parameters(parameters, as_of_parameter=as_of_parameter)
        self._as_of_parameter = as_of_parameter
        self._roles = roles
        self._table: str | None = None
        self._query: str | None = None
        if table is not None:
            if self._parameters or as_of_parameter:
                msg = (
                    "parameters and as_of_parameter apply to query only; "
                    "write a query to filter a table"
                )
                raise InvalidInputError(msg)
            self._table = _check_table(table)
            # The name passed _check_table, so it contains no quotes or SQL syntax.
            self._sql = "SELECT * FROM " + _quote_table(self._table)  # noqa: S608
            self._label = f"table {self._table!r}"
        else:
            if not isinstance(query, str) or not query.strip():
                msg = f"query must be a non-blank SQL string; got {query!r}"
                raise InvalidInputError(msg)
            self._query = query
            self._sql = query
            self._label = f"query {textwrap.shorten(query, 200, placeholder=' ...')!r}"

    @property
    def table(self) -> str | None:
        """The table this source reads, or None for a query."""
        return self._table

    @property
    def query(self) -> str | None:
        """The query this source runs, or None for a table."""
        return self._query

    def accounts(self, as_of: dt.date) -> Accounts:
        """Run the query and return its rows as accounts, stamped with ``as_of``.

        Raises
        ------
        InvalidTypeError
            If ``as_of`` is not a ``datetime.date``.
        DataSourceError
            If the driver raises any exception, such as for a missing table or a
            syntax error, or the statement returns no result set or duplicate
            column names. A driver exception is kept as the ``__cause__``.
        InvalidInputError
            If the rows fail a check of :meth:`healthscore.Accounts.from_columns`
            (such as a missing id column or duplicate ids). The error is not wrapped.
        """
        as_of = check_as_of(as_of)
        parameters = self._bind(as_of)
        try:
            with self._open() as connection:
                names, rows = self._fetch(connection, parameters)
        except HealthScoreError:
            raise
        except Exception as error:
            # Every driver exception is wrapped, because each DB-API module defines its
            # own Error classes and a source cannot know which module the connection uses.
            msg = f"cannot read SQL {self._label}: {type(error).__name__}: {error}"
            raise DataSourceError(msg) from error

        logger.debug("read SQL %s: %d rows, %d columns", self._label, len(rows), len(names))
        if rows:
            cells = map(_decimals_to_float, zip(*rows, strict=True))
            columns = dict(zip(names, cells, strict=True))
        else:
            columns = dict.fromkeys(names, ())
        return self._roles.build(columns, as_of)

    def _bind(self, as_of: dt.date) -> Parameters:
        if not self._as_of_parameter:
            return self._parameters
        if isinstance(self._parameters, Mapping):
            return {**self._parameters, "as_of": as_of.isoformat()}
        return (*self._parameters, as_of.isoformat())

    def _open(self) -> AbstractContextManager[Connection]:
        return contextlib.nullcontext(self._connection)

    def _fetch(
        self, connection: Connection, parameters: Parameters
    ) -> tuple[list[str], list[Sequence[object]]]:
        cursor = connection.cursor()
        try:
            cursor.execute(self._sql, parameters)
            description = cursor.description
            if description is None:
                msg = f"SQL {self._label} returned no result set; the statement must be a SELECT"
                raise DataSourceError(msg)
            names = [str(column[0]) for column in description]
            self._check_names(names)
            rows: list[Sequence[object]] = []
            while batch := cursor.fetchmany(_FETCH_SIZE):
                rows.extend(batch)
        finally:
            cursor.close()
        return names, rows

    def _check_names(self, names: list[str]) -> None:
        counts = Counter(names)
        duplicates = [f"{name!r} ({count} times)" for name, count in counts.items() if count > 1]
        if duplicates:
            msg = (
                f"SQL {self._label} returned duplicate column names: "
                f"{list_some(duplicates)}; give each column a unique alias with AS"
            )
            raise DataSourceError(msg)

    def __repr__(self) -> str:
        target = f"table={self._table!r}" if self._table is not None else f"query={self._query!r}"
        return f"SQLSource({target}, {self._roles.describe()})"


def _check_table(table: object) -> str:
    if not isinstance(table, str):
        msg = f"table must be a string; got {type(table).__name__} {table!r}"
        raise InvalidTypeError(msg)
    # fullmatch, because re's "$" would also accept a trailing newline.
    if _TABLE_NAME.fullmatch(table) is None:
        msg = (
            f"invalid table name {table!r}: use a name or schema.name made of ASCII "
            f"letters, digits and underscores, or pass a query instead"
        )
        raise InvalidInputError(msg)
    return table


def _quote_table(table: str) -> str:
    return ".".join(f'"{part}"' for part in table.split("."))


def _check_parameters(parameters: object, *, as_of_parameter: bool) -> Parameters:
    if isinstance(parameters, Mapping):
        if as_of_parameter and "as_of" in parameters:
            msg = (
                "parameters already contains 'as_of', which as_of_parameter=True would "
                "replace; rename that parameter or set as_of_parameter=False"
            )
            raise InvalidInputError(msg)
        return dict(parameters)
    # A string is a Sequence too, but as parameters it would be one per character.
    if isinstance(parameters, str | bytes) or not isinstance(parameters, Sequence):
        msg = (
            f"parameters must be a tuple, list or mapping of query parameters; "
            f"got {type(parameters).__name__} {parameters!r}"
        )
        raise InvalidTypeError(msg)
    return tuple(parameters)


def _decimals_to_float(column: Sequence[object]) -> Sequence[object]:
    # Drivers return decimal.Decimal for NUMERIC columns, which role inference
    # does not count as numbers. A column of a typed database has one Python type,
    # so the first non-NULL cell decides whether the column needs the slower pass.
    first = next((cell for cell in column if cell is not None), None)
    if not isinstance(first, decimal.Decimal):
        return column
    return [float(cell) if isinstance(cell, decimal.Decimal) else cell for cell in column]
