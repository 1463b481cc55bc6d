//! The shipped Argo CD health checks against their `health_test.yaml` cases, and the
//! cross-check with kstatus on every testdata object.

#![allow(clippy::unwrap_used)] // tests may unwrap

use aml_operator_tests::argocd::{self, HealthStatusCode, Kind};
use aml_operator_tests::argocd_cases::{HealthCase, argocd_dir, load_cases};
use aml_operator_tests::gitops;
use aml_operator_tests::kstatus::{self, Rule, Status};

fn all_cases() -> Vec<HealthCase> {
    Kind::ALL
        .into_iter()
        .flat_map(|kind| {
            load_cases(kind)
                .unwrap_or_else(|e| panic!("{kind:?}: {e}: {:?}", std::error::Error::source(&e)))
        })
        .collect()
}

#[test]
fn every_health_test_case_reads_as_argo_cd_would_show_it() {
    let cases = all_cases();
    assert!(
        cases.len() >= 20,
        "expected the shipped cases, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        // Argo's own health_test.yaml runner calls the script directly.
        let got = argocd::run_health_script(case.kind.health_script(), &case.object)
            .unwrap_or_else(|e| panic!("{:?} {}: {e}", case.kind, case.input_path));
        if got != case.expected {
            failures.push(format!(
                "{:?} {}: got {got:?}, want {:?}",
                case.kind, case.input_path, case.expected
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "health_test.yaml cases failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_verdict_occurs_for_every_kind() {
    let cases = all_cases();
    for kind in Kind::ALL {
        for code in [
            HealthStatusCode::Healthy,
            HealthStatusCode::Progressing,
            HealthStatusCode::Degraded,
        ] {
            assert!(
                cases
                    .iter()
                    .any(|c| c.kind == kind && c.expected.status == code),
                "{kind:?} has no case expecting {code}"
            );
        }
    }
}

/// Testdata objects on which kstatus and our script deliberately differ, with kstatus' rule.
/// Each is a status the controller must never write (see `gitops` module docs).
const DIVERGENCES: &[(Kind, &str, Rule)] = &[
    (
        Kind::Workspace,
        "testdata/no-status.yaml",
        Rule::NoStandardCondition,
    ),
    (
        Kind::OnlineEndpoint,
        "testdata/no-status.yaml",
        Rule::NoStandardCondition,
    ),
    (
        Kind::OnlineDeployment,
        "testdata/no-status.yaml",
        Rule::NoStandardCondition,
    ),
    (
        Kind::OnlineDeployment,
        "testdata/no-ready-condition.yaml",
        Rule::NoStandardCondition,
    ),
    (
        Kind::OnlineDeployment,
        "testdata/no-observed-generation.yaml",
        Rule::Ready,
    ),
];

#[test]
fn argo_cd_and_kstatus_agree_on_every_testdata_object_except_the_documented_divergences() {
    let mut failures = Vec::new();
    for case in all_cases() {
        let divergence = DIVERGENCES
            .iter()
            .find(|(k, p, _)| *k == case.kind && *p == case.input_path);
        match (gitops::check(&case.object), divergence) {
            (Ok(_), None) => {}
            (Err(gitops::Error::Disagree { argo, kstatus, .. }), Some((_, _, rule))) => {
                let verdict = kstatus::compute(&case.object).unwrap();
                if argo != HealthStatusCode::Progressing
                    || kstatus != Status::Current
                    || verdict.rule != *rule
                {
                    failures.push(format!(
                        "{:?} {}: diverges unexpectedly: Argo {argo}, kstatus {kstatus} by {:?}",
                        case.kind, case.input_path, verdict.rule
                    ));
                }
            }
            (Ok(readings), Some(_)) => failures.push(format!(
                "{:?} {}: listed as a divergence but both read {:?}/{:?}",
                case.kind, case.input_path, readings.argo.status, readings.kstatus.status
            )),
            (Err(e), None) => failures.push(format!("{:?} {}: {e}", case.kind, case.input_path)),
            (Err(e), Some(_)) => failures.push(format!("{:?} {}: {e}", case.kind, case.input_path)),
        }
    }
    assert!(
        failures.is_empty(),
        "cross-check failed:\n{}",
        failures.join("\n")
    );
}

#[test]
fn the_per_kind_scripts_are_the_shared_script() {
    let shared = std::fs::read_to_string(argocd_dir().join("health.lua")).unwrap();
    for kind in Kind::ALL {
        assert_eq!(
            kind.health_script(),
            shared,
            "{kind:?}'s health.lua differs from deploy/argocd/health.lua"
        );
    }
}

#[test]
fn the_agreement_table_is_exactly_the_documented_one() {
    use HealthStatusCode as H;
    let statuses = [
        Status::InProgress,
        Status::Failed,
        Status::Current,
        Status::Terminating,
        Status::NotFound,
    ];
    let codes = [
        H::Healthy,
        H::Progressing,
        H::Degraded,
        H::Suspended,
        H::Missing,
        H::Unknown,
    ];
    let agreeing: Vec<(H, Status)> = codes
        .iter()
        .flat_map(|c| statuses.iter().map(move |s| (*c, *s)))
        .filter(|(c, s)| gitops::agree(*c, *s))
        .collect();
    assert_eq!(
        agreeing,
        vec![
            (H::Healthy, Status::Current),
            (H::Progressing, Status::InProgress),
            (H::Progressing, Status::Terminating),
            (H::Degraded, Status::Failed),
            (H::Missing, Status::NotFound),
        ]
    );
}
