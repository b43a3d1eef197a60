//! `GET /events`: the dashboard's feed. One `view` event at once, then one
//! a second: the status (at most [`MAX_MINERS_SHOWN`] miners), the blocks
//! this node committed, and the hash rate samples the client has not had
//! yet (all of them the first time). The stream ends when the node stops.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::Shared;
use super::telemetry::{BlockSeen, RateSample, unix_ms};
use crate::driver::CoordinatorStatus;

/// Miners a view lists at most (the lowest ids); `miners_total` counts all.
pub const MAX_MINERS_SHOWN: usize = 500;
/// How often a view is sent.
pub const EVERY: Duration = Duration::from_secs(1);

#[derive(Serialize)]
struct View {
    status: CoordinatorStatus,
    miners_total: usize,
    blocks: Vec<BlockSeen>,
    /// Samples newer than the last one sent on this stream.
    rate: Vec<RateSample>,
    /// The server's clock, Unix milliseconds.
    now_ms: u64,
}

struct Feed {
    rx: Shared,
    last_sample_ms: u64,
    first: bool,
    _permit: OwnedSemaphorePermit,
}

impl Feed {
    /// The next view, or `None` once the node has stopped.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if !self.first {
                tokio::time::sleep(EVERY).await;
            }
            self.first = false;
            // An error: the node task is gone, and the stream ends.
            self.rx.has_changed().ok()?;
            let Some(mut status) = self.rx.borrow_and_update().clone() else {
                continue;
            };
            let telemetry = Arc::clone(&status.telemetry);
            let rate = telemetry.rate_since(self.last_sample_ms);
            if let Some(last) = rate.last() {
                self.last_sample_ms = last.at_ms;
            }
            let miners_total = status.node.miners.len();
            status.node.miners.truncate(MAX_MINERS_SHOWN);
            let view = View {
                status,
                miners_total,
                blocks: telemetry.recent_blocks(),
                rate,
                now_ms: unix_ms(),
            };
            let event = Event::default()
                .event("view")
                .json_data(&view)
                .unwrap_or_else(|_| Event::default().comment("unserializable view"));
            return Some(event);
        }
    }
}

/// The feed, or `503` when [`super::MAX_STREAMS`] are open.
pub async fn stream(rx: Shared, streams: Arc<Semaphore>) -> Response {
    let Ok(permit) = streams.try_acquire_owned() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many dashboards are open; retry later\n",
        )
            .into_response();
    };
    let feed = Feed {
        rx,
        last_sample_ms: 0,
        first: true,
        _permit: permit,
    };
    Sse::new(views(feed))
        .keep_alive(KeepAlive::default())
        .into_response()
}

fn views(feed: Feed) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok(event), feed))
    })
}
