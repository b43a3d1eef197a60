//! The vote on each solution: majorities, a follower that lies, a leader
//! that lies or is stale, a follower killed mid-vote, and loss.

use std::time::Duration;

use protocol::wire::{HeaderBytes, Message, Vote, VoteReply, VoteRequest};
use protocol::{CoordinatorId, Epoch, JobId, JobRef, NodeId};

use super::net::{Faults, HB, Net, addr};
use crate::node::{Decision, NodeEvent};

fn ids(list: &[u16]) -> Vec<CoordinatorId> {
    list.iter().map(|&i| CoordinatorId(i)).collect()
}

/// The `took` of every vote decided, in ms, sorted.
fn vote_times(net: &Net) -> Vec<u64> {
    let mut t: Vec<u64> = net
        .events
        .iter()
        .filter_map(|(_, e)| match e {
            NodeEvent::VoteDecided { took, .. } => Some(took.as_millis() as u64),
            _ => None,
        })
        .collect();
    t.sort_unstable();
    t
}

#[test]
fn every_block_is_confirmed_by_a_majority_of_the_coordinators_up() {
    let mut net = Net::new(3, 2, 12);
    net.run_until(5_000, |n| n.chain.blocks.len() > 5);
    for c in &net.chain.confirmed {
        assert!(c.len() >= 2 && c[0] == CoordinatorId(1), "{c:?}");
    }
    let s = net.node(1).status(net.now().mono);
    assert!(s.stats.votes >= 5);
    assert_eq!(s.stats.votes_rejected + s.stats.votes_undecided, 0);
    assert_eq!(s.stats.invariant_violations, 0);
    let followers: u64 = [2, 3]
        .iter()
        .map(|&id| net.node(id).status(net.now().mono).stats.votes_cast_yes)
        .sum();
    assert!(followers >= 5, "the followers checked and said yes");
    // On a clean network a vote takes no simulated time at all.
    assert_eq!(vote_times(&net).last(), Some(&0));
}

#[test]
fn a_follower_that_lies_is_outvoted_and_never_confirms() {
    let mut net = Net::new(3, 2, 12);
    net.liars = vec![(3, Vote::BadWork)];
    net.run_until(5_000, |n| n.chain.blocks.len() > 5);
    for c in &net.chain.confirmed {
        assert_eq!(c, &ids(&[1, 2]));
    }
    let s = net.node(1).status(net.now().mono);
    assert_eq!(s.stats.failed_claims, 0, "the miners are not blamed");
    assert_eq!(s.stats.votes_rejected, 0);
}

#[test]
fn when_a_majority_says_no_the_solution_is_dropped_and_the_miner_blamed() {
    let mut net = Net::new(3, 1, 10);
    net.liars = vec![(2, Vote::BadWork), (3, Vote::BadWork)];
    net.run_until(10_000, |n| {
        n.node(1)
            .status(n.now().mono)
            .miners
            .iter()
            .any(|m| m.banned)
    });
    assert_eq!(net.chain.blocks.len(), 1, "nothing was submitted");
    let s = net.node(1).status(net.now().mono);
    assert_eq!(s.stats.votes_rejected, 3);
    assert_eq!(s.stats.failed_claims, 3);
    assert_eq!(s.stats.blocks, 0);
    let rejected = net.events.iter().any(|(_, e)| {
        matches!(
            e,
            NodeEvent::VoteDecided {
                decision: Decision::Reject {
                    miner_at_fault: true
                },
                ..
            }
        )
    });
    assert!(rejected);
}

#[test]
fn a_tie_drops_the_solution_and_blames_nobody() {
    // Two coordinators, the follower says the job is stale: one against one.
    let mut net = Net::new(2, 1, 10);
    net.liars = vec![(2, Vote::StaleJob)];
    net.run_until(10_000, |n| {
        n.node(1).status(n.now().mono).stats.votes_undecided >= 3
    });
    assert_eq!(net.chain.blocks.len(), 1);
    let s = net.node(1).status(net.now().mono);
    assert_eq!(s.stats.failed_claims, 0);
    assert!(s.miners.iter().all(|m| !m.banned));
}

#[test]
fn a_follower_checks_what_a_leader_asks_and_refuses_lies() {
    let mut net = Net::new(3, 1, 40);
    net.run_until(1_000, |n| {
        n.node(1)
            .status(n.now().mono)
            .job
            .is_some_and(|j| j.leases > 0)
    });
    let job = net.node(1).current_job().unwrap().clone();
    let now = net.now();
    let ask = |net: &mut Net, from: u16, job: JobRef, header: [u8; 80], zero_bits| {
        let req = VoteRequest {
            job,
            header: HeaderBytes(header),
            zero_bits,
        };
        let node = net.node_mut(2);
        while node.poll_transmit().is_some() {}
        node.handle_message(
            now,
            addr(from),
            NodeId::Coordinator(CoordinatorId(from)),
            Message::VoteRequest(req),
        );
        std::iter::from_fn(|| node.poll_transmit())
            .find_map(|t| match t.message {
                Message::VoteReply(r) if t.to == addr(from) => Some(r),
                _ => None,
            })
            .expect("an answer")
    };
    // The leader's header at a nonce that does not meet 40 zero bits.
    let forged = job.solved_header(12_345).to_bytes();
    let r: VoteReply = ask(&mut net, 1, job.job_ref, forged, job.zero_bits);
    assert_eq!(
        (r.job, r.nonce, r.vote),
        (job.job_ref, 12_345, Vote::BadWork)
    );
    // The same claimed at fewer zero bits than the header's bits field.
    let r = ask(&mut net, 1, job.job_ref, forged, 0);
    assert_eq!(r.vote, Vote::BadWork);
    // Another header (a later time) for a job already shown.
    let mut other = job.solved_header(12_345);
    other.time += 1;
    let r = ask(&mut net, 1, job.job_ref, other.to_bytes(), job.zero_bits);
    assert_eq!(r.vote, Vote::OtherHeader);
    // A coordinator that does not lead, and a job of an older epoch.
    let r = ask(&mut net, 3, job.job_ref, forged, job.zero_bits);
    assert_eq!(r.vote, Vote::NotLeader);
    let old = JobRef {
        epoch: Epoch(job.job_ref.epoch.0 - 1),
        job: JobId(99),
    };
    let r = ask(&mut net, 1, old, forged, job.zero_bits);
    assert_eq!(r.vote, Vote::StaleJob);
    let s = net.node(2).status(net.now().mono);
    assert_eq!(s.stats.votes_cast_yes, 0);
    assert!(s.stats.votes_cast_no >= 5);
}

#[test]
fn a_follower_killed_mid_vote_is_absent_and_the_leader_decides_alone() {
    // Delays between the coordinators make a vote last a few ms, so the
    // kill can fall inside one.
    let delays = Faults {
        max_delay: 5,
        ..Faults::default()
    };
    let mut net = Net::new(2, 2, 14).with_faults(3, delays, Faults::default());
    net.run_until(5_000, |n| n.chain.blocks.len() > 2);
    net.run_until(5_000, |n| {
        n.node(1)
            .status(n.now().mono)
            .vote
            .is_some_and(|v| v.waiting_for == [2])
    });
    let blocks = net.chain.blocks.len();
    // Killed before its answer left: whatever it had in flight is lost.
    net.kill(2);
    net.cut.push(addr(2));
    net.run_until(5_000, |n| n.chain.blocks.len() > blocks);
    assert_eq!(net.chain.confirmed[blocks - 1], ids(&[1]));
    let (took, absent) = net
        .events
        .iter()
        .rev()
        .find_map(|(_, e)| match e {
            NodeEvent::VoteDecided { took, absent, .. } => Some((*took, absent.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(absent, ids(&[2]));
    assert!(
        took >= Duration::from_millis(HB),
        "closed after an interval"
    );
    // Once it is down, nobody is left to ask: blocks go straight in.
    let votes = net.node(1).status(net.now().mono).stats.votes;
    let blocks = net.chain.blocks.len();
    net.run(3 * HB);
    net.run_until(5_000, |n| n.chain.blocks.len() > blocks + 2);
    assert!(net.node(1).status(net.now().mono).stats.votes <= votes + 2);
    assert!(
        net.chain.confirmed[blocks..]
            .iter()
            .all(|c| c == &ids(&[1]))
    );
}

#[test]
fn votes_survive_loss_between_coordinators() {
    let mut net = Net::new(3, 2, 14).with_faults(9, Faults::loss(0.2), Faults::default());
    net.run_until(60_000, |n| n.chain.blocks.len() > 60);
    let s = net.node(1).status(net.now().mono);
    let times = vote_times(&net);
    let majority = net.chain.confirmed.iter().filter(|c| c.len() >= 2).count();
    println!(
        "votes at 20% loss between 3 coordinators, {} blocks: median {} ms, max {} ms \
         ({HB} ms heartbeats), {} requests sent again, {} peers absent, {majority} blocks \
         confirmed by two or three",
        net.chain.confirmed.len(),
        times[times.len() / 2],
        times.last().unwrap(),
        s.stats.vote_requests_resent,
        s.stats.votes_absent,
    );
    assert_eq!(s.stats.votes_rejected + s.stats.votes_undecided, 0);
    assert!(s.stats.vote_requests_resent > 0, "losses were made up for");
    assert!(majority * 20 >= net.chain.confirmed.len() * 19);
    assert_eq!(s.stats.failed_claims, 0);
}

#[test]
fn with_votes_off_the_leader_alone_confirms() {
    let mut net = Net::new(3, 2, 12).configured(|c| c.votes = false);
    net.run_until(5_000, |n| n.chain.blocks.len() > 3);
    assert!(net.chain.confirmed.iter().all(|c| c == &ids(&[1])));
    assert_eq!(net.node(1).status(net.now().mono).stats.votes, 0);
}
