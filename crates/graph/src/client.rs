//! The HTTP core: one request with its token, `client-request-id`, retries and logs; listings that
//! follow `@odata.nextLink` to the end.

use std::sync::Arc;
use std::time::Duration;

use anchorsync_core::progress::Reporter;
use anchorsync_core::secret::Secret;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use crate::body::{BodyRead, read_body};
use crate::config::{ClientSettings, RetryPolicy};
use crate::error::{GraphError, RequestName, ServiceError};
use crate::retry::{self, ClientStats, Counters, Gate};
use crate::token::TokenSource;

/// A Microsoft Graph client. Cheap to clone: clones share the token cache, the concurrency limit
/// and the throttling state.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
    /// Set on the handle [`GraphClient::for_new_objects`] returns: a 404 is Entra's replication lag.
    pub(crate) rides_replication_lag: bool,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("graph_url", &self.inner.settings.graph_url)
            .field("tenant_id", &self.inner.settings.tenant_id)
            .field("client_id", &self.inner.settings.client_id)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) settings: ClientSettings,
    pub(crate) tokens: TokenSource,
    pub(crate) permits: Semaphore,
    pub(crate) read_gate: Gate,
    pub(crate) write_gate: Gate,
    pub(crate) counters: Counters,
}

/// Where a request goes.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A path (and query) below the Graph base URL, starting with `/`.
    Path(String),
    /// A whole URL Graph gave us (`@odata.nextLink`), already checked to be below the base URL.
    Absolute(String),
}

/// One logical request.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub method: Method,
    pub target: Target,
    pub body: Option<Value>,
    /// `ConsistencyLevel: eventual`.
    pub eventual: bool,
}

impl Call {
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            target: Target::Path(path.into()),
            body: None,
            eventual: false,
        }
    }

    pub(crate) fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub body: Vec<u8>,
    pub request_id: Option<String>,
}

/// What one attempt came to.
enum Attempt {
    Answer {
        status: u16,
        headers: HeaderMap,
        body: Vec<u8>,
    },
    /// An answer larger than the configured ceiling, left unread.
    TooLarge { headers: HeaderMap },
    /// Never reached the server: safe to send again whatever the method.
    NotSent(reqwest::Error),
    /// Sent, but no answer: the server may have acted on it.
    Lost(reqwest::Error),
}

/// A page of a listing.
#[derive(Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    #[serde(default, rename = "@odata.nextLink")]
    pub next_link: Option<String>,
}

pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

impl GraphClient {
    /// A client for `settings`. Nothing is sent until the first request.
    pub fn new(settings: ClientSettings) -> Result<Self, GraphError> {
        let mut builder = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("anchorsync/", env!("CARGO_PKG_VERSION")))
            // A redirect could carry the bearer token to another host; Graph does not redirect.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(pem) = &settings.extra_ca_pem {
            let certificates =
                reqwest::Certificate::from_pem_bundle(pem).map_err(GraphError::HttpClient)?;
            // Added to the platform's trust store, never instead of verification.
            builder = builder.tls_certs_merge(certificates);
        }
        let http = builder.build().map_err(GraphError::HttpClient)?;
        Ok(Self {
            rides_replication_lag: false,
            inner: Arc::new(Inner {
                http,
                tokens: TokenSource::new(&settings),
                permits: Semaphore::new(settings.concurrency.max(1)),
                read_gate: Gate::default(),
                write_gate: Gate::default(),
                counters: Counters::default(),
                settings,
            }),
        })
    }

    /// A handle on the same client (same token cache, gate and limits) for requests about objects
    /// created moments ago, such as a `PATCH` or `GET` right after [`GraphClient::create_user`]: a
    /// `404` is taken for Entra's replication lag ("A newly created object to return a 'Not Found'",
    /// <https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra/>)
    /// and the request is sent again after the retry policy's backoff, up to
    /// [`RetryPolicy::max_attempts`] attempts, after which the 404 itself is returned. Opt-in and
    /// per call site: through the ordinary client a 404 is an answer, never retried.
    pub fn for_new_objects(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            rides_replication_lag: true,
        }
    }

    /// The settings the client was built with.
    pub fn settings(&self) -> &ClientSettings {
        &self.inner.settings
    }

    /// What the client has sent and received so far.
    pub fn stats(&self) -> ClientStats {
        self.inner.counters.snapshot()
    }

    /// A valid access token (cached). For tools that call Graph themselves; never log it.
    pub async fn access_token(&self) -> Result<Secret, GraphError> {
        self.token().await
    }

    pub(crate) async fn token(&self) -> Result<Secret, GraphError> {
        let inner = &self.inner;
        inner
            .tokens
            .token(&inner.http, &inner.settings.retry, &inner.counters)
            .await
    }

    pub(crate) fn policy(&self) -> &RetryPolicy {
        &self.inner.settings.retry
    }

    pub(crate) fn gate(&self, write: bool) -> &Gate {
        if write {
            &self.inner.write_gate
        } else {
            &self.inner.read_gate
        }
    }

    fn url(&self, target: &Target) -> String {
        match target {
            Target::Path(path) => format!("{}{path}", self.inner.settings.graph_url),
            Target::Absolute(url) => url.clone(),
        }
    }

    fn display_path(&self, target: &Target) -> String {
        match target {
            Target::Path(path) => path.clone(),
            Target::Absolute(url) => url
                .strip_prefix(&self.inner.settings.graph_url)
                .unwrap_or(url)
                .to_owned(),
        }
    }

    /// Sends one attempt of `call` with `token`.
    async fn attempt(&self, call: &Call, token: &Secret, client_request_id: &str) -> Attempt {
        let inner = &self.inner;
        let mut request = inner
            .http
            .request(call.method.clone(), self.url(&call.target))
            .bearer_auth(token.expose())
            .header("client-request-id", client_request_id)
            .header("return-client-request-id", "true");
        if call.eventual {
            request = request.header("ConsistencyLevel", HeaderValue::from_static("eventual"));
        }
        if let Some(body) = &call.body {
            request = request.json(body);
        }
        inner.counters.requests.increment();
        match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                match read_body(response, inner.settings.max_response_bytes).await {
                    BodyRead::Complete(body) => Attempt::Answer {
                        status,
                        headers,
                        body,
                    },
                    BodyRead::TooLarge => Attempt::TooLarge { headers },
                    BodyRead::Failed(error) => Attempt::Lost(error),
                }
            }
            Err(error) if error.is_connect() => Attempt::NotSent(error),
            Err(error) => Attempt::Lost(error),
        }
    }

    /// Sends `call` until Graph answers it for good: 2xx gives the answer, an error status a
    /// [`GraphError::Service`]; 429, 503, 504 and network failures are retried as
    /// [`RetryPolicy`] says.
    pub(crate) async fn call(&self, call: &Call) -> Result<Answer, GraphError> {
        let inner = &self.inner;
        let policy = &inner.settings.retry;
        let name = RequestName::new(&call.method, self.display_path(&call.target));
        let idempotent = call.method != Method::POST;
        let write = call.method != Method::GET;
        let mut backoff = retry::backoff(policy);
        let mut attempts = 0u32;
        let mut throttles = 0u32;
        let mut refreshed_token = false;
        loop {
            self.gate(write).pass().await;
            let token = self.token().await?;
            let permit = inner.permits.acquire().await;
            attempts += 1;
            if attempts > 1 {
                inner.counters.retries.increment();
            }
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let started = Instant::now();
            let attempt = self.attempt(call, &token, &client_request_id).await;
            drop(permit);
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let (last, request_id, delay) = match attempt {
                Attempt::Answer {
                    status,
                    headers,
                    body,
                } => {
                    let request_id = request_id(&headers);
                    tracing::debug!(
                        method = %call.method,
                        path = %name.path,
                        status,
                        request_id = request_id.as_deref().unwrap_or("-"),
                        client_request_id = %client_request_id,
                        attempt = attempts,
                        elapsed_ms,
                        "graph request"
                    );
                    if (200..300).contains(&status) {
                        return Ok(Answer { body, request_id });
                    }
                    let retry_after = retry::retry_after(&headers);
                    match status {
                        401 if !refreshed_token => {
                            // The token may have been revoked or outlived a restart of the
                            // service: one fresh token, once.
                            refreshed_token = true;
                            inner.tokens.invalidate(&token).await;
                            continue;
                        }
                        429 => {
                            inner.counters.throttled.increment();
                            throttles += 1;
                            let delay = retry_after
                                .unwrap_or_else(|| backoff.next().unwrap_or(policy.max_delay));
                            if throttles > policy.max_throttle_retries {
                                return Err(GraphError::GaveUp {
                                    request: name,
                                    attempts,
                                    last: format!("429 after {throttles} throttled attempts"),
                                    request_id,
                                });
                            }
                            tracing::info!(
                                method = %call.method,
                                path = %name.path,
                                request_id = request_id.as_deref().unwrap_or("-"),
                                retry_after_ms = delay.as_millis() as u64,
                                "throttled (429); waiting Retry-After"
                            );
                            // Throttling is per app and tenant: hold back every request of this kind.
                            self.gate(write).close_for(delay);
                            continue;
                        }
                        404 if self.rides_replication_lag => {
                            let next = backoff.next().filter(|_| attempts < policy.max_attempts);
                            let Some(delay) = next else {
                                return Err(GraphError::Service(Box::new(
                                    ServiceError::from_body(
                                        name,
                                        status,
                                        &body,
                                        request_id,
                                        Some(client_request_id),
                                    ),
                                )));
                            };
                            inner.counters.replication_waits.increment();
                            tracing::info!(
                                method = %call.method,
                                path = %name.path,
                                request_id = request_id.as_deref().unwrap_or("-"),
                                attempt = attempts,
                                delay_ms = delay.as_millis() as u64,
                                "404 for a new object: waiting for Entra's replication"
                            );
                            tokio::time::sleep(delay).await;
                            continue;
                        }
                        503 | 504 => {
                            inner.counters.unavailable.increment();
                            if status == 504 && !idempotent {
                                return Err(GraphError::OutcomeUnknown {
                                    request: name,
                                    reason: "504 Gateway Timeout".to_owned(),
                                    client_request_id,
                                });
                            }
                            let next = backoff.next();
                            (
                                format!("HTTP {status}"),
                                request_id,
                                retry_after.or(next).filter(|_| next.is_some()),
                            )
                        }
                        _ => {
                            return Err(GraphError::Service(Box::new(ServiceError::from_body(
                                name,
                                status,
                                &body,
                                request_id,
                                Some(client_request_id),
                            ))));
                        }
                    }
                }
                Attempt::TooLarge { headers } => {
                    return Err(GraphError::ResponseTooLarge {
                        request: name,
                        limit: inner.settings.max_response_bytes,
                        request_id: request_id(&headers),
                    });
                }
                Attempt::NotSent(error) => {
                    if let Some(reason) = retry::untrusted_certificate(&error) {
                        return Err(GraphError::Untrusted {
                            request: name,
                            reason,
                        });
                    }
                    (retry::describe_transport(&error), None, backoff.next())
                }
                Attempt::Lost(error) => {
                    if !idempotent {
                        return Err(GraphError::OutcomeUnknown {
                            request: name,
                            reason: retry::describe_transport(&error),
                            client_request_id,
                        });
                    }
                    (retry::describe_transport(&error), None, backoff.next())
                }
            };
            let Some(delay) = delay.filter(|_| attempts < policy.max_attempts) else {
                return Err(GraphError::GaveUp {
                    request: name,
                    attempts,
                    last,
                    request_id,
                });
            };
            tracing::warn!(
                method = %call.method,
                path = %name.path,
                attempt = attempts,
                %last,
                delay_ms = delay.as_millis() as u64,
                "graph request failed; retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// [`GraphClient::call`] and parse the JSON answer.
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        call: &Call,
    ) -> Result<T, GraphError> {
        let answer = self.call(call).await?;
        serde_json::from_slice(&answer.body).map_err(|source| GraphError::Decode {
            request: RequestName::new(&call.method, self.display_path(&call.target)),
            request_id: answer.request_id,
            source,
        })
    }

    /// Every item of a listing, following `@odata.nextLink` verbatim to the last page.
    pub(crate) async fn list<T: DeserializeOwned>(
        &self,
        path: String,
        eventual: bool,
        reporter: &dyn Reporter,
    ) -> Result<Vec<T>, GraphError> {
        self.list_from(Target::Path(path), eventual, reporter).await
    }

    /// [`GraphClient::list`] from any target, such as a next link found in a `$batch` answer.
    pub(crate) async fn list_from<T: DeserializeOwned>(
        &self,
        target: Target,
        eventual: bool,
        reporter: &dyn Reporter,
    ) -> Result<Vec<T>, GraphError> {
        if let Target::Absolute(link) = &target {
            self.check_next_link(link)?;
        }
        let mut items = Vec::new();
        let mut call = Call {
            method: Method::GET,
            target,
            body: None,
            eventual,
        };
        loop {
            let page: Page<T> = self.call_json(&call).await?;
            reporter.on_advance(page.value.len() as u64);
            items.extend(page.value);
            match page.next_link {
                Some(link) => {
                    self.check_next_link(&link)?;
                    call.target = Target::Absolute(link);
                }
                None => return Ok(items),
            }
        }
    }

    /// A next link must stay below the configured Graph URL: the token goes wherever it points.
    pub(crate) fn check_next_link(&self, link: &str) -> Result<(), GraphError> {
        let base = &self.inner.settings.graph_url;
        let foreign = || GraphError::ForeignNextLink {
            link: link.to_owned(),
            base: base.clone(),
        };
        let (Ok(parsed), Ok(base_url)) = (reqwest::Url::parse(link), reqwest::Url::parse(base))
        else {
            return Err(foreign());
        };
        let same_origin = parsed.scheme() == base_url.scheme()
            && parsed.host_str().map(str::to_ascii_lowercase)
                == base_url.host_str().map(str::to_ascii_lowercase)
            && parsed.port_or_known_default() == base_url.port_or_known_default();
        let base_path = base_url.path().trim_end_matches('/');
        let below = parsed.path() == base_path
            || parsed
                .path()
                .get(..base_path.len() + 1)
                .is_some_and(|prefix| prefix.eq_ignore_ascii_case(&format!("{base_path}/")));
        if same_origin && below {
            Ok(())
        } else {
            Err(foreign())
        }
    }

    /// How long to wait after a failure without `Retry-After`, for the `attempt`-th retry.
    pub(crate) fn backoff_delay(&self, attempt: u32) -> Duration {
        retry::backoff(self.policy())
            .nth(attempt.saturating_sub(1) as usize)
            .unwrap_or(self.policy().max_delay)
    }
}
