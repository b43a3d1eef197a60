//! Error answers, and the counters and log lines every answer feeds.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use protocol::Hash256;

use super::AppState;
use crate::api::{ErrorBody, Stats};
use crate::rules::Rejection;
use crate::store::StoreError;

/// An error answer: status, stable code, message, and the block it refers
/// to when there is one.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    block: Option<(u64, Hash256)>,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            block: None,
        }
    }

    /// The stable code.
    pub(super) fn code(&self) -> &'static str {
        self.code
    }

    /// The JSON body this error answers with.
    pub(super) fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.message.clone(),
            code: self.code.to_owned(),
            height: self.block.map(|b| b.0),
            hash: self.block.map(|b| b.1),
        }
    }

    /// A 400: the request itself is malformed.
    pub(super) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// A 409 naming a block (the duplicate's twin, or the current tip).
    pub(super) fn conflict(code: &'static str, message: String, block: (u64, Hash256)) -> Self {
        ApiError {
            block: Some(block),
            ..ApiError::new(StatusCode::CONFLICT, code, message)
        }
    }

    /// A 500: the service's own fault.
    pub(super) fn internal(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Database(_)
            | StoreError::Postgres(_)
            | StoreError::Unreachable(_)
            | StoreError::Lock { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                format!("the chain store failed ({e}); nothing was changed, retry later"),
            ),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, r.code(), r.to_string())
    }
}

/// What the counting middleware learns of an error answer.
#[derive(Clone, Debug)]
struct ErrorInfo {
    code: &'static str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message.clone(),
            code: self.code.to_owned(),
            height: self.block.map(|b| b.0),
            hash: self.block.map(|b| b.1),
        };
        let mut response = (self.status, Json(body)).into_response();
        response.extensions_mut().insert(ErrorInfo {
            code: self.code,
            message: self.message,
        });
        response
    }
}

/// The message of a 500 caused by a panic: the details go to the log.
pub(super) const BUG: &str =
    "the service failed on this request (a bug, logged); nothing was changed";

/// Turns a handler's panic into a 500 answer (a bug: the service must
/// never panic on input, but if it does the client still gets JSON).
pub(super) fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    tracing::error!("handler panicked: {what}");
    ApiError::internal(BUG).into_response()
}

/// Since the service started: blocks accepted, error answers by code.
#[derive(Debug, Default)]
pub(super) struct Counters {
    accepted: AtomicU64,
    errors: Mutex<BTreeMap<&'static str, u64>>,
}

impl Counters {
    pub(super) fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn error(&self, code: &'static str) {
        let mut map = self
            .errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry(code).or_default() += 1;
    }

    pub(super) fn snapshot(&self) -> Stats {
        let map = self
            .errors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Stats {
            accepted: self.accepted.load(Ordering::Relaxed),
            errors: map.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
            ..Stats::default()
        }
    }
}

/// Middleware around every request: counts and logs each error answer.
pub(super) async fn count_and_log(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if let Some(info) = response.extensions().get::<ErrorInfo>() {
        state.counters.error(info.code);
        let status = response.status().as_u16();
        if response.status().is_server_error() {
            tracing::warn!(%method, path, status, code = info.code, "{}", info.message.escape_debug());
        } else {
            tracing::info!(%method, path, status, code = info.code, "{}", info.message.escape_debug());
        }
    }
    response
}
