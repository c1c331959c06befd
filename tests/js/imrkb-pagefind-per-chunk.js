// imrkb: one search over the site's chunked Pagefind indexes (built by imrkb/site/searchindex.py).
//
// pagefind/chunks.json lists the chunks newest first, each a run of decision dates with its filter
// counts. openIndex(root, options) returns an object with Pagefind's filters() and search(term, opts):
// filter lists come from the manifest (no index is loaded for them); a search loads and queries only
// the chunks that can match its filters; results are merged by score, or for a date order chunk after
// chunk (each chunk's results are already in that order); a search with filters only asks each chunk
// for the word its manifest says every page has. Sites built with one index still work.
// A sharded site (imrkb build --shards) lists every shard's chunks in its top-level chunks.json.

async function fetchJson(url) {
  try {
    const r = await fetch(url);
    return r.ok ? await r.json() : null;
  } catch (e) {
    return null;
  }
}

function matches(chunk, filters) {
  for (const [key, value] of Object.entries(filters)) {
    const counts = (chunk.filters || {})[key] || {};
    if (!counts[value]) return false;
  }
  return true;
}

function addCounts(into, filters) {
  for (const [key, counts] of Object.entries(filters || {})) {
    into[key] = into[key] || {};
    for (const [value, n] of Object.entries(counts)) into[key][value] = (into[key][value] || 0) + n;
  }
}

// Pagefind answers a word missing from an index with near words (a shorter prefix): "Norco" in a chunk
// without it finds "no". One index over the whole site does that only when no page has the word. So a
// chunk is left out when it lacks a query word that some other chunk has (each word is looked up
// exactly, in quotes, in every chunk: the same index files the search itself loads).
async function withEveryWord(chosen, term, instance) {
  const words = (term || "").trim().split(/\s+/).filter((w) => w && !w.includes('"'));
  if (!words.length || chosen.length < 2 || /^\s*".+"\s*$/.test(term)) return chosen;
  const has = await Promise.all(
    chosen.map(async (c) => {
      const pf = await instance(c);
      return Promise.all(words.map(async (w) => (await pf.search(`"${w}"`)).results.length > 0));
    }),
  );
  const somewhere = words.map((_, i) => has.some((h) => h[i]));
  return chosen.filter((_, k) => words.every((_, i) => !somewhere[i] || has[k][i]));
}

// A search with no words makes Pagefind load every word index of a chunk (~3.5 MB for 5,000 pages).
// A chunk's `every` word is on each of its pages near the top of the text, so a search for it finds
// the same pages in the same order from one small index file, with the same excerpt but for the
// word's highlight, taken out here.
function unmarked(result) {
  const data = result.data;
  return {
    ...result,
    data: async () => {
      const d = await data();
      return { ...d, excerpt: d.excerpt.replace(/<\/?mark>/g, ""), sub_results: [] };
    },
  };
}

export async function openIndex(root, options) {
  const base = new URL("pagefind/", root);
  const manifest = await fetchJson(new URL("chunks.json", base));
  if (!manifest) {
    // One Pagefind index for the whole site (a build from before chunks.json).
    const pagefind = await import(new URL("pagefind.js", base).href);
    await pagefind.options({ baseUrl: root.pathname, ...options });
    return pagefind;
  }
  // `path`: the chunk's folder relative to pagefind/; `site`: the root of the site its URLs are
  // relative to, relative to this site's root (a shard's folder; "" for this site).
  const chunks = manifest.chunks.map((c) => ({
    ...c,
    url: new URL(`${c.path}pagefind.js`, base).href,
    siteBase: new URL(c.site || "", root).pathname,
  }));
  // Each chunk is its own Pagefind module (script, worker and WebAssembly downloaded per chunk: ~160 KB).
  // One module with createInstance per chunk would share the script and worker, but with Pagefind 1.5.2
  // a filter-only search (no words) through a created instance never settles, so it is not used.
  const loaded = new Map();
  async function instance(c) {
    if (!loaded.has(c.url)) {
      loaded.set(
        c.url,
        import(c.url).then(async (pf) => {
          await pf.options({ baseUrl: c.siteBase, ...options });
          return pf;
        }),
      );
    }
    return loaded.get(c.url);
  }
  return {
    chunks,
    async filters() {
      const all = {};
      for (const c of chunks) addCounts(all, c.filters);
      return all;
    },
    async search(term, opts = {}) {
      const filters = opts.filters || {};
      let chosen = chunks.filter((c) => matches(c, filters));
      chosen = await withEveryWord(chosen, term, instance);
      const found = await Promise.all(
        chosen.map(async (c) => {
          if (term !== null || !c.every) return (await (await instance(c)).search(term, opts)).results;
          return (await (await instance(c)).search(c.every, opts)).results.map(unmarked);
        }),
      );
      const sort = opts.sort || {};
      let results;
      if (sort.date === "asc") results = found.reverse().flat();
      else if (sort.date) results = found.flat();
      else results = found.flat().sort((a, b) => b.score - a.score);
      return { results, chunksSearched: chosen.length };
    },
  };
}
