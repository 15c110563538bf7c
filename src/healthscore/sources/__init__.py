"""Data sources: where snapshots of accounts come from.

A data source is any object with an ``accounts(as_of)`` method that returns an
:class:`~healthscore.Accounts` for that date (the :class:`DataSource` protocol).
The shipped sources read columns in memory (:class:`MemorySource`), CSV files
(:class:`CSVSource`) and DB-API 2.0 connections (:class:`SQLSource`), and
:func:`parse_source_uri` builds one from a SQLite URI or a CSV path. Check a
custom source with :func:`healthscore.testing.check_data_source`.
"""

from __future__ import annotations

from healthscore.sources._csv import CSVSource
from healthscore.sources._memory import MemorySource
from healthscore.sources._protocol import DataSource
from healthscore.sources._sql import SQLSource
from healthscore.sources._uri import parse_source_uri

__all__ = ["CSVSource", "DataSource", "MemorySource", "SQLSource", "parse_source_uri"]
