//! One error type for every handler, and the only place HTTP statuses for errors are chosen.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A field that failed validation, by its JSON path (`estimated_annual_value_pence`, `lots[2].name`)
/// or query parameter name.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    #[schema(example = "financial_year")]
    pub field: String,
    #[schema(example = "expected a financial year like 2026/27")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem detail, sent as `application/problem+json` for every error.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "the request body has 1 invalid field",
    "errors": [{"field": "financial_year", "message": "expected a financial year like 2026/27"}]
}))]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request, and where.
    pub detail: String,
    /// For validation problems: each invalid field and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method {method} is not allowed here; allowed: {allow}")]
    MethodNotAllowed { method: String, allow: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("the database is unavailable")]
    DatabaseUnavailable(#[source] anyhow::Error),
    #[error("too many requests from this caller; retry after {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Seconds a client should wait before retrying when the database is unavailable.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl ApiError {
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("{what} was not found"))
    }

    /// One invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid_fields(vec![FieldError::new(field, message)])
    }

    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!("{} fields are invalid", many.len()),
        };
        ApiError::Validation { detail, errors }
    }

    /// The cause to log for a server-side failure (never sent to the caller).
    pub fn cause(&self) -> Option<String> {
        match self {
            ApiError::Internal(e) | ApiError::DatabaseUnavailable(e) => Some(format!("{e:#}")),
            _ => None,
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(err.into())
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "malformed-request",
            ApiError::Unauthorized(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PreconditionFailed(_) => "stale-version",
            ApiError::PayloadTooLarge(_) => "payload-too-large",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Validation { .. } => "validation",
            ApiError::DatabaseUnavailable(_) => "database-unavailable",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            // Never leak internals to the caller; the log has the error chain.
            ApiError::Internal(_) => {
                "an unexpected error occurred; the request id identifies it in the logs".to_string()
            }
            ApiError::DatabaseUnavailable(cause) if timed_out(cause) => format!(
                "the database did not answer within the statement timeout; retry after {RETRY_AFTER_SECONDS} seconds"
            ),
            ApiError::DatabaseUnavailable(_) => {
                format!("the database is unavailable; retry after {RETRY_AFTER_SECONDS} seconds")
            }
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("/problems/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            errors: match self {
                ApiError::Validation { errors, .. } => Some(errors.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            ApiError::Unauthorized(_) => {
                res.insert_header((
                    header::WWW_AUTHENTICATE,
                    "Bearer realm=\"commissioning-hub\"",
                ));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                res.insert_header((header::ALLOW, allow.as_str()));
            }
            ApiError::DatabaseUnavailable(_) => {
                res.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()));
            }
            ApiError::RateLimited { retry_after } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            _ => {}
        }
        res.body(serde_json::to_string(&self.to_problem()).unwrap_or_default())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as Kind, Error};
        match err {
            Error::NotFound => ApiError::NotFound("the record was not found".into()),
            Error::DatabaseError(Kind::UniqueViolation, info) => ApiError::Conflict(format!(
                "a record with the same key already exists ({})",
                info.message()
            )),
            // Only a race gets here (handlers check what a write names first): a record named was
            // removed, or one removed is still named, by a write that committed meanwhile.
            Error::DatabaseError(Kind::ForeignKeyViolation, info) => ApiError::Conflict(format!(
                "a record this write names, or that names it, changed concurrently; read it again and retry ({})",
                info.message()
            )),
            Error::DatabaseError(Kind::ClosedConnection | Kind::UnableToSendCommand, _) => {
                ApiError::DatabaseUnavailable(err.into())
            }
            // A statement cut off by statement_timeout, or a server going away mid-request: the
            // caller may retry, so 503 with Retry-After rather than 500.
            Error::DatabaseError(_, ref info)
                if is_statement_timeout(info.message()) || is_server_going_away(info.message()) =>
            {
                ApiError::DatabaseUnavailable(err.into())
            }
            Error::BrokenTransactionManager | Error::RollbackErrorOnCommit { .. } => {
                ApiError::DatabaseUnavailable(err.into())
            }
            Error::DatabaseError(_, ref info)
                if info.message().contains("invalid byte sequence") =>
            {
                ApiError::invalid("(body)", "contains characters that cannot be stored")
            }
            Error::DatabaseError(Kind::SerializationFailure, _) => {
                ApiError::Conflict("the record changed concurrently; retry the request".into())
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

/// PostgreSQL's message for a statement cancelled by `statement_timeout` (SQLSTATE 57014; diesel
/// does not expose the code).
pub fn is_statement_timeout(message: &str) -> bool {
    message.contains("statement timeout")
}

/// Messages of a server that is shutting down, restarting or has dropped the connection.
fn is_server_going_away(message: &str) -> bool {
    [
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "the database system is",
        "could not receive data from server",
        "could not send data to server",
        "connection to server",
    ]
    .iter()
    .any(|m| message.contains(m))
}

fn timed_out(cause: &anyhow::Error) -> bool {
    matches!(
        cause.downcast_ref::<diesel::result::Error>(),
        Some(diesel::result::Error::DatabaseError(_, info)) if is_statement_timeout(info.message())
    )
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        ApiError::DatabaseUnavailable(err.into())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

impl<A, S> From<crate::domain::lifecycle::Refusal<A, S>> for ApiError
where
    crate::domain::lifecycle::Refusal<A, S>: std::fmt::Display,
{
    fn from(refusal: crate::domain::lifecycle::Refusal<A, S>) -> Self {
        use crate::domain::lifecycle::Refusal;
        match refusal {
            Refusal::Role { .. } => ApiError::Forbidden(refusal.to_string()),
            Refusal::State { .. } => ApiError::Conflict(refusal.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_key_race_is_a_conflict_not_a_500() {
        let err = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            Box::new(String::from(
                "insert or update on table \"social_value_commitments\" violates foreign key constraint",
            )),
        );
        assert!(matches!(ApiError::from(err), ApiError::Conflict(_)));
    }
}
