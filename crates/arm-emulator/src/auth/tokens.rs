//! Principals and issued access tokens.
//!
//! Tokens look like Entra ID's (a three-part JWT with `aud`, `iss`, `appid`, `oid`, `tid`,
//! `exp`) so clients that peek into them work, but validity is decided by lookup: the emulator
//! remembers what it issued. Expired tokens are purged as new ones are issued.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

use crate::seed::PrincipalSeed;
use crate::wire::ArmError;
use crate::wire::path::within_scope;

/// A principal that may call ARM.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Principal {
    pub tenant_id: String,
    pub client_id: String,
    pub object_id: String,
    pub secret: Option<String>,
    pub federated_assertion_accepted: bool,
    pub federated_assertion: Option<String>,
    pub federated_credentials: Vec<crate::seed::FederatedCredentialSeed>,
    pub scopes: Vec<String>,
    pub read_only_scopes: Vec<String>,
    pub not_actions: Vec<String>,
}

/// Does an Azure RBAC action pattern (`*` matches any run of characters) match `action`?
/// Compared without regard to case, as Azure compares operation names.
fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return false;
    };
    let Some(mut rest) = action.strip_prefix(first) else {
        return false;
    };
    let tail: Vec<&str> = parts.collect();
    let Some((last, middle)) = tail.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl Principal {
    pub fn from_seed(seed: &PrincipalSeed) -> Self {
        Self {
            tenant_id: seed.tenant_id.clone(),
            client_id: seed.client_id.clone(),
            object_id: seed
                .object_id
                .clone()
                .unwrap_or_else(|| derived_object_id(&seed.client_id)),
            secret: seed.secret.clone(),
            federated_assertion_accepted: seed.federated_assertion_accepted,
            federated_assertion: seed.federated_assertion.clone(),
            federated_credentials: seed.federated_credentials.clone(),
            scopes: seed.scopes.clone(),
            read_only_scopes: seed.read_only_scopes.clone(),
            not_actions: seed.not_actions.clone(),
        }
    }

    /// May this principal perform `action` (e.g.
    /// `Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action`)
    /// on `scope`? A write scope stands for a Contributor-like role (every action), less the
    /// principal's `notActions`; a read-only scope grants no action.
    pub fn may_perform(&self, action: &str, scope: &str) -> bool {
        self.scopes.iter().any(|s| within_scope(scope, s))
            && !self.not_actions.iter().any(|p| action_matches(p, action))
    }

    /// May this principal do `write` (or read when `write` is false) on `id`?
    pub fn may(&self, id: &str, write: bool) -> bool {
        self.scopes.iter().any(|s| within_scope(id, s))
            || (!write && self.read_only_scopes.iter().any(|s| within_scope(id, s)))
    }

    /// 403 `AuthorizationFailed` in ARM's words.
    pub fn forbidden(&self, action: &str, scope: &str) -> ArmError {
        ArmError::new(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            format!(
                "The client '{}' with object id '{}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
                self.client_id, self.object_id
            ),
        )
    }
}

/// A stable object id for a client id, so journal lines and 403 messages are reproducible.
fn derived_object_id(client_id: &str) -> String {
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in client_id.bytes() {
        hash ^= u128::from(b);
        hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013B);
    }
    uuid::Uuid::from_u128(hash).to_string()
}

#[derive(Debug, Clone)]
struct Issued {
    client_id: String,
    expires: Instant,
}

/// Principals and the tokens issued to them.
#[derive(Debug, Default)]
pub(crate) struct Auth {
    principals: RwLock<HashMap<String, Arc<Principal>>>,
    tokens: Mutex<HashMap<String, Issued>>,
}

impl Auth {
    pub fn add_principal(&self, principal: Principal) {
        if let Ok(mut p) = self.principals.write() {
            p.insert(
                principal.client_id.to_ascii_lowercase(),
                Arc::new(principal),
            );
        }
    }

    pub fn principal(&self, client_id: &str) -> Option<Arc<Principal>> {
        self.principals
            .read()
            .ok()?
            .get(&client_id.to_ascii_lowercase())
            .cloned()
    }

    /// Issue a token for `client_id` valid for `lifetime` (whether or not the principal exists:
    /// an unknown principal's token is refused when used).
    pub fn issue(&self, client_id: &str, tenant_id: &str, lifetime: Duration) -> String {
        let now_unix = jiff::Timestamp::now().as_second();
        let lifetime_secs = i64::try_from(lifetime.as_secs()).unwrap_or(3599);
        let object_id = self
            .principal(client_id)
            .map(|p| p.object_id.clone())
            .unwrap_or_else(|| derived_object_id(client_id));
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": "arm-emulator"});
        let claims = json!({
            "aud": "https://management.azure.com",
            "iss": format!("https://sts.windows.net/{tenant_id}/"),
            "iat": now_unix,
            "nbf": now_unix,
            "exp": now_unix + lifetime_secs,
            "appid": client_id,
            "azp": client_id,
            "oid": object_id,
            "sub": object_id,
            "tid": tenant_id,
            "idtyp": "app",
            "ver": "1.0",
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        let signature: [u8; 32] = rand::random();
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(signature)
        );
        let now = Instant::now();
        if let Ok(mut tokens) = self.tokens.lock() {
            if tokens.len() > 10_000 {
                tokens.retain(|_, t| t.expires > now);
            }
            tokens.insert(
                token.clone(),
                Issued {
                    client_id: client_id.to_string(),
                    expires: now + lifetime,
                },
            );
        }
        token
    }

    /// The principal behind an `Authorization` header value, or ARM's 401.
    pub fn authenticate(
        &self,
        authorization: Option<&str>,
        authority: &str,
    ) -> Result<Arc<Principal>, ArmError> {
        let challenge = format!(
            "Bearer authorization_uri=\"{authority}/common\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header.\""
        );
        let unauthorized = |code: &str, message: &str| {
            ArmError::new(StatusCode::UNAUTHORIZED, code, message)
                .with_header("www-authenticate", challenge.clone())
        };
        let Some(value) = authorization else {
            return Err(unauthorized(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            ));
        };
        let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return Err(unauthorized(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
            ));
        };
        let issued = self
            .tokens
            .lock()
            .ok()
            .and_then(|t| t.get(token.trim()).cloned());
        let Some(issued) = issued else {
            return Err(unauthorized(
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            ));
        };
        if issued.expires <= Instant::now() {
            return Err(unauthorized(
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
            ));
        }
        self.principal(&issued.client_id).ok_or_else(|| {
            unauthorized(
                "InvalidAuthenticationTokenTenant",
                "The access token is from a principal the emulator does not know.",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal::from_seed(&PrincipalSeed {
            tenant_id: "t".into(),
            client_id: "c".into(),
            scopes: vec!["/subscriptions/s/resourceGroups/rg".into()],
            read_only_scopes: vec!["/subscriptions/s/resourceGroups/net".into()],
            ..PrincipalSeed::default()
        })
    }

    #[test]
    fn issued_tokens_authenticate_and_expire() {
        let auth = Auth::default();
        auth.add_principal(principal());
        let token = auth.issue("c", "t", Duration::from_secs(60));
        let p = auth
            .authenticate(Some(&format!("Bearer {token}")), "https://x")
            .unwrap();
        assert_eq!(p.client_id, "c");
        assert_eq!(
            auth.authenticate(None, "https://x").unwrap_err().code,
            "AuthenticationFailed"
        );
        assert_eq!(
            auth.authenticate(Some("Bearer nope"), "https://x")
                .unwrap_err()
                .code,
            "InvalidAuthenticationToken"
        );
        let expired = auth.issue("c", "t", Duration::ZERO);
        assert_eq!(
            auth.authenticate(Some(&format!("Bearer {expired}")), "https://x")
                .unwrap_err()
                .code,
            "ExpiredAuthenticationToken"
        );
        let stranger = auth.issue("who", "t", Duration::from_secs(60));
        assert_eq!(
            auth.authenticate(Some(&format!("Bearer {stranger}")), "https://x")
                .unwrap_err()
                .status,
            StatusCode::UNAUTHORIZED
        );
    }

    #[test]
    fn actions_and_not_actions() {
        let mut p = principal();
        let approve = "Microsoft.MachineLearningServices/workspaces/privateEndpointConnectionsApproval/action";
        let ws = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w";
        assert!(p.may_perform(approve, ws));
        assert!(!p.may_perform(approve, "/subscriptions/s/resourceGroups/net/providers/x"));
        p.not_actions = vec![approve.to_ascii_lowercase()];
        assert!(!p.may_perform(approve, ws));
        p.not_actions =
            vec!["Microsoft.MachineLearningServices/*/privateEndpointConnectionsApproval/*".into()];
        assert!(!p.may_perform(approve, ws));
        assert!(p.may_perform("Microsoft.MachineLearningServices/workspaces/write", ws));
        assert!(action_matches("*", approve));
        assert!(!action_matches("Microsoft.Network/*", approve));
        assert!(action_matches(
            "microsoft.machinelearningservices/workspaces/*/action",
            approve
        ));
    }

    #[test]
    fn scopes() {
        let p = principal();
        assert!(p.may("/subscriptions/s/resourceGroups/RG/providers/x/y/z", true));
        assert!(!p.may("/subscriptions/s/resourceGroups/rg2", false));
        assert!(p.may("/subscriptions/s/resourceGroups/net/providers/a/b/c", false));
        assert!(!p.may("/subscriptions/s/resourceGroups/net/providers/a/b/c", true));
    }
}
