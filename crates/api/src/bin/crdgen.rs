//! Writes the CRDs to `crds/<plural>.aml-operator.io.yaml` (or the directory given as the first
//! argument). `--check` compares instead of writing and fails on any difference.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../crds"));
    let mut check = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!(
                    "usage: crdgen [--check] [DIR]   (default DIR: crds/ at the repository root)"
                );
                return ExitCode::SUCCESS;
            }
            other => dir = PathBuf::from(other),
        }
    }
    let mut failed = false;
    for crd in api::crds() {
        let path = dir.join(api::crd_file_name(&crd));
        let yaml = match api::crd_yaml(&crd) {
            Ok(yaml) => yaml,
            Err(err) => {
                eprintln!("failed to serialize {}: {err}", path.display());
                return ExitCode::FAILURE;
            }
        };
        if check {
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current != yaml {
                eprintln!(
                    "{} is out of date: run `cargo run -p api --bin crdgen`",
                    path.display()
                );
                failed = true;
            }
        } else if let Err(err) =
            std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &yaml))
        {
            eprintln!("failed to write {}: {err}", path.display());
            return ExitCode::FAILURE;
        } else {
            println!("wrote {} ({} bytes)", path.display(), yaml.len());
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
