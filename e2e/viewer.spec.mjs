// The viewer on the bundled demo snapshot (www/demo, copied to dist/demo): the list with
// its facets, search and sort kept in the URL; the checkout-api reschedule chain (A gap,
// B OOM killed, C image pull failure, D current); task pages and their event order; deep
// links; a garbage-collected allocation. Takes the README screenshots.
import { test as base, expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(here, 'artifacts', 'screenshots');
const DOCS_SHOTS = path.join(here, '..', 'docs', 'screenshots');

// The demo story (www/demo/README.md, story 1): checkout-api.api[0], four attempts.
const A = '375d9fec-56f4-4304-097f-dbc51563b433'; // garbage-collected: no file
const B = 'e3991c99-d379-5b31-e231-de6097d64245'; // OOM killed
const C = 'e263482b-3b07-460c-2ef4-3d163ab9ea29'; // image pull failure
const D = '211a8252-a89f-2b2b-a5af-d530920bcc3a'; // running, 2 restarts (current)

// The snapshot was captured at 2026-11-24T09:00:00Z; pin "now" a little later so
// relative times (and the screenshots) do not depend on the day the tests run.
const NOW = new Date('2026-11-24T09:05:00Z');
// How C's end is summarised (the cause summary, or the driver's own message).
const PULL_FAILED = /the image pull failed|Failed to pull `registry\.example\.com\/checkout-api:2\.4\.1`/;

const test = base.extend({
  page: async ({ page }, use) => {
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.type()} ${d.message()}`);
      d.dismiss().catch(() => {});
    });
    await page.clock.setFixedTime(NOW);
    await use(page);
    expect(problems, 'no uncaught errors or dialogs').toEqual([]);
  },
});

const rows = (page) => page.locator('table.allocs tbody tr[data-id]');
const countLine = (page) => page.locator('.count-line');
const facet = (page, status) => page.locator(`.facet[data-status="${status}"]`);
/** The `<dd>` after the summary's `<dt>` with exactly this text. */
const summary = (page, term) => page.locator('dl.summary > dt', { hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]');
/** The route part of the URL (after `#`), decoded. */
const hashOf = (page) => decodeURIComponent(new URL(page.url()).hash);
const hashParams = (page) => new URLSearchParams(new URL(page.url()).hash.split('?')[1] ?? '');

async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  fs.mkdirSync(DOCS_SHOTS, { recursive: true });
  fs.copyFileSync(file, path.join(DOCS_SHOTS, name));
}

/** Names in the list, top to bottom. */
const names = (page) => rows(page).locator('td:nth-child(2)').allInnerTexts();

/** `web[2]` before `web[10]`, as the app sorts names. */
function natural(a, b) {
  const split = (s) => {
    const m = /^(.*)\[(\d+)\]$/.exec(s);
    return m ? [m[1], Number(m[2])] : [s, -1];
  };
  const [pa, na] = split(a);
  const [pb, nb] = split(b);
  return pa < pb ? -1 : pa > pb ? 1 : na - nb;
}

test.describe('allocation list', () => {
  test('lists the 53 demo allocations with status facet counts, newest first', async ({ page, request }) => {
    await page.goto('/');
    // `/` redirects to the list.
    await expect(page).toHaveURL(/#\/allocations$/);
    await expect(page.locator('header .source')).toContainText('demo snapshot (bundled)');
    await expect(rows(page)).toHaveCount(53);
    await expect(countLine(page)).toHaveText('53 of 53 allocations');
    const expected = { pending: 1, running: 30, complete: 13, unknown: 1, failed: 6, lost: 2 };
    await expect(page.locator('.facet')).toHaveCount(Object.keys(expected).length);
    for (const [status, n] of Object.entries(expected)) {
      await expect(facet(page, status).locator('.count')).toHaveText(String(n));
      await expect(facet(page, status)).toHaveAttribute('aria-pressed', 'false');
    }
    // Default order: Created, descending (newest first), as in the snapshot's own data.
    await expect(page.locator('th[aria-sort="descending"] button.sort')).toHaveAttribute('data-sort', 'created');
    await expect(rows(page).first()).toHaveAttribute('data-id', '9e8cb868-c683-c843-a09a-d9ef0070413a');
    const demo = await (await request.get('/demo/v1/allocations')).json();
    const newestFirst = [...demo].sort((a, b) => (b.CreateTime > a.CreateTime ? 1 : b.CreateTime < a.CreateTime ? -1 : 0)).map((a) => a.ID);
    expect(await rows(page).evaluateAll((trs) => trs.map((t) => t.dataset.id))).toEqual(newestFirst);
    // The rows carry real content: D's row.
    const d = page.locator(`tr[data-id="${D}"]`);
    await expect(d.locator('td.id a')).toHaveText('211a8252');
    await expect(d).toContainText('checkout-api.api[0]');
    await expect(d).toContainText('payments');
    await expect(d).toContainText('nomad-client-eu-1b-01');
    await expect(d.locator('.indicators')).toContainText('rescheduled');
    await shot(page, 'list.png');
  });

  test('search filters the rows and stays in the URL; the failed facet narrows further; reload and back reproduce the view', async ({ page }) => {
    await page.goto('/#/allocations');
    await expect(rows(page)).toHaveCount(53);
    await page.locator('#search').pressSequentially('checkout');
    // The five checkout-api allocations in the list (attempt A was garbage-collected and is not listed).
    await expect(rows(page)).toHaveCount(5);
    await expect(countLine(page)).toHaveText('5 of 53 allocations');
    for (const n of await names(page)) expect(n).toMatch(/^checkout-api\.api\[\d\]$/);
    expect(hashParams(page).get('q')).toBe('checkout');
    // Facet counts follow the search.
    await expect(facet(page, 'running').locator('.count')).toHaveText('3');
    await expect(facet(page, 'failed').locator('.count')).toHaveText('2');
    await expect(facet(page, 'complete').locator('.count')).toHaveText('0');

    await facet(page, 'failed').click();
    await expect(facet(page, 'failed')).toHaveAttribute('aria-pressed', 'true');
    await expect(rows(page)).toHaveCount(2);
    expect((await rows(page).evaluateAll((trs) => trs.map((t) => t.dataset.id))).sort()).toEqual([C, B].sort());
    await expect(countLine(page)).toHaveText('2 of 53 allocations');
    expect(hashParams(page).get('status')).toBe('failed');
    expect(hashParams(page).get('q')).toBe('checkout');

    await page.reload();
    await expect(rows(page)).toHaveCount(2);
    await expect(page.locator('#search')).toHaveValue('checkout');
    await expect(facet(page, 'failed')).toHaveAttribute('aria-pressed', 'true');
    await expect(facet(page, 'running')).toHaveAttribute('aria-pressed', 'false');

    // A facet click is a history entry; Back undoes it and keeps the search.
    await page.goBack();
    await expect(rows(page)).toHaveCount(5);
    await expect(page.locator('#search')).toHaveValue('checkout');
    await expect(facet(page, 'failed')).toHaveAttribute('aria-pressed', 'false');
  });

  test('the failed facet alone keeps the six failed allocations and toggles off again', async ({ page }) => {
    await page.goto('/#/allocations');
    await expect(rows(page)).toHaveCount(53);
    await facet(page, 'failed').click();
    await expect(rows(page)).toHaveCount(6);
    expect(hashParams(page).get('status')).toBe('failed');
    const statuses = await rows(page).locator('td:nth-child(7)').allInnerTexts();
    expect(statuses).toEqual(Array(6).fill('failed'));
    // Adding lost widens the selection.
    await facet(page, 'lost').click();
    await expect(rows(page)).toHaveCount(8);
    expect(hashParams(page).get('status')).toBe('failed,lost');
    await facet(page, 'failed').click();
    await facet(page, 'lost').click();
    await expect(rows(page)).toHaveCount(53);
    expect(hashParams(page).get('status')).toBeNull();
  });

  test('a hand-written list URL reproduces the view', async ({ page }) => {
    await page.goto('/#/allocations?q=task:envoy.proxy&status=running&sort=name&dir=desc');
    // envoy.proxy runs in checkout-api's three running allocations.
    await expect(rows(page)).toHaveCount(3);
    await expect(page.locator('#search')).toHaveValue('task:envoy.proxy');
    await expect(facet(page, 'running')).toHaveAttribute('aria-pressed', 'true');
    await expect(page.locator('th[aria-sort="descending"] button.sort')).toHaveAttribute('data-sort', 'name');
    expect(await names(page)).toEqual(['checkout-api.api[2]', 'checkout-api.api[1]', 'checkout-api.api[0]']);
  });

  test('namespace, group and node scopes from the URL show as removable chips', async ({ page }) => {
    await page.goto('/#/allocations?namespace=payments');
    await expect(rows(page)).toHaveCount(11);
    await expect(countLine(page)).toHaveText('11 of 53 allocations');
    await expect(page.locator('.scopes .chip')).toHaveText(['namespace: payments×']);
    await page.goto('/#/allocations?namespace=payments&group=api');
    await expect(rows(page)).toHaveCount(5);
    await page.getByRole('button', { name: 'Remove the group scope' }).click();
    await expect(rows(page)).toHaveCount(11);
    expect(hashParams(page).get('group')).toBeNull();
    expect(hashParams(page).get('namespace')).toBe('payments');

    // The node link in a row scopes to that node (the node that went down: two allocations).
    await page.goto('/#/allocations');
    await page.locator('tr[data-id="0cfe9036-7562-9a01-b5c0-677596670bf7"] td:nth-child(6) a').click();
    expect(hashParams(page).get('node')).toBe('acee5e60-4531-df35-0fe8-df83c4addc88');
    await expect(rows(page)).toHaveCount(2);
    expect((await names(page)).sort()).toEqual(['node-exporter.exporter[0]', 'storefront-web.web[0]']);
  });

  test('back from an allocation returns to the same filtered list without refetching it', async ({ page }) => {
    const listFetches = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/demo/v1/allocations') listFetches.push(r.url());
    });
    await page.goto('/#/allocations?q=checkout');
    await expect(rows(page)).toHaveCount(5);
    await page.locator(`tr[data-id="${D}"] td.id a`).click();
    await expect(page.locator('main h1')).toHaveText('checkout-api.api[0]');
    await page.goBack();
    await expect(rows(page)).toHaveCount(5);
    await expect(page.locator('#search')).toHaveValue('checkout');
    await page.goForward();
    await expect(page.locator('ol.chain li.attempt')).toHaveCount(4);
    await page.locator('.crumbs').getByRole('link', { name: 'Allocations' }).click();
    await expect(rows(page)).toHaveCount(53);
    expect(listFetches).toHaveLength(1);
  });

  test('sorting by Name is ascending first, then toggles to descending', async ({ page }) => {
    await page.goto('/#/allocations');
    await expect(rows(page)).toHaveCount(53);
    const sortName = page.locator('button.sort[data-sort="name"]');

    await sortName.click();
    await expect(page.locator('th[aria-sort="ascending"] button.sort')).toHaveAttribute('data-sort', 'name');
    await expect(sortName).toContainText('▴');
    expect(hashParams(page).get('sort')).toBe('name');
    let list = await names(page);
    expect(list).toHaveLength(53);
    expect(list[0]).toBe('api-gateway.gateway[0]');
    expect(list).toEqual([...list].sort(natural));

    await sortName.click();
    await expect(page.locator('th[aria-sort="descending"] button.sort')).toHaveAttribute('data-sort', 'name');
    await expect(sortName).toContainText('▾');
    expect(hashParams(page).get('dir')).toBe('desc');
    list = await names(page);
    expect(list[0]).toBe('storefront-web.web[2]');
    expect(list).toEqual([...list].sort((a, b) => natural(b, a)));
    // Only one column claims the sort.
    await expect(page.locator('th[aria-sort]')).toHaveCount(1);
  });

  test('the job link scopes the list to the job', async ({ page }) => {
    const jobRequests = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/job/')) jobRequests.push(new URL(r.url()).pathname);
    });
    await page.goto('/#/allocations');
    await rows(page).filter({ has: page.locator(`td.id a`, { hasText: '211a8252' }) }).locator('td:nth-child(3) a').click();
    expect(hashParams(page).get('job')).toBe('checkout-api');
    await expect(page.locator('.scopes .chip')).toContainText('job: checkout-api');
    await expect(rows(page)).toHaveCount(5);
    await expect(countLine(page)).toHaveText('5 of 5 allocations');
    expect(jobRequests).toContain('/demo/v1/job/checkout-api/allocations');
    await page.getByRole('button', { name: 'Remove the job scope' }).click();
    await expect(rows(page)).toHaveCount(53);
  });

  test('search text with URL-special characters survives the URL and a reload', async ({ page }) => {
    await page.goto('/#/allocations');
    await expect(rows(page)).toHaveCount(53);
    const text = 'job:checkout x&status=lost #1 100%+ü';
    await page.locator('#search').fill(text);
    await expect(countLine(page)).toHaveText('0 of 53 allocations');
    await expect(page.locator('p.empty')).toContainText('No allocation matches these filters.');
    expect(hashParams(page).get('q')).toBe(text);
    expect(hashParams(page).get('status')).toBeNull();
    await page.reload();
    await expect(page.locator('#search')).toHaveValue(text);
    await expect(countLine(page)).toHaveText('0 of 53 allocations');
    await expect(page.locator('.facet[aria-pressed="true"]')).toHaveCount(0);
    // "Clear the filters" brings every row back.
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await expect(rows(page)).toHaveCount(53);
    await expect(page.locator('#search')).toHaveValue('');
  });

  test('editing the middle of the search text keeps the caret where it is', async ({ page }) => {
    await page.goto('/#/allocations');
    await expect(rows(page)).toHaveCount(53);
    const search = page.locator('#search');
    await search.pressSequentially('chckout');
    await expect(countLine(page)).toHaveText('0 of 53 allocations');
    await search.press('Home');
    await search.press('ArrowRight');
    await search.press('ArrowRight');
    await search.pressSequentially('e');
    await expect(search).toHaveValue('checkout');
    await expect(rows(page)).toHaveCount(5);
  });

  test('a slow source shows the loading state, then the list', async ({ page }) => {
    let release;
    const gate = new Promise((r) => (release = r));
    await page.route((url) => url.pathname.endsWith('/demo/v1/allocations'), async (route) => {
      await gate;
      await route.continue();
    });
    await page.goto('/#/allocations');
    const loading = page.locator('.loading[role="status"]');
    await expect(loading).toBeVisible();
    await expect(loading).toContainText('Loading allocations…');
    await expect(rows(page)).toHaveCount(0);
    release();
    await expect(rows(page)).toHaveCount(53);
    await expect(loading).toHaveCount(0);
  });

  test('relative times refresh on their own as time passes', async ({ page }) => {
    await page.clock.install({ time: new Date(NOW.getTime() - 1000) });
    await page.clock.pauseAt(NOW);
    await page.goto('/#/allocations');
    const created = page.locator(`tr[data-id="${D}"] td:nth-child(11) time`);
    // D was created at 08:06:10.23Z; now is 09:05:00Z.
    await expect(created).toHaveText('58m 49s ago');
    await expect(created).toHaveAttribute('title', /2026-11-24 08:06:10/);
    // The view refreshes every 30 s.
    await page.clock.fastForward(31_000);
    await expect(created).toHaveText('59m 20s ago');
    await page.clock.fastForward('10:00');
    await expect(created).toHaveText('1h 9m ago');
  });

  // The demo's long dispatch job names must not push the Fate column (rescheduled /
  // replaced / not rescheduled) out of a 1400 px window: the virtualized table has one row
  // height, so long cells are cut with an ellipsis (the full text is in the cell's title).
  test('the list fits a 1400 px wide window, Fate column included', async ({ page }) => {
    await page.goto('/#/allocations');
    await expect(rows(page)).toHaveCount(53);
    const m = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      fateRight: document.querySelector('table.allocs thead th:last-child').getBoundingClientRect().right,
    }));
    expect(m.fateRight, 'the Fate column ends inside the window').toBeLessThanOrEqual(m.clientWidth);
    expect(m.scrollWidth, 'no horizontal page scroll').toBeLessThanOrEqual(m.clientWidth);
  });

  test('an unknown route shows the no-such-page view with a way back', async ({ page }) => {
    await page.goto('/#/no/such/view');
    await expect(page.locator('main h1')).toHaveText('No such page');
    await page.getByRole('link', { name: 'Show all allocations' }).click();
    await expect(rows(page)).toHaveCount(53);
  });
});

test.describe('allocation page', () => {
  test('D from the list: summary, tasks, the whole reschedule chain, raw JSON', async ({ page }) => {
    await page.goto('/#/allocations');
    await page.locator(`tr[data-id="${D}"] td.id a`).click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${D}$`));

    await expect(page.locator('main h1')).toHaveText('checkout-api.api[0]');
    await expect(summary(page, 'ID')).toContainText(D);
    await expect(summary(page, 'Job')).toContainText('checkout-api');
    await expect(summary(page, 'Job')).toContainText('v3');
    await expect(summary(page, 'Namespace')).toHaveText('payments');
    await expect(summary(page, 'Task group')).toHaveText('api');
    await expect(summary(page, 'Node')).toContainText('nomad-client-eu-1b-01');
    await expect(summary(page, 'Client status')).toContainText('running');

    // Tasks in lifecycle order, the dotted sidecar name intact.
    const tasks = page.locator('table.tasks tbody tr');
    await expect(tasks).toHaveCount(3);
    expect(await tasks.locator('td:nth-child(1)').allInnerTexts()).toEqual(['db-migrate', 'envoy.proxy', 'api']);
    expect(await tasks.locator('td:nth-child(2)').allInnerTexts()).toEqual(['prestart', 'prestart sidecar', 'main']);
    expect(await tasks.locator('td:nth-child(4)').allInnerTexts()).toEqual(['0', '0', '2']);

    // The chain: A (gap), B, C, D, oldest first, hops between, D current.
    const chain = page.locator('ol.chain');
    const attempts = chain.locator('li.attempt');
    await expect(attempts).toHaveCount(4);
    // The gap is resolved (404) before its text is final.
    await expect(attempts.nth(0)).toContainText('not found at the source: garbage-collected');
    const kinds = await chain.locator(':scope > li').evaluateAll((lis) =>
      lis.filter((li) => !li.classList.contains('chain-note')).map((li) =>
        li.classList.contains('hop') ? 'hop' : li.classList.contains('gap') ? 'gap' : li.classList.contains('current') ? 'current' : 'attempt'),
    );
    expect(kinds).toEqual(['gap', 'hop', 'attempt', 'hop', 'attempt', 'hop', 'current']);
    await expect(attempts.nth(0)).toHaveClass(/\bgap\b/);
    await expect(attempts.nth(0).locator('.mono')).toHaveText(A.slice(0, 8));
    await expect(attempts.nth(0).locator('.mono')).toHaveAttribute('title', A);
    await expect(attempts.nth(0).locator('a')).toHaveCount(0);
    await expect(attempts.nth(1).locator('a')).toHaveText(B.slice(0, 8));
    await expect(attempts.nth(1)).toContainText('OOM killed');
    await expect(attempts.nth(1)).toContainText('exit code 137');
    await expect(attempts.nth(2).locator('a')).toHaveText(C.slice(0, 8));
    await expect(attempts.nth(2)).toContainText(PULL_FAILED);
    await expect(attempts.nth(3).locator('a')).toHaveText(D.slice(0, 8));
    await expect(attempts.nth(3)).toHaveClass(/\bcurrent\b/);
    await expect(attempts.nth(3)).toHaveAttribute('aria-current', 'true');
    await expect(attempts.nth(3)).toContainText('this allocation');
    await expect(chain.locator('li.current')).toHaveCount(1);
    for (const i of [0, 1, 2]) await expect(attempts.nth(i)).not.toHaveClass(/\bcurrent\b/);

    const hops = chain.locator('li.hop');
    await expect(hops).toHaveCount(3);
    await expect(hops.nth(0)).toContainText('after a 30s delay');
    await expect(hops.nth(1)).toContainText('after a 1m0s delay');
    await expect(hops.nth(2)).toContainText('after a 2m0s delay');
    for (const i of [0, 1, 2]) await expect(hops.nth(i)).toContainText('rescheduled');

    await shot(page, 'allocation.png');

    // Raw JSON: closed until asked for, then the allocation as the source sent it.
    const raw = page.locator('details.raw-json');
    await expect(raw).not.toHaveAttribute('open');
    await raw.locator('summary').click();
    await expect(raw).toHaveAttribute('open', '');
    await expect(raw.locator('pre')).toContainText(`"ID": "${D}"`);
    await expect(raw.locator('pre')).toContainText('"Namespace": "payments"');
    await expect(raw.locator('pre')).toContainText(`"PreviousAllocation": "${C}"`);
  });

  test('following the chain to the previous attempt C shows the image pull failure', async ({ page }) => {
    await page.goto(`/#/allocations/${D}`);
    const attempts = page.locator('ol.chain li.attempt');
    await expect(attempts).toHaveCount(4);
    await attempts.nth(2).locator('a', { hasText: C.slice(0, 8) }).click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${C}$`));
    await expect(summary(page, 'ID')).toContainText(C);
    await expect(summary(page, 'Client status')).toContainText('failed');
    await expect(summary(page, 'Desired status')).toContainText('stop');
    await expect(summary(page, 'Node')).toContainText('nomad-client-eu-1a-03');
    // The chain is the same from C's side, C now current, D still reachable.
    await expect(attempts).toHaveCount(4);
    await expect(page.locator('ol.chain li.current')).toHaveCount(1);
    await expect(attempts.nth(2)).toHaveClass(/\bcurrent\b/);
    await expect(attempts.nth(2)).toContainText(PULL_FAILED);
    await expect(attempts.nth(3).locator('a')).toHaveText(D.slice(0, 8));
    // The api task failed on the image pull.
    const api = page.locator('table.tasks tbody tr', { has: page.locator('td:first-child', { hasText: /^api$/ }) });
    await expect(api.locator('td:nth-child(3) .badge')).toHaveText('dead (failed)');
    await api.locator('a').click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${C}/tasks/api$`));
    const types = await page.locator('table.events tbody td.ev-type').allInnerTexts();
    expect(types.filter((t) => t === 'Driver Failure')).toHaveLength(3);
    await expect(page.locator('table.events tbody tr').first()).toContainText('Not Restarting');
    await expect(page.locator('table.events')).toContainText('manifest for registry.example.com/checkout-api:2.4.1 not found');
  });

  test('B in the chain links to the OOM-killed attempt', async ({ page }) => {
    await page.goto(`/#/allocations/${D}`);
    await page.locator('ol.chain li.attempt').nth(1).locator('a').click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${B}$`));
    await expect(page.locator('ol.chain li.current')).toContainText('OOM killed (exit code 137)');
    const api = page.locator('table.tasks tbody tr', { has: page.locator('td:first-child', { hasText: /^api$/ }) });
    await expect(api.locator('td:nth-child(3) .badge')).toHaveText('dead (failed)');
  });

  test('the copy button puts the full allocation ID on the clipboard', async ({ page, context, baseURL }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
    await page.goto(`/#/allocations/${D}`);
    const copy = summary(page, 'ID').getByRole('button', { name: 'Copy allocation ID' });
    await expect(copy).toHaveText('copy');
    await copy.click();
    await expect(copy).toHaveText('copied');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(D);
  });

  // "copied" only when clipboard.writeText resolved; a refusal says so.
  test('the copy button does not claim success when the clipboard refuses', async ({ page }) => {
    await page.addInitScript(() => {
      navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError'));
    });
    await page.goto(`/#/allocations/${D}`);
    const copy = summary(page, 'ID').locator('button.copy');
    await copy.click();
    // Give the rejected promise time to settle, then the button must not say it worked.
    await page.waitForTimeout(300);
    await expect(copy).not.toHaveText('copied', { timeout: 1000 });
  });

  test('the garbage-collected attempt A shows the not-found notice', async ({ page }) => {
    const seen = [];
    page.on('response', (r) => {
      if (r.url().includes(A)) seen.push(r.status());
    });
    await page.goto(`/#/allocations/${A}`);
    const notice = page.locator('.notice.not-found[role="alert"]');
    await expect(notice).toBeVisible();
    await expect(notice.locator('.error-headline')).toHaveText(`Allocation ${A} was not found at the source.`);
    await expect(notice).toContainText('garbage-collects terminal allocations');
    expect(seen).toEqual([404]);
    await notice.getByRole('link', { name: 'Back to all allocations' }).click();
    await expect(rows(page)).toHaveCount(53);
  });
});

test.describe('task page', () => {
  test('envoy.proxy from D\'s tasks table: the dotted name survives the route', async ({ page }) => {
    await page.goto(`/#/allocations/${D}`);
    await page.locator('table.tasks').getByRole('link', { name: 'envoy.proxy', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${D}/tasks/envoy\\.proxy$`));
    await expect(page.locator('main h1')).toHaveText('envoy.proxy');
    await expect(page.locator('.crumbs')).toHaveText('Allocations / checkout-api.api[0] / envoy.proxy');
    await expect(summary(page, 'Lifecycle')).toHaveText('prestart sidecar');
    await expect(summary(page, 'Restarts')).toHaveText('0');
    await expect(page.locator('.events-head h2')).toHaveText('Events (4)');
    expect(await page.locator('table.events tbody td.ev-type').allInnerTexts()).toEqual(['Started', 'Driver', 'Task Setup', 'Received']);
    await expect(page.locator('table.events')).toContainText('image=envoyproxy/envoy:v1.31.2');
  });

  test('api: restart history newest first, toggled to oldest first and back', async ({ page }) => {
    await page.goto(`/#/allocations/${D}`);
    await page.locator('table.tasks').getByRole('link', { name: 'api', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${D}/tasks/api$`));
    await expect(page.locator('main h1')).toHaveText('api');
    await expect(summary(page, 'Restarts')).toHaveText('2');
    await expect(page.locator('.events-head h2')).toHaveText('Events (10)');
    await expect(page.locator('.events-head')).toContainText('Nomad keeps only the last 10 events per task');

    const events = page.locator('table.events tbody tr');
    const toggle = page.locator('button.toggle-order');
    await expect(toggle).toHaveText('Newest first ▾');
    await expect(events).toHaveCount(10);
    const numbers = () => events.locator('td:first-child').allInnerTexts();
    expect(await numbers()).toEqual(['10', '9', '8', '7', '6', '5', '4', '3', '2', '1']);
    await expect(events.first().locator('.ev-type')).toHaveText('Started');
    await expect(events.last().locator('.ev-type')).toHaveText('Received');
    const restarting = events.filter({ has: page.locator('td.ev-type', { hasText: /^Restarting$/ }) });
    await expect(restarting).toHaveCount(2);
    expect(await restarting.locator('.ev-msg').allInnerTexts()).toEqual([
      'Task restarting in 17.026513154s',
      'Task restarting in 16.732s',
    ]);
    // The exits that caused them.
    const terminated = events.filter({ has: page.locator('td.ev-type', { hasText: /^Terminated$/ }) });
    await expect(terminated).toHaveCount(2);
    await expect(terminated.first()).toContainText('Docker container exited with non-zero exit code: 1');

    await shot(page, 'task.png');

    await toggle.click();
    await expect(toggle).toHaveText('Oldest first ▴');
    expect(hashParams(page).get('order')).toBe('oldest');
    expect(await numbers()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    await expect(events.first().locator('.ev-type')).toHaveText('Received');
    expect(await restarting.locator('.ev-msg').allInnerTexts()).toEqual([
      'Task restarting in 16.732s',
      'Task restarting in 17.026513154s',
    ]);

    await toggle.click();
    await expect(toggle).toHaveText('Newest first ▾');
    expect(hashParams(page).get('order')).toBeNull();
    expect(await numbers()).toEqual(['10', '9', '8', '7', '6', '5', '4', '3', '2', '1']);
  });

  test('deep links straight to task URLs work, with the order in the URL', async ({ page }) => {
    await page.goto(`/#/allocations/${D}/tasks/envoy.proxy`);
    await expect(page.locator('main h1')).toHaveText('envoy.proxy');
    await expect(summary(page, 'Allocation')).toHaveText(D);
    await expect(page.locator('table.events tbody tr')).toHaveCount(4);

    // A percent-encoded dot is the same task.
    await page.goto(`/#/allocations/${D}/tasks/envoy%2Eproxy`);
    await expect(page.locator('main h1')).toHaveText('envoy.proxy');

    await page.goto(`/#/allocations/${D}/tasks/api?order=oldest`);
    await expect(page.locator('main h1')).toHaveText('api');
    await expect(page.locator('button.toggle-order')).toHaveText('Oldest first ▴');
    await expect(page.locator('table.events tbody tr').first().locator('td:first-child')).toHaveText('1');

    // The crumb leads back to the allocation.
    await page.locator('.crumbs').getByRole('link', { name: 'checkout-api.api[0]' }).click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${D}$`));
    await expect(page.locator('ol.chain li.attempt')).toHaveCount(4);
  });

  test('a task name the allocation does not have is reported with the tasks it has', async ({ page }) => {
    await page.goto(`/#/allocations/${D}/tasks/envoy`);
    const notice = page.locator('.notice[role="alert"]');
    await expect(notice).toContainText('Allocation 211a8252 has no task named "envoy".');
    await expect(notice).toContainText('Its tasks:');
    await expect(notice).toContainText('envoy.proxy');
  });
});

test.describe('local times', () => {
  test.describe('in Asia/Kolkata (UTC+05:30)', () => {
    test.use({ timezoneId: 'Asia/Kolkata' });
    test('absolute times are local, with UTC on hover', async ({ page }) => {
      await page.goto(`/#/allocations/${D}`);
      const created = summary(page, 'Created');
      await expect(created.locator('time').first()).toHaveText('2026-11-24 13:36:10');
      await expect(created.locator('time').first()).toHaveAttribute('title', '2026-11-24 08:06:10 UTC');
      await expect(created.locator('time').nth(1)).toHaveText('58m 49s ago');
    });
  });

  // Each time uses the zone's offset at that instant: D was created 2026-11-24 08:06:10 UTC
  // = 03:06:10 EST in New York, also when viewed on 2027-03-20 (EDT, UTC-4).
  test.describe('in America/New_York across a DST change', () => {
    test.use({ timezoneId: 'America/New_York' });
    test('a winter time viewed in summer time is shown in winter time', async ({ page }) => {
      await page.clock.setFixedTime(new Date('2027-03-20T12:00:00Z'));
      await page.goto(`/#/allocations/${D}`);
      const created = summary(page, 'Created').locator('time').first();
      await expect(created).toHaveAttribute('title', '2026-11-24 08:06:10 UTC');
      // What the browser itself says the wall-clock time was.
      const expected = await page.evaluate(() => {
        const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
          timeZone: 'America/New_York', year: 'numeric', month: '2-digit', day: '2-digit',
          hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
        }).formatToParts(new Date(Date.UTC(2026, 10, 24, 8, 6, 10))).map((x) => [x.type, x.value]));
        return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
      });
      expect(expected).toBe('2026-11-24 03:06:10');
      await expect(created).toHaveText(expected, { timeout: 3000 });
    });
  });
});

test.describe('why it ended, budgets, timeline, incident summary, slot history', () => {
  const cause = (page) => page.locator('section.cause-card[aria-label="Why it ended"]');

  test('C: the cause card names the image pull failure with its evidence; the restart budget is exhausted', async ({ page }) => {
    await page.goto(`/#/allocations/${C}`);
    await expect(cause(page)).toHaveClass(/\bfailure\b/);
    await expect(cause(page).locator('h2')).toHaveText('Why this allocation ended');
    await expect(cause(page).locator('.cause-summary')).toContainText(PULL_FAILED);
    await expect(cause(page).locator('.evidence')).toContainText('Driver Failure');
    await expect(cause(page).locator('.evidence')).toContainText('Failed to pull `registry.example.com/checkout-api:2.4.1`');
    const budget = page.locator('section.budget');
    const apiRestarts = budget.locator('dt', { hasText: /^Restarts of api$/ }).locator('xpath=following-sibling::dd[1]');
    await expect(apiRestarts).toContainText('2 of 2 restarts');
    await expect(apiRestarts).toHaveClass(/\bexhausted\b/);
    await expect(budget.locator('dt', { hasText: /^Restarts of db-migrate$/ }).locator('xpath=following-sibling::dd[1]')).not.toHaveClass(/\bexhausted\b/);
    await expect(budget.locator('dd.reschedule-used')).toContainText('2 used');
    // The task's cause label in the tasks table.
    const api = page.locator('table.tasks tbody tr', { has: page.locator('td:first-child', { hasText: /^api$/ }) });
    await expect(api.locator('.cause-label')).not.toBeEmpty();
    await expect(page.locator('table.tasks tbody tr', { has: page.locator('td:first-child', { hasText: /^envoy\.proxy$/ }) }).locator('.cause-label')).toHaveCount(0);
  });

  test('B: the allocation and its api task were OOM killed', async ({ page }) => {
    await page.goto(`/#/allocations/${B}`);
    await expect(cause(page).locator('.cause-summary')).toContainText('OOM killed');
    await expect(cause(page).locator('.evidence')).toContainText('Exit Code: 137, Exit Message: "OOM Killed"');
    await page.locator('table.tasks').getByRole('link', { name: 'api', exact: true }).click();
    await expect(cause(page).locator('h2')).toHaveText('Why this task ended');
    await expect(cause(page).locator('.cause-summary')).toContainText('OOM killed');
  });

  test('D (running): no cause card; the timeline spans attempts B, C and D in time order; the incident summary names them all', async ({ page }) => {
    await page.goto(`/#/allocations/${D}`);
    await expect(page.locator('ol.chain li.attempt')).toHaveCount(4);
    await expect(cause(page)).toHaveCount(0);
    await expect(page.locator('section.budget dd.reschedule-used')).toContainText('3 used');
    // The running attempt's restarts, used of allowed by the group's restart policy.
    const apiRestarts = page.locator('section.budget dt', { hasText: /^Restarts of api$/ }).locator('xpath=following-sibling::dd[1]');
    await expect(apiRestarts).toHaveText('2 of 2 restarts used in 30m0s (mode fail)');

    const rows = page.locator('table.timeline tbody tr');
    await expect(rows.first()).toContainText('created');
    const attempts = await rows.evaluateAll((trs) => trs.map((t) => Number(t.dataset.attempt)));
    expect(new Set(attempts)).toEqual(new Set([2, 3, 4]));
    expect(attempts).toEqual([...attempts].sort((a, b) => a - b));
    const times = await rows.locator('td:first-child').allInnerTexts();
    expect(times).toEqual([...times].sort());
    const hops = rows.filter({ has: page.locator('td.tl-what', { hasText: /^rescheduled$/ }) });
    await expect(hops).toHaveCount(2);
    await expect(hops.nth(0)).toContainText('after a 1m0s delay');
    await expect(hops.nth(1)).toContainText('after a 2m0s delay');
    await expect(rows.filter({ hasText: 'OOM Killed' })).toHaveCount(3);

    const incident = page.locator('details.incident');
    await incident.locator('summary').click();
    const md = incident.locator('pre.incident-md');
    await expect(md).toContainText('# checkout-api.api[0]');
    for (const id of [A, B, C, D]) await expect(md).toContainText(id.slice(0, 8));
    await expect(md).toContainText(D);
    await expect(md).toContainText('OOM killed');
    // The chain as a table and a cause section per ended attempt.
    await expect(md).toContainText('| 2 | `e3991c99` |');
    await expect(md).toContainText('| 4 | `211a8252` (this one) |');
    await expect(md).toContainText('### Attempt 2 (`e3991c99`): api was OOM killed (exit code 137)');
    await expect(md).toContainText('### Attempt 3 (`e263482b`): api could not start: the image pull failed');
    // And the copy button puts exactly that on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await incident.locator('button.copy').click();
    await expect(incident.locator('button.copy')).toHaveText('copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(await md.textContent());
  });

  test('the job-scoped list draws one lane per slot with a bar per attempt; a bar opens its attempt', async ({ page }) => {
    await page.goto('/#/allocations?job=checkout-api');
    const chart = page.locator('section.slot-history svg');
    await expect(chart).toBeVisible();
    await expect(chart.locator('g.lane')).toHaveCount(3);
    expect(await chart.locator('g.lane').evaluateAll((ls) => ls.map((l) => l.dataset.lane))).toEqual([
      'checkout-api.api[0]', 'checkout-api.api[1]', 'checkout-api.api[2]',
    ]);
    const lane0 = chart.locator('g.lane[data-lane="checkout-api.api[0]"] g.bar');
    // (Drawing order is the app's business: compare by attempt.)
    expect((await lane0.evaluateAll((bs) => bs.map((b) => [b.dataset.id, b.getAttribute('class')]))).sort()).toEqual([
      [D, 'bar o-running'], [C, 'bar o-failed'], [B, 'bar o-failed'],
    ].sort());
    await expect(lane0.and(page.locator(`[data-id="${B}"]`)).locator('title')).toContainText('e3991c99 failed');
    await chart.locator(`g.bar[data-id="${D}"]`).click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${D}$`));
    // The unscoped list has no chart.
    await page.goto('/#/allocations');
    await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
    await expect(page.locator('section.slot-history')).toHaveCount(0);
  });

  // The bars are focusable links (role="link", tabindex="0"): Enter opens them too.
  test('a slot-history bar opens its attempt from the keyboard', async ({ page }) => {
    await page.goto('/#/allocations?job=checkout-api');
    const bar = page.locator(`section.slot-history g.bar[data-id="${C}"]`);
    await bar.focus();
    await expect(bar).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(new RegExp(`#/allocations/${C}$`), { timeout: 3000 });
  });

  // B and C last minutes on a ~40 h axis: each bar keeps a minimum width and starts after
  // the previous one, so neither is covered and both can be clicked.
  test('every slot-history bar can be clicked (short attempts are not covered by the next)', async ({ page }) => {
    await page.goto('/#/allocations?job=checkout-api');
    await expect(page.locator('section.slot-history g.bar')).toHaveCount(5);
    const covered = await page.evaluate(() =>
      [...document.querySelectorAll('section.slot-history g.bar')].filter((g) => {
        const r = g.querySelector('rect').getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !hit || hit.closest('g.bar') !== g;
      }).map((g) => g.dataset.id.slice(0, 8)),
    );
    expect(covered).toEqual([]);
  });

  // An attempt ends when its tasks finished (B: 08:02:16), not at its ModifyTime (08:03:17,
  // when the scheduler replaced it, a reschedule delay later).
  test('the timeline ends B when its tasks died, a reschedule delay before the reschedule', async ({ page }) => {
    await page.goto(`/#/allocations/${D}`);
    const ended = page.locator('table.timeline tbody tr[data-attempt="2"]', { has: page.locator('td.tl-what', { hasText: /^ended$/ }) });
    await expect(ended).toHaveCount(1);
    await expect(ended.locator('td:first-child')).toHaveText('2026-11-24 08:02:16', { timeout: 3000 });
  });

  // "Key events" keeps only some timeline entries; its +Δ is measured from the row above.
  test('the incident summary\'s +Δ column measures from the row above', async ({ page }) => {
    await page.goto(`/#/allocations/${D}`);
    await expect(page.locator('ol.chain li.attempt')).toHaveCount(4);
    const md = await page.locator('details.incident pre.incident-md').textContent();
    const section = md.split('## Key events')[1];
    const rows = section.split('\n').filter((l) => /^\| \d{4}-/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.length).toBeGreaterThan(5);
    const secs = (t) => Date.parse(t.replace(' UTC', 'Z').replace(' ', 'T')) / 1000;
    const parse = (d) => {
      let s = 0;
      for (const [, n, u] of d.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) s += Number(n) * { h: 3600, m: 60, s: 1, ms: 0.001 }[u];
      return s;
    };
    const wrong = [];
    for (let i = 1; i < rows.length; i++) {
      const [, time, delta] = rows[i];
      if (!delta) continue;
      const actual = secs(time) - secs(rows[i - 1][1]);
      // Times in the table are whole seconds; allow that rounding.
      if (Math.abs(parse(delta) - actual) > 1.5) wrong.push(`${time} ${delta} (the row above is ${actual}s earlier)`);
    }
    expect(wrong).toEqual([]);
  });
});
