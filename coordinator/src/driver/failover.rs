//! Several chain service instances (on one shared database) as one
//! [`ChainApi`]: calls go to the instance in use, the first given that
//! answers; an error or no answer within the call's time-out
//! (`protocol::timing::Timing::chain_call_timeout`, half a heartbeat
//! interval) moves the call, and the use, to the next one, so a dead
//! instance is replaced within one interval. The node sees one chain
//! service: down only when every instance fails, with every one's error.
//!
//! A submission whose answer was lost (the instance died after
//! committing, or answered too late) is sent again to the next instance,
//! which finds the block in the shared chain and answers `duplicate`: the
//! HTTP layer turns that into `Accepted` for this very header, never a
//! second block.
//!
//! Each instance's health is what its last call or probe found
//! ([`ChainSet::probe`], on a timer, keeps the instances not in use
//! known too); with several instances, failures are `chain_failing`
//! warnings with the instance's URL as their subject (with one, the node's
//! own warning that the chain is down says it). [`ChainApi::instances`] is what `/status`,
//! the dashboard and `/metrics` show.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chain::ledger::Address;
use protocol::{BlockHeader, CoordinatorId};
use serde::Serialize;

use super::chain::ChainApi;
use super::warnings::{WarningKind, Warnings};
use crate::node::{ChainError, Submitted, Template, Tip};

/// One instance as the status shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceStatus {
    /// Its URL.
    pub url: String,
    /// Whether calls go to it now.
    pub in_use: bool,
    /// Whether its last call or probe was answered (`null` before any).
    pub up: Option<bool>,
    /// Its last error, while down.
    pub error: Option<String>,
    /// Milliseconds since its last call or probe ended.
    pub checked_ms_ago: Option<u64>,
    /// Calls and probes it failed, since start.
    pub failures: u64,
}

#[derive(Debug, Default)]
struct Health {
    up: Option<bool>,
    error: Option<String>,
    checked: Option<Instant>,
    failures: u64,
}

#[derive(Debug)]
struct Instance<C> {
    api: Arc<C>,
    url: String,
    health: Mutex<Health>,
}

/// The instances, in the order given.
#[derive(Debug)]
pub struct ChainSet<C> {
    instances: Vec<Instance<C>>,
    current: AtomicUsize,
    timeout: Duration,
    warnings: Arc<Warnings>,
}

/// What one attempt on one instance gave.
enum Attempt<T> {
    /// An answer (a refusal included: the instance works).
    Answered(Result<T, ChainError>),
    /// No usable answer: try the next.
    Failed(String),
}

impl<C: ChainApi> ChainSet<C> {
    /// `instances` as `(url, client)`, in order of preference (at least
    /// one); each call waits `timeout` for an instance.
    pub fn new(instances: Vec<(String, C)>, timeout: Duration, warnings: Arc<Warnings>) -> Self {
        ChainSet {
            instances: instances
                .into_iter()
                .map(|(url, api)| Instance {
                    api: Arc::new(api),
                    url,
                    health: Mutex::default(),
                })
                .collect(),
            current: AtomicUsize::new(0),
            timeout,
            warnings,
        }
    }

    /// The URL calls go to now.
    pub fn in_use(&self) -> Option<&str> {
        self.instances
            .get(self.current.load(Ordering::Relaxed))
            .map(|i| i.url.as_str())
    }

    /// Calls each instance's tip once (at most `timeout` each, all at
    /// once) and records what it found.
    pub async fn probe(&self) {
        let probes = self.instances.iter().enumerate().map(|(i, _)| async move {
            let attempt = self
                .attempt(i, |api: Arc<C>| async move { api.tip().await })
                .await;
            drop(attempt);
        });
        futures_util::future::join_all(probes).await;
    }

    /// One call on instance `i`, its health recorded.
    async fn attempt<T, F, Fut>(&self, i: usize, call: F) -> Attempt<T>
    where
        F: FnOnce(Arc<C>) -> Fut,
        Fut: Future<Output = Result<T, ChainError>>,
    {
        let Some(instance) = self.instances.get(i) else {
            return Attempt::Failed("no such instance".into());
        };
        let outcome = match tokio::time::timeout(self.timeout, call(Arc::clone(&instance.api)))
            .await
        {
            Ok(Err(ChainError::Unavailable(e))) => Attempt::Failed(e),
            Ok(answer) => Attempt::Answered(answer),
            Err(_) => Attempt::Failed(format!("no answer within {} ms", self.timeout.as_millis())),
        };
        let mut h = instance
            .health
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        h.checked = Some(Instant::now());
        match &outcome {
            Attempt::Answered(_) => {
                h.up = Some(true);
                h.error = None;
            }
            Attempt::Failed(e) => {
                h.up = Some(false);
                h.error = Some(e.clone());
                h.failures += 1;
                drop(h);
                // One instance failing is the whole chain failing, which
                // the node says itself (`NodeEvent::ChainDown`): said here
                // too, it would be said twice.
                if self.instances.len() > 1 {
                    let using = i == self.current.load(Ordering::Relaxed);
                    self.warnings.raise(
                        WarningKind::ChainFailing,
                        instance.url.clone(),
                        format!(
                            "the chain service at {} fails: {e}{}",
                            instance.url,
                            if using {
                                "; moving to the next instance"
                            } else {
                                "; not used while it fails"
                            }
                        ),
                    );
                }
            }
        }
        outcome
    }

    /// `call` on the instance in use, then on each next one until one
    /// answers; the one that answers is in use from then on.
    async fn call<T, F, Fut>(&self, call: F) -> Result<T, ChainError>
    where
        F: Fn(Arc<C>) -> Fut,
        Fut: Future<Output = Result<T, ChainError>>,
    {
        let n = self.instances.len();
        let first = self.current.load(Ordering::Relaxed);
        let mut errors = Vec::new();
        for k in 0..n {
            let i = (first + k) % n;
            match self.attempt(i, &call).await {
                Attempt::Answered(answer) => {
                    if i != first {
                        self.current.store(i, Ordering::Relaxed);
                        tracing::info!(
                            from = %self.instances[first].url,
                            to = %self.instances[i].url,
                            "chain service instance changed"
                        );
                    }
                    return answer;
                }
                // Each error names its instance, unless there is only
                // the one the node's own words name.
                Attempt::Failed(e) if n == 1 => errors.push(e),
                Attempt::Failed(e) => errors.push(format!("{}: {e}", self.instances[i].url)),
            }
        }
        Err(ChainError::Unavailable(errors.join("; ")))
    }
}

impl<C: ChainApi> ChainApi for ChainSet<C> {
    fn describe(&self) -> String {
        let urls: Vec<&str> = self.instances.iter().map(|i| i.url.as_str()).collect();
        match urls.as_slice() {
            [one] => format!("the chain service at {one}"),
            many => format!("the chain services at {}", many.join(", ")),
        }
    }

    async fn template(&self, payout: Address) -> Result<Template, ChainError> {
        self.call(|api: Arc<C>| async move { api.template(payout).await })
            .await
    }

    async fn submit(
        &self,
        header: BlockHeader,
        height: u64,
        miner: String,
        confirmed_by: Vec<CoordinatorId>,
    ) -> Result<Submitted, ChainError> {
        self.call(|api: Arc<C>| {
            let (miner, confirmed_by) = (miner.clone(), confirmed_by.clone());
            async move { api.submit(header, height, miner, confirmed_by).await }
        })
        .await
    }

    async fn tip(&self) -> Result<Tip, ChainError> {
        self.call(|api: Arc<C>| async move { api.tip().await })
            .await
    }

    fn instances(&self) -> Vec<InstanceStatus> {
        let current = self.current.load(Ordering::Relaxed);
        self.instances
            .iter()
            .enumerate()
            .map(|(i, instance)| {
                let h = instance
                    .health
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                InstanceStatus {
                    url: instance.url.clone(),
                    in_use: i == current,
                    up: h.up,
                    error: h.error.clone(),
                    checked_ms_ago: h.checked.map(|t| t.elapsed().as_millis() as u64),
                    failures: h.failures,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU32;

    use protocol::Hash256;

    use super::*;

    /// An instance that answers, fails, or never answers, as set.
    #[derive(Debug)]
    struct Fake {
        mode: AtomicU32,
        calls: AtomicU32,
    }

    const UP: u32 = 0;
    const DOWN: u32 = 1;
    const SILENT: u32 = 2;
    const REFUSING: u32 = 3;

    impl Fake {
        fn new(mode: u32) -> Fake {
            Fake {
                mode: AtomicU32::new(mode),
                calls: AtomicU32::new(0),
            }
        }
    }

    impl ChainApi for Fake {
        async fn template(&self, _: Address) -> Result<Template, ChainError> {
            Err(ChainError::Rejected("unused".into()))
        }
        async fn submit(
            &self,
            _: BlockHeader,
            _: u64,
            _: String,
            _: Vec<CoordinatorId>,
        ) -> Result<Submitted, ChainError> {
            Err(ChainError::Rejected("unused".into()))
        }
        async fn tip(&self) -> Result<Tip, ChainError> {
            self.calls.fetch_add(1, Ordering::Relaxed);
            match self.mode.load(Ordering::Relaxed) {
                UP => Ok(Tip {
                    height: 7,
                    hash: Hash256::ZERO,
                }),
                DOWN => Err(ChainError::Unavailable("connection refused".into())),
                REFUSING => Err(ChainError::Rejected("bad request".into())),
                _ => std::future::pending().await,
            }
        }
    }

    /// Instances `http://a`, `http://b`, ... in `modes`.
    fn set<const N: usize>(modes: [u32; N]) -> (ChainSet<Fake>, Arc<Warnings>) {
        let warnings = Arc::new(Warnings::new());
        let set = ChainSet::new(
            modes
                .iter()
                .zip('a'..)
                .map(|(&mode, name)| (format!("http://{name}"), Fake::new(mode)))
                .collect(),
            Duration::from_millis(50),
            Arc::clone(&warnings),
        );
        (set, warnings)
    }

    fn fake(set: &ChainSet<Fake>, i: usize) -> &Fake {
        &set.instances[i].api
    }

    #[tokio::test]
    async fn the_first_that_answers_is_used_until_it_fails() {
        let (set, warnings) = set([UP, UP]);
        assert_eq!(set.tip().await.unwrap().height, 7);
        assert_eq!(set.in_use(), Some("http://a"));
        fake(&set, 0).mode.store(DOWN, Ordering::Relaxed);
        assert_eq!(set.tip().await.unwrap().height, 7);
        assert_eq!(set.in_use(), Some("http://b"));
        // Back up: b stays in use (no flapping), a is known up again.
        fake(&set, 0).mode.store(UP, Ordering::Relaxed);
        set.tip().await.unwrap();
        assert_eq!(set.in_use(), Some("http://b"));
        set.probe().await;
        let status = set.instances();
        assert_eq!(
            status.iter().map(|s| (s.in_use, s.up)).collect::<Vec<_>>(),
            [(false, Some(true)), (true, Some(true))]
        );
        assert_eq!(status[0].failures, 1);
        let w = warnings.snapshot();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].subject, "http://a");
        assert!(w[0].text.contains("moving to the next"), "{}", w[0].text);
    }

    #[tokio::test]
    async fn an_instance_that_does_not_answer_in_time_is_left() {
        let (set, _) = set([SILENT, UP]);
        assert_eq!(set.tip().await.unwrap().height, 7);
        assert_eq!(set.in_use(), Some("http://b"));
        let a = &set.instances()[0];
        assert_eq!(a.up, Some(false));
        assert!(a.error.as_deref().unwrap().contains("no answer"), "{a:?}");
    }

    #[tokio::test]
    async fn every_instance_failing_is_one_error_naming_each() {
        let (set, warnings) = set([DOWN, SILENT]);
        let Err(ChainError::Unavailable(e)) = set.tip().await else {
            panic!("all down");
        };
        assert!(e.contains("http://a: connection refused"), "{e}");
        assert!(e.contains("http://b: no answer"), "{e}");
        assert_eq!(warnings.snapshot().len(), 2);
    }

    #[tokio::test]
    async fn a_single_instance_failing_is_left_to_the_node_to_say() {
        let (set, warnings) = set([DOWN]);
        let Err(ChainError::Unavailable(e)) = set.tip().await else {
            panic!("down");
        };
        // The node's warning names the URL (`describe`); the error and
        // the warnings do not say it again.
        assert_eq!(e, "connection refused");
        assert_eq!(set.describe(), "the chain service at http://a");
        assert!(warnings.snapshot().is_empty());
        let status = set.instances();
        assert_eq!((status[0].up, status[0].failures), (Some(false), 1));
    }

    #[tokio::test]
    async fn a_refusal_is_an_answer_not_a_failure() {
        let (set, _) = set([REFUSING, UP]);
        assert!(matches!(set.tip().await, Err(ChainError::Rejected(_))));
        assert_eq!(set.in_use(), Some("http://a"));
        assert_eq!(fake(&set, 1).calls.load(Ordering::Relaxed), 0);
        assert_eq!(set.instances()[0].up, Some(true));
    }
}
