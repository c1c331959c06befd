"""Short names for the result fragments of a Pagefind index, so that its metadata downloads smaller.

Pagefind names each page's fragment (its URL, title, metadata and text, loaded when the result is
shown) by a hash (``en_3c7b4ba``) and lists every page's fragment name in the index's metadata
(``pagefind.<hash>.pf_meta``: gzipped ``pagefind_dcd`` + CBOR ``[version, pages, index chunks,
filters, sorts, meta fields]``, pages as ``[fragment name, word count]``), which a browser downloads
before it can search the index: 5,000 random names are ~17 of its ~49 KB. :func:`shorten` renames the
fragments to one prefix plus the page's number (base 36), which compress to almost nothing, and writes
the metadata with the new names; nothing else refers to them (word and filter indexes number the
pages). A browser may cache the files, so a name must never stand for other content across builds:
the prefix is a digest of the original metadata, which holds Pagefind's content hashes of every
fragment in page order (Pagefind's files are not byte-for-byte the same from run to run, so a chunk
folder named by its pages' digest is not enough). A metadata file that does not decode and re-encode
to exactly its own bytes, or not in this shape, is left as it is.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

SIGNATURE = b"pagefind_dcd"
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


class Unknown(ValueError):
    """Bytes that are not the CBOR subset Pagefind's metadata uses."""


def _decode(b: bytes, i: int) -> tuple[object, int]:
    """One CBOR item (unsigned and negative integers, text, byte strings, arrays, maps; definite
    lengths) at ``b[i]``: the item and the offset after it."""
    if i >= len(b):
        raise Unknown("truncated")
    major, extra = b[i] >> 5, b[i] & 31
    i += 1
    if extra < 24:
        n = extra
    elif extra <= 27:
        size = 1 << (extra - 24)
        if i + size > len(b):
            raise Unknown("truncated")
        n = int.from_bytes(b[i : i + size], "big")
        i += size
    else:
        raise Unknown(f"item {b[i - 1]:#x}")
    if major == 0:
        return n, i
    if major == 1:
        return -1 - n, i
    if major in (2, 3):
        if i + n > len(b):
            raise Unknown("truncated")
        raw = b[i : i + n]
        return (raw.decode("utf-8") if major == 3 else bytes(raw)), i + n
    if major == 4:
        items = []
        for _ in range(n):
            item, i = _decode(b, i)
            items.append(item)
        return items, i
    if major == 5:
        pairs = []
        for _ in range(n):
            k, i = _decode(b, i)
            v, i = _decode(b, i)
            pairs.append((k, v))
        return dict(pairs), i  # type: ignore[arg-type]
    raise Unknown(f"major type {major}")


def decode(b: bytes) -> object:
    item, end = _decode(b, 0)
    if end != len(b):
        raise Unknown(f"{len(b) - end} bytes after the item")
    return item


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | extra]) + n.to_bytes(size, "big")
    raise Unknown(f"integer {n} too large")


def encode(item: object) -> bytes:
    """``item`` as CBOR, shortest heads and definite lengths (as Pagefind writes it)."""
    if isinstance(item, bool) or item is None:
        raise Unknown(f"cannot encode {item!r}")
    if isinstance(item, int):
        return _head(0, item) if item >= 0 else _head(1, -1 - item)
    if isinstance(item, str):
        raw = item.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(item, bytes):
        return _head(2, len(item)) + item
    if isinstance(item, list):
        return _head(4, len(item)) + b"".join(map(encode, item))
    if isinstance(item, dict):
        return _head(5, len(item)) + b"".join(encode(k) + encode(v) for k, v in item.items())
    raise Unknown(f"cannot encode {type(item).__name__}")


def base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _DIGITS[r] + out
        if n == 0:
            return out


def short_names(meta: list, prefix: str) -> dict[str, str]:
    """Each fragment name of the decoded metadata ``meta`` -> ``prefix`` + its number (pages that
    share a fragment keep sharing it)."""
    names: dict[str, str] = {}
    for name, _words in meta[1]:
        if name not in names:
            names[name] = prefix + base36(len(names))
    return names


def _pages(meta: object) -> list:
    shaped = isinstance(meta, list) and len(meta) == 6 and isinstance(meta[0], str)
    if not (shaped and isinstance(meta[1], list)):
        raise Unknown("not [version, pages, ...]")
    for page in meta[1]:
        if not (isinstance(page, list) and len(page) == 2 and isinstance(page[0], str)):
            raise Unknown("a page is not [fragment name, word count]")
        if not page[0] or "/" in page[0] or page[0].startswith("."):
            raise Unknown(f"fragment name {page[0]!r}")
    return meta


def _plan(folder: Path) -> list[tuple[Path, list, dict[str, str]]]:
    """For each metadata file of the index in ``folder``: its path, decoded metadata and new names."""
    try:
        entry = json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))
        hashes = [lang["hash"] for lang in entry["languages"].values()]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise Unknown(f"{folder / 'pagefind-entry.json'}: {e}") from None
    plan = []
    for h in hashes:
        path = folder / f"pagefind.{h}.pf_meta"
        try:
            data = path.read_bytes()
            raw = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise Unknown(f"{path}: {e}") from None
        if not raw.startswith(SIGNATURE):
            raise Unknown(f"{path}: no {SIGNATURE.decode()} signature")
        body = raw[len(SIGNATURE) :]
        try:
            meta = _pages(decode(body))
        except (Unknown, UnicodeDecodeError) as e:
            raise Unknown(f"{path}: {e}") from None
        if encode(meta) != body:
            raise Unknown(f"{path}: does not re-encode to the same bytes")
        names = short_names(meta, hashlib.blake2b(data, digest_size=4).hexdigest())
        missing = [n for n in names if not (folder / "fragment" / f"{n}.pf_fragment").is_file()]
        if missing:
            raise Unknown(f"{path}: no fragment file for {missing[0]}")
        plan.append((path, meta, names))
    return plan


def shorten(folder: Path) -> int:
    """Rename the fragments of the Pagefind index in ``folder`` (every language's metadata listed in
    its ``pagefind-entry.json``) and rewrite the metadata: the number of fragments renamed. Raises
    :class:`Unknown`, changing nothing, when an index file is not in the known format."""
    plan = _plan(folder)  # everything checked before anything changes
    frag = folder / "fragment"
    for path, meta, names in plan:
        for old, new in names.items():
            os.replace(frag / f"{old}.pf_fragment", frag / f"{new}.pf_fragment")
        meta[1] = [[names[name], words] for name, words in meta[1]]
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(gzip.compress(SIGNATURE + encode(meta), 9, mtime=0))
        os.replace(tmp, path)  # a new file: never written through a hard link
    return sum(len(names) for _, _, names in plan)
