//! `POST /v1/blocks`: from request bytes to a committed block, or to the
//! one error that names what is wrong. Checks run cheapest and most basic
//! first: content type (415), body size (413), JSON shape, header text and
//! miner name (400), whether it extends the tip (409), the template's
//! fields, time and work (422). Nothing is written before every check
//! passed, and the tip check is repeated inside the store's write
//! transaction, which makes concurrent submissions for one height safe:
//! one commits, the others get 409.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, header};
use protocol::{BlockHeader, HEADER_LEN};

use super::error::ApiError;
use crate::api::{Block, MAX_MINER_LEN, Submission};
use crate::rules;
use crate::store::{AppendError, Store};

/// What the body must look like, for error messages.
const EXPECTED_BODY: &str = r#"{"header": "<160 hex characters>", "miner": "<name>"}"#;

/// Reads a submission from the request, or says why it is not one.
pub(super) fn parse(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    max_body: usize,
) -> Result<(BlockHeader, String), ApiError> {
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
                format!(
                    "the body is larger than {max_body} bytes; a submission is {EXPECTED_BODY}"
                ),
            )
        }
        other => ApiError::bad_request(
            "unreadable_body",
            format!("the request body could not be read: {}", other.body_text()),
        ),
    })?;
    let submission: Submission = serde_json::from_slice(&bytes).map_err(|e| {
        let code = if e.is_data() {
            "invalid_body"
        } else {
            "malformed_json"
        };
        ApiError::bad_request(code, format!("{e}; the body must be {EXPECTED_BODY}"))
    })?;
    let text = submission.header.as_str();
    let bytes = protocol::hex::decode::<HEADER_LEN>(text).map_err(|e| {
        ApiError::bad_request(
            "bad_header",
            format!("header: {e}; it must be the 80-byte header as 160 hex characters"),
        )
    })?;
    check_miner(&submission.miner)?;
    Ok((BlockHeader::from_bytes(&bytes), submission.miner))
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

/// Validates `header` against the chain and appends it (blocking: call
/// from the blocking pool). `now` is the service's clock, Unix seconds.
pub(super) fn submit(
    store: &dyn Store,
    header: BlockHeader,
    miner: String,
    now: u64,
) -> Result<Block, ApiError> {
    let state = store.tip_state()?;
    if header.prev_hash != state.tip.hash {
        return Err(conflict(store, &header)?);
    }
    let template = rules::template(store.params().zero_bits, &state);
    let hash = rules::check(&header, &template, now)?;
    let block = Block {
        height: template.height,
        hash,
        header,
        miner,
        received_at: now,
    };
    match store.append(&block) {
        Ok(()) => Ok(block),
        // Another submission committed between our read and our write.
        Err(AppendError::NotOnTip) => Err(conflict(store, &header)?),
        Err(AppendError::Store(e)) => Err(e.into()),
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
