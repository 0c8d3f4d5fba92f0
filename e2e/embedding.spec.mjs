// Static sites and ops portals: the custom element in the example portal (two instances,
// CSS isolation both ways, in-memory routing, events, attribute changes, teardown), iframe
// mode (height and route reported, configuration accepted only from allowed origins), link
// templates from config.json, a strict CSP, and the dark theme.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(here, 'artifacts', 'screenshots');
const DOCS_SHOTS = path.join(here, '..', 'docs', 'screenshots');
const B = 'e3991c99-d379-5b31-e231-de6097d64245';
const C = 'e263482b-3b07-460c-2ef4-3d163ab9ea29';
const D = '211a8252-a89f-2b2b-a5af-d530920bcc3a';

function noErrors(page) {
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  return problems;
}

test.describe('custom element in the example portal', () => {
  test('two elements show different allocations; CSS stays on its side; the host URL never changes', async ({ page }) => {
    const problems = noErrors(page);
    await page.goto('/portal/element.html');
    const left = page.locator('#incident');
    const right = page.locator('#batch');
    // Playwright locators pierce open shadow roots.
    await expect(left.locator('h1')).toHaveText('checkout-api.api[0]');
    await expect(left.locator('dl.summary')).toContainText(D);
    await expect(right.locator('table.allocs tbody tr[data-id]')).toHaveCount(4);
    await expect(right.locator('.chip')).toContainText('nightly-report');
    expect(await page.evaluate(() => [...document.querySelectorAll('allocscope-view')].every((e) => e.shadowRoot?.mode === 'open'))).toBe(true);

    // Portal CSS (red tables, red links) does not reach inside.
    const inside = await left.locator('table.tasks td').first().evaluate((td) => getComputedStyle(td).color);
    expect(inside).not.toBe('rgb(255, 0, 0)');
    const insideBorder = await left.locator('table.tasks td').first().evaluate((td) => getComputedStyle(td).borderTopWidth);
    expect(insideBorder).not.toBe('3px');
    // allocscope's CSS does not leak out: the portal's own .alloc text stays red, its body font stays Georgia.
    expect(await page.locator('p.alloc').evaluate((p) => getComputedStyle(p).color)).toBe('rgb(255, 0, 0)');
    expect(await page.evaluate(() => getComputedStyle(document.body).fontFamily)).toContain('Georgia');
    expect(await page.evaluate(() => document.querySelectorAll('link[href$="app.css"]').length)).toBe(0);
    // The dark widget is dark, the light one light; the portal's --allocscope-accent reaches in.
    expect(await right.locator('.as-root').getAttribute('data-theme')).toBe('dark');
    expect(await left.locator('.as-root').getAttribute('data-theme')).toBe('light');
    const accent = await right.locator('.as-root').evaluate((e) => getComputedStyle(e).getPropertyValue('--as-accent').trim());
    expect(accent).toBe('#ff9f1c');

    // Navigating inside a widget: the host URL stays, the portal hears about it.
    const before = page.url();
    await left.locator('ol.chain li.attempt a', { hasText: B.slice(0, 8) }).click();
    await expect(left.locator('.cause-card')).toContainText('OOM killed');
    expect(page.url()).toBe(before);
    await expect(page.locator('#events')).toContainText(`incident allocscope-navigate {"route":"/allocations/${B}"}`);
    await expect(page.locator('#events')).toContainText(`incident allocscope-select {"allocation":"${B}"}`);
    // The other instance was not affected.
    await expect(right.locator('table.allocs tbody tr[data-id]')).toHaveCount(4);
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'portal-element.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  test('attributes are observed at runtime; the token is a property; removal tears down', async ({ page }) => {
    const problems = noErrors(page);
    const seen = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/')) seen.push({ url: r.url(), token: r.headers()['x-nomad-token'] });
    });
    await page.goto('/portal/element.html');
    const left = page.locator('#incident');
    await expect(left.locator('h1')).toHaveText('checkout-api.api[0]');
    await page.click('#show-oom');
    await expect(left.locator('.cause-card')).toContainText('api was OOM killed (exit code 137)');
    await page.evaluate((c) => document.getElementById('incident').setAttribute('allocation', c), C);
    await expect(left.locator('.cause-card')).toContainText('the image pull failed');
    await page.evaluate(() => document.getElementById('batch').setAttribute('theme', 'light'));
    await expect(page.locator('#batch .as-root')).toHaveAttribute('data-theme', 'light');

    // The token goes out as X-Nomad-Token, never into an attribute or a URL.
    await page.evaluate(() => { document.getElementById('batch').token = 's3cr3t-token'; });
    await expect.poll(() => seen.filter((s) => s.token === 's3cr3t-token').length).toBeGreaterThan(0);
    expect(await page.locator('#batch').getAttribute('token')).toBeNull();
    expect(seen.every((s) => !s.url.includes('s3cr3t'))).toBe(true);
    expect(await page.evaluate(() => document.getElementById('batch').token)).not.toContain('s3cr3t');

    // Removal tears the instance down; a new element works beside the remaining one.
    await page.evaluate(() => document.getElementById('batch').remove());
    expect(await page.locator('allocscope-view').count()).toBe(1);
    await page.evaluate(() => {
      const el = document.createElement('allocscope-view');
      el.id = 'late';
      el.setAttribute('job', 'checkout-api');
      document.querySelector('.cards').append(el);
    });
    await expect(page.locator('#late .slot-history g.lane')).toHaveCount(3);
    expect(problems).toEqual([]);
  });

  test('a widget\'s link to its view opens the standalone app at the same view; app-url overrides where', async ({ page, context, baseURL }) => {
    await page.goto('/portal/element.html');
    const right = page.locator('#batch');
    await expect(right.locator('table.allocs tbody tr[data-id]')).toHaveCount(4);
    await right.locator('#search').fill('nightly-report.report[0');
    await expect(right.locator('table.allocs tbody tr[data-id]')).toHaveCount(1);
    const url = await right.locator('.permalink').getAttribute('data-url');
    // By default the app beside allocscope-element.js; the source in full, never a token.
    expect(url.startsWith(`${baseURL}/allocscope/?source=${encodeURIComponent(`${baseURL}/allocscope/demo/`)}#/allocations?`)).toBe(true);
    const opened = await context.newPage();
    await opened.goto(url);
    await expect(opened.locator('table.allocs tbody tr[data-id]')).toHaveCount(1);
    await expect(opened.locator('.chip')).toContainText('nightly-report');
    await expect(opened.locator('#search')).toHaveValue('nightly-report.report[0');
    await opened.close();

    await page.evaluate(() => document.getElementById('batch').setAttribute('app-url', '/tools/allocscope/'));
    await expect(right.locator('.permalink')).toHaveAttribute('data-url', new RegExp(`^${baseURL}/tools/allocscope/\\?source=`));
  });
});

test.describe('iframe mode', () => {
  test('the frame reports its height and route, and takes configuration from the allowed portal', async ({ page }) => {
    const problems = noErrors(page);
    await page.goto('/portal/iframe.html');
    await expect(page.locator('#route')).toHaveText('/allocations');
    const frame = page.frameLocator('#frame');
    await expect(frame.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
    // The first report may come while the frame still shows its loading state; once the
    // 53 rows are in, the reported height follows the content.
    await expect.poll(async () => Number(await page.locator('#height').textContent())).toBeGreaterThan(300);
    await page.click('#dark');
    await expect(frame.locator('.as-root')).toHaveAttribute('data-theme', 'dark');
    await page.click('#open-c');
    await expect(frame.locator('.cause-card')).toContainText('the image pull failed');
    await expect(page.locator('#route')).toHaveText(`/allocations/${C}`);
    const types = await page.evaluate(() => window.allocscopeMessages.map((m) => m.type));
    expect(types).toContain('allocscope:ready');
    expect(types).toContain('allocscope:height');
    expect(types).toContain('allocscope:route');
    expect(problems).toEqual([]);
  });

  test('configuration from a foreign origin is ignored, and the foreign parent hears nothing', async ({ page, baseURL }) => {
    const foreign = baseURL.replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`);
    await page.goto(`${foreign}/foreign/frame.html`);
    const frame = page.frameLocator('#frame');
    await expect(frame.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
    await page.evaluate(() => window.sendConfig());
    // Give the frame time to (not) act on it.
    await page.waitForTimeout(800);
    await expect(frame.locator('.as-root')).toHaveAttribute('data-theme', 'auto');
    await expect(frame.locator('h1')).toHaveText('Allocations');
    expect(await page.evaluate(() => window.received.length)).toBe(0);
  });
});

test('link templates from config.json are shown with encoded values', async ({ page }) => {
  await page.goto(`/allocscope/index.html#/allocations/${D}/tasks/envoy.proxy`);
  const logs = page.locator('.ext-links a', { hasText: 'Logs' });
  await expect(logs).toHaveAttribute('href', `https://logs.example.com/search?alloc=${D}&task=envoy.proxy&job=checkout-api`);
  await expect(logs).toHaveAttribute('rel', 'noopener noreferrer');
  await page.goto(`/allocscope/index.html#/allocations/${D}`);
  await expect(page.locator('.ext-links a', { hasText: 'Metrics' })).toHaveAttribute('href', `https://metrics.example.com/d/alloc?var-alloc=${D}&var-ns=payments`);
});

test('a malformed config.json is named with its place, and the defaults apply', async ({ page }) => {
  await page.goto('/badconfig/index.html#/allocations');
  await expect(page.locator('.config-error')).toContainText('config.json, line 2');
  await expect(page.locator('.config-error')).toContainText('$.source');
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
});

test('/csp/: the real response header, and no violation anywhere', async ({ page }) => {
  const violations = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const response = await page.goto('/csp/index.html#/allocations');
  expect(response.headers()['content-security-policy']).toBe("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'");
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
  await page.locator('table.allocs tbody tr[data-id] td.id a').first().click();
  await expect(page.locator('dl.summary')).toBeVisible();
  await page.goto(`/csp/index.html#/allocations/${D}/tasks/api`);
  await expect(page.locator('table.events tbody tr')).not.toHaveCount(0);
  await page.goto('/csp/index.html#/allocations?job=checkout-api');
  await expect(page.locator('.slot-history g.lane')).toHaveCount(3);
  expect(await page.evaluate(() => window.__violations)).toEqual([]);
  expect(violations).toEqual([]);
});

test('dark theme, following the system setting', async ({ browser, baseURL }) => {
  const context = await browser.newContext({ colorScheme: 'dark', viewport: { width: 1400, height: 900 }, baseURL });
  const page = await context.newPage();
  await page.goto(`/allocscope/index.html#/allocations/${B}`);
  await expect(page.locator('.cause-card')).toBeVisible();
  const bg = await page.locator('.as-root').evaluate((e) => getComputedStyle(e).backgroundColor);
  expect(bg).toBe('rgb(21, 25, 29)');
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, 'dark.png') });
  fs.mkdirSync(DOCS_SHOTS, { recursive: true });
  fs.copyFileSync(path.join(SHOTS, 'dark.png'), path.join(DOCS_SHOTS, 'dark.png'));
  // The header toggle overrides the system and is remembered.
  await page.click('.pref-theme');
  await expect(page.locator('.as-root')).toHaveAttribute('data-theme', 'light');
  await page.reload();
  await expect(page.locator('.as-root')).toHaveAttribute('data-theme', 'light');
  await page.click('.pref-density');
  await expect(page.locator('.as-root')).toHaveAttribute('data-density', 'compact');
  await context.close();
});
