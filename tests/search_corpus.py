"""Hand-made decision records for the search tests (real YAML files written by :func:`write`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from imrkb.models import Citation, Dates, Decision, Issue, Patient, Reviewer, Source
from imrkb.records import atomic_write_text, to_yaml


def cite(
    guideline: str, chapter: int | str | None = None, topics: tuple[str, ...] = (), pages=(), text: str = ""
):
    return Citation(
        guideline, chapter, None, topics, tuple(pages), text or f"{guideline} {chapter} {' '.join(topics)}"
    )


def issue(
    item: str, outcome: str = "upheld", rationale: str = "", reviewer=(), ca=(), original=None
) -> Issue:
    return Issue(
        item,
        outcome,
        original,
        tuple(ca),
        tuple(reviewer),
        rationale or f"The request for {item} is decided.",
    )


def decision(
    ident: str,
    date: str | None,
    issues: list[Issue],
    specialties=("Family Practice",),
    states=("California",),
):
    return Decision(
        id=ident,
        case_number=ident,
        layout="test",
        priority="standard",
        dates=Dates(decision=dt.date.fromisoformat(date) if date else None),
        reviewer=Reviewer(tuple(states), tuple(specialties)),
        patient=Patient(50, "female"),
        summary="The applicant is a worker with chronic low back pain after lifting boxes.",
        issues=tuple(issues),
        source=Source(f"{ident}.txt", "0" * 64, None),
        synthetic=True,
    )


NECK = cite("mtus-acoem", 8, ("Special Studies",), [(177, 179)], "MTUS ACOEM Chapter 8 Page(s): 177-179")
LOW_BACK = cite(
    "mtus-acoem", 12, (), [(303, 305)], "MTUS ACOEM Chapter 12 Low Back Complaints Page(s): 303-305"
)
OPIOIDS = cite(
    "mtus-cpmtg", None, ("Opioids, criteria for use",), [(76, 80)], "Chronic Pain, Opioids, criteria for use"
)
ODG_MRI = cite("odg", "low-back", ("MRIs (magnetic resonance imaging)",), (), "ODG Low Back, MRIs")
GENERAL = cite(
    "mtus-acoem", None, ("Initial Approaches to Treatment",), [(92, 92)], "MTUS ACOEM Chapter 5 p. 92"
)
ACUPUNCTURE = cite("mtus-acupuncture", None, (), (), "Acupuncture Medical Treatment Guidelines")
NONE = cite("none", None, (), (), "The Claims Administrator did not cite any medical evidence")

CORPUS = [
    decision(
        "SYN15-0000001",
        "2015-03-02",
        [
            issue(
                "MRI of the cervical spine without contrast",
                "upheld",
                "Special studies are not indicated.",
                [NECK],
            ),
            issue(
                "Norco 10/325mg #120",
                "overturned",
                "Opioid monitoring is documented; function improved.",
                [OPIOIDS],
            ),
        ],
    ),
    decision(
        "SYN16-0000002",
        "2016-06-10",
        [
            issue(
                "MRI of the lumbar spine",
                "overturned",
                "Red flags justify imaging of the lumbar spine.",
                [LOW_BACK, ODG_MRI],
                [GENERAL],
            )
        ],
        specialties=("Orthopedic Surgery",),
        states=("Texas", "California"),
    ),
    decision(
        "SYN17-0000003",
        "2017-01-20",
        [
            issue(
                "Acupuncture 6 sessions",
                "upheld",
                "No functional improvement after prior acupuncture.",
                [ACUPUNCTURE],
                [NONE],
            ),
            issue("Tramadol 50mg #60", "upheld", "Opioids without documented functional gain.", [OPIOIDS]),
        ],
        specialties=("Physical Medicine and Rehabilitation", "Pain Management"),
    ),
    decision(
        "SYN14-0000004",
        None,
        [issue("Lumbar support brace", "upheld", "Braces have no lasting benefit.", [LOW_BACK])],
    ),
]


def write(root: Path, d: Decision) -> Path:
    path = root / "decisions" / d.year_folder / f"{d.id}.yaml"
    atomic_write_text(path, to_yaml(d))
    return path
