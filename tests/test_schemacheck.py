"""The compiled schema check against jsonschema: the same verdict on every record and every breakage."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from imrkb.records import to_yaml
from imrkb.schemacheck import UnknownKeyword, compile_schema
from imrkb.synth import generate
from imrkb.validate import _validator, check_record, load_schema, parse_yaml, schema_check

REPO = Path(__file__).resolve().parent.parent


def full_valid(record: Any) -> bool:
    """jsonschema's verdict (the reference)."""
    return next(_validator().iter_errors(record), None) is None


def loaded(path: Path) -> Any:
    return parse_yaml(path.read_text(encoding="utf-8"))[0]


def test_every_record_in_the_repository_and_300_synthetic_ones_pass_both() -> None:
    records = [loaded(p) for p in sorted((REPO / "decisions").rglob("*.yaml"))]
    records += [loaded(p) for p in sorted((REPO / "tests" / "letters").glob("*.expected.yaml"))]
    records += [parse_yaml(to_yaml(x.decision))[0] for x in generate(300, seed=31)]
    assert len(records) > 500
    verdicts = [(schema_check()(r), full_valid(r)) for r in records]
    assert verdicts == [(True, True)] * len(records)


def base_record() -> dict[str, Any]:
    """A valid record that uses every part of the schema (citations with pages, warnings, pii, override)."""
    letter = next(x for x in generate(40, seed=8) if any(i.reviewer_citations for i in x.decision.issues))
    data = parse_yaml(to_yaml(letter.decision))[0]
    cite = {"guideline": "odg", "chapter": "low-back", "edition": "2015", "topics": ["MRI"],
            "pages": [[3, 4], [7, 7]], "text": "ODG Low Back, MRI"}  # fmt: skip
    data["issues"][0]["reviewer_citations"].append(cite)
    data["issues"][0]["claims_administrator_citations"].append({**cite, "guideline": "mtus-acoem", "chapter": 12})
    data["issues"][0]["original_request"] = "MRI of the lumbar spine, 2 views"
    data["source"]["pages"] = 3
    data["warnings"] = ["no reviewer specialty"]
    data["pii"] = [{"kind": "phone", "field": "summary", "offset": 4, "masked": "(***) ***-****"}]
    data["pii_override"] = {"reason": "a public switchboard number", "by": "reviewer A"}
    assert full_valid(data)
    return data


#: What each node is replaced by in turn (no integral float: see the test of 1.0 below).
VALUES: list[Any] = [None, "", "x", "2016-02-30", "2016-02-03", "CM16-0000001", "mtus-acoem", "upheld",
                     "male", 0, -1, 1, 121, 2.5, True, False, [], [1], ["a"], [[1, 2]], [[2, 1, 3]], {},
                     {"a": 1}]  # fmt: skip


def paths(v: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(v, dict):
        for k, sub in v.items():
            yield from paths(sub, (*path, k))
    elif isinstance(v, list):
        for i, sub in enumerate(v):
            yield from paths(sub, (*path, i))


def at(record: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        record = record[p]
    return record


def mutations(base: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every node replaced by each of VALUES, every key removed, an unknown key added to every mapping,
    every list emptied and given one more item of each value."""
    for path in paths(base):
        node = at(base, path)
        if path:
            for value in VALUES:
                m = copy.deepcopy(base)
                at(m, path[:-1])[path[-1]] = value
                yield f"{path} = {value!r}", m
            if isinstance(path[-1], str):
                m = copy.deepcopy(base)
                del at(m, path[:-1])[path[-1]]
                yield f"del {path}", m
        if isinstance(node, dict):
            m = copy.deepcopy(base)
            at(m, path)["unknown_field"] = "x"
            yield f"{path} + unknown_field", m
        if isinstance(node, list):
            for value in VALUES:
                m = copy.deepcopy(base)
                at(m, path).append(value)
                yield f"{path} + [{value!r}]", m


def test_the_same_verdict_as_jsonschema_on_every_breakage() -> None:
    base = base_record()
    cases = list(mutations(base))
    check = schema_check()
    differ = [name for name, m in cases if check(m) != full_valid(m)]
    refused = sum(not full_valid(m) for _, m in cases)
    print(f"\n{len(cases)} mutations of one record, {refused} invalid, {len(differ)} verdicts differ")
    assert len(cases) > 3000 and 1000 < refused < len(cases)  # the table holds both kinds
    assert differ == []


def test_an_integral_float_is_left_to_jsonschema() -> None:
    record = base_record()
    record["patient"]["age"] = 48.0  # an integer to JSON Schema; the fast check refuses it, jsonschema decides
    assert not schema_check()(record)
    assert full_valid(record)
    assert check_record(record) == []


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "object", "patternProperties": {"^x": {}}}, "#: keyword 'patternProperties'"),
        ({"properties": {"a": {"maxLength": 3}}}, "#/properties/a: keyword 'maxLength'"),
        ({"items": {"$ref": "other.json#/x"}}, "#/items/$ref: 'other.json#/x' is not #/$defs/<name>"),
        ({"$ref": "#/$defs/missing"}, "#/$ref: '#/$defs/missing' is not #/$defs/<name>"),
        ({"type": "decimal"}, "#/type: 'decimal' is not a type it implements"),
    ],
)
def test_a_keyword_it_does_not_implement_is_refused_with_where_it_is(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(UnknownKeyword) as e:
        compile_schema(schema, lambda v, f: True)
    assert str(e.value).startswith(message)


def test_the_shipped_schema_compiles() -> None:
    assert compile_schema(load_schema(), lambda v, f: True)(base_record())
