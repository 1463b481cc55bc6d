//! Black-box checks with the machine's `kubectl` (v1.32) against the emulator binary's library:
//! client-side and server-side apply of the project's CRDs and examples, `get` with printer
//! columns, `get -o yaml`, `wait --for=condition=Ready` after a status patch, `delete` waiting
//! on a finalizer, and every manifest in `tests/fixtures/invalid/` rejected with its field named.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kube_emulator::{KubeEmulator, KubeEmulatorConfig};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Kubectl {
    kubeconfig: PathBuf,
    cache: tempfile::TempDir,
}

impl Kubectl {
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("kubectl");
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBECACHEDIR", self.cache.path())
            .current_dir(repo_root())
            .stdin(Stdio::null());
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("kubectl runs")
    }

    /// Runs and insists on success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs and insists on failure; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

async fn start() -> (KubeEmulator, Kubectl) {
    let emulator = KubeEmulator::start(KubeEmulatorConfig::default())
        .await
        .unwrap();
    let kubectl = Kubectl {
        kubeconfig: emulator.kubeconfig_path().to_owned(),
        cache: tempfile::tempdir().unwrap(),
    };
    (emulator, kubectl)
}

/// Runs a blocking kubectl scenario against a fresh emulator, then shuts it down.
async fn scenario(body: impl FnOnce(Kubectl) + Send + 'static) {
    let (emulator, k) = start().await;
    tokio::task::spawn_blocking(move || body(k)).await.unwrap();
    emulator.shutdown().await;
}

/// Client-side apply of the CRDs and the seed example; printer columns in `get` (Message only
/// with `-o wide`); `get -o yaml` shows schema defaults; a status patch makes
/// `wait --for=condition=Ready` succeed.
#[tokio::test(flavor = "multi_thread")]
async fn apply_get_and_wait_on_the_seed_example() {
    scenario(|k| {
        assert!(k.ok(&["apply", "-f", "crds/"]).contains("customresourcedefinition.apiextensions.k8s.io/onlineendpoints.aml-operator.io created"));
        k.ok(&["wait", "--for=condition=Established", "crd/onlineendpoints.aml-operator.io", "--timeout=10s"]);
        k.ok(&["apply", "-f", "examples/seed/namespace.yaml"]);
        let applied = k.ok(&["apply", "-f", "examples/seed/"]);
        assert!(applied.contains("onlineendpoint.aml-operator.io/california-housing-service created"), "{applied}");
        let again = k.ok(&["apply", "-f", "examples/seed/"]);
        assert!(again.contains("onlineendpoint.aml-operator.io/california-housing-service unchanged"), "{again}");
        let table = k.ok(&["get", "amlep", "-n", "ml-prod"]);
        let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
        assert_eq!(header, ["NAME", "READY", "REASON", "NETWORKISOLATED", "SCORINGURI", "AGE"]);
        assert!(table.contains("california-housing-service"));
        let wide = k.ok(&["get", "onlineendpoints", "-n", "ml-prod", "-o", "wide"]);
        assert!(wide.lines().next().unwrap().contains("MESSAGE"));
        let yaml = k.ok(&["get", "amlep", "california-housing-service", "-n", "ml-prod", "-o", "yaml"]);
        assert!(yaml.contains("deletionPolicy: Delete"), "{yaml}");
        assert!(yaml.contains("generation: 1"));
        let status = r#"{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Succeeded","message":"ok","lastTransitionTime":"2026-01-01T00:00:00Z"}],"scoringUri":"https://scoring.example"}}"#;
        k.ok(&["patch", "amlep", "california-housing-service", "-n", "ml-prod", "--subresource=status", "--type=merge", "-p", status]);
        k.ok(&["wait", "--for=condition=Ready", "amlep/california-housing-service", "-n", "ml-prod", "--timeout=10s"]);
        let ready = k.ok(&["get", "amlep", "-n", "ml-prod"]);
        assert!(ready.contains("True") && ready.contains("Succeeded") && ready.contains("https://scoring.example"), "{ready}");
    })
    .await;
}

/// Server-side apply of the CRDs and the blue-green example, then a later stage of it.
#[tokio::test(flavor = "multi_thread")]
async fn server_side_apply_of_the_blue_green_example() {
    scenario(|k| {
        k.ok(&["apply", "--server-side", "-f", "crds/"]);
        k.ok(&[
            "apply",
            "--server-side",
            "-f",
            "examples/blue-green/namespace.yaml",
        ]);
        let out = k.ok(&["apply", "--server-side", "-f", "examples/blue-green/"]);
        assert!(out.contains("serverside-applied"), "{out}");
        k.ok(&[
            "apply",
            "--server-side",
            "-f",
            "examples/blue-green/stages/1-mirror.yaml",
        ]);
        let managed = k.ok(&["get", "amlep", "-A", "-o", "yaml", "--show-managed-fields"]);
        assert!(managed.contains("manager: kubectl"), "{managed}");
        assert!(managed.contains("operation: Apply"), "{managed}");
    })
    .await;
}

/// `kubectl delete` waits while a finalizer holds the object and returns once it is removed.
#[tokio::test(flavor = "multi_thread")]
async fn delete_waits_on_a_finalizer() {
    scenario(|k| {
        k.ok(&["apply", "-f", "crds/"]);
        k.ok(&["apply", "-f", "examples/seed/namespace.yaml"]);
        k.ok(&["apply", "-f", "examples/seed/workspace.yaml"]);
        k.ok(&[
            "patch",
            "amlws",
            "housing",
            "-n",
            "ml-prod",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":["aml-operator.io/cleanup"]}}"#,
        ]);
        let mut deleting = k
            .command(&[
                "delete",
                "amlws",
                "housing",
                "-n",
                "ml-prod",
                "--timeout=60s",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let yaml = k.ok(&["get", "amlws", "housing", "-n", "ml-prod", "-o", "yaml"]);
            if yaml.contains("deletionTimestamp") {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "deletionTimestamp never set"
            );
            std::thread::yield_now();
        }
        assert!(
            deleting.try_wait().unwrap().is_none(),
            "kubectl delete returned while the finalizer was present"
        );
        k.ok(&[
            "patch",
            "amlws",
            "housing",
            "-n",
            "ml-prod",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
        ]);
        let out = deleting.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("deleted"));
        let gone = k.fails(&["get", "amlws", "housing", "-n", "ml-prod"]);
        assert!(
            gone.contains("NotFound") || gone.contains("not found"),
            "{gone}"
        );
    })
    .await;
}

/// Every invalid manifest is rejected and kubectl's message names the field its `# expect:` line
/// gives. Creates are checked with `--dry-run=server`; two-document fixtures apply the first
/// document, then the second as an update.
#[tokio::test(flavor = "multi_thread")]
async fn invalid_manifests_are_rejected_naming_the_field() {
    scenario(|k| {
        k.ok(&["apply", "-f", "crds/"]);
        let dir = repo_root().join("tests/fixtures/invalid");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        assert!(!files.is_empty());
        let work = tempfile::tempdir().unwrap();
        let mut failures = Vec::new();
        for (i, file) in files.iter().enumerate() {
            let text = std::fs::read_to_string(file).unwrap();
            let expect = text
                .lines()
                .find_map(|l| l.strip_prefix("# expect:"))
                .map(|s| s.trim().to_owned())
                .unwrap();
            let ns = format!("fixture-{i}");
            k.ok(&["create", "namespace", &ns]);
            let text = text
                .replace("namespace: \"ml-prod\"", &format!("namespace: \"{ns}\""))
                .replace("namespace: ml-prod", &format!("namespace: {ns}"));
            let docs: Vec<&str> = text.split("\n---\n").collect();
            let stderr = if docs.len() == 2 {
                let first = work.path().join(format!("{i}-old.yaml"));
                let second = work.path().join(format!("{i}-new.yaml"));
                std::fs::write(&first, docs[0]).unwrap();
                std::fs::write(&second, docs[1]).unwrap();
                k.ok(&["apply", "-f", first.to_str().unwrap()]);
                k.fails(&["apply", "-f", second.to_str().unwrap()])
            } else {
                let only = work.path().join(format!("{i}.yaml"));
                std::fs::write(&only, &text).unwrap();
                k.fails(&["create", "--dry-run=server", "-f", only.to_str().unwrap()])
            };
            if !stderr.contains(&expect) {
                failures.push(format!(
                    "{}: expected {expect:?} in {stderr}",
                    file.display()
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    })
    .await;
}

/// `kubectl get -w` prints rows from Table watch events with the CRD's columns, including a
/// change made while it watches.
#[tokio::test(flavor = "multi_thread")]
async fn get_watch_prints_table_rows() {
    use std::io::{BufRead, BufReader};
    scenario(|k| {
        k.ok(&["apply", "-f", "crds/"]);
        k.ok(&["apply", "-f", "examples/seed/namespace.yaml"]);
        k.ok(&["apply", "-f", "examples/seed/endpoint.yaml"]);
        let mut watching = k
            .command(&["get", "amlep", "-n", "ml-prod", "-w"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(watching.stdout.take().unwrap()).lines();
        let header = lines.next().unwrap().unwrap();
        assert!(header.contains("SCORINGURI"), "{header}");
        let first = lines.next().unwrap().unwrap();
        assert!(first.starts_with("california-housing-service"), "{first}");
        k.ok(&[
            "patch",
            "amlep",
            "california-housing-service",
            "-n",
            "ml-prod",
            "--subresource=status",
            "--type=merge",
            "-p",
            r#"{"status":{"scoringUri":"https://watched.example"}}"#,
        ]);
        let changed = lines.next().unwrap().unwrap();
        watching.kill().unwrap();
        let _ = watching.wait();
        assert!(changed.contains("https://watched.example"), "{changed}");
    })
    .await;
}

/// HTTPS mode: the kubeconfig carries the generated CA; kubectl and kube-rs verify the server and
/// send the token; a wrong token is refused (401).
#[tokio::test(flavor = "multi_thread")]
async fn https_mode_verifies_the_server_and_the_token() {
    let emulator = KubeEmulator::start(KubeEmulatorConfig {
        tls: true,
        ..KubeEmulatorConfig::default()
    })
    .await
    .unwrap();
    assert!(emulator.base_url().starts_with("https://127.0.0.1:"));
    let client = emulator.client().await.unwrap();
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client);
    let names: Vec<String> = namespaces
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert!(names.contains(&"default".to_owned()));
    let k = Kubectl {
        kubeconfig: emulator.kubeconfig_path().to_owned(),
        cache: tempfile::tempdir().unwrap(),
    };
    tokio::task::spawn_blocking(move || {
        assert!(k.ok(&["get", "ns", "default"]).contains("Active"));
        let refused = k.fails(&["get", "ns", "--token=wrong"]);
        assert!(refused.contains("Unauthorized"), "{refused}");
    })
    .await
    .unwrap();
    emulator.shutdown().await;
}
