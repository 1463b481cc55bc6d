//! The kubeconfig an emulator writes: one cluster at its plain-HTTP loopback URL, one user with
//! the bearer token, one context with namespace `default`. kubectl and kube-rs both accept it.

pub(crate) fn render(server: &str, token: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kube-emulator
  cluster:
    server: {server}
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
