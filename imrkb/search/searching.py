"""Running searches over the live index: ranked items, the outcome tally, facet counts and snippets.

:class:`PrecedentIndex` keeps one Whoosh searcher open (the CLI opens it once, the server for its
lifetime) and reopens it when a writer publishes a new version.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from whoosh import query as wq
from whoosh.highlight import highlight

from ..catalog import Catalog, load_catalog
from ..errors import UsageError
from . import store
from .bitmaps import all_of, from_ids, newest, to_ids
from .postings import term_bits, term_docs, term_weights
from .query import ParsedQuery, Vocabulary, parse
from .ranking import rank, tokens_of
from .schema import ANALYZER, TEXT_FIELDS
from .snippets import Segments, lead, make_highlighter, segments
from .stats import category_slugs

#: Facets computed for every search, in display order.
FACETS = ("outcome", "year", "guideline", "category")
#: How many text-term document sets :meth:`PrecedentIndex.docset` keeps (filter terms are always kept).
TEXT_CACHE = 256
#: Memory for the bitmaps of recently used terms and words (one is at most 1/8 byte per item: 12.5 KB at
#: 100,000 items, so about 5,000 of them there).
BITMAP_CACHE_MB = 64


@dataclass(frozen=True)
class Facet:
    """One facet value: the same ``{value, label, count}`` shape for every facet."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class Hit:
    """One ranked item."""

    decision: str
    n: int
    date: str
    outcome: str
    item: str
    original_request: str
    citations: list[dict[str, Any]]
    claims_administrator_citations: list[dict[str, Any]]
    category: str
    subcategory: str | None
    snippet: Segments
    score: float
    path: str


@dataclass(frozen=True)
class Tally:
    total: int
    upheld: int
    overturned: int

    @property
    def overturn_rate(self) -> float | None:
        return self.overturned / self.total if self.total else None

    def line(self) -> str:
        """``37 items: 31 upheld, 6 overturned (16%)``."""
        noun = "item" if self.total == 1 else "items"
        rate = f" ({self.overturn_rate:.0%})" if self.total else ""
        return f"{self.total:,} {noun}: {self.upheld:,} upheld, {self.overturned:,} overturned{rate}"


@dataclass(frozen=True)
class SearchResult:
    query: str
    filters: list[dict[str, Any]]
    tally: Tally
    facets: dict[str, list[Facet]]
    hits: list[Hit] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "filters": self.filters,
            "tally": {
                "items": self.tally.total,
                "upheld": self.tally.upheld,
                "overturned": self.tally.overturned,
                "overturn_rate": self.tally.overturn_rate,
                "text": self.tally.line(),
            },
            "facets": {k: [vars(f) for f in v] for k, v in self.facets.items()},
            "hits": [
                {
                    "decision": h.decision,
                    "item_number": h.n,
                    "date": h.date or None,
                    "outcome": h.outcome,
                    "item": h.item,
                    "original_request": h.original_request or None,
                    "category": h.category,
                    "subcategory": h.subcategory,
                    "category_inferred": True,
                    "citations": h.citations,
                    "claims_administrator_citations": h.claims_administrator_citations,
                    "snippet": "".join(t for t, _ in h.snippet),
                    "snippet_parts": [{"text": t, "hit": hit} for t, hit in h.snippet],
                    "score": round(h.score, 4),
                    "path": h.path,
                }
                for h in self.hits
            ],
        }


class PrecedentIndex:
    """The live index of ``root``, opened for searching."""

    def __init__(self, root: Path, catalog: Catalog | None = None) -> None:
        self.root = Path(root)
        self.home = store.index_home(self.root)
        self.catalog = catalog or load_catalog()
        self.searcher: Any = None
        self._open()

    def _open(self) -> None:
        ix, folder, manifest = store.open_live(self.root)
        if self.searcher is not None:
            self.searcher.close()
        self.folder = folder
        self.manifest = manifest
        self.searcher = ix.searcher()
        self.vocabulary = Vocabulary.build(self.catalog, manifest.labels)
        self._docsets: dict[tuple[str, str], frozenset[int]] = {}
        self._text_keys: list[tuple[str, str]] = []
        self._bits: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._bits_bytes = 0
        self._facet_tables: dict[str, list[tuple[str, int]]] = {}
        self._values: dict[str, list[str]] = {}
        self._all: frozenset[int] | None = None
        self._all_bits: int | None = None
        hl = make_highlighter()
        self._fragmenter, self._formatter = hl.fragmenter, hl.formatter
        self._avgs: dict[str, float] = {}
        self._order: list[int] | None = None

    def refresh(self) -> bool:
        """Reopen if a writer has published a new version since; ``True`` if it did."""
        live = store.current(self.home)
        if live is not None and live != self.folder:
            self._open()
            return True
        return False

    def close(self) -> None:
        if self.searcher is not None:
            self.searcher.close()
            self.searcher = None

    def __enter__(self) -> PrecedentIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- building blocks -------------------------------------------------------------------------------

    def parse(self, text: str, options: Mapping[str, str | None] | None = None) -> ParsedQuery:
        return parse(text, self.vocabulary, dict(options or {}))

    def docset(self, fieldname: str, term: str) -> frozenset[int]:
        """Live document numbers holding ``term`` in ``fieldname``, as a set (for callers that walk the
        documents; a search works on :meth:`bits`). Cached per open version: every filter term, and the
        most recent :data:`TEXT_CACHE` text terms."""
        key = (fieldname, term)
        found = self._docsets.get(key)
        if found is None:
            found = term_docs(self.searcher.reader(), fieldname, term)
            if fieldname in TEXT_FIELDS:
                if len(self._text_keys) >= TEXT_CACHE:
                    self._docsets.pop(self._text_keys.pop(0), None)
                self._text_keys.append(key)
            self._docsets[key] = found
        return found

    def bits(self, fieldname: str, term: str) -> int:
        """The bitmap (:mod:`.bitmaps`) of the live documents holding ``term`` in ``fieldname``; the most
        recently used ones are kept, up to :data:`BITMAP_CACHE_MB`."""
        return self._cached((fieldname, term), lambda: term_bits(self.searcher.reader(), fieldname, term))

    def _cached(self, key: tuple[str, str], make: Callable[[], int]) -> int:
        cache = self._bits
        found = cache.get(key)
        if found is None:
            found = cache[key] = make()
            self._bits_bytes += _size(found)
            while self._bits_bytes > BITMAP_CACHE_MB * 2**20 and len(cache) > 1:
                self._bits_bytes -= _size(cache.popitem(last=False)[1])
        else:
            cache.move_to_end(key)
        return found

    def forget_text_terms(self) -> None:
        """Drop the cached bitmaps of text terms and words (the benchmark measures queries without their
        help); filter terms and facet values stay."""
        for key in [k for k in self._bits if k[0] in TEXT_FIELDS or k[0] == "*"]:
            self._bits_bytes -= _size(self._bits.pop(key))
        for key in self._text_keys:
            self._docsets.pop(key, None)
        self._text_keys.clear()

    def all_docs(self) -> frozenset[int]:
        """Every live document number."""
        if self._all is None:
            self._all = frozenset(self.searcher.reader().all_doc_ids())
        return self._all

    def all_bits(self) -> int:
        """Every live document, as a bitmap."""
        if self._all_bits is None:
            reader = self.searcher.reader()
            n = reader.doc_count_all()
            self._all_bits = from_ids(reader.all_doc_ids(), n) if reader.has_deletions() else all_of(n)
        return self._all_bits

    def _estimate(self, q: wq.Query) -> int:
        """An upper bound of how many documents ``q`` matches, from the term dictionary (no postings read)."""
        reader = self.searcher.reader()
        if isinstance(q, wq.Term):
            return reader.doc_frequency(q.fieldname, q.text)
        if isinstance(q, wq.And):
            return min((self._estimate(sq) for sq in q.subqueries), default=0)
        if isinstance(q, wq.AndNot):
            return self._estimate(q.a)
        if isinstance(q, wq.Or):
            return sum(self._estimate(sq) for sq in q.subqueries)
        return self.searcher.doc_count_all()  # ranges, phrases, everything: evaluate last

    def bits_of(self, q: wq.Query) -> int:
        """The bitmap of the documents matching ``q``, by bitmap arithmetic over cached term bitmaps
        (much faster than running Whoosh's matchers over every match)."""
        if isinstance(q, wq.Term):
            return self.bits(q.fieldname, q.text)
        if isinstance(q, wq.Every):
            return self.all_bits()
        if isinstance(q, wq.AndNot):
            return self.bits_of(q.a) & ~self.bits_of(q.b)
        if isinstance(q, wq.And):  # the most selective part first; stop once nothing is left
            out = -1
            for part in sorted(q.subqueries, key=self._estimate):
                out &= self.bits_of(part)
                if not out:
                    break
            return max(out, 0)
        if isinstance(q, wq.Or):  # a word in any text field, a phrase in any: kept with the text terms
            return self._cached(("*", repr(q)), lambda: _union(map(self.bits_of, q.subqueries)))
        if isinstance(q, wq.TermRange):
            lo, hi = q.start, q.end
            return _union(
                self.bits(q.fieldname, v)
                for v in self.field_values(q.fieldname)
                if (lo is None or v >= lo) and (hi is None or v <= hi)
            )
        reader = self.searcher.reader()  # phrases: positions needed
        return from_ids(self.searcher.docs_for_query(q), reader.doc_count_all())

    def field_values(self, fieldname: str) -> list[str]:
        """Every term of ``fieldname`` in the index (sorted)."""
        found = self._values.get(fieldname)
        if found is None:
            found = self._values[fieldname] = sorted(self.searcher.reader().field_terms(fieldname))
        return found

    def match_bits(self, parsed: ParsedQuery) -> int:
        """The bitmap of every item the query matches (text and filters)."""
        text_q, filter_q = parsed.text_query(), parsed.filter_query()
        parts = [q for q in (text_q, filter_q) if q is not None]
        return self.bits_of(parts[0] if len(parts) == 1 else wq.And(parts))

    def matching(self, parsed: ParsedQuery) -> set[int]:
        """Document numbers of every item the query matches (text and filters)."""
        return set(to_ids(self.match_bits(parsed)))

    def tally(self, docs: int) -> Tally:
        """The outcome tally of the documents of bitmap ``docs``."""
        counts = self._count("outcome", docs)
        up, over = counts.get("upheld", 0), counts.get("overturned", 0)
        return Tally(up + over, up, over)

    def facet_values(self, name: str) -> list[str]:
        """The values facet ``name`` counts: guideline families only, top-level categories only."""
        values = self.field_values(name)
        if name == "guideline":
            return [v for v in values if ":" not in v]
        if name == "category":  # terms also hold subcategories
            cats = self.category_names()
            return [v for v in values if v in cats]
        return values

    def _facet_bits(self, name: str) -> list[tuple[str, int]]:
        """Each value of facet ``name`` with its bitmap (kept for as long as this version is open)."""
        found = self._facet_tables.get(name)
        if found is None:
            reader = self.searcher.reader()
            found = self._facet_tables[name] = [
                (v, term_bits(reader, name, v)) for v in self.facet_values(name)
            ]
        return found

    def _count(self, name: str, docs: int) -> Counter[str]:
        """How many documents of bitmap ``docs`` hold each value of facet ``name`` (exact)."""
        counts: Counter[str] = Counter()
        if docs:
            for v, b in self._facet_bits(name):
                n = (docs & b).bit_count()
                if n:
                    counts[v] = n
        return counts

    def facet(self, name: str, docs: int) -> list[Facet]:
        """Counts of the documents of bitmap ``docs`` per value of facet ``name`` (outcome, year, ...)."""
        return self._facets(name, self._count(name, docs))

    def _facets(self, name: str, counts: Counter[str]) -> list[Facet]:
        out = [Facet(v, self.label(name, v), n) for v, n in counts.items() if n]
        if name == "year":
            out.sort(key=lambda f: f.value)
        else:
            out.sort(key=lambda f: (-f.count, f.value))
        return out

    def category_names(self) -> set[str]:
        return set(category_slugs())

    def label(self, facet: str, value: str) -> str:
        if facet == "guideline":
            g = self.catalog.guidelines.get(value)
            return g.short if g else value
        return self.manifest.labels.get(facet, {}).get(value, value)

    # -- the operations -------------------------------------------------------------------------------

    def search(
        self,
        text: str,
        options: Mapping[str, str | None] | None = None,
        *,
        limit: int = 10,
        facets: tuple[str, ...] = FACETS,
    ) -> SearchResult:
        """Ranked items for a query in the query language plus option filters (see :mod:`.query`)."""
        if limit < 0:
            raise UsageError("--limit must be 0 or more")
        parsed = self.parse(text, options)
        docs = self.match_bits(parsed)
        tokens = tokens_of([*parsed.words, *parsed.phrases], _analyze)
        hits: list[Hit] = []
        if docs and limit:
            if parsed.has_text:
                ranked = rank(
                    docs,
                    tokens,
                    self.bits,
                    self.total,
                    self._length,
                    self._avg_length,
                    self._weights,
                    self.order,
                    limit,
                )
            else:
                ranked = [(d, 0.0) for d in self.newest(docs, limit)]
            hits = [self._hit(d, score, tokens) for d, score in ranked]
        counts = {name: self._count(name, docs) for name in dict.fromkeys(("outcome", *facets))}
        up, over = counts["outcome"].get("upheld", 0), counts["outcome"].get("overturned", 0)
        return SearchResult(
            query=text,
            filters=[{"field": c.field, "value": c.value, "exclude": c.negated} for c in parsed.clauses],
            tally=Tally(up + over, up, over),
            facets={name: self._facets(name, counts[name]) for name in facets},
            hits=hits,
        )

    def newest(self, docs: int, limit: int) -> list[int]:
        """The ``limit`` newest documents of bitmap ``docs`` by decision date (undated last), month by
        month."""
        picked = 0
        for month in reversed(self.field_values("month")):
            picked |= docs & self.bits("month", month)
            if picked.bit_count() >= limit:
                break
        else:
            picked = docs  # the rest are undated
        return newest(picked, limit, self.order)

    @property
    def order(self) -> list[int]:
        """Per document number, its ``order`` column: newer first, then a build-independent order."""
        if self._order is None:
            self._order = list(self.searcher.reader().column_reader("order"))
        return self._order

    @property
    def total(self) -> int:
        return self.all_bits().bit_count()

    def _length(self, docnum: int, fieldname: str) -> int:
        return self.searcher.reader().doc_field_length(docnum, fieldname, 0)

    def _avg_length(self, fieldname: str) -> float:
        avg = self._avgs.get(fieldname)
        if avg is None:
            n = self.searcher.doc_count_all()
            avg = self._avgs[fieldname] = self.searcher.reader().field_length(fieldname) / n if n else 0.0
        return avg

    def _weights(self, fieldname: str, token: str, docnums: list[int]) -> dict[int, float]:
        """Frequency of ``token`` in ``fieldname`` of each of ``docnums`` (sorted), from the postings."""
        return term_weights(self.searcher.reader(), fieldname, token, docnums)

    def _hit(self, docnum: int, score: float, tokens: list[str]) -> Hit:
        f = self.searcher.stored_fields(docnum)
        facts = f["facts"]
        rationale = f.get("rationale", "")
        parts: Segments = []
        if tokens and rationale:
            marked = highlight(rationale, tokens, ANALYZER, self._fragmenter, self._formatter, top=2)
            parts = segments(marked) if marked else []
        if not parts:
            parts = lead(rationale)
        return Hit(
            decision=f["decision"],
            n=int(facts["n"]),
            date=f.get("date", ""),
            outcome=f["outcome"],
            item=f.get("item", ""),
            original_request=f.get("original_request", ""),
            citations=facts["reviewer_citations"],
            claims_administrator_citations=facts["claims_administrator_citations"],
            category=facts["category"],
            subcategory=facts["subcategory"],
            snippet=parts,
            score=score,
            path=f["path"],
        )


def _union(bitmaps: Iterable[int]) -> int:
    out = 0
    for b in bitmaps:
        out |= b
    return out


def _size(bits: int) -> int:
    """Roughly the bytes a bitmap takes."""
    return bits.bit_length() // 8 + 32


def _analyze(text: str) -> list[str]:
    return [t.text for t in ANALYZER(text)]
