"""Precedent search: a Whoosh index over every disputed item, searchable by text, guideline page, outcome.

Stages, one module each: :mod:`.schema` (the index fields) → :mod:`.documents` (records → one document per
item, pure) → :mod:`.store` (versioned index folders, atomic swap, writer lock) → :mod:`.indexer`
(incremental build) → :mod:`.query` (the query language) → :mod:`.postings`, :mod:`.bitmaps` and
:mod:`.ranking` (match sets as bitmaps, and their order) → :mod:`.searching` (tally, facets, snippets) →
:mod:`.stats`, :mod:`.api` (``/api/search``); :mod:`.evaluate` judges relevance on a synthetic corpus.
"Similar decisions" do not use Whoosh: :mod:`.profiles` (a decision's terms and signature) →
:mod:`.neighbours` (every decision's exact top 5) → :mod:`.neighbour_table` (kept on disk, updated
exactly) → :mod:`.similar`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PrecedentIndex", "update_index"]


def __getattr__(name: str) -> Any:  # lazy: `imrkb --help` should not load Whoosh
    if name == "PrecedentIndex":
        from .searching import PrecedentIndex

        return PrecedentIndex
    if name == "update_index":
        from .indexer import update_index

        return update_index
    raise AttributeError(name)
