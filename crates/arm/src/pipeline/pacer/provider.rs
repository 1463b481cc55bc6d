//! Resource-provider limits the pacer keeps under, beyond ARM's token buckets.
//!
//! ARM throttles first (the token buckets in the parent module), then routes the request to the
//! resource provider, which applies its own limits per subscription. Microsoft Learn,
//! "Understand how Azure Resource Manager throttles requests"
//! (<https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling>,
//! section "Network throttling"):
//!
//! - Microsoft.Network: write / delete (PUT) 1,000 per 5 minutes, read (GET) 10,000 per
//!   5 minutes;
//! - "Azure DNS and Azure Private DNS have a throttle limit of 500 read (GET) operations per
//!   5 minutes."
//!
//! The same page says the provider throttles "within each subscription ... per region of the
//! resource in the request". Private DNS zones are `global`; for Network the region is not in
//! the path, so the pacer counts Network per subscription (never fewer requests than Azure
//! allows per region, possibly more pacing than needed when one subscription spans regions).
//!
//! Private DNS counts per *action*: Azure's 429 reads "Number of requests for action
//! 'Microsoft.Network/dnsZones/CNAME/read' exceeded the limit of '500' for time interval
//! '00:05:00'" (hashicorp/terraform-provider-azurerm#14213), and recorded answers count zone and
//! record-set reads separately (azure-sdk-for-python azure-mgmt-dns recordings). Its answers
//! carry the remaining count in `x-ms-ratelimit-remaining-subscription-resource-requests`
//! (Learn, "Remaining requests": "only returned if a service has overridden the default
//! limit ... instead of the subscription reads or writes"), e.g. `499` after a zone GET and
//! `11999` after a zone PUT in azure-sdk-for-java's `azure-resourcemanager-privatedns` session
//! records. The write count (12,000) is known only from those headers: no Microsoft page gives
//! its window, so the one hour used by default is an assumption (the Learn page's diagram says
//! provider limits are counted "per hour").
//!
//! A limit stated as "N per 5 minutes" is a sliding window: the pacer schedules sends so that
//! no window of that length holds more than `N × (1 − reserve)` of them. A token bucket of size
//! N refilled at N per window would let up to 2N through in one window.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A provider limit: at most `limit` requests in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimits {
    /// Requests allowed in one window.
    pub limit: u32,
    /// The window's length.
    pub window: Duration,
}

impl WindowLimits {
    /// `limit` requests per 5 minutes, as the Learn page states Network and DNS limits.
    pub const fn per_five_minutes(limit: u32) -> Self {
        Self {
            limit,
            window: Duration::from_secs(300),
        }
    }

    /// The same limit over a window `factor` times as long (0.01: a hundred times faster).
    pub fn scaled(self, factor: f64) -> Self {
        let factor = if factor.is_finite() && factor > 0.0 {
            factor
        } else {
            1.0
        };
        Self {
            limit: self.limit,
            window: self.window.mul_f64(factor),
        }
    }
}

/// The provider limits a request can count against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderLimit {
    /// GET/HEAD on Microsoft.Network, Private DNS excepted.
    NetworkReads,
    /// PUT, PATCH, POST and DELETE on Microsoft.Network, Private DNS excepted.
    NetworkWrites,
    /// GET/HEAD on Private DNS (`privateDnsZones/...`, `privateDnsOperation...`), per action.
    PrivateDnsReads,
    /// Writes on Private DNS, per action.
    PrivateDnsWrites,
}

/// The header Private DNS answers with the requests left in its window.
pub const RESOURCE_REQUESTS_HEADER: &str =
    "x-ms-ratelimit-remaining-subscription-resource-requests";

impl ProviderLimit {
    /// The limit `method path` counts against and its scope inside the subscription: the
    /// lower-cased action (`microsoft.network/privatednszones/read`) for Private DNS, empty
    /// (the whole provider) for Network. `None` for other providers.
    pub fn for_request(method: &http::Method, path: &str) -> Option<(Self, String)> {
        let segments: Vec<&str> = path
            .split('?')
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .split('/')
            .collect();
        let p = segments
            .iter()
            .rposition(|s| s.eq_ignore_ascii_case("providers"))?;
        let namespace = segments.get(p + 1)?;
        if !namespace.eq_ignore_ascii_case("Microsoft.Network") {
            return None;
        }
        let mut resource_type = namespace.to_ascii_lowercase();
        for t in segments.iter().skip(p + 2).step_by(2) {
            resource_type.push('/');
            resource_type.push_str(&t.to_ascii_lowercase());
        }
        let read = method == http::Method::GET || method == http::Method::HEAD;
        let private_dns = resource_type.starts_with("microsoft.network/privatednszones")
            || resource_type.starts_with("microsoft.network/privatednsoperation");
        Some(match (private_dns, read) {
            (true, true) => (Self::PrivateDnsReads, format!("{resource_type}/read")),
            (true, false) => (Self::PrivateDnsWrites, format!("{resource_type}/write")),
            (false, true) => (Self::NetworkReads, String::new()),
            (false, false) => (Self::NetworkWrites, String::new()),
        })
    }

    /// A stable name for metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NetworkReads => "network-reads",
            Self::NetworkWrites => "network-writes",
            Self::PrivateDnsReads => "private-dns-reads",
            Self::PrivateDnsWrites => "private-dns-writes",
        }
    }

    /// The header reporting what is left, where the provider sends one. Microsoft.Network's
    /// own answers carry only ARM's headers (azure-sdk-for-java network session records).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Self::PrivateDnsReads | Self::PrivateDnsWrites => Some(RESOURCE_REQUESTS_HEADER),
            Self::NetworkReads | Self::NetworkWrites => None,
        }
    }
}

/// Identifies one provider window: endpoint, subscription, limit and scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderKey {
    /// The ARM endpoint (scheme, host, port).
    pub endpoint: String,
    /// The subscription, lower-cased.
    pub subscription: String,
    /// Which limit.
    pub limit: ProviderLimit,
    /// The action for Private DNS, empty for Network.
    pub scope: String,
}

/// A slot reserved in a provider window.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderReservation {
    /// The window.
    pub key: ProviderKey,
    /// When the request may be sent.
    pub send_at: Instant,
}

/// One window's schedule: the send times of the requests that still count (sorted), and a
/// time before which nothing is sent (after the provider answered 429).
#[derive(Debug, Default)]
pub(super) struct WindowState {
    sends: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

/// How many of `limits.limit` the pacer uses, leaving `reserve_fraction` unused (at least one).
fn usable(limits: WindowLimits, reserve_fraction: f64) -> usize {
    let usable = (f64::from(limits.limit) * (1.0 - reserve_fraction.clamp(0.0, 1.0))).floor();
    (usable as usize).max(1)
}

impl WindowState {
    fn forget_before(&mut self, now: Instant, window: Duration) {
        while self
            .sends
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= window)
        {
            self.sends.pop_front();
        }
    }

    /// The earliest send time at or after `now` that keeps every window under the usable
    /// count; the slot is taken.
    pub(super) fn reserve(
        &mut self,
        limits: WindowLimits,
        reserve_fraction: f64,
        now: Instant,
    ) -> Instant {
        self.forget_before(now, limits.window);
        let usable = usable(limits, reserve_fraction);
        let mut at = now;
        if let Some(blocked) = self.blocked_until {
            at = at.max(blocked);
        }
        if let Some(last) = self.sends.back() {
            at = at.max(*last);
        }
        if self.sends.len() >= usable
            && let Some(oldest_counted) = self.sends.get(self.sends.len() - usable)
        {
            at = at.max(*oldest_counted + limits.window);
        }
        self.sends.push_back(at);
        at
    }

    /// Gives back a slot taken at `send_at` (the request was not sent).
    pub(super) fn release(&mut self, send_at: Instant) {
        if let Some(i) = self.sends.iter().rposition(|t| *t == send_at) {
            self.sends.remove(i);
        }
    }

    /// The provider counted `used` requests in the window ending `now` (its limit minus the
    /// remaining count it reported). Requests the pacer does not know of (another process, the
    /// portal) are added as sent `now`, so they hold their slots for a whole window.
    pub(super) fn observe_used(&mut self, limits: WindowLimits, used: u64, now: Instant) {
        self.forget_before(now, limits.window);
        let known = self.sends.iter().filter(|t| **t <= now).count() as u64;
        let unknown = used.saturating_sub(known);
        if unknown == 0 {
            return;
        }
        let at = self
            .sends
            .iter()
            .position(|t| *t > now)
            .unwrap_or(self.sends.len());
        for _ in 0..unknown.min(u64::from(limits.limit)) {
            self.sends.insert(at, now);
        }
    }

    /// The provider answered 429: nothing is sent before `until`.
    pub(super) fn block_until(&mut self, until: Instant) {
        self.blocked_until = Some(self.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// Requests counted in the window ending `now` (sent or scheduled up to `now`).
    pub(super) fn in_window(&self, window: Duration, now: Instant) -> usize {
        self.sends
            .iter()
            .filter(|t| **t <= now && now.saturating_duration_since(**t) < window)
            .count()
    }
}
