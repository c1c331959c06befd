"""Synthetic determinations: seeded, deterministic :class:`~imrkb.models.Decision` records.

Letter ``i`` of seed ``s`` is drawn from its own ``random.Random(f"{s}/{i}")``, so the first N letters are
the same whatever the count, and any letter can be regenerated alone. Everything the record holds (items,
citations, summary, rationale, conclusions) is decided here; :mod:`imrkb.synth.render` only lays it out.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..models import Citation, Dates, Decision, Issue, Patient, Reviewer, Source
from .cite import Part, join_statement, none_citation, outside_mtus_sentence
from .vocab import Vocabulary, load_vocabulary

#: First line of every synthetic letter; the parser keeps ``synthetic: true`` when it sees it.
MARKER = "SYNTHETIC LETTER - NOT A REAL DECISION"

#: Layouts, the decision dates each was used for, and how it writes things.
#: ``form``: citation form; ``older``: share of "... and appropriate" conclusions; ``board``: credentials as
#: "Board Certified in X ... licensed to practice in Y" rather than the 2016 block; ``ca``: has a claims
#: administrator guideline; ``modified``: may carry "original request" items.
LAYOUTS: dict[str, dict[str, Any]] = {
    "mpr-2013": dict(
        start=dt.date(2013, 2, 15), form="pages", older=1.0, board=True, ca=False, priority=False
    ),
    "notice-2013": dict(
        start=dt.date(2013, 9, 1), form="pages", older=1.0, board=True, ca=True, priority=False
    ),
    "maximus-2014": dict(
        start=dt.date(2014, 1, 1), form="pages", older=0.8, board=True, ca=True, priority=True
    ),
    "case-number-2015": dict(
        start=dt.date(2015, 7, 1), form="pages", older=0.5, board=True, ca=True, priority=True
    ),
    "case-number-2016": dict(
        start=dt.date(2016, 10, 1), form="sections", older=0.04, board=False, ca=True, priority=True
    ),
}
LAST_DATE = dt.date(2017, 12, 31)


@dataclass(frozen=True)
class WrittenIssue:
    """How one item's guideline paragraphs read in the letter (after their labels)."""

    claims_administrator: str
    reviewer: str
    authorized: str | None = None
    treatment: str = ""  # the vocabulary key ("opioid", "mri", ...)
    category: str = ""  # DWC's treatment category of that entry


@dataclass(frozen=True)
class SynthLetter:
    """A synthetic determination and the wording its letter uses."""

    decision: Decision
    written: tuple[WrittenIssue, ...]
    seed: int
    index: int

    @property
    def render_seed(self) -> str:
        return f"{self.seed}/{self.index}/render"


def layout_for(date: dt.date) -> str:
    """The layout in use on a decision date."""
    name = "mpr-2013"
    for key, spec in LAYOUTS.items():
        if date >= spec["start"]:
            name = key
    return name


def _lcfirst(s: str) -> str:
    """Lower-case the first letter unless the first word is an acronym ("NSAIDs", "TENS", "MRI")."""
    word = s.split(" ", 1)[0]
    if len(word) > 1 and sum(ch.isupper() for ch in word) > 1:
        return s
    return s[:1].lower() + s[1:]


def _ucfirst(s: str) -> str:
    return s[:1].upper() + s[1:]


def _join_and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _fmt_short(d: dt.date, rng: random.Random) -> str:
    """Dates as summaries write them: 10-13-16, 10-13-2016 or 10/13/2016."""
    r = rng.random()
    if r < 0.4:
        return f"{d.month}-{d.day}-{d.year % 100:02d}"
    if r < 0.75:
        return f"{d.month}-{d.day}-{d.year}"
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


class Generator:
    """Draws letters from the vocabulary."""

    def __init__(self, seed: int, vocab: Vocabulary | None = None) -> None:
        self.seed = seed
        self.v = vocab or load_vocabulary()
        self.offset = random.Random(f"{seed}/case-numbers").randrange(10**7)

    # -- the letter ---------------------------------------------------------------------------------------

    def letter(self, index: int) -> SynthLetter:
        rng = random.Random(f"{self.seed}/{index}")
        v = self.v
        decision_date = self._decision_date(rng)
        layout = layout_for(decision_date)
        spec = LAYOUTS[layout]
        dates = self._dates(decision_date, rng)
        number = (self.offset + index * 7919) % 10**7  # 7919 is prime: unique for 10**7 letters of one seed
        assert dates.application_received is not None
        case_number = f"SYN{dates.application_received.year % 100:02d}-{number:07d}"

        n_items = v.items_per_letter.draw(rng)
        treatments = [v.treatments.draw(rng) for _ in range(n_items * 3)]
        region_key = rng.choice(treatments[0]["regions"])
        sides = v["regions"][region_key].get("sides") or ["left", "right"]
        side = rng.choice(sides)
        age = max(
            v["age"]["min"],
            min(v["age"]["max"], round(rng.triangular(v["age"]["min"], v["age"]["max"], v["age"]["mode"]))),
        )
        sex = v.sex.draw(rng)
        rate = v["overturn_rate"][decision_date.year]

        issues: list[Issue] = []
        written: list[WrittenIssue] = []
        seen: set[str] = set()
        tries = 0
        while len(issues) < n_items and tries < n_items * 20:
            treatment = treatments[tries] if tries < len(treatments) else v.treatments.draw(rng)
            tries += 1
            rk = region_key if region_key in treatment["regions"] else rng.choice(treatment["regions"])
            item, original, authorized = self._item(
                treatment, rk, side, rng, modified=layout == "case-number-2016"
            )
            if item.lower() in seen:
                continue
            seen.add(item.lower())
            label = item.upper() if layout == "case-number-2015" and rng.random() < 0.3 else item
            if layout in ("mpr-2013", "notice-2013") and treatment["category"] != "Pharmaceuticals":
                label = _lcfirst(item)  # items inside sentences: "the request for physical therapy ..."
            outcome = "overturned" if rng.random() < rate else "upheld"
            issue, w = self._issue(treatment, rk, label, item, original, authorized, outcome, layout, rng)
            issues.append(issue)
            written.append(w)

        reviewer = self._reviewer(spec["board"], rng)
        summary = self._summary(region_key, side, age, sex, dates, issues, written, rng)
        decision = Decision(
            id=case_number,
            case_number=case_number,
            layout=layout,
            priority=v.priority.draw(rng) if spec["priority"] else None,
            dates=dates,
            reviewer=reviewer,
            patient=Patient(age, sex),
            summary=summary,
            issues=tuple(issues),
            source=Source(f"{case_number}.txt", "0" * 64, None),
            synthetic=True,
        )
        return SynthLetter(decision, tuple(written), self.seed, index)

    def letters(self, count: int, start: int = 0) -> Iterator[SynthLetter]:
        for i in range(start, start + count):
            yield self.letter(i)

    # -- parts ----------------------------------------------------------------------------------------------

    def _decision_date(self, rng: random.Random) -> dt.date:
        year = self.v.years.draw(rng)
        first = max(dt.date(year, 1, 1), LAYOUTS["mpr-2013"]["start"])
        last = min(dt.date(year, 12, 31), LAST_DATE)
        return first + dt.timedelta(days=rng.randrange((last - first).days + 1))

    def _dates(self, decision: dt.date, rng: random.Random) -> Dates:
        assigned = decision - dt.timedelta(days=rng.randint(14, 42))
        received = assigned - dt.timedelta(days=rng.randint(1, 21))
        ur = received - dt.timedelta(days=0 if rng.random() < 0.15 else rng.randint(1, 28))
        years_back = rng.triangular(0.05, 14, 1.5)
        injury = ur - dt.timedelta(days=max(7, int(years_back * 365)))
        return Dates(
            decision=decision, assigned=assigned, injury=injury, ur_denial=ur, application_received=received
        )

    def _item(
        self, t: dict[str, Any], region_key: str, side: str, rng: random.Random, *, modified: bool
    ) -> tuple[str, str | None, str | None]:
        """The item as requested, and for a modified request the original and the authorized portion."""
        region = self.v["regions"][region_key]
        sides = region.get("sides") or ["left", "right"]
        s = side if side in sides else rng.choice(sides)
        part = rng.choice(region["parts"]).format(side=s)
        wordings = t["wordings"]
        wording = rng.choice(wordings[region_key] if isinstance(wordings, dict) else wordings)
        quantity = t.get("quantity") or [1]
        n = rng.choice(quantity)
        fill = dict(part=part, side=s)
        if modified and "{n}" in wording and n >= 4 and rng.random() < self.v["modified_share"] / 0.4:
            authorized = rng.randint(1, n - 1)
            return (
                _ucfirst(wording.format(n=n - authorized, **fill)),
                _ucfirst(wording.format(n=n, **fill)),
                _ucfirst(wording.format(n=authorized, **fill)),
            )
        return _ucfirst(wording.format(n=n, **fill)), None, None

    def _statement(
        self,
        t: dict[str, Any],
        region_key: str,
        rng: random.Random,
        *,
        form: str,
        reviewer: bool,
        layout: str,
    ) -> tuple[str, tuple[Citation, ...]]:
        who = "Expert Reviewer" if reviewer else "Claims Administrator"
        citer = self.v.citer
        region = self.v["regions"][region_key]
        options = t["cite"][form]
        r = rng.random()
        none_share = 0.015 if reviewer else (0.35 if layout == "case-number-2016" else 0.22)
        if r < none_share:
            sentence, citation = none_citation(who)
            return sentence, (citation,)
        option = rng.choice(options)
        parts = citer.parts(option, rng, form=form, region=region, region_key=region_key, reviewer=reviewer)
        odg_parts = [p for p in parts if not p.mtus]
        if form == "sections" and odg_parts and rng.random() < (0.1 if reviewer else 0.15):
            return f"{outside_mtus_sentence(who)} {join_statement(odg_parts)}", tuple(
                p.citation for p in odg_parts
            )
        if reviewer and region_key == "low_back" and rng.random() < 0.03:
            parts = parts + citer.parts(
                ["acoem-3rd:Low Back Disorders"],
                rng,
                form=form,
                region=region,
                region_key=region_key,
                reviewer=True,
            )
        return join_statement(parts), tuple(p.citation for p in _ordered(parts))

    def _issue(
        self,
        t: dict[str, Any],
        region_key: str,
        label: str,
        item: str,
        original: str | None,
        authorized: str | None,
        outcome: str,
        layout: str,
        rng: random.Random,
    ) -> tuple[Issue, WrittenIssue]:
        """One item: ``label`` is the item as the letter heads it (older letters upper-case it)."""
        spec = LAYOUTS[layout]
        form = spec["form"]
        if spec["ca"]:
            ca_text, ca = self._statement(t, region_key, rng, form=form, reviewer=False, layout=layout)
        else:
            ca_text, ca = "", ()
        rev_text, rev = self._statement(t, region_key, rng, form=form, reviewer=True, layout=layout)
        named = item if label.isupper() else label
        rationale = self._rationale(t, named, outcome, rng, older=rng.random() < spec["older"])
        issue = Issue(
            item=label,
            outcome=outcome,
            original_request=original,
            claims_administrator_citations=ca,
            reviewer_citations=rev,
            rationale=rationale,
        )
        return issue, WrittenIssue(ca_text, rev_text, authorized, t["key"], t["category"])

    def _rationale(
        self, t: dict[str, Any], item: str, outcome: str, rng: random.Random, *, older: bool
    ) -> str:
        rv = self.v["rationale"]
        said = rng.choice(t["rationale"]["guideline"])
        opening = rng.choice(rv["openings"])
        first = (
            said if said.startswith("The guidelines") or rng.random() < 0.2 else f"{opening} {_lcfirst(said)}"
        )
        findings = t["rationale"]["against" if outcome == "upheld" else "for"]
        finding = rng.choice(findings)
        connectors = [c for c in rv["case"] if not (finding.startswith("The records") and "records" in c)]
        case = f"{rng.choice(connectors)} {_lcfirst(finding)}"
        sentences = [first, case]
        if outcome == "upheld" and len(findings) > 1 and rng.random() < 0.4:
            sentences.append(rng.choice([f for f in findings if f != finding]))
        conclusion = rng.choice(rv[outcome]["older" if older else "modern"]).format(item=item)
        sentences.append(conclusion)
        return " ".join(sentences)

    def _reviewer(self, board: bool, rng: random.Random) -> Reviewer:
        v = self.v
        count = v.state_count.draw(rng)
        states: list[str] = []
        if rng.random() < v["licensure"]["california_share"]:
            states.append("California")
        while len(states) < count:
            s = v.states.draw(rng)
            if s not in states:
                states.append(s)
        rng.shuffle(states)
        spec = v.specialties.draw(rng)
        if board:
            return Reviewer(tuple(states[:2]), (spec["board"],))
        return Reviewer(tuple(states), tuple(spec["block"]))

    def _summary(
        self,
        region_key: str,
        side: str,
        age: int,
        sex: str,
        dates: Dates,
        issues: list[Issue],
        written: list[WrittenIssue],
        rng: random.Random,
    ) -> str:
        v = self.v
        sv = v["summary"]
        region = v["regions"][region_key]
        sides = region.get("sides") or ["left", "right"]
        s = side if side in sides else sides[0]
        part = rng.choice(region["parts"]).format(side=s)
        assert dates.injury and dates.ur_denial
        visit = dates.ur_denial - dt.timedelta(days=rng.randint(3, 30))
        visit = max(visit, dates.injury + dt.timedelta(days=1))
        dx = rng.sample(region["diagnoses"], k=min(len(region["diagnoses"]), rng.randint(1, 3)))
        fill = dict(
            age=age,
            sex=sex,
            injury=_fmt_short(dates.injury, rng),
            part=part,
            side=s,
            visit=_fmt_short(visit, rng),
            ur=_fmt_short(dates.ur_denial, rng),
            diagnoses=_join_and([d.format(side=s) for d in dx]),
            complaint=rng.choice(region["complaints"]).format(side=s),
            pain=f"{rng.randint(3, 7)}-{rng.randint(7, 9)}" if rng.random() < 0.5 else str(rng.randint(3, 9)),
        )
        sentences = [rng.choice(sv["openings"])]
        if rng.random() < 0.6:
            sentences.append(rng.choice(sv["mechanisms"]))
        sentences += [
            rng.choice(sv["diagnoses"]),
            rng.choice(sv["complaints"]),
            rng.choice(sv["pain"]),
            rng.choice(sv["exam"]),
            rng.choice(sv["history"]),
            rng.choice(sv["work"]),
        ]
        items = [
            (i.original_request or i.item.capitalize() if i.item.isupper() else i.original_request or i.item)
            if w.category == "Pharmaceuticals"  # drug names keep their capital
            else _lcfirst(i.original_request or (i.item.lower() if i.item.isupper() else i.item))
            for i, w in zip(issues, written, strict=True)
        ]
        modified = any(i.original_request for i in issues)
        ur = sv["ur_modified"] if modified else rng.choice(sv["ur"])
        sentences.append(
            ur.replace(
                "{items}",
                _join_and(items[:4]) + (" and other items" if len(items) > 4 else ""),
            )
        )
        text = " ".join(x for x in sentences if x)
        return text.format(**fill)


def _ordered(parts: list[Part]) -> list[Part]:
    """Citations in the order :func:`join_statement` writes them: MTUS parts first, then the others."""
    return [p for p in parts if p.mtus] + [p for p in parts if not p.mtus]


def generate(count: int, seed: int, start: int = 0) -> Iterator[SynthLetter]:
    """``count`` synthetic letters of ``seed``, from letter number ``start``."""
    return Generator(seed).letters(count, start)
