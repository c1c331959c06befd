"""Which of many Python regular expressions may match a text, in one pass (a sound prefilter).

:class:`RegexSet` translates each pattern into an RE2 pattern that matches *at least* wherever the
Python one does (a superset) and runs them all as one RE2 set: a linear-time automaton that reads the text
once, however many patterns there are. A pattern the set rules out cannot match, so it need not be run;
one it lets through is run as usual with :mod:`re`, so results never depend on the set, only the time.

How a pattern becomes its superset (over a text whose non-ASCII characters are replaced by ``?``, which
every character-consuming part of a translated pattern also accepts, so a ``?`` stands for anything):

* lookarounds are dropped (a condition less), except a positive lookahead that ends the pattern, which is
  read as ordinary text (what it looks at is there, after the match);
* ``^``, ``$``, ``\\A``, ``\\Z`` are dropped; ``\\b`` and ``\\B`` are kept for an ASCII text (where both
  engines agree on word characters) and dropped otherwise;
* ``\\d``, ``\\s``, ``\\w`` become their ASCII members (Python's ``\\s`` includes ``\\x1c``-``\\x1f``);
  lazy, possessive and atomic parts become plain ones (they match the same texts or fewer);
* a pattern with what RE2 cannot express (a back-reference) is not translated: it is always run.

Without the ``re2`` module (google-re2) every pattern is always run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

try:  # Python 3.11+
    from re import _constants as _c
    from re import _parser as _sp
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _sp  # type: ignore[no-redef]

try:
    import re2
except ImportError:  # pragma: no cover - the fallback: every pattern is run
    re2 = None

__all__ = ["RegexSet", "Untranslatable", "superset"]

#: What a non-ASCII character of the text becomes; every translated character test accepts it.
WILD = "?"
_W = r"\x3f"
_CLASSES = {
    _c.CATEGORY_DIGIT: r"\x30-\x39",
    _c.CATEGORY_SPACE: r"\x09-\x0d\x1c-\x20",
    _c.CATEGORY_WORD: r"\x30-\x39\x41-\x5a\x5f\x61-\x7a",
}
_NEGATED = {
    _c.CATEGORY_NOT_DIGIT: _c.CATEGORY_DIGIT,
    _c.CATEGORY_NOT_SPACE: _c.CATEGORY_SPACE,
    _c.CATEGORY_NOT_WORD: _c.CATEGORY_WORD,
}
_REPEATS = tuple(
    op for op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)) if op is not None
)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
_FLAGS = ((re.IGNORECASE, "i"), (re.DOTALL, "s"))


class Untranslatable(ValueError):
    """A pattern has a part with no RE2 superset (it is then always run)."""


def _hex(code: int) -> str:
    return f"\\x{code:02x}"


def _members(items: Sequence[tuple[object, object]]) -> str:
    """The ASCII members of a character class (its non-ASCII ones are the wildcard's)."""
    out = []
    for op, av in items:
        if op is _c.LITERAL and isinstance(av, int):
            if av < 128:
                out.append(_hex(av))
        elif op is _c.RANGE and isinstance(av, tuple):
            lo, hi = av
            if lo < 128:
                out.append(f"{_hex(lo)}-{_hex(min(hi, 127))}")
        elif op is _c.CATEGORY and av in _CLASSES:
            out.append(_CLASSES[av])  # type: ignore[index]
        else:
            raise Untranslatable(f"class member {op} {av}")
    return "".join(out)


def _class(av: list[tuple[object, object]]) -> str:
    if av and av[0][0] is _c.NEGATE:
        body = av[1:]
        if any(op is _c.CATEGORY and a in _NEGATED for op, a in body):
            raise Untranslatable("a negated category inside a negated class")
        members = _members(body)
        return f"(?:[^{members}]|{_W})" if members else r"(?s:.)"
    plain = [(op, a) for op, a in av if not (op is _c.CATEGORY and a in _NEGATED)]
    alts = [f"[{_members(plain)}{_W}]"]
    alts += [f"[^{_CLASSES[_NEGATED[a]]}]" for op, a in av if op is _c.CATEGORY and a in _NEGATED]  # type: ignore[index]
    return alts[0] if len(alts) == 1 else f"(?:{'|'.join(alts)})"


def _emit(tree: _sp.SubPattern | list, ascii_text: bool, tail: bool) -> str:
    """RE2 text for a parsed sequence; ``tail``: nothing of the pattern follows it."""
    out: list[str] = []
    seq = list(tree)
    for k, (op, av) in enumerate(seq):
        last = tail and k == len(seq) - 1
        if op is _c.LITERAL:
            out.append(f"[{_hex(av)}{_W}]" if av < 128 and av != ord(WILD) else _W)
        elif op is _c.NOT_LITERAL:
            out.append(f"(?:[^{_hex(av)}]|{_W})" if av < 128 and av != ord(WILD) else r"(?s:.)")
        elif op is _c.ANY:
            out.append(".")  # any byte but a line break, or any at all under DOTALL (the group flags below)
        elif op is _c.IN:
            out.append(_class(av))
        elif op is _c.BRANCH:
            out.append("(?:" + "|".join(_emit(b, ascii_text, last) for b in av[1]) + ")")
        elif op is _c.SUBPATTERN:
            _group, add, delete, sub = av
            on = "".join(f for bit, f in _FLAGS if add & bit)
            off = "".join(f for bit, f in _FLAGS if delete & bit)
            flags = on + (f"-{off}" if off else "")
            out.append(f"(?{flags}:{_emit(sub, ascii_text, last)})")
        elif op in _REPEATS:
            lo, hi, sub = av
            if lo > 1000 or (hi is not _c.MAXREPEAT and hi > 1000):
                raise Untranslatable("a repeat count over 1000")
            upper = "" if hi is _c.MAXREPEAT else str(hi)
            out.append(f"(?:{_emit(sub, ascii_text, False)}){{{lo},{upper}}}")
        elif op is _c.AT:
            if ascii_text and av is _c.AT_BOUNDARY:
                out.append(r"\b")
            elif ascii_text and av is _c.AT_NON_BOUNDARY:
                out.append(r"\B")
        elif op is _c.ASSERT and last and av[0] == 1:
            out.append(f"(?:{_emit(av[1], ascii_text, True)})")
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            continue
        elif _ATOMIC is not None and op is _ATOMIC:
            out.append(f"(?:{_emit(av, ascii_text, last)})")
        else:
            raise Untranslatable(f"{op}")
    return "".join(out)


def superset(pattern: re.Pattern[str], ascii_text: bool, parsed: _sp.SubPattern | None = None) -> str:
    """An RE2 pattern (for Latin-1 bytes) that finds a match wherever ``pattern`` does in a text made
    ASCII by replacing each other character with ``?``; ``ascii_text``: the text was ASCII already (word
    boundaries then mean the same to both engines); ``parsed``: the pattern already parsed. Raises
    :class:`Untranslatable`."""
    global_flags = "".join(f for bit, f in _FLAGS if pattern.flags & bit)
    tree = parsed if parsed is not None else _sp.parse(pattern.pattern, pattern.flags)
    body = _emit(tree, ascii_text, True)
    return f"(?{global_flags}:{body})" if global_flags else body


class RegexSet:
    """Patterns, and :meth:`possible`: the indexes of those that may match a text (a superset)."""

    def __init__(self, patterns: Sequence[re.Pattern[str]], *, max_mem: int = 64 << 20) -> None:
        self.size = len(patterns)
        self._all = self._always = frozenset(range(self.size))
        self._sets: dict[bool, tuple[object, list[int]] | None] = {}  # by "the text is ASCII"
        if re2 is None:
            return
        always: set[int] = set()
        parsed = [_sp.parse(p.pattern, p.flags) for p in patterns]
        for ascii_text in (True, False):
            options = re2.Options()
            options.encoding = re2.Options.Encoding.LATIN1
            options.max_mem = max_mem
            options.never_capture = True
            options.log_errors = False
            rs = re2.Set.SearchSet(options)
            index = [-1]  # set index -> pattern index; 0 is the sentinel that matches every text
            rs.Add(b"")
            for i, p in enumerate(patterns):
                try:
                    rs.Add(superset(p, ascii_text, parsed[i]).encode("ascii"))
                except (Untranslatable, re2.error):
                    always.add(i)
                    continue
                index.append(i)
            try:
                rs.Compile()
            except re2.error:
                self._sets[ascii_text] = None
                continue
            self._sets[ascii_text] = (rs, index)
        self._always = frozenset(always)

    def possible(self, text: str) -> frozenset[int]:
        """Indexes of the patterns that may match somewhere in ``text``; the others cannot."""
        ascii_text = text.isascii()
        entry = self._sets.get(ascii_text)
        if entry is None:  # no re2, or the set did not compile
            return self._all
        rs, index = entry
        data = text.encode("ascii") if ascii_text else text.encode("ascii", "replace")
        hits = rs.Match(data)  # type: ignore[attr-defined]
        if not hits or 0 not in hits:  # the sentinel missing: the automaton gave up (memory); run all
            return self._all
        return self._always.union(index[h] for h in hits if h)
