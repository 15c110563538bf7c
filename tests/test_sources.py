"""Tests of healthscore.sources: MemorySource, CSVSource, SQLSource and parse_source_uri."""

from __future__ import annotations

import datetime as dt
import decimal
import gzip
import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from healthscore import Accounts
from healthscore.exceptions import (
    DataSourceContractError,
    DataSourceError,
    InvalidInputError,
    InvalidTypeError,
)
from healthscore.sources import CSVSource, DataSource, MemorySource, SQLSource, parse_source_uri
from healthscore.testing import check_data_source, make_accounts

if TYPE_CHECKING:
    from collections.abc import Iterator

AS_OF = dt.date(2024, 6, 1)
REPO_ROOT = Path(__file__).resolve().parent.parent
IRANIAN_CSV = REPO_ROOT / "data" / "iranian-churn" / "customer_churn.csv"

SAMPLE_CSV = (
    "account_id,usage,nps,arr,renewal_date,owner,plan\n"
    "A-1,12.5,40,12000,2024-09-30,alice,gold\n"
    "A-2,,-10,,2024-12-01,,silver\n"
    "A-3,3,NA,500.5,,bob,\n"
)


def write_text(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path``, gzip-compressed when the name ends in .gz in any case."""
    data = text.encode(encoding)
    if path.name.lower().endswith(".gz"):
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def sample_csv(tmp_path: Path) -> Path:
    return write_text(tmp_path / "accounts.csv", SAMPLE_CSV)


@pytest.fixture
def connection() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE TABLE accounts (account_id TEXT, usage REAL, nps INTEGER, arr REAL, "
        "renewal_date TEXT, owner TEXT, plan TEXT)"
    )
    connection.executemany(
        "INSERT INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ("A-1", 12.5, 40, 12000.0, "2024-09-30", "alice", "gold"),
            ("A-2", None, -10, None, "2024-12-01", None, "silver"),
            ("A-3", 3.0, None, 500.5, None, "O'Brien", None),
        ],
    )
    connection.commit()
    yield connection
    connection.close()


def make_sqlite_file(path: Path) -> Path:
    connection = sqlite3.connect(path)
    try:
        connection.execute("CREATE TABLE accounts (account_id TEXT, usage REAL, owner TEXT)")
        connection.executemany(
            "INSERT INTO accounts VALUES (?, ?, ?)",
            [("A-1", 1.5, "alice"), ("A-2", None, "bob")],
        )
        connection.commit()
    finally:
        connection.close()
    return path


def assert_sample_values(accounts: Accounts) -> None:
    """Check the parsed values of SAMPLE_CSV and of the ``connection`` table."""
    assert accounts.ids.tolist() == ["A-1", "A-2", "A-3"]
    assert accounts.as_of == AS_OF
    assert sorted(accounts.signals) == ["nps", "usage"]
    np.testing.assert_array_equal(accounts.signal("usage"), [12.5, np.nan, 3.0])
    np.testing.assert_array_equal(accounts.signal("nps"), [40.0, -10.0, np.nan])
    np.testing.assert_array_equal(accounts.column("arr"), [12000.0, np.nan, 500.5])
    renewal = accounts.column("renewal_date")
    assert renewal.dtype == np.dtype("datetime64[D]")
    assert renewal[0] == np.datetime64("2024-09-30")
    assert renewal[1] == np.datetime64("2024-12-01")
    assert np.isnat(renewal[2])
    assert accounts.column("plan").tolist() == ["gold", "silver", None]


# -- DataSource protocol ----------------------------------------------------------------


def test_shipped_sources_are_data_sources(sample_csv: Path) -> None:
    connection = sqlite3.connect(":memory:")
    try:
        sources = [
            MemorySource({"account_id": ["A-1"]}),
            CSVSource(sample_csv),
            SQLSource(connection, query="SELECT 'A-1' AS account_id"),
        ]
        for source in sources:
            assert isinstance(source, DataSource)
    finally:
        connection.close()


def test_object_without_accounts_method() -> None:
    assert not isinstance(object(), DataSource)


# -- MemorySource -----------------------------------------------------------------------


def test_memory_source_passes_contract() -> None:
    source = MemorySource({"account_id": ["A-1", "A-2"], "usage": [1.0, None], "owner": ["x", ""]})
    check_data_source(source, AS_OF)


def test_memory_source_parses_text_cells() -> None:
    lines = SAMPLE_CSV.splitlines()
    header = lines[0].split(",")
    rows = [line.split(",") for line in lines[1:]]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    accounts = MemorySource(columns).accounts(AS_OF)
    assert_sample_values(accounts)
    assert accounts.column("owner").tolist() == ["alice", None, "bob"]


def test_memory_source_stamps_requested_date() -> None:
    source = MemorySource({"account_id": ["A-1"], "usage": [1]})
    assert source.accounts(dt.date(2023, 1, 31)).as_of == dt.date(2023, 1, 31)
    assert source.accounts(AS_OF).as_of == AS_OF


def test_memory_source_copies_columns() -> None:
    ids = ["A-1", "A-2"]
    usage = np.array([1.0, 2.0])
    source = MemorySource({"account_id": ids, "usage": usage})
    ids.append("A-3")
    ids[0] = "changed"
    usage[0] = 99.0
    accounts = source.accounts(AS_OF)
    assert accounts.ids.tolist() == ["A-1", "A-2"]
    np.testing.assert_array_equal(accounts.signal("usage"), [1.0, 2.0])


def test_memory_source_without_id_column() -> None:
    source = MemorySource({"usage": [5, 6, 7]}, id_column=None)
    assert source.accounts(AS_OF).ids.tolist() == ["1", "2", "3"]


def test_memory_source_column_roles() -> None:
    source = MemorySource(
        {"account_id": ["A-1", "A-2"], "usage": [1, 2], "plan_code": [3, 4], "nps": [5, 6]},
        signal_columns=["usage"],
        attribute_columns=["plan_code"],
    )
    accounts = source.accounts(AS_OF)
    assert list(accounts.signals) == ["usage"]
    assert sorted(accounts.attributes) == ["nps", "plan_code"]


def test_memory_source_rejects_bad_columns() -> None:
    with pytest.raises(InvalidTypeError, match="mapping"):
        MemorySource([("account_id", ["A-1"])])  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="'owner' must be a sequence"):
        MemorySource({"account_id": ["A-1"], "owner": "alice"})
    with pytest.raises(InvalidInputError, match="one-dimensional"):
        MemorySource({"account_id": np.zeros((2, 2))})
    with pytest.raises(InvalidTypeError, match="signal_columns must be a list"):
        MemorySource({"account_id": ["A-1"]}, signal_columns="usage")


def test_memory_source_rejects_string_as_of() -> None:
    source = MemorySource({"account_id": ["A-1"]})
    with pytest.raises(InvalidTypeError, match="fromisoformat"):
        source.accounts("2024-06-01")  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match=r"as_of\.date\(\)"):
        source.accounts(dt.datetime(2024, 6, 1, 12, 0))


def test_memory_source_validation_error_propagates() -> None:
    source = MemorySource({"account_id": ["A-1", "A-1"]})
    with pytest.raises(InvalidInputError, match="duplicate account_id"):
        source.accounts(AS_OF)


# -- CSVSource --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["accounts.csv", "accounts.csv.gz"])
def test_csv_source_passes_contract(tmp_path: Path, name: str) -> None:
    path = write_text(tmp_path / name, SAMPLE_CSV)
    check_data_source(CSVSource(path), AS_OF)


@pytest.mark.parametrize("name", ["accounts.csv", "accounts.csv.gz", "ACCOUNTS.CSV.GZ"])
def test_csv_source_parses_values(tmp_path: Path, name: str) -> None:
    path = write_text(tmp_path / name, SAMPLE_CSV)
    accounts = CSVSource(path).accounts(AS_OF)
    assert_sample_values(accounts)
    assert accounts.column("owner").tolist() == ["alice", None, "bob"]


def test_csv_source_reads_bundled_iranian_file() -> None:
    source = CSVSource(IRANIAN_CSV, id_column=None, attribute_columns=["Tariff Plan", "Status"])
    check_data_source(source, AS_OF)
    accounts = source.accounts(AS_OF)
    assert accounts.n_accounts == 3150
    assert accounts.ids[0] == "1"
    assert accounts.ids[-1] == "3150"
    # The published header has two spaces in these names, and they must survive.
    for name in ("Call  Failure", "Subscription  Length", "Charge  Amount"):
        assert name in accounts.signals
    assert "Call Failure" not in accounts.columns
    # First data row: 8,0,38,0,4370,71,5,17,3,1,1,30,197.64,0
    assert accounts.signal("Call  Failure")[0] == 8.0
    assert accounts.signal("Seconds of Use")[0] == 4370.0
    assert accounts.signal("Customer Value")[0] == 197.64
    assert accounts.signal("Churn")[0] == 0.0
    # Listed attribute columns stay text, so a rule compares them as codes.
    assert accounts.column("Tariff Plan").tolist()[0] == "1"
    assert "Tariff Plan" in accounts.attributes
    assert int(np.nansum(accounts.signal("Churn"))) == 495


def test_csv_source_keeps_column_names_exactly(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,Call  Failure, padded \nA-1,3,4\n")
    accounts = CSVSource(path).accounts(AS_OF)
    assert list(accounts.signals) == ["Call  Failure", " padded "]


def test_csv_source_ragged_row_names_line(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,usage,nps\nA-1,1,2\nA-2,3\nA-3,4,5\n")
    with pytest.raises(DataSourceError, match=r"line 3 has 2 cells but the header has 3 columns"):
        CSVSource(path).accounts(AS_OF)


def test_csv_source_ragged_row_after_multiline_cell(tmp_path: Path) -> None:
    text = 'account_id,note\nA-1,"two\nlines"\nA-2,x,extra\n'
    path = write_text(tmp_path / "a.csv", text)
    with pytest.raises(DataSourceError, match=r"line 4 has 3 cells"):
        CSVSource(path).accounts(AS_OF)


def test_csv_source_multiline_cell_kept(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", 'account_id,note\nA-1,"two\nlines"\n')
    assert CSVSource(path).accounts(AS_OF).column("note").tolist() == ["two\nlines"]


def test_csv_source_duplicate_header(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,usage,usage\nA-1,1,2\n")
    with pytest.raises(DataSourceError, match=r"duplicate column names.*'usage' \(2 times\)"):
        CSVSource(path).accounts(AS_OF)


def test_csv_source_empty_header_name(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,,usage\nA-1,x,2\n")
    with pytest.raises(DataSourceError, match=r"empty column names.*column\(s\) 2"):
        CSVSource(path).accounts(AS_OF)


@pytest.mark.parametrize("header", ["account_id,usage", '"account_id","usage"'])
def test_csv_source_strips_bom(tmp_path: Path, header: str) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{header}\nA-1,1\n".encode())
    accounts = CSVSource(path).accounts(AS_OF)
    assert accounts.ids.tolist() == ["A-1"]
    assert list(accounts.signals) == ["usage"]


def test_csv_source_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.csv"
    with pytest.raises(DataSourceError, match=r"CSV file not found: .*missing\.csv"):
        CSVSource(path).accounts(AS_OF)


def test_csv_source_ignores_trailing_blank_lines(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,usage\r\nA-1,1\r\nA-2,2\r\n\r\n  \n\n")
    accounts = CSVSource(path).accounts(AS_OF)
    assert accounts.ids.tolist() == ["A-1", "A-2"]


def test_csv_source_inner_blank_line(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,usage\nA-1,1\n\nA-2,2\n")
    with pytest.raises(DataSourceError, match=r"line 3 is blank"):
        CSVSource(path).accounts(AS_OF)


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
def test_csv_source_requires_header(tmp_path: Path, text: str) -> None:
    path = write_text(tmp_path / "a.csv", text)
    with pytest.raises(DataSourceError, match="no header row"):
        CSVSource(path).accounts(AS_OF)


def test_csv_source_header_only(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,usage\n")
    accounts = CSVSource(path).accounts(AS_OF)
    assert accounts.n_accounts == 0
    assert "usage" in accounts.columns


def test_csv_source_rereads_file(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,usage\nA-1,1\n")
    source = CSVSource(path)
    assert source.accounts(AS_OF).ids.tolist() == ["A-1"]
    write_text(path, "account_id,usage\nA-1,1\nA-2,5\n")
    accounts = source.accounts(AS_OF)
    assert accounts.ids.tolist() == ["A-1", "A-2"]
    np.testing.assert_array_equal(accounts.signal("usage"), [1.0, 5.0])


def test_csv_source_corrupt_gzip(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.gz"
    path.write_bytes(b"account_id,usage\nA-1,1\n")
    with pytest.raises(DataSourceError, match=r"cannot read CSV file .*a\.csv\.gz"):
        CSVSource(path).accounts(AS_OF)


def test_csv_source_truncated_gzip(tmp_path: Path) -> None:
    path = tmp_path / "a.csv.gz"
    path.write_bytes(gzip.compress(SAMPLE_CSV.encode())[:-12])
    with pytest.raises(DataSourceError, match="cannot read CSV file"):
        CSVSource(path).accounts(AS_OF)


def test_csv_source_invalid_encoding_bytes(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,owner\nA-1,Jos\u00e9\n", encoding="latin-1")
    with pytest.raises(DataSourceError, match=r"not valid utf-8 text.*encoding="):
        CSVSource(path).accounts(AS_OF)
    accounts = CSVSource(path, encoding="latin-1").accounts(AS_OF)
    assert accounts.column("owner").tolist() == ["Jos\u00e9"]


def test_csv_source_delimiter(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.tsv", "account_id\tusage\tnote\nA-1\t1.5\ta,b\n")
    accounts = CSVSource(path, delimiter="\t").accounts(AS_OF)
    np.testing.assert_array_equal(accounts.signal("usage"), [1.5])
    assert accounts.column("note").tolist() == ["a,b"]


def test_csv_source_rejects_bad_options(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    with pytest.raises(InvalidInputError, match="delimiter"):
        CSVSource(path, delimiter=";;")
    with pytest.raises(InvalidInputError, match="unknown text encoding"):
        CSVSource(path, encoding="no-such-codec")
    with pytest.raises(InvalidTypeError, match="path"):
        CSVSource(42)  # type: ignore[arg-type]


def test_csv_source_validation_error_is_not_wrapped(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "account_id,arr\nA-1,100\nA-2,-5\n")
    with pytest.raises(InvalidInputError, match="arr must be >= 0") as caught:
        CSVSource(path).accounts(AS_OF)
    assert not isinstance(caught.value, DataSourceError)
    assert not str(caught.value).startswith("CSV")


def test_csv_source_missing_id_column(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "id,usage\nA-1,1\n")
    with pytest.raises(InvalidInputError, match="id column 'account_id' is not in the input"):
        CSVSource(path).accounts(AS_OF)
    assert CSVSource(path, id_column="id").accounts(AS_OF).ids.tolist() == ["A-1"]


def test_csv_source_without_id_column(tmp_path: Path) -> None:
    path = write_text(tmp_path / "a.csv", "usage\n1\n2\n3\n")
    assert CSVSource(path, id_column=None).accounts(AS_OF).ids.tolist() == ["1", "2", "3"]


def test_csv_source_observed_at_column(tmp_path: Path) -> None:
    text = "account_id,usage,usage_observed_at\nA-1,1,2024-05-30\nA-2,2,\n"
    accounts = CSVSource(write_text(tmp_path / "a.csv", text)).accounts(AS_OF)
    observed = accounts.observed_at["usage"]
    assert observed[0] == np.datetime64("2024-05-30")
    assert np.isnat(observed[1])


def test_csv_source_logs_read(sample_csv: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="healthscore"):
        CSVSource(sample_csv).accounts(AS_OF)
    messages = [record.getMessage() for record in caplog.records if record.name == "healthscore"]
    assert messages == [f"read CSV file {sample_csv}: 3 rows, 7 columns"]


def test_csv_source_repr(sample_csv: Path) -> None:
    text = repr(CSVSource(sample_csv, id_column=None, delimiter=";"))
    assert text == f"CSVSource({str(sample_csv)!r}, id_column=None, delimiter=';')"


# -- SQLSource --------------------------------------------------------------------------


def test_sql_source_table_passes_contract(connection: sqlite3.Connection) -> None:
    check_data_source(SQLSource(connection, table="accounts"), AS_OF)


def test_sql_source_query_passes_contract(connection: sqlite3.Connection) -> None:
    source = SQLSource(
        connection, query="SELECT * FROM accounts WHERE usage > ? OR usage IS NULL", parameters=[2]
    )
    check_data_source(source, AS_OF)
    assert source.accounts(AS_OF).ids.tolist() == ["A-1", "A-2", "A-3"]


def test_sql_source_parses_values(connection: sqlite3.Connection) -> None:
    accounts = SQLSource(connection, table="accounts").accounts(AS_OF)
    assert_sample_values(accounts)
    assert accounts.column("owner").tolist() == ["alice", None, "O'Brien"]


def test_sql_source_schema_qualified_table(connection: sqlite3.Connection) -> None:
    accounts = SQLSource(connection, table="main.accounts").accounts(AS_OF)
    assert accounts.n_accounts == 3


@pytest.mark.parametrize(
    "table",
    [
        "accounts; DROP TABLE accounts",
        'accounts" ; DROP TABLE accounts; --',
        "accounts\n",
        "a.b.c",
        "",
        "ac counts",
        "accounts--",
        "\u00e9t\u00e9",
    ],
)
def test_sql_source_rejects_invalid_table_name(connection: sqlite3.Connection, table: str) -> None:
    with pytest.raises(InvalidInputError, match="invalid table name"):
        SQLSource(connection, table=table)
    tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == [("accounts",)]


def test_sql_source_parameter_with_quotes(connection: sqlite3.Connection) -> None:
    source = SQLSource(
        connection, query="SELECT * FROM accounts WHERE owner = ?", parameters=("O'Brien",)
    )
    assert source.accounts(AS_OF).ids.tolist() == ["A-3"]
    injection = SQLSource(
        connection,
        query="SELECT * FROM accounts WHERE owner = ?",
        parameters=["x' OR '1'='1"],
    )
    assert injection.accounts(AS_OF).n_accounts == 0


def test_sql_source_named_parameters(connection: sqlite3.Connection) -> None:
    source = SQLSource(
        connection,
        query="SELECT * FROM accounts WHERE plan = :plan",
        parameters={"plan": "gold"},
    )
    assert source.accounts(AS_OF).ids.tolist() == ["A-1"]


def test_sql_source_as_of_positional(connection: sqlite3.Connection) -> None:
    source = SQLSource(
        connection,
        query="SELECT * FROM accounts WHERE owner IS NOT ? AND renewal_date > ?",
        parameters=["bob"],
        as_of_parameter=True,
    )
    assert source.accounts(dt.date(2024, 10, 1)).ids.tolist() == ["A-2"]
    assert source.accounts(dt.date(2024, 1, 1)).ids.tolist() == ["A-1", "A-2"]


def test_sql_source_as_of_named(connection: sqlite3.Connection) -> None:
    source = SQLSource(
        connection,
        query="SELECT * FROM accounts WHERE renewal_date > :as_of",
        parameters={},
        as_of_parameter=True,
    )
    accounts = source.accounts(dt.date(2024, 10, 1))
    assert accounts.ids.tolist() == ["A-2"]
    assert accounts.as_of == dt.date(2024, 10, 1)


def test_sql_source_as_of_name_clash(connection: sqlite3.Connection) -> None:
    with pytest.raises(InvalidInputError, match="already contains 'as_of'"):
        SQLSource(
            connection,
            query="SELECT * FROM accounts WHERE renewal_date > :as_of",
            parameters={"as_of": "2024-01-01"},
            as_of_parameter=True,
        )


def test_sql_source_syntax_error(connection: sqlite3.Connection) -> None:
    source = SQLSource(connection, query="SELEC * FROM accounts")
    with pytest.raises(DataSourceError, match=r"cannot read SQL query 'SELEC \* FROM accounts'"):
        source.accounts(AS_OF)
    with pytest.raises(DataSourceError) as caught:
        source.accounts(AS_OF)
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)


def test_sql_source_missing_table(connection: sqlite3.Connection) -> None:
    source = SQLSource(connection, table="no_such_table")
    with pytest.raises(DataSourceError, match=r"table 'no_such_table'.*no such table"):
        source.accounts(AS_OF)


def test_sql_source_closed_connection() -> None:
    connection = sqlite3.connect(":memory:")
    source = SQLSource(connection, query="SELECT 'A-1' AS account_id")
    connection.close()
    with pytest.raises(DataSourceError, match="ProgrammingError"):
        source.accounts(AS_OF)


def test_sql_source_statement_without_result_set(connection: sqlite3.Connection) -> None:
    source = SQLSource(connection, query="UPDATE accounts SET usage = usage WHERE 0")
    with pytest.raises(DataSourceError, match="no result set"):
        source.accounts(AS_OF)


def test_sql_source_duplicate_result_columns(connection: sqlite3.Connection) -> None:
    source = SQLSource(
        connection,
        query="SELECT a.account_id, a.usage, b.usage FROM accounts a JOIN accounts b "
        "ON a.account_id = b.account_id",
    )
    with pytest.raises(DataSourceError, match=r"duplicate column names: 'usage' \(2 times\)"):
        source.accounts(AS_OF)


def test_sql_source_empty_result(connection: sqlite3.Connection) -> None:
    source = SQLSource(connection, query="SELECT * FROM accounts WHERE 0")
    accounts = source.accounts(AS_OF)
    assert accounts.n_accounts == 0
    assert "usage" in accounts.columns


def test_sql_source_fetches_in_batches() -> None:
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute("CREATE TABLE accounts (account_id TEXT, usage REAL)")
        connection.executemany(
            "INSERT INTO accounts VALUES (?, ?)",
            ((f"A-{i}", float(i)) for i in range(25_001)),
        )
        accounts = SQLSource(connection, table="accounts").accounts(AS_OF)
    finally:
        connection.close()
    assert accounts.n_accounts == 25_001
    assert accounts.ids[-1] == "A-25000"
    assert accounts.signal("usage")[-1] == 25_000.0


def test_sql_source_converts_decimals() -> None:
    # A declared type that no other test uses, so the global converter affects nothing else.
    sqlite3.register_converter("HSTESTDECIMAL", lambda raw: decimal.Decimal(raw.decode()))
    connection = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
    try:
        connection.execute("CREATE TABLE accounts (account_id TEXT, arr HSTESTDECIMAL)")
        connection.execute("INSERT INTO accounts VALUES ('A-1', NULL), ('A-2', '1234.50')")
        cell = connection.execute("SELECT arr FROM accounts WHERE arr IS NOT NULL").fetchone()[0]
        assert isinstance(cell, decimal.Decimal)
        accounts = SQLSource(connection, table="accounts").accounts(AS_OF)
    finally:
        connection.close()
    np.testing.assert_array_equal(accounts.column("arr"), [np.nan, 1234.5])


def test_sql_source_without_id_column(connection: sqlite3.Connection) -> None:
    source = SQLSource(connection, query="SELECT usage, nps FROM accounts", id_column=None)
    assert source.accounts(AS_OF).ids.tolist() == ["1", "2", "3"]


def test_sql_source_logs_read(
    connection: sqlite3.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="healthscore"):
        SQLSource(connection, table="accounts").accounts(AS_OF)
    messages = [record.getMessage() for record in caplog.records if record.name == "healthscore"]
    assert messages == ["read SQL table 'accounts': 3 rows, 7 columns"]


def test_sql_source_rejects_bad_arguments(connection: sqlite3.Connection) -> None:
    with pytest.raises(InvalidInputError, match="exactly one of table"):
        SQLSource(connection)
    with pytest.raises(InvalidInputError, match="exactly one of table"):
        SQLSource(connection, table="accounts", query="SELECT 1")
    with pytest.raises(InvalidInputError, match="apply to query only"):
        SQLSource(connection, table="accounts", parameters=[1])
    with pytest.raises(InvalidInputError, match="apply to query only"):
        SQLSource(connection, table="accounts", as_of_parameter=True)
    with pytest.raises(InvalidInputError, match="non-blank SQL string"):
        SQLSource(connection, query="  ")
    with pytest.raises(InvalidTypeError, match="parameters must be a tuple"):
        SQLSource(connection, query="SELECT ?", parameters="x")
    with pytest.raises(InvalidTypeError, match="cursor"):
        SQLSource(object(), table="accounts")  # type: ignore[arg-type]
    with pytest.raises(InvalidTypeError, match="table must be a string"):
        SQLSource(connection, table=1)  # type: ignore[arg-type]


def test_sql_source_repr(connection: sqlite3.Connection) -> None:
    source = SQLSource(connection, table="accounts", attribute_columns=["nps"])
    assert repr(source) == (
        "SQLSource(table='accounts', id_column='account_id', attribute_columns=['nps'])"
    )


# -- parse_source_uri -------------------------------------------------------------------


def test_uri_sqlite_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_sqlite_file(tmp_path / "crm.db")
    monkeypatch.chdir(tmp_path)
    source = parse_source_uri("sqlite:///crm.db?table=accounts")
    assert isinstance(source, SQLSource)
    check_data_source(source, AS_OF)
    assert source.accounts(AS_OF).ids.tolist() == ["A-1", "A-2"]


def test_uri_sqlite_absolute_path(tmp_path: Path) -> None:
    path = make_sqlite_file(tmp_path / "crm.db")
    assert path.is_absolute()
    source = parse_source_uri(f"sqlite:///{path}?table=accounts")
    check_data_source(source, AS_OF)
    accounts = source.accounts(AS_OF)
    np.testing.assert_array_equal(accounts.signal("usage"), [1.5, np.nan])
    assert accounts.column("owner").tolist() == ["alice", "bob"]
    assert repr(source) == (
        f"SQLSource(database={str(path)!r}, table='accounts', id_column='account_id')"
    )


def test_uri_sqlite_sees_changes(tmp_path: Path) -> None:
    path = make_sqlite_file(tmp_path / "crm.db")
    source = parse_source_uri(f"sqlite:///{path}?table=accounts")
    assert source.accounts(AS_OF).n_accounts == 2
    connection = sqlite3.connect(path)
    try:
        connection.execute("INSERT INTO accounts VALUES ('A-3', 2.0, 'carol')")
        connection.commit()
    finally:
        connection.close()
    assert source.accounts(AS_OF).ids.tolist() == ["A-1", "A-2", "A-3"]


def test_uri_sqlite_passes_column_options(tmp_path: Path) -> None:
    path = make_sqlite_file(tmp_path / "crm.db")
    source = parse_source_uri(
        f"sqlite:///{path}?table=accounts", id_column=None, attribute_columns=["usage"]
    )
    accounts = source.accounts(AS_OF)
    assert accounts.ids.tolist() == ["1", "2"]
    assert "usage" in accounts.attributes
    assert "account_id" in accounts.attributes


def test_uri_sqlite_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"SQLite database file not found: .*nope\.db"):
        parse_source_uri(f"sqlite:///{tmp_path}/nope.db?table=accounts")


def test_uri_sqlite_file_deleted_after_parse(tmp_path: Path) -> None:
    path = make_sqlite_file(tmp_path / "crm.db")
    source = parse_source_uri(f"sqlite:///{path}?table=accounts")
    path.unlink()
    with pytest.raises(DataSourceError, match="cannot open SQLite database"):
        source.accounts(AS_OF)


def test_uri_sqlite_not_a_database(tmp_path: Path) -> None:
    path = write_text(tmp_path / "crm.db", "this is not a database file, just text\n" * 100)
    source = parse_source_uri(f"sqlite:///{path}?table=accounts")
    with pytest.raises(DataSourceError, match="table 'accounts'"):
        source.accounts(AS_OF)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("sqlite:///crm.db", "must name one table"),
        ("sqlite:///crm.db?table=", "must name one table"),
        ("sqlite:///crm.db?table=a&table=b", "must name one table"),
        ("sqlite:///crm.db?tabel=accounts", r"unknown parameter\(s\) \['tabel'\]"),
        ("sqlite:///?table=accounts", "has no file path"),
        ("sqlite://crm.db?table=accounts", "invalid SQLite URI"),
        ("postgresql://db.example/crm", "unsupported data source"),
        ("accounts.parquet", "unsupported data source"),
        ("accounts.csv.bz2", "unsupported data source"),
    ],
)
def test_uri_rejects_invalid_forms(uri: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_source_uri(uri)


def test_uri_error_lists_accepted_forms() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_source_uri("accounts.json")
    text = str(caught.value)
    assert "sqlite:///PATH.db?table=NAME" in text
    assert "sqlite:////abs/PATH.db" in text
    assert ".csv or .csv.gz" in text


def test_uri_sqlite_rejects_injected_table(tmp_path: Path) -> None:
    path = make_sqlite_file(tmp_path / "crm.db")
    with pytest.raises(InvalidInputError, match="invalid table name"):
        parse_source_uri(f"sqlite:///{path}?table=accounts;DROP TABLE accounts")


@pytest.mark.parametrize("name", ["accounts.csv", "accounts.csv.gz"])
def test_uri_csv_paths(tmp_path: Path, name: str) -> None:
    path = write_text(tmp_path / name, SAMPLE_CSV)
    source = parse_source_uri(str(path))
    assert isinstance(source, CSVSource)
    check_data_source(source, AS_OF)
    assert_sample_values(source.accounts(AS_OF))


def test_uri_csv_passes_column_options(sample_csv: Path) -> None:
    source = parse_source_uri(str(sample_csv), signal_columns=["usage"], attribute_columns=[])
    accounts = source.accounts(AS_OF)
    assert list(accounts.signals) == ["usage"]
    assert "nps" in accounts.attributes


def test_uri_csv_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataSourceError, match=r"CSV file not found: .*gone\.csv"):
        parse_source_uri(str(tmp_path / "gone.csv"))


def test_uri_rejects_non_string() -> None:
    with pytest.raises(InvalidTypeError, match="uri must be a string"):
        parse_source_uri(Path("accounts.csv"))  # type: ignore[arg-type]


# -- broken adapters --------------------------------------------------------------------


class WrongDateSource:
    """Returns its snapshot stamped with a fixed date, whatever the request."""

    def accounts(self, as_of: dt.date) -> Accounts:
        if not isinstance(as_of, dt.date):
            raise TypeError(as_of)
        return make_accounts(3, as_of="2024-05-01")


class RandomValuesSource:
    """Returns new random signal values at each call."""

    def __init__(self) -> None:
        self._seed = 0

    def accounts(self, as_of: dt.date) -> Accounts:
        if not isinstance(as_of, dt.date):
            raise TypeError(as_of)
        self._seed += 1
        return make_accounts(3, as_of=as_of, seed=self._seed)


class KeyErrorSource:
    """Lets a KeyError from its lookup escape instead of wrapping it."""

    def accounts(self, as_of: dt.date) -> Accounts:
        if not isinstance(as_of, dt.date):
            raise TypeError(as_of)
        raise KeyError("accounts")


def test_contract_catches_wrong_as_of() -> None:
    with pytest.raises(DataSourceContractError, match="as_of 2024-05-01") as caught:
        check_data_source(WrongDateSource(), AS_OF)
    assert len(caught.value.failures) == 1


def test_contract_catches_changing_values() -> None:
    with pytest.raises(
        DataSourceContractError,
        match=r"second accounts\(\) call returned different values in signal column 'usage'",
    ):
        check_data_source(RandomValuesSource(), AS_OF)


def test_contract_catches_foreign_exception() -> None:
    with pytest.raises(
        DataSourceContractError, match=r"raised KeyError.*not a HealthScoreError"
    ) as caught:
        check_data_source(KeyErrorSource(), AS_OF)
    assert len(caught.value.failures) == 1


def test_contract_error_is_assertion_error() -> None:
    with pytest.raises(AssertionError):
        check_data_source(KeyErrorSource(), AS_OF)
