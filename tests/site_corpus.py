"""A small corpus of hand-made records for the site tests, written as real YAML files.

Each record exercises something the site must get right: every guideline family, topics and page ranges,
citations the catalog cannot place, several years and specialties, both outcomes, synthetic and not,
and hostile text (HTML, Markdown, template syntax, a javascript: URL) in every free-text field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from imrkb.models import Citation, Dates, Decision, Issue, Patient, Reviewer, Source
from imrkb.records import atomic_write_text, to_yaml

# Hostile text: must come out as visible text, never as markup, a link or an evaluated template.
XSS = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
MARKDOWN = "**bold** [click](javascript:alert(3)) `code` <b>tag</b>"
TEMPLATE = "{{ config.site_name }} {% raw %}"
JS_URL = "javascript:alert(4)"
HTTP_URL = "https://www.example.org/guideline.html"


def cite(
    guideline: str,
    chapter: int | str | None = None,
    topics: tuple[str, ...] = (),
    pages: tuple[tuple[int, int], ...] = (),
    text: str = "",
) -> Citation:
    return Citation(guideline, chapter, None, topics, pages, text or f"{guideline} {chapter or ''} {topics}")


def decision(
    ident: str,
    date: dt.date | None,
    issues: list[Issue],
    *,
    specialties: tuple[str, ...] = ("Family Practice",),
    synthetic: bool = True,
    summary: str = "The injured worker reported low back pain.",
) -> Decision:
    return Decision(
        id=ident,
        case_number=ident if ident.startswith(("CM", "SYN")) else None,
        layout="case-number-2016" if date else "case-number-2015",
        priority="standard",
        dates=Dates(decision=date, assigned=date - dt.timedelta(days=30) if date else None),
        reviewer=Reviewer(("California",), specialties),
        patient=Patient(48, "male"),
        summary=summary,
        issues=tuple(issues),
        source=Source(f"{ident}.txt", "0" * 64, 3),
        synthetic=synthetic,
    )


ACOEM_8 = cite(
    "mtus-acoem", 8, (), ((177, 179),), "MTUS ACOEM Chapter 8 Neck and Upper Back Complaints Page(s): 177-179"
)
ACOEM_12_SPECIAL = cite(
    "mtus-acoem", 12, ("Special Studies",), (), "Low Back Complaints 2004, Section(s): Special Studies"
)
CPMTG_OPIOIDS = cite(
    "mtus-cpmtg",
    None,
    ("Opioids, criteria for use",),
    ((76, 80),),
    "Chronic Pain Medical Treatment Guidelines Opioids, criteria for use Page(s): 76-80",
)
CPMTG_PAGES = cite(
    "mtus-cpmtg", None, (), ((41, 42),), "MTUS Chronic Pain Medical Treatment Guidelines Page(s): 41-42"
)
ODG_NECK = cite(
    "odg",
    "neck-and-upper-back",
    ("Computed tomography (CT)",),
    (),
    "Non-MTUS Citation Official Disability Guidelines (ODG) Neck and Upper Back, Computed tomography (CT)",
)
NONE = cite(
    "none", None, (), (), "The Claims Administrator did not cite any medical evidence for its decision."
)
OTHER_LINKS = cite("other", None, (), (), f"Other Medical Treatment Guidelines {HTTP_URL} and {JS_URL}")
UNRESOLVED_CHAPTER = cite("mtus-acoem", 99, (), (), "MTUS ACOEM Chapter 99 Imaginary Complaints")
HOSTILE_CITE = cite("odg", "low-back", (XSS,), (), f"ODG Low Back, {XSS} {TEMPLATE}")


def corpus() -> list[Decision]:
    d = dt.date
    return [
        decision(
            "SYN16-0000001",
            d(2016, 12, 9),
            [
                Issue(
                    "CT scan of the cervical spine without contrast",
                    "upheld",
                    None,
                    (ACOEM_8,),
                    (ACOEM_8, ODG_NECK),
                    "Therefore the CT scan is not medically necessary.",
                ),
            ],
            specialties=("Physical Medicine & Rehabilitation",),
            synthetic=False,
        ),
        decision(
            "SYN16-0000002",
            d(2016, 11, 2),
            [
                Issue(
                    "Norco 10/325mg #120",
                    "overturned",
                    None,
                    (NONE,),
                    (CPMTG_OPIOIDS,),
                    "Medically necessary.",
                ),
                Issue(
                    "MRI of the lumbar spine",
                    "upheld",
                    None,
                    (ACOEM_12_SPECIAL,),
                    (ACOEM_12_SPECIAL,),
                    "Not necessary.",
                ),
            ],
            specialties=("Physical Medicine and Rehabilitation", "Pain Medicine"),
        ),
        decision(
            "SYN15-0000003",
            d(2015, 6, 30),
            [
                Issue(
                    "Cyclobenzaprine 7.5mg #60", "upheld", None, (), (CPMTG_PAGES,), "Not for long-term use."
                ),
                Issue(
                    "Physical therapy 2x6 for the lumbar spine",
                    "overturned",
                    "Physical therapy 2x12",
                    (),
                    (UNRESOLVED_CHAPTER,),
                    "Some therapy is supported.",
                ),
            ],
        ),
        decision(
            "SYN14-0000004",
            d(2014, 3, 14),
            [
                Issue(
                    f"Acupuncture 6 sessions {XSS}",
                    "upheld",
                    None,
                    (OTHER_LINKS,),
                    (HOSTILE_CITE,),
                    f"Rationale with {MARKDOWN} and {TEMPLATE} and {XSS}",
                ),
            ],
            specialties=(f"Internal Medicine {XSS}",),
            summary=f"Summary {MARKDOWN} {TEMPLATE} {XSS}",
        ),
        decision(
            "IMR-0123456789ab",
            None,
            [
                Issue(
                    "CT SCAN OF THE CERVICAL SPINE WITHOUT CONTRAST",
                    "upheld",
                    None,
                    (ACOEM_8,),
                    (ACOEM_8, ODG_NECK),
                    "Not medically necessary and appropriate.",
                ),
            ],
            specialties=("Physical Medicine and Rehabilitation",),
            synthetic=False,
        ),
    ] + [
        decision(
            f"SYN17-00001{k:02d}",
            d(2017, 1 + k % 12, 1 + k % 28),
            [
                Issue(
                    f"Tramadol ER 150mg #{30 + k}",
                    "overturned" if k % 4 == 0 else "upheld",
                    None,
                    (),
                    (CPMTG_OPIOIDS,),
                    "Per the guideline.",
                ),
            ],
            specialties=("Family Practice",),
        )
        for k in range(60)  # more than one page of a guideline page holds: it gets paginated
    ]


def write_corpus(root: Path, decisions: list[Decision] | None = None) -> list[Path]:
    """Write records as ``root/decisions/<year>/<id>.yaml``; return their paths."""
    paths = []
    for rec in decisions if decisions is not None else corpus():
        path = root / "decisions" / rec.year_folder / f"{rec.id}.yaml"
        atomic_write_text(path, to_yaml(rec))
        paths.append(path)
    return paths


_FEED_TIME = re.compile(rb"<updated>[^<]*</updated>")


def tree_digests(
    site: Path,
    leave_out: Callable[[str], bool],
    normalise: Callable[[str, bytes], bytes] = lambda _rel, data: data,
) -> dict[str, str]:
    """Every published file of ``site`` (its build folder) but those ``leave_out`` names, by path, with
    a digest of its bytes (after ``normalise``); a feed's ``<updated>`` (the build's time) is blanked."""
    root = site.resolve()
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            rel = p.relative_to(root).as_posix()
            if leave_out(rel):
                continue
            data = p.read_bytes()
            if f == "feed.xml":
                data = _FEED_TIME.sub(b"<updated/>", data, count=1)
            out[rel] = hashlib.sha256(normalise(rel, data)).hexdigest()
    return out


def run_imrkb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line, as a person runs it."""
    return subprocess.run(
        [sys.executable, "-m", "imrkb", *args], capture_output=True, text=True, cwd=cwd, check=False
    )
