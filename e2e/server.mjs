// Static test server for the allocscope browser tests. No dependencies.
//
//   node e2e/server.mjs            # 127.0.0.1:8790 (E2E_PORT to change it)
//   E2E_VERBOSE=1 node e2e/server.mjs   # one log line per request
//   E2E_DIST=/elsewhere/dist node e2e/server.mjs   # serve another build instead of dist/
//
// Routes:
//   /                       dist/ (the built app and its bundled demo/ snapshot)
//   /a/deep/sub/path/       dist/ again, to prove the app works from a sub-path
//   /fixtures/<name>/...    e2e/fixtures/<name>/ (hostile, malformed, ...)
//   /scale/<n>/v1/allocations   the demo's stubs copied to n allocations (e2e/scale-data.mjs)
//   /slowscale/<n>/v1/allocations   the same, sent 64 KB every 40 ms
//   /gzscale/<n>/v1/allocations     the same, gzip'd as Nomad sends it (no Content-Length),
//                           1 KB of gzip every 40 ms
//   /broken/404/v1/...      404 text/plain "alloc not found"
//   /broken/500/v1/...      500 text/plain "No cluster leader"
//   /broken/403/v1/...      403 text/plain "Permission denied"
//   /allocscope/            dist/ as a portal deploys it, with a test config.json (link
//                           templates; this origin allowed to configure the iframe)
//   /portal/                examples/portal/ (the custom-element and iframe examples)
//   /csp/                   dist/ with a strict Content-Security-Policy response header
//   /badconfig/             dist/ with a malformed config.json
//   anything else           404 text/plain "not found"
//
// A second port (E2E_PORT + 1) is a foreign origin: it serves the same routes plus
// /foreign/frame.html, a page that frames /allocscope/ from the first origin and tries to
// configure it.
//
// Files without an extension are served as application/json (the Nomad API layout of a
// snapshot folder). Nothing is cached (Cache-Control: no-store), so a retry in the app is
// always a real request.

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { scaleAllocations, MAX_SCALE } from './scale-data.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const DIST = path.resolve(root, process.env.E2E_DIST || 'dist');
const FIXTURES = path.join(here, 'fixtures');
const SUBPATH = '/a/deep/sub/path/';
const PORTAL = path.join(root, 'examples', 'portal');
const HOST = '127.0.0.1';
const PORT = Number(process.env.E2E_PORT || 8790);
const FOREIGN_PORT = PORT + 1;
const ORIGIN = `http://${HOST}:${PORT}`;

export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'";

const TEST_CONFIG = JSON.stringify({
  source: 'demo/',
  title: 'allocscope (e2e portal)',
  links: {
    allocation: [{ label: 'Metrics', url: 'https://metrics.example.com/d/alloc?var-alloc={alloc_id}&var-ns={namespace}' }],
    task: [{ label: 'Logs', url: 'https://logs.example.com/search?alloc={alloc_id}&task={task}&job={job_id}' }],
  },
  allowed_parent_origins: [ORIGIN],
}, null, 2);

// Bodies of /scale/<count>/v1/allocations, built once per count (and gzip'd for /gzscale/).
const gzBodies = new Map();
const scaleBodies = new Map();

const BAD_CONFIG = '{\n  "source": 42\n}\n';

const FOREIGN_PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>foreign portal</title>
<script type="module" src="/foreign/frame.js"></script></head>
<body><iframe id="frame" src="${ORIGIN}/allocscope/index.html#/allocations" style="width:100%;height:600px"></iframe></body></html>`;

const FOREIGN_SCRIPT = `window.received = [];
window.addEventListener('message', (e) => window.received.push({ origin: e.origin, data: e.data }));
window.sendConfig = () => document.getElementById('frame').contentWindow.postMessage(
  { type: 'allocscope:config', theme: 'dark', route: '/allocations/e263482b-3b07-460c-2ef4-3d163ab9ea29', source: 'https://evil.example.com/' }, '*');`;
const VERBOSE = !!process.env.E2E_VERBOSE;

const BROKEN = {
  404: 'alloc not found',
  500: 'No cluster leader',
  403: 'Permission denied',
};

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '': 'application/json',
};

function send(req, res, status, type, body, extra = {}) {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': buf.length,
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

const notFound = (req, res) => send(req, res, 404, 'text/plain; charset=utf-8', 'not found');

/** Serve `rel` (already percent-decoded, '/'-separated) from `base`; directories get index.html. */
function serveFile(req, res, base, rel, headers = {}) {
  if (rel.includes('\0')) return notFound(req, res);
  const file = path.resolve(base, '.' + path.posix.normalize('/' + rel));
  if (file !== base && !file.startsWith(base + path.sep)) return notFound(req, res);
  let target = file;
  let st;
  try {
    st = fs.statSync(target);
    if (st.isDirectory()) {
      if (!req.url.split('?')[0].endsWith('/')) {
        // Relative asset URLs need the trailing slash, as on any static host.
        const [p, q] = req.url.split('?');
        res.writeHead(301, { Location: p + '/' + (q !== undefined ? '?' + q : ''), 'Content-Length': 0 });
        return res.end();
      }
      target = path.join(target, 'index.html');
      st = fs.statSync(target);
    }
  } catch {
    return notFound(req, res);
  }
  if (!st.isFile()) return notFound(req, res);
  const type = TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream';
  fs.readFile(target, (err, data) => {
    if (err) return notFound(req, res);
    send(req, res, 200, type, data, headers);
  });
}

/** Write `bytes` to `res` `size` bytes every 40 ms, then end it. */
function sendSlowly(res, bytes, size) {
  let at = 0;
  const tick = () => {
    if (res.destroyed) return;
    res.write(bytes.subarray(at, at + size));
    at += size;
    if (at < bytes.length) setTimeout(tick, 40);
    else res.end();
  };
  tick();
}

function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return send(req, res, 405, 'text/plain; charset=utf-8', 'method not allowed', { Allow: 'GET, HEAD' });
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url, `http://${HOST}`).pathname);
  } catch {
    return send(req, res, 400, 'text/plain; charset=utf-8', 'bad request');
  }

  const broken = /^\/broken\/(\d{3})\/v1\/./.exec(pathname);
  if (broken && BROKEN[broken[1]]) {
    return send(req, res, Number(broken[1]), 'text/plain; charset=utf-8', BROKEN[broken[1]]);
  }

  const scale = /^\/(slow|gz)?scale\/(\d+)\/v1\/allocations$/.exec(pathname);
  if (scale && Number(scale[2]) <= MAX_SCALE) {
    const count = Number(scale[2]);
    if (!scaleBodies.has(count)) scaleBodies.set(count, Buffer.from(JSON.stringify(scaleAllocations(count))));
    const body = scaleBodies.get(count);
    if (!scale[1]) return send(req, res, 200, 'application/json', body);
    if (scale[1] === 'gz') {
      // Nomad's gzip handler drops Content-Length (docs/nomad-live.md §2).
      if (!gzBodies.has(count)) gzBodies.set(count, zlib.gzipSync(body));
      const gz = gzBodies.get(count);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Cache-Control': 'no-store' });
      return sendSlowly(res, gz, 1024);
    }
    // /slowscale/: 64 KB every 40 ms, so a test sees the list while it still streams in.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    return sendSlowly(res, body, 65536);
  }

  const fixture = /^\/fixtures\/([A-Za-z0-9_-]+)(\/.*)?$/.exec(pathname);
  if (fixture) {
    const dir = path.join(FIXTURES, fixture[1]);
    if (!fs.existsSync(dir)) return notFound(req, res);
    return serveFile(req, res, dir, fixture[2] ?? '');
  }

  if (pathname === SUBPATH.slice(0, -1) || pathname.startsWith(SUBPATH)) {
    return serveFile(req, res, DIST, pathname.slice(SUBPATH.length - 1));
  }
  const mounted = /^\/(allocscope|portal|csp|badconfig)(\/.*)?$/.exec(pathname);
  if (mounted) {
    const [, name, rest = ''] = mounted;
    if (name === 'allocscope' && rest === '/config.json') return send(req, res, 200, 'application/json', TEST_CONFIG);
    if (name === 'badconfig' && rest === '/config.json') return send(req, res, 200, 'application/json', BAD_CONFIG);
    if (name === 'csp') return serveFile(req, res, DIST, rest, { 'Content-Security-Policy': CSP });
    return serveFile(req, res, name === 'portal' ? PORTAL : DIST, rest);
  }
  if (pathname === '/foreign/frame.html') return send(req, res, 200, TYPES['.html'], FOREIGN_PAGE);
  if (pathname === '/foreign/frame.js') return send(req, res, 200, TYPES['.js'], FOREIGN_SCRIPT);
  if (pathname.startsWith('/broken/') || pathname.startsWith('/fixtures/')) return notFound(req, res);
  return serveFile(req, res, DIST, pathname);
}

const listener = (req, res) => {
  if (VERBOSE) {
    res.on('finish', () => console.log(`${res.statusCode} ${req.method} ${req.url}`));
  }
  try {
    handle(req, res);
  } catch (e) {
    console.error(e);
    if (!res.headersSent) send(req, res, 500, 'text/plain; charset=utf-8', 'test server error');
    else res.destroy();
  }
};
const server = http.createServer(listener);
const foreign = http.createServer(listener);
foreign.on('error', (e) => {
  console.error(`e2e server (foreign origin): ${e.message}`);
  process.exit(1);
});
foreign.listen(FOREIGN_PORT, HOST);

server.on('error', (e) => {
  console.error(`e2e server: ${e.message}`);
  process.exit(1);
});

server.listen(PORT, HOST, () => {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    console.error(`e2e server: ${path.join(DIST, 'index.html')} is missing: run trunk build --release first`);
  }
  console.log(`e2e server on http://${HOST}:${PORT}/ (dist at / and ${SUBPATH})`);
});

function stop(signal) {
  if (VERBOSE) console.log(`e2e server: ${signal}, stopping`);
  foreign.close();
  foreign.closeAllConnections();
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // Never hang the test runner on a stuck socket.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
