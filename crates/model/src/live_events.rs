//! Following a live agent's list through Nomad's event stream (`GET /v1/event/stream`,
//! Nomad 1.0+, docs/nomad-live.md §3) instead of reading the whole list again on every change.
//!
//! The stream is NDJSON: `{}` heartbeats and `{"Events": [...], "Index": N}` frames. Each
//! Allocation event carries the whole allocation (without its `Job`) as it is after the
//! change. [`EventStreamReader`] reads the frames as the bytes arrive; [`apply_updates`]
//! folds the allocations into a list already held. An allocation the list does not hold
//! (a new placement) cannot be added from its payload alone, which lacks the job's type
//! and version that a list entry has: the caller reads the list again instead.

use crate::allocation::Allocation;
use crate::decode::{decode, DecodeError, DecodeErrorKind, DecodeOptions};
use crate::eventmerge::take_changing_fields;
use std::collections::HashMap;

/// One line of an event stream.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamItem {
    /// `{}`: Nomad sends one at once when the subscription starts, then every 30 s.
    Heartbeat,
    /// A frame: the events of one raft index (`Index`), and the allocations they carry
    /// (none for events of other topics).
    Events { index: u64, allocations: Vec<Allocation> },
}

/// The frame's own `Index`; its events are read by `decode`.
#[derive(serde::Deserialize)]
struct FrameIndex {
    #[serde(rename = "Index", default)]
    index: u64,
}

/// Reads an event stream's body as it arrives.
#[derive(Debug, Default)]
pub struct EventStreamReader {
    pending: Vec<u8>,
}

impl EventStreamReader {
    pub fn new() -> EventStreamReader {
        EventStreamReader::default()
    }

    /// Take in the next bytes; returns the lines they complete, in stream order. A frame
    /// that is not JSON, or an allocation that does not decode, is an error: the stream is
    /// not what it should be.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Vec<StreamItem>, DecodeError> {
        self.pending.extend_from_slice(chunk);
        let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') else {
            return Ok(Vec::new());
        };
        let complete: Vec<u8> = self.pending.drain(..=end).collect();
        let mut out = Vec::new();
        for line in complete.split(|&b| b == b'\n') {
            let text = std::str::from_utf8(line).unwrap_or("").trim();
            if text.is_empty() {
                continue;
            }
            if text == "{}" {
                out.push(StreamItem::Heartbeat);
                continue;
            }
            let allocations = match decode(line, DecodeOptions::STRICT) {
                Ok(d) => d.allocations,
                // A frame of another topic: nothing for a list of allocations.
                Err(e) if e.kind == DecodeErrorKind::NotAllocations => Vec::new(),
                Err(e) => return Err(e),
            };
            let index = serde_json::from_str::<FrameIndex>(text).map(|f| f.index).unwrap_or(0);
            out.push(StreamItem::Events { index, allocations });
        }
        Ok(out)
    }
}

/// The result of [`apply_updates`].
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    /// The list with every update applied, in its order.
    pub allocations: Vec<Allocation>,
    /// Allocations changed.
    pub changed: usize,
    /// Updates for allocations the list does not hold (new placements).
    pub unknown: usize,
}

/// `list` with each allocation's newest update (a higher `ModifyIndex` than the list's copy)
/// applied: statuses, task states, deployment status, next allocation and modify index and
/// time (see [`crate::eventmerge`]). Fields only a list entry has (the job's type and
/// version) are kept.
pub fn apply_updates(list: &[Allocation], updates: &[Allocation]) -> Applied {
    let mut allocations = list.to_vec();
    let (changed, unknown) = apply_updates_in_place(&mut allocations, updates);
    Applied { allocations, changed, unknown }
}

/// [`apply_updates`] on a list the caller owns, without copying it: a list just read is
/// folded into where it lies (at 20,000 allocations the copy cost more than the read's
/// decode of the last page). Returns (allocations changed, updates for allocations the
/// list lacks).
pub fn apply_updates_in_place(list: &mut [Allocation], updates: &[Allocation]) -> (usize, usize) {
    if updates.is_empty() {
        return (0, 0);
    }
    let mut newest: HashMap<&str, &Allocation> = HashMap::new();
    for u in updates {
        let slot = newest.entry(u.id.as_str()).or_insert(u);
        if u.modify_index >= slot.modify_index {
            *slot = u;
        }
    }
    let (mut changed, mut matched) = (0, 0);
    for a in list.iter_mut() {
        if let Some(u) = newest.get(a.id.as_str()) {
            matched += 1;
            if u.modify_index > a.modify_index {
                changed += 1;
                take_changing_fields(a, u);
            }
        }
    }
    (changed, newest.len() - matched)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stub(id: &str, status: &str, modify_index: u64) -> String {
        format!(
            r#"{{"ID":"{id}","Name":"web.web[0]","JobID":"web","JobType":"service","JobVersion":3,"ClientStatus":"{status}","ModifyIndex":{modify_index},"TaskStates":{{"web":{{"State":"running","Events":[]}}}}}}"#
        )
    }

    fn frame(index: u64, allocs: &[String]) -> String {
        let events: Vec<String> = allocs
            .iter()
            .map(|a| {
                format!(
                    r#"{{"Topic":"Allocation","Type":"AllocationUpdated","Key":"k","Namespace":"default","FilterKeys":["web",""],"Index":{index},"Payload":{{"Allocation":{a}}}}}"#
                )
            })
            .collect();
        format!(r#"{{"Events":[{}],"Index":{index}}}"#, events.join(",")) + "\n"
    }

    #[test]
    fn frames_are_read_across_chunk_boundaries_and_heartbeats_reported() {
        let body = format!(
            "{{}}\n{}{}{{}}\n{}",
            frame(10, &[stub("a", "running", 10)]),
            r#"{"Events":[{"Topic":"Node","Type":"NodeRegistration","Key":"n","Index":11,"Payload":{"Node":{}}}],"Index":11}"#.to_owned() + "\n",
            frame(12, &[stub("a", "failed", 12), stub("b", "pending", 12)]),
        );
        let mut r = EventStreamReader::new();
        let mut got = Vec::new();
        for chunk in body.as_bytes().chunks(7) {
            got.extend(r.feed(chunk).unwrap());
        }
        let seen: Vec<String> = got
            .iter()
            .map(|item| match item {
                StreamItem::Heartbeat => "{}".to_owned(),
                StreamItem::Events { index, allocations } => {
                    let a: Vec<String> = allocations
                        .iter()
                        .map(|a| format!("{} {}", a.id, a.client_status.as_str()))
                        .collect();
                    format!("{index}: {}", a.join(", "))
                }
            })
            .collect();
        assert_eq!(seen, ["{}", "10: a running", "11: ", "{}", "12: a failed, b pending"]);
        // Nothing was held back: a frame without its newline waits for it.
        assert!(r.feed(frame(13, &[stub("c", "running", 13)]).trim_end().as_bytes()).unwrap().is_empty());
        assert_eq!(r.feed(b"\n").unwrap().len(), 1);
    }

    #[test]
    fn a_broken_frame_is_an_error_that_says_where() {
        let mut r = EventStreamReader::new();
        let e = r
            .feed(b"{\"Events\":[{\"Topic\":\"Allocation\",\"Payload\":{\"Allocation\":{\"ID\":7}}}]}\n")
            .unwrap_err();
        assert!(e.to_string().contains("ID"), "{e}");
        assert!(r.feed(b"<html>502 Bad Gateway</html>\n").is_err());
    }

    #[test]
    fn updates_change_known_allocations_and_count_the_unknown_ones() {
        let decode_one =
            |s: String| decode(s.as_bytes(), DecodeOptions::STRICT).unwrap().allocations.remove(0);
        let list = vec![decode_one(stub("a", "running", 10)), decode_one(stub("b", "running", 10))];
        // Payloads lack the job: no JobType or JobVersion.
        let payload = |id: &str, status: &str, mi: u64| {
            decode_one(format!(
                r#"{{"ID":"{id}","JobID":"web","ClientStatus":"{status}","ModifyIndex":{mi}}}"#
            ))
        };
        let updates = vec![
            payload("a", "failed", 12),
            payload("a", "complete", 11),
            payload("b", "failed", 9),
            payload("z", "pending", 12),
        ];
        let applied = apply_updates(&list, &updates);
        assert_eq!(applied.changed, 1);
        assert_eq!(applied.unknown, 1);
        let a = &applied.allocations[0];
        assert_eq!((a.client_status.as_str(), a.modify_index), ("failed", 12), "the newest update wins");
        assert_eq!((a.job_type.as_str(), a.job_version), ("service", Some(3)), "list-only fields are kept");
        assert_eq!(applied.allocations[1], list[1], "an older update changes nothing");
    }
}
