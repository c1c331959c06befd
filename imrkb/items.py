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


def _blocks(section: str) -> list[_Block]:
    """Cut the issues section at each "<item>: Upheld|Overturned" header paragraph."""
    text = _BOILERPLATE.sub("", section, count=1)
    heads = list(_OUTCOME_LINE.finditer(text))
    blocks: list[_Block] = []
    for k, m in enumerate(heads):
        prev_end = heads[k - 1].end() if k else 0
        # the item header starts after the last blank line before its outcome label
        para_start = text.rfind("\n\n", prev_end, m.start())
        start = para_start + 2 if para_start >= 0 else prev_end
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
