"""Read and write scorers as JSON model files.

A model file is one JSON object::

    {
      "format": "healthscore-model",
      "schema_version": "1.0",
      "healthscore_version": "0.1.0",
      "checksum": "sha256:<64 hex digits>",
      "model": {
        "id_column": "account_id",
        "segments": [<SegmentModel.to_dict()>, ...],
        "default": <SegmentModel.to_dict()> or null
      }
    }

The checksum is the SHA-256 of the canonical JSON of ``model``: keys sorted, no
whitespace, non-ASCII characters written as themselves, encoded as UTF-8. It
detects edits and corruption after a file was written. It is not a signature,
because anyone who can edit the file can recompute it.

Loading parses JSON only: nothing is unpickled or evaluated. Every value is checked
for its JSON type before any object is built, and every problem found is reported
at once in one :class:`~healthscore.exceptions.ModelFileError`, each with its path
in the document, such as ``model.segments[1].weights.nps``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import hashlib
import json
import math
import os
import re
import secrets
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import healthscore
from healthscore._scoring import Scorer
from healthscore._segments import Bands, Condition, Rule, SegmentModel
from healthscore._signals import (
    LinearRange,
    LogScale,
    Normaliser,
    PercentileRank,
    Signal,
    ThresholdBands,
)
from healthscore.exceptions import (
    InvalidInputError,
    InvalidTypeError,
    ModelFileError,
    ModelVersionWarning,
)

__all__ = ["load_model", "save_model", "scorer_from_dict", "scorer_to_dict", "seal_model_file"]

T = TypeVar("T")

#: Value of the ``format`` key of every model file.
MODEL_FORMAT: Final = "healthscore-model"
#: Schema version this library writes. A file with another major version cannot be
#: read. A newer minor version is read with a warning, because minor versions only
#: add optional keys and every key in the file is still checked.
SCHEMA_MAJOR: Final = 1
SCHEMA_MINOR: Final = 0
SCHEMA_VERSION: Final = f"{SCHEMA_MAJOR}.{SCHEMA_MINOR}"

_CHECKSUM_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")
_SCHEMA_VERSION_PATTERN = re.compile(r"([0-9]+)\.([0-9]+)")
_RELEASE_PATTERN = re.compile(r"v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Keys of each object in the document: (required, optional). The checksum is
# optional here because check_checksum reports a missing one with advice.
_ENVELOPE_KEYS = (("format", "schema_version", "healthscore_version", "model"), ("checksum",))
_MODEL_KEYS = (("id_column", "segments", "default"), ())
_SEGMENT_KEYS = (
    (
        "name",
        "version",
        "rule",
        "signals",
        "weights",
        "bands",
        "min_coverage",
        "missing_policy",
    ),
    ("description",),
)
_CONDITION_KEYS = (("column", "op", "value"), ())
_SIGNAL_KEYS = (
    ("name", "column", "higher_is_better", "normaliser"),
    ("max_age_days", "description"),
)
_BANDS_KEYS = (("names", "edges", "closed"), ())
_NORMALISER_KEYS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    LinearRange.kind: (("kind", "low", "high"), ()),
    LogScale.kind: (("kind", "low", "high"), ()),
    ThresholdBands.kind: (("kind", "edges", "scores"), ()),
    PercentileRank.kind: (("kind", "n_quantiles"), ("quantiles", "n_reference")),
}

#: Largest ``max_age_days`` that ``datetime.timedelta`` can hold.
_MAX_DAYS = 999_999_999


# -- public functions -----------------------------------------------------------------


def scorer_to_dict(scorer: Scorer) -> dict[str, Any]:
    """Return the model-file document of ``scorer``, checksum included.

    The document contains only JSON types (dicts, lists, strings, finite floats,
    ints, booleans and None), so ``json.dumps`` writes it as is.

    Parameters
    ----------
    scorer : Scorer

    Returns
    -------
    dict
        ``{"format", "schema_version", "healthscore_version", "checksum", "model"}``
        as described in the module documentation.

    Raises
    ------
    InvalidTypeError
        If ``scorer`` is not a :class:`~healthscore.Scorer`.
    """
    if not isinstance(scorer, Scorer):
        msg = f"scorer_to_dict expects a Scorer; got {type(scorer).__name__}"
        raise InvalidTypeError(msg)
    model = {
        "id_column": scorer.id_column,
        "segments": [segment.to_dict() for segment in scorer.segments],
        "default": None if scorer.default is None else scorer.default.to_dict(),
    }
    return {
        "format": MODEL_FORMAT,
        "schema_version": SCHEMA_VERSION,
        "healthscore_version": healthscore.__version__,
        "checksum": _checksum(model),
        "model": model,
    }


def scorer_from_dict(
    document: Mapping[str, Any], *, source: str = "<dict>", verify_checksum: bool = True
) -> Scorer:
    """Build a scorer from a model-file document, after validating all of it.

    Parameters
    ----------
    document : mapping
        A document as returned by :func:`scorer_to_dict` or parsed from a model file.
    source : str, default "<dict>"
        Name of the document's origin, used in error messages.
    verify_checksum : bool, default True
        Whether to require a ``checksum`` that matches ``model``. Pass False for a
        document written or edited by hand in Python; its checksum is then neither
        required nor checked. :func:`load_model` always verifies.

    Returns
    -------
    Scorer

    Raises
    ------
    ModelFileError
        Listing every problem found, each with its path in the document: unknown
        or missing keys, values of the wrong JSON type, NaN or infinite numbers,
        values the model objects reject, an unsupported schema major version or a
        checksum mismatch.

    Warns
    -----
    ModelVersionWarning
        If the document has a newer schema minor version, or was written by a
        newer healthscore, than this one.
    """
    scorer, notices = _read_document(
        document, source=source, verify_checksum=verify_checksum, from_file=False
    )
    for _, message in notices:
        warnings.warn(message, ModelVersionWarning, stacklevel=2)
    return scorer


def save_model(scorer: Scorer, path: str | os.PathLike[str]) -> None:
    """Write ``scorer`` to a JSON model file, replacing the file in one step.

    The file is UTF-8 JSON indented by 2 spaces, with a trailing newline. It is
    written to a temporary file in the same directory, flushed to disk, then
    renamed over ``path``. A reader therefore sees the old file or the new one,
    never a partial write. A symbolic link at ``path`` is replaced by a regular file.

    Parameters
    ----------
    scorer : Scorer
    path : str or os.PathLike

    Raises
    ------
    InvalidTypeError
        If ``scorer`` is not a :class:`~healthscore.Scorer`.
    OSError
        If the directory is not writable; ``path`` is then unchanged.
    """
    _write_json_atomically(Path(path), scorer_to_dict(scorer))


def load_model(path: str | os.PathLike[str]) -> Scorer:
    """Read a scorer from a JSON model file written by :func:`save_model`.

    The checksum is always verified. To accept a deliberate hand edit, run
    :func:`seal_model_file` on the file first.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Scorer

    Raises
    ------
    ModelFileError
        If the file is not UTF-8 JSON (the message gives the line and column of a
        syntax error), is a Python pickle, fails its checksum or fails validation.
        Every validation problem is listed with its path in the document.
    OSError
        If the file cannot be read.

    Warns
    -----
    ModelVersionWarning
        If the file has a newer schema minor version, or was written by a newer
        healthscore, than this one.
    """
    file_path = Path(path)
    document = _parse_file(file_path)
    scorer, notices = _read_document(
        document, source=str(file_path), verify_checksum=True, from_file=True
    )
    for _, message in notices:
        warnings.warn(message, ModelVersionWarning, stacklevel=2)
    return scorer


def seal_model_file(path: str | os.PathLike[str]) -> str:
    """Validate a hand-edited model file, then write its new checksum into it.

    This is how to accept a deliberate edit: :func:`load_model` rejects an edited
    file until it is sealed. The file is validated exactly as :func:`load_model`
    does, except for the checksum, and is left unchanged if it has any problem.
    Otherwise it is rewritten in the layout :func:`save_model` uses, with the
    values and versions it contains and a new checksum. A missing ``checksum`` key
    is added.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    str
        The new checksum, ``"sha256:"`` followed by 64 hex digits.

    Raises
    ------
    ModelFileError
        As :func:`load_model`, but never for the checksum.
    OSError
        If the file cannot be read or replaced.

    Warns
    -----
    ModelVersionWarning
        As :func:`load_model`.
    """
    file_path = Path(path)
    document = _parse_file(file_path)
    _, notices = _read_document(
        document, source=str(file_path), verify_checksum=False, from_file=True
    )
    for _, message in notices:
        warnings.warn(message, ModelVersionWarning, stacklevel=2)
    checksum = _checksum(document["model"])
    sealed = {
        "format": document["format"],
        "schema_version": document["schema_version"],
        "healthscore_version": document["healthscore_version"],
        "checksum": checksum,
        "model": document["model"],
    }
    _write_json_atomically(file_path, sealed)
    return checksum


# -- JSON text ------------------------------------------------------------------------


class _NonFiniteLiteral:
    """A ``NaN``, ``Infinity`` or ``-Infinity`` literal kept from the JSON text.

    Python's JSON parser accepts these literals although JSON has no such numbers.
    Keeping them as markers, instead of failing inside the parser, lets the
    validator report each one at its path.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class _JsonObject(dict[str, Any]):
    """A parsed JSON object with the keys that appeared in it more than once."""

    duplicate_keys: tuple[str, ...] = ()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> _JsonObject:
        parsed = cls(pairs)
        if len(parsed) != len(pairs):
            counts: dict[str, int] = {}
            for key, _ in pairs:
                counts[key] = counts.get(key, 0) + 1
            parsed.duplicate_keys = tuple(key for key, count in counts.items() if count > 1)
        return parsed


def _parse_file(path: Path) -> Any:
    """Read and parse a model file, raising ModelFileError for anything but JSON text."""
    source = str(path)
    raw = path.read_bytes()
    if raw.startswith(b"\x80"):
        # Pickle protocols 2 to 5 start with the PROTO opcode 0x80.
        message = (
            "the file looks like a Python pickle, not a JSON model file; healthscore never "
            "unpickles files, because unpickling can run arbitrary code. Re-save the "
            "scorer with healthscore.save_model"
        )
        raise ModelFileError(source, [("", message)])
    try:
        # utf-8-sig also accepts the byte order mark that some editors add.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = (
            f"the file is not UTF-8 text: invalid byte 0x{raw[error.start]:02x} at offset "
            f"{error.start}"
        )
        raise ModelFileError(source, [("", message)]) from None
    try:
        return json.loads(
            text, parse_constant=_NonFiniteLiteral, object_pairs_hook=_JsonObject.from_pairs
        )
    except json.JSONDecodeError as error:
        message = f"invalid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        raise ModelFileError(source, [("", message)]) from None
    except ValueError as error:
        # Such as an integer literal longer than sys.get_int_max_str_digits() (4300 by default).
        raise ModelFileError(source, [("", f"invalid JSON: {error}")]) from None
    except RecursionError:
        message = "invalid model file: JSON nested too deeply to parse"
        raise ModelFileError(source, [("", message)]) from None


def _canonical_json(value: object) -> bytes:
    """Encode ``value`` as the canonical JSON that checksums are computed over.

    Raises
    ------
    TypeError, ValueError
        If ``value`` contains something that is not JSON, such as NaN.
    """
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _checksum(model: object) -> str:
    return "sha256:" + hashlib.sha256(_canonical_json(model)).hexdigest()


def _write_json_atomically(path: Path, document: Mapping[str, Any]) -> None:
    """Write ``document`` as indented UTF-8 JSON through a temporary file and a rename.

    The temporary file is created with mode 0o666, so the umask applies as it does to
    any new file. ``tempfile.mkstemp`` would make it 0o600.
    """
    text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    data = text.encode("utf-8")
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# -- versions -------------------------------------------------------------------------


def _release_of(version: str) -> tuple[int, int, int] | None:
    """Return the major, minor and patch numbers at the start of ``version``.

    What follows them is ignored, so ``0.2.0rc1`` and ``0.2.0+g1a2b`` count as
    0.2.0 and ``1.4`` as 1.4.0. Returns None when ``version`` does not start with a
    number.
    """
    match = _RELEASE_PATTERN.match(version.strip())
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor or 0), int(patch or 0)


def _running_release() -> tuple[int, int, int] | None:
    """Return the release of the running healthscore, or None when it is unknown.

    A bare source checkout reports the version ``0+unknown``, which has no release
    number to compare.
    """
    if healthscore.__version__.endswith("+unknown"):
        return None
    return _release_of(healthscore.__version__)


# -- document validation --------------------------------------------------------------


class _Invalid(enum.Enum):
    """Marker returned by a reader for a value that failed validation."""

    INVALID = enum.auto()


_INVALID: Final = _Invalid.INVALID


def _key_path(path: str, key: str) -> str:
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _index_path(path: str, index: int) -> str:
    return f"{path}[{index}]"


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: object) -> str:
    """Return the JSON type and value of ``value`` for messages, such as ``string '0.3'``."""
    if isinstance(value, _NonFiniteLiteral):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"string {_shorten(repr(value))}"
    if isinstance(value, int | float):
        return f"number {_shorten(repr(value))}"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return f"{type(value).__name__} {_shorten(repr(value))}"


def _read_document(
    document: object, *, source: str, verify_checksum: bool, from_file: bool
) -> tuple[Scorer, list[tuple[str, str]]]:
    """Validate a whole document and build its scorer.

    Returns
    -------
    scorer : Scorer
    notices : list of (path, message)
        Version mismatches to emit as warnings.

    Raises
    ------
    ModelFileError
        With every problem found. Version notices are listed too, after the other
        problems, because a newer file is the likely cause of them.
    """
    reader = _DocumentReader()
    envelope = reader.read_object(document, "", _ENVELOPE_KEYS)
    if isinstance(envelope, _Invalid) or not reader.check_format(envelope):
        raise ModelFileError(source, reader.problems)
    notices = reader.check_schema_version(envelope)
    if notices is None:
        # Another major version: its keys cannot be checked against this schema.
        raise ModelFileError(source, reader.problems)
    notices += reader.check_library_version(envelope)

    canonical: bytes | None = None
    if "model" in envelope:
        try:
            canonical = _canonical_json(envelope["model"])
        except (TypeError, ValueError):
            # The readers below report the offending value at its path.
            canonical = None
    if verify_checksum:
        reader.check_checksum(envelope, canonical, from_file=from_file)

    scorer = reader.read_field(envelope, "model", "", reader.read_model)
    if canonical is None and "model" in envelope and not reader.problems:
        message = "contains a value that cannot be written as JSON, so it has no checksum"
        reader.problem("model", message)
    if reader.problems or isinstance(scorer, _Invalid):
        raise ModelFileError(source, [*reader.problems, *notices])
    return scorer, notices


class _DocumentReader:
    """Validator of a model document that builds the objects the document describes.

    Every ``read_*`` method records the problems it finds in :attr:`problems` and
    returns ``_INVALID`` if its value cannot be used. A method that receives an
    invalid part still reads the others, so that one pass finds every problem.
    """

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    # -- JSON types -------------------------------------------------------------------

    def read_mapping(self, value: object, path: str) -> Mapping[str, Any] | _Invalid:
        """Check that ``value`` is an object with string keys, and report repeated keys."""
        if not isinstance(value, Mapping):
            self.problem(path, f"must be a JSON object; got {_describe(value)}")
            return _INVALID
        non_string_keys = [key for key in value if not isinstance(key, str)]
        if non_string_keys:
            self.problem(path, f"keys must be strings; got {_describe(non_string_keys[0])}")
            return _INVALID
        for key in getattr(value, "duplicate_keys", ()):
            message = (
                "key appears more than once in this object; JSON readers keep only one "
                "of the values, so remove the others"
            )
            self.problem(_key_path(path, key), message)
        return value

    def read_object(
        self, value: object, path: str, keys: tuple[tuple[str, ...], tuple[str, ...]]
    ) -> Mapping[str, Any] | _Invalid:
        """Check an object with fixed keys, reporting each missing and unknown key.

        The object is returned even with missing or unknown keys, so that its
        other values get checked too.
        """
        fields = self.read_mapping(value, path)
        if isinstance(fields, _Invalid):
            return _INVALID
        self.check_keys(fields, path, keys)
        return fields

    def check_keys(
        self, fields: Mapping[str, Any], path: str, keys: tuple[tuple[str, ...], tuple[str, ...]]
    ) -> None:
        """Report each missing required key and each key that is neither required nor optional."""
        required, optional = keys
        allowed = (*required, *optional)
        for key in required:
            if key not in fields:
                self.problem(_key_path(path, key), "required key is missing")
        for key in fields:
            if key in allowed:
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"unknown key{hint}; allowed keys here are {', '.join(allowed)}"
            self.problem(_key_path(path, key), message)

    def read_field(
        self,
        fields: Mapping[str, Any],
        key: str,
        path: str,
        read: Callable[[Any, str], T | _Invalid],
    ) -> T | _Invalid:
        """Read ``fields[key]`` with ``read``, or return ``_INVALID`` if the key is missing.

        A missing key is not reported here, because :meth:`read_object` reported it.
        """
        if key not in fields:
            return _INVALID
        return read(fields[key], _key_path(path, key))

    def read_string(self, value: object, path: str) -> str | _Invalid:
        if isinstance(value, str):
            return value
        self.problem(path, f"must be a string; got {_describe(value)}")
        return _INVALID

    def read_optional_string(self, value: object, path: str) -> str | _Invalid | None:
        return None if value is None else self.read_string(value, path)

    def read_boolean(self, value: object, path: str) -> bool | _Invalid:
        if isinstance(value, bool):
            return value
        self.problem(path, f"must be true or false; got {_describe(value)}")
        return _INVALID

    def read_number(self, value: object, path: str) -> float | _Invalid:
        """Return a JSON number as a float, rejecting booleans, NaN and infinities."""
        if isinstance(value, _NonFiniteLiteral):
            message = f"must be a finite number; got {value.text}, which JSON does not allow"
            self.problem(path, message)
            return _INVALID
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(path, f"must be a number; got {_describe(value)}")
            return _INVALID
        try:
            number = float(value)
        except OverflowError:
            message = f"must be a number that fits a 64-bit float; got {_shorten(str(value))}"
            self.problem(path, message)
            return _INVALID
        if not math.isfinite(number):
            self.problem(path, f"must be a finite number; got {value!r}")
            return _INVALID
        return number

    def read_integer(self, value: object, path: str) -> int | _Invalid:
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(path, f"must be an integer; got {_describe(value)}")
            return _INVALID
        return value

    def read_array(self, value: object, path: str) -> Sequence[Any] | _Invalid:
        if isinstance(value, list | tuple):
            return value
        self.problem(path, f"must be an array; got {_describe(value)}")
        return _INVALID

    def read_items(
        self, value: object, path: str, read: Callable[[Any, str], T | _Invalid]
    ) -> list[T] | _Invalid:
        """Read every item of an array with ``read``, reporting each bad item."""
        items = self.read_array(value, path)
        if isinstance(items, _Invalid):
            return _INVALID
        results = [read(item, _index_path(path, i)) for i, item in enumerate(items)]
        valid = [result for result in results if not isinstance(result, _Invalid)]
        return valid if len(valid) == len(results) else _INVALID

    def read_numbers(self, value: object, path: str) -> list[float] | _Invalid:
        return self.read_items(value, path, self.read_number)

    def read_strings(self, value: object, path: str) -> list[str] | _Invalid:
        return self.read_items(value, path, self.read_string)

    def build(
        self, factory: Callable[..., T], arguments: Mapping[str, Any], path: str
    ) -> T | _Invalid:
        """Call ``factory(**arguments)`` unless an argument is invalid.

        The error of a rejected value is recorded at ``path``, the path of the object
        being built, with the message of the model class.
        """
        if any(isinstance(argument, _Invalid) for argument in arguments.values()):
            return _INVALID
        try:
            return factory(**arguments)
        except (InvalidInputError, InvalidTypeError) as error:
            self.problem(path, str(error))
            return _INVALID

    # -- envelope ---------------------------------------------------------------------

    def check_format(self, envelope: Mapping[str, Any]) -> bool:
        """Return whether ``format`` is the model-file format, and report it if not."""
        if "format" not in envelope:
            return False
        value = envelope["format"]
        if value != MODEL_FORMAT:
            message = (
                f"must be {MODEL_FORMAT!r}; got {_describe(value)}, so this is not a model file"
            )
            self.problem("format", message)
            return False
        return True

    def check_schema_version(self, envelope: Mapping[str, Any]) -> list[tuple[str, str]] | None:
        """Check ``schema_version`` and return the notice for a newer minor version.

        Returns None when the document cannot be read: the version is missing,
        malformed or of another major version.
        """
        if "schema_version" not in envelope:
            return None
        value = envelope["schema_version"]
        match = _SCHEMA_VERSION_PATTERN.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            message = (
                f"must be a string 'MAJOR.MINOR' such as {SCHEMA_VERSION!r}; "
                f"got {_describe(value)}"
            )
            self.problem("schema_version", message)
            return None
        major, minor = int(match[1]), int(match[2])
        if major != SCHEMA_MAJOR:
            message = (
                f"schema version {value} is not supported by healthscore "
                f"{healthscore.__version__} (supports {SCHEMA_MAJOR}.x)"
            )
            if major > SCHEMA_MAJOR:
                message += "; upgrade healthscore to read this file"
            self.problem("schema_version", message)
            return None
        if minor > SCHEMA_MINOR:
            message = (
                f"schema version {value} is newer than the {SCHEMA_VERSION} that healthscore "
                f"{healthscore.__version__} supports; upgrade healthscore to read every "
                f"feature of the file"
            )
            return [("schema_version", message)]
        return []

    def check_library_version(self, envelope: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Check ``healthscore_version`` and return a notice if a newer release wrote it."""
        if "healthscore_version" not in envelope:
            return []
        path = "healthscore_version"
        value = self.read_string(envelope[path], path)
        if isinstance(value, _Invalid):
            return []
        written_by = _release_of(value)
        if written_by is None:
            self.problem(path, f"must be a version such as '0.1.0'; got {_describe(value)}")
            return []
        running = _running_release()
        if running is None or written_by <= running:
            return []
        message = (
            f"the model was written by healthscore {value}, which is newer than the running "
            f"healthscore {healthscore.__version__}; upgrade healthscore if the model relies "
            f"on a newer feature"
        )
        return [(path, message)]

    def check_checksum(
        self, envelope: Mapping[str, Any], canonical: bytes | None, *, from_file: bool
    ) -> None:
        """Compare the stored checksum with the one of the model's canonical JSON."""
        if "checksum" not in envelope:
            if from_file:
                remedy = (
                    "save_model always writes one. To accept a hand-written file, run "
                    "healthscore.seal_model_file on it"
                )
            else:
                remedy = (
                    "scorer_to_dict always writes one. For a document built by hand, pass "
                    "verify_checksum=False"
                )
            self.problem("checksum", f"required key is missing; {remedy}")
            return
        stored = self.read_string(envelope["checksum"], "checksum")
        if isinstance(stored, _Invalid):
            return
        if not _CHECKSUM_PATTERN.fullmatch(stored):
            message = (
                f"must be 'sha256:' followed by 64 lowercase hex digits; got {_describe(stored)}"
            )
            self.problem("checksum", message)
            return
        if canonical is None:
            return
        found = "sha256:" + hashlib.sha256(canonical).hexdigest()
        if found == stored:
            return
        if from_file:
            cause = "the file was edited or corrupted after it was written"
            remedy = (
                "Restore the saved file, or accept a deliberate edit with "
                "healthscore.seal_model_file"
            )
        else:
            cause = "the document was changed after it was written"
            remedy = "For a document built or edited by hand, pass verify_checksum=False"
        message = (
            f"does not match the model: expected {stored} (stored), found {found} "
            f"(computed from the model), so {cause}. {remedy}"
        )
        self.problem("checksum", message)

    # -- model objects ----------------------------------------------------------------

    def read_model(self, value: object, path: str) -> Scorer | _Invalid:
        fields = self.read_object(value, path, _MODEL_KEYS)
        if isinstance(fields, _Invalid):
            return _INVALID
        arguments = {
            "id_column": self.read_field(fields, "id_column", path, self.read_optional_string),
            "segments": self.read_field(fields, "segments", path, self.read_segments),
            "default": self.read_field(fields, "default", path, self.read_optional_segment),
        }
        return self.build(Scorer, arguments, path)

    def read_segments(self, value: object, path: str) -> list[SegmentModel] | _Invalid:
        return self.read_items(value, path, self.read_segment)

    def read_optional_segment(self, value: object, path: str) -> SegmentModel | _Invalid | None:
        return None if value is None else self.read_segment(value, path)

    def read_segment(self, value: object, path: str) -> SegmentModel | _Invalid:
        fields = self.read_object(value, path, _SEGMENT_KEYS)
        if isinstance(fields, _Invalid):
            return _INVALID
        arguments = {
            "name": self.read_field(fields, "name", path, self.read_string),
            "version": self.read_field(fields, "version", path, self.read_string),
            "rule": self.read_field(fields, "rule", path, self.read_rule),
            "signals": self.read_field(fields, "signals", path, self.read_signals),
            "weights": self.read_field(fields, "weights", path, self.read_weights),
            "bands": self.read_field(fields, "bands", path, self.read_bands),
            "min_coverage": self.read_field(fields, "min_coverage", path, self.read_number),
            "missing_policy": self.read_field(fields, "missing_policy", path, self.read_string),
        }
        if "description" in fields:
            arguments["description"] = self.read_field(
                fields, "description", path, self.read_string
            )
        return self.build(SegmentModel, arguments, path)

    def read_rule(self, value: object, path: str) -> Rule | _Invalid:
        conditions = self.read_items(value, path, self.read_condition)
        return self.build(Rule, {"conditions": conditions}, path)

    def read_condition(self, value: object, path: str) -> Condition | _Invalid:
        fields = self.read_object(value, path, _CONDITION_KEYS)
        if isinstance(fields, _Invalid):
            return _INVALID
        arguments = {
            "column": self.read_field(fields, "column", path, self.read_string),
            "op": self.read_field(fields, "op", path, self.read_string),
            "value": self.read_field(fields, "value", path, self.read_rule_value),
        }
        return self.build(Condition, arguments, path)

    def read_rule_value(
        self, value: object, path: str
    ) -> str | float | tuple[str | float, ...] | _Invalid:
        if isinstance(value, list | tuple):
            items: list[str | float] | _Invalid = self.read_items(
                value, path, self.read_rule_scalar
            )
            return items if isinstance(items, _Invalid) else tuple(items)
        return self.read_rule_scalar(value, path)

    def read_rule_scalar(self, value: object, path: str) -> str | float | _Invalid:
        if isinstance(value, str):
            return value
        if isinstance(value, int | float | _NonFiniteLiteral) and not isinstance(value, bool):
            return self.read_number(value, path)
        message = (
            f"must be a string or a number, or an array of those for 'in' and 'not in'; "
            f"got {_describe(value)}"
        )
        self.problem(path, message)
        return _INVALID

    def read_signals(self, value: object, path: str) -> list[Signal] | _Invalid:
        return self.read_items(value, path, self.read_signal)

    def read_signal(self, value: object, path: str) -> Signal | _Invalid:
        fields = self.read_object(value, path, _SIGNAL_KEYS)
        if isinstance(fields, _Invalid):
            return _INVALID
        arguments = {
            "name": self.read_field(fields, "name", path, self.read_string),
            "column": self.read_field(fields, "column", path, self.read_string),
            "higher_is_better": self.read_field(
                fields, "higher_is_better", path, self.read_boolean
            ),
            "normaliser": self.read_field(fields, "normaliser", path, self.read_normaliser),
        }
        if "max_age_days" in fields:
            arguments["max_age"] = self.read_field(fields, "max_age_days", path, self.read_max_age)
        if "description" in fields:
            arguments["description"] = self.read_field(
                fields, "description", path, self.read_string
            )
        return self.build(Signal, arguments, path)

    def read_max_age(self, value: object, path: str) -> dt.timedelta | _Invalid | None:
        """Read ``max_age_days``, a number of days, where null means no limit.

        Fractional days are accepted because ``Signal.to_dict`` writes a
        ``timedelta`` of any length as a float number of days.
        """
        if value is None:
            return None
        days = self.read_number(value, path)
        if isinstance(days, _Invalid):
            return _INVALID
        if abs(days) > _MAX_DAYS:
            self.problem(path, f"must be at most {_MAX_DAYS} days; got {days!r}")
            return _INVALID
        return dt.timedelta(days=days)

    def read_normaliser(self, value: object, path: str) -> Normaliser | _Invalid:
        fields = self.read_mapping(value, path)
        if isinstance(fields, _Invalid):
            return _INVALID
        kind_path = _key_path(path, "kind")
        if "kind" not in fields:
            self.problem(kind_path, "required key is missing")
            return _INVALID
        kind = self.read_string(fields["kind"], kind_path)
        if isinstance(kind, _Invalid):
            return _INVALID
        if kind not in _NORMALISER_KEYS:
            message = (
                f"unknown normaliser kind {kind!r}; expected one of "
                f"{', '.join(repr(known) for known in _NORMALISER_KEYS)}"
            )
            self.problem(kind_path, message)
            return _INVALID
        self.check_keys(fields, path, _NORMALISER_KEYS[kind])

        factory: Callable[..., Normaliser]
        arguments: dict[str, Any]
        if kind in (LinearRange.kind, LogScale.kind):
            factory = LinearRange if kind == LinearRange.kind else LogScale
            arguments = {
                "low": self.read_field(fields, "low", path, self.read_number),
                "high": self.read_field(fields, "high", path, self.read_number),
            }
        elif kind == ThresholdBands.kind:
            factory = ThresholdBands
            arguments = {
                "edges": self.read_field(fields, "edges", path, self.read_numbers),
                "scores": self.read_field(fields, "scores", path, self.read_numbers),
            }
        else:
            factory = PercentileRank
            arguments = {
                "n_quantiles": self.read_field(fields, "n_quantiles", path, self.read_integer)
            }
            # Both are absent (or quantiles is null) while the reference is unfitted.
            if fields.get("quantiles") is not None:
                arguments["quantiles"] = self.read_field(
                    fields, "quantiles", path, self.read_numbers
                )
            if "n_reference" in fields:
                arguments["n_reference"] = self.read_field(
                    fields, "n_reference", path, self.read_integer
                )
        return self.build(factory, arguments, path)

    def read_weights(self, value: object, path: str) -> dict[str, float] | _Invalid:
        fields = self.read_mapping(value, path)
        if isinstance(fields, _Invalid):
            return _INVALID
        weights: dict[str, float] = {}
        for name, weight in fields.items():
            number = self.read_number(weight, _key_path(path, name))
            if not isinstance(number, _Invalid):
                weights[name] = number
        return weights if len(weights) == len(fields) else _INVALID

    def read_bands(self, value: object, path: str) -> Bands | _Invalid:
        fields = self.read_object(value, path, _BANDS_KEYS)
        if isinstance(fields, _Invalid):
            return _INVALID
        arguments = {
            "names": self.read_field(fields, "names", path, self.read_strings),
            "edges": self.read_field(fields, "edges", path, self.read_numbers),
            "closed": self.read_field(fields, "closed", path, self.read_string),
        }
        return self.build(Bands, arguments, path)
