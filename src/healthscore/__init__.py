"""Customer health scores that keep working from 500 to 5 million accounts.

The public API lives in this namespace; the submodules ``exceptions``, ``sources``
and ``testing`` are public too.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from healthscore._accounts import STANDARD_ATTRIBUTES, Accounts
from healthscore._export import escape_cell, write_scores_csv
from healthscore._scoring import Scorer, Scores, ScoreStatus
from healthscore._segments import Bands, Condition, Rule, SegmentModel
from healthscore._serialization import (
    load_model,
    save_model,
    scorer_from_dict,
    scorer_to_dict,
    seal_model_file,
)
from healthscore._signals import LinearRange, LogScale, PercentileRank, Signal, ThresholdBands

try:
    __version__ = version("healthscore")
except PackageNotFoundError:  # pragma: no cover - only when running from a bare checkout
    __version__ = "0+unknown"

__all__ = [
    "STANDARD_ATTRIBUTES",
    "Accounts",
    "Bands",
    "Condition",
    "LinearRange",
    "LogScale",
    "PercentileRank",
    "Rule",
    "ScoreStatus",
    "Scorer",
    "Scores",
    "SegmentModel",
    "Signal",
    "ThresholdBands",
    "__version__",
    "escape_cell",
    "load_model",
    "save_model",
    "scorer_from_dict",
    "scorer_to_dict",
    "seal_model_file",
    "write_scores_csv",
]
