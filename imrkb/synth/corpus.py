"""Writing synthetic corpora: records (``yaml``), letters with their expected records (``txt``, ``pdf``).

``yaml``  ``DIR/<year>/<id>.yaml``, the decisions tree ``imrkb ingest`` would write for the letters.
``txt``   ``DIR/<id>.txt`` (the letter as PDF extraction leaves it) and ``DIR/<id>.expected.yaml``.
``pdf``   ``DIR/<id>.pdf`` (encrypted, 2-4 pages) and ``DIR/<id>.expected.yaml``.

A record's ``source`` names the letter file it stands for: ``<id>.txt`` with the SHA-256 of that text for
``yaml`` and ``txt`` (so a record and ``--format txt`` of the same seed agree), ``<id>.pdf`` with the PDF's
hash and page count for ``pdf``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..models import Decision, Source
from ..records import to_yaml
from .damage import STEPS, TEXT_ONLY, check_steps, damage, pages_text, random_steps
from .generate import Generator, SynthLetter
from .render import render_lines

FORMATS = ("yaml", "txt", "pdf")


@dataclass(frozen=True)
class Rendered:
    """One synthetic letter, ready to write."""

    decision: Decision  # with ``source`` filled in
    data: bytes  # the letter file (text or PDF); empty for ``yaml``
    steps: tuple[str, ...]


def parse_damage(spec: str) -> Callable[[random.Random], tuple[str, ...]]:
    """``random`` (each step at its usual rate), ``none``, ``all`` or a comma list of step names."""
    spec = spec.strip()
    if spec == "random":
        return random_steps
    if spec == "none":
        return lambda rng: ()
    if spec == "all":
        return lambda rng: STEPS
    steps = check_steps(s.strip() for s in spec.split(",") if s.strip())
    return lambda rng: steps


def render_letter(letter: SynthLetter, fmt: str, steps: Iterable[str] | None = None) -> Rendered:
    """Lay out, damage and (for ``pdf``) typeset one letter; fills the record's ``source``."""
    rng = random.Random(f"{letter.seed}/{letter.index}/damage")
    chosen = tuple(steps) if steps is not None else random_steps(rng)
    d = letter.decision
    lines = render_lines(letter)
    if fmt == "pdf":
        pdf_steps = tuple(s for s in chosen if s not in TEXT_ONLY)
        pages = damage(lines, pdf_steps, rng)
        from .pdf import letter_pdf  # fpdf takes 0.4 s to import: only when PDFs are written

        data = letter_pdf(pages, title=f"Synthetic IMR letter {d.id}", owner_password=f"synth-{letter.seed}")
        source = Source(f"{d.id}.pdf", hashlib.sha256(data).hexdigest(), len(pages))
        return Rendered(dataclasses.replace(d, source=source), data, pdf_steps)
    text = pages_text(damage(lines, chosen, rng)).encode("utf-8")
    source = Source(f"{d.id}.txt", hashlib.sha256(text).hexdigest(), None)
    return Rendered(dataclasses.replace(d, source=source), text if fmt == "txt" else b"", chosen)


def _write(path: Path, data: bytes) -> None:
    """Write via a temporary name and a rename, so no reader sees half a file.

    No fsync: a generated corpus is cheap to regenerate, and 100,000 fsyncs would dominate the run.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def _write_range(
    out: Path,
    seed: int,
    fmt: str,
    damage_spec: str,
    start: int,
    stop: int,
    on_letter: Callable[[Rendered], None] | None = None,
) -> int:
    """Write letters ``start`` to ``stop - 1`` of ``seed`` (each letter depends on its index only)."""
    draw = parse_damage(damage_spec)
    gen = Generator(seed)
    made: set[Path] = set()
    for i in range(start, stop):
        letter = gen.letter(i)
        steps = draw(random.Random(f"{seed}/{i}/steps"))
        r = render_letter(letter, fmt, steps)
        d = r.decision
        folder = out / d.year_folder if fmt == "yaml" else out
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        if fmt != "yaml":
            _write(out / d.source.file, r.data)
        _write(
            folder / (f"{d.id}.yaml" if fmt == "yaml" else f"{d.id}.expected.yaml"),
            to_yaml(d).encode("utf-8"),
        )
        if on_letter:
            on_letter(r)
    return stop - start


def _write_chunk(job: tuple[Path, int, str, str, int, int]) -> int:
    return _write_range(*job)


CHUNK = 500


def write_corpus(
    out: Path,
    count: int,
    seed: int,
    fmt: str = "yaml",
    *,
    damage_spec: str = "random",
    jobs: int = 1,
    chunk: int = CHUNK,
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """Generate ``count`` letters of ``seed`` into ``out`` with ``jobs`` processes; returns how many.

    The output does not depend on ``jobs``: letter ``i`` is drawn from its own seeded generator.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; valid: {', '.join(FORMATS)}")
    parse_damage(damage_spec)  # fail before any work on a bad step name
    if jobs <= 1 or count <= chunk:
        return _write_range(
            out, seed, fmt, damage_spec, 0, count, (lambda _: on_progress(1)) if on_progress else None
        )
    chunks = [(out, seed, fmt, damage_spec, a, min(count, a + chunk)) for a in range(0, count, chunk)]
    done = 0
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        for n in pool.imap_unordered(_write_chunk, chunks):
            done += n
            if on_progress:
                on_progress(n)
    return done
