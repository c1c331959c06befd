"""Relevance evaluation: judged queries over a synthetic corpus whose ground truth the generator knows.

The judged queries (``tests/search/judged_queries.yaml``) say which items are relevant by conditions on
what the synthetic generator put in each item (its text, treatment key, outcome, citations), never by
hard-coded ids, so the judgments hold for any seed and size. Used by the relevance tests and
``bench/search.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..models import Decision, Issue
from ..records import atomic_write_text, to_yaml

#: The judged query set shipped with the tests.
JUDGED = Path(__file__).resolve().parents[2] / "tests" / "search" / "judged_queries.yaml"


@dataclass(frozen=True)
class Truth:
    """What the generator knows about one item."""

    decision: Decision
    issue: Issue
    treatment: str


@dataclass(frozen=True)
class Judged:
    query: str
    relevant: dict[str, Any]
    min_p5: float


def load_judged(path: Path = JUDGED) -> list[Judged]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Judged(str(q["query"]), dict(q["relevant"]), float(q.get("min_p5", 0.0))) for q in data["queries"]
    ]


def write_synthetic_corpus(root: Path, count: int, seed: int) -> dict[tuple[str, int], Truth]:
    """Write ``count`` synthetic records of ``seed`` as ``root/decisions/<year>/<id>.yaml``; return the
    ground truth per ``(decision id, item number)``."""
    from ..synth.generate import generate

    truth: dict[tuple[str, int], Truth] = {}
    for letter in generate(count, seed):
        d = letter.decision
        atomic_write_text(root / "decisions" / d.year_folder / f"{d.id}.yaml", to_yaml(d))
        for n, (issue, written) in enumerate(zip(d.issues, letter.written, strict=True), 1):
            truth[(d.id, n)] = Truth(d, issue, written.treatment)
    return truth


def _cites(issue: Issue) -> Iterable[Any]:
    return (*issue.reviewer_citations, *issue.claims_administrator_citations)


def predicate(cond: dict[str, Any]) -> Callable[[Truth], bool]:
    """The relevance test of one judged query's ``relevant`` conditions (all must hold)."""
    checks: list[Callable[[Truth], bool]] = []
    for key, arg in cond.items():
        if key == "item_all":
            checks.append(lambda t, a=arg: all(w.lower() in t.issue.item.lower() for w in a))
        elif key == "item_any":
            checks.append(lambda t, a=arg: any(w.lower() in t.issue.item.lower() for w in a))
        elif key == "treatment":
            checks.append(lambda t, a=arg: t.treatment in a)
        elif key == "outcome":
            checks.append(lambda t, a=arg: t.issue.outcome == a)
        elif key == "year":
            checks.append(
                lambda t, a=arg: bool(t.decision.dates.decision) and t.decision.dates.decision.year == a
            )
        elif key == "cites_page":
            g, ch, page = arg
            checks.append(
                lambda t, g=g, ch=ch, page=page: any(
                    c.guideline == g and c.chapter == ch and any(lo <= page <= hi for lo, hi in c.pages)
                    for c in _cites(t.issue)
                )
            )
        elif key == "cites_topic":
            g, text = arg
            checks.append(
                lambda t, g=g, text=text: any(
                    c.guideline == g and any(text.lower() in tp.lower() for tp in c.topics)
                    for c in _cites(t.issue)
                )
            )
        elif key == "cites_chapter":
            g, ch = arg
            checks.append(
                lambda t, g=g, ch=ch: any(c.guideline == g and c.chapter == ch for c in _cites(t.issue))
            )
        else:
            raise ValueError(f"judged query: unknown condition {key!r}")
    return lambda t: all(check(t) for check in checks)


@dataclass(frozen=True)
class Judgement:
    query: str
    relevant_in_corpus: int
    top: list[tuple[str, int]]
    relevant_in_top: int
    k: int
    min_p5: float

    @property
    def precision(self) -> float:
        return self.relevant_in_top / self.k


def judge(index: Any, judged: Judged, truth: dict[tuple[str, int], Truth], k: int = 5) -> Judgement:
    """Run one judged query on ``index`` (a :class:`~.searching.PrecedentIndex`) and score its top ``k``."""
    is_relevant = predicate(judged.relevant)
    relevant = {key for key, t in truth.items() if is_relevant(t)}
    result = index.search(judged.query, limit=k, facets=())
    top = [(h.decision, h.n) for h in result.hits]
    return Judgement(
        judged.query, len(relevant), top, sum(1 for key in top if key in relevant), k, judged.min_p5
    )
