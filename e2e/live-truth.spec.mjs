// Live lists that stay true against a Nomad API test double as strict as Nomad
// (crates/nomad-double; docs/nomad-live.md): a bounded event buffer that loses events for a
// late subscriber, no event for garbage collection, gzip without Content-Length, and the
// stream errors of Nomad 1.10 and 2.0. Each test starts its own double, so none depends on
// another having run.
import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaleAllocations } from './scale-data.mjs';

test.describe.configure({ mode: 'serial' });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOUBLE = path.join(root, 'target', 'debug', 'nomad-double');
const DIST = path.resolve(root, process.env.E2E_DIST || 'dist');
const ARTIFACTS = path.join(root, 'e2e', 'artifacts');

/** A snapshot folder of `count` allocations in the default namespace, made once. */
function bigSnapshot(count) {
  const dir = path.join(ARTIFACTS, `double-${count}`);
  const stamp = path.join(dir, '.complete');
  if (fs.existsSync(stamp)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'v1', 'allocation'), { recursive: true });
  for (const a of scaleAllocations(count)) {
    a.Namespace = 'default';
    fs.writeFileSync(path.join(dir, 'v1', 'allocation', a.ID), JSON.stringify(a));
  }
  fs.writeFileSync(stamp, '');
  return dir;
}

/** Start a double on `port`; resolves once it answers. Killed by `stop`. */
async function startDouble(port, snapshot, args = []) {
  const child = spawn(DOUBLE, ['--snapshot', snapshot, '--listen', `127.0.0.1:${port}`, '--ui', DIST, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nomad-double exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/_double/index`)).ok) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    app: (hash) => `${base}/ui/index.html?source=/#${hash}`,
    async post(p, body) {
      const r = await fetch(`${base}/_double/${p}`, { method: 'POST', body: JSON.stringify(body ?? {}) });
      if (!r.ok) throw new Error(`${p}: ${r.status} ${await r.text()}`);
      return r.json();
    },
    async counts() {
      return (await fetch(`${base}/_double/counts`)).json();
    },
    /** The double's truth: every allocation's ID and ClientStatus, as a sorted list. */
    async truth(token) {
      const r = await fetch(`${base}/v1/allocations?namespace=*`, { headers: token ? { 'X-Nomad-Token': token } : {} });
      return (await r.json()).map((a) => `${a.ID} ${a.ClientStatus}`).sort();
    },
    stop: () => child.kill(),
  };
}

/** Serve `config` as the app's config.json (the double serves dist/ under /ui/). */
async function withConfig(page, config) {
  await page.route((u) => u.pathname === '/ui/config.json', (route) =>
    route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(config) }),
  );
}

/** What the list shows, whole, through its JSON export: every row's ID and ClientStatus. */
async function shown(page) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('button.export[data-format="json"]').click()]);
  const rows = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  return rows.map((a) => `${a.ID} ${a.ClientStatus}`).sort();
}

const header = (page) => page.locator('.live-indicator');

for (const [version, port] of [['1.10.5', 8796], ['2.0.5', 8797]]) {
  test(`Nomad ${version}: 50 changes made while a 20,000-allocation list is paged end with the list equal to the agent's`, async ({ page }) => {
    test.setTimeout(300_000);
    const double = await startDouble(port, bigSnapshot(20_000), ['--event-buffer', '10', '--nomad-version', version]);
    try {
      // A short re-sync: nothing announces the garbage collection.
      await withConfig(page, { resync_seconds: 5 });
      // Each later page waits until the test has made its share of the changes, so they
      // happen while the list is being read, whatever the machine's speed.
      let changesMade = 0;
      let pagesAsked = 0;
      const released = [];
      await page.route((u) => u.pathname === '/v1/allocations', async (route) => {
        const u = new URL(route.request().url());
        if (u.searchParams.has('next_token') && !u.searchParams.has('index')) {
          const n = ++pagesAsked;
          // Page 2 after 25 changes, later pages after all 50.
          const need = n === 1 ? 25 : 50;
          await expect.poll(() => changesMade, { timeout: 120_000 }).toBeGreaterThanOrEqual(need);
          released.push(n);
        }
        return route.continue();
      });
      const firstPage = page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/allocations');
      await page.goto(double.app('/allocations'));
      await firstPage;
      const all = scaleAllocations(20_000);
      const ids = all.map((a) => a.ID);
      // The first row of the first page (the double orders by CreateIndex, then ID): read
      // before it is garbage-collected, so only a re-read can drop it.
      const first = [...all].sort((a, b) => a.CreateIndex - b.CreateIndex || (a.ID < b.ID ? -1 : 1))[0].ID;
      // Spread over the list, so changes land in pages read before and after them.
      const pick = (i) => ids[(i * 397 + 1) % ids.length];
      for (let i = 0; i < 50; i++) {
        if (i === 0) await double.post('gc', { IDs: [first] }); // no event
        else if (i === 5 || i === 15 || i === 25) await double.post(`alloc/${pick(i)}/replace`); // placements
        else await double.post(`alloc/${pick(i)}/fail`, { ExitCode: 2 }); // status changes
        changesMade++;
      }
      // Then the list on screen must come to equal the agent's (the GC needs a re-sync).
      await expect(page.locator('.count-line .still-loading')).toHaveCount(0, { timeout: 120_000 });
      const truth = await double.truth();
      expect(truth.length).toBe(20_000 + 3 - 1);
      await expect.poll(async () => {
        if ((await header(page).getAttribute('class')).includes('resyncing')) return 'resyncing';
        const s = await shown(page);
        return s.length === truth.length && s.every((x, i) => x === truth[i]) ? 'equal' : `${s.length} rows, ${s.filter((x, i) => x !== truth[i]).length} differ`;
      }, { timeout: 120_000, intervals: [1000] }).toBe('equal');
      expect(released.length).toBeGreaterThanOrEqual(2);
    } finally {
      double.stop();
    }
  });
}

test('a garbage-collected allocation leaves a live list within one re-sync, and its page says it is gone', async ({ browser }) => {
  test.setTimeout(120_000);
  const double = await startDouble(8798, path.join(root, 'www', 'demo'));
  const context = await browser.newContext();
  try {
    const EXPORTER = '6641d0bd-a2a2-e93f-72b3-c65ef4f23aec'; // node-exporter.exporter[0], running
    const list = await context.newPage();
    await withConfig(list, { resync_seconds: 3 });
    await list.goto(double.app('/allocations'));
    const rows = list.locator('table.allocs tbody tr[data-id]');
    await expect(rows).toHaveCount(33);
    await expect(list.locator(`tr[data-id="${EXPORTER}"]`)).toHaveCount(1);
    const alloc = await context.newPage();
    await alloc.goto(double.app(`/allocations/${EXPORTER}`));
    await expect(alloc.locator('main h1')).toHaveText('node-exporter.exporter[0]');
    await expect(header(alloc)).toHaveClass(/(^|\s)live(\s|$)/);
    await double.post('gc', { IDs: [EXPORTER] });
    // No event: the list learns of it from its periodic full read.
    await expect(list.locator(`tr[data-id="${EXPORTER}"]`)).toHaveCount(0, { timeout: 30_000 });
    await expect(rows).toHaveCount(32);
    // The blocking query on the allocation answers 404: its page keeps the last state.
    await expect(alloc.locator('.notice.gone')).toContainText('is gone');
    await expect(alloc.locator('main h1')).toHaveText('node-exporter.exporter[0]');
    const c = await double.counts();
    expect(c['GET /v1/event/stream']).toBeGreaterThanOrEqual(1);
  } finally {
    await context.close();
    double.stop();
  }
});

test('gzip: the cluster list, a job list and an allocation load compressed, and progress shows bytes without a size', async ({ page }) => {
  const double = await startDouble(8798, path.join(root, 'www', 'demo'));
  try {
    const encodings = [];
    page.on('response', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/v1/') && !u.searchParams.has('index') && u.pathname !== '/v1/event/stream') {
        encodings.push(`${u.pathname} ${r.headers()['content-encoding'] ?? 'identity'} ${r.headers()['content-length'] ?? 'no-length'}`);
      }
    });
    await page.goto(double.app('/allocations'));
    await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(33);
    await page.goto(double.app('/allocations?job=node-exporter'));
    await expect(page.locator('table.allocs tbody tr[data-id]')).not.toHaveCount(0);
    const D = '211a8252-a89f-2b2b-a5af-d530920bcc3a';
    await page.goto(double.app(`/allocations/${D}`));
    await expect(page.locator('main h1')).toHaveText('checkout-api.api[0]');
    // Over 2 KB, Go sends a compressed body chunked, with no Content-Length; a small one
    // (this job's list) gets the compressed length.
    for (const p of ['/v1/allocations', `/v1/allocation/${D}`]) {
      expect(encodings).toContain(`${p} gzip no-length`);
    }
    expect(encodings.some((e) => /^\/v1\/job\/node-exporter\/allocations gzip /.test(e))).toBe(true);
  } finally {
    double.stop();
  }
  // A large list sent slowly, gzip'd and without Content-Length, as Nomad sends it: the
  // progress says how much has arrived, with no percentage (the size is unknown).
  await page.addInitScript(() => {
    window.__progress = [];
    new MutationObserver(() => {
      const t = document.querySelector('.loading .progress-text');
      if (t) window.__progress.push({ text: t.textContent.trim(), bar: !!document.querySelector('.loading progress') });
    }).observe(document, { childList: true, subtree: true, characterData: true });
  });
  await page.goto('/?source=/gzscale/2000/#/allocations');
  await expect(page.locator('table.allocs tbody tr[data-id]').first()).toBeVisible({ timeout: 60_000 });
  const seen = await page.evaluate(() => window.__progress);
  expect(seen.length).toBeGreaterThan(0);
  for (const p of seen) {
    expect(p.text).toMatch(/^[\d.]+ (B|KB|MB)$/);
    expect(p.bar).toBe(false);
  }
});

test('Nomad 2.0, namespace=* with a token that cannot read every namespace: one stream attempt, then blocking queries', async ({ page }) => {
  test.setTimeout(120_000);
  const double = await startDouble(8799, path.join(root, 'www', 'demo'), ['--nomad-version', '2.0.5', '--acl-token', 'default-only=default']);
  try {
    await page.goto(double.app('/allocations'));
    await page.locator('button.connection-button').click();
    await page.locator('.connection-panel input[name="token"]').fill('default-only');
    await page.locator('.connection-panel input[name="namespace"]').fill('*');
    await page.locator('.connection-panel button.apply').click();
    // The list reads: Nomad filters namespace=* to the namespaces the token may read.
    await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(33);
    // The stream is answered 200 and then nothing: after the wait for its first {}, blocking
    // queries (the request log shows one waiting with index=).
    await expect.poll(async () => (await double.counts())['GET /v1/event/stream'] ?? 0, { timeout: 30_000 }).toBe(1);
    const blocking = page.waitForRequest((r) => {
      const u = new URL(r.url());
      return u.pathname === '/v1/allocations' && u.searchParams.has('index');
    }, { timeout: 60_000 });
    await blocking;
    await double.post('counts/reset');
    const EXPORTER = '35d83f45-3cb3-0148-4824-81959f269dd7'; // node-exporter.exporter[0], default namespace
    const row = page.locator(`table.allocs tbody tr[data-id="${EXPORTER}"]`);
    for (let i = 1; i <= 3; i++) {
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/v1/allocations' && new URL(r.url()).searchParams.has('index'));
      await double.post(`alloc/${EXPORTER}/event`, { Task: 'node-exporter', Event: { Type: 'Driver', DriverMessage: `change ${i}` } });
      await answered;
    }
    await double.post(`alloc/${EXPORTER}/fail`, { ExitCode: 1 });
    await expect(row.locator('.badge.st-failed')).toHaveCount(1);
    const c = await double.counts();
    expect(c['GET /v1/event/stream'] ?? 0).toBe(0);
    // One blocking answer per change, and the query waiting for the next: no read per change beyond that.
    expect(c['GET /v1/allocations']).toBeLessThanOrEqual(5);
  } finally {
    double.stop();
  }
});
