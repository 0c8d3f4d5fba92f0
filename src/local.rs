//! Local files as a source: a file dropped on the page or picked with the file chooser is
//! read in chunks (with progress), gunzipped by the browser's own `DecompressionStream` when
//! it is gzip (a debug bundle's `.tar.gz`), and handed to `allocscope_model::opened::open`.
//! Nothing leaves the browser.

use crate::api::Progress;
use crate::store::{AllocData, ListData, Shared};
use allocscope_model::opened::{OpenedCapture, OpenedFile};
use allocscope_model::{export, Allocation};

/// Larger files are refused before reading: the tab would run out of memory first.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// An opened file and the capture on screen, with that capture's list ready for the views.
#[derive(Debug, PartialEq)]
pub struct LocalData {
    pub file: Shared<OpenedFile>,
    pub capture: usize,
    /// The capture's list (empty when the capture failed; `error` says why).
    pub list: Shared<ListData>,
    pub error: Option<String>,
}

impl LocalData {
    pub fn new(file: Shared<OpenedFile>, capture: usize) -> LocalData {
        let capture = capture.min(file.captures.len().saturating_sub(1));
        let (allocs, error) = match file.captures.get(capture).map(|c| &c.list) {
            Some(Ok(list)) => (list.clone(), None),
            Some(Err(e)) => (Vec::new(), Some(e.clone())),
            None => (Vec::new(), Some(format!("{} holds no capture", file.name))),
        };
        LocalData { file, capture, list: Shared::new(ListData::new(allocs, None)), error }
    }

    pub fn current(&self) -> Option<&OpenedCapture> {
        self.file.captures.get(self.capture)
    }

    /// One allocation for its page, as pretty JSON for the raw view.
    pub fn allocation(&self, id: &str) -> Option<Shared<AllocData>> {
        let a: &Allocation = self.current()?.allocation(id)?;
        Some(Shared::new(AllocData { alloc: a.clone(), raw: export::allocation_json(a), nomad_index: None }))
    }

    /// Where a missing allocation was looked for, for the not-found message.
    pub fn describe(&self) -> String {
        match self.current() {
            Some(c) if self.file.captures.len() > 1 => format!("{} ({})", self.file.name, c.label),
            _ => self.file.name.clone(),
        }
    }
}

/// What reading a file reports while it runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    Progress { name: String, progress: Progress },
    Failed(String),
}

#[cfg(target_arch = "wasm32")]
mod browser {
    use super::*;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    #[wasm_bindgen]
    extern "C" {
        /// The browser's `DecompressionStream` (web-sys has it only behind its unstable
        /// APIs flag); structurally a `ReadableWritablePair`.
        #[wasm_bindgen(js_name = DecompressionStream)]
        type JsDecompressionStream;
        #[wasm_bindgen(constructor, js_class = "DecompressionStream", catch)]
        fn new(format: &str) -> Result<JsDecompressionStream, JsValue>;
    }

    fn js_text(v: &JsValue) -> String {
        v.as_string()
            .or_else(|| v.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
            .unwrap_or_else(|| "unknown error".to_owned())
    }

    /// Whether the file starts with gzip's magic bytes (read from its first two bytes).
    async fn starts_with_gzip(file: &web_sys::File) -> Result<bool, String> {
        let head = file.slice_with_i32_and_i32(0, 2).map_err(|e| js_text(&e))?;
        let buf = wasm_bindgen_futures::JsFuture::from(head.array_buffer()).await.map_err(|e| js_text(&e))?;
        let bytes = js_sys::Uint8Array::new(&buf).to_vec();
        Ok(allocscope_model::opened::is_gzip(&bytes))
    }

    /// Read a file, gunzipped when it is gzip, reporting progress in bytes of the file read.
    pub async fn read_file(file: &web_sys::File, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, String> {
        let name = file.name();
        let size = file.size() as u64;
        if size > MAX_FILE_BYTES {
            return Err(format!(
                "{name} is {}, more than the {} a browser tab can open; open one capture (interval/NNNN/allocations.json) instead",
                crate::api::bytes(size),
                crate::api::bytes(MAX_FILE_BYTES)
            ));
        }
        let gz = starts_with_gzip(file).await?;
        let raw = file.stream();
        let stream = if gz {
            let ds = JsDecompressionStream::new("gzip").map_err(|e| {
                format!("this browser cannot decompress gzip ({}); gunzip {name} first", js_text(&e))
            })?;
            raw.pipe_through(ds.unchecked_ref::<web_sys::ReadableWritablePair>())
        } else {
            raw
        };
        let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        let mut buf: Vec<u8> = Vec::with_capacity(if gz { 0 } else { size as usize });
        let mut reported = 0u64;
        on_progress(Progress { received: 0, total: (!gz).then_some(size) });
        loop {
            let result = wasm_bindgen_futures::JsFuture::from(reader.read()).await.map_err(|e| {
                if gz {
                    format!("{name} is not valid gzip or is cut off ({})", js_text(&e))
                } else {
                    format!("{name} could not be read ({})", js_text(&e))
                }
            })?;
            let done =
                js_sys::Reflect::get(&result, &"done".into()).ok().and_then(|v| v.as_bool()).unwrap_or(true);
            if done {
                break;
            }
            let chunk =
                js_sys::Uint8Array::new(&js_sys::Reflect::get(&result, &"value".into()).unwrap_or_default());
            let at = buf.len();
            let n = chunk.length() as usize;
            if (at + n) as u64 > MAX_FILE_BYTES {
                let _ = reader.cancel();
                return Err(format!(
                    "{name} unpacks to more than {}; open one capture instead",
                    crate::api::bytes(MAX_FILE_BYTES)
                ));
            }
            buf.resize(at + n, 0);
            chunk.copy_to(&mut buf[at..]);
            if buf.len() as u64 - reported >= 1024 * 1024 {
                reported = buf.len() as u64;
                // For gzip the total of the unpacked data is unknown; show what was unpacked.
                on_progress(Progress { received: reported, total: (!gz).then_some(size) });
            }
        }
        Ok(buf)
    }
}

#[cfg(target_arch = "wasm32")]
pub use browser::read_file;

/// Offer text as a download (an export), through a Blob URL and a temporary link.
#[cfg(target_arch = "wasm32")]
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob =
        web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(|_| "no Blob support")?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| "no object URLs")?;
    let doc = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a").map_err(|_| "no document")?.unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.set_hidden(true);
    // Appended so the click works in every browser; removed at once.
    if let Some(body) = doc.body() {
        let _ = body.append_child(&a);
        a.click();
        let _ = body.remove_child(&a);
    } else {
        a.click();
    }
    // Revoked later: revoking at once can cancel the download in some browsers.
    wasm_bindgen_futures::spawn_local(async move {
        crate::api::sleep(60_000).await;
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    Ok(())
}

#[cfg(not(target_arch = "wasm32"))]
pub fn download(_name: &str, _mime: &str, _text: &str) -> Result<(), String> {
    Err("downloads need a browser".to_owned())
}
