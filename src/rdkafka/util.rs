//! Timeouts and virtual-time sleep.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use parking_lot::Mutex;

use crate::app::service::hub::{current, HubState};

/// A timeout: after a duration, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    /// After this long.
    After(Duration),
    /// Never.
    Never,
}

impl From<Duration> for Timeout {
    fn from(d: Duration) -> Self {
        Timeout::After(d)
    }
}

impl From<Option<Duration>> for Timeout {
    fn from(d: Option<Duration>) -> Self {
        d.map_or(Timeout::Never, Timeout::After)
    }
}

/// Sleep `d` of the simulation's virtual time (tokio's timers are off inside a service).
///
/// # Panics
///
/// Outside a service's code.
pub async fn sleep(d: Duration) {
    let st = current().expect("kafkasim::rdkafka::util::sleep runs inside a service's code only");
    Sleep { st, ms: d.as_millis() as u64, key: None }.await
}

/// The virtual time in ms, inside a service's code (0 outside).
pub fn now_ms() -> u64 {
    current().map_or(0, |st| st.lock().now)
}

struct Sleep {
    st: Arc<Mutex<HubState>>,
    ms: u64,
    key: Option<(u64, u64)>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut s = this.st.lock();
        let key = match this.key {
            Some(k) => k,
            None => {
                if !s.unblocked(cx.waker()) {
                    return Poll::Pending;
                }
                let at = s.now + this.ms;
                let k = s.timer(at);
                this.key = Some(k);
                k
            }
        };
        match s.timers.get_mut(&key) {
            Some(w) => {
                *w = Some(cx.waker().clone());
                Poll::Pending
            }
            None => Poll::Ready(()),
        }
    }
}

pub use super::topic_partition_list::{Offset, TopicPartitionList, TopicPartitionListElem};
