#!/usr/bin/env python3
"""Personal-data gate throughput: records scanned per second (one process), and what it adds to validate.

usage: bench/pii.py [--count N] [--seed S]
Generates N synthetic records in memory (`imrkb.synth`), then times `pii.scan` over them and
`validate.check_text` with and without the gate.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imrkb import pii, validate  # noqa: E402
from imrkb.records import to_dict, to_yaml  # noqa: E402
from imrkb.synth import generate  # noqa: E402


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    decisions = [letter.decision for letter in generate(args.count, args.seed)]
    data = [to_dict(d) for d in decisions]
    texts = [(to_yaml(d), f"decisions/{d.year_folder}/{d.id}.yaml") for d in decisions]
    chars = sum(len(t) for d in data for _, t in pii.texts(d)) / len(data)
    pii.load_kinds()
    chapters = validate.known_chapters()

    t0 = time.perf_counter()
    found = sum(len(pii.scan(d)) for d in data)
    scan_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    for text, rel in texts:
        validate.check_text(text, rel, chapters)
    with_gate = time.perf_counter() - t0
    original, validate.check_pii = validate.check_pii, lambda record: []  # type: ignore[assignment]
    try:
        t0 = time.perf_counter()
        for text, rel in texts:
            validate.check_text(text, rel, chapters)
        without_gate = time.perf_counter() - t0
    finally:
        validate.check_pii = original  # type: ignore[assignment]

    print(f"{args.count} synthetic records, {chars:,.0f} characters of text each, {found} findings")
    print(f"pii.scan:             {rate(args.count, scan_s)} records")
    print(f"validate with gate:   {rate(args.count, with_gate)} records")
    print(f"validate without:     {rate(args.count, without_gate)} records")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
