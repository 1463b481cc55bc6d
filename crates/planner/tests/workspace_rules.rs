//! The Workspace's network legs, rule by rule: each test states what Azure has and checks the
//! one step the planner takes, the conditions and the Events.

mod network_world;

use api::workspace::IsolationMode;
use network_world::{
    Answer, Azure, Controller, Dns, OWNER, PE, VNET, WS, ZONE_API, ZONE_NB, group_id, link_id,
    spec, subnet,
};
use planner::network::{NetworkTargets, OWNER_TAG, WorkspaceZones};
use planner::{NetworkAction, OperationKind, STALLED_RETRY};
use serde_json::{Value, json};

fn target_of(action: &NetworkAction) -> String {
    action.target().unwrap_or_default().to_owned()
}

fn isolated(c: &Controller) -> (String, String, String) {
    c.condition("NetworkIsolated").expect("NetworkIsolated")
}

fn ready(c: &Controller) -> (String, String, String) {
    c.condition("Ready").expect("Ready")
}

/// The seed example's targets: the private endpoint in the subnet's resource group, both
/// workspace zones in rg-dns (the linked VNet's subscription), a link to the hub VNet each.
#[test]
fn targets_of_the_seed_example() {
    let c = Controller::new(spec(Dns::Create, true, None));
    let t: NetworkTargets = c.targets();
    assert_eq!(t.owner, OWNER);
    let pe = &t.endpoints[0];
    assert_eq!(pe.id, PE);
    assert_eq!(pe.vnet_id, VNET);
    assert_eq!(pe.zone_group_id.as_deref(), Some(group_id().as_str()));
    let zones: Vec<&str> = pe.zones.iter().map(|z| z.id.as_str()).collect();
    assert_eq!(zones, [ZONE_API, ZONE_NB]);
    assert!(pe.zones.iter().all(|z| z.create));
    assert_eq!(
        pe.zones[0].link.as_ref().map(|l| l.id.clone()),
        Some(link_id(ZONE_API))
    );
    let existing = Controller::new(spec(Dns::Existing, true, None)).targets();
    assert!(
        existing.endpoints[0]
            .zones
            .iter()
            .all(|z| !z.create && z.link.is_none())
    );
}

/// The private DNS zones follow the controller's cloud (Microsoft Learn, "Azure Private Endpoint
/// private DNS zone values", Azure Machine Learning `amlworkspace`: commercial, Government and
/// China tables); the cloud is named as `--cloud` names it, in any case.
#[test]
fn zone_names_follow_the_cloud() {
    let cases = [
        (
            "AzureCloud",
            [
                "privatelink.api.azureml.ms",
                "privatelink.notebooks.azure.net",
            ],
        ),
        (
            "AzureUSGovernment",
            [
                "privatelink.api.ml.azure.us",
                "privatelink.notebooks.usgovcloudapi.net",
            ],
        ),
        (
            "azurechinacloud",
            [
                "privatelink.api.ml.azure.cn",
                "privatelink.notebooks.chinacloudapi.cn",
            ],
        ),
    ];
    for (cloud, names) in cases {
        let zones = WorkspaceZones::for_cloud(cloud).expect("a known cloud");
        assert_eq!(zones.names(), names, "{cloud}");
        let mut c = Controller::new(spec(Dns::Create, true, None));
        c.zones = zones;
        let t = c.targets();
        assert_eq!(t.zones, zones);
        let created: Vec<(&str, &str)> = t.endpoints[0]
            .zones
            .iter()
            .map(|z| (z.name.as_str(), planner::network::ids::name_of(&z.id)))
            .collect();
        assert_eq!(
            created,
            [(names[0], names[0]), (names[1], names[1])],
            "{cloud}"
        );
        // Converges there, creating that cloud's zones and nothing of another cloud.
        let mut azure = Azure::seed();
        c.settle(&mut azure, 60);
        assert_eq!(ready(&c).0, "True", "{cloud}: {:?}", c.status.conditions);
        let zone_puts: Vec<String> = azure
            .writes
            .iter()
            .filter(|(v, t, _)| {
                v == "PUT"
                    && t.contains("/privateDnsZones/")
                    && !t.contains("/virtualNetworkLinks/")
            })
            .map(|(_, t, _)| planner::network::ids::name_of(t).to_owned())
            .collect();
        assert_eq!(zone_puts, names, "{cloud}");
    }
    assert_eq!(WorkspaceZones::for_cloud("AzureGermanCloud"), None);
    assert_eq!(WorkspaceZones::default(), WorkspaceZones::AZURE_CLOUD);
    // The entry points without a cloud are the public cloud's.
    let public = Controller::new(spec(Dns::Create, true, None));
    let t = planner::workspace_reads("ml-prod", "housing", &public.spec).expect("targets");
    assert_eq!(t.zones, WorkspaceZones::AZURE_CLOUD);
}

/// Two private endpoints with one name are refused, naming the field.
#[test]
fn duplicate_private_endpoint_names_stall() {
    let mut s = spec(Dns::None, true, None);
    let again = s.network.private_endpoints[0].clone();
    s.network.private_endpoints.push(again);
    let mut azure = Azure::seed();
    let mut c = Controller::new(s);
    let plan = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(plan.action, NetworkAction::None);
    let (status, reason, message) = c.condition("Stalled").expect("Stalled");
    assert_eq!((status.as_str(), reason.as_str()), ("True", "InvalidSpec"));
    assert!(message.contains("privateEndpoints[1].name"), "{message}");
}

/// Make before break: with a private endpoint declared, the workspace's public access is not
/// turned off first; the private endpoint is created first and Ready says why public access
/// waits. The NetworkIsolated message names every leg that does not hold.
#[test]
fn public_access_waits_for_the_private_endpoint() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    let plan = c.reconcile(&mut azure, Answer::Ok);
    let NetworkAction::Put { target, .. } = &plan.action else {
        panic!("expected the private endpoint's PUT, got {:?}", plan.action);
    };
    assert_eq!(target, PE);
    let (status, reason, message) = isolated(&c);
    assert_eq!((status.as_str(), reason.as_str()), ("False", "NotIsolated"));
    for leg in [
        "publicNetworkAccess is Enabled",
        "private endpoint mlw-prod-pe is missing",
        "private DNS zone privatelink.api.azureml.ms is missing",
        "DNS zone group of mlw-prod-pe is missing",
    ] {
        assert!(message.contains(leg), "{leg:?} not in {message}");
    }
    assert!(plan.drift.is_empty(), "the first change is not drift");
}

/// The order, from Azure's side: the one PATCH of public access (the spec's value only) comes
/// after the private endpoint's connection is Approved and its zone group holds records in both
/// zones; every write before it leaves public access as it was.
#[test]
fn public_access_is_turned_off_after_the_private_path_holds() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    let mut patched_when = None;
    for _ in 0..60 {
        let plan = c.reconcile(&mut azure, Answer::Ok);
        if let NetworkAction::Patch { target, body } = &plan.action {
            assert_eq!(target, WS);
            assert_eq!(
                body,
                &json!({"properties": {"publicNetworkAccess": "Disabled"}})
            );
            // What Azure had when the PATCH was decided (the model applied it just now).
            let connection = azure.connection().expect("a connection");
            let group = azure.get(&group_id()).cloned().expect("a zone group");
            patched_when = Some((connection, group));
            break;
        }
        assert_eq!(azure.public_access(), "Enabled", "{:?}", plan.action);
        azure.tick();
    }
    let (connection, group) = patched_when.expect("public access was turned off");
    assert_eq!(
        connection.pointer("/properties/privateLinkServiceConnectionState/status"),
        Some(&json!("Approved"))
    );
    let records = planner::network::bodies::zone_group_records(&group);
    assert_eq!(records.len(), 2, "{group}");
    assert!(records.iter().all(|(_, n)| *n > 0), "{records:?}");
    assert_eq!(
        azure
            .writes
            .last()
            .map(|(v, t, _)| (v.as_str(), t.as_str())),
        Some(("PATCH", WS))
    );
    c.settle(&mut azure, 10);
    assert_eq!(isolated(&c).0, "True");
}

/// A Workspace that declares no private endpoint keeps the old behaviour: public access is
/// turned off at once (there is no private path to wait for).
#[test]
fn without_private_endpoints_public_access_goes_first() {
    let mut azure = Azure::seed();
    let mut s = spec(Dns::None, true, None);
    s.network.private_endpoints.clear();
    let mut c = Controller::new(s);
    let plan = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(
        plan.action,
        NetworkAction::Patch {
            target: WS.to_owned(),
            body: json!({"properties": {"publicNetworkAccess": "Disabled"}}),
        }
    );
    assert!(plan.events.iter().any(|e| e.reason == "Updating"));
}

/// A private endpoint whose connection waits for a person keeps the workspace public (nothing
/// is sent: never Enabled, not yet Disabled); its approval lets public access go off.
#[test]
fn a_pending_connection_keeps_public_access_as_it_is() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, false, None));
    c.settle(&mut azure, 30);
    assert_eq!(ready(&c).1, "ApprovalPending", "{:?}", ready(&c));
    assert!(
        ready(&c)
            .2
            .contains("public access of workspace mlw-prod stays Enabled until private endpoint mlw-prod-pe is Approved with private DNS (make before break)"),
        "{:?}",
        ready(&c)
    );
    assert_eq!(azure.public_access(), "Enabled");
    assert!(
        !azure.writes.iter().any(|(v, _, _)| v == "PATCH"),
        "{:?}",
        azure.writes
    );
    azure.set_connection("Approved");
    c.settle(&mut azure, 10);
    assert_eq!(azure.public_access(), "Disabled");
    assert_eq!(ready(&c).0, "True");
}

/// The private endpoint is created in its subnet, in the VNet's region, tagged as ours, with one
/// connection to the workspace's amlworkspace group: with `approve: true` an automatic request
/// (`privateLinkServiceConnections`, the controller holds the approval permission), otherwise a
/// manual one (`manualPrivateLinkServiceConnections` with a request message for the owner).
#[test]
fn private_endpoint_body() {
    for approve in [true, false] {
        let mut azure = Azure::seed();
        azure.get_mut(WS).expect("ws")["properties"]["publicNetworkAccess"] = json!("Disabled");
        azure.get_mut(VNET).expect("vnet")["location"] = json!("northeurope");
        let mut c = Controller::new(spec(Dns::Create, approve, None));
        let plan = c.reconcile(&mut azure, Answer::Ok);
        let NetworkAction::Put { target, kind, body } = &plan.action else {
            panic!("expected a PUT, got {:?}", plan.action);
        };
        assert_eq!((target.as_str(), *kind), (PE, OperationKind::Create));
        assert_eq!(body["location"], "northeurope");
        assert_eq!(body["tags"][OWNER_TAG], OWNER);
        assert_eq!(
            body.pointer("/properties/subnet/id"),
            Some(&json!(subnet()))
        );
        let (field, other) = if approve {
            (
                "privateLinkServiceConnections",
                "manualPrivateLinkServiceConnections",
            )
        } else {
            (
                "manualPrivateLinkServiceConnections",
                "privateLinkServiceConnections",
            )
        };
        assert!(
            body["properties"].get(other).is_none(),
            "approve {approve}: {body}"
        );
        let conn = &body["properties"][field][0]["properties"];
        assert_eq!(conn["privateLinkServiceId"], WS);
        assert_eq!(conn["groupIds"], json!(["amlworkspace"]));
        assert_eq!(
            conn.get("requestMessage").is_some(),
            !approve,
            "a request message goes with a manual request: {conn}"
        );
        let (_, reason, _) = ready(&c);
        assert_eq!(reason, "Creating");
    }
}

/// From nothing to every leg true: the writes come in order, and a resync after that writes
/// nothing.
#[test]
fn converges_in_order_and_then_writes_nothing() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(
        Dns::Create,
        true,
        Some(IsolationMode::AllowOnlyApprovedOutbound),
    ));
    c.settle(&mut azure, 60);
    let order: Vec<(String, String)> = azure
        .writes
        .iter()
        .map(|(verb, target, _)| {
            (
                verb.clone(),
                planner::network::ids::name_of(target).to_owned(),
            )
        })
        .collect();
    let expected = [
        ("PATCH", "mlw-prod"),
        ("PUT", "mlw-prod-pe"),
        ("PUT", "privatelink.api.azureml.ms"),
        ("PUT", "vnet-hub-link"),
        ("PUT", "privatelink.notebooks.azure.net"),
        ("PUT", "vnet-hub-link"),
        ("PUT", "default"),
        ("PATCH", "mlw-prod"),
        ("POST", "mlw-prod"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    assert_eq!(order, expected);
    // Public access once the private path holds (make before break), alone: never in one
    // PATCH with a managed network change Azure may refuse.
    assert_eq!(
        azure.writes[0].2,
        json!({"properties": {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}}})
    );
    assert_eq!(
        azure.writes[7].2,
        json!({"properties": {"publicNetworkAccess": "Disabled"}})
    );
    assert_eq!(ready(&c).0, "True", "{:?}", c.status.conditions);
    let (status, reason, message) = isolated(&c);
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "Isolated"),
        "{message}"
    );
    assert_eq!(
        c.status.private_endpoints[0].connection_state.as_deref(),
        Some("Approved")
    );
    assert_eq!(c.status.private_endpoints[0].dns_ready, Some(true));
    let writes = azure.writes.len();
    for _ in 0..3 {
        let plan = c.reconcile(&mut azure, Answer::Ok);
        assert_eq!(plan.action, NetworkAction::None);
        assert!(plan.events.is_empty(), "{:?}", plan.events);
    }
    assert_eq!(azure.writes.len(), writes, "a resync writes nothing");
}

/// Without approve the controller sends a manual request: the connection is Pending,
/// Ready=False ApprovalPending with Reconciling (a person will act), the message naming the
/// connection, who can approve and how; nothing more is written until a person approves.
#[test]
fn pending_connection_waits_for_a_person() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::None, false, None));
    c.settle(&mut azure, 20);
    let (status, reason, message) = ready(&c);
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "ApprovalPending")
    );
    assert!(message.contains("mlw-prod-pe"), "{message}");
    assert!(
        message.contains("privateEndpointConnections/write") && message.contains("approve: true"),
        "{message}"
    );
    assert_eq!(c.condition("Reconciling").map(|r| r.0), Some("True".into()));
    assert_eq!(isolated(&c).1, "ApprovalPending");
    assert!(
        !azure
            .writes
            .iter()
            .any(|(_, t, _)| t.contains("privateEndpointConnections")),
        "the controller does not approve without approve: true"
    );
    azure.set_connection("Approved");
    c.settle(&mut azure, 5);
    assert_eq!(ready(&c).0, "True");
    assert_eq!(isolated(&c).0, "True");
}

/// approve: true with the approval permission: the private endpoint asks for automatic approval
/// and Azure approves it at once; no connection PUT is needed.
#[test]
fn approve_true_asks_for_automatic_approval() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::None, true, None));
    c.settle(&mut azure, 20);
    assert_eq!(ready(&c).0, "True", "{:?}", c.status.conditions);
    assert!(
        !azure
            .writes
            .iter()
            .any(|(_, t, _)| t.contains("/privateEndpointConnections/")),
        "{:?}",
        azure.writes
    );
    assert_eq!(
        c.status.private_endpoints[0].connection_state.as_deref(),
        Some("Approved")
    );
}

/// A manual request already Pending (sent while approve was off) is approved by the controller
/// once the spec says approve: true: a PUT on the workspace's connection.
#[test]
fn approve_true_approves_a_pending_connection() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::None, false, None));
    c.settle(&mut azure, 20);
    assert_eq!(ready(&c).1, "ApprovalPending");
    c.spec.network.private_endpoints[0].approve = true;
    c.generation += 1;
    let plans = c.settle(&mut azure, 20);
    let approval = azure
        .writes
        .iter()
        .find(|(_, t, _)| t.contains("/privateEndpointConnections/"))
        .expect("an approval PUT");
    assert_eq!(approval.0, "PUT");
    assert_eq!(
        approval
            .2
            .pointer("/properties/privateLinkServiceConnectionState/status"),
        Some(&json!("Approved"))
    );
    assert!(
        plans
            .iter()
            .flat_map(|p| p.events.iter())
            .any(|e| e.reason == "Approving" && e.note.contains("mlw-prod-pe")),
    );
    assert_eq!(ready(&c).0, "True");
}

/// approve: true without the approval permission: Azure refuses the private endpoint with 403
/// LinkedAuthorizationFailed (it does not leave a Pending connection). The Workspace is Stalled
/// with AuthorizationFailed naming the missing action and the ways out, the PUT is not re-sent
/// before the slow retry, and public access stays as it is (make before break: no private path,
/// so no PATCH, and never Enabled); once the permission is granted the slow retry converges.
#[test]
fn auto_approval_without_the_permission_stalls_naming_the_action() {
    let mut azure = Azure::seed();
    azure.may_approve = false;
    let mut c = Controller::new(spec(Dns::None, true, None));
    c.settle(&mut azure, 10);
    let pe_puts = |a: &Azure| {
        a.writes
            .iter()
            .filter(|(v, t, _)| v == "PUT" && t == PE)
            .count()
    };
    assert_eq!(pe_puts(&azure), 1);
    assert!(!azure.exists(PE), "nothing was created");
    assert!(azure.connection().is_none(), "no Pending connection");
    let (status, reason, message) = c.condition("Stalled").expect("Stalled");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "AuthorizationFailed"),
        "{message}"
    );
    assert!(
        message.contains(
            "Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action"
        ) && message.contains("LinkedAuthorizationFailed")
            && message.contains("approve: true"),
        "{message}"
    );
    assert!(c.condition("Reconciling").is_none());
    assert_eq!(
        azure.public_access(),
        "Enabled",
        "public access is not closed before a private path exists"
    );
    assert!(!azure.writes.iter().any(|(v, _, _)| v == "PATCH"));
    for _ in 0..3 {
        let p = c.reconcile(&mut azure, Answer::Ok);
        assert!(!p.action.is_write(), "{:?}", p.action);
    }
    azure.may_approve = true;
    c.now += STALLED_RETRY;
    c.settle(&mut azure, 20);
    assert_eq!(pe_puts(&azure), 2);
    assert_eq!(ready(&c).0, "True", "{:?}", c.status.conditions);
    assert_eq!(azure.public_access(), "Disabled");
}

/// Rejected (or Disconnected) is terminal: Stalled with ConnectionRejected, not Reconciling.
#[test]
fn rejected_connection_stalls() {
    for state in ["Rejected", "Disconnected"] {
        let mut azure = Azure::seed();
        let mut c = Controller::new(spec(Dns::None, true, None));
        c.settle(&mut azure, 20);
        azure.set_connection(state);
        let plan = c.reconcile(&mut azure, Answer::Ok);
        assert_eq!(
            plan.action,
            NetworkAction::None,
            "{state}: nothing to write"
        );
        let (status, reason, message) = c.condition("Stalled").expect("Stalled");
        assert_eq!(
            (status.as_str(), reason.as_str()),
            ("True", "ConnectionRejected")
        );
        assert!(message.contains(state), "{message}");
        assert!(c.condition("Reconciling").is_none());
        assert_eq!(isolated(&c).1, "ConnectionRejected");
    }
}

/// A person breaks each leg in turn: the condition names it, the planner repairs it with a
/// DriftCorrected Event and a drift entry for the metric.
#[test]
fn each_leg_broken_by_a_person_is_named_and_repaired() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    assert_eq!(ready(&c).0, "True");
    type Break = fn(&mut Azure);
    let cases: [(&str, &str, &str, Break); 4] = [
        (
            "publicNetworkAccess",
            "publicNetworkAccess is Enabled",
            "PATCH",
            |a| {
                a.get_mut(WS).expect("ws")["properties"]["publicNetworkAccess"] = json!("Enabled");
            },
        ),
        (
            "privateEndpoint",
            "private endpoint mlw-prod-pe is missing",
            "PUT",
            |a| {
                a.delete_now(PE);
            },
        ),
        (
            "dnsZoneGroup",
            "DNS zone group of mlw-prod-pe is missing",
            "PUT",
            |a| {
                a.delete_now(&group_id());
            },
        ),
        (
            "virtualNetworkLink",
            "VNet link of privatelink.notebooks.azure.net to vnet-hub is missing",
            "PUT",
            |a| {
                a.delete_now(&link_id(ZONE_NB));
            },
        ),
    ];
    for (field, named, verb, person) in cases {
        person(&mut azure);
        let plan = c.reconcile(&mut azure, Answer::Ok);
        let (_, _, message) = isolated(&c);
        assert!(message.contains(named), "{field}: {message}");
        assert_eq!(
            azure.writes.last().map(|w| w.0.as_str()),
            Some(verb),
            "{field}: {:?}",
            plan.action
        );
        assert!(
            plan.events
                .iter()
                .any(|e| e.reason == "DriftCorrected" && e.note.contains(named)),
            "{field}: {:?}",
            plan.events
        );
        assert!(
            plan.drift.iter().any(|d| d.field == field),
            "{field}: {:?}",
            plan.drift
        );
        c.settle(&mut azure, 30);
        assert_eq!(ready(&c).0, "True", "{field}: {:?}", c.status.conditions);
        assert_eq!(isolated(&c).0, "True", "{field}");
    }
}

/// A person's delete still running in Azure when the controller looks: the Workspace waits
/// with reason DriftDetected, and the re-creation once the delete is done is drift (Event and
/// metric), not a first creation.
#[test]
fn a_persons_delete_seen_while_it_runs_is_still_drift() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    assert_eq!(ready(&c).0, "True");

    azure.get_mut(PE).expect("pe")["properties"]["provisioningState"] = json!("Deleting");
    let plan = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(plan.action, NetworkAction::None);
    let (status, reason, message) = ready(&c);
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "DriftDetected")
    );
    assert!(message.contains("Deleting"), "{message}");
    // Still running at the next look: the mark stays.
    c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(ready(&c).1, "DriftDetected");

    azure.delete_now(PE);
    let plan = c.reconcile(&mut azure, Answer::Ok);
    assert!(
        matches!(&plan.action, NetworkAction::Put { target, .. } if target == PE),
        "{:?}",
        plan.action
    );
    assert!(
        plan.events.iter().any(|e| e.reason == "DriftCorrected"
            && e.note.contains("private endpoint mlw-prod-pe is missing")),
        "{:?}",
        plan.events
    );
    assert!(plan.drift.iter().any(|d| d.field == "privateEndpoint"));
    c.settle(&mut azure, 30);
    assert_eq!(ready(&c).0, "True", "{:?}", c.status.conditions);

    // A Workspace never Ready for this generation waits with the leg's own reason.
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    c.generation += 1;
    azure.get_mut(PE).expect("pe")["properties"]["provisioningState"] = json!("Deleting");
    c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(ready(&c).1, "Creating");
}

/// A link to the VNet that exists under another name counts (Azure allows one per VNet).
#[test]
fn an_existing_link_under_another_name_holds() {
    let mut azure = Azure::seed();
    for zone in [ZONE_API, ZONE_NB] {
        azure.insert(zone, json!({"id": zone, "properties": {"provisioningState": "Succeeded", "numberOfRecordSets": 1}}));
        let other = format!("{zone}/virtualNetworkLinks/hub");
        azure.insert(&other, json!({"id": other, "properties": {"virtualNetwork": {"id": VNET.to_uppercase()}, "virtualNetworkLinkState": "Completed", "provisioningState": "Succeeded"}}));
    }
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 40);
    assert!(
        !azure
            .writes
            .iter()
            .any(|(_, t, _)| t.to_ascii_lowercase().contains("virtualnetworklinks")),
        "no link is created: {:?}",
        azure.writes
    );
    assert!(
        !azure
            .writes
            .iter()
            .any(|(_, t, _)| t == ZONE_API || t == ZONE_NB),
        "existing zones are not written"
    );
    assert_eq!(isolated(&c).0, "True");
}

/// A VNet link that is InProgress keeps NetworkIsolated False and Ready waiting, without a write.
#[test]
fn link_in_progress_waits() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    azure.get_mut(&link_id(ZONE_API)).expect("link")["properties"]["virtualNetworkLinkState"] =
        json!("InProgress");
    let plan = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(plan.action, NetworkAction::None);
    assert!(
        isolated(&c)
            .2
            .contains("VNet link of privatelink.api.azureml.ms to vnet-hub is InProgress")
    );
    assert_eq!(ready(&c).0, "False");
    assert_eq!(c.condition("Reconciling").map(|r| r.0), Some("True".into()));
}

/// Zones given by id must exist: a missing one is Stalled, never created.
#[test]
fn missing_existing_zone_stalls_without_creating_it() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Existing, true, None));
    c.settle(&mut azure, 30);
    let (status, reason, message) = c.condition("Stalled").expect("Stalled");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "DependencyNotReady")
    );
    assert!(message.contains("zoneIds"), "{message}");
    assert!(!azure.writes.iter().any(|(_, t, _)| t == ZONE_API));
}

/// A zone group that wrote no A records is named and Stalled (the zone does not match).
#[test]
fn zone_group_without_records_is_named() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    let group = azure.get_mut(&group_id()).expect("group");
    group["properties"]["privateDnsZoneConfigs"][1]["properties"]["recordSets"] = json!([]);
    c.reconcile(&mut azure, Answer::Ok);
    let (_, _, message) = isolated(&c);
    assert!(
        message.contains("no A records for mlw-prod-pe in privatelink.notebooks.azure.net"),
        "{message}"
    );
    assert_eq!(
        c.condition("Stalled").map(|s| s.1),
        Some("NotIsolated".into())
    );
    assert_eq!(c.status.private_endpoints[0].dns_ready, Some(false));
}

/// Azure cannot turn a managed network off: that spec is Stalled with its own reason and no
/// PATCH asks for it; the other legs are still enforced.
#[test]
fn managed_network_is_never_asked_to_turn_off() {
    let mut azure = Azure::seed();
    azure.get_mut(WS).expect("ws")["properties"]["managedNetwork"] =
        json!({"isolationMode": "AllowInternetOutbound", "status": {"status": "Active"}});
    let mut c = Controller::new(spec(Dns::None, true, Some(IsolationMode::Disabled)));
    c.settle(&mut azure, 30);
    assert!(
        azure
            .writes
            .iter()
            .all(|(_, _, b)| b.pointer("/properties/managedNetwork").is_none())
    );
    assert_eq!(
        azure.public_access(),
        "Disabled",
        "public access is still enforced"
    );
    let (status, reason, message) = c.condition("Stalled").expect("Stalled");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "ManagedNetworkCannotBeDisabled")
    );
    assert!(
        message.contains("cannot turn a managed network off"),
        "{message}"
    );
}

/// Azure cannot relax a managed network from AllowOnlyApprovedOutbound to AllowInternetOutbound
/// (managed network isolation is one-way): that spec is Stalled naming the field, no PATCH asks
/// for it, and public access is still turned off in a PATCH of its own.
#[test]
fn managed_network_is_never_relaxed() {
    let mut azure = Azure::seed();
    azure.get_mut(WS).expect("ws")["properties"]["managedNetwork"] =
        json!({"isolationMode": "AllowOnlyApprovedOutbound", "status": {"status": "Active"}});
    let mut c = Controller::new(spec(
        Dns::None,
        true,
        Some(IsolationMode::AllowInternetOutbound),
    ));
    c.settle(&mut azure, 30);
    assert!(
        azure
            .writes
            .iter()
            .all(|(_, _, b)| b.pointer("/properties/managedNetwork").is_none()),
        "{:?}",
        azure.writes
    );
    let patches: Vec<&Value> = azure
        .writes
        .iter()
        .filter(|(v, _, _)| v == "PATCH")
        .map(|(_, _, b)| b)
        .collect();
    assert_eq!(
        patches,
        [&json!({"properties": {"publicNetworkAccess": "Disabled"}})]
    );
    let (status, reason, message) = c.condition("Stalled").expect("Stalled");
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "ManagedNetworkCannotBeDisabled")
    );
    assert!(
        message.contains("cannot relax it to AllowInternetOutbound")
            && message.contains("spec.network.managedNetwork.isolationMode"),
        "{message}"
    );
    let (iso, _, iso_message) = isolated(&c);
    assert_eq!(iso, "False");
    assert!(
        iso_message.contains("managed network is AllowOnlyApprovedOutbound"),
        "{iso_message}"
    );
    // The other direction is allowed: AllowInternetOutbound → AllowOnlyApprovedOutbound.
    let mut azure = Azure::seed();
    azure.get_mut(WS).expect("ws")["properties"]["managedNetwork"] =
        json!({"isolationMode": "AllowInternetOutbound", "status": {"status": "Active"}});
    let mut c = Controller::new(spec(
        Dns::None,
        true,
        Some(IsolationMode::AllowOnlyApprovedOutbound),
    ));
    c.settle(&mut azure, 30);
    assert_eq!(ready(&c).0, "True", "{:?}", c.status.conditions);
}

/// A declared managed network is set, then provisioned (POST provisionManagedNetwork), and
/// NetworkIsolated waits for it to be Active.
#[test]
fn managed_network_is_set_and_provisioned() {
    let mut azure = Azure::seed();
    azure.get_mut(WS).expect("ws")["properties"]["publicNetworkAccess"] = json!("Disabled");
    let mut c = Controller::new(spec(
        Dns::None,
        true,
        Some(IsolationMode::AllowInternetOutbound),
    ));
    c.settle(&mut azure, 30);
    let verbs: Vec<&str> = azure
        .writes
        .iter()
        .filter(|(_, t, _)| t == WS)
        .map(|(v, _, _)| v.as_str())
        .collect();
    assert_eq!(verbs, ["PATCH", "POST"]);
    assert_eq!(isolated(&c).0, "True");
    assert_eq!(
        c.status.managed_network_isolation_mode.as_deref(),
        Some("AllowInternetOutbound")
    );
}

/// A spec that allows public access: Ready holds, NetworkIsolated says why it is False.
#[test]
fn allowed_public_access_is_ready_but_not_isolated() {
    let mut azure = Azure::seed();
    let mut s = spec(Dns::None, true, None);
    s.network.public_network_access = api::PublicNetworkAccess::Enabled;
    s.network.private_endpoints.clear();
    let mut c = Controller::new(s);
    c.settle(&mut azure, 5);
    assert!(azure.writes.is_empty(), "{:?}", azure.writes);
    assert_eq!(ready(&c).0, "True");
    let (status, reason, _) = isolated(&c);
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("False", "PublicAccessAllowed")
    );
}

/// An operation in flight is polled, never re-issued; a failed one stalls with ARM's code and a
/// Warning Event, and the write is held back until the slow retry — except public access.
#[test]
fn operations_are_resumed_and_failures_hold_writes_back() {
    let mut azure = Azure::seed();
    azure.get_mut(WS).expect("ws")["properties"]["publicNetworkAccess"] = json!("Disabled");
    let mut c = Controller::new(spec(Dns::None, true, None));
    let first = c.reconcile(&mut azure, Answer::OkThenFail);
    assert_eq!(target_of(&first.action), PE);
    let again = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(
        again.action,
        NetworkAction::None,
        "pending: polled, not re-sent"
    );
    assert_eq!(azure.writes.len(), 1);
    azure.tick();
    let failed = c.reconcile(&mut azure, Answer::Ok);
    assert!(
        failed.events.iter().any(|e| e.reason == "Failed"),
        "{:?}",
        failed.events
    );
    assert_eq!(
        c.condition("Stalled").map(|s| s.1),
        Some("OperationFailed".into())
    );
    assert_eq!(
        c.status.last_error.as_ref().map(|e| e.code.as_str()),
        Some("InternalOperationFailed")
    );
    // The private endpoint is Failed in Azure: it is provisioned again only after the slow retry.
    for _ in 0..3 {
        let p = c.reconcile(&mut azure, Answer::Ok);
        assert!(!p.action.is_write(), "{:?}", p.action);
    }
    // Public access is never held back.
    azure.get_mut(WS).expect("ws")["properties"]["publicNetworkAccess"] = json!("Enabled");
    let urgent = c.reconcile(&mut azure, Answer::Ok);
    assert!(
        matches!(urgent.action, NetworkAction::Patch { .. }),
        "{:?}",
        urgent.action
    );
    azure.tick();
    // The hold ends with the PATCH's success; the Failed private endpoint comes next.
    let retried = c.reconcile(&mut azure, Answer::Ok);
    assert!(
        matches!(&retried.action, NetworkAction::Put { target, kind: OperationKind::Update, .. } if target == PE),
        "the Failed private endpoint is provisioned again: {:?}",
        retried.action
    );
}

/// A refused write (400) stalls and is not re-sent until the slow retry.
#[test]
fn a_refused_write_is_not_resent_before_the_slow_retry() {
    let mut azure = Azure::seed();
    azure.get_mut(WS).expect("ws")["properties"]["publicNetworkAccess"] = json!("Disabled");
    let mut c = Controller::new(spec(Dns::None, true, None));
    let plan = c.reconcile(&mut azure, Answer::BadRequest);
    assert!(plan.action.is_write());
    assert_eq!(
        c.condition("Stalled").map(|s| s.1),
        Some("AzureRejected".into())
    );
    let held = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(held.action, NetworkAction::None);
    c.now += STALLED_RETRY;
    let retried = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(target_of(&retried.action), PE);
}

fn teardown(c: &mut Controller, azure: &mut Azure) -> Vec<(String, String)> {
    c.deleting = true;
    for _ in 0..40 {
        c.reconcile(azure, Answer::Ok);
        azure.tick();
        if c.finalized {
            break;
        }
    }
    assert!(
        c.finalized,
        "the finalizer is removed: {:?}",
        c.status.conditions
    );
    azure
        .writes
        .iter()
        .filter(|(v, _, _)| v == "DELETE")
        .map(|(v, t, _)| (v.clone(), planner::network::ids::name_of(t).to_owned()))
        .collect()
}

/// Deletion removes what the Workspace created, in reverse order; the workspace and its flags
/// are left as they are.
#[test]
fn deletion_is_ordered_and_leaves_the_workspace() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    let ws_before = azure.get(WS).cloned();
    let deletes = teardown(&mut c, &mut azure);
    let names: Vec<&str> = deletes.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "default",
            "mlw-prod-pe",
            "vnet-hub-link",
            "vnet-hub-link",
            "privatelink.api.azureml.ms",
            "privatelink.notebooks.azure.net"
        ]
    );
    for id in [PE, ZONE_API, ZONE_NB, &group_id(), &link_id(ZONE_API)] {
        assert!(!azure.exists(id), "{id} is gone");
    }
    assert_eq!(
        azure.get(WS).cloned(),
        ws_before,
        "the workspace is untouched"
    );
    assert!(azure.exists(VNET));
}

/// Nothing pre-existing is deleted: zones, links and a private endpoint without our tag stay;
/// our zone that holds others' records stays.
#[test]
fn deletion_leaves_what_it_did_not_create() {
    let mut azure = Azure::seed();
    azure.insert(ZONE_API, json!({"id": ZONE_API, "tags": {}, "properties": {"provisioningState": "Succeeded", "numberOfRecordSets": 1}}));
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    // Someone else's records in the zone we created.
    azure.get_mut(ZONE_NB).expect("zone")["properties"]["numberOfRecordSets"] = json!(7);
    let deletes = teardown(&mut c, &mut azure);
    assert!(azure.exists(ZONE_API), "the pre-existing zone stays");
    assert!(azure.exists(ZONE_NB), "a zone in use stays");
    assert!(
        !deletes
            .iter()
            .any(|(_, n)| n == "privatelink.api.azureml.ms")
    );
    assert!(!azure.exists(PE), "our private endpoint is gone");
    // A private endpoint without our tag is left alone.
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::None, true, None));
    c.settle(&mut azure, 30);
    azure.get_mut(PE).expect("pe")["tags"] = json!({});
    let deletes = teardown(&mut c, &mut azure);
    assert!(deletes.is_empty(), "{deletes:?}");
    assert!(azure.exists(PE));
}

/// Deletion waits for the endpoints that use the Workspace; Orphan deletes nothing.
#[test]
fn deletion_waits_for_endpoints_and_orphan_keeps_everything() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    c.deleting = true;
    c.endpoints = vec!["california-housing-service".into()];
    let plan = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(plan.action, NetworkAction::None);
    assert!(ready(&c).2.contains("california-housing-service"));
    c.endpoints.clear();
    c.spec.deletion_policy = api::DeletionPolicy::Orphan;
    let plan = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(plan.action, NetworkAction::RemoveFinalizer);
    assert!(plan.events.iter().any(|e| e.reason == "Orphaned"));
    assert!(azure.exists(PE) && azure.exists(ZONE_API));
}

/// The owner tag is compared exactly: another Workspace's resources are not ours.
#[test]
fn ownership_is_by_exact_tag() {
    let ours = json!({"tags": {OWNER_TAG: OWNER}});
    let theirs = json!({"tags": {OWNER_TAG: "Workspace/other/housing"}});
    assert!(planner::network::bodies::owned_by(&ours, OWNER));
    assert!(!planner::network::bodies::owned_by(&theirs, OWNER));
    assert!(!planner::network::bodies::owned_by(&Value::Null, OWNER));
}

/// Endpoints and deployments may use a Workspace once its AML workspace is found and its
/// managed network is as declared; they do not wait for the private endpoint or DNS.
#[test]
fn binding_for_endpoints_and_deployments() {
    let mut azure = Azure::seed();
    // A manual request (no approve): Pending until a person approves.
    let s = spec(
        Dns::Create,
        false,
        Some(IsolationMode::AllowOnlyApprovedOutbound),
    );
    let mut c = Controller::new(s.clone());
    let before = planner::workspace_binding("housing", &s, &c.status);
    assert!(before.is_err(), "nothing observed yet");
    c.reconcile(&mut azure, Answer::Ok);
    let err = planner::workspace_binding("housing", &s, &c.status).expect_err("mode not set yet");
    assert!(err.contains("AllowOnlyApprovedOutbound"), "{err}");
    c.settle(&mut azure, 60);
    assert_eq!(ready(&c).1, "ApprovalPending", "the network still waits");
    let view = planner::workspace_binding("housing", &s, &c.status).expect("bound");
    assert_eq!(view.location, "westeurope");
    assert_eq!(
        view.managed_network,
        Some(IsolationMode::AllowOnlyApprovedOutbound)
    );
    let (isolated, message) = planner::network_isolated(&c.status);
    assert!(!isolated);
    assert!(message.contains("Pending"), "{message}");
}

fn deletes_of(azure: &Azure) -> Vec<String> {
    azure
        .writes
        .iter()
        .filter(|(v, _, _)| v == "DELETE")
        .map(|(_, t, _)| planner::network::ids::name_of(t).to_owned())
        .collect()
}

fn event_notes(plans: &[planner::WorkspacePlan], reason: &str) -> Vec<String> {
    plans
        .iter()
        .flat_map(|p| p.events.iter())
        .filter(|e| e.reason == reason)
        .map(|e| e.note.clone())
        .collect()
}

/// A private endpoint removed from the spec is deleted (it carries our tag), with an Event; its
/// status entry stays until Azure says it is gone; the zones and links stay.
#[test]
fn a_private_endpoint_removed_from_the_spec_is_deleted() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    assert!(azure.exists(PE));
    c.spec.network.private_endpoints.clear();
    c.generation += 1;
    let first = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(target_of(&first.action), PE, "{:?}", first.action);
    assert_eq!(
        c.status.private_endpoints.len(),
        1,
        "the removed private endpoint stays in status while it is deleted"
    );
    azure.tick();
    let mut plans = vec![first];
    plans.extend(c.settle(&mut azure, 30));
    assert_eq!(deletes_of(&azure), ["mlw-prod-pe"]);
    assert!(!azure.exists(PE));
    assert!(
        azure.exists(ZONE_API) && azure.exists(ZONE_NB),
        "the zones stay"
    );
    assert!(
        c.status.private_endpoints.is_empty(),
        "{:?}",
        c.status.private_endpoints
    );
    let notes = event_notes(&plans, "Deleting");
    assert!(
        notes
            .iter()
            .any(|n| n.contains("mlw-prod-pe") && n.contains("removed from spec")),
        "{notes:?}"
    );
    let writes = azure.writes.len();
    c.settle(&mut azure, 5);
    assert_eq!(azure.writes.len(), writes, "nothing more is written");
}

/// A removed private endpoint without our tag is left in place, dropped from status, with an
/// Event saying so; one Azure reports busy is waited for, then deleted.
#[test]
fn a_removed_private_endpoint_not_ours_stays_and_a_busy_one_is_waited_for() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::None, true, None));
    c.settle(&mut azure, 30);
    azure.get_mut(PE).expect("pe")["tags"] = json!({});
    c.spec.network.private_endpoints.clear();
    c.generation += 1;
    let plans = c.settle(&mut azure, 10);
    assert!(deletes_of(&azure).is_empty());
    assert!(azure.exists(PE));
    assert!(c.status.private_endpoints.is_empty());
    let kept = event_notes(&plans, "Kept");
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(
        kept[0].contains("not created by this Workspace"),
        "{kept:?}"
    );

    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::None, true, None));
    c.settle(&mut azure, 30);
    azure.get_mut(PE).expect("pe")["properties"]["provisioningState"] = json!("Updating");
    c.spec.network.private_endpoints.clear();
    c.generation += 1;
    let waiting = c.reconcile(&mut azure, Answer::Ok);
    assert_eq!(waiting.action, NetworkAction::None);
    let (_, reason, message) = ready(&c);
    assert_eq!(reason, "Deleting");
    assert!(message.contains("Updating"), "{message}");
    azure.get_mut(PE).expect("pe")["properties"]["provisioningState"] = json!("Succeeded");
    c.settle(&mut azure, 30);
    assert_eq!(deletes_of(&azure), ["mlw-prod-pe"]);
}

/// A private endpoint removed from the spec just before the Workspace is deleted is deleted
/// with the rest; under Orphan it stays.
#[test]
fn deletion_also_removes_a_private_endpoint_no_longer_in_the_spec() {
    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    c.spec.network.private_endpoints.clear();
    c.generation += 1;
    let deletes = teardown(&mut c, &mut azure);
    assert_eq!(
        deletes.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(),
        ["mlw-prod-pe"]
    );
    assert!(!azure.exists(PE));

    let mut azure = Azure::seed();
    let mut c = Controller::new(spec(Dns::Create, true, None));
    c.settle(&mut azure, 60);
    c.spec.network.private_endpoints.clear();
    c.spec.deletion_policy = api::DeletionPolicy::Orphan;
    c.generation += 1;
    assert!(teardown(&mut c, &mut azure).is_empty());
    assert!(azure.exists(PE));
}

/// Every body the network legs send keeps to Azure's lengths for the longest Kubernetes names
/// (namespace 63, name 253): a manual request's `requestMessage` ≤ 140 characters
/// (Microsoft.Network privateEndpoint.json: "Restricted to 140 chars."), every tag value ≤ 256
/// (Learn, tag limitations); short names are left whole.
#[test]
fn bodies_keep_to_azure_lengths_for_the_longest_names() {
    use planner::network::bodies::{
        REQUEST_MESSAGE_MAX, link_body, private_endpoint_body, request_message, zone_body,
    };
    let namespace = "n".repeat(63);
    let name = format!("{}.{}", "a".repeat(126), "b".repeat(126));
    assert_eq!(name.len(), 253);
    for approve in [false, true] {
        let s = spec(Dns::Create, approve, None);
        let t = planner::workspace_reads(&namespace, &name, &s).expect("targets");
        let pe = &t.endpoints[0];
        let link = pe.zones[0].link.as_ref().expect("a link");
        let bodies = [
            private_endpoint_body(&t, pe, "westeurope"),
            zone_body(&t),
            link_body(&t, link),
        ];
        for body in &bodies {
            for (key, value) in body["tags"].as_object().expect("tags") {
                let len = value.as_str().expect("a string").chars().count();
                assert!(len <= 256, "tag {key} has {len} characters");
            }
        }
        let message = bodies[0]
            .pointer("/properties/manualPrivateLinkServiceConnections/0/properties/requestMessage")
            .and_then(Value::as_str);
        match message {
            Some(m) => {
                assert!(!approve);
                assert_eq!(m.chars().count(), REQUEST_MESSAGE_MAX, "{m}");
                assert!(m.starts_with(&format!(
                    "Requested by aml-operator for Workspace/{namespace}/"
                )));
            }
            None => assert!(approve, "a manual request carries a message"),
        }
    }
    assert_eq!(
        request_message(OWNER),
        format!("Requested by aml-operator for {OWNER}")
    );
}

/// A workspace whose provisioningState is `Unknown` (a value of the ML spec's ProvisioningState
/// enum, workspaceRP.json) is not busy: its network legs are enforced — the managed network
/// first (public access waits for the private endpoint) — rather than waited on forever; a
/// workspace that is Updating is waited on.
#[test]
fn workspace_provisioning_state_unknown_is_settled() {
    for state in ["Unknown", "unknown"] {
        let mut azure = Azure::seed();
        azure.get_mut(WS).expect("ws")["properties"]["provisioningState"] = json!(state);
        let mut c = Controller::new(spec(
            Dns::None,
            true,
            Some(IsolationMode::AllowInternetOutbound),
        ));
        let plan = c.reconcile(&mut azure, Answer::Ok);
        assert_eq!(
            plan.action,
            NetworkAction::Patch {
                target: WS.to_owned(),
                body: json!({"properties": {"managedNetwork": {"isolationMode": "AllowInternetOutbound"}}}),
            },
            "{state}"
        );
        // The model's PATCH leaves it Updating, then Succeeded; set it back to Unknown after
        // every step, as a workspace that keeps reporting Unknown would.
        for _ in 0..30 {
            azure.tick();
            let p = c.reconcile(&mut azure, Answer::Ok);
            if let Some(ws) = azure.get_mut(WS)
                && ws["properties"]["provisioningState"] == json!("Succeeded")
            {
                ws["properties"]["provisioningState"] = json!(state);
            }
            if !p.action.is_write() && c.status.operation.is_none() && !azure.busy() {
                break;
            }
        }
        assert_eq!(ready(&c).0, "True", "{state}: {:?}", c.status.conditions);
        assert_eq!(isolated(&c).0, "True", "{state}");
    }
    let mut azure = Azure::seed();
    azure.get_mut(WS).expect("ws")["properties"]["provisioningState"] = json!("Updating");
    let mut s = spec(Dns::None, true, None);
    s.network.private_endpoints.clear();
    let mut c = Controller::new(s);
    let plan = c.reconcile(&mut azure, Answer::Ok);
    assert!(
        !matches!(plan.action, NetworkAction::Patch { .. }),
        "{:?}",
        plan.action
    );
    assert!(ready(&c).2.contains("being updated"), "{:?}", ready(&c));
}
