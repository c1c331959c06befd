"""Citation extraction: a table of (guideline paragraph as letters write it, expected citations).

Every form in domain.md is here: the older ``Page(s):`` form, 2016-17 ``Section(s):`` lists joined by "and",
stock sentences, Non-MTUS ODG citations in their many spellings (inverted, updated-dates, several chapters),
non-MTUS ACOEM and other sources. Rows are written for this project, in the letters' shapes.
"""

from __future__ import annotations

from typing import Any

import pytest

from imrkb.citations import extract_citations, parse_pages, split_outside_parens


def C(guideline: str, chapter: Any = None, topics: tuple[str, ...] = (), pages: tuple = (), edition: Any = "*"):
    """An expected citation; ``edition="*"`` means: do not check."""
    return {"guideline": guideline, "chapter": chapter, "topics": tuple(topics), "pages": tuple(pages),
            "edition": edition}


ROWS: list[tuple[str, list[dict[str, Any]]]] = [
    ("Decision based on MTUS ACOEM Chapter 8 Neck and Upper Back Complaints Page(s): 177-179.",
     [C("mtus-acoem", 8, pages=((177, 179),), edition="2004")]),
    ("Decision based on MTUS ACOEM Chapter 12 Low Back\nComplaints Page(s): 303-305, 309.",
     [C("mtus-acoem", 12, pages=((303, 305), (309, 309)))]),
    ("Decision based on MTUS Chronic Pain Medical Treatment Guidelines Opioids, criteria for use Page(s): 76-80.",
     [C("mtus-cpmtg", None, ("Opioids, criteria for use",), ((76, 80),))]),
    ("Decision based on MTUS Shoulder Complaints 2004, Section(s): Special Studies.",
     [C("mtus-acoem", 9, ("Special Studies",), edition="2004")]),
    ("Decision based on MTUS Elbow Complaints 2007, Section(s): Recommendations.",
     [C("mtus-acoem", 10, ("Recommendations",), edition="2007")]),
    ("Decision based on MTUS Stress-Related Conditions 2004, Section(s): General Approach.",
     [C("mtus-acoem", 15, ("General Approach",))]),
    ("Decision based on MTUS General Approaches 2004, Section(s): Initial Approaches to Treatment, and Knee "
     "Complaints 2004, Section(s): Initial Care.",
     [C("mtus-acoem", None, ("Initial Approaches to Treatment",)), C("mtus-acoem", 13, ("Initial Care",))]),
    ("Decision based on MTUS Neck and Upper Back Complaints 2004, Section(s): Special Studies, and Forearm, "
     "Wrist, and Hand Complaints 2004.",
     [C("mtus-acoem", 8, ("Special Studies",)), C("mtus-acoem", 11)]),
    ("Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): TENS, chronic pain "
     "(transcutaneous electrical nerve stimulation).",
     [C("mtus-cpmtg", None, ("TENS, chronic pain (transcutaneous electrical nerve stimulation)",), edition="2016")]),
    ("Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Muscle relaxants (for pain), "
     "Cyclobenzaprine (Flexeril).",
     [C("mtus-cpmtg", None, ("Muscle relaxants (for pain)", "Cyclobenzaprine (Flexeril)"))]),
    ("Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Capsaicin, topical (chili "
     "pepper/cayenne pepper), Ultrasound, therapeutic.",
     [C("mtus-cpmtg", None, ("Capsaicin, topical (chili pepper/cayenne pepper)", "Ultrasound, therapeutic"))]),
    ("Decision based on MTUS Acupuncture Treatment 2007, and Chronic Pain Medical Treatment 2016, Section(s): "
     "Topical analgesics.",
     [C("mtus-acupuncture", edition="2007"), C("mtus-cpmtg", None, ("Topical analgesics",))]),
    ("Decision based on MTUS Postsurgical Treatment 2009, Section(s): Knee, Forearm, Wrist, & Hand.",
     [C("mtus-postsurgical", None, ("Knee", "Forearm, Wrist, & Hand"), edition="2009")]),
    ("Decision based on MTUS Opioid Treatment 2016, Section(s): 3.3.6 Opioids for Chronic Pain and Chronic "
     "Opioid Treatment: Use of Urine Drug Testing (UDT), 4.1 Tapering Opioids: Indications for Tapering Opioids.",
     [C("mtus-opioids", None, ("3.3.6 Opioids for Chronic Pain and Chronic Opioid Treatment: Use of Urine Drug "
                               "Testing (UDT)", "4.1 Tapering Opioids: Indications for Tapering Opioids"))]),
    ("Decision based on MTUS Elbow Complaints 2007, Section(s): 326, Diagnostic Criteria.",
     [C("mtus-acoem", 10, ("Diagnostic Criteria",), ((326, 326),))]),
    ("The Claims Administrator did not cite any medical evidence for its decision.", [C("none", edition=None)]),
    ("The Expert Reviewer did not cite any medical evidence for its decision.", [C("none")]),
    ("The Claims Administrator based their decision on recommendation(s) outside of the MTUS Guidelines. "
     "Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) Neck and Upper Back, "
     "Computed tomography (CT).",
     [C("odg", "neck-and-upper-back", ("Computed tomography (CT)",))]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines: Low Back - Lumbar & Thoracic (Acute & "
     "Chronic) Chapter (Online Version).", [C("odg", "low-back")]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) Low Back (Thoracic and Lumbar, "
     "Acute and Chronic) Chapter, Epidural Steroid Injection (ESI).",
     [C("odg", "low-back", ("Epidural Steroid Injection (ESI)",))]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Pain (Chronic), Lidoderm "
     "(Lidocaine patch).", [C("odg", "pain", ("Lidoderm (Lidocaine patch)",))]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) Hips & Pelvis Chapter, X-Ray.",
     [C("odg", "hip-and-pelvis", ("X-Ray",))]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) Knee and Leg (Durable medical "
     "equipment (DME)).", [C("odg", "knee-and-leg", ("Durable medical equipment (DME)",))]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) MRI shoulder.",
     [C("odg", "shoulder", ("MRI",))]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), 2016, Neck and Upper Back, "
     "Indications for imaging, CT (computed tomography).",
     [C("odg", "neck-and-upper-back", ("Indications for imaging", "CT (computed tomography)"), edition="2016")]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines, Shoulder (updated 12/12/16); ODG, Low "
     "Back (updated 12/20/16).", [C("odg", "shoulder"), C("odg", "low-back")]),
    ("Decision based on Non-MTUS Citation ODG Mental Illness and Stress.", [C("odg", "mental-illness-and-stress")]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG), Physical Therapy Guidelines.",
     [C("odg", "preface", ("Physical Therapy Guidelines",))]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) PRP.", [C("odg", None, ("PRP",))]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) Low Back chapter/ x-ray.",
     [C("odg", "low-back", ("x-ray",))]),
    ("Decision based on Non-MTUS Citation ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back "
     "Disorders, pg. 607.", [C("acoem", "low-back-disorders", pages=((607, 607),))]),
    ("Decision based on Non-MTUS Citation http://www.drugs.com/famotidine.html.", [C("other")]),
    ("Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) Carpal Tunnel Syndrome (Acute & "
     "Chronic) and Other Medical Treatment Guidelines AANEM Recommended Policy.",
     [C("odg", "carpal-tunnel-syndrome"), C("other")]),
    ("Decision based on MTUS Low Back Complaints 2004. Decision based on Non-MTUS Citation Official Disability "
     "Guidelines (ODG).", [C("mtus-acoem", 12), C("odg")]),
    ("", []),
    ("The reviewer relied on clinical judgment.", []),
]


@pytest.mark.parametrize(("text", "expected"), ROWS, ids=[r[0][:60] for r in ROWS])
def test_citations_table(text: str, expected: list[dict[str, Any]]) -> None:
    got = extract_citations(text)
    assert [c.guideline for c in got] == [e["guideline"] for e in expected], got
    for c, e in zip(got, expected, strict=True):
        assert c.chapter == e["chapter"], c
        assert c.topics == e["topics"], c
        assert c.pages == e["pages"], c
        if e["edition"] != "*":
            assert c.edition == e["edition"], c
        assert c.text and "\n" not in c.text and "  " not in c.text


def test_citation_text_is_the_citation_as_written() -> None:
    (c,) = extract_citations("Decision based on MTUS Shoulder Complaints\n2004, Section(s):\nSpecial Studies.")
    assert c.text == "Shoulder Complaints 2004, Section(s): Special Studies"


@pytest.mark.parametrize(
    ("text", "pages"),
    [("177-179", ((177, 179),)), ("177-179, 181", ((177, 179), (181, 181))), ("48", ((48, 48),)),
     ("305-303", ((303, 305),)), ("8 to 9", ((8, 9),))],
)
def test_parse_pages(text: str, pages: tuple) -> None:
    assert parse_pages(text) == pages


def test_split_outside_parens_keeps_parenthesised_commas() -> None:
    assert split_outside_parens("A (x, y), B; C") == ["A (x, y)", "B", "C"]
