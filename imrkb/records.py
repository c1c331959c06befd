"""Decision records to and from plain data, YAML and JSON; atomic writes.

Field order in the YAML follows the data contract so diffs stay readable.
YAML is only ever loaded with the safe loader.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from .models import Citation, Dates, Decision, Issue, Patient, PiiFinding, PiiOverride, Reviewer, Source
from .yamlemit import emit

try:  # the C loader is ~10x faster; both are safe loaders
    _SafeLoader: Any = yaml.CSafeLoader
    _SafeDumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _SafeLoader = yaml.SafeLoader
    _SafeDumper = yaml.SafeDumper


def citation_to_dict(c: Citation) -> dict[str, Any]:
    return {
        "guideline": c.guideline,
        "chapter": c.chapter,
        "edition": c.edition,
        "topics": list(c.topics),
        "pages": [list(p) for p in c.pages],
        "text": c.text,
    }


def issue_to_dict(i: Issue) -> dict[str, Any]:
    return {
        "item": i.item,
        "original_request": i.original_request,
        "outcome": i.outcome,
        "claims_administrator_citations": [citation_to_dict(c) for c in i.claims_administrator_citations],
        "reviewer_citations": [citation_to_dict(c) for c in i.reviewer_citations],
        "rationale": i.rationale,
    }


def to_dict(d: Decision) -> dict[str, Any]:
    """The record as plain data, in contract order (dates stay ``datetime.date``)."""
    out: dict[str, Any] = {
        "schema": d.schema,
        "id": d.id,
        "case_number": d.case_number,
        "layout": d.layout,
        "priority": d.priority,
        "dates": {
            "decision": d.dates.decision,
            "assigned": d.dates.assigned,
            "injury": d.dates.injury,
            "ur_denial": d.dates.ur_denial,
            "application_received": d.dates.application_received,
        },
        "reviewer": {
            "licensed_in": list(d.reviewer.licensed_in),
            "specialties": list(d.reviewer.specialties),
        },
        "patient": {"age": d.patient.age, "sex": d.patient.sex},
        "summary": d.summary,
        "issues": [issue_to_dict(i) for i in d.issues],
        "source": {"file": d.source.file, "sha256": d.source.sha256, "pages": d.source.pages},
        "synthetic": d.synthetic,
    }
    if d.warnings:
        out["warnings"] = list(d.warnings)
    if d.pii:
        out["pii"] = [
            {"kind": f.kind, "field": f.field, "offset": f.offset, "masked": f.masked} for f in d.pii
        ]
    if d.pii_override is not None:
        out["pii_override"] = {"reason": d.pii_override.reason, "by": d.pii_override.by}
    return out


#: Fields for reviewing a record before publication, never published (masked findings, who overrode them).
REVIEW_FIELDS = ("pii", "pii_override")


def public_dict(d: Decision) -> dict[str, Any]:
    """The record as it may be published: :func:`to_dict` without :data:`REVIEW_FIELDS`."""
    out = to_dict(d)
    for k in REVIEW_FIELDS:
        out.pop(k, None)
    return out


def _date(v: Any) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v))


def citation_from_dict(m: dict[str, Any]) -> Citation:
    return Citation(
        guideline=m["guideline"],
        chapter=m.get("chapter"),
        edition=m.get("edition"),
        topics=tuple(m.get("topics") or ()),
        pages=tuple((int(a), int(b)) for a, b in (m.get("pages") or ())),
        text=m.get("text") or "",
    )


def from_dict(m: dict[str, Any]) -> Decision:
    """Build a :class:`Decision` from plain data (as loaded from YAML or JSON).

    Assumes the data passed schema validation; raises ``KeyError``/``ValueError`` otherwise.
    """
    dates = m.get("dates") or {}
    rev = m.get("reviewer") or {}
    pat = m.get("patient") or {}
    src = m.get("source") or {}
    return Decision(
        schema=int(m.get("schema", 1)),
        id=m["id"],
        case_number=m.get("case_number"),
        layout=m.get("layout", ""),
        priority=m.get("priority"),
        dates=Dates(**{k: _date(dates.get(k)) for k in Dates.__dataclass_fields__}),
        reviewer=Reviewer(tuple(rev.get("licensed_in") or ()), tuple(rev.get("specialties") or ())),
        patient=Patient(pat.get("age"), pat.get("sex")),
        summary=m.get("summary") or "",
        issues=tuple(
            Issue(
                item=i["item"],
                outcome=i["outcome"],
                original_request=i.get("original_request"),
                claims_administrator_citations=tuple(
                    citation_from_dict(c) for c in i.get("claims_administrator_citations") or ()
                ),
                reviewer_citations=tuple(citation_from_dict(c) for c in i.get("reviewer_citations") or ()),
                rationale=i.get("rationale") or "",
            )
            for i in m.get("issues") or ()
        ),
        source=Source(src.get("file", ""), src.get("sha256", ""), src.get("pages")),
        synthetic=bool(m.get("synthetic", False)),
        warnings=tuple(m.get("warnings") or ()),
        pii=tuple(
            PiiFinding(str(f["kind"]), str(f["field"]), int(f["offset"]), str(f["masked"]))
            for f in m.get("pii") or ()
        ),
        pii_override=_override(m.get("pii_override")),
    )


def _override(v: Any) -> PiiOverride | None:
    if not isinstance(v, dict):
        return None
    return PiiOverride(str(v.get("reason") or ""), str(v.get("by") or ""))


class _Dumper(_SafeDumper):  # type: ignore[misc, valid-type]
    """Safe dumper that keeps long strings readable and page ranges on one line."""


def _str_presenter(dumper: Any, data: str) -> Any:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


_YAML_OPTIONS: dict[str, Any] = {"allow_unicode": True, "width": 100}


def to_yaml(d: Decision | dict[str, Any]) -> str:
    """Serialise a record (or its dict) as YAML in contract order."""
    return to_yaml_loaded(d)[0]


def to_yaml_loaded(d: Decision | dict[str, Any]) -> tuple[str, Any]:
    """:func:`to_yaml`'s text and the data it reads back as (dates as ISO strings, as the record check
    loads it), or ``None`` in place of the data when the text must be read back to know
    (:func:`imrkb.yamlemit.emit`)."""
    data = to_dict(d) if isinstance(d, Decision) else d
    fast = emit(data, _Dumper, **_YAML_OPTIONS)
    if fast is not None:
        return fast
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, **_YAML_OPTIONS), None


def _json_default(v: Any) -> Any:
    if isinstance(v, dt.date):
        return v.isoformat()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def to_json(d: Decision | dict[str, Any], indent: int | None = 2) -> str:
    data = to_dict(d) if isinstance(d, Decision) else d
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=indent)


def load_yaml_text(text: str) -> Any:
    """Parse YAML with the safe loader (``!!python/...`` tags are rejected)."""
    return yaml.load(text, Loader=_SafeLoader)


def read_record(path: Path) -> Decision:
    """Read one decision YAML file (no validation: see :mod:`imrkb.validate`)."""
    return from_dict(load_yaml_text(path.read_text(encoding="utf-8")))


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder, fsync and an atomic rename."""
    atomic_write_bytes(path, text.encode("utf-8"))  # encoded first: text that cannot be leaves no file


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder, fsync and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
