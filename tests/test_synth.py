"""The synthetic letter generator: determinism, layouts, proportions, schema, PDFs, marking, damage steps,
and the key check: the parser reads every generated letter back into the record it was generated from."""

from __future__ import annotations

import collections
import io
import json
import random
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pypdf
import pytest

from imrkb.catalog import load_catalog
from imrkb.cli import main
from imrkb.errors import CatalogError
from imrkb.parse import parse_bytes, parse_text
from imrkb.records import load_yaml_text, to_dict, to_json
from imrkb.synth import LAYOUTS, MARKER, STEPS, SynthLetter, render_letter, write_corpus
from imrkb.synth.cite import Citer
from imrkb.synth.damage import check_steps, damage, pages_text, wrap_line
from imrkb.synth.generate import Generator, layout_for
from imrkb.synth.render import render_lines
from imrkb.synth.vocab import load_vocabulary
from imrkb.validate import iter_problems, known_chapters

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "schema" / "decision.schema.json").read_text())
CASE = re.compile(r"^SYN\d{2}-\d{7}$")
REAL_CASE = re.compile(r"CM\d\d-")


@lru_cache(maxsize=4)
def letters(seed: int, count: int) -> tuple[SynthLetter, ...]:
    gen = Generator(seed)
    return tuple(gen.letter(i) for i in range(count))


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


# --- determinism ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["yaml", "txt"])
def test_same_seed_gives_identical_bytes(tmp_path: Path, fmt: str) -> None:
    write_corpus(tmp_path / "a", 40, 5, fmt)
    write_corpus(tmp_path / "b", 40, 5, fmt)
    a, b = files(tmp_path / "a"), files(tmp_path / "b")
    assert len(a) == (40 if fmt == "yaml" else 80)
    assert a == b
    write_corpus(tmp_path / "c", 40, 6, fmt)
    assert files(tmp_path / "c") != a


def test_worker_processes_do_not_change_the_output(tmp_path: Path) -> None:
    write_corpus(tmp_path / "one", 30, 9, "yaml", jobs=1)
    write_corpus(tmp_path / "two", 30, 9, "yaml", jobs=2, chunk=8)
    assert files(tmp_path / "one") == files(tmp_path / "two")


def test_a_letter_does_not_depend_on_the_count() -> None:
    assert to_dict(letters(3, 50)[49].decision) == to_dict(Generator(3).letter(49).decision)


# --- layouts, dates, proportions --------------------------------------------------------------------------


def test_every_layout_appears_in_200_letters() -> None:
    seen = collections.Counter(x.decision.layout for x in letters(2026, 200))
    assert set(seen) == set(LAYOUTS), seen


def test_layout_matches_decision_date_and_dates_are_in_order() -> None:
    for x in letters(11, 3000):
        d = x.decision
        dates = d.dates
        assert d.layout == layout_for(dates.decision), d.id
        assert 2013 <= dates.decision.year <= 2017, d.id
        assert (
            dates.injury < dates.ur_denial <= dates.application_received < dates.assigned < dates.decision
        ), d.id
        assert d.case_number[3:5] == f"{dates.application_received.year % 100:02d}"


def test_proportions_are_realistic() -> None:
    sample = letters(11, 3000)
    issues = [i for x in sample for i in x.decision.issues]
    written = [w for x in sample for w in x.written]
    per_letter = collections.Counter(len(x.decision.issues) for x in sample)
    share = collections.Counter(w.category for w in written)
    n = len(written)
    assert sum(per_letter[k] for k in (1, 2, 3)) / len(sample) > 0.75
    assert max(per_letter) <= 12 and per_letter[12] > 0 and min(per_letter) == 1
    overturned = sum(i.outcome == "overturned" for i in issues) / len(issues)
    assert 0.07 < overturned < 0.13, overturned
    assert 0.28 < share["Pharmaceuticals"] / n < 0.40  # about a third
    opioids = sum(w.treatment == "opioid" for w in written) / share["Pharmaceuticals"]
    assert 0.22 < opioids < 0.36  # a quarter to a third of those
    assert 0.16 < share["Rehabilitation"] / n < 0.25  # about a fifth
    assert 0.07 < share["Diagnostic Testing"] / n < 0.15  # about a tenth
    california = sum("California" in x.decision.reviewer.licensed_in for x in sample) / len(sample)
    assert 0.58 < california < 0.74  # about two thirds
    states = collections.Counter(len(x.decision.reviewer.licensed_in) for x in sample)
    assert set(states) <= {1, 2, 3}
    modified = [i for i in issues if i.original_request]
    assert modified and all(
        x.decision.layout == "case-number-2016"
        for x in sample
        for i in x.decision.issues
        if i.original_request
    )


# --- marking and schema -----------------------------------------------------------------------------------


def test_every_record_is_marked_synthetic_and_valid(tmp_path: Path) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for x in letters(2026, 200):
        d = x.decision
        assert d.synthetic is True and CASE.match(d.case_number) and d.id == d.case_number
        data = json.loads(to_json(render_letter(x, "yaml").decision))
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, (d.id, errors)


def test_generated_tree_passes_imrkb_validate(tmp_path: Path) -> None:
    write_corpus(tmp_path / "decisions", 150, 77, "yaml")
    problems = [str(p) for p in iter_problems(tmp_path, known_chapters())]
    assert problems == []


def test_no_real_case_number_anywhere(tmp_path: Path) -> None:
    write_corpus(tmp_path / "txt", 60, 4, "txt")
    write_corpus(tmp_path / "yaml", 60, 4, "yaml")
    for name, data in {**files(tmp_path / "txt"), **files(tmp_path / "yaml")}.items():
        text = data.decode("utf-8")
        assert not REAL_CASE.search(text), name
        assert not REAL_CASE.search(name)
        if name.endswith(".txt"):
            assert text.split("\n", 1)[0].strip() == MARKER, name


def test_patient_is_age_and_sex_only() -> None:
    for x in letters(2026, 200):
        assert set(to_dict(x.decision)["patient"]) == {"age", "sex"}
        assert 18 <= x.decision.patient.age <= 80 and x.decision.patient.sex in ("male", "female")


# --- vocabulary against the catalog -----------------------------------------------------------------------


def test_vocabulary_references_resolve_in_the_catalog() -> None:
    vocab = load_vocabulary()  # checks every reference for every region on load
    assert len(vocab["treatments"]) > 25


@pytest.mark.parametrize(
    "ref, message",
    [
        ("cpmtg:Unheard-of therapy", "mtus-cpmtg topic 'Unheard-of therapy'"),
        ("acoem:Nonexistent Section", "ACOEM section 'Nonexistent Section'"),
        ("odg:nowhere/MRI", "no spellings for ODG chapter 'nowhere'"),
        ("odg:Surgery for shoulder", "contains a chapter name"),
        ("bogus:thing", "unknown citation reference"),
    ],
)
def test_bad_vocabulary_references_are_rejected(ref: str, message: str) -> None:
    vocab = load_vocabulary()
    with pytest.raises(CatalogError, match=re.escape(message)):
        vocab.citer.check(ref, 12, "low-back")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t["wordings"].pop("neck"), "treatment 'esi': no wordings for region(s) neck"),
        (lambda t: t["regions"].append("tail"), "treatment 'esi': unknown region 'tail'"),
        (lambda t: t["cite"]["sections"].append(["cpmtg:Made-up topic"]), "topic 'Made-up topic'"),
        (lambda t: t.pop("quantity", None) or t["wordings"]["neck"].append("ESI x {n}"), "no quantity list"),
    ],
)
def test_a_broken_vocabulary_file_is_refused(tmp_path: Path, edit: Any, message: str) -> None:
    from imrkb.synth.vocab import VOCAB_PATH

    data = load_yaml_text(VOCAB_PATH.read_text(encoding="utf-8"))
    edit(next(t for t in data["treatments"] if t["key"] == "esi"))
    path = tmp_path / "vocab.yaml"
    path.write_text(json.dumps(data), encoding="utf-8")  # JSON is YAML
    with pytest.raises(CatalogError, match=re.escape(message)):
        load_vocabulary(path)


def test_odg_spellings_must_be_known_to_the_catalog() -> None:
    with pytest.raises(CatalogError, match="Lumbago Land"):
        Citer({"low-back": ["Low Back", "Lumbago Land"]}, {}, load_catalog())


# --- damage steps -----------------------------------------------------------------------------------------


def _letter_text(steps: tuple[str, ...], index: int = 0) -> tuple[list[str], str]:
    x = letters(2026, 200)[index]
    lines = render_lines(x)
    return lines, pages_text(damage(lines, steps, random.Random(index)))


def _step_checks() -> list[tuple[str, Any]]:
    def wrapped(lines: list[str], text: str) -> bool:
        return max(map(len, text.split("\n"))) <= 97 < max(map(len, lines))

    return [
        ("wrap", wrapped),
        # a hyphenated word only now and then falls at a line end
        ("hyphen_breaks", lambda lines, text: bool(re.search(r"[a-z]-\n[a-z]", text))),
        ("syllable_hyphens", lambda lines, text: bool(re.search(r"[a-z]{4}-\n[a-z]", text))),
        ("page_footers", lambda lines, text: bool(re.search(r"^Page 1( of \d)?$", text, re.M))),
        ("blank_runs", lambda lines, text: "\n\n\n" in text),
        ("double_spacing", lambda lines, text: bool(re.search(r"(?:\S[^\n]*\n\n){8}", text))),
        ("space_lines", lambda lines, text: "\n \n" in text and "\n\n" not in text),
        ("trailing_spaces", lambda lines, text: bool(re.search(r"\w \n", text))),
    ]


@pytest.mark.parametrize("step, shows", _step_checks(), ids=[s for s, _ in _step_checks()])
def test_each_damage_step_leaves_its_mark(step: str, shows: Any) -> None:
    marked = 0
    for i in range(20):
        lines, text = _letter_text((step,), i)
        clean = pages_text(damage(lines, (), random.Random(i)))
        marked += bool(shows(lines, text))
        assert text != clean or step == "syllable_hyphens"
    assert marked >= (3 if step == "hyphen_breaks" else 8), (
        f"{step} left its mark in only {marked} of 20 letters"
    )


def test_wrap_keeps_every_word() -> None:
    line = "Decision based on MTUS Neck and Upper Back Complaints 2004, Section(s): Special Studies, and " * 3
    out = wrap_line(line.strip(), 90, random.Random(1), hyphens=True, syllables=True)
    assert all(len(x) <= 90 for x in out)
    rejoined = re.sub(r"(?<=[a-z])-(?=\s*$)", "", "\n".join(out), flags=re.M)
    assert " ".join(rejoined.split()).replace("-\n", "") == " ".join(line.split())


def test_unknown_damage_step_is_refused_with_the_valid_names() -> None:
    with pytest.raises(ValueError, match="valid: wrap, hyphen_breaks"):
        check_steps(["wrap", "smudges"])


def test_pages_are_two_to_four() -> None:
    for i, x in enumerate(letters(11, 3000)[:400]):
        pages = damage(render_lines(x), STEPS, random.Random(i))
        assert 2 <= len(pages) <= 4


# --- PDFs -------------------------------------------------------------------------------------------------


def test_pdfs_are_encrypted_and_extract_with_pypdf(tmp_path: Path) -> None:
    write_corpus(tmp_path, 8, 21, "pdf", damage_spec="wrap,page_footers")
    pdfs = sorted(tmp_path.glob("*.pdf"))
    assert len(pdfs) == 8
    for path in pdfs:
        reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
        assert reader.is_encrypted
        assert reader.decrypt("") != 0  # the empty user password opens it
        assert 2 <= len(reader.pages) <= 4
        text = "\n".join(p.extract_text() for p in reader.pages)
        assert text.split("\n", 1)[0].strip() == MARKER
        assert re.search(r"^Page [12]\b", text, re.M)  # a footer on page 1, or a header on page 2
        expected = load_yaml_text((tmp_path / f"{path.stem}.expected.yaml").read_text())
        assert expected["source"]["pages"] == len(reader.pages)
        assert expected["case_number"] in text


# --- the CLI ----------------------------------------------------------------------------------------------


def test_cli_writes_letters_and_expected_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--count", "3", "--seed", "1", "--out", str(tmp_path), "--format", "txt"]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 6 and sum(n.endswith(".expected.yaml") for n in names) == 3
    assert "wrote 3 synthetic letters" in capsys.readouterr().err


def test_cli_yaml_tree(tmp_path: Path) -> None:
    assert main(["synth", "-n", "12", "-s", "3", "-o", str(tmp_path), "-j", "1"]) == 0
    for path in tmp_path.rglob("*.yaml"):
        record = load_yaml_text(path.read_text())
        assert path.parent.name == str(record["dates"]["decision"].year) and path.stem == record["id"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--damage", "wrap,smudges"], "--damage: unknown damage step 'smudges'"),
        (["--count", "-1"], "--count must be 0 or more"),
        (["--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_cli_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    base = ["synth", "--count", "2", "--out", str(tmp_path / "out")]
    assert main(base + args) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err


# --- the key check: the parser reads each letter back into its record --------------------------------------


def _diff(want: Any, got: Any, path: str = "") -> list[str]:
    """Field-by-field differences, as ``path: expected ... got ...`` lines."""
    if isinstance(want, dict) and isinstance(got, dict):
        return [
            d
            for k in want
            if k not in ("sha256", "file", "warnings")
            for d in _diff(want[k], got.get(k), f"{path}.{k}" if path else k)
        ]
    if isinstance(want, list) and isinstance(got, list):
        out = [f"{path}: expected {len(want)} entries, got {len(got)}"] if len(want) != len(got) else []
        return out + [
            d for k, (a, b) in enumerate(zip(want, got, strict=False)) for d in _diff(a, b, f"{path}[{k}]")
        ]
    return [] if want == got else [f"{path}: expected {want!r}, got {got!r}"]


def _by_layout(per_layout: int) -> dict[str, list[SynthLetter]]:
    out: dict[str, list[SynthLetter]] = {name: [] for name in LAYOUTS}
    for x in letters(11, 3000):
        if len(out[x.decision.layout]) < per_layout:
            out[x.decision.layout].append(x)
    return out


STEP_SETS = [(), *((s,) for s in STEPS), STEPS]


@pytest.mark.parametrize("steps", STEP_SETS, ids=["clean", *STEPS, "all"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_parser_reads_back_the_generated_record(layout: str, steps: tuple[str, ...]) -> None:
    problems = []
    for x in _by_layout(8)[layout]:
        r = render_letter(x, "txt", steps)
        got = parse_text(r.data.decode("utf-8"), r.decision.source.file)
        problems += [
            f"{x.decision.id} (letter {x.index} of seed {x.seed}): {d}"
            for d in _diff(to_dict(r.decision), to_dict(got))
        ]
    assert not problems, "\n".join(problems)


PDF_STEPS = tuple(s for s in STEPS if s not in ("space_lines", "trailing_spaces"))


@pytest.mark.parametrize(
    "steps",
    [(), tuple(s for s in PDF_STEPS if s != "page_footers"), PDF_STEPS],
    ids=["clean", "damaged", "damaged+footers"],
)
def test_parser_reads_back_generated_pdfs(steps: tuple[str, ...]) -> None:
    problems = []
    for x in (x for group in _by_layout(3).values() for x in group):
        r = render_letter(x, "pdf", steps)
        got = parse_bytes(r.data, r.decision.source.file)
        problems += [f"{x.decision.id} {steps}: {d}" for d in _diff(to_dict(r.decision), to_dict(got))]
    assert not problems, "\n".join(problems)
