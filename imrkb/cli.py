"""The ``imrkb`` command: a thin shell over the library.

Each subcommand lives in ``imrkb/commands/<name>.py`` with ``register(subparsers)`` that adds its parser
and sets ``func(args) -> int``. Library errors (:class:`~imrkb.errors.ImrkbError`) become one line on
stderr and their exit code; nothing else is caught, so bugs still show a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .errors import ImrkbError

COMMANDS = (
    "parse",
    "ingest",
    "validate",
    "synth",
    "build",
    "serve",
    "export",
    "index",
    "search",
    "similar",
    "stats",
    "remove",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imrkb", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"imrkb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ImrkbError as e:
        print(f"imrkb {args.command}: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"imrkb {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141
