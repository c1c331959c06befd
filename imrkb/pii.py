"""The personal-data gate: find what must never be published in a record, masked.

Patterns are data (``guidelines/pii.yaml``): each kind of personal data (names after titles and roles,
Social Security numbers, claim and policy numbers, dates of birth, phone numbers, e-mail and street
addresses, employer and insurer names) has context-plus-value patterns, examples and counter-examples.

Pure functions over text and records:

* :func:`scan_text` -- findings in one string;
* :func:`scan` -- findings in every text field of a record (a :class:`~imrkb.models.Decision` or its plain
  data), with the field path;
* :func:`scan_letter` -- findings in a letter's extracted text that no record field holds (a header line
  such as ``Employee: ...`` that the parser drops still marks the letter as unredacted);
* :func:`unresolved` / :func:`problems` / :func:`blocking` -- what keeps a record off the site: every
  finding, except those listed in the record's ``pii`` when it carries an explicit, reasoned
  ``pii_override``.

A finding never holds the value it found: only its kind, field, offset and the match masked
(``Mr. J*** S****``: the context word kept, the first letter of each word of the value, every other
letter and digit a ``*``).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import CatalogError
from .models import Decision, PiiFinding, PiiOverride
from .regexset import RegexSet

__all__ = [
    "DEFAULT_PATH",
    "LETTER_FIELD",
    "MIN_REASON",
    "Kind",
    "blocking",
    "load_kinds",
    "mask",
    "message",
    "override_problem",
    "problems",
    "refusal",
    "scan",
    "scan_letter",
    "scan_paths",
    "scan_text",
    "unresolved",
    "warm",
]

#: The patterns shipped with the project.
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "guidelines" / "pii.yaml"

#: The ``field`` of a finding in the source letter's text rather than in a record field.
LETTER_FIELD = "letter"

#: The shortest override reason accepted (a reason, not "ok").
MIN_REASON = 10

#: Top-level record fields that hold no free text (or are the gate's own fields).
_SKIP_TOP = frozenset(
    {"schema", "id", "case_number", "layout", "priority", "dates", "synthetic", "pii", "pii_override"}
)
_SKIP_SOURCE = frozenset({"sha256", "pages"})

_PART = re.compile(r"<<([A-Z_]+)>>")

PathT = tuple[Any, ...]


@dataclass(frozen=True)
class Kind:
    """One kind of personal data: its compiled patterns and its own test cases."""

    kind: str
    description: str
    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...]
    #: per pattern: lower-case literals of which a text must hold one for the pattern to be tried (empty:
    #: always tried); a shortcut, so that most patterns never run over most fields
    needs: tuple[tuple[str, ...], ...] = ()

    def tried(
        self, lowered: str, possible: Container[re.Pattern[str]] | None = None
    ) -> Iterator[re.Pattern[str]]:
        """The patterns worth running over a text, given the text in lower case; ``possible``: the
        patterns that may match it (None: all)."""
        for p, needs in zip(self.patterns, self.needs or ((),) * len(self.patterns), strict=True):
            if possible is not None and p not in possible:
                continue
            if not needs or any(n in lowered for n in needs):
                yield p


def _expand(src: str, parts: Mapping[str, str], where: str, depth: int = 0) -> str:
    if depth > 10:
        raise CatalogError(f"{where}: parts refer to each other in a loop")

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in parts:
            raise CatalogError(f"{where}: unknown part <<{name}>> (known: {', '.join(sorted(parts))})")
        return _expand(parts[name], parts, f"{where} <<{name}>>", depth + 1)

    return _PART.sub(sub, src)


_WORDS = re.compile(r"\(\?:[A-Za-z]+(?:\|[A-Za-z]+)*\)")


def word_trie(src: str) -> str:
    """A part that is only a list of words, ``(?:The|This|That|...)``, as a regex trie of the same words
    (``(?:Th(?:at|is|e)|...)``); any other part as it is.

    Both match the same words, and a trie keeps every choice open to backtracking, so a pattern holding
    it finds what it found before; but the engine reads a few letters at a time instead of trying each of
    some 300 words in turn (``NOT_NAME`` is tried at every capital letter of every text).
    """
    if not _WORDS.fullmatch(src):
        return src
    trie: dict[str, Any] = {}
    for word in src[3:-1].split("|"):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def regex(node: dict[str, Any]) -> str:
        alts = [ch + regex(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and len(alts[0]) == 1 else f"(?:{'|'.join(alts)})"
        return body + "?" if "" in node else body

    return f"(?:{regex(trie)})"


def _kinds_from(data: Any, where: str) -> tuple[Kind, ...]:
    if not isinstance(data, dict) or not isinstance(data.get("kinds"), list):
        raise CatalogError(f"{where}: expected a mapping with a 'kinds' list")
    parts = {str(k): word_trie(str(v)) for k, v in (data.get("parts") or {}).items()}
    out: list[Kind] = []
    seen: set[str] = set()
    for i, m in enumerate(data["kinds"]):
        at = f"{where}: kinds[{i}]"
        if not isinstance(m, dict):
            raise CatalogError(f"{at}: expected a mapping")
        for key in ("kind", "patterns", "examples"):
            if not m.get(key):
                raise CatalogError(f"{at}: missing '{key}'")
        name = str(m["kind"])
        if name in seen:
            raise CatalogError(f"{at}: kind '{name}' appears twice")
        seen.add(name)
        patterns, needs = [], []
        for j, p in enumerate(m["patterns"]):
            pat_at = f"{at} ({name}).patterns[{j}]"
            if not isinstance(p, dict) or "value" not in p:
                raise CatalogError(f"{pat_at}: expected {{context, value}}")
            if "(?P<value>" in f"{p.get('context')}{p['value']}":
                raise CatalogError(f"{pat_at}: the group name 'value' is reserved")
            context = _expand(str(p.get("context") or ""), parts, pat_at)
            value = _expand(str(p["value"]), parts, pat_at)
            try:
                patterns.append(re.compile(f"{context}(?P<value>{value})"))  # context: up to the value
            except re.error as e:
                raise CatalogError(f"{pat_at}: bad regular expression: {e}") from e
            literals = p.get("needs", [])
            if not isinstance(literals, list) or not all(isinstance(x, str) and x for x in literals):
                raise CatalogError(f"{pat_at}: needs must be a list of non-empty strings")
            needs.append(tuple(x.lower() for x in literals))
        out.append(
            Kind(
                name,
                " ".join(str(m.get("description") or "").split()),
                tuple(patterns),
                tuple(str(x) for x in m["examples"]),
                tuple(str(x) for x in m.get("counter_examples") or ()),
                tuple(needs),
            )
        )
    return tuple(out)


@functools.lru_cache(maxsize=4)
def load_kinds(path: Path | None = None) -> tuple[Kind, ...]:
    """The kinds of personal data and their compiled patterns (cached); raises CatalogError."""
    path = path or DEFAULT_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise CatalogError(f"{path}: personal-data patterns missing") from e
    except yaml.YAMLError as e:
        raise CatalogError(f"{path}: not valid YAML: {e}") from e
    return _kinds_from(data, str(path))


# --------------------------------------------------------------------------------------------- text


def mask(value: str) -> str:
    """Keep the first letter of each word that starts with one, hide every other letter and every digit;
    whitespace runs become one space."""
    out: list[str] = []
    in_word = False
    for ch in " ".join(value.split()):
        if ch.isalnum():  # letters, digits and other numerals (a word may start with a digit: "21st")
            out.append(ch if ch.isalpha() and not in_word else "*")
            in_word = True
        else:
            out.append(ch)
            in_word = False
    return "".join(out)


@dataclass(frozen=True)
class _Match:
    kind: str
    start: int
    end: int
    value_start: int


def warm() -> None:
    """Load the shipped patterns and build their prefilter now (before forking workers, which then
    share them instead of each building its own)."""
    _prefilter(load_kinds())


def _prefilter(kinds: tuple[Kind, ...]) -> tuple[RegexSet, tuple[re.Pattern[str], ...]]:
    """One :class:`~imrkb.regexset.RegexSet` of every pattern of ``kinds``, and those patterns in its
    order (built once for the same patterns; the tuple used last is recognised by identity)."""
    global _last
    if _last is None or _last[0] is not kinds:
        patterns = tuple(p for k in kinds for p in k.patterns)
        _last = (kinds, (_set_of(patterns), patterns))
    return _last[1]


@functools.lru_cache(maxsize=8)
def _set_of(patterns: tuple[re.Pattern[str], ...]) -> RegexSet:
    return RegexSet(patterns)


_last: tuple[tuple[Kind, ...], tuple[RegexSet, tuple[re.Pattern[str], ...]]] | None = None


def _matches(text: str, kinds: Iterable[Kind], *, prefilter: bool = True) -> Iterator[_Match]:
    """Every match, per kind without overlaps (the longest at a position wins), in text order per kind.

    A pattern that the kinds' :class:`~imrkb.regexset.RegexSet` rules out for ``text`` cannot match and
    is not run (``prefilter=False`` runs every pattern: the same matches, slower)."""
    ks = tuple(kinds)
    possible = None
    if prefilter:
        rs, patterns = _prefilter(ks)
        possible = {patterns[i] for i in rs.possible(text)}
        if not possible:
            return
    lowered = text.lower()
    for k in ks:
        found: list[_Match] = []
        for p in k.tried(lowered, possible):
            for m in p.finditer(text):
                if m.end("value") > m.start("value"):
                    found.append(_Match(k.kind, m.start(), m.end(), m.start("value")))
        found.sort(key=lambda x: (x.start, -x.end))
        end = -1
        for f in found:
            if f.start >= end:
                yield f
                end = f.end


def _finding(text: str, m: _Match, field: str) -> PiiFinding:
    context = " ".join(text[m.start : m.value_start].split())
    value = mask(text[m.value_start : m.end])
    return PiiFinding(m.kind, field, m.start, f"{context} {value}" if context else value)


def scan_text(text: str, field: str = "text", kinds: Iterable[Kind] | None = None) -> list[PiiFinding]:
    """The personal data in one string, as findings for ``field``, in order of kind then offset."""
    ks = load_kinds() if kinds is None else tuple(kinds)
    return [_finding(text, m, field) for m in _matches(text, ks)]


# --------------------------------------------------------------------------------------------- records


def field_name(path: PathT) -> str:
    """``("issues", 0, "rationale")`` -> ``issues[0].rationale``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "record"


def _plain(record: Decision | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(record, Decision):
        from .records import to_dict  # records imports models only; imported here to keep pii light

        return to_dict(record)
    return record


def texts(record: Decision | Mapping[str, Any]) -> Iterator[tuple[PathT, str]]:
    """Every free-text string of a record with its path (dates, ids, hash and the gate's own fields left
    out)."""
    data = _plain(record)

    def walk(v: Any, path: PathT) -> Iterator[tuple[PathT, str]]:
        if isinstance(v, str):
            yield path, v
        elif isinstance(v, Mapping):
            for k, sub in v.items():
                if path == ("source",) and k in _SKIP_SOURCE:
                    continue
                yield from walk(sub, (*path, k))
        elif isinstance(v, list | tuple):
            for i, sub in enumerate(v):
                yield from walk(sub, (*path, i))

    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        if key not in _SKIP_TOP:
            yield from walk(value, (key,))


#: Joins a record's texts for one pass per pattern: no pattern matches a NUL, so none spans two fields.
_SEP = "\x00"


def _scan_raw(
    record: Decision | Mapping[str, Any], kinds: tuple[Kind, ...]
) -> list[tuple[PathT, str, _Match]]:
    """Matches in every text of the record (fields in record order, then kind, then offset), each with
    its field's path and text and offsets within that text. The texts are scanned as one string."""
    items = list(texts(record))
    starts, at = [], 0
    for _, text in items:
        starts.append(at)
        at += len(text) + len(_SEP)
    order = {k.kind: n for n, k in enumerate(kinds)}
    out = []
    for m in _matches(_SEP.join(t for _, t in items), kinds):
        i = bisect.bisect_right(starts, m.start) - 1
        base = starts[i]
        local = _Match(m.kind, m.start - base, m.end - base, m.value_start - base)
        out.append((i, order[m.kind], local.start, items[i][0], items[i][1], local))
    out.sort(key=lambda x: x[:3])
    return [(path, text, m) for *_, path, text, m in out]


def scan_paths(
    record: Decision | Mapping[str, Any], kinds: Iterable[Kind] | None = None
) -> list[tuple[PathT, PiiFinding]]:
    """Findings in every text field of ``record``, each with its path as a tuple (for line numbers)."""
    ks = load_kinds() if kinds is None else tuple(kinds)
    return [(path, _finding(text, m, field_name(path))) for path, text, m in _scan_raw(record, ks)]


def scan(record: Decision | Mapping[str, Any], kinds: Iterable[Kind] | None = None) -> tuple[PiiFinding, ...]:
    """Findings in every text field of ``record`` (fields in record order, then kind, then offset)."""
    return tuple(f for _, f in scan_paths(record, kinds))


def _key(s: str) -> str:
    return re.sub(r"[\W_]+", "", s).lower()


def scan_letter(
    record: Decision | Mapping[str, Any], letter_text: str, kinds: Iterable[Kind] | None = None
) -> tuple[PiiFinding, ...]:
    """The record's findings, then those in the letter's text that no record field holds (``letter``).

    A letter finding counts as held by a field when its value, letters and digits only, is part of (or
    holds) the value of a field finding of the same kind: PDF damage (wraps, hyphens) does not duplicate.
    """
    ks = load_kinds() if kinds is None else tuple(kinds)
    out: list[PiiFinding] = []
    held: dict[str, list[str]] = {}
    for path, text, m in _scan_raw(record, ks):
        out.append(_finding(text, m, field_name(path)))
        held.setdefault(m.kind, []).append(_key(text[m.value_start : m.end]))
    for m in _matches(letter_text, ks):
        v = _key(letter_text[m.value_start : m.end])
        if not any(v in h or h in v for h in held.get(m.kind, ())):
            out.append(_finding(letter_text, m, LETTER_FIELD))
    return tuple(out)


# --------------------------------------------------------------------------------------------- the gate


def override_problem(override: PiiOverride | Mapping[str, Any] | None) -> str | None:
    """Why ``override`` does not resolve findings (None when it does)."""
    if override is None:
        return "no pii_override"
    if isinstance(override, Mapping):
        reason, by = override.get("reason"), override.get("by")
    else:
        reason, by = override.reason, override.by
    if not isinstance(reason, str) or len(" ".join(reason.split())) < MIN_REASON:
        return f"pii_override.reason must explain the decision (at least {MIN_REASON} characters)"
    if not isinstance(by, str) or not by.strip():
        return "pii_override.by must say who decided"
    return None


def _stored(record: Decision | Mapping[str, Any]) -> tuple[PiiFinding, ...]:
    if isinstance(record, Decision):
        return record.pii
    out = []
    for f in record.get("pii") or ():
        if isinstance(f, Mapping):
            try:
                out.append(PiiFinding(str(f["kind"]), str(f["field"]), int(f["offset"]), str(f["masked"])))
            except (KeyError, TypeError, ValueError):
                continue  # a malformed entry is a schema problem, reported by validate
    return tuple(out)


def _same(f: PiiFinding) -> tuple[str, str, str]:
    """What identifies a finding across edits and re-ingests (offsets move when text before it changes)."""
    return f.kind, f.field, f.masked


def _override_of(record: Decision | Mapping[str, Any]) -> PiiOverride | Mapping[str, Any] | None:
    return record.pii_override if isinstance(record, Decision) else record.get("pii_override")


def unresolved(
    record: Decision | Mapping[str, Any], kinds: Iterable[Kind] | None = None
) -> list[tuple[PathT, PiiFinding]]:
    """Findings that keep ``record`` off the site, each with its path in the record.

    The fields are scanned now (the record may have been edited since ingest), plus the stored ``letter``
    findings. A valid ``pii_override`` resolves the findings listed in the record's ``pii`` (same kind,
    field and masked text) and nothing else: personal data added later blocks the record again.
    """
    stored = _stored(record)
    covered = {_same(f) for f in stored} if override_problem(_override_of(record)) is None else set()
    found = [(p, f) for p, f in scan_paths(record, kinds) if _same(f) not in covered]
    found += [
        (("pii", k), f) for k, f in enumerate(stored) if f.field == LETTER_FIELD and _same(f) not in covered
    ]
    return found


def message(f: PiiFinding, overridden: bool = False) -> str:
    """How a finding reads in a problem line (after ``path:line: field: ``); ``overridden``: the record
    has a valid ``pii_override`` that does not list this finding."""
    where = "in the source letter at" if f.field == LETTER_FIELD else "at"
    fix = (
        "pii_override covers only the findings listed in pii: remove it, or list it there"
        if overridden
        else "remove it, or add pii_override: {reason, by} if it may be published"
    )
    return f"personal data ({f.kind}) {where} offset {f.offset}: {f.masked!r}; {fix}"


def problems(record: Decision | Mapping[str, Any]) -> list[tuple[PathT, str, str]]:
    """``(path, field, message)`` for each unresolved finding of ``record``."""
    overridden = override_problem(_override_of(record)) is None
    return [(path, f.field, message(f, overridden)) for path, f in unresolved(record)]


def blocking(record: Decision | Mapping[str, Any], where: str | None = None) -> list[str]:
    """Messages, one per unresolved finding, why ``record`` must not be published (empty: it may be).

    Each reads ``[where: ]field: personal data (kind) ...``; ``where`` is the record's file.
    """
    prefix = f"{where}: " if where else ""
    return [f"{prefix}{field}: {text}" for _, field, text in problems(record)]


def refusal(messages: list[str], shown: int = 20) -> str:
    """The error a build gives when records hold unresolved personal data: every message up to ``shown``."""
    extra = len(messages) - shown
    more = f"\n... and {extra} more (run `imrkb validate` for all)" if extra > 0 else ""
    return (
        f"refusing to publish: {len(messages)} unresolved personal-data finding"
        f"{'' if len(messages) == 1 else 's'} (remove them, or add pii_override: {{reason, by}}):\n"
        + "\n".join(messages[:shown])
        + more
    )
