"""The precedent index on disk: what it finds, how it updates, swaps and locks, and the commands over it.

Every test writes real YAML records, builds a real Whoosh index under ``<root>/.imrkb/index`` and reads
it back; the commands run as ``python -m imrkb`` subprocesses where their exit status and output matter.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from search_corpus import CORPUS, OPIOIDS, decision, issue, write

from imrkb.catalog import load_catalog
from imrkb.models import Decision
from imrkb.records import atomic_write_text, read_record, to_yaml
from imrkb.search import stats, store
from imrkb.search.indexer import update_index
from imrkb.search.searching import PrecedentIndex
from imrkb.search.similar import similar


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    for d in CORPUS:
        write(tmp_path, d)
    update_index(tmp_path, progress=False)
    return tmp_path


def imrkb(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imrkb", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def found(root: Path, query: str, **options: str) -> list[tuple[str, int]]:
    with PrecedentIndex(root) as ix:
        return sorted((h.decision, h.n) for h in ix.search(query, options, limit=50, facets=()).hits)


# (query, the items it must find: decision id and item number) -- over CORPUS
FINDS = [
    ("MRI", [("SYN15-0000001", 1), ("SYN16-0000002", 1)]),
    ("mri lumbar", [("SYN16-0000002", 1)]),
    ('"without contrast"', [("SYN15-0000001", 1)]),
    ('"contrast without"', []),
    ("MRI -cervical", [("SYN16-0000002", 1)]),
    ("outcome:overturned", [("SYN15-0000001", 2), ("SYN16-0000002", 1)]),
    ("guideline:mtus-acoem:8:178", [("SYN15-0000001", 1)]),
    ("guideline:mtus-acoem:8:177", [("SYN15-0000001", 1)]),
    ("guideline:mtus-acoem:8:180", []),
    ("guideline:mtus-acoem:304", [("SYN14-0000004", 1), ("SYN16-0000002", 1)]),
    ("guideline:mtus-acoem:12", [("SYN14-0000004", 1), ("SYN16-0000002", 1)]),
    ("guideline:mtus-acoem:8:special-studies", [("SYN15-0000001", 1)]),
    ("guideline:mtus-acoem:general-approaches", [("SYN16-0000002", 1)]),
    ('guideline:mtus-acoem:"General Approaches":92', [("SYN16-0000002", 1)]),
    ('guideline:mtus-cpmtg:"Opioids, criteria for use"', [("SYN15-0000001", 2), ("SYN17-0000003", 2)]),
    ("guideline:mtus-cpmtg:opioid", [("SYN15-0000001", 2), ("SYN17-0000003", 2)]),
    ("guideline:mtus-cpmtg:78", [("SYN15-0000001", 2), ("SYN17-0000003", 2)]),
    ("guideline:odg:low-back:MRI", [("SYN16-0000002", 1)]),
    ("guideline:odg:low-back:CT", []),
    ("guideline:none", [("SYN17-0000003", 1)]),
    ("year:2016..2017", [("SYN16-0000002", 1), ("SYN17-0000003", 1), ("SYN17-0000003", 2)]),
    ("year:..2015 outcome:upheld", [("SYN15-0000001", 1)]),
    ("specialty:orthopedic", [("SYN16-0000002", 1)]),
    ("specialty:pain", [("SYN17-0000003", 1), ("SYN17-0000003", 2)]),
    ("state:texas", [("SYN16-0000002", 1)]),
    ("category:opioids", [("SYN15-0000001", 2), ("SYN17-0000003", 2)]),
    ("category:pharmaceuticals outcome:overturned", [("SYN15-0000001", 2)]),
    ("decision:SYN17-0000003 tramadol", [("SYN17-0000003", 2)]),
    ("functional", [("SYN15-0000001", 2), ("SYN17-0000003", 1), ("SYN17-0000003", 2)]),
    ("lifting", [(d.id, n) for d in CORPUS for n in range(1, len(d.issues) + 1)]),  # the summary
]


@pytest.mark.parametrize(("query", "expected"), FINDS)
def test_queries_find_exactly_these_items(root: Path, query: str, expected: list[tuple[str, int]]) -> None:
    assert found(root, query) == sorted(expected)


def test_tally_facets_snippet_and_citations(root: Path) -> None:
    with PrecedentIndex(root) as ix:
        r = ix.search("MRI", limit=10)
    assert r.tally.line() == "2 items: 1 upheld, 1 overturned (50%)"
    assert {f.value: f.count for f in r.facets["outcome"]} == {"upheld": 1, "overturned": 1}
    assert [(f.value, f.count) for f in r.facets["year"]] == [("2015", 1), ("2016", 1)]
    assert {f.value: f.count for f in r.facets["guideline"]} == {"mtus-acoem": 2, "odg": 1}
    assert {f.label for f in r.facets["category"]} == {"Diagnostic Testing"}
    lumbar = next(h for h in r.hits if h.decision == "SYN16-0000002")
    assert [c["guideline"] for c in lumbar.citations] == ["mtus-acoem", "odg"]
    assert "pp. 303-305" in lumbar.citations[0]["label"]
    hits = [t for t, hit in lumbar.snippet if hit]
    assert hits == [] or all(t.lower() == "mri" for t in hits)
    lumbar_hits = [t for t, hit in PrecedentIndex(root).search("imaging", limit=5).hits[0].snippet if hit]
    assert lumbar_hits == ["imaging"]


def test_filter_only_queries_list_newest_first(root: Path) -> None:
    with PrecedentIndex(root) as ix:
        hits = ix.search("outcome:upheld", limit=10).hits
    assert [h.date for h in hits] == ["2017-01-20", "2017-01-20", "2015-03-02", ""]


def test_incremental_update_changes_only_what_changed(root: Path) -> None:
    home = store.index_home(root)
    for k in range(6):  # enough unchanged records that three changes are an update, not a rebuild
        write(
            root,
            decision(f"SYN13-000010{k}", f"2013-10-0{k + 1}", [issue(f"Physical therapy {k + 6} sessions")]),
        )
    update_index(root, progress=False)
    first = store.current(home)
    # unchanged: nothing to do, no new version
    r = update_index(root, progress=False)
    assert (r.added, r.changed, r.removed, r.unchanged) == (0, 0, 0, 10) and store.current(home) == first
    # touching a file without changing it: re-hashed, not re-indexed
    p = root / "decisions" / "2015" / "SYN15-0000001.yaml"
    os.utime(p, None)
    r = update_index(root, progress=False)
    assert (r.added, r.changed, r.removed) == (0, 0, 0) and store.current(home) == first
    # change one, add one, delete one
    d = read_record(p)
    changed = Decision(
        **{**vars(d), "issues": (issue("Gabapentin 600mg #90", "overturned", "Neuropathic pain."),)}
    )
    atomic_write_text(p, to_yaml(changed))
    write(root, decision("SYN17-0000005", "2017-05-05", [issue("Chiropractic care 6 visits")]))
    (root / "decisions" / "undated" / "SYN14-0000004.yaml").unlink()
    r = update_index(root, progress=False)
    assert (r.added, r.changed, r.removed, r.unchanged, r.full) == (1, 1, 1, 8, False)
    assert (r.decisions, r.items) == (10, 11)
    assert found(root, "gabapentin") == [("SYN15-0000001", 1)]
    assert found(root, "norco") == []
    assert found(root, "chiropractic") == [("SYN17-0000005", 1)]
    assert found(root, "brace") == []
    assert store.current(home) != first
    # the previous version stays for readers that had it open; older ones go
    assert [v.name for v in store.versions(home)] == [first.name, store.current(home).name]
    update_index(root, full=True, progress=False)
    assert first not in store.versions(home) and len(store.versions(home)) == 2


def test_a_reader_keeps_its_version_while_a_writer_swaps_in_a_new_one(root: Path) -> None:
    before = PrecedentIndex(root)
    assert before.search("norco", limit=5).tally.total == 1
    p = root / "decisions" / "2015" / "SYN15-0000001.yaml"
    p.unlink()
    update_index(root, progress=False)
    # the open reader still answers from the old version, completely
    assert before.search("norco", limit=5).tally.total == 1
    after = PrecedentIndex(root)
    assert after.search("norco", limit=5).tally.total == 0
    # a second update removes the reader's folder; what it opened stays readable until it refreshes
    write(root, decision("SYN17-0000009", "2017-09-09", [issue("Norco 5/325mg #30")]))
    update_index(root, progress=False)
    assert before.folder not in store.versions(store.index_home(root))
    assert before.search("norco", limit=5).tally.total == 1
    assert [h.item for h in before.search("norco tramadol -mri", limit=5).hits] == []
    assert before.refresh() is True
    assert before.search("norco", limit=5).tally.total == 1  # the new record
    before.close()
    after.close()


def test_a_second_writer_is_told_the_index_is_being_updated(root: Path) -> None:
    home = store.index_home(root)
    with store.writer_lock(home):
        with pytest.raises(store.IndexBusyError, match="being updated by another process"):
            update_index(root, progress=False)
        cli = imrkb("index", "--root", str(root))
    assert cli.returncode == 75
    assert cli.stderr.strip().startswith("imrkb index: ") and "being updated by another process" in cli.stderr
    assert "Traceback" not in cli.stderr and len(cli.stderr.strip().splitlines()) == 1
    # released: the next writer gets through
    assert update_index(root, progress=False).version


def test_unreadable_records_are_reported_and_left_out(root: Path) -> None:
    bad = root / "decisions" / "2016" / "SYN16-0000009.yaml"
    bad.write_text("schema: 1\nid: SYN16-0000009\nissues: [\n  - item: x\n", encoding="utf-8")
    no_id = root / "decisions" / "2016" / "SYN16-0000010.yaml"
    no_id.write_text("schema: 1\nissues: []\n", encoding="utf-8")
    cli = imrkb("index", "--root", str(root))
    assert cli.returncode == 1
    lines = cli.stderr.strip().splitlines()
    assert any(
        ln.startswith("decisions/2016/SYN16-0000009.yaml:") and "YAML syntax error" in ln for ln in lines
    )
    assert any(ln.startswith("decisions/2016/SYN16-0000010.yaml: missing field id") for ln in lines)
    assert "2 failed" in lines[-1] and "Traceback" not in cli.stderr
    assert found(root, "norco") == [("SYN15-0000001", 2)]
    # still reported on the next run, without re-reading them
    again = imrkb("index", "--root", str(root))
    assert again.returncode == 1 and "SYN16-0000009.yaml" in again.stderr


def test_parallel_rebuild_in_batches_matches_a_single_process_build(tmp_path: Path) -> None:
    from imrkb.search.evaluate import write_synthetic_corpus

    truth = write_synthetic_corpus(tmp_path, 120, seed=5)
    one = update_index(tmp_path, full=True, procs=1, progress=False)
    with PrecedentIndex(tmp_path) as ix:
        single = {
            q: ix.search(q, limit=0).tally for q in ("MRI", "outcome:overturned", "guideline:mtus-cpmtg")
        }
    two = update_index(tmp_path, full=True, procs=2, progress=False, batch_items=40, parallel_min_records=1)
    assert one.items == two.items == len(truth)
    with PrecedentIndex(tmp_path) as ix:
        assert ix.searcher.doc_count() == len(truth)
        assert len(ix.searcher.reader().leaf_readers()) > 2  # several batches, several segments
        for q, tally in single.items():
            assert ix.search(q, limit=0).tally == tally


def test_stats_from_the_index_equal_stats_from_the_records(tmp_path: Path) -> None:
    from imrkb.search.evaluate import write_synthetic_corpus

    truth = write_synthetic_corpus(tmp_path, 200, seed=3)
    decisions = list({t.decision.id: t.decision for t in truth.values()}.values())
    update_index(tmp_path, progress=False)
    catalog = load_catalog()
    with PrecedentIndex(tmp_path) as ix:
        for by in stats.BY:
            a, b = stats.from_index(ix, by), stats.from_decisions(decisions, by, catalog)
            assert a == b, by
    overturned = sum(1 for t in truth.values() if t.issue.outcome == "overturned")
    assert b.total.count == len(truth) and b.total.overturned == overturned


def test_similar_ranks_the_decision_sharing_the_treatment_first(root: Path) -> None:
    write(
        root,
        decision(
            "SYN17-0000006",
            "2017-02-02",
            [issue("Norco 10/325mg #90", "upheld", "Opioid monitoring lacking.", [OPIOIDS])],
        ),
    )
    got = similar(root, "SYN17-0000006", limit=3)  # from the neighbour table, not the Whoosh index
    assert got[0].decision == "SYN15-0000001"
    assert "SYN17-0000006" not in [s.decision for s in got]


def test_commands_search_similar_stats_and_their_errors(root: Path) -> None:
    r = imrkb("search", "MRI", "--outcome", "overturned", "--json", "--root", str(root))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["tally"] == {
        "items": 1,
        "upheld": 0,
        "overturned": 1,
        "overturn_rate": 1.0,
        "text": "1 item: 0 upheld, 1 overturned (100%)",
    }
    assert data["hits"][0]["decision"] == "SYN16-0000002" and data["hits"][0]["category_inferred"] is True
    text = imrkb("search", "guideline:mtus-acoem:8:178", "--root", str(root))
    assert text.returncode == 0 and text.stdout.startswith("1 item: 1 upheld, 0 overturned (0%)\n")
    assert "SYN15-0000001 #1  2015-03-02  UPHELD" in text.stdout and "pp. 177-179" in text.stdout
    st = imrkb("stats", "--by", "year", "--json", "--root", str(root))
    assert [(g["value"], g["count"]) for g in json.loads(st.stdout)["groups"]] == [
        ("2015", 2),
        ("2016", 1),
        ("2017", 2),
        ("undated", 1),
    ]
    sim = imrkb("similar", "SYN17-0000003", "--json", "--root", str(root))
    assert sim.returncode == 0 and json.loads(sim.stdout)["decision"] == "SYN17-0000003"
    for args, message in [
        (["search", '"unbalanced', "--root", str(root)], "unbalanced quote"),
        (["search", "colour:red", "--root", str(root)], "unknown field 'colour'"),
        (["search", "--guideline", "mtus-nope", "--root", str(root)], "unknown guideline id 'mtus-nope'"),
        (["search", "--root", str(root)], "query: empty"),
        (["similar", "NOPE-1", "--root", str(root)], "no decision 'NOPE-1'"),
        (["search", "MRI", "--root", str(root / "elsewhere")], "no index yet; run `imrkb index` first"),
    ]:
        bad = imrkb(*args)
        assert bad.returncode == 2, (args, bad.stderr)
        assert (
            message in bad.stderr
            and "Traceback" not in bad.stderr
            and len(bad.stderr.strip().splitlines()) == 1
        )


def test_letter_text_cannot_inject_terminal_escapes(tmp_path: Path) -> None:
    evil = "MRI \x1b[31mred\x1b[0m of the knee\x07"
    write(
        tmp_path,
        decision(
            "SYN16-0000007", "2016-01-01", [issue(evil, "upheld", "Knee \x1b]0;title\x07 MRI is not needed.")]
        ),
    )
    update_index(tmp_path, progress=False)
    out = imrkb("search", "knee", "--root", str(tmp_path))
    assert out.returncode == 0 and "\x1b" not in out.stdout and "\x07" not in out.stdout
    assert "MRI  [31mred [0m of the knee" in out.stdout


def test_tally_and_facets_equal_counts_over_the_records_of_the_matched_items(tmp_path: Path) -> None:
    """Facets are counted over bitmaps; here they are counted again from the YAML records of the items the
    query matched, and filter-only matches are checked against the records themselves."""
    from collections import Counter

    from imrkb.search.evaluate import write_synthetic_corpus

    truth = write_synthetic_corpus(tmp_path, 150, seed=9)
    update_index(tmp_path, progress=False)
    catalog = load_catalog()
    by_record = {
        "outcome:upheld": lambda t: t.issue.outcome == "upheld",
        "year:2015..2016": lambda t: (
            t.decision.dates.decision is not None and 2015 <= t.decision.dates.decision.year <= 2016
        ),
        "guideline:mtus-cpmtg -outcome:upheld": lambda t: (
            t.issue.outcome != "upheld"
            and any(
                c.guideline == "mtus-cpmtg"
                for c in (*t.issue.reviewer_citations, *t.issue.claims_administrator_citations)
            )
        ),
    }
    queries = ("therapy", "MRI year:2015..2016", "guideline:mtus-cpmtg -norco", "knee -MRI", *by_record)
    with PrecedentIndex(tmp_path) as ix:
        for q in queries:
            r = ix.search(q, limit=3)
            matched = ix.matching(ix.parse(q))
            keys = {(f["decision"], int(f["facts"]["n"])) for f in map(ix.searcher.stored_fields, matched)}
            if q in by_record:
                assert keys == {k for k, t in truth.items() if by_record[q](t)}, q
            assert r.tally.total == len(keys) > 0, q
            for name in ("outcome", "year", "guideline", "category"):
                want = Counter(
                    v
                    for k in keys
                    for v, _ in stats.item_groups(truth[k].decision, truth[k].issue, name, catalog)
                )
                want.pop(stats.UNDATED, None)  # the year facet counts dated items only
                assert {f.value: f.count for f in r.facets[name]} == dict(want), (q, name)
            assert r.tally.overturned == sum(1 for k in keys if truth[k].issue.outcome == "overturned"), q


def test_records_the_site_may_not_publish_are_not_searchable(tmp_path: Path) -> None:
    from imrkb import pii
    from imrkb.models import PiiOverride

    named = decision(
        "SYN16-0000011", "2016-02-02", [issue("Zolpidem 10mg #30", "upheld", "Mr. John Smith sleeps.")]
    )
    write(tmp_path, named)
    write(tmp_path, decision("SYN16-0000012", "2016-02-03", [issue("Zolpidem 5mg #30")]))
    cli = imrkb("index", "--root", str(tmp_path))
    assert cli.returncode == 1
    assert "decisions/2016/SYN16-0000011.yaml: withheld: unresolved personal data (name)" in cli.stderr
    assert found(tmp_path, "zolpidem") == [("SYN16-0000012", 1)]
    reason = "Synthetic name, checked by hand: it is not a person and may be published as it is."
    findings = tuple(f for _, f in pii.unresolved(named))  # what ingest records; the override covers these
    write(
        tmp_path,
        Decision(**{**vars(named), "pii": findings, "pii_override": PiiOverride(reason, "the tests")}),
    )
    assert imrkb("index", "--root", str(tmp_path)).returncode == 0
    assert found(tmp_path, "zolpidem") == [("SYN16-0000011", 1), ("SYN16-0000012", 1)]


def test_block_reading_of_postings_equals_whoosh_walking_them(root: Path) -> None:
    """The fast posting reader (imrkb.search.postings) against Whoosh's own walk, with deleted documents
    and several segments in the index."""
    from whoosh import query as wq

    from imrkb.search.postings import term_docs, term_weights

    write(
        root,
        decision("SYN17-0000008", "2017-08-08", [issue("MRI of the knee", "upheld", "Knee MRI not needed.")]),
    )
    (root / "decisions" / "2016" / "SYN16-0000002.yaml").unlink()
    update_index(root, progress=False)
    with PrecedentIndex(root) as ix:
        r = ix.searcher.reader()
        assert r.has_deletions() and len(r.leaf_readers()) >= 2
        checked = 0
        for field in (
            "item",
            "rationale",
            "summary",
            "outcome",
            "year",
            "guideline",
            "page",
            "topic",
            "decision",
        ):
            for term in r.field_terms(field):
                assert term_docs(r, field, term) == frozenset(
                    ix.searcher.docs_for_query(wq.Term(field, term))
                )
                checked += 1
        assert checked > 50
        assert term_docs(r, "item", "no-such-term") == frozenset()
        # term frequencies read block by block equal Whoosh's own per-document walk
        live = sorted(r.all_doc_ids())
        for field in ("rationale", "citations", "item"):
            for term in r.field_terms(field):
                m = r.postings(field, term)
                walked = {}
                while m.is_active():
                    walked[m.id()] = m.weight()
                    m.next()
                assert term_weights(r, field, term, live) == walked
                assert term_weights(r, field, term, live[1::3]) == {
                    d: walked[d] for d in live[1::3] if d in walked
                }


def test_the_stats_command_offers_exactly_the_groupings_stats_knows() -> None:
    from imrkb.commands import stats as command

    assert command.BY == stats.BY
