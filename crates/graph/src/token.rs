//! Client-credentials tokens
//! (<https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow>),
//! fetched once and shared until shortly before they expire. Concurrent requests wait for one fetch
//! instead of each asking the token endpoint.

use std::time::{Duration, SystemTime};

use anchorsync_core::secret::Secret;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::config::{ClientSettings, RetryPolicy};
use crate::credential::Credential;
use crate::error::{GraphError, RequestName, TokenError};
use crate::retry::{self, Counters};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The wall clock, read for the `nbf`/`iat`/`exp` of client assertions: Entra compares them with
/// its own clock, so a monotonic clock would not do.
// The graph crate's one wall-clock read (time is an input: CONTRIBUTING.md).
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> SystemTime {
    SystemTime::now()
}

struct CachedToken {
    access_token: Secret,
    refresh_at: Instant,
}

/// Fetches and caches access tokens.
pub(crate) struct TokenSource {
    token_url: String,
    client_id: String,
    scope: String,
    credential: Credential,
    cached: Mutex<Option<CachedToken>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<ExpiresIn>,
}

/// Entra sends a number; some older endpoints a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum ExpiresIn {
    Number(u64),
    Text(String),
}

impl ExpiresIn {
    fn seconds(&self) -> u64 {
        match self {
            Self::Number(seconds) => *seconds,
            Self::Text(text) => text.trim().parse().unwrap_or(0),
        }
    }
}

/// How long before expiry a token is replaced: 5 minutes, or a fifth of a short lifetime.
fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 5).min(Duration::from_secs(300))
}

impl TokenSource {
    pub(crate) fn new(settings: &ClientSettings) -> Self {
        Self {
            token_url: settings.token_url.clone(),
            client_id: settings.client_id.clone(),
            scope: settings.scope.clone(),
            credential: settings.credential.clone(),
            cached: Mutex::new(None),
        }
    }

    /// A valid access token: the cached one, or a new one.
    pub(crate) async fn token(
        &self,
        http: &reqwest::Client,
        policy: &RetryPolicy,
        counters: &Counters,
    ) -> Result<Secret, GraphError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref()
            && Instant::now() < token.refresh_at
        {
            return Ok(token.access_token.clone());
        }
        let fresh = self.fetch(http, policy, counters).await?;
        let access_token = fresh.access_token.clone();
        *cached = Some(fresh);
        Ok(access_token)
    }

    /// Forgets `stale` (Graph refused it with 401), unless a newer token already replaced it.
    pub(crate) async fn invalidate(&self, stale: &Secret) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|token| token.access_token == *stale)
        {
            *cached = None;
        }
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
        policy: &RetryPolicy,
        counters: &Counters,
    ) -> Result<CachedToken, GraphError> {
        let name = RequestName::new(&reqwest::Method::POST, self.token_url.clone());
        let mut backoff = retry::backoff(policy);
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let form = self.form()?;
            let pairs: Vec<(&str, &str)> = form
                .iter()
                .map(|(name, value)| (*name, value.expose()))
                .collect();
            counters.token_requests.increment();
            let started = Instant::now();
            let outcome = http.post(&self.token_url).form(&pairs).send().await;
            let (last, retry_after) = match outcome {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = retry::retry_after(response.headers());
                    let body = response.bytes().await.unwrap_or_default();
                    tracing::debug!(
                        token_url = %self.token_url,
                        client_id = %self.client_id,
                        status,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "token request"
                    );
                    if (200..300).contains(&status) {
                        let answer: TokenAnswer =
                            serde_json::from_slice(&body).map_err(|source| GraphError::Decode {
                                request: name.clone(),
                                request_id: None,
                                source,
                            })?;
                        let lifetime = Duration::from_secs(
                            answer.expires_in.as_ref().map_or(3599, ExpiresIn::seconds),
                        );
                        return Ok(CachedToken {
                            access_token: Secret::new(answer.access_token),
                            refresh_at: Instant::now() + lifetime - refresh_margin(lifetime),
                        });
                    }
                    if !(status == 429 || status >= 500) {
                        return Err(GraphError::Token(Box::new(TokenError::from_body(
                            &self.token_url,
                            &self.client_id,
                            status,
                            &body,
                        ))));
                    }
                    (format!("HTTP {status}"), retry_after)
                }
                Err(error) => {
                    if let Some(reason) = retry::untrusted_certificate(&error) {
                        return Err(GraphError::Untrusted {
                            request: name,
                            reason,
                        });
                    }
                    (retry::describe_transport(&error), None)
                }
            };
            // The token endpoint changes nothing: every failure to answer may be retried.
            let Some(delay) = retry_after
                .or_else(|| backoff.next())
                .filter(|_| attempts < policy.max_attempts)
            else {
                return Err(GraphError::GaveUp {
                    request: name,
                    attempts,
                    last,
                    request_id: None,
                });
            };
            tracing::warn!(token_url = %self.token_url, attempt = attempts, %last, delay_ms = delay.as_millis() as u64, "token request failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// The form fields, secrets wrapped so that nothing here can print them.
    fn form(&self) -> Result<Vec<(&'static str, Secret)>, GraphError> {
        let mut form = vec![
            ("grant_type", Secret::new("client_credentials")),
            ("client_id", Secret::new(self.client_id.clone())),
            ("scope", Secret::new(self.scope.clone())),
        ];
        match &self.credential {
            Credential::Secret(secret) => form.push(("client_secret", secret.clone())),
            Credential::Certificate(certificate) => {
                let assertion =
                    certificate.assertion(&self.client_id, &self.token_url, wall_clock())?;
                form.push(("client_assertion_type", Secret::new(JWT_BEARER)));
                form.push(("client_assertion", assertion));
            }
        }
        Ok(form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_is_five_minutes_or_a_fifth() {
        assert_eq!(
            refresh_margin(Duration::from_secs(3599)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(10)),
            Duration::from_secs(2)
        );
    }
}
