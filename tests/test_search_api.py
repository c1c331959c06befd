"""``/api/search`` of ``imrkb serve``: a real server on 127.0.0.1 answering real HTTP requests from a real
index in its working folder."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from search_corpus import CORPUS, write

from imrkb.search.indexer import update_index
from imrkb.serve import make_server


@pytest.fixture()
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    for d in CORPUS:
        write(tmp_path, d)
    update_index(tmp_path, progress=False)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>t</title>", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    srv = make_server(site, 0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    host, port = srv.server_address[:2]
    assert host == "127.0.0.1"
    yield f"http://{host}:{port}"
    srv.shutdown()
    srv.server_close()
    thread.join()


def get(base: str, **params: str) -> tuple[int, dict]:
    url = f"{base}/api/search?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            assert r.headers["Content-Type"] == "application/json; charset=utf-8"
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_search_endpoint_answers_like_the_command(server: str) -> None:
    status, data = get(server, q="MRI", outcome="overturned")
    assert status == 200
    assert data["tally"]["text"] == "1 item: 0 upheld, 1 overturned (100%)"
    assert [h["decision"] for h in data["hits"]] == ["SYN16-0000002"]
    status, data = get(server, q="guideline:mtus-acoem:8:178", limit="1")
    assert status == 200 and data["hits"][0]["citations"][0]["pages"] == [[177, 179]]
    assert get(server, guideline="mtus-cpmtg", year="2017")[1]["tally"]["items"] == 1


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"q": '"open'}, 400, "unbalanced quote"),
        ({"q": "x:y"}, 400, "unknown field 'x'"),
        ({"q": "MRI", "limit": "1000"}, 400, "limit: must be a whole number from 1 to 100"),
        ({"q": "MRI", "colour": "red"}, 400, "unknown parameter 'colour'"),
        ({}, 400, "query: empty"),
        ({"guideline": "nope"}, 400, "unknown guideline id 'nope'"),
    ],
)
def test_bad_requests_get_400_with_one_line(server: str, params: dict, status: int, message: str) -> None:
    got, data = get(server, **params)
    assert got == status and message in data["error"]
