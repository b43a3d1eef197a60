//! Discovery, leadership, time-outs, heartbeats and faults.

use super::*;

#[test]
fn discovers_then_follows_the_announced_leader() {
    let mut m = Miner::new(cfg(), &[A1, A2], t(0));
    assert_eq!(m.poll_timeout(), t(0));
    m.handle_timeout(t(0));
    let tx = drain(&mut m);
    assert_eq!(tx.len(), 2);
    assert!(tx.iter().all(|t| matches!(t.message, Message::Discover(_))));
    // Coordinator 2 answers: coordinator 1 leads, at A1.
    let announce = Announce {
        view: view(4, Some(C1)),
        leader_addr: Some(A1),
    };
    m.handle_message(
        t(5),
        A2,
        NodeId::Coordinator(C2),
        Message::Announce(announce),
    );
    assert_eq!(m.leader(), Some(C1));
    assert_eq!(m.view().epoch, Epoch(4));
    let tx = drain(&mut m);
    assert_eq!(tx[0].dest, Dest::Addr(A1));
    assert_eq!(requests(&tx), [2]);
    assert!(events(&mut m).contains(&Event::LeaderChanged {
        leader: Some(C1),
        epoch: Epoch(4)
    }));
}

#[test]
fn work_from_an_older_epoch_or_a_non_leader_is_refused() {
    let mut m = following();
    let hb = HeartbeatRequest {
        view: view(5, Some(C2)),
        job: None,
        chain: ChainHealth::Unknown,
    };
    m.handle_message(
        t(2),
        A2,
        NodeId::Coordinator(C2),
        Message::HeartbeatRequest(hb),
    );
    assert_eq!(m.leader(), Some(C2), "a newer epoch wins");
    m.handle_message(
        t(3),
        A1,
        NodeId::Coordinator(C1),
        Message::Process(process(1, 7, 0, 9, 1)),
    );
    assert!(events(&mut m).contains(&Event::Refused(Refusal::NotLeader)));
    assert_eq!(m.state(), MinerState::Idle);
    // Miners are not listened to.
    m.handle_message(
        t(4),
        A1,
        NodeId::Miner(MinerId(3)),
        Message::Process(process(9, 7, 0, 9, 1)),
    );
    assert_eq!(m.state(), MinerState::Idle);
}

#[test]
fn a_silent_leader_is_dropped_and_discovery_resumes() {
    let mut m = following();
    m.handle_message(
        t(2),
        A1,
        NodeId::Coordinator(C1),
        Message::Process(process(1, 1, 0, 999_999, 40)),
    );
    assert!(m.poll_timeout() <= t(302));
    m.handle_timeout(t(400));
    assert_eq!(m.leader(), None);
    assert_eq!(m.state(), MinerState::Idle);
    let tx = drain(&mut m);
    assert!(tx.iter().any(|t| matches!(t.message, Message::Discover(_))));
    // A coordinator that restarted at epoch 1 is followed again even though
    // the miner saw higher epochs before.
    let hb = HeartbeatRequest {
        view: view(1, Some(C2)),
        job: None,
        chain: ChainHealth::Unknown,
    };
    m.handle_message(
        t(500),
        A2,
        NodeId::Coordinator(C2),
        Message::HeartbeatRequest(hb),
    );
    assert_eq!(m.leader(), Some(C2));
}

#[test]
fn heartbeats_are_answered_and_sent_on_schedule() {
    let mut m = following();
    // following() adopted C1 at t=1: the next heartbeat is due at t=101.
    m.handle_timeout(t(100));
    assert!(drain(&mut m).iter().all(|t| !matches!(
        t.message,
        Message::HeartbeatReply(HeartbeatReply { request: None, .. })
    )));
    m.handle_timeout(t(101));
    let tx = drain(&mut m);
    assert!(
        tx.iter()
            .all(|t| matches!(t.message, Message::HeartbeatReply(_)))
    );
    // The leader gets the status with a request; the others the status.
    assert!(!requests(&tx).is_empty());
    assert!(tx.iter().any(|t| t.dest == Dest::Addr(A1)));
    let to_other: Vec<_> = tx.iter().filter(|t| t.dest == Dest::Addr(A2)).collect();
    assert_eq!(to_other.len(), 1);
    assert!(matches!(
        to_other[0].message,
        Message::HeartbeatReply(HeartbeatReply { request: None, .. })
    ));
    assert!(m.poll_timeout() > t(101));
}

#[test]
fn a_faulty_miner_reports_its_fault_and_takes_no_work() {
    let mut m = following();
    m.set_fault(Fault::SelfTestFailed);
    m.handle_timeout(t(500));
    let tx = drain(&mut m);
    assert!(requests(&tx).is_empty());
    m.handle_message(
        t(501),
        A1,
        NodeId::Coordinator(C1),
        Message::HeartbeatRequest(HeartbeatRequest {
            view: view(1, Some(C1)),
            job: None,
            chain: ChainHealth::Unknown,
        }),
    );
    let tx = drain(&mut m);
    assert!(tx.iter().any(|t| matches!(
        t.message,
        Message::HeartbeatReply(HeartbeatReply {
            miner: Some(MinerState::Faulty(Fault::SelfTestFailed)),
            request: None,
            ..
        })
    )));
    m.handle_message(
        t(502),
        A1,
        NodeId::Coordinator(C1),
        Message::Process(process(1, 1, 0, 9, 1)),
    );
    assert!(m.poll_step().is_none());
}
