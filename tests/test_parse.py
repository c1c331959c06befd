"""The letter parser on real files: the seed letter (golden record), the real dev letters when ../shared
has them, and tables of header and item shapes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from imrkb import fields
from imrkb.items import outcome_from_conclusion
from imrkb.parse import parse_file, parse_text
from imrkb.records import load_yaml_text, to_dict

HERE = Path(__file__).parent
SEED = HERE / "letters" / "seed-2015.txt"
SHARED = HERE.parent.parent / "shared" / "letters"


def test_seed_letter_matches_its_golden_record() -> None:
    got = to_dict(parse_file(SEED))
    want = load_yaml_text((HERE / "letters" / "seed-2015.expected.yaml").read_text())
    assert got == want


def test_seed_letter_facts_from_the_issue() -> None:
    d = parse_file(SEED)
    (issue,) = d.issues
    assert issue.outcome == "upheld"
    acoem = [c for c in issue.reviewer_citations if c.guideline == "mtus-acoem"]
    assert [(c.chapter, c.pages) for c in acoem] == [(8, ((177, 179),))]
    odg = [c for c in issue.reviewer_citations if c.guideline == "odg"]
    assert [(c.chapter, c.topics) for c in odg] == [("neck-and-upper-back", ("Computed tomography (CT)",))]
    assert d.reviewer.licensed_in == ("Texas",)
    assert d.reviewer.specialties == ("Physical Medicine and Rehabilitation",)
    assert d.case_number is None and d.id.startswith("IMR-") and d.layout == "case-number-2015"
    assert d.id == parse_file(SEED).id  # stable


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/letters not present")
def test_real_dev_letters_score_at_least_99_percent() -> None:
    from imrkb.score import load_corrections, score_folder

    corrections = load_corrections(HERE.parent / "scripts" / "label-corrections.yaml")
    score = score_folder(SHARED, corrections=corrections)
    assert sum(score.total.values()) > 1000
    assert score.overall >= 0.99, "\n".join(score.misses)
    raw = score_folder(SHARED)
    assert raw.overall >= 0.97, "\n".join(raw.misses)  # against the labels as given


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/letters not present")
def test_real_letter_record_never_carries_pdf_metadata_or_paths() -> None:
    pdf = sorted((SHARED / "pdf").glob("*.pdf"))[0]
    d = parse_file(pdf)
    assert d.source.file == pdf.name and d.source.pages and d.source.pages >= 2
    text = str(to_dict(d))
    assert str(SHARED) not in text and "Author" not in text


HEADERS = [
    ("Case Number: CM16-0213037\nDate Assigned: 11/09/2016 Date of Injury:  10/13/2016\n"
     "Decision Date: 12/09/2016 UR Denial Date:  11/03/2016\nPriority:  Standard Application\nReceived:\n11/03/2016",
     {"decision": dt.date(2016, 12, 9), "assigned": dt.date(2016, 11, 9), "injury": dt.date(2016, 10, 13),
      "ur_denial": dt.date(2016, 11, 3), "application_received": dt.date(2016, 11, 3)}, "standard"),
    ("Case Number: SYN15-0000001\nDate Assigned: Date of Injury:\n02/03/2015 01/02/2014\n"
     "Decision Date: 03/04/2015\nPriority: Expedited",
     {"decision": dt.date(2015, 3, 4), "assigned": dt.date(2015, 2, 3), "injury": dt.date(2014, 1, 2)}, "expedited"),
    ("Case Number: CM15-0000002\nDecision Date: 02/30/2015", {"decision": None}, None),
]


@pytest.mark.parametrize(("header", "dates", "priority"), HEADERS)
def test_header_dates_and_priority(header: str, dates: dict, priority: str | None) -> None:
    got = fields.header_dates(header)
    for k, v in dates.items():
        assert getattr(got, k) == v, k
    assert fields.priority(header) == priority


@pytest.mark.parametrize(
    ("text", "states", "specialties"),
    [
        ("State(s) of Licensure: California,North Carolina\nCertification(s)/Specialty: Family Practice\n\n",
         ("California", "North Carolina"), ("Family Practice",)),
        ("State(s) of Licensure: Texas, New York\nCertification(s)/Specialty: Preventive Medicine, Occupational\n"
         "Medicine, Public Health & General Preventive Medicine\n\nCLINICAL CASE SUMMARY",
         ("Texas", "New York"),
         ("Preventive Medicine", "Occupational Medicine", "Public Health & General Preventive Medicine")),
        ("The expert reviewer is Board Certified in Physical Medicine and Rehabilitation, and is licensed to "
         "practice\nin Texas. He/she has", ("Texas",), ("Physical Medicine and Rehabilitation",)),
        ("is Board Certified in Orthopedic Surgery, and is licensed to practice in California and Texas. He",
         ("California", "Texas"), ("Orthopedic Surgery",)),
        ("nothing about the reviewer here", (), ()),
    ],
)
def test_reviewer_credentials(text: str, states: tuple, specialties: tuple) -> None:
    r = fields.reviewer(text)
    assert (r.licensed_in, r.specialties) == (states, specialties)


@pytest.mark.parametrize(
    ("summary", "age", "sex"),
    [("The injured worker is a 48 year old male who", 48, "male"),
     ("This is a 32-year-old female with", 32, "female"),
     ("The patient is a 57 year-old woman", 57, "female"),
     ("The applicant is a 61-year-old gentleman", 61, "male"),
     ("No age stated.", None, None)],
)
def test_patient_age_and_sex_only(summary: str, age: int | None, sex: str | None) -> None:
    p = fields.patient(summary)
    assert (p.age, p.sex) == (age, sex)


@pytest.mark.parametrize(
    ("rationale", "outcome"),
    [("Therefore the request is not medically necessary.", "upheld"),
     ("The request is determined to be not medically necessary.", "upheld"),
     ("The request is deemed not medically necessary and appropriate.", "upheld"),
     ("Although it was not medically necessary before, the request is medically necessary.", "overturned"),
     ("The request for acupuncture is medically necessary and appropriate.", "overturned"),
     ("No conclusion here.", None)],
)
def test_outcome_from_conclusion(rationale: str, outcome: str | None) -> None:
    assert outcome_from_conclusion(rationale) == outcome


LETTER = """Case Number: SYN16-0000042
Date Assigned: 11/09/2016 Date of Injury: 10/13/2016
Decision Date: 12/09/2016 UR Denial Date: 11/03/2016
Priority: Standard Application
Received:
11/03/2016

HOW THE IMR FINAL DETERMINATION WAS MADE
Synthetic boilerplate.
The Expert Reviewer has the following credentials:
State(s) of Licensure: California
Certification(s)/Specialty: Internal Medicine

CLINICAL CASE SUMMARY
The expert reviewer developed the following clinical case summary based on a review of the
case file, including all medical records:

The injured worker is a 50 year old female.

IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:

Acupuncture 18 sessions was the original request. Acupuncture 6 sessions was authorized by the
Claims Administrator. The remaining IMR eligible portion of the original request, Acupuncture 12
sessions is: Overturned

Claims Administrator guideline: Decision based on MTUS Acupuncture Treatment 2007.

MAXIMUS guideline: Decision based on MTUS Acupuncture Treatment 2007.

Decision rationale: The request is medically necessary.

Physical therapy 2 times a week for 3 weeks to the lumbar and cervical spine:
Upheld

Claims Administrator guideline: The Claims Administrator did not cite any medical evidence for its decision.

MAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Physical
medicine treatment.

Decision rationale: The request is not medically necessary.
"""


def test_synthetic_case_number_letter_with_modified_request_and_wrapped_outcome() -> None:
    d = parse_text(LETTER, "synthetic.txt")
    assert d.id == "SYN16-0000042" and d.synthetic and d.layout == "case-number-2016"
    assert [i.outcome for i in d.issues] == ["overturned", "upheld"]
    assert d.issues[0].item == "Acupuncture 12 sessions"
    assert d.issues[0].original_request == "Acupuncture 18 sessions"
    assert d.issues[1].item == "Physical therapy 2 times a week for 3 weeks to the lumbar and cervical spine"
    assert [c.guideline for c in d.issues[1].claims_administrator_citations] == ["none"]
    assert d.issues[1].reviewer_citations[0].topics == ("Physical medicine treatment",)
    assert d.patient.age == 50 and d.patient.sex == "female"
    assert d.summary == "The injured worker is a 50 year old female."
    assert not d.warnings


def test_both_pdf_extractors_read_the_same_record() -> None:
    """PDFium is the fast path, pypdf the fallback: on encrypted synthetic PDFs of every layout they agree."""
    from imrkb.pdftext import _pdfium_text, _pypdf_text
    from imrkb.synth.corpus import render_letter
    from imrkb.synth.generate import generate

    layouts = set()
    for letter in generate(12, seed=31):
        data = render_letter(letter, "pdf").data
        a = to_dict(parse_text(_pdfium_text(data, "x.pdf")[0], "x.pdf", "0" * 64))
        b = to_dict(parse_text(_pypdf_text(data, "x.pdf")[0], "x.pdf", "0" * 64))
        assert a == b
        layouts.add(a["layout"])
    assert len(layouts) >= 3


@pytest.mark.parametrize(
    ("text", "date"),
    [("11/09/2016", dt.date(2016, 11, 9)), ("11-09-2016", dt.date(2016, 11, 9)), ("1/9/16", dt.date(2016, 1, 9)),
     ("November 9, 2016", dt.date(2016, 11, 9)), ("Sept. 17, 2013", dt.date(2013, 9, 17)),
     ("02/30/2016", None), ("13/01/2016", None), ("Foo 1, 2016", None)],
)
def test_parse_date_forms(text: str, date: dt.date | None) -> None:
    assert fields.parse_date(text) == date
