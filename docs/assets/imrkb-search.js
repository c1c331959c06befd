// imrkb search page: a small client for Pagefind's JS API (pagefind/pagefind.js, built by `imrkb build`).
// Loaded on every page as a module; does nothing unless the page has #imrkb-search.
// Result text is put into the page as text nodes only (excerpt <mark> highlights are rebuilt as elements).

import { openIndex } from "./imrkb-pagefind.js";

const PAGE = 20;
// A search first reads the newest chunk of the index, and up to AUTO chunks while it has fewer than a
// page of results; the older ones only when asked ("Search all decisions"), so a first search
// downloads a few chunks' files, not every chunk's. (A search with one filter and no words needs no
// such limit: the index's manifest counts its results, and a chunk is read when its results are shown.)
const AUTO = 3;
const root = new URL("..", import.meta.url);
const box = document.getElementById("imrkb-search");

function setStatus(text) {
  document.getElementById("imrkb-status").textContent = text;
}

// Copy the text of an excerpt and its <mark> highlights into `target`; drop everything else.
function appendExcerpt(target, html) {
  const doc = new DOMParser().parseFromString(`<p>${html}</p>`, "text/html");
  for (const node of doc.body.firstChild.childNodes) {
    if (node.nodeType === Node.TEXT_NODE) {
      target.append(node.textContent);
    } else if (node.nodeName === "MARK") {
      const m = document.createElement("mark");
      m.textContent = node.textContent;
      target.append(m);
    } else {
      target.append(node.textContent || "");
    }
  }
}

function resultItem(data) {
  const li = document.createElement("li");
  const a = document.createElement("a");
  a.href = data.url;
  a.textContent = (data.meta && data.meta.title) || data.url;
  li.append(a);
  const meta = document.createElement("span");
  meta.className = "imrkb-result-meta";
  meta.textContent = [data.meta.date, data.meta.outcome].filter(Boolean).join(" · ");
  li.append(meta);
  const p = document.createElement("p");
  appendExcerpt(p, data.excerpt || "");
  li.append(p);
  return li;
}

async function main() {
  const form = box.querySelector("form");
  const q = form.elements.q;
  const selects = [...form.querySelectorAll("select[data-filter]")];
  const sortSel = form.elements.sort;
  const list = document.getElementById("imrkb-results");
  const more = document.getElementById("imrkb-more");
  const older = document.getElementById("imrkb-older");

  let pagefind;
  try {
    pagefind = await openIndex(root, { excerptLength: 40 });
  } catch (e) {
    setStatus("The search index is missing: build the site with `imrkb build`.");
    return;
  }

  const params = new URLSearchParams(location.search);
  const available = await pagefind.filters();
  for (const sel of selects) {
    const key = sel.dataset.filter;
    const values = Object.entries(available[key] || {}).sort((a, b) => a[0].localeCompare(b[0]));
    if (key === "year") values.reverse();
    for (const [value, count] of values) {
      const opt = document.createElement("option");
      opt.value = value;
      opt.textContent = `${value} (${count})`;
      sel.append(opt);
    }
    sel.value = params.get(key) || "";
  }
  q.value = params.get("q") || "";
  sortSel.value = params.get("sort") || "";

  let results = [];
  let shown = 0;
  let generation = 0;

  async function showMore() {
    const batch = results.slice(shown, shown + PAGE);
    const mine = generation;
    const data = await Promise.all(batch.map((r) => r.data()));
    if (mine !== generation) return;
    for (const d of data) list.append(resultItem(d));
    shown += batch.length;
    more.hidden = shown >= results.length;
  }

  async function run(everything = false) {
    const term = q.value.trim();
    const filters = {};
    const url = new URLSearchParams();
    if (term) url.set("q", term);
    for (const sel of selects) {
      if (sel.value) {
        filters[sel.dataset.filter] = sel.value;
        url.set(sel.dataset.filter, sel.value);
      }
    }
    let sort;
    if (sortSel.value) url.set("sort", sortSel.value);
    if (sortSel.value === "newest" || (!term && !sortSel.value)) sort = { date: "desc" };
    if (sortSel.value === "oldest") sort = { date: "asc" };
    history.replaceState(null, "", url.toString() ? `?${url}` : location.pathname);
    generation += 1;
    const mine = generation;
    list.replaceChildren();
    shown = 0;
    older.hidden = true;
    if (!term && Object.keys(filters).length === 0) {
      results = [];
      more.hidden = true;
      setStatus("Type words to search, or choose a filter.");
      return;
    }
    setStatus("Searching…");
    let res;
    for (let chunks = everything ? 0 : 1; ; chunks += 1) {
      res = await pagefind.search(term || null, { filters, sort, chunks });
      if (!res.left || chunks === 0 || chunks >= AUTO || res.results.length >= PAGE) break;
    }
    if (mine !== generation) return;
    results = res.results;
    const n = results.length;
    const found = `${n} decision${n === 1 ? "" : "s"} found${term ? ` for “${term}”` : ""}`;
    if (res.left) {
      const { oldest, newest } = res.searched;
      const [which, rest] = sort && sort.date === "asc" ? ["oldest", "newer"] : ["newest", "older"];
      setStatus(`${found} among the ${which} decisions (dated ${oldest} to ${newest}); ${rest} ones not searched yet.`);
      older.hidden = false;
    } else {
      setStatus(`${found}.`);
    }
    await showMore();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    run();
  });
  for (const sel of [...selects, sortSel]) sel.addEventListener("change", () => run());
  more.addEventListener("click", showMore);
  older.addEventListener("click", () => run(true));
  await run();
}

if (box) main();
