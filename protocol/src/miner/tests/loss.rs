//! What the miner does so that lost datagrams cost little: answers sent
//! again when the leader leases their range again, fast re-requests and
//! re-sent solutions, and a silent leader probed before it is dropped.

use super::*;

fn on(m: &mut Miner, now: u64, msg: Message) {
    m.handle_message(t(now), A1, NodeId::Coordinator(C1), msg);
}

fn kinds(tx: &[Transmit]) -> Vec<&'static str> {
    tx.iter()
        .map(|t| match t.message {
            Message::ProcessAnswerNo(_) => "no",
            Message::ProcessAnswerYes(_) => "yes",
            Message::HeartbeatReply(r) if r.request.is_some() => "request",
            Message::HeartbeatReply(_) => "status",
            Message::Discover(_) => "discover",
            _ => "other",
        })
        .collect()
}

#[test]
fn a_range_leased_again_after_its_answer_gets_the_answer_not_a_rescan() {
    let mut m = following();
    let p = process(1, 1, 1_000, 2_999, 40);
    on(&mut m, 2, Message::Process(p));
    run_steps(&mut m, t(3));
    let first: Vec<_> = drain(&mut m)
        .into_iter()
        .filter_map(|t| match t.message {
            Message::ProcessAnswerNo(no) => Some(no),
            _ => None,
        })
        .collect();
    assert_eq!(first.len(), 1);
    let hashes = m.stats().hashes;
    // The answer was lost: the leader leases the same range again.
    on(&mut m, 20, Message::Process(p));
    assert_eq!(m.state(), MinerState::Idle, "not taken as new work");
    assert_eq!(run_steps(&mut m, t(21)), 0);
    let tx = drain(&mut m);
    assert_eq!(kinds(&tx), ["no"]);
    assert!(matches!(tx[0].message, Message::ProcessAnswerNo(no) if no == first[0]));
    assert_eq!(tx[0].dest, Dest::Addr(A1));
    assert_eq!(m.stats().hashes, hashes);
    assert_eq!(m.stats().answers_resent, 1);
    // Once the job is closed the answer is forgotten; a new job's lease of
    // the same nonces is new work.
    let i = ProcessInterrupt { job: p.job };
    on(&mut m, 30, Message::ProcessInterrupt(i));
    let next = process(1, 2, 1_000, 2_999, 40);
    on(&mut m, 31, Message::Process(next));
    assert_eq!(m.state(), MinerState::Mining(next.job));
}

#[test]
fn a_solved_range_leased_again_gets_the_solution_again() {
    let mut m = following();
    let p = process(1, 1, GENESIS.nonce - 50, GENESIS.nonce + 50, 32);
    on(&mut m, 2, Message::Process(p));
    run_steps(&mut m, t(3));
    assert!(kinds(&drain(&mut m)).contains(&"yes"));
    on(&mut m, 5, Message::Process(p));
    assert_eq!(m.state(), MinerState::Idle);
    assert_eq!(kinds(&drain(&mut m)), ["yes"]);
}

#[test]
fn solutions_are_sent_again_fast_then_at_the_retry_pace() {
    let mut m = following();
    let p = process(1, 1, GENESIS.nonce - 50, GENESIS.nonce + 50, 32);
    on(&mut m, 2, Message::Process(p));
    run_steps(&mut m, t(3));
    drain(&mut m);
    // retry is 50 ms: again after 12, 25, then 50 ms.
    let mut sent = Vec::new();
    for now in 4..=200 {
        if m.poll_timeout() <= t(now) {
            m.handle_timeout(t(now));
            if kinds(&drain(&mut m)).contains(&"yes") {
                sent.push(now);
            }
        }
    }
    assert_eq!(&sent[..4], [15, 40, 90, 140]);
}

#[test]
fn unanswered_requests_are_repeated_fast_then_at_the_retry_pace() {
    let mut m = following();
    // following() asked twice at t(1): when it started following, and in
    // its reply to the heartbeat. Then 25 ms later, then every 50 ms.
    let mut asked = Vec::new();
    for now in 2..=99 {
        if m.poll_timeout() <= t(now) {
            m.handle_timeout(t(now));
            if kinds(&drain(&mut m)).contains(&"request") {
                asked.push(now);
            }
        }
    }
    assert_eq!(asked, [26, 76]);
    // Work resets the pace.
    on(&mut m, 99, Message::Process(process(1, 1, 1, 100_000, 40)));
    drain(&mut m);
    assert!(
        m.poll_timeout() <= t(99 + 12),
        "asks for its queued slot soon"
    );
}

#[test]
fn a_silent_leader_is_probed_before_it_is_dropped() {
    let mut m = following();
    // Heard at t(1); time-out 300 ms; probed in its last 100 ms, every
    // 12 ms (100 / 8).
    let mut probes = Vec::new();
    for now in 2..=301 {
        if m.poll_timeout() <= t(now) {
            m.handle_timeout(t(now));
            if kinds(&drain(&mut m)).contains(&"discover") {
                probes.push(now);
            }
        }
    }
    assert_eq!(probes.first(), Some(&201));
    // 100 / 8 is 12.5 ms, and instants are whole milliseconds.
    assert!(probes.len() >= 8, "{probes:?}");
    assert!(probes.iter().all(|&p| p < 301));
    assert_eq!(m.stats().leader_probes, probes.len() as u64);
    assert_eq!(m.leader(), Some(C1), "not dropped yet");
    // An answer to a probe keeps the leader.
    let a = Announce {
        view: view(1, Some(C1)),
        leader_addr: None,
    };
    on(&mut m, 301, Message::Announce(a));
    m.handle_timeout(t(302));
    assert_eq!(m.leader(), Some(C1));
    assert!(
        events(&mut m)
            .iter()
            .all(|e| !matches!(e, Event::LeaderChanged { leader: None, .. }))
    );
    // Silent through the window: dropped, and discovery resumes.
    for now in 303..=700 {
        if m.poll_timeout() <= t(now) {
            m.handle_timeout(t(now));
        }
    }
    assert_eq!(m.leader(), None);
}
