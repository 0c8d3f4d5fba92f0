// Local files and debug bundles (issue #8): bundles made by scripts/gen_bundle.py in the
// real `nomad operator debug` layout are opened with the file picker and by dropping them on
// the page; captures switch; the event stream's extra task events show; a failed capture
// names its archive entry; a file that is not a bundle leaves the view as it was. Also the
// exports (CSV, JSON, one allocation) and the permalink.
import { test as base, expect } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const BUNDLES = path.join(here, '..', 'crates', 'model', 'tests', 'fixtures', 'bundles');
const bundle = (name) => path.join(BUNDLES, name);
const DEMO_LIST = path.join(here, '..', 'www', 'demo', 'v1', 'allocations');

// In the generated bundle (scripts/gen_bundle.py): 53 allocations in interval/0000, 54 in
// interval/0001; c923c518… runs in 0000 and is OOM killed in 0001, replaced by 7f3c2a91…;
// checkout-api's 211a8252… task `api` has 14 events once the event stream is merged.
const FAILS_PREFIX = 'c923c518';
const REPLACEMENT = '7f3c2a91-5d4e-4b8a-9c1f-2e6d8b0a4c57';
const LONG = '211a8252-a89f-2b2b-a5af-d530920bcc3a';

const test = base.extend({
  page: async ({ page }, use) => {
    const problems = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await use(page);
    expect(problems, 'no page errors').toEqual([]);
  },
});

const rows = (page) => page.locator('table.allocs tbody tr[data-id]');
const count = (page) => page.locator('.count-line');

async function pick(page, file) {
  await page.locator('input.file-input').setInputFiles(file);
}

// Drop a file on the app as a browser would: a DataTransfer holding a File.
async function drop(page, file) {
  const bytes = fs.readFileSync(file).toString('base64');
  const name = path.basename(file);
  const dt = await page.evaluateHandle(({ bytes, name }) => {
    const bin = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
    const t = new DataTransfer();
    t.items.add(new File([bin], name, { type: 'application/gzip' }));
    return t;
  }, { bytes, name });
  await page.dispatchEvent('.as-root', 'dragover', { dataTransfer: dt });
  await expect(page.locator('.as-root.dropping')).toHaveCount(1);
  await page.dispatchEvent('.as-root', 'drop', { dataTransfer: dt });
}

test.describe('debug bundles', () => {
  test('a dropped bundle shows its newest capture, and the other capture is one click away', async ({ page }) => {
    await page.goto('/#/allocations');
    await expect(rows(page)).toHaveCount(53);
    await drop(page, bundle('nomad-debug-ndjson.tar.gz'));
    await expect(page.locator('.source')).toContainText('file nomad-debug-ndjson.tar.gz');
    await expect(page.locator('.live-indicator')).toHaveClass(/\blocal\b/);
    await expect(count(page)).toHaveText('54 of 54 allocations');
    await expect(page.locator('.local-summary')).toHaveAttribute('data-capture', 'interval/0001');
    await expect(page.locator('.local-summary')).toContainText('debug bundle with 2 captures, Nomad 1.9.3, region global');
    const select = page.locator('select.capture-select');
    await expect(select.locator('option')).toHaveCount(2);
    await expect(select.locator('option').nth(0)).toHaveText(/^interval\/0000 · 2026-11-24 \d\d:\d\d:\d\d UTC · 53 allocations$/);
    await expect(select.locator('option').nth(1)).toHaveText(/^interval\/0001 · .* · 54 allocations \(newest\)$/);
    // The OOM-killed allocation is failed now, with its replacement listed.
    const fails = page.locator(`tr[data-id^="${FAILS_PREFIX}"]`);
    await expect(fails.locator('.badge').first()).toHaveText('failed');
    await expect(page.locator(`tr[data-id="${REPLACEMENT}"]`)).toHaveCount(1);
    // The earlier capture: it was still running and had no replacement.
    await select.selectOption({ index: 0 });
    await expect(page.locator('.local-summary')).toHaveAttribute('data-capture', 'interval/0000');
    await expect(count(page)).toHaveText('53 of 53 allocations');
    await expect(fails.locator('.badge').first()).toHaveText('running');
    await expect(page.locator(`tr[data-id="${REPLACEMENT}"]`)).toHaveCount(0);
    // Back to the newest.
    await select.selectOption({ index: 1 });
    await expect(count(page)).toHaveText('54 of 54 allocations');
  });

  test('the event stream carries task events past the 10 a capture holds', async ({ page }) => {
    await page.goto('/#/allocations');
    await pick(page, bundle('nomad-debug-ndjson.tar.gz'));
    await expect(count(page)).toHaveText('54 of 54 allocations');
    await expect(page.locator('.local-summary')).toContainText('task events added from the event stream');
    await page.goto(`/#/allocations/${LONG}/tasks/api`);
    await expect(page.locator('table.events tbody tr')).toHaveCount(14);
    // Switching captures keeps the page and reloads it from that capture.
    await page.locator('select.capture-select').selectOption({ index: 0 });
    await expect(page.locator('.local-summary')).toHaveAttribute('data-capture', 'interval/0000');
    await expect(page.locator('table.events tbody tr')).not.toHaveCount(0);
  });

  test('a failed capture names its archive entry; the good one opens by default', async ({ page }) => {
    await page.goto('/#/allocations');
    await pick(page, bundle('nomad-debug-error.tar.gz'));
    await expect(page.locator('.local-summary')).toHaveAttribute('data-capture', 'interval/0001');
    await expect(rows(page)).not.toHaveCount(0);
    const select = page.locator('select.capture-select');
    await expect(select.locator('option').nth(0)).toHaveText(/interval\/0000 .*· failed$/);
    await select.selectOption({ index: 0 });
    const panel = page.locator('.error-panel');
    await expect(panel).toContainText('This capture cannot be shown');
    await expect(panel).toContainText('interval/0000/allocations.json');
    await expect(panel).toContainText('403 (Permission denied)');
  });

  test('a pre-1.4 bundle (one JSON array per capture) opens too', async ({ page }) => {
    await page.goto('/#/allocations');
    await pick(page, bundle('nomad-debug-array.tar.gz'));
    await expect(page.locator('.local-summary')).toContainText('debug bundle');
    await expect(rows(page)).not.toHaveCount(0);
  });

  test('a file that is not a bundle is named with the reason, and the view stays as it was', async ({ page }) => {
    await page.goto('/#/allocations');
    await expect(rows(page)).toHaveCount(53);
    await pick(page, bundle('not-a-bundle.tar.gz'));
    const err = page.locator('.open-error');
    await expect(err).toContainText('The file could not be opened.');
    await expect(err).toContainText('not-a-bundle.tar.gz');
    await expect(err).toContainText('allocations.json');
    await expect(rows(page)).toHaveCount(53);
    await expect(page.locator('.source')).toContainText('demo snapshot');
    await err.locator('button').click();
    await expect(err).toHaveCount(0);
  });

  test('an allocation the capture does not hold says so, and closing the file goes back to the source', async ({ page }) => {
    await page.goto('/#/allocations');
    await pick(page, bundle('nomad-debug-ndjson.tar.gz'));
    await expect(count(page)).toHaveText('54 of 54 allocations');
    await page.goto('/#/allocations/00000000-0000-4000-8000-000000000000');
    await expect(page.locator('main')).toContainText('is not in nomad-debug-ndjson.tar.gz (interval/0001)');
    await page.locator('button.close-file').click();
    await expect(page.locator('.source')).toContainText('demo snapshot');
    await page.goto('/#/allocations');
    await expect(rows(page)).toHaveCount(53);
  });
});

test.describe('saved JSON files', () => {
  test('a saved list opens; a hand-edited one opens with its repairs listed', async ({ page }) => {
    await page.goto('/#/allocations');
    await pick(page, DEMO_LIST);
    await expect(page.locator('.source')).toContainText('file allocations');
    await expect(count(page)).toHaveText('53 of 53 allocations');
    const edited = fs.readFileSync(DEMO_LIST, 'utf8').replace(/\}\s*\]\s*$/, '},\n]');
    await page.locator('input.file-input').setInputFiles({ name: 'edited.json', mimeType: 'application/json', buffer: Buffer.from(edited) });
    await expect(page.locator('.source')).toContainText('file edited.json');
    await expect(page.locator('.open-notes summary')).toHaveText('1 note');
    await expect(count(page)).toHaveText('53 of 53 allocations');
  });
});

test.describe('export and share', () => {
  test('the filtered list downloads as CSV and as JSON, in display order', async ({ page }) => {
    await page.goto('/#/allocations?status=failed&sort=id');
    await expect(count(page)).toHaveText('6 of 53 allocations');
    const shown = await rows(page).evaluateAll((r) => r.map((x) => x.dataset.id));
    const [csvDl] = await Promise.all([page.waitForEvent('download'), page.locator('button.export[data-format="csv"]').click()]);
    expect(csvDl.suggestedFilename()).toMatch(/^allocscope-allocations-\d{14}\.csv$/);
    const csv = fs.readFileSync(await csvDl.path(), 'utf8').split('\r\n').filter(Boolean);
    expect(csv[0]).toBe('ID,Name,Namespace,JobID,JobVersion,TaskGroup,NodeID,NodeName,ClientStatus,DesiredStatus,Restarts,CreateTime,ModifyTime,Cause,PreviousAllocation,NextAllocation');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(shown);
    expect(csv.slice(1).every((l) => l.includes(',failed,'))).toBe(true);
    const [jsonDl] = await Promise.all([page.waitForEvent('download'), page.locator('button.export[data-format="json"]').click()]);
    const list = JSON.parse(fs.readFileSync(await jsonDl.path(), 'utf8'));
    expect(list.map((a) => a.ID)).toEqual(shown);
    // Nanosecond times survive (they exceed 2^53, so compare the text).
    const raw = fs.readFileSync(await jsonDl.path(), 'utf8');
    const demo = fs.readFileSync(DEMO_LIST, 'utf8');
    const t = /"CreateTime":\s*(\d+)/.exec(raw)[1];
    expect(demo).toContain(t);
  });

  test('one allocation downloads as JSON', async ({ page }) => {
    await page.goto(`/#/allocations/${LONG}`);
    await page.locator('.raw-json summary').click();
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('button.download-json').click()]);
    expect(dl.suggestedFilename()).toMatch(new RegExp(`^allocscope-allocation-${LONG}-\\d{14}\\.json$`));
    expect(JSON.parse(fs.readFileSync(await dl.path(), 'utf8')).ID).toBe(LONG);
  });

  test('the permalink reproduces source, filters and route, and a local file gets none', async ({ page, context }) => {
    // `./demo/` is the demo folder by another name, so the link must carry it.
    await page.goto('/?source=./demo/#/allocations?q=checkout&status=failed');
    await expect(count(page)).toHaveText('2 of 53 allocations');
    const url = await page.locator('.permalink').getAttribute('data-url');
    expect(url).toBe('http://127.0.0.1:8790/?source=.%2Fdemo%2F#/allocations?q=checkout&status=failed');
    const other = await context.newPage();
    await other.goto(url);
    await expect(other.locator('.count-line')).toHaveText('2 of 53 allocations');
    await expect(other.locator('#search')).toHaveValue('checkout');
    // A local file cannot travel in a link.
    await pick(page, DEMO_LIST);
    await expect(page.locator('.source')).toContainText('file allocations');
    await expect(page.locator('.permalink')).toHaveText('no link');
  });
});

test('allocscope snapshot --from-bundle makes a snapshot folder that opens with ?source= like the bundle', async ({ page }) => {
  const { execFileSync } = await import('node:child_process');
  const out = path.resolve('e2e/fixtures/captured-bundle');
  fs.rmSync(out, { recursive: true, force: true });
  const summary = execFileSync(path.resolve('target/debug/allocscope'), [
    'snapshot', '--from-bundle', bundle('nomad-debug-ndjson.tar.gz'), '--out', out,
  ]).toString();
  expect(summary).toContain('interval/0001');
  await page.goto('/?source=/fixtures/captured-bundle/#/allocations');
  await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)snapshot(\s|$)/);
  await expect(count(page)).toHaveText('54 of 54 allocations');
  const fromSnapshot = await rows(page).evaluateAll((r) => r.map((x) => x.dataset.id).sort());
  // The same rows as the bundle opened in the browser.
  await pick(page, bundle('nomad-debug-ndjson.tar.gz'));
  await expect(page.locator('.source')).toContainText('file nomad-debug-ndjson.tar.gz');
  await expect(count(page)).toHaveText('54 of 54 allocations');
  expect(await rows(page).evaluateAll((r) => r.map((x) => x.dataset.id).sort())).toEqual(fromSnapshot);
  // The merged task history travels into the snapshot too.
  await page.goto(`/?source=/fixtures/captured-bundle/#/allocations/${LONG}/tasks/api`);
  await expect(page.locator('table.events tbody tr')).toHaveCount(14);
});
