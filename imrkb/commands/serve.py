"""``imrkb serve [--port N] [--site DIR]``: serve the built site on 127.0.0.1."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="serve the built site on 127.0.0.1", description=__doc__)
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--site", type=Path, default=Path("site"), help="built site folder (default: ./site)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..serve import make_server

    server = make_server(args.site, args.port)
    host, port = server.server_address[:2]
    print(f"imrkb serve: http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
