//! The kubeconfig an emulator writes: one cluster at its loopback URL (with the CA for HTTPS),
//! one user with the bearer token, one context with namespace `default`. kubectl and kube-rs
//! both accept it.

pub(crate) fn render(server: &str, token: &str, ca_pem: Option<&str>) -> String {
    use base64::Engine as _;
    let ca = ca_pem
        .map(|pem| {
            format!(
                "    certificate-authority-data: {}\n",
                base64::engine::general_purpose::STANDARD.encode(pem)
            )
        })
        .unwrap_or_default();
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kube-emulator
  cluster:
{ca}    server: {server}
contexts:
- name: kube-emulator
  context:
    cluster: kube-emulator
    namespace: default
    user: kube-emulator
current-context: kube-emulator
preferences: {{}}
users:
- name: kube-emulator
  user:
    token: {token}
"
    )
}
