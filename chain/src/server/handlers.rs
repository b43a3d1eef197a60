//! One function per route. Each parses its own inputs so that every fault
//! gets a message naming the parameter and what it must be.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};

use super::AppState;
use super::error::ApiError;
use super::submit;
use crate::api::{Accepted, Block, Stats, Template, Tip};
use crate::rules;
use crate::store::Store;

/// Runs `f` on the store from tokio's blocking pool.
async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Store) -> Result<T, ApiError> + Send + 'static,
{
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(|e| {
            tracing::error!("store task failed: {e}");
            ApiError::internal(super::error::BUG)
        })?
}

/// `GET /v1/template`.
pub(super) async fn template(State(state): State<AppState>) -> Result<Json<Template>, ApiError> {
    blocking(&state, |store| {
        let tip = store.tip_state()?;
        Ok(Json(rules::template(store.params().zero_bits, &tip)))
    })
    .await
}

/// `GET /v1/tip`.
pub(super) async fn tip(State(state): State<AppState>) -> Result<Json<Tip>, ApiError> {
    blocking(&state, |store| {
        let tip = store.tip_state()?.tip;
        Ok(Json(Tip {
            height: tip.height,
            hash: tip.hash,
            zero_bits: store.params().zero_bits,
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
    let (header, miner) = submit::parse(&headers, body, state.config.max_body_bytes)?;
    let now = state.config.clock.now();
    let block = blocking(&state, move |store| {
        submit::submit(store, header, miner, now)
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
) -> Result<Json<Block>, ApiError> {
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
    blocking(&state, move |store| match store.block(height)? {
        Some(block) => Ok(Json(block)),
        None => {
            let tip = store.tip_state()?.tip.height;
            Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "no_such_block",
                format!("no block at height {height}: the tip is at height {tip}"),
            ))
        }
    })
    .await
}

/// `GET /v1/blocks?from=H&limit=N`: blocks `H..H+N` that exist, in order;
/// an empty list past the tip.
pub(super) async fn list(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<Block>>, ApiError> {
    let Query(pairs) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let max = state.config.max_page;
    let (mut from, mut limit) = (None, None);
    for (key, value) in pairs {
        let slot = match key.as_str() {
            "from" => &mut from,
            "limit" => &mut limit,
            _ => {
                return Err(ApiError::bad_request(
                    "bad_query",
                    format!("unknown parameter {key:?}; this endpoint takes from and limit"),
                ));
            }
        };
        if slot.is_some() {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("parameter {key} is given twice"),
            ));
        }
        let number = value.parse::<u64>().map_err(|_| {
            ApiError::bad_request(
                "bad_query",
                format!("{key} must be a whole number from 0, got {value:?}"),
            )
        })?;
        *slot = Some(number);
    }
    let from = from.unwrap_or(0);
    let limit = match limit.map(usize::try_from) {
        None => state.config.default_page,
        Some(Ok(n)) if (1..=max).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::bad_request(
                "bad_query",
                format!("limit must be from 1 to {max}"),
            ));
        }
    };
    blocking(&state, move |store| Ok(Json(store.blocks(from, limit)?))).await
}

/// `GET /v1/stats`.
pub(super) async fn stats(State(state): State<AppState>) -> Json<Stats> {
    Json(state.counters.snapshot())
}

/// Any path the API does not have.
pub(super) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no endpoint {method} {}; the API is GET /v1/template, GET /v1/tip, POST /v1/blocks, GET /v1/blocks?from=H&limit=N, GET /v1/blocks/{{height}}, GET /v1/stats",
            uri.path()
        ),
    )
}

/// A known path with a method it does not take.
pub(super) async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    let allowed = if uri.path() == "/v1/blocks" {
        "GET and POST"
    } else {
        "GET"
    };
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} takes {allowed}, not {method}", uri.path()),
    )
}
