//! Decode entry points for the benchmark page (bench/page/bench.js). Each returns the
//! number of allocations decoded, so the work cannot be optimised away and the page can
//! check every path saw the same data.

use wasm_bindgen::prelude::*;

/// The app's path: `allocscope_model::decode` (strict) straight from the response bytes.
/// The page passes a `Uint8Array`; wasm-bindgen copies it into linear memory first, and
/// that copy is part of the measured time.
#[wasm_bindgen]
pub fn decode_allocations(bytes: &[u8]) -> Result<u32, JsError> {
    let decoded = allocscope_model::decode(bytes, allocscope_model::DecodeOptions::STRICT)
        .map_err(|e| JsError::new(&format!("allocscope decode: {e}")))?;
    Ok(decoded.allocations.len() as u32)
}

/// The alternative design: `JSON.parse` in JavaScript (timed by the page), then
/// serde-wasm-bindgen from the parsed value into the same typed `Allocation`s. Int64
/// nanosecond times above 2^53 have already lost precision in `JSON.parse`.
#[wasm_bindgen]
pub fn decode_via_js_value(value: JsValue) -> Result<u32, JsError> {
    let allocations: Vec<allocscope_model::Allocation> = serde_wasm_bindgen::from_value(value)
        .map_err(|e| JsError::new(&format!("serde-wasm-bindgen into Allocation: {e}")))?;
    Ok(allocations.len() as u32)
}

/// The same conversion into untyped `serde_json::Value`s, for comparison when the typed
/// conversion fails (see bench/README.md).
#[wasm_bindgen]
pub fn decode_via_js_value_untyped(value: JsValue) -> Result<u32, JsError> {
    let values: Vec<serde_json::Value> = serde_wasm_bindgen::from_value(value)
        .map_err(|e| JsError::new(&format!("serde-wasm-bindgen into serde_json::Value: {e}")))?;
    Ok(values.len() as u32)
}

/// Bytes of wasm linear memory, for the page's report.
#[wasm_bindgen]
pub fn wasm_memory_bytes() -> u32 {
    (core::arch::wasm32::memory_size(0) * 65536) as u32
}
