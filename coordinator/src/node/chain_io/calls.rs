//! The chain calls the leader's work makes ([`Node::drive`]), the input
//! that takes their replies in ([`Node::handle_chain`]), and what the node
//! learns from them: the service is up, or down since when and why.

use protocol::Instant;
use protocol::wire::ChainHealth;

use super::super::{Node, NodeEvent, Now, Work};
use super::{ChainCall, ChainError, ChainReply, Submitted};

impl Node {
    /// Issues whatever chain call the leader's work needs now.
    pub(in crate::node) fn drive(&mut self, now: Now) {
        let call = match &mut self.work {
            Work::NeedTemplate { next_try, call } if call.is_idle() && now.mono >= *next_try => {
                ChainCall::Template {
                    seq: self.chain.issue(call),
                    payout: self.cfg.payout,
                }
            }
            Work::Submitting {
                job,
                nonce,
                miner,
                confirmed_by,
                next_try,
                call,
            } if call.is_idle() && now.mono >= *next_try => ChainCall::Submit {
                seq: self.chain.issue(call),
                header: job.solved_header(*nonce),
                height: job.height,
                miner: miner.to_string(),
                confirmed_by: confirmed_by.clone(),
            },
            Work::Mining { tip_call, .. } | Work::Waiting { tip_call, .. }
                if tip_call.is_idle() && now.mono >= self.next_tip =>
            {
                self.next_tip = now.mono + self.cfg.tip_poll;
                ChainCall::Tip {
                    seq: self.chain.issue(tip_call),
                }
            }
            _ => return,
        };
        self.calls.push_back(call);
    }

    /// Handles the reply to a chain call.
    pub fn handle_chain(&mut self, now: Now, reply: ChainReply) {
        match reply {
            ChainReply::Template { seq, result } => {
                let Work::NeedTemplate { call, next_try } = &mut self.work else {
                    return;
                };
                if !call.settle(seq) {
                    return;
                }
                match result {
                    Ok(t) if self.cfg.last_height.is_some_and(|last| t.height > last) => {
                        self.chain_up(now.mono);
                        self.work = Work::Done;
                    }
                    Ok(t) => {
                        self.chain_up(now.mono);
                        self.refresh_quorum(now, super::super::quorum::Count::Same);
                        if self.quorum.met {
                            self.start_job(now, t);
                        } else {
                            self.next_tip = now.mono + self.cfg.tip_poll;
                            self.work = Work::Waiting {
                                template: t,
                                tip_call: super::Pending::NONE,
                            };
                        }
                    }
                    Err(e) => {
                        *next_try = now.mono + self.chain.backoff.next_delay();
                        self.chain_down(now.mono, e);
                    }
                }
            }
            ChainReply::Submit { seq, result } => self.on_submitted(now, seq, result),
            ChainReply::Tip { seq, result } => {
                let (prev, job, tip_call) = match &mut self.work {
                    Work::Mining { job, tip_call } => {
                        (job.solved_header(0).prev_hash, Some(job.job_ref), tip_call)
                    }
                    Work::Waiting { template, tip_call } => (template.prev_hash, None, tip_call),
                    _ => return,
                };
                if !tip_call.settle(seq) {
                    return;
                }
                match result {
                    Ok(tip) => {
                        self.chain_up(now.mono);
                        if tip.hash != prev {
                            self.best.block(tip.height);
                            match job {
                                Some(job_ref) => {
                                    self.event(NodeEvent::JobStale { job: job_ref });
                                    self.close_job(now, job_ref);
                                }
                                // The template held for the quorum is stale.
                                None => self.need_template(now.mono),
                            }
                        }
                    }
                    // Keep mining through an outage: a solution found
                    // meanwhile is held and submitted when it returns.
                    Err(e) => self.chain_down(now.mono, e),
                }
            }
        }
        self.drive(now);
    }

    fn on_submitted(&mut self, now: Now, seq: u64, result: Result<Submitted, ChainError>) {
        let Work::Submitting {
            call,
            next_try,
            miner,
            ..
        } = &mut self.work
        else {
            return;
        };
        if !call.settle(seq) {
            return;
        }
        let miner = *miner;
        match result {
            Ok(Submitted::Accepted { height, hash }) => {
                self.chain_up(now.mono);
                self.stats.blocks += 1;
                self.best.block(height);
                self.event(NodeEvent::BlockAccepted {
                    height,
                    hash,
                    miner,
                });
                self.need_template(now.mono);
            }
            Ok(Submitted::Stale(reason)) => {
                self.chain_up(now.mono);
                self.stats.blocks_stale += 1;
                self.event(NodeEvent::BlockStale { reason });
                self.need_template(now.mono);
            }
            Err(ChainError::Rejected(reason)) => {
                self.chain_up(now.mono);
                self.stats.blocks_rejected += 1;
                self.event(NodeEvent::BlockRejected { reason });
                self.need_template(now.mono);
            }
            Err(e @ ChainError::Unavailable(_)) => {
                *next_try = now.mono + self.chain.backoff.next_delay();
                self.chain_down(now.mono, e);
            }
        }
    }

    /// Fetches a template next (when leading; otherwise there is no work).
    pub(in crate::node) fn need_template(&mut self, now: Instant) {
        self.work = if self.leading.is_some() {
            Work::NeedTemplate {
                next_try: now,
                call: super::Pending::NONE,
            }
        } else {
            Work::Idle
        };
    }

    fn chain_up(&mut self, now: Instant) {
        self.chain.health = ChainHealth::Up;
        self.chain.backoff.reset();
        self.chain.error = None;
        if let Some(since) = self.chain.down_since.take() {
            self.event(NodeEvent::ChainUp {
                after: now.saturating_since(since),
            });
        }
    }

    fn chain_down(&mut self, now: Instant, e: ChainError) {
        let text = match e {
            ChainError::Unavailable(t) | ChainError::Rejected(t) => t,
        };
        self.stats.chain_failures += 1;
        self.chain.health = ChainHealth::Down;
        if self.chain.down_since.is_none() {
            self.chain.down_since = Some(now);
            self.event(NodeEvent::ChainDown {
                error: text.clone(),
            });
        }
        self.chain.error = Some(text);
    }
}
