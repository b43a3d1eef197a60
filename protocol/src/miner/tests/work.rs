//! Assignments, steps, answers and interrupts.

use super::*;

#[test]
fn scans_an_assignment_in_steps_and_answers_no_with_its_best() {
    let mut m = following();
    let p = process(1, 1, 1_000, 4_999, 40);
    m.handle_message(t(2), A1, NodeId::Coordinator(C1), Message::Process(p));
    assert_eq!(m.state(), MinerState::Mining(p.job));
    let steps = run_steps(&mut m, t(3));
    assert!(steps > 1, "the range is cut into steps");
    let tx = drain(&mut m);
    let no = tx
        .iter()
        .find_map(|t| match t.message {
            Message::ProcessAnswerNo(no) => Some((t.dest, no)),
            _ => None,
        })
        .unwrap();
    assert_eq!(no.0, Dest::Addr(A1));
    assert_eq!(no.1.range, p.range);
    let expected = Kernel::portable().scan(&ScanJob::new(&GENESIS.template()), p.range, 40);
    assert_eq!(no.1.best, expected.best);
    assert_eq!(m.stats().hashes, 4_000);
    // It asked for more as soon as it answered.
    assert!(!requests(&tx).is_empty());
    assert_eq!(m.state(), MinerState::Idle);
}

#[test]
fn a_solution_is_sent_until_the_leader_acknowledges_it() {
    let mut m = following();
    let p = process(1, 1, GENESIS.nonce - 500, GENESIS.nonce + 500, 32);
    m.handle_message(t(2), A1, NodeId::Coordinator(C1), Message::Process(p));
    run_steps(&mut m, t(3));
    let yes: Vec<_> = drain(&mut m)
        .into_iter()
        .filter_map(|t| match t.message {
            Message::ProcessAnswerYes(y) => Some(y),
            _ => None,
        })
        .collect();
    assert_eq!(yes.len(), 1);
    assert_eq!(yes[0].nonce, GENESIS.nonce);
    assert!(events(&mut m).contains(&Event::Found {
        job: p.job,
        nonce: GENESIS.nonce
    }));
    // Unacknowledged: sent again after the retry interval.
    m.handle_timeout(t(60));
    assert!(
        drain(&mut m)
            .iter()
            .any(|t| matches!(t.message, Message::ProcessAnswerYes(_)))
    );
    // The interrupt acknowledges it.
    let i = ProcessInterrupt {
        job: JobRef {
            epoch: Epoch(1),
            job: JobId(1),
        },
    };
    m.handle_message(
        t(70),
        A1,
        NodeId::Coordinator(C1),
        Message::ProcessInterrupt(i),
    );
    drain(&mut m);
    m.handle_timeout(t(200));
    assert!(
        !drain(&mut m)
            .iter()
            .any(|t| matches!(t.message, Message::ProcessAnswerYes(_)))
    );
}

#[test]
fn interrupts_and_newer_jobs_stop_old_work() {
    let mut m = following();
    m.handle_message(
        t(2),
        A1,
        NodeId::Coordinator(C1),
        Message::Process(process(1, 1, 0, 999_999, 40)),
    );
    m.handle_message(
        t(2),
        A1,
        NodeId::Coordinator(C1),
        Message::Process(process(1, 1, 1_000_000, 1_999_999, 40)),
    );
    let step = m.poll_step().unwrap();
    // Interrupt while a step runs: its result is discarded, nothing is left.
    let i = ProcessInterrupt {
        job: JobRef {
            epoch: Epoch(1),
            job: JobId(1),
        },
    };
    m.handle_message(
        t(3),
        A1,
        NodeId::Coordinator(C1),
        Message::ProcessInterrupt(i),
    );
    let out = Kernel::portable().scan(&step.job, step.range, step.zero_bits);
    m.handle_step(t(4), step.id, out, Duration::from_millis(1));
    assert!(m.poll_step().is_none());
    assert!(
        drain(&mut m)
            .iter()
            .all(|t| !matches!(t.message, Message::ProcessAnswerNo(_)))
    );
    // A late Process for the interrupted job is stale.
    m.handle_message(
        t(5),
        A1,
        NodeId::Coordinator(C1),
        Message::Process(process(1, 1, 5, 9, 40)),
    );
    assert!(events(&mut m).contains(&Event::Refused(Refusal::Stale)));
    // A heartbeat naming job 3 drops job 2's work.
    m.handle_message(
        t(6),
        A1,
        NodeId::Coordinator(C1),
        Message::Process(process(1, 2, 0, 999, 40)),
    );
    let hb = HeartbeatRequest {
        view: view(1, Some(C1)),
        job: Some(JobRef {
            epoch: Epoch(1),
            job: JobId(3),
        }),
        chain: ChainHealth::Unknown,
    };
    m.handle_message(
        t(7),
        A1,
        NodeId::Coordinator(C1),
        Message::HeartbeatRequest(hb),
    );
    assert_eq!(m.state(), MinerState::Idle);
}

#[test]
fn unknown_recipes_and_a_full_queue_are_refused() {
    let mut m = following();
    let mut p = process(1, 1, 0, 9, 1);
    p.recipe = Recipe(7);
    m.handle_message(t(2), A1, NodeId::Coordinator(C1), Message::Process(p));
    assert!(events(&mut m).contains(&Event::Refused(Refusal::UnsupportedRecipe)));
    for first in [0, 100, 200] {
        m.handle_message(
            t(3),
            A1,
            NodeId::Coordinator(C1),
            Message::Process(process(1, 1, first, first + 9, 40)),
        );
    }
    assert!(events(&mut m).contains(&Event::Refused(Refusal::NoRoom)));
    assert_eq!(m.stats().refused, 2);
}

#[test]
fn the_next_range_is_requested_halfway_through_the_current_one() {
    let mut m = following();
    m.handle_message(
        t(2),
        A1,
        NodeId::Coordinator(C1),
        Message::Process(process(1, 1, 0, 9_999, 60)),
    );
    drain(&mut m);
    let mut asked = false;
    while let Some(step) = m.poll_step() {
        let out = Kernel::portable().scan(&step.job, step.range, step.zero_bits);
        m.handle_step(t(100), step.id, out, Duration::from_millis(1));
        if requests(&drain(&mut m)).contains(&1) {
            asked = true;
            break;
        }
    }
    assert!(asked, "asked for one more range while still holding one");
    assert!(matches!(m.state(), MinerState::Mining(_)));
}

#[test]
fn a_step_of_a_dropped_assignment_never_counts_for_the_same_range_leased_again() {
    let mut m = following();
    let p = process(1, 1, 0, 99_999, 60);
    m.handle_message(t(2), A1, NodeId::Coordinator(C1), Message::Process(p));
    let step = m.poll_step().unwrap();
    // The leader goes silent: the work is dropped while the step runs.
    m.handle_timeout(t(400));
    assert_eq!(m.leader(), None);
    assert!(!m.step_wanted(step.id));
    // It comes back in the same epoch and leases the very same range again.
    let hb = HeartbeatRequest {
        view: view(1, Some(C1)),
        job: None,
        chain: ChainHealth::Unknown,
    };
    m.handle_message(
        t(401),
        A1,
        NodeId::Coordinator(C1),
        Message::HeartbeatRequest(hb),
    );
    m.handle_message(t(402), A1, NodeId::Coordinator(C1), Message::Process(p));
    assert!(
        !m.step_wanted(step.id),
        "the old step is not part of the new assignment"
    );
    // The old step finishes: it must not be recorded into the new one.
    let out = Kernel::portable().scan(&step.job, step.range, step.zero_bits);
    m.handle_step(t(403), step.id, out, Duration::from_millis(1));
    let first = m.poll_step().unwrap();
    assert_eq!(
        first.range.first(),
        0,
        "the new assignment starts from its beginning"
    );
    let mut scanned = 0;
    let mut next = Some(first);
    while let Some(s) = next {
        let out = Kernel::portable().scan(&s.job, s.range, s.zero_bits);
        scanned += out.hashes;
        m.handle_step(t(404), s.id, out, Duration::from_millis(1));
        next = m.poll_step();
    }
    assert_eq!(scanned, 100_000);
    let no = drain(&mut m)
        .into_iter()
        .find_map(|t| match t.message {
            Message::ProcessAnswerNo(no) => Some(no),
            _ => None,
        })
        .unwrap();
    let expected = Kernel::portable().scan(&ScanJob::new(&GENESIS.template()), p.range, 60);
    assert_eq!(no.best, expected.best);
}
