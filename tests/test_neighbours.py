"""The neighbour table behind "similar decisions": exact lists, exact incremental updates, its file.

Every test writes real YAML records (synthetic corpora from :mod:`imrkb.synth`, or hand-made ones) and
builds a real table under ``<root>/.imrkb/neighbours``; "exact" is checked against scoring every pair.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from search_corpus import LOW_BACK, NECK, OPIOIDS, decision, issue, write

from imrkb import oslock
from imrkb.records import atomic_write_text, read_record, to_yaml
from imrkb.search import neighbour_table as nt
from imrkb.search.evaluate import write_synthetic_corpus
from imrkb.search.neighbour_table import FILE, compute, table_home, update_neighbours
from imrkb.search.neighbours import K


def brute_force(table: nt.NeighbourTable) -> dict[str, list[tuple[str, int]]]:
    """Every decision's list by scoring it against every other decision."""
    ix = table.index
    out = {}
    for d in ix.ids:
        s = ix.scores(table.signature(d), skip=d)
        ranked = sorted(
            ((ix.ids[j], int(v)) for j, v in enumerate(s.tolist()) if v > 0), key=lambda e: (-e[1], e[0])
        )
        out[d] = ranked[:K]
    return out


def current(root: Path, table: nt.NeighbourTable) -> nt.NeighbourTable:
    """A full computation over the records now on disk, with ``table``'s frozen term counts."""
    return compute(root, nt._from_disk(root, None, 1), table.freq, jobs=1)


def rewrite(root: Path, path: str, **changes: object) -> None:
    d = read_record(root / path)
    atomic_write_text(root / path, to_yaml(dataclasses.replace(d, **changes)))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("synthetic")
    write_synthetic_corpus(root, 400, seed=5)
    update_neighbours(root, jobs=1)
    return root


def copy_of(root: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(root, dst)
    return dst


def test_lists_are_exact_never_hold_the_decision_and_break_ties_by_id(synthetic: Path) -> None:
    table = update_neighbours(synthetic).table
    assert len(table) == 400
    want = brute_force(table)
    for d in table:
        got = table.lists[d]
        assert got == want[d], d
        assert d not in [o for o, _ in got] and len(got) <= K
        assert got == sorted(got, key=lambda e: (-e[1], e[0]))
        assert table[d] == [(o, s / 4096**2) for o, s in got]
    ties = [d for d in table if len({s for _, s in table.lists[d]}) < len(table.lists[d])]
    assert ties, "a synthetic corpus of templates has tied scores: the id order must decide them"


def test_decisions_sharing_treatment_and_guideline_rank_above_unrelated_ones(tmp_path: Path) -> None:
    a = decision(
        "SYN15-0000001",
        "2015-01-01",
        [issue("Norco 10/325mg #90", "upheld", "No opioid monitoring.", [OPIOIDS])],
    )
    b = decision(
        "SYN16-0000002",
        "2016-01-01",
        [issue("Norco 10/325mg #60", "upheld", "Opioid monitoring lacking.", [OPIOIDS])],
    )
    c = decision(
        "SYN16-0000003",
        "2016-02-01",
        [issue("MRI of the lumbar spine", "upheld", "No red flags.", [LOW_BACK])],
    )
    e = decision(
        "SYN17-0000004",
        "2017-01-01",
        [issue("MRI of the cervical spine", "upheld", "Special studies not needed.", [NECK])],
    )
    for d in (a, b, c, e):
        write(tmp_path, d)
    table = update_neighbours(tmp_path).table
    assert [o for o, _ in table.lists[a.id]][:1] == [b.id]
    assert [o for o, _ in table.lists[c.id]][:1] == [e.id]  # the other MRI
    scores = dict(table.lists[c.id])
    assert scores[e.id] > 4 * scores.get(a.id, 0)  # an opioid refill shares at most a word like "no"

    truth = write_synthetic_corpus(tmp_path / "synth", 300, seed=9)
    table = update_neighbours(tmp_path / "synth").table
    treatments = {d: {t.treatment for (i, _), t in truth.items() if i == d} for d, _ in truth}
    single = [d for d in table if len(treatments[d]) == 1 and table.lists[d]]
    same = sum(1 for d in single if treatments[d] & treatments[table.lists[d][0][0]])
    assert same >= 0.9 * len(single), (same, len(single))


def test_the_same_table_from_one_or_two_processes_and_from_records_in_memory(
    synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = update_neighbours(synthetic).table
    root = copy_of(synthetic, tmp_path)
    monkeypatch.setattr(nt, "PARALLEL_MIN", 1)  # fork worker processes even for 400 decisions
    two = update_neighbours(root, jobs=2, full=True).table
    assert two.lists == one.lists
    records = [
        (p.relative_to(root).as_posix(), read_record(p)) for p in sorted(root.glob("decisions/*/*.yaml"))
    ]
    given = update_neighbours(root, records, full=True).table
    assert given.lists == one.lists and given.path(next(iter(given))).startswith("decisions/")


def test_incremental_equals_full_and_reports_exactly_the_lists_that_changed(
    synthetic: Path, tmp_path: Path
) -> None:
    root = copy_of(synthetic, tmp_path)
    first = update_neighbours(root)
    assert not first.full and first.changed == set()  # copied with the corpus, nothing to do
    ids = sorted(first.table)
    # a listed decision changes, one is removed, two are added (copies of others with new ids), one
    # decision's summary changes (not something its terms read: no list changes for it)
    hub = max(ids, key=lambda d: sum(d in [o for o, _ in first.table.lists[y]] for y in ids))
    changed_one = first.table.path(hub)
    d = read_record(root / changed_one)
    rewrite(
        root,
        changed_one,
        issues=(dataclasses.replace(d.issues[0], item=d.issues[0].item + " and acupuncture"), *d.issues[1:]),
    )
    gone = ids[7]
    (root / first.table.path(gone)).unlink()
    for n, src in enumerate((ids[20], ids[30])):
        s = read_record(root / first.table.path(src))
        new = dataclasses.replace(s, id=f"SYN15-990000{n}", case_number=f"SYN15-990000{n}")
        atomic_write_text(root / "decisions" / new.year_folder / f"{new.id}.yaml", to_yaml(new))
    rewrite(root, first.table.path(ids[40]), summary="A different summary of the case.")

    before = first.table.lists
    up = update_neighbours(root)
    assert not up.full and (up.added, up.modified, up.removed) == (2, 1, 1)
    full = current(root, first.table)
    assert up.table.lists == full.lists
    assert up.table.lists == brute_force(up.table)
    assert up.changed == {d for d in full.lists if full.lists[d] != before.get(d)}
    assert {"SYN15-9900000", "SYN15-9900001"} <= up.changed and gone not in up.table.lists
    assert all(gone not in [o for o, _ in v] for v in up.table.lists.values())
    assert ids[40] not in up.changed or full.lists[ids[40]] != before[ids[40]]

    again = update_neighbours(root)  # the stored table is the updated one
    assert again.changed == set() and again.table.lists == full.lists


def test_past_the_drift_share_the_table_is_rebuilt_with_fresh_term_counts(
    synthetic: Path, tmp_path: Path
) -> None:
    root = copy_of(synthetic, tmp_path)
    table = update_neighbours(root).table
    lines: list[str] = []
    for d in sorted(table)[: int(nt.REBUILD_SHARE * len(table)) + 1]:
        (root / table.path(d)).unlink()
    up = update_neighbours(root, say=lines.append)
    assert up.full and "fresh term counts" in up.reason and lines and "rebuilding" in lines[0]
    fresh = update_neighbours(copy_of(root, tmp_path / "again"), full=True).table
    assert up.table.lists == fresh.lists and up.table.freq.total == len(up.table) and up.table.freq.drift == 0


def cut_short(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def garbage(p: Path) -> None:
    p.write_bytes(b"not a table at all")


def old_format(p: Path) -> None:  # a table of another version, read back whole
    with np.load(p, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["meta"].tobytes())
    arrays["meta"] = np.frombuffer(json.dumps({**meta, "format": 0}).encode(), np.uint8)
    with p.open("wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("damage", [cut_short, garbage, old_format])
def test_a_damaged_table_is_rebuilt_with_a_clear_message(
    synthetic: Path, tmp_path: Path, damage: Callable[[Path], None]
) -> None:
    root = copy_of(synthetic, tmp_path)
    good = update_neighbours(root).table.lists
    path = table_home(root) / FILE
    damage(path)
    lines: list[str] = []
    up = update_neighbours(root, say=lines.append)
    assert up.full and up.table.lists == good and up.changed == set(good)
    assert len(lines) == 1 and str(path) in lines[0] and "rebuilding it from the records" in lines[0]
    assert "damaged" in lines[0] or "format 0" in lines[0]
    assert update_neighbours(root).full is False  # the rebuilt file reads back


def test_a_missing_table_is_built(synthetic: Path, tmp_path: Path) -> None:
    root = copy_of(synthetic, tmp_path)
    (table_home(root) / FILE).unlink()
    up = update_neighbours(root)
    assert up.full and up.reason == "no table yet" and len(up.changed) == 400


def test_saved_arrays_are_what_was_computed(synthetic: Path) -> None:
    table = update_neighbours(synthetic).table
    with np.load(table_home(synthetic) / FILE, allow_pickle=False) as z:
        meta = json.loads(z["meta"].tobytes())
        assert meta["format"] == nt.FORMAT and meta["k"] == K and z["nb_ids"].shape == (400, K)
        first = sorted(table)[0]
        assert [table.index.ids[j] for j in z["nb_ids"][0] if j >= 0] == [o for o, _ in table.lists[first]]


def imrkb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imrkb", *args], capture_output=True, text=True, timeout=300)


def test_imrkb_similar_answers_from_the_table(synthetic: Path, tmp_path: Path) -> None:
    root = copy_of(synthetic, tmp_path)
    table = update_neighbours(root).table
    d = sorted(table)[3]
    r = imrkb("similar", d, "--json", "--limit", "8", "--root", str(root))
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)["similar"]
    assert [(s["decision"], s["score"]) for s in got[:K]] == [(o, round(s, 4)) for o, s in table[d]]
    assert len(got) == 8 and all(s["items"] and s["path"].startswith("decisions/") for s in got)
    assert [s["score"] for s in got] == sorted((s["score"] for s in got), reverse=True)
    text = imrkb("similar", d, "--root", str(root))
    assert text.returncode == 0 and text.stdout.startswith(f"1. {got[0]['decision']}  ")
    with oslock.exclusive(table_home(root) / nt.LOCK):
        busy = imrkb("similar", d, "--root", str(root))
    assert busy.returncode == 75 and "being updated by another process" in busy.stderr
