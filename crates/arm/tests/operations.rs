//! Long-running operations, typed verbs and pagination against the ARM emulator.

#![allow(clippy::unwrap_used)]

mod support;

use arm::models::*;
use arm::{
    ErrorClass, ErrorOrigin, OperationHandle, OperationKind, PollOutcome, PollingStyle, ResourceId,
    Started,
};
use arm_emulator::{EmulatorConfig, OperationKind as EmulatedOp};
use std::time::Duration;
use support::*;

const LONG: Duration = Duration::from_secs(20);

fn endpoint_body(access: PublicNetworkAccess) -> OnlineEndpoint {
    OnlineEndpoint {
        location: Some("westeurope".into()),
        identity: Some(ManagedServiceIdentity {
            identity_type: ManagedServiceIdentityType::SystemAssigned,
            principal_id: None,
            tenant_id: None,
            user_assigned_identities: None,
            extra: Default::default(),
        }),
        properties: OnlineEndpointProperties {
            auth_mode: Some(EndpointAuthMode::Key),
            public_network_access: Some(access),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn deployment_body(instances: i32) -> OnlineDeployment {
    let ws = workspace();
    OnlineDeployment {
        location: Some("westeurope".into()),
        sku: Some(Sku {
            name: Some("Default".into()),
            capacity: Some(instances),
            ..Default::default()
        }),
        properties: OnlineDeploymentProperties {
            endpoint_compute_type: Some(EndpointComputeType::Managed),
            instance_type: Some("Standard_F2s_v2".into()),
            model: Some(
                arm::AssetRef::parse("azureml:california-housing-prices:1")
                    .unwrap()
                    .resolve(&ws, arm::AssetKind::Model)
                    .unwrap()
                    .to_string(),
            ),
            egress_public_network_access: Some(PublicNetworkAccess::Disabled),
            ..Default::default()
        },
        ..Default::default()
    }
}

async fn create_endpoint(client: &arm::ArmClient, name: &str) -> ResourceId {
    let id = workspace().online_endpoint(name).unwrap();
    match client
        .begin_put::<_, OnlineEndpoint>(&id, &endpoint_body(PublicNetworkAccess::Disabled))
        .await
        .unwrap()
    {
        Started::Pending(handle) => {
            client.wait::<OnlineEndpoint>(&handle, LONG).await.unwrap();
        }
        Started::Done(_) => {}
    }
    id
}

#[tokio::test]
async fn endpoint_create_is_a_handle_polled_to_success() {
    let emulator = start(
        EmulatorConfig::default()
            .lro_duration(EmulatedOp::EndpointCreate, Duration::from_millis(400)),
    )
    .await;
    let client = client(&emulator);
    let id = workspace().online_endpoint("ep-create").unwrap();

    let started = client
        .begin_put::<_, OnlineEndpoint>(&id, &endpoint_body(PublicNetworkAccess::Disabled))
        .await
        .unwrap();
    let Started::Pending(handle) = started else {
        panic!("an endpoint create is asynchronous: {started:?}")
    };
    assert_eq!(handle.kind, OperationKind::Create);
    assert_eq!(handle.polling, PollingStyle::AzureAsyncOperation);
    assert_eq!(handle.resource_id, id);

    // The first poll comes before the operation's end: pending, with ARM's Retry-After.
    let first = client.poll::<OnlineEndpoint>(&handle).await.unwrap();
    assert!(matches!(first, PollOutcome::Pending { .. }), "{first:?}");

    let done = client
        .wait::<OnlineEndpoint>(&handle, LONG)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        done.properties.provisioning_state,
        Some(ProvisioningState::Succeeded)
    );
    assert_eq!(
        done.properties.public_network_access,
        Some(PublicNetworkAccess::Disabled)
    );
    assert!(done.properties.scoring_uri.is_some());

    // The first PUT already carried publicNetworkAccess: Disabled.
    let puts: Vec<_> = emulator
        .journal()
        .into_iter()
        .filter_map(|e| match e {
            arm_emulator::JournalEntry::Request(r) if r.method == "PUT" => r.body,
            _ => None,
        })
        .collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0]["properties"]["publicNetworkAccess"], "Disabled");

    let keys = client.list_keys(&id).await.unwrap();
    assert!(keys.primary_key.is_some_and(|k| !k.is_empty()));
}

#[tokio::test]
async fn a_handle_serialized_and_given_to_a_new_client_is_polled_to_completion() {
    let emulator = start(
        EmulatorConfig::default()
            .lro_duration(EmulatedOp::DeploymentCreate, Duration::from_millis(600)),
    )
    .await;
    let endpoint = create_endpoint(&client(&emulator), "ep-resume").await;
    let id = endpoint.deployment("blue").unwrap();

    let stored = {
        let first_process = client(&emulator);
        let Started::Pending(handle) = first_process
            .begin_put::<_, OnlineDeployment>(&id, &deployment_body(2))
            .await
            .unwrap()
        else {
            panic!("a deployment create is asynchronous")
        };
        // What the controller writes into status.operation.
        serde_json::to_string(&handle.to_parts()).unwrap()
    };

    let second_process = client(&emulator);
    let parts: arm::OperationParts = serde_json::from_str(&stored).unwrap();
    let handle = OperationHandle::from_parts(&parts).unwrap();
    let deployment = second_process
        .wait::<OnlineDeployment>(&handle, LONG)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        deployment.properties.provisioning_state,
        Some(ProvisioningState::Succeeded)
    );
    assert_eq!(deployment.sku.unwrap().capacity, Some(2));
    // Resuming never re-sent the create.
    let puts = requests(&emulator)
        .into_iter()
        .filter(|(m, p, _)| m == "PUT" && p.ends_with("/deployments/blue"))
        .count();
    assert_eq!(puts, 1);
}

#[tokio::test]
async fn scale_is_a_patch_of_the_sku_and_delete_polls_to_gone() {
    let emulator = start(
        EmulatorConfig::default()
            .lro_duration(EmulatedOp::DeploymentScale, Duration::from_millis(200))
            .lro_duration(EmulatedOp::DeploymentDelete, Duration::from_millis(200)),
    )
    .await;
    let client = client(&emulator);
    let endpoint = create_endpoint(&client, "ep-scale").await;
    let id = endpoint.deployment("green").unwrap();
    if let Started::Pending(h) = client
        .begin_put::<_, OnlineDeployment>(&id, &deployment_body(1))
        .await
        .unwrap()
    {
        client.wait::<OnlineDeployment>(&h, LONG).await.unwrap();
    }

    let patch: Patch = Patch {
        sku: Some(Sku {
            name: Some("Default".into()),
            capacity: Some(3),
            ..Default::default()
        }),
        ..Default::default()
    };
    let scaled = match client
        .begin_patch::<_, OnlineDeployment>(&id, &patch)
        .await
        .unwrap()
    {
        Started::Pending(mut handle) => {
            handle.kind = OperationKind::Scale;
            client
                .wait::<OnlineDeployment>(&handle, LONG)
                .await
                .unwrap()
                .unwrap()
        }
        Started::Done(body) => body.unwrap(),
    };
    assert_eq!(scaled.sku.unwrap().capacity, Some(3));

    let Started::Pending(handle) = client.begin_delete(&id).await.unwrap() else {
        panic!("a deployment delete is asynchronous")
    };
    assert_eq!(handle.kind, OperationKind::Delete);
    assert_eq!(client.wait::<()>(&handle, LONG).await.unwrap(), None);
    assert!(
        client
            .get_optional::<OnlineDeployment>(&id)
            .await
            .unwrap()
            .is_none()
    );
    // Deleting what is gone is done at once.
    assert!(matches!(
        client.begin_delete(&id).await.unwrap(),
        Started::Done(None)
    ));
}

#[tokio::test]
async fn a_failed_operation_is_classified_by_its_code() {
    let emulator = start(
        EmulatorConfig::default()
            .lro_duration(EmulatedOp::DeploymentCreate, Duration::from_millis(200)),
    )
    .await;
    let client = client(&emulator);
    let endpoint = create_endpoint(&client, "ep-fail").await;
    let id = endpoint.deployment("quota").unwrap();
    emulator.admin().fail_next_operation(
        &id.to_string(),
        "OutOfQuota",
        Some("Not enough quota for Standard_F2s_v2"),
    );
    let Started::Pending(handle) = client
        .begin_put::<_, OnlineDeployment>(&id, &deployment_body(1))
        .await
        .unwrap()
    else {
        panic!("asynchronous")
    };
    let err = client
        .wait::<OnlineDeployment>(&handle, LONG)
        .await
        .unwrap_err();
    assert_eq!(err.origin, ErrorOrigin::Operation);
    assert_eq!(err.code(), "OutOfQuota");
    assert_eq!(err.class(), ErrorClass::Terminal);
}

#[tokio::test]
async fn a_write_while_the_endpoint_is_busy_is_a_conflict() {
    let emulator = start(
        EmulatorConfig::default().lro_duration(EmulatedOp::EndpointUpdate, Duration::from_secs(5)),
    )
    .await;
    let client = client(&emulator);
    let endpoint = create_endpoint(&client, "ep-busy").await;
    // An update keeps the endpoint Updating for a while.
    let started = client
        .begin_put::<_, OnlineEndpoint>(&endpoint, &endpoint_body(PublicNetworkAccess::Disabled))
        .await
        .unwrap();
    assert!(
        matches!(started, Started::Pending(ref h) if h.kind == OperationKind::Update),
        "{started:?}"
    );
    let err = client
        .begin_put::<_, OnlineDeployment>(
            &endpoint.deployment("blue").unwrap(),
            &deployment_body(1),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(409));
    assert_eq!(err.class(), ErrorClass::Conflict);
    assert!(err.request_id.is_some() && err.correlation_id.is_some());
}

#[tokio::test]
async fn bad_requests_are_terminal_and_missing_resources_not_found() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = client(&emulator);
    let id = workspace().online_endpoint("ep-bad").unwrap();
    let mut body = endpoint_body(PublicNetworkAccess::Disabled);
    body.properties.traffic = Some([("nope".to_string(), 100)].into_iter().collect());
    let err = client
        .begin_put::<_, OnlineEndpoint>(&id, &body)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.class(), ErrorClass::Terminal);
    assert!(!err.code().is_empty(), "{err}");

    let missing = workspace().online_endpoint("ep-missing").unwrap();
    let err = client.get::<OnlineEndpoint>(&missing).await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotFound);
    assert!(
        client
            .get_optional::<OnlineEndpoint>(&missing)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn lists_follow_next_link() {
    let emulator = start(EmulatorConfig::default().list_page_size(2)).await;
    let client = client(&emulator);
    for name in ["ep-a", "ep-b", "ep-c", "ep-d", "ep-e"] {
        create_endpoint(&client, name).await;
    }
    let before = requests(&emulator).len();
    let endpoints: Vec<OnlineEndpoint> =
        client.list(&workspace(), "onlineEndpoints").await.unwrap();
    let mut names: Vec<_> = endpoints.iter().filter_map(|e| e.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["ep-a", "ep-b", "ep-c", "ep-d", "ep-e"]);
    let pages = requests(&emulator)[before..]
        .iter()
        .filter(|(m, p, _)| m == "GET" && p.ends_with("/onlineEndpoints"))
        .count();
    assert_eq!(pages, 3, "5 items at 2 per page");
}

#[tokio::test]
async fn workspace_network_settings_are_patched_without_losing_other_properties() {
    let emulator = start(
        EmulatorConfig::default()
            .lro_duration(EmulatedOp::WorkspaceUpdate, Duration::from_millis(100)),
    )
    .await;
    let client = client(&emulator);
    let before: Workspace = client.get(&workspace()).await.unwrap();
    assert_eq!(
        before.properties.public_network_access,
        Some(PublicNetworkAccess::Enabled)
    );
    let patch = Patch::<WorkspaceProperties> {
        properties: WorkspaceProperties {
            public_network_access: Some(PublicNetworkAccess::Disabled),
            ..Default::default()
        },
        ..Default::default()
    };
    let after = match client
        .begin_patch::<_, Workspace>(&workspace(), &patch)
        .await
        .unwrap()
    {
        Started::Pending(h) => {
            assert_eq!(h.polling, PollingStyle::Location);
            client.wait::<Workspace>(&h, LONG).await.unwrap().unwrap()
        }
        Started::Done(w) => w.unwrap(),
    };
    assert_eq!(
        after.properties.public_network_access,
        Some(PublicNetworkAccess::Disabled)
    );
    assert_eq!(after.properties.key_vault, before.properties.key_vault);
}

/// The answer shapes of the 2025-12-01 ML spec (mfe.json), each followed to its end: a 201 with
/// `Azure-AsyncOperation` (create), a bare 200 with the body in `Updating` (update: no polling
/// URL, so the resource's provisioningState is polled), and a POST action's 202 (its result is
/// at `Location`, `final-state-via: location`).
#[tokio::test]
async fn every_answer_shape_of_an_ml_write_is_followed_to_its_end() {
    let emulator = start(
        EmulatorConfig::default()
            .lro_duration(EmulatedOp::EndpointUpdate, Duration::from_millis(300)),
    )
    .await;
    let client = client(&emulator);
    let id = workspace().online_endpoint("ep-shapes").unwrap();
    let body = endpoint_body(PublicNetworkAccess::Disabled);

    // 201 + Azure-AsyncOperation
    let Started::Pending(create) = client
        .begin_put::<_, OnlineEndpoint>(&id, &body)
        .await
        .unwrap()
    else {
        panic!("a create is asynchronous")
    };
    assert_eq!(create.kind, OperationKind::Create);
    assert_eq!(create.polling, PollingStyle::AzureAsyncOperation);
    assert!(
        create.url.contains("/mfeOperationsStatus/"),
        "{}",
        create.url
    );
    client.wait::<OnlineEndpoint>(&create, LONG).await.unwrap();

    // 200 with no header: the body says Updating, so the resource itself is polled.
    let Started::Pending(update) = client
        .begin_put::<_, OnlineEndpoint>(&id, &body)
        .await
        .unwrap()
    else {
        panic!("an update whose body says Updating is not done")
    };
    assert_eq!(update.kind, OperationKind::Update);
    assert_eq!(update.polling, PollingStyle::ProvisioningState);
    assert!(
        update.url.contains("/onlineEndpoints/ep-shapes"),
        "{}",
        update.url
    );
    let first = client.poll::<OnlineEndpoint>(&update).await.unwrap();
    assert!(matches!(first, PollOutcome::Pending { .. }), "{first:?}");
    let done = client
        .wait::<OnlineEndpoint>(&update, LONG)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        done.properties.provisioning_state,
        Some(ProvisioningState::Succeeded)
    );

    // regenerateKeys: 202; the action's result is read from Location.
    let before = client.list_keys(&id).await.unwrap().primary_key;
    let Started::Pending(regen) = client
        .begin_post::<_, serde_json::Value>(
            &id,
            "regenerateKeys",
            Some(&serde_json::json!({"keyType": "Primary"})),
        )
        .await
        .unwrap()
    else {
        panic!("regenerateKeys is asynchronous")
    };
    assert_eq!(regen.kind, OperationKind::Action("regenerateKeys".into()));
    assert_eq!(regen.polling, PollingStyle::Location);
    assert!(regen.url.contains("/mfeOperationResults/"), "{}", regen.url);
    client
        .wait::<serde_json::Value>(&regen, LONG)
        .await
        .unwrap();
    assert_ne!(client.list_keys(&id).await.unwrap().primary_key, before);
}

/// A POST action answered 202 with only `Location` (and `Retry-After`): the handle polls the
/// Location URL and the action's result is its final answer.
#[tokio::test]
async fn a_post_answered_with_only_location_is_polled_there() {
    let mut seed = seed();
    seed.subscriptions[0].resource_groups[0].workspaces[0].managed_network =
        arm_emulator::ManagedNetworkSeed {
            isolation_mode: "AllowOnlyApprovedOutbound".into(),
            status: "Inactive".into(),
        };
    let emulator =
        arm_emulator::Emulator::start(EmulatorConfig::default().seed(seed).lro_duration(
            EmulatedOp::ManagedNetworkProvision,
            Duration::from_millis(300),
        ))
        .await
        .unwrap();
    let client = client(&emulator);
    let ws = workspace();
    let Started::Pending(handle) = client
        .begin_post::<_, serde_json::Value>(
            &ws,
            "provisionManagedNetwork",
            Some(&serde_json::json!({"includeSpark": false})),
        )
        .await
        .unwrap()
    else {
        panic!("provisionManagedNetwork is asynchronous")
    };
    // The emulator's answer had no Azure-AsyncOperation to prefer.
    let answer = requests(&emulator)
        .into_iter()
        .rfind(|(m, p, _)| m == "POST" && p.ends_with("provisionManagedNetwork"))
        .unwrap();
    assert_eq!(answer.2, 202);
    assert_eq!(handle.polling, PollingStyle::Location);
    assert!(
        handle.url.contains("/workspaceOperationResults/"),
        "{}",
        handle.url
    );
    let first = client.poll::<serde_json::Value>(&handle).await.unwrap();
    assert!(matches!(first, PollOutcome::Pending { .. }), "{first:?}");
    let result = client
        .wait::<serde_json::Value>(&handle, LONG)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result["status"], "Active", "{result}");
}

#[tokio::test]
async fn a_tampered_polling_url_never_receives_the_token() {
    let emulator = start(EmulatorConfig::default()).await;
    let client = client(&emulator);
    let handle = OperationHandle {
        kind: OperationKind::Create,
        url: "https://attacker.example/collect".into(),
        polling: PollingStyle::AzureAsyncOperation,
        resource_id: workspace().online_endpoint("ep-x").unwrap(),
        started_at: jiff::Timestamp::now(),
    };
    let before = requests(&emulator).len();
    let err = client.poll::<OnlineEndpoint>(&handle).await.unwrap_err();
    assert_eq!(err.origin, ErrorOrigin::Invalid);
    assert_eq!(err.class(), ErrorClass::Terminal);
    assert!(err.message().contains("refusing to send a token"), "{err}");
    assert_eq!(requests(&emulator).len(), before);
}

/// The controller runs these futures on a multi-threaded runtime: they must be `Send`.
#[test]
fn client_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let cloud = arm::Cloud::custom("https://127.0.0.1:1", "https://127.0.0.1:1").unwrap();
    let client = arm::ArmClient::builder(cloud, arm::Credential::static_token("t"))
        .build()
        .unwrap();
    let id = workspace();
    let body = endpoint_body(PublicNetworkAccess::Disabled);
    let handle = OperationHandle {
        kind: OperationKind::Create,
        url: "https://127.0.0.1:1/op".into(),
        polling: PollingStyle::Location,
        resource_id: id.clone(),
        started_at: jiff::Timestamp::now(),
    };
    assert_send(&client.get::<Workspace>(&id));
    assert_send(&client.get_optional::<Workspace>(&id));
    assert_send(&client.begin_put::<_, OnlineEndpoint>(&id, &body));
    assert_send(&client.begin_delete(&id));
    assert_send(&client.poll::<OnlineEndpoint>(&handle));
    assert_send(&client.list::<OnlineEndpoint>(&id, "onlineEndpoints"));
    fn assert_sync<T: Send + Sync + Clone>(_: &T) {}
    assert_sync(&client);
}
