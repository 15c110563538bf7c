"""Exceptions and warnings raised by healthscore.

Every error the library raises on purpose derives from :class:`HealthScoreError`, so
one ``except HealthScoreError`` catches them all. Errors about a bad value are also
``ValueError`` and errors about a bad type are also ``TypeError``, so code written
against the standard exceptions keeps working::

    HealthScoreError
    ├── InvalidInputError (ValueError)
    │   ├── ModelFileError
    │   └── BandAssignmentError
    ├── InvalidTypeError (TypeError)
    ├── DataSourceError
    └── DataSourceContractError (AssertionError)

    HealthScoreWarning (UserWarning)
    ├── ConstantSignalWarning
    ├── DegenerateSegmentWarning
    └── ModelVersionWarning
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "BandAssignmentError",
    "ConstantSignalWarning",
    "DataSourceContractError",
    "DataSourceError",
    "DegenerateSegmentWarning",
    "HealthScoreError",
    "HealthScoreWarning",
    "InvalidInputError",
    "InvalidTypeError",
    "ModelFileError",
    "ModelVersionWarning",
]


class HealthScoreError(Exception):
    """Base class of every exception that healthscore raises on purpose."""


class InvalidInputError(HealthScoreError, ValueError):
    """A value is outside what the library accepts.

    The message names the field (or the path inside a model file), the value
    received and what is allowed.
    """


class InvalidTypeError(HealthScoreError, TypeError):
    """An argument has a type the library cannot use."""


class BandAssignmentError(InvalidInputError):
    """A score that is NaN, infinite or outside [0, 100] was given a band."""


class ModelFileError(InvalidInputError):
    """A model file is malformed, fails its checksum or fails validation.

    Parameters
    ----------
    source : str
        The file name, or ``"<dict>"`` for an in-memory document.
    problems : sequence of (str, str)
        Every problem found, as ``(path, message)`` pairs, where ``path`` points
        into the document such as ``segments[1].weights.nps``.

    Attributes
    ----------
    source : str
    problems : tuple of (str, str)
    """

    def __init__(self, source: str, problems: Sequence[tuple[str, str]]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = [f"invalid model file {source}: {len(self.problems)} problem(s)"]
        lines.extend(f"  {path or '<root>'}: {message}" for path, message in self.problems)
        super().__init__("\n".join(lines))


class DataSourceError(HealthScoreError):
    """A data source could not be read, or returned data that cannot be used."""


class DataSourceContractError(HealthScoreError, AssertionError):
    """A data source breaks the ``DataSource`` contract.

    Raised by :func:`healthscore.testing.check_data_source`. It is an
    ``AssertionError`` so that test runners report it as a failed test.

    Attributes
    ----------
    failures : tuple of str
        One line per broken rule.
    """

    def __init__(self, source_repr: str, failures: Sequence[str]) -> None:
        self.failures = tuple(failures)
        lines = [f"{source_repr} breaks the DataSource contract:"]
        lines.extend(f"  - {failure}" for failure in self.failures)
        super().__init__("\n".join(lines))


class HealthScoreWarning(UserWarning):
    """Base class of the warnings healthscore emits."""


class ConstantSignalWarning(HealthScoreWarning):
    """A signal has a single value across a segment, so it cannot rank accounts.

    The normaliser falls back to the neutral sub-score 50 for that segment.
    """


class DegenerateSegmentWarning(HealthScoreWarning):
    """A segment has too few accounts (or usable values) for the requested fit."""


class ModelVersionWarning(HealthScoreWarning):
    """A model file was written by a newer healthscore than the one reading it."""
