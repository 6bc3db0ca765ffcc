//! Idempotency keys: the first response to a keyed POST, replayed to its retries.

use diesel::prelude::*;

use crate::auth::Caller;
use crate::db::schema::idempotency_keys;
use crate::error::ApiError;

/// Keys are kept this many hours; a key reused after that starts afresh.
const RETENTION_HOURS: i64 = 24;

/// The response a keyed request got, to send again to its retries.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    pub status: u16,
    pub body: serde_json::Value,
    pub location: Option<String>,
    pub etag: Option<String>,
}

pub enum Claim {
    /// First use of the key: go ahead, then `complete` it in the same transaction.
    Fresh,
    Replay(StoredResponse),
}

/// Claim `key` for this caller. Runs inside the write's transaction: a concurrent retry waits on
/// the row until the first commits, then replays it.
pub fn claim(
    conn: &mut PgConnection,
    caller: &Caller,
    key: &str,
    fingerprint: &str,
) -> Result<Claim, ApiError> {
    use idempotency_keys::dsl as k;
    let owner = caller.authority.to_string();
    let this_key = k::authority_code
        .eq(owner.clone())
        .and(k::subject.eq(caller.subject.clone()))
        .and(k::key.eq(key.to_string()));
    diesel::delete(
        k::idempotency_keys.filter(this_key.clone()).filter(
            k::created_at.lt(chrono::Utc::now() - chrono::Duration::hours(RETENTION_HOURS)),
        ),
    )
    .execute(conn)?;
    let inserted = diesel::insert_into(k::idempotency_keys)
        .values((
            k::authority_code.eq(&owner),
            k::subject.eq(&caller.subject),
            k::key.eq(key),
            k::request_fingerprint.eq(fingerprint),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let (stored_fingerprint, status, body, location, etag): (
        String,
        Option<i16>,
        Option<serde_json::Value>,
        Option<String>,
        Option<String>,
    ) = k::idempotency_keys
        .filter(this_key)
        .select((
            k::request_fingerprint,
            k::response_status,
            k::response_body,
            k::response_location,
            k::response_etag,
        ))
        .first(conn)?;
    if stored_fingerprint != fingerprint {
        return Err(ApiError::invalid(
            "Idempotency-Key",
            "this key was already used with a different request; use a new key for a new request",
        ));
    }
    match (status, body) {
        (Some(status), Some(body)) => Ok(Claim::Replay(StoredResponse {
            status: status as u16,
            body,
            location,
            etag,
        })),
        _ => Err(ApiError::Conflict(
            "a request with this Idempotency-Key is still in progress".into(),
        )),
    }
}

/// Store the response for a key claimed `Fresh`.
pub fn complete(
    conn: &mut PgConnection,
    caller: &Caller,
    key: &str,
    response: &StoredResponse,
) -> QueryResult<()> {
    use idempotency_keys::dsl as k;
    diesel::update(
        k::idempotency_keys.filter(
            k::authority_code
                .eq(caller.authority.as_str())
                .and(k::subject.eq(&caller.subject))
                .and(k::key.eq(key)),
        ),
    )
    .set((
        k::response_status.eq(response.status as i16),
        k::response_body.eq(&response.body),
        k::response_location.eq(&response.location),
        k::response_etag.eq(&response.etag),
    ))
    .execute(conn)?;
    Ok(())
}
