//! Throttling like Entra's identity service (<https://learn.microsoft.com/graph/throttling-limits>)
//! and injected faults.
//!
//! Each app has two token buckets in this tenant: resource units (default: 3,500 / 5,000 / 8,000 per
//! 10 s by tenant size) and writes (default 3,000 per 150 s). A bucket refills continuously; a
//! request that does not fit is answered 429 with `Retry-After` (whole seconds until it would fit,
//! at least 1), `x-ms-throttle-scope` and `x-ms-throttle-information`, and charges nothing. Every
//! answered request carries `x-ms-resource-unit`; `x-ms-throttle-limit-percentage` appears once an
//! app has used more than 80 % of a bucket.

use std::collections::HashMap;
use std::time::SystemTime;

use axum::Extension;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Caller;
use crate::clock::unix_seconds_f64;
use crate::config::Throttling;
use crate::messages;
use crate::state::Twin;

/// What a request costs (<https://learn.microsoft.com/graph/throttling-limits>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cost {
    /// Resource units.
    pub units: u32,
    /// Writes (POST, PATCH, PUT, DELETE).
    pub writes: u32,
}

/// The cost of a request to `path` (below `/v1.0`) with `query`.
pub(crate) fn cost(method: &Method, path: &str, query: Option<&str>) -> Cost {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is_get = method == Method::GET;
    let base: i64 = if !is_get {
        1
    } else {
        match segments.as_slice() {
            ["users"] => 2,
            ["users", _, nav, ..]
                if nav.eq_ignore_ascii_case("memberOf")
                    || nav.eq_ignore_ascii_case("transitiveMemberOf") =>
            {
                2
            }
            _ => 1,
        }
    };
    let mut units = base;
    for pair in query.unwrap_or_default().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = name.replace("%24", "$").to_ascii_lowercase();
        match name.as_str() {
            "$select" => units -= 1,
            "$expand" => units += 1,
            "$top" if value.parse::<u32>().is_ok_and(|top| top < 20) => units -= 1,
            _ => {}
        }
    }
    Cost {
        units: u32::try_from(units.max(1)).unwrap_or(1),
        writes: u32::from(!is_get),
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    capacity: f64,
    tokens: f64,
    per_second: f64,
    last: f64,
}

impl Bucket {
    fn new(capacity: u32, window_seconds: f64, now: f64) -> Self {
        let capacity = f64::from(capacity.max(1));
        Self {
            capacity,
            tokens: capacity,
            per_second: capacity / window_seconds.max(1e-6),
            last: now,
        }
    }

    fn refill(&mut self, now: f64) {
        if now > self.last {
            self.tokens = (self.tokens + (now - self.last) * self.per_second).min(self.capacity);
            self.last = now;
        }
    }

    /// Seconds until `amount` tokens are available (0 when they are). A millionth of a token is
    /// forgiven so that float rounding never turns an exact refill into a refusal.
    fn wait(&self, amount: f64) -> f64 {
        if self.tokens + 1e-6 >= amount {
            0.0
        } else {
            (amount.min(self.capacity) - self.tokens) / self.per_second
        }
    }

    fn usage(&self) -> f64 {
        1.0 - self.tokens / self.capacity
    }
}

struct AppBuckets {
    units: Bucket,
    writes: Bucket,
}

/// The verdict on one request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Verdict {
    /// Go ahead; `usage` is the fuller bucket's share used (0..=1).
    Allowed { usage: f64 },
    /// 429.
    Throttled {
        retry_after: u64,
        limit: &'static str,
        information: &'static str,
    },
}

/// Every app's buckets in this tenant.
pub(crate) struct Throttle {
    config: Throttling,
    apps: HashMap<String, AppBuckets>,
}

impl Throttle {
    pub(crate) fn new(config: &Throttling) -> Self {
        Self {
            config: config.clone(),
            apps: HashMap::new(),
        }
    }

    /// Charges `cost` to `client_id` at `now`, or says how long to wait.
    pub(crate) fn charge(
        &mut self,
        client_id: &str,
        cost: Cost,
        user_count: usize,
        is_read: bool,
        now: SystemTime,
    ) -> Verdict {
        if !self.config.enabled {
            return Verdict::Allowed { usage: 0.0 };
        }
        let now = unix_seconds_f64(now);
        let config = &self.config;
        let buckets = self
            .apps
            .entry(client_id.to_ascii_lowercase())
            .or_insert_with(|| {
                let units = config.resource_units.unwrap_or(match user_count {
                    0..50 => 3500,
                    50..=500 => 5000,
                    _ => 8000,
                });
                AppBuckets {
                    units: Bucket::new(units, config.resource_unit_window.as_secs_f64(), now),
                    writes: Bucket::new(
                        config.write_budget,
                        config.write_window.as_secs_f64(),
                        now,
                    ),
                }
            });
        buckets.units.refill(now);
        buckets.writes.refill(now);
        let write_wait = if cost.writes > 0 {
            buckets.writes.wait(f64::from(cost.writes))
        } else {
            0.0
        };
        if write_wait > 0.0 {
            return Verdict::Throttled {
                retry_after: retry_after(write_wait),
                limit: "Write",
                information: "WriteLimitExceeded",
            };
        }
        let unit_wait = buckets.units.wait(f64::from(cost.units));
        if unit_wait > 0.0 {
            return Verdict::Throttled {
                retry_after: retry_after(unit_wait),
                limit: if is_read { "Read" } else { "ReadWrite" },
                information: "ResourceUnitLimitExceeded",
            };
        }
        buckets.units.tokens = (buckets.units.tokens - f64::from(cost.units)).max(0.0);
        buckets.writes.tokens = (buckets.writes.tokens - f64::from(cost.writes)).max(0.0);
        let usage = if cost.writes > 0 {
            buckets.units.usage().max(buckets.writes.usage())
        } else {
            buckets.units.usage()
        };
        Verdict::Allowed { usage }
    }
}

fn retry_after(seconds: f64) -> u64 {
    // Whole seconds, rounded up, never 0: a client that waits that long fits.
    let whole = (seconds - 1e-6).ceil();
    if whole < 1.0 { 1 } else { whole as u64 }
}

/// Reproducible dice for fault injection (SplitMix64).
pub(crate) struct Dice {
    state: u64,
}

impl Dice {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// A number in `0.0..1.0`.
    pub(crate) fn roll(&mut self) -> f64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Middleware on every Graph resource request (and every inner request of a batch): added latency
/// (before handling; the response latency is `latency.rs`), injected faults, then the budgets.
pub(crate) async fn throttle(
    State(twin): State<Twin>,
    Extension(caller): Extension<Caller>,
    request: Request,
    next: Next,
) -> Response {
    let faults = &twin.config().faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if faults.throttle_rate > 0.0 || faults.unavailable_rate > 0.0 {
        let roll = twin.dice().roll();
        if roll < faults.throttle_rate {
            return messages::injected_throttle(&caller.client_id, faults.retry_after_seconds)
                .into_response();
        }
        if roll < faults.throttle_rate + faults.unavailable_rate {
            return messages::unavailable(faults.retry_after_seconds).into_response();
        }
    }
    let cost = cost(
        request.method(),
        request.uri().path(),
        request.uri().query(),
    );
    let user_count = twin.directory().users.len();
    let now = twin.clock().now();
    let is_read = request.method() == Method::GET;
    let verdict = twin
        .throttle()
        .charge(&caller.client_id, cost, user_count, is_read, now);
    match verdict {
        Verdict::Throttled {
            retry_after,
            limit,
            information,
        } => {
            let scope = format!(
                "Tenant_Application/{limit}/{}/{}",
                caller.client_id,
                twin.tenant_id()
            );
            messages::throttled(&caller.client_id, retry_after, &scope, information).into_response()
        }
        Verdict::Allowed { usage } => {
            let mut response = next.run(request).await;
            let headers = response.headers_mut();
            headers.insert("x-ms-resource-unit", HeaderValue::from(cost.units));
            if usage > 0.8
                && let Ok(value) = HeaderValue::from_str(&format!("{:.1}", usage.min(1.8)))
            {
                headers.insert("x-ms-throttle-limit-percentage", value);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn costs_follow_the_documented_table() {
        let get = Method::GET;
        assert_eq!(cost(&get, "/users", None).units, 2);
        assert_eq!(cost(&get, "/users", Some("$select=id")).units, 1);
        assert_eq!(cost(&get, "/users", Some("%24select=id&$top=5")).units, 1);
        assert_eq!(cost(&get, "/users/x/memberOf", None).units, 2);
        assert_eq!(
            cost(&get, "/domains", None),
            Cost {
                units: 1,
                writes: 0
            }
        );
        assert_eq!(
            cost(&Method::PATCH, "/users/x", None),
            Cost {
                units: 1,
                writes: 1
            }
        );
    }

    #[test]
    fn write_budget_refills_over_its_window() {
        let config = Throttling {
            write_budget: 2,
            write_window: Duration::from_secs(10),
            ..Throttling::default()
        };
        let mut throttle = Throttle::new(&config);
        let write = Cost {
            units: 1,
            writes: 1,
        };
        let t0 = UNIX_EPOCH + Duration::from_secs(1000);
        assert!(matches!(
            throttle.charge("a", write, 1, false, t0),
            Verdict::Allowed { .. }
        ));
        assert!(matches!(
            throttle.charge("a", write, 1, false, t0),
            Verdict::Allowed { .. }
        ));
        assert_eq!(
            throttle.charge("a", write, 1, false, t0),
            Verdict::Throttled {
                retry_after: 5,
                limit: "Write",
                information: "WriteLimitExceeded"
            }
        );
        // Another app has its own budget.
        assert!(matches!(
            throttle.charge("b", write, 1, false, t0),
            Verdict::Allowed { .. }
        ));
        let later = t0 + Duration::from_secs(5);
        assert!(matches!(
            throttle.charge("a", write, 1, false, later),
            Verdict::Allowed { .. }
        ));
    }

    #[test]
    fn dice_are_reproducible() {
        let mut a = Dice::new(42);
        let mut b = Dice::new(42);
        let rolls: Vec<f64> = (0..5).map(|_| a.roll()).collect();
        assert_eq!(rolls, (0..5).map(|_| b.roll()).collect::<Vec<_>>());
        assert!(rolls.iter().all(|r| (0.0..1.0).contains(r)));
    }
}
