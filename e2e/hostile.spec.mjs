// Script injection: e2e/fixtures/hostile puts HTML/JS payloads into every displayed string
// (see its README). Nothing may execute, no element or handler may be injected, no link may
// become javascript:, and every payload must be visible as literal text.
import { test as base, expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.join(here, 'fixtures', 'hostile', 'v1');
const SOURCE = '/fixtures/hostile/';

const PAYLOADS = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=2</script>',
  'javascript:alert(1)',
  '"><svg onload=window.__xss=3>',
  '<img src=x onerror=window.__xss=4>',
];

const listed = JSON.parse(fs.readFileSync(path.join(FIXTURE, 'allocations'), 'utf8'));
const full = Object.fromEntries(
  listed.map((a) => [a.ID, JSON.parse(fs.readFileSync(path.join(FIXTURE, 'allocation', a.ID), 'utf8'))]),
);

// Records, from before the app's first line runs, every element the page adds that could
// run script or load something, and every on* attribute set, even if later removed again.
function watchInjections() {
  window.__injected = [];
  const risky = new Set(['SCRIPT', 'IMG', 'SVG', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE', 'LINK', 'BASE', 'META', 'FORM', 'VIDEO', 'AUDIO', 'SOURCE',
    'IMAGE', 'USE', 'FOREIGNOBJECT', 'ANIMATE', 'SET', 'ANIMATETRANSFORM', 'ANIMATEMOTION']);
  const check = (el) => {
    if (el.nodeType !== 1 || !el.closest('body')) return;
    const tag = el.tagName.toUpperCase();
    // The app's own chart: the slot history of a job-scoped list is an <svg> of g/rect/line/text/title.
    const appChart = tag === 'SVG' && el.parentElement && el.parentElement.matches('section.slot-history');
    if (risky.has(tag) && !appChart) window.__injected.push(`<${el.tagName.toLowerCase()}>`);
    for (const a of el.attributes) if (/^on/i.test(a.name)) window.__injected.push(`${el.tagName.toLowerCase()}[${a.name}]`);
    for (const c of el.querySelectorAll('*')) check(c);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && /^on/i.test(r.attributeName)) window.__injected.push(`${r.target.tagName.toLowerCase()}[${r.attributeName}]`);
      for (const n of r.addedNodes) check(n);
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
}

const test = base.extend({
  dialogs: async ({ page }, use) => {
    const dialogs = [];
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
    await use(dialogs);
    expect(dialogs, 'no dialog may open').toEqual([]);
  },
  page: async ({ page }, use) => {
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.addInitScript(watchInjections);
    await use(page);
    expect(errors, 'no uncaught page errors').toEqual([]);
  },
});

/** Everything that would show an injection, after the view has settled. */
async function assertInert(page, dialogs, where) {
  await expect(page.locator('.loading')).toHaveCount(0);
  await page.waitForLoadState('networkidle');
  // Give a failed <img src=x> time to fire onerror, were there one.
  await page.waitForTimeout(200);
  const r = await page.evaluate(() => {
    const all = [...document.querySelectorAll('*')];
    return {
      xss: window.__xss,
      injected: window.__injected,
      imgX: document.querySelectorAll('img[src="x"]').length,
      bodyScripts: document.body.querySelectorAll('script').length,
      // The only SVG allowed is the app's slot-history chart, and only of plain shapes and text.
      foreignSvg: [...document.querySelectorAll('svg')].filter((e) => !e.parentElement.matches('section.slot-history')).length,
      svgActive: document.querySelectorAll('svg a, svg use, svg image, svg foreignObject, svg animate, svg set, svg script, svg [href], svg [*|href]').length,
      handlers: all.flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName}[${a.name}]`)),
      jsLinks: all
        .flatMap((el) => ['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc'].map((n) => el.getAttribute(n)))
        .filter((v) => v !== null && /^\s*(javascript|data|vbscript):/i.test(v)),
      anchors: [...document.querySelectorAll('a')].map((a) => a.getAttribute('href')),
    };
  });
  expect(r.xss, `${where}: window.__xss`).toBeUndefined();
  expect(r.injected, `${where}: elements/handlers added by data`).toEqual([]);
  expect(r.imgX, `${where}: img[src=x]`).toBe(0);
  expect(r.bodyScripts, `${where}: <script> in body`).toBe(0);
  expect(r.foreignSvg, `${where}: <svg> other than the slot-history chart`).toBe(0);
  expect(r.svgActive, `${where}: links, uses, images, animations in SVG`).toBe(0);
  expect(r.handlers, `${where}: on* attributes`).toEqual([]);
  expect(r.jsLinks, `${where}: script/data URLs`).toEqual([]);
  for (const href of r.anchors) {
    expect(href, `${where}: every link is an in-app hash route`).toMatch(/^#\//);
    expect(href.toLowerCase(), `${where}: no javascript: link`).not.toMatch(/^\s*javascript:/);
    // Hash routes built from data are percent-encoded: no raw <, >, " or space.
    expect(href, `${where}: link ${href}`).not.toMatch(/[<>" ]/);
  }
  expect(dialogs, `${where}: dialogs`).toEqual([]);
}

const mainText = (page) => page.locator('main').innerText();

test('the hostile list renders every payload as text and runs none', async ({ page, dialogs }) => {
  await page.goto(`/?source=${SOURCE}#/allocations`);
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(listed.length);
  await assertInert(page, dialogs, 'list');
  const text = await mainText(page);
  for (const a of listed) expect(text).toContain(a.Name);
  expect(text).toContain('<img src=x onerror=');
  expect(text).toContain('<script>window.__xss=2</script>');
  expect(text).toContain('"><svg onload=window.__xss=3>');
  // A hostile client status becomes a facet of its own, shown as text.
  await expect(page.locator('.facets')).toContainText('<script>window.__xss=2</script>');

  // Searching for a payload is just a search.
  const needle = '<svg onload';
  const searchable = (x) => [x.ID, x.Name, x.JobID, x.TaskGroup, x.Namespace, x.NodeID, x.NodeName, x.ClientStatus,
    x.DesiredStatus, x.DesiredDescription, x.ClientDescription, ...Object.keys(x.TaskStates ?? {})].join('\n').toLowerCase();
  const matching = listed.filter((x) => searchable(x).includes(needle)).map((x) => x.ID).sort();
  expect(matching.length).toBeGreaterThan(0);
  expect(matching.length).toBeLessThan(listed.length);
  await page.locator('#search').fill(needle);
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(matching.length);
  expect((await page.locator('table.allocs tbody tr[data-id]').evaluateAll((t) => t.map((r) => r.dataset.id))).sort()).toEqual(matching);
  await assertInert(page, dialogs, 'list searched');
});

for (const a of listed) {
  const alloc = full[a.ID];
  const tasks = Object.keys(alloc.TaskStates ?? {});
  test(`hostile allocation ${a.ID.slice(0, 8)} and its ${tasks.length} task pages stay inert`, async ({ page, dialogs }) => {
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`/?source=${SOURCE}#/allocations/${a.ID}`);
    await expect(page.locator('main h1')).toHaveText(alloc.Name);
    await expect(page.locator('dl.summary')).toContainText(a.ID);
    await page.locator('details.raw-json summary').click();
    await expect(page.locator('details.raw-json pre')).toContainText('onerror');
    await assertInert(page, dialogs, `allocation ${a.ID}`);
    const text = await mainText(page);
    expect(text).toContain('<img src=x onerror=');
    expect(text).toContain('<script>window.__xss=2</script>');
    for (const t of tasks) expect(text).toContain(t);

    // Each task, through the link the tasks table builds.
    for (const t of tasks) {
      await page.locator('table.tasks tbody td:first-child a').filter({ hasText: t }).first().click();
      await expect(page.locator('main h1')).toHaveText(t);
      await expect(page.locator('.events-head h2')).toHaveText(`Events (${alloc.TaskStates[t].Events?.length ?? 0})`);
      await assertInert(page, dialogs, `task ${JSON.stringify(t)} of ${a.ID}`);
      const ttext = await mainText(page);
      expect(ttext).toContain(t);
      await page.goBack();
      await expect(page.locator('main h1')).toHaveText(alloc.Name);
    }

    // Data fetched with hostile IDs stays inside the source, percent-encoded.
    for (const u of requests) {
      const p = new URL(u).pathname;
      if (p.includes('/v1/')) expect(p.startsWith(`${SOURCE}v1/`), u).toBe(true);
    }
  });
}

test('the job-scoped list draws hostile slot names in its SVG chart as text', async ({ page, dialogs }) => {
  await page.goto(`/?source=${SOURCE}#/allocations?job=evil-job`);
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(listed.length);
  const chart = page.locator('section.slot-history svg');
  await expect(chart).toHaveCount(1);
  const lanes = [...new Set(listed.map((a) => a.Name))].sort();
  expect((await chart.locator('text.lane-name').allTextContents()).sort()).toEqual(lanes);
  await expect(chart.locator('g.bar')).toHaveCount(listed.length);
  await assertInert(page, dialogs, 'job-scoped list with slot history');
  // A bar opens its attempt (dispatching the click: bars may overlap).
  const id = listed[0].ID;
  await chart.locator(`g.bar[data-id="${id}"]`).dispatchEvent('click');
  await expect(page).toHaveURL(new RegExp(`#/allocations/${id}$`));
  await expect(page.locator('main h1')).toHaveText(full[id].Name);
  await assertInert(page, dialogs, 'allocation opened from the chart');
});

test('a deep link to a task named <img src=x onerror=…> shows the name as text', async ({ page, dialogs }) => {
  const id = '230a4bce-aadc-0787-1cdf-c7eaaa07ee32';
  const task = '<img src=x onerror=window.__xss=4>';
  await page.goto(`/?source=${SOURCE}#/allocations/${id}/tasks/${encodeURIComponent(task)}`);
  await expect(page.locator('main h1')).toHaveText(task);
  await expect(page.locator('.crumbs')).toContainText(task);
  await expect(page.locator('table.events tbody tr')).toHaveCount(full[id].TaskStates[task].Events.length);
  await assertInert(page, dialogs, 'task deep link');
  // Toggling the order re-renders every payload.
  await page.locator('button.toggle-order').click();
  await expect(page.locator('button.toggle-order')).toHaveText('Oldest first ▴');
  await assertInert(page, dialogs, 'task deep link, oldest first');
});

test('links built from hostile IDs are encoded hash routes that lead to a not-found notice', async ({ page, dialogs }) => {
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  // 7088c8a6 is "preempted by" javascript:alert(1), and preempted a payload-named allocation.
  await page.goto(`/?source=${SOURCE}#/allocations/7088c8a6-eecf-554e-50a4-2712c5fdfe02`);
  await expect(page.locator('dl.summary')).toContainText('Preempted by');
  await assertInert(page, dialogs, 'preemption links');
  const jsLink = page.locator('a[href="#/allocations/javascript%3Aalert%281%29"]');
  await expect(jsLink).toHaveCount(1);
  await jsLink.click();
  await expect(page.locator('.notice.not-found .error-headline')).toHaveText('Allocation javascript:alert(1) was not found at the source.');
  await assertInert(page, dialogs, 'javascript: id page');
  // The ID went to the source as one encoded path segment.
  expect(requests.map((u) => new URL(u).pathname)).toContain(`${SOURCE}v1/allocation/javascript%3Aalert%281%29`);

  await page.goBack();
  const imgLink = page.locator(`a[href="#/allocations/${encodeURIComponent('<img src=x onerror="window.__xss=1">').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())}"]`);
  await expect(imgLink).toHaveCount(1);
  await imgLink.click();
  await expect(page.locator('.notice.not-found .error-headline')).toHaveText('Allocation <img src=x onerror="window.__xss=1"> was not found at the source.');
  await assertInert(page, dialogs, '<img> id page');
});

// Payloads may appear verbatim only in attributes the browser never interprets: a tooltip
// (title), an accessible name (aria-label), a form value, or data-*. Anywhere else (href,
// src, style, class, on*, ...) a payload would be a defect.
const INERT = (name) => name === 'title' || name === 'aria-label' || name === 'value' || name.startsWith('data-');
test('payloads reach only inert attributes', async ({ page }) => {
  const found = [];
  const collect = async (where) => {
    await expect(page.locator('.loading')).toHaveCount(0);
    await page.waitForLoadState('networkidle');
    const hits = await page.evaluate((payloads) => {
      const out = [];
      for (const el of document.body.querySelectorAll('*')) {
        for (const a of el.attributes) {
          if (payloads.some((p) => a.value.includes(p))) out.push({ tag: el.tagName.toLowerCase(), name: a.name, value: a.value });
        }
      }
      return out;
    }, PAYLOADS);
    found.push(...hits.map((h) => ({ where, ...h })));
  };
  await page.goto(`/?source=${SOURCE}#/allocations`);
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(listed.length);
  await collect('list');
  for (const a of listed) {
    await page.goto(`/?source=${SOURCE}#/allocations/${a.ID}`);
    await expect(page.locator('main h1')).toHaveText(full[a.ID].Name);
    await collect(a.ID.slice(0, 8));
  }
  const unsafe = found.filter((h) => !INERT(h.name));
  expect(unsafe).toEqual([]);
  expect(found.length, 'payloads do show up in tooltips, so this check sees them').toBeGreaterThan(0);
});

// Self-check of the detector: a real injection must be caught, or the tests above prove nothing.
test('self-check: an injected <img onerror> is detected', async ({ page }) => {
  await page.goto(`/?source=${SOURCE}#/allocations`);
  await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(listed.length);
  await page.evaluate(() => document.querySelector('main').insertAdjacentHTML('beforeend', '<img src=x onerror="window.__xss=9">'));
  await expect.poll(() => page.evaluate(() => window.__xss)).toBe(9);
  await expect(assertInert(page, [], 'self-check')).rejects.toThrow(/window.__xss/);
  const injected = await page.evaluate(() => window.__injected);
  expect(injected).toEqual(['<img>', 'img[onerror]']);
});
