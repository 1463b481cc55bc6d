//! The CRDs as a real apiserver sees them: the examples are admitted, every invalid fixture is
//! rejected with its field named, transitions of immutable fields are refused, and the schemas
//! keep to what an apiserver accepts (structural, RE2, bounded, CEL within budget).

mod admission;

use admission::{admit, check_crd, committed_crds, load_fixture, repo_root, yaml_files};
use serde_json::Value;

fn kind_of(object: &Value) -> &str {
    object
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

#[test]
fn committed_crds_match_the_types() {
    for crd in api::crds() {
        let path = repo_root().join("crds").join(api::crd_file_name(&crd));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let generated = api::crd_yaml(&crd).expect("CRD serializes");
        assert!(
            committed == generated,
            "{} is stale: run `cargo run -p api --bin crdgen`",
            path.display()
        );
    }
}

#[test]
fn crds_are_acceptable_to_a_real_apiserver() {
    for (kind, crd) in committed_crds() {
        let (problems, rules) = check_crd(&crd);
        assert!(problems.is_empty(), "{kind}: {problems:#?}");
        assert!(rules > 0, "{kind} has CEL rules");
        let version = &crd.spec.versions[0];
        assert!(
            version
                .subresources
                .as_ref()
                .is_some_and(|s| s.status.is_some()),
            "{kind} has a status subresource"
        );
        assert_eq!(
            crd.spec.names.categories.as_deref(),
            Some(&["azureml".to_owned()][..])
        );
        assert_eq!(crd.spec.scope, "Namespaced");
        let columns: Vec<&str> = version
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| c.name.as_str())
            .collect();
        assert!(
            columns.starts_with(&["Ready", "Reason"]),
            "{kind}: {columns:?}"
        );
        assert!(
            columns.ends_with(&["Age", "Message"]),
            "{kind}: {columns:?}"
        );
        let message = version
            .additional_printer_columns
            .iter()
            .flatten()
            .find(|c| c.name == "Message");
        assert_eq!(
            message.and_then(|c| c.priority),
            Some(1),
            "{kind}: Message only with -o wide"
        );
    }
}

fn admit_dir(dir: &str) -> usize {
    let crds = committed_crds();
    let mut admitted = 0;
    for path in yaml_files(&repo_root().join(dir)) {
        let fixture = load_fixture(&path);
        let kind = kind_of(&fixture.object);
        if kind == "Namespace" {
            continue;
        }
        let crd = crds
            .get(kind)
            .unwrap_or_else(|| panic!("{}: unknown kind {kind}", path.display()));
        if let Err(errors) = admit(crd, &fixture.object, None) {
            panic!("{} rejected: {errors:#?}", path.display());
        }
        // and it parses into the Rust types the controller uses
        let parsed = match kind {
            "Workspace" => {
                serde_json::from_value::<api::Workspace>(fixture.object.clone()).map(|_| ())
            }
            "OnlineEndpoint" => {
                serde_json::from_value::<api::OnlineEndpoint>(fixture.object.clone()).map(|_| ())
            }
            "OnlineDeployment" => {
                serde_json::from_value::<api::OnlineDeployment>(fixture.object.clone()).map(|_| ())
            }
            other => panic!("unexpected kind {other}"),
        };
        parsed.unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
        admitted += 1;
    }
    admitted
}

#[test]
fn seed_example_is_admitted() {
    assert_eq!(admit_dir("examples/seed"), 3);
}

#[test]
fn blue_green_example_is_admitted() {
    assert_eq!(admit_dir("examples/blue-green"), 4);
    assert_eq!(admit_dir("examples/blue-green/stages"), 2);
}

#[test]
fn seed_example_says_what_the_article_says() {
    let text =
        std::fs::read_to_string(repo_root().join("examples/seed/deployment.yaml")).expect("read");
    let dep: api::OnlineDeployment = serde_saphyr::from_str(&text).expect("parse");
    assert_eq!(dep.spec.azure_name.as_deref(), Some("default"));
    assert_eq!(dep.spec.model, "azureml:california-housing-prices:1");
    assert_eq!(dep.spec.environment, "azureml:california-housing-env:1");
    assert_eq!(dep.spec.instance_type, "Standard_F2s_v2");
    assert_eq!(dep.spec.instance_count, 1);
    assert_eq!(
        dep.spec.egress_public_network_access,
        Some(api::PublicNetworkAccess::Disabled)
    );
    let text =
        std::fs::read_to_string(repo_root().join("examples/seed/endpoint.yaml")).expect("read");
    let ep: api::OnlineEndpoint = serde_saphyr::from_str(&text).expect("parse");
    assert_eq!(
        ep.metadata.name.as_deref(),
        Some("california-housing-service")
    );
    assert_eq!(ep.spec.auth_mode, api::AuthMode::Key);
    assert_eq!(
        ep.spec.public_network_access,
        api::PublicNetworkAccess::Disabled
    );
}

#[test]
fn invalid_fixtures_are_rejected_naming_the_field() {
    let crds = committed_crds();
    let files = yaml_files(&repo_root().join("tests/fixtures/invalid"));
    assert!(
        files.len() >= 25,
        "at least 25 invalid fixtures, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in files {
        let fixture = load_fixture(&path);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(expect) = fixture.expect.clone() else {
            failures.push(format!("{name}: no `# expect: <field>` line"));
            continue;
        };
        let kind = kind_of(&fixture.object);
        let Some(crd) = crds.get(kind) else {
            failures.push(format!("{name}: unknown kind {kind}"));
            continue;
        };
        if let Some(old) = &fixture.old {
            // Both objects are valid on their own: only the transition is refused.
            for (which, object) in [("old", old), ("new", &fixture.object)] {
                if let Err(errors) = admit(crd, object, None) {
                    failures.push(format!(
                        "{name}: the {which} object must be valid on create, got {errors:?}"
                    ));
                }
            }
        }
        match admit(crd, &fixture.object, fixture.old.as_ref()) {
            Ok(()) => failures.push(format!(
                "{name}: admitted, expected a rejection naming {expect}"
            )),
            Err(errors) => {
                if std::env::var_os("SHOW_REJECTIONS").is_some() {
                    println!("{name}: {errors:?}");
                }
                if !errors.iter().any(|e| e.contains(&expect)) {
                    failures.push(format!("{name}: errors do not name {expect}: {errors:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The same update with the immutable field unchanged is admitted, so the rejections above are
/// about the field and not about the update as such.
#[test]
fn updates_that_keep_immutable_fields_are_admitted() {
    let crds = committed_crds();
    for path in yaml_files(&repo_root().join("tests/fixtures/invalid")) {
        let fixture = load_fixture(&path);
        let Some(old) = &fixture.old else { continue };
        let crd = &crds[kind_of(old)];
        let mut same = old.clone();
        // a change each kind allows
        match kind_of(old) {
            "Workspace" => same["spec"]["deletionPolicy"] = "Orphan".into(),
            "OnlineEndpoint" => same["spec"]["tags"] = serde_json::json!({"changed": "yes"}),
            _ => same["spec"]["instanceCount"] = 3.into(),
        }
        admit(crd, &same, Some(old)).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    }
}
