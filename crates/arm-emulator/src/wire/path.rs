//! ARM paths and resource ids.
//!
//! ARM matches the fixed words of a path (`resourceGroups`, provider namespaces, resource types,
//! actions) case-insensitively but keeps the case of names. [`canonicalize`] rewrites only the
//! fixed positions of a path to their canonical spelling so the router can match exactly; names
//! are never touched. Store keys are lower-cased ids ([`key`]), because ids are
//! case-insensitive too.

/// Canonical spellings of every fixed word the emulator routes on.
const WORDS: &[&str] = &[
    "subscriptions",
    "resourceGroups",
    "providers",
    "Microsoft.MachineLearningServices",
    "Microsoft.Network",
    "Microsoft.Storage",
    "Microsoft.KeyVault",
    "Microsoft.ContainerRegistry",
    "Microsoft.Insights",
    "autoscalesettings",
    "storageAccounts",
    "vaults",
    "registries",
    "components",
    "workspaces",
    "onlineEndpoints",
    "deployments",
    "privateEndpointConnections",
    "privateLinkResources",
    "provisionManagedNetwork",
    "listKeys",
    "regenerateKeys",
    "token",
    "getLogs",
    "skus",
    "privateEndpoints",
    "privateDnsZoneGroups",
    "privateDnsZones",
    "virtualNetworkLinks",
    "virtualNetworks",
    "subnets",
    "locations",
    "mfeOperationsStatus",
    "mfeOperationResults",
    "workspaceOperationsStatus",
    "workspaceOperationResults",
    "operations",
    "operationResults",
    "privateDnsOperationStatuses",
    "privateDnsOperationResults",
    "A",
    "ALL",
];

fn canonical_word(segment: &str) -> Option<&'static str> {
    WORDS
        .iter()
        .copied()
        .find(|w| w.eq_ignore_ascii_case(segment))
}

/// Rewrite the fixed-position words of an ARM path to canonical case.
///
/// Positions: `subscriptions` (0), `resourceGroups`/`providers` (2), `providers` (4), and after a
/// `providers` segment the namespace followed by alternating type/name segments, where the type
/// positions (and trailing actions) are canonicalised. Unknown words are left as sent.
pub(crate) fn canonicalize(path: &str) -> String {
    if !path.starts_with('/') {
        return path.to_string();
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    let mut out: Vec<String> = Vec::with_capacity(segments.len());
    let mut providers_at: Option<usize> = None;
    for (i, seg) in segments.iter().enumerate() {
        let fixed = match providers_at {
            None => {
                let is_fixed = i == 0
                    || (i == 2 && out.first().is_some_and(|s| s == "subscriptions"))
                    || (i == 4 && out.get(2).is_some_and(|s| s == "resourceGroups"));
                if is_fixed && seg.eq_ignore_ascii_case("providers") {
                    providers_at = Some(i);
                }
                is_fixed
            }
            // namespace at p+1, types at p+2, p+4, ... (names at odd offsets)
            Some(p) => i == p + 1 || (i >= p + 2 && (i - p) % 2 == 0),
        };
        match (fixed, canonical_word(seg)) {
            (true, Some(word)) => out.push(word.to_string()),
            _ => out.push((*seg).to_string()),
        }
    }
    format!("/{}", out.join("/"))
}

/// The store key of an id: lower-cased, without a trailing slash.
pub(crate) fn key(id: &str) -> String {
    id.trim_end_matches('/').to_ascii_lowercase()
}

/// The id of the parent resource (`…/a/b/c/d` → `…/a/b`), or `None` for a subscription.
pub(crate) fn parent(id: &str) -> Option<String> {
    let trimmed = id.trim_end_matches('/');
    let segments: Vec<&str> = trimmed.split('/').collect();
    // ["", "subscriptions", sub, "resourceGroups", rg, "providers", ns, type, name, ...]
    if segments.len() <= 3 {
        return None;
    }
    if segments.len() == 5 {
        return Some(segments[..3].join("/"));
    }
    if segments.len() == 9 {
        return Some(segments[..5].join("/"));
    }
    Some(segments[..segments.len() - 2].join("/"))
}

/// The last segment of an id.
pub(crate) fn name_of(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// `Microsoft.Ns/type/subtype` of an id (ARM's `type` property).
pub(crate) fn resource_type_of(id: &str) -> String {
    let segments: Vec<&str> = id.trim_end_matches('/').split('/').collect();
    let Some(p) = segments
        .iter()
        .rposition(|s| s.eq_ignore_ascii_case("providers"))
    else {
        return if segments.len() <= 3 {
            "Microsoft.Resources/subscriptions".to_string()
        } else {
            "Microsoft.Resources/resourceGroups".to_string()
        };
    };
    let mut parts = vec![segments.get(p + 1).copied().unwrap_or("").to_string()];
    let mut i = p + 2;
    while i < segments.len() {
        parts.push(segments[i].to_string());
        i += 2;
    }
    parts.join("/")
}

/// The subscription id inside an id or path.
pub(crate) fn subscription_of(id: &str) -> Option<&str> {
    let mut it = id
        .split('/')
        .skip_while(|s| !s.eq_ignore_ascii_case("subscriptions"));
    it.next()?;
    it.next().filter(|s| !s.is_empty())
}

/// The resource group name inside an id or path.
pub(crate) fn resource_group_of(id: &str) -> Option<&str> {
    let mut it = id
        .split('/')
        .skip_while(|s| !s.eq_ignore_ascii_case("resourceGroups"));
    it.next()?;
    it.next().filter(|s| !s.is_empty())
}

/// Is `id` equal to `scope` or below it (segment-wise, case-insensitive)?
pub(crate) fn within_scope(id: &str, scope: &str) -> bool {
    let scope = scope.trim_end_matches('/');
    if scope.is_empty() {
        return true;
    }
    let id_l = id.to_ascii_lowercase();
    let scope_l = scope.to_ascii_lowercase();
    id_l == scope_l
        || (id_l.starts_with(&scope_l) && id_l.as_bytes().get(scope_l.len()) == Some(&b'/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalizes_fixed_words_only() {
        let p = "/SUBSCRIPTIONS/s/resourcegroups/Rg/PROVIDERS/microsoft.machinelearningservices/WORKSPACES/Token/onlineendpoints/Skus/LISTKEYS";
        assert_eq!(
            canonicalize(p),
            "/subscriptions/s/resourceGroups/Rg/providers/Microsoft.MachineLearningServices/workspaces/Token/onlineEndpoints/Skus/listKeys"
        );
        assert_eq!(
            canonicalize(
                "/subscriptions/s/PROVIDERS/microsoft.network/LOCATIONS/westeurope/operations/x"
            ),
            "/subscriptions/s/providers/Microsoft.Network/locations/westeurope/operations/x"
        );
        assert_eq!(
            canonicalize("/tenant/oauth2/v2.0/token"),
            "/tenant/oauth2/v2.0/token"
        );
    }

    #[test]
    fn id_parts() {
        let id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w/onlineEndpoints/e";
        assert_eq!(
            parent(id).unwrap(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"
        );
        assert_eq!(
            parent(&parent(id).unwrap()).unwrap(),
            "/subscriptions/s/resourceGroups/rg"
        );
        assert_eq!(
            parent("/subscriptions/s/resourceGroups/rg").unwrap(),
            "/subscriptions/s"
        );
        assert_eq!(
            resource_type_of(id),
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints"
        );
        assert_eq!(name_of(id), "e");
        assert_eq!(subscription_of(id), Some("s"));
        assert_eq!(resource_group_of(id), Some("rg"));
        assert!(within_scope(id, "/subscriptions/S/resourcegroups/RG"));
        assert!(!within_scope(id, "/subscriptions/s/resourceGroups/r"));
        assert!(within_scope(id, "/"));
    }
}
