"""`imrkb build` brings the precedent index up to date too, so `imrkb search` answers after one build."""

from __future__ import annotations

import json
from pathlib import Path

from tests.site_corpus import run_imrkb, write_corpus


def test_build_updates_the_precedent_index(tmp_path: Path) -> None:
    paths = write_corpus(tmp_path)
    built = run_imrkb("build", "--root", str(tmp_path), "--no-search-index")
    assert built.returncode == 0, built.stderr
    assert "precedent index: index rebuilt" in built.stderr and f"{len(paths)} decisions" in built.stderr
    found = run_imrkb("search", "--root", str(tmp_path), "--json", "outcome:upheld")
    assert found.returncode == 0, found.stderr
    tally = json.loads(found.stdout)["tally"]
    assert tally["items"] > 0 and tally["items"] == tally["upheld"]
    again = run_imrkb("build", "--root", str(tmp_path), "--no-search-index", "--no-precedent-index")
    assert again.returncode == 0 and "precedent index" not in again.stderr
