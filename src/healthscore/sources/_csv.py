"""CSVSource: a data source over a CSV file, plain or gzip-compressed."""

from __future__ import annotations

import codecs
import csv
import gzip
import itertools
import logging
import os
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from healthscore._validation import list_some
from healthscore.exceptions import DataSourceError, InvalidInputError, InvalidTypeError
from healthscore.sources._protocol import check_as_of
from healthscore.sources._roles import ColumnRoles

if TYPE_CHECKING:
    import datetime as dt
    from typing import TextIO

    from healthscore._accounts import Accounts

__all__ = ["CSVSource"]

logger = logging.getLogger("healthscore")

_BOM = "\ufeff"


class CSVSource:
    """A data source over a CSV file with a header row.

    The file is read again at every call to :meth:`accounts`, so a file that is
    replaced between snapshots gives the new data. The returned snapshot is
    stamped with the requested date, whatever dates the file contains. A file
    whose name ends in ``.gz`` is decompressed with gzip. Any other file is read
    as plain text.

    The first line is the header row, and column names are kept exactly as
    written, spaces included. A UTF-8 byte order mark before the header is
    removed, and blank lines at the end of the file are ignored. Cells are parsed
    by :meth:`healthscore.Accounts.from_columns`, which reads numbers, ISO dates,
    and empty cells or tokens such as ``NA`` as missing.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file, such as ``accounts.csv`` or ``accounts.csv.gz``.
    id_column : str or None, default "account_id"
        Column of account ids. None numbers the rows ``"1"`` to ``"n"`` in file order.
    signal_columns : sequence of str, optional
        Columns to read as numeric signals. By default every numeric column that
        has no fixed role is a signal.
    attribute_columns : sequence of str, default ()
        Columns to keep as text attributes even when they contain numbers.
    observed_at_suffix : str, default "_observed_at"
        A column named ``<signal><suffix>`` contains the observation dates of
        ``<signal>``.
    delimiter : str, default ","
        The one-character cell separator, such as a tab for tab-separated files.
    encoding : str, default "utf-8"
        Text encoding of the (decompressed) file.

    Raises
    ------
    InvalidTypeError
        If ``path`` is not a string or path, or a column option has the wrong type.
    InvalidInputError
        If ``delimiter`` is not one character or ``encoding`` is unknown.

    Examples
    --------
    >>> import datetime
    >>> from healthscore.sources import CSVSource
    >>> source = CSVSource("accounts.csv.gz", attribute_columns=["plan_code"])
    >>> book = source.accounts(datetime.date(2024, 6, 1))  # doctest: +SKIP
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        id_column: str | None = "account_id",
        signal_columns: Sequence[str] | None = None,
        attribute_columns: Sequence[str] = (),
        observed_at_suffix: str = "_observed_at",
        delimiter: str = ",",
        encoding: str = "utf-8",
    ) -> None:
        if not isinstance(path, str | os.PathLike):
            msg = f"path must be a string or os.PathLike; got {type(path).__name__} {path!r}"
            raise InvalidTypeError(msg)
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            msg = f"delimiter must be a single character such as ',' or '\\t'; got {delimiter!r}"
            raise InvalidInputError(msg)
        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            msg = f"unknown text encoding {encoding!r}; use a Python codec name such as 'utf-8'"
            raise InvalidInputError(msg) from None
        self._path = Path(path)
        self._delimiter = delimiter
        self._encoding = encoding
        self._roles = ColumnRoles.validated(
            id_column=id_column,
            signal_columns=signal_columns,
            attribute_columns=attribute_columns,
            observed_at_suffix=observed_at_suffix,
        )

    @property
    def path(self) -> Path:
        """The CSV file this source reads."""
        return self._path

    def accounts(self, as_of: dt.date) -> Accounts:
        """Read the file and return its accounts, stamped with ``as_of``.

        Raises
        ------
        InvalidTypeError
            If ``as_of`` is not a ``datetime.date``.
        DataSourceError
            If the file is missing or unreadable, is not valid text in the
            encoding, has no header row, has duplicate or empty column names, or
            has a row whose number of cells differs from the header.
        InvalidInputError
            If the cells fail a check of :meth:`healthscore.Accounts.from_columns`
            (such as a missing id column or duplicate ids). The error is not wrapped.
        """
        as_of = check_as_of(as_of)
        header, rows = self._read()
        columns: dict[str, Sequence[str]]
        if rows:
            # zip(*rows) transposes the rows into columns in C, without a Python loop.
            columns = dict(zip(header, zip(*rows, strict=True), strict=True))
        else:
            columns = dict.fromkeys(header, ())
        return self._roles.build(columns, as_of)

    def _read(self) -> tuple[list[str], list[list[str]]]:
        path = self._path
        try:
            with self._open() as handle:
                header, rows = self._parse(handle)
        except FileNotFoundError:
            msg = f"CSV file not found: {path}"
            raise DataSourceError(msg) from None
        except UnicodeDecodeError as error:
            msg = (
                f"cannot read CSV file {path}: it is not valid {self._encoding} text "
                f"({error.reason}); pass the file's encoding, such as encoding='latin-1'"
            )
            raise DataSourceError(msg) from error
        except (OSError, EOFError, zlib.error, csv.Error) as error:
            msg = f"cannot read CSV file {path}: {type(error).__name__}: {error}"
            raise DataSourceError(msg) from error
        logger.debug("read CSV file %s: %d rows, %d columns", path, len(rows), len(header))
        return header, rows

    def _open(self) -> TextIO:
        # newline="" lets the csv module handle line breaks inside quoted cells.
        if self._path.name.lower().endswith(".gz"):
            return gzip.open(self._path, "rt", encoding=self._encoding, newline="")
        return self._path.open(encoding=self._encoding, newline="")

    def _parse(self, handle: TextIO) -> tuple[list[str], list[list[str]]]:
        lines: Iterator[str] = iter(handle)
        first_line = next(lines, "")
        # The "utf-8" codec keeps a byte order mark as U+FEFF. Removing it before the
        # csv module reads the line keeps a quoted first header cell intact.
        lines = itertools.chain([first_line.removeprefix(_BOM)], lines)
        reader = csv.reader(lines, delimiter=self._delimiter)

        header = next(reader, None)
        if header is None or _is_blank(header):
            msg = f"CSV file {self._path} has no header row; the first line must name the columns"
            raise DataSourceError(msg)
        self._check_header(header)

        width = len(header)
        rows: list[list[str]] = []
        first_blank_line: int | None = None
        last_line = reader.line_num
        for row in reader:
            # line_num counts physical lines, so a row whose quoted cell spans
            # lines starts right after the previous row's last line.
            line = last_line + 1
            last_line = reader.line_num
            if _is_blank(row):
                first_blank_line = first_blank_line or line
                continue
            if first_blank_line is not None:
                msg = (
                    f"CSV file {self._path}: line {first_blank_line} is blank but the header "
                    f"has {width} columns; remove blank lines between rows"
                )
                raise DataSourceError(msg)
            if len(row) != width:
                msg = (
                    f"CSV file {self._path}: line {line} has {len(row)} cells but the header "
                    f"has {width} columns"
                )
                raise DataSourceError(msg)
            rows.append(row)
        return header, rows

    def _check_header(self, header: list[str]) -> None:
        empty = [
            str(position) for position, name in enumerate(header, start=1) if not name.strip()
        ]
        if empty:
            msg = (
                f"CSV file {self._path} has empty column names in the header at column(s) "
                f"{list_some(empty)}; name every column or remove the unnamed ones"
            )
            raise DataSourceError(msg)
        counts = Counter(header)
        duplicates = [f"{name!r} ({count} times)" for name, count in counts.items() if count > 1]
        if duplicates:
            msg = (
                f"CSV file {self._path} has duplicate column names in the header: "
                f"{list_some(duplicates)}; every column name must be unique"
            )
            raise DataSourceError(msg)

    def __repr__(self) -> str:
        options = [f"{str(self._path)!r}", self._roles.describe()]
        if self._delimiter != ",":
            options.append(f"delimiter={self._delimiter!r}")
        if self._encoding != "utf-8":
            options.append(f"encoding={self._encoding!r}")
        return f"CSVSource({', '.join(options)})"


def _is_blank(row: list[str]) -> bool:
    # The csv module returns [] for an empty line, and [" "] for a line of spaces.
    return not row or (len(row) == 1 and not row[0].strip())
