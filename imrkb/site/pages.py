"""Every page other than the decision pages, generated from an aggregated :class:`Corpus`.

Each generator yields ``(url, title, html)``; :mod:`imrkb.site.build` writes them. Pure: no I/O.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..categories import default_vocabulary
from .charts import Bar, bar_chart
from .corpus import Corpus
from .guides import NO_TOPIC, UNRESOLVED_URL, UnitInfo, UnitKey, all_units, unit_info
from .html import attr, esc, pct, rel, slug
from .render import (
    PAGE_SIZE,
    category_url,
    counts_line,
    decision_table,
    family_page,
    item_table,
    layout_unit,
    list_page,
    n_pages,
    paged_url,
    specialty_url,
    stats_table,
    unit_page,
    unresolved_page,
)
from .rows import DecisionRow, ItemRow, newest_first_key

Page = tuple[str, str, str]
#: A paginated list: called, it renders the list's pages.
Listing = Callable[[], Iterator[Page]]


def _over(rows: Sequence[ItemRow]) -> int:
    return sum(1 for r in rows if r.outcome == "overturned")


def _paged_items(
    title: str, intro: str | Callable[[str], str], base: str, rows: list[ItemRow]
) -> Iterator[Page]:
    """Pages of items, newest first. ``intro`` is HTML, or a function of the page's URL giving it."""
    rows = sorted(rows, key=newest_first_key)
    over = _over(rows)
    for page in range(1, n_pages(len(rows)) + 1):
        url = paged_url(base, page)
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        text = intro(url) if callable(intro) else intro
        yield url, title, list_page(title, text, base, page, len(rows), item_table(chunk, url), over)


def _paged_decisions(title: str, intro: str, base: str, rows: list[DecisionRow]) -> Iterator[Page]:
    rows = sorted(rows, key=newest_first_key)
    for page in range(1, n_pages(len(rows)) + 1):
        url = paged_url(base, page)
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        intro_n = intro + f'<p class="imrkb-counts" data-decisions="{len(rows)}">{len(rows)} decisions.</p>'
        yield url, title, list_page(title, intro_n, base, page, len(rows), decision_table(chunk, url))


def _specialties(corpus: Corpus) -> dict[str, tuple[str, list[DecisionRow]]]:
    """Specialties merged by slug ("&" and "and" spellings together), labelled by the commonest spelling."""
    merged: dict[str, list[DecisionRow]] = defaultdict(list)
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for name, rows in corpus.by_specialty.items():
        s = slug(name)
        names[s][name] += len(rows)
        merged[s].extend(rows)
    out = {}
    for s, rows in merged.items():
        uniq = {r.id: r for r in rows}
        out[s] = (names[s].most_common(1)[0][0], list(uniq.values()))
    return out


@dataclass
class _Browse:
    """The corpus's rows grouped the ways the browse pages list them."""

    by_outcome: dict[str, list[ItemRow]]
    by_cat: dict[str, list[ItemRow]]
    by_sub: dict[tuple[str, str], list[ItemRow]]
    by_year: dict[str, list[DecisionRow]]
    specialties: dict[str, tuple[str, list[DecisionRow]]]


def _browse(corpus: Corpus) -> _Browse:
    by_outcome: dict[str, list[ItemRow]] = defaultdict(list)
    by_cat: dict[str, list[ItemRow]] = defaultdict(list)
    by_sub: dict[tuple[str, str], list[ItemRow]] = defaultdict(list)
    for r in corpus.items:
        by_outcome[r.outcome].append(r)
        by_cat[r.category].append(r)
        if r.subcategory:
            by_sub[(r.category, r.subcategory)].append(r)
    by_year: dict[str, list[DecisionRow]] = defaultdict(list)
    for d in corpus.decisions:
        by_year[d.url.split("/")[1]].append(d)
    return _Browse(by_outcome, by_cat, by_sub, by_year, _specialties(corpus))


def browse_listings(corpus: Corpus) -> dict[str, Listing]:
    """The paginated browse lists by outcome, year, reviewer specialty and inferred treatment category,
    keyed as :func:`imrkb.site.corpus.listing_keys` names them."""
    b = _browse(corpus)
    vocab = default_vocabulary()
    out: dict[str, Listing] = {}
    for outcome, rows in sorted(b.by_outcome.items()):
        verdict = "upheld (not medically necessary)"
        if outcome == "overturned":
            verdict = "overturned (medically necessary)"
        intro = f"<p>Items whose utilization-review denial the reviewer {verdict}.</p>"
        out[f"outcome/{slug(outcome)}"] = functools.partial(
            _paged_items, f"Items {outcome}", intro, f"browse/outcome/{slug(outcome)}/", rows
        )
    for year, drows in sorted(b.by_year.items()):
        out[f"year/{slug(year)}"] = functools.partial(
            _paged_decisions, f"Decisions of {year}", "", f"browse/year/{slug(year)}/", drows
        )
    for s, (name, drows) in sorted(b.specialties.items()):
        out[f"specialty/{s}"] = functools.partial(
            _paged_decisions,
            f"Reviewer specialty: {name}",
            "<p>Decisions whose expert reviewer lists this specialty.</p>",
            specialty_url(name),
            drows,
        )
    note = f'<p class="imrkb-note">{esc(vocab.inferred_note)}</p>'

    def cat_intro(cat: str, subs: list[str]) -> Callable[[str], str]:
        def intro(url: str) -> str:
            links = " · ".join(f'<a href="{attr(rel(url, category_url(cat, s)))}">{esc(s)}</a>' for s in subs)
            return note + (f"<p>Subcategories: {links}</p>" if subs else "")

        return intro

    def sub_intro(cat: str) -> Callable[[str], str]:
        return lambda url: (
            note + f'<p>Part of <a href="{attr(rel(url, category_url(cat)))}">{esc(cat)}</a>.</p>'
        )

    for cat, rows in sorted(b.by_cat.items()):
        subs = sorted({r.subcategory for r in rows if r.subcategory})
        out[f"category/{cat}"] = functools.partial(
            _paged_items, f"Treatment category: {cat}", cat_intro(cat, subs), category_url(cat), rows
        )
    for (cat, sub), rows in sorted(b.by_sub.items()):
        out[f"sub/{cat}/{sub}"] = functools.partial(
            _paged_items, f"Treatment category: {cat} › {sub}", sub_intro(cat), category_url(cat, sub), rows
        )
    return out


def browse_index(corpus: Corpus) -> Page:
    """The browse index: every list with its count."""
    b = _browse(corpus)
    by_outcome, by_year, by_cat, by_sub = b.by_outcome, b.by_year, b.by_cat, b.by_sub
    specialties = b.specialties
    vocab = default_vocabulary()
    note = f'<p class="imrkb-note">{esc(vocab.inferred_note)}</p>'
    # The index.
    url = "browse/"
    parts = [
        "<h1>Browse</h1>",
        "<p>Every list is paginated and newest first.</p>",
        '<h2 id="outcome">By outcome</h2><ul>',
    ]
    for outcome, rows in sorted(by_outcome.items()):
        parts.append(
            f'<li><a href="{attr(rel(url, f"browse/outcome/{slug(outcome)}/"))}">{esc(outcome.title())}</a>'
            f' <span data-outcome-count="{esc(outcome)}">{len(rows)}</span> items</li>'
        )
    parts.append('</ul><h2 id="year">By year of decision</h2><ul>')
    for year, drows in sorted(by_year.items(), reverse=True):
        parts.append(
            f'<li><a href="{attr(rel(url, f"browse/year/{slug(year)}/"))}">{esc(year)}</a> '
            f"{len(drows)} decisions</li>"
        )
    parts.append('</ul><h2 id="specialty">By reviewer specialty</h2><ul>')
    for _, (name, drows) in sorted(specialties.items(), key=lambda kv: (-len(kv[1][1]), kv[0])):
        parts.append(
            f'<li><a href="{attr(rel(url, specialty_url(name)))}">{esc(name)}</a> {len(drows)} decisions</li>'
        )
    parts.append(f'</ul><h2 id="category">By treatment category (inferred)</h2>{note}<ul>')
    for cat in vocab.category_names():
        rows = by_cat.get(cat)
        if not rows:
            continue
        subs = sorted({r.subcategory for r in rows if r.subcategory})
        sub_html = ", ".join(
            f'<a href="{attr(rel(url, category_url(cat, s)))}">{esc(s)}</a> {len(by_sub[(cat, s)])}'
            for s in subs
        )
        parts.append(
            f'<li><a href="{attr(rel(url, category_url(cat)))}">{esc(cat)}</a> {len(rows)} items'
            + (f"<br>{sub_html}" if subs else "")
            + "</li>"
        )
    parts.append(
        f'</ul><h2 id="guideline">By guideline</h2><p><a href="{attr(rel(url, "guidelines/"))}">'
        "Guideline pages</a>: every chapter and topic with the items that cite it.</p>"
    )
    return url, "Browse", "".join(parts)


def _unit_counts(corpus: Corpus, key: UnitKey) -> tuple[int, int]:
    seen: dict[tuple[str, int], str] = {}
    for agg in corpus.units.get(key, {}).values():
        for r, _ in agg.rows:
            seen[(r.decision_id, r.index)] = r.outcome
    return len(seen), sum(1 for o in seen.values() if o == "overturned")


def _units(corpus: Corpus) -> dict[str, list[UnitInfo]]:
    """Every unit of the catalog and every unit cited, by guideline family, in catalog order."""
    units = {u.key: u for u in all_units(corpus.catalog)}
    for key in corpus.units:
        units.setdefault(key, unit_info(key, corpus.catalog))
    by_family: dict[str, list[UnitInfo]] = defaultdict(list)
    for info in units.values():
        by_family[info.key.guideline].append(info)
    return {g: sorted(infos, key=lambda u: (u.order, u.key.slug)) for g, infos in by_family.items()}


def _unit_pages(corpus: Corpus, info: UnitInfo) -> Iterator[Page]:
    g = corpus.catalog.guidelines[info.key.guideline]
    layout = corpus.layouts.get(info.key) or layout_unit([])
    title = info.title if info.key.slug else g.name
    family_url = f"guidelines/{g.id}/"
    for page in range(1, len(layout.pages) + 1):
        html = unit_page(title, g.short, family_url, info.key.url, layout, page)
        yield paged_url(info.key.url, page), f"{g.short}: {title}", html


def _unresolved_pages(corpus: Corpus) -> Iterator[Page]:
    rows = sorted(corpus.unresolved, key=lambda t: newest_first_key(t[0]))
    for page in range(1, n_pages(len(rows)) + 1):
        chunk = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        yield paged_url(UNRESOLVED_URL, page), "Unresolved citations", unresolved_page(chunk, page, len(rows))


def guideline_listings(corpus: Corpus) -> dict[str, Listing]:
    """The unit (chapter/topic) pages and the unresolved citations, keyed as
    :func:`imrkb.site.corpus.listing_keys` names them."""
    out: dict[str, Listing] = {}
    by_family = _units(corpus)
    for g in corpus.catalog:
        for info in by_family.get(g.id, []):
            out[f"unit/{info.key.guideline}/{info.key.slug}"] = functools.partial(_unit_pages, corpus, info)
    out["unresolved"] = functools.partial(_unresolved_pages, corpus)
    return out


def guideline_indexes(corpus: Corpus) -> Iterator[Page]:
    """The family pages (counts per unit) and the guidelines index (counts per family)."""
    cat = corpus.catalog
    by_family = _units(corpus)
    family_rows = []
    for g in cat:
        infos = by_family.get(g.id, [])
        family_url = f"guidelines/{g.id}/"
        fam_seen: dict[tuple[str, int], str] = {}
        for info in infos:
            for agg in corpus.units.get(info.key, {}).values():
                for r, _ in agg.rows:
                    fam_seen[(r.decision_id, r.index)] = r.outcome
        family_rows.append(
            (g, family_url, len(fam_seen), sum(1 for o in fam_seen.values() if o == "overturned"))
        )
        single = len(infos) == 1 and infos[0].key.slug == ""
        if not single:
            rows = []
            for info in infos:
                n, o = _unit_counts(corpus, info.key)
                if n or info.key.slug != NO_TOPIC:
                    rows.append((info.title, info.key.url, n, o))
            yield family_url, g.name, family_page(g.name, family_url, rows)

    n_unresolved = len(corpus.unresolved)
    url = "guidelines/"
    body = [_family_row(url, g, furl, n, o) for g, furl, n, o in family_rows]
    parts = [
        "<h1>Guidelines</h1>",
        "<p>Each guideline family, chapter and topic has a page listing the items whose reviewer or claims "
        "administrator cited it, grouped by the topic or page range cited, with counts upheld and "
        "overturned. "
        "MTUS guidelines come first: reviewers must apply them before any other evidence.</p>",
        f'<div class="imrkb-table"><table data-stats><thead><tr><th scope="col">Guideline</th>'
        '<th scope="col">Programme</th><th scope="col">Items</th><th scope="col">Upheld</th>'
        '<th scope="col">Overturned</th><th scope="col">Overturn rate</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>",
        f'<p><a href="{attr(rel(url, UNRESOLVED_URL))}">Unresolved citations</a>: '
        f'<span data-unresolved="{n_unresolved}">{n_unresolved}</span> citations the catalog cannot '
        "place.</p>",
    ]
    yield url, "Guidelines", "".join(parts)


def listings(corpus: Corpus) -> dict[str, Listing]:
    """Every paginated list of the site by key: a rebuild renders only the lists its changes touch."""
    return {**browse_listings(corpus), **guideline_listings(corpus)}


def index_pages(corpus: Corpus) -> Iterator[Page]:
    """The pages every build renders again: the browse and guideline indexes and the statistics."""
    yield browse_index(corpus)
    yield from guideline_indexes(corpus)
    yield statistics_page(corpus)


def _family_row(url: str, g, furl: str, n: int, o: int) -> str:  # type: ignore[no-untyped-def]
    programme = {"mtus": "MTUS", "non-mtus": "Outside the MTUS", "none": "–"}.get(g.program, g.program)
    return (
        f'<tr data-family="{esc(g.id)}" data-items="{n}" data-upheld="{n - o}" data-overturned="{o}">'
        f'<td><a href="{attr(rel(url, furl))}">{esc(g.name)}</a></td><td>{esc(programme)}</td>'
        f"<td>{n}</td><td>{n - o}</td><td>{o}</td><td>{pct(o, n)}</td></tr>"
    )


def statistics_page(corpus: Corpus) -> Page:
    """Items and overturn rate by year, category and guideline chapter; most-cited guideline pages."""
    url = "statistics/"
    vocab = default_vocabulary()
    by_year: dict[str, list[ItemRow]] = defaultdict(list)
    by_cat: dict[str, list[ItemRow]] = defaultdict(list)
    for r in corpus.items:
        by_year[r.date[:4] if r.date else "undated"].append(r)
        by_cat[r.category].append(r)
    n, over = len(corpus.items), _over(corpus.items)
    parts = [
        "<h1>Statistics</h1>",
        "<p>Counts are of disputed items (a decision can decide several). An item is <em>upheld</em> when "
        "the reviewer agreed with the utilization-review denial and <em>overturned</em> when not.</p>",
        counts_line(n, over),
    ]

    years = sorted(by_year)
    parts.append('<h2 id="by-year">By year of decision</h2>')
    parts.append(
        bar_chart(
            "Items and overturn rate by year",
            [Bar(y, len(by_year[y]) - _over(by_year[y]), _over(by_year[y])) for y in years],
            label_width=120,
        )
    )
    parts.append(
        stats_table("Year", [(esc(y), len(by_year[y]), _over(by_year[y]), y) for y in years], "year")
    )

    cats = [c for c in vocab.category_names() if c in by_cat]
    parts.append('<h2 id="by-category">By treatment category (inferred)</h2>')
    parts.append(f'<p class="imrkb-note">{esc(vocab.inferred_note)}</p>')
    parts.append(
        bar_chart(
            "Items and overturn rate by treatment category",
            [Bar(c, len(by_cat[c]) - _over(by_cat[c]), _over(by_cat[c])) for c in cats],
        )
    )
    parts.append(
        stats_table(
            "Category",
            [
                (
                    f'<a href="{attr(rel(url, category_url(c)))}">{esc(c)}</a>',
                    len(by_cat[c]),
                    _over(by_cat[c]),
                    c,
                )
                for c in cats
            ],
            "category",
        )
    )

    unit_rows = []
    for key in corpus.units:
        info = unit_info(key, corpus.catalog)
        un, uo = _unit_counts(corpus, key)
        label = f"{info.family}: {info.title}" if key.slug else info.family
        unit_rows.append((label, key, un, uo))
    unit_rows.sort(key=lambda t: (-t[2], t[0]))
    parts.append('<h2 id="by-guideline">By guideline chapter or topic</h2>')
    parts.append(
        "<p>Items citing each guideline chapter or topic (either side). The chart shows the 25 most "
        "cited; the table lists all.</p>"
    )
    parts.append(
        bar_chart(
            "Items and overturn rate by guideline chapter or topic (25 most cited)",
            [Bar(lbl, n_ - o_, o_) for lbl, _, n_, o_ in unit_rows[:25]],
            label_width=320,
        )
    )
    parts.append(
        stats_table(
            "Guideline chapter or topic",
            [
                (f'<a href="{attr(rel(url, k.url))}">{esc(lbl)}</a>', n_, o_, k.url)
                for lbl, k, n_, o_ in unit_rows
            ],
            "unit",
        )
    )

    groups = []
    for key, aggs in corpus.units.items():
        info = unit_info(key, corpus.catalog)
        for agg in aggs.values():
            if agg.group.slug == "whole":
                continue
            go = sum(1 for r, _ in agg.rows if r.outcome == "overturned")
            label = f"{info.family}: {info.title if key.slug else ''} {agg.group.label}".replace(":  ", ": ")
            groups.append((label, f"{key.url}#{agg.group.anchor}", len(agg.rows), go))
    groups.sort(key=lambda t: (-t[2], t[0]))
    parts.append('<h2 id="most-cited">Most-cited guideline pages and topics</h2>')
    parts.append(
        stats_table(
            "Guideline page or topic",
            [(f'<a href="{attr(rel(url, u))}">{esc(lbl)}</a>', gn, go, u) for lbl, u, gn, go in groups[:25]],
            "cited",
        )
    )
    return url, "Statistics", "".join(parts)


def home_counts(decisions: int, items: int, overturned: int, synthetic: int, span: str) -> str:
    """The home page's one line of corpus counts (also the sharded site's, from the shards' summaries)."""
    return (
        f'<p class="imrkb-home-counts" data-decisions="{decisions}" data-items="{items}" '
        f'data-overturned="{overturned}"><strong>{decisions}</strong> decisions · <strong>{items}</strong> '
        f"items · {items - overturned} upheld · {overturned} overturned ({pct(overturned, items)}) · "
        f"decided {esc(span)}" + (f" · {synthetic} synthetic" if synthetic else "") + "</p>"
    )


def home_fragments(corpus: Corpus) -> dict[str, str]:
    """HTML inserted into the hand-written home page: corpus counts and the newest decisions."""
    n_dec = len(corpus.decisions)
    n, over = len(corpus.items), _over(corpus.items)
    syn = sum(1 for d in corpus.decisions if d.synthetic)
    dates = sorted(d.date for d in corpus.decisions if d.date)
    span = f"{dates[0]} to {dates[-1]}" if dates else "no dated decisions"
    stats = home_counts(n_dec, n, over, syn, span)
    newest = sorted(corpus.decisions, key=newest_first_key)[:10]
    return {"home-stats": stats, "home-newest": decision_table(newest, "")}
