// Browser end-to-end tests for allocscope. See e2e/README.md.
import { defineConfig } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

// The build under test: dist/ unless E2E_DIST names another trunk output folder.
const dist = path.resolve(root, process.env.E2E_DIST || 'dist');
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  throw new Error(
    `allocscope e2e: ${path.join(dist, 'index.html')} does not exist: run trunk build --release first ` +
      '(see e2e/README.md).',
  );
}

const port = Number(process.env.E2E_PORT || 8790);
// Live-source tests run against the Nomad API test double (crates/nomad-double) and through
// `allocscope serve`; scripts/test.sh builds both binaries first.
const bin = (name) => path.resolve(root, 'target', 'debug', name);
for (const name of ['nomad-double', 'allocscope']) {
  if (!fs.existsSync(bin(name))) {
    throw new Error(`allocscope e2e: ${bin(name)} is missing: run cargo build -p nomad-double -p allocscope-cli first.`);
  }
}
export const LIVE = {
  demo: 8792, // the demo snapshot, changed by the tests through the double's control API
  token: 8793, // the demo snapshot behind an ACL token
  serve: 8794, // allocscope serve in front of the token double, with a token file
  lineage: 8795, // ten attempts of one slot
};
const double = (port, snapshot, extra = '') => ({
  command: `${bin('nomad-double')} --snapshot ${snapshot} --listen 127.0.0.1:${port} --ui ${dist} ${extra}`,
  url: `http://127.0.0.1:${port}/_double/index`,
  reuseExistingServer: false,
  timeout: 15_000,
  stdout: 'ignore',
  stderr: 'pipe',
});
const baseURL = `http://127.0.0.1:${port}`;
const chromium = process.env.E2E_CHROMIUM || '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e',
  testMatch: '*.spec.mjs',
  outputDir: 'e2e/artifacts/test-results',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  use: {
    baseURL,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    colorScheme: 'light',
    locale: 'en-US',
    timezoneId: 'UTC',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
  webServer: [
    {
      command: 'node e2e/server.mjs',
      url: `${baseURL}/index.html`,
      env: { E2E_PORT: String(port), E2E_DIST: dist },
      reuseExistingServer: false,
      timeout: 15_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    // Nomad 1.10's event stream (errors as statuses, chunked, gzip'd); the token double
    // (and e2e/live-truth.spec.mjs) are 2.0's.
    double(LIVE.demo, 'www/demo', '--nomad-version 1.10.5'),
    double(LIVE.token, 'www/demo', '--token e2e-secret-token'),
    {
      command: `${bin('allocscope')} serve --nomad http://127.0.0.1:${LIVE.token} --listen 127.0.0.1:${LIVE.serve} --dist ${dist} --token-file e2e/fixtures/token.txt`,
      url: `http://127.0.0.1:${LIVE.serve}/index.html`,
      reuseExistingServer: false,
      timeout: 15_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    double(LIVE.lineage, 'e2e/fixtures/lineage10'),
  ],
});
