//! Shared fixture for tests against the project's ARM emulator: one subscription with a
//! workspace, a VNet and a DNS resource group, and one principal with a secret and a
//! federated assertion.

#![allow(dead_code)]

use arm::{
    ArmClient, ArmClientBuilder, Cloud, Credential, Pacer, PacerConfig, ResourceId, RetryPolicy,
};
use arm_emulator::{
    Emulator, EmulatorConfig, PrincipalSeed, ResourceGroupSeed, Seed, SubnetSeed, SubscriptionSeed,
    VirtualNetworkSeed, WorkspaceSeed,
};
use std::sync::Arc;
use std::time::Duration;

pub const SUB: &str = "5ab1e000-0000-4000-8000-00000000a001";
pub const TENANT: &str = "7e7e7e7e-0000-4000-8000-000000000001";
pub const CLIENT: &str = "c1c1c1c1-0000-4000-8000-000000000001";
pub const SECRET: &str = "arm-client-test-secret";
pub const ASSERTION: &str = "eyJhbGciOiJSUzI1NiJ9.service-account-token.sig";

pub fn seed() -> Seed {
    Seed {
        subscriptions: vec![SubscriptionSeed {
            id: SUB.into(),
            display_name: Some("arm client tests".into()),
            resource_groups: vec![
                ResourceGroupSeed {
                    name: "rg-ml".into(),
                    location: "westeurope".into(),
                    workspaces: vec![WorkspaceSeed {
                        name: "mlw-test".into(),
                        public_network_access: "Enabled".into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                ResourceGroupSeed {
                    name: "rg-net".into(),
                    location: "westeurope".into(),
                    virtual_networks: vec![VirtualNetworkSeed {
                        name: "vnet-hub".into(),
                        address_prefixes: vec!["10.10.0.0/16".into()],
                        subnets: vec![SubnetSeed {
                            name: "pe".into(),
                            address_prefix: "10.10.1.0/24".into(),
                        }],
                        ..Default::default()
                    }],
                    ..Default::default()
                },
                ResourceGroupSeed {
                    name: "rg-dns".into(),
                    location: "westeurope".into(),
                    ..Default::default()
                },
            ],
        }],
        principals: vec![PrincipalSeed {
            tenant_id: TENANT.into(),
            client_id: CLIENT.into(),
            secret: Some(SECRET.into()),
            federated_assertion_accepted: true,
            federated_assertion: Some(ASSERTION.into()),
            scopes: vec![format!("/subscriptions/{SUB}")],
            ..Default::default()
        }],
    }
}

pub fn workspace() -> ResourceId {
    ResourceId::workspace(SUB, "rg-ml", "mlw-test").unwrap()
}

pub async fn start(config: EmulatorConfig) -> Emulator {
    Emulator::start(config.seed(seed())).await.unwrap()
}

/// A retry policy fast enough for tests.
pub fn quick_retries(max_retries: usize) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(40),
        max_throttle_wait: Duration::from_secs(5),
        max_bucket_wait: None,
    }
}

/// A builder pointed at the emulator, trusting its CA, with its own pacer.
pub fn builder(emulator: &Emulator, credential: Credential) -> ArmClientBuilder {
    let cloud = Cloud::custom(emulator.base_url(), emulator.authority_host()).unwrap();
    let pem = emulator
        .ca_pem()
        .expect("the emulator serves TLS")
        .as_bytes()
        .to_vec();
    ArmClient::builder(cloud, credential)
        .trust_only_ca_pem(&pem)
        .unwrap()
        .retry_policy(quick_retries(4))
        .pacer(Arc::new(Pacer::new(PacerConfig::default())))
        .default_poll_interval(Duration::from_millis(50))
}

/// A client authenticating with a token the emulator issued directly.
pub fn client(emulator: &Emulator) -> ArmClient {
    let token = emulator.issue_token(CLIENT);
    builder(emulator, Credential::static_token(token))
        .build()
        .unwrap()
}

/// Requests the emulator journaled, as `(method, path, status)`.
pub fn requests(emulator: &Emulator) -> Vec<(String, String, u16)> {
    emulator
        .journal()
        .into_iter()
        .filter_map(|e| match e {
            arm_emulator::JournalEntry::Request(r) => Some((r.method, r.path, r.status)),
            _ => None,
        })
        .collect()
}
