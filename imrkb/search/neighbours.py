"""Every decision's :data:`K` most similar decisions, exactly, over signatures (:mod:`.profiles`); pure.

The similarity of two decisions is the integer :func:`.profiles.score` of their signatures; a decision's
neighbours are the :data:`K` others of highest similarity above 0, ties going to the smaller id. Nothing
is approximated: the lists are what scoring every pair would give, found without scoring every pair.

:class:`SignatureIndex` numbers the decisions in id order and the terms rarest first, and keeps an
inverted list per term (the decisions holding it), sorted by how much weight each decision has in that
term and the commoner ones (``csq``, a squared length). For one decision X (:meth:`SignatureIndex.top`):

1. a probe: the decisions on X's rarest terms' lists, scored exactly; the k-th best is a lower bound
   ``theta`` of X's final k-th similarity;
2. a decision Y whose rarest term in common with X is X's j-th term can add at most
   ``sqrt(csq_Y x rest_X[j])`` (Cauchy-Schwarz; ``rest_X[j]`` is the squared length of X's j-th and
   commoner terms), so only the head of each list with ``csq_Y x rest_X[j] >= theta**2`` can hold a
   neighbour, and a term whose whole rest is bounded below ``theta`` needs no list at all;
3. those heads are scored exactly (vectorised) and the best k kept.

Scores are integers, so the order of additions never changes a result and ties break by id alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .profiles import Signature

#: Neighbours kept per decision.
K = 5
#: Decisions scored exactly in the probe (step 1).
PROBE = 256

#: A neighbour list: ``(other decision's number, integer similarity)``, best first.
Ranked = list[tuple[int, int]]


class SignatureIndex:
    """Signatures of a corpus as arrays: rows in id order, terms numbered rarest first.

    Build with :meth:`from_signatures`; ``ids`` are the decision ids (sorted), ``terms`` the term texts.
    """

    def __init__(
        self, ids: list[str], terms: list[str], indptr: np.ndarray, cols: np.ndarray, vals: np.ndarray
    ) -> None:
        self.ids = ids
        self.terms = terms
        self.number = {d: i for i, d in enumerate(ids)}
        n, v = len(ids), len(terms)
        lens = np.diff(indptr)
        rows = np.repeat(np.arange(n, dtype=np.int64), lens)
        order = np.lexsort((cols, rows))  # each row by term number
        self.indptr = indptr.astype(np.int64)
        self.cols = cols[order].astype(np.int32)
        self.vals = vals[order].astype(np.int32)
        sq = self.vals.astype(np.int64) ** 2
        suffix = np.append(np.cumsum(sq[::-1])[::-1], 0)
        csq = suffix[:-1] - suffix[np.repeat(self.indptr[1:], lens)]  # this term and the commoner ones
        self.longest = int(csq[self.indptr[:-1][lens > 0]].max()) if len(csq) else 0
        by_term = np.lexsort((rows, -csq, self.cols))
        self.p_ids = rows[by_term].astype(np.int32)
        self.p_w = self.vals[by_term]
        p_cols = self.cols[by_term].astype(np.int64)
        self.tptr = np.searchsorted(p_cols, np.arange(v + 1))
        self._big = self.longest + 2
        self.p_key = p_cols * self._big + (self._big - 1 - csq[by_term])  # per term, csq descending
        self.heaviest = np.zeros(v, np.int64)
        np.maximum.at(self.heaviest, self.cols, self.vals.astype(np.int64))
        self._dense = np.zeros(v, np.int32)
        self._pos = np.zeros(n, np.int32)
        self._term_number: dict[str, int] | None = None

    @classmethod
    def from_signatures(cls, signatures: dict[str, Signature]) -> SignatureIndex:
        ids = sorted(signatures)
        df: dict[str, int] = {}
        for s in signatures.values():
            for t, _ in s:
                df[t] = df.get(t, 0) + 1
        terms = sorted(df, key=lambda t: (df[t], t))
        number = {t: i for i, t in enumerate(terms)}
        lens = np.fromiter((len(signatures[d]) for d in ids), np.int64, len(ids))
        indptr = np.zeros(len(ids) + 1, np.int64)
        np.cumsum(lens, out=indptr[1:])
        total = int(indptr[-1])
        cols = np.fromiter((number[t] for d in ids for t, _ in signatures[d]), np.int64, total)
        vals = np.fromiter((q for d in ids for _, q in signatures[d]), np.int64, total)
        return cls(ids, terms, indptr, cols, vals)

    def replaced(self, drop: set[str], new: dict[str, Signature]) -> SignatureIndex:
        """This index without the decisions in ``drop`` and with ``new`` (added or replacing their old
        signature). Terms keep their numbers and new terms come last: any fixed term order gives the
        same (exact) neighbours, this one only saves sorting the corpus again."""
        kept = (d not in drop and d not in new for d in self.ids)
        keep = np.flatnonzero(np.fromiter(kept, bool, len(self)))
        terms = list(self.terms)
        number = dict(self._numbers())
        for d in sorted(new):
            for t, _ in new[d]:
                if t not in number:
                    number[t] = len(terms)
                    terms.append(t)
        added = sorted(new)
        ids = [self.ids[i] for i in keep] + added
        lens = np.concatenate([np.diff(self.indptr)[keep], [len(new[d]) for d in added]]).astype(np.int64)
        flat = _ranges(self.indptr[keep], np.diff(self.indptr)[keep])
        cols = np.concatenate([self.cols[flat], [number[t] for d in added for t, _ in new[d]]])
        vals = np.concatenate([self.vals[flat], [q for d in added for _, q in new[d]]])
        perm = np.array(sorted(range(len(ids)), key=ids.__getitem__), np.int64)
        starts = np.zeros(len(ids), np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        flat = _ranges(starts[perm], lens[perm])
        indptr = np.zeros(len(ids) + 1, np.int64)
        np.cumsum(lens[perm], out=indptr[1:])
        return SignatureIndex(
            [ids[i] for i in perm], terms, indptr, cols[flat].astype(np.int64), vals[flat].astype(np.int64)
        )

    def _numbers(self) -> dict[str, int]:
        if self._term_number is None:
            self._term_number = {t: i for i, t in enumerate(self.terms)}
        return self._term_number

    def __len__(self) -> int:
        return len(self.ids)

    def signature(self, i: int) -> Signature:
        a, b = self.indptr[i], self.indptr[i + 1]
        pairs = zip(self.cols[a:b].tolist(), self.vals[a:b].tolist(), strict=True)
        return tuple(sorted((self.terms[c], q) for c, q in pairs))

    def _row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.indptr[i], self.indptr[i + 1]
        return self.cols[a:b], self.vals[a:b]

    def _encode(self, sig: Signature) -> tuple[np.ndarray, np.ndarray]:
        """A signature from outside the index as (term numbers rarest first, weights); unknown terms
        are dropped (no decision of the index holds them)."""
        number = self._numbers()
        pairs = sorted((number[t], q) for t, q in sig if t in number)
        return np.array([c for c, _ in pairs], np.int32), np.array([q for _, q in pairs], np.int32)

    def _exact(self, cand: np.ndarray) -> np.ndarray:
        """Exact similarity of each candidate row to the signature loaded in ``_dense``."""
        st = self.indptr[cand]
        ln = self.indptr[cand + 1] - st
        off = np.zeros(len(cand), np.int64)
        np.cumsum(ln[:-1], out=off[1:])
        flat = _ranges(st, ln)
        prod = self._dense[self.cols[flat]].astype(np.int64) * self.vals[flat]
        return np.add.reduceat(prod, off) if len(cand) else np.zeros(0, np.int64)

    def _heads(self, xc: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Decisions at the head of each term's list with ``csq >= need`` (deduplicated)."""
        lo = self.tptr[xc]
        hi = np.searchsorted(self.p_key, xc.astype(np.int64) * self._big + (self._big - 1 - need), "right")
        c = self.p_ids[_ranges(lo, np.maximum(hi - lo, 0))]
        seq = np.arange(len(c), dtype=np.int32)
        self._pos[c] = seq
        return c[self._pos[c] == seq]  # the last occurrence of each

    def top(self, i: int, k: int = K) -> Ranked:
        """The ``k`` best ``(number, similarity)`` for decision ``i`` (never itself)."""
        return self._top(*self._row(i), k, skip=i)

    def top_of(self, sig: Signature, k: int = K, skip: str | None = None) -> Ranked:
        """The ``k`` best for any signature (``skip``: a decision id left out)."""
        xc, xv = self._encode(sig)
        return self._top(xc, xv, k, skip=self.number.get(skip, -1) if skip else -1)

    def _top(self, xc: np.ndarray, xv: np.ndarray, k: int, skip: int) -> Ranked:
        if not len(xc) or k <= 0:
            return []
        self._dense[xc] = xv
        try:
            x64 = xv.astype(np.int64)
            rest_sq = np.cumsum((x64 * x64)[::-1])[::-1]
            rest_max = np.cumsum((x64 * self.heaviest[xc])[::-1])[::-1]
            bound = np.minimum(rest_max, np.sqrt(rest_sq * float(self.longest)).astype(np.int64) + 2)
            starts, ends = self.tptr[xc], self.tptr[xc + 1]
            enough = int(np.searchsorted(np.cumsum(ends - starts), PROBE)) + 1
            probe = self._heads(xc[:enough], np.zeros(min(enough, len(xc)), np.int64))[: 2 * PROBE]
            probe = probe[probe != skip]
            theta = 1
            if len(probe) >= k:
                theta = max(1, int(np.partition(self._exact(probe), -k)[-k]))
            live = bound >= theta
            need = -(-(theta * theta) // rest_sq[live])
            cand = self._heads(xc[live], need)
            cand = cand[cand != skip]
            if not len(cand):
                return []
            s = self._exact(cand)
            keep = s > 0
            if len(cand) > k:
                keep &= s >= np.partition(s, -k)[-k]
            cand, s = cand[keep], s[keep]
            best = np.lexsort((cand, -s))[:k]
            return [(int(cand[j]), int(s[j])) for j in best]
        finally:
            self._dense[xc] = 0

    def scores(self, sig: Signature, skip: str | None = None) -> np.ndarray:
        """The similarity of ``sig`` to every decision (one number per row; 0 where nothing is shared)."""
        xc, xv = self._encode(sig)
        lo = self.tptr[xc]
        ln = self.tptr[xc + 1] - lo
        flat = _ranges(lo, ln)
        w = self.p_w[flat].astype(np.int64) * np.repeat(xv.astype(np.int64), ln)
        out = np.zeros(len(self.ids), np.int64)
        np.add.at(out, self.p_ids[flat], w)
        if skip is not None and skip in self.number:
            out[self.number[skip]] = 0
        return out


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] .. starts[i] + lengths[i] - 1`` of every range, concatenated."""
    lengths = np.asarray(lengths, np.int64)
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64)
    off = np.zeros(len(lengths), np.int64)
    np.cumsum(lengths[:-1], out=off[1:])
    return np.repeat(np.asarray(starts, np.int64) - off, lengths) + np.arange(total)


def top_all(index: SignatureIndex, numbers: Sequence[int], k: int = K) -> list[Ranked]:
    """:meth:`SignatureIndex.top` of each of ``numbers``."""
    return [index.top(i, k) for i in numbers]


def beats(entry: tuple[str, int], listed: Sequence[tuple[str, int]], k: int = K) -> bool:
    """Would ``entry`` (id, similarity) get into ``listed`` (at most ``k``, best first)?"""
    if entry[1] <= 0:
        return False
    if len(listed) < k:
        return True
    last = listed[-1]
    return entry[1] > last[1] or (entry[1] == last[1] and entry[0] < last[0])


def merge(
    listed: Sequence[tuple[str, int]], new: Sequence[tuple[str, int]], k: int = K
) -> list[tuple[str, int]]:
    """The best ``k`` of ``listed`` and ``new`` (ids in ``new`` replace theirs in ``listed``)."""
    entries = dict(listed)
    entries.update(new)
    return sorted(((d, s) for d, s in entries.items() if s > 0), key=lambda e: (-e[1], e[0]))[:k]
