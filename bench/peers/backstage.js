#!/usr/bin/env node
// Backstage's own pieces on a Backstage-format catalog, in one Node process, no database, no HTTP:
//
//   load      every *.yaml under the catalog, parsed with js-yaml (loadAll: multi-document files)
//   validate  every entity through @backstage/catalog-model's policies (default namespace, field
//             formats, no foreign root fields, schema) and the built-in kind validators, as the
//             catalog's processing does; relations derived from spec references (parseEntityRef)
//   index     Backstage's own LunrSearchEngine (@backstage/plugin-search-backend-node): one
//             `software-catalog` index with the documents of the default catalog collator (title,
//             text, componentType, type, namespace, kind, lifecycle, owner, location,
//             authorization) and one `techdocs` index with a document per Markdown section
//             (TechDocs collator fields)
//   search    the fixed query list of Cairn's in-process search bench (benches/search.rs, read
//             from there), each translated into Backstage's query (term, filters, types) and run
//             through LunrSearchEngine.query (translator, every index, sort, page, highlights)
//
// Usage: node backstage.js CATALOG_DIR [--json FILE] [--rounds N]
// Dependencies are installed on first run (`npm ci`, or `npm install` without a lock file).
// Give Node room: NODE_OPTIONS=--max-old-space-size=20000 for 10k+ entities.

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { execSync } = require('node:child_process');

const here = __dirname;

function ensureDeps() {
  try {
    for (const m of ['js-yaml', 'lunr', '@backstage/catalog-model', '@backstage/plugin-search-backend-node']) {
      require.resolve(m, { paths: [here] });
    }
  } catch {
    const cmd = fs.existsSync(path.join(here, 'package-lock.json')) ? 'npm ci' : 'npm install';
    process.stderr.write(`installing dependencies (${cmd}) in ${here}\n`);
    execSync(`${cmd} --no-audit --no-fund --loglevel=error`, { cwd: here, stdio: ['ignore', 2, 2] });
  }
}

function parseArgs(argv) {
  const o = { dir: null, json: null, rounds: 10 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') o.json = argv[++i];
    else if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '-h' || a === '--help') usage();
    else if (!o.dir) o.dir = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!o.dir) usage('CATALOG_DIR is required');
  if (!Number.isInteger(o.rounds) || o.rounds < 1) usage('--rounds takes a positive number');
  return o;
}

function usage(msg) {
  if (msg) process.stderr.write(`error: ${msg}\n`);
  process.stderr.write('usage: node backstage.js CATALOG_DIR [--json FILE] [--rounds N]\n');
  process.exit(2);
}

/** The QUERIES list of benches/search.rs, so both sides always run the same queries. */
function cairnQueries() {
  const file = path.join(here, '..', '..', 'benches', 'search.rs');
  const src = fs.readFileSync(file, 'utf8');
  const m = src.match(/const QUERIES: &\[&str\] = &\[([\s\S]*?)\];/);
  if (!m) throw new Error(`no QUERIES list in ${file}`);
  const lits = m[1].match(/"(?:[^"\\]|\\.)*"/g) || [];
  const qs = lits.map((l) => JSON.parse(l));
  if (qs.length === 0) throw new Error(`empty QUERIES list in ${file}`);
  return qs;
}

/**
 * Cairn's query language → Backstage's SearchQuery. Words stay the term (phrases lose their
 * quotes: Lunr has none); `kind:` maps to Backstage kinds (`doc` → the techdocs index type);
 * `owner:` and `lifecycle:` are fields of the collated documents; filters Backstage's documents
 * have no field for (tier, domain, tag) are dropped and reported.
 */
function translate(q) {
  const words = [];
  const filters = {};
  const dropped = [];
  let types;
  for (const tok of q.match(/"[^"]*"|\S+/g) || []) {
    const kv = tok.match(/^([a-z]+):(.+)$/);
    if (!kv) {
      words.push(tok.replace(/"/g, ''));
      continue;
    }
    const [, key, value] = kv;
    if (key === 'kind') {
      const kinds = { system: 'Component', api: 'API', endpoint: 'API', team: 'Group' };
      if (value === 'doc') types = ['techdocs'];
      else if (kinds[value]) filters.kind = kinds[value];
      else dropped.push(tok);
    } else if (key === 'owner' || key === 'lifecycle') {
      filters[key] = value;
    } else {
      dropped.push(tok);
    }
  }
  return { query: { term: words.join(' '), filters, types, pageLimit: 20 }, dropped };
}

// The default catalog collator's document (plugin-search-backend-module-catalog,
// defaultCatalogCollatorEntityTransformer + location and authorization).
function catalogDocument(model, e) {
  const texts = [e.metadata.description || ''];
  if ((e.kind === 'User' || e.kind === 'Group') && e.spec?.profile?.displayName) {
    texts.push(e.spec.profile.displayName);
  }
  if (e.kind === 'User' && e.spec?.profile?.email) texts.push(e.spec.profile.email);
  const namespace = e.metadata.namespace || 'default';
  return {
    title: e.metadata.title ?? e.metadata.name,
    text: texts.join(' : '),
    componentType: e.spec?.type?.toString() || 'other',
    type: e.spec?.type?.toString() || 'other',
    namespace,
    kind: e.kind,
    lifecycle: e.spec?.lifecycle || '',
    owner: e.spec?.owner || '',
    location: `/catalog/${namespace}/${e.kind.toLocaleLowerCase('en-US')}/${e.metadata.name}`,
    authorization: { resourceRef: model.stringifyEntityRef(e) },
  };
}

// What MkDocs' search index holds for a page: one entry per heading with the text under it.
function markdownSections(md) {
  const out = [];
  let cur = null;
  for (const line of md.split('\n')) {
    const h = line.match(/^(#{1,6})\s+(.*)$/);
    if (h) {
      cur = { title: h[2].trim(), anchor: h[2].trim().toLowerCase().replace(/[^a-z0-9]+/g, '-'), lines: [] };
      out.push(cur);
    } else if (cur) {
      cur.lines.push(line);
    }
  }
  return out.map((s) => ({ title: s.title, location: `#${s.anchor}`, text: s.lines.join(' ').replace(/\s+/g, ' ').trim() }));
}

function techdocsDocuments(model, e, file) {
  const ref = e.metadata.annotations?.['backstage.io/techdocs-ref'];
  if (!ref || !ref.startsWith('dir:')) return [];
  const index = path.join(path.dirname(file), ref.slice(4), 'docs', 'index.md');
  const namespace = e.metadata.namespace || 'default';
  const kind = e.kind.toLocaleLowerCase('en-US');
  return markdownSections(fs.readFileSync(index, 'utf8')).map((s) => ({
    title: s.title,
    text: s.text,
    location: `/docs/${namespace}/${kind}/${e.metadata.name}/${s.location}`,
    path: s.location,
    namespace,
    kind,
    name: e.metadata.name,
    entityTitle: e.metadata.title,
    componentType: e.spec?.type?.toString() || 'other',
    lifecycle: e.spec?.lifecycle || '',
    owner: e.spec?.owner || '',
    authorization: { resourceRef: model.stringifyEntityRef(e) },
  }));
}

function yamlFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const ent of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (ent.name.startsWith('.') || ent.name === 'node_modules') continue;
      const p = path.join(d, ent.name);
      if (ent.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(ent.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

// Relations the catalog's BuiltinKindsEntityProcessor emits from spec references (both directions).
const RELATION_FIELDS = [
  ['owner', 'group', 'ownedBy', 'ownerOf'],
  ['system', 'system', 'partOf', 'hasPart'],
  ['domain', 'domain', 'partOf', 'hasPart'],
  ['providesApis', 'api', 'providesApi', 'apiProvidedBy'],
  ['consumesApis', 'api', 'consumesApi', 'apiConsumedBy'],
  ['dependsOn', 'component', 'dependsOn', 'dependencyOf'],
  ['dependencyOf', 'component', 'dependencyOf', 'dependsOn'],
  ['subcomponentOf', 'component', 'partOf', 'hasPart'],
  ['memberOf', 'group', 'memberOf', 'hasMember'],
  ['members', 'user', 'hasMember', 'memberOf'],
  ['parent', 'group', 'childOf', 'parentOf'],
];

function relationsOf(model, e) {
  const self = model.stringifyEntityRef(e);
  const rels = [];
  for (const [field, defaultKind, fwd, rev] of RELATION_FIELDS) {
    const v = e.spec?.[field];
    if (v === undefined) continue;
    for (const r of Array.isArray(v) ? v : [v]) {
      const target = model.stringifyEntityRef(
        model.parseEntityRef(r, { defaultKind, defaultNamespace: e.metadata.namespace || 'default' }),
      );
      rels.push({ type: fwd, source: self, target }, { type: rev, source: target, target: self });
    }
  }
  return rels;
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function peakRssBytes() {
  // VmHWM: the process's peak resident set size, as /usr/bin/time reports it.
  const m = fs.readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : null;
}

async function indexAll(engine, type, docs) {
  const indexer = await engine.getIndexer(type);
  await new Promise((resolve, reject) => {
    indexer.on('error', reject);
    indexer.on('close', resolve);
    for (const d of docs) indexer.write(d);
    indexer.end();
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureDeps();
  const yaml = require('js-yaml');
  const model = require('@backstage/catalog-model');
  const { LunrSearchEngine } = require('@backstage/plugin-search-backend-node');
  const queries = cairnQueries();
  const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
  const mb = (b) => (b / 1048576).toFixed(0);
  const log = (s) => process.stdout.write(`${s}\n`);
  log(`Backstage pieces on ${opts.dir} (node ${process.version})`);

  // Load.
  let t0 = process.hrtime.bigint();
  const files = yamlFiles(opts.dir);
  const entities = [];
  for (const f of files) {
    for (const doc of yaml.loadAll(fs.readFileSync(f, 'utf8'))) {
      if (doc && typeof doc === 'object') entities.push({ entity: doc, file: f });
    }
  }
  const loadMs = ms(t0);
  log(`  load (js-yaml, ${files.length} files, ${entities.length} entities): ${Math.round(loadMs)} ms`);

  // Validate and relate.
  t0 = process.hrtime.bigint();
  const policy = model.EntityPolicies.allOf([
    new model.DefaultNamespaceEntityPolicy(),
    new model.FieldFormatEntityPolicy(),
    new model.NoForeignRootFieldsEntityPolicy(),
    new model.SchemaValidEntityPolicy(),
  ]);
  const validators = [
    model.apiEntityV1alpha1Validator,
    model.componentEntityV1alpha1Validator,
    model.domainEntityV1alpha1Validator,
    model.groupEntityV1alpha1Validator,
    model.locationEntityV1alpha1Validator,
    model.resourceEntityV1alpha1Validator,
    model.systemEntityV1alpha1Validator,
    model.userEntityV1alpha1Validator,
  ];
  let invalid = 0;
  let relations = 0;
  const valid = [];
  for (const item of entities) {
    try {
      const e = await policy.enforce(item.entity);
      let matched = false;
      for (const v of validators) {
        if (await v.check(e)) matched = true;
      }
      if (!matched) throw new Error(`no validator accepts kind ${e.kind}`);
      relations += relationsOf(model, e).length;
      valid.push({ entity: e, file: item.file });
    } catch (err) {
      invalid++;
      if (invalid <= 5) process.stderr.write(`invalid entity in ${item.file}: ${err.message}\n`);
    }
  }
  const validateMs = ms(t0);
  log(`  validate (catalog-model policies + kind validators; ${relations} relations, ${invalid} invalid): ${Math.round(validateMs)} ms`);

  // Collate and index with Backstage's LunrSearchEngine.
  t0 = process.hrtime.bigint();
  const silent = { error() {}, warn() {}, info() {}, debug() {}, child() { return silent; } };
  const engine = new LunrSearchEngine({ logger: silent });
  const catalogDocs = valid.map(({ entity }) => catalogDocument(model, entity));
  const docsDocs = valid.flatMap(({ entity, file }) => techdocsDocuments(model, entity, file));
  await indexAll(engine, 'software-catalog', catalogDocs);
  await indexAll(engine, 'techdocs', docsDocs);
  const indexMs = ms(t0);
  const rssAfterIndex = process.memoryUsage().rss;
  log(`  index (LunrSearchEngine: ${catalogDocs.length} catalog + ${docsDocs.length} techdocs documents): ${Math.round(indexMs)} ms`);
  log(`  ready (load + validate + index): ${Math.round(loadMs + validateMs + indexMs)} ms`);
  log(`  memory: RSS after indexing ${mb(rssAfterIndex)} MB, peak so far ${mb(peakRssBytes())} MB`);

  // Search: warm-up, then every query `rounds` times (as benches/search.rs does).
  const translated = queries.map((q) => ({ q, ...translate(q) }));
  const hits = [];
  for (const t of translated) {
    const r = await engine.query(t.query);
    hits.push(r.numberOfResults);
  }
  const times = [];
  for (let round = 0; round < opts.rounds; round++) {
    for (const t of translated) {
      const s = process.hrtime.bigint();
      await engine.query(t.query);
      times.push(ms(s));
    }
  }
  times.sort((a, b) => a - b);
  const per = [];
  for (const t of translated) {
    const s = process.hrtime.bigint();
    await engine.query(t.query);
    per.push(ms(s));
  }

  const result = {
    catalog: opts.dir,
    files: files.length,
    entities: entities.length,
    invalid,
    relations,
    documents: { 'software-catalog': catalogDocs.length, techdocs: docsDocs.length },
    load_ms: Math.round(loadMs),
    validate_ms: Math.round(validateMs),
    index_ms: Math.round(indexMs),
    ready_ms: Math.round(loadMs + validateMs + indexMs),
    rss_after_index_bytes: rssAfterIndex,
    peak_rss_bytes: peakRssBytes(),
    search: {
      queries: queries.length,
      rounds: opts.rounds,
      p50_ms: pct(times, 0.5),
      p95_ms: pct(times, 0.95),
      p99_ms: pct(times, 0.99),
      max_ms: times[times.length - 1],
    },
    node: process.version,
  };

  log(`  memory: peak ${mb(result.peak_rss_bytes)} MB (with searching)`);
  const f = (x) => x.toFixed(2);
  log(`  search over ${queries.length} queries x${opts.rounds}: p50 ${f(result.search.p50_ms)} ms, p95 ${f(result.search.p95_ms)} ms, p99 ${f(result.search.p99_ms)} ms, max ${f(result.search.max_ms)} ms`);
  translated.forEach((t, i) => {
    const note = t.dropped.length ? `   (dropped: ${t.dropped.join(' ')})` : '';
    log(`  ${f(per[i]).padStart(9)} ms  ${String(hits[i]).padStart(6)} hits  ${t.q}${note}`);
  });
  if (opts.json) fs.writeFileSync(opts.json, JSON.stringify(result, null, 2) + '\n');
}

main().catch((err) => {
  process.stderr.write(`error: ${err.stack || err}\n`);
  process.exit(1);
});
