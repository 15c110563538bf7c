"""CSV export of scores, escaped against spreadsheet formula injection."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from healthscore._scoring import Scores

__all__ = ["escape_cell", "write_scores_csv"]

#: First characters that make a spreadsheet read a cell as a formula or command.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(text: str) -> str:
    """Return ``text`` made safe to open in a spreadsheet.

    A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    is prefixed with a single quote, which spreadsheet programs show as text and
    never evaluate. Numbers are written by the caller and never pass through here.
    """
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        # Six decimals keep points exact enough to re-add contributions to the score.
        return repr(round(value, 6))
    return escape_cell(str(value))


def write_scores_csv(
    scores: Scores,
    target: str | os.PathLike[str] | IO[str],
    *,
    extra_columns: Mapping[str, NDArray[Any]] | None = None,
) -> None:
    """Write one row per account: id, segment, score, band, coverage, version, contributions.

    Parameters
    ----------
    scores : Scores
    target : path or text file
        A path is written as UTF-8 with newline (LF) line endings and is overwritten.
    extra_columns : mapping of str to array, optional
        More columns to append, one value per account.

    Notes
    -----
    Columns are ``account_id, segment, score, band, coverage, model_version``, then
    ``contribution.<signal>`` per signal, then ``status``. A withheld score, a
    missing band and a contribution that did not count are empty cells. Text cells
    are escaped with :func:`escape_cell`.
    """
    columns = scores.to_columns()
    status = columns.pop("status")
    ordered = {
        name: columns[name]
        for name in ("account_id", "segment", "score", "band", "coverage", "model_version")
    }
    ordered.update({k: v for k, v in columns.items() if k.startswith("contribution.")})
    ordered["status"] = status
    for name, values in (extra_columns or {}).items():
        ordered[name] = values
    lists = [values.tolist() for values in ordered.values()]

    def write(handle: IO[str]) -> None:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow([escape_cell(name) for name in ordered])
        for row in zip(*lists, strict=True):
            writer.writerow([_format(value) for value in row])

    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding="utf-8", newline="") as handle:  # noqa: PTH123
            write(handle)
    else:
        write(target)
