//! What a remote service's distance does to a client: [`Faults::response_latency`], a delay added to
//! every request below `/v1.0` after it was handled (a write is already applied) and before its
//! answer leaves, fixed or drawn from a distribution with reproducible dice.
//!
//! A `$batch` call is one request here, delayed once: Graph runs the requests of a batch without
//! `dependsOn` side by side ("fully parallel"), so a batch's round trip is about one request's, not
//! the sum of its requests'. (The other fault, [`Faults::latency`], is added before each request is
//! handled, to the requests inside a batch one by one.)
//!
//! [`Faults::response_latency`]: crate::Faults::response_latency
//! [`Faults::latency`]: crate::Faults::latency

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::Twin;
use crate::throttle::Dice;

/// How long each answer is held back.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Latency {
    /// Not at all.
    #[default]
    None,
    /// The same delay every time.
    Fixed(Duration),
    /// A delay drawn evenly from `min..=max`.
    Uniform {
        /// The shortest.
        min: Duration,
        /// The longest.
        max: Duration,
    },
    /// A log-normal delay, as network and service times usually are: half the answers take less
    /// than `median`, 99 % less than `p99` (a few take much longer).
    LogNormal {
        /// The median delay.
        median: Duration,
        /// The 99th percentile (at least the median).
        p99: Duration,
    },
}

/// The standard normal's 99th percentile: `p99 = median · e^(σ · Z99)`.
const Z99: f64 = 2.326_347_874_040_841;

impl Latency {
    /// Whether answers are held back at all.
    pub fn is_none(&self) -> bool {
        match self {
            Self::None => true,
            Self::Fixed(delay) => delay.is_zero(),
            Self::Uniform { max, .. } => max.is_zero(),
            Self::LogNormal { median, .. } => median.is_zero(),
        }
    }

    /// One delay, drawn with `dice`.
    pub(crate) fn sample(&self, dice: &mut Dice) -> Duration {
        match *self {
            Self::None => Duration::ZERO,
            Self::Fixed(delay) => delay,
            Self::Uniform { min, max } => {
                let (low, high) = (min.min(max), min.max(max));
                low + (high - low).mul_f64(dice.roll())
            }
            Self::LogNormal { median, p99 } => {
                let sigma =
                    (p99.max(median).as_secs_f64() / median.as_secs_f64().max(1e-9)).ln() / Z99;
                // Box-Muller: a standard normal from two uniform rolls (the first never 0).
                let (u1, u2) = (1.0 - dice.roll(), dice.roll());
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                let seconds = median.as_secs_f64() * (sigma * z).exp();
                // A day at most: a wild draw never hangs a test.
                Duration::from_secs_f64(seconds.clamp(0.0, 86_400.0))
            }
        }
    }
}

/// Middleware on every request below `/v1.0` (a `$batch` call counts as one): runs it, then holds
/// the answer back for one draw of [`Faults::response_latency`](crate::Faults::response_latency).
pub(crate) async fn respond_late(
    State(twin): State<Twin>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    let latency = twin.config().faults.response_latency;
    if !latency.is_none() {
        let delay = latency.sample(&mut twin.latency_dice());
        tokio::time::sleep(delay).await;
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(latency: Latency, count: usize) -> Vec<Duration> {
        let mut dice = Dice::new(7);
        let mut draws: Vec<Duration> = (0..count).map(|_| latency.sample(&mut dice)).collect();
        draws.sort();
        draws
    }

    #[test]
    fn distributions_keep_their_shape() {
        let ms = Duration::from_millis;
        assert!(
            draws(Latency::Fixed(ms(100)), 10)
                .iter()
                .all(|d| *d == ms(100))
        );
        let uniform = draws(
            Latency::Uniform {
                min: ms(50),
                max: ms(150),
            },
            10_000,
        );
        assert!(uniform.first().unwrap() >= &ms(50) && uniform.last().unwrap() <= &ms(150));
        let median = uniform[5_000].as_secs_f64();
        assert!((0.095..0.105).contains(&median), "{median}");
        let lognormal = draws(
            Latency::LogNormal {
                median: ms(100),
                p99: ms(400),
            },
            10_000,
        );
        let median = lognormal[5_000].as_secs_f64();
        let p99 = lognormal[9_900].as_secs_f64();
        assert!((0.095..0.105).contains(&median), "{median}");
        assert!((0.36..0.44).contains(&p99), "{p99}");
        // The same seed, the same delays.
        assert_eq!(
            lognormal,
            draws(
                Latency::LogNormal {
                    median: ms(100),
                    p99: ms(400),
                },
                10_000
            )
        );
    }
}
