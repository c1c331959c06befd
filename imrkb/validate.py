"""Check decision records: the JSON Schema, then what a schema cannot say.

The core is pure: :func:`check_record` takes one record as loaded (plain data, dates as ISO strings) and
returns :class:`Finding` s addressed by their path in the record. :func:`check_text` adds YAML parsing and
line numbers, :func:`iter_problems` walks a tree of files (streaming, ids kept in one dict) and
:func:`validate_tree` collects the lot. Each :class:`Problem` prints as ``path:line: field: message``.

YAML is parsed once with a safe loader into a node tree (for line numbers) and then constructed into data;
``!!python/...`` tags and duplicate keys are reported as problems, never executed or silently merged.
Personal data (:mod:`imrkb.pii`) without a reasoned ``pii_override`` is reported as ``personal data
(kind)``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import multiprocessing
import os
import re
import signal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import pii
from .errors import CatalogError, ImrkbError
from .models import GUIDELINE_IDS
from .schemacheck import Check, compile_schema

__all__ = [
    "Finding",
    "Problem",
    "check_pii",
    "check_record",
    "check_text",
    "iter_problems",
    "known_chapters",
    "validate_tree",
]

#: The schema shipped with the project (``<repo>/schema/decision.schema.json``).
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "decision.schema.json"

#: Orderings of ``dates`` that hold for every letter: (earlier, later).
DATE_ORDER = (
    ("injury", "decision"),
    ("assigned", "decision"),
    ("ur_denial", "decision"),
    ("application_received", "decision"),
    ("injury", "ur_denial"),
)

PathT = tuple[Any, ...]  # keys (str) and indexes (int) from the record's root
KnownChapters = Mapping[str, frozenset[str]]  # guideline id -> chapter keys as strings (empty: not checked)

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CASE_RE = re.compile(r"^(CM|SYN)\d{2}-\d{7}$")
_CITATION_SIDES = ("claims_administrator_citations", "reviewer_citations")


@dataclass(frozen=True)
class Finding:
    """A problem inside one record, addressed by its path in the data."""

    path: PathT
    message: str


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one file: ``str(problem)`` is ``path:line: field: message``."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


# --------------------------------------------------------------------------------------------- loading


class _Loader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """The safe loader, keeping timestamps as written (the schema checks them) and refusing duplicate keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"duplicate key {key_node.value!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


class YAMLLoadError(Exception):
    """A YAML error together with the node tree composed before it (None for syntax errors)."""

    def __init__(self, error: yaml.YAMLError, root: Node | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.root = root


def _alias_path(root: Node) -> PathT | None:
    """Path of the first node reached twice (an alias ``*x``): records never need one, and aliases can
    make a small file expand into a huge document (the "billion laughs")."""
    seen: set[int] = set()
    stack: list[tuple[Node, PathT]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            return path
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for k, v in reversed(node.value):
                stack.append((v, (*path, k.value if isinstance(k, ScalarNode) else "?")))
        elif isinstance(node, SequenceNode):
            stack.extend((v, (*path, i)) for i, v in reversed(list(enumerate(node.value))))
    return None


class AliasError(yaml.YAMLError):
    """A record uses a YAML alias (refused before construction)."""

    def __init__(self, path: PathT) -> None:
        super().__init__(f"{field_name(path)}: YAML aliases are not allowed in records")
        self.path = path


def parse_yaml(text: str) -> tuple[Any, Node | None]:
    """Parse one YAML document safely: ``(data, node tree)``; raises :class:`YAMLLoadError`."""
    root: Node | None = None
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is not None and (alias := _alias_path(root)) is not None:
            raise AliasError(alias)
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as e:
        raise YAMLLoadError(e, root) from e
    finally:
        loader.dispose()
    return data, root


@functools.lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """The record schema as data."""
    try:
        return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    except (OSError, ValueError) as e:
        raise ImrkbError(f"{SCHEMA_PATH}: cannot read the record schema: {e}") from e


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def schema_check() -> Check:
    """The schema compiled into a yes/no check (:mod:`imrkb.schemacheck`), with jsonschema's formats."""
    formats = _validator().format_checker
    assert formats is not None
    return compile_schema(load_schema(), formats.conforms)


def known_chapters(catalog: Any = None) -> dict[str, frozenset[str]]:
    """Chapter keys per guideline id from the catalog (loaded from ``guidelines/`` unless given).

    Raises :class:`~imrkb.errors.CatalogError` with a clear message if the catalog cannot be loaded.
    """
    if catalog is None:
        why = "cannot check guideline ids and chapters: the catalog failed to load"
        try:
            from .catalog import load_catalog

            catalog = load_catalog()
        except CatalogError as e:
            raise CatalogError(f"{why}: {e}") from e
        except (ImportError, OSError, ValueError, TypeError, KeyError, yaml.YAMLError) as e:
            raise CatalogError(f"{why}: {type(e).__name__}: {e}") from e
    return {
        gid: frozenset(str(c.key) for c in g.chapters if c.key is not None)
        for gid, g in catalog.guidelines.items()
    }


# --------------------------------------------------------------------------------------------- messages


def field_name(path: PathT) -> str:
    """``("issues", 0, "outcome")`` -> ``issues[0].outcome``; the root is ``record``."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "record"


def _show(v: Any) -> str:
    """A value as a message shows it: short, strings quoted, None as null."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def _plain(v: Any) -> str:
    return "null" if v is None else str(v)


_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "null": "null",
    "integer": "an integer",
    "string": "a string",
    "boolean": "true or false",
    "number": "a number",
}


def _schema_findings(error: jsonschema.ValidationError) -> Iterator[Finding]:
    """One schema error as findings with our wording (one per missing or unknown field)."""
    path, kind, inst, want = (
        tuple(error.absolute_path),
        error.validator,
        error.instance,
        error.validator_value,
    )
    if kind == "required":
        for name in want:
            if isinstance(inst, dict) and name not in inst:
                yield Finding((*path, name), "required field is missing")
    elif kind == "additionalProperties" and isinstance(inst, dict):
        known = error.schema.get("properties", {})
        for name in inst:
            if name not in known:
                yield Finding((*path, name), f"unknown field (known: {', '.join(known)})")
    elif kind == "enum":
        yield Finding(path, f"{_show(inst)} is not one of {', '.join(_plain(v) for v in want)}")
    elif kind == "const":
        yield Finding(path, f"must be {_plain(want)}, not {_show(inst)}")
    elif kind == "type":
        types = [want] if isinstance(want, str) else list(want)
        names = [_TYPE_NAMES.get(t, t) for t in types]
        expected = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        yield Finding(path, f"expected {expected}, got {_show(inst)}")
    elif kind == "pattern":
        if error.schema.get("format") == "date":
            yield Finding(path, f"{_show(inst)} is not a date written YYYY-MM-DD")
        else:
            yield Finding(path, f"{_show(inst)} does not match {want}")
    elif kind == "format":
        if not (
            want == "date" and isinstance(inst, str) and not _DATE_RE.match(inst)
        ):  # else: pattern says it
            yield Finding(path, f"{_show(inst)} is not a real {want}")
    elif kind == "minLength" and want == 1:
        yield Finding(path, "must not be empty")
    elif kind in ("items", "minItems") and path[-2:-1] == ("pages",) and isinstance(inst, list):
        yield Finding(
            path, f"a page range is [start, end], got {len(inst)} number{'s' if len(inst) != 1 else ''}"
        )
    elif kind == "minItems":
        yield Finding(path, f"needs at least {want} item{'s' if want != 1 else ''}, got {len(inst)}")
    elif kind == "minimum":
        yield Finding(path, f"{_show(inst)} is less than {want}")
    elif kind == "maximum":
        yield Finding(path, f"{_show(inst)} is more than {want}")
    else:
        yield Finding(path, error.message)


# --------------------------------------------------------------------------------------------- checks


def _date(v: Any) -> dt.date | None:
    if isinstance(v, str) and _DATE_RE.match(v):
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return None
    return None


def _citations(record: dict[str, Any]) -> Iterator[tuple[PathT, dict[str, Any]]]:
    issues = record.get("issues")
    for i, issue in enumerate(issues if isinstance(issues, list) else ()):
        if not isinstance(issue, dict):
            continue
        for side in _CITATION_SIDES:
            cites = issue.get(side)
            for j, c in enumerate(cites if isinstance(cites, list) else ()):
                if isinstance(c, dict):
                    yield ("issues", i, side, j), c


def check_record(record: Any, chapters: KnownChapters | None = None) -> list[Finding]:
    """Every problem in one record (plain data as loaded; dates as ISO strings).

    ``chapters`` maps guideline ids to their known chapter keys (see :func:`known_chapters`); without it
    the catalog check is left out.
    """
    if not isinstance(record, dict):
        return [Finding((), f"expected a mapping of fields, got {_show(record)}")]
    found: dict[Finding, None] = {}  # an ordered set: one schema error can repeat per missing field

    def add(path: PathT, message: str) -> None:
        found[Finding(path, message)] = None

    if not schema_check()(record):  # a valid record (almost all of them) costs jsonschema nothing
        for error in _validator().iter_errors(record):
            for f in _schema_findings(error):
                found[f] = None

    dates = record.get("dates")
    if isinstance(dates, dict):
        for early, late in DATE_ORDER:
            a, b = _date(dates.get(early)), _date(dates.get(late))
            if a and b and a > b:
                add(("dates", early), f"{a} is after dates.{late} {b}")

    case, rid, synthetic = record.get("case_number"), record.get("id"), record.get("synthetic")
    if isinstance(case, str) and _CASE_RE.match(case):
        if isinstance(rid, str) and case != rid:
            add(("id",), f"{rid!r} differs from case_number {case!r}")
        if synthetic is False and case.startswith("SYN"):
            add(("case_number",), f"{case!r}: SYN case numbers are for synthetic records only")
        if synthetic is True and not case.startswith("SYN"):
            add(("case_number",), f"{case!r}: a synthetic record's case number starts with SYN")

    for path, c in _citations(record):
        pages = c.get("pages")
        for k, pr in enumerate(pages if isinstance(pages, list) else ()):
            if isinstance(pr, list) and len(pr) == 2 and all(type(p) is int for p in pr) and pr[0] > pr[1]:
                add((*path, "pages", k), f"start {pr[0]} is after end {pr[1]}")
        gid, chapter = c.get("guideline"), c.get("chapter")
        if chapters is None or not isinstance(gid, str) or gid not in GUIDELINE_IDS:
            continue  # an unknown id is a schema problem already
        if gid not in chapters:
            add((*path, "guideline"), f"{gid!r} is not in the guideline catalog (guidelines/)")
        elif isinstance(chapter, (int, str)) and chapters[gid] and str(chapter) not in chapters[gid]:
            add((*path, "chapter"), f"{_show(chapter)} is not a chapter of {gid} in guidelines/{gid}.yaml")
    return list(found)


def check_location(record: Any, relpath: str) -> list[Finding]:
    """The file must be ``decisions/<decision year or undated>/<id>.yaml``."""
    if not isinstance(record, dict):
        return []
    parts = relpath.replace(os.sep, "/").split("/")
    out: list[Finding] = []
    rid = record.get("id")
    if isinstance(rid, str) and parts[-1] != f"{rid}.yaml":
        out.append(Finding(("id",), f"file is named {parts[-1]}, expected {rid}.yaml"))
    dates = record.get("dates")
    raw = dates.get("decision") if isinstance(dates, dict) else None
    decided = _date(raw)
    if raw is None or decided:
        folder, why = (str(decided.year), "the decision year") if decided else ("undated", "no decision date")
        if len(parts) != 3 or parts[0] != "decisions" or parts[1] != folder:
            where = "/".join(parts[:-1]) + "/"
            out.append(
                Finding(("dates", "decision"), f"record is in {where}, expected decisions/{folder}/ ({why})")
            )
    return out


# --------------------------------------------------------------------------------------------- lines


def _child(node: Node, key: Any) -> tuple[Node, Node] | None:
    """``(node that names it, value node)`` for a mapping key or sequence index, if present."""
    if isinstance(node, MappingNode) and isinstance(key, str):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return k, v
    elif isinstance(node, SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
        return node.value[key], node.value[key]
    return None


def line_of(root: Node | None, path: PathT) -> int:
    """1-based line of the deepest node on ``path`` (a missing field: the line of its parent)."""
    if root is None:
        return 1
    line, node = root.start_mark.line + 1, root
    for key in path:
        found = _child(node, key)
        if found is None:
            break
        line, node = found[0].start_mark.line + 1, found[1]
    return line


def _path_at(root: Node, mark: Any) -> PathT | None:
    """The path of the node starting at ``mark`` (to name the field of a constructor error)."""
    where = (mark.line, mark.column)
    stack: list[tuple[Node, PathT]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if (node.start_mark.line, node.start_mark.column) == where:
            return path
        if isinstance(node, MappingNode):
            for k, v in node.value:
                sub = (*path, k.value if isinstance(k, ScalarNode) else "?")
                if (k.start_mark.line, k.start_mark.column) == where:
                    return sub
                stack.append((v, sub))
        elif isinstance(node, SequenceNode):
            stack.extend((v, (*path, i)) for i, v in enumerate(node.value))
    return None


def _yaml_problem(relpath: str, e: yaml.YAMLError, root: Node | None) -> Problem:
    if isinstance(e, AliasError):
        msg = "YAML anchors and aliases (&name, *name) are not allowed in records"
        return Problem(relpath, line_of(root, e.path), field_name(e.path), msg)
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    line = mark.line + 1 if mark is not None else 1
    problem = getattr(e, "problem", None) or str(e)
    if isinstance(e, ConstructorError):
        path = _path_at(root, mark) if root is not None and mark is not None else None
        fld = field_name(path) if path is not None else "yaml"
        if "could not determine a constructor" in problem:
            tag = problem.split("tag ", 1)[-1].strip("'")
            short = tag.replace("tag:yaml.org,2002:", "!!")
            return Problem(
                relpath, line, fld, f"tag {short} is not allowed: records are plain data (safe loader)"
            )
        return Problem(relpath, line, fld, problem)
    context, start = getattr(e, "context", None), getattr(e, "context_mark", None)
    message = problem
    if context and context.startswith("while "):
        message += f" {context}"
        if start is not None and start.line + 1 != line:
            message += f" that starts on line {start.line + 1}"
    elif context:
        message = f"{context} {problem}"
    return Problem(relpath, line, "yaml", f"not valid YAML: {message}")


@dataclass(frozen=True)
class Checked:
    """The outcome of checking one file: its problems, its data and node tree (None when unreadable)."""

    problems: list[Problem]
    data: Any = None
    root: Node | None = None


def check_text(text: str, relpath: str, chapters: KnownChapters | None = None) -> Checked:
    """Problems in one record's YAML text: YAML, record checks, location (not uniqueness)."""
    try:
        data, root = parse_yaml(text)
    except YAMLLoadError as e:
        return Checked([_yaml_problem(relpath, e.error, e.root)])
    if data is None:
        return Checked([Problem(relpath, 1, "record", "empty file: expected a decision record")])
    findings = check_record(data, chapters) + check_location(data, relpath) + check_pii(data)
    problems = sorted(
        {Problem(relpath, line_of(root, f.path), field_name(f.path), f.message) for f in findings}
    )
    return Checked(problems, data, root)


def check_pii(record: Any) -> list[Finding]:
    """Each personal-data finding that no valid ``pii_override`` resolves (see :mod:`imrkb.pii`).

    The record's text is scanned again (it may have been edited since ingest); findings in the source
    letter's text come from its ``pii`` field. Not part of :func:`check_record`: ingest records findings
    rather than refusing the letter.
    """
    if not isinstance(record, dict):
        return []
    # a letter finding is addressed by its pii entry; its message says it is in the source letter
    return [Finding(path, message) for path, _, message in pii.problems(record)]


# --------------------------------------------------------------------------------------------- trees


def iter_record_files(decisions: Path) -> Iterator[Path]:
    """Every ``*.yaml`` under ``decisions`` in sorted order, streaming (hidden files and folders skipped)."""
    try:
        entries = sorted(os.scandir(decisions), key=lambda e: e.name)
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from iter_record_files(Path(entry.path))
        elif entry.name.endswith(".yaml") and entry.is_file():
            yield Path(entry.path)


@dataclass(frozen=True)
class _FileResult:
    """What the tree walk keeps of one file: its problems and, if it has one, its id and the id's line."""

    problems: list[Problem]
    id: str | None = None
    id_line: int = 1


_worker_chapters: KnownChapters | None = None  # set in each worker process by init_worker


def set_worker_chapters(chapters: KnownChapters | None) -> None:
    """The known chapters this process checks records against (validate's and ingest's pools)."""
    global _worker_chapters
    _worker_chapters = chapters


def worker_chapters() -> KnownChapters | None:
    return _worker_chapters


def init_worker(chapters: KnownChapters | None) -> None:
    """Pool initializer: ignore Ctrl-C (the parent stops the pool) and set the known chapters."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_worker_chapters(chapters)


def _check_file(args: tuple[str, str]) -> _FileResult:
    """Check the file at ``path`` (shown as ``relpath``) with the worker's catalog chapters."""
    path, relpath = args
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        return _FileResult([Problem(relpath, 1, "record", f"cannot read: {e.strerror or e}")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        msg = f"not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})"
        return _FileResult([Problem(relpath, line, "record", msg)])
    checked = check_text(text, relpath, _worker_chapters)
    rid = checked.data.get("id") if isinstance(checked.data, dict) else None
    if not isinstance(rid, str):
        return _FileResult(checked.problems)
    return _FileResult(checked.problems, rid, line_of(checked.root, ("id",)))


def iter_problems(
    root: Path,
    chapters: KnownChapters | None,
    on_file: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> Iterator[Problem]:
    """Problems of every record under ``root/decisions``, file by file in sorted order, streaming.

    ``chapters`` comes from :func:`known_chapters` (None leaves the catalog check out); ``on_file`` is
    called with each file's relative path once checked (progress). With ``jobs`` > 1 files are checked in
    that many worker processes; the order of the output does not change. Ids are remembered in one dict
    to report a duplicate at its second file.
    """
    root = Path(root)
    tasks = ((str(p), p.relative_to(root).as_posix()) for p in iter_record_files(root / "decisions"))
    seen: dict[str, str] = {}
    with contextlib.ExitStack() as stack:
        if jobs > 1:
            pool = stack.enter_context(
                multiprocessing.get_context().Pool(jobs, initializer=init_worker, initargs=(chapters,))
            )
            results: Iterator[tuple[str, _FileResult]] = pool.imap(_check_file_named, tasks, chunksize=64)
        else:
            set_worker_chapters(chapters)
            results = map(_check_file_named, tasks)
        for relpath, result in results:
            yield from result.problems
            if result.id is not None:
                first = seen.setdefault(result.id, relpath)
                if first != relpath:
                    yield Problem(
                        relpath, result.id_line, "id", f"duplicate id {result.id!r}, also in {first}"
                    )
            if on_file is not None:
                on_file(relpath)


def _check_file_named(args: tuple[str, str]) -> tuple[str, _FileResult]:
    return args[1], _check_file(args)


def validate_tree(root: Path, chapters: KnownChapters | None = None, jobs: int = 1) -> list[Problem]:
    """Every problem under ``root/decisions``, checked against the catalog (loaded unless given)."""
    return list(iter_problems(root, chapters if chapters is not None else known_chapters(), jobs=jobs))
