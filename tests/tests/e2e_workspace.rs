//! End-to-end: a Workspace's network isolation, the real `aml-operator` binary against both
//! emulators (and, where the drift metric is read, the same controller run in-process by the
//! sandbox). The ARM emulator's seed starts the workspace public; most tests add the platform
//! team's private endpoint (`arm_config`), `legacy_egress_lock_needs_a_workspace_private_endpoint`
//! starts without any.
//!
//! Every test ends with the never-public checks: `Env::finish` (no controller body sets public
//! access Enabled, no endpoint became public), and here also the workspace: once private, it
//! never becomes public again except by "a person" at the portal.

use anyhow::Context as _;
use std::time::{Duration, Instant};

use aml_operator_tests::e2e::{
    CONTROLLER_CLIENT, Env, EnvOptions, WORKSPACE_ID, arm_config, never_public_violations,
    repo_root,
};
use api::Workspace;
use api::conditions::{ConditionType, find_condition};
use arm_emulator::{JournalEntry, Seed};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const MINUTE: Duration = Duration::from_secs(60);
const SUB: &str = "/subscriptions/11111111-2222-3333-4444-555555555555";

fn pe_id() -> String {
    format!("{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/privateEndpoints/mlw-prod-pe")
}
fn group_id() -> String {
    format!("{}/privateDnsZoneGroups/default", pe_id())
}
fn zone_id(zone: &str) -> String {
    format!("{SUB}/resourceGroups/rg-dns/providers/Microsoft.Network/privateDnsZones/{zone}")
}
fn link_id(zone: &str) -> String {
    format!("{}/virtualNetworkLinks/vnet-hub-link", zone_id(zone))
}
const API_ZONE: &str = "privatelink.api.azureml.ms";
const NB_ZONE: &str = "privatelink.notebooks.azure.net";

/// The seed example's Workspace (`examples/seed/workspace.yaml`): `approve: true`, the
/// sandbox's controller identity holds
/// `Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action`, so
/// its private endpoint asks for automatic approval.
///
/// Without its `associatedResources`: these tests are about the workspace's own legs (their
/// write sequences and timings); the shipped example's associated resources are
/// `e2e_associated.rs`'s (`seed_example_makes_the_whole_workspace_private_and_deletes_only_what_it_made`).
fn seed_workspace() -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(repo_root().join("examples/seed/workspace.yaml"))?;
    let mut doc: Value = serde_saphyr::from_str(&text)?;
    if let Some(network) = doc
        .pointer_mut("/spec/network")
        .and_then(Value::as_object_mut)
    {
        network.remove("associatedResources");
    }
    anyhow::ensure!(
        doc.pointer("/spec/network/privateEndpoints/0/approve") == Some(&json!(true)),
        "the seed example's private endpoint declares approve: true"
    );
    Ok(doc)
}

/// The seed example's Workspace without `approve`: a manual request, Pending until a person
/// approves it (see `manual_approval_path`).
fn manual_workspace() -> anyhow::Result<Value> {
    let mut doc = seed_workspace()?;
    if let Some(pe) = doc
        .pointer_mut("/spec/network/privateEndpoints/0")
        .and_then(Value::as_object_mut)
    {
        pe.remove("approve");
    }
    Ok(doc)
}

/// The approval action automatic approval needs on the workspace.
const APPROVAL_ACTION: &str =
    "Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action";

/// The sandbox seed.
fn options(sync: Duration) -> anyhow::Result<EnvOptions> {
    Ok(EnvOptions {
        arm: arm_config(Duration::from_millis(200))?,
        sync_interval: sync,
        leader_election: false,
        operator_args: Vec::new(),
    })
}

/// The sandbox seed with a controller identity whose role excludes the approval action (an
/// Azure role's `notActions`): it may create private endpoints but not auto-approve them.
fn options_without_approval(sync: Duration) -> anyhow::Result<EnvOptions> {
    let mut seed = Seed::sandbox()?;
    for p in seed
        .principals
        .iter_mut()
        .filter(|p| p.client_id == CONTROLLER_CLIENT)
    {
        p.not_actions.push(APPROVAL_ACTION.to_owned());
    }
    let mut opts = options(sync)?;
    opts.arm = opts.arm.seed(seed);
    Ok(opts)
}

/// The workspace became public again after it was private, by anyone but a person.
fn workspace_public_violations(journal: &[JournalEntry]) -> Vec<String> {
    let mut private_seen = false;
    let mut out = Vec::new();
    for entry in journal {
        let JournalEntry::StateChange(c) = entry else {
            continue;
        };
        if !c.resource_id.eq_ignore_ascii_case(WORKSPACE_ID) {
            continue;
        }
        match c.public_network_access.as_deref() {
            Some(p) if p.eq_ignore_ascii_case("Disabled") => private_seen = true,
            Some(p) if p.eq_ignore_ascii_case("Enabled") && private_seen && c.actor != "portal" => {
                out.push(format!(
                    "the workspace became public ({}) by {}",
                    c.change, c.actor
                ));
            }
            _ => {}
        }
    }
    out
}

/// Make before break, from the ARM journal: the change that turned the workspace's public
/// access off comes after Azure reported its private endpoint connection Approved and after the
/// private endpoint's DNS zone group finished with A records.
fn assert_public_access_closed_after_private_path(journal: &[JournalEntry]) {
    let changes: Vec<&arm_emulator::StateChange> = journal
        .iter()
        .filter_map(|e| match e {
            JournalEntry::StateChange(c) => Some(c),
            JournalEntry::Request(_) => None,
        })
        .collect();
    let closed = changes
        .iter()
        .position(|c| {
            c.resource_id.eq_ignore_ascii_case(WORKSPACE_ID)
                && c.public_network_access.as_deref() == Some("Disabled")
        })
        .expect("the workspace's public access was turned off");
    let approved = changes.iter().position(|c| {
        c.resource_id.eq_ignore_ascii_case(WORKSPACE_ID)
            && c.isolation
                .get("privateEndpointConnections")
                .and_then(Value::as_array)
                .is_some_and(|cs| cs.iter().any(|x| x["status"] == "Approved"))
    });
    let dns = changes.iter().position(|c| {
        c.resource_id.eq_ignore_ascii_case(&group_id())
            && c.isolation
                .get("recordCount")
                .and_then(Value::as_u64)
                .is_some_and(|n| n > 0)
    });
    assert!(
        approved.is_some_and(|a| a < closed),
        "connection Approved ({approved:?}) before public access off ({closed})"
    );
    assert!(
        dns.is_some_and(|d| d < closed),
        "zone group with records ({dns:?}) before public access off ({closed})"
    );
}

/// Checks the workspace invariant, then `Env::finish`.
async fn finish(env: Env) -> anyhow::Result<()> {
    let violations = workspace_public_violations(&env.arm.journal());
    anyhow::ensure!(
        violations.is_empty(),
        "never-public (workspace) violated: {violations:#?}"
    );
    env.finish().await
}

fn str_at<'a>(v: &'a Option<Value>, pointer: &str) -> Option<&'a str> {
    v.as_ref()?.pointer(pointer)?.as_str()
}

/// Every leg holds in the emulator.
fn assert_isolated_in_azure(env: &Env) {
    let ws = env.azure(WORKSPACE_ID);
    assert_eq!(
        str_at(&ws, "/properties/publicNetworkAccess"),
        Some("Disabled")
    );
    let conn = ws
        .as_ref()
        .and_then(|w| w.pointer("/properties/privateEndpointConnections/0"))
        .cloned();
    assert_eq!(
        str_at(
            &conn,
            "/properties/privateLinkServiceConnectionState/status"
        ),
        Some("Approved"),
        "{conn:?}"
    );
    let pe = env.azure(&pe_id());
    assert_eq!(
        str_at(&pe, "/properties/provisioningState"),
        Some("Succeeded")
    );
    assert_eq!(
        str_at(&pe, "/properties/subnet/id"),
        Some(format!("{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe").as_str())
    );
    let group = env.azure(&group_id()).expect("the DNS zone group");
    let configs = group
        .pointer("/properties/privateDnsZoneConfigs")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    assert_eq!(configs.len(), 2);
    for c in &configs {
        assert!(
            c.pointer("/properties/recordSets")
                .and_then(Value::as_array)
                .is_some_and(|r| !r.is_empty()),
            "A records in {c}"
        );
    }
    for zone in [API_ZONE, NB_ZONE] {
        let link = env.azure(&link_id(zone));
        assert_eq!(
            str_at(&link, "/properties/virtualNetworkLinkState"),
            Some("Completed"),
            "{zone}"
        );
        assert_eq!(
            link.as_ref()
                .and_then(|l| l.pointer("/properties/registrationEnabled")),
            Some(&json!(false))
        );
    }
}

/// The controller's ARM calls by leg: (reads, writes).
fn calls_per_leg(env: &Env) -> std::collections::BTreeMap<&'static str, (usize, usize)> {
    let mut out = std::collections::BTreeMap::new();
    for r in env.requests() {
        if r.principal.as_deref() != Some(CONTROLLER_CLIENT) || r.path.contains("/oauth2/") {
            continue;
        }
        let p = r.path.to_ascii_lowercase();
        let leg = if p.contains("operation") {
            "operation polls"
        } else if p.contains("/virtualnetworklinks") {
            "VNet links"
        } else if p.contains("/privatednszonegroups") {
            "DNS zone group"
        } else if p.contains("/privatednszones/") {
            "DNS zones"
        } else if p.contains("/privateendpoints/") {
            "private endpoint"
        } else if p.contains("/virtualnetworks/") {
            "VNet (region)"
        } else if p.contains("/workspaces/") {
            "workspace (+connections)"
        } else {
            "other"
        };
        let entry = out.entry(leg).or_insert((0, 0));
        if r.method == "GET" {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    out
}

/// (status, reason, message) of a Workspace condition.
async fn ws_condition(env: &Env, type_: &str) -> anyhow::Result<(String, String, String)> {
    Ok(env
        .condition("Workspace", "housing", type_)
        .await?
        .map(|(s, r, m, _)| (s, r, m))
        .unwrap_or_default())
}

/// From the seed's public workspace with no private endpoint to every leg true, in the order
/// the planner fixes them, with one write per leg; a resync then writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_nothing_to_every_leg() -> anyhow::Result<()> {
    let env = Env::start("wsiso", options(Duration::from_secs(2))?).await?;
    let started = Instant::now();
    env.apply(seed_workspace()?).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    let took = started.elapsed();
    let (status, reason, message) = ws_condition(&env, "NetworkIsolated").await?;
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "Isolated"),
        "{message}"
    );
    assert_isolated_in_azure(&env);

    let writes: Vec<(String, String)> = env
        .requests()
        .into_iter()
        .filter(|r| r.principal.as_deref() == Some(CONTROLLER_CLIENT))
        .filter(|r| r.method != "GET" && !r.path.contains("/oauth2/"))
        .map(|r| {
            (
                r.method,
                r.path.rsplit('/').next().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("PUT", "mlw-prod-pe"),
        ("PUT", API_ZONE),
        ("PUT", "vnet-hub-link"),
        ("PUT", NB_ZONE),
        ("PUT", "vnet-hub-link"),
        ("PUT", "default"),
        ("PATCH", "mlw-prod"),
    ]
    .iter()
    .map(|(m, n)| ((*m).to_owned(), (*n).to_owned()))
    .collect();
    assert_eq!(
        writes, expected,
        "one write per leg, public access last (make before break)"
    );
    assert_public_access_closed_after_private_path(&env.arm.journal());
    let gets = env
        .requests()
        .iter()
        .filter(|r| r.principal.as_deref() == Some(CONTROLLER_CLIENT) && r.method == "GET")
        .count();
    println!(
        "figures: isolated in {:.1}s with {} writes and {gets} GETs (incl. operation polls)",
        took.as_secs_f64(),
        writes.len()
    );
    println!(
        "figures: ARM calls per leg (GET/write): {:?}",
        calls_per_leg(&env)
    );

    // Several resyncs (every 2s) find nothing to change.
    let before = env.requests().len();
    let writes_before = env.requests().iter().filter(|r| r.method != "GET").count();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = env.requests();
    assert!(after.len() > before, "the resyncs read Azure");
    assert_eq!(
        after.iter().filter(|r| r.method != "GET").count(),
        writes_before,
        "no writes while nothing changes"
    );
    finish(env).await
}

/// A person breaks each leg in turn: the condition names the leg, the controller repairs it
/// with a DriftCorrected Event and the drift metric (the controller runs in-process here, as
/// the sandbox runs it, so its metrics can be read).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_leg_broken_by_a_person_is_repaired() -> anyhow::Result<()> {
    use controller::sandbox::{Sandbox, SandboxOptions};
    let sandbox = Sandbox::start(SandboxOptions {
        arm: arm_config(Duration::from_millis(200))?,
        concurrency: 2,
        sync_interval: Duration::from_secs(2),
        start_controller: true,
    })
    .await?;
    let ns = "drift";
    // The namespace may use the controller's own identity, as Env's namespaces may.
    let ns_obj: Namespace = serde_json::from_value(json!({"metadata": {"name": ns,
        "annotations": {"aml-operator.io/default-credential": "allowed"}}}))?;
    Api::<Namespace>::all(sandbox.client.clone())
        .create(&PostParams::default(), &ns_obj)
        .await?;
    let api: Api<Workspace> = Api::namespaced(sandbox.client.clone(), ns);
    let mut doc = seed_workspace()?;
    doc["metadata"]["namespace"] = json!(ns);
    let ws: Workspace = serde_json::from_value(doc)?;
    api.create(&PostParams::default(), &ws).await?;

    let condition = |type_: ConditionType| {
        let api = api.clone();
        async move {
            let ws = api.get("housing").await?;
            let status = ws.status.unwrap_or_default();
            let generation = ws.metadata.generation;
            Ok::<_, anyhow::Error>(find_condition(&status.conditions, type_).map(|c| {
                (
                    c.status.clone(),
                    c.message.clone(),
                    c.observed_generation == generation,
                )
            }))
        }
    };
    let wait = |what: String, check: Box<dyn Fn() -> bool + Send + Sync>| async move {
        let deadline = Instant::now() + MINUTE;
        while !check() {
            anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<(), anyhow::Error>(())
    };
    let wait_isolated = || async {
        let deadline = Instant::now() + MINUTE;
        loop {
            let ready = condition(ConditionType::Ready).await?;
            let iso = condition(ConditionType::NetworkIsolated).await?;
            if ready.as_ref().is_some_and(|r| r.0 == "True" && r.2)
                && iso.as_ref().is_some_and(|i| i.0 == "True")
            {
                return Ok::<(), anyhow::Error>(());
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "timed out waiting for isolation: Ready {ready:?}, NetworkIsolated {iso:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    wait_isolated().await?;
    // A reconcile judges drift against the status in the controller's cache. Before a person
    // breaks the next leg, let the controller reconcile twice more after the Ready it wrote, so
    // its cache holds that Ready (under load a watch event can lag behind a resync).
    let caught_up = || {
        let metrics = sandbox.metrics.clone();
        let from = metrics.reconcile_count("Workspace", "ok");
        wait(
            "the controller to reconcile after Ready".to_owned(),
            Box::new(move || metrics.reconcile_count("Workspace", "ok") >= from + 2),
        )
    };
    caught_up().await?;

    let admin = sandbox.arm.admin();
    let cases: [(&str, &str); 4] = [
        ("publicNetworkAccess", "publicNetworkAccess is Enabled"),
        ("privateEndpoint", "private endpoint mlw-prod-pe is missing"),
        ("dnsZoneGroup", "DNS zone group of mlw-prod-pe is missing"),
        (
            "virtualNetworkLink",
            "VNet link of privatelink.api.azureml.ms to vnet-hub is missing",
        ),
    ];
    let events = Api::<k8s_openapi::api::events::v1::Event>::namespaced(sandbox.client.clone(), ns);
    for (field, named) in cases {
        match field {
            "publicNetworkAccess" => admin.set_public_network_access(WORKSPACE_ID, true)?,
            "privateEndpoint" => admin.delete_private_endpoint(&pe_id())?,
            "dnsZoneGroup" => admin.remove_dns_zone_group(&group_id())?,
            _ => admin.remove_virtual_network_link(&link_id(API_ZONE))?,
        }
        // The condition names the broken leg (seen before or while it is repaired).
        let deadline = Instant::now() + MINUTE;
        let mut named_seen = false;
        while Instant::now() < deadline {
            if let Some((status, message, _)) = condition(ConditionType::NetworkIsolated).await?
                && status == "False"
                && message.contains(named)
            {
                named_seen = true;
                break;
            }
            let evs = events.list(&Default::default()).await?;
            if evs.items.iter().any(|e| {
                e.reason.as_deref() == Some("DriftCorrected")
                    && e.note.as_deref().is_some_and(|n| n.contains(named))
            }) {
                // Repaired before a status was seen: the Event names it.
                named_seen = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(named_seen, "{field}: the leg was not named");
        // Azure is repaired first (the status says Reconciling from the moment the repair
        // starts), then the status comes back to Ready and isolated.
        let arm = sandbox.arm.admin();
        let repaired = move || {
            let has = |id: &str, pointer: &str, value: &str| {
                arm.resource(id)
                    .and_then(|r| {
                        r.pointer(pointer)
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .as_deref()
                    == Some(value)
            };
            match field {
                "publicNetworkAccess" => {
                    has(WORKSPACE_ID, "/properties/publicNetworkAccess", "Disabled")
                }
                "privateEndpoint" => has(&pe_id(), "/properties/provisioningState", "Succeeded"),
                "dnsZoneGroup" => has(&group_id(), "/properties/provisioningState", "Succeeded"),
                _ => has(
                    &link_id(API_ZONE),
                    "/properties/virtualNetworkLinkState",
                    "Completed",
                ),
            }
        };
        wait(format!("{field} repaired in Azure"), Box::new(repaired)).await?;
        wait_isolated().await?;
        caught_up().await?;
        let evs = events.list(&Default::default()).await?;
        assert!(
            evs.items
                .iter()
                .any(|e| e.reason.as_deref() == Some("DriftCorrected")
                    && e.note.as_deref().is_some_and(|n| n.contains(named))),
            "{field}: a DriftCorrected Event: {:?}",
            evs.items
                .iter()
                .map(|e| (e.reason.clone(), e.note.clone()))
                .collect::<Vec<_>>()
        );
        let metrics = sandbox.metrics.clone();
        let series = format!("kind=\"Workspace\",field=\"{field}\"");
        wait(
            format!("the drift metric of {field}"),
            Box::new(move || {
                metrics.encode().lines().any(|l| {
                    l.contains("drift_corrections") && l.contains(&series) && !l.ends_with(" 0")
                })
            }),
        )
        .await?;
    }
    let ws = sandbox.arm.admin().resource(WORKSPACE_ID);
    assert_eq!(
        str_at(&ws, "/properties/publicNetworkAccess"),
        Some("Disabled")
    );
    let journal = sandbox.arm.journal();
    let mut violations = never_public_violations(&journal);
    violations.extend(workspace_public_violations(&journal));
    sandbox.stop().await;
    anyhow::ensure!(violations.is_empty(), "{violations:#?}");
    Ok(())
}

/// Manual approval: without `approve` the controller sends a manual request
/// (`manualPrivateLinkServiceConnections`) and the Workspace waits (ApprovalPending, naming the
/// connection and who may approve it) until a person approves; a request still Pending when the
/// spec turns `approve: true` is approved by the controller itself (a PUT on the workspace's
/// connection); with `approve: true` from the start the private endpoint asks for automatic
/// approval and no approval PUT is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_approval_path() -> anyhow::Result<()> {
    let env = Env::start("wsapprove", options(Duration::from_secs(2))?).await?;
    env.apply(manual_workspace()?).await?;
    let (status, message) = env
        .wait_reason("Workspace", "housing", "ApprovalPending", MINUTE)
        .await?;
    assert_eq!(status, "False");
    assert!(message.contains("mlw-prod-pe"), "{message}");
    assert!(
        message.contains("privateEndpointConnections/write") && message.contains("approve: true"),
        "{message}"
    );
    let (iso, reason, _) = ws_condition(&env, "NetworkIsolated").await?;
    assert_eq!(
        (iso.as_str(), reason.as_str()),
        ("False", "ApprovalPending")
    );
    let pe_put = env.controller_requests("PUT", "/privateEndpoints/mlw-prod-pe");
    let body = pe_put
        .first()
        .and_then(|r| r.body.clone())
        .unwrap_or_default();
    assert!(
        body.pointer("/properties/manualPrivateLinkServiceConnections/0/properties/requestMessage")
            .is_some()
            && body
                .pointer("/properties/privateLinkServiceConnections")
                .is_none(),
        "a manual request: {body}"
    );
    assert!(
        env.controller_requests("PUT", "")
            .iter()
            .all(|r| !r.path.contains("privateEndpointConnections")),
        "not approved by the controller without approve: true"
    );
    env.arm
        .admin()
        .approve_private_endpoint_connection(&pe_id())?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    assert_isolated_in_azure(&env);
    finish(env).await?;

    // Pending, then approve: true: the controller approves the connection once.
    let env = Env::start("wsapprovelater", options(Duration::from_secs(2))?).await?;
    env.apply(manual_workspace()?).await?;
    env.wait_reason("Workspace", "housing", "ApprovalPending", MINUTE)
        .await?;
    env.apply(seed_workspace()?).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    let approvals: Vec<_> = env
        .controller_requests("PUT", "")
        .into_iter()
        .filter(|r| r.path.contains("/privateEndpointConnections/"))
        .collect();
    assert_eq!(approvals.len(), 1, "the controller approved once");
    assert_eq!(
        approvals[0]
            .body
            .as_ref()
            .and_then(|b| b.pointer("/properties/privateLinkServiceConnectionState/status")),
        Some(&json!("Approved"))
    );
    assert!(
        env.events("housing")
            .await?
            .iter()
            .any(|(r, n)| r == "Approving" && n.contains("mlw-prod-pe"))
    );
    assert_isolated_in_azure(&env);
    finish(env).await?;

    // approve: true from the start: automatic approval, no connection PUT.
    let env = Env::start("wsautoapprove", options(Duration::from_secs(2))?).await?;
    env.apply(seed_workspace()?).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    assert!(
        env.controller_requests("PUT", "")
            .iter()
            .all(|r| !r.path.contains("/privateEndpointConnections/")),
        "approved by Azure at creation"
    );
    let pe_put = env.controller_requests("PUT", "/privateEndpoints/mlw-prod-pe");
    assert!(
        pe_put
            .first()
            .and_then(|r| r.body.as_ref())
            .and_then(|b| b.pointer("/properties/privateLinkServiceConnections/0"))
            .is_some()
    );
    assert_isolated_in_azure(&env);
    finish(env).await
}

/// `approve: true` while the controller's identity lacks the approval action: Azure refuses the
/// private endpoint with 403 LinkedAuthorizationFailed (no Pending connection appears); the
/// Workspace is Stalled naming the action; the workspace's public access is left Enabled (make
/// before break: there is no private path to it) and no PATCH is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_approval_without_the_permission_stalls() -> anyhow::Result<()> {
    let env = Env::start(
        "wsnoapprove",
        options_without_approval(Duration::from_secs(2))?,
    )
    .await?;
    env.apply(seed_workspace()?).await?;
    let stalled = env
        .wait("Stalled", MINUTE, || async {
            Ok(env
                .condition("Workspace", "housing", "Stalled")
                .await?
                .filter(|s| s.0 == "True"))
        })
        .await?;
    assert!(
        stalled
            .2
            .to_ascii_lowercase()
            .contains("privateendpointconnectionsapproval/action")
            && stalled.2.contains("LinkedAuthorizationFailed"),
        "{}",
        stalled.2
    );
    assert!(env.azure(&pe_id()).is_none(), "no private endpoint");
    let ws = env.azure(WORKSPACE_ID);
    assert_eq!(
        ws.as_ref()
            .and_then(|w| w.pointer("/properties/privateEndpointConnections"))
            .and_then(Value::as_array)
            .map(Vec::len),
        Some(0),
        "no Pending connection"
    );
    assert_eq!(
        str_at(&ws, "/properties/publicNetworkAccess"),
        Some("Enabled")
    );
    assert!(
        env.controller_requests("PATCH", "/workspaces/mlw-prod")
            .is_empty(),
        "no public access change without a private path"
    );
    finish(env).await
}

/// A connection the workspace owner rejects stalls the Workspace with ConnectionRejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_connection_stalls() -> anyhow::Result<()> {
    let env = Env::start("wsreject", options(Duration::from_secs(2))?).await?;
    env.apply(manual_workspace()?).await?;
    env.wait_reason("Workspace", "housing", "ApprovalPending", MINUTE)
        .await?;
    env.arm
        .admin()
        .reject_private_endpoint_connection(&pe_id())?;
    let stalled = env
        .wait("Stalled", MINUTE, || async {
            Ok(env
                .condition("Workspace", "housing", "Stalled")
                .await?
                .filter(|s| s.0 == "True"))
        })
        .await?;
    assert_eq!(stalled.1, "ConnectionRejected");
    assert!(stalled.2.contains("Rejected"), "{}", stalled.2);
    let obj = env
        .get_json("Workspace", "housing")
        .await?
        .expect("workspace");
    aml_operator_tests::gitops::check(&obj).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (iso, reason, _) = ws_condition(&env, "NetworkIsolated").await?;
    assert_eq!(
        (iso.as_str(), reason.as_str()),
        ("False", "ConnectionRejected")
    );
    finish(env).await
}

/// A Workspace reads its Secret only from its own namespace: a Secret of the same name in
/// another namespace is never used, the Workspace is Stalled saying which Secret it looked for
/// and where, and the API has no way to name another namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_ref_is_confined_to_the_namespace() -> anyhow::Result<()> {
    let env = Env::start("wssecret", options(Duration::from_secs(2))?).await?;
    let other = format!("{}-other", env.namespace);
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": other}}))?;
    Api::<Namespace>::all(env.client.clone())
        .create(&PostParams::default(), &ns)
        .await?;
    // Valid credentials of the team principal, in the other namespace.
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "azure-sp"},
        "stringData": {
            "AZURE_TENANT_ID": controller::sandbox::SANDBOX_TENANT,
            "AZURE_CLIENT_ID": aml_operator_tests::e2e::PERSON_CLIENT,
            "AZURE_CLIENT_SECRET": "sandbox-team-secret"
        }
    }))?;
    Api::<Secret>::namespaced(env.client.clone(), &other)
        .create(&PostParams::default(), &secret)
        .await?;

    // The schema has no namespace field: naming one is refused at apply.
    let mut doc = seed_workspace()?;
    doc["spec"]["credential"] = json!({"secretRef": {"name": "azure-sp", "namespace": other}});
    doc["metadata"]["namespace"] = json!(env.namespace);
    // Strict field validation, as kubectl applies by default.
    let refused = env
        .api::<Workspace>()
        .patch(
            "housing",
            &PatchParams::apply("e2e-test").force().validation_strict(),
            &Patch::Apply(&doc),
        )
        .await;
    let err = format!(
        "{:#}",
        refused.expect_err("a secretRef with a namespace is refused")
    );
    assert!(err.contains("namespace"), "{err}");

    let mut doc = seed_workspace()?;
    doc["spec"]["credential"] = json!({"secretRef": {"name": "azure-sp"}});
    env.apply(doc).await?;
    let stalled = env
        .wait("Stalled", MINUTE, || async {
            Ok(env
                .condition("Workspace", "housing", "Stalled")
                .await?
                .filter(|s| s.0 == "True"))
        })
        .await?;
    assert_eq!(stalled.1, "CredentialError");
    assert!(
        stalled.2.contains("azure-sp")
            && stalled.2.contains(&env.namespace)
            && stalled.2.contains("own namespace"),
        "{}",
        stalled.2
    );
    assert!(
        env.requests()
            .iter()
            .all(|r| r.principal.as_deref() != Some(aml_operator_tests::e2e::PERSON_CLIENT)),
        "the other namespace's credentials were never used"
    );
    assert_eq!(
        str_at(&env.azure(WORKSPACE_ID), "/properties/publicNetworkAccess"),
        Some("Enabled"),
        "nothing was done without a credential"
    );
    finish(env).await
}

/// Deletion removes what the Workspace created, in reverse order, and nothing else: a zone
/// that existed before stays (its link, which the controller created, goes), the workspace
/// stays with its flags, the VNet is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_removes_only_what_it_created() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_secs(2))?;
    let mut seed = Seed::sandbox()?;
    for rg in seed
        .subscriptions
        .iter_mut()
        .flat_map(|s| s.resource_groups.iter_mut())
        .filter(|rg| rg.name == "rg-dns")
    {
        rg.private_dns_zones.push(NB_ZONE.to_owned());
    }
    opts.arm = opts.arm.seed(seed);
    let env = Env::start("wsdelete", opts).await?;
    env.apply(seed_workspace()?).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    assert!(
        env.controller_requests("PUT", NB_ZONE).is_empty(),
        "the existing zone is used, not written"
    );
    env.delete::<Workspace>("housing").await?;
    env.wait_gone("Workspace", "housing", MINUTE).await?;

    for gone in [
        pe_id(),
        group_id(),
        zone_id(API_ZONE),
        link_id(API_ZONE),
        link_id(NB_ZONE),
    ] {
        assert!(env.azure(&gone).is_none(), "{gone} is deleted");
    }
    assert!(
        env.azure(&zone_id(NB_ZONE)).is_some(),
        "the pre-existing zone stays"
    );
    let ws = env.azure(WORKSPACE_ID);
    assert_eq!(
        str_at(&ws, "/properties/publicNetworkAccess"),
        Some("Disabled")
    );
    let deletes: Vec<String> = env
        .controller_requests("DELETE", "")
        .into_iter()
        .map(|r| r.path)
        .collect();
    let created: Vec<String> = env
        .controller_requests("PUT", "")
        .into_iter()
        .map(|r| r.path.to_ascii_lowercase())
        .collect();
    assert!(
        deletes
            .iter()
            .all(|d| created.contains(&d.to_ascii_lowercase())),
        "only what the controller created is deleted: {deletes:?}"
    );
    let order: Vec<&str> = deletes
        .iter()
        .map(|d| d.rsplit('/').next().unwrap_or_default())
        .collect();
    assert_eq!(
        order,
        [
            "default",
            "mlw-prod-pe",
            "vnet-hub-link",
            "vnet-hub-link",
            API_ZONE
        ],
        "reverse order"
    );
    assert!(
        env.events("housing")
            .await?
            .iter()
            .any(|(r, n)| r == "Deleted" && n.contains("left as they are")),
    );
    finish(env).await
}

/// A private endpoint removed from the spec is deleted from Azure (it carries our tag), with an
/// Event; the DNS zones stay; status stops listing it once Azure says it is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_private_endpoint_removed_from_the_spec_is_deleted() -> anyhow::Result<()> {
    let env = Env::start("wspe-removed", options(Duration::from_secs(2))?).await?;
    let mut ws = seed_workspace()?;
    env.apply(ws.clone()).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    assert!(env.azure(&pe_id()).is_some());

    ws["spec"]["network"]
        .as_object_mut()
        .context("spec.network")?
        .remove("privateEndpoints");
    env.apply(ws).await?;
    env.wait(
        "the private endpoint deleted and out of status",
        MINUTE,
        || async {
            let obj = env.get_json("Workspace", "housing").await?;
            let listed = obj
                .as_ref()
                .and_then(|o| o.pointer("/status/privateEndpoints"))
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            Ok((listed == 0 && env.azure(&pe_id()).is_none()).then_some(()))
        },
    )
    .await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;

    let deletes: Vec<String> = env
        .controller_requests("DELETE", "")
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert!(
        deletes[0].ends_with("/privateEndpoints/mlw-prod-pe"),
        "{deletes:?}"
    );
    for zone in [API_ZONE, NB_ZONE] {
        assert!(env.azure(&zone_id(zone)).is_some(), "zone {zone} stays");
    }
    assert!(
        env.events("housing")
            .await?
            .iter()
            .any(|(r, n)| r == "Deleting" && n.contains("removed from spec")),
        "an Event says why the private endpoint is deleted"
    );
    finish(env).await
}

/// An endpoint does not wait for the Workspace's whole network to be created, but its Ready
/// waits for isolation: while the private endpoint's connection waits for approval the endpoint
/// exists in Azure (private) and says it is not isolated, naming the Workspace's missing leg.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_ready_waits_for_workspace_isolation() -> anyhow::Result<()> {
    let env = Env::start("episo", options(Duration::from_secs(2))?).await?;
    // The seed example with a manual request, so the connection waits for a person.
    env.apply(manual_workspace()?).await?;
    for file in ["endpoint.yaml", "deployment.yaml"] {
        let path = repo_root().join("examples/seed").join(file);
        env.apply(serde_saphyr::from_str(&std::fs::read_to_string(path)?)?)
            .await?;
    }
    let endpoint = aml_operator_tests::e2e::endpoint_id("california-housing-service");
    env.wait("the endpoint created in Azure", MINUTE, || async {
        Ok(env
            .azure(&endpoint)
            .filter(|e| e.pointer("/properties/provisioningState") == Some(&json!("Succeeded")))
            .map(|_| ()))
    })
    .await?;
    let (status, message) = env
        .wait_reason(
            "OnlineEndpoint",
            "california-housing-service",
            "NotIsolated",
            MINUTE,
        )
        .await?;
    assert_eq!(status, "False");
    assert!(
        message.contains("Workspace") && message.contains("Pending"),
        "{message}"
    );
    let iso = env
        .condition(
            "OnlineEndpoint",
            "california-housing-service",
            "NetworkIsolated",
        )
        .await?
        .expect("NetworkIsolated");
    assert_eq!(iso.0, "False");
    env.arm
        .admin()
        .approve_private_endpoint_connection(&pe_id())?;
    env.wait_ready("OnlineEndpoint", "california-housing-service", MINUTE)
        .await?;
    let iso = env
        .condition(
            "OnlineEndpoint",
            "california-housing-service",
            "NetworkIsolated",
        )
        .await?
        .expect("NetworkIsolated");
    assert_eq!(
        (iso.0.as_str(), iso.1.as_str()),
        ("True", "Isolated"),
        "{}",
        iso.2
    );
    env.wait_ready("OnlineDeployment", "california-housing-default", MINUTE)
        .await?;
    let dep = env
        .condition(
            "OnlineDeployment",
            "california-housing-default",
            "NetworkIsolated",
        )
        .await?
        .expect("NetworkIsolated");
    assert_eq!(dep.0, "True", "{}", dep.2);
    finish(env).await
}

/// With a managed network the workspace is switched to it and the network provisioned before
/// any deployment is created; deployments then carry no egressPublicNetworkAccess, one whose
/// spec sets it gets a Warning Event, and the endpoint is isolated by the managed network.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_network_replaces_the_egress_flag() -> anyhow::Result<()> {
    let env = Env::start("wsmanaged", options(Duration::from_secs(2))?).await?;
    let example = |file: &str| -> anyhow::Result<Value> {
        let path = repo_root().join("examples/managed-network").join(file);
        Ok(serde_saphyr::from_str(&std::fs::read_to_string(path)?)?)
    };
    // The Workspace first: it sets the mode and provisions the network itself (approve: true:
    // its private endpoint asks for automatic approval).
    env.apply(example("workspace.yaml")?).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    env.apply(example("endpoint.yaml")?).await?;
    env.apply(example("deployment.yaml")?).await?;
    env.wait_ready("OnlineEndpoint", "housing-managed", MINUTE)
        .await?;
    env.wait_ready("OnlineDeployment", "housing-managed-default", MINUTE)
        .await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    let patches = env.controller_requests("PATCH", "/workspaces/mlw-prod");
    let bodies: Vec<&Value> = patches.iter().filter_map(|r| r.body.as_ref()).collect();
    assert_eq!(
        bodies
            .iter()
            .filter_map(|b| b.pointer("/properties/managedNetwork/isolationMode"))
            .collect::<Vec<_>>(),
        [&json!("AllowOnlyApprovedOutbound")]
    );
    assert!(
        bodies
            .iter()
            .all(|b| b.pointer("/properties/publicNetworkAccess").is_none()
                || b.pointer("/properties/managedNetwork").is_none()),
        "public access is PATCHed on its own: {bodies:?}"
    );
    assert_eq!(
        env.controller_requests("POST", "/provisionManagedNetwork")
            .len(),
        1,
        "the managed network is provisioned once"
    );
    let ws = env.azure(WORKSPACE_ID);
    assert_eq!(
        str_at(&ws, "/properties/managedNetwork/status/status"),
        Some("Active")
    );
    let put = env.controller_requests("PUT", "/deployments/default");
    assert_eq!(put.len(), 1);
    assert!(
        put[0]
            .body
            .as_ref()
            .and_then(|b| b.pointer("/properties/egressPublicNetworkAccess"))
            .is_none(),
        "no legacy flag with a managed network: {:?}",
        put[0].body
    );
    for (kind, name) in [
        ("OnlineEndpoint", "housing-managed"),
        ("OnlineDeployment", "housing-managed-default"),
        ("Workspace", "housing"),
    ] {
        let iso = env
            .condition(kind, name, "NetworkIsolated")
            .await?
            .expect("NetworkIsolated");
        assert_eq!(iso.0, "True", "{kind} {name}: {}", iso.2);
    }

    // A deployment whose spec sets the legacy flag: a Warning Event, and the flag is not sent.
    let mut doc = example("deployment.yaml")?;
    doc["metadata"]["name"] = json!("housing-managed-green");
    doc["spec"]["azureName"] = json!("green");
    doc["spec"]["egressPublicNetworkAccess"] = json!("Disabled");
    env.apply(doc).await?;
    env.wait_ready("OnlineDeployment", "housing-managed-green", MINUTE)
        .await?;
    let events = env.events("housing-managed-green").await?;
    assert!(
        events
            .iter()
            .any(|(r, n)| r == "EgressFlagIgnored" && n.contains("managed network")),
        "{events:?}"
    );
    let put = env.controller_requests("PUT", "/deployments/green");
    assert!(
        put[0]
            .body
            .as_ref()
            .and_then(|b| b.pointer("/properties/egressPublicNetworkAccess"))
            .is_none()
    );
    finish(env).await
}

/// Azure cannot relax a managed network from AllowOnlyApprovedOutbound to AllowInternetOutbound:
/// a Workspace asking for it is Stalled naming the field, no PATCH asks for it, and public
/// access is still turned off (in a PATCH of its own, once the private endpoint holds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_network_is_never_relaxed() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_secs(2))?;
    let mut seed = Seed::sandbox()?;
    for ws in seed
        .subscriptions
        .iter_mut()
        .flat_map(|s| s.resource_groups.iter_mut())
        .flat_map(|rg| rg.workspaces.iter_mut())
    {
        ws.managed_network.isolation_mode = "AllowOnlyApprovedOutbound".into();
        ws.managed_network.status = "Active".into();
    }
    opts.arm = opts.arm.seed(seed);
    let env = Env::start("wsrelax", opts).await?;
    let mut doc = seed_workspace()?;
    doc["spec"]["network"]["managedNetwork"] = json!({"isolationMode": "AllowInternetOutbound"});
    env.apply(doc).await?;
    let stalled = env
        .wait("Stalled", MINUTE, || async {
            Ok(env
                .condition("Workspace", "housing", "Stalled")
                .await?
                .filter(|s| s.0 == "True"))
        })
        .await?;
    assert_eq!(stalled.1, "ManagedNetworkCannotBeDisabled");
    assert!(
        stalled
            .2
            .contains("spec.network.managedNetwork.isolationMode")
            && stalled.2.contains("AllowInternetOutbound"),
        "{}",
        stalled.2
    );
    let patches = env.controller_requests("PATCH", "/workspaces/mlw-prod");
    assert!(
        patches.iter().all(|r| r
            .body
            .as_ref()
            .and_then(|b| b.pointer("/properties/managedNetwork"))
            .is_none()),
        "no PATCH asks to relax the managed network"
    );
    env.wait("public access Disabled", MINUTE, || async {
        let ws = env.azure(WORKSPACE_ID);
        Ok((str_at(&ws, "/properties/publicNetworkAccess") == Some("Disabled")).then_some(()))
    })
    .await?;
    let ws = env.azure(WORKSPACE_ID);
    assert_eq!(
        str_at(&ws, "/properties/managedNetwork/isolationMode"),
        Some("AllowOnlyApprovedOutbound")
    );
    finish(env).await
}

/// The controller killed while the private endpoint is being created resumes polling the
/// operation recorded in the Workspace's status: the private endpoint is created once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_resumes_the_network_operation() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_secs(2))?;
    opts.arm = opts.arm.lro_duration(
        aml_operator_tests::e2e::ArmOperation::PrivateEndpointPut,
        Duration::from_secs(4),
    );
    let mut env = Env::start("wsrestart", opts).await?;
    env.apply(seed_workspace()?).await?;
    env.wait(
        "the private endpoint's operation in status",
        MINUTE,
        || async {
            let obj = env.get_json("Workspace", "housing").await?;
            Ok(obj
                .and_then(|o| o.pointer("/status/operation/resourceId").cloned())
                .filter(|id| {
                    id.as_str()
                        .is_some_and(|s| s.to_ascii_lowercase().contains("/privateendpoints/"))
                }))
        },
    )
    .await?;
    env.kill_operator().await?;
    env.start_operator().await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    assert_eq!(
        env.controller_requests("PUT", "/privateEndpoints/mlw-prod-pe")
            .len(),
        1,
        "exactly one create of the private endpoint"
    );
    assert_isolated_in_azure(&env);
    finish(env).await
}

/// Turning the managed network on under an existing endpoint: Azure does not move it (it must be
/// recreated), so the Workspace warns naming it and the endpoint reports NetworkIsolated=False
/// saying why, instead of claiming isolation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_older_than_the_managed_network_says_it_must_be_recreated() -> anyhow::Result<()>
{
    let env = Env::start("wsmigrate", options(Duration::from_secs(2))?).await?;
    env.apply(seed_workspace()?).await?;
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    env.apply(json!({
        "apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint",
        "metadata": {"name": "legacy"},
        "spec": {"workspaceRef": {"name": "housing"}}
    }))
    .await?;
    env.wait_ready("OnlineEndpoint", "legacy", MINUTE).await?;

    let mut ws = seed_workspace()?;
    ws["spec"]["network"]["managedNetwork"] = json!({"isolationMode": "AllowOnlyApprovedOutbound"});
    env.apply(ws).await?;
    let (status, _, message, _) = env
        .wait(
            "the endpoint's NetworkIsolated to say why",
            MINUTE,
            || async {
                Ok(env
                    .condition("OnlineEndpoint", "legacy", "NetworkIsolated")
                    .await?
                    .filter(|c| {
                        c.2.contains("created before the workspace's managed network")
                    }))
            },
        )
        .await?;
    assert_eq!(status, "False", "{message}");
    let events = env.events("housing").await?;
    assert!(
        events
            .iter()
            .any(|(reason, note)| reason == "EndpointsNeedRecreating" && note.contains("legacy")),
        "{events:?}"
    );
    finish(env).await
}

/// Hub-and-spoke DNS: the VNet is already linked (by the central DNS team, in another resource
/// group) to a zone named like one the Workspace needs. Azure refuses a second link of that
/// name, so the Workspace is Stalled with Azure's message naming the zone already linked, and
/// never makes anything public on the way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vnet_already_linked_to_a_zone_of_that_name_stalls_naming_it() -> anyhow::Result<()> {
    let env = Env::start("wsdnsoverlap", options(Duration::from_secs(2))?).await?;
    let person = arm::ArmClient::builder(
        arm::Cloud::custom(env.arm.base_url(), env.arm.authority_host())?,
        arm::Credential::StaticToken(azure_core::credentials::Secret::new(
            env.arm.issue_token(aml_operator_tests::e2e::PERSON_CLIENT),
        )),
    )
    .trust_only_ca_pem(env.arm.ca_pem().unwrap_or_default().as_bytes())?
    .build()?;
    let sub = "/subscriptions/11111111-2222-3333-4444-555555555555";
    let central = format!(
        "{sub}/resourceGroups/rg-ml/providers/Microsoft.Network/privateDnsZones/privatelink.api.azureml.ms"
    );
    let vnet =
        format!("{sub}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub");
    let zone = arm::ResourceId::parse(&central)?;
    let _ = person
        .begin_put::<Value, Value>(&zone, &json!({"location": "global"}))
        .await?;
    env.wait("the central zone", MINUTE, || async {
        Ok(env
            .azure(&central)
            .filter(|z| z.pointer("/properties/provisioningState") == Some(&json!("Succeeded")))
            .map(|_| ()))
    })
    .await?;
    let link = arm::ResourceId::parse(&format!("{central}/virtualNetworkLinks/hub"))?;
    let _ = person
        .begin_put::<Value, Value>(
            &link,
            &json!({"location": "global", "properties": {"virtualNetwork": {"id": vnet}, "registrationEnabled": false}}),
        )
        .await?;

    env.apply(seed_workspace()?).await?;
    let stalled = env
        .wait("Stalled naming the zone already linked", MINUTE, || async {
            Ok(env
                .condition("Workspace", "housing", "Stalled")
                .await?
                .filter(|c| c.0 == "True" && c.2.contains("overlapping namespaces")))
        })
        .await?;
    assert!(
        stalled.2.to_ascii_lowercase().contains("rg-ml"),
        "{}",
        stalled.2
    );
    finish(env).await
}

/// Azure rule: the legacy egress lock (`egressPublicNetworkAccess: Disabled`, no managed network)
/// needs the workspace to have a private endpoint (Learn: "Network isolation with managed online
/// endpoints", legacy). In a workspace with none, the deployment and its endpoint report it in
/// `NetworkIsolated` and the endpoint is not Ready; once the Workspace's private endpoint is
/// Approved both are isolated and the endpoint is Ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_egress_lock_needs_a_workspace_private_endpoint() -> anyhow::Result<()> {
    let mut opts = options(Duration::from_secs(2))?;
    opts.arm = opts.arm.seed(Seed::sandbox()?);
    let env = Env::start("legacy", opts).await?;
    let mut ws = seed_workspace()?;
    if let Some(network) = ws
        .pointer_mut("/spec/network")
        .and_then(Value::as_object_mut)
    {
        network.remove("privateEndpoints");
    }
    env.apply(ws).await?;
    for file in ["endpoint.yaml", "deployment.yaml"] {
        let path = repo_root().join("examples/seed").join(file);
        env.apply(serde_saphyr::from_str(&std::fs::read_to_string(path)?)?)
            .await?;
    }
    env.wait_ready("Workspace", "housing", MINUTE).await?;
    let deployment =
        aml_operator_tests::e2e::deployment_id("california-housing-service", "default");
    env.wait("the deployment created in Azure", MINUTE, || async {
        Ok(env
            .azure(&deployment)
            .filter(|d| d.pointer("/properties/provisioningState") == Some(&json!("Succeeded")))
            .map(|_| ()))
    })
    .await?;
    let (status, message) = env
        .wait_reason(
            "OnlineEndpoint",
            "california-housing-service",
            "NotIsolated",
            MINUTE,
        )
        .await?;
    assert_eq!(status, "False", "the endpoint is not Ready: {message}");
    assert!(
        message.contains("deployment(s) default")
            && message.contains("no Approved private endpoint"),
        "{message}"
    );
    env.wait(
        "the deployment's NetworkIsolated names it",
        MINUTE,
        || async {
            Ok(env
                .condition(
                    "OnlineDeployment",
                    "california-housing-default",
                    "NetworkIsolated",
                )
                .await?
                .filter(|c| c.0 == "False" && c.2.contains("no Approved private endpoint"))
                .map(|_| ()))
        },
    )
    .await?;
    let ws = env
        .get_json("Workspace", "housing")
        .await?
        .unwrap_or_default();
    assert_eq!(
        ws.pointer("/status/approvedPrivateEndpointConnections"),
        Some(&json!(0)),
        "{ws}"
    );

    // The Workspace gains its private endpoint: both become isolated, the endpoint Ready.
    env.apply(seed_workspace()?).await?;
    env.wait_ready("OnlineEndpoint", "california-housing-service", 2 * MINUTE)
        .await?;
    let iso = env
        .condition(
            "OnlineEndpoint",
            "california-housing-service",
            "NetworkIsolated",
        )
        .await?
        .expect("NetworkIsolated");
    assert_eq!(iso.0, "True", "{}", iso.2);
    env.wait("the deployment isolated", MINUTE, || async {
        Ok(env
            .condition(
                "OnlineDeployment",
                "california-housing-default",
                "NetworkIsolated",
            )
            .await?
            .filter(|c| c.0 == "True")
            .map(|_| ()))
    })
    .await?;
    finish(env).await
}
