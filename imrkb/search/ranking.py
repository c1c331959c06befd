"""Ranking the items a query matched, by bitmap arithmetic over cached term bitmaps (:mod:`.bitmaps`).

Whoosh scores every match in pure Python through a tree of matchers, which costs a second on a broad
query over 100,000 items. The set of matching items is already known exactly (see
:meth:`~imrkb.search.searching.PrecedentIndex.matching`), so ranking only has to order it:

1. a query word found in a field adds ``field weight x idf`` (idf from the size of the word's set in
   that field); fields are taken in groups, item text first (``item``, ``original_request``), then
   ``citations`` and ``rationale``, then ``summary``;
2. once a group has produced :data:`POOL` or more candidates, later groups only refine the best
   :data:`POOL` of them (ties go to the newer item, then to a fixed order), so the work is bounded;
3. the best :data:`FINAL` candidates get a full BM25 score (term frequency, field length), and the best
   ``limit`` are returned, newest first on ties.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence

from .bitmaps import contains, from_ids, newest, to_ids
from .schema import TEXT_FIELDS

#: Field groups in the order they are scored.
GROUPS: tuple[tuple[str, ...], ...] = (("item", "original_request"), ("citations", "rationale"), ("summary",))
#: Candidates kept once a group has found enough.
POOL = 300
#: Candidates given the full BM25 score (term frequency and length of every field).
FINAL = 30
#: Fields whose term frequency counts (read from the postings, the costly part). Elsewhere tf = 1: item
#: texts rarely repeat a word, and the summary describes the whole case. In citations and rationales
#: repetition is the signal: an item citing "NSAIDs" three times is about NSAIDs, one citing it once for
#: "GI symptoms" is about a proton pump inhibitor.
TF_FIELDS = ("citations", "rationale")
K1, B = 1.2, 0.75

#: Documents grouped by their score so far: ``{score: bitmap}``, the bitmaps disjoint.
Classes = dict[float, int]


def rank(
    docs: int,
    tokens: Sequence[str],
    bits: Callable[[str, str], int],
    total: int,
    length: Callable[[int, str], int],
    avg_length: Callable[[str], float],
    weights: Callable[[str, str, list[int]], dict[int, float]],
    order: Sequence[int],
    limit: int,
) -> list[tuple[int, float]]:
    """The best ``limit`` of ``docs`` (a bitmap, see :mod:`.bitmaps`) as ``(docnum, score)``, best first.

    ``bits(field, token)`` gives the bitmap of the documents holding a token in a field, ``total`` the
    number of documents, ``length(docnum, field)`` and ``avg_length(field)`` the field lengths,
    ``weights(field, token, docnums)`` the token's frequency in those (sorted) documents, and
    ``order[docnum]`` the tie-break (newer first, then a fixed order independent of how the index was built).

    Steps 1 and 2 keep documents in classes of equal score (a bitmap per score), so adding a word's weight
    to every document holding it is two bitmap operations per class, never a loop over documents; the
    scores are the same floats, added in the same order, as adding them document by document.
    """
    if not docs or limit <= 0:
        return []
    pairs: list[list[tuple[str, str, int, float]]] = []
    for group in GROUPS:
        found = []
        for field in group:
            for token in dict.fromkeys(tokens):
                s = bits(field, token)
                if s:
                    found.append((field, token, s, TEXT_FIELDS[field] * math.log(1 + total / s.bit_count())))
        pairs.append(found)

    classes: Classes = {}
    scored = 0  # every document in a class
    for group_pairs in pairs:
        if scored.bit_count() >= POOL:
            classes = _best(classes, POOL, order)
            for _, _, s, w in group_pairs:
                classes = _add(classes, s, w)
        else:
            for _, _, s, w in group_pairs:
                hit = s & docs
                classes = _add(classes, hit, w, fresh=hit & ~scored)
                scored |= hit
            continue
        scored = 0
        for c in classes.values():
            scored |= c
    n = scored.bit_count()
    if n < limit:  # matched by a phrase or word the groups do not cover: keep the rest, newest first
        rest = newest(docs & ~scored, limit - n, order)
        if rest:
            classes[0.0] = from_ids(rest, max(rest) + 1)

    pool = sorted(d for c in _best(classes, FINAL, order).values() for d in to_ids(c))
    final = dict.fromkeys(pool, 0.0)
    for group_pairs in pairs:
        for field, token, s, w in group_pairs:
            hit = [d for d in pool if contains(s, d)]
            if not hit:
                continue
            tf = weights(field, token, hit) if field in TF_FIELDS else {}
            avg = avg_length(field)
            for d in hit:
                f = tf.get(d, 1.0)
                final[d] += w * f * (K1 + 1) / (f + K1 * (1 - B + B * length(d, field) / avg)) if avg else w
    return [(d, final[d]) for d in heapq.nlargest(limit, final, key=lambda d: (final[d], order[d]))]


def _add(classes: Classes, s: int, w: float, fresh: int = 0) -> Classes:
    """``classes`` with ``w`` added to the score of their documents in ``s``; ``fresh`` documents (in no
    class yet) enter with score ``w``."""
    out: Classes = {}
    for score, c in classes.items():
        inside = c & s
        if inside:
            key = score + w
            out[key] = out.get(key, 0) | inside
            c &= ~s
        if c:
            out[score] = out.get(score, 0) | c
    if fresh:
        key = 0.0 + w
        out[key] = out.get(key, 0) | fresh
    return out


def _best(classes: Classes, n: int, order: Sequence[int]) -> Classes:
    """The ``n`` best documents of ``classes`` by score, then by ``order`` (newer first)."""
    out: Classes = {}
    for score in sorted(classes, reverse=True):
        if n <= 0:
            break
        c = classes[score]
        k = c.bit_count()
        if k > n:
            top = newest(c, n, order)
            c, k = from_ids(top, max(top) + 1), n
        out[score] = c
        n -= k
    return out


def tokens_of(texts: Iterable[str], analyze: Callable[[str], Iterable[str]]) -> list[str]:
    """The analysed tokens of the query's words and phrases, in order, without repeats."""
    return list(dict.fromkeys(t for text in texts for t in analyze(text)))
