//! Every input form the decoder detects, what it keeps from each, and how it fails.

mod common;

use allocscope_model::*;
use common::*;

#[test]
fn full_v1_allocation_keeps_what_a_user_needs() {
    let d = decode(&fixture("v1-full-allocation.json"), DecodeOptions::STRICT).unwrap();
    assert_eq!(d.form, Form::Single);
    assert!(d.warnings.is_empty());
    let a = &d.allocations[0];
    assert_eq!(a.shape(), Shape::Full);
    assert_eq!(a.id, "d3a1c2b4-5e6f-4a7b-8c9d-0e1f2a3b4c5d");
    assert_eq!(a.short_id(), "d3a1c2b4");
    assert_eq!(a.namespace, "payments");
    assert_eq!(a.node_name, "nomad-client-eu-1a-03");
    assert_eq!(a.client_status, ClientStatus::Running);
    assert_eq!(a.desired_status, DesiredStatus::Run);
    assert!(a.desired_transition.is_empty(), "absent DesiredTransition means no transition");
    assert_eq!(a.job_version(), Some(7));
    assert_eq!(a.job_type(), "service");
    assert_eq!(a.create_time, 1_763_974_800_123_456_789, "int64 nanoseconds kept exactly");
    assert_eq!(a.previous_allocation, "c2b1a0f9-8e7d-4c6b-5a49-382716054f3e");
    assert_eq!(a.alloc_states.len(), 2);
    assert_eq!(a.alloc_states[0].value, "unknown");
    assert_eq!(a.alloc_states[0].time.to_rfc3339().unwrap(), "2025-11-23T08:00:05.5Z");

    let tracker = a.reschedule_tracker.as_ref().unwrap();
    assert_eq!(tracker.last_reschedule, LastReschedule::Ok);
    assert_eq!(tracker.events.len(), 2);
    assert_eq!(tracker.events[1].delay, 60_000_000_000);
    assert_eq!(tracker.events[1].prev_alloc_id, "c2b1a0f9-8e7d-4c6b-5a49-382716054f3e");

    // Dotted task names survive as map keys; lifecycle order puts the prestart sidecar first.
    let order: Vec<&str> = a.tasks_in_order().iter().map(|(n, _)| *n).collect();
    assert_eq!(order, vec!["envoy.proxy", "api"]);
    assert_eq!(a.task_lifecycle("envoy.proxy"), ("prestart", true));
    assert_eq!(a.task_lifecycle("api"), ("main", false));

    let api = &a.task_states["api"];
    assert_eq!(api.state, TaskStateKind::Running);
    assert_eq!(api.restarts, 1);
    assert!(api.finished_at.is_none());
    assert_eq!(api.last_restart.to_rfc3339().unwrap(), "2025-11-24T09:20:00.1Z");
    assert_eq!(api.events.len(), 6);
    let driver = &api.events[1];
    assert_eq!(driver.r#type, TaskEventType::Driver);
    assert_eq!(driver.time, -6_795_364_578_871_345_152, "negative driver time kept");
    assert_eq!(driver.known_time(), None);
    assert_eq!(driver.details, None, "Details: null stays distinguishable from {{}}");
    let term = &api.events[3];
    assert_eq!(term.extra().exit_code, 1);
    assert_eq!(term.detail("oom_killed"), Some("false"));
    assert!(!term.oom_killed());
    assert_eq!(api.events[4].extra().start_delay, 16_732_000_000);

    let dep = a.deployment_status.as_ref().unwrap();
    assert_eq!(dep.healthy, Some(true));
    assert_eq!(dep.timestamp.to_rfc3339().unwrap(), "2025-11-24T10:00:31.2+01:00");
    assert_eq!(dep.timestamp.unix_nanos(), Some(1_763_974_831_200_000_000));

    let res = a.allocated_resources.as_ref().unwrap();
    assert_eq!(res.totals(), (600, 320, 300));
    assert_eq!(res.shared.ports[0].value, 24301);
    assert_eq!(a.resources.as_ref().unwrap().cpu, 600);
    assert_eq!(a.task_resources["envoy.proxy"].memory_mb, 64);
    let m = a.metrics.as_ref().unwrap();
    assert_eq!(m.nodes_evaluated, 4);
    assert_eq!(m.score_meta_data[0].scores["node-reschedule-penalty"], -1.0);
    assert_eq!(a.network_status.as_ref().unwrap().address, "172.26.64.12");

    let job = a.job.as_ref().unwrap();
    let restart = job.restart_policy("api").unwrap();
    assert_eq!((restart.attempts, restart.interval, restart.mode.as_str()), (2, 1_800_000_000_000, "fail"));
    let resched = job.reschedule_policy("api").unwrap();
    assert!(resched.unlimited);
    assert_eq!(resched.delay_function, "exponential");
    assert_eq!(job.priority(), Some(70));
}

#[test]
fn list_stubs_decode_with_nulls_as_empty() {
    let d = decode(&fixture("v1-list-stubs.json"), DecodeOptions::STRICT).unwrap();
    assert_eq!(d.form, Form::List);
    assert_eq!(d.allocations.len(), 4);
    let first = &d.allocations[0];
    assert_eq!(first.shape(), Shape::Stub);
    assert_eq!(first.next_allocation, "c2b1a0f9-8e7d-4c6b-5a49-382716054f3e");
    assert!(first.previous_allocation.is_empty(), "stubs never carry PreviousAllocation");
    assert!(first.reschedule_tracker.as_ref().unwrap().events.is_empty(), "Events: null is empty");
    assert!(first.task_states["api"].events[2].display_message.is_empty());
    assert_eq!(
        event_message(&first.task_states["api"].events[2]),
        "Exceeded allowed attempts 2 in interval 30m0s and mode is \"fail\""
    );
    assert!(first.task_states["api"].events[1].oom_killed());
    let pending = &d.allocations[3];
    assert_eq!(pending.client_status, ClientStatus::Pending);
    assert!(pending.task_states.is_empty(), "TaskStates: null is empty");
    assert_eq!(pending.job_type(), "batch");
    assert_eq!(pending.job_version(), Some(2));
}

#[test]
fn nomad_08_zero_times_and_legacy_resources() {
    let a = &decode_fixture("v08-full-allocation.json", DecodeOptions::STRICT)[0];
    let redis = &a.task_states["redis"];
    assert!(redis.finished_at.is_none(), "0001-01-01T00:00:00Z is no time");
    assert!(redis.last_restart.is_none());
    assert_eq!(redis.started_at.to_rfc3339().unwrap(), "2018-01-31T22:01:37.893212398Z");
    assert_eq!(a.namespace_or_default(), "default", "0.8 has no namespace");
    assert!(a.allocated_resources.is_none());
    let res = a.resources.as_ref().unwrap();
    assert_eq!((res.cpu, res.memory_mb, res.disk_mb), (500, 256, 300));
    assert_eq!(res.networks[0].dynamic_ports[0].value, 31471);
    assert_eq!(a.metrics.as_ref().unwrap().scores.len(), 1);
}

#[test]
fn ndjson_debug_capture() {
    let d = decode(&fixture("bundle-allocations.ndjson"), DecodeOptions::STRICT).unwrap();
    assert_eq!(d.form, Form::Ndjson);
    let names: Vec<&str> = d.allocations.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "b1a0f9e8-7d6c-4b5a-4938-271605f4e3d2",
            "c2b1a0f9-8e7d-4c6b-5a49-382716054f3e",
            "d3a1c2b4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
        ]
    );
    assert!(d.allocations[0].task_states["api"].last_restart.is_none());
}

#[test]
fn failed_capture_is_a_clear_error() {
    let e = decode(&fixture("bundle-error.json"), DecodeOptions::STRICT).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::CaptureFailed);
    assert!(e.to_string().contains("Unexpected response code: 403 (Permission denied)"), "{e}");
    assert!(e.hint().unwrap().contains("ACL"));
}

#[test]
fn event_stream_frames_yield_their_allocations() {
    let d = decode(&fixture("event-stream.ndjson"), DecodeOptions::STRICT).unwrap();
    assert_eq!(d.form, Form::EventStream);
    assert_eq!(d.allocations.len(), 1);
    assert_eq!(d.skipped, 2, "the heartbeat and the Node event");
    let a = &d.allocations[0];
    assert_eq!(a.shape(), Shape::Partial);
    let ev = &a.task_states["api"].events[0];
    assert!(ev.display_message.is_empty());
    assert_eq!(
        event_message(ev),
        "Failed to pull `registry.example.com/checkout-api:2.4.1`: manifest unknown"
    );
}

#[test]
fn unknown_enum_values_are_kept() {
    let a = &decode_fixture("future-enums.json", DecodeOptions::STRICT)[0];
    assert_eq!(a.client_status, ClientStatus::Other("hibernating".into()));
    assert_eq!(a.desired_status.as_str(), "suspend");
    assert_eq!(a.task_states["main"].state.as_str(), "frozen");
    assert_eq!(a.task_states["main"].events[0].r#type.as_str(), "Quantum Tunnelled");
    assert_eq!(event_message(&a.task_states["main"].events[0]), "teleported to another node");
    let json = serde_json::to_string(a).unwrap();
    assert!(json.contains("\"ClientStatus\":\"hibernating\""));
}

#[test]
fn strict_mode_points_at_the_trailing_comma() {
    let e = decode(&fixture("hand-edited.json.txt"), DecodeOptions::STRICT).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Syntax);
    assert_eq!((e.line, e.column), (16, 8), "the comma itself");
    assert_eq!(e.path, "$.RescheduleTracker.Events");
    assert!(e.message.contains("trailing comma"), "{}", e.message);
    assert!(e.hint().unwrap().contains("lenient"));
}

#[test]
fn lenient_mode_repairs_and_reports_every_repair() {
    let d = decode(&fixture("hand-edited.json.txt"), DecodeOptions::LENIENT).unwrap();
    let a = &d.allocations[0];
    assert_eq!(a.previous_allocation, "516d2753-0513-cfc7-57ac-2d6fac18b9dc", "last duplicate wins");
    assert_eq!(a.reschedule_tracker.as_ref().unwrap().events[0].delay, 5_000_000_000);
    let w: Vec<String> = d.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        w,
        vec![
            "line 15, column 17: read the string \"5000000000\" as the integer 5000000000 at $.RescheduleTracker.Events[0].Delay",
            "line 16, column 8: removed a trailing comma at $.RescheduleTracker.Events",
            "line 22, column 19: removed a trailing comma at $.TaskStates.redis",
            "line 23, column 6: removed a trailing comma at $.TaskStates",
            "line 25, column 3: duplicate key `PreviousAllocation`: the last value was kept at $",
            "line 25, column 63: removed a trailing comma at $",
        ]
    );
}

#[test]
fn data_errors_name_the_path_line_and_column() {
    let src = b"[\n  {\"ID\": \"a\", \"TaskGroup\": \"g\"},\n  {\"ID\": \"b\", \"TaskStates\": {\"web.1\": {\"Events\": [{\"Time\": \"soon\"}]}}}\n]";
    let e = decode(src, DecodeOptions::STRICT).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::Data);
    assert_eq!(e.path, "$[1].TaskStates[\"web.1\"].Events[0].Time");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("invalid type: string \"soon\""), "{}", e.message);

    // The same in a single object, decoded through the record path. (A field that does
    // not identify the allocation, such as `CreateTime`, is read as its default instead:
    // see forward_compat.rs.)
    let src = b"{\"ID\": \"b\", \"TaskGroup\": \"g\",\n \"DesiredStatus\": true}";
    let e = decode(src, DecodeOptions::STRICT).unwrap_err();
    assert_eq!(e.path, "$.DesiredStatus");
    assert_eq!((e.line, e.column), (2, 19));

    // Bad RFC 3339 text.
    let src = br#"{"ID": "b", "TaskGroup": "g", "TaskStates": {"t": {"StartedAt": "24/11/2026"}}}"#;
    let e = decode(src, DecodeOptions::STRICT).unwrap_err();
    assert_eq!(e.path, "$.TaskStates.t.StartedAt");
    assert!(e.message.contains("not an RFC 3339 time"), "{}", e.message);

    // NDJSON names the line.
    let src = b"{\"ID\": \"a\", \"TaskGroup\": \"g\"}\n{\"ID\": \"b\", \"TaskGroup\": 5}\n";
    let e = decode(src, DecodeOptions::STRICT).unwrap_err();
    assert_eq!(e.path, "$[1].TaskGroup");
    assert_eq!((e.line, e.column), (2, 26));
}

#[test]
fn inputs_that_hold_no_allocations() {
    for (src, kind) in [
        (&b""[..], DecodeErrorKind::Empty),
        (b"  \n ", DecodeErrorKind::Empty),
        (b"42", DecodeErrorKind::NotAllocations),
        (b"\"allocations\"", DecodeErrorKind::NotAllocations),
        (b"{}", DecodeErrorKind::NotAllocations),
        (br#"{"EvalID": "x", "Index": 12}"#, DecodeErrorKind::NotAllocations),
        (br#"[{"ID": "x", "ServiceName": "web", "AllocID": "y"}]"#, DecodeErrorKind::NotAllocations),
        (b"<html><body>502 Bad Gateway</body></html>", DecodeErrorKind::Syntax),
        (b"[{\"ID\": \"a\", \"TaskGroup\": \"g\"}", DecodeErrorKind::Syntax),
    ] {
        let e = decode(src, DecodeOptions::STRICT).unwrap_err();
        assert_eq!(e.kind, kind, "{:?}: {e}", String::from_utf8_lossy(src));
        assert!(!e.to_string().is_empty());
    }
    // An empty list is a valid answer: no allocations.
    let d = decode(b"[]", DecodeOptions::STRICT).unwrap();
    assert!(d.allocations.is_empty());
    // A truncated download says so.
    let e = decode(b"[{\"ID\": \"a\", \"TaskGroup\": \"g\"}", DecodeOptions::STRICT).unwrap_err();
    assert!(e.hint().unwrap().contains("cut off"));
}

#[test]
fn byte_order_mark_and_html_in_strings_are_just_data() {
    let src = "\u{feff}[{\"ID\": \"a\", \"TaskGroup\": \"<script>alert(1)</script>\"}]";
    let d = decode(src.as_bytes(), DecodeOptions::STRICT).unwrap();
    assert_eq!(d.allocations[0].task_group, "<script>alert(1)</script>");
}

#[test]
fn stubs_encode_with_every_field_as_nomad_writes_them() {
    let a = &decode_fixture("v1-full-allocation.json", DecodeOptions::STRICT)[0];
    let stub = AllocListStub::from_allocation(a, false);
    let v = serde_json::to_value(&stub).unwrap();
    let obj = v.as_object().unwrap();
    for key in ["FollowupEvalID", "PreemptedAllocations", "NextAllocation", "DesiredTransition", "JobVersion"]
    {
        assert!(obj.contains_key(key), "{key} missing");
    }
    assert!(!obj.contains_key("PreviousAllocation"));
    assert!(!obj.contains_key("Job"));
    assert!(!obj.contains_key("AllocatedResources"));
    assert_eq!(v["JobVersion"], 7);
    assert_eq!(v["JobType"], "service");
    assert_eq!(v["DesiredTransition"]["Migrate"], serde_json::Value::Null);
    assert_eq!(v["PreemptedAllocations"], serde_json::Value::Null);
    // And it decodes back as a stub of the same allocation.
    let back = decode(&serde_json::to_vec(&vec![stub]).unwrap(), DecodeOptions::STRICT).unwrap();
    assert_eq!(back.allocations[0].shape(), Shape::Stub);
    assert_eq!(back.allocations[0].task_states, a.task_states);
}
