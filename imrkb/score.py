"""Score the parser on real letters against reference labels (``labels.json``), field by field.

The labels come from an independent extractor: dates as ISO strings, reviewer lists, and per issue
``item`` / ``item_alt`` (the IMR-eligible portion of a modified request), ``outcome`` and both sides'
citations as ``{guideline, chapter, topics}`` with ODG chapters as written. Both sides are compared in the
same normal form: ODG chapters resolved to catalog slugs, topics compared case- and spacing-insensitively.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .catalog import Catalog, load_catalog, topic_key
from .errors import ImrkbError
from .models import Citation, Decision
from .parse import parse_file

HEADER_FIELDS: dict[str, Callable[[Decision], Any]] = {
    "case_number": lambda d: d.case_number,
    "decision_date": lambda d: d.dates.decision,
    "date_assigned": lambda d: d.dates.assigned,
    "date_of_injury": lambda d: d.dates.injury,
    "ur_denial_date": lambda d: d.dates.ur_denial,
    "application_received": lambda d: d.dates.application_received,
    "priority": lambda d: d.priority,
    "reviewer.licensed_in": lambda d: list(d.reviewer.licensed_in),
    "reviewer.specialties": lambda d: list(d.reviewer.specialties),
}


@dataclass
class Score:
    right: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    def add(self, name: str, ok: bool, where: str, got: Any, want: Any) -> None:
        self.total[name] += 1
        if ok:
            self.right[name] += 1
        else:
            self.misses.append(f"{where}: {name}: got {got!r}, label {want!r}")

    @property
    def overall(self) -> float:
        total = sum(self.total.values())
        return sum(self.right.values()) / total if total else 0.0


def _label_value(label: dict[str, Any], name: str) -> Any:
    if name.startswith("reviewer."):
        return label.get("reviewer", {}).get(name.split(".", 1)[1])
    return label.get(name)


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, list):
        return [str(x).strip().lower() for x in got or []] == [str(x).strip().lower() for x in want]
    if got is None or want is None:
        return got == want
    return str(got).strip().lower() == str(want).strip().lower()


def odg_chapter_slug(text: str | None, catalog: Catalog) -> str | None:
    """An ODG chapter as written (label form) -> catalog slug, the first chapter the catalog recognises."""
    if not text:
        return None
    if catalog["odg"].chapter(text) is not None:  # already a slug
        return text
    best: tuple[int, str] | None = None
    for ch in catalog["odg"].chapters:
        for p in ch.match.patterns:
            m = p.search(text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), str(ch.key))
    return best[1] if best else None


def _label_key(c: dict[str, Any], catalog: Catalog) -> tuple[Any, ...]:
    g = c.get("guideline")
    if g == "odg":
        return ("odg", odg_chapter_slug(c.get("chapter"), catalog), "")
    if g in ("none", "other", "acoem"):
        return (g, None, "")
    return (g, c.get("chapter"), topic_key(", ".join(c.get("topics") or [])))


def _my_key(c: Citation) -> tuple[Any, ...]:
    if c.guideline == "odg":
        return ("odg", c.chapter, "")
    if c.guideline in ("none", "other", "acoem"):
        return (c.guideline, None, "")
    return (c.guideline, c.chapter, topic_key(", ".join(c.topics)))


def citations_match(mine: tuple[Citation, ...], labels: list[dict[str, Any]], catalog: Catalog) -> bool:
    """Same citations in the same order, in the labels' granularity (ODG and non-MTUS by chapter only)."""
    return [_my_key(c) for c in mine] == [_label_key(c, catalog) for c in labels]


def score_letter(d: Decision, label: dict[str, Any], score: Score, catalog: Catalog) -> None:
    where = label.get("case_number") or d.id
    for name, get in HEADER_FIELDS.items():
        got, want = get(d), _label_value(label, name)
        score.add(name, _same(got, want), where, got, want)
    want_issues = label.get("issues") or []
    score.add("issues.count", len(d.issues) == len(want_issues), where, len(d.issues), len(want_issues))
    for k, want in enumerate(want_issues):
        w = f"{where} issue {k + 1}"
        got = d.issues[k] if k < len(d.issues) else None
        item_want = want.get("item_alt") or want.get("item")
        score.add(
            "issue.item", got is not None and _same(got.item, item_want), w, got and got.item, item_want
        )
        if want.get("item_alt"):
            orig_ok = (
                got is not None
                and bool(got.original_request)
                and want["item"]
                .lower()
                .startswith(f"{got.original_request} was the original request".lower())
            )
            score.add("issue.original_request", orig_ok, w, got and got.original_request, want["item"])
        score.add(
            "issue.outcome",
            got is not None and got.outcome == want.get("outcome"),
            w,
            got and got.outcome,
            want.get("outcome"),
        )
        for side, attr in (
            ("claims_administrator", "claims_administrator_citations"),
            ("reviewer", "reviewer_citations"),
        ):
            mine = getattr(got, attr) if got else ()
            ok = citations_match(mine, want.get(side) or [], catalog)
            score.add(
                f"issue.{side}_citations",
                ok,
                w,
                [_my_key(c) for c in mine],
                [_label_key(c, catalog) for c in want.get(side) or []],
            )


def apply_corrections(labels: dict[str, Any], corrections: list[dict[str, Any]]) -> dict[str, Any]:
    """A copy of ``labels`` with each correction's ``citations`` put in place of the label's."""
    out = copy.deepcopy(labels)
    for c in corrections:
        issue = out[c["case"]]["issues"][int(c["issue"]) - 1]
        issue[c["side"]] = c["citations"]
    return out


def load_corrections(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as e:
        raise ImrkbError(f"{path}: cannot read label corrections: {e}") from e
    for k, c in enumerate(data):
        missing = {"case", "issue", "side", "reason", "citations"} - set(c)
        if missing:
            raise ImrkbError(f"{path}: entry {k + 1}: missing {', '.join(sorted(missing))}")
    return data


def score_folder(
    folder: Path, labels_path: Path | None = None, corrections: list[dict[str, Any]] | None = None
) -> Score:
    """Parse every PDF under ``folder`` (or ``folder/pdf``) and score it against ``labels.json``
    (with ``corrections`` applied to the labels first, when given)."""
    labels_path = labels_path or folder / "labels.json"
    try:
        labels = json.loads(labels_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ImrkbError(f"{labels_path}: cannot read labels: {e}") from e
    if corrections:
        labels = apply_corrections(labels, corrections)
    pdf_dir = folder / "pdf" if (folder / "pdf").is_dir() else folder
    catalog = load_catalog()
    score = Score()
    for pdf in sorted(pdf_dir.glob("*.pdf")):
        label = labels.get(pdf.stem)
        if label is None:
            continue
        try:
            d = parse_file(pdf, catalog)
        except ImrkbError as e:
            score.add("parsed", False, pdf.name, str(e), "a record")
            continue
        score.add("parsed", True, pdf.name, None, None)
        score_letter(d, label, score, catalog)
    return score
