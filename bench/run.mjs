// allocscope's benchmark runner (see bench/README.md). Run by scripts/bench.sh after it has
// built target/bench/site/ (the decode page and its wasm) and dist/ (the app):
//
//   node bench/run.mjs
//
// Generates the data it lacks (scripts/gen_bench.py, seed 42) into target/bench/data/, serves
// everything on 127.0.0.1:8870 (BENCH_PORT), drives headless Chromium through Playwright,
// prints one line per measure (`name value unit`, with the budget and PASS/OVER where the
// issue sets one) and writes the same figures to target/bench/results.json.
//
// Exit status: 0 when every figure was measured (whether or not within budget: this is a
// report), 1 when a measure failed or could not be taken.
//
// Environment: BENCH_PORT (8870), BENCH_CHROMIUM (/usr/bin/chromium), BENCH_RUNS (7, decode
// runs per size), BENCH_SEED (42), BENCH_DIST (dist).

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(root, 'target', 'bench');
const SITE = path.join(OUT, 'site');
const DATA = path.join(OUT, 'data');
const DIST = path.resolve(root, process.env.BENCH_DIST || 'dist');
const PORT = Number(process.env.BENCH_PORT || 8870);
const HOST = '127.0.0.1';
const ORIGIN = `http://${HOST}:${PORT}`;
const CHROMIUM = process.env.BENCH_CHROMIUM || '/usr/bin/chromium';
const RUNS = Number(process.env.BENCH_RUNS || 7);
const SEED = Number(process.env.BENCH_SEED || 42);
// Parts to run (all by default): BENCH_ONLY=decode,app,live,size; app sizes: BENCH_APP=10k,100k.
const ONLY = new Set((process.env.BENCH_ONLY || 'decode,app,live,size').split(','));
const APP_SIZES = (process.env.BENCH_APP || '10k,100k').split(',');
const SIZES = { '5k': 5000, '10k': 10000, '20k': 20000, '50k': 50000, '100k': 100000 };
// The Nomad API double (crates/nomad-double, built by scripts/bench.sh) for the paged list.
const DOUBLE = path.join(root, 'target', 'release', 'nomad-double');
const DOUBLE_PORT = PORT + 1;

const results = {};
const problems = [];

function say(msg) {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** Record and print one figure. `budget`: { max, unit? } (the figure must not exceed max). */
function report(name, value, unit, budget) {
  const entry = { value, unit };
  let line = `${name} ${fmt(value)} ${unit}`;
  if (budget) {
    entry.budget = budget.max;
    entry.pass = value <= budget.max;
    line += `  (budget ${fmt(budget.max)} ${unit}: ${entry.pass ? 'PASS' : 'OVER'})`;
  }
  results[name] = entry;
  console.log(line);
}

function reportNA(name, unit, why) {
  results[name] = { value: null, unit, note: why };
  console.log(`${name} n/a ${unit}  (${why})`);
}

function fail(name, unit, err) {
  const why = String(err && err.message ? err.message : err).split('\n')[0];
  problems.push(`${name}: ${why}`);
  results[name] = { value: null, unit, error: why };
  console.log(`${name} ERROR ${unit}  (${why})`);
}

const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 1 : v >= 10 ? 2 : 3));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// ---------------------------------------------------------------------------------------------
// Preconditions and data
// ---------------------------------------------------------------------------------------------

function need(file, hint) {
  if (!fs.existsSync(file)) {
    console.error(`bench: ${path.relative(root, file)} is missing: ${hint}`);
    process.exit(1);
  }
}
need(path.join(SITE, 'index.html'), 'run scripts/bench.sh (it builds the decode page)');
need(path.join(SITE, 'pkg', 'allocscope_bench_bg.wasm'), 'run scripts/bench.sh (it builds the bench wasm)');
need(path.join(DIST, 'index.html'), 'run trunk build --release, or scripts/bench.sh --build');
need(CHROMIUM, 'install Debian chromium (scripts/install-tools.sh --browser) or set BENCH_CHROMIUM');
if (ONLY.has('live')) need(DOUBLE, 'run scripts/bench.sh (it builds the Nomad API double)');

const bytesPerStub = {};
for (const [label, count] of Object.entries(SIZES)) {
  const file = path.join(DATA, `${label}.json`);
  const stamp = `${file}.seed`;
  const fresh = fs.existsSync(file) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === `${SEED} ${count}`;
  if (!fresh) {
    say(`generating ${path.relative(root, file)} (${count} stubs, seed ${SEED})`);
    execFileSync('python3', [path.join(root, 'scripts', 'gen_bench.py'), '--seed', String(SEED), '--count', String(count), '--out', file], { stdio: 'inherit' });
    fs.writeFileSync(stamp, `${SEED} ${count}`);
  }
  bytesPerStub[label] = fs.statSync(file).size / count;
}

// ---------------------------------------------------------------------------------------------
// Server: /bench/ the decode page, /bench/data/ the data, /app/ dist/, /snapNk/v1/allocations
// ---------------------------------------------------------------------------------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '': 'application/json',
};

function serveFile(req, res, base, rel) {
  const file = path.resolve(base, '.' + path.posix.normalize('/' + rel));
  if (file !== base && !file.startsWith(base + path.sep)) return notFound(res);
  let target = file;
  let st;
  try {
    st = fs.statSync(target);
    if (st.isDirectory()) {
      target = path.join(target, 'index.html');
      st = fs.statSync(target);
    }
  } catch {
    return notFound(res);
  }
  res.writeHead(200, {
    'Content-Type': TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': st.size,
    'Cache-Control': 'no-store',
  });
  if (req.method === 'HEAD') return res.end();
  fs.createReadStream(target).pipe(res);
}

function notFound(res) {
  res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 9 });
  res.end('not found');
}

const server = http.createServer((req, res) => {
  const pathname = decodeURIComponent(new URL(req.url, ORIGIN).pathname);
  const snap = /^\/snap(10k|100k)\/v1\/allocations$/.exec(pathname);
  if (snap) return serveFile(req, res, DATA, `${snap[1]}.json`);
  if (pathname.startsWith('/bench/data/')) return serveFile(req, res, DATA, pathname.slice('/bench/data/'.length));
  if (pathname.startsWith('/bench/')) return serveFile(req, res, SITE, pathname.slice('/bench/'.length));
  if (pathname.startsWith('/app/')) return serveFile(req, res, DIST, pathname.slice('/app/'.length));
  return notFound(res);
});
await new Promise((resolve, reject) => {
  server.once('error', (e) => reject(new Error(`bench server on ${ORIGIN}: ${e.message}`)));
  server.listen(PORT, HOST, resolve);
}).catch((e) => {
  console.error(e.message);
  process.exit(1);
});

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--js-flags=--expose-gc',
  ],
});

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'light', locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  page.on('pageerror', (e) => say(`page error: ${e.message}`));
  return { context, page };
}

try {
  for (const [label, per] of Object.entries(bytesPerStub)) report(`data_${label}_bytes_per_stub`, Math.round(per), 'B');

  // -------------------------------------------------------------------------------------------
  // 1. Decode: allocscope_model::decode (wasm) against JSON.parse, in one page
  // -------------------------------------------------------------------------------------------
  if (ONLY.has('decode')) {
    say(`decode page: 5k and 50k, ${RUNS} runs each`);
    const { context, page } = await newPage();
    try {
      await page.goto(`${ORIGIN}/bench/index.html`);
      const r = await page.evaluate(
        (runs) =>
          window.runBench({
            runs,
            sizes: [
              { label: '5k', url: 'data/5k.json', swb: true },
              { label: '50k', url: 'data/50k.json' },
            ],
          }),
        RUNS,
      );
      results._decode_raw = r;
      if (!r.gc_exposed) say('warning: gc() not exposed; runs are not separated by a collection');
      for (const label of ['5k', '50k']) {
        const s = r.sizes[label];
        report(`jsonparse_${label}_ms`, s.jsonparse_ms, 'ms');
        report(`textdecoder_${label}_ms`, s.textdecode_ms, 'ms');
        report(`decode_${label}_ms`, s.decode_ms, 'ms');
        report(`decode_${label}_ratio`, s.ratio, 'x', { max: 1.5 });
        report(`decode_${label}_ratio_vs_textdecoder_jsonparse`, s.ratio_with_textdecode, 'x');
        if (s.swb_ms !== undefined) {
          if (s.swb_kind === 'typed') {
            report(`swb_${label}_ms`, s.swb_ms, 'ms');
            report(`swb_${label}_convert_ms`, s.swb_convert_ms, 'ms');
          } else {
            say(`serde-wasm-bindgen into typed Allocations failed: ${s.swb_error}`);
            results[`swb_${label}_typed_error`] = { value: null, unit: '', error: s.swb_error };
            console.log(`swb_${label}_typed n/a ms  (${s.swb_error})`);
            report(`swb_value_${label}_ms`, s.swb_ms, 'ms');
            report(`swb_value_${label}_convert_ms`, s.swb_convert_ms, 'ms');
          }
        }
      }
      report('bench_wasm_memory_after_50k_mb', r.sizes['50k'].wasm_memory_bytes / 2 ** 20, 'MB');
    } catch (e) {
      fail('decode', 'ms', e);
    } finally {
      await context.close();
    }
  }

  // -------------------------------------------------------------------------------------------
  // 2. The app on 10k and 100k snapshots: first rows, DOM rows, filter latency, wasm memory
  // -------------------------------------------------------------------------------------------
  const searchTerm = pickSearchTerm(path.join(DATA, '10k.json'));
  results._search_term = searchTerm;
  for (const label of ONLY.has('app') ? APP_SIZES : []) {
    say(`app: ${label} snapshot`);
    const { context, page } = await newPage();
    try {
      await page.addInitScript(() => {
        // First `table.allocs tbody tr` in the DOM: when it is inserted (mutation) and the
        // end of the frame that paints it (requestAnimationFrame, then a task).
        window.__bench = { firstRowDom: null, firstRowPainted: null };
        const obs = new MutationObserver(() => {
          if (window.__bench.firstRowDom !== null) return;
          if (!document.querySelector('table.allocs tbody tr')) return;
          window.__bench.firstRowDom = performance.now();
          obs.disconnect();
          requestAnimationFrame(() => setTimeout(() => (window.__bench.firstRowPainted = performance.now()), 0));
        });
        obs.observe(document, { childList: true, subtree: true });
      });
      const url = `${ORIGIN}/app/index.html?source=${encodeURIComponent(`/snap${label}/`)}#/allocations`;
      await page.goto(url);
      await page.waitForFunction(() => window.__bench.firstRowPainted !== null, null, { timeout: 300_000, polling: 100 });
      // A streamed list paints rows before its response ends, and a resource timing entry
      // exists only once the response has ended: wait for it.
      await page.waitForFunction(
        () => performance.getEntriesByType('resource').some((e) => new URL(e.name).pathname.endsWith('/v1/allocations')),
        null,
        { timeout: 300_000, polling: 100 },
      );
      const t = await page.evaluate(() => {
        const entries = performance
          .getEntriesByType('resource')
          .filter((e) => /\/v1\/allocations(\?|$)/.test(new URL(e.name).pathname + new URL(e.name).search));
        return {
          ...window.__bench,
          responseEnd: entries.length ? Math.max(...entries.map((e) => e.responseEnd)) : null,
          responseStart: entries.length ? Math.min(...entries.map((e) => e.responseStart)) : null,
          requests: entries.map((e) => e.name),
        };
      });
      if (t.responseEnd === null) throw new Error('no v1/allocations request in the resource timing');
      results[`_app_${label}_timing`] = t;
      report(`first_rows_${label}_ms`, t.firstRowPainted - t.responseEnd, 'ms', label === '100k' ? { max: 500 } : undefined);
      report(`first_rows_${label}_dom_ms`, t.firstRowDom - t.responseEnd, 'ms');
      // The list streams: rows can be painted before the last byte (a negative figure above).
      report(`first_rows_${label}_after_first_byte_ms`, t.firstRowPainted - t.responseStart, 'ms');
      report(`body_${label}_download_ms`, t.responseEnd - t.responseStart, 'ms');
      report(`fetch_${label}_response_end_ms`, t.responseEnd, 'ms');

      // Settled: no DOM change for 500 ms.
      await settle(page);
      const domRows = await page.locator('table.allocs tbody tr').count();
      report(`dom_rows_${label}`, domRows, 'rows');

      const mem = await page.evaluate(() => globalThis.__allocscopeWasmMemory?.buffer?.byteLength ?? null);
      if (mem === null) reportNA(`wasm_memory_${label}_mb`, 'MB', 'globalThis.__allocscopeWasmMemory is not set by this build');
      else report(`wasm_memory_${label}_mb`, mem / 2 ** 20, 'MB', label === '100k' ? { max: 400 } : undefined);

      const f = await filterLatency(page, searchTerm);
      results[`_filter_${label}`] = f;
      const seen = new Set(f.map((k) => `${k.rows}|${k.summary}`));
      if (seen.size < 2) say(`warning: the list looked the same after every keystroke (${[...seen][0]}): is the search applied?`);
      report(`filter_${label}_median_ms`, median(f.map((k) => k.ms)), 'ms', { max: label === '10k' ? 16 : 50 });
      report(`filter_${label}_max_ms`, Math.max(...f.map((k) => k.ms)), 'ms');
    } catch (e) {
      fail(`app_${label}`, 'ms', e);
    } finally {
      await context.close();
    }
  }

  // -------------------------------------------------------------------------------------------
  // 3. A live agent's paged list: 20k allocations from the Nomad API double, read page by page
  // -------------------------------------------------------------------------------------------
  if (ONLY.has('live')) {
    say('live: the paged list of 20k allocations from the Nomad API double');
    let double = null;
    try {
      const snapshot = doubleSnapshot(path.join(DATA, '20k.json'), path.join(OUT, 'double20k'));
      double = await startDouble(snapshot);
      const runs = [];
      for (let i = 0; i < 3; i++) {
        for (const later of [null, 500]) runs.push({ later, ...(await pagedLoad(later)) });
      }
      results._live_paged_20k = runs;
      const ours = runs.filter((r) => r.later === null);
      const small = runs.filter((r) => r.later === 500);
      report('live_paged_20k_rows', ours[0].rows, 'rows');
      report('live_paged_20k_requests', ours[0].requests, 'requests');
      report('live_paged_20k_first_rows_ms', median(ours.map((r) => r.first)), 'ms');
      report('live_paged_20k_all_rows_ms', median(ours.map((r) => r.all)), 'ms');
      // What the page size buys: the same with every later page asked for 500 at a time.
      report('live_paged_20k_requests_pages_of_500', small[0].requests, 'requests');
      report('live_paged_20k_all_rows_pages_of_500_ms', median(small.map((r) => r.all)), 'ms');

      // A change on the agent: one allocation fails. With the event stream, and with the
      // stream refused (404, as an agent without one), which falls back to blocking queries.
      const ids = JSON.parse(fs.readFileSync(path.join(DATA, '20k.json'), 'utf8'))
        .filter((a) => (a.Namespace || 'default') === 'default' && a.ClientStatus === 'running')
        .map((a) => a.ID);
      const changes = [];
      for (let i = 0; i < 3; i++) {
        for (const stream of [true, false]) changes.push({ stream, ...(await liveChange(ids[changes.length], stream)) });
      }
      results._live_change_20k = changes;
      for (const [stream, name] of [[true, 'event_stream'], [false, 'blocking_query']]) {
        const runs = changes.filter((c) => c.stream === stream);
        report(`live_change_20k_${name}_ms`, median(runs.map((c) => c.ms)), 'ms');
        report(`live_change_20k_${name}_list_bytes`, median(runs.map((c) => c.bytes)), 'B');
      }
    } catch (e) {
      fail('live_paged_20k', 'ms', e);
    } finally {
      double?.kill();
    }
  }

  // -------------------------------------------------------------------------------------------
  // 4. First visit of the standalone app: gzip -9 of what index.html loads
  // -------------------------------------------------------------------------------------------
  if (ONLY.has('size')) {
    const files = { html: 'index.html', js: 'allocscope-app.js', wasm: 'allocscope-app_bg.wasm', css: 'app.css' };
    let sum = 0;
    let raw = 0;
    for (const [key, file] of Object.entries(files)) {
      try {
        const buf = fs.readFileSync(path.join(DIST, file));
        const gz = zlib.gzipSync(buf, { level: 9 }).length;
        sum += gz;
        raw += buf.length;
        report(`gzip_${key}_kb`, gz / 1024, 'KB');
      } catch (e) {
        fail(`gzip_${key}_kb`, 'KB', e);
      }
    }
    report('first_visit_raw_kb', raw / 1024, 'KB');
    report('first_visit_gzip_kb', sum / 1024, 'KB', { max: 200 });
  }
} finally {
  await browser.close();
  server.close();
  server.closeAllConnections();
}

// ---------------------------------------------------------------------------------------------

/** Wait until the page's DOM has not changed for `quietMs`. */
async function settle(page, quietMs = 500, timeout = 60_000) {
  await page.evaluate(
    ({ quietMs, timeout }) =>
      new Promise((resolve, reject) => {
        let last = performance.now();
        const obs = new MutationObserver(() => (last = performance.now()));
        obs.observe(document, { childList: true, subtree: true, attributes: true, characterData: true });
        const start = performance.now();
        const tick = () => {
          const now = performance.now();
          if (now - last >= quietMs) {
            obs.disconnect();
            resolve();
          } else if (now - start > timeout) {
            obs.disconnect();
            reject(new Error(`the page kept changing for ${timeout} ms`));
          } else setTimeout(tick, 50);
        };
        setTimeout(tick, 50);
      }),
    { quietMs, timeout },
  );
}

/**
 * 15 keystrokes in input#search: the first 8 characters of `term` typed one by one, then 7
 * deleted. Each is timed in the page from just before the `input` event is dispatched to the
 * end of the next frame (requestAnimationFrame, then a task), with 100 ms of quiet between.
 */
async function filterLatency(page, term) {
  await page.waitForSelector('input#search', { timeout: 10_000 });
  const steps = [];
  for (let i = 1; i <= 8; i++) steps.push(term.slice(0, i));
  for (let i = 7; i >= 1; i--) steps.push(term.slice(0, i));
  return page.evaluate(async (steps) => {
    const input = document.querySelector('input#search');
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    const out = [];
    for (const value of steps) {
      await new Promise((r) => setTimeout(r, 100));
      input.focus();
      const t0 = performance.now();
      setValue.call(input, value);
      input.dispatchEvent(new InputEvent('input', { bubbles: true, inputType: 'insertText' }));
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const ms = performance.now() - t0;
      out.push({
        value,
        ms,
        rows: document.querySelectorAll('table.allocs tbody tr').length,
        // The list's "N of M allocations" line, where the build has one: shows the filter ran.
        summary: document.querySelector('.count-line')?.textContent?.trim() ?? null,
      });
    }
    return out;
  }, steps);
}

/** A snapshot folder for the double: the list, and each allocation at v1/allocation/<id>. */
function doubleSnapshot(listFile, dir) {
  const stamp = path.join(dir, '.from');
  const from = `${listFile} ${fs.statSync(listFile).mtimeMs}`;
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === from) return dir;
  say(`writing the double's snapshot ${path.relative(root, dir)}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'v1', 'allocation'), { recursive: true });
  const list = JSON.parse(fs.readFileSync(listFile, 'utf8'));
  fs.copyFileSync(listFile, path.join(dir, 'v1', 'allocations'));
  for (const a of list) fs.writeFileSync(path.join(dir, 'v1', 'allocation', a.ID), JSON.stringify(a));
  fs.writeFileSync(stamp, from);
  return dir;
}

/** Start the double on DOUBLE_PORT serving `snapshot`, and dist/ under /ui/. */
async function startDouble(snapshot) {
  const child = spawn(DOUBLE, ['--snapshot', snapshot, '--listen', `${HOST}:${DOUBLE_PORT}`, '--ui', DIST], { stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const r = await fetch(`http://${HOST}:${DOUBLE_PORT}/_double/index`);
      if (r.ok) return child;
    } catch {}
    if (child.exitCode !== null) throw new Error(`nomad-double exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('nomad-double did not answer within 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The app on the double's /v1/allocations: from navigation to the first row, and to the
 * whole list (the count line no longer says more are loading). `later`: ask for the pages
 * after the first in pages of that size instead of the app's own.
 */
async function pagedLoad(later) {
  const { context, page } = await newPage();
  try {
    let requests = 0;
    await page.route((u) => u.pathname === '/v1/allocations', (route) => {
      const u = new URL(route.request().url());
      // The pages; not the blocking query the live loop starts once the list is in.
      if (!u.searchParams.has('index')) requests++;
      if (later && u.searchParams.has('next_token')) u.searchParams.set('per_page', String(later));
      return route.continue({ url: u.toString() });
    });
    const t0 = Date.now();
    await page.goto(`http://${HOST}:${DOUBLE_PORT}/ui/index.html?source=/#/allocations`);
    await page.waitForSelector('table.allocs tbody tr[data-id]', { timeout: 120_000 });
    const first = Date.now() - t0;
    await wholeListShown(page);
    const all = Date.now() - t0;
    const rows = Number((await page.locator('.count-line').textContent()).match(/of ([\d,]+)/)[1].replace(/,/g, ''));
    return { first, all, requests, rows };
  } finally {
    await context.close();
  }
}

/** Wait until the list's count line shows the whole list (no longer "more are loading"). */
async function wholeListShown(page) {
  await page.waitForFunction(
    () => {
      const c = document.querySelector('.count-line');
      return c && !c.querySelector('.still-loading') && /of \d/.test(c.textContent);
    },
    null,
    { timeout: 300_000, polling: 50 },
  );
}

/**
 * The app on the double's list, settled; then allocation `id` fails on the agent: the time
 * until its row says so, and the bytes the app read meanwhile. `stream`: false refuses the
 * event stream (404), so the app keeps the list current with blocking queries.
 */
async function liveChange(id, stream) {
  const { context, page } = await newPage();
  try {
    if (!stream) await page.route((u) => u.pathname === '/v1/event/stream', (route) => route.fulfill({ status: 404, body: 'no event stream' }));
    await page.goto(`http://${HOST}:${DOUBLE_PORT}/ui/index.html?source=/#/allocations`);
    const row = page.locator(`table.allocs tbody tr[data-id="${id}"]`);
    await wholeListShown(page);
    // The row may be outside the rendered window: search for it.
    await page.locator('#search').fill(id);
    await row.locator('.badge.st-running').waitFor({ timeout: 60_000 });
    await page.waitForTimeout(stream ? 1500 : 500); // the stream (or the blocking query) is open
    let bytes = 0;
    page.on('response', async (r) => {
      if (new URL(r.url()).pathname === '/v1/allocations') bytes += Number(r.headers()['content-length'] || (await r.body().catch(() => '')).length || 0);
    });
    const t0 = Date.now();
    await fetch(`http://${HOST}:${DOUBLE_PORT}/_double/alloc/${id}/fail`, { method: 'POST', body: '{}' });
    await row.locator('.badge.st-failed').waitFor({ timeout: 120_000 });
    return { ms: Date.now() - t0, bytes };
  } finally {
    await context.close();
  }
}

/**
 * The search term: a job ID of at least 8 characters, the 20th most frequent in the data
 * (deterministic), so that typing it narrows the list from most rows to a few dozen.
 */
function pickSearchTerm(file) {
  const text = fs.readFileSync(file, 'utf8');
  const counts = new Map();
  for (const m of text.matchAll(/"JobID":"([^"]+)"/g)) counts.set(m[1], (counts.get(m[1]) || 0) + 1);
  const ranked = [...counts].filter(([id]) => id.length >= 8).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (!ranked.length) throw new Error(`${file}: no JobID of 8 characters or more`);
  return ranked[Math.min(19, ranked.length - 1)][0];
}

// ---------------------------------------------------------------------------------------------

const clean = Object.fromEntries(Object.entries(results).filter(([k]) => !k.startsWith('_')));
const detail = Object.fromEntries(Object.entries(results).filter(([k]) => k.startsWith('_')).map(([k, v]) => [k.slice(1), v]));
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(
  path.join(OUT, 'results.json'),
  JSON.stringify({ ...clean, _meta: { seed: SEED, runs: RUNS, date: new Date().toISOString(), detail } }, null, 2) + '\n',
);
say(`wrote ${path.relative(root, path.join(OUT, 'results.json'))}`);
if (problems.length) {
  console.error(`bench: ${problems.length} measure(s) failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
