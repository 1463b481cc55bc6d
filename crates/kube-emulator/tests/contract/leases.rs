//! Leases as leader election uses them.

use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

use super::harness::{Cluster, api_error};

fn lock(identity: &str) -> serde_json::Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "spec": {"holderIdentity": identity, "leaseDurationSeconds": 15,
                 "acquireTime": "2026-01-01T00:00:00.000000Z", "renewTime": "2026-01-01T00:00:00.000000Z"},
    })
}

fn holder(lease: &Lease) -> Option<String> {
    lease.spec.as_ref().and_then(|s| s.holder_identity.clone())
}

/// Leader election over a Lease the way kube-lease-manager does it: an empty Lease is created
/// once; a candidate locks it with a server-side apply (no force), which another candidate's apply
/// then conflicts with (409 Conflict); the holder renews and releases with strategic merge
/// patches (`null` clears fields); after a release the other candidate's apply succeeds; a forced
/// takeover is a strategic merge patch.
#[tokio::test]
async fn lease_leader_election_flow() {
    let c = Cluster::start().await;
    let leases: Api<Lease> = Api::namespaced(c.client.clone(), &c.namespace);
    let empty: Lease =
        serde_json::from_value(json!({"metadata": {"name": "leader"}, "spec": {}})).unwrap();
    leases.create(&PostParams::default(), &empty).await.unwrap();
    let again = api_error(leases.create(&PostParams::default(), &empty).await);
    assert_eq!((again.code, again.reason.as_str()), (409, "AlreadyExists"));

    let a = PatchParams::apply("candidate-a");
    let b = PatchParams::apply("candidate-b");
    leases
        .patch("leader", &a, &Patch::Apply(lock("a")))
        .await
        .unwrap();
    let conflict = api_error(leases.patch("leader", &b, &Patch::Apply(lock("b"))).await);
    assert_eq!((conflict.code, conflict.reason.as_str()), (409, "Conflict"));
    assert_eq!(
        holder(&leases.get("leader").await.unwrap()).as_deref(),
        Some("a")
    );

    let a_update = PatchParams {
        field_manager: Some("candidate-a".into()),
        ..Default::default()
    };
    let renewed = leases
        .patch("leader", &a_update, &Patch::Strategic(json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "spec": {"renewTime": "2026-01-01T00:00:05.000000Z", "leaseTransitions": 1}})))
        .await
        .unwrap();
    assert_eq!(renewed.spec.as_ref().unwrap().lease_transitions, Some(1));
    let released = leases
        .patch("leader", &a_update, &Patch::Strategic(json!({"spec": {"holderIdentity": null, "acquireTime": null, "renewTime": null, "leaseDurationSeconds": null}})))
        .await
        .unwrap();
    assert_eq!(holder(&released), None);
    leases
        .patch("leader", &b, &Patch::Apply(lock("b")))
        .await
        .unwrap();
    assert_eq!(
        holder(&leases.get("leader").await.unwrap()).as_deref(),
        Some("b")
    );

    let taken = leases
        .patch(
            "leader",
            &a_update,
            &Patch::Strategic(json!({"spec": {"holderIdentity": "a", "leaseTransitions": 2}})),
        )
        .await
        .unwrap();
    assert_eq!(holder(&taken).as_deref(), Some("a"));
    c.shutdown().await;
}
