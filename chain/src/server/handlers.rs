//! The chain's routes: template, tip, blocks, stats, and the answers for
//! unknown routes and methods. Each parses its own inputs so that every
//! fault gets a message naming the parameter and what it must be.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};

use super::AppState;
use super::error::ApiError;
use super::submit;
use crate::api::{Accepted, BlockView, Stats, Template, Tip, TxView};
use crate::ledger::Address;
use crate::replica::Replica;

/// Runs `f` on the replica from tokio's blocking pool.
pub(super) async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Replica) -> Result<T, ApiError> + Send + 'static,
{
    let replica = state.replica.clone();
    tokio::task::spawn_blocking(move || f(&replica))
        .await
        .map_err(|e| {
            tracing::error!("store task failed: {e}");
            ApiError::internal(super::error::BUG)
        })?
}

/// Reads query parameters: each of `allowed` at most once, each a whole
/// number; anything else is `400 bad_query`.
pub(super) fn numbers(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    allowed: &[&'static str],
) -> Result<BTreeMap<&'static str, u64>, ApiError> {
    let Query(pairs) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let mut out = BTreeMap::new();
    for (key, value) in pairs {
        let Some(&name) = allowed.iter().find(|a| **a == key) else {
            return Err(ApiError::bad_request(
                "bad_query",
                format!(
                    "unknown parameter {key:?}; this endpoint takes {}",
                    allowed.join(", ")
                ),
            ));
        };
        let number = value.parse::<u64>().map_err(|_| {
            ApiError::bad_request(
                "bad_query",
                format!("{key} must be a whole number from 0, got {value:?}"),
            )
        })?;
        if out.insert(name, number).is_some() {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("parameter {key} is given twice"),
            ));
        }
    }
    Ok(out)
}

/// A `limit` parameter: `default` if absent, else 1 to `max`.
pub(super) fn limit(given: Option<u64>, default: usize, max: usize) -> Result<usize, ApiError> {
    match given.map(usize::try_from) {
        None => Ok(default),
        Some(Ok(n)) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::bad_request(
            "bad_query",
            format!("limit must be from 1 to {max}"),
        )),
    }
}

/// `GET /v1/template?payout=ADDR`.
pub(super) async fn template(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Template>, ApiError> {
    let Query(pairs) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let mut payout = None;
    for (key, value) in pairs {
        if key != "payout" {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("unknown parameter {key:?}; this endpoint takes payout"),
            ));
        }
        if payout.is_some() {
            return Err(ApiError::bad_request(
                "bad_query",
                "parameter payout is given twice",
            ));
        }
        payout = Some(Address::parse(&value).map_err(|e| {
            ApiError::bad_request(
                "bad_payout",
                format!("payout: {e}; it must be an address, 40 hex characters"),
            )
        })?);
    }
    let payout = payout.ok_or_else(|| {
        ApiError::bad_request(
            "missing_payout",
            "name the address the block's reward pays: GET /v1/template?payout=<40 hex characters>",
        )
    })?;
    blocking(&state, move |replica| Ok(Json(replica.template(payout)?))).await
}

/// `GET /v1/tip`.
pub(super) async fn tip(State(state): State<AppState>) -> Result<Json<Tip>, ApiError> {
    blocking(&state, |replica| {
        let tip = replica.store().tip_state()?.tip;
        Ok(Json(Tip {
            height: tip.height,
            hash: tip.hash,
            zero_bits: replica.store().params().zero_bits,
        }))
    })
    .await
}

/// `POST /v1/blocks`.
pub(super) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let limit = state.config.block_body_limit();
    let parsed = submit::parse(&headers, body, limit, state.config.limits.body.max_txs)?;
    let now = state.config.clock.now();
    let check = state.config.check_signatures;
    let block = blocking(&state, move |replica| {
        submit::submit(replica, parsed, now, check)
    })
    .await?;
    state.counters.accepted();
    tracing::info!(
        height = block.height,
        hash = %block.hash,
        miner = block.miner,
        "accepted block"
    );
    Ok((
        StatusCode::CREATED,
        Json(Accepted {
            height: block.height,
            hash: block.hash,
        }),
    ))
}

/// `GET /v1/blocks/{height}`.
pub(super) async fn block(
    State(state): State<AppState>,
    height: Result<Path<String>, PathRejection>,
) -> Result<Json<BlockView>, ApiError> {
    let text = height.map_err(|e| ApiError::bad_request("bad_height", e.body_text()))?;
    let height: u64 = text.parse().map_err(|_| {
        ApiError::bad_request(
            "bad_height",
            format!(
                "block height must be a whole number from 0, got {:?}",
                text.0
            ),
        )
    })?;
    blocking(&state, move |replica| {
        let store = replica.store();
        match store.blocks_with_bodies(height, 1, usize::MAX)?.pop() {
            Some((block, body)) if block.height == height => Ok(Json(BlockView {
                block,
                transactions: body.iter().map(TxView::of).collect(),
            })),
            _ => {
                let tip = store.tip_state()?.tip.height;
                Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "no_such_block",
                    format!("no block at height {height}: the tip is at height {tip}"),
                ))
            }
        }
    })
    .await
}

/// `GET /v1/blocks?from=H&limit=N`: blocks `H..H+N` that exist, in order,
/// with their transactions; an empty list past the tip.
pub(super) async fn list(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<BlockView>>, ApiError> {
    let params = numbers(query, &["from", "limit"])?;
    let from = params.get("from").copied().unwrap_or(0);
    let limit = limit(
        params.get("limit").copied(),
        state.config.default_page,
        state.config.max_page,
    )?;
    let max_txs = state.config.max_page_transactions;
    blocking(&state, move |replica| {
        let page = replica.store().blocks_with_bodies(from, limit, max_txs)?;
        Ok(Json(
            page.into_iter()
                .map(|(block, body)| BlockView {
                    block,
                    transactions: body.iter().map(TxView::of).collect(),
                })
                .collect(),
        ))
    })
    .await
}

/// `GET /v1/stats`.
pub(super) async fn stats(State(state): State<AppState>) -> Json<Stats> {
    let mut stats = state.counters.snapshot();
    stats.admitted = state.replica.admitted();
    stats.admission_commits = state.replica.admission_commits();
    stats.dropped = state.replica.dropped();
    stats.mempool = state.replica.pending_count() as u64;
    Json(stats)
}

/// The API's routes, for messages.
const ROUTES: &str = "GET /v1/template?payout=ADDR, GET /v1/tip, POST /v1/blocks, GET /v1/blocks?from=H&limit=N, GET /v1/blocks/{height}, POST /v1/transactions, GET /v1/transactions/{id}, GET /v1/book, GET /v1/trades?from=N&limit=N, GET /v1/accounts/{address}, GET /v1/events, GET /v1/stats";

/// Any path the API does not have.
pub(super) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no endpoint {method} {}; the API is {ROUTES}", uri.path()),
    )
}

/// A known path with a method it does not take.
pub(super) async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    let allowed = match uri.path() {
        "/v1/blocks" => "GET and POST",
        "/v1/transactions" => "POST",
        _ => "GET",
    };
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} takes {allowed}, not {method}", uri.path()),
    )
}
