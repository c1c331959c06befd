#!/usr/bin/env python3
"""Fuzz the parser for a while and count: mutated synthetic letters (text and PDF bytes), the seed letter,
and random bytes. Any exception other than LetterError is printed with the input that caused it.

usage: bench/fuzz.py [--seconds 60] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imrkb.citations import extract_citations  # noqa: E402
from imrkb.errors import LetterError  # noqa: E402
from imrkb.mutate import mutate, mutate_bytes  # noqa: E402
from imrkb.parse import parse_bytes, parse_text  # noqa: E402
from imrkb.synth.corpus import render_letter  # noqa: E402
from imrkb.synth.generate import generate  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    texts = [(ROOT / "tests/letters/seed-2015.txt").read_text()]
    texts += [render_letter(x, "txt").data.decode() for x in generate(50, seed=a.seed)]
    pdfs = [render_letter(x, "pdf").data for x in generate(5, seed=a.seed)]
    kinds = ("text mutants", "pdf mutants", "random bytes", "parsed", "rejected", "crashes")
    counts = dict.fromkeys(kinds, 0)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        kind = rng.randrange(10)
        try:
            if kind < 7:
                counts["text mutants"] += 1
                t = mutate(rng.choice(texts), rng)
                extract_citations(t)
                parse_text(t, "mutant.txt")
            elif kind < 9:
                counts["pdf mutants"] += 1
                parse_bytes(mutate_bytes(rng.choice(pdfs), rng), "mutant.pdf")
            else:
                counts["random bytes"] += 1
                parse_bytes(rng.randbytes(rng.randrange(1, 5000)), "random.bin")
            counts["parsed"] += 1
        except LetterError:
            counts["rejected"] += 1
        except Exception:
            counts["crashes"] += 1
            traceback.print_exc()
    total = counts["text mutants"] + counts["pdf mutants"] + counts["random bytes"]
    print(f"{total} inputs in {a.seconds:.0f} s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 1 if counts["crashes"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
