//! The one place the command line reads the time (time is an input: CONTRIBUTING.md): the executor
//! and the reports receive it as a [`Clock`] or a value.

use std::time::SystemTime;

use anchorsync_executor::Clock;
use anchorsync_store::Timestamp;

/// Now.
#[allow(clippy::disallowed_methods)]
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// The system clock, for the executor.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_system_time(now())
    }
}
