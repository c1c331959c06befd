"""Review data never reaches the published site: a record whose personal-data findings were overridden is
published without its masked findings or the reviewer's name, in its page, its YAML/JSON and the exports;
a record with an unresolved finding stops the build, naming its file."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
from pathlib import Path

from imrkb import pii
from imrkb.models import Issue, PiiOverride
from tests.site_corpus import ACOEM_8, decision, run_imrkb, write_corpus

OVERRIDE = PiiOverride(reason="a public figure's name, cleared by counsel", by="Reviewer Quillon Pemberly")
NAMED = "The patient, Mr. Zebulon Quartermaine, reported neck pain after a fall at work."


def _record(ident: str, summary: str = "The injured worker reported neck pain.", **extra: object):
    d = decision(ident, dt.date(2016, 5, 2), [Issue("MRI of the cervical spine", "upheld", None, (), (ACOEM_8,),
                                                     "Not medically necessary.")], summary=summary)
    return dataclasses.replace(d, **extra)


def _all_text(folder: Path) -> str:
    out = []
    for p in folder.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            out.append((gzip.decompress(data) if p.suffix == ".gz" else data).decode("utf-8", "replace"))
    return "\n".join(out)


def test_overridden_findings_and_the_reviewer_are_not_published(tmp_path: Path) -> None:
    named = _record("SYN16-0000101", NAMED)
    findings = tuple(pii.scan(named))
    assert findings and all("Zebulon" not in f.masked for f in findings)
    write_corpus(tmp_path, [dataclasses.replace(named, pii=findings, pii_override=OVERRIDE),
                            _record("SYN16-0000102")])
    proc = run_imrkb("build", "--root", str(tmp_path), "--no-search-index")
    assert proc.returncode == 0, proc.stderr
    text = _all_text(tmp_path / "site")
    assert "SYN16-0000101" in text  # published ...
    masked = {f.masked for f in findings}
    for secret in (*masked, "Quillon", "Pemberly", "pii_override", "cleared by counsel"):
        assert secret not in text, secret  # ... without its review data


def test_an_unresolved_finding_stops_the_build_naming_the_file(tmp_path: Path) -> None:
    write_corpus(tmp_path, [_record("SYN16-0000103", NAMED)])
    proc = run_imrkb("build", "--root", str(tmp_path), "--no-search-index")
    assert proc.returncode != 0
    assert "SYN16-0000103.yaml" in proc.stderr and "summary" in proc.stderr
