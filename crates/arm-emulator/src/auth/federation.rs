//! Workload identity federation as Entra ID decides it (Microsoft Learn, "Workload identity
//! federation" and "Configure an app to trust an external identity provider"): a client
//! assertion from an external identity provider (a Kubernetes ServiceAccount token) is exchanged
//! only when its issuer (`iss`), subject (`sub`) and audience (`aud`) match one of the federated
//! identity credentials on the app registration or managed identity — issuer and subject
//! exactly, the audience being one of the credential's audiences (`api://AzureADTokenExchange`
//! by default). An expired assertion is refused too.
//!
//! Entra ID also verifies the assertion's signature against the issuer's published keys (OIDC
//! discovery + JWKS). The emulator does not: it decodes the JWT payload without verifying any
//! signature, so it checks the same claims but trusts anyone who can forge them — a stand-in
//! for tests, never a security boundary.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::seed::FederatedCredentialSeed;

/// The audience Entra ID expects by default in federated tokens.
pub(crate) const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";

/// Why an assertion was refused, as Entra ID's AADSTS code and description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub code: u32,
    pub error: &'static str,
    pub description: String,
}

/// The claims an exchange is decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Claims {
    issuer: String,
    subject: String,
    audiences: Vec<String>,
    expires: Option<i64>,
}

/// Decodes a JWT's payload (its middle part); no signature check (see the module docs).
fn claims(assertion: &str) -> Option<Claims> {
    let mut parts = assertion.trim().split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let json: Value = serde_json::from_slice(&bytes).ok()?;
    let text = |k: &str| json.get(k).and_then(Value::as_str).map(str::to_owned);
    let audiences = match json.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Some(Claims {
        issuer: text("iss")?,
        subject: text("sub")?,
        audiences,
        expires: json.get("exp").and_then(Value::as_i64),
    })
}

/// Accepts `assertion` when it matches one of `credentials` and has not expired at `now`
/// (Unix seconds).
///
/// # Errors
/// AADSTS50027 for an assertion that is not a JWT with `iss` and `sub`, AADSTS700024 for an
/// expired one, AADSTS70021 when no federated credential matches (naming the assertion's
/// issuer, subject and audience, as Entra ID does).
pub(crate) fn check(
    credentials: &[FederatedCredentialSeed],
    assertion: &str,
    now: i64,
) -> Result<(), Refusal> {
    let Some(claims) = claims(assertion) else {
        return Err(Refusal {
            code: 50_027,
            error: "invalid_request",
            description: "JWT token is invalid or malformed.".into(),
        });
    };
    if claims.expires.is_some_and(|exp| exp <= now) {
        return Err(Refusal {
            code: 700_024,
            error: "invalid_client",
            description: "Client assertion is not within its valid time range.".into(),
        });
    }
    let matches = |c: &FederatedCredentialSeed| {
        let audience_ok = if c.audiences.is_empty() {
            claims
                .audiences
                .iter()
                .any(|a| a == TOKEN_EXCHANGE_AUDIENCE)
        } else {
            claims.audiences.iter().any(|a| c.audiences.contains(a))
        };
        c.issuer == claims.issuer && c.subject == claims.subject && audience_ok
    };
    if credentials.iter().any(matches) {
        return Ok(());
    }
    Err(Refusal {
        code: 70_021,
        error: "invalid_request",
        description: format!(
            "No matching federated identity record found for presented assertion. Assertion Issuer: '{}'. Assertion Subject: '{}'. Assertion Audience: '{}'.",
            claims.issuer,
            claims.subject,
            claims.audiences.join(",")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

    fn token(claims: &Value) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    fn trust(subject: &str) -> Vec<FederatedCredentialSeed> {
        vec![FederatedCredentialSeed {
            issuer: ISSUER.into(),
            subject: subject.into(),
            audiences: vec![TOKEN_EXCHANGE_AUDIENCE.into()],
        }]
    }

    #[test]
    fn issuer_subject_and_audience_must_all_match() {
        let a = "system:serviceaccount:team-a:runner";
        let good = json!({"iss": ISSUER, "sub": a, "aud": [TOKEN_EXCHANGE_AUDIENCE], "exp": 2000});
        assert_eq!(check(&trust(a), &token(&good), 1000), Ok(()));
        let mut single_aud = good.clone();
        single_aud["aud"] = json!(TOKEN_EXCHANGE_AUDIENCE);
        assert_eq!(check(&trust(a), &token(&single_aud), 1000), Ok(()));

        for (field, value) in [
            ("sub", json!("system:serviceaccount:team-b:runner")),
            ("iss", json!("https://other.example")),
            ("aud", json!(["https://kubernetes.default.svc"])),
        ] {
            let mut bad = good.clone();
            bad[field] = value;
            let refusal = check(&trust(a), &token(&bad), 1000).expect_err(field);
            assert_eq!(refusal.code, 70_021, "{field}");
            assert!(
                refusal.description.contains("Assertion Subject"),
                "{refusal:?}"
            );
        }
        let expired = check(&trust(a), &token(&good), 2000).expect_err("expired");
        assert_eq!(expired.code, 700_024);
        let malformed = check(&trust(a), "not-a-jwt", 1000).expect_err("malformed");
        assert_eq!(malformed.code, 50_027);
        // No audience listed on the credential: api://AzureADTokenExchange.
        let default_audience = vec![FederatedCredentialSeed {
            audiences: Vec::new(),
            ..trust(a)[0].clone()
        }];
        assert_eq!(check(&default_audience, &token(&good), 1000), Ok(()));
    }
}
