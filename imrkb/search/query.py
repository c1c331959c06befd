"""The search query language, parsed into a typed query and then into Whoosh queries.

::

    MRI lumbar "without contrast" -acupuncture outcome:overturned guideline:mtus-acoem:12 year:2015..2017

* bare words and ``"quoted phrases"`` search the item, rationale, citations and summary (every word must
  match somewhere; ``-word`` excludes);
* ``outcome:upheld|overturned``; ``year:2016``, ``year:2015..2017`` (either end may be left open);
* ``guideline:G`` where G is a guideline id with an optional chapter and a page or topic:
  ``mtus-acoem``, ``mtus-acoem:8``, ``mtus-acoem:8:178`` (any cited range containing page 178),
  ``mtus-cpmtg:"Opioids, criteria for use"``, ``odg:low-back:MRI``; a guideline without chapters takes a
  page or topic directly (``mtus-cpmtg:78``);
* ``category:``, ``specialty:``, ``state:`` (names as shown in results; a unique part of a name is enough)
  and ``decision:`` (a decision id).

Every mistake is a :class:`~imrkb.errors.UsageError` with one line saying what and where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from whoosh import query as wq

from ..catalog import Catalog, slugify
from ..errors import UsageError
from ..models import OUTCOMES
from .documents import chapter_key, topic_words
from .schema import ANALYZER, TEXT_FIELDS

#: Fields that can appear as ``name:value`` in a query (and as options of ``imrkb search``).
FIELDS = ("outcome", "guideline", "year", "category", "specialty", "state", "decision")
_ALIASES = {"id": "decision", "g": "guideline", "cat": "category"}
_PHRASE_FIELDS = ("item", "original_request", "rationale")
_FIELD_TOKEN = re.compile(r"^(-?)([A-Za-z][A-Za-z_-]*):(.*)$", re.DOTALL)
_YEAR = re.compile(r"^\d{4}$")
_OUTCOME_WORDS = {
    "upheld": "upheld",
    "uphold": "upheld",
    "overturned": "overturned",
    "overturn": "overturned",
}


@dataclass(frozen=True)
class Vocabulary:
    """What the query may name: guideline ids with their chapters, and the labels of indexed terms."""

    chapters: dict[str, dict[str, str]]  # guideline id -> {spelling slug: chapter slug}; {} when none
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> {slug: label}

    @classmethod
    def build(cls, catalog: Catalog, labels: dict[str, dict[str, str]] | None = None) -> Vocabulary:
        chapters: dict[str, dict[str, str]] = {}
        for g in catalog:
            names: dict[str, str] = {}
            for c in g.chapters:
                key = chapter_key(c.key) or c.slug
                names[key] = key
                names.setdefault(slugify(c.title), key)
            chapters[g.id] = names
        return cls(chapters, dict(labels or {}))


@dataclass(frozen=True)
class Clause:
    """One ``field:value`` restriction, normalised; ``negated`` for ``-field:value``."""

    field: str
    value: str
    query: wq.Query
    negated: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """Free text (words and phrases, each possibly negated) and field restrictions."""

    text: str
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    clauses: tuple[Clause, ...] = ()

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases)

    def text_query(self) -> wq.Query | None:
        """Free text as a Whoosh query: every word and phrase must match in some text field."""
        parts = [q for q in (*map(_word_query, self.words), *map(_phrase_query, self.phrases)) if q]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.And(parts)

    def filter_query(self) -> wq.Query | None:
        """Field restrictions and exclusions as one Whoosh query (``None`` when there are none)."""
        plus = [c.query for c in self.clauses if not c.negated]
        minus = [c.query for c in self.clauses if c.negated]
        minus += [q for q in map(_any_text_query, self.excluded) if q]
        if not plus and not minus:
            return None
        base: wq.Query = wq.And(plus) if len(plus) > 1 else (plus[0] if plus else wq.Every())
        return wq.AndNot(base, wq.Or(minus)) if minus else base


def _word_query(word: str) -> wq.Query | None:
    tokens = [t.text for t in ANALYZER(word)]
    if not tokens:
        return None
    if len(tokens) > 1:  # "10/325", "EMG/NCV": the pieces in order where positions exist
        return _phrase_query(word)
    return wq.Or([wq.Term(f, tokens[0], boost=b) for f, b in TEXT_FIELDS.items()])


def _phrase_query(text: str) -> wq.Query | None:
    tokens = [t.text for t in ANALYZER(text)]
    if not tokens:
        return None
    if len(tokens) == 1:
        return _word_query(tokens[0])
    return wq.Or([wq.Phrase(f, tokens, boost=TEXT_FIELDS[f]) for f in _PHRASE_FIELDS])


def _any_text_query(text: str) -> wq.Query | None:
    tokens = [t.text for t in ANALYZER(text)]
    if len(tokens) > 1:
        return _phrase_query(text)
    return _word_query(text)


def tokenize(text: str) -> list[str]:
    """Split on whitespace outside double quotes; :class:`UsageError` for an unbalanced quote."""
    tokens: list[str] = []
    buf: list[str] = []
    quoted_at: int | None = None
    for i, ch in enumerate(text):
        if ch == '"':
            quoted_at = i if quoted_at is None else None
            buf.append(ch)
        elif ch.isspace() and quoted_at is None:
            if buf:
                tokens.append("".join(buf))
                buf = []
        else:
            buf.append(ch)
    if quoted_at is not None:
        raise UsageError(f"query: unbalanced quote at column {quoted_at + 1}: {text[quoted_at:][:40]}")
    if buf:
        tokens.append("".join(buf))
    return tokens


def _unquote(s: str) -> str:
    return s.replace('"', "").strip()


def split_guideline(value: str) -> list[str]:
    """``mtus-cpmtg:"Opioids, criteria: use"`` → ``["mtus-cpmtg", "Opioids, criteria: use"]``."""
    parts, buf, quoted = [], [], False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            parts.append("".join(buf).strip())
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf).strip())
    return parts


def parse_outcome(value: str) -> Clause:
    v = _OUTCOME_WORDS.get(_unquote(value).lower())
    if v is None:
        raise UsageError(f"outcome: {value!r} is not one of {', '.join(OUTCOMES)}")
    return Clause("outcome", v, wq.Term("outcome", v))


def parse_year(value: str) -> Clause:
    v = _unquote(value)
    lo, dots, hi = v.partition("..")
    if not all(p == "" or _YEAR.match(p) for p in (lo, hi)) or not (lo or hi) or (not dots and not lo):
        raise UsageError(f"year: {value!r} is not a year or range (2016, 2015..2017, 2015.., ..2017)")
    if not dots:
        return Clause("year", v, wq.Term("year", lo))
    if lo and hi and lo > hi:
        raise UsageError(f"year: range {v} runs backwards")
    return Clause("year", v, wq.TermRange("year", lo or None, hi or None, constantscore=True))


def parse_guideline(value: str, vocab: Vocabulary) -> Clause:
    """``guideline:G``; see the module docs for the forms of G."""
    parts = split_guideline(value)
    gid = parts[0].lower()
    if gid not in vocab.chapters:
        known = ", ".join(sorted(vocab.chapters))
        raise UsageError(f"guideline: unknown guideline id {parts[0]!r}; known: {known}")
    if any(not p for p in parts[1:]) or len(parts) > 3:
        raise UsageError(f"guideline: {value!r} is not <id>[:<chapter>][:<page or topic>]")
    chapters = vocab.chapters[gid]
    if len(parts) == 1:
        return Clause("guideline", gid, wq.Term("guideline", gid))
    if not chapters and len(parts) == 3:
        raise UsageError(f"guideline: {gid} has no chapters; use {gid}:<page> or {gid}:<topic>")
    second = parts[1]
    if len(parts) == 2:
        if chapters and slugify(second) in chapters:
            ch = chapters[slugify(second)]
            return Clause("guideline", f"{gid}:{ch}", wq.Term("guideline", f"{gid}:{ch}"))
        return _page_or_topic(gid, None, second)
    ch_slug = slugify(second)
    if ch_slug not in chapters:
        known = ", ".join(sorted(set(chapters.values()), key=lambda k: (not k.isdigit(), k.zfill(3))))
        raise UsageError(f"guideline: {gid} has no chapter {second!r}; its chapters: {known}")
    return _page_or_topic(gid, chapters[ch_slug], parts[2])


def _page_or_topic(gid: str, chapter: str | None, spec: str) -> Clause:
    prefix = f"{gid}:{chapter}" if chapter else gid
    if spec.isdigit():
        page = str(int(spec))
        return Clause("guideline", f"{prefix}:{page}", wq.Term("page", f"{prefix}:{page}"))
    words = topic_words(spec)
    if not words:
        raise UsageError(f"guideline: topic {spec!r} has no searchable words")
    terms = [wq.Term("topic", f"{prefix}:{w}") for w in words]
    return Clause("guideline", f'{prefix}:"{spec}"', terms[0] if len(terms) == 1 else wq.And(terms))


def parse_labelled(name: str, value: str, vocab: Vocabulary) -> Clause:
    """``category:``, ``specialty:``, ``state:``: a name as shown, or a unique part of one."""
    v = _unquote(value)
    slug = slugify(v)
    if not slug:
        raise UsageError(f"{name}: needs a value")
    labels = vocab.labels.get(name)
    if not labels or slug in labels:
        return Clause(name, labels[slug] if labels else v, wq.Term(name, slug))
    pattern = re.compile(rf"(^|-){re.escape(slug)}(-|$)")
    found = sorted(s for s in labels if pattern.search(s))
    if not found:
        known = ", ".join(sorted(labels.values(), key=str.lower)[:15])
        more = " ..." if len(labels) > 15 else ""
        raise UsageError(f"{name}: no {name} matches {v!r}; known: {known}{more}")
    q = wq.Term(name, found[0]) if len(found) == 1 else wq.Or([wq.Term(name, s) for s in found])
    return Clause(name, v, q)


def parse_clause(name: str, value: str, vocab: Vocabulary, negated: bool = False) -> Clause:
    """A ``name:value`` restriction (also used for the options of ``imrkb search``)."""
    field_name = _ALIASES.get(name.lower(), name.lower())
    if field_name not in FIELDS:
        raise UsageError(f"query: unknown field {name!r}; fields: {', '.join(FIELDS)}")
    if not _unquote(value):
        raise UsageError(f"{field_name}: needs a value")
    if field_name == "outcome":
        c = parse_outcome(value)
    elif field_name == "year":
        c = parse_year(value)
    elif field_name == "guideline":
        c = parse_guideline(value, vocab)
    elif field_name == "decision":
        v = _unquote(value)
        c = Clause("decision", v, wq.Term("decision", v))
    else:
        c = parse_labelled(field_name, value, vocab)
    return Clause(c.field, c.value, c.query, negated)


def parse(text: str, vocab: Vocabulary, options: dict[str, str | None] | None = None) -> ParsedQuery:
    """Parse a query string plus option filters (``{"outcome": "upheld", ...}``; ``None`` values skipped).

    Raises :class:`UsageError` for unbalanced quotes, unknown fields, bad values, unknown guideline ids
    and chapters, and a query with neither searchable text nor a filter.
    """
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    clauses: list[Clause] = []
    for tok in tokenize(text):
        m = _FIELD_TOKEN.match(tok)
        if m and m.group(3) and not tok.startswith('"'):
            clauses.append(parse_clause(m.group(2), m.group(3), vocab, negated=bool(m.group(1))))
            continue
        negated = tok.startswith("-") and len(tok) > 1
        body = tok[1:] if negated else tok
        if body.startswith('"'):
            if not body.endswith('"') or len(body) < 2:
                raise UsageError(f"query: text after a closing quote in {tok!r}; put a space after the quote")
            inner = _unquote(body)
            if inner:
                (excluded if negated else phrases).append(inner)
        elif '"' in body:
            raise UsageError(f'query: a quote inside {tok!r}; quote whole phrases: "..."')
        else:
            (excluded if negated else words).append(body)
    for name, value in (options or {}).items():
        if value is not None:
            clauses.append(parse_clause(name, value, vocab))
    parsed = ParsedQuery(text, tuple(words), tuple(phrases), tuple(excluded), tuple(clauses))
    if not parsed.text_query() and not parsed.clauses:
        if parsed.excluded:
            raise UsageError("query: only exclusions; add words to search for or a filter")
        if parsed.words or parsed.phrases:
            raise UsageError("query: only common words (stop words); add a distinctive word or a filter")
        raise UsageError("query: empty; give words to search for or a filter such as outcome:overturned")
    return parsed
