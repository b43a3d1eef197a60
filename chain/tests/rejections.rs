//! Every refusal through real HTTP: its status, its stable code, a message,
//! and an unchanged chain afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chain::api::Template;
use chain::rules::MAX_FUTURE_SECS;
use common::{NOW, Service, body, solve, unsolved};
use protocol::Hash256;
use reqwest::Method;
use serde_json::Value;

/// The whole chain as the API lists it.
async fn chain_of(svc: &Service) -> Value {
    svc.get("/v1/blocks?limit=1000").await.1
}

/// Asserts an error answer: status, code, and a message that says
/// something.
fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    let (got, body) = answer;
    assert_eq!(
        (*got, body["code"].as_str()),
        (status, Some(code)),
        "{body}"
    );
    let message = body["error"].as_str().unwrap();
    assert!(message.len() > 15, "{message}");
}

/// A service with one block mined, and its template for height 2.
async fn with_one_block() -> (Service, Template) {
    let svc = Service::start().await;
    svc.mine_next().await;
    let template = svc.client.template(&common::PAYOUT).await.unwrap();
    (svc, template)
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let (svc, template) = with_one_block().await;
    let before = chain_of(&svc).await;
    let good = solve(&template, template.min_time, 0);
    let hex = protocol::hex::Hex(&good.to_bytes()).to_string();
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "malformed_json"),
        (r#"{"header": "#.into(), "malformed_json"),
        ("".into(), "malformed_json"),
        ("[]".into(), "invalid_body"),
        (r#"{"miner": "m"}"#.into(), "invalid_body"),
        (format!(r#"{{"header": "{hex}"}}"#), "invalid_body"),
        (r#"{"header": 5, "miner": "m"}"#.into(), "invalid_body"),
        (
            format!(r#"{{"header": "{hex}", "miner": "m", "fee": 1}}"#),
            "invalid_body",
        ),
        (body_with(&hex[2..], "m"), "bad_header"),
        (body_with(&format!("{hex}00"), "m"), "bad_header"),
        (body_with(&format!("zz{}", &hex[2..]), "m"), "bad_header"),
        (body_with(&format!("é{}", &hex[2..]), "m"), "bad_header"),
        (body_with(&hex, ""), "bad_miner"),
        (body_with(&hex, &"x".repeat(65)), "bad_miner"),
        (body_with(&hex, "tab\there"), "bad_miner"),
        (body_with(&hex, "two\nlines"), "bad_miner"),
    ];
    for (text, code) in cases {
        let answer = svc.post_block(&text).await;
        assert_error(&answer, 400, code);
    }
    // The longest name is fine: the header was good all along.
    let (status, _) = svc.post_block(&body_with(&hex, &"é".repeat(64))).await;
    assert_eq!(status, 201);
    assert_eq!(
        chain_of(&svc).await.as_array().unwrap().len(),
        before.as_array().unwrap().len() + 1
    );
}

#[tokio::test]
async fn confirmed_by_is_recorded_and_a_bad_list_is_400() {
    let (svc, template) = with_one_block().await;
    let before = chain_of(&svc).await;
    let good = solve(&template, template.min_time, 0);
    let hex = protocol::hex::Hex(&good.to_bytes()).to_string();
    let with = |ids: &str| format!(r#"{{"header": "{hex}", "miner": "m", "confirmed_by": {ids}}}"#);
    let cases = [
        ("[2, 1]", "bad_confirmed_by"),
        ("[1, 1]", "bad_confirmed_by"),
        ("[0, 3]", "bad_confirmed_by"),
        ("[70000]", "invalid_body"),
        ("[-1]", "invalid_body"),
        ("[1.5]", "invalid_body"),
        ("\"1\"", "invalid_body"),
    ];
    for (bad, code) in cases {
        assert_error(&svc.post_block(&with(bad)).await, 400, code);
    }
    let too_many: Vec<u16> = (1..=257).collect();
    let answer = svc
        .post_block(&with(&serde_json::to_string(&too_many).unwrap()))
        .await;
    assert_error(&answer, 400, "bad_confirmed_by");
    assert_eq!(chain_of(&svc).await, before, "nothing was written");
    let (status, _) = svc.post_block(&with("[1, 3]")).await;
    assert_eq!(status, 201);
    let (_, block) = svc.get("/v1/blocks/2").await;
    assert_eq!(block["confirmed_by"], serde_json::json!([1, 3]));
    // Without the field: recorded as nobody.
    let (_, block) = svc.get("/v1/blocks/1").await;
    assert_eq!(block["confirmed_by"], serde_json::json!([]));
}

fn body_with(header: &str, miner: &str) -> String {
    serde_json::json!({"header": header, "miner": miner}).to_string()
}

#[tokio::test]
async fn content_type_and_size_are_checked() {
    let (svc, template) = with_one_block().await;
    let before = chain_of(&svc).await;
    let good = body(&solve(&template, template.min_time, 0), "m");
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let answer = svc
            .send(Method::POST, "/v1/blocks", content_type, good.clone())
            .await;
        assert_error(&answer, 415, "unsupported_media_type");
    }
    // Larger than a submission carrying a full block's body can be.
    let limit = chain::ServiceConfig::default().block_body_limit();
    let huge = format!(r#"{{"header": "{}", "miner": "m"}}"#, "0".repeat(limit));
    assert_error(&svc.post_block(&huge).await, 413, "body_too_large");
    assert_eq!(chain_of(&svc).await, before);
    // The same body with the right type is accepted.
    let answer = svc
        .send(
            Method::POST,
            "/v1/blocks",
            Some("application/json; charset=utf-8"),
            good,
        )
        .await;
    assert_eq!(answer.0, 201, "{}", answer.1);
}

#[tokio::test]
async fn blocks_off_the_tip_are_409_and_say_why() {
    let (svc, template) = with_one_block().await;
    let block1 = svc.client.block(1).await.unwrap().unwrap();
    let before = chain_of(&svc).await;

    let (status, answer) = svc.post_block(&body(&block1.header, "again")).await;
    assert_error(&(status, answer.clone()), 409, "duplicate");
    assert_eq!(
        (answer["height"].clone(), answer["hash"].clone()),
        (1.into(), block1.hash.to_string().into())
    );
    assert!(answer["error"].as_str().unwrap().contains("duplicate"));

    // A rival for height 1, built on genesis: stale.
    let genesis = svc.client.block(0).await.unwrap().unwrap();
    let rival_template = Template {
        height: 1,
        prev_hash: genesis.hash,
        merkle_root: Hash256([9; 32]),
        ..template.clone()
    };
    let rival = solve(&rival_template, block1.header.time + 1, 0);
    let (status, answer) = svc.post_block(&body(&rival, "late")).await;
    assert_error(&(status, answer.clone()), 409, "stale");
    assert_eq!(answer["height"], 1);
    assert_eq!(answer["hash"], block1.hash.to_string());
    assert!(answer["error"].as_str().unwrap().contains("stale"));

    let orphan_template = Template {
        prev_hash: Hash256([7; 32]),
        ..template.clone()
    };
    let orphan = solve(&orphan_template, template.min_time, 0);
    assert_error(
        &svc.post_block(&body(&orphan, "m")).await,
        409,
        "unknown_parent",
    );
    assert_eq!(chain_of(&svc).await, before);
}

#[tokio::test]
async fn rule_breaking_blocks_are_422() {
    let (svc, template) = with_one_block().await;
    let before = chain_of(&svc).await;
    let t = &template;
    // Each header has enough work, so only the named field is wrong.
    let cases = [
        (
            solve(
                &Template {
                    version: 2,
                    ..t.clone()
                },
                t.min_time,
                0,
            ),
            "wrong_version",
        ),
        (
            solve(
                &Template {
                    merkle_root: Hash256([9; 32]),
                    ..t.clone()
                },
                t.min_time,
                0,
            ),
            "wrong_merkle_root",
        ),
        (
            solve(
                &Template {
                    bits: t.bits + 1,
                    ..t.clone()
                },
                t.min_time,
                0,
            ),
            "wrong_bits",
        ),
        (solve(t, t.min_time - 1, 0), "time_too_early"),
        (
            solve(t, (NOW + MAX_FUTURE_SECS + 1) as u32, 0),
            "time_too_late",
        ),
        (unsolved(t, t.min_time), "insufficient_work"),
    ];
    for (header, code) in cases {
        let answer = svc.post_block(&body(&header, "m")).await;
        assert_error(&answer, 422, code);
    }
    assert_eq!(chain_of(&svc).await, before);
    // The last second allowed is allowed.
    let edge = solve(t, (NOW + MAX_FUTURE_SECS) as u32, 0);
    assert_eq!(svc.post_block(&body(&edge, "m")).await.0, 201);
}

#[tokio::test]
async fn bad_routes_and_parameters_get_json_errors() {
    let (svc, _) = with_one_block().await;
    let before = chain_of(&svc).await;
    for (path, status, code) in [
        // `/` is the explorer (`tests/explorer.rs`); other paths are not.
        ("/nope", 404, "not_found"),
        ("/v1/nope", 404, "not_found"),
        ("/v1/blocks/2", 404, "no_such_block"),
        ("/v1/blocks/abc", 400, "bad_height"),
        ("/v1/blocks/-1", 400, "bad_height"),
        ("/v1/blocks/18446744073709551616", 400, "bad_height"),
        ("/v1/blocks?from=x", 400, "bad_query"),
        ("/v1/blocks?from=-1", 400, "bad_query"),
        ("/v1/blocks?limit=0", 400, "bad_query"),
        ("/v1/blocks?limit=1001", 400, "bad_query"),
        ("/v1/blocks?limit=99999999999999999999", 400, "bad_query"),
        ("/v1/blocks?from=1&from=2", 400, "bad_query"),
        ("/v1/blocks?height=1", 400, "bad_query"),
    ] {
        assert_error(&svc.get(path).await, status, code);
    }
    for (method, path) in [
        (Method::DELETE, "/v1/blocks"),
        (Method::POST, "/v1/tip"),
        (Method::PUT, "/v1/blocks/1"),
        (Method::POST, "/v1/template"),
    ] {
        let answer = svc.send(method, path, Some("application/json"), "{}").await;
        assert_error(&answer, 405, "method_not_allowed");
    }
    assert_eq!(chain_of(&svc).await, before);
}
