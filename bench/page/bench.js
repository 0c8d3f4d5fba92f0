// The decode benchmark page (see bench/README.md). bench/run.mjs calls
// window.runBench({ sizes, runs }) and reads the result (also left on window.benchResults).
//
// For each size the bytes are fetched once (arrayBuffer). Then, `runs` times, alternating so
// that drift (GC pressure, CPU frequency) hits every contender alike:
//   jsonparse   JSON.parse(text), on a string decoded once beforehand (TextDecoder not timed)
//   textdecode  new TextDecoder().decode(bytes) alone (reported separately)
//   decode      decode_allocations(new Uint8Array(bytes)): wasm-bindgen copies the bytes into
//               wasm memory, then allocscope_model::decode(STRICT) builds typed Allocations
//   swb         (only where asked) JSON.parse(text) + serde-wasm-bindgen from the parsed value
//               into the same typed Allocations; if that conversion fails, into
//               serde_json::Value instead (swb_value), and the error is reported
// Medians are reported; every run's time is kept in the result.
import init, {
  decode_allocations,
  decode_via_js_value,
  decode_via_js_value_untyped,
  wasm_memory_bytes,
} from './pkg/allocscope_bench.js';

const ready = init({ module_or_path: new URL('./pkg/allocscope_bench_bg.wasm', import.meta.url) });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const gc = () => {
  if (typeof globalThis.gc === 'function') globalThis.gc();
};
const idle = () => new Promise((r) => setTimeout(r, 20));

function time(fn) {
  const t0 = performance.now();
  const out = fn();
  return [performance.now() - t0, out];
}

async function benchSize(label, url, runs, withSwb) {
  const resp = await fetch(url, { cache: 'no-store' });
  if (!resp.ok) throw new Error(`${url}: HTTP ${resp.status}`);
  const buf = await resp.arrayBuffer();
  const text = new TextDecoder().decode(buf);
  const expected = JSON.parse(text).length;
  const t = { jsonparse: [], textdecode: [], decode: [], swb: [], swb_convert: [] };
  let swbKind = withSwb ? 'typed' : null;
  let swbError = null;
  for (let i = 0; i < runs; i++) {
    gc();
    await idle();
    const [td] = time(() => new TextDecoder().decode(buf));
    t.textdecode.push(td);
    gc();
    await idle();
    const [jp, parsed] = time(() => JSON.parse(text));
    if (parsed.length !== expected) throw new Error(`${label}: JSON.parse gave ${parsed.length}`);
    t.jsonparse.push(jp);
    gc();
    await idle();
    const [dt, n] = time(() => decode_allocations(new Uint8Array(buf)));
    if (n !== expected) throw new Error(`${label}: decode_allocations gave ${n}, JSON.parse ${expected}`);
    t.decode.push(dt);
    if (withSwb) {
      gc();
      await idle();
      const t0 = performance.now();
      const value = JSON.parse(text);
      const t1 = performance.now();
      let m;
      if (swbKind === 'typed') {
        try {
          m = decode_via_js_value(value);
        } catch (e) {
          swbError = String(e && e.message ? e.message : e);
          swbKind = 'value';
        }
      }
      if (swbKind === 'value') {
        // A failed typed run is not timed: start this run again, untyped.
        if (m === undefined) {
          gc();
          await idle();
          const u0 = performance.now();
          const v2 = JSON.parse(text);
          const u1 = performance.now();
          m = decode_via_js_value_untyped(v2);
          const u2 = performance.now();
          t.swb.push(u2 - u0);
          t.swb_convert.push(u2 - u1);
        }
      } else {
        const t2 = performance.now();
        t.swb.push(t2 - t0);
        t.swb_convert.push(t2 - t1);
      }
      if (m !== expected) throw new Error(`${label}: serde-wasm-bindgen gave ${m}, JSON.parse ${expected}`);
    }
  }
  const out = {
    label,
    count: expected,
    bytes: buf.byteLength,
    runs,
    times: t,
    jsonparse_ms: median(t.jsonparse),
    textdecode_ms: median(t.textdecode),
    decode_ms: median(t.decode),
    wasm_memory_bytes: wasm_memory_bytes(),
  };
  out.ratio = out.decode_ms / out.jsonparse_ms;
  out.ratio_with_textdecode = out.decode_ms / median(t.jsonparse.map((x, i) => x + t.textdecode[i]));
  if (withSwb) {
    out.swb_kind = swbKind;
    out.swb_error = swbError;
    out.swb_ms = median(t.swb);
    out.swb_convert_ms = median(t.swb_convert);
  }
  return out;
}

/** sizes: [{ label: '5k', url: 'data/5k.json', swb: true }, ...] */
window.runBench = async ({ sizes, runs = 7 }) => {
  await ready;
  window.benchResults = null;
  const results = {
    user_agent: navigator.userAgent,
    gc_exposed: typeof globalThis.gc === 'function',
    sizes: {},
  };
  for (const s of sizes) {
    results.sizes[s.label] = await benchSize(s.label, s.url, runs, !!s.swb);
  }
  window.benchResults = results;
  return results;
};

const button = document.getElementById('run');
ready.then(() => {
  button.disabled = false;
});
button.addEventListener('click', async () => {
  button.disabled = true;
  const out = document.getElementById('out');
  out.textContent = 'running…';
  try {
    const r = await window.runBench({
      sizes: [
        { label: '5k', url: 'data/5k.json', swb: true },
        { label: '50k', url: 'data/50k.json' },
      ],
    });
    const lines = Object.values(r.sizes).map((s) =>
      `${s.label}: JSON.parse ${s.jsonparse_ms.toFixed(1)} ms, decode ${s.decode_ms.toFixed(1)} ms ` +
      `(${s.ratio.toFixed(2)}x)` + (s.swb_ms !== undefined ? `, JSON.parse+serde-wasm-bindgen ${s.swb_ms.toFixed(1)} ms` : ''));
    out.textContent = lines.join('\n');
  } catch (e) {
    out.textContent = String(e);
  } finally {
    button.disabled = false;
  }
});
