"""The disputed items of a letter: item, outcome, both sides' citations and the rationale."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .catalog import Catalog
from .citations import extract_citations
from .models import Issue

_OUTCOME_LINE = re.compile(r":\s*(Upheld|Overturned)\s*$", re.I | re.M)
_CA = re.compile(r"Claims\s+Administrator\s+guidelines?\s*:", re.I)
_REV = re.compile(r"(?:MAXIMUS|Expert\s+Reviewer(?:'s)?|Reviewer)\s+guidelines?\s*:", re.I)
_RATIONALE = re.compile(r"Decision\s+rationale\s*:", re.I)
_MODIFIED = re.compile(
    r"^(?P<orig>.+?)\s+was\s+the\s+original\s+request\.\s+.*?"
    r"(?:The\s+remaining\s+IMR\s+eligible\s+portion\s+of\s+the\s+original\s+request|The\s+original\s+request)"
    r"\s*,\s*(?P<item>.+?)\s+is\s*$",
    re.I | re.S,
)
_BOILERPLATE = re.compile(r"^.*?set\s+forth\s+below\s*:", re.I | re.S)
#: Conclusions that decide the outcome when a letter has no label; the negative ones are tried first.
NOT_NECESSARY = re.compile(
    r"(?:is|was|are|were)\s+(?:(?:determined|deemed|found|considered)\s+(?:to\s+be\s+)?)?not\s+"
    r"(?:medically\s+necessary|supported|indicated|recommended|warranted)"
    r"|non-?certified|not\s+certified",
    re.I,
)
NECESSARY = re.compile(
    r"(?:is|was|are|were)\s+(?:(?:determined|deemed|found|considered)\s+(?:to\s+be\s+)?)?medically\s+necessary",
    re.I,
)


def _norm(text: str) -> str:
    return " ".join(text.split())


def outcome_from_conclusion(rationale: str) -> str | None:
    """``upheld``/``overturned`` from a rationale's last conclusion ("... is not medically necessary")."""
    last_not = max((m.end() for m in NOT_NECESSARY.finditer(rationale)), default=-1)
    last_yes = max((m.end() for m in NECESSARY.finditer(rationale)), default=-1)
    if last_not < 0 and last_yes < 0:
        return None
    return "upheld" if last_not >= last_yes else "overturned"


@dataclass(frozen=True)
class _Block:
    header: str
    outcome: str
    body: str


_CONCLUSION_END = re.compile(r"medically\s+necessary(?:\s+and\s+appropriate)?\s*\.[\"'\u201d]?", re.I)


def _header_start(text: str, prev_end: int, outcome_at: int) -> int:
    """Where an item's header begins: after the previous item's rationale.

    That is after the last blank line or the last conclusion sentence ("... is not medically necessary."),
    whichever is later, so extractors that keep no blank lines between paragraphs still split right.
    """
    why = _RATIONALE.search(text, prev_end, outcome_at)
    lo = why.end() if why else prev_end
    blank = text.rfind("\n\n", lo, outcome_at)
    concl = [c.end() for c in _CONCLUSION_END.finditer(text, lo, outcome_at)]
    start = max(blank + 2 if blank >= 0 else lo, concl[-1] if concl else lo)
    if start == lo and not why:  # no rationale found: the header is the outcome line's own paragraph
        start = text.rfind("\n", lo, outcome_at) + 1 or lo
    header = text[start:outcome_at]
    ends = [e.end() for e in re.finditer(r"[.!?][\"'\u201d)]?[ \t]*\n", header)]
    if ends and not re.search(r"original\s+request", header, re.I):
        start += ends[-1]  # a sentence the rationale ends with after its conclusion
    return start


def _blocks(section: str) -> list[_Block]:
    """Cut the issues section at each "<item>: Upheld|Overturned" header paragraph."""
    text = _BOILERPLATE.sub("", section, count=1)
    heads = list(_OUTCOME_LINE.finditer(text))
    blocks: list[_Block] = []
    for k, m in enumerate(heads):
        prev_end = heads[k - 1].end() if k else 0
        start = _header_start(text, prev_end, m.start()) if k else prev_end
        if k:  # and the previous block's body ends there
            blocks[-1] = _Block(blocks[-1].header, blocks[-1].outcome, text[prev_end:start])
        blocks.append(_Block(text[start : m.start()], m.group(1).lower(), ""))
    if blocks:
        blocks[-1] = _Block(blocks[-1].header, blocks[-1].outcome, text[heads[-1].end() :])
    return blocks


def _parts(body: str) -> tuple[str, str, str]:
    """(claims administrator paragraph, reviewer paragraph, rationale) of one item's body."""
    marks = sorted(
        (m.start(), m.end(), name)
        for name, pat in (("ca", _CA), ("rev", _REV), ("why", _RATIONALE))
        for m in [pat.search(body)]
        if m
    )
    out = {"ca": "", "rev": "", "why": ""}
    for k, (_, end, name) in enumerate(marks):
        stop = marks[k + 1][0] if k + 1 < len(marks) else len(body)
        out[name] = body[end:stop]
    return out["ca"], out["rev"], out["why"]


def parse_items(section: str, catalog: Catalog) -> list[Issue]:
    """Every disputed item of an "IMR ISSUES, DECISIONS AND RATIONALES" section."""
    issues = []
    for b in _blocks(section):
        header = _norm(b.header)
        item, original = header, None
        m = _MODIFIED.match(header)
        if m:
            item, original = _norm(m.group("item")), _norm(m.group("orig"))
        ca, rev, why = _parts(b.body)
        issues.append(
            Issue(
                item=item,
                original_request=original,
                outcome=b.outcome or outcome_from_conclusion(why) or "upheld",
                claims_administrator_citations=tuple(extract_citations(ca, catalog)),
                reviewer_citations=tuple(extract_citations(rev, catalog)),
                rationale=_norm(why),
            )
        )
    return issues


# --- numbered layouts (2013-2015): "1. <item> is not medically necessary", "1) Regarding the request for X:"

_NUMBERED_DECISION = re.compile(
    r"^[ \t]*(\d{1,2})[.)][ \t]+(?:MAXIMUS\s+Federal\s+Services,?\s+Inc\.\s+has\s+determined\s+(?:that\s+)?"
    r"the\s+request\s+for\s+)?(?!Regarding\b)(?P<item>(?:(?!Regarding\s+the\s+request|\n[ \t]*\n).){1,400}?)"
    r"\s+(?:is|was|are|were)\s+(?P<neg>not\s+)?medically\s+necessary"
    r"(?:\s+and\s+appropriate)?\s*\.",
    re.I | re.M | re.S,
)
_REGARDING = re.compile(
    r"^[ \t]*(\d{1,2})\)[ \t]+Regarding\s+the\s+request\s+for\s+(?P<item>.+?):[ \t]*$", re.I | re.M | re.S
)
_NOTICE_CA = re.compile(
    r"Medical\s+Treatment\s+Guideline\(s\)\s+the\s+Claims\s+Administrator\s+based\s+its"
    r"\s+decision\s+on\s*:",
    re.I,
)
_NOTICE_REV = re.compile(
    r"Medical\s+Treatment\s+Guideline\(s\)\s+the\s+Expert\s+Reviewer\s+based\s+"
    r"(?:his/her|his|her|their|its)\s+decision\s+on\s*:",
    re.I,
)
_NOTICE_WHY = re.compile(r"Rationale\s+for\s+the\s+Decision\s*:", re.I)
_ISSUE_LIST_ENTRY = re.compile(r"^[ \t]*(\d{1,2})[.)][ \t]+(.+?)[ \t]*$", re.M)


def _cut(text: str, marks: dict[str, re.Pattern[str]]) -> dict[str, str]:
    """Text after each mark up to the next one (marks may come in any order; missing ones are empty)."""
    found = sorted((m.start(), m.end(), name) for name, pat in marks.items() for m in [pat.search(text)] if m)
    out = dict.fromkeys(marks, "")
    for k, (_, end, name) in enumerate(found):
        out[name] = text[end : found[k + 1][0] if k + 1 < len(found) else len(text)]
    return out


def _regarding_blocks(text: str) -> dict[int, str]:
    """``{n: block}`` for the "n) Regarding the request for X:" blocks of a section."""
    heads = list(_REGARDING.finditer(text))
    return {
        int(m.group(1)): text[m.end() : heads[k + 1].start() if k + 1 < len(heads) else len(text)]
        for k, m in enumerate(heads)
    }


def parse_numbered_decisions(section: str, catalog: Catalog) -> list[Issue]:
    """``1. <item> is not medically necessary and appropriate.`` followed by the usual three paragraphs."""
    text = _BOILERPLATE.sub("", section, count=1)
    heads = list(_NUMBERED_DECISION.finditer(text))
    issues = []
    for k, m in enumerate(heads):
        body = text[m.end() : heads[k + 1].start() if k + 1 < len(heads) else len(text)]
        ca, rev, why = _parts(body)
        issues.append(
            Issue(
                item=_norm(m.group("item")),
                outcome="upheld" if m.group("neg") else "overturned",
                claims_administrator_citations=tuple(extract_citations(ca, catalog)),
                reviewer_citations=tuple(extract_citations(rev, catalog)),
                rationale=_norm(why),
            )
        )
    return issues


def parse_notice_items(text: str, catalog: Catalog) -> list[Issue]:
    """Notice letters: the numbered determinations, then one "n) Regarding the request for X:" block each."""
    decisions = {int(m.group(1)): m for m in _NUMBERED_DECISION.finditer(text)}
    blocks = _regarding_blocks(text)
    issues = []
    for n, m in sorted(decisions.items()):
        parts = _cut(blocks.get(n, ""), {"ca": _NOTICE_CA, "rev": _NOTICE_REV, "why": _NOTICE_WHY})
        issues.append(
            Issue(
                item=_norm(m.group("item")),
                outcome="upheld" if m.group("neg") else "overturned",
                claims_administrator_citations=tuple(extract_citations(parts["ca"], catalog)),
                reviewer_citations=tuple(extract_citations(parts["rev"], catalog)),
                rationale=_norm(parts["why"]),
            )
        )
    return issues


def parse_review_items(issue_list: str, guidelines: str, rationale: str, catalog: Catalog) -> list[Issue]:
    """ "Medical professional review" letters: a numbered issue list, then per-item guideline and rationale
    blocks; the reviewer's citations only, the outcome from each rationale's conclusion."""
    items = {int(m.group(1)): _norm(m.group(2)) for m in _ISSUE_LIST_ENTRY.finditer(issue_list)}
    cites, whys = _regarding_blocks(guidelines), _regarding_blocks(rationale)
    issues = []
    for n, item in sorted(items.items()):
        why = _norm(whys.get(n, ""))
        issues.append(
            Issue(
                item=item,
                outcome=outcome_from_conclusion(why) or "upheld",
                reviewer_citations=tuple(extract_citations(cites.get(n, ""), catalog)),
                rationale=why,
            )
        )
    return issues
