//! Every cause class, from `fixtures/causes.json` (one allocation per class), and the
//! budgets, timeline, slot history and incident summary built on them.

mod common;

use allocscope_model::*;
use common::*;

fn by_class(all: &[Allocation], class: &str) -> Allocation {
    all.iter().find(|a| a.task_group == class).unwrap_or_else(|| panic!("no {class}")).clone()
}

#[test]
fn every_cause_class_is_recognised_with_evidence() {
    let all = decode_fixture("causes.json", DecodeOptions::STRICT);
    let expect = [
        ("oom", CauseKind::OomKilled, "web was OOM killed (exit code 137)"),
        ("exit", CauseKind::NonZeroExit, "web exited with exit code 2"),
        ("signal", CauseKind::NonZeroExit, "web exited with signal 11"),
        ("exhausted", CauseKind::RestartsExhausted, "web kept failing (exit code 1, 2 failing exits in the events kept) until its restart policy gave up"),
        ("driver", CauseKind::DriverFailure, "web could not start: the image pull failed"),
        ("setup", CauseKind::SetupFailure, "web failed during setup"),
        ("artifact", CauseKind::ArtifactFailure, "web could not download an artifact"),
        ("template", CauseKind::TemplateFailure, "web was killed: a template failed"),
        ("hook", CauseKind::HookFailure, "web: a task hook failed"),
        ("validation", CauseKind::ValidationFailure, "web failed validation"),
        ("disk", CauseKind::DiskExceeded, "web used more disk than allowed"),
        ("sibling", CauseKind::NonZeroExit, "app exited with exit code 3"),
        ("leader", CauseKind::LeaderDied, "follower was killed because the leader task died"),
        ("lost", CauseKind::NodeLost, "Its node stopped heartbeating; Nomad marked the allocation lost (node client-14)"),
        ("disconnected", CauseKind::NodeDisconnected, "Its node is disconnected; the allocation's state is unknown until it reconnects (node client-15)"),
        ("preempted", CauseKind::Preempted, "Preempted by allocation 99999999 of higher priority"),
        ("update", CauseKind::StoppedByJobUpdate, "Stopped because the job was updated"),
        ("drain", CauseKind::StoppedByDrain, "Stopped because its node was drained or the allocation migrated"),
        ("user", CauseKind::StoppedByUser, "Stopped on request, or no longer needed"),
        ("unhealthy", CauseKind::DeploymentUnhealthy, "The deployment marked it unhealthy"),
        ("maxrun", CauseKind::MaxRunDuration, "Ran longer than the group's max_run_duration"),
        ("completed", CauseKind::Completed, "Every task finished successfully"),
        ("mystery", CauseKind::Unknown, "Ended as failed with no recognisable cause"),
    ];
    assert_eq!(expect.len(), all.len(), "one expectation per fixture allocation");
    for (class, kind, summary) in expect {
        let a = by_class(&all, class);
        let c = allocation_cause(&a).unwrap_or_else(|| panic!("{class}: no cause"));
        assert_eq!(c.kind, kind, "{class}");
        assert_eq!(c.summary, summary, "{class}");
        assert!(!c.evidence.is_empty(), "{class}: a cause needs evidence");
    }
    // Evidence names its source and carries the data's own text.
    let oom = allocation_cause(&by_class(&all, "oom")).unwrap();
    assert_eq!(oom.task.as_deref(), Some("web"));
    assert_eq!(oom.label(), "web: OOM killed");
    assert_eq!(oom.evidence[0].source, "task web, Terminated event");
    assert_eq!(oom.evidence[0].text, "Exit Code: 137, Exit Message: \"OOM Killed\"");
    assert_eq!(oom.evidence[0].time, Some(1_763_970_060_000_000_000));
    let ex = allocation_cause(&by_class(&all, "exhausted")).unwrap();
    assert!(ex
        .evidence
        .iter()
        .any(|e| e.source == "task web, Not Restarting event"
            && e.text.contains("Exceeded allowed attempts 1")));
    let tpl = allocation_cause(&by_class(&all, "template")).unwrap();
    assert!(tpl.evidence[0].text.contains("vault.read(secret/db): permission denied"));
    let lost = allocation_cause(&by_class(&all, "lost")).unwrap();
    assert_eq!(lost.evidence[0].text, "client status became lost");
    assert!(lost.evidence[0].time.is_some());
    let unhealthy = allocation_cause(&by_class(&all, "unhealthy")).unwrap();
    assert!(unhealthy.evidence.iter().any(|e| e.text.contains("healthy_deadline")));
    let mystery = allocation_cause(&by_class(&all, "mystery")).unwrap();
    assert!(mystery.evidence.iter().any(|e| e.text == "Failed tasks"), "unknown shows the raw facts");
}

#[test]
fn task_causes_name_the_victim_and_the_culprit() {
    let all = decode_fixture("causes.json", DecodeOptions::STRICT);
    let sib = by_class(&all, "sibling");
    let c = task_cause("log.shipper", &sib.task_states["log.shipper"]).unwrap();
    assert_eq!(c.kind, CauseKind::SiblingFailed);
    assert_eq!(c.summary, "log.shipper was killed because its sibling app failed");
    assert_eq!(task_cause("app", &sib.task_states["app"]).unwrap().kind, CauseKind::NonZeroExit);
    let lost = by_class(&all, "lost");
    assert_eq!(task_cause("web", &lost.task_states["web"]), None, "a running task has no cause");
    let done = by_class(&all, "completed");
    assert_eq!(task_cause("job", &done.task_states["job"]).unwrap().kind, CauseKind::Completed);
    let stopped = by_class(&all, "user");
    assert_eq!(task_cause("web", &stopped.task_states["web"]).unwrap().kind, CauseKind::StoppedByUser);
    // Running and pending allocations have no cause yet.
    let running = decode_fixture("v1-full-allocation.json", DecodeOptions::STRICT).remove(0);
    assert_eq!(allocation_cause(&running), None);
}

#[test]
fn budgets_from_the_embedded_job() {
    let d = decode_fixture("v1-full-allocation.json", DecodeOptions::STRICT).remove(0);
    let r = restart_budgets(&d);
    let api = r.iter().find(|b| b.task == "api").unwrap();
    assert_eq!(api.used, 1);
    assert_eq!(api.used_in_interval, 1);
    assert!(!api.exhausted);
    assert_eq!(api.describe(), "1 of 2 restarts used in 30m0s (mode fail)");
    let s = reschedule_budget(&d);
    assert_eq!(s.used, 2);
    assert_eq!(s.outlook, Outlook::Live);
    assert_eq!(s.describe_used(), "2 used (unlimited)");
    assert_eq!(s.describe_policy(), "unlimited reschedules, exponential delay from 30s up to 1h0m0s");
    // A stub has no job: the budget says so.
    let stub = decode_fixture("v1-list-stubs.json", DecodeOptions::STRICT).remove(0);
    let s = reschedule_budget(&stub);
    assert!(s.policy.is_none());
    assert!(s.describe_policy().contains("not in the data"));
    assert_eq!(s.outlook, Outlook::Replaced { by: "c2b1a0f9-8e7d-4c6b-5a49-382716054f3e".into() });
}

#[test]
fn next_delay_follows_the_delay_function() {
    let p = |f: &str| ReschedulePolicy {
        attempts: 0,
        interval: 0,
        delay: 30_000_000_000,
        delay_function: f.into(),
        max_delay: 100_000_000_000,
        unlimited: true,
    };
    use allocscope_model::budget::next_delay;
    assert_eq!(next_delay(&p("exponential"), &[]), 30_000_000_000);
    assert_eq!(next_delay(&p("exponential"), &[30_000_000_000]), 60_000_000_000);
    assert_eq!(next_delay(&p("exponential"), &[60_000_000_000]), 100_000_000_000, "capped at max_delay");
    assert_eq!(next_delay(&p("fibonacci"), &[30_000_000_000, 30_000_000_000]), 60_000_000_000);
    assert_eq!(next_delay(&p("constant"), &[90_000_000_000]), 30_000_000_000);
}
