use super::entry::RATE_AVERAGE;
use super::*;

#[test]
fn interrupts_are_sent_again_until_the_miner_reports_it_stopped() {
    let mut book = MinerBook::default();
    let a: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let job = |j| JobRef {
        epoch: protocol::Epoch(1),
        job: protocol::JobId(j),
    };
    book.heard(MinerId(1), a, Instant::ZERO)
        .report(MinerState::Mining(job(3)));
    book.heard(MinerId(2), a, Instant::ZERO)
        .report(MinerState::Idle);
    book.interrupted(job(3), Instant::from_millis(10));
    assert!(
        book.get(MinerId(2)).unwrap().interrupt.is_none(),
        "idle: nothing to stop"
    );
    assert_eq!(book.next_interrupt(), Some(Instant::from_millis(10)));
    assert!(
        book.due_interrupts(Instant::from_millis(9), Duration::from_millis(10))
            .is_empty()
    );
    assert_eq!(
        book.due_interrupts(Instant::from_millis(10), Duration::from_millis(10)),
        [(a, job(3))]
    );
    assert_eq!(book.next_interrupt(), Some(Instant::from_millis(20)));
    // Still mining it: not acknowledged. Mining a newer job: it stopped.
    let e = book.get_mut(MinerId(1)).unwrap();
    e.report(MinerState::Mining(job(3)));
    assert!(e.interrupt.is_some());
    e.report(MinerState::Mining(job(4)));
    assert!(e.interrupt.is_none());
    // The due time is not moved by the acknowledgement, only by the
    // next look, which finds nothing to send.
    assert_eq!(book.next_interrupt(), Some(Instant::from_millis(20)));
    assert!(
        book.due_interrupts(Instant::from_millis(20), Duration::from_millis(10))
            .is_empty()
    );
    assert_eq!(book.next_interrupt(), None);
    // Never acknowledged: given up after INTERRUPT_RESENDS.
    book.get_mut(MinerId(1))
        .unwrap()
        .report(MinerState::Mining(job(5)));
    book.interrupted(job(5), Instant::ZERO);
    let sent: usize = (0..20)
        .map(|t| {
            book.due_interrupts(Instant::from_millis(t * 10), Duration::from_millis(10))
                .len()
        })
        .sum();
    assert_eq!(sent, usize::from(INTERRUPT_RESENDS));
}

#[test]
fn slices_walk_every_active_miner_once_per_round() {
    let mut book = MinerBook::default();
    let addr = |i: u16| SocketAddr::from(([127, 0, 0, 1], i));
    for i in 1..=5 {
        book.heard(MinerId(u32::from(i)), addr(i), Instant::ZERO);
    }
    book.failed_claim(MinerId(3), 1);
    let (a, c) = book.slice_after(None, 2);
    assert_eq!((a, c), (vec![addr(1), addr(2)], Some(MinerId(2))));
    let (a, c) = book.slice_after(c, 2);
    assert_eq!(
        (a, c),
        (vec![addr(4), addr(5)], Some(MinerId(5))),
        "3 is banned"
    );
    let (a, c) = book.slice_after(c, 2);
    assert_eq!((a, c), (vec![addr(1), addr(2)], Some(MinerId(2))), "wraps");
    // Never one miner twice in a slice, whatever `n`.
    let (a, _) = book.slice_after(Some(MinerId(4)), 100);
    assert_eq!(a, vec![addr(5), addr(1), addr(2), addr(4)]);
    assert_eq!(book.slice_after(None, 0).0, Vec::<SocketAddr>::new());
}

#[test]
fn the_averaged_rate_starts_at_the_first_report_and_follows_slowly() {
    let mut book = MinerBook::default();
    let a: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let e = book.heard(MinerId(1), a, Instant::ZERO);
    e.report_rate(Instant::from_millis(1000), 1_000);
    assert_eq!(e.hashrate_avg, 1_000.0);
    // One time constant at twice the rate: 1 - 1/e of the way there.
    e.report_rate(Instant::from_millis(1000) + RATE_AVERAGE, 2_000);
    assert_eq!(e.hashrate, 2_000);
    assert!((e.hashrate_avg - 1_632.1).abs() < 1.0, "{}", e.hashrate_avg);
    // Reports at the same instant do not move it.
    let before = e.hashrate_avg;
    e.report_rate(Instant::from_millis(1000) + RATE_AVERAGE, 0);
    assert_eq!(e.hashrate_avg, before);
}

#[test]
fn bans_after_the_threshold_and_forgets_the_silent() {
    let mut book = MinerBook::default();
    let a: SocketAddr = "127.0.0.1:9".parse().unwrap();
    book.heard(MinerId(1), a, Instant::ZERO);
    book.heard(MinerId(2), a, Instant::from_millis(500));
    assert!(!book.failed_claim(MinerId(1), 2));
    assert!(book.failed_claim(MinerId(1), 2));
    assert!(!book.failed_claim(MinerId(1), 2), "banned once");
    assert_eq!(book.active().count(), 1);
    // Banned miners are remembered, so they stay banned.
    let gone = book.forget_silent(Instant::from_millis(1000), Duration::from_millis(600));
    assert!(gone.is_empty());
    let gone = book.forget_silent(Instant::from_millis(1200), Duration::from_millis(600));
    assert_eq!(gone, vec![MinerId(2)]);
    assert!(book.get(MinerId(1)).unwrap().banned);
    // A miner's strikes survive it being forgotten while silent.
    book.heard(MinerId(3), a, Instant::from_millis(1000));
    book.failed_claim(MinerId(3), 2);
    book.forget_silent(Instant::from_millis(2000), Duration::from_millis(600));
    assert!(book.get(MinerId(3)).is_none());
    assert_eq!(
        book.heard(MinerId(3), a, Instant::from_millis(2001))
            .failed_claims,
        1
    );
    assert!(
        book.failed_claim(MinerId(3), 2),
        "the second strike bans it"
    );
}
