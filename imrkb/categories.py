"""Treatment categories inferred from an item's text, driven by ``guidelines/categories.yaml``.

The letters never state a category; DWC's search tool files items under categories and subcategories
(Diagnostic Testing / Imaging/Radiology, Pharmaceuticals / Opioids, ...). :func:`classify` guesses them
from the wording of an item with an ordered list of rules kept as data: the first rule with a matching
pattern wins, and an item no rule matches is filed under the vocabulary's ``fallback`` category.
Every page that shows a category must say it is inferred (:attr:`Vocabulary.inferred_note`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import CatalogError

__all__ = ["Category", "Rule", "Vocabulary", "classify", "default_path", "load_vocabulary"]


@dataclass(frozen=True)
class Category:
    """A category and its subcategories, in display order."""

    name: str
    subcategories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One rule: any of ``patterns`` found in an item files it under ``category`` / ``subcategory``."""

    category: str
    subcategory: str | None
    patterns: tuple[re.Pattern[str], ...]
    examples: tuple[str, ...]

    def matches(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


_WS = re.compile(r"\s+")


def normalise(item: str) -> str:
    """Whitespace-normalised item text, as the rules see it."""
    return _WS.sub(" ", item).strip()


@dataclass(frozen=True)
class Vocabulary:
    """The compiled vocabulary: display order, ordered rules, the fallback and the 'inferred' note."""

    categories: tuple[Category, ...]
    rules: tuple[Rule, ...]
    fallback: str
    inferred_note: str

    def classify(self, item: str) -> tuple[str, str | None]:
        """``(category, subcategory)`` of the first rule matching ``item``; ``(fallback, None)`` if none."""
        text = normalise(item)
        for rule in self.rules:
            if rule.matches(text):
                return rule.category, rule.subcategory
        return self.fallback, None

    def category_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.categories)


def default_path() -> Path:
    """``guidelines/categories.yaml`` at the top of the source tree."""
    return Path(__file__).resolve().parent.parent / "guidelines" / "categories.yaml"


def _compile(path: Path, where: str, pattern: Any) -> re.Pattern[str]:
    if not isinstance(pattern, str):
        raise CatalogError(f"{path}: {where}: pattern must be a string, got {type(pattern).__name__}")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        raise CatalogError(f"{path}: {where}: bad regular expression {pattern!r}: {e}") from None


def vocabulary_from_data(data: Any, path: Path) -> Vocabulary:
    """Build and check a :class:`Vocabulary` from the parsed YAML; :class:`CatalogError` names the field."""
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: the top level must be a mapping")
    cats: list[Category] = []
    for i, c in enumerate(data.get("categories") or ()):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise CatalogError(f"{path}: categories[{i}]: needs a name")
        cats.append(Category(c["name"], tuple(c.get("subcategories") or ())))
    known = {c.name: set(c.subcategories) for c in cats}
    fallback = data.get("fallback")
    if fallback not in known:
        raise CatalogError(f"{path}: fallback: {fallback!r} is not one of the categories")
    rules: list[Rule] = []
    for i, r in enumerate(data.get("rules") or ()):
        where = f"rules[{i}]"
        if not isinstance(r, dict):
            raise CatalogError(f"{path}: {where}: must be a mapping")
        cat, sub = r.get("category"), r.get("subcategory")
        if cat not in known:
            raise CatalogError(f"{path}: {where}.category: {cat!r} is not one of the categories")
        if sub is not None and sub not in known[cat]:
            raise CatalogError(f"{path}: {where}.subcategory: {sub!r} is not a subcategory of {cat}")
        pats = tuple(
            _compile(path, f"{where}.patterns[{j}]", p) for j, p in enumerate(r.get("patterns") or ())
        )
        if not pats:
            raise CatalogError(f"{path}: {where}.patterns: at least one pattern is required")
        examples = tuple(str(e) for e in r.get("examples") or ())
        if not examples:
            raise CatalogError(f"{path}: {where}.examples: at least one example is required")
        rules.append(Rule(cat, sub, pats, examples))
    return Vocabulary(tuple(cats), tuple(rules), fallback, str(data.get("inferred_note") or "").strip())


def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """Read and compile a category vocabulary (default: ``guidelines/categories.yaml``)."""
    path = path or default_path()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise CatalogError(f"{path}: cannot read the category vocabulary: {e.strerror}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise CatalogError(f"{path}{line}: YAML syntax error") from None
    return vocabulary_from_data(data, path)


@functools.lru_cache(maxsize=1)
def default_vocabulary() -> Vocabulary:
    """The default vocabulary, read once per process."""
    return load_vocabulary()


@functools.lru_cache(maxsize=65536)
def classify(item: str) -> tuple[str, str | None]:
    """Inferred ``(category, subcategory)`` of an item's text, using the default vocabulary.

    Items repeat a lot across a corpus ("Norco 10/325 mg #120"), so results are cached.
    """
    return default_vocabulary().classify(item)
