"""The Atom feed of the newest decisions (``feed.xml``). XML-escaped text only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from .. import __version__
from .rows import DecisionRow

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _x(text: str) -> str:
    return escape(_CONTROL_RE.sub("", text))


def atom_feed(
    rows: Sequence[DecisionRow], site_url: str, *, title: str, now: dt.datetime | None = None
) -> str:
    """An Atom 1.0 document of ``rows`` (already newest first). ``site_url`` ends with ``/``."""
    base = site_url if site_url.endswith("/") else site_url + "/"
    stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{_x(title)}</title>",
        f"<id>{_x(base)}</id>",
        f'<link rel="self" href={quoteattr(base + "feed.xml")}/>',
        f'<link rel="alternate" type="text/html" href={quoteattr(base)}/>',
        f"<updated>{stamp}</updated>",
        f'<generator version="{__version__}">imrkb</generator>',
    ]
    for r in rows:
        updated = f"{r.date}T00:00:00Z" if r.date else stamp
        summary = f"{r.outcome_label}. {r.n_items} item{'s' if r.n_items != 1 else ''}: {r.first_item}"
        if r.synthetic:
            summary = "[Synthetic record] " + summary
        out += [
            "<entry>",
            f"<title>{_x(r.id + ': ' + r.first_item)}</title>",
            f"<id>{_x(base + r.url)}</id>",
            f'<link rel="alternate" type="text/html" href={quoteattr(base + r.url)}/>',
            f"<updated>{updated}</updated>",
            "<author><name>California DWC Independent Medical Review</name></author>",
            f"<summary>{_x(summary)}</summary>",
            "</entry>",
        ]
    out.append("</feed>")
    return "\n".join(out) + "\n"
