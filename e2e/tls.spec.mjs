// HTTPS on both sides: Chromium talks HTTPS (HTTP/2) to `allocscope serve`, and serve talks
// mutual TLS to a Nomad API test double that requires a client certificate, as an agent with
// tls { http = true, verify_https_client = true } does. The certificates are made fresh for
// each run (`nomad-double certs`); Chromium trusts the server's key through
// --ignore-certificate-errors-spki-list, so certificate verification stays on (a browser
// without the flag is shown to refuse the page). Each process is spawned here on its own
// ports (8800–8802) and stopped in afterAll.
import { test, expect, chromium } from '@playwright/test';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import config from '../playwright.config.mjs';

test.describe.configure({ mode: 'serial' });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'target', 'debug', name);
const DIST = path.resolve(root, process.env.E2E_DIST || 'dist');
const PORT = { double: 8800, serve: 8801, bare: 8802 };
const DOUBLE = `https://127.0.0.1:${PORT.double}`;
const SERVE = `https://127.0.0.1:${PORT.serve}`;
const BARE = `https://127.0.0.1:${PORT.bare}`;
const app = (base, hash) => `${base}/index.html?source=/#${hash}`;

const D = '211a8252-a89f-2b2b-a5af-d530920bcc3a'; // checkout-api.api[0], running, namespace payments
const EXPORTER = '6641d0bd-a2a2-e93f-72b3-c65ef4f23aec'; // node-exporter.exporter[0], running

let certs; // the folder nomad-double certs wrote
let browser; // Chromium trusting this run's server key
const children = [];

/** The environment without any NOMAD_* variable of the shell that ran the tests. */
function cleanEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NOMAD_')));
  return { ...env, ...extra };
}

/**
 * Spawn `cmd args`; resolves once a line of its output matches `ready` (rejects if it exits
 * first). Its output is kept (and shown if it fails to start); it is killed in afterAll.
 */
function start(name, cmd, args, { env = cleanEnv(), ready }) {
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const look = (chunk) => {
      out += chunk;
      if (ready.test(out)) resolve({ child, output: () => out });
    };
    child.stdout.setEncoding('utf8').on('data', look);
    child.stderr.setEncoding('utf8').on('data', look);
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${out}`)));
  });
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill();
  await exited;
}

/** A request to the double itself over mutual TLS (the test's own, independent view of it). */
function toDouble(method, p, body) {
  return new Promise((resolve, reject) => {
    const rq = https.request(`${DOUBLE}${p}`, {
      method,
      ca: fs.readFileSync(path.join(certs, 'ca.pem')),
      cert: fs.readFileSync(path.join(certs, 'cli.pem')),
      key: fs.readFileSync(path.join(certs, 'cli-key.pem')),
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${method} ${p}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    rq.on('error', reject);
    rq.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Launch options as playwright.config.mjs sets them, plus `extra` arguments. */
function launchOptions(extra = []) {
  const o = config.use.launchOptions;
  return { ...o, executablePath: o.executablePath ?? '/usr/bin/chromium', args: [...o.args, ...extra] };
}

const contextOptions = () => {
  const { viewport, colorScheme, locale, timezoneId } = config.use;
  return { viewport, colorScheme, locale, timezoneId };
};

/** A new page in its own context of the trusting browser (each test closes the context). */
async function newPage() {
  const context = await browser.newContext(contextOptions());
  return { context, page: await context.newPage() };
}

test.beforeAll(async () => {
  test.setTimeout(60_000);
  const base = path.join(root, 'e2e', 'artifacts', 'tls');
  fs.mkdirSync(base, { recursive: true });
  certs = fs.mkdtempSync(path.join(base, 'run-'));
  const made = spawnSync(bin('nomad-double'), ['certs', '--out', certs], { encoding: 'utf8' });
  expect(made.status, `nomad-double certs: ${made.stderr}`).toBe(0);
  for (const f of ['ca.pem', 'server.pem', 'server-key.pem', 'cli.pem', 'cli-key.pem', 'server.spki']) {
    expect(fs.existsSync(path.join(certs, f)), `${certs}/${f}`).toBe(true);
  }
  const c = (f) => path.join(certs, f);
  await start('nomad-double', bin('nomad-double'), [
    '--snapshot', path.join(root, 'www', 'demo'),
    '--listen', `127.0.0.1:${PORT.double}`,
    '--tls-cert', c('server.pem'), '--tls-key', c('server-key.pem'),
    '--tls-client-ca', c('ca.pem'),
  ], { ready: new RegExp(`listening on ${DOUBLE.replace(/\./g, '\\.')}`) });
  // The environment form (as the nomad CLI reads it): address, CA, client certificate and
  // key, and every namespace.
  await start('allocscope serve', bin('allocscope'), [
    'serve', '--listen', `127.0.0.1:${PORT.serve}`, '--dist', DIST,
    '--tls-cert', c('server.pem'), '--tls-key', c('server-key.pem'),
  ], {
    env: cleanEnv({
      NOMAD_ADDR: DOUBLE,
      NOMAD_CACERT: c('ca.pem'),
      NOMAD_CLIENT_CERT: c('cli.pem'),
      NOMAD_CLIENT_KEY: c('cli-key.pem'),
      NOMAD_NAMESPACE: '*',
    }),
    ready: new RegExp(`^allocscope serve: ${SERVE.replace(/\./g, '\\.')}/ .*client certificate from NOMAD_CLIENT_CERT`, 'm'),
  });
  const spki = fs.readFileSync(c('server.spki'), 'utf8').trim();
  expect(spki).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  browser = await chromium.launch(launchOptions([`--ignore-certificate-errors-spki-list=${spki}`]));
});

test.afterAll(async () => {
  await browser?.close();
  await Promise.all(children.map(stop));
  if (certs) fs.rmSync(certs, { recursive: true, force: true });
});

test('certificates are verified: without the SPKI flag Chromium refuses serve\'s page', async ({ browser: plain }) => {
  // The suite's own browser (no --ignore-certificate-errors-spki-list, no ignoreHTTPSErrors).
  const context = await plain.newContext(contextOptions());
  try {
    const page = await context.newPage();
    await expect(page.goto(app(SERVE, '/allocations'))).rejects.toThrow(/net::ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await context.close();
  }
  // The double over Node's TLS: a client without a certificate is refused in the handshake.
  const refused = await new Promise((resolve) => {
    https.get(`${DOUBLE}/_double/index`, { ca: fs.readFileSync(path.join(certs, 'ca.pem')) }, (res) => {
      res.resume();
      resolve(`answered ${res.statusCode}`);
    }).on('error', (e) => resolve(e.code ?? e.message));
  });
  expect(refused).not.toMatch(/^answered/);
  // ... and the double counted it as a failed handshake.
  await expect.poll(async () => (await toDouble('GET', '/_double/stats')).handshakes_failed).toBeGreaterThan(0);
});

test('(a) the list over HTTPS serve and the mTLS double shows every allocation the double has', async () => {
  const truth = (await toDouble('GET', '/v1/allocations?namespace=*')).map((a) => a.ID).sort();
  expect(truth.length).toBe(53); // the demo, every namespace
  const { context, page } = await newPage();
  try {
    const v1 = [];
    page.on('response', (r) => { if (new URL(r.url()).pathname.startsWith('/v1/')) v1.push(r.status()); });
    await page.goto(app(SERVE, '/allocations'));
    expect(page.url().startsWith(`${SERVE}/`)).toBe(true);
    const rows = page.locator('table.allocs tbody tr[data-id]');
    await expect(rows).toHaveCount(truth.length);
    await expect(page.locator('.count-line .still-loading')).toHaveCount(0);
    const shown = (await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.id))).sort();
    expect(shown).toEqual(truth);
    expect(v1.length).toBeGreaterThan(0);
    expect(v1.every((s) => s === 200)).toBe(true);
  } finally {
    await context.close();
  }
});

test('(b) an allocation opened from the list shows its tasks, and a task its events', async () => {
  const alloc = await toDouble('GET', `/v1/allocation/${D}?namespace=payments`);
  const events = alloc.TaskStates.api.Events;
  expect(events.length).toBeGreaterThan(0);
  const { context, page } = await newPage();
  try {
    await page.goto(app(SERVE, '/allocations'));
    await page.locator(`tr[data-id="${D}"] td.id a`).click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${D}$`));
    await expect(page.locator('main h1')).toHaveText(alloc.Name);
    const tasks = page.locator('table.tasks tbody tr');
    await expect(tasks).toHaveCount(Object.keys(alloc.TaskStates).length);
    await tasks.filter({ has: page.locator('td:first-child', { hasText: /^api$/ }) }).locator('a').click();
    await expect(page).toHaveURL(new RegExp(`#/allocations/${D}/tasks/api$`));
    const rows = page.locator('table.events tbody tr');
    await expect(rows).toHaveCount(events.length);
    // Row "#n" is the n-th event the double holds: its type and (where Nomad set one) message.
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => ({
      n: Number(tr.querySelector('td.num').textContent),
      type: tr.querySelector('td.ev-type').textContent,
      msg: tr.querySelector('td.ev-msg').textContent,
    })));
    for (const { n, type, msg } of shown) {
      const e = events[n - 1];
      expect(type).toBe(e.Type);
      if (e.DisplayMessage) expect(msg).toContain(e.DisplayMessage);
    }
    expect(shown.map((r) => r.n).sort((x, y) => x - y)).toEqual(events.map((_, i) => i + 1));
  } finally {
    await context.close();
  }
});

test('(c) changes made on the double show live: an event on the task page, a failure in the list', async () => {
  const { context, page } = await newPage();
  try {
    // A task page follows its allocation with blocking queries, through serve.
    await page.goto(app(SERVE, `/allocations/${D}/tasks/api`));
    const events = page.locator('table.events');
    await expect(events.locator('tbody tr').first()).toBeVisible();
    await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/);
    const message = `e2e tls: certificate rotated ${Date.now()}`;
    await expect(events).not.toContainText(message);
    await toDouble('POST', `/_double/alloc/${D}/event`, {
      Task: 'api',
      Event: { Type: 'Driver', DriverMessage: message, Time: Date.now() * 1e6 },
    });
    await expect(events).toContainText(message);

    // The list follows the event stream, through serve.
    await toDouble('POST', '/_double/counts/reset', {});
    await page.goto(app(SERVE, '/allocations'));
    const row = page.locator(`table.allocs tbody tr[data-id="${EXPORTER}"]`);
    await expect(row.locator('.badge.st-running')).toHaveCount(1);
    await expect(page.locator('.live-indicator')).toHaveClass(/(^|\s)live(\s|$)/);
    // The list's subscription has reached the double (through serve, over mutual TLS).
    await expect.poll(async () => (await toDouble('GET', '/_double/counts'))['GET /v1/event/stream'] ?? 0).toBeGreaterThan(0);
    await toDouble('POST', `/_double/alloc/${EXPORTER}/fail`, { ExitCode: 3 });
    await expect(row.locator('.badge.st-failed')).toHaveCount(1);
    await expect(row.locator('.badge.st-running')).toHaveCount(0);
    const truth = await toDouble('GET', `/v1/allocation/${EXPORTER}`);
    expect(truth.ClientStatus).toBe('failed');
  } finally {
    await context.close();
  }
});

test('(d) the page and its API requests go over HTTP/2, with this run\'s certificate', async () => {
  const { context, page } = await newPage();
  try {
    const nav = await page.goto(app(SERVE, '/allocations'));
    await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(53);
    // Chromium's own record of each resource's protocol, the list read from /v1/ included.
    const protocols = await page.evaluate(() =>
      performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))
        .map((e) => `${new URL(e.name).pathname} ${e.nextHopProtocol}`));
    expect(protocols.some((p) => p.startsWith('/index.html '))).toBe(true);
    expect(protocols.some((p) => p.startsWith('/v1/allocations '))).toBe(true);
    expect(protocols.filter((p) => !p.endsWith(' h2'))).toEqual([]);
    // A pseudo-header is sent only over HTTP/2 (or 3; QUIC is off in the config).
    expect(await nav.request().headerValue(':authority')).toBe(`127.0.0.1:${PORT.serve}`);
    // The certificate Chromium verified is the one nomad-double certs made for this run.
    const tls = await nav.securityDetails();
    expect(tls.protocol).toMatch(/^TLS 1\.[23]$/);
    expect(tls.subjectName).toBe('server.global.nomad');
    expect(tls.issuer).toMatch(/^Nomad Agent CA /);
  } finally {
    await context.close();
  }
});

test('(e) serve without a client certificate: the error panel shows serve\'s text', async () => {
  await start('allocscope serve (no client certificate)', bin('allocscope'), [
    'serve', '--nomad', DOUBLE, '--ca-cert', path.join(certs, 'ca.pem'),
    '--listen', `127.0.0.1:${PORT.bare}`, '--dist', DIST,
    '--tls-cert', path.join(certs, 'server.pem'), '--tls-key', path.join(certs, 'server-key.pem'),
  ], { ready: new RegExp(`^allocscope serve: ${BARE.replace(/\./g, '\\.')}/ .*no client certificate`, 'm') });
  const { context, page } = await newPage();
  try {
    const statuses = [];
    page.on('response', (r) => { if (new URL(r.url()).pathname === '/v1/allocations') statuses.push(r.status()); });
    await page.goto(app(BARE, '/allocations'));
    const panel = page.locator('.error-panel');
    await expect(panel).toHaveAttribute('data-status', '502');
    await expect(panel.locator('.error-detail')).toContainText('requires a client certificate');
    await expect(panel.locator('.error-detail')).toContainText('--client-cert');
    await expect(panel.locator('.error-detail')).toContainText('NOMAD_CLIENT_CERT');
    await expect(page.locator('table.allocs tbody tr[data-id]')).toHaveCount(0);
    expect(statuses).toContain(502);
  } finally {
    await context.close();
  }
});
