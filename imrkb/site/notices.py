"""The "removed" notice that stands at the URL of a taken-down decision (see :mod:`imrkb.takedown`).

It holds the id, the date of removal and links back into the site; nothing of the decision, not even
the reason for the removal. Its page is kept out of the sitemap (the build writes it with
``in_sitemap=False``) and out of the Pagefind index.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..takedown import Removal, load_ledger
from .html import attr, esc, rel


def notice(r: Removal) -> str:
    """The notice's HTML (escaped, relative links)."""
    url = r.url
    return (
        '<article class="imrkb-removed" data-pagefind-ignore="all">'
        f"<h1>{esc(r.id)}</h1>"
        '<p class="imrkb-removed-note" role="note"><strong>This decision has been removed.</strong> '
        f"It was taken down on {esc(r.removed.isoformat())} and is no longer published here, in the "
        "search, the lists, the statistics or the downloads.</p>"
        f'<p><a href="{attr(rel(url, "search/"))}">Search the decisions</a> · '
        f'<a href="{attr(rel(url, "browse/"))}">Browse</a></p>'
        "</article>"
    )


def notice_pages(root: Path) -> Iterator[tuple[str, str, str]]:
    """``(url, title, html)`` of every removed decision's notice."""
    for r in load_ledger(root).values():
        yield r.url, f"{r.id} (removed)", notice(r)
