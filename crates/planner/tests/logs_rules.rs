//! Container logs on failure (issue 17 part 4): when the planner asks for `getLogs`, which
//! containers, and how much of the answer status and the Event keep. Each test drives the
//! deployment planner the way the controller does (plan, then `plan_logs` over the stored and
//! planned status, then `record` of what getLogs answered), over several syncs.

mod builders;
mod fixtures;

use api::OperationStatus;
use builders::*;
use fixtures::*;
use planner::logs::{
    LogsContainer, LogsFetch, LogsInput, LogsTrigger, MAX_BYTES, MAX_LINES, containers_for,
    plan_logs, record, tail,
};
use planner::{EventType, Failure, FailureClass, Observation, OperationOutcome};

const FAILED_LOG: &str =
    "Traceback (most recent call last):\nFile \"score.py\", line 3, in init\nKeyError: 'MODEL_DIR'";

fn operation(kind: &str) -> OperationStatus {
    OperationStatus {
        kind: kind.into(),
        url: "https://management.azure.com/op".into(),
        polling: "AzureAsyncOperation".into(),
        resource_id: "dep".into(),
        started_at: "2027-01-15T08:00:00Z".into(),
    }
}

/// One reconcile: the plan, the logs it asks for, and (when it asks) the status after
/// recording `answer` for each container. Returns the fetch and the status to store.
fn sync(dep: &Dep, request: Option<&str>) -> (Option<LogsFetch>, api::OnlineDeploymentStatus) {
    let plan = dep.plan();
    let fetch = plan_logs(&LogsInput {
        status: &dep.status,
        planned: &plan.status,
        operation: &dep.operation,
        observed: &dep.observed,
        request,
        deleting: dep.deleting,
    });
    let mut status = plan.status.clone();
    if let Some(f) = &fetch {
        let answers = f
            .containers
            .iter()
            .map(|c| (*c, Ok(format!("{}\n{FAILED_LOG}", c.as_str()))))
            .collect();
        record(&mut status, f, answers, Some(dep.generation), "blue", now());
    }
    (fetch, status)
}

fn failure(code: &str, message: &str) -> Failure {
    Failure::new(FailureClass::Terminal, code, message)
}

/// A failed operation reads the logs once; the syncs after it (Azure still reports Failed, the
/// object Stalled) read nothing.
#[test]
fn a_failed_operation_reads_logs_once_not_on_every_sync() {
    let mut dep = Dep::new(deployment_spec("blue")).azure(azure_deployment("blue", "Failed", 1));
    dep.status.operation = Some(operation("Create"));
    dep.status.provisioning_state = Some("Creating".into());
    dep.operation = OperationOutcome::Failed(failure(
        "ResourceNotReady",
        "User container has crashed or terminated: liveness probe failed",
    ));
    let (fetch, status) = sync(&dep, None);
    let fetch = fetch.expect("the failed operation reads logs");
    assert_eq!(fetch.trigger, LogsTrigger::OperationFailed);
    assert_eq!(fetch.containers, [LogsContainer::InferenceServer]);
    assert_eq!(fetch.tail, 40);
    let logs = status.last_logs.clone().expect("recorded");
    assert_eq!(logs.trigger, "OperationFailed");
    assert_eq!(logs.containers.len(), 1);
    assert!(logs.containers[0].text.ends_with("KeyError: 'MODEL_DIR'"));
    assert_eq!(logs.containers[0].lines, 4);

    // The next syncs: no operation to poll, Azure still says Failed.
    dep.status = status;
    dep.operation = OperationOutcome::None;
    for _ in 0..3 {
        let (fetch, status) = sync(&dep, None);
        assert_eq!(
            fetch, None,
            "a deployment that stays Failed is not read again"
        );
        assert_eq!(status.last_logs, dep.status.last_logs);
        dep.status = status;
    }
}

/// Azure reporting the deployment Failed without an operation of ours (it failed after being
/// Ready) reads both containers once.
#[test]
fn a_deployment_that_turns_failed_in_azure_reads_both_containers_once() {
    let mut dep = Dep::new(deployment_spec("blue")).azure(azure_deployment("blue", "Succeeded", 1));
    dep.status = ready_deployment_status(1);
    let (fetch, status) = sync(&dep, None);
    assert_eq!(fetch, None, "a healthy deployment reads no logs");
    dep.status = status;

    dep.observed = Observation::Found(azure_deployment("blue", "Failed", 1));
    let (fetch, status) = sync(&dep, None);
    let fetch = fetch.expect("the turn to Failed reads logs");
    assert_eq!(fetch.trigger, LogsTrigger::ProvisioningFailed);
    assert_eq!(
        fetch.containers,
        [
            LogsContainer::InferenceServer,
            LogsContainer::StorageInitializer
        ]
    );
    assert_eq!(fetch.tail, 20, "two containers share the 40 lines");
    dep.status = status;
    for _ in 0..3 {
        let (fetch, status) = sync(&dep, None);
        assert_eq!(fetch, None);
        dep.status = status;
    }
}

/// Deletion never reads logs, and a failed delete operation does not either.
#[test]
fn deletion_and_failed_deletes_read_no_logs() {
    let mut dep = Dep::new(deployment_spec("blue")).azure(azure_deployment("blue", "Failed", 1));
    dep.status.operation = Some(operation("Delete"));
    dep.operation = OperationOutcome::Failed(failure("InternalServerError", "delete failed"));
    assert_eq!(sync(&dep, None).0, None, "failed delete");
    let mut deleting = Dep::new(deployment_spec("blue"))
        .azure(azure_deployment("blue", "Failed", 1))
        .deleting();
    deleting.status.operation = Some(operation("Update"));
    deleting.operation = OperationOutcome::Failed(failure("BadArgument", "update failed"));
    assert_eq!(sync(&deleting, Some("now")).0, None, "object being deleted");
}

/// A failure only counts once the plan records it: an object refused for ownership (the plan
/// keeps neither the operation outcome nor Azure's state) reads nothing, so it cannot loop.
#[test]
fn a_failure_the_plan_does_not_record_reads_nothing() {
    let stored = ready_deployment_status(1);
    let observed = Observation::Found(azure_deployment("blue", "Failed", 1));
    let input = LogsInput {
        status: &stored,
        planned: &stored,
        operation: &OperationOutcome::None,
        observed: &observed,
        request: None,
        deleting: false,
    };
    assert_eq!(plan_logs(&input), None);
    let mut with_op = stored.clone();
    with_op.operation = Some(operation("Update"));
    let failed = OperationOutcome::Failed(failure("BadArgument", "x"));
    let input = LogsInput {
        status: &with_op,
        planned: &with_op,
        operation: &failed,
        ..input
    };
    assert_eq!(plan_logs(&input), None, "operation record not cleared");
}

/// `aml-operator.io/fetch-logs`: each new value is served once, once the deployment exists in
/// Azure; an empty value asks nothing.
#[test]
fn the_annotation_reads_logs_once_per_value() {
    let mut dep = Dep::new(deployment_spec("blue"));
    // Not in Azure yet: the request waits (it is not spent on a 404).
    let (fetch, status) = sync(&dep, Some("1"));
    assert_eq!(fetch, None);
    assert_eq!(status.last_logs, None);

    dep.observed = Observation::Found(azure_deployment("blue", "Succeeded", 1));
    dep.status = ready_deployment_status(1);
    let (fetch, status) = sync(&dep, Some("1"));
    let fetch = fetch.expect("a new value reads logs");
    assert_eq!(fetch.trigger, LogsTrigger::Requested);
    assert_eq!(fetch.request.as_deref(), Some("1"));
    assert_eq!(
        status.last_logs.as_ref().and_then(|l| l.request.as_deref()),
        Some("1")
    );
    dep.status = status;
    for _ in 0..3 {
        let (fetch, status) = sync(&dep, Some("1"));
        assert_eq!(fetch, None, "the same value is served once");
        dep.status = status;
    }
    let (fetch, status) = sync(&dep, Some(" 2 "));
    assert_eq!(fetch.and_then(|f| f.request), Some("2".to_owned()));
    dep.status = status;
    assert_eq!(sync(&dep, Some("2")).0, None);
    assert_eq!(sync(&dep, Some("")).0, None, "empty asks nothing");
    assert_eq!(sync(&dep, None).0, None);
    // A value too long to record is compared as recorded: still served once.
    let long = "x".repeat(5_000);
    let (fetch, status) = sync(&dep, Some(&long));
    assert!(fetch.is_some());
    dep.status = status;
    assert_eq!(sync(&dep, Some(&long)).0, None);
}

/// A failure and a new annotation value in the same sync make one fetch that serves both; a
/// later failure keeps the served value, so the annotation is not served again.
#[test]
fn failure_and_request_share_one_fetch_and_the_served_value_survives() {
    let mut dep = Dep::new(deployment_spec("blue")).azure(azure_deployment("blue", "Failed", 1));
    dep.status.operation = Some(operation("Update"));
    dep.status.provisioning_state = Some("Succeeded".into());
    dep.operation = OperationOutcome::Failed(failure(
        "UserError",
        "the storage initializer could not download the model",
    ));
    let (fetch, status) = sync(&dep, Some("a"));
    let fetch = fetch.expect("one fetch");
    assert_eq!(fetch.trigger, LogsTrigger::OperationFailed);
    assert_eq!(fetch.containers, [LogsContainer::StorageInitializer]);
    assert_eq!(fetch.request.as_deref(), Some("a"));
    dep.status = status;
    dep.operation = OperationOutcome::None;
    assert_eq!(sync(&dep, Some("a")).0, None);

    // Later Azure recovers, then fails again out of band: the served value is kept.
    dep.observed = Observation::Found(azure_deployment("blue", "Succeeded", 1));
    let (_, status) = sync(&dep, Some("a"));
    dep.status = status;
    dep.observed = Observation::Found(azure_deployment("blue", "Failed", 1));
    let (fetch, status) = sync(&dep, Some("a"));
    assert_eq!(
        fetch.map(|f| f.trigger),
        Some(LogsTrigger::ProvisioningFailed)
    );
    assert_eq!(
        status.last_logs.as_ref().and_then(|l| l.request.as_deref()),
        Some("a")
    );
    dep.status = status;
    assert_eq!(sync(&dep, Some("a")).0, None);
}

/// Which container a failure points at, from Azure's error.
#[test]
fn containers_follow_the_error() {
    let table = [
        (
            "ResourceNotReady",
            "liveness probe failed",
            vec![LogsContainer::InferenceServer],
        ),
        (
            "BadArgument",
            "Failed to download the model from blob storage",
            vec![LogsContainer::StorageInitializer],
        ),
        (
            "OutOfQuota",
            "not enough quota",
            vec![
                LogsContainer::InferenceServer,
                LogsContainer::StorageInitializer,
            ],
        ),
    ];
    for (code, message, want) in table {
        assert_eq!(containers_for(&failure(code, message)), want, "{code}");
    }
}

/// What status and the Event keep: at most 40 lines and 4 KiB over all containers, the newest
/// kept, cut on a UTF-8 boundary and at a line start; control characters dropped; an Event
/// under Kubernetes' 1 KiB note; a getLogs error recorded and bounded, never failing the sync.
#[test]
fn logs_are_bounded_in_status_and_event() {
    // 200 lines of 100 bytes with multi-byte characters (é is 2 bytes).
    let long: String = (0..200)
        .map(|i| format!("{i:04} {}\u{1b}[0m", "é".repeat(47)))
        .collect::<Vec<_>>()
        .join("\n");
    let fetch = LogsFetch {
        trigger: LogsTrigger::OperationFailed,
        containers: vec![
            LogsContainer::InferenceServer,
            LogsContainer::StorageInitializer,
        ],
        tail: 20,
        request: None,
    };
    let mut status = ready_deployment_status(1);
    let note = record(
        &mut status,
        &fetch,
        vec![
            (LogsContainer::InferenceServer, Ok(long.clone())),
            (
                LogsContainer::StorageInitializer,
                Err(format!(
                    "HTTP 403 AuthorizationFailed: {}",
                    "no ".repeat(1000)
                )),
            ),
        ],
        Some(1),
        "blue",
        now(),
    );
    let logs = status.last_logs.expect("recorded");
    let server = &logs.containers[0];
    assert!(server.text.len() <= MAX_BYTES / 2, "{}", server.text.len());
    assert!(server.lines as usize <= MAX_LINES / 2);
    assert_eq!(server.lines as usize, server.text.split('\n').count());
    assert!(
        server.text.ends_with(&"é".repeat(47)),
        "newest kept, escapes dropped"
    );
    assert!(!server.text.contains('\u{1b}'));
    assert!(
        server.text.starts_with(char::is_numeric),
        "starts at a line"
    );
    assert!(server.text.contains("0199 "));
    assert!(!server.text.contains("0150 "));
    let storage = &logs.containers[1];
    assert!(storage.text.is_empty());
    let error = storage.error.as_deref().expect("the 403 is recorded");
    assert!(error.starts_with("HTTP 403 AuthorizationFailed"));
    assert!(error.len() <= 1024);
    assert_eq!(note.type_, EventType::Warning);
    assert_eq!(note.reason, "ContainerLogs");
    assert!(note.note.len() <= 1000, "{}", note.note.len());
    assert!(
        note.note.contains("0199 "),
        "the Event shows the newest lines"
    );
    assert!(
        note.note
            .contains("StorageInitializer: logs could not be read")
    );

    // A request is a Normal Event.
    let mut status = ready_deployment_status(1);
    let note = record(
        &mut status,
        &LogsFetch {
            trigger: LogsTrigger::Requested,
            containers: vec![LogsContainer::InferenceServer],
            tail: 40,
            request: Some("r".into()),
        },
        vec![(LogsContainer::InferenceServer, Ok(String::new()))],
        Some(1),
        "blue",
        now(),
    );
    assert_eq!(note.type_, EventType::Normal);
    assert!(note.note.contains("no log lines"));
}

/// `tail` keeps the last lines within the byte bound, on character and line boundaries.
#[test]
fn tail_cuts_on_utf8_and_line_boundaries() {
    assert_eq!(tail("a\nb\nc\n", 2, 100), "b\nc");
    assert_eq!(tail("a\nb\nc", 10, 3), "b\nc");
    assert_eq!(
        tail("abcdef", 10, 3),
        "def",
        "one long line is cut, not dropped"
    );
    let s = "ééé";
    assert_eq!(tail(s, 10, 3), "é", "never half a character");
    assert_eq!(tail("", 10, 10), "");
    for max in 0..12 {
        let t = tail("xé\nyé\nzé", 40, max);
        assert!(t.len() <= max, "{max}: {t:?}");
    }
}

/// The endpoint's status copies Azure's `identity.principalId`, bounded like other copied fields.
#[test]
fn endpoint_status_shows_the_identity_principal_id() {
    let mut azure = azure_endpoint("california-housing-service", "Succeeded", "Disabled", &[]);
    let plan = Ep::new(endpoint_spec()).azure(azure.clone()).plan();
    assert_eq!(plan.status.identity_principal_id.as_deref(), Some("p"));
    azure["identity"]["principalId"] = "0".repeat(500).into();
    let plan = Ep::new(endpoint_spec()).azure(azure.clone()).plan();
    assert_eq!(plan.status.identity_principal_id.map(|p| p.len()), Some(64));
    azure["identity"] = serde_json::json!({"type": "None"});
    let plan = Ep::new(endpoint_spec()).azure(azure).plan();
    assert_eq!(plan.status.identity_principal_id, None);
}
