"""The healthscore command, end to end on the bundled data and on small files."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import healthscore as hs
from healthscore.cli import main

ROOT = Path(__file__).resolve().parent.parent
IRANIAN = ROOT / "data" / "iranian-churn" / "customer_churn.csv"
IRANIAN_MODEL = ROOT / "examples" / "models" / "iranian-churn.json"
CRM6_MODEL = ROOT / "examples" / "models" / "crm6.json"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def small_model(tmp_path: Path) -> Path:
    model = hs.SegmentModel(
        name="small",
        rule="arr < 15000",
        signals=[
            hs.Signal(name="usage", normaliser=hs.LinearRange(low=0, high=100)),
            hs.Signal(name="nps", normaliser=hs.LinearRange(low=-100, high=100)),
        ],
        weights={"usage": 3, "nps": 1},
        version="small-1",
    )
    default = hs.SegmentModel(
        name="large",
        signals=[hs.Signal(name="usage", normaliser=hs.LinearRange(low=0, high=200))],
        weights={"usage": 1},
        version="large-1",
    )
    path = tmp_path / "model.json"
    hs.save_model(hs.Scorer(segments=[model], default=default), path)
    return path


@pytest.fixture
def small_book(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(
        "account_id,arr,usage,nps,churned\n"
        "A-1,12000,80,20,0\n"
        '=HYPERLINK("x"),9000,40,,1\n'
        "A-3,50000,100,,0\n"
        "A-4,10000,,,1\n",
        encoding="utf-8",
    )
    return path


class TestScoreSmallBook:
    def test_writes_hand_computed_scores(
        self, small_model: Path, small_book: Path, tmp_path: Path
    ) -> None:
        out = tmp_path / "scores.csv"
        status = main(
            [
                "score",
                "--model",
                str(small_model),
                "--accounts",
                str(small_book),
                "--as-of",
                "2024-06-01",
                "--out",
                str(out),
            ]
        )
        assert status == 0
        rows = read_rows(out)
        # (3 * 80 + 1 * 60) / 4 = 75
        assert rows[0]["score"] == "75.0"
        assert rows[0]["band"] == "green"
        assert rows[0]["contribution.usage"] == "60.0"
        assert rows[0]["contribution.nps"] == "15.0"
        # Row 2: nps missing, so usage alone: 40 with coverage 0.75.
        assert rows[1]["score"] == "40.0"
        assert rows[1]["coverage"] == "0.75"
        assert rows[1]["contribution.nps"] == ""
        # A-3 is in the default segment: 100 / 200.
        assert rows[2]["segment"] == "large"
        assert rows[2]["score"] == "50.0"
        assert rows[2]["model_version"] == "large-1"
        # A-4 has no data: withheld, never 0.
        assert rows[3]["score"] == ""
        assert rows[3]["band"] == ""
        assert rows[3]["status"] == "no_data"

    def test_escapes_formula_ids(
        self, small_model: Path, small_book: Path, tmp_path: Path
    ) -> None:
        out = tmp_path / "scores.csv"
        main(
            [
                "score",
                "--model",
                str(small_model),
                "--accounts",
                str(small_book),
                "--as-of",
                "2024-06-01",
                "--out",
                str(out),
            ]
        )
        assert read_rows(out)[1]["account_id"] == '\'=HYPERLINK("x")'

    def test_header_columns(self, small_model: Path, small_book: Path, tmp_path: Path) -> None:
        out = tmp_path / "scores.csv"
        main(
            [
                "score",
                "--model",
                str(small_model),
                "--accounts",
                str(small_book),
                "--as-of",
                "2024-06-01",
                "--out",
                str(out),
            ]
        )
        header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
        assert header == [
            "account_id",
            "segment",
            "score",
            "band",
            "coverage",
            "model_version",
            "contribution.usage",
            "contribution.nps",
            "status",
        ]

    def test_summary_and_churn_on_stderr(
        self, small_model: Path, small_book: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        main(
            [
                "score",
                "--model",
                str(small_model),
                "--accounts",
                str(small_book),
                "--as-of",
                "2024-06-01",
                "--outcome-column",
                "churned",
            ]
        )
        captured = capsys.readouterr()
        assert captured.out.startswith("account_id,segment,score")
        lines = captured.err.splitlines()
        assert lines[1].split() == ["segment", "red", "yellow", "green", "no_data", "total"]
        assert lines[2].split() == ["small", "1", "0", "1", "1", "3"]
        assert lines[3].split() == ["large", "0", "1", "0", "0", "1"]
        assert "all red 1 1 100.0%" in " ".join(captured.err.split())

    def test_sqlite_source(self, small_model: Path, tmp_path: Path) -> None:
        database = tmp_path / "book.db"
        with sqlite3.connect(database) as connection:
            connection.execute(
                "CREATE TABLE accounts (account_id TEXT, arr REAL, usage REAL, nps REAL)"
            )
            connection.execute("INSERT INTO accounts VALUES ('S-1', 1000, 50, 100)")
        connection.close()
        out = tmp_path / "scores.csv"
        status = main(
            [
                "score",
                "--model",
                str(small_model),
                "--accounts",
                f"sqlite:///{database}?table=accounts",
                "--as-of",
                "2024-06-01",
                "--out",
                str(out),
            ]
        )
        assert status == 0
        # Weighted mean of the sub-scores 50 (usage, weight 3) and 100 (nps, weight 1).
        assert read_rows(out)[0]["score"] == "62.5"


class TestErrors:
    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "healthscore.cli", *args],
            capture_output=True,
            text=True,
            check=False,
        )

    def test_missing_model_file(self, small_book: Path, tmp_path: Path) -> None:
        result = self.run(
            "score",
            "--model",
            str(tmp_path / "nope.json"),
            "--accounts",
            str(small_book),
            "--as-of",
            "2024-06-01",
        )
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith("healthscore: error:")
        assert "nope.json" in result.stderr

    def test_tampered_model_file(
        self, small_model: Path, small_book: Path, tmp_path: Path
    ) -> None:
        document = json.loads(small_model.read_text(encoding="utf-8"))
        document["model"]["segments"][0]["weights"]["usage"] = 30
        tampered = tmp_path / "tampered.json"
        tampered.write_text(json.dumps(document), encoding="utf-8")
        result = self.run(
            "score",
            "--model",
            str(tampered),
            "--accounts",
            str(small_book),
            "--as-of",
            "2024-06-01",
        )
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1
        assert "checksum" in result.stderr

    def test_duplicate_ids(self, small_model: Path, tmp_path: Path) -> None:
        book = tmp_path / "dup.csv"
        book.write_text("account_id,arr,usage,nps\nA,1,1,1\nA ,1,1,1\n", encoding="utf-8")
        result = self.run(
            "score", "--model", str(small_model), "--accounts", str(book), "--as-of", "2024-06-01"
        )
        assert result.returncode == 1
        assert "duplicate account_id: A (2 rows after whitespace normalization)" in result.stderr

    def test_negative_arr(self, small_model: Path, tmp_path: Path) -> None:
        book = tmp_path / "neg.csv"
        book.write_text("account_id,arr,usage,nps\nG-1,-1200,1,1\n", encoding="utf-8")
        result = self.run(
            "score", "--model", str(small_model), "--accounts", str(book), "--as-of", "2024-06-01"
        )
        assert result.returncode == 1
        assert "arr must be >= 0" in result.stderr
        assert "-1200 for G-1" in result.stderr

    def test_missing_signal_column(self, small_model: Path, tmp_path: Path) -> None:
        book = tmp_path / "cols.csv"
        book.write_text("account_id,arr,usage\nA,1,1\n", encoding="utf-8")
        result = self.run(
            "score", "--model", str(small_model), "--accounts", str(book), "--as-of", "2024-06-01"
        )
        assert result.returncode == 1
        assert "unknown signal column 'nps'" in result.stderr

    def test_bad_date(self, small_model: Path, small_book: Path) -> None:
        result = self.run(
            "score",
            "--model",
            str(small_model),
            "--accounts",
            str(small_book),
            "--as-of",
            "06/01/2024",
        )
        assert result.returncode == 2
        assert "--as-of" in result.stderr

    def test_unknown_source_form(self, small_model: Path) -> None:
        result = self.run(
            "score",
            "--model",
            str(small_model),
            "--accounts",
            "postgres://host/db",
            "--as-of",
            "2024-06-01",
        )
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1

    def test_outcome_column_not_binary(self, small_model: Path, small_book: Path) -> None:
        result = self.run(
            "score",
            "--model",
            str(small_model),
            "--accounts",
            str(small_book),
            "--as-of",
            "2024-06-01",
            "--outcome-column",
            "usage",
        )
        assert result.returncode == 1
        assert "must hold 0 or 1" in result.stderr


class TestBundledData:
    def test_iranian_main_job(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        out = tmp_path / "iranian.csv"
        status = main(
            [
                "score",
                "--model",
                str(IRANIAN_MODEL),
                "--accounts",
                str(IRANIAN),
                "--as-of",
                "2020-01-01",
                "--out",
                str(out),
                "--outcome-column",
                "Churn",
            ]
        )
        assert status == 0
        rows = read_rows(out)
        assert len(rows) == 3150
        assert rows[0]["account_id"] == "1"
        assert {r["segment"] for r in rows} == {"contractual", "pay_as_you_go"}
        assert sum(r["segment"] == "contractual" for r in rows) == 245
        err = capsys.readouterr().err
        assert "Observed churn rate per band" in err

    def test_iranian_red_churns_more_than_green(self, tmp_path: Path) -> None:
        out = tmp_path / "iranian.csv"
        main(
            [
                "score",
                "--model",
                str(IRANIAN_MODEL),
                "--accounts",
                str(IRANIAN),
                "--as-of",
                "2020-01-01",
                "--out",
                str(out),
            ]
        )
        scores = read_rows(out)
        churn = [row["Churn"] for row in read_rows(IRANIAN)]
        rate = {}
        for band in ("red", "green"):
            members = [c for s, c in zip(scores, churn, strict=True) if s["band"] == band]
            rate[band] = sum(c == "1" for c in members) / len(members)
        assert rate["red"] > 3 * rate["green"]

    def test_crm6_snapshot_scores(self, tmp_path: Path) -> None:
        snapshot = tmp_path / "crm6.csv"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "examples" / "crm6_snapshot.py"),
                "--as-of",
                "2023-01-01",
                "--out",
                str(snapshot),
            ],
            check=True,
            capture_output=True,
        )
        out = tmp_path / "scores.csv"
        status = main(
            [
                "score",
                "--model",
                str(CRM6_MODEL),
                "--accounts",
                str(snapshot),
                "--as-of",
                "2023-01-01",
                "--out",
                str(out),
            ]
        )
        assert status == 0
        rows = read_rows(out)
        assert len(rows) == 298
        small = [r for r in rows if r["segment"] == "under_15k"]
        assert len(small) == 191

    def test_validate(self, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["validate", str(CRM6_MODEL)]) == 0
        out = capsys.readouterr().out
        assert "segment 'under_15k' version crm6-under-15k-1 (rule: arr < 15000)" in out

    def test_example_models_match_build_script(self, tmp_path: Path) -> None:
        script = ROOT / "examples" / "build_models.py"
        subprocess.run(
            [sys.executable, str(script), "--out-dir", str(tmp_path)],
            check=True,
            capture_output=True,
        )
        for name in ("crm6.json", "iranian-churn.json"):
            built = json.loads((tmp_path / name).read_text(encoding="utf-8"))
            committed = json.loads(
                (ROOT / "examples" / "models" / name).read_text(encoding="utf-8")
            )
            assert built["model"] == committed["model"], name


def test_console_script_installed() -> None:
    assert (
        shutil.which("healthscore") is not None
        or (Path(sys.executable).parent / "healthscore").exists()
    )
