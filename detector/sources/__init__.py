"""Native platform exports of likers, read into the data contract.

Each module reads one source and says which platform field becomes which contract column;
:mod:`detector.sources.registry` lists them, detects which one a folder is and makes the table.
"""

from __future__ import annotations

from detector.sources._layout import Export, Source
from detector.sources.registry import SOURCES, detect_source, read_source

__all__ = ["SOURCES", "Export", "Source", "detect_source", "read_source"]
