//! The ledger's routes: admitting transactions, their status, the book,
//! trades, accounts, and the event stream.

use std::convert::Infallible;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use super::error::ApiError;
use super::handlers::{blocking, limit, numbers};
use super::submit::{decode_tx, read_json};
use crate::api::{
    AccountView, BookView, MAX_TX_BATCH, TradeView, TxAccepted, TxBatch, TxBatchAccepted,
    TxOutcome, TxRecord, TxSubmission, TxView,
};
use crate::ledger::{Address, Tx, TxBody, TxError, TxId};
use crate::replica::{AdmitOutcome, AdmitRefusal};
use crate::store::TxStatus;

/// Levels per side of `GET /v1/book` by default, and at most.
const DEFAULT_DEPTH: usize = 50;
const MAX_DEPTH: usize = 1000;

const EXPECTED_TX: &str =
    r#"{"tx": "<the transaction's encoding as hex>"} or {"txs": ["<hex>", ...]}"#;

impl From<TxError> for ApiError {
    fn from(e: TxError) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code(), e.to_string())
    }
}

/// A `POST /v1/transactions` body: one transaction or many.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Posted {
    One(TxSubmission),
    Many(TxBatch),
}

/// `POST /v1/transactions`: `202` once the transaction (or each of a
/// batch's that applies) is durably in the mempool.
pub(super) async fn post_transaction(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let max = state.config.tx_body_limit();
    match read_json::<Posted>(&headers, body, max, EXPECTED_TX)? {
        Posted::One(one) => {
            let tx = checked(&state, &one.tx, "tx")?;
            let accepted = admitted(tx.id(), state.admitter.admit(tx).await)?;
            Ok((StatusCode::ACCEPTED, Json(accepted)).into_response())
        }
        Posted::Many(batch) => {
            if batch.txs.is_empty() || batch.txs.len() > MAX_TX_BATCH {
                return Err(ApiError::bad_request(
                    "invalid_body",
                    format!(
                        "txs has {} transactions; a batch has 1 to {MAX_TX_BATCH}",
                        batch.txs.len()
                    ),
                ));
            }
            // Decode and check each first; those that pass go to the
            // mempool writer together, in order.
            let checked: Vec<Result<Tx, ApiError>> = batch
                .txs
                .iter()
                .enumerate()
                .map(|(i, t)| checked(&state, t, &format!("txs[{i}]")))
                .collect();
            let pending = checked.into_iter().map(|c| {
                let admitter = state.admitter.clone();
                async move {
                    let tx = c?;
                    admitted(tx.id(), admitter.admit(tx).await)
                }
            });
            let outcomes = futures_util::future::join_all(pending).await;
            let results = outcomes
                .into_iter()
                .map(|o| match o {
                    Ok(accepted) => TxOutcome::Accepted(accepted),
                    Err(e) => {
                        state.counters.error(e.code());
                        TxOutcome::Refused(e.body())
                    }
                })
                .collect();
            Ok((StatusCode::ACCEPTED, Json(TxBatchAccepted { results })).into_response())
        }
    }
}

/// Decodes `text` and checks what needs no state: not a reward, and (unless
/// turned off) the signature.
fn checked(state: &AppState, text: &str, what: &str) -> Result<Tx, ApiError> {
    let tx = decode_tx(text, what)?;
    if matches!(tx.body(), TxBody::Reward { .. }) {
        return Err(ApiError::bad_request(
            "bad_transaction",
            format!("{what}: a reward is not submitted: every block's template makes its own"),
        ));
    }
    if state.config.check_signatures {
        tx.verify()?;
    }
    Ok(tx)
}

/// The answer to one admission.
fn admitted(id: TxId, outcome: Result<AdmitOutcome, AdmitRefusal>) -> Result<TxAccepted, ApiError> {
    let outcome = outcome.map_err(|e| match e {
        AdmitRefusal::Invalid(e) => e.into(),
        e @ AdmitRefusal::MempoolFull(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "mempool_full",
            e.to_string(),
        ),
        e @ AdmitRefusal::Busy => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string())
        }
        e @ AdmitRefusal::Unavailable(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            e.to_string(),
        ),
    })?;
    let (status, duplicate, height) = match outcome {
        AdmitOutcome::Admitted => ("pending", false, None),
        AdmitOutcome::AlreadyPending => ("pending", true, None),
        AdmitOutcome::InBlock(h) => ("in_block", true, Some(h)),
    };
    Ok(TxAccepted {
        id,
        status: status.into(),
        duplicate,
        height,
    })
}

/// `GET /v1/transactions/{id}`.
pub(super) async fn transaction(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TxRecord>, ApiError> {
    let text = id.map_err(|e| ApiError::bad_request("bad_id", e.body_text()))?;
    let id = TxId::parse(&text).map_err(|e| {
        ApiError::bad_request(
            "bad_id",
            format!("transaction id: {e}; it must be 64 hex characters"),
        )
    })?;
    blocking(&state, move |replica| {
        let Some((tx, status)) = replica.store().transaction(&id)? else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "no_such_transaction",
                format!(
                    "no transaction {id} is pending, in a block, or recently dropped (refused ones are never kept)"
                ),
            ));
        };
        let mut record = TxRecord {
            tx: TxView::of(&tx),
            status: String::new(),
            block: None,
            position: None,
            code: None,
            reason: None,
        };
        match status {
            TxStatus::Pending { .. } => record.status = "pending".into(),
            TxStatus::InBlock { height, position } => {
                record.status = "in_block".into();
                record.block = Some(height);
                record.position = Some(position);
            }
            TxStatus::Dropped {
                code,
                reason,
                height,
            } => {
                record.status = "dropped".into();
                record.block = Some(height);
                record.code = Some(code);
                record.reason = Some(reason);
            }
        }
        Ok(Json(record))
    })
    .await
}

/// `GET /v1/book?depth=N`.
pub(super) async fn book(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<BookView>, ApiError> {
    let params = numbers(query, &["depth"])?;
    let depth = limit(params.get("depth").copied(), DEFAULT_DEPTH, MAX_DEPTH).map_err(|_| {
        ApiError::bad_request("bad_query", format!("depth must be from 1 to {MAX_DEPTH}"))
    })?;
    blocking(&state, move |replica| {
        let view = replica.sync()?;
        Ok(Json(BookView::of(&view.ledger, depth)))
    })
    .await
}

/// `GET /v1/trades?from=N&limit=M`.
pub(super) async fn trades(
    State(state): State<AppState>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<Vec<TradeView>>, ApiError> {
    let params = numbers(query, &["from", "limit"])?;
    let from = params.get("from").copied().unwrap_or(0);
    let limit = limit(
        params.get("limit").copied(),
        state.config.default_page,
        state.config.max_page,
    )?;
    blocking(&state, move |replica| {
        let trades = replica.store().trades(from, limit)?;
        Ok(Json(trades.iter().map(TradeView::from).collect()))
    })
    .await
}

/// `GET /v1/accounts/{address}`.
pub(super) async fn account(
    State(state): State<AppState>,
    address: Result<Path<String>, PathRejection>,
) -> Result<Json<AccountView>, ApiError> {
    let text = address.map_err(|e| ApiError::bad_request("bad_address", e.body_text()))?;
    let address = Address::parse(&text).map_err(|e| {
        ApiError::bad_request(
            "bad_address",
            format!("address: {e}; it must be 40 hex characters"),
        )
    })?;
    blocking(&state, move |replica| {
        let view = replica.sync()?;
        Ok(Json(AccountView::of(address, &view.ledger, &view.pending)))
    })
    .await
}

/// `GET /v1/events`: Server-Sent Events, one per committed block, trade,
/// expiry, admission and drop, from the moment of connecting. A client too
/// slow to keep up gets a `lagged` event with the number it missed.
pub(super) async fn events(
    State(state): State<AppState>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let permit = state.streams.clone().try_acquire_owned().map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_streams",
            format!(
                "{} event streams are open, the most this service serves; retry later",
                state.config.max_streams
            ),
        )
    })?;
    let events = state.replica.subscribe();
    let closing = state.closing.subscribe();
    let stream = futures_util::stream::unfold(
        (events, closing, permit),
        |(mut events, mut closing, permit)| async move {
            let next = tokio::select! {
                _ = closing.wait_for(|c| *c) => return None,
                next = events.recv() => next,
            };
            let event = match next {
                Ok(event) => SseEvent::default()
                    .event(event.name())
                    .json_data(&event)
                    .unwrap_or_else(|_| SseEvent::default().comment("unserializable event")),
                Err(RecvError::Lagged(missed)) => {
                    SseEvent::default().event("lagged").data(missed.to_string())
                }
                Err(RecvError::Closed) => return None,
            };
            Some((Ok(event), (events, closing, permit)))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
