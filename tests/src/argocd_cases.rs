//! Loads the test cases shipped beside each health check, in Argo CD's `health_test.yaml`
//! format (`tests: [{healthStatus: {status, message}, inputPath}]`, paths relative to the
//! kind's directory), with the objects they point at.
//!
//! Invariant: every case names an existing testdata file holding exactly one object, and every
//! file under `testdata/` is used by some case (an unused file is an error, so a scenario cannot
//! be added without saying what Argo CD must show for it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::argocd::{HealthStatus, HealthStatusCode, Kind};

/// One case: an object and what Argo CD must show for it.
#[derive(Clone, Debug)]
pub struct HealthCase {
    /// The kind whose script the case is for.
    pub kind: Kind,
    /// `inputPath` as written in `health_test.yaml`.
    pub input_path: String,
    /// The object.
    pub object: Value,
    /// The expected health.
    pub expected: HealthStatus,
}

/// Why the cases could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("failed to read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is not the YAML it should be.
    #[error("failed to parse {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// A case names a status Argo CD does not have.
    #[error("failed to load {path}: unknown health status {status:?}")]
    UnknownStatus {
        /// The `health_test.yaml`.
        path: PathBuf,
        /// The status written.
        status: String,
    },
    /// A testdata file no case uses.
    #[error("failed to load {dir}: testdata files without a case: {files:?}")]
    Unused {
        /// The kind's directory.
        dir: PathBuf,
        /// The unused files.
        files: Vec<String>,
    },
}

#[derive(Deserialize)]
struct TestFile {
    tests: Vec<TestEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TestEntry {
    health_status: ExpectedHealth,
    input_path: String,
}

#[derive(Deserialize)]
struct ExpectedHealth {
    status: String,
    #[serde(default)]
    message: String,
}

/// `deploy/argocd/` in this checkout.
pub fn argocd_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/argocd")
}

/// The cases of one kind, in file order.
///
/// # Errors
/// See [`Error`].
pub fn load_cases(kind: Kind) -> Result<Vec<HealthCase>, Error> {
    let dir = argocd_dir().join(kind.customization_dir());
    let test_path = dir.join("health_test.yaml");
    let file: TestFile = parse(&test_path)?;

    let mut used = BTreeSet::new();
    let mut cases = Vec::with_capacity(file.tests.len());
    for entry in file.tests {
        let status = HealthStatusCode::parse(&entry.health_status.status).ok_or_else(|| {
            Error::UnknownStatus {
                path: test_path.clone(),
                status: entry.health_status.status.clone(),
            }
        })?;
        let object: Value = parse(&dir.join(&entry.input_path))?;
        used.insert(entry.input_path.clone());
        cases.push(HealthCase {
            kind,
            input_path: entry.input_path,
            object,
            expected: HealthStatus {
                status,
                message: entry.health_status.message,
            },
        });
    }

    let testdata = dir.join("testdata");
    let listing = std::fs::read_dir(&testdata).map_err(|source| Error::Read {
        path: testdata.clone(),
        source,
    })?;
    let mut unused = Vec::new();
    for entry in listing {
        let entry = entry.map_err(|source| Error::Read {
            path: testdata.clone(),
            source,
        })?;
        let relative = format!("testdata/{}", entry.file_name().to_string_lossy());
        if !used.contains(&relative) {
            unused.push(relative);
        }
    }
    if !unused.is_empty() {
        unused.sort();
        return Err(Error::Unused { dir, files: unused });
    }
    Ok(cases)
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_saphyr::from_str(&text).map_err(|source| Error::Parse {
        path: path.to_owned(),
        source: Box::new(source),
    })
}
