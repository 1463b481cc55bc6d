//! TLS material: a fresh CA and a server certificate for `127.0.0.1`, `::1` and `localhost`,
//! generated with rcgen at every start. The CA PEM is written to a file so clients (reqwest,
//! azure_identity via `SSL_CERT_FILE` or an injected client) can trust it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::Error;

/// Generated certificates and the file holding the CA.
pub(crate) struct TlsMaterial {
    pub ca_pem: String,
    pub ca_path: PathBuf,
    pub server_config: Arc<rustls::ServerConfig>,
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|source| Error::WriteFile {
        path: path.to_path_buf(),
        source,
    })
}

/// Generate a CA and a server certificate; write `ca.pem` (and `server.pem`) into `dir`.
pub(crate) fn generate(dir: &Path) -> Result<TlsMaterial, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::WriteFile {
        path: dir.to_path_buf(),
        source,
    })?;
    let ca_key = KeyPair::generate().map_err(Error::CertificateGeneration)?;
    let mut ca_params =
        CertificateParams::new(Vec::<String>::new()).map_err(Error::CertificateGeneration)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "arm-emulator test CA");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "aml-operator");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(Error::CertificateGeneration)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().map_err(Error::CertificateGeneration)?;
    let mut server_params = CertificateParams::new(vec![
        "127.0.0.1".to_string(),
        "::1".to_string(),
        "localhost".to_string(),
    ])
    .map_err(Error::CertificateGeneration)?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "arm-emulator");
    server_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server_params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params
        .signed_by(&server_key, &issuer)
        .map_err(Error::CertificateGeneration)?;

    let ca_pem = ca_cert.pem();
    let ca_path = dir.join("ca.pem");
    write(&ca_path, &ca_pem)?;
    write(&dir.join("server.pem"), &server_cert.pem())?;

    let chain = vec![
        CertificateDer::from(server_cert.der().to_vec()),
        CertificateDer::from(ca_cert.der().to_vec()),
    ];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(Error::TlsConfig)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(Error::TlsConfig)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        ca_pem,
        ca_path,
        server_config: Arc::new(config),
    })
}
