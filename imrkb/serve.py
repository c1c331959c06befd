"""``imrkb serve``: the built site on 127.0.0.1, for a local look (not a production server).

Static files come from the site folder. Dynamic routes live in :data:`ROUTES`: a route is a path and a
function ``(handler, query) -> (status, content_type, body)``; add one with :func:`route` (the search
helper adds ``/api/search`` here).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .errors import ImrkbError

Handler = Callable[["SiteHandler", dict[str, list[str]]], tuple[int, str, bytes]]

#: Dynamic routes by exact path. Everything else is a static file of the site.
ROUTES: dict[str, Handler] = {}


def route(path: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` for GET ``path`` (exact match, query string parsed)."""

    def deco(fn: Handler) -> Handler:
        ROUTES[path] = fn
        return fn

    return deco


class SiteHandler(SimpleHTTPRequestHandler):
    """Static files of the site, plus :data:`ROUTES`; quiet unless something fails."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".yaml": "text/plain; charset=utf-8",
        ".jsonl": "application/jsonl; charset=utf-8",
        ".csv": "text/csv; charset=utf-8",
        ".xml": "application/xml",
        "": "application/octet-stream",
    }

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        fn = ROUTES.get(parts.path)
        if fn is None:
            super().do_GET()
            return
        status, ctype, body = fn(self, parse_qs(parts.query))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        if args and str(args[1] if len(args) > 1 else "").startswith(("4", "5")):
            sys.stderr.write(f"imrkb serve: {self.address_string()} {format % args}\n")


def make_server(site: Path, port: int = 8000, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server for ``site`` bound to ``host:port`` (port 0 picks a free one)."""
    if not (site / "index.html").is_file():
        raise ImrkbError(f"{site}: no built site here (run `imrkb build` first)")
    handler = functools.partial(SiteHandler, directory=str(site))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as e:
        raise ImrkbError(f"cannot listen on {host}:{port}: {e.strerror}") from None


@route("/healthz")
def _health(handler: SiteHandler, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
    return HTTPStatus.OK, "text/plain; charset=utf-8", b"ok\n"


@route("/api/search")
def _api_search(handler: SiteHandler, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
    """JSON precedent search over the index in the working folder (see :mod:`imrkb.search.api`)."""
    from .search.api import search_response

    return search_response(query)
