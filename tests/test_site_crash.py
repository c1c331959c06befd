"""Crash-safe builds, for real: `imrkb build` and `imrkb index` are started as subprocesses and killed
with SIGKILL at seeded random moments. After every kill the published site (and the Whoosh index) must be
a complete build, either the previous one or (when the kill came after the switch) the new one, never a
mixture; and the next build must succeed without any cleaning by hand.

The corpus grows by one record before each trial, so "previous" and "new" are told apart by their pages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from site_corpus import corpus, run_imrkb, write_corpus

from imrkb.search import store
from imrkb.site.publish import LOCK, MARKER, builds_dir, standby, trash_dir

TRIALS = 20
SEED = 20266


def _start(*args: str) -> subprocess.Popen[bytes]:
    # Own process group, so the kill takes the build's children (pagefind) too, as a killed job would.
    return subprocess.Popen(
        [sys.executable, "-m", "imrkb", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_after(proc: subprocess.Popen[bytes], delay: float) -> int | None:
    """SIGKILL ``proc``'s group after ``delay`` s; return its exit code if it had finished first."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return proc.returncode
        time.sleep(0.01)
    if proc.poll() is not None:
        return proc.returncode
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return None


def published_ids(site: Path) -> set[str]:
    """Check that ``site`` is one complete build and return the decision ids it publishes."""
    assert site.is_symlink(), f"{site} is not the published link"
    target = site.resolve()
    assert target.parent == builds_dir(site).resolve()
    marker = json.loads((site / MARKER).read_text(encoding="utf-8"))
    assert marker["stamp"] == target.name
    pages = sorted(site.glob("decisions/*/*/index.html"))
    ids = {p.parent.name for p in pages}
    assert len(ids) == marker["decisions"]
    for p in pages:
        assert f"<h1>{p.parent.name}</h1>" in p.read_text(encoding="utf-8")
    for name in ("index.html", "search/index.html", "statistics/index.html", "sitemap.xml", "feed.xml"):
        assert (site / name).stat().st_size > 0, name
    entry = json.loads((site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert entry["languages"]["en"]["page_count"] == len(ids)
    assert (site / "pagefind" / "pagefind.js").is_file()
    lines = (site / "data" / "decisions.jsonl").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["id"] for line in lines} == ids
    return ids


def _record(k: int):  # type: ignore[no-untyped-def]
    base = corpus()[-1]
    return dataclasses.replace(
        base,
        id=f"SYN18-00090{k:02d}",
        dates=dataclasses.replace(base.dates, decision=dt.date(2018, 1 + k % 12, 1 + k % 28)),
    )


def test_killed_builds_leave_the_published_site_intact(tmp_path: Path) -> None:
    root = tmp_path
    write_corpus(root, corpus()[:5])
    site = root / "site"
    t0 = time.monotonic()
    first = run_imrkb("build", "--root", str(root))
    duration = time.monotonic() - t0
    assert first.returncode == 0, first.stderr
    live = published_ids(site)

    rng = random.Random(SEED)
    survived = switched = 0
    for k in range(TRIALS):
        write_corpus(root, [_record(k)])
        on_disk = {p.stem for p in root.glob("decisions/*/*.yaml")}
        delay = rng.uniform(0.05, duration * 1.1)
        rc = _kill_after(_start("build", "--root", str(root)), delay)
        ids = published_ids(site)
        if rc is not None:  # it finished before the kill: the new site is published
            assert rc == 0
            assert ids == on_disk
        elif ids == live:  # killed before the switch: the previous site, whole
            survived += 1
        else:  # killed after the switch, before exiting: the new site, whole
            assert ids == on_disk
            switched += 1
        live = ids
    print(
        f"\nkill trials: {TRIALS}, killed mid-build with the previous site intact: {survived}, "
        f"killed after the switch: {switched}, finished before the kill: {TRIALS - survived - switched}"
    )
    assert survived >= TRIALS // 2, "too few kills landed mid-build to test anything"

    # The next build recovers on its own: publishes everything and leaves no half-built folder behind.
    last = run_imrkb("build", "--root", str(root))
    assert last.returncode == 0, last.stderr
    assert published_ids(site) == {p.stem for p in root.glob("decisions/*/*.yaml")}
    left = sorted(p.name for p in builds_dir(site).iterdir())
    spare = standby(site)  # the build the last one replaced, kept for the next rebuild to recycle
    assert spare is not None
    assert left == sorted([LOCK, site.resolve().name, spare.name])
    # And what it published is what a full build of the same records makes.
    full = root / "full"
    assert run_imrkb("build", "--root", str(root), "--out", str(full), "--full").returncode == 0
    assert published_ids(full) == published_ids(site)
    for rel in ("data/decisions.jsonl", "data/decisions.csv", "sitemap.xml", "browse/year/2018/index.html"):
        assert (site / rel).read_bytes() == (full / rel).read_bytes(), rel
    assert not list(root.glob(".site.link-*"))
    # Superseded builds were moved to the trash, which a detached process empties and removes.
    deadline = time.monotonic() + 120
    while list(trash_dir(site).glob("*/*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not list(trash_dir(site).glob("*/*")), "the trash was never emptied"


def test_a_second_build_waits_its_turn(tmp_path: Path) -> None:
    """While another process holds the build lock, `imrkb build` says so and exits 75 at once; after the
    holder is gone (its lock released with it), the next build runs."""
    write_corpus(tmp_path, corpus()[:3])
    lock = builds_dir(tmp_path / "site") / LOCK
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from imrkb import oslock\n"
         "with oslock.exclusive(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)", str(lock)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        second = run_imrkb("build", "--root", str(tmp_path), "--no-search-index")
        assert second.returncode == 75, second.stderr
        assert "another build is running (process" in second.stderr
    finally:
        holder.kill()
        holder.wait(timeout=10)
        if holder.stdout:
            holder.stdout.close()
    after = run_imrkb("build", "--root", str(tmp_path), "--no-search-index", "--no-precedent-index")
    assert after.returncode == 0, after.stderr


def _index_state(root: Path) -> int:
    """Open the live Whoosh index as `imrkb search` does; return how many decisions it holds."""
    ix, _folder, manifest = store.open_live(root)
    try:
        with ix.searcher() as s:
            assert s.doc_count() == manifest.items
    finally:
        ix.close()
    return manifest.decisions


def test_killed_index_builds_leave_the_live_index_intact(tmp_path: Path) -> None:
    root = tmp_path
    write_corpus(root, corpus()[:5])
    t0 = time.monotonic()
    first = run_imrkb("index", "--root", str(root), "--full")
    duration = time.monotonic() - t0
    assert first.returncode == 0, first.stderr
    live = _index_state(root)
    assert live == 5
    rng = random.Random(SEED)
    survived = 0
    for k in range(TRIALS):
        write_corpus(root, [_record(k)])
        on_disk = 6 + k
        rc = _kill_after(_start("index", "--root", str(root), "--full"), rng.uniform(0.05, duration * 1.1))
        n = _index_state(root)
        assert n in (live, on_disk)
        assert rc is None or (rc == 0 and n == on_disk)
        survived += rc is None and n == live
        live = n
    print(f"\nindex kill trials: {TRIALS}, killed with the previous index intact: {survived}")
    last = run_imrkb("index", "--root", str(root))
    assert last.returncode == 0, last.stderr
    assert _index_state(root) == 5 + TRIALS
