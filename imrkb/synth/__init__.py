"""Synthetic IMR letters: seeded records, letters in every known layout, PDF-extraction damage, PDFs.

Stages, one module each: :mod:`~imrkb.synth.vocab` (the vocabulary in ``vocab.yaml``, checked against the
guideline catalog) → :mod:`~imrkb.synth.cite` (citations written from the catalog) →
:mod:`~imrkb.synth.generate` (the :class:`~imrkb.models.Decision` records) → :mod:`~imrkb.synth.render`
(letter text per layout) → :mod:`~imrkb.synth.damage` (extraction damage, pages) → :mod:`~imrkb.synth.pdf`
(encrypted PDFs) → :mod:`~imrkb.synth.corpus` (files on disk).

Every record says ``synthetic: true``; case numbers are ``SYN`` + two-digit year + ``-`` + seven digits, and
every letter's first line is :data:`MARKER`.
"""

from __future__ import annotations

from .corpus import FORMATS, render_letter, write_corpus
from .damage import STEPS
from .generate import LAYOUTS, MARKER, SynthLetter, generate

__all__ = [
    "FORMATS",
    "LAYOUTS",
    "MARKER",
    "STEPS",
    "SynthLetter",
    "generate",
    "render_letter",
    "write_corpus",
]
