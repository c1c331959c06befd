"""``imrkb remove ID --reason TEXT [--root DIR]``: take a decision down everywhere."""

from __future__ import annotations

import argparse
import sys

from . import add_root


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "remove",
        help="take a decision down: delete its record, keep a ledger entry, purge the search index",
        description=(
            "Delete ROOT/decisions/<year>/ID.yaml and record the removal in ROOT/removed/ID.yaml (id, date, "
            "reason; nothing of the content). The precedent search index (ROOT/.imrkb/index), if there is "
            "one, is rebuilt without the decision and its older versions deleted. The next `imrkb build` "
            "publishes a 'removed' notice at the decision's URL and leaves it out of every list, count, "
            "feed, sitemap, download and the Pagefind index; the reason is never published. Exit status: "
            "0 removed (or removed before: the index is purged again, which also finishes an interrupted "
            "removal), 2 no such decision or bad arguments, 75 the index is busy."
        ),
    )
    p.add_argument("id", metavar="ID", help="the decision id, e.g. CM16-0213037")
    p.add_argument("--reason", required=True, help="why it is taken down (kept in the ledger, not published)")
    add_root(p)
    p.set_defaults(func=run)


def purge_search_index(root) -> str | None:  # type: ignore[no-untyped-def]
    """Rebuild the Whoosh index from the records left and delete every other version of it (an older
    version still holds the removed text). ``None`` when there is no index."""
    from ..search import store
    from ..search.indexer import update_index

    home = store.index_home(root)
    if store.current(home) is None:
        return None
    report = update_index(root, full=True, progress=False)
    with store.writer_lock(home):
        live = store.current(home)
        for old in store.versions(home):
            if old != live:
                store.discard(old)
    return report.summary()


def run(args: argparse.Namespace) -> int:
    from ..takedown import AlreadyRemovedError, remove

    try:
        removal = remove(args.root, args.id, args.reason)
    except AlreadyRemovedError as e:  # run again (e.g. after an interrupted removal): purge the index again
        print(f"imrkb remove: {e}", file=sys.stderr)
    else:
        print(
            f"imrkb remove: {removal.id} removed ({removal.year_folder}); ledger entry "
            f"{args.root / 'removed' / (removal.id + '.yaml')}",
            file=sys.stderr,
        )
    summary = purge_search_index(args.root)
    if summary:
        print(f"imrkb remove: search index: {summary}", file=sys.stderr)
    print("imrkb remove: run `imrkb build` to publish the removal on the site", file=sys.stderr)
    return 0
