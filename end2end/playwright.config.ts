import { defineConfig } from '@playwright/test';
import * as os from 'os';
import * as path from 'path';
import * as fs from 'fs';

// A fresh SQLite database for every run: the suite starts from the demo data alone.
const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deliverdesk-e2e-'));
const port = process.env.E2E_PORT ?? '3210';
const baseURL = `http://127.0.0.1:${port}`;
const bin = process.env.DELIVERDESK_BIN ?? path.join('..', 'target', 'release', 'deliverdesk');

export default defineConfig({
  testDir: './tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL,
    trace: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  webServer: {
    command: `${bin} serve --demo`,
    cwd: '..',
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: `sqlite://${path.join(dbDir, 'e2e.db')}`,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      // The demo's test relay (Acme's replies go through it).
      DEMO_RELAY_ADDR: `127.0.0.1:${Number(port) + 1}`,
      LEPTOS_SITE_ROOT: process.env.LEPTOS_SITE_ROOT ?? 'target/site',
      RUST_LOG: 'warn',
      // No live DNS in the browser suite: mail authentication is covered offline by the Rust tests.
      MAIL_AUTH: 'off',
    },
  },
});
