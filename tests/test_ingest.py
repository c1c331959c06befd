"""``imrkb ingest``: letters written to disk (text and PDF made here), run through the real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fpdf import FPDF

from imrkb.ingest import iter_ingest
from imrkb.records import atomic_write_text, load_yaml_text

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "tests" / "letters" / "seed-2015.txt"
SEED_ID = load_yaml_text(
    (REPO / "tests" / "letters" / "seed-2015.expected.yaml").read_text(encoding="utf-8")
)["id"]
REAL_LETTERS = REPO.parent / "shared" / "letters" / "pdf"


def letter(
    case: str = "SYN16-0000001",
    decided: str = "12/09/2016",
    item: str = "MRI of the right shoulder without contrast",
    outcome: str = "Upheld",
    rationale: str = "No red flags were documented and therapy was still under way.",
    issues: bool = True,
) -> str:
    """A synthetic letter in the "Case Number" layout (2016 credentials block), written for these tests."""
    text = f"""\
SYNTHETIC LETTER - NOT A REAL DECISION
Case Number: {case}
Date Assigned: 11/09/2016 Date of Injury: 10/13/2016
Decision Date: {decided} UR Denial Date: 11/03/2016
Priority: Standard Application
Received:
11/03/2016

HOW THE IMR FINAL DETERMINATION WAS MADE
An expert reviewer with no tie to any party reviewed the case file.
State(s) of Licensure: California
Certification(s)/Specialty: Family Practice

CLINICAL CASE SUMMARY
The expert reviewer wrote this summary from the case file, including all medical records:
This 48 year old male hurt his right shoulder lifting boxes at work. He had physical therapy.

"""
    if issues:
        text += f"""\
IMR ISSUES, DECISIONS AND RATIONALES
The Final Determination was based on decisions for the disputed items/services set forth below:

{item}: {outcome}

Claims Administrator guideline: Decision based on MTUS ACOEM Chapter 9 Shoulder Complaints Page(s): 207-209.

MAXIMUS guideline: Decision based on MTUS ACOEM Chapter 9 Shoulder Complaints Page(s): 207-209.

Decision rationale: {rationale} Therefore, the request is not medically necessary.
"""
    return text


def pdf_bytes(text: str) -> bytes:
    """``text`` as a one-column PDF made with fpdf2."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    for line in text.splitlines():
        pdf.multi_cell(0, 5, line or " ", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def imrkb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-m", "imrkb", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def summary(r: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in r.stdout + r.stderr, r.stderr
    return r.stderr.splitlines()[-1]


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root/decisions`` (hidden ones included) and its bytes."""
    base = root / "decisions"
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def stats(root: Path) -> dict[str, tuple[int, int]]:
    base = root / "decisions"
    return {
        p.relative_to(base).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in base.rglob("*.yaml")
    }


@pytest.fixture
def letters(tmp_path: Path) -> Path:
    """A folder with a text letter, a PDF letter, the seed letter and files that are not letters."""
    folder = tmp_path / "letters"
    write(folder / "a.txt", letter())
    write(folder / "sub" / "b.pdf", pdf_bytes(letter(case="SYN17-0000002", decided="01/05/2017")))
    write(folder / "sub" / "seed.txt", SEED.read_text(encoding="utf-8"))
    write(folder / "notes.md", "not a letter: only *.pdf and *.txt are read from folders")
    write(folder / ".hidden.txt", "hidden files are skipped")
    return folder


def test_ingest_writes_valid_records_by_year(tmp_path: Path, letters: Path) -> None:
    r = imrkb("ingest", "letters", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "")
    assert summary(r) == "ingested 3, updated 0, unchanged 0, failed 0"
    files = tree(tmp_path)
    assert sorted(files) == [
        "2016/SYN16-0000001.yaml",
        "2017/SYN17-0000002.yaml",
        f"undated/{SEED_ID}.yaml",
    ]
    record = load_yaml_text(files["2017/SYN17-0000002.yaml"].decode())
    assert (record["id"], record["synthetic"], record["source"]["file"]) == ("SYN17-0000002", True, "b.pdf")
    v = imrkb("validate", cwd=tmp_path)
    assert (v.returncode, v.stdout, v.stderr) == (0, "", "checked 3 records: 0 problems\n")


def test_second_run_changes_nothing(tmp_path: Path, letters: Path) -> None:
    assert imrkb("ingest", "letters", cwd=tmp_path).returncode == 0
    before, before_stats = tree(tmp_path), stats(tmp_path)
    r = imrkb("ingest", "letters", "--root", ".", cwd=tmp_path)
    assert r.returncode == 0
    assert summary(r) == "ingested 0, updated 0, unchanged 3, failed 0"
    assert tree(tmp_path) == before
    assert stats(tmp_path) == before_stats  # not rewritten: same inode, same mtime


def test_changed_letter_updates_its_record(tmp_path: Path, letters: Path) -> None:
    assert imrkb("ingest", "letters", cwd=tmp_path).returncode == 0
    target = tmp_path / "decisions" / "2016" / "SYN16-0000001.yaml"
    untouched = stats(tmp_path)["2017/SYN17-0000002.yaml"]
    write(letters / "a.txt", letter(rationale="A new report documented a rotator cuff tear on exam."))
    r = imrkb("ingest", "letters", cwd=tmp_path)
    assert r.returncode == 0
    assert summary(r) == "ingested 0, updated 1, unchanged 2, failed 0"
    record = load_yaml_text(target.read_text(encoding="utf-8"))
    assert record["issues"][0]["rationale"].startswith("A new report documented a rotator cuff tear")
    assert stats(tmp_path)["2017/SYN17-0000002.yaml"] == untouched


def test_new_decision_year_moves_the_record(tmp_path: Path, letters: Path) -> None:
    assert imrkb("ingest", "letters", cwd=tmp_path).returncode == 0
    write(letters / "a.txt", letter(decided="01/03/2017"))
    r = imrkb("ingest", "letters/a.txt", cwd=tmp_path)
    assert summary(r) == "ingested 0, updated 1, unchanged 0, failed 0"
    assert sorted(tree(tmp_path)) == [
        "2017/SYN16-0000001.yaml",
        "2017/SYN17-0000002.yaml",
        f"undated/{SEED_ID}.yaml",
    ]
    assert imrkb("validate", cwd=tmp_path).returncode == 0


def test_same_id_twice_in_one_run_fails_the_second(tmp_path: Path) -> None:
    write(tmp_path / "in" / "1.txt", letter())
    write(tmp_path / "in" / "2.txt", letter(item="Physical therapy, 12 sessions"))
    write(tmp_path / "in" / "3" / "1.txt", letter())  # the very same letter again: nothing to do
    r = imrkb("ingest", "in", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout.splitlines() == ["in/2.txt: id SYN16-0000001 already taken in this run by in/1.txt"]
    assert summary(r) == "ingested 1, updated 0, unchanged 1, failed 1"
    record = load_yaml_text((tmp_path / "decisions/2016/SYN16-0000001.yaml").read_text(encoding="utf-8"))
    assert record["issues"][0]["item"] == "MRI of the right shoulder without contrast"


def image_only_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 80, 40)
    return bytes(pdf.output())


def truncated_pdf() -> bytes:
    data = pdf_bytes(letter())
    return data[: len(data) // 2]


# (file name, its bytes): each must fail with one line naming the file, exit 1, no traceback
BAD_INPUTS = [
    ("empty.txt", lambda: b""),
    ("empty.pdf", lambda: b""),
    ("junk.pdf", lambda: bytes(range(256)) * 40),
    ("junk.txt", lambda: b"\x00\x01\x02\xff" * 500),
    ("truncated.pdf", truncated_pdf),
    ("not-a-letter.pdf", lambda: pdf_bytes("Garden club newsletter\nWe meet on Tuesdays at the library.")),
    ("image-only.pdf", image_only_pdf),
    ("no-issues.txt", lambda: letter(issues=False).encode()),
    ("no-issues.pdf", lambda: pdf_bytes(letter(issues=False))),
]


@pytest.mark.parametrize(("name", "make"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_is_reported_and_skipped(tmp_path: Path, name: str, make) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path / "in" / name, make())
    write(tmp_path / "in" / "good.txt", letter())
    r = imrkb("ingest", "in", "--jobs", "1", cwd=tmp_path)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"in/{name}: "), r.stdout
    assert len(lines[0]) >= len(f"in/{name}: ") + 5, "the line says what is wrong"
    assert summary(r) == "ingested 1, updated 0, unchanged 0, failed 1"
    assert sorted(tree(tmp_path)) == ["2016/SYN16-0000001.yaml"]


def test_missing_path_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", letter())
    r = imrkb("ingest", "nope.pdf", "a.txt", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout.splitlines() == ["nope.pdf: no such file or folder"]
    assert summary(r) == "ingested 1, updated 0, unchanged 0, failed 1"


def test_folder_without_letters_is_not_a_failure(tmp_path: Path) -> None:
    write(tmp_path / "in" / "notes.md", "no letters here")
    r = imrkb("ingest", "in", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, "")
    assert r.stderr.splitlines() == [
        "no letters (*.pdf, *.txt) in in",
        "ingested 0, updated 0, unchanged 0, failed 0",
    ]


def test_bad_arguments_are_usage_errors(tmp_path: Path) -> None:
    r = imrkb("ingest", "x.txt", "--jobs", "0", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (2, "imrkb ingest: --jobs must be at least 1, got 0\n")
    r = imrkb("ingest", "x.txt", "--root", "nowhere", cwd=tmp_path)
    assert (r.returncode, r.stderr) == (2, "imrkb ingest: --root nowhere: no such folder\n")
    assert not (tmp_path / "nowhere").exists()


def test_parallel_and_serial_runs_write_the_same_tree(tmp_path: Path) -> None:
    for i in range(12):
        write(
            tmp_path / "in" / f"{i:02d}.txt",
            letter(case=f"SYN16-{i:07d}", item=f"Acupuncture, {i + 1} sessions"),
        )
    write(tmp_path / "in" / "bad.txt", "")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    serial = imrkb("ingest", "in", "--root", "one", "--jobs", "1", cwd=tmp_path)
    parallel = imrkb("ingest", "in", "--root", "two", "--jobs", "3", cwd=tmp_path)
    assert (serial.stdout, serial.stderr) == (parallel.stdout, parallel.stderr)
    assert summary(serial) == "ingested 12, updated 0, unchanged 0, failed 1"
    assert tree(tmp_path / "one") == tree(tmp_path / "two")


def test_atomic_write_keeps_the_old_file_when_a_write_fails(tmp_path: Path) -> None:
    target = write(tmp_path / "decisions" / "2016" / "SYN16-0000001.yaml", "old: record\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "new: record \udcff\n")  # a lone surrogate cannot be written as UTF-8
    assert target.read_text(encoding="utf-8") == "old: record\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["SYN16-0000001.yaml"]


@pytest.mark.parametrize("blocker", ["file", "dangling symlink"])
def test_a_write_that_fails_raises_at_its_letter_after_the_letters_before_it(
    tmp_path: Path, blocker: str
) -> None:
    for i, year in enumerate(("2016", "2017", "2016")):
        write(tmp_path / "in" / f"{i}.txt", letter(case=f"SYN16-000000{i}", decided=f"12/09/{year}"))
    where = tmp_path / "decisions" / "2017"  # where the 2017 folder must go
    if blocker == "file":  # reading the old record fails
        write(where, "a file")
    else:  # making the folder fails, in the thread that writes
        where.parent.mkdir()
        where.symlink_to(tmp_path / "nowhere")
    outcomes = iter_ingest(sorted((tmp_path / "in").iterdir()), tmp_path, jobs=1)
    first = next(outcomes)
    assert (first.status, first.target) == ("ingested", tmp_path / "decisions" / "2016" / "SYN16-0000000.yaml")
    with pytest.raises(OSError):
        next(outcomes)
    assert first.target.is_file()


def test_runs_leave_no_temporary_files(tmp_path: Path, letters: Path) -> None:
    imrkb("ingest", "letters", cwd=tmp_path)
    write(letters / "a.txt", letter(rationale="Changed."))
    imrkb("ingest", "letters", cwd=tmp_path)
    assert not [name for name in tree(tmp_path) if Path(name).name.startswith(".")]


@pytest.mark.skipif(
    not REAL_LETTERS.is_dir(), reason="the real dev letters are in ../shared only on dev machines"
)
def test_real_letters_ingest_validate_and_stay_unchanged(tmp_path: Path) -> None:
    n = len(list(REAL_LETTERS.glob("*.pdf")))
    first = imrkb("ingest", str(REAL_LETTERS), "--jobs", "2", cwd=tmp_path)
    assert (first.returncode, first.stdout) == (0, "")
    assert summary(first) == f"ingested {n}, updated 0, unchanged 0, failed 0"
    v = imrkb("validate", cwd=tmp_path)
    # the only problems allowed are personal data the State's redaction left in (tests/test_pii.py)
    other = [line for line in v.stdout.splitlines() if ": personal data (" not in line]
    assert (v.returncode, other) == (1 if v.stdout else 0, []), v.stdout
    again = imrkb("ingest", str(REAL_LETTERS), cwd=tmp_path)
    assert summary(again) == f"ingested 0, updated 0, unchanged {n}, failed 0"


def many_letters(folder: Path, n: int) -> None:
    for i in range(n):
        write(folder / f"{i:04d}.txt", letter(case=f"SYN16-{i:07d}", item=f"Acupuncture, {i + 1} sessions"))


def test_long_runs_show_progress_in_logs(tmp_path: Path) -> None:
    many_letters(tmp_path / "in", 1000)
    r = imrkb("ingest", "in", cwd=tmp_path)
    assert r.returncode == 0
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("ingest: 1,000/1,000 (100%), "), r.stderr  # every 1,000
    assert lines[1] == "ingested 1,000, updated 0, unchanged 0, failed 0"


def test_progress_line_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal the progress line is redrawn in place and cleared before the summary."""
    many_letters(tmp_path / "in", 30)
    write(tmp_path / "in" / "bad.txt", "")
    master, slave = os.openpty()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    with subprocess.Popen(
        [sys.executable, "-m", "imrkb", "ingest", "in"], cwd=tmp_path, env=env, stdout=slave, stderr=slave
    ) as proc:
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        assert proc.wait(timeout=300) == 1
    os.close(master)
    text = out.decode()
    assert "\ringest: 31/31 (100%), " in text
    assert text.endswith("\r\x1b[Kingested 30, updated 0, unchanged 0, failed 1\r\n")
    assert "\r\x1b[Kin/bad.txt: " in text  # the failure line clears the progress line first
