"""``imrkb validate``: tables of broken records written to disk, each with the exact problem line expected."""
# ruff: noqa: E501 - the tables hold exact problem lines, which read best unbroken

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from imrkb import models
from imrkb.records import to_dict
from imrkb.validate import SCHEMA_PATH, known_chapters, load_schema, validate_tree

REPO = Path(__file__).resolve().parent.parent

# A valid synthetic record, written by hand; line numbers below refer to it.
BASE = """\
schema: 1
id: SYN16-0000001
case_number: SYN16-0000001
layout: case-number-2016
priority: standard
dates:
  decision: 2016-12-09
  assigned: 2016-11-09
  injury: 2016-10-13
  ur_denial: 2016-11-03
  application_received: 2016-11-03
reviewer:
  licensed_in: [California, North Carolina]
  specialties: [Family Practice]
patient:
  age: 48
  sex: male
summary: A 48-year-old man hurt his right shoulder lifting boxes; an MRI was requested.
issues:
- item: MRI of the right shoulder without contrast
  original_request: null
  outcome: upheld
  claims_administrator_citations:
  - guideline: none
    chapter: null
    edition: null
    topics: []
    pages: []
    text: The Claims Administrator did not cite any medical evidence for its decision.
  reviewer_citations:
  - guideline: mtus-acoem
    chapter: 9
    edition: '2004'
    topics: [Special Studies]
    pages: [[207, 209]]
    text: 'MTUS ACOEM Chapter 9 Shoulder Complaints Page(s): 207-209.'
  - guideline: odg
    chapter: shoulder
    edition: null
    topics: [Magnetic resonance imaging (MRI)]
    pages: []
    text: Official Disability Guidelines (ODG) Shoulder, Magnetic resonance imaging (MRI)
  rationale: No red flags were documented, so the MRI is not medically necessary.
source:
  file: SYN16-0000001.txt
  sha256: 0f343b0931126a20f133d67c2b018a3b1d8b1e1a6b3e0b8c1b5f2f1d3c4b5a69
  pages: null
synthetic: true
"""
P = "decisions/2016/SYN16-0000001.yaml"
ISSUES = BASE[BASE.index("issues:\n") : BASE.index("source:\n")]
GUIDELINES = ", ".join(models.GUIDELINE_IDS)

# (name, text to replace in BASE, replacement, every expected problem line)
BROKEN = [
    ("outcome vocabulary", "  outcome: upheld", "  outcome: uphold",
     [f"{P}:22: issues[0].outcome: 'uphold' is not one of upheld, overturned"]),
    ("priority vocabulary", "priority: standard", "priority: urgent",
     [f"{P}:5: priority: 'urgent' is not one of standard, expedited, null"]),
    ("schema version", "schema: 1", "schema: 2", [f"{P}:1: schema: must be 1, not 2"]),
    ("missing top-level field", "layout: case-number-2016\n", "", [f"{P}:1: layout: required field is missing"]),
    ("missing nested field", "  sex: male\n", "", [f"{P}:15: patient.sex: required field is missing"]),
    ("unknown field", "  outcome: upheld\n", "  outcome: upheld\n  outcom: upheld\n",
     [f"{P}:23: issues[0].outcom: unknown field (known: item, original_request, outcome, "
      "claims_administrator_citations, reviewer_citations, rationale)"]),
    ("date that does not exist", "decision: 2016-12-09", "decision: 2016-02-30",
     [f"{P}:7: dates.decision: '2016-02-30' is not a real date"]),
    ("date in US form", "decision: 2016-12-09", "decision: 12/09/2016",
     [f"{P}:7: dates.decision: '12/09/2016' is not a date written YYYY-MM-DD"]),
    ("injury after decision and UR denial", "injury: 2016-10-13", "injury: 2016-12-10",
     [f"{P}:9: dates.injury: 2016-12-10 is after dates.decision 2016-12-09",
      f"{P}:9: dates.injury: 2016-12-10 is after dates.ur_denial 2016-11-03"]),
    ("assigned after decision", "assigned: 2016-11-09", "assigned: 2017-01-02",
     [f"{P}:8: dates.assigned: 2017-01-02 is after dates.decision 2016-12-09"]),
    ("UR denial after decision", "ur_denial: 2016-11-03", "ur_denial: 2016-12-19",
     [f"{P}:10: dates.ur_denial: 2016-12-19 is after dates.decision 2016-12-09"]),
    ("application after decision", "application_received: 2016-11-03", "application_received: 2016-12-10",
     [f"{P}:11: dates.application_received: 2016-12-10 is after dates.decision 2016-12-09"]),
    ("orderings that need not hold are not checked", "application_received: 2016-11-03",
     "application_received: 2016-10-20", []),
    ("case number form", "case_number: SYN16-0000001", "case_number: CM16-123",
     [f"{P}:3: case_number: 'CM16-123' does not match ^(CM|SYN)\\d{{2}}-\\d{{7}}$"]),
    ("id differs from case number", "case_number: SYN16-0000001", "case_number: SYN16-0000002",
     [f"{P}:2: id: 'SYN16-0000001' differs from case_number 'SYN16-0000002'"]),
    ("SYN case number on a real record", "synthetic: true", "synthetic: false",
     [f"{P}:3: case_number: 'SYN16-0000001': SYN case numbers are for synthetic records only"]),
    ("id that is a path", "id: SYN16-0000001", "id: ../../etc/passwd",
     [f"{P}:2: id: '../../etc/passwd' differs from case_number 'SYN16-0000001'",
      f"{P}:2: id: '../../etc/passwd' does not match ^((CM|SYN)\\d{{2}}-\\d{{7}}|IMR-[0-9a-f]{{12}})$",
      f"{P}:2: id: file is named SYN16-0000001.yaml, expected ../../etc/passwd.yaml"]),
    ("unknown guideline id", "  - guideline: mtus-acoem", "  - guideline: mtus",
     [f"{P}:31: issues[0].reviewer_citations[0].guideline: 'mtus' is not one of {GUIDELINES}"]),
    ("ACOEM chapter not in the catalog", "    chapter: 9", "    chapter: 16",
     [f"{P}:32: issues[0].reviewer_citations[0].chapter: 16 is not a chapter of mtus-acoem in "
      "guidelines/mtus-acoem.yaml"]),
    ("ODG chapter not a catalog slug", "chapter: shoulder", "chapter: Shoulder",
     [f"{P}:38: issues[0].reviewer_citations[1].chapter: 'Shoulder' is not a chapter of odg in guidelines/odg.yaml"]),
    ("chapter of the wrong type", "    chapter: 9", "    chapter: [9]",
     [f"{P}:32: issues[0].reviewer_citations[0].chapter: expected an integer, a string or null, got a list"]),
    ("page range backwards", "pages: [[207, 209]]", "pages: [[209, 207]]",
     [f"{P}:35: issues[0].reviewer_citations[0].pages[0]: start 209 is after end 207"]),
    ("page range of three numbers", "pages: [[207, 209]]", "pages: [[207, 208, 209]]",
     [f"{P}:35: issues[0].reviewer_citations[0].pages[0]: a page range is [start, end], got 3 numbers"]),
    ("page range of one number", "pages: [[207, 209]]", "pages: [[1, 2], [207]]",
     [f"{P}:35: issues[0].reviewer_citations[0].pages[1]: a page range is [start, end], got 1 number"]),
    ("page as a string", "pages: [[207, 209]]", "pages: [[207, '209']]",
     [f"{P}:35: issues[0].reviewer_citations[0].pages[0][1]: expected an integer, got '209'"]),
    ("age as words", "  age: 48", "  age: forty-eight",
     [f"{P}:16: patient.age: expected an integer or null, got 'forty-eight'"]),
    ("age out of range", "  age: 48", "  age: 480", [f"{P}:16: patient.age: 480 is more than 120"]),
    ("sex vocabulary", "  sex: male", "  sex: m", [f"{P}:17: patient.sex: 'm' is not one of male, female, null"]),
    ("checksum form", "sha256: 0f343b0931126a20f133d67c2b018a3b1d8b1e1a6b3e0b8c1b5f2f1d3c4b5a69", "sha256: not-a-checksum",
     [f"{P}:46: source.sha256: 'not-a-checksum' does not match ^[0-9a-f]{{64}}$"]),
    ("long values are shortened", "  sex: male", "  sex: " + "x" * 100,
     [f"{P}:17: patient.sex: '{'x' * 56}... is not one of male, female, null"]),
    ("no issues", ISSUES, "issues: []\n", [f"{P}:19: issues: needs at least 1 item, got 0"]),
    ("empty item", "- item: MRI of the right shoulder without contrast", "- item: ''",
     [f"{P}:20: issues[0].item: must not be empty"]),
    ("synthetic as a string", "synthetic: true", "synthetic: 'true'",
     [f"{P}:48: synthetic: expected true or false, got 'true'"]),
    ("warnings are optional", "synthetic: true\n", "synthetic: true\nwarnings: [no decision date]\n", []),
    ("warnings are a list", "synthetic: true\n", "synthetic: true\nwarnings: no decision date\n",
     [f"{P}:49: warnings: expected a list, got 'no decision date'"]),
    ("YAML syntax error", "summary: A 48", "summary: A: 48",
     [f"{P}:18: yaml: not valid YAML: mapping values are not allowed in this context"]),
    ("unclosed quote", "summary: A 48", 'summary: "A 48',
     [f"{P}:49: yaml: not valid YAML: found unexpected end of stream while scanning a quoted scalar "
      "that starts on line 18"]),
    ("two documents", "synthetic: true\n", "synthetic: true\n---\nschema: 1\n",
     [f"{P}:49: yaml: not valid YAML: expected a single document in the stream but found another document"]),
    ("duplicate key", "  outcome: upheld\n", "  outcome: upheld\n  outcome: overturned\n",
     [f"{P}:23: issues[0].outcome: duplicate key 'outcome'"]),
    ("alias", "  specialties: [Family Practice]", "  specialties: &s [Family Practice]\n  extra: *s",
     [f"{P}:15: reviewer.extra: YAML anchors and aliases (&name, *name) are not allowed in records"]),
    ("python object tag", "summary: A 48", "summary: !!python/object:imrkb.models.Patient {age: 1}\nx: A 48",
     [f"{P}:18: summary: tag !!python/object:imrkb.models.Patient is not allowed: records are plain data "
      "(safe loader)"]),
    ("a list instead of a record", BASE, "- one\n- two\n", [f"{P}:1: record: expected a mapping of fields, got a list"]),
    ("empty file", BASE, "", [f"{P}:1: record: empty file: expected a decision record"]),
    ("comments only", BASE, "# nothing here\n", [f"{P}:1: record: empty file: expected a decision record"]),
]  # fmt: skip


def write(root: Path, rel: str, text: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems(root: Path, jobs: int = 1) -> list[str]:
    return [str(p) for p in validate_tree(root, jobs=jobs)]


def test_base_record_is_valid(tmp_path: Path) -> None:
    write(tmp_path, P, BASE)
    assert problems(tmp_path) == []


@pytest.mark.parametrize(("old", "new", "expected"), [r[1:] for r in BROKEN], ids=[r[0] for r in BROKEN])
def test_broken_record(tmp_path: Path, old: str, new: str, expected: list[str]) -> None:
    assert BASE.count(old) == 1, "the table row must change exactly one place"
    write(tmp_path, P, BASE.replace(old, new))
    assert problems(tmp_path) == expected


@pytest.mark.parametrize(
    "tag", ["!!python/object/apply:os.system", "!!python/name:os.system", "!!python/object/new:os.system"]
)
def test_python_tags_are_refused_not_executed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tag: str
) -> None:
    monkeypatch.chdir(tmp_path)
    flag = tmp_path / "EXECUTED"
    write(tmp_path, P, BASE.replace("summary: A 48", f'summary: {tag} ["touch {flag}"]\nx: A 48'))
    assert problems(tmp_path) == [
        f"{P}:18: summary: tag {tag} is not allowed: records are plain data (safe loader)"
    ]
    assert not flag.exists()


def test_not_utf8(tmp_path: Path) -> None:
    write(tmp_path, P, b"schema: 1\nsummary: caf\xe9\n")
    assert problems(tmp_path) == [f"{P}:2: record: not UTF-8 text (byte 0xe9 at offset 22)"]


# (name, where the record is written, text change, expected problems)
LOCATIONS = [
    ("wrong year folder", "decisions/2015/SYN16-0000001.yaml", ("", ""),
     ["decisions/2015/SYN16-0000001.yaml:7: dates.decision: record is in decisions/2015/, "
      "expected decisions/2016/ (the decision year)"]),
    ("no year folder", "decisions/SYN16-0000001.yaml", ("", ""),
     ["decisions/SYN16-0000001.yaml:7: dates.decision: record is in decisions/, "
      "expected decisions/2016/ (the decision year)"]),
    ("folder too deep", "decisions/2016/x/SYN16-0000001.yaml", ("", ""),
     ["decisions/2016/x/SYN16-0000001.yaml:7: dates.decision: record is in decisions/2016/x/, "
      "expected decisions/2016/ (the decision year)"]),
    ("undated record in undated/", "decisions/undated/SYN16-0000001.yaml",
     ("decision: 2016-12-09", "decision: null"), []),
    ("undated record in a year folder", P, ("decision: 2016-12-09", "decision: null"),
     [f"{P}:7: dates.decision: record is in decisions/2016/, expected decisions/undated/ (no decision date)"]),
    ("file named for another id", "decisions/2016/SYN16-0000009.yaml", ("", ""),
     ["decisions/2016/SYN16-0000009.yaml:2: id: file is named SYN16-0000009.yaml, expected SYN16-0000001.yaml"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rel", "change", "expected"), [r[1:] for r in LOCATIONS], ids=[r[0] for r in LOCATIONS]
)
def test_location(tmp_path: Path, rel: str, change: tuple[str, str], expected: list[str]) -> None:
    write(tmp_path, rel, BASE.replace(*change) if change[0] else BASE)
    assert problems(tmp_path) == expected


def test_duplicate_ids_across_the_tree(tmp_path: Path) -> None:
    write(tmp_path, P, BASE)
    write(
        tmp_path,
        "decisions/undated/SYN16-0000001.yaml",
        BASE.replace("decision: 2016-12-09", "decision: null"),
    )
    write(tmp_path, "decisions/2016/SYN16-0000002.yaml", BASE.replace("SYN16-0000001", "SYN16-0000002"))
    assert problems(tmp_path) == [
        "decisions/undated/SYN16-0000001.yaml:2: id: duplicate id 'SYN16-0000001', also in "
        "decisions/2016/SYN16-0000001.yaml"
    ]


def test_hidden_and_other_files_are_not_records(tmp_path: Path) -> None:
    write(tmp_path, P, BASE)
    write(tmp_path, "decisions/2016/.SYN16-0000001.yaml.x1.tmp", "half a rec")
    write(tmp_path, "decisions/2016/.hidden.yaml", "- not: checked")
    write(tmp_path, "decisions/README.md", "# notes")
    assert problems(tmp_path) == []


def broken_tree(root: Path, n: int) -> list[str]:
    """``n`` records, every seventh one broken; returns the expected problems in walk order."""
    expected = []
    for i in range(n):
        cid = f"SYN16-{i:07d}"
        text = BASE.replace("SYN16-0000001", cid)
        if i % 7 == 3:
            text = text.replace("  outcome: upheld", "  outcome: denied")
            expected.append(
                f"decisions/2016/{cid}.yaml:22: issues[0].outcome: 'denied' is not one of upheld, overturned"
            )
        write(root, f"decisions/2016/{cid}.yaml", text)
    return expected


def test_parallel_check_gives_the_same_problems_in_the_same_order(tmp_path: Path) -> None:
    expected = broken_tree(tmp_path, 300)
    assert problems(tmp_path, jobs=1) == expected
    assert problems(tmp_path, jobs=2) == expected


# --------------------------------------------------------------------------------------------- schema


def test_schema_is_valid_draft_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schema_vocabularies_match_the_models() -> None:
    schema = load_schema()
    cite = schema["$defs"]["citation"]["properties"]
    issue = schema["$defs"]["issue"]["properties"]
    assert cite["guideline"]["enum"] == list(models.GUIDELINE_IDS)
    assert issue["outcome"]["enum"] == list(models.OUTCOMES)
    assert schema["properties"]["priority"]["enum"] == [*models.PRIORITIES, None]
    assert schema["properties"]["schema"]["const"] == models.SCHEMA_VERSION


def test_schema_fields_are_exactly_what_records_write() -> None:
    """Every field ``records.to_dict`` writes is in the schema, and every schema field is written."""
    cite = models.Citation("odg", "shoulder")
    d = models.Decision(
        id="SYN16-0000001", case_number="SYN16-0000001", layout="x", priority=None, dates=models.Dates(),
        reviewer=models.Reviewer(), patient=models.Patient(), summary="", source=models.Source("f", "0" * 64),
        issues=(models.Issue("x", "upheld", reviewer_citations=(cite,)),), warnings=("w",),
        pii=(models.PiiFinding("name", "summary", 0, "Mr. J*** S****"),),
        pii_override=models.PiiOverride("a false alarm: a street, not a person", "editor"),
    )  # fmt: skip
    data = to_dict(d)
    schema = load_schema()
    assert set(schema["properties"]) == set(data)
    assert set(schema["required"]) == set(data) - {"warnings", "pii", "pii_override"}
    assert set(schema["$defs"]["pii_finding"]["properties"]) == set(data["pii"][0])
    assert set(schema["properties"]["pii_override"]["properties"]) == set(data["pii_override"])
    for key in ("dates", "reviewer", "patient", "source"):
        assert set(schema["properties"][key]["properties"]) == set(data[key]), key
        assert set(schema["properties"][key]["required"]) == set(data[key]), key
    assert set(schema["$defs"]["issue"]["properties"]) == set(data["issues"][0])
    assert set(schema["$defs"]["citation"]["properties"]) == set(data["issues"][0]["reviewer_citations"][0])


def test_catalog_covers_every_guideline_id() -> None:
    assert set(known_chapters()) == set(models.GUIDELINE_IDS)


# --------------------------------------------------------------------------------------------- the command


def imrkb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-m", "imrkb", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_cli_reports_problems_and_exits_1(tmp_path: Path) -> None:
    write(tmp_path, P, BASE.replace("  outcome: upheld", "  outcome: uphold"))
    write(tmp_path, "decisions/2016/SYN16-0000002.yaml", BASE.replace("SYN16-0000001", "SYN16-0000002"))
    r = imrkb("validate", "--root", str(tmp_path), cwd=REPO)
    assert r.returncode == 1, r.stderr
    assert r.stdout.splitlines() == [f"{P}:22: issues[0].outcome: 'uphold' is not one of upheld, overturned"]
    assert r.stderr.splitlines() == ["checked 2 records: 1 problem"]


def test_cli_valid_tree_exits_0_from_the_current_folder(tmp_path: Path) -> None:
    write(tmp_path, P, BASE)
    r = imrkb("validate", cwd=tmp_path)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "checked 1 record: 0 problems\n")


def test_cli_without_decisions_folder_is_a_usage_error(tmp_path: Path) -> None:
    r = imrkb("validate", "--root", str(tmp_path), cwd=REPO)
    assert r.returncode == 2
    assert (
        r.stderr
        == f"imrkb validate: {tmp_path / 'decisions'}: no such folder (is --root the project folder?)\n"
    )


def test_cli_shows_progress_on_long_runs(tmp_path: Path) -> None:
    expected = broken_tree(tmp_path, 2100)
    r = imrkb("validate", "--root", str(tmp_path), "--jobs", "2", cwd=REPO)
    assert r.returncode == 1
    assert r.stdout.splitlines() == expected
    lines = r.stderr.splitlines()
    assert len(lines) == 3  # a line every 1,000 files, then the summary
    assert lines[0].startswith("validate: 1,000, ") and lines[1].startswith("validate: 2,000, ")
    assert lines[-1] == f"checked 2,100 records: {len(expected)} problems"
