"""Tests of the exception and warning hierarchy and of the public namespace."""

from __future__ import annotations

import re
import warnings

import pytest

import healthscore as hs
from healthscore import exceptions
from healthscore.exceptions import (
    BandAssignmentError,
    ConstantSignalWarning,
    DataSourceContractError,
    DataSourceError,
    DegenerateSegmentWarning,
    HealthScoreError,
    HealthScoreWarning,
    InvalidInputError,
    InvalidTypeError,
    ModelFileError,
    ModelVersionWarning,
)


@pytest.mark.parametrize(
    ("error", "base"),
    [
        (InvalidInputError, HealthScoreError),
        (InvalidInputError, ValueError),
        (InvalidTypeError, HealthScoreError),
        (InvalidTypeError, TypeError),
        (BandAssignmentError, InvalidInputError),
        (BandAssignmentError, ValueError),
        (ModelFileError, InvalidInputError),
        (DataSourceError, HealthScoreError),
        (DataSourceContractError, HealthScoreError),
        (DataSourceContractError, AssertionError),
        (HealthScoreError, Exception),
    ],
    ids=lambda cls: cls.__name__,
)
def test_error_base_class(error, base):
    assert issubclass(error, base)


@pytest.mark.parametrize(
    ("error", "other"),
    [
        (InvalidInputError, TypeError),
        (InvalidTypeError, ValueError),
        (DataSourceError, ValueError),
        (BandAssignmentError, TypeError),
    ],
    ids=lambda cls: cls.__name__,
)
def test_error_not_subclass(error, other):
    assert not issubclass(error, other)


@pytest.mark.parametrize(
    "warning",
    [ConstantSignalWarning, DegenerateSegmentWarning, ModelVersionWarning],
    ids=lambda cls: cls.__name__,
)
def test_warning_base_classes(warning):
    assert issubclass(warning, HealthScoreWarning)
    assert issubclass(warning, UserWarning)
    assert not issubclass(warning, HealthScoreError)


def test_health_score_warning_is_user_warning():
    assert issubclass(HealthScoreWarning, UserWarning)


def test_warning_caught_by_pytest_warns():
    with pytest.warns(ConstantSignalWarning, match="single value"):
        warnings.warn("logins_30d has a single value", ConstantSignalWarning, stacklevel=1)


def test_model_file_error_lists_problems():
    problems = [
        ("segments[1].weights.nps", "must be >= 0; got -1"),
        ("", "missing key 'format_version'"),
        ("bands.edges[0]", "must be 0; got 5"),
    ]

    error = ModelFileError("models/smb.json", problems)
    lines = str(error).splitlines()

    assert lines[0] == "invalid model file models/smb.json: 3 problem(s)"
    assert lines[1] == "  segments[1].weights.nps: must be >= 0; got -1"
    assert lines[2] == "  <root>: missing key 'format_version'"
    assert lines[3] == "  bands.edges[0]: must be 0; got 5"
    assert len(lines) == 4


def test_model_file_error_attributes():
    problems = [("version", "must be a string")]

    error = ModelFileError("<dict>", iter(problems))

    assert error.source == "<dict>"
    assert error.problems == (("version", "must be a string"),)
    assert isinstance(error, ValueError)


def test_model_file_error_caught_as_invalid_input():
    with pytest.raises(InvalidInputError, match=re.escape("invalid model file <dict>: 1 problem")):
        raise ModelFileError("<dict>", [("name", "must not be blank")])


def test_data_source_contract_error_lists_failures():
    error = DataSourceContractError(
        "CsvSource('book.csv')", ["ids are not unique", "as_of=None was accepted"]
    )
    lines = str(error).splitlines()

    assert lines == [
        "CsvSource('book.csv') breaks the DataSource contract:",
        "  - ids are not unique",
        "  - as_of=None was accepted",
    ]
    assert error.failures == ("ids are not unique", "as_of=None was accepted")


def public_sort_key(name):
    """Return the sort key of ruff 0.17.6 rule RUF022.

    SCREAMING_CASE names come first, then CamelCase names, then the rest. Within a group names
    compare as plain text, which matches ruff's natural sort unless the names contain digits.
    """
    if name.isupper():
        category = 0
    elif name[:1].isupper():
        category = 1
    else:
        category = 2
    return (category, name)


@pytest.mark.parametrize("module", [hs, exceptions], ids=["healthscore", "exceptions"])
def test_all_sorted(module):
    assert module.__all__ == sorted(module.__all__, key=public_sort_key)


@pytest.mark.parametrize("module", [hs, exceptions], ids=["healthscore", "exceptions"])
def test_all_unique(module):
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("name", hs.__all__)
def test_all_name_importable(name):
    namespace: dict[str, object] = {}

    exec(f"from healthscore import {name}", namespace)

    assert namespace[name] is getattr(hs, name)


@pytest.mark.parametrize("name", exceptions.__all__)
def test_exceptions_all_name_importable(name):
    assert isinstance(getattr(exceptions, name), type)


def test_all_core_names():
    expected = {
        "Accounts",
        "Bands",
        "Condition",
        "LinearRange",
        "LogScale",
        "PercentileRank",
        "Rule",
        "STANDARD_ATTRIBUTES",
        "Scorer",
        "Scores",
        "ScoreStatus",
        "SegmentModel",
        "Signal",
        "ThresholdBands",
        "__version__",
    }

    assert expected <= set(hs.__all__)


def test_star_import_matches_all():
    namespace: dict[str, object] = {}

    exec("from healthscore import *", namespace)

    assert set(hs.__all__) <= set(namespace)


def test_version_is_text():
    assert isinstance(hs.__version__, str)
    assert hs.__version__
