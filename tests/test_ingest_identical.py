"""``imrkb ingest`` writes the same bytes every way it can run: one process or two, cached or not, and the
same bytes as ``yaml.dump`` of the record (the writer ingest used before its event emitter and cache).

The letters are the seed letter, the golden synthetic letters, letters made by ``imrkb synth`` (text and
PDF, with extraction damage) and one that is no letter at all; the expected records are made here from
the parser and the personal-data scan, serialised with ``yaml.dump``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from imrkb.ingest import _read_and_parse
from imrkb.ingestcache import cache_dir
from imrkb.pii import scan_letter
from imrkb.records import _Dumper, to_dict

REPO = Path(__file__).resolve().parent.parent
SHARED_SEEDS = REPO.parent / "shared" / "seeds"
NOT_A_LETTER = "Dear colleague,\nthe meeting moved to Tuesday.\n"


def imrkb(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imrkb", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root/decisions`` by relative path."""
    base = root / "decisions"
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def expected(letters: Path) -> dict[str, bytes]:
    """The records as ``yaml.dump`` writes them, by path under ``decisions/`` (letters that fail left out)."""
    out: dict[str, bytes] = {}
    for path in sorted(letters.iterdir()):
        try:
            decision, text = _read_and_parse(path)
        except Exception:  # noqa: BLE001 - the letter that is no letter
            continue
        decision = dataclasses.replace(decision, pii=scan_letter(decision, text))
        dumped = yaml.dump(to_dict(decision), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        out[f"{decision.year_folder}/{decision.id}.yaml"] = dumped.encode("utf-8")
    return out


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("letters")
    for fmt, count, seed in (("txt", 40, 11), ("pdf", 4, 12)):
        made = folder.parent / f"synth-{fmt}"
        r = imrkb("synth", "--count", str(count), "--seed", str(seed), "--format", fmt, "--out", str(made),
                  cwd=folder.parent)
        assert r.returncode == 0, r.stderr
        for p in made.rglob(f"*.{fmt}"):
            shutil.copy(p, folder / f"synth-{p.name}")
    for p in sorted((REPO / "tests" / "letters").glob("*.txt")):
        shutil.copy(p, folder / p.name)
    if SHARED_SEEDS.is_dir():  # the seed letter is also tests/letters/seed-2015.txt: one copy of each letter
        have = {p.read_bytes() for p in folder.iterdir()}
        for p in sorted(SHARED_SEEDS.glob("*.txt")):
            if p.read_bytes() not in have:
                shutil.copy(p, folder / f"shared-seed-{p.name}")
    (folder / "zz-not-a-letter.txt").write_text(NOT_A_LETTER, encoding="utf-8")
    return folder


def test_every_way_of_ingesting_writes_the_bytes_yaml_dump_writes(tmp_path: Path, letters: Path) -> None:
    want = expected(letters)
    n = len(list(letters.iterdir()))
    assert len(want) == n - 1  # every letter but the one that is none
    runs = {}
    for name, args in (
        ("serial, uncached", ["--jobs", "1", "--no-cache"]),
        ("two jobs, uncached", ["--jobs", "2", "--no-cache"]),
        ("two jobs, filling the cache", ["--jobs", "2"]),
        ("serial, from the cache", ["--jobs", "1"]),
        ("two jobs, from the cache", ["--jobs", "2"]),
    ):
        root = tmp_path / "root"
        shutil.rmtree(root / "decisions", ignore_errors=True)  # the cache (root/.imrkb) stays
        root.mkdir(exist_ok=True)
        r = imrkb("ingest", str(letters), "--root", str(root), *args, cwd=tmp_path)
        assert tree(root) == want, name
        runs[name] = (r.returncode, r.stdout, r.stderr.strip().splitlines()[-1])
    entries = list(cache_dir(tmp_path / "root").rglob("*.rec"))
    assert len(entries) == len(want)  # filled by the third run, read by the last two
    failed = f"{letters / 'zz-not-a-letter.txt'}: not an IMR determination letter"
    summary = f"ingested {n - 1}, updated 0, unchanged 0, failed 1"
    for name, (code, stdout, last) in runs.items():
        assert (code, last) == (1, summary), name
        assert stdout.startswith(failed), name
        assert stdout == runs["serial, uncached"][1], name  # the same error lines, in the same order


def test_the_cache_is_what_a_cached_run_writes_and_a_damaged_entry_is_parsed_again(
    tmp_path: Path, letters: Path
) -> None:
    seed = letters / "seed-2015.txt"
    r = imrkb("ingest", str(seed), "--jobs", "1", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (record,) = tree(tmp_path).items()
    (entry,) = cache_dir(tmp_path).rglob("*.rec")
    head, body = entry.read_bytes().split(b"\n", 1)
    assert body == record[1]
    # an entry whose text no longer matches its digest is not used: the letter is parsed again
    entry.write_bytes(head + b"\n" + body.replace(b"upheld", b"overturned"))
    shutil.rmtree(tmp_path / "decisions")
    r = imrkb("ingest", str(seed), "--jobs", "1", cwd=tmp_path)
    assert (r.returncode, tree(tmp_path)) == (0, dict([record]))
    # the entry is what a cached run writes, unparsed: proof that the cache is read at all
    changed = body.replace(b"Texas", b"Nevada")
    digest = hashlib.blake2b(changed, digest_size=16).hexdigest().encode()
    entry.write_bytes(digest + b" " + head.split(b" ", 1)[1] + b"\n" + changed)
    r = imrkb("ingest", str(seed), "--jobs", "1", cwd=tmp_path)
    assert "updated 1" in r.stderr
    assert tree(tmp_path)[record[0]] == changed
    # --no-cache parses the letter and puts the true record back
    r = imrkb("ingest", str(seed), "--no-cache", cwd=tmp_path)
    assert "updated 1" in r.stderr and tree(tmp_path) == dict([record])


def test_a_decision_taken_down_leaves_no_copy_in_the_cache(tmp_path: Path, letters: Path) -> None:
    letter = letters / "synthetic-case-number-2016.txt"
    assert imrkb("ingest", str(letter), cwd=tmp_path).returncode == 0
    (path, record), = tree(tmp_path).items()
    ident = Path(path).stem
    (entry,) = cache_dir(tmp_path).rglob("*.rec")
    assert record in entry.read_bytes()
    removed = imrkb("remove", ident, "--reason", "test takedown of a cached record", cwd=tmp_path)
    assert removed.returncode == 0, removed.stderr
    assert not entry.exists()
    again = imrkb("ingest", str(letter), cwd=tmp_path)  # withheld: parsed, and not kept in the cache
    assert (again.returncode, again.stderr.strip().splitlines()[-1]) == (
        0, "ingested 0, updated 0, unchanged 0, withheld 1, failed 0"
    )
    assert not list(cache_dir(tmp_path).rglob("*.rec")) and not tree(tmp_path)
