"""Short fragment names (imrkb/site/pagefindnames.py) on real Pagefind indexes: the metadata is the
same but for the names and downloads smaller, each renamed fragment is the page's own file, nothing
else changes, the names follow from the metadata, and an index not in the known format is left alone.
(That searches find the same results is checked in a browser: test_site_search_loader_browser.py.)"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from site_corpus import run_imrkb

from imrkb.site.pagefindnames import SIGNATURE, Unknown, base36, decode, encode, shorten
from imrkb.site.searchindex import index_site


def pagefind(pages: Path, out: Path) -> Path:
    """A real Pagefind run over the HTML files of ``pages`` into ``out``."""
    cmd = [sys.executable, "-m", "pagefind", "--site", str(pages), "--output-path", str(out), "--silent"]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


def write_pages(folder: Path, n: int) -> Path:
    for i in range(n):
        page = folder / "decisions" / f"D{i:03d}" / "index.html"
        page.parent.mkdir(parents=True)
        words = " ".join(f"word{(i * 7 + k) % 23}" for k in range(5 + i % 9))
        page.write_text(
            f'<html lang="en"><body><main data-pagefind-body><h1>Decision D{i:03d}</h1>'
            f'<p>{words} lumbar</p><span data-pagefind-filter="outcome">{"upheld" if i % 3 else "overturned"}'
            f'</span><span data-pagefind-sort="date">2015-01-{1 + i % 28:02d}</span></main></body></html>',
            encoding="utf-8",
        )
    return folder


def meta_of(folder: Path) -> tuple[Path, list]:
    entry = json.loads((folder / "pagefind-entry.json").read_text())
    path = folder / f"pagefind.{entry['languages']['en']['hash']}.pf_meta"
    raw = gzip.decompress(path.read_bytes())
    assert raw.startswith(SIGNATURE)
    return path, decode(raw[len(SIGNATURE) :])  # type: ignore[return-value]


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("names")
    return pagefind(write_pages(root / "pages", 40), root / "raw")


def test_fragments_get_short_names_and_the_metadata_only_new_names(raw: Path, tmp_path: Path) -> None:
    short = tmp_path / "short"
    shutil.copytree(raw, short)
    meta_path, before = meta_of(raw)
    assert encode(before) == gzip.decompress(meta_path.read_bytes())[len(SIGNATURE) :]  # CBOR round trip
    assert shorten(short) == 40
    new_path, after = meta_of(short)
    assert new_path.name == meta_path.name and new_path.stat().st_size < meta_path.stat().st_size
    assert after[0] == before[0] and after[2:] == before[2:]  # version, word and filter chunks, sorts
    assert [w for _, w in after[1]] == [w for _, w in before[1]]  # word counts, in page order
    names = [n for n, _ in after[1]]
    prefix = names[0][:-1]
    assert len(prefix) == 8 and names == [prefix + base36(i) for i in range(40)]
    old, new = files(raw), files(short)
    for (was, _), (now, _) in zip(before[1], after[1], strict=True):
        assert new.pop(f"fragment/{now}.pf_fragment") == old.pop(f"fragment/{was}.pf_fragment")
    new.pop(new_path.name)
    old.pop(meta_path.name)
    assert new == old  # every other file as Pagefind wrote it, no fragment left over


def test_names_follow_from_the_metadata(raw: Path, tmp_path: Path) -> None:
    for name in ("first", "second"):
        shutil.copytree(raw, tmp_path / name)
        shorten(tmp_path / name)
    assert files(tmp_path / "first") == files(tmp_path / "second")
    other = pagefind(write_pages(tmp_path / "other", 41), tmp_path / "other-index")
    shorten(other)
    first = meta_of(tmp_path / "first")[1][1][0][0]
    assert meta_of(other)[1][1][0][0][:8] != first[:8]  # other pages, other prefix: no stale cache hit


@pytest.mark.parametrize(
    "damage",
    [
        lambda m: [*m, 1],  # another shape
        lambda m: [m[0], [[p[0], p[1], 0] for p in m[1]], *m[2:]],  # pages not [name, count]
        lambda m: [m[0], [["../x", 1], *m[1][1:]], *m[2:]],  # a name that is a path
        lambda m: [m[0], [["en_missing", 1], *m[1][1:]], *m[2:]],  # no such fragment
    ],
)
def test_an_index_not_in_the_known_format_is_left_alone(raw: Path, tmp_path: Path, damage) -> None:
    folder = tmp_path / "odd"
    shutil.copytree(raw, folder)
    path, meta = meta_of(folder)
    path.write_bytes(gzip.compress(SIGNATURE + encode(damage(meta))))
    before = files(folder)
    with pytest.raises(Unknown, match=re.escape(path.name)):
        shorten(folder)
    assert files(folder) == before


def test_bytes_that_are_not_cbor_are_unknown() -> None:
    for bad in (b"\xff", b"\x9f\x01\xff", b"\x82\x01", b"\x01\x02", b"\x1c"):
        with pytest.raises(Unknown):
            decode(bad)


def test_index_site_writes_short_names_in_every_chunk(tmp_path: Path) -> None:
    root = tmp_path
    proc = run_imrkb(
        "synth", "--count", "30", "--seed", "3", "--format", "yaml", "--out", str(root / "decisions")
    )
    assert proc.returncode == 0, proc.stderr
    proc = run_imrkb("build", "--root", str(root), "--no-precedent-index")
    assert proc.returncode == 0, proc.stderr
    site = (root / "site").resolve()
    _, one = meta_of(site / "pagefind")  # one index in pagefind/ itself
    assert [n for n, _ in one[1]] == [one[1][0][0][:8] + base36(i) for i in range(30)]
    manifest = index_site(site, chunk_size=12)
    assert len(manifest) == 3
    for c in manifest:
        folder = site / "pagefind" / c["path"]
        _, meta = meta_of(folder)
        assert [n for n, _ in meta[1]] == [meta[1][0][0][:8] + base36(i) for i in range(c["pages"])]
        assert sorted(p.stem for p in (folder / "fragment").iterdir()) == sorted(n for n, _ in meta[1])
