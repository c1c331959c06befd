"""Synthetic letters as text: one renderer per layout, each giving the letter's *logical* lines.

A logical line is a heading, a label line or a whole paragraph (unwrapped); ``""`` is a blank line.
:mod:`imrkb.synth.damage` then wraps, breaks pages and adds the other marks of PDF extraction. The boilerplate
here is written for this project: it has the shape of the public letters, not their sentences. Choices that
do not change the record (header order, spacing, which boilerplate variant) come from a ``Random`` seeded by
the letter, so rendering is deterministic.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from ..models import Decision, Issue
from .generate import MARKER, SynthLetter, WrittenIssue

Lines = list[str]


def _mdy(d: dt.date | None) -> str:
    assert d is not None
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


def _mdy_short(d: dt.date | None) -> str:
    assert d is not None
    return f"{d.month}/{d.day}/{d.year}"


def _states(states: tuple[str, ...]) -> str:
    return states[0] if len(states) == 1 else ", ".join(states[:-1]) + " and " + states[-1]


def _board_sentence(d: Decision, rng: random.Random) -> str:
    spec = d.reviewer.specialties[0]
    comma = "," if rng.random() < 0.6 else ""
    return (
        f"The expert reviewer is Board Certified in {spec}{comma} and is licensed to practice in "
        f"{_states(d.reviewer.licensed_in)}."
    )


REVIEW_MADE = (
    "MAXIMUS Federal Services forwarded the full case file to an independent expert reviewer, who has no "
    "affiliation with the employer, the employee, the providers or the claims administrator.",
    "The reviewer has practiced clinically for over five years and currently practices at least 24 hours "
    "each week. The reviewer was chosen for clinical experience, training and expertise in the specialties "
    "that evaluate or treat the condition and the disputed items/services, and knows the governing laws and "
    "regulations, including the strength of evidence hierarchy that applies to Independent Medical Review "
    "determinations.",
)
SUMMARY_INTRO = (
    "The expert reviewer prepared the following clinical case summary from the case file, including all "
    "medical records:"
)
ISSUES_INTRO = (
    "The Final Determination is based on the decisions on the disputed items/services set forth below:"
)


def _blank(rng: random.Random, p: float = 0.5) -> Lines:
    return [""] if rng.random() < p else []


def _label(issue: Issue, w: WrittenIssue, rng: random.Random) -> str:
    """The item line of the Case-Number layouts: "<item>: Upheld" or the modified-request sentence."""
    outcome = "Upheld" if issue.outcome == "upheld" else "Overturned"
    gap = "  " if rng.random() < 0.35 else " "
    if issue.original_request:
        return (
            f"{issue.original_request} was the original request. {w.authorized} was authorized by the Claims "
            f"Administrator. The remaining IMR eligible portion of the original request, {issue.item} is:"
            f"{gap}{outcome}"
        )
    return f"{issue.item}:{gap}{outcome}"


def _guideline_block(issue: Issue, w: WrittenIssue, rng: random.Random, *, ca: bool = True) -> Lines:
    out: Lines = []
    if ca:
        out += [f"Claims Administrator guideline: {w.claims_administrator}", *_blank(rng, 0.8)]
    out += [f"MAXIMUS guideline: {w.reviewer}", *_blank(rng, 0.8)]
    out += [f"Decision rationale: {issue.rationale}", ""]
    return out


def _case_header(d: Decision, rng: random.Random) -> Lines:
    """The Case-Number header, with the reorderings extraction produces from its table."""
    dates = d.dates
    prio = (d.priority or "standard").capitalize()
    variant = rng.randrange(3)
    if variant == 0:  # the table read row by row, "Application Received:" wrapped in its cell
        return [
            f"Case Number: {d.case_number}",
            f"Date Assigned: {_mdy(dates.assigned)} Date of Injury:  {_mdy(dates.injury)}",
            f"Decision Date: {_mdy(dates.decision)} UR Denial Date:  {_mdy(dates.ur_denial)}",
            f"Priority:  {prio} Application",
            "Received:",
            _mdy(dates.application_received),
        ]
    if variant == 1:  # one field a line
        return [
            f"Case Number: {d.case_number}",
            f"Date Assigned: {_mdy(dates.assigned)}",
            f"Date of Injury: {_mdy(dates.injury)}",
            f"Decision Date: {_mdy(dates.decision)}",
            f"UR Denial Date: {_mdy(dates.ur_denial)}",
            f"Priority: {prio}",
            f"Application Received: {_mdy(dates.application_received)}",
        ]
    return [  # the right-hand column first
        f"Case Number: {d.case_number}",
        f"Date of Injury:  {_mdy(dates.injury)} Date Assigned: {_mdy(dates.assigned)}",
        f"UR Denial Date:  {_mdy(dates.ur_denial)} Decision Date: {_mdy(dates.decision)}",
        f"Application Received: {_mdy(dates.application_received)} Priority: {prio}",
    ]


def case_number_letter(letter: SynthLetter, rng: random.Random) -> Lines:
    """Layouts 4a (``case-number-2015``: "Board Certified ...") and 4b (``case-number-2016``: credentials)."""
    d = letter.decision
    block = d.layout == "case-number-2016"
    out: Lines = [MARKER, "", *_case_header(d, rng), "", "HOW THE IMR FINAL DETERMINATION WAS MADE"]
    if block:
        out += [" ".join(REVIEW_MADE), ""]
        sep = "," if rng.random() < 0.5 else ", "
        out += [
            "The Expert Reviewer has the following credentials:",
            f"State(s) of Licensure: {sep.join(d.reviewer.licensed_in)}",
            f"Certification(s)/Specialty: {', '.join(d.reviewer.specialties)}",
            "",
        ]
    else:
        out += [f"{REVIEW_MADE[0]} {_board_sentence(d, rng)} {REVIEW_MADE[1]}", ""]
    out += ["CLINICAL CASE SUMMARY", SUMMARY_INTRO, *_blank(rng, 0.7), d.summary, ""]
    out += ["IMR ISSUES, DECISIONS AND RATIONALES", *_blank(rng, 0.3), ISSUES_INTRO, ""]
    for issue, w in zip(d.issues, letter.written, strict=True):
        out += [_label(issue, w, rng), *_blank(rng, 0.8)]
        out += _guideline_block(issue, w, rng)
    return out


def _conclusion(issue: Issue) -> str:
    return (
        "is not medically necessary and appropriate"
        if issue.outcome == "upheld"
        else "is medically necessary and appropriate"
    )


DOCUMENTS_NOTE = "The reviewer considered the documents below in reaching this determination."


def maximus_2014_letter(letter: SynthLetter, rng: random.Random) -> Lines:
    """Layout 3: "MAXIMUS FEDERAL SERVICES, INC. / Independent Medical Review" (about 2014-15)."""
    d = letter.decision
    dates = d.dates
    prio = (d.priority or "standard").capitalize()
    out: Lines = [
        MARKER,
        "",
        "MAXIMUS FEDERAL SERVICES, INC.",
        "Independent Medical Review",
        "",
        f"Dated: {_mdy(dates.decision)}",
        "",
    ]
    if rng.random() < 0.5:
        out += [
            f"IMR Case Number: {d.case_number} Date of Injury: {_mdy(dates.injury)}",
            f"Date Assigned: {_mdy(dates.assigned)} UR Denial Date: {_mdy(dates.ur_denial)}",
            f"Application Received: {_mdy(dates.application_received)} Priority: {prio}",
        ]
    else:
        out += [
            f"IMR Case Number: {d.case_number}",
            f"Date of Injury: {_mdy(dates.injury)}",
            f"UR Denial Date: {_mdy(dates.ur_denial)}",
            f"Priority: {prio}",
            f"Application Received: {_mdy(dates.application_received)}",
            f"Date Assigned: {_mdy(dates.assigned)}",
        ]
    out += [
        "",
        "HOW THE IMR FINAL DETERMINATION WAS MADE",
        f"{REVIEW_MADE[0]} {_board_sentence(d, rng)} {REVIEW_MADE[1]}",
        "",
    ]
    out += ["DOCUMENTS REVIEWED", DOCUMENTS_NOTE]
    docs = rng.sample(letter_documents(), k=rng.randint(3, 6))
    out += [f"- {doc}" for doc in docs] + [""]
    out += ["CLINICAL CASE SUMMARY", SUMMARY_INTRO, *_blank(rng, 0.5), d.summary, ""]
    out += ["IMR DECISION(S) AND RATIONALE(S)", ISSUES_INTRO, ""]
    for k, (issue, w) in enumerate(zip(d.issues, letter.written, strict=True), 1):
        out += [f"{k}. {issue.item} {_conclusion(issue)}.", *_blank(rng, 0.6)]
        out += _guideline_block(issue, w, rng)
    return out


def notice_2013_letter(letter: SynthLetter, rng: random.Random) -> Lines:
    """Layout 2: "Notice of Independent Medical Review Determination" (autumn 2013)."""
    d = letter.decision
    dates = d.dates
    out: Lines = [
        MARKER,
        "",
        "MAXIMUS FEDERAL SERVICES, INC.",
        "Notice of Independent Medical Review Determination",
        f"Dated: {_mdy_short(dates.decision)}",
        "",
        f"IMR Case Number: {d.case_number}",
        f"Date of Injury: {_mdy_short(dates.injury)}",
        "",
    ]
    out += [
        "MAXIMUS Federal Services, Inc. has completed the Independent Medical Review of the treatment in "
        "dispute. For each disputed item:",
        "",
    ]
    for k, issue in enumerate(d.issues, 1):
        out.append(
            f"{k}) MAXIMUS Federal Services, Inc. has determined the request for {issue.item} "
            f"{_conclusion(issue)}."
        )
    out += [
        "",
        "This determination is final and binding on the parties; an appeal is possible only on the grounds "
        "the Labor Code allows.",
        "",
    ]
    out += [
        "INDEPENDENT MEDICAL REVIEW DECISION AND RATIONALE",
        f"This review considered the Application for Independent Medical Review received "
        f"{_mdy_short(dates.application_received)}, the utilization review denial dated "
        f"{_mdy_short(dates.ur_denial)}, and the Notice of Assignment and Request for Information dated "
        f"{_mdy_short(dates.assigned)}.",
        "",
    ]
    out += [
        "Medical Qualifications of the Expert Reviewer:",
        f"{_board_sentence(d, rng)} {REVIEW_MADE[1]}",
        "",
    ]
    out += ["Case Summary:", d.summary, ""]
    for k, (issue, w) in enumerate(zip(d.issues, letter.written, strict=True), 1):
        out += [f"{k}) Regarding the request for {issue.item}:"]
        out += [
            "Medical Treatment Guideline(s) the Claims Administrator based its decision on:",
            w.claims_administrator,
            *_blank(rng, 0.4),
        ]
        out += [
            "Medical Treatment Guideline(s) the Expert Reviewer based his/her decision on:",
            w.reviewer,
            *_blank(rng, 0.4),
        ]
        out += ["Rationale for the Decision:", issue.rationale, ""]
    return out


def _wrapped_heading(text: str, rng: random.Random) -> Lines:
    """A long heading as the 2013 letters print it: over two lines, broken at a varying word."""
    words = text.split(" ")
    cut = rng.randint(max(2, len(words) // 2), len(words) - 1)
    return [" ".join(words[:cut]), " ".join(words[cut:])]


WHY = (
    "The expert reviewer found this guideline the most relevant to the requested treatment.",
    "This guideline addresses the requested treatment directly.",
    "The reviewer relied on the section that covers this request.",
)


def mpr_2013_letter(letter: SynthLetter, rng: random.Random) -> Lines:
    """Layout 1: "MEDICAL PROFESSIONAL REVIEW" (early 2013), headings wrapped over two lines."""
    d = letter.decision
    dates = d.dates
    out: Lines = [
        MARKER,
        "",
        "MEDICAL PROFESSIONAL REVIEW",
        "",
        f"IMR Case Number: {d.case_number}",
        f"Date of Injury: {_mdy(dates.injury)}",
        f"UR Denial Date: {_mdy(dates.ur_denial)}",
        f"Application Received: {_mdy(dates.application_received)}",
        f"Date Assigned: {_mdy(dates.assigned)}",
        f"Decision Date: {_mdy(dates.decision)}",
        "",
    ]
    out += ["ISSUE AT DISPUTE:"] + [f"{k}. {i.item}" for k, i in enumerate(d.issues, 1)] + [""]
    out += ["CASE SUMMARY:", d.summary, ""]
    out += ["DOCUMENTS REVIEWED FOR DETERMINATION:"]
    out += [f"- {doc}" for doc in rng.sample(letter_documents(), k=rng.randint(2, 5))] + [""]
    out += _wrapped_heading(
        "MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:", rng
    )
    for k, (issue, w) in enumerate(zip(d.issues, letter.written, strict=True), 1):
        why = "" if w.reviewer.startswith("The ") else f"{rng.choice(WHY)} "  # no "why" before "did not cite"
        out += [f"{k}) Regarding the request for {issue.item}:", f"{why}{w.reviewer}", ""]
    out += _wrapped_heading(
        "RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:", rng
    )
    for k, issue in enumerate(d.issues, 1):
        out += [f"{k}) Regarding the request for {issue.item}:", issue.rationale, ""]
    out += ["MEDICAL REVIEWER QUALIFICATIONS:", _board_sentence(d, rng), ""]
    return out


def letter_documents() -> list[str]:
    from .vocab import load_vocabulary

    return list(load_vocabulary()["documents"])


RENDERERS: dict[str, Callable[[SynthLetter, random.Random], Lines]] = {
    "mpr-2013": mpr_2013_letter,
    "notice-2013": notice_2013_letter,
    "maximus-2014": maximus_2014_letter,
    "case-number-2015": case_number_letter,
    "case-number-2016": case_number_letter,
}


def render_lines(letter: SynthLetter) -> Lines:
    """The letter's logical lines (no wrapping, no extraction damage)."""
    rng = random.Random(letter.render_seed)
    return RENDERERS[letter.decision.layout](letter, rng)
