// The allocation list at scale: 20,000 allocations (the demo's 53 stubs copied with new IDs,
// served by e2e/server.mjs from e2e/scale-data.mjs) render through the virtualized table. The DOM holds only
// the rows in view plus the overscan, scrolling reaches the last row, sorting and search
// still cover every allocation, and the keyboard moves through rows beyond those rendered.
import { test, expect } from '@playwright/test';
import { scaleAllocations } from './scale-data.mjs';

const COUNT = 20_000;
const big = scaleAllocations(COUNT);
const SOURCE = `scale/${COUNT}/`;

const rows = (page) => page.locator('table.allocs tbody tr[data-id]');

test('20,000 allocations: the DOM holds only the visible rows, and scrolling reaches the end', async ({ page }) => {
  await page.goto(`/?source=${SOURCE}#/allocations?sort=name`);
  await expect(page.locator('.count-line')).toHaveText(`${COUNT} of ${COUNT} allocations`);
  const n = await rows(page).count();
  expect(n, 'rendered rows').toBeGreaterThan(10);
  expect(n, 'rendered rows').toBeLessThan(150);
  // The spacer rows give the scroll box the full height of every row.
  const box = page.locator('.table-scroll.virtual');
  const heights = await box.evaluate((el) => ({ scroll: el.scrollHeight, row: el.querySelector('tr[data-id]').offsetHeight }));
  expect(heights.scroll).toBeGreaterThan(COUNT * heights.row * 0.99);
  // Natural name order ends with the largest index of the alphabetically last job.
  const lastName = big.map((a) => a.Name).sort((x, y) => x.localeCompare(y, 'en', { numeric: true })).at(-1);
  await box.evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await expect(rows(page).last().locator('td').nth(1)).toHaveText(lastName);
  expect(await rows(page).count()).toBeLessThan(150);
});

test('search and sort cover every allocation, not only the rendered rows', async ({ page }) => {
  await page.goto(`/?source=${SOURCE}#/allocations`);
  await expect(page.locator('.count-line')).toHaveText(`${COUNT} of ${COUNT} allocations`);
  // One specific copy far down the list.
  await page.locator('#search').fill(`[19999]`);
  await expect(page.locator('.count-line')).toHaveText(`1 of ${COUNT} allocations`);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute('data-id', big[19_999].ID);
  await page.locator('#search').fill('');
  // Sorting by ID descending puts the last copy first.
  await page.locator('th button[data-sort="id"]').click();
  await page.locator('th button[data-sort="id"]').click();
  await expect(page.locator('th[aria-sort="descending"] button[data-sort="id"]')).toBeVisible();
  await expect(rows(page).first()).toHaveAttribute('data-id', big[COUNT - 1].ID);
});

test('the keyboard moves through rows beyond those rendered, and Enter opens one', async ({ page }) => {
  await page.goto(`/?source=${SOURCE}#/allocations?sort=id`);
  await expect(page.locator('.count-line')).toHaveText(`${COUNT} of ${COUNT} allocations`);
  const box = page.locator('.table-scroll.virtual');
  await box.focus();
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('tr.active')).toHaveAttribute('data-id', big[0].ID);
  await page.keyboard.press('ArrowDown');
  await expect(page.locator('tr.active')).toHaveAttribute('data-id', big[1].ID);
  // End jumps to the last of 20,000, which was not in the DOM before.
  await page.keyboard.press('End');
  await expect(page.locator('tr.active')).toHaveAttribute('data-id', big[COUNT - 1].ID);
  await expect(page.locator('tr.active td.id a')).toBeFocused();
  await page.keyboard.press('PageUp');
  const pos = Number(await page.locator('tr.active').getAttribute('data-pos'));
  expect(pos).toBeLessThan(COUNT - 5);
  await expect(page.locator('tr.active')).toHaveAttribute('data-id', big[pos].ID);
  await page.keyboard.press('Home');
  await expect(page.locator('tr.active')).toHaveAttribute('data-id', big[0].ID);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`#/allocations/${big[0].ID}$`));
});

test('a large list shows its first rows while it still streams in, then all of it', async ({ page }) => {
  const n = 2000;
  const expected = scaleAllocations(n);
  await page.goto(`/?source=slowscale/${n}/#/allocations?sort=id`);
  // Rows, and the note that more are coming, while the body is still arriving.
  await expect(page.locator('.still-loading')).toBeVisible();
  expect(await rows(page).count()).toBeGreaterThan(0);
  const partial = Number((await page.locator('.count-line').textContent()).split(' ')[0]);
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(n);
  // Then the whole list, in order, and the note gone.
  await expect(page.locator('.count-line')).toHaveText(`${n} of ${n} allocations`, { timeout: 30_000 });
  await expect(page.locator('.still-loading')).toHaveCount(0);
  await expect(rows(page).first()).toHaveAttribute('data-id', expected[0].ID);
});
