//! The export read back: a chain with a ledger (deposits, orders matched,
//! confirmations) exported, imported into a new SQLite file and exported
//! again gives the same bytes; every kind of bad line is refused by its
//! number, and nothing is written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chain::import::{ImportError, Imported, import};
use chain::ledger::{Action, Amount, Price, Side, Tx, address};
use chain::rules::BodyLimits;
use chain::store::CreateParams;
use chain::{SqliteStore, Store};
use common::{NOW, PAYOUT, Service, ZERO_BITS, operator, solve, trader};
use protocol::hex::Hex;

/// A chain of seven blocks: rewards, a deposit, two orders that match, a
/// block recording who confirmed it. Returns its export.
async fn exported_chain() -> Vec<u8> {
    let svc = Service::start_ledger().await;
    let (alice, bob, op) = (trader(1), trader(2), operator());
    let send = |key, seq, action| {
        let tx = Tx::sign(key, seq, action);
        let client = svc.client.clone();
        async move { client.submit_transaction(&tx).await.unwrap() }
    };
    // Alice mines a block of her own for coin; bob gets usd.
    let template = svc.client.template(&address(&alice)).await.unwrap();
    let header = solve(&template, template.min_time, 0);
    svc.client
        .submit_confirmed(&header, "m1", &[1, 2])
        .await
        .unwrap();
    let deposit = Action::Deposit {
        to: address(&bob),
        amount: Amount(50_000),
    };
    send(&op, 0, deposit).await;
    svc.mine_next().await;
    let order = |side, price| Action::Order {
        side,
        price: Price(price),
        amount: Amount(300),
        expiry: None,
    };
    send(&alice, 0, order(Side::Sell, 10)).await;
    send(&bob, 0, order(Side::Buy, 12)).await;
    svc.mine_next().await;
    for _ in 0..3 {
        svc.mine_next().await;
    }
    assert_eq!(svc.client.trades(0, 10).await.unwrap().len(), 1);
    let mut out = Vec::new();
    chain::export::export(&*svc.store, &mut out).unwrap();
    out
}

fn limits() -> BodyLimits {
    BodyLimits::default()
}

/// A new, empty chain like the exported one.
fn new_store(dir: &tempfile::TempDir, name: &str) -> SqliteStore {
    let params = CreateParams {
        zero_bits: Some(ZERO_BITS),
        operator: Some(chain::ledger::public_key(&operator())),
    };
    SqliteStore::open_with(&dir.path().join(name), params).unwrap()
}

fn export(store: &dyn Store) -> Vec<u8> {
    let mut out = Vec::new();
    chain::export::export(store, &mut out).unwrap();
    out
}

/// The export's lines, as fields.
fn lines(text: &[u8]) -> Vec<Vec<String>> {
    std::str::from_utf8(text)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn join(lines: &[Vec<String>]) -> Vec<u8> {
    let mut out = String::new();
    for l in lines {
        out.push_str(&l.join("\t"));
        out.push('\n');
    }
    out.into_bytes()
}

#[tokio::test]
async fn export_then_import_then_export_gives_the_same_bytes() {
    let text = exported_chain().await;
    let fields = lines(&text);
    assert_eq!(fields.len(), 7);
    assert!(fields.iter().all(|f| f.len() == 6));
    assert_eq!(fields[1][4], "1,2", "confirmed_by");
    assert_eq!(
        fields[2][5].split(',').count(),
        2,
        "the reward and the deposit"
    );
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(&dir, "copy.db");
    let done = import(&store, &text[..], NOW, limits()).unwrap();
    assert_eq!((done.lines, done.known, done.added), (7, 0, 6), "{done:?}");
    assert_eq!(export(&store), text);
    // The ledger came along: the trade, the book, the balances.
    assert_eq!(store.trades(0, 10).unwrap().len(), 1);
    // Importing it again adds nothing.
    let again: Imported = import(&store, &text[..], NOW, limits()).unwrap();
    assert_eq!((again.known, again.added), (6, 0));
    assert_eq!(export(&store), text);
    // A longer file onto a prefix: only the rest is added.
    let prefix = join(&fields[..4]);
    let part = new_store(&dir, "part.db");
    assert_eq!(import(&part, &prefix[..], NOW, limits()).unwrap().added, 3);
    let rest = import(&part, &text[..], NOW, limits()).unwrap();
    assert_eq!((rest.known, rest.added), (3, 3));
    assert_eq!(export(&part), text);
}

/// The line an import of `text` into a new chain was refused at; the chain
/// is left as it was.
fn refused_at(dir: &tempfile::TempDir, name: &str, text: &[u8]) -> (usize, String) {
    let store = new_store(dir, name);
    let before = export(&store);
    let err = import(&store, text, NOW, limits()).unwrap_err();
    assert_eq!(export(&store), before, "{name}: nothing written");
    match err {
        ImportError::Line { line, why } => (line, why),
        other => panic!("{name}: {other}"),
    }
}

#[tokio::test]
async fn a_file_that_does_not_verify_is_refused_at_its_first_bad_line() {
    let text = exported_chain().await;
    let good = lines(&text);
    let dir = tempfile::tempdir().unwrap();
    let case = |name: &str, edit: &dyn Fn(&mut Vec<Vec<String>>)| {
        let mut l = good.clone();
        edit(&mut l);
        refused_at(&dir, name, &join(&l))
    };

    let (line, why) = case("hash", &|l| l[3][1] = "00".repeat(32));
    assert_eq!(line, 4, "{why}");
    assert!(why.contains("not the header's"), "{why}");

    // Another nonce, the hash made to match: the work is short.
    let (line, why) = case("work", &|l| {
        let header = protocol::BlockHeader::from_hex(&l[3][2]).unwrap();
        let weak = (0..)
            .map(|n| header.with_nonce(n))
            .find(|h| !h.hash().meets(ZERO_BITS))
            .unwrap();
        l[3][2] = Hex(&weak.to_bytes()).to_string();
        l[3][1] = weak.hash().to_string();
    });
    assert_eq!(line, 4);
    assert!(why.contains("insufficient_work"), "{why}");

    // The deposit taken out of its block: the body is not the header's.
    let (line, why) = case("body", &|l| {
        let reward = l[2][5].split(',').next().unwrap().to_owned();
        l[2][5] = reward;
    });
    assert_eq!(line, 3);
    assert!(why.contains("body_mismatch"), "{why}");

    let (line, why) = case("fields", &|l| l[5].truncate(4));
    assert_eq!(line, 6);
    assert!(why.contains("4 tab-separated fields"), "{why}");

    let (line, _) = case("order", &|l| l.swap(3, 4));
    assert_eq!(line, 4);
    let (line, _) = case("genesis", &|l| l[0][3] = "someone".into());
    assert_eq!(line, 1);
    let (line, _) = case("confirmed", &|l| l[1][4] = "2,1".into());
    assert_eq!(line, 2);
    let (line, _) = case("tx hex", &|l| l[2][5].push_str(",zz"));
    assert_eq!(line, 3);

    // A transaction whose signature was altered.
    let (line, why) = case("signature", &|l| {
        let mut txs: Vec<String> = l[2][5].split(',').map(str::to_owned).collect();
        let last = txs.last_mut().unwrap();
        let flip = if last.ends_with('0') { "1" } else { "0" };
        last.replace_range(last.len() - 1.., flip);
        l[2][5] = txs.join(",");
    });
    assert_eq!(line, 3, "{why}");

    // A truncated file: its last line has no end.
    let cut = &text[..text.len() - 1];
    let (line, why) = refused_at(&dir, "truncated", cut);
    assert_eq!(line, 7);
    assert!(why.contains("newline"), "{why}");
}

#[tokio::test]
async fn another_chain_or_a_chain_without_its_operator_is_refused() {
    let text = exported_chain().await;
    let dir = tempfile::tempdir().unwrap();
    // A chain with a block 1 of its own.
    let other = new_store(&dir, "other.db");
    let next = common::next_block(&other, 5, "rival");
    next.append(&other).unwrap();
    let err = import(&other, &text[..], NOW, limits()).unwrap_err();
    assert!(
        matches!(&err, ImportError::Line { line: 2, why } if why.contains("another chain")),
        "{err}"
    );
    // Without the operator key, the deposit does not apply.
    let params = CreateParams {
        zero_bits: Some(ZERO_BITS),
        operator: None,
    };
    let bare = SqliteStore::open_with(&dir.path().join("bare.db"), params).unwrap();
    let err = import(&bare, &text[..], NOW, limits()).unwrap_err();
    assert!(matches!(err, ImportError::Line { line: 3, .. }), "{err}");
    assert_eq!(bare.tip_state().unwrap().tip.height, 0);
    let _ = PAYOUT;
}
