//! ARM ids as strings: the few pieces the network legs need (subscription, resource group, last
//! name, parent), without the `arm` crate (the planner does no I/O and depends only on `api`).
//! ARM compares ids case-insensitively, and so does [`same_id`].

/// The `/`-separated segments of an id, without empty ones.
fn segments(id: &str) -> Vec<&str> {
    id.split('/').filter(|s| !s.is_empty()).collect()
}

/// The subscription of an id: `/subscriptions/<sub>/...`.
pub fn subscription_of(id: &str) -> Option<&str> {
    let s = segments(id);
    (s.len() >= 2 && s[0].eq_ignore_ascii_case("subscriptions")).then(|| s[1])
}

/// The resource group of an id: `/subscriptions/<sub>/resourceGroups/<rg>/...`.
pub fn resource_group_of(id: &str) -> Option<&str> {
    let s = segments(id);
    (s.len() >= 4 && s[2].eq_ignore_ascii_case("resourceGroups")).then(|| s[3])
}

/// The last name of an id (`.../virtualNetworks/vnet-hub` → `vnet-hub`).
pub fn name_of(id: &str) -> &str {
    segments(id).last().copied().unwrap_or_default()
}

/// The parent of a child resource (`.../virtualNetworks/v/subnets/s` → `.../virtualNetworks/v`);
/// `None` for a top-level resource.
pub fn parent_of(id: &str) -> Option<String> {
    let s = segments(id);
    // subscriptions/x/resourceGroups/y/providers/ns/type/name = 8 segments for a top-level one.
    (s.len() >= 10 && s.len().is_multiple_of(2)).then(|| format!("/{}", s[..s.len() - 2].join("/")))
}

/// True when two ids name the same resource (ARM compares case-insensitively).
pub fn same_id(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBNET: &str = "/subscriptions/s/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub/subnets/pe";

    #[test]
    fn pieces_of_an_id() {
        assert_eq!(subscription_of(SUBNET), Some("s"));
        assert_eq!(resource_group_of(SUBNET), Some("rg-net"));
        assert_eq!(name_of(SUBNET), "pe");
        let vnet = parent_of(SUBNET).unwrap_or_default();
        assert!(vnet.ends_with("/virtualNetworks/vnet-hub"), "{vnet}");
        assert_eq!(parent_of(&vnet), None, "a top-level resource has no parent");
        assert!(same_id(&vnet.to_uppercase(), &vnet));
        assert_eq!(subscription_of("/nope/x"), None);
    }
}
