"""The record JSON Schema compiled once into a yes/no check: the fast path of :mod:`imrkb.validate`.

``jsonschema`` walks the schema anew for every record (~1.3 ms a record, more than parsing a letter's
fields). :func:`compile_schema` reads the same schema file once into nested checks that say only
whether a record is valid. It errs on one side only: what it accepts has no schema error (every record
in the repository and a table of broken records check it against ``jsonschema`` in
``tests/test_schemacheck.py``); what it refuses is checked again by ``jsonschema``, whose errors give
the messages. A keyword it does not know raises :class:`UnknownKeyword`, so the schema cannot gain a
rule this check skips.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Check", "UnknownKeyword", "compile_schema"]

Check = Callable[[Any], bool]
FormatCheck = Callable[[Any, str], bool]  # (instance, format name) -> conforms

#: Keywords that say nothing about validity.
ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "$defs", "title", "description", "examples"})

_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: type(v) is int,  # stricter than JSON Schema: 1.0 goes to jsonschema
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: type(v) in (int, float),
}


class UnknownKeyword(ValueError):
    """The schema uses a keyword (or a form of one) this check does not implement."""


def _number(v: Any) -> bool:
    return type(v) in (int, float)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (stricter than JSON Schema's equality, which is all that is needed)."""
    return type(a) is type(b) and a == b


def compile_schema(schema: Mapping[str, Any], conforms: FormatCheck) -> Check:
    """The check for ``schema`` (draft 2020-12, the keywords the record schema uses; ``$ref`` only to
    ``#/$defs/<name>``); ``conforms(value, format)`` asserts ``format`` (the one jsonschema uses)."""
    defs = schema.get("$defs") or {}
    compiled: dict[str, Check] = {}

    def ref(target: str, where: str) -> Check:
        name = target.removeprefix("#/$defs/")
        if name == target or name not in defs:
            raise UnknownKeyword(f"{where}: {target!r} is not #/$defs/<name> of this schema")
        if name not in compiled:
            compiled[name] = lambda v: compiled[name](v)  # a placeholder while it compiles (recursion)
            compiled[name] = node(defs[name], f"#/$defs/{name}")
        return lambda v: compiled[name](v)

    def node(s: Any, where: str) -> Check:
        if s is True:
            return lambda v: True
        if s is False:
            return lambda v: False
        if not isinstance(s, Mapping):
            raise UnknownKeyword(f"{where}: a schema must be a mapping or true/false")
        checks: list[Check] = []
        for key, want in s.items():
            if key in ANNOTATIONS:
                continue
            make = _KEYWORDS.get(key)
            if make is None:
                raise UnknownKeyword(f"{where}: keyword {key!r} is not implemented by imrkb.schemacheck")
            checks.append(make(want, s, f"{where}/{key}"))
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(c(v) for c in checks)

    def k_type(want: Any, s: Any, where: str) -> Check:
        names = [want] if isinstance(want, str) else list(want)
        unknown = [t for t in names if t not in _TYPES]
        if unknown:
            raise UnknownKeyword(f"{where}: {unknown[0]!r} is not a type it implements")
        preds = [_TYPES[t] for t in names]
        return preds[0] if len(preds) == 1 else lambda v: any(p(v) for p in preds)

    def k_const(want: Any, s: Any, where: str) -> Check:
        if isinstance(want, (dict, list)):
            raise UnknownKeyword(f"{where}: const of a mapping or list")
        return lambda v: _same(v, want)

    def k_enum(want: Any, s: Any, where: str) -> Check:
        if any(isinstance(w, (dict, list)) for w in want):
            raise UnknownKeyword(f"{where}: enum of mappings or lists")
        options = tuple(want)
        return lambda v: any(_same(v, w) for w in options)

    def k_pattern(want: Any, s: Any, where: str) -> Check:
        rx = re.compile(want)  # as jsonschema: re.search with Python's syntax
        return lambda v: not isinstance(v, str) or rx.search(v) is not None

    def k_format(want: Any, s: Any, where: str) -> Check:
        return lambda v: conforms(v, want)

    def k_min_length(want: Any, s: Any, where: str) -> Check:
        return lambda v: not isinstance(v, str) or len(v) >= want

    def k_minimum(want: Any, s: Any, where: str) -> Check:
        return lambda v: not _number(v) or v >= want

    def k_maximum(want: Any, s: Any, where: str) -> Check:
        return lambda v: not _number(v) or v <= want

    def k_min_items(want: Any, s: Any, where: str) -> Check:
        return lambda v: not isinstance(v, list) or len(v) >= want

    def k_required(want: Any, s: Any, where: str) -> Check:
        names = tuple(want)
        return lambda v: not isinstance(v, dict) or all(n in v for n in names)

    def k_properties(want: Any, s: Any, where: str) -> Check:
        props = [(name, node(sub, f"{where}/{name}")) for name, sub in want.items()]

        def check(v: Any) -> bool:
            if not isinstance(v, dict):
                return True
            for name, c in props:
                if name in v and not c(v[name]):
                    return False
            return True

        return check

    def k_additional(want: Any, s: Any, where: str) -> Check:
        known = frozenset(s.get("properties") or ())
        if "patternProperties" in s:
            raise UnknownKeyword(f"{where}: beside patternProperties")
        rest = node(want, where)
        return lambda v: not isinstance(v, dict) or all(rest(v[k]) for k in v if k not in known)

    def k_prefix_items(want: Any, s: Any, where: str) -> Check:
        subs = [node(sub, f"{where}/{i}") for i, sub in enumerate(want)]
        return lambda v: not isinstance(v, list) or all(c(x) for c, x in zip(subs, v, strict=False))

    def k_items(want: Any, s: Any, where: str) -> Check:
        skip = len(s.get("prefixItems") or ())  # 2020-12: items applies after the prefix
        each = node(want, where)
        return lambda v: not isinstance(v, list) or all(each(x) for x in v[skip:])

    def k_ref(want: Any, s: Any, where: str) -> Check:
        return ref(want, where)

    _KEYWORDS: dict[str, Callable[[Any, Any, str], Check]] = {
        "type": k_type,
        "const": k_const,
        "enum": k_enum,
        "pattern": k_pattern,
        "format": k_format,
        "minLength": k_min_length,
        "minimum": k_minimum,
        "maximum": k_maximum,
        "minItems": k_min_items,
        "required": k_required,
        "properties": k_properties,
        "additionalProperties": k_additional,
        "prefixItems": k_prefix_items,
        "items": k_items,
        "$ref": k_ref,
    }
    return node(schema, "#")
