"""The light rows that list pages are made of (no summaries or rationales: those stay on disk).

One :class:`ItemRow` per disputed item and one :class:`DecisionRow` per decision are kept in memory
during a build; at 100,000 decisions that is a few hundred bytes per item. They are named tuples:
a rebuild makes every row again from its kept form, and a tuple is made several times faster than a
frozen dataclass.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import ImrkbError
from ..models import Decision

#: Decision ids become file and URL names: letters, digits, ``.``, ``_`` and ``-`` only.
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")

#: Item text on list pages is cut to this many characters (the decision page has it all).
ITEM_CHARS = 200


def decision_url(d: Decision) -> str:
    """Site path of a decision's page, e.g. ``decisions/2016/CM16-0213037/``."""
    if not SAFE_ID.match(d.id):
        raise ImrkbError(f"decision id {d.id!r} cannot be used in a URL (letters, digits, . _ - only)")
    return f"decisions/{d.year_folder}/{d.id}/"


def short(text: str, n: int = ITEM_CHARS) -> str:
    """``text`` on one line, cut to ``n`` characters with an ellipsis."""
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1].rstrip() + "…"


class DecisionRow(NamedTuple):
    id: str
    url: str
    date: str  # ISO decision date, "" when unknown
    n_items: int
    n_overturned: int
    specialties: tuple[str, ...]
    synthetic: bool
    first_item: str

    @property
    def outcome_label(self) -> str:
        """Upheld / Overturned / Partially overturned, as DWC reports a case outcome."""
        if self.n_overturned == 0:
            return "Upheld"
        return "Overturned" if self.n_overturned == self.n_items else "Partially overturned"


class ItemRow(NamedTuple):
    decision_id: str
    url: str  # the decision page
    date: str
    index: int  # 1-based item number on the decision page
    item: str
    outcome: str
    category: str
    subcategory: str | None
    synthetic: bool

    @property
    def anchor_url(self) -> str:
        return f"{self.url}#item-{self.index}"


#: Digits inverted ("0" -> "z" ... "9" -> "q") so that an ascending sort puts later dates first.
_NEWEST_FIRST = str.maketrans("0123456789", "zyxwvutsrq")


def newest_first_key(row: DecisionRow | ItemRow) -> tuple[str, str, int]:
    """Sort key: newest date first (undated last), then id, then item number."""
    inv = (row.date or "0000-00-00").translate(_NEWEST_FIRST)
    if isinstance(row, ItemRow):
        return (inv, row.decision_id, row.index)
    return (inv, row.id, 0)
