"""``GET /api/search?q=...&outcome=...``: the JSON search endpoint of ``imrkb serve``.

Parameters: ``q`` (the query language of :mod:`imrkb.search.query`), the filters ``outcome``,
``guideline``, ``year``, ``category``, ``specialty``, ``state``, and ``limit`` (1-100, default 10). The body
is what ``imrkb search --json`` prints; a bad query is ``400 {"error": "..."}``, a missing index
``503``. The index is the one under the server's working folder (``.imrkb/index``), reopened when a
writer publishes a new version. Letter text is returned as JSON strings only (never markup).
"""

from __future__ import annotations

import json
import threading
from http import HTTPStatus
from pathlib import Path
from typing import Any

from ..errors import ImrkbError, UsageError
from .store import IndexMissingError

FILTERS = ("outcome", "guideline", "year", "category", "specialty", "state")
MAX_LIMIT = 100
JSON = "application/json; charset=utf-8"

_lock = threading.Lock()
_index: Any = None


def _json(status: int, data: Any) -> tuple[int, str, bytes]:
    return status, JSON, json.dumps(data, ensure_ascii=False).encode("utf-8")


def search_response(params: dict[str, list[str]], root: Path = Path(".")) -> tuple[int, str, bytes]:
    """``(status, content type, body)`` for one request's query parameters."""
    global _index
    from .searching import PrecedentIndex

    def one(name: str) -> str | None:
        values = params.get(name) or []
        return values[-1] if values else None

    try:
        raw_limit = one("limit") or "10"
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise UsageError(f"limit: must be a whole number from 1 to {MAX_LIMIT}")
        unknown = sorted(set(params) - {"q", "limit", *FILTERS})
        if unknown:
            raise UsageError(f"unknown parameter {unknown[0]!r}; parameters: q, limit, {', '.join(FILTERS)}")
        with _lock:  # one Whoosh searcher, used by one request at a time
            if _index is None or Path(_index.root) != root:
                _index = PrecedentIndex(root)
            else:
                _index.refresh()
            result = _index.search(one("q") or "", {f: one(f) for f in FILTERS}, limit=int(raw_limit))
        return _json(HTTPStatus.OK, result.to_json())
    except UsageError as e:
        return _json(HTTPStatus.BAD_REQUEST, {"error": str(e)})
    except IndexMissingError as e:
        return _json(HTTPStatus.SERVICE_UNAVAILABLE, {"error": str(e)})
    except ImrkbError as e:
        return _json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(e)})
