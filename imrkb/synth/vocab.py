"""The synthetic-letter vocabulary (``vocab.yaml``), loaded once and checked against the catalog."""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ..errors import CatalogError
from .cite import Citer

VOCAB_PATH = Path(__file__).with_name("vocab.yaml")

T = TypeVar("T")


@dataclass(frozen=True)
class Weighted:
    """Values with cumulative weights, for fast seeded draws."""

    values: tuple[Any, ...]
    cum: tuple[float, ...]

    @classmethod
    def of(cls, mapping: dict[Any, float] | Sequence[tuple[Any, float]]) -> Weighted:
        pairs = list(mapping.items()) if isinstance(mapping, dict) else list(mapping)
        return cls(tuple(v for v, _ in pairs), tuple(itertools.accumulate(float(w) for _, w in pairs)))

    def draw(self, rng: random.Random) -> Any:
        return rng.choices(self.values, cum_weights=self.cum)[0]


@dataclass(frozen=True)
class Vocabulary:
    data: dict[str, Any]
    citer: Citer
    years: Weighted
    items_per_letter: Weighted
    priority: Weighted
    sex: Weighted
    states: Weighted
    state_count: Weighted
    specialties: Weighted
    treatments: Weighted

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


def _check(vocab: dict[str, Any], citer: Citer) -> None:
    """Every treatment's citation references must resolve in the catalog, for each of its regions."""
    regions = vocab["regions"]
    for t in vocab["treatments"]:
        where = f"{VOCAB_PATH.name}: treatment {t.get('key')!r}"
        for key in ("key", "category", "weight", "regions", "wordings", "cite", "rationale"):
            if key not in t:
                raise CatalogError(f"{where}: missing {key!r}")
        for form in ("sections", "pages"):
            if not t["cite"].get(form):
                raise CatalogError(f"{where}: cite.{form} is empty")
        for r in t["regions"]:
            if r not in regions:
                raise CatalogError(f"{where}: unknown region {r!r}")
            region = regions[r]
            for option in t["cite"]["sections"] + t["cite"]["pages"]:
                for ref in option:
                    try:
                        citer.check(ref, region["acoem_chapter"], region["odg"])
                    except CatalogError as e:
                        raise CatalogError(f"{where}, region {r!r}: {e}") from e
        wordings = t["wordings"]
        if isinstance(wordings, dict):
            missing = [r for r in t["regions"] if not wordings.get(r)]
            if missing:
                raise CatalogError(f"{where}: no wordings for region(s) {', '.join(missing)}")
            wordings = [w for ws in wordings.values() for w in ws]
        if any("{n}" in w for w in wordings) and not t.get("quantity"):
            raise CatalogError(f"{where}: wordings use {{n}} but there is no quantity list")


@functools.lru_cache(maxsize=2)
def load_vocabulary(path: Path = VOCAB_PATH) -> Vocabulary:
    """Load ``vocab.yaml`` and check it against the catalog (cached)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise CatalogError(f"{path}: not valid YAML: {e}") from e
    citer = Citer(data["odg_spellings"], data["acoem_pages"], odg_inverted=data.get("odg_inverted"))
    _check(data, citer)
    lic = data["licensure"]
    return Vocabulary(
        data=data,
        citer=citer,
        years=Weighted.of({int(k): v for k, v in data["years"].items()}),
        items_per_letter=Weighted.of({int(k): v for k, v in data["items_per_letter"].items()}),
        priority=Weighted.of(data["priority"]),
        sex=Weighted.of(data["sex"]),
        states=Weighted.of(lic["states"]),
        state_count=Weighted.of({int(k): v for k, v in lic["count"].items()}),
        specialties=Weighted.of([(s, s["weight"]) for s in data["specialties"]]),
        treatments=Weighted.of([(t, t["weight"]) for t in data["treatments"]]),
    )
