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
  webServer: {
    command: 'node e2e/server.mjs',
    url: `${baseURL}/index.html`,
    env: { E2E_PORT: String(port), E2E_DIST: dist },
    reuseExistingServer: false,
    timeout: 15_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
