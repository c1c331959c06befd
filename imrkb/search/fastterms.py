"""A field's index terms without Whoosh's token stream: the same answer as ``field.index(text)``.

Whoosh analyses a text through a chain of generators that set attributes on one ``Token`` object per
word (tokenizer, lower case, stop words, stems), then a format groups the words; at 100,000
decisions this was the largest cost of the precedent index (172 of 514 CPU s in its process, py-spy).
:func:`terms_function` returns, for a text field whose analyzer is exactly the stemming chain
(``RegexTokenizer | LowercaseFilter | StopFilter | StemFilter``) and whose format is ``Positions`` or
``Frequency``, a function that does the same in one loop: the same terms in the same order, with the
same frequencies, weights and encoded values (positions numbered as ``StopFilter`` renumbers them:
the first kept word keeps its place among all words, each later kept word the next number). Any
other field gets ``None`` (the caller keeps Whoosh's own). ``tests/test_search_fastterms.py`` checks it
against ``field.index`` over a corpus's texts and edge cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh import formats
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.analyzers import CompositeAnalyzer

Term = tuple[bytes, int, float, bytes]


def _parts(analyzer: Any) -> tuple[RegexTokenizer, StopFilter, StemFilter] | None:
    """The tokenizer, stop filter and stem filter of exactly the stemming chain, else ``None``."""
    items = getattr(analyzer, "items", None)
    if type(analyzer) is not CompositeAnalyzer or items is None or len(items) != 4:
        return None
    tok, _, stop, stem = items
    kinds = (RegexTokenizer, LowercaseFilter, StopFilter, StemFilter)
    if any(type(x) is not k for x, k in zip(items, kinds, strict=True)):
        return None
    if tok.gaps or not stop.renumber:
        return None
    return tok, stop, stem


class _Terms(dict[str, str]):
    """Lower-cased word -> its term: its stem, or "" for a stop word (computed once a word, kept for
    up to 200,000 words)."""

    def __init__(self, stop: StopFilter, stemmer: StemFilter) -> None:
        super().__init__()
        self.stops, self.min, self.max = stop.stops, stop.min, stop.max
        self.ignore, self.stem = stemmer.ignore, stemmer._stem

    def __missing__(self, word: str) -> str:
        n = len(word)
        if n < self.min or (self.max is not None and n > self.max) or word in self.stops:
            term = ""
        else:
            term = word if word in self.ignore else self.stem(word)
        if len(self) < 200_000:
            self[word] = term
        return term


def terms_function(field: Any) -> Callable[[str], list[Term]] | None:
    """``field.index`` for one text, fast, when the field's analyzer and format allow (see above)."""
    parts = _parts(getattr(field, "analyzer", None))
    fmt = getattr(field, "format", None)
    if parts is None or type(fmt) not in (formats.Positions, formats.Frequency):
        return None
    tok, stop, stemmer = parts
    finditer = tok.expression.finditer
    boost = fmt.field_boost
    seen = _Terms(stop, stemmer)

    if type(fmt) is formats.Positions:
        encode = fmt.encode

        def positions(text: str) -> list[Term]:
            poses: dict[str, list[int]] = {}
            pos = -1
            for i, m in enumerate(finditer(text)):
                t = seen[m.group(0).lower()]
                if not t:
                    continue
                pos = i if pos < 0 else pos + 1
                p = poses.get(t)
                if p is None:
                    poses[t] = [pos]
                else:
                    p.append(pos)
            return [(t.encode("utf-8"), len(p), float(len(p)) * boost, encode(p)) for t, p in poses.items()]

        return positions

    pack = formats.pack_uint

    def frequencies(text: str) -> list[Term]:
        freqs: dict[str, int] = {}
        for m in finditer(text):
            t = seen[m.group(0).lower()]
            if t:
                freqs[t] = freqs.get(t, 0) + 1
        return [(t.encode("utf-8"), n, float(n) * boost, pack(n)) for t, n in freqs.items()]

    return frequencies
