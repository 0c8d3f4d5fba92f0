//! Decoding a JSON array of allocations while its bytes arrive. A `/v1/allocations` answer
//! of 100,000 stubs is hundreds of MB: decoding each element as soon as it is complete lets
//! the first rows show long before the last byte, and the whole body is never held in
//! memory (a wasm module's memory only grows).
//!
//! This is the fast path for well-formed arrays only. Anything else (another form, a bad
//! element, trailing data) makes the stream give up, and the caller decodes the whole body
//! with [`crate::decode`], which names the exact position and path of the problem, or reads
//! past a newer Nomad's field types with a note for each (see [`crate::forward`]).

use crate::allocation::Allocation;
use crate::decode::skip_ws;
use crate::text::PoolScope;

/// Why the stream gave up; the caller falls back to [`crate::decode`] on the whole body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAStreamableList;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Start,
    /// After `[` or `,`: an element (or, right after `[`, the closing `]`) comes next.
    Element {
        first: bool,
    },
    /// After an element: `,` or `]` comes next.
    Separator,
    /// After the closing `]`: only white space may follow.
    Done,
    Failed,
}

/// An incremental decoder of one JSON array of allocations.
#[derive(Debug)]
pub struct ListStream {
    /// Bytes received and not yet consumed: at most one partial element and a chunk.
    pending: Vec<u8>,
    state: State,
    allocations: Vec<Allocation>,
    /// Equal event text is shared across the whole list while it streams in, as within one
    /// `decode` (see `crate::text`).
    _pool: PoolScope,
    /// The body's size when known (Content-Length), and the bytes of the elements decoded
    /// so far: after a sample, the list's final length is estimated and reserved once, so
    /// the list never doubles (which copies it and, in wasm, grows memory for good).
    expected_bytes: Option<u64>,
    element_bytes: u64,
    reserved: bool,
}

/// Elements decoded before the list's length is estimated.
const SAMPLE: usize = 64;

impl Default for ListStream {
    fn default() -> Self {
        ListStream::new()
    }
}

impl ListStream {
    pub fn new() -> ListStream {
        ListStream {
            pending: Vec::new(),
            state: State::Start,
            allocations: Vec::new(),
            _pool: PoolScope::enter(),
            expected_bytes: None,
            element_bytes: 0,
            reserved: false,
        }
    }

    /// The body's size (its Content-Length), so the list can be sized once; call it before
    /// the first bytes.
    pub fn expect_bytes(&mut self, bytes: Option<u64>) {
        if self.allocations.is_empty() {
            self.expected_bytes = bytes;
        }
    }

    /// Allocations decoded so far.
    pub fn allocations(&self) -> &[Allocation] {
        &self.allocations
    }

    pub fn failed(&self) -> bool {
        self.state == State::Failed
    }

    /// Take in the next bytes of the body and decode every element they complete.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), NotAStreamableList> {
        if self.state == State::Failed {
            return Err(NotAStreamableList);
        }
        self.pending.extend_from_slice(chunk);
        let result = self.drain();
        if result.is_err() {
            self.state = State::Failed;
            self.pending = Vec::new();
        }
        result
    }

    /// The body ended: the allocations, if it was one complete array.
    pub fn finish(self) -> Result<Vec<Allocation>, NotAStreamableList> {
        let rest_is_blank = self.pending.iter().all(u8::is_ascii_whitespace);
        if self.state == State::Done && rest_is_blank {
            let mut list = self.allocations;
            // Grown without a size hint (a compressed body has no Content-Length), or
            // reserved from an estimate: give back what is more than an eighth over.
            if list.capacity() - list.len() > list.len() / 8 {
                list.shrink_to_fit();
            }
            Ok(list)
        } else {
            Err(NotAStreamableList)
        }
    }

    fn reserve_estimate(&mut self) {
        let (Some(total), false) = (self.expected_bytes, self.reserved) else { return };
        let n = self.allocations.len();
        if n < SAMPLE || self.element_bytes == 0 {
            return;
        }
        self.reserved = true;
        // 5 % over the estimate: elements vary in size; an underestimate only means one
        // more growth at the end.
        let estimate = (total as f64 / (self.element_bytes as f64 / n as f64) * 1.05) as usize;
        // A header is not trusted for more than 64-byte elements (a real stub is kilobytes)
        // or two million of them.
        let cap = usize::try_from(total / 64).unwrap_or(usize::MAX).min(1 << 21).max(n);
        self.allocations.reserve(estimate.min(cap).saturating_sub(n));
    }

    fn drain(&mut self) -> Result<(), NotAStreamableList> {
        let mut pos = 0;
        let bytes = std::mem::take(&mut self.pending);
        // Checked as UTF-8 once here rather than string by string inside serde_json (about a
        // fifth of the decode time). A multi-byte character cut by the chunk boundary ends
        // the usable text until its other bytes arrive; invalid UTF-8 falls back.
        let text: &str = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(e) if e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or(""),
            Err(_) => {
                self.pending = bytes;
                return Err(NotAStreamableList);
            }
        };
        let outcome = loop {
            pos = skip_ws(&bytes, pos);
            let Some(&b) = bytes.get(pos) else { break Ok(()) };
            match self.state {
                State::Start if b == b'\xEF' => {
                    // A UTF-8 byte order mark, as some tools write; wait for all of it.
                    match bytes.get(pos..pos + 3) {
                        Some(b"\xEF\xBB\xBF") => pos += 3,
                        Some(_) => break Err(NotAStreamableList),
                        None => break Ok(()),
                    }
                }
                State::Start if b == b'[' => {
                    pos += 1;
                    self.state = State::Element { first: true };
                }
                State::Element { first: true } if b == b']' => {
                    pos += 1;
                    self.state = State::Done;
                }
                State::Element { .. } if b == b'{' => {
                    // `pos` is on a `{`, so a character boundary; past `text`, wait for bytes.
                    let Some(rest) = text.get(pos..) else { break Ok(()) };
                    let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Allocation>();
                    match values.next() {
                        Some(Ok(a)) => {
                            let len = values.byte_offset();
                            pos += len;
                            self.element_bytes += len as u64 + 1;
                            self.allocations.push(a);
                            self.state = State::Separator;
                            self.reserve_estimate();
                        }
                        // The element goes on in bytes not received yet.
                        Some(Err(e)) if e.is_eof() => break Ok(()),
                        _ => break Err(NotAStreamableList),
                    }
                }
                State::Separator if b == b',' => {
                    pos += 1;
                    self.state = State::Element { first: false };
                }
                State::Separator if b == b']' => {
                    pos += 1;
                    self.state = State::Done;
                }
                _ => break Err(NotAStreamableList),
            }
        };
        self.pending = bytes;
        self.pending.drain(..pos.min(self.pending.len()));
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, DecodeOptions};

    const LIST: &[u8] = br#" [ {"ID":"a1","TaskGroup":"g","ClientStatus":"running","DesiredStatus":"run",
        "TaskStates":{"t":{"State":"running","Events":[{"Type":"Started","Time":1795510800000000001}]}}} ,
        {"ID":"b2","TaskGroup":"g","ClientStatus":"failed","DesiredStatus":"run","JobID":"x\"]},{"} ] "#;

    fn stream_in(bytes: &[u8], chunk: usize) -> Result<Vec<Allocation>, NotAStreamableList> {
        let mut s = ListStream::new();
        for c in bytes.chunks(chunk.max(1)) {
            s.feed(c)?;
        }
        s.finish()
    }

    #[test]
    fn any_chunking_gives_what_the_whole_body_decode_gives() {
        let whole = decode(LIST, DecodeOptions::STRICT).unwrap().allocations;
        assert_eq!(whole.len(), 2);
        for chunk in [1, 2, 3, 7, 64, 100_000] {
            assert_eq!(stream_in(LIST, chunk).unwrap(), whole, "chunks of {chunk}");
        }
        // Rows are available before the body ends.
        let mut s = ListStream::new();
        s.feed(&LIST[..LIST.len() - 60]).unwrap();
        assert_eq!(s.allocations().len(), 1);
        assert_eq!(stream_in(b"[]", 1).unwrap(), Vec::<Allocation>::new());
        assert_eq!(stream_in(b"\xEF\xBB\xBF[\n]\n", 1).unwrap(), Vec::<Allocation>::new());
    }

    #[test]
    fn characters_cut_by_a_chunk_boundary_wait_for_their_other_bytes() {
        let list = "[{\"ID\":\"a\",\"TaskGroup\":\"g\",\"ClientStatus\":\"running\",\"DesiredStatus\":\"run\",\"Name\":\"wéb-€-😀\"}]";
        let whole = decode(list.as_bytes(), DecodeOptions::STRICT).unwrap().allocations;
        for chunk in [1, 2, 3, 5] {
            assert_eq!(stream_in(list.as_bytes(), chunk).unwrap(), whole, "chunks of {chunk}");
        }
        assert_eq!(whole[0].name, "wéb-€-😀");
        // Bytes that are not UTF-8 at all fall back (decode then names the position).
        let mut bad = list.as_bytes().to_vec();
        let at = bad.iter().position(|&b| b == 0xC3).unwrap();
        bad[at] = 0xFF;
        assert_eq!(stream_in(&bad, 7), Err(NotAStreamableList));
    }

    #[test]
    fn the_list_is_sized_once_from_the_body_size() {
        let one = br#"{"ID":"a1","TaskGroup":"g","ClientStatus":"running","DesiredStatus":"run","Name":"web.api[0]"}"#;
        let mut body = b"[".to_vec();
        for i in 0..1000 {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(one);
        }
        body.push(b']');
        let mut s = ListStream::new();
        s.expect_bytes(Some(body.len() as u64));
        for c in body.chunks(4096) {
            s.feed(c).unwrap();
        }
        let list = s.finish().unwrap();
        assert_eq!(list.len(), 1000);
        assert!((1000..=1100).contains(&list.capacity()), "capacity {}", list.capacity());
        // An absurd header reserves a bounded amount, and a wrong one only means growth.
        let mut s = ListStream::new();
        s.expect_bytes(Some(u64::MAX));
        for c in body.chunks(4096) {
            s.feed(c).unwrap();
        }
        assert!(s.finish().unwrap().capacity() <= 1 << 21);
        let mut s = ListStream::new();
        s.expect_bytes(Some(10));
        for c in body.chunks(4096) {
            s.feed(c).unwrap();
        }
        assert_eq!(s.finish().unwrap().len(), 1000);
    }

    #[test]
    fn anything_but_one_complete_array_of_objects_falls_back() {
        for bad in [
            &b"{\"ID\":\"a\"}"[..],                    // a single allocation
            b"{\"ID\":\"a\"}\n{\"ID\":\"b\"}\n",       // NDJSON
            b"[{\"ID\":\"a\"},]",                      // trailing comma
            b"[{\"ID\":\"a\"}",                        // cut off
            b"[{\"ID\":\"a\"}] x",                     // trailing garbage
            b"[1, 2]",                                 // not objects
            b"[{\"ID\":\"a\",\"CreateIndex\":\"7\"}]", // a type error
            b"",
        ] {
            assert_eq!(stream_in(bad, 3), Err(NotAStreamableList), "{}", String::from_utf8_lossy(bad));
        }
        // After giving up it stays given up and holds no bytes.
        let mut s = ListStream::new();
        assert!(s.feed(b"nope").is_err());
        assert!(s.failed());
        assert!(s.feed(b"[]").is_err());
    }
}
