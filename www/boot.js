// Starts the standalone app. A file of its own (not an inline script) so the page runs
// under a strict Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval'.
import init from './allocscope-app.js';

const wasm = await init({ module_or_path: new URL('./allocscope-app_bg.wasm', import.meta.url) });
// The wasm linear memory, for the benchmark's memory figure (bench/run.mjs); read-only use.
globalThis.__allocscopeWasmMemory = wasm.memory;
