// Live Nomad, against the Nomad API test double (crates/nomad-double; Nomad itself cannot be
// installed here) and through `allocscope serve`: blocking queries and the event stream bring
// new events and replacements without a reload, a 403 asks for a token, failures back off
// with a bounded request rate, a static snapshot is fetched once, and a ten-attempt lineage
// costs two requests when the job list carries the links.
import { test, expect } from '@playwright/test';
import { LIVE } from '../playwright.config.mjs';

test.describe.configure({ mode: 'serial' });

const D = '211a8252-a89f-2b2b-a5af-d530920bcc3a';
const API1 = '52060ea9-e2cd-3d58-f254-ee0b663152e8'; // checkout-api.api[1], running, never replaced
const double = (port) => `http://127.0.0.1:${port}`;
const app = (port, hash) => `${double(port)}/ui/index.html?source=/#${hash}`;

async function control(request, port, path, body) {
  const r = await request.post(`${double(port)}/_double/${path}`, { data: body ?? {} });
  expect(r.ok(), `${path}: ${await r.text()}`).toBe(true);
  return r.json().catch(() => ({}));
}

async function counts(request, port) {
  return (await request.get(`${double(port)}/_double/counts`)).json();
}

test.afterEach(async ({ request }) => {
  await request.post(`${double(LIVE.demo)}/_double/mode`, { data: { status: null, delay_ms: 0 } });
});

test('an event appended on the server shows on the open task page within 2 s, without a reload', async ({ page, request }) => {
  let navigations = 0;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
  await page.goto(app(LIVE.demo, `/allocations/${D}/tasks/api`));
  await expect(page.locator('table.events tbody tr').first()).toBeVisible();
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/);
  const before = navigations;
  await control(request, LIVE.demo, `alloc/${D}/event`, {
    Task: 'api',
    Event: { Type: 'Driver', DriverMessage: 'e2e: image layer cache refreshed', Time: Date.now() * 1e6 },
  });
  const started = Date.now();
  await expect(page.locator('table.events')).toContainText('e2e: image layer cache refreshed', { timeout: 2000 });
  expect(Date.now() - started).toBeLessThan(2000);
  expect(navigations).toBe(before);
});

test('a replacement allocation appears in the open chain', async ({ page, request }) => {
  await page.goto(app(LIVE.demo, `/allocations/${API1}`));
  await expect(page.locator('main h1')).toHaveText('checkout-api.api[1]');
  await expect(page.locator('ol.chain')).toHaveCount(0);
  const { ID } = await control(request, LIVE.demo, `alloc/${API1}/replace`);
  await expect(page.locator('ol.chain li.attempt')).toHaveCount(2, { timeout: 5000 });
  await expect(page.locator('ol.chain li.attempt').nth(1)).toContainText(ID.slice(0, 8));
  await expect(page.locator('ol.chain li.attempt.current')).toContainText(API1.slice(0, 8));
});

test('a 403 shows a token prompt; with the token entered the data loads', async ({ page }) => {
  const tokens = [];
  page.on('request', (r) => { if (r.url().includes('/v1/')) tokens.push(r.headers()['x-nomad-token'] ?? null); });
  await page.goto(app(LIVE.token, '/allocations'));
  const panel = page.locator('.error-panel');
  await expect(panel).toHaveAttribute('data-status', '403');
  await expect(panel.locator('.error-detail')).toHaveText('Permission denied');
  await panel.locator('button.enter-token').click();
  await page.locator('.connection-panel input[name="token"]').fill('e2e-secret-token');
  await page.locator('.connection-panel input[name="namespace"]').fill('*');
  await page.locator('.connection-panel button.apply').click();
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
  expect(tokens).toContain('e2e-secret-token');
  expect(page.url()).not.toContain('e2e-secret-token');
  // Kept in memory only unless the user asks otherwise.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored).not.toContain('e2e-secret-token');
});

test('a failing server: the error shows with Retry, the rest keeps working, and requests back off', async ({ page, request }) => {
  // Six seconds of failures, then a backoff of up to 16 s before the loop's next try.
  test.setTimeout(60_000);
  await page.goto(app(LIVE.demo, '/allocations'));
  // The agent's default namespace: 33 of the demo's allocations.
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(33);
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/);
  await control(request, LIVE.demo, 'mode', { status: 500, body: 'No cluster leader' });
  await request.post(`${double(LIVE.demo)}/_double/counts/reset`);
  // A change wakes the blocking query; the next request meets the failing server.
  await control(request, LIVE.demo, `alloc/${D}/event`, { Task: 'api', Event: { Type: 'Driver', DriverMessage: 'wake' } });
  const panel = page.locator('.error-panel');
  await expect(panel).toContainText('No cluster leader');
  await expect(panel.locator('button.retry')).toBeVisible();
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)reconnecting(\s|$)/);
  // What was on screen stays usable.
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(33);
  await page.locator('#search').fill('node-exporter');
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(8);
  await page.locator('#search').fill('');
  await page.waitForTimeout(6000);
  const c = await counts(request, LIVE.demo);
  const listHits = c['GET /v1/allocations'] ?? 0;
  // Backoff 1 s, 2 s, 4 s: at most four tries in about seven seconds.
  expect(listHits).toBeGreaterThanOrEqual(2);
  expect(listHits).toBeLessThanOrEqual(4);
  // The server recovers: the loop does too, by itself.
  await control(request, LIVE.demo, 'mode', { status: null });
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/, { timeout: 30_000 });
  await expect(panel).toHaveCount(0);
});

test('a server that does not answer in time: a timeout error with Retry', async ({ page, request }) => {
  test.setTimeout(60_000);
  await control(request, LIVE.demo, 'mode', { delay_ms: 40_000 });
  await page.goto(app(LIVE.demo, `/allocations/${API1}`));
  const panel = page.locator('.error-panel');
  await expect(panel.locator('.error-detail')).toContainText('timed out', { timeout: 40_000 });
  await expect(panel.locator('button.retry')).toBeVisible();
  await control(request, LIVE.demo, 'mode', { delay_ms: 0 });
  await panel.locator('button.retry').click();
  await expect(page.locator('main h1')).toHaveText('checkout-api.api[1]');
});

test('a static snapshot is fetched once, never polled', async ({ page }) => {
  const hits = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.includes('/v1/')) hits.push(r.url()); });
  await page.goto('/#/allocations');
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)snapshot(\s|$)/);
  await page.waitForTimeout(4000);
  expect(hits).toHaveLength(1);
  await page.locator(`tr[data-id="${D}"] td.id a`).click();
  await expect(page.locator('ol.chain li.attempt')).toHaveCount(4);
  await page.waitForTimeout(3000);
  // The allocation, its job list, and the garbage-collected attempt A (404): once each.
  const paths = hits.map((u) => new URL(u).pathname);
  expect(new Set(paths).size).toBe(paths.length);
  expect(paths).toHaveLength(4);
});

test('a ten-attempt lineage resolves in two requests when the job list carries the links', async ({ page }) => {
  const last = '10000000-0000-4000-8000-000000000009';
  const resolving = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    // Blocking re-polls (index=) keep the view current; they do not resolve anything.
    if (u.pathname.startsWith('/v1/') && !u.searchParams.has('index')) resolving.push(u.pathname);
  });
  await page.goto(app(LIVE.lineage, `/allocations/${last}`));
  await expect(page.locator('ol.chain li.attempt')).toHaveCount(10);
  await expect(page.locator('ol.chain li.attempt.gap')).toHaveCount(0);
  await expect(page.locator('ol.chain li.hop-rescheduled')).toHaveCount(9);
  await page.waitForTimeout(1500);
  expect(resolving.sort()).toEqual(['/v1/allocation/' + last, '/v1/job/chain-10/allocations']);
});

test('through allocscope serve: same origin, the token file\'s token injected, the browser never holds it', async ({ page }) => {
  const tokens = [];
  page.on('request', (r) => { if (r.url().includes('/v1/')) tokens.push(r.headers()['x-nomad-token'] ?? null); });
  await page.goto(`http://127.0.0.1:${LIVE.serve}/index.html?source=/#/allocations/${D}`);
  await expect(page.locator('main h1')).toHaveText('checkout-api.api[0]');
  await expect(page.locator('ol.chain li.attempt')).toHaveCount(4);
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/);
  expect(tokens.length).toBeGreaterThan(0);
  expect(tokens.every((t) => t === null)).toBe(true);
});

test('through allocscope serve, a list follows the event stream too', async ({ page, request }) => {
  const EXPORTER = '6641d0bd-a2a2-e93f-72b3-c65ef4f23aec'; // node-exporter.exporter[0], running
  const OTHER = 'b3050959-ef4f-1b36-3764-acdc853cb53a'; // another node-exporter, running
  await page.goto(`http://127.0.0.1:${LIVE.serve}/index.html?source=/#/allocations`);
  const row = page.locator(`table.allocs tbody tr[data-id="${EXPORTER}"]`);
  const other = page.locator(`table.allocs tbody tr[data-id="${OTHER}"]`);
  await expect(row.locator('.badge.st-running')).toHaveCount(1);
  await expect.poll(async () => (await counts(request, LIVE.token))['GET /v1/event/stream'] ?? 0).toBeGreaterThan(0);
  // The first frame of a subscription may show that events could have been lost (this
  // double's buffer starts empty, as a restarted agent's does): one re-read, then live.
  await control(request, LIVE.token, `alloc/${EXPORTER}/fail`, { ExitCode: 3 });
  await expect(row.locator('.badge.st-failed')).toHaveCount(1, { timeout: 3000 });
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/);
  await request.post(`${double(LIVE.token)}/_double/counts/reset`);
  await control(request, LIVE.token, `alloc/${OTHER}/fail`, { ExitCode: 3 });
  await expect(other.locator('.badge.st-failed')).toHaveCount(1, { timeout: 3000 });
  const c = await counts(request, LIVE.token);
  expect(c['GET /v1/allocations'] ?? 0).toBe(0);
  expect(c['GET /v1/event/stream'] ?? 0).toBe(0);
});

// The app asks for 500, then 5,000 per page; ask the double for 10 so the demo spans pages, and
// hold each page (not a blocking query) back a little so the list re-renders several times
// while the test types.
async function smallSlowPages(page, pages) {
  await page.route((url) => url.port === String(LIVE.demo) && url.pathname === '/v1/allocations', async (route) => {
    const u = new URL(route.request().url());
    u.searchParams.set('per_page', '10');
    if (!u.searchParams.has('index')) {
      pages.push(u.searchParams.get('next_token'));
      await new Promise((r) => setTimeout(r, 400));
    }
    return route.continue({ url: u.toString() });
  });
}

// Every page of the default namespace's list (ten rows each, so at least four) is in and shown.
async function everyPageShown(page, pages) {
  await expect(page.locator('table.allocs tbody tr[data-id]')).not.toHaveCount(0);
  await expect(page.locator('.still-loading')).toHaveCount(0);
  expect(pages.length).toBeGreaterThanOrEqual(4);
}

test('the cluster-wide list is read page by page (per_page, next_token) with every row', async ({ page }) => {
  const pages = [];
  await smallSlowPages(page, pages);
  await page.goto(app(LIVE.demo, '/allocations'));
  await page.locator('button.connection-button').click();
  const namespace = page.locator('.connection-panel input[name="namespace"]');
  await namespace.fill('*');
  // The default namespace's pages arrive while the panel is open; each re-renders the
  // header, which must not wipe what was typed (it once did, and Apply sent no namespace).
  await everyPageShown(page, pages);
  await expect(namespace).toHaveValue('*');
  await page.locator('.connection-panel button.apply').click();
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(54); // 53 + the test's replacement
  expect(pages.filter((t) => t === null).length).toBeGreaterThanOrEqual(2);
  expect(pages.filter((t) => t !== null).length).toBeGreaterThanOrEqual(5);
  await expect(page.locator('button.connection-button')).toContainText('ns *');
});

test('a filter expression being typed survives the list re-rendering before it is applied', async ({ page }) => {
  const pages = [];
  await smallSlowPages(page, pages);
  await page.goto(app(LIVE.demo, '/allocations'));
  await page.locator('details.advanced summary').click();
  const filter = page.locator('#filter');
  await filter.fill('ClientStatus == "fai');
  await everyPageShown(page, pages);
  await expect(filter).toHaveValue('ClientStatus == "fai');
  await filter.fill('ClientStatus == "failed"');
  await filter.press('Enter');
  await expect(page).toHaveURL(/filter=ClientStatus/);
  await expect(filter).toHaveValue('ClientStatus == "failed"');
  // Back to the unfiltered list: the field follows the URL.
  await page.goBack();
  await expect(page).not.toHaveURL(/filter=/);
  await expect(filter).toHaveValue('');
});

test('a Nomad filter expression is evaluated by the agent; an invalid one shows Nomad\'s 400 text', async ({ page }) => {
  await page.goto(app(LIVE.demo, '/allocations'));
  await expect(page.locator('table.allocs tbody tr[data-id]')).not.toHaveCount(0);
  await page.locator('details.advanced summary').click();
  await page.locator('#filter').fill('ClientStatus == "failed"');
  await page.locator('#filter').press('Enter');
  await page.locator('#filter').blur();
  await expect(page).toHaveURL(/filter=ClientStatus/);
  const statuses = page.locator('table.allocs tbody tr[data-id] .badge.st-failed');
  await expect(async () => {
    const n = await page.locator('table.allocs tbody tr[data-id]').count();
    expect(n).toBeGreaterThan(0);
    expect(await statuses.count()).toBe(n);
  }).toPass();
  await page.locator('#filter').fill('ClientStatus ~ nonsense');
  await page.locator('#filter').blur();
  const panel = page.locator('.error-panel');
  await expect(panel).toHaveAttribute('data-status', '400');
  await expect(panel.locator('.error-detail')).toContainText('failed to read filter expression');
});

test('a snapshot captured from the double with allocscope snapshot opens with ?source= and shows the same allocations', async ({ page, request }) => {
  const { execFileSync } = await import('node:child_process');
  const path = await import('node:path');
  const out = path.resolve('e2e/fixtures/captured-lineage');
  execFileSync(path.resolve('target/debug/allocscope'), ['snapshot', '--nomad', double(LIVE.lineage), '--out', out]);
  const served = await (await request.get(`${double(LIVE.lineage)}/v1/allocations?namespace=*`)).json();
  await page.goto('/?source=/fixtures/captured-lineage/#/allocations');
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)snapshot(\s|$)/);
  const rows = page.locator('table.allocs tbody tr[data-id]');
  await expect(rows).toHaveCount(served.length);
  const ids = await rows.evaluateAll((trs) => trs.map((t) => t.dataset.id).sort());
  expect(ids).toEqual(served.map((a) => a.ID).sort());
  await page.goto('/?source=/fixtures/captured-lineage/#/allocations/10000000-0000-4000-8000-000000000009');
  await expect(page.locator('ol.chain li.attempt')).toHaveCount(10);
});

test('a live update keeps the list where it was scrolled and shows the whole old list until the new one is in', async ({ page, request }) => {
  const EXPORTER = '2421ceeb-532e-127d-e0bb-54b06d5fcaeb'; // node-exporter.exporter[0], running
  const pages = [];
  await smallSlowPages(page, pages);
  await page.goto(app(LIVE.demo, '/allocations'));
  await everyPageShown(page, pages);
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/);
  const rows = page.locator('table.allocs tbody tr[data-id]');
  const before = await rows.count();
  const scroller = page.locator('.table-scroll.virtual');
  await scroller.evaluate((el) => { el.scrollTop = 400; });
  await expect.poll(() => scroller.evaluate((el) => el.scrollTop)).toBe(400);
  await page.evaluate(() => {
    window.__refresh = { fewest: Infinity, partial: false };
    new MutationObserver(() => {
      const n = document.querySelectorAll('table.allocs tbody tr[data-id]').length;
      window.__refresh.fewest = Math.min(window.__refresh.fewest, n);
      if (document.querySelector('.still-loading')) window.__refresh.partial = true;
    }).observe(document.body, { childList: true, subtree: true });
  });
  const pagesBefore = pages.length;
  await control(request, LIVE.demo, `alloc/${EXPORTER}/replace`);
  await expect(rows).toHaveCount(before + 1, { timeout: 10_000 });
  // The placement's event lacks what a row needs, so the list was read again page by page
  // (every page of ten: a re-read, not a blocking query)...
  expect(pages.length - pagesBefore).toBe(Math.ceil((before + 1) / 10));
  // ...and meanwhile the list kept every row it had, never marked partial.
  const seen = await page.evaluate(() => window.__refresh);
  expect(seen.partial).toBe(false);
  expect(seen.fewest).toBeGreaterThanOrEqual(before);
  expect(await scroller.evaluate((el) => el.scrollTop)).toBe(400);
});

test('a list follows the agent\'s event stream: a change shows in its row without the list being read again', async ({ page, request }) => {
  const EXPORTER = '35d83f45-3cb3-0148-4824-81959f269dd7'; // node-exporter.exporter[0], running
  const OTHER = '3ddb13f1-c5a6-fa66-964b-6ac0ed4a986b'; // another node-exporter, running
  await page.goto(app(LIVE.demo, '/allocations'));
  const row = page.locator(`table.allocs tbody tr[data-id="${EXPORTER}"]`);
  const other = page.locator(`table.allocs tbody tr[data-id="${OTHER}"]`);
  await expect(row.locator('.badge.st-running')).toHaveCount(1);
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/);
  await expect.poll(async () => (await counts(request, LIVE.demo))['GET /v1/event/stream'] ?? 0).toBeGreaterThan(0);
  // The first frame of a subscription may show that events were lost (the agent's buffer no
  // longer held the list's index), and then the list is read once more: see live_sync.
  await control(request, LIVE.demo, `alloc/${EXPORTER}/fail`, { ExitCode: 3 });
  await expect(row.locator('.badge.st-failed')).toHaveCount(1, { timeout: 3000 });
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/);
  // From then on a change costs the one event.
  await request.post(`${double(LIVE.demo)}/_double/counts/reset`);
  await control(request, LIVE.demo, `alloc/${OTHER}/fail`, { ExitCode: 3 });
  await expect(other.locator('.badge.st-failed')).toHaveCount(1, { timeout: 3000 });
  const c = await counts(request, LIVE.demo);
  expect(c['GET /v1/allocations'] ?? 0).toBe(0);
  expect(c['GET /v1/job/node-exporter/allocations'] ?? 0).toBe(0);
  expect(c['GET /v1/event/stream'] ?? 0).toBe(0);
});
