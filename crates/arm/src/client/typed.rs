//! Typed verbs on resources: get, put, patch, delete, post, list (following `nextLink`), and
//! the actions of online endpoints and deployments. These return when ARM has answered; for
//! writes that ARM finishes asynchronously use the `begin_*` methods in [`crate::operation`].

use super::ArmClient;
use super::send::{Answer, Call};
use crate::error::{ArmError, ErrorClass, ErrorOrigin};
use crate::models::{
    DeploymentLogs, DeploymentLogsRequest, EndpointAuthKeys, EndpointAuthToken, Page, SkuResource,
};
use crate::resource_id::{ResourceId, ResourceKind};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

/// Most pages a list follows; guards against a `nextLink` that never ends.
const MAX_PAGES: usize = 1000;

impl ArmClient {
    pub(crate) fn call_for(
        &self,
        method: http::Method,
        id: &ResourceId,
        url: Url,
        body: Option<Vec<u8>>,
        idempotent: bool,
    ) -> Call {
        Call {
            action: format!("{method} {id}"),
            method,
            url,
            body,
            idempotent,
            resource_type: id.resource_type(),
            subscription: id.subscription_id().to_string(),
        }
    }

    pub(crate) fn encode<B: Serialize>(id: &ResourceId, body: &B) -> Result<Vec<u8>, ArmError> {
        serde_json::to_vec(body).map_err(|e| {
            ArmError::new(
                ErrorOrigin::Invalid,
                format!("encode the body for {id}"),
                e.to_string(),
            )
            .with_source(e)
        })
    }

    /// Sends `method` to `id` with an optional JSON body.
    pub(crate) async fn send_to(
        &self,
        method: http::Method,
        id: &ResourceId,
        body: Option<Vec<u8>>,
        idempotent: bool,
    ) -> Result<Answer, ArmError> {
        let url = self.resource_url(id)?;
        let call = self.call_for(method, id, url, body, idempotent);
        self.execute(&call).await
    }

    /// Reads the resource `id`.
    ///
    /// # Errors
    /// An [`ArmError`]; a missing resource has class `NotFound`.
    pub async fn get<T: DeserializeOwned>(&self, id: &ResourceId) -> Result<T, ArmError> {
        let answer = self.send_to(http::Method::GET, id, None, true).await?;
        decode(&format!("GET {id}"), &answer)
    }

    /// Reads the resource `id`; `None` when it does not exist.
    ///
    /// # Errors
    /// An [`ArmError`] other than the resource's own 404 (a missing parent or resource group
    /// is an error: creating the resource would fail too).
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        id: &ResourceId,
    ) -> Result<Option<T>, ArmError> {
        match self.get(id).await {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.class() == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates or replaces `id` with `body` and returns ARM's answer. For resources ARM
    /// provisions asynchronously, use [`ArmClient::begin_put`].
    pub async fn put<B: Serialize, T: DeserializeOwned>(
        &self,
        id: &ResourceId,
        body: &B,
    ) -> Result<T, ArmError> {
        let body = Self::encode(id, body)?;
        let answer = self
            .send_to(http::Method::PUT, id, Some(body), true)
            .await?;
        decode(&format!("PUT {id}"), &answer)
    }

    /// Updates part of `id` and returns ARM's answer. Not retried on 5xx (PATCH is not
    /// idempotent in general).
    pub async fn patch<B: Serialize, T: DeserializeOwned>(
        &self,
        id: &ResourceId,
        body: &B,
    ) -> Result<T, ArmError> {
        let body = Self::encode(id, body)?;
        let answer = self
            .send_to(http::Method::PATCH, id, Some(body), false)
            .await?;
        decode(&format!("PATCH {id}"), &answer)
    }

    /// Deletes `id` without waiting for an asynchronous delete to finish. A resource that does
    /// not exist counts as deleted.
    pub async fn delete(&self, id: &ResourceId) -> Result<(), ArmError> {
        match self.send_to(http::Method::DELETE, id, None, true).await {
            Ok(_) => Ok(()),
            Err(e) if e.status == Some(404) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Calls the action `<id>/<action>` with POST. `idempotent` says whether it may be retried
    /// after a 5xx (true for read-only actions such as `listKeys`).
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        id: &ResourceId,
        action: &str,
        body: Option<&B>,
        idempotent: bool,
    ) -> Result<T, ArmError> {
        let answer = self.post_raw(id, action, body, idempotent).await?;
        decode(&format!("POST {id}/{action}"), &answer)
    }

    pub(crate) async fn post_raw<B: Serialize>(
        &self,
        id: &ResourceId,
        action: &str,
        body: Option<&B>,
        idempotent: bool,
    ) -> Result<Answer, ArmError> {
        let body = body.map(|b| Self::encode(id, b)).transpose()?;
        let mut url = self.resource_url(id)?;
        let path = format!("{}/{action}", url.path());
        url.set_path(&path);
        let mut call = self.call_for(http::Method::POST, id, url, body, idempotent);
        call.action = format!("POST {id}/{action}");
        self.execute(&call).await
    }

    /// Lists the children `<parent>/<child_type>` (or the `child_type` resources of a resource
    /// group or subscription, e.g. `Microsoft.Network/privateEndpoints`), following `nextLink`.
    pub async fn list<T: DeserializeOwned>(
        &self,
        parent: &ResourceId,
        child_type: &str,
    ) -> Result<Vec<T>, ArmError> {
        let (mut url, item_type) = self.collection_url(parent, child_type)?;
        let mut items = Vec::new();
        for _ in 0..MAX_PAGES {
            let call = Call {
                method: http::Method::GET,
                action: format!("list {item_type} in {parent}"),
                url: url.clone(),
                body: None,
                idempotent: true,
                resource_type: item_type.clone(),
                subscription: parent.subscription_id().to_string(),
            };
            let answer = self.execute(&call).await?;
            let page: Page<T> = decode(&call.action, &answer)?;
            items.extend(page.value);
            match page.next_link.filter(|l| !l.is_empty()) {
                Some(next) => url = self.next_page_url(&next, &url, &call.action)?,
                None => return Ok(items),
            }
        }
        Err(ArmError::new(
            ErrorOrigin::Decode,
            format!("list {item_type} in {parent}"),
            format!("more than {MAX_PAGES} pages: nextLink does not end"),
        ))
    }

    /// The first page of the children `<parent>/<child_type>` listed with extra query
    /// parameters (e.g. `$orderBy`, `$top`); `nextLink` is not followed.
    ///
    /// # Errors
    /// An [`ArmError`]; a missing parent has class `NotFound`.
    pub async fn list_first_page<T: DeserializeOwned>(
        &self,
        parent: &ResourceId,
        child_type: &str,
        query: &[(&str, &str)],
    ) -> Result<Vec<T>, ArmError> {
        let (mut url, item_type) = self.collection_url(parent, child_type)?;
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        let call = Call {
            method: http::Method::GET,
            action: format!("list {item_type} in {parent}"),
            url,
            body: None,
            idempotent: true,
            resource_type: item_type.clone(),
            subscription: parent.subscription_id().to_string(),
        };
        let answer = self.execute(&call).await?;
        let page: Page<T> = decode(&call.action, &answer)?;
        Ok(page.value)
    }

    /// The URL of the next page: absolute on the ARM origin, with the api-version kept when
    /// ARM left it out.
    fn next_page_url(&self, next: &str, current: &Url, action: &str) -> Result<Url, ArmError> {
        let mut url = current.join(next).map_err(|e| {
            ArmError::new(
                ErrorOrigin::Decode,
                action,
                format!("nextLink {next:?} is not a URL"),
            )
            .with_source(e)
        })?;
        self.check_origin(&url, action)?;
        if !url.query_pairs().any(|(k, _)| k == "api-version")
            && let Some((_, v)) = current.query_pairs().find(|(k, _)| k == "api-version")
        {
            let v = v.into_owned();
            url.query_pairs_mut().append_pair("api-version", &v);
        }
        Ok(url)
    }

    /// The keys of an online endpoint (`listKeys`; retried like a read).
    pub async fn list_keys(&self, endpoint: &ResourceId) -> Result<EndpointAuthKeys, ArmError> {
        endpoint
            .expect_kind(ResourceKind::OnlineEndpoint)
            .map_err(invalid)?;
        self.post::<(), _>(endpoint, "listKeys", None, true).await
    }

    /// A scoring token of an AMLToken online endpoint (`token`).
    pub async fn endpoint_token(
        &self,
        endpoint: &ResourceId,
    ) -> Result<EndpointAuthToken, ArmError> {
        endpoint
            .expect_kind(ResourceKind::OnlineEndpoint)
            .map_err(invalid)?;
        self.post::<(), _>(endpoint, "token", None, true).await
    }

    /// Container logs of an online deployment (`getLogs`).
    pub async fn deployment_logs(
        &self,
        deployment: &ResourceId,
        request: &DeploymentLogsRequest,
    ) -> Result<DeploymentLogs, ArmError> {
        deployment
            .expect_kind(ResourceKind::OnlineDeployment)
            .map_err(invalid)?;
        self.post(deployment, "getLogs", Some(request), true).await
    }

    /// The SKUs an online deployment can scale within (`skus`).
    pub async fn deployment_skus(
        &self,
        deployment: &ResourceId,
    ) -> Result<Vec<SkuResource>, ArmError> {
        deployment
            .expect_kind(ResourceKind::OnlineDeployment)
            .map_err(invalid)?;
        self.list(deployment, "skus").await
    }
}

fn invalid(e: crate::resource_id::ResourceIdError) -> ArmError {
    ArmError::new(ErrorOrigin::Invalid, "address the resource", e.to_string()).with_source(e)
}

/// Reads a JSON body; an empty body reads as JSON `null` (so `Option<T>` and `()` work).
pub(crate) fn decode<T: DeserializeOwned>(action: &str, answer: &Answer) -> Result<T, ArmError> {
    let body: &[u8] = if answer.body.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &answer.body
    };
    serde_json::from_slice(body).map_err(|e| {
        let mut err = ArmError::new(
            ErrorOrigin::Decode,
            action,
            format!(
                "the answer (HTTP {}) is not the expected JSON: {e}",
                answer.status
            ),
        )
        .with_source(e);
        err.status = Some(answer.status);
        err.request_id = answer.header("x-ms-request-id").map(str::to_string);
        err.correlation_id = answer
            .header("x-ms-correlation-request-id")
            .map(str::to_string);
        err
    })
}
