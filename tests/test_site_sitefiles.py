"""`sync_links` (imrkb/site/sitefiles.py): a folder holding another build's links is made to hold
exactly the files of a source tree, as hard links, relinking only what differs and never writing a
file in place (the old file, which another build may share, keeps its bytes)."""

from __future__ import annotations

import os
from pathlib import Path

from imrkb.site.sitefiles import sync_links


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")


def test_sync_links_relinks_only_what_differs_and_removes_what_is_gone(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _write(src, {"a.html": "a", "d/b.html": "b", "d/e/c.html": "c", "x/y.html": "y"})
    assert sync_links(src, dest) == (4, 0)
    assert _files(dest) == _files(src)
    assert (dest / "a.html").stat().st_ino == (src / "a.html").stat().st_ino
    assert sync_links(src, dest) == (0, 0)  # all already linked: nothing done

    # The source moves on as a build does: one file replaced (a new inode), one added, one removed, a
    # folder replaced by a file of the same name; the destination also holds a name it must keep.
    shared = dest / "d" / "b.html"
    os.link(shared, tmp_path / "other-build-b.html")  # another build shares the old file
    (src / "d" / "b.new").write_text("B", encoding="utf-8")
    os.replace(src / "d" / "b.new", src / "d" / "b.html")
    (src / "d" / "new.html").write_text("n", encoding="utf-8")
    (src / "d" / "e" / "c.html").unlink()
    (src / "x" / "y.html").unlink()
    (src / "x").rmdir()
    (src / "x").write_text("file now", encoding="utf-8")
    (dest / "kept").mkdir()
    linked, removed = sync_links(src, dest, keep={"kept"})
    assert (linked, removed) == (3, 2)  # b, new, x linked; c and the folder x removed
    assert _files(dest) == _files(src)
    assert (dest / "kept").is_dir()
    assert (tmp_path / "other-build-b.html").read_text(encoding="utf-8") == "b"  # not written in place
    assert (dest / "d" / "b.html").stat().st_ino == (src / "d" / "b.html").stat().st_ino

    # Without ``keep`` a name the source lacks goes too.
    assert sync_links(src, dest) == (0, 1)
    assert not (dest / "kept").exists()
