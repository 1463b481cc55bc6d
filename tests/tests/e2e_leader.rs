//! Leader election: two operator processes against one Kubernetes API; only the Lease holder
//! reconciles; when it is killed, the standby takes over within the lease duration.

use std::time::Duration;

use aml_operator_tests::e2e::{Env, EnvOptions, WORKSPACE_ID, arm_config};
use k8s_openapi::api::coordination::v1::Lease;
use serde_json::json;

fn reconciles(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("aml_operator_reconciles_total{"))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .map(|v| v as u64)
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_reconciles_and_a_standby_takes_over() -> anyhow::Result<()> {
    let options = EnvOptions {
        arm: arm_config(Duration::from_millis(200))?,
        sync_interval: Duration::from_secs(60),
        leader_election: true,
        operator_args: Vec::new(),
    };
    let mut env = Env::start("leader", options).await?;
    env.start_operator().await?;
    let leases: kube::Api<Lease> = env.api();
    let holder = env
        .wait("a Lease holder", Duration::from_secs(30), || async {
            Ok(leases
                .get_opt("aml-operator")
                .await?
                .and_then(|l| l.spec)
                .and_then(|s| s.holder_identity))
        })
        .await?;
    let leader = env
        .operators()
        .iter()
        .position(|o| holder.starts_with(&format!("{}-", o.instance)))
        .expect("the holder is one of ours");
    let standby = 1 - leader;

    env.apply(json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace", "metadata": {"name": "housing"},
                     "spec": {"resourceId": WORKSPACE_ID}}))
        .await?;
    env.apply(json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint", "metadata": {"name": "scoring"},
                     "spec": {"workspaceRef": {"name": "housing"}}}))
        .await?;
    env.wait_ready("OnlineEndpoint", "scoring", Duration::from_secs(60))
        .await?;

    // Both serve their probes; only the leader reconciled anything.
    let (ready_status, _) = env.admin_get(standby, "/readyz").await?;
    assert_eq!(
        ready_status, 200,
        "a standby is ready (it serves and waits)"
    );
    let (_, leader_metrics) = env.admin_get(leader, "/metrics").await?;
    let (_, standby_metrics) = env.admin_get(standby, "/metrics").await?;
    assert!(reconciles(&leader_metrics) > 0, "the leader reconciles");
    assert_eq!(
        reconciles(&standby_metrics),
        0,
        "the standby does not reconcile"
    );

    // Kill the leader without letting it release the Lease; the standby takes over.
    env.kill_operator_at(leader).await?;
    let killed_at = std::time::Instant::now();
    env.apply(json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint", "metadata": {"name": "scoring-two"},
                     "spec": {"workspaceRef": {"name": "housing"}}}))
        .await?;
    let new_holder = env
        .wait(
            "the standby holding the Lease",
            Duration::from_secs(30),
            || async {
                let h = leases
                    .get_opt("aml-operator")
                    .await?
                    .and_then(|l| l.spec)
                    .and_then(|s| s.holder_identity);
                Ok(h.filter(|h| h.starts_with(&format!("{}-", env.operators()[standby].instance))))
            },
        )
        .await?;
    let took_over = killed_at.elapsed();
    env.wait_ready("OnlineEndpoint", "scoring-two", Duration::from_secs(60))
        .await?;
    eprintln!("leader {holder} killed; {new_holder} took over after {took_over:?}");
    assert!(
        took_over < Duration::from_secs(4 + 6),
        "takeover within the lease duration (plus a renewal period): {took_over:?}"
    );
    let (_, standby_metrics) = env.admin_get(standby, "/metrics").await?;
    assert!(
        reconciles(&standby_metrics) > 0,
        "the new leader reconciles"
    );
    env.finish().await
}

/// A leader whose API server stops answering its Lease requests stops before the Lease can
/// expire for a standby: its process exits within the renew deadline (3 s of the 4 s lease), and
/// the ARM journal shows no write by the controller after that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_cannot_renew_stops_before_its_lease_expires() -> anyhow::Result<()> {
    let options = EnvOptions {
        arm: arm_config(Duration::from_millis(200))?,
        sync_interval: Duration::from_secs(60),
        leader_election: true,
        operator_args: Vec::new(),
    };
    let env = Env::start("renew", options).await?;
    let Some(kube) = &env.kube else {
        eprintln!("skipped on a real cluster: needs the emulator's fault injection");
        return env.finish().await;
    };
    env.apply(json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "Workspace", "metadata": {"name": "housing"},
                     "spec": {"resourceId": WORKSPACE_ID}}))
        .await?;
    env.apply(json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint", "metadata": {"name": "scoring"},
                     "spec": {"workspaceRef": {"name": "housing"}}}))
        .await?;
    env.wait_ready("OnlineEndpoint", "scoring", Duration::from_secs(60))
        .await?;

    // The API server stops answering Lease requests (they hang for a minute).
    kube.faults().push(kube_emulator::FaultRule {
        method: None,
        path_contains: Some("/leases/".into()),
        status: 0,
        retry_after_seconds: None,
        latency_ms: Some(60_000),
        times: 100_000,
    });
    let cut_at = k8s_openapi::jiff::Timestamp::now();
    env.wait("the leader to exit", Duration::from_secs(20), || async {
        Ok(env.admin_get(0, "/healthz").await.is_err().then_some(()))
    })
    .await?;
    let exited_after = k8s_openapi::jiff::Timestamp::now().duration_since(cut_at);
    // Work that only a leader would do: nothing may happen now.
    env.apply(json!({"apiVersion": "aml-operator.io/v1alpha1", "kind": "OnlineEndpoint", "metadata": {"name": "scoring-two"},
                     "spec": {"workspaceRef": {"name": "housing"}}}))
        .await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let deadline = cut_at + std::time::Duration::from_secs(4);
    let late: Vec<String> = env
        .requests()
        .into_iter()
        .filter(|r| r.principal.as_deref() == Some(aml_operator_tests::e2e::CONTROLLER_CLIENT))
        .filter(|r| r.method != "GET")
        .filter(|r| {
            r.time
                .parse::<k8s_openapi::jiff::Timestamp>()
                .is_ok_and(|t| t > deadline)
        })
        .map(|r| format!("{} {} {}", r.time, r.method, r.path))
        .collect();
    eprintln!("the leader exited {exited_after:?} after its Lease requests stopped being answered");
    assert!(
        late.is_empty(),
        "writes after the lease could expire: {late:?}"
    );
    assert!(
        env.azure(&aml_operator_tests::e2e::endpoint_id("scoring-two"))
            .is_none(),
        "nothing created without a leader"
    );
    kube.faults().clear();
    env.finish().await
}
