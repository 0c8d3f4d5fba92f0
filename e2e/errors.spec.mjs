// Error states: HTTP errors with Nomad's plain-text bodies, Retry, decode errors that say
// what and where (e2e/fixtures/malformed), an unreachable source; and the app stays usable.
import { test as base, expect } from '@playwright/test';
import net from 'node:net';

const D = '211a8252-a89f-2b2b-a5af-d530920bcc3a';

const test = base.extend({
  page: async ({ page }, use) => {
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
    await use(page);
    expect(problems, 'no uncaught errors or dialogs').toEqual([]);
  },
});

const panel = (page) => page.locator('.error-panel[role="alert"]');

/** Requests whose path is exactly `p`. */
function counter(page, p) {
  const hits = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === p) hits.push(r.url());
  });
  return hits;
}

/** A 127.0.0.1 port with nothing listening on it. */
async function closedPort() {
  const srv = net.createServer();
  await new Promise((ok) => srv.listen(0, '127.0.0.1', ok));
  const { port } = srv.address();
  await new Promise((ok) => srv.close(ok));
  return port;
}

test.describe('HTTP errors', () => {
  test('404 on the list: status, the server\'s text, the URL and advice', async ({ page }) => {
    await page.goto('/?source=/broken/404/#/allocations');
    await expect(page.locator('header .source')).toContainText('/broken/404/');
    await expect(panel(page)).toHaveAttribute('data-status', '404');
    await expect(panel(page).locator('.error-headline')).toHaveText('The source answered 404 Not Found');
    // The list is asked for in pages (per_page), as Nomad 1.3+ paginates it.
    await expect(panel(page).locator('.error-url')).toHaveText('GET /broken/404/v1/allocations?per_page=500');
    await expect(panel(page).locator('.error-detail')).toHaveText('alloc not found');
    await expect(panel(page).locator('.error-advice')).toContainText('garbage-collected, or the source URL is wrong');
    await expect(panel(page).locator('button.retry')).toBeVisible();
    await expect(page.locator('main h1')).toHaveText('Allocations');
    await expect(page.locator('table.allocs')).toHaveCount(0);
    await expect(page.locator('.loading')).toHaveCount(0);
  });

  test('500 on the list: No cluster leader, and Retry re-requests until it recovers', async ({ page, request }) => {
    const hits = counter(page, '/broken/500/v1/allocations');
    await page.goto('/?source=/broken/500/#/allocations');
    await expect(panel(page)).toHaveAttribute('data-status', '500');
    await expect(panel(page).locator('.error-headline')).toHaveText('The source answered 500 Internal Server Error');
    await expect(panel(page).locator('.error-detail')).toHaveText('No cluster leader');
    await expect(panel(page).locator('.error-url')).toContainText('/broken/500/v1/allocations');
    await expect(panel(page).locator('.error-advice')).toContainText('retry once it recovers');
    expect(hits).toHaveLength(1);

    // Retry: a new request; the server still fails, the panel stays.
    const again = page.waitForResponse((r) => new URL(r.url()).pathname === '/broken/500/v1/allocations');
    await panel(page).locator('button.retry').click();
    expect((await again).status()).toBe(500);
    await expect.poll(() => hits.length).toBe(2);
    await expect(panel(page).locator('.error-detail')).toHaveText('No cluster leader');

    // The leader is back: the next Retry shows the list and no error.
    const demoList = await (await request.get('/demo/v1/allocations')).body();
    await page.route((url) => url.pathname.endsWith('/broken/500/v1/allocations'), (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: demoList }),
    );
    await panel(page).locator('button.retry').click();
    await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
    await expect(panel(page)).toHaveCount(0);
    expect(hits).toHaveLength(3);
  });

  test('403 on the list: Permission denied with ACL advice', async ({ page }) => {
    await page.goto('/?source=/broken/403/#/allocations');
    await expect(panel(page)).toHaveAttribute('data-status', '403');
    await expect(panel(page).locator('.error-headline')).toHaveText('The source answered 403 Forbidden');
    await expect(panel(page).locator('.error-detail')).toHaveText('Permission denied');
    await expect(panel(page).locator('.error-advice')).toContainText('ACL token');
  });

  test('an HTML error page from a proxy is summarised, not dumped', async ({ page }) => {
    await page.route((url) => url.pathname.endsWith('/demo/v1/allocations'), (route) =>
      route.fulfill({
        status: 502,
        contentType: 'text/html',
        body: '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><script>window.__xss=1</script></body></html>',
      }),
    );
    await page.goto('/#/allocations');
    await expect(panel(page)).toHaveAttribute('data-status', '502');
    await expect(panel(page).locator('.error-headline')).toHaveText('The source answered 502 Bad Gateway');
    await expect(panel(page).locator('.error-detail')).toHaveText('(the server sent an HTML error page)');
    await expect(panel(page).locator('.error-url')).toHaveText('GET demo/v1/allocations?per_page=500');
    expect(await page.evaluate(() => window.__xss)).toBeUndefined();
  });

  test('500 on an allocation page: error panel and a Retry that re-requests', async ({ page }) => {
    const p = `/broken/500/v1/allocation/${D}`;
    const hits = counter(page, p);
    await page.goto(`/?source=/broken/500/#/allocations/${D}`);
    await expect(panel(page)).toHaveAttribute('data-status', '500');
    await expect(panel(page).locator('.error-url')).toHaveText(`GET ${p}`);
    await expect(panel(page).locator('.error-detail')).toHaveText('No cluster leader');
    expect(hits).toHaveLength(1);
    await panel(page).locator('button.retry').click();
    await expect.poll(() => hits.length).toBe(2);
    await expect(panel(page).locator('.error-detail')).toHaveText('No cluster leader');
  });

  test('404 on an allocation page is the not-found notice, not a failure', async ({ page }) => {
    await page.goto(`/?source=/broken/404/#/allocations/${D}`);
    const notice = page.locator('.notice.not-found[role="alert"]');
    await expect(notice.locator('.error-headline')).toHaveText(`Allocation ${D} was not found at the source.`);
    await expect(panel(page)).toHaveCount(0);
  });

  test('403 on a task page shows the error panel with the server text', async ({ page }) => {
    await page.goto(`/?source=/broken/403/#/allocations/${D}/tasks/api`);
    await expect(panel(page)).toHaveAttribute('data-status', '403');
    await expect(panel(page).locator('.error-detail')).toHaveText('Permission denied');
    await expect(panel(page).locator('.error-url')).toHaveText(`GET /broken/403/v1/allocation/${D}`);
  });
});

test.describe('malformed data', () => {
  test('the truncated list: the decode error says what, where (line, column, JSON path) and why', async ({ page }) => {
    await page.goto('/?source=/fixtures/malformed/#/allocations');
    await expect(panel(page).locator('.error-headline')).toHaveText('The response is not allocation JSON');
    // Not an HTTP error: the answer was 200.
    await expect(panel(page)).not.toHaveAttribute('data-status');
    await expect(panel(page).locator('.error-url')).toHaveText('GET /fixtures/malformed/v1/allocations?per_page=500');
    const detail = panel(page).locator('.error-detail');
    await expect(detail).toContainText('line 1, column 300');
    await expect(detail).toContainText('at $[0].DesiredTransition');
    await expect(detail).toContainText('EOF while parsing');
    await expect(panel(page).locator('.error-advice')).toContainText('cut off');
    await expect(page.locator('table.allocs')).toHaveCount(0);
  });

  test('a type error in one allocation names the field path; the header link still leads on', async ({ page }) => {
    await page.goto('/?source=/fixtures/malformed/#/allocations/22222222-2222-4222-8222-222222222222');
    await expect(panel(page).locator('.error-headline')).toHaveText('The response is not allocation JSON');
    await expect(panel(page).locator('.error-url')).toHaveText('GET /fixtures/malformed/v1/allocation/22222222-2222-4222-8222-222222222222');
    const detail = panel(page).locator('.error-detail');
    await expect(detail).toContainText('line 2, column 21');
    await expect(detail).toContainText('at $.ClientStatus');
    await expect(detail).toContainText('invalid type: integer `7`, expected a string');

    // The rest of the app keeps working: header link to the list, then a scoped list that decodes.
    await page.locator('header a.brand').click();
    await expect(page).toHaveURL(/#\/allocations$/);
    await expect(page.locator('main h1')).toHaveText('Allocations');
    await expect(panel(page).locator('.error-detail')).toContainText('line 1, column 300');
    await page.evaluate(() => (location.hash = '#/allocations?job=broken'));
    await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(2);
    await page.locator('tr[data-id="11111111-1111-4111-8111-111111111111"] td.id a').click();
    await expect(panel(page).locator('.error-detail')).toContainText('EOF while parsing');
    await expect(panel(page).locator('.error-url')).toContainText('/v1/allocation/11111111-1111-4111-8111-111111111111');
  });

  // Every broken allocation file: an error that names the URL, no crash, no endless loading.
  const cases = [
    ['11111111-1111-4111-8111-111111111111', 'truncated object', /line 1, column \d+.*EOF while parsing/],
    ['22222222-2222-4222-8222-222222222222', 'wrong types', /\$\.ClientStatus: invalid type/],
    ['33333333-3333-4333-8333-333333333333', 'empty file', /the input is empty/],
    ['44444444-4444-4444-8444-444444444444', 'HTML page from a proxy', /line 1, column 1.*expected value/],
    ['55555555-5555-4555-8555-555555555555', 'null', /found null/],
    ['66666666-6666-4666-8666-666666666666', 'nested 20000 deep', /recursion limit exceeded/],
    ['77777777-7777-4777-8777-777777777777', 'numbers out of range', /at \$\.\w+: number out of range/],
    ['88888888-8888-4888-8888-888888888888', 'plain-text body with 200', /line 1, column 1.*expected value/],
  ];
  for (const [id, what, detail] of cases) {
    test(`malformed allocation ${id.slice(0, 8)} (${what}) is reported, not crashed on`, async ({ page }) => {
      await page.goto(`/?source=/fixtures/malformed/#/allocations/${id}`);
      await expect(panel(page).locator('.error-headline')).toHaveText('The response is not allocation JSON');
      await expect(panel(page).locator('.error-url')).toHaveText(`GET /fixtures/malformed/v1/allocation/${id}`);
      await expect(panel(page).locator('.error-detail')).toHaveText(detail);
      await expect(panel(page).locator('.error-advice')).not.toBeEmpty();
      await expect(page.locator('.loading')).toHaveCount(0);
      // 44444444's HTML page carries a <script>: shown as an error, never parsed as HTML.
      expect(await page.evaluate(() => window.__xss)).toBeUndefined();
      // Still a working app: the crumb-less error page has the header link.
      await page.locator('header a.brand').click();
      await expect(page.locator('main h1')).toHaveText('Allocations');
    });
  }
});

test.describe('unreachable source', () => {
  test('a refused connection shows "could not be reached"; the header link still navigates', async ({ page }) => {
    const port = await closedPort();
    const source = `http://127.0.0.1:${port}/`;
    await page.goto(`/?source=${encodeURIComponent(source)}#/allocations/${D}`);
    await expect(page.locator('header .source')).toContainText(source);
    await expect(panel(page).locator('.error-headline')).toHaveText('The source could not be reached');
    await expect(panel(page)).not.toHaveAttribute('data-status');
    await expect(panel(page).locator('.error-url')).toHaveText(`GET http://127.0.0.1:${port}/v1/allocation/${D}`);
    await expect(panel(page).locator('.error-detail')).toContainText('Failed to fetch');
    await expect(panel(page).locator('.error-advice')).toContainText('the server is up');

    // Retry tries again (and fails again) without breaking anything.
    const retried = page.waitForRequest((r) => r.url() === `http://127.0.0.1:${port}/v1/allocation/${D}`);
    await panel(page).locator('button.retry').click();
    await retried;
    await expect(panel(page).locator('.error-headline')).toHaveText('The source could not be reached');

    await page.locator('header a.brand').click();
    await expect(page).toHaveURL(/#\/allocations$/);
    await expect(page.locator('main h1')).toHaveText('Allocations');
    await expect(panel(page).locator('.error-url')).toHaveText(`GET http://127.0.0.1:${port}/v1/allocations?per_page=500`);
    await expect(panel(page).locator('.error-headline')).toHaveText('The source could not be reached');
  });

  test('port 9 (blocked by Chromium as unsafe) is reported the same way', async ({ page }) => {
    await page.goto('/?source=http://127.0.0.1:9/#/allocations');
    await expect(panel(page).locator('.error-headline')).toHaveText('The source could not be reached');
    await expect(panel(page).locator('.error-url')).toHaveText('GET http://127.0.0.1:9/v1/allocations?per_page=500');
  });
});
