"""Bitmaps of document numbers (imrkb.search.bitmaps) against Python sets, sparse and dense."""

from __future__ import annotations

import random

import pytest

from imrkb.search import bitmaps

# (size, how many documents): empty, one, sparse (read byte by byte) and dense (column by column)
CASES = [(1, 0), (1, 1), (8, 8), (9, 3), (1000, 1), (100_000, 30), (100_000, 5_000), (100_003, 60_000)]


@pytest.mark.parametrize(("size", "count"), CASES)
def test_round_trip_and_set_arithmetic_equal_python_sets(size: int, count: int) -> None:
    rng = random.Random(size * 7 + count)
    a = sorted(rng.sample(range(size), count))
    b = sorted(rng.sample(range(size), min(size, count // 2 + 1)))
    ba, bb = bitmaps.from_ids(a, size), bitmaps.from_ids(b, size)
    assert bitmaps.to_ids(ba) == a
    assert ba.bit_count() == len(a)
    assert bitmaps.to_ids(ba & bb) == sorted(set(a) & set(b))
    assert bitmaps.to_ids(ba | bb) == sorted(set(a) | set(b))
    assert bitmaps.to_ids(ba & ~bb) == sorted(set(a) - set(b))
    assert all(bitmaps.contains(ba, d) == (d in set(a)) for d in [*b, 0, size - 1])
    assert bitmaps.to_ids(bitmaps.all_of(size)) == list(range(size))


def test_newest_takes_the_largest_order_first() -> None:
    order = [5, 9, 1, 7, 3]
    assert bitmaps.newest(bitmaps.from_ids([0, 2, 3, 4], 5), 2, order) == [3, 0]
    with pytest.raises(ValueError):
        bitmaps.to_ids(-1)
