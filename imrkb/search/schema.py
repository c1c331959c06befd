"""The Whoosh schema of the precedent index: one document per disputed item.

Text fields share one stemming analyzer so a query word matches the same stem in every field. Filter
fields hold normalised terms (see :mod:`imrkb.search.documents` for how they are made and
:mod:`imrkb.search.query` for how queries produce the same terms).
"""

from __future__ import annotations

from whoosh.analysis import StemmingAnalyzer
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

#: Bumped whenever the schema or the way documents are made changes: a mismatch forces a full rebuild.
INDEX_FORMAT = 4

#: The analyzer of every free-text field (lower case, English stop words, Porter stems).
ANALYZER = StemmingAnalyzer()

#: Free-text fields searched by bare words and phrases, with their weight in the ranking.
TEXT_FIELDS: dict[str, float] = {
    "item": 4.0,
    "original_request": 2.0,
    "rationale": 1.0,
    "citations": 1.0,
    "summary": 0.3,
}


def _keywords() -> KEYWORD:
    return KEYWORD(lowercase=True, commas=False, scorable=False)


def build_schema() -> Schema:
    """A fresh schema object (Whoosh schemas are mutable, so each index gets its own)."""
    return Schema(
        uid=ID(unique=True, stored=True),  # "<decision id>#<item number>"
        decision=ID(stored=True),
        path=ID(stored=True),  # the record's path relative to the root, posix
        item=TEXT(analyzer=ANALYZER, stored=True),
        original_request=TEXT(analyzer=ANALYZER, stored=True),
        rationale=TEXT(analyzer=ANALYZER, stored=True),
        summary=TEXT(analyzer=ANALYZER, phrase=False),
        citations=TEXT(analyzer=ANALYZER, phrase=False),
        outcome=ID(stored=True),
        date=ID(stored=True, sortable=True),  # ISO date or "" when the letter has none
        year=ID(stored=True),
        month=ID(),  # "2016-05": lists newest first without sorting every match
        guideline=_keywords(),  # "<guideline>" and "<guideline>:<chapter>"
        page=_keywords(),  # "<guideline>:<chapter>:<page>" and "<guideline>:<page>"
        topic=_keywords(),  # "<guideline>:<word>" and "<guideline>:<chapter>:<word>"
        category=_keywords(),  # slugs of the inferred category, subcategory and both
        specialty=_keywords(),
        state=_keywords(),
        order=COLUMN(NumericColumn("q")),  # newest first, then a stable tie-break (see documents.order_key)
        facts=STORED(),  # display data for results: citations, category labels, reviewer
    )
