// Sub-path deployment: the same dist/ served at /a/deep/sub/path/ works, and the page never
// reaches outside that prefix except for the source it was pointed at.
import { test as base, expect } from '@playwright/test';

const PREFIX = '/a/deep/sub/path/';
const D = '211a8252-a89f-2b2b-a5af-d530920bcc3a';

const test = base.extend({
  // Every request the page makes, as absolute URLs.
  requests: async ({ page }, use) => {
    const seen = [];
    page.on('request', (r) => seen.push(r.url()));
    await use(seen);
  },
  page: async ({ page }, use) => {
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
    await use(page);
    expect(problems).toEqual([]);
  },
});

/** Requests outside the allowed URL prefixes (compared as absolute URLs). */
function outside(requests, baseURL, prefixes) {
  const allowed = prefixes.map((p) => new URL(p, baseURL).href);
  return requests.filter((u) => !allowed.some((p) => u.startsWith(p)));
}

test('the list at the sub-path shows the 53 demo allocations, loaded from under the prefix', async ({ page, requests, baseURL }) => {
  await page.goto(`${PREFIX}#/allocations`);
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
  await expect(page.locator('.count-line')).toHaveText('53 of 53 allocations');
  await expect(page.locator('header .source')).toContainText('demo snapshot (bundled)');
  // The app, its wasm and the demo data really came from under the prefix.
  const paths = requests.map((u) => new URL(u).pathname);
  expect(paths).toContain(PREFIX);
  expect(paths.some((p) => p.startsWith(PREFIX) && p.endsWith('.wasm'))).toBe(true);
  expect(paths.some((p) => p.startsWith(PREFIX) && p.endsWith('.css'))).toBe(true);
  expect(paths).toContain(`${PREFIX}demo/v1/allocations`);

  // In-app navigation to an allocation and a task stays under the prefix too.
  await page.locator(`tr[data-id="${D}"] td.id a`).click();
  await expect(page).toHaveURL(new RegExp(`${PREFIX}#/allocations/${D}$`));
  await expect(page.locator('ol.chain li.attempt')).toHaveCount(4);
  await expect(page.locator('ol.chain li.attempt').first()).toContainText('garbage-collected');
  await page.locator('table.tasks').getByRole('link', { name: 'envoy.proxy', exact: true }).click();
  await expect(page.locator('main h1')).toHaveText('envoy.proxy');
  await page.locator('header a.brand').click();
  await expect(page).toHaveURL(new RegExp(`${PREFIX}#/allocations$`));
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);

  const paths2 = requests.map((u) => new URL(u).pathname);
  expect(paths2).toContain(`${PREFIX}demo/v1/allocation/${D}`);
  expect(paths2).toContain(`${PREFIX}demo/v1/job/checkout-api/allocations`);
  expect(outside(requests, baseURL, [PREFIX])).toEqual([]);
});

test('a deep link to an allocation at the sub-path works', async ({ page, requests, baseURL }) => {
  await page.goto(`${PREFIX}#/allocations/${D}`);
  await expect(page.locator('main h1')).toHaveText('checkout-api.api[0]');
  await expect(page.locator('dl.summary')).toContainText('payments');
  await expect(page.locator('ol.chain li.current')).toContainText('211a8252');
  await expect(page.locator('ol.chain li.attempt')).toHaveCount(4);
  await expect(page.locator('ol.chain li.hop')).toHaveCount(3);
  expect(outside(requests, baseURL, [PREFIX])).toEqual([]);
});

test('a deep link to a task at the sub-path works', async ({ page, requests, baseURL }) => {
  await page.goto(`${PREFIX}#/allocations/${D}/tasks/api?order=oldest`);
  await expect(page.locator('main h1')).toHaveText('api');
  await expect(page.locator('table.events tbody tr')).toHaveCount(10);
  await expect(page.locator('table.events tbody tr').first()).toContainText('Received');
  expect(outside(requests, baseURL, [PREFIX])).toEqual([]);
});

test('the sub-path without its trailing slash lands on the app', async ({ page, requests, baseURL }) => {
  await page.goto(PREFIX.slice(0, -1));
  await expect(page).toHaveURL(new RegExp(`${PREFIX}#/allocations$`));
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
  expect(outside(requests, baseURL, [PREFIX.slice(0, -1)])).toEqual([]);
});

test('with ?source= at the sub-path, requests go to the prefix or to that source only', async ({ page, requests, baseURL }) => {
  // The malformed fixture's job list is NDJSON, which the decoder reads as two allocations.
  await page.goto(`${PREFIX}?source=/fixtures/malformed/#/allocations?job=broken`);
  await expect(page.locator('header .source')).toContainText('/fixtures/malformed/');
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(2);
  await expect(page.locator('.count-line')).toHaveText('2 of 2 allocations');
  const paths = requests.map((u) => new URL(u).pathname);
  expect(paths).toContain('/fixtures/malformed/v1/job/broken/allocations');
  // The bundled demo is not touched when another source is chosen.
  expect(paths.filter((p) => p.includes('/demo/'))).toEqual([]);
  expect(outside(requests, baseURL, [PREFIX, '/fixtures/malformed/'])).toEqual([]);
});
