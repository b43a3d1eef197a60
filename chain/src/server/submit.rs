//! `POST /v1/blocks`: from request bytes to a committed block, or to the
//! one error that names what is wrong. Checks run cheapest and most basic
//! first: content type (415), body size (413), JSON shape, header text,
//! miner name and transaction encodings (400), whether it extends the tip
//! (409), then the rules (422): version, a body with the header's merkle
//! root, bits, time, work, the body's size, and whether it applies.
//! Nothing is written before every check passed, and the tip check is
//! repeated inside the store's write transaction, which makes concurrent
//! submissions for one height safe: one commits, the others get 409.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use protocol::{BlockHeader, HEADER_LEN};
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::api::{Block, MAX_CONFIRMED_BY, MAX_MINER_LEN, Submission};
use crate::ledger::Tx;
use crate::replica::{Replica, SubmitError};
use crate::store::Store;

/// What the body must look like, for error messages.
const EXPECTED_BODY: &str = r#"{"header": "<160 hex characters>", "miner": "<name>"} (and optionally "transactions": ["<hex>", ...] and "confirmed_by": [<coordinator id>, ...])"#;

/// A parsed submission: the header, the miner, the body if sent, and who
/// confirmed it.
pub(super) type Parsed = (BlockHeader, String, Option<Vec<Tx>>, Vec<u16>);

/// Reads a JSON request body as `T`: 415 unless it says JSON, 413 past
/// `max_body` bytes, 400 when it is not JSON (`malformed_json`) or not
/// `T` (`invalid_body`); `expected` describes `T` in messages.
pub(super) fn read_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    max_body: usize,
    expected: &str,
) -> Result<T, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as JSON, with the header Content-Type: application/json",
        ));
    }
    let bytes = body.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(inner)
            if inner.status() == StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is larger than {max_body} bytes; it must be {expected}"),
            )
        }
        other => ApiError::bad_request(
            "unreadable_body",
            format!("the request body could not be read: {}", other.body_text()),
        ),
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        let code = if e.is_data() {
            "invalid_body"
        } else {
            "malformed_json"
        };
        ApiError::bad_request(code, format!("{e}; the body must be {expected}"))
    })
}

/// Decodes one transaction from hex (`what` names it in messages).
pub(super) fn decode_tx(text: &str, what: &str) -> Result<Tx, ApiError> {
    let bad = |why: String| {
        ApiError::bad_request(
            "bad_transaction",
            format!("{what}: {why}; see docs/chain-api.md, \"Transaction encoding\""),
        )
    };
    if text.len() > 2 * crate::ledger::MAX_TX_LEN || !text.len().is_multiple_of(2) {
        return Err(bad(format!(
            "{} hex characters is not the encoding of a transaction (an even number, at most {})",
            text.len(),
            2 * crate::ledger::MAX_TX_LEN
        )));
    }
    let mut bytes = Vec::with_capacity(text.len() / 2);
    for (i, pair) in text.as_bytes().chunks(2).enumerate() {
        let digit = |c: u8| (c as char).to_digit(16);
        match (digit(pair[0]), digit(pair[1])) {
            (Some(hi), Some(lo)) => bytes.push((hi * 16 + lo) as u8),
            _ => {
                return Err(bad(format!(
                    "characters {} and {} are not hex",
                    2 * i,
                    2 * i + 1
                )));
            }
        }
    }
    Tx::decode(&bytes).map_err(|e| bad(e.to_string()))
}

/// Reads a submission from the request, or says why it is not one.
pub(super) fn parse(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    max_body: usize,
    max_txs: usize,
) -> Result<Parsed, ApiError> {
    let submission: Submission = read_json(headers, body, max_body, EXPECTED_BODY)?;
    let text = submission.header.as_str();
    let bytes = protocol::hex::decode::<HEADER_LEN>(text).map_err(|e| {
        ApiError::bad_request(
            "bad_header",
            format!("header: {e}; it must be the 80-byte header as 160 hex characters"),
        )
    })?;
    check_miner(&submission.miner)?;
    check_confirmed_by(&submission.confirmed_by)?;
    let body = match submission.transactions {
        None => None,
        Some(list) if list.len() > max_txs => {
            return Err(crate::rules::Rejection::TooManyTransactions {
                got: list.len(),
                max: max_txs,
            }
            .into());
        }
        Some(list) => Some(
            list.iter()
                .enumerate()
                .map(|(i, t)| decode_tx(t, &format!("transactions[{i}]")))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    Ok((
        BlockHeader::from_bytes(&bytes),
        submission.miner,
        body,
        submission.confirmed_by,
    ))
}

/// Who confirmed a block: at most [`MAX_CONFIRMED_BY`] coordinator ids,
/// each 1 to 65535, in increasing order (so each appears once).
fn check_confirmed_by(ids: &[u16]) -> Result<(), ApiError> {
    let problem = if ids.len() > MAX_CONFIRMED_BY {
        Some(format!(
            "has {} ids, more than {MAX_CONFIRMED_BY}",
            ids.len()
        ))
    } else if ids.contains(&0) {
        Some("holds 0, which is no coordinator's id".to_owned())
    } else {
        ids.windows(2)
            .position(|w| w[0] >= w[1])
            .map(|i| format!("is not increasing at position {}", i + 1))
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(ApiError::bad_request(
            "bad_confirmed_by",
            format!(
                "confirmed_by {p}; it must list coordinator ids (1 to 65535) in increasing order, at most {MAX_CONFIRMED_BY}"
            ),
        )),
    }
}

/// A miner name: 1 to [`MAX_MINER_LEN`] characters, none of them control
/// characters (so that it prints on one line and exports tab-separated).
fn check_miner(miner: &str) -> Result<(), ApiError> {
    let len = miner.chars().count();
    let problem = if len == 0 {
        Some("is empty".to_owned())
    } else if len > MAX_MINER_LEN {
        Some(format!("has {len} characters, more than {MAX_MINER_LEN}"))
    } else {
        miner
            .chars()
            .position(char::is_control)
            .map(|at| format!("has a control character at position {at}"))
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(ApiError::bad_request(
            "bad_miner",
            format!(
                "miner {p}; it must be 1 to {MAX_MINER_LEN} characters without control characters"
            ),
        )),
    }
}

/// Validates the submission against the chain and appends it (blocking:
/// call from the blocking pool). `now` is the service's clock.
pub(super) fn submit(
    replica: &Replica,
    (header, miner, body, confirmed_by): Parsed,
    now: u64,
    check_signatures: bool,
) -> Result<Block, ApiError> {
    match replica.submit_confirmed(header, miner, body, confirmed_by, now, check_signatures) {
        Ok(block) => Ok(block),
        Err(SubmitError::NotOnTip) => Err(conflict(replica.store(), &header)?),
        Err(SubmitError::Rejected(r)) => Err(r.into()),
        Err(SubmitError::Store(e)) => Err(e.into()),
    }
}

/// The 409 for a header that does not extend the current tip: a duplicate
/// of a block in the chain, a stale block (it extends an older one), or a
/// header whose parent this chain never had.
fn conflict(store: &dyn Store, header: &BlockHeader) -> Result<ApiError, ApiError> {
    let hash = header.hash();
    if let Some(height) = store.height_of(&hash)? {
        return Ok(ApiError::conflict(
            "duplicate",
            format!(
                "duplicate: this header is block {height} ({hash}), already in the chain; nothing to do"
            ),
            (height, hash),
        ));
    }
    let tip = store.tip_state()?.tip;
    let tip_ref = (tip.height, tip.hash);
    let message = |what: String| {
        format!(
            "{what}, but the tip is block {} ({}); build on GET /v1/template",
            tip.height, tip.hash
        )
    };
    Ok(match store.height_of(&header.prev_hash)? {
        Some(parent) => ApiError::conflict(
            "stale",
            message(format!("stale: the header extends block {parent}")),
            tip_ref,
        ),
        None => ApiError::conflict(
            "unknown_parent",
            message(format!(
                "prev_hash {} is not a block of this chain",
                header.prev_hash
            )),
            tip_ref,
        ),
    })
}
