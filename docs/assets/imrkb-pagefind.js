// imrkb: one search over the site's chunked Pagefind indexes (built by imrkb/site/searchindex.py).
//
// pagefind/chunks.json lists the chunks newest first, each a run of decision dates with its filter
// counts. openIndex(root, options) returns an object with Pagefind's filters() and search(term, opts):
// filter lists come from the manifest (no index is loaded for them); a search loads and queries only
// the chunks that can match its filters; results are merged by score, or for a date order chunk after
// chunk (each chunk's results are already in that order); a search with words, or with filters whose
// counts the manifest cannot give (two or more), may be limited to the newest chunks (opts.chunks; the
// page searches older ones on request); a search with filters only asks each chunk
// for the word its manifest says every page has, and, when the manifest's counts say how many pages
// each chunk has for it (one filter), loads a chunk only when its results are shown. All chunks share
// one Pagefind runtime: one script, one WebAssembly download, no worker. Sites built with one index
// still work. A sharded site (imrkb build --shards) lists every shard's chunks in its top-level
// chunks.json.

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

// One Pagefind module for every chunk (each chunk's pagefind.js is the same file): a chunk is an
// instance of it (createInstance), searched on the page's own thread (no worker to download). Each
// instance fetches the WebAssembly from its own folder; the files are the same (one Pagefind version
// builds every chunk), so the first download answers them all.
function sharedRuntime(chunks) {
  const folders = chunks.map((c) => new URL(c.url).pathname.replace(/pagefind\.js$/, ""));
  const fetchOne = globalThis.fetch.bind(globalThis);
  const wasm = new Map();
  globalThis.fetch = (input, init) => {
    const url = new URL(typeof input === "string" ? input : input.url, location.href);
    const m = url.pathname.match(/^(.*\/)(wasm\.[^/]+\.pagefind)$/);
    if (!m || url.origin !== location.origin || !folders.includes(m[1])) return fetchOne(input, init);
    if (!wasm.has(m[2])) wasm.set(m[2], fetchOne(input, init));
    return wasm.get(m[2]).then((r) => r.clone());
  };
  return import(chunks[0].url);
}

// How many results each chunk has for a search with only `filters` (one filter: the manifest's count
// of its value, every page of the chunk having the `every` word); null when the manifest cannot say.
function knownCounts(chosen, filters) {
  const keys = Object.keys(filters);
  if (keys.length !== 1 || !chosen.every((c) => c.every)) return null;
  return chosen.map((c) => c.filters[keys[0]][filters[keys[0]]]);
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
  const runtime = sharedRuntime(chunks);
  const loaded = new Map();
  // The instances share the module's one WebAssembly instance: only the first to be made may start
  // it (two at once would make two, and the pages of the first would point into the wrong memory),
  // so the others are made when it has (an empty search waits for that and loads nothing).
  let started = null;
  function instance(c) {
    if (!loaded.has(c.url)) {
      const basePath = new URL(c.path, base).pathname;
      const make = (pf) => pf.createInstance({ ...options, basePath, baseUrl: c.siteBase, noWorker: true });
      let made;
      if (started === null) {
        made = runtime.then(make);
        started = made.then((pf) => pf.search(""));
      } else {
        made = Promise.all([runtime, started]).then(([pf]) => make(pf));
      }
      loaded.set(c.url, made);
    }
    return loaded.get(c.url);
  }
  // A chunk's results for a search, once (a lazy search's shown results come from them page by page).
  function searcher(term, opts) {
    const found = new Map();
    return (c) => {
      if (!found.has(c.url)) {
        found.set(
          c.url,
          instance(c).then(async (pf) => {
            if (term !== null || !c.every) return (await pf.search(term, opts)).results;
            return (await pf.search(c.every, opts)).results.map(unmarked);
          }),
        );
      }
      return found.get(c.url);
    };
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
      const sort = opts.sort || {};
      let chosen = chunks.filter((c) => matches(c, filters));
      const resultsOf = searcher(term, opts);
      const counts = term === null && sort.date ? knownCounts(chosen, filters) : null;
      if (counts) {
        // Date order, chunk after chunk, and each chunk's count known: a result stands in for the
        // chunk's result at its place until shown (its data() searches that chunk, once).
        const order = sort.date === "asc" ? [...chosen.keys()].reverse() : [...chosen.keys()];
        const results = order.flatMap((k) =>
          Array.from({ length: counts[k] }, (_, i) => ({
            data: async () => {
              const found = await resultsOf(chosen[k]);
              if (found.length !== counts[k]) {
                throw new Error(`${chosen[k].path}: ${found.length} results, the manifest says ${counts[k]}`);
              }
              return found[i].data();
            },
          })),
        );
        return { results, chunksSearched: 0 };
      }
      // `opts.chunks`: a search read chunk by chunk (words, or filters with no known counts) reads at
      // most that many of the chosen chunks, the newest (the oldest for an oldest-first order);
      // `searched` says which dates they cover and `left` how many chunks were not read.
      let left = 0;
      if (opts.chunks > 0 && opts.chunks < chosen.length) {
        left = chosen.length - opts.chunks;
        chosen = sort.date === "asc" ? chosen.slice(left) : chosen.slice(0, opts.chunks);
      }
      const searched = {
        newest: chosen.reduce((d, c) => (c.newest > d ? c.newest : d), ""),
        oldest: chosen.reduce((d, c) => (d === "" || c.oldest < d ? c.oldest : d), ""),
      };
      chosen = await withEveryWord(chosen, term, instance);
      const found = await Promise.all(chosen.map(resultsOf));
      let results;
      if (sort.date === "asc") results = found.reverse().flat();
      else if (sort.date) results = found.flat();
      else results = found.flat().sort((a, b) => b.score - a.score);
      return { results, chunksSearched: chosen.length, left, searched };
    },
  };
}
