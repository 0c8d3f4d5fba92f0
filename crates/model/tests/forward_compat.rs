//! Forward compatibility (issue #12, item 7): a newer Nomad that changes the JSON type of a
//! field the viewer does not identify an allocation by leaves that field at its default, with
//! a note naming the path, the expected and the found type and keeping the value as sent. A
//! type change in an identity or state field is still an error naming its path.

use allocscope_model::*;

/// One allocation from a Nomad that does not exist yet: `AllocStates[].Field` became a string,
/// `Resources.CPU` an object, `TaskEvent.ExitCode` a string, `Metrics.NodesEvaluated` a
/// string. Everything else is as Nomad 1.x sends it.
const FUTURE: &str = r#"{
  "ID": "5a1b2c3d-0000-4000-8000-000000000001",
  "Name": "web.api[0]",
  "Namespace": "default",
  "JobID": "web",
  "TaskGroup": "api",
  "ClientStatus": "failed",
  "DesiredStatus": "run",
  "CreateTime": 1763974800000000000,
  "AllocStates": [{"Field": "ClientStatus", "Value": "unknown", "Time": "2025-11-24T09:00:05Z"}],
  "Resources": {"CPU": {"Shares": 500, "Cores": 2}, "MemoryMB": 256},
  "Metrics": {"NodesEvaluated": "12", "NodesFiltered": 3},
  "TaskStates": {
    "web": {
      "State": "dead",
      "Failed": true,
      "Restarts": 2,
      "Events": [
        {"Type": "Started", "Time": 1763974801000000000},
        {"Type": "Terminated", "Time": 1763974802000000000, "ExitCode": "oom:137", "Signal": 9}
      ]
    }
  }
}"#;

/// `(path, expected, found, raw)` of each note.
fn notes(d: &Decoded) -> Vec<(&str, &str, &str, &str)> {
    d.type_notes.iter().map(|n| (n.path.as_str(), n.expected.as_str(), n.found, n.raw.as_str())).collect()
}

/// 1-based line and column of the first occurrence of `needle` in `src`.
fn position_of(src: &str, needle: &str) -> (usize, usize) {
    let at = src.find(needle).unwrap_or_else(|| panic!("{needle} not in the fixture"));
    let line_start = src[..at].rfind('\n').map_or(0, |nl| nl + 1);
    (src[..at].matches('\n').count() + 1, at - line_start + 1)
}

fn decode_strict(src: &str) -> Decoded {
    decode(src.as_bytes(), DecodeOptions::STRICT).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn changed_types_in_detail_fields_are_read_as_defaults_with_a_note() {
    let d = decode_strict(FUTURE);
    assert_eq!(d.form, Form::Single);
    assert_eq!(d.allocations.len(), 1);
    let a = &d.allocations[0];
    // The allocation is all there, ...
    assert_eq!(a.id, "5a1b2c3d-0000-4000-8000-000000000001");
    assert_eq!(a.client_status, ClientStatus::Failed);
    assert_eq!(a.create_time, 1_763_974_800_000_000_000);
    assert_eq!(a.alloc_states[0].value, "unknown");
    assert_eq!(a.alloc_states[0].time.to_rfc3339().as_deref(), Some("2025-11-24T09:00:05Z"));
    assert_eq!(a.resources.as_ref().unwrap().memory_mb, 256);
    assert_eq!(a.metrics.as_ref().unwrap().nodes_filtered, 3);
    let web = &a.task_states["web"];
    assert_eq!((web.state.as_str(), web.failed, web.restarts), ("dead", true, 2));
    assert_eq!(web.events[1].r#type, TaskEventType::Terminated);
    assert_eq!(web.events[1].time, 1_763_974_802_000_000_000);
    assert_eq!(web.events[1].extra().signal, 9);
    // ... with the changed fields at their defaults, ...
    assert_eq!(a.alloc_states[0].field, 0);
    assert_eq!(a.resources.as_ref().unwrap().cpu, 0);
    assert_eq!(a.metrics.as_ref().unwrap().nodes_evaluated, 0);
    assert_eq!(web.events[1].extra().exit_code, 0);
    // ... and a note for each, in document order, with the value exactly as sent.
    assert_eq!(
        notes(&d),
        vec![
            ("$.AllocStates[0].Field", "an integer from 0 to 255", "a string", r#""ClientStatus""#),
            ("$.Resources.CPU", "an integer", "an object", r#"{"Shares": 500, "Cores": 2}"#),
            ("$.Metrics.NodesEvaluated", "an integer", "a string", r#""12""#),
            ("$.TaskStates.web.Events[1].ExitCode", "an integer", "a string", r#""oom:137""#),
        ]
    );
    let first = &d.type_notes[0];
    assert_eq!(first.allocation, 0);
    assert_eq!(first.field, "AllocStates[0].Field");
    assert_eq!((first.line, first.column), position_of(FUTURE, r#""ClientStatus", "Value""#));
    assert_eq!(d.type_notes[3].field, "TaskStates.web.Events[1].ExitCode");
    assert_eq!((d.type_notes[3].line, d.type_notes[3].column), position_of(FUTURE, r#""oom:137""#));
    assert_eq!(
        first.to_string(),
        format!(
            "line {}, column {}: Nomad sent a string where allocscope expects an integer from 0 to 255 \
             at $.AllocStates[0].Field; the field is left at its default",
            first.line, first.column
        )
    );
    assert!(d.warnings.is_empty(), "nothing was repaired");
}

#[test]
fn a_list_with_one_changed_allocation_yields_every_allocation() {
    let ok = |id: &str| {
        format!(
            r#"{{"ID": "{id}", "JobID": "web", "TaskGroup": "api", "ClientStatus": "running", "DesiredStatus": "run"}}"#
        )
    };
    let src = format!("[\n{},\n{},\n{}\n]", ok("a0"), FUTURE, ok("a2"));
    let d = decode_strict(&src);
    assert_eq!(d.form, Form::List);
    let ids: Vec<&str> = d.allocations.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, vec!["a0", "5a1b2c3d-0000-4000-8000-000000000001", "a2"]);
    assert_eq!(d.allocations[0].client_status, ClientStatus::Running);
    assert_eq!(d.allocations[1].resources.as_ref().unwrap().memory_mb, 256);
    let paths: Vec<&str> = d.type_notes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "$[1].AllocStates[0].Field",
            "$[1].Resources.CPU",
            "$[1].Metrics.NodesEvaluated",
            "$[1].TaskStates.web.Events[1].ExitCode",
        ]
    );
    assert!(d.type_notes.iter().all(|n| n.allocation == 1));
    // Positions are in the whole document, not the element.
    assert_eq!((d.type_notes[2].line, d.type_notes[2].column), position_of(&src, r#""12""#));

    // The same list as NDJSON and inside an event-stream frame: the paths say where.
    let ndjson = format!("{}\n{}\n", ok("a0"), FUTURE.replace('\n', " "));
    let d = decode_strict(&ndjson);
    assert_eq!(d.form, Form::Ndjson);
    assert_eq!(d.allocations.len(), 2);
    assert_eq!(d.type_notes[0].path, "$[1].AllocStates[0].Field");
    let frame = format!(
        r#"{{"Index": 7, "Events": [{{"Topic": "Allocation", "Payload": {{"Allocation": {FUTURE}}}}}]}}"#
    );
    let d = decode_strict(&frame);
    assert_eq!(d.form, Form::EventStream);
    assert_eq!(d.type_notes[1].path, "$.Events[0].Payload.Allocation.Resources.CPU");
    assert_eq!(d.type_notes[1].field, "Resources.CPU");
    assert_eq!(d.type_notes[1].raw, r#"{"Cores":2,"Shares":500}"#, "re-encoded, as the record was unwrapped");
    assert_eq!((d.type_notes[1].line, d.type_notes[1].column), position_of(&frame, r#"{"Shares""#));
}

#[test]
fn type_changes_in_identity_and_state_fields_are_still_errors() {
    let cases = [
        (r#""ClientStatus": "failed""#, r#""ClientStatus": 3"#, "ClientStatus"),
        (r#""DesiredStatus": "run""#, r#""DesiredStatus": {"Want": "run"}"#, "DesiredStatus"),
        (r#""ID": "5a1b2c3d-0000-4000-8000-000000000001""#, r#""ID": 51"#, "ID"),
        (r#""JobID": "web""#, r#""JobID": ["web"]"#, "JobID"),
        (r#""Name": "web.api[0]""#, r#""Name": false"#, "Name"),
        (r#""State": "dead""#, r#""State": 2"#, "TaskStates.web.State"),
        (
            r#""Type": "Started", "Time": 1763974801000000000"#,
            r#""Type": "Started", "Time": {"Unix": 1763974801}"#,
            "TaskStates.web.Events[0].Time",
        ),
        (r#""Type": "Started""#, r#""Type": 1"#, "TaskStates.web.Events[0].Type"),
    ];
    for (from, to, field) in cases {
        let single = FUTURE.replacen(from, to, 1);
        assert_ne!(single, FUTURE, "{from} not in the fixture");
        let e = decode(single.as_bytes(), DecodeOptions::STRICT).unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::Data, "{field}: {e}");
        assert_eq!(e.path, format!("$.{field}"));
        assert!(e.message.starts_with("invalid type"), "{field}: {}", e.message);
        // At the value itself (a scalar serde read, or the bracket of one it only peeked at).
        let key = format!("\"{}\": ", field.rsplit('.').next().unwrap());
        let (line, column) = position_of(&single, to);
        assert_eq!((e.line, e.column), (line, column + to.find(&key).unwrap() + key.len()), "{field}");
        // In a list, after an element whose detail fields were stepped over.
        let list = format!("[{FUTURE},\n{single}]");
        let e = decode(list.as_bytes(), DecodeOptions::STRICT).unwrap_err();
        assert_eq!(e.path, format!("$[1].{field}"), "{e}");
        // Lenient mode does not relax them either.
        let e = decode(list.as_bytes(), DecodeOptions::LENIENT).unwrap_err();
        assert_eq!(e.path, format!("$[1].{field}"), "lenient: {e}");
    }
    // Nor the containers of the state fields.
    let e = decode(
        FUTURE.replacen(r#""Events": ["#, r#""Events": "none", "Old": ["#, 1).as_bytes(),
        DecodeOptions::STRICT,
    )
    .unwrap_err();
    assert_eq!(e.path, "$.TaskStates.web.Events");
}

#[test]
fn where_null_is_refused_the_field_gets_its_types_empty_value() {
    // A list element and a map value cannot be `null`; they become `""` and `{}`.
    let src = r#"{"ID": "x", "TaskGroup": "g", "PreemptedAllocations": ["p1", 7, "p3"],
        "TaskResources": {"web": "big", "db": {"MemoryMB": 64}}, "AllocStates": [5]}"#;
    let d = decode_strict(src);
    let a = &d.allocations[0];
    assert_eq!(a.preempted_allocations, vec!["p1", "", "p3"]);
    assert_eq!(a.task_resources["web"], Resources::default());
    assert_eq!(a.task_resources["db"].memory_mb, 64);
    assert_eq!(a.alloc_states, vec![AllocState::default()]);
    assert_eq!(
        notes(&d),
        vec![
            ("$.PreemptedAllocations[1]", "a string", "a number", "7"),
            ("$.TaskResources.web", "an object", "a string", r#""big""#),
            ("$.AllocStates[0]", "an object", "a number", "5"),
        ]
    );
}

#[test]
fn lenient_mode_repairs_numeric_strings_and_notes_other_changes() {
    // `"ExitCode": "137"` is a hand-edit lenient mode repairs (strict mode notes it).
    let src = FUTURE.replace(r#""oom:137""#, r#""137""#);
    let strict = decode_strict(&src);
    assert_eq!(strict.type_notes[3].path, "$.TaskStates.web.Events[1].ExitCode");
    let d = decode(src.as_bytes(), DecodeOptions::LENIENT).unwrap();
    assert_eq!(d.allocations[0].task_states["web"].events[1].extra().exit_code, 137);
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(d.warnings[0].path, "$.TaskStates.web.Events[1].ExitCode");
    let paths: Vec<&str> = d.type_notes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(paths, vec!["$.AllocStates[0].Field", "$.Resources.CPU", "$.Metrics.NodesEvaluated"]);
    assert_eq!(d.type_notes[1].raw, r#"{"Cores":2,"Shares":500}"#, "re-encoded after the repair");
    assert_eq!((d.type_notes[2].line, d.type_notes[2].column), position_of(&src, r#""12""#));
    // An opened file lists them after its repairs.
    let f = opened::open("future.json", src.as_bytes()).unwrap();
    assert_eq!(f.notes.len(), 4, "{:?}", f.notes);
    assert!(f.notes[0].contains("read the string \"137\" as the integer 137"), "{:?}", f.notes);
    assert!(
        f.notes[3].ends_with(
            "Nomad sent a string where allocscope expects an integer at $.Metrics.NodesEvaluated; the field is left at its default"
        ),
        "{:?}",
        f.notes
    );
}

#[test]
fn notes_are_capped_but_every_allocation_is_read() {
    let one = |i: usize| format!(r#"{{"ID": "a{i}", "TaskGroup": "g", "CreateIndex": "soon"}}"#);
    let n = decode::MAX_TYPE_NOTES + 20;
    let src = format!("[{}]", (0..n).map(one).collect::<Vec<_>>().join(","));
    let d = decode_strict(&src);
    assert_eq!(d.allocations.len(), n);
    assert_eq!(d.allocations[n - 1].id, format!("a{}", n - 1));
    assert_eq!((d.type_notes.len(), d.type_notes_omitted), (decode::MAX_TYPE_NOTES, 20));
    assert_eq!(d.type_notes[999].path, "$[999].CreateIndex");
    assert_eq!(d.type_notes[999].allocation, 999);
}

#[test]
fn many_changed_fields_in_one_allocation_are_all_stepped_over() {
    // Three tasks of 40 events, each event with a string exit code: 120 fields.
    let events = (0..40)
        .map(|i| format!(r#"{{"Type": "Terminated", "Time": {}, "ExitCode": "e{i}"}}"#, 1000 + i))
        .collect::<Vec<_>>()
        .join(",");
    let tasks =
        ["a", "b", "c"].map(|t| format!(r#""{t}": {{"State": "dead", "Events": [{events}]}}"#)).join(",");
    let src = format!(r#"{{"ID": "x", "TaskGroup": "g", "TaskStates": {{{tasks}}}}}"#);
    let d = decode_strict(&src);
    let a = &d.allocations[0];
    assert_eq!(a.event_count(), 120);
    assert_eq!(a.task_states["c"].events[39].time, 1039);
    assert_eq!(d.type_notes.len(), 120);
    assert_eq!(d.type_notes[119].path, "$.TaskStates.c.Events[39].ExitCode");
    assert_eq!(d.type_notes[119].raw, r#""e39""#);
    assert_eq!(
        (d.type_notes[119].line, d.type_notes[119].column),
        (0, 0),
        "only the first notes are located"
    );
}
