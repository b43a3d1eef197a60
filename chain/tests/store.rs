//! The SQLite store on real files: persistence, the difficulty kept with
//! the chain, refusals of foreign files, appends racing from two
//! connections (as from two processes), and the text export.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Barrier};

use chain::export;
use chain::store::AppendError;
use chain::{SqliteStore, Store, StoreError};
use common::{ZERO_BITS, next_block};

#[test]
fn blocks_survive_reopening_and_the_difficulty_stays() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chain.db");
    let mut appended = Vec::new();
    {
        let store = SqliteStore::open(&db, Some(ZERO_BITS)).unwrap();
        for i in 0..3 {
            let next = next_block(&store, 0, &format!("m{i}"));
            next.append(&store).unwrap();
            appended.push(next.block);
        }
    }
    let store = SqliteStore::open(&db, None).unwrap();
    assert_eq!(store.params().zero_bits, ZERO_BITS);
    assert_eq!(store.blocks(1, 10).unwrap(), appended);
    drop(store);

    let err = SqliteStore::open(&db, Some(ZERO_BITS + 1)).unwrap_err();
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
    let store = SqliteStore::open(&db, Some(ZERO_BITS)).unwrap();
    assert_eq!(store.tip_state().unwrap().tip, appended[2]);

    // Committed in write-ahead-log mode.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_new_chain_defaults_to_24_zero_bits() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("c.db"), None).unwrap();
    assert_eq!(store.params().zero_bits, 24);
    assert_eq!(store.tip_state().unwrap().tip.height, 0);
}

#[test]
fn appends_off_the_tip_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("c.db"), Some(ZERO_BITS)).unwrap();
    let next = next_block(&store, 0, "m");
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
    next.append(&store).unwrap();
    assert!(matches!(next.append(&store), Err(AppendError::NotOnTip)));
    assert_eq!(store.blocks(0, 10).unwrap().len(), 2);
}

#[test]
fn rival_appends_from_two_connections_commit_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let stores = [
        Arc::new(SqliteStore::open(&db, Some(ZERO_BITS)).unwrap()),
        Arc::new(SqliteStore::open(&db, Some(ZERO_BITS)).unwrap()),
    ];
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

#[test]
fn foreign_and_missing_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    assert!(matches!(
        SqliteStore::open_existing(&missing),
        Err(StoreError::Missing(_))
    ));
    assert!(!missing.exists(), "open_existing must not create a file");

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE notes (text TEXT)")
        .unwrap();
    for result in [
        SqliteStore::open(&other, None),
        SqliteStore::open_existing(&other),
    ] {
        assert!(
            matches!(result, Err(StoreError::NotAChain(_))),
            "{result:?}"
        );
    }

    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        SqliteStore::open_existing(&empty),
        Err(StoreError::NotAChain(_))
    ));

    let text = dir.path().join("text.db");
    std::fs::write(
        &text,
        "not a database, but long enough to have a header page ".repeat(20),
    )
    .unwrap();
    let err = SqliteStore::open(&text, None).unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    assert!(
        std::fs::read_to_string(&text)
            .unwrap()
            .starts_with("not a database")
    );
}

#[test]
fn export_writes_one_tab_separated_line_per_block() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("c.db"), Some(ZERO_BITS)).unwrap();
    let next = next_block(&store, 0, "rig one");
    next.append(&store).unwrap();
    let block = next.block;
    let mut out = Vec::new();
    assert_eq!(export::export(&store, &mut out).unwrap(), 2);
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
        ]
    );
    assert_eq!(lines[0].split('\t').nth(3), Some("genesis"));
}

#[test]
fn mempool_writes_check_the_mark_and_templates_their_parent() {
    use chain::ledger::{Action, Address, Amount, Tx};
    use chain::store::{AdmitError, Dropped, TemplateBody, TxStatus};
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("c.db"), Some(ZERO_BITS)).unwrap();
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
    assert!(store.drop_pending(tip, &[dropped]).unwrap());
    assert!(matches!(
        store.transaction(&tx(0).id()).unwrap(),
        Some((_, TxStatus::Dropped { code, height: 0, .. })) if code == "not_operator"
    ));
    assert!(matches!(
        store.transaction(&tx(1).id()).unwrap(),
        Some((_, TxStatus::Pending { seq: 2 }))
    ));

    // A template body is kept only for the tip, and dropped by the next block.
    let next = next_block(&store, 0, "m");
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

#[test]
fn a_chain_of_the_schema_before_the_ledger_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("v1.db");
    rusqlite::Connection::open(&old)
        .unwrap()
        .execute_batch(
            "CREATE TABLE chain (id INTEGER PRIMARY KEY, schema_version INTEGER, zero_bits INTEGER, genesis_hash BLOB);
             CREATE TABLE blocks (height INTEGER PRIMARY KEY);
             INSERT INTO chain VALUES (1, 1, 24, x'00');",
        )
        .unwrap();
    let err = SqliteStore::open(&old, None).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Schema {
                found: 1,
                expected: 2,
                ..
            }
        ),
        "{err:?}"
    );
}
