"""Plain record data -> YAML events -> text, the same bytes as ``yaml.dump`` writes, several times faster.

``yaml.dump`` spends most of its time in PyYAML's Python representer (a node per value, a type lookup
and two resolver calls per scalar) before libyaml writes anything. :func:`emit` walks the data once and
hands libyaml the events that representer and serializer would have made (same tags, implicit flags and
block styles), so the text is identical by construction. Data it cannot vouch for -- a type other than
str, int, bool, None, date, list and dict, or a list, dict or date reached twice (PyYAML would write an
anchor) -- makes it return ``None`` and the caller falls back to ``yaml.dump``.

:func:`emit` also returns the data as the record check would load it back (dates as ISO strings) when
every string is printable (``str.isprintable``, plus line breaks), the strings libyaml round-trips as
they are; otherwise the caller reads the text back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import (
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

__all__ = ["emit"]

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_DATE = "tag:yaml.org,2002:timestamp"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Unsure(Exception):
    """The data holds something :func:`emit` does not write the way ``yaml.dump`` would."""


def _plain_tags(resolvers: dict[Any, list[tuple[str, Any]]]) -> Callable[[str], str]:
    """``value -> the tag a plain scalar value reads back as`` (``Resolver.resolve`` of an implicit
    scalar), answering at once for the strings no resolver looks at (most: none starts with a capital)."""
    wild = list(resolvers.get(None, []))
    firsts = {k: list(v) + wild for k, v in resolvers.items() if k is not None}

    def tag(value: str) -> str:
        found = firsts.get(value[0] if value else "")
        for t, regexp in wild if found is None else found:
            if regexp.match(value):
                return str(t)
        return _STR

    return tag


def emit(data: Any, dumper: Any, **options: Any) -> tuple[str, Any] | None:
    """``(yaml.dump(data, Dumper=dumper, sort_keys=False, **options), loaded)`` or ``None`` (fall back).

    ``loaded`` is the data as :func:`imrkb.validate.parse_yaml` reads the text back (dates as ISO
    strings), or ``None`` when a string is not plainly printable and the text must be read back.
    """
    if getattr(dumper, "yaml_path_resolvers", None):
        return None
    plain_tag = _plain_tags(dumper.yaml_implicit_resolvers)
    events: list[Event] = [StreamStartEvent(), DocumentStartEvent(explicit=None)]
    add = events.append
    seen: set[int] = set()
    tame = True

    def walk(v: Any) -> Any:
        nonlocal tame
        t = type(v)
        if t is str:
            if tame and not v.isprintable() and not v.replace("\n", " ").isprintable():
                tame = False
            add(ScalarEvent(None, _STR, (plain_tag(v) == _STR, True), v))
            return v
        if t is int:
            text = str(v)
            add(ScalarEvent(None, _INT, (plain_tag(text) == _INT, False), text))
            return v
        if t is bool:
            text = "true" if v else "false"
            add(ScalarEvent(None, _BOOL, (plain_tag(text) == _BOOL, False), text))
            return v
        if v is None:
            add(ScalarEvent(None, _NULL, (plain_tag("null") == _NULL, False), "null"))
            return None
        if id(v) in seen:  # a date, list or dict met twice: PyYAML would write an anchor
            raise _Unsure
        seen.add(id(v))
        if t is dt.date:
            text = v.isoformat()
            add(ScalarEvent(None, _DATE, (plain_tag(text) == _DATE, False), text))
            return text
        if t is list:
            add(SequenceStartEvent(None, _SEQ, True, flow_style=False))
            out = [walk(x) for x in v]
            add(SequenceEndEvent())
            return out
        if t is dict:
            add(MappingStartEvent(None, _MAP, True, flow_style=False))
            loaded = {}
            for k, x in v.items():
                key = walk(k)
                if type(key) is not str:
                    raise _Unsure  # only string keys: a date or number key reads back differently
                loaded[key] = walk(x)
            add(MappingEndEvent())
            return loaded
        raise _Unsure

    try:
        loaded = walk(data)
    except _Unsure:
        return None
    events += [DocumentEndEvent(explicit=None), StreamEndEvent()]
    text = yaml.emit(events, Dumper=dumper, **options)
    return text, (loaded if tame else None)
