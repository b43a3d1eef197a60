//! Both stores on real databases (an SQLite file; a database of the
//! tests' own PostgreSQL server), each test run on each: persistence, the
//! difficulty and operator kept with the chain, appends racing from two
//! connections (as from two processes or two instances), several blocks
//! in one transaction, the mempool's and templates' checks, admission
//! turns across instances, and the text export; then what only
//! PostgreSQL has (notifications). What a store finds when it opens a
//! database (foreign files and tables, older schemas, an unreachable
//! server): `store_open.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use chain::export;
use chain::store::{AppendError, CreateParams};
use chain::{Location, StoreError};
use common::{Backend, ZERO_BITS, next_block, on_both_stores};

on_both_stores!(
    blocks_survive_reopening_and_the_difficulty_stays,
    a_new_chain_defaults_to_24_zero_bits,
    appends_off_the_tip_change_nothing,
    rival_appends_from_two_connections_commit_once,
    export_writes_one_tab_separated_line_per_block,
    mempool_writes_check_the_mark_and_templates_their_parent,
    admissions_of_two_instances_take_turns,
    the_operator_key_stays_with_the_chain,
    several_blocks_append_in_one_transaction_or_none,
);

fn blocks_survive_reopening_and_the_difficulty_stays(backend: Backend) {
    let Some(db) = backend.fresh("blocks_survive_reopening") else {
        return;
    };
    let mut appended = Vec::new();
    {
        let store = db.open(Some(ZERO_BITS));
        for i in 0..3 {
            let next = next_block(store.as_ref(), 0, &format!("m{i}"));
            next.append(store.as_ref()).unwrap();
            appended.push(next.block);
        }
    }
    let store = db.open(None);
    assert_eq!(store.params().zero_bits, ZERO_BITS);
    assert_eq!(store.blocks(1, 10).unwrap(), appended);
    drop(store);

    let zero_bits = |z| CreateParams {
        zero_bits: Some(z),
        operator: None,
    };
    let err = db.open_with(zero_bits(ZERO_BITS + 1)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::ZeroBitsMismatch {
                stored: ZERO_BITS,
                requested: 9,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("8 zero bits") && message.contains("--zero-bits 9"),
        "{message}"
    );
    let store = db.open(Some(ZERO_BITS));
    assert_eq!(store.tip_state().unwrap().tip, appended[2]);

    match &db.location {
        // Committed in write-ahead-log mode.
        Location::Sqlite(path) => {
            let conn = rusqlite::Connection::open(path).unwrap();
            let mode: String = conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap();
            assert_eq!(mode, "wal");
        }
        // Durability is the server's (synchronous commits, fsync).
        Location::Postgres(_) => {}
    }
}

fn a_new_chain_defaults_to_24_zero_bits(backend: Backend) {
    let Some(db) = backend.fresh("a_new_chain_defaults") else {
        return;
    };
    let store = db.open(None);
    assert_eq!(store.params().zero_bits, 24);
    assert_eq!(store.tip_state().unwrap().tip.height, 0);
}

fn appends_off_the_tip_change_nothing(backend: Backend) {
    let Some(db) = backend.fresh("appends_off_the_tip") else {
        return;
    };
    let store = db.open(Some(ZERO_BITS));
    let store = store.as_ref();
    let next = next_block(store, 0, "m");
    let block = next.block.clone();
    let wrong_height = chain::api::Block {
        height: 2,
        ..block.clone()
    };
    let mut wrong_parent = block.clone();
    wrong_parent.header.prev_hash = protocol::Hash256([1; 32]);
    for bad in [wrong_height, wrong_parent] {
        assert!(matches!(
            store.append(&bad, &next.body, &[]),
            Err(AppendError::NotOnTip)
        ));
    }
    next.append(store).unwrap();
    assert!(matches!(next.append(store), Err(AppendError::NotOnTip)));
    assert_eq!(store.blocks(0, 10).unwrap().len(), 2);
}

fn rival_appends_from_two_connections_commit_once(backend: Backend) {
    let Some(db) = backend.fresh("rival_appends") else {
        return;
    };
    // Two stores on one database: as two processes, or two instances.
    let stores = [db.open(Some(ZERO_BITS)), db.open(Some(ZERO_BITS))];
    let rounds = 20;
    for _ in 0..rounds {
        let barrier = Arc::new(Barrier::new(2));
        let threads: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, store)| {
                // Both built on the same tip: rivals for one height.
                let block = next_block(store.as_ref(), i as u32, &format!("rival {i}"));
                let (store, barrier) = (store.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    block.append(store.as_ref())
                })
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let wins = results.iter().filter(|r| r.is_ok()).count();
        let losses = results
            .iter()
            .filter(|r| matches!(r, Err(AppendError::NotOnTip)))
            .count();
        assert_eq!((wins, losses), (1, 1), "{results:?}");
    }
    let blocks = stores[1].blocks(0, 100).unwrap();
    assert_eq!(blocks.len(), rounds + 1);
    assert!(
        blocks
            .windows(2)
            .all(|p| p[1].header.prev_hash == p[0].hash)
    );
}

fn export_writes_one_tab_separated_line_per_block(backend: Backend) {
    let Some(db) = backend.fresh("export_writes") else {
        return;
    };
    let store = db.open(Some(ZERO_BITS));
    let next = next_block(store.as_ref(), 0, "rig one");
    next.append(store.as_ref()).unwrap();
    let block = next.block;
    let mut out = Vec::new();
    let existing = db.location.open_existing().unwrap();
    assert_eq!(export::export(existing.as_ref(), &mut out).unwrap(), 2);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(text.ends_with('\n'));
    let fields: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(
        fields,
        [
            "1",
            &block.hash.to_string(),
            &protocol::hex::Hex(&block.header.to_bytes()).to_string(),
            "rig one",
            "",
            &next
                .body
                .iter()
                .map(|t| protocol::hex::Hex(&t.encode()).to_string())
                .collect::<Vec<_>>()
                .join(","),
        ]
    );
    assert_eq!(lines[0].split('\t').nth(3), Some("genesis"));
}

fn mempool_writes_check_the_mark_and_templates_their_parent(backend: Backend) {
    use chain::ledger::{Action, Address, Amount, Tx};
    use chain::store::{AdmitError, Dropped, TemplateBody, TxStatus};
    let Some(db) = backend.fresh("mempool_writes") else {
        return;
    };
    let store = db.open(Some(ZERO_BITS));
    let store = store.as_ref();
    let key = common::trader(3);
    let tx = |seq| {
        Tx::sign(
            &key,
            seq,
            Action::Deposit {
                to: Address([1; 20]),
                amount: Amount(5),
            },
        )
    };
    let read = store.mempool(0).unwrap();
    assert_eq!(read.mark.last_seq, 0);
    assert_eq!(store.admit(read.mark, &[tx(0), tx(1)], 9).unwrap(), [1, 2]);
    // An admission against the old mark is refused whole.
    assert!(matches!(
        store.admit(read.mark, &[tx(2)], 9),
        Err(AdmitError::Moved)
    ));
    let read = store.mempool(1).unwrap();
    assert_eq!(read.entries.len(), 1);
    assert_eq!(read.entries[0].tx, tx(1));
    // The same transaction twice cannot both wait.
    assert!(matches!(
        store.admit(read.mark, &[tx(1)], 9),
        Err(AdmitError::Moved)
    ));
    let tip = store.tip_state().unwrap().tip.hash;
    let dropped = Dropped {
        id: tx(0).id(),
        code: "not_operator".into(),
        reason: "test".into(),
    };
    assert!(
        !store
            .drop_pending(protocol::Hash256([1; 32]), std::slice::from_ref(&dropped))
            .unwrap()
    );
    assert!(
        store
            .drop_pending(tip, &[dropped.clone(), dropped])
            .unwrap()
    );
    assert!(matches!(
        store.transaction(&tx(0).id()).unwrap(),
        Some((_, TxStatus::Dropped { code, height: 0, .. })) if code == "not_operator"
    ));
    assert!(matches!(
        store.transaction(&tx(1).id()).unwrap(),
        Some((_, TxStatus::Pending { seq: 2 }))
    ));

    // A template body is kept only for the tip, and dropped by the next block.
    let next = next_block(store, 0, "m");
    let template = TemplateBody {
        merkle_root: protocol::Hash256([4; 32]),
        parent: tip,
        body: vec![tx(1)],
    };
    assert!(store.put_template(&template).unwrap());
    assert_eq!(
        store.template(&template.merkle_root).unwrap(),
        Some(template.clone())
    );
    store.append(&next.block, &next.body, &[]).unwrap();
    assert_eq!(store.template(&template.merkle_root).unwrap(), None);
    assert!(!store.put_template(&template).unwrap());
    assert_eq!(
        store.blocks_with_bodies(1, 5, 100).unwrap(),
        [(next.block, next.body)]
    );
}

fn admissions_of_two_instances_take_turns(backend: Backend) {
    use chain::ledger::{Action, Address, Amount, Tx};
    let Some(db) = backend.fresh("admission_turns") else {
        return;
    };
    let (a, b) = (db.open(Some(ZERO_BITS)), db.open(Some(ZERO_BITS)));
    let key = common::trader(4);
    let tx = |seq| {
        Tx::sign(
            &key,
            seq,
            Action::Deposit {
                to: Address([2; 20]),
                amount: Amount(7),
            },
        )
    };
    let turn = a.admission_turn().unwrap();
    // B asks for its turn while A holds one: it waits, then checks and
    // writes against what A wrote meanwhile.
    let (done, finished) = std::sync::mpsc::channel();
    let waiter = {
        let (b, second) = (b.clone(), tx(1));
        std::thread::spawn(move || {
            let turn = b.admission_turn().unwrap();
            let read = b.mempool(0).unwrap();
            let seqs = b.admit(read.mark, &[second], 9);
            drop(turn);
            done.send(()).unwrap();
            (read.entries.len(), seqs)
        })
    };
    let read = a.mempool(0).unwrap();
    assert_eq!(a.admit(read.mark, &[tx(0)], 9).unwrap(), [1]);
    assert!(
        finished.recv_timeout(Duration::from_millis(300)).is_err(),
        "B took a turn while A held one"
    );
    drop(turn);
    let (seen, seqs) = waiter.join().unwrap();
    assert_eq!(seen, 1, "B's turn began after A's write");
    assert_eq!(seqs.unwrap(), [2]);
    // A turn ends when dropped: both take one again at once.
    drop(a.admission_turn().unwrap());
    drop(b.admission_turn().unwrap());
    let entries = a.mempool(0).unwrap().entries;
    assert_eq!(
        entries.iter().map(|e| e.tx.clone()).collect::<Vec<_>>(),
        [tx(0), tx(1)]
    );
}

fn the_operator_key_stays_with_the_chain(backend: Backend) {
    let Some(db) = backend.fresh("the_operator_key_stays") else {
        return;
    };
    let key = chain::ledger::public_key(&common::operator());
    let with = |operator| CreateParams {
        zero_bits: None,
        operator,
    };
    assert_eq!(
        db.open_with(with(Some(key))).unwrap().params().operator,
        Some(key)
    );
    assert_eq!(
        db.open_with(with(None)).unwrap().params().operator,
        Some(key)
    );
    let other = chain::ledger::public_key(&common::trader(9));
    let err = db.open_with(with(Some(other))).unwrap_err();
    assert!(
        matches!(err, StoreError::OperatorMismatch { requested, .. } if requested == other),
        "{err:?}"
    );
    assert!(err.to_string().contains(&db.location.to_string()), "{err}");
}

#[test]
fn a_commit_through_one_instance_is_heard_by_the_other() {
    let Some(db) = Backend::Postgres.fresh("a_commit_through_one_instance") else {
        return;
    };
    let (a, b) = (db.open(Some(ZERO_BITS)), db.open(None));
    let mut heard = b.changes().expect("PostgreSQL notifies");
    heard.mark_unchanged();
    next_block(a.as_ref(), 0, "via a")
        .append(a.as_ref())
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !heard.has_changed().unwrap() {
        assert!(std::time::Instant::now() < deadline, "no notification");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(b.tip_state().unwrap().tip.height, 1);
    // SQLite cannot tell: other processes are seen by polling.
    let sqlite = Backend::Sqlite.fresh("").unwrap();
    assert!(sqlite.open(None).changes().is_none());
}

fn new_block(n: &common::NextBlock) -> chain::store::NewBlock<'_> {
    chain::store::NewBlock {
        block: &n.block,
        body: &n.body,
        trades: &[],
    }
}

fn several_blocks_append_in_one_transaction_or_none(backend: Backend) {
    let Some(db) = backend.fresh("several_blocks_append") else {
        return;
    };
    let store = db.open(Some(ZERO_BITS));
    let first = next_block(store.as_ref(), 0, "one");
    // The block after `first`, built on a second store that has it.
    let scratch = backend.fresh("several_blocks_append_scratch").unwrap();
    let other = scratch.open(Some(ZERO_BITS));
    first.append(other.as_ref()).unwrap();
    let second = next_block(other.as_ref(), 0, "two");
    // Out of order: nothing is written.
    assert!(matches!(
        store.append_all(&[new_block(&second), new_block(&first)]),
        Err(AppendError::NotOnTip)
    ));
    assert_eq!(store.tip_state().unwrap().tip.height, 0);
    store
        .append_all(&[new_block(&first), new_block(&second)])
        .unwrap();
    let blocks = store.blocks(0, 10).unwrap();
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[1..], [first.block.clone(), second.block.clone()]);
    assert_eq!(
        store.blocks_with_bodies(1, 5, 100).unwrap()[1].1,
        second.body
    );
}
