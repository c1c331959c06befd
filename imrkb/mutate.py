"""Seeded mutations of letter text and bytes, for fuzzing the parser (tests and ``bench/fuzz.py``).

Each mutation is a small, named, pure function of (data, rng); ``mutate`` applies a few at random.
"""

from __future__ import annotations

import random
from collections.abc import Callable

JUNK = (
    "\x00", "\ufffd", "Upheld", "Overturned", ":", "Decision based on", "Non-MTUS Citation", "Section(s):",
    "Page(s):", "MTUS", "ODG", "(", ")", "\n\n", "\f", "Case Number:", "99/99/9999", "02/30/2016",
    "IMR ISSUES, DECISIONS AND RATIONALES", "Claims Administrator guideline:", "1)", "-\n", "\u202e",
    "{{7*7}}", "<script>alert(1)</script>", "!!python/object:os.system", "\t" * 50, "%PDF-1.7",
)


def _span(n: int, rng: random.Random) -> tuple[int, int]:
    a = rng.randrange(n + 1)
    return a, min(n, a + rng.randrange(1, 400))


def delete_span(s: str, rng: random.Random) -> str:
    a, b = _span(len(s), rng)
    return s[:a] + s[b:]


def duplicate_span(s: str, rng: random.Random) -> str:
    a, b = _span(len(s), rng)
    return s[:b] + s[a:b] + s[b:]


def insert_junk(s: str, rng: random.Random) -> str:
    a = rng.randrange(len(s) + 1)
    return s[:a] + rng.choice(JUNK) + s[a:]


def swap_lines(s: str, rng: random.Random) -> str:
    lines = s.split("\n")
    if len(lines) > 1:
        i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def truncate(s: str, rng: random.Random) -> str:
    return s[: rng.randrange(len(s) + 1)]


def shuffle_case(s: str, rng: random.Random) -> str:
    a, b = _span(len(s), rng)
    return s[:a] + s[a:b].swapcase() + s[b:]


TEXT_MUTATIONS: dict[str, Callable[[str, random.Random], str]] = {
    f.__name__: f for f in (delete_span, duplicate_span, insert_junk, swap_lines, truncate, shuffle_case)
}


def mutate(text: str, rng: random.Random, rounds: int = 3) -> str:
    """``text`` after 1..``rounds`` random mutations."""
    for _ in range(rng.randint(1, rounds)):
        text = rng.choice(list(TEXT_MUTATIONS.values()))(text, rng)
    return text


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Flip, drop or truncate bytes of a file (e.g. a PDF)."""
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        kind = rng.randrange(3)
        if not b:
            break
        i = rng.randrange(len(b))
        if kind == 0:
            b[i] = rng.randrange(256)
        elif kind == 1:
            del b[i : i + rng.randrange(1, 64)]
        else:
            del b[rng.randrange(len(b)) :]
    return bytes(b)
