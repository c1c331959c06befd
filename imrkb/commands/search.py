"""``imrkb search QUERY [filters] [--limit N] [--json]``: ranked precedents with their tally and facets."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import UsageError

#: Options that are the same filters as ``name:value`` inside the query.
FILTER_OPTIONS = {
    "outcome": "upheld or overturned",
    "guideline": "guideline id, optional chapter and page or topic: mtus-acoem:8:178, odg:low-back:MRI",
    "year": "decision year or range: 2016, 2015..2017",
    "category": "inferred treatment category or subcategory, e.g. Pharmaceuticals, Opioids",
    "specialty": "reviewer specialty, e.g. 'Family Practice' (a unique part is enough)",
    "state": "reviewer's state of licensure",
}


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "search",
        help="search the precedents: ranked items with the outcome tally and facets",
        description=(
            "Search every indexed item. QUERY words must all match (item, rationale, citations, summary); "
            '"quoted phrases" match in order; -word excludes; name:value filters: outcome:, guideline:, '
            "year:, category:, specialty:, state:, decision: (the options below add the same filters). "
            "Prints the tally (items, upheld, overturned), facet counts by outcome, year and guideline, "
            "then the ranked items with their citations and a snippet of the rationale. Needs "
            "`imrkb index`. Exit status: 0 done (also when nothing matched), 2 bad query or no index."
        ),
    )
    p.add_argument("query", nargs="*", metavar="QUERY", help="words, phrases and name:value filters")
    for name, text in FILTER_OPTIONS.items():
        p.add_argument(f"--{name}", metavar=name.upper(), help=text)
    p.add_argument("--limit", "-n", type=int, default=10, help="how many items to list (default: 10)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..search.searching import PrecedentIndex

    if args.limit < 0:
        raise UsageError(f"--limit must be 0 or more, got {args.limit}")
    text = " ".join(args.query)
    options = {name: getattr(args, name) for name in FILTER_OPTIONS}
    with PrecedentIndex(args.root) as index:
        result = index.search(text, options, limit=args.limit)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print_text(result.to_json(), bold=sys.stdout.isatty())
    return 0


def _mark(parts: list[dict[str, Any]], bold: bool) -> str:
    on, off = ("\x1b[1m", "\x1b[0m") if bold else ("«", "»")
    return "".join(f"{on}{p['text']}{off}" if p["hit"] else p["text"] for p in parts)


def print_text(r: dict[str, Any], bold: bool = False) -> None:
    """The human form of a search result (the JSON form, rendered)."""
    print(r["tally"]["text"])
    for name, values in r["facets"].items():
        if values:
            shown = ", ".join(f"{v['label']} {v['count']:,}" for v in values[:8])
            more = f", ... ({len(values) - 8} more)" if len(values) > 8 else ""
            print(f"  {name}: {shown}{more}")
    for rank, h in enumerate(r["hits"], 1):
        print()
        print(
            f"{rank}. {h['decision']} #{h['item_number']}  {h['date'] or 'undated'}  {h['outcome'].upper()}"
        )
        print(f"   {h['item']}")
        if h["original_request"]:
            print(f"   (original request: {h['original_request']})")
        cites = "; ".join(c["label"] for c in h["citations"]) or "none"
        print(f"   cites: {cites}")
        print(f"   {_mark(h['snippet_parts'], bold)}")
