// The standalone page under a strict Content-Security-Policy (boot.js says the app is built
// for `script-src 'self' 'wasm-unsafe-eval'`): no inline script, no inline style, no eval,
// and data only from the page's own origin. The header is added to the test server's answer.
import { test as base, expect } from '@playwright/test';

const D = '211a8252-a89f-2b2b-a5af-d530920bcc3a';
const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const test = base.extend({
  page: async ({ page }, use) => {
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    await page.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`),
      );
    });
    // Every HTML document from the test server gets the policy.
    await page.route(
      (url) => url.pathname.endsWith('/') || url.pathname.endsWith('.html'),
      async (route) => {
        const resp = await route.fetch();
        const type = resp.headers()['content-type'] ?? '';
        if (!type.startsWith('text/html')) return route.fulfill({ response: resp });
        await route.fulfill({ response: resp, headers: { ...resp.headers(), 'content-security-policy': CSP } });
      },
    );
    await use(page);
    expect(problems).toEqual([]);
    expect(await page.evaluate(() => window.__cspViolations).catch(() => [])).toEqual([]);
  },
});

test('the list, an allocation and a task render under a strict CSP', async ({ page }) => {
  const resp = await page.goto('/#/allocations');
  expect(resp.headers()['content-security-policy']).toBe(CSP);
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
  await page.locator(`tr[data-id="${D}"] td.id a`).click();
  await expect(page.locator('ol.chain li.attempt')).toHaveCount(4);
  await page.locator('details.raw-json summary').click();
  await expect(page.locator('details.raw-json pre')).toContainText(D);
  await page.locator('table.tasks').getByRole('link', { name: 'api', exact: true }).click();
  await expect(page.locator('table.events tbody tr')).toHaveCount(10);
  await page.locator('button.toggle-order').click();
  await expect(page.locator('button.toggle-order')).toHaveText('Oldest first ▴');
});

test('the job-scoped list with its slot-history chart renders under a strict CSP', async ({ page }) => {
  await page.goto('/#/allocations?job=checkout-api');
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(5);
  await expect(page.locator('section.slot-history svg g.bar')).toHaveCount(5);
});

test('the app under a strict CSP at the sub-path', async ({ page }) => {
  await page.goto('/a/deep/sub/path/#/allocations');
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
});
