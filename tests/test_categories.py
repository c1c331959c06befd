"""The treatment-category vocabulary checked against itself, and a table of items outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from imrkb.categories import classify, load_vocabulary
from imrkb.errors import CatalogError

VOCAB = load_vocabulary()
RULES = list(enumerate(VOCAB.rules))


def _rule_id(pair: tuple[int, object]) -> str:
    i, rule = pair
    return f"{i}-{rule.category}-{rule.subcategory}"  # type: ignore[attr-defined]


@pytest.mark.parametrize("pair", RULES, ids=[_rule_id(p) for p in RULES])
def test_every_pattern_matches_one_of_its_examples(pair: tuple[int, object]) -> None:
    _, rule = pair
    for pattern in rule.patterns:  # type: ignore[attr-defined]
        assert any(pattern.search(e) for e in rule.examples), (  # type: ignore[attr-defined]
            f"pattern {pattern.pattern!r} matches none of its examples"
        )


@pytest.mark.parametrize("pair", RULES, ids=[_rule_id(p) for p in RULES])
def test_every_example_is_classified_as_its_rule_says(pair: tuple[int, object]) -> None:
    _, rule = pair
    for example in rule.examples:  # type: ignore[attr-defined]
        assert VOCAB.classify(example) == (rule.category, rule.subcategory), example  # type: ignore[attr-defined]


def test_every_category_is_reachable_and_listed() -> None:
    reached = {(r.category, r.subcategory) for r in VOCAB.rules}
    for cat in VOCAB.categories:
        if cat.name == VOCAB.fallback:
            continue
        if cat.subcategories:
            for sub in cat.subcategories:
                assert (cat.name, sub) in reached, f"{cat.name} / {sub} has no rule"
        else:
            assert (cat.name, None) in reached, f"{cat.name} has no rule"
    assert VOCAB.inferred_note and "inferred" in VOCAB.inferred_note.lower()


# Items as letters write them (shapes seen in public letters; text written for this table).
TABLE = [
    ("CT SCAN OF THE CERVICAL SPINE WITHOUT CONTRAST", "Diagnostic Testing", "Imaging/Radiology"),
    ("Retrospective request for urine\n drug screen (DOS 5/4/16)", "Diagnostic Testing", "Lab & Pathology"),
    ("EMG/NCS of bilateral lower extremities", "Diagnostic Testing", "EMG/NCV/NCS"),
    ("Norco 10/325mg #90", "Pharmaceuticals", "Opioids"),
    ("Ultram 50mg #60", "Pharmaceuticals", "Opioids"),
    ("Lidopro cream 121 gm", "Pharmaceuticals", "Topical Analgesics"),
    ("Fexmid 7.5mg #60", "Pharmaceuticals", "Muscle Relaxant"),
    ("Protonix 20mg #60", "Pharmaceuticals", "Proton Pump Inhibitors"),
    ("Neurontin 300mg #90", "Pharmaceuticals", "Anti-epilepsy drugs"),
    ("Restoril 30mg #30", "Pharmaceuticals", "Benzodiazepine"),
    ("Physical therapy 3 x 4 for the right shoulder", "Rehabilitation", "PT/OT"),
    ("Acupuncture 2 times a week for 3 weeks to the lumbar spine", "Rehabilitation", "Acupuncture"),
    ("Lumbar epidural steroid injection at L4-L5", "Injection", "Other"),
    ("Bilateral L3-L5 radiofrequency ablation", "Injection", "Facet"),
    ("Right knee arthroscopy with partial medial meniscectomy", "Surgery", "Arthroscopic"),
    ("Post-op cold therapy unit (rental)", "DMEPOS", "DME"),
    ("Purchase of a lumbar back brace", "DMEPOS", "Prosthetics/Orthotics"),
    ("Consultation with a pain management specialist", "Evaluation & Management", "Medical Specialties"),
    ("Follow-up visit with the primary treating physician", "Evaluation & Management", "Medical Specialties"),
    ("Cognitive behavioral therapy, 6 sessions", "Behavioral & Mental Health", "Therapies"),
    ("Functional restoration program, 80 hours", "Programs", "Functional Restoration"),
    ("Home health care 8 hours a day", "Home Health", None),
    ("Transportation to medical appointments", "Transportation", None),
    ("Hot tub", "Other", None),
    ("", "Other", None),
]


@pytest.mark.parametrize(("item", "category", "subcategory"), TABLE)
def test_classify_table(item: str, category: str, subcategory: str | None) -> None:
    assert classify(item) == (category, subcategory)


BAD = [
    ("fallback: Nope\ncategories: [{name: A}]\nrules: []\n", "fallback"),
    (
        "fallback: A\ncategories: [{name: A}]\nrules: [{category: B, patterns: [x], examples: [x]}]\n",
        "rules[0].category",
    ),
    (
        "fallback: A\ncategories: [{name: A, subcategories: [S]}]\n"
        "rules: [{category: A, subcategory: T, patterns: [x], examples: [x]}]\n",
        "rules[0].subcategory",
    ),
    (
        "fallback: A\ncategories: [{name: A}]\nrules: [{category: A, patterns: ['('], examples: [x]}]\n",
        "rules[0].patterns[0]",
    ),
    ("fallback: A\ncategories: [{name: A}]\nrules: [{category: A, patterns: [x]}]\n", "rules[0].examples"),
    ("fallback: A\ncategories: [{name: A}\n", ":3: YAML syntax error"),
]


@pytest.mark.parametrize(("text", "field"), BAD)
def test_bad_vocabulary_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "categories.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as err:
        load_vocabulary(path)
    assert str(path) in str(err.value)
    assert field in str(err.value)
