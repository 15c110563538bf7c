"""Tests of JSON model files: layout, round trips, checksums, versions and validation."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import healthscore as hs
from healthscore._serialization import (
    load_model,
    save_model,
    scorer_from_dict,
    scorer_to_dict,
    seal_model_file,
)
from healthscore.exceptions import (
    HealthScoreError,
    InvalidInputError,
    ModelFileError,
    ModelVersionWarning,
)

AS_OF = dt.date(2024, 6, 1)


# -- fixtures as cached builders (hypothesis rejects function-scoped fixtures) --------


@functools.cache
def book() -> hs.Accounts:
    """Return 300 accounts with missing values, stale logins and three segments' worth of ARR."""
    rng = np.random.default_rng(20240601)
    n = 300
    arr = rng.choice([5000.0, 9000.0, 14999.0, 15000.0, 40000.0, 120000.0], size=n)
    arr[rng.random(n) < 0.05] = np.nan
    use_case = rng.choice(["analytics", "bi", "crm"], size=n).tolist()

    def with_gaps(values: np.ndarray, share: float) -> np.ndarray:
        values = values.astype(np.float64)
        values[rng.random(n) < share] = np.nan
        return values

    logins = with_gaps(rng.integers(0, 60, size=n), 0.1)
    tickets = with_gaps(rng.poisson(5, size=n), 0.1)
    nps = with_gaps(rng.integers(-100, 101, size=n), 0.15)
    usage = with_gaps(rng.gamma(2.0, 30.0, size=n), 0.1)
    # Three accounts with no data at all, so some scores are withheld.
    for column in (logins, tickets, nps, usage):
        column[:3] = np.nan

    ages = rng.integers(0, 60, size=n).astype("timedelta64[D]")
    observed = np.datetime64(AS_OF, "D") - ages
    observed[rng.random(n) < 0.05] = np.datetime64("NaT")
    return hs.Accounts(
        ids=[f"A-{i:03d}" for i in range(n)],
        as_of=AS_OF,
        signals={"logins": logins, "tickets": tickets, "nps": nps, "usage": usage},
        attributes={"arr": arr, "use_case": use_case},
        observed_at={"logins": observed},
    )


def unfitted_scorer() -> hs.Scorer:
    """Return a scorer with two segments, a default and every normaliser kind."""
    smb = hs.SegmentModel(
        name="smb",
        rule="arr < 15000",
        signals=[
            hs.Signal(name="logins", normaliser=hs.LinearRange(low=0, high=40), max_age=30),
            hs.Signal(
                name="tickets", normaliser=hs.LogScale(low=0, high=200), higher_is_better=False
            ),
            hs.Signal(
                name="nps",
                normaliser=hs.ThresholdBands(edges=[-20, 30], scores=[0, 50, 100]),
                description="net promoter score, -100 to 100",
            ),
            hs.Signal(name="usage", normaliser=hs.PercentileRank(n_quantiles=21)),
        ],
        weights={"logins": 3, "tickets": 1, "nps": 2, "usage": 2.5},
        bands=hs.Bands(
            names=["red", "amber", "yellow", "green"],
            edges=[0, 40, 60, 80, 100],
            closed="right",
        ),
        min_coverage=0.6,
        version="smb-3",
        description="small accounts",
    )
    mid = hs.SegmentModel(
        name="mid",
        rule="arr >= 15000 and use_case in ['analytics', 'bi']",
        signals=[
            hs.Signal(name="logins", normaliser=hs.LinearRange(low=5, high=50)),
            hs.Signal(name="usage", normaliser=hs.PercentileRank()),
            hs.Signal(name="nps", normaliser=hs.LinearRange(low=-100, high=100)),
        ],
        weights={"logins": 0.7, "usage": 0.3, "nps": 0.0},
        missing_policy="zero",
    )
    rest = hs.SegmentModel(
        name="rest",
        signals=[
            hs.Signal(name="logins", normaliser=hs.LogScale(low=1, high=100), max_age=14),
            hs.Signal(name="usage", normaliser=hs.PercentileRank(n_quantiles=5)),
            hs.Signal(
                name="tickets",
                normaliser=hs.ThresholdBands(edges=[2, 10], scores=[100, 60, 10]),
                higher_is_better=False,
            ),
        ],
        weights={"logins": 1, "usage": 1, "tickets": 1},
        min_coverage=0.3,
    )
    return hs.Scorer(segments=[smb, mid], default=rest, id_column="customer_id")


@functools.cache
def fitted_scorer() -> hs.Scorer:
    return unfitted_scorer().fit_references(book())


def base_document() -> dict[str, Any]:
    """Return a fresh, valid document of the fitted scorer."""
    return copy.deepcopy(scorer_to_dict(fitted_scorer()))


def expected_checksum(model: object) -> str:
    """Compute the checksum as the format defines it, independently of the library."""
    text = json.dumps(
        model, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def reseal(document: dict[str, Any]) -> dict[str, Any]:
    document["checksum"] = expected_checksum(document["model"])
    return document


def assert_same_scores(expected: hs.Scores, actual: hs.Scores) -> None:
    np.testing.assert_array_equal(actual.score, expected.score)
    np.testing.assert_array_equal(actual.coverage, expected.coverage)
    np.testing.assert_array_equal(actual.contributions, expected.contributions)
    # Bit for bit, so that -0.0 against 0.0 or a changed NaN payload fails too.
    np.testing.assert_array_equal(
        np.ascontiguousarray(actual.score).view(np.int64),
        np.ascontiguousarray(expected.score).view(np.int64),
    )
    np.testing.assert_array_equal(
        np.ascontiguousarray(actual.contributions).view(np.int64),
        np.ascontiguousarray(expected.contributions).view(np.int64),
    )
    assert actual.band.tolist() == expected.band.tolist()
    assert actual.status.tolist() == expected.status.tolist()
    assert actual.segment.tolist() == expected.segment.tolist()
    assert actual.model_version.tolist() == expected.model_version.tolist()
    assert actual.signal_names == expected.signal_names


# -- layout ------------------------------------------------------------------------


def test_book_covers_every_case() -> None:
    scores = fitted_scorer().score(book())
    assert set(scores.segment.tolist()) == {"smb", "mid", "rest"}
    assert np.isnan(scores.score).any()
    assert (~np.isnan(scores.score)).sum() > 250
    for model in fitted_scorer().models:
        for signal in model.signals:
            if isinstance(signal.normaliser, hs.PercentileRank):
                assert signal.normaliser.quantiles is not None
                assert signal.normaliser.n_reference >= 10


def test_document_layout() -> None:
    scorer = fitted_scorer()
    document = scorer_to_dict(scorer)
    assert list(document) == [
        "format",
        "schema_version",
        "healthscore_version",
        "checksum",
        "model",
    ]
    assert document["format"] == "healthscore-model"
    assert document["schema_version"] == "1.0"
    assert document["healthscore_version"] == hs.__version__
    assert document["checksum"] == expected_checksum(document["model"])
    model = document["model"]
    assert scorer.default is not None
    assert model["id_column"] == "customer_id"
    assert model["segments"] == [segment.to_dict() for segment in scorer.segments]
    assert model["default"] == scorer.default.to_dict()


def test_document_without_default() -> None:
    scorer = hs.Scorer(segments=fitted_scorer().segments, default=None, id_column=None)
    document = scorer_to_dict(scorer)
    assert document["model"]["default"] is None
    assert document["model"]["id_column"] is None
    assert scorer_from_dict(document) == scorer


def test_scorer_to_dict_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="expects a Scorer"):
        scorer_to_dict(fitted_scorer().segments[0])  # type: ignore[arg-type]


# -- round trips -------------------------------------------------------------------


def test_dict_round_trip_scores_identically() -> None:
    scorer = fitted_scorer()
    loaded = scorer_from_dict(scorer_to_dict(scorer))
    assert_same_scores(scorer.score(book()), loaded.score(book()))


def test_json_text_round_trip_scores_identically() -> None:
    scorer = fitted_scorer()
    text = json.dumps(scorer_to_dict(scorer))
    loaded = scorer_from_dict(json.loads(text))
    assert_same_scores(scorer.score(book()), loaded.score(book()))


def test_file_round_trip_scores_identically(tmp_path: Path) -> None:
    scorer = fitted_scorer()
    path = tmp_path / "model.json"
    save_model(scorer, path)
    loaded = load_model(path)
    assert_same_scores(scorer.score(book()), loaded.score(book()))


def test_round_trip_keeps_objects_equal(tmp_path: Path) -> None:
    scorer = fitted_scorer()
    path = tmp_path / "model.json"
    save_model(scorer, path)
    loaded = load_model(str(path))
    assert loaded == scorer
    assert loaded.id_column == "customer_id"


def test_round_trip_keeps_content_hashes(tmp_path: Path) -> None:
    scorer = fitted_scorer()
    path = tmp_path / "model.json"
    save_model(scorer, path)
    loaded = load_model(path)
    expected = [model.content_hash for model in scorer.models]
    assert [model.content_hash for model in loaded.models] == expected


def test_resaved_file_is_identical(tmp_path: Path) -> None:
    first = tmp_path / "first.json"
    second = tmp_path / "second.json"
    save_model(fitted_scorer(), first)
    save_model(load_model(first), second)
    assert second.read_bytes() == first.read_bytes()


def test_fractional_max_age_round_trips() -> None:
    signal = hs.Signal(
        name="logins", normaliser=hs.LinearRange(low=0, high=40), max_age=dt.timedelta(hours=36)
    )
    scorer = hs.Scorer(
        segments=[], default=hs.SegmentModel(name="all", signals=[signal], weights={"logins": 1})
    )
    document = scorer_to_dict(scorer)
    assert document["model"]["default"]["signals"][0]["max_age_days"] == 1.5
    loaded = scorer_from_dict(json.loads(json.dumps(document)))
    assert loaded.default is not None
    assert loaded.default.signals[0].max_age == dt.timedelta(hours=36)


def score_or_error(scorer: hs.Scorer) -> hs.Scores | str:
    """Score the book, or return the type and message of the error that scoring raised."""
    try:
        return scorer.score(book())
    except HealthScoreError as error:
        return f"{type(error).__name__}: {error}"


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
non_negative = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)


def ordered_pair(values: st.SearchStrategy[float]) -> st.SearchStrategy[tuple[float, float]]:
    return (
        st.tuples(values, values)
        .map(lambda pair: (min(pair), max(pair)))
        .filter(lambda pair: pair[1] - pair[0] >= 1e-6)
    )


@settings(max_examples=60, deadline=None)
@given(
    linear=ordered_pair(finite),
    log=ordered_pair(non_negative),
    weights=st.lists(non_negative, min_size=3, max_size=3).filter(lambda w: sum(w) > 0),
    min_coverage=st.floats(min_value=0.0, max_value=1.0),
)
def test_random_models_round_trip_through_json(
    linear: tuple[float, float],
    log: tuple[float, float],
    weights: list[float],
    min_coverage: float,
) -> None:
    model = hs.SegmentModel(
        name="all",
        signals=[
            hs.Signal(name="logins", normaliser=hs.LinearRange(low=linear[0], high=linear[1])),
            hs.Signal(name="tickets", normaliser=hs.LogScale(low=log[0], high=log[1])),
            hs.Signal(name="nps", normaliser=hs.LinearRange(low=linear[0], high=linear[1])),
        ],
        weights=dict(zip(["logins", "tickets", "nps"], weights, strict=True)),
        min_coverage=min_coverage,
    )
    scorer = hs.Scorer(segments=[], default=model)
    text = json.dumps(scorer_to_dict(scorer), indent=2)
    loaded = scorer_from_dict(json.loads(text))
    assert loaded == scorer

    # The property is about the file format, so a model that the engine rejects
    # while scoring must be rejected identically after the round trip.
    expected = score_or_error(scorer)
    actual = score_or_error(loaded)
    if isinstance(expected, str):
        assert actual == expected
    else:
        assert isinstance(actual, hs.Scores), actual
        assert_same_scores(expected, actual)


# -- saving ------------------------------------------------------------------------


def test_saved_file_format(tmp_path: Path) -> None:
    model = hs.SegmentModel(
        name="Économie",
        signals=[hs.Signal(name="logins", normaliser=hs.LinearRange(low=0, high=40))],
        weights={"logins": 1},
    )
    scorer = hs.Scorer(segments=[], default=model)
    path = tmp_path / "model.json"
    save_model(scorer, path)
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    assert text.startswith('{\n  "format": "healthscore-model",\n')
    assert text.endswith("}\n")
    assert not text.endswith("\n\n")
    assert "Économie" in text
    assert json.loads(text) == scorer_to_dict(scorer)


def test_save_replaces_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("old contents", encoding="utf-8")
    save_model(fitted_scorer(), path)
    assert load_model(path) == fitted_scorer()
    assert [entry.name for entry in tmp_path.iterdir()] == ["model.json"]


def test_failed_save_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "model.json"
    path.write_text("old contents", encoding="utf-8")

    def fail_rename(self: Path, target: object) -> Path:
        raise OSError("rename failed")

    monkeypatch.setattr(Path, "replace", fail_rename)
    with pytest.raises(OSError, match="rename failed"):
        save_model(fitted_scorer(), path)
    assert path.read_text(encoding="utf-8") == "old contents"
    assert [entry.name for entry in tmp_path.iterdir()] == ["model.json"]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_saved_file_mode_follows_umask(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    previous = os.umask(0o027)
    try:
        save_model(fitted_scorer(), path)
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o640


# -- checksums ---------------------------------------------------------------------


def test_edited_weight_fails_checksum(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save_model(fitted_scorer(), path)
    raw = path.read_bytes()
    weights_at = raw.index(b'"weights"')
    digit_at = raw.index(b'"logins": 3.0', weights_at) + len(b'"logins": ')
    path.write_bytes(raw[:digit_at] + b"4" + raw[digit_at + 1 :])

    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    error = caught.value
    assert error.source == str(path)
    assert str(path) in str(error)
    assert [p for p, _ in error.problems] == ["checksum"]
    message = error.problems[0][1]
    assert "edited or corrupted after it was written" in message
    assert scorer_to_dict(fitted_scorer())["checksum"] in message


def test_seal_accepts_deliberate_edit(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save_model(fitted_scorer(), path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["model"]["segments"][0]["weights"]["logins"] = 4.0
    path.write_text(json.dumps(document), encoding="utf-8")

    checksum = seal_model_file(path)
    assert checksum == expected_checksum(document["model"])
    loaded = load_model(path)
    assert loaded.segments[0].weights["logins"] == 4.0
    assert json.loads(path.read_text(encoding="utf-8"))["checksum"] == checksum


def test_seal_adds_missing_checksum(tmp_path: Path) -> None:
    document = base_document()
    del document["checksum"]
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    seal_model_file(os.fspath(path))
    assert list(json.loads(path.read_text(encoding="utf-8"))) == [
        "format",
        "schema_version",
        "healthscore_version",
        "checksum",
        "model",
    ]
    assert load_model(path) == fitted_scorer()


def test_seal_leaves_invalid_file_unchanged(tmp_path: Path) -> None:
    document = base_document()
    document["model"]["segments"][0]["weights"]["logins"] = -1.0
    path = tmp_path / "model.json"
    text = json.dumps(document)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ModelFileError) as caught:
        seal_model_file(path)
    assert [p for p, _ in caught.value.problems] == ["model.segments[0]"]
    assert path.read_text(encoding="utf-8") == text


def test_missing_checksum_is_a_problem() -> None:
    document = base_document()
    del document["checksum"]
    with pytest.raises(ModelFileError) as caught:
        scorer_from_dict(document)
    assert [p for p, _ in caught.value.problems] == ["checksum"]
    assert "verify_checksum=False" in caught.value.problems[0][1]


def test_unverified_dict_needs_no_checksum() -> None:
    document = base_document()
    del document["checksum"]
    document["model"]["segments"][0]["weights"]["logins"] = 5
    loaded = scorer_from_dict(document, verify_checksum=False)
    assert loaded.segments[0].weights["logins"] == 5.0


def test_unverified_dict_is_still_validated() -> None:
    document = base_document()
    document["model"]["segments"][1]["weights"]["usage"] = float("nan")
    with pytest.raises(ModelFileError) as caught:
        scorer_from_dict(document, verify_checksum=False, source="hand-built")
    assert caught.value.source == "hand-built"
    assert [p for p, _ in caught.value.problems] == ["model.segments[1].weights.usage"]
    assert "must be a finite number" in caught.value.problems[0][1]


# -- versions ----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0", "0.9"])
def test_other_schema_major_is_rejected(tmp_path: Path, version: str) -> None:
    document = base_document()
    document["schema_version"] = version
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    assert [p for p, _ in caught.value.problems] == ["schema_version"]
    expected = (
        f"schema version {version} is not supported by healthscore {hs.__version__} (supports 1.x)"
    )
    assert expected in caught.value.problems[0][1]


def test_newer_schema_minor_loads_with_warning(tmp_path: Path) -> None:
    document = base_document()
    document["schema_version"] = "1.7"
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.warns(ModelVersionWarning, match=r"schema version 1\.7 is newer") as record:
        loaded = load_model(path)
    assert record[0].filename == __file__
    assert loaded == fitted_scorer()


def test_newer_minor_with_problems_names_the_version() -> None:
    document = base_document()
    document["schema_version"] = "1.7"
    document["model"]["segments"][0]["colour"] = "red"
    with pytest.raises(ModelFileError) as caught:
        scorer_from_dict(reseal(document))
    paths = [p for p, _ in caught.value.problems]
    assert paths == ["model.segments[0].colour", "schema_version"]


@pytest.mark.skipif(hs.__version__.endswith("+unknown"), reason="needs an installed version")
def test_newer_library_version_warns() -> None:
    document = base_document()
    document["healthscore_version"] = "999.0.0"
    with pytest.warns(ModelVersionWarning) as record:
        scorer_from_dict(document)
    message = str(record[0].message)
    assert "999.0.0" in message
    assert hs.__version__ in message
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    "version", ["0.0.1", "0.1", "0.1.0rc1", "0.1.0+local.7", "0.1.0.dev3", "v0.1.0"]
)
def test_older_or_same_library_version_is_silent(version: str) -> None:
    # pyproject turns healthscore warnings into errors, so a warning fails here.
    document = base_document()
    document["healthscore_version"] = version
    assert scorer_from_dict(document) == fitted_scorer()


def test_unparsable_library_version_is_a_problem() -> None:
    document = base_document()
    document["healthscore_version"] = "banana"
    with pytest.raises(ModelFileError) as caught:
        scorer_from_dict(document)
    assert [p for p, _ in caught.value.problems] == ["healthscore_version"]


# -- malformed files ---------------------------------------------------------------


def _json_text(document: dict[str, Any]) -> str:
    return json.dumps(reseal(document), indent=2)


def _edit(change: Any) -> Any:
    """Return a case builder that applies ``change`` to a fresh document and reseals it."""

    def build() -> str:
        document = base_document()
        change(document)
        return _json_text(document)

    return build


def _segment(document: dict[str, Any], index: int) -> dict[str, Any]:
    segment: dict[str, Any] = document["model"]["segments"][index]
    return segment


def _with_nan_weight() -> str:
    document = base_document()
    _segment(document, 0)["weights"]["logins"] = float("nan")
    return json.dumps(document, indent=2)


def _with_infinite_edge() -> str:
    document = base_document()
    document["model"]["default"]["bands"]["edges"][3] = float("inf")
    return json.dumps(document, indent=2)


def _with_duplicate_key() -> str:
    text = _json_text(base_document())
    return text.replace('"version": "smb-3",', '"version": "smb-3", "version": "smb-3",', 1)


def _rename_weights(document: dict[str, Any]) -> None:
    segment = _segment(document, 0)
    segment["wieghts"] = segment.pop("weights")


def _zero_weights(document: dict[str, Any]) -> None:
    weights = _segment(document, 0)["weights"]
    for name in weights:
        weights[name] = 0


MALFORMED_CASES = [
    pytest.param(
        lambda: '{\n  "format": "healthscore-model",\n  oops\n}',
        [""],
        "line 3, column 3",
        id="not-json",
    ),
    pytest.param(lambda: "[1, 2]", [""], "must be a JSON object", id="not-an-object"),
    pytest.param(
        _with_nan_weight,
        ["model.segments[0].weights.logins"],
        "got NaN, which JSON does not allow",
        id="nan-literal",
    ),
    pytest.param(
        _with_infinite_edge,
        ["model.default.bands.edges[3]"],
        "got Infinity",
        id="infinity-literal",
    ),
    pytest.param(
        _edit(lambda d: _segment(d, 1).pop("bands")),
        ["model.segments[1].bands"],
        "required key is missing",
        id="missing-key",
    ),
    pytest.param(
        _edit(_rename_weights),
        ["model.segments[0].weights", "model.segments[0].wieghts"],
        "did you mean 'weights'?",
        id="unknown-key",
    ),
    pytest.param(
        _with_duplicate_key,
        ["model.segments[0].version"],
        "appears more than once",
        id="duplicate-key",
    ),
    pytest.param(
        _edit(lambda d: _segment(d, 1)["weights"].update(nps="0.3")),
        ["model.segments[1].weights.nps"],
        "must be a number; got string '0.3'",
        id="string-for-number",
    ),
    pytest.param(
        _edit(lambda d: _segment(d, 0).update(min_coverage=True)),
        ["model.segments[0].min_coverage"],
        "must be a number; got true",
        id="bool-for-number",
    ),
    pytest.param(
        _edit(lambda d: _segment(d, 0)["signals"][3]["normaliser"].update(n_quantiles=21.5)),
        ["model.segments[0].signals[3].normaliser.n_quantiles"],
        "must be an integer",
        id="fractional-integer",
    ),
    pytest.param(
        _edit(lambda d: _segment(d, 1)["weights"].update(nps=-1)),
        ["model.segments[1]"],
        "weight of signal 'nps' must be >= 0",
        id="negative-weight",
    ),
    pytest.param(
        _edit(_zero_weights),
        ["model.segments[0]"],
        "weights sum to 0",
        id="weights-sum-to-zero",
    ),
    pytest.param(
        _edit(lambda d: d["model"]["default"]["bands"].update(edges=[0, 50, 75, 99])),
        ["model.default.bands"],
        "must cover [0, 100]",
        id="band-gap",
    ),
    pytest.param(
        _edit(lambda d: _segment(d, 0)["signals"][2]["normaliser"].update(kind="sigmoid")),
        ["model.segments[0].signals[2].normaliser.kind"],
        "unknown normaliser kind 'sigmoid'",
        id="unknown-normaliser-kind",
    ),
    pytest.param(
        _edit(lambda d: _segment(d, 0)["signals"][0]["normaliser"].update(low=50)),
        ["model.segments[0].signals[0].normaliser"],
        "LinearRange needs low < high",
        id="normaliser-rejects-value",
    ),
    pytest.param(
        _edit(lambda d: _segment(d, 0)["rule"][0].update(op="lt")),
        ["model.segments[0].rule[0]"],
        "Condition.op must be one of",
        id="unknown-operator",
    ),
    pytest.param(
        _edit(lambda d: _segment(d, 0)["rule"][0].update(value={"max": 1})),
        ["model.segments[0].rule[0].value"],
        "must be a string or a number",
        id="rule-value-object",
    ),
    pytest.param(
        _edit(
            lambda d: d["model"]["default"].update(rule=[{"column": "arr", "op": "<", "value": 1}])
        ),
        ["model"],
        "must have no rule",
        id="default-with-rule",
    ),
    pytest.param(
        _edit(lambda d: d.update(format="something-else")),
        ["format"],
        "must be 'healthscore-model'",
        id="wrong-format",
    ),
    pytest.param(
        _edit(lambda d: d.update(schema_version=1.0)),
        ["schema_version"],
        "must be a string 'MAJOR.MINOR'",
        id="numeric-schema-version",
    ),
    pytest.param(
        lambda: '{"format": "healthscore-model", "model": ' + "7" * 5000 + "}",
        [""],
        "invalid JSON",
        id="integer-too-long-to-parse",
    ),
    pytest.param(
        lambda: json.dumps({k: v for k, v in base_document().items() if k != "checksum"}),
        ["checksum"],
        "required key is missing; save_model always writes one",
        id="missing-checksum",
    ),
    pytest.param(
        lambda: json.dumps({**base_document(), "checksum": "md5:0123"}),
        ["checksum"],
        "must be 'sha256:' followed by 64 lowercase hex digits",
        id="malformed-checksum",
    ),
]


@pytest.mark.parametrize(("build_text", "expected_paths", "fragment"), MALFORMED_CASES)
def test_malformed_file_reports_paths(
    tmp_path: Path, build_text: Any, expected_paths: list[str], fragment: str
) -> None:
    path = tmp_path / "model.json"
    path.write_text(build_text(), encoding="utf-8")
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    error = caught.value
    assert error.source == str(path)
    assert [p for p, _ in error.problems] == expected_paths
    assert any(fragment in message for _, message in error.problems), error.problems


def test_unfitted_percentile_loads(tmp_path: Path) -> None:
    document = base_document()
    _segment(document, 0)["signals"][3]["normaliser"] = {"kind": "percentile", "n_quantiles": 21}
    path = tmp_path / "model.json"
    path.write_text(_json_text(document), encoding="utf-8")
    loaded = load_model(path)
    assert loaded.needs_fit
    with pytest.raises(InvalidInputError, match="fit_references"):
        loaded.score(book())


def test_problems_in_several_segments_reported_together() -> None:
    document = base_document()
    _segment(document, 0)["weights"]["tickets"] = -2
    _segment(document, 1)["colour"] = "blue"
    document["model"]["default"]["bands"]["closed"] = "middle"
    document["model"]["default"]["signals"][0]["higher_is_better"] = "yes"
    with pytest.raises(ModelFileError) as caught:
        scorer_from_dict(reseal(document))
    assert [p for p, _ in caught.value.problems] == [
        "model.segments[0]",
        "model.segments[1].colour",
        "model.default.signals[0].higher_is_better",
        "model.default.bands",
    ]


def test_edit_and_problem_reported_together(tmp_path: Path) -> None:
    document = base_document()
    _segment(document, 1)["weights"]["nps"] = -1
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    assert [p for p, _ in caught.value.problems] == ["checksum", "model.segments[1]"]


def test_non_utf8_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(_json_text(base_document()).encode("utf-16"))
    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    assert [p for p, _ in caught.value.problems] == [""]
    assert "not UTF-8" in caught.value.problems[0][1]


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b"\xef\xbb\xbf" + _json_text(base_document()).encode("utf-8"))
    assert load_model(path) == fitted_scorer()


def test_missing_file_raises_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "absent.json")


# -- no pickle ---------------------------------------------------------------------


class _Trap:
    """Object whose pickle calls ``os.mkdir``, so unpickling it leaves a visible directory."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_file_is_never_unpickled(tmp_path: Path, protocol: int) -> None:
    marker = tmp_path / "unpickled"
    data = pickle.dumps(_Trap(marker), protocol=protocol)
    path = tmp_path / "model.json"
    path.write_bytes(data)

    with pytest.raises(ModelFileError) as caught:
        load_model(path)
    assert [p for p, _ in caught.value.problems] == [""]
    if protocol >= 2:
        assert "pickle" in caught.value.problems[0][1]
    assert not marker.exists()

    # The trap is armed: unpickling the same bytes does create the marker.
    pickle.loads(data)
    assert marker.is_dir()


def test_saved_file_is_plain_json(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    save_model(fitted_scorer(), path)
    raw = path.read_bytes()
    assert raw.startswith(b"{")
    assert isinstance(json.loads(raw), dict)
