"""Letters (PDF or text) -> ``decisions/<year>/<id>.yaml``: idempotent, atomic, in parallel.

:func:`find_letters` expands the paths given; :func:`iter_ingest` parses them (in a process pool: PDF
parsing is the cost at scale), records the personal data :mod:`imrkb.pii` finds in the record and the
letter (field ``pii``), checks each record like ``imrkb validate`` does, and writes it only when its bytes
change, yielding one :class:`Outcome` per letter in input order. A ``pii_override`` written by hand in the
existing file is kept as long as the letter yields no finding it did not cover. Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .errors import LetterError
from .ingestcache import Entry, IngestCache, cache_dir, fingerprint
from .models import Decision
from .pdftext import read_bytes, text_of
from .pii import scan_letter
from .pii import warm as warm_pii
from .records import atomic_write_bytes, load_yaml_text, to_yaml, to_yaml_loaded
from .takedown import Removal, load_ledger
from .validate import (
    KnownChapters,
    YAMLLoadError,
    check_record,
    field_name,
    init_worker,
    parse_yaml,
    schema_check,
    set_worker_chapters,
    worker_chapters,
)

__all__ = ["LETTER_SUFFIXES", "Outcome", "find_letters", "iter_ingest"]

LETTER_SUFFIXES = (".pdf", ".txt")
STATUSES = ("ingested", "updated", "unchanged", "withheld", "failed")

#: Threads writing records (each write waits on fsync, which lets the others and the parsing go on).
WRITERS = 4
#: Outcomes waiting for their write before the next letter waits for the oldest one.
MAX_PENDING = 256


@dataclass(frozen=True)
class Outcome:
    """What happened to one letter: ``status`` is one of :data:`STATUSES`."""

    source: str
    status: str
    target: Path | None = None
    message: str = ""  # for ``failed`` and ``withheld``: ``source: what is wrong`` / why it is not written


@dataclass(frozen=True)
class _Parsed:
    """A worker's result: a record's id, folder and YAML, or an error line."""

    source: str
    id: str = ""
    folder: str = ""
    text: str = ""
    error: str = ""
    key: str = ""  # its ingest-cache key ("" without a cache)


def find_letters(paths: Iterable[Path]) -> tuple[list[Path], list[Outcome]]:
    """Files named as they are, folders searched recursively for ``*.pdf``/``*.txt`` (sorted, hidden skipped).

    Returns the letters (each once) and a ``failed`` outcome for every path that does not exist.
    """
    letters: list[Path] = []
    missing: list[Outcome] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            letters.append(p)

    for path in paths:
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith(".") and name.lower().endswith(LETTER_SUFFIXES):
                        add(Path(folder) / name)
        elif path.is_file():
            add(path)
        else:
            missing.append(Outcome(str(path), "failed", message=f"{path}: no such file or folder"))
    return letters, missing




def _read_and_parse(path: Path, data: bytes | None = None) -> tuple[Decision, str]:
    """The letter's record and its extracted text (as :func:`imrkb.parse.parse_file`, keeping the text);
    ``data``: the file's bytes when already read."""
    from .parse import parse_text  # imported here: only ingest and parse need the parser

    if data is None:
        data = read_bytes(path)
    try:
        text, pages = text_of(data, path.name)
        return parse_text(text, path.name, hashlib.sha256(data).hexdigest(), pages), text
    except LetterError as e:
        raise LetterError(str(path), e.problem, e.line) from None


#: This process's cache of finished records (set by :func:`_use_cache`; ``None``: none).
_cache: IngestCache | None = None


def _use_cache(cache: IngestCache | None) -> None:
    global _cache
    _cache = cache


def _init_worker(chapters: KnownChapters | None, cache: IngestCache | None) -> None:
    init_worker(chapters)
    _use_cache(cache)


def _failed(source: str, e: Exception) -> _Parsed:
    """The outcome of a letter whose read or parse raised ``e``: its problem, or a parser bug."""
    if isinstance(e, LetterError):
        message = str(e)
        return _Parsed(source, error=message if message.startswith(source) else f"{source}: {message}")
    return _Parsed(source, error=f"{source}: parser failed ({type(e).__name__}: {e}); this is a bug in imrkb")


def _parse_one(source: str) -> _Parsed:
    """Parse one letter (or take its record from the cache), scan it for personal data and check its
    record; never raises (a parser bug is reported as such)."""
    path = Path(source)
    key = ""
    try:
        data = read_bytes(path)
    except Exception as e:  # noqa: BLE001 - reported as the parse would report it
        return _failed(source, e)
    if _cache is not None:
        key = _cache.key(path.name, data)
        hit = _cache.get(key)
        if hit is not None:
            return _Parsed(source, hit.id, hit.folder, hit.text, key=key)
    parsed = _parse_new(source, data)
    if _cache is not None and not parsed.error:
        _cache.put(key, Entry(parsed.id, parsed.folder, parsed.text))
        parsed = dataclasses.replace(parsed, key=key)
    return parsed


def _parse_new(source: str, letter: bytes) -> _Parsed:
    """:func:`_parse_one` for a letter not in the cache (``letter``: its bytes)."""
    try:
        decision, letter_text = _read_and_parse(Path(source), letter)
        decision = dataclasses.replace(decision, pii=scan_letter(decision, letter_text))
    except Exception as e:  # noqa: BLE001 - one broken letter must not stop a 100,000-letter run
        return _failed(source, e)
    text, data = to_yaml_loaded(decision)
    if data is None:  # a string the emitter does not vouch for: read the text back as validate would
        try:
            data, _ = parse_yaml(text)
        except YAMLLoadError as e:  # pragma: no cover - to_yaml writes plain data only
            return _Parsed(source, error=f"{source}: the record does not read back as YAML: {e}")
    findings = check_record(data, worker_chapters())
    if findings:
        first = findings[0]
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        return _Parsed(
            source, error=f"{source}: invalid record: {field_name(first.path)}: {first.message}{more}"
        )
    return _Parsed(source, decision.id, decision.year_folder, text)


def _finding_keys(data: object) -> set[tuple[str, str, str]]:
    found = data.get("pii") if isinstance(data, dict) else None
    return {
        (str(f.get("kind")), str(f.get("field")), str(f.get("masked")))
        for f in found or ()
        if isinstance(f, dict)
    }


def _kept_override(new_text: str, paths: Sequence[Path]) -> str:
    """YAML to append to ``new_text``: the ``pii_override`` of the record already on disk, when it has one
    and covered every finding the new record has (same kind, field and masked text); else ``""``."""
    for path in paths:
        try:
            old_text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if "pii_override" not in old_text:
            continue
        try:
            old = load_yaml_text(old_text)
        except Exception:  # noqa: BLE001 - a broken file on disk just has no override to keep
            continue
        override = old.get("pii_override") if isinstance(old, dict) else None
        if not isinstance(override, dict):
            continue
        if _finding_keys(load_yaml_text(new_text)) <= _finding_keys(old):
            return to_yaml({"pii_override": override})
        return ""
    return ""


def _existing_ids(decisions: Path) -> dict[str, list[Path]]:
    """Ids of the records already under ``decisions/<folder>/`` (one listing, no parsing)."""
    out: dict[str, list[Path]] = {}
    if decisions.is_dir():
        for folder in sorted(decisions.iterdir()):
            if folder.is_dir() and not folder.name.startswith("."):
                for f in folder.iterdir():
                    if f.suffix == ".yaml" and not f.name.startswith("."):
                        out.setdefault(f.stem, []).append(f)
    return out


def _warm(pool: bool) -> None:
    """Load what every letter needs (catalog, personal-data patterns and their prefilter, compiled
    schema) once, here: forked workers inherit it instead of each loading it again; for a ``pool``, the
    hyphenation step's word list too (which one process loads only when a letter needs it)."""
    from .catalog import load_catalog
    from .clean import english_words

    load_catalog()
    if pool:
        english_words()
    warm_pii()
    schema_check()


def _parsed(
    letters: Sequence[Path], jobs: int, chapters: KnownChapters | None, cache: IngestCache | None
) -> Iterator[_Parsed]:
    sources = [str(p) for p in letters]
    parallel = jobs > 1 and len(sources) >= 2 * jobs
    if sources:
        _warm(parallel)
    if not parallel:
        set_worker_chapters(chapters)
        _use_cache(cache)
        try:
            yield from map(_parse_one, sources)
        finally:
            _use_cache(None)
        return
    chunk = max(1, min(32, len(sources) // (jobs * 8)))
    init = (chapters, cache)
    with multiprocessing.get_context().Pool(jobs, initializer=_init_worker, initargs=init) as pool:
        yield from pool.imap(_parse_one, sources, chunksize=chunk)


def _finished(write: Future[None] | None) -> bool:
    return write is None or write.done()


def _write(target: Path, data: bytes, moved: Sequence[Path]) -> None:
    atomic_write_bytes(target, data)
    for p in moved:  # the decision year changed: the record lives in its new folder only
        p.unlink(missing_ok=True)


def iter_ingest(
    letters: Sequence[Path],
    root: Path,
    *,
    jobs: int = 1,
    chapters: KnownChapters | None = None,
    cache: bool = True,
) -> Iterator[Outcome]:
    """Parse ``letters`` and write their records under ``root/decisions``; one outcome per letter, in order.

    A record whose bytes equal the file on disk is ``unchanged`` and not rewritten; a record whose
    decision year changed moves (its old file is removed). A second letter with an id already written in
    this run fails, naming the first, unless it gives the very same record. Records are written (fsync,
    atomic rename) by :data:`WRITERS` threads; a letter's outcome comes once its record is on disk, and a
    failed write raises at its letter's turn. With ``cache``, a letter ingested before by the same code
    takes its record from ``ROOT/.imrkb/ingest-cache`` (:mod:`imrkb.ingestcache`) instead of a parse.
    """
    decisions = Path(root) / "decisions"
    store = IngestCache(cache_dir(Path(root)), fingerprint(chapters)) if cache and letters else None
    existing = _existing_ids(decisions)
    removed = load_ledger(Path(root))
    this_run: dict[str, tuple[str, bytes]] = {}  # id -> (first source, digest of its YAML)
    pending: deque[tuple[Outcome, Future[None] | None]] = deque()

    def done(wait: bool) -> Iterator[Outcome]:
        """The outcomes at the head of ``pending`` whose writes are done (``wait``: all of them)."""
        while pending and (wait or len(pending) > MAX_PENDING or _finished(pending[0][1])):
            outcome, write = pending.popleft()
            if write is not None:
                write.result()  # re-raises the write's error
            yield outcome

    with ThreadPoolExecutor(WRITERS, thread_name_prefix="imrkb-write") as writers:
        for r in _parsed(letters, jobs, chapters, store):
            try:
                decided = _decide(r, decisions, existing, removed, this_run, writers)
                if store is not None and r.key and decided[0].status == "withheld":
                    store.drop(r.key)  # a decision taken down keeps no copy in the cache
            except BaseException:
                yield from done(wait=True)  # the letters before it come out first, as without threads
                raise
            pending.append(decided)
            yield from done(wait=False)
        yield from done(wait=True)


def _decide(
    r: _Parsed,
    decisions: Path,
    existing: dict[str, list[Path]],
    removed: Mapping[str, Removal],
    this_run: dict[str, tuple[str, bytes]],
    writers: ThreadPoolExecutor,
) -> tuple[Outcome, Future[None] | None]:
    """What becomes of one parsed letter, and its record's write when it has one."""
    if r.error:
        return Outcome(r.source, "failed", message=r.error), None
    if r.id in removed:  # taken down: a letter ingested again must not bring it back
        gone = removed[r.id]
        return Outcome(r.source, "withheld", message=f"{r.source}: {r.id} was removed on "
                       f"{gone.removed.isoformat()} (removed/{r.id}.yaml); not ingested again"), None
    target = decisions / r.folder / f"{r.id}.yaml"
    data = r.text.encode("utf-8")
    digest = hashlib.blake2b(data, digest_size=16).digest()
    first = this_run.setdefault(r.id, (r.source, digest))
    if first[0] != r.source:
        if first[1] == digest:
            return Outcome(r.source, "unchanged", target), None
        message = f"{r.source}: id {r.id} already taken in this run by {first[0]}"
        return Outcome(r.source, "failed", message=message), None
    try:
        old = target.read_bytes()
    except FileNotFoundError:
        old = None
    kept = _kept_override(r.text, [target, *existing.get(r.id, ())])
    if kept:
        data = (r.text + kept).encode("utf-8")
    if old == data:
        return Outcome(r.source, "unchanged", target), None
    moved = [p for p in existing.get(r.id, ()) if p != target]
    existing[r.id] = [target]
    status = "updated" if old is not None or moved else "ingested"
    return Outcome(r.source, status, target), writers.submit(_write, target, data, moved)
