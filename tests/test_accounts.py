"""Tests of Accounts: construction, id and column checks, role inference and access."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

import healthscore as hs
from healthscore.exceptions import HealthScoreError, InvalidInputError, InvalidTypeError

AS_OF = "2024-06-01"
NAT = np.datetime64("NaT", "D")


def build(ids=("A-1", "A-2", "A-3"), **columns):
    """Build Accounts as of AS_OF with the given ids and column mappings."""
    return hs.Accounts(ids=list(ids), as_of=AS_OF, **columns)


def error_message(excinfo):
    return str(excinfo.value)


# -- construction ------------------------------------------------------------------------


def test_constructor_signal_values():
    book = build(signals={"logins_30d": [12, None, "7"]})

    values = book.signal("logins_30d")

    assert values.dtype == np.float64
    assert values[0] == 12.0
    assert math.isnan(values[1])
    assert values[2] == 7.0


def test_constructor_signal_text_numbers():
    book = build(signals={"nps": [" 40 ", "-12.5", "1e2"]})

    assert book.signal("nps").tolist() == [40.0, -12.5, 100.0]


@pytest.mark.parametrize(
    "token",
    ["", "   ", "NA", "N/A", "null", "NULL", "None", "nan", None, float("nan"), np.nan],
    ids=[
        "empty",
        "spaces",
        "NA",
        "N/A",
        "null",
        "NULL",
        "None-text",
        "nan-text",
        "None",
        "float-nan",
        "numpy-nan",
    ],
)
def test_signal_missing_token_is_nan(token):
    book = build(ids=["A-1", "A-2"], signals={"logins_30d": [5, token]})

    values = book.signal("logins_30d")

    assert values[0] == 5.0
    assert math.isnan(values[1])


def test_constructor_attribute_types():
    book = build(
        attributes={
            "arr": ["12000", 48000, None],
            "owner": [" ann ", None, "bob"],
            "use_case": ["analytics", "crm", ""],
            "seats": [10, "20", "NA"],
            "signup_date": [dt.date(2023, 1, 5), None, dt.date(2022, 3, 1)],
        }
    )

    assert book.attributes["arr"].dtype == np.float64
    assert book.attributes["arr"][:2].tolist() == [12000.0, 48000.0]
    assert math.isnan(book.attributes["arr"][2])
    assert book.attributes["owner"].tolist() == ["ann", None, "bob"]
    assert book.attributes["use_case"].tolist() == ["analytics", "crm", None]
    assert book.attributes["seats"].dtype == np.float64
    assert book.attributes["seats"][:2].tolist() == [10.0, 20.0]
    assert book.attributes["signup_date"].dtype == np.dtype("datetime64[D]")
    assert book.attributes["signup_date"][0] == np.datetime64("2023-01-05")
    assert np.isnat(book.attributes["signup_date"][1])


def test_constructor_n_accounts_and_columns():
    book = build(signals={"logins_30d": [1, 2, 3]}, attributes={"plan": ["a", "b", "c"]})

    assert book.n_accounts == 3
    assert len(book) == 3
    assert book.columns == ("logins_30d", "plan")


@pytest.mark.parametrize(
    "get_column",
    [
        lambda book: book.ids,
        lambda book: book.signals["logins_30d"],
        lambda book: book.attributes["arr"],
        lambda book: book.attributes["renewal_date"],
        lambda book: book.attributes["plan"],
        lambda book: book.observed_at["logins_30d"],
    ],
    ids=["ids", "signal", "arr", "renewal_date", "text-attribute", "observed_at"],
)
def test_column_is_read_only(get_column):
    book = build(
        ids=["A-1", "A-2"],
        signals={"logins_30d": [3, 4]},
        attributes={"arr": [100, 200], "renewal_date": ["2024-09-01", None], "plan": ["a", "b"]},
        observed_at={"logins_30d": ["2024-05-30", "2024-05-31"]},
    )
    column = get_column(book)

    assert not column.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        column[0] = column[1]


def test_column_mappings_are_read_only():
    book = build(ids=["A-1"], signals={"logins_30d": [3]}, attributes={"plan": ["a"]})

    with pytest.raises(TypeError):
        book.signals["nps"] = np.array([1.0])  # type: ignore[index]
    with pytest.raises(TypeError):
        book.attributes["owner"] = np.array(["ann"])  # type: ignore[index]


def test_constructor_copies_lists():
    ids = ["A-1", "A-2"]
    logins = [3, 4]
    plans = ["a", "b"]
    book = hs.Accounts(
        ids=ids, as_of=AS_OF, signals={"logins_30d": logins}, attributes={"plan": plans}
    )

    ids[0] = "Z-9"
    logins[0] = 99
    plans[0] = "z"

    assert book.ids.tolist() == ["A-1", "A-2"]
    assert book.signal("logins_30d").tolist() == [3.0, 4.0]
    assert book.attributes["plan"].tolist() == ["a", "b"]


def test_constructor_copies_arrays():
    ids = np.array(["A-1", "A-2"], dtype=object)
    logins = np.array([3.0, 4.0])
    seats = np.array([10, 20])
    renewals = np.array(["2024-09-01", "2024-10-01"], dtype="datetime64[D]")
    observed = np.array(["2024-05-01", "2024-05-02"], dtype="datetime64[D]")
    book = hs.Accounts(
        ids=ids,
        as_of=AS_OF,
        signals={"logins_30d": logins},
        attributes={"seats": seats, "renewal_date": renewals},
        observed_at={"logins_30d": observed},
    )

    ids[0] = "Z-9"
    logins[0] = 99.0
    seats[0] = 99
    renewals[0] = np.datetime64("2030-01-01")
    observed[0] = np.datetime64("2000-01-01")

    assert book.ids[0] == "A-1"
    assert book.signal("logins_30d")[0] == 3.0
    assert book.attributes["seats"][0] == 10.0
    assert book.attributes["renewal_date"][0] == np.datetime64("2024-09-01")
    assert book.observed_at["logins_30d"][0] == np.datetime64("2024-05-01")


def test_from_records_absent_key_is_missing():
    book = hs.Accounts.from_records(
        [
            {"account_id": "A-1", "logins_30d": 12, "plan": "pro"},
            {"account_id": "A-2", "plan": "basic"},
            {"account_id": "A-3", "logins_30d": "4"},
        ],
        as_of=AS_OF,
    )

    logins = book.signal("logins_30d")

    assert book.ids.tolist() == ["A-1", "A-2", "A-3"]
    assert logins[0] == 12.0
    assert math.isnan(logins[1])
    assert logins[2] == 4.0
    assert book.attributes["plan"].tolist() == ["pro", "basic", None]


# -- from_pandas ---------------------------------------------------------------------------


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "account_id": ["A-1", "A-2", "A-3"],
            "logins_30d": [12, 0, 7],
            "nps": [40.0, np.nan, -10.0],
            "seats": pd.array([5, None, 8], dtype="Int64"),
            "plan": ["pro", None, np.nan],
            "arr": [12000.0, np.nan, 0.0],
            "renewal_date": pd.to_datetime(["2024-09-01", None, "2025-01-31"]),
            "signup_date": pd.to_datetime(["2021-02-03 10:00", "2022-04-05 00:00", None]),
            "logins_30d_observed_at": pd.to_datetime(["2024-05-31", None, "2024-06-01"]),
        },
        index=[10, 20, 30],
    )


def test_from_pandas_roles(frame):
    book = hs.Accounts.from_pandas(frame, as_of=AS_OF)

    assert set(book.signals) == {"logins_30d", "nps", "seats"}
    assert set(book.attributes) == {"plan", "arr", "renewal_date", "signup_date"}
    assert set(book.observed_at) == {"logins_30d"}


def test_from_pandas_values(frame):
    book = hs.Accounts.from_pandas(frame, as_of=AS_OF)

    nps = book.signal("nps")
    seats = book.signal("seats")
    arr = book.attributes["arr"]
    renewal = book.attributes["renewal_date"]
    signup = book.attributes["signup_date"]
    observed = book.observed_at["logins_30d"]

    assert book.ids.tolist() == ["A-1", "A-2", "A-3"]
    assert book.signal("logins_30d").tolist() == [12.0, 0.0, 7.0]
    assert nps[0] == 40.0
    assert math.isnan(nps[1])
    assert nps[2] == -10.0
    assert seats[0] == 5.0
    assert math.isnan(seats[1])
    assert book.attributes["plan"].tolist() == ["pro", None, None]
    assert arr[0] == 12000.0
    assert math.isnan(arr[1])
    assert arr[2] == 0.0
    assert renewal.dtype == np.dtype("datetime64[D]")
    assert renewal[0] == np.datetime64("2024-09-01")
    assert np.isnat(renewal[1])
    assert signup.dtype == np.dtype("datetime64[D]")
    assert signup[0] == np.datetime64("2021-02-03")
    assert np.isnat(signup[2])
    assert observed[0] == np.datetime64("2024-05-31")
    assert np.isnat(observed[1])


def test_from_pandas_ignores_index(frame):
    book = hs.Accounts.from_pandas(frame.drop(columns="account_id"), as_of=AS_OF, id_column=None)

    assert book.ids.tolist() == ["1", "2", "3"]


def test_from_pandas_integer_ids():
    data = pd.DataFrame({"account_id": [17, 4, 250], "logins_30d": [1, 2, 3]})

    book = hs.Accounts.from_pandas(data, as_of=AS_OF)

    assert book.ids.tolist() == ["17", "4", "250"]


def test_from_pandas_large_integer_ids():
    # 2**53 + 1 has no exact float64, so a float round trip turns it into 2**53.
    data = pd.DataFrame({"account_id": [2**53 + 1, 2**53], "logins_30d": [1, 2]})

    book = hs.Accounts.from_pandas(data, as_of=AS_OF)

    assert book.ids.tolist() == [str(2**53 + 1), str(2**53)]


def test_from_pandas_rejects_non_frame():
    with pytest.raises(InvalidTypeError, match="expects a pandas DataFrame; got dict"):
        hs.Accounts.from_pandas({"account_id": ["A-1"]}, as_of=AS_OF)


def test_from_pandas_rejects_non_text_column_name():
    data = pd.DataFrame({"account_id": ["A-1"], 7: [1.0]})

    with pytest.raises(InvalidTypeError, match="column names must be strings; got 7"):
        hs.Accounts.from_pandas(data, as_of=AS_OF)


# -- ids -----------------------------------------------------------------------------------


def test_ids_whitespace_trimmed():
    book = build(ids=[" A-1", "A-2 ", "\tA-3\n"])

    assert book.ids.tolist() == ["A-1", "A-2", "A-3"]


def test_ids_integers_become_text():
    book = build(ids=[17, np.int64(18), 19.0])

    assert book.ids.tolist() == ["17", "18", "19"]


def test_ids_fractional_float_rejected():
    with pytest.raises(InvalidTypeError, match=r"strings or integers; got 1\.5 at row 1"):
        build(ids=["A-1", 1.5])


@pytest.mark.parametrize(
    "blank",
    ["", "   ", None, float("nan"), np.nan],
    ids=["empty", "spaces", "None", "float-nan", "numpy-nan"],
)
def test_ids_blank_rejected(blank):
    with pytest.raises(InvalidInputError, match=r"blank ids at row\(s\) 1$"):
        build(ids=["A-1", blank, "A-3"])


def test_ids_blank_rows_listed():
    with pytest.raises(InvalidInputError, match=r"blank ids at row\(s\) 0, 2$"):
        build(ids=["", "A-2", None])


def test_ids_duplicates_listed():
    ids = ["ACME-017", "ACME-051 ", "ACME-017", "ACME-051", "ACME-002"]

    with pytest.raises(InvalidInputError, match="duplicate account_id") as excinfo:
        build(ids=ids)

    message = error_message(excinfo)
    assert "ACME-017 (2 rows);" in message
    assert "ACME-051 (2 rows after whitespace normalization)" in message
    assert "ACME-002" not in message


def test_ids_duplicates_counted():
    with pytest.raises(InvalidInputError, match=r"B-7 \(3 rows\)"):
        build(ids=["B-7", "B-8", "B-7", "B-7"])


def test_ids_duplicate_numbers_no_whitespace_note():
    # Integer ids read by pandas arrive as floats. No whitespace was trimmed.
    data = pd.DataFrame({"account_id": [17, 17, 18], "logins_30d": [1, 2, 3]})

    with pytest.raises(InvalidInputError, match=r"17 \(2 rows") as excinfo:
        hs.Accounts.from_pandas(data, as_of=AS_OF)

    assert "whitespace normalization" not in error_message(excinfo)


def test_ids_many_duplicates_truncated():
    ids = [f"D-{i:02d}" for i in range(25)] * 2

    with pytest.raises(InvalidInputError, match="duplicate account_id") as excinfo:
        build(ids=ids)

    message = error_message(excinfo)
    assert "D-00 (2 rows)" in message
    assert "D-19 (2 rows)" in message
    assert "D-20" not in message
    assert "and 5 more" in message


# -- column lengths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "name", "length"),
    [
        ({"signals": {"logins_30d": [1, 2, 3]}}, "'logins_30d'", 3),
        ({"signals": {"logins_30d": [1]}}, "'logins_30d'", 1),
        ({"attributes": {"plan": ["a", "b", "c"]}}, "'plan'", 3),
        ({"attributes": {"arr": [100]}}, "'arr'", 1),
        ({"attributes": {"renewal_date": ["2024-09-01"] * 3}}, "'renewal_date'", 3),
        (
            {"signals": {"nps": [1, 2]}, "observed_at": {"nps": ["2024-05-01"]}},
            "\"observed_at['nps']\"",
            1,
        ),
        (
            {"signals": {"nps": [1, 2]}, "observed_at": {"nps": ["2024-05-01"] * 3}},
            "\"observed_at['nps']\"",
            3,
        ),
    ],
    ids=[
        "signal-long",
        "signal-short",
        "text-long",
        "arr-short",
        "renewal-long",
        "observed-short",
        "observed-long",
    ],
)
def test_constructor_unequal_length(columns, name, length):
    expected = f"column {name} has {length} values but there are 2 account ids"

    with pytest.raises(InvalidInputError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        build(ids=["A-1", "A-2"], **columns)


@pytest.mark.parametrize(
    "columns",
    [
        {"signals": {"logins_30d": [1, 2, "abc"]}},
        {"signals": {"logins_30d": [1, 2, math.inf]}},
        {"attributes": {"arr": [100, 200, -1]}},
        {"attributes": {"renewal_date": ["2024-09-01", None, "2024-13-01"]}},
        {"signals": {"nps": [1, 2]}, "observed_at": {"nps": ["2024-05-01", None, "2030-01-01"]}},
    ],
    ids=["signal-text", "signal-inf", "arr-negative", "renewal-invalid", "observed-future"],
)
def test_constructor_long_column_bad_extra_value(columns):
    # The extra cell has no account, so the length is the error to report.
    with pytest.raises(InvalidInputError, match="values but there are 2 account ids"):
        build(ids=["A-1", "A-2"], **columns)


def test_from_columns_unequal_length():
    columns = {"account_id": ["A-1", "A-2"], "logins_30d": [1, 2, 3]}

    with pytest.raises(InvalidInputError, match="equal length") as excinfo:
        hs.Accounts.from_columns(columns, as_of=AS_OF)

    message = error_message(excinfo)
    assert "account_id=2" in message
    assert "logins_30d=3" in message


def test_constructor_column_in_both_roles():
    with pytest.raises(InvalidInputError, match="'seats' is given both as a signal and"):
        build(ids=["A-1"], signals={"seats": [1]}, attributes={"seats": [1]})


# -- signal values -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [(math.inf, "inf"), (-math.inf, "-inf"), ("inf", "inf"), ("-Infinity", "-inf")],
    ids=["inf", "minus-inf", "inf-text", "minus-infinity-text"],
)
def test_signal_infinite_rejected(value, shown):
    with pytest.raises(InvalidInputError, match="finite numbers") as excinfo:
        build(ids=["A-1", "A-2"], signals={"logins_30d": [1, value]})

    message = error_message(excinfo)
    assert "'logins_30d'" in message
    assert f"got {shown} for A-2" in message


def test_signal_text_rejected():
    with pytest.raises(InvalidTypeError, match="must hold numbers") as excinfo:
        build(ids=["A-1", "A-2"], signals={"logins_30d": [1, "twelve"]})

    message = error_message(excinfo)
    assert "column 'logins_30d'" in message
    assert "'twelve'" in message
    assert "account 'A-2'" in message


@pytest.mark.parametrize(
    ("role", "field"),
    [("signals", "signal column name"), ("attributes", "attribute column name")],
    ids=["signal", "attribute"],
)
def test_column_name_must_be_text(role, field):
    with pytest.raises(InvalidTypeError, match=f"{field} must be a string; got int 3"):
        build(ids=["A-1"], **{role: {3: [1]}})


# -- arr -----------------------------------------------------------------------------------


def test_arr_negative_rejected():
    with pytest.raises(InvalidInputError, match="arr must be >= 0") as excinfo:
        build(ids=["G-1", "G-2"], attributes={"arr": [-1200, 500]})

    message = error_message(excinfo)
    assert "got -1200 for G-1" in message
    assert "G-2" not in message


@pytest.mark.parametrize(
    ("value", "shown"),
    [(math.inf, "inf"), (-math.inf, "-inf"), ("inf", "inf")],
    ids=["inf", "minus-inf", "inf-text"],
)
def test_arr_infinite_rejected(value, shown):
    with pytest.raises(
        InvalidInputError, match=f"arr must be >= 0 and finite.*got {shown} for G-1"
    ):
        build(ids=["G-1"], attributes={"arr": [value]})


def test_arr_many_negative_counted():
    ids = [f"G-{i}" for i in range(7)]

    with pytest.raises(InvalidInputError, match=r"\(7 accounts in all\)") as excinfo:
        build(ids=ids, attributes={"arr": [-1] * 7})

    message = error_message(excinfo)
    assert "-1 for G-4" in message
    assert "G-5" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, 0.0), ("0", 0.0), (12000, 12000.0), ("48000.50", 48000.5)],
    ids=["zero", "zero-text", "int", "decimal-text"],
)
def test_arr_accepted(value, expected):
    book = build(ids=["G-1"], attributes={"arr": [value]})

    assert book.attributes["arr"][0] == expected


@pytest.mark.parametrize("unknown", [None, "", "NA", math.nan], ids=["None", "empty", "NA", "nan"])
def test_arr_unknown_is_nan(unknown):
    book = build(ids=["G-1"], attributes={"arr": [unknown]})

    assert math.isnan(book.attributes["arr"][0])


# -- renewal_date --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-07-15",
        " 2024-07-15 ",
        "2024-07-15T13:30:00",
        dt.date(2024, 7, 15),
        dt.datetime(2024, 7, 15, 13, 30),
        np.datetime64("2024-07-15"),
        np.datetime64("2024-07-15T23:59"),
        pd.Timestamp("2024-07-15 08:00"),
    ],
    ids=[
        "iso",
        "iso-spaces",
        "iso-timestamp",
        "date",
        "datetime",
        "datetime64-day",
        "datetime64-minute",
        "pandas-timestamp",
    ],
)
def test_renewal_date_converted(value):
    book = build(ids=["A-1"], attributes={"renewal_date": [value]})

    column = book.attributes["renewal_date"]

    assert column.dtype == np.dtype("datetime64[D]")
    assert column[0] == np.datetime64("2024-07-15")


def test_renewal_date_array_converted():
    values = np.array(["2024-07-15T13:30", "NaT"], dtype="datetime64[m]")

    column = build(ids=["A-1", "A-2"], attributes={"renewal_date": values}).attributes[
        "renewal_date"
    ]

    assert column.dtype == np.dtype("datetime64[D]")
    assert column[0] == np.datetime64("2024-07-15")
    assert np.isnat(column[1])


@pytest.mark.parametrize(
    "empty",
    [None, "", "NA", math.nan, np.datetime64("NaT")],
    ids=["None", "empty", "NA", "nan", "NaT"],
)
def test_renewal_date_empty_is_nat(empty):
    book = build(ids=["A-1"], attributes={"renewal_date": [empty]})

    assert np.isnat(book.attributes["renewal_date"][0])


@pytest.mark.parametrize(
    "value",
    ["2024-13-01", "2024-02-30", "15/07/2024", "2024-7-1", "next week", "2024-07-15junk"],
    ids=["month-13", "february-30", "day-first", "no-padding", "words", "trailing-text"],
)
def test_renewal_date_invalid_rejected(value):
    with pytest.raises(InvalidInputError, match="must be an ISO date") as excinfo:
        build(ids=["A-1", "A-2"], attributes={"renewal_date": [None, value]})

    message = error_message(excinfo)
    assert "renewal_date of account 'A-2'" in message
    assert repr(value) in message


def test_renewal_date_number_rejected():
    with pytest.raises(InvalidTypeError, match="renewal_date of account 'A-1' must be a date"):
        build(ids=["A-1"], attributes={"renewal_date": [20240715]})


# -- observed_at ---------------------------------------------------------------------------


def test_observed_at_key_must_be_signal():
    with pytest.raises(InvalidInputError, match="observed_at names column 'plan'") as excinfo:
        build(
            ids=["A-1"],
            signals={"logins_30d": [1]},
            attributes={"plan": ["pro"]},
            observed_at={"plan": ["2024-05-01"]},
        )

    assert "signal columns are ['logins_30d']" in error_message(excinfo)


def test_observed_at_future_rejected():
    with pytest.raises(InvalidInputError, match="must not be after as_of 2024-06-01") as excinfo:
        build(
            ids=["G-1", "G-2"],
            signals={"logins_30d": [1, 2]},
            observed_at={"logins_30d": ["2024-06-01", "2024-06-02"]},
        )

    message = error_message(excinfo)
    assert "observed_at['logins_30d']" in message
    assert "2024-06-02 for G-2" in message
    assert "G-1" not in message


def test_observed_at_values():
    book = build(
        ids=["A-1", "A-2", "A-3"],
        signals={"logins_30d": [1, 2, 3]},
        observed_at={"logins_30d": [None, "2024-06-01", dt.date(2024, 5, 1)]},
    )

    observed = book.observed_at["logins_30d"]

    assert observed.dtype == np.dtype("datetime64[D]")
    assert np.isnat(observed[0])
    assert observed[1] == np.datetime64("2024-06-01")
    assert observed[2] == np.datetime64("2024-05-01")


# -- as_of ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2024-06-01",
        dt.date(2024, 6, 1),
        dt.datetime(2024, 6, 1, 23, 59),
        np.datetime64("2024-06-01"),
        np.datetime64("2024-06-01T12:00"),
    ],
    ids=["iso", "date", "datetime", "datetime64-day", "datetime64-minute"],
)
def test_as_of_converted(value):
    book = hs.Accounts(ids=["A-1"], as_of=value)

    assert type(book.as_of) is dt.date
    assert book.as_of == dt.date(2024, 6, 1)


@pytest.mark.parametrize(
    ("value", "error", "expected"),
    [
        (20240601, InvalidTypeError, "as_of must be a date.*got int 20240601"),
        (None, InvalidTypeError, "as_of must be a date.*got NoneType None"),
        ("2024-6-1", InvalidInputError, "as_of must be an ISO date.*'2024-6-1'"),
        ("2024-02-30", InvalidInputError, "as_of must be an ISO date.*'2024-02-30'"),
        (np.datetime64("NaT"), InvalidInputError, "as_of must be a date; got NaT"),
    ],
    ids=["int", "None", "no-padding", "february-30", "NaT"],
)
def test_as_of_invalid_rejected(value, error, expected):
    with pytest.raises(error, match=expected):
        hs.Accounts(ids=["A-1"], as_of=value)


# -- from_columns role inference -----------------------------------------------------------


@pytest.fixture
def raw_columns():
    """Text cells as a CSV reader returns them."""
    return {
        "account_id": ["A-1", "A-2", "A-3"],
        "logins_30d": ["12", "", "3"],
        "nps": ["40", "NA", "-10"],
        "plan": ["pro", "basic", "pro"],
        "plan_code": ["1", "2", "1"],
        "arr": ["12000", "48000", ""],
        "owner": ["101", "102", ""],
        "renewal_date": ["2024-09-01", "", "2025-01-31"],
        "logins_30d_observed_at": ["2024-05-31", "", "2024-06-01"],
        "plan_observed_at": ["2024-01-01", "2024-01-01", ""],
    }


def test_from_columns_roles(raw_columns):
    book = hs.Accounts.from_columns(raw_columns, as_of=AS_OF, attribute_columns=["plan_code"])

    assert set(book.signals) == {"logins_30d", "nps"}
    assert set(book.attributes) == {
        "plan",
        "plan_code",
        "arr",
        "owner",
        "renewal_date",
        "plan_observed_at",
    }
    assert set(book.observed_at) == {"logins_30d"}


def test_from_columns_values(raw_columns):
    book = hs.Accounts.from_columns(raw_columns, as_of=AS_OF, attribute_columns=["plan_code"])

    logins = book.signal("logins_30d")
    observed = book.observed_at["logins_30d"]

    assert book.ids.tolist() == ["A-1", "A-2", "A-3"]
    assert logins[0] == 12.0
    assert math.isnan(logins[1])
    # A listed attribute column stays text, so codes such as "007" keep their zeros.
    assert book.attributes["plan_code"].dtype == object
    assert book.attributes["plan_code"].tolist() == ["1", "2", "1"]
    assert book.attributes["arr"].dtype == np.float64
    assert book.attributes["owner"].tolist() == ["101", "102", None]
    assert book.attributes["renewal_date"][0] == np.datetime64("2024-09-01")
    assert observed[0] == np.datetime64("2024-05-31")
    assert np.isnat(observed[1])


def test_from_columns_iso_date_text_attribute(raw_columns):
    # from_columns documents that text cells holding ISO dates are parsed as dates.
    book = hs.Accounts.from_columns(raw_columns, as_of=AS_OF)

    plan_observed = book.attributes["plan_observed_at"]

    assert plan_observed.dtype == np.dtype("datetime64[D]")
    assert plan_observed[0] == np.datetime64("2024-01-01")
    assert np.isnat(plan_observed[2])


def test_from_columns_numeric_without_override(raw_columns):
    book = hs.Accounts.from_columns(raw_columns, as_of=AS_OF)

    assert "plan_code" in book.signals
    assert "plan_code" not in book.attributes


def test_from_columns_explicit_signals(raw_columns):
    book = hs.Accounts.from_columns(raw_columns, as_of=AS_OF, signal_columns=["nps"])

    assert set(book.signals) == {"nps"}
    assert "logins_30d" in book.attributes
    assert "logins_30d_observed_at" in book.attributes
    assert book.observed_at == {}


def test_from_columns_custom_suffix():
    columns = {
        "account_id": ["A-1"],
        "logins_30d": [4],
        "logins_30d_asof": ["2024-05-20"],
    }

    book = hs.Accounts.from_columns(columns, as_of=AS_OF, observed_at_suffix="_asof")

    assert set(book.signals) == {"logins_30d"}
    assert book.observed_at["logins_30d"][0] == np.datetime64("2024-05-20")


def test_from_columns_without_id_column():
    columns = {"logins_30d": [4, 5, 6], "plan": ["a", "b", "c"]}

    book = hs.Accounts.from_columns(columns, as_of=AS_OF, id_column=None)

    assert book.ids.tolist() == ["1", "2", "3"]
    assert book.signal("logins_30d").tolist() == [4.0, 5.0, 6.0]


def test_from_columns_other_id_column():
    columns = {"customer": ["C-1", "C-2"], "logins_30d": [4, 5]}

    book = hs.Accounts.from_columns(columns, as_of=AS_OF, id_column="customer")

    assert book.ids.tolist() == ["C-1", "C-2"]
    assert "customer" not in book.columns


def test_from_columns_missing_id_column():
    columns = {"customer": ["C-1"], "logins_30d": [4]}

    with pytest.raises(InvalidInputError, match="id column 'account_id' is not in the input") as e:
        hs.Accounts.from_columns(columns, as_of=AS_OF)

    message = error_message(e)
    assert "['customer', 'logins_30d']" in message
    assert "id_column=None" in message


@pytest.mark.parametrize(
    "option",
    [{"signal_columns": ["nps"]}, {"attribute_columns": ["nps"]}],
    ids=["signal_columns", "attribute_columns"],
)
def test_from_columns_listed_column_absent(option):
    columns = {"account_id": ["A-1"], "logins_30d": [4]}

    with pytest.raises(InvalidInputError, match="column 'nps' is not in the input") as excinfo:
        hs.Accounts.from_columns(columns, as_of=AS_OF, **option)

    assert "['account_id', 'logins_30d']" in error_message(excinfo)


# -- access --------------------------------------------------------------------------------


@pytest.fixture
def book():
    return build(
        ids=["A-1", "A-2", "A-3"],
        signals={"logins_30d": [10, 20, 30], "nps": [1, None, 3]},
        attributes={"plan": ["pro", "basic", "pro"], "arr": [100, 200, 300]},
        observed_at={"logins_30d": ["2024-05-01", "2024-05-02", "2024-05-03"]},
    )


def test_signal_unknown_lists_signals(book):
    with pytest.raises(InvalidInputError, match="unknown signal column 'seats'") as excinfo:
        book.signal("seats")

    assert "signal columns are ['logins_30d', 'nps']" in error_message(excinfo)


def test_signal_text_attribute_not_numeric(book):
    with pytest.raises(InvalidInputError, match="column 'plan' is not numeric") as excinfo:
        book.signal("plan")

    assert "'pro'" in error_message(excinfo)


def test_signal_numeric_attribute_message(book):
    # arr holds numbers, so "not numeric" would send the user to clean a clean column.
    with pytest.raises(InvalidInputError, match="'arr'") as excinfo:
        book.signal("arr")

    message = error_message(excinfo)
    assert "attribute" in message
    assert "not numeric" not in message


def test_column_returns_either_role(book):
    assert book.column("plan").tolist() == ["pro", "basic", "pro"]
    assert book.column("logins_30d").tolist() == [10.0, 20.0, 30.0]


def test_column_unknown_lists_columns(book):
    with pytest.raises(InvalidInputError, match="unknown column 'seats'") as excinfo:
        book.column("seats")

    assert "columns are ['arr', 'logins_30d', 'nps', 'plan']" in error_message(excinfo)


def test_take_subsets_in_order(book):
    part = book.take([2, 0])

    assert part.ids.tolist() == ["A-3", "A-1"]
    assert part.as_of == book.as_of
    assert part.signal("logins_30d").tolist() == [30.0, 10.0]
    assert part.signal("nps").tolist() == [3.0, 1.0]
    assert part.attributes["plan"].tolist() == ["pro", "pro"]
    assert part.attributes["arr"].tolist() == [300.0, 100.0]
    assert part.observed_at["logins_30d"].tolist() == [dt.date(2024, 5, 3), dt.date(2024, 5, 1)]


def test_take_empty(book):
    part = book.take([])

    assert part.n_accounts == 0
    assert part.signal("logins_30d").shape == (0,)


def test_take_repeated_index_rejected(book):
    with pytest.raises(InvalidInputError, match=r"A-2 \(2 rows\)"):
        book.take([1, 1])


def test_errors_share_base_class(book):
    with pytest.raises(HealthScoreError):
        book.column("seats")
