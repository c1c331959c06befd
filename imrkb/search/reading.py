"""Record files -> index documents, each failure noted in the record's manifest entry.

A record is parsed from its bytes, or taken already parsed from a :data:`RecordLookup` (the site build's
record cache, see :class:`imrkb.site.recordcache.CachedRecords`) when the file is unchanged since.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import yaml

from .. import pii
from ..catalog import Catalog
from ..models import Decision
from ..records import from_dict, load_yaml_text
from .documents import Labels, decision_documents, labels_of

#: ``lookup(rel, stat)``: the parsed record of the file ``rel`` (relative to the root) as it was at
#: ``stat`` when it has no unresolved personal data, else ``None`` (the file is read and checked).
RecordLookup = Callable[[str, os.stat_result], Decision | None]

#: A record to index: ``(rel, bytes, manifest entry, stat or None)``; the stat (taken before reading, and
#: unchanged after) lets a :data:`RecordLookup` answer for the bytes.
Todo = tuple[str, bytes, dict[str, Any], os.stat_result | None]


def parse_record(rel: str, data: bytes) -> Decision:
    """The decision in a record file's bytes; :class:`ValueError` with ``path[:line]: problem`` otherwise."""
    try:
        raw = load_yaml_text(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ValueError(f"{rel}: not UTF-8 text (byte {e.start})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{rel}:{mark.line + 1}" if mark is not None else rel
        raise ValueError(f"{where}: YAML syntax error: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{rel}: not a decision record (expected a mapping)")
    try:
        return from_dict(raw)
    except KeyError as e:
        raise ValueError(f"{rel}: missing field {e.args[0]} (run `imrkb validate`)") from None
    except (TypeError, ValueError, AttributeError) as e:
        raise ValueError(f"{rel}: malformed record: {e} (run `imrkb validate`)") from None


def record_documents(
    todo: Iterable[Todo], catalog: Catalog, labels: Labels, lookup: RecordLookup | None = None
) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """``(rel, manifest entry, documents)`` of each record; a failure is noted in the entry, with no
    documents. Labels of the documents' filter terms are added to ``labels``."""
    for rel, data, entry, st in todo:
        d = lookup(rel, st) if lookup is not None and st is not None else None
        if d is None:
            try:
                d = parse_record(rel, data)
            except ValueError as e:
                yield rel, {**entry, "error": str(e), "items": 0}, []
                continue
            blocked = pii.unresolved(d)
            if blocked:  # the site's personal-data gate: what the site may not publish, search may not show
                kinds = ", ".join(sorted({f.kind for _, f in blocked}))
                problem = f"{rel}: withheld: unresolved personal data ({kinds}); see `imrkb validate`"
                yield rel, {**entry, "error": problem, "items": 0}, []
                continue
        docs = decision_documents(d, rel, catalog)
        labels_of(docs, labels)
        yield rel, {**entry, "id": d.id, "items": len(docs)}, docs
