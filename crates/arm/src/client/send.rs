//! Sending one logical request: pacer, token, headers, retries, tracing and metrics.

use super::ArmClient;
use crate::error::{ArmError, ErrorOrigin};
use crate::pipeline::metrics::{RequestLabels, RetryLabels, status_class};
use crate::pipeline::pacer::{Bucket, BucketKey, ProviderKey, ProviderLimit, Reservation};
use backon::Retryable;
use reqwest::header::{self, HeaderMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tracing::Instrument;
use url::Url;

/// One logical request.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: http::Method,
    pub url: Url,
    pub body: Option<Vec<u8>>,
    /// Whether sending it twice does no harm (GET, PUT, DELETE, read-only POSTs).
    pub idempotent: bool,
    /// The ARM resource type, for metrics and spans.
    pub resource_type: String,
    /// The subscription, for the pacer.
    pub subscription: String,
    /// What the request does, for errors: `GET <id>`.
    pub action: String,
}

/// A successful (2xx/3xx) answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Retry-After` (seconds or HTTP date) or Azure's millisecond variants.
    pub fn retry_after(&self) -> Option<Duration> {
        retry_after(&self.headers)
    }
}

impl ArmClient {
    /// Gets an access token for ARM now (azure_identity's cache answers when it holds a fresh
    /// one), so a caller can tell a credential that cannot authenticate from an ARM error before
    /// sending anything. No request reaches ARM.
    ///
    /// # Errors
    /// [`ErrorOrigin::Credential`] when the identity provider refuses, [`ErrorOrigin::Transport`]
    /// when it cannot be reached.
    pub async fn authenticate(&self) -> Result<(), ArmError> {
        self.inner
            .credential
            .get_token(&[self.inner.scope.as_str()], None)
            .await
            .map(|_| ())
            .map_err(|e| credential_error("authenticate", e))
    }

    /// Sends `call`, retrying as the retry policy allows. Error statuses come back as `Err`.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Answer, ArmError> {
        self.check_origin(&call.url, &call.action)?;
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let attempts = AtomicU32::new(0);
        let policy = self.inner.retry;
        let attempt = || async {
            let n = attempts.fetch_add(1, Ordering::Relaxed) + 1;
            self.attempt(call, &client_request_id, n).await
        };
        attempt
            .retry(policy.backoff())
            .sleep(tokio::time::sleep)
            .when(|err: &ArmError| policy.should_retry(err, call.idempotent))
            .adjust(|err: &ArmError, backoff: Option<Duration>| {
                backoff.map(|b| policy.delay(err, b))
            })
            .notify(|err: &ArmError, wait: Duration| {
                self.inner.metrics.record_retry(RetryLabels {
                    resource_type: call.resource_type.clone(),
                    verb: call.method.to_string(),
                    reason: err.class().as_str().to_string(),
                });
                tracing::debug!(
                    action = %call.action,
                    error = %err,
                    wait_ms = wait.as_millis() as u64,
                    "retrying ARM request"
                );
            })
            .await
    }

    /// One attempt: wait for the pacer, get a token, send, read the answer.
    async fn attempt(
        &self,
        call: &Call,
        client_request_id: &str,
        attempt: u32,
    ) -> Result<Answer, ArmError> {
        let span = tracing::info_span!(
            "arm.request",
            method = %call.method,
            resource_type = %call.resource_type,
            attempt,
            client_request_id,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        self.attempt_in_span(call, client_request_id)
            .instrument(span)
            .await
    }

    async fn attempt_in_span(
        &self,
        call: &Call,
        client_request_id: &str,
    ) -> Result<Answer, ArmError> {
        let inner = &self.inner;
        let bucket = Bucket::for_method(&call.method);
        let endpoint = inner.base.origin().ascii_serialization();
        let subscription = call.subscription.to_ascii_lowercase();
        let provider =
            ProviderLimit::for_request(&call.method, call.url.path()).map(|(limit, scope)| {
                ProviderKey {
                    endpoint: endpoint.clone(),
                    subscription: subscription.clone(),
                    limit,
                    scope,
                }
            });
        let now = Instant::now();
        let ahead = crate::priority::current();
        let reservation = inner.pacer.reserve_request_ahead(
            BucketKey {
                endpoint,
                principal: inner.principal.clone(),
                subscription,
                bucket,
            },
            provider,
            now,
            ahead,
        );
        if !reservation.wait.is_zero() {
            let waits_for = reservation.waits_for(now);
            // ARM's buckets refill within seconds; a provider window can hold a request for
            // minutes. Such a wait goes back to the caller as a throttle to requeue on, like a
            // 429 whose Retry-After is too long: a worker never sits on a throttle token.
            if waits_for != bucket.as_str() && reservation.wait > inner.retry.max_throttle_wait {
                inner.pacer.release(&reservation);
                return Err(pacer_error(&call.action, waits_for, reservation.wait));
            }
            // A caller that asked not to sit on ARM's own buckets gets the wait back too.
            if waits_for == bucket.as_str()
                && !ahead
                && inner
                    .retry
                    .max_bucket_wait
                    .is_some_and(|max| reservation.wait > max)
            {
                inner.pacer.defer(&reservation, now + reservation.wait);
                return Err(bucket_error(&call.action, bucket, reservation.wait));
            }
            tracing::debug!(
                wait_ms = reservation.wait.as_millis() as u64,
                bucket = waits_for,
                "pacing ARM request"
            );
            inner
                .metrics
                .record_pacer_delay(waits_for, reservation.wait);
            tokio::time::sleep(reservation.wait).await;
        }

        let token = inner
            .credential
            .get_token(&[inner.scope.as_str()], None)
            .await
            .map_err(|e| credential_error(&call.action, e))?;

        let mut request = inner
            .http
            .request(call.method.clone(), call.url.clone())
            .bearer_auth(token.token.secret())
            .header("x-ms-client-request-id", client_request_id)
            .header("x-ms-return-client-request-id", "true")
            .header(header::ACCEPT, "application/json");
        if let Some(body) = &call.body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }

        let started = Instant::now();
        let sent = request.send().await;
        let labels = |status: Option<u16>| RequestLabels {
            resource_type: call.resource_type.clone(),
            verb: call.method.to_string(),
            status_class: status_class(status),
        };
        let span = tracing::Span::current();
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                let elapsed = started.elapsed();
                inner.metrics.record_attempt(&labels(None), elapsed);
                span.record("duration_ms", elapsed.as_millis() as u64);
                return Err(transport_error(&call.action, e));
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await;
        let elapsed = started.elapsed();
        inner.metrics.record_attempt(&labels(Some(status)), elapsed);
        span.record("status", status);
        span.record("duration_ms", elapsed.as_millis() as u64);
        let request_id = header_str(&headers, "x-ms-request-id");
        if let Some(id) = &request_id {
            span.record("request_id", id.as_str());
        }

        let body = body.map_err(|e| transport_error(&call.action, e));
        let error = match &body {
            Ok(bytes) if status >= 400 => {
                Some(ArmError::from_response(call.action.clone(), status, bytes))
            }
            _ => None,
        };
        self.observe_pacer(&reservation, status, &headers, error.as_ref());
        let body = body?.to_vec();
        if let Some(mut err) = error {
            err.request_id = request_id;
            err.correlation_id = header_str(&headers, "x-ms-correlation-request-id");
            err.retry_after = retry_after(&headers);
            tracing::debug!(status, code = %err.code, class = err.class().as_str(), "ARM answered an error");
            return Err(err);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

impl ArmClient {
    /// Tells the pacer what the answer says about the limits: a 429 empties the bucket or
    /// blocks the provider window that refused the request; remaining counts re-sync both.
    fn observe_pacer(
        &self,
        reservation: &Reservation,
        status: u16,
        headers: &HeaderMap,
        error: Option<&ArmError>,
    ) {
        let pacer = &self.inner.pacer;
        let now = Instant::now();
        let count =
            |name: &str| header_str(headers, name).and_then(|v| v.trim().parse::<u64>().ok());
        let provider_remaining = reservation
            .provider
            .as_ref()
            .and_then(|p| p.key.limit.header())
            .and_then(count);
        let arm_remaining = count(reservation.key.bucket.header());
        if status == 429 {
            // A provider's own limit answers `ResourceRequestsThrottled` (ARM's is
            // `SubscriptionRequestsThrottled`) and reports its window as spent.
            let by_provider = error
                .is_some_and(|e| e.code.eq_ignore_ascii_case("ResourceRequestsThrottled"))
                || provider_remaining == Some(0);
            match &reservation.provider {
                Some(p) if by_provider => {
                    pacer.observe_provider_throttled(p, retry_after(headers), now);
                    if let Some(remaining) = arm_remaining {
                        pacer.observe(reservation, remaining, now);
                    }
                }
                _ => pacer.observe_throttled(reservation, now),
            }
            return;
        }
        if let Some(remaining) = arm_remaining {
            pacer.observe(reservation, remaining, now);
        }
        if let (Some(p), Some(remaining)) = (&reservation.provider, provider_remaining) {
            pacer.observe_provider(p, remaining, now);
        }
    }
}

/// The error for a request the pacer did not send: its provider's window has no room for
/// longer than the retry policy waits in-process.
fn pacer_error(action: &str, limit: &str, wait: Duration) -> ArmError {
    let mut err = ArmError::new(
        ErrorOrigin::Pacer,
        action,
        format!(
            "not sent: the {limit} limit of the resource provider has no room for {} s",
            wait.as_secs_f64().ceil()
        ),
    );
    err.retry_after = Some(wait);
    err
}

/// The error for a request the pacer did not send because ARM's `bucket` has no token for
/// longer than the caller sits on one.
fn bucket_error(action: &str, bucket: Bucket, wait: Duration) -> ArmError {
    let mut err = ArmError::new(
        ErrorOrigin::Pacer,
        action,
        format!(
            "not sent yet: ARM's {} budget for this principal refills in {} s",
            bucket.as_str(),
            wait.as_secs_f64().ceil()
        ),
    );
    err.code = crate::PACER_WAIT_CODE.to_owned();
    err.retry_after = Some(wait);
    err
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `retry-after-ms`, `x-ms-retry-after-ms` (milliseconds) or `Retry-After` (seconds or an
/// HTTP date).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = header_str(headers, name).and_then(|v| v.trim().parse::<u64>().ok()) {
            return Some(Duration::from_millis(ms));
        }
    }
    let value = header_str(headers, "retry-after")?;
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(value).ok()?.timestamp();
    let now = jiff::Timestamp::now();
    Some(Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO))
}

fn transport_error(action: &str, e: reqwest::Error) -> ArmError {
    let (origin, message) = if e.is_timeout() {
        (ErrorOrigin::Timeout, "no answer in time")
    } else if e.is_connect() {
        (ErrorOrigin::Transport, "could not connect")
    } else {
        (ErrorOrigin::Transport, "the connection failed")
    };
    ArmError::new(origin, action, message).with_source(e)
}

/// Maps an azure_identity failure: an answer from the token endpoint keeps its status (so a
/// 429 or 5xx is retried and a 400/401 is terminal), a failure to reach it is a transport error.
fn credential_error(action: &str, e: azure_core::Error) -> ArmError {
    let mut status = None;
    let mut unreachable = false;
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = current {
        if let Some(core) = err.downcast_ref::<azure_core::Error>() {
            match core.kind() {
                azure_core::error::ErrorKind::HttpResponse { status: s, .. } => {
                    status = Some(u16::from(*s));
                    break;
                }
                azure_core::error::ErrorKind::Io | azure_core::error::ErrorKind::Connection => {
                    unreachable = true
                }
                _ => {}
            }
        }
        current = err.source();
    }
    let origin = if unreachable && status.is_none() {
        ErrorOrigin::Transport
    } else {
        ErrorOrigin::Credential
    };
    let mut err = ArmError::new(
        origin,
        action,
        format!("failed to get an access token: {e}"),
    );
    err.status = status;
    err.with_source(e)
}
