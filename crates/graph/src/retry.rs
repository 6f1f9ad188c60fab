//! Retrying like Graph asks (<https://learn.microsoft.com/graph/throttling>): wait `Retry-After`
//! after a 429 (or a 503/504 that carries one), otherwise a jittered exponential backoff, and a
//! bounded number of times.
//!
//! Graph throttles per app and tenant, so one 429 speaks for every request of the same kind: a
//! [`Gate`] holds back all reads (or all writes) of this client until the `Retry-After` has passed,
//! instead of letting every request in flight discover the limit on its own. The backoff delays
//! come from backon's `ExponentialBuilder` (with jitter); the loop around them is ours because it
//! needs to tell throttling from failure, share the gate and know which requests are idempotent.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use backon::{BackoffBuilder as _, ExponentialBuilder};
use reqwest::header::HeaderMap;
use tokio::time::Instant;

use crate::config::RetryPolicy;

/// The delays between attempts after failures that carry no `Retry-After`.
pub(crate) fn backoff(policy: &RetryPolicy) -> impl Iterator<Item = Duration> + Send + use<> {
    ExponentialBuilder::default()
        .with_min_delay(policy.base_delay)
        .with_max_delay(policy.max_delay)
        .with_jitter()
        .with_max_times(
            usize::try_from(policy.max_attempts.saturating_sub(1)).unwrap_or(usize::MAX),
        )
        .build()
}

/// `Retry-After` in seconds (Graph sends whole seconds; a fraction is accepted). An HTTP date is
/// not used: Graph does not send one, and reading it would need the wall clock.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_retry_after)
}

/// `"5"` → 5 s.
pub(crate) fn parse_retry_after(text: &str) -> Option<Duration> {
    let seconds: f64 = text.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// A network failure in words, without the URL (which the caller names already).
pub(crate) fn describe_transport(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "a timeout"
    } else if error.is_connect() {
        "a connection failure"
    } else {
        "a network failure"
    };
    let mut cause: Option<&dyn std::error::Error> = std::error::Error::source(error);
    let mut innermost = None;
    while let Some(next) = cause {
        innermost = Some(next.to_string());
        cause = next.source();
    }
    match innermost {
        Some(detail) => format!("{kind} ({detail})"),
        None => kind.to_owned(),
    }
}

/// The TLS verifier's refusal of the server's certificate, when that is why `error` happened: no
/// retry can fix it, and it must never be worked around by turning verification off.
pub(crate) fn untrusted_certificate(error: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) =
            current.downcast_ref::<rustls::Error>()
        {
            return Some(tls.to_string());
        }
        // An `io::Error` hides the error it wraps from `source()`: look inside it.
        cause = match current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    None
}

/// Holds requests of one kind back until Graph's `Retry-After` has passed.
#[derive(Debug, Default)]
pub(crate) struct Gate {
    closed_until: Mutex<Option<Instant>>,
}

impl Gate {
    /// Closes the gate for `delay` from now (a later closing wins).
    pub(crate) fn close_for(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut closed = self
            .closed_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if closed.is_none_or(|current| current < until) {
            *closed = Some(until);
        }
    }

    /// Whether requests are held back now.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|until| until > Instant::now())
    }

    /// Waits until the gate is open; true when it had to wait.
    pub(crate) async fn pass(&self) -> bool {
        let mut waited = false;
        loop {
            let until = *self
                .closed_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match until {
                Some(until) if until > Instant::now() => {
                    waited = true;
                    tokio::time::sleep_until(until).await;
                }
                _ => return waited,
            }
        }
    }
}

/// A counter shared by every request of a client.
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) fn increment(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add(&self, amount: u64) {
        self.0.fetch_add(amount, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What the client has done so far.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: Counter,
    pub batch_items: Counter,
    pub throttled: Counter,
    pub unavailable: Counter,
    pub retries: Counter,
    pub replication_waits: Counter,
    pub token_requests: Counter,
}

/// A snapshot of a client's counters, for benchmarks and summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent to Graph (a `$batch` counts once).
    pub requests: u64,
    /// Requests sent inside `$batch` calls (each attempt counts).
    pub batch_items: u64,
    /// 429 answers received, for whole requests and for `$batch` items.
    pub throttled: u64,
    /// 503 and 504 answers received, for whole requests and for `$batch` items.
    pub unavailable: u64,
    /// Requests and `$batch` items sent again.
    pub retries: u64,
    /// 404 answers taken for Entra's replication lag and retried
    /// ([`GraphClient::for_new_objects`](crate::GraphClient::for_new_objects)).
    pub replication_waits: u64,
    /// Requests to the token endpoint.
    pub token_requests: u64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> ClientStats {
        ClientStats {
            requests: self.requests.get(),
            batch_items: self.batch_items.get(),
            throttled: self.throttled.get(),
            unavailable: self.unavailable.get(),
            retries: self.retries.get(),
            replication_waits: self.replication_waits.get(),
            token_requests: self.token_requests.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after("5"), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn backoff_is_bounded_and_grows() {
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let delays: Vec<Duration> = backoff(&policy).collect();
        assert_eq!(delays.len(), 3);
        // Jitter adds up to the delay itself: [100, 200), [200, 400), [400, 800).
        for (delay, base) in delays.iter().zip([100u64, 200, 400]) {
            assert!(
                *delay >= Duration::from_millis(base) && *delay < Duration::from_millis(base * 2)
            );
        }
    }

    #[tokio::test]
    async fn gate_holds_until_its_time() {
        let gate = Gate::default();
        assert!(!gate.pass().await);
        gate.close_for(Duration::from_millis(30));
        gate.close_for(Duration::from_millis(1));
        let started = Instant::now();
        assert!(gate.pass().await);
        assert!(started.elapsed() >= Duration::from_millis(30));
    }
}
