//! The API's successful paths over real HTTP against a real SQLite file:
//! genesis, template, submission, tip, single blocks, pages, stats.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chain::ClientError;
use chain::rules::{self, GENESIS_TIME};
use common::{NOW, Service, ZERO_BITS, solve};
use protocol::Hash256;
use protocol::hex::Hex;

/// The genesis header and hash README documents.
const GENESIS_HEADER: &str = "0100000000000000000000000000000000000000000000000000000000000000000000007a5ccaf35184be6f303555def1d4a4ecd4756ff9dc0c17cfc45e1cf7d396a5a6808574670000000000000000";
const GENESIS_HASH: &str = "20dff55a38a8ecc59a5b9e65c1a2080b81aed7e6b79442646d79337a2a233930";

#[tokio::test]
async fn a_new_chain_starts_from_the_documented_genesis() {
    let svc = Service::start().await;
    let (status, tip) = svc.get("/v1/tip").await;
    assert_eq!(status, 200);
    assert_eq!(
        tip,
        serde_json::json!({"height": 0, "hash": GENESIS_HASH, "zero_bits": ZERO_BITS})
    );
    let (status, block) = svc.get("/v1/blocks/0").await;
    assert_eq!(status, 200);
    assert_eq!(
        block,
        serde_json::json!({
            "height": 0,
            "hash": GENESIS_HASH,
            "header": GENESIS_HEADER,
            "miner": "genesis",
            "received_at": GENESIS_TIME,
            "confirmed_by": [],
            "transactions": [],
        })
    );
    assert_eq!(rules::genesis_hash().to_string(), GENESIS_HASH);
}

#[tokio::test]
async fn the_template_describes_the_next_block() {
    let svc = Service::start().await;
    let payout = common::PAYOUT.to_string();
    let (status, template) = svc.get(&format!("/v1/template?payout={payout}")).await;
    assert_eq!(status, 200);
    // The body is the reward alone: its id is the merkle root.
    let reward = chain::ledger::Tx::reward(1, common::PAYOUT, chain::ledger::REWARD);
    assert_eq!(
        template,
        serde_json::json!({
            "height": 1,
            "prev_hash": GENESIS_HASH,
            "version": 1,
            "merkle_root": reward.id().to_string(),
            "bits": 0x2001_0000u32,
            "min_time": GENESIS_TIME + 1,
            "zero_bits": ZERO_BITS,
            "payout": payout,
            "reward": 1000,
            "transactions": 1,
        })
    );
    let (status, missing) = svc.get("/v1/template").await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (400, Some("missing_payout"))
    );
    let (status, bad) = svc.get("/v1/template?payout=xyz").await;
    assert_eq!((status, bad["code"].as_str()), (400, Some("bad_payout")));
}

#[tokio::test]
async fn a_mined_block_is_committed_and_served() {
    let svc = Service::start().await;
    let template = svc.client.template(&common::PAYOUT).await.unwrap();
    let header = solve(&template, template.min_time + 5, 0);
    let (status, accepted) = svc.post_block(&common::body(&header, "rig 1")).await;
    assert_eq!(status, 201, "{accepted}");
    let hash = header.hash().to_string();
    assert_eq!(accepted, serde_json::json!({"height": 1, "hash": hash}));

    let (_, tip) = svc.get("/v1/tip").await;
    assert_eq!(tip["height"], 1);
    assert_eq!(tip["hash"], hash);
    let (status, block) = svc.get("/v1/blocks/1").await;
    assert_eq!(status, 200);
    assert_eq!(block["header"], Hex(&header.to_bytes()).to_string());
    assert_eq!(block["miner"], "rig 1");
    assert_eq!(block["received_at"], NOW);

    let next = svc.client.template(&common::PAYOUT).await.unwrap();
    assert_eq!((next.height, next.prev_hash), (2, header.hash()));
    assert_ne!(next.merkle_root, template.merkle_root);
    // The median of genesis and block 1 is block 1's time.
    assert_eq!(next.min_time, header.time + 1);
}

#[tokio::test]
async fn blocks_are_listed_by_page_as_one_line() {
    let svc = Service::start().await;
    for _ in 0..5 {
        svc.mine_next().await;
    }
    let (status, page) = svc.get("/v1/blocks?from=2&limit=2").await;
    assert_eq!(status, 200);
    let heights: Vec<_> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["height"].clone())
        .collect();
    assert_eq!(heights, [2, 3]);
    let (_, past) = svc.get("/v1/blocks?from=6").await;
    assert_eq!(past, serde_json::json!([]));

    let all = svc.client.blocks(0, 1000).await.unwrap();
    assert_eq!(all.len(), 6);
    for (i, pair) in all.windows(2).enumerate() {
        assert_eq!(pair[1].height, i as u64 + 1);
        assert_eq!(pair[1].header.prev_hash, pair[0].hash);
        assert_eq!(pair[1].hash, pair[1].header.hash());
        assert!(pair[1].hash.meets(ZERO_BITS));
    }
    let (_, default_page) = svc.get("/v1/blocks").await;
    assert_eq!(default_page.as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn the_client_returns_typed_answers() {
    let svc = Service::start().await;
    let header = svc.mine_next().await;
    let tip = svc.client.tip().await.unwrap();
    assert_eq!(
        (tip.height, tip.hash, tip.zero_bits),
        (1, header.hash(), ZERO_BITS)
    );
    let block = svc.client.block(1).await.unwrap().unwrap();
    assert_eq!((block.header, block.miner.as_str()), (header, "test-miner"));
    assert!(svc.client.block(2).await.unwrap().is_none());

    // Resubmitting an accepted header names the block: it is in the chain.
    match svc.client.submit(&header, "test-miner").await {
        Err(ClientError::Duplicate { height, hash }) => {
            assert_eq!((height, hash), (1, header.hash()));
        }
        other => panic!("{other:?}"),
    }
    let template = svc.client.template(&common::PAYOUT).await.unwrap();
    let weak = common::unsolved(&template, template.min_time);
    match svc.client.submit(&weak, "m").await {
        Err(e @ ClientError::Rejected { .. }) => assert!(!e.is_retryable()),
        other => panic!("{other:?}"),
    }
    let stale = solve(&template, template.min_time + 1, 0);
    svc.mine_next().await;
    match svc.client.submit(&stale, "m").await {
        Err(ClientError::Stale {
            tip: Some((2, _)), ..
        }) => {}
        other => panic!("{other:?}"),
    }

    let stats = svc.client.stats().await.unwrap();
    assert_eq!(stats.accepted, 2);
    let errors: Vec<_> = stats.errors.into_iter().collect();
    assert_eq!(
        errors,
        [
            ("duplicate".to_owned(), 1),
            ("insufficient_work".to_owned(), 1),
            ("no_such_block".to_owned(), 1),
            ("stale".to_owned(), 1),
        ]
    );
}

#[tokio::test]
async fn an_absent_service_is_unreachable_and_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = chain::ChainClient::new(&url).unwrap();
    let err = client.template(&common::PAYOUT).await.unwrap_err();
    assert!(matches!(err, ClientError::Unreachable(_)), "{err:?}");
    assert!(err.is_retryable());
    let header = rules::genesis_header();
    assert!(
        client
            .submit(&header, "m")
            .await
            .unwrap_err()
            .is_retryable()
    );

    for bad in [
        "localhost:80",
        "https://example.com",
        "http://h:1/?q=1",
        "nonsense",
    ] {
        assert!(
            matches!(
                chain::ChainClient::new(bad),
                Err(ClientError::InvalidUrl { .. })
            ),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn the_service_stops_when_asked() {
    let mut svc = Service::start().await;
    svc.mine_next().await;
    svc.stop().await;
    assert!(svc.client.tip().await.unwrap_err().is_retryable());
    assert_eq!(Hash256::ZERO, rules::genesis_header().prev_hash);
}
