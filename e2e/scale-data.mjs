// The scale fixture shared by e2e/server.mjs (which serves it at /scale/<count>/v1/allocations)
// and e2e/scale.spec.mjs (which checks what the app shows against it): the demo's 53 list
// stubs copied with new, deterministic IDs and names. Built on the server because a body of
// tens of MB is too large for Playwright's route.fulfill (the DevTools pipe caps messages).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const demoFile = path.join(here, '..', 'www', 'demo', 'v1', 'allocations');

const hex = (n, w) => n.toString(16).padStart(w, '0');

export const MAX_SCALE = 200_000;

export function scaleAllocations(count) {
  const demo = JSON.parse(fs.readFileSync(demoFile, 'utf8'));
  return Array.from({ length: count }, (_, i) => {
    const a = structuredClone(demo[i % demo.length]);
    // 8 hex digits of the copy number keep IDs unique and in copy order.
    a.ID = `${hex(i, 8)}-0000-4000-8000-${hex(i % 4096, 12)}`;
    a.Name = `${a.JobID}.${a.TaskGroup}[${i}]`;
    // Links only between the demo's own first copies, so chains stay resolvable.
    if (i >= demo.length) {
      a.PreviousAllocation = '';
      a.NextAllocation = '';
    }
    return a;
  });
}
