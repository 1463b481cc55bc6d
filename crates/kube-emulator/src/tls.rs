//! TLS for the emulator's optional HTTPS mode: a CA and a server certificate for `127.0.0.1`,
//! `::1` and `localhost`, generated at every start with rcgen (aws-lc-rs provider, HTTP/1.1 via
//! ALPN). The CA goes into the kubeconfig as `certificate-authority-data`, so kubectl and kube-rs
//! verify the server — and, unlike over plain HTTP, kubectl then sends the bearer token.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::Error;

/// A CA (PEM, for clients) and the server configuration signed by it.
pub(crate) struct Certificates {
    pub ca_pem: String,
    pub server: Arc<rustls::ServerConfig>,
}

pub(crate) fn generate() -> Result<Certificates, Error> {
    let ca_key = KeyPair::generate().map_err(Error::Certificate)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(Error::Certificate)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "kube-emulator CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca.self_signed(&ca_key).map_err(Error::Certificate)?;
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate().map_err(Error::Certificate)?;
    let mut leaf = CertificateParams::new(vec![
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
        "localhost".to_owned(),
    ])
    .map_err(Error::Certificate)?;
    leaf.distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf.signed_by(&key, &issuer).map_err(Error::Certificate)?;

    let chain = vec![
        CertificateDer::from(leaf_cert.der().to_vec()),
        CertificateDer::from(ca_cert.der().to_vec()),
    ];
    let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(Error::Tls)?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(Error::Tls)?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Certificates {
        ca_pem: ca_cert.pem(),
        server: Arc::new(server),
    })
}
