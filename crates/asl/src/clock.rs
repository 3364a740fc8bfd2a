//! Injectable time: the interpreter asks a [`Clock`] for "now" and for sleeps, so tests
//! run Wait states, retries and timeouts instantly on a paused tokio clock.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;
use futures::FutureExt;

pub trait Clock: Send + Sync {
    /// Wall-clock time, milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// Real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        tokio::time::sleep(duration).boxed()
    }
}

/// Time that follows tokio's clock from a fixed start: under a paused runtime
/// (`#[tokio::test(start_paused = true)]`) sleeps complete at once, in timer order,
/// and `now` advances by exactly the time slept.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start_millis: i64,
    start: tokio::time::Instant,
}

impl TokioClock {
    pub fn starting_at(start_millis: i64) -> Self {
        Self {
            start_millis,
            start: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now_millis(&self) -> i64 {
        self.start_millis + self.start.elapsed().as_millis() as i64
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        tokio::time::sleep(duration).boxed()
    }
}
