"""Ranking the items a query matched, by set arithmetic over cached term document sets.

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
from collections.abc import Set as AbstractSet

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

DocSet = AbstractSet[int]


def rank(
    docs: DocSet,
    tokens: Sequence[str],
    docset: Callable[[str, str], DocSet],
    total: int,
    length: Callable[[int, str], int],
    avg_length: Callable[[str], float],
    weights: Callable[[str, str, list[int]], dict[int, float]],
    order: Sequence[int],
    limit: int,
) -> list[tuple[int, float]]:
    """The best ``limit`` of ``docs`` as ``(docnum, score)``, best first.

    ``docset(field, token)`` gives the documents holding a token in a field, ``total`` the number of
    documents, ``length(docnum, field)`` and ``avg_length(field)`` the field lengths, and
    ``weights(field, token, docnums)`` the token's frequency in those (sorted) documents, and
    ``order[docnum]`` the tie-break (newer first, then a fixed order independent of how the index was built).
    """
    if not docs or limit <= 0:
        return []
    pairs: list[list[tuple[str, str, DocSet, float]]] = []
    for group in GROUPS:
        found = []
        for field in group:
            for token in dict.fromkeys(tokens):
                s = docset(field, token)
                if s:
                    found.append((field, token, s, TEXT_FIELDS[field] * math.log(1 + total / len(s))))
        pairs.append(found)

    scores: dict[int, float] = {}
    for group_pairs in pairs:
        if len(scores) >= POOL:
            scores = {d: scores[d] for d in _best(scores, POOL, order)}
            for _, _, s, w in group_pairs:
                for d in scores:
                    if d in s:
                        scores[d] += w
        else:
            for _, _, s, w in group_pairs:
                for d in s & docs:
                    scores[d] = scores.get(d, 0.0) + w
    if (
        len(scores) < limit
    ):  # matched by a phrase or word the groups do not cover: keep the rest, newest first
        rest = heapq.nlargest(
            limit - len(scores), (d for d in docs if d not in scores), key=order.__getitem__
        )
        scores.update(dict.fromkeys(rest, 0.0))

    pool = sorted(_best(scores, FINAL, order))
    final = dict.fromkeys(pool, 0.0)
    for group_pairs in pairs:
        for field, token, s, w in group_pairs:
            hit = [d for d in pool if d in s]
            if not hit:
                continue
            tf = weights(field, token, hit) if field in TF_FIELDS else {}
            avg = avg_length(field)
            for d in hit:
                f = tf.get(d, 1.0)
                final[d] += w * f * (K1 + 1) / (f + K1 * (1 - B + B * length(d, field) / avg)) if avg else w
    return [(d, final[d]) for d in _best(final, limit, order)]


def _best(scores: dict[int, float], n: int, order: Sequence[int]) -> list[int]:
    """The ``n`` best documents by score, then by ``order`` (newer first)."""
    return heapq.nlargest(n, scores, key=lambda d: (scores[d], order[d]))


def tokens_of(texts: Iterable[str], analyze: Callable[[str], Iterable[str]]) -> list[str]:
    """The analysed tokens of the query's words and phrases, in order, without repeats."""
    return list(dict.fromkeys(t for text in texts for t in analyze(text)))
