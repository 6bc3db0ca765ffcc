//! HTTP handlers, one module per resource family, and what they share: pages, cursors, ETags and
//! idempotent creation.

pub mod audit;
pub mod capacity;
pub mod changes;
pub mod collaboration;
pub mod contracts;
pub mod forward_plan;
pub mod health;
pub mod intentions;
pub mod pids;
pub mod reference;
pub mod risks;
pub mod savings;
pub mod social_value;
// Governance (waivers, breaches) and spend.
pub mod governance;
pub mod spend;

// OCDS publication and the pipeline notice.
pub mod publication;

// The change feed and webhooks.
pub mod webhooks;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db::{self, PgPool};
use crate::error::ApiError;
use crate::extract::{IdempotencyKey, etag};
use crate::models::audit::FeedPosition;
use crate::models::idempotency::{self, Claim, StoredResponse};

/// Every route, for the app and for the OpenAPI document alike.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(health::configure).service(
        utoipa_actix_web::scope("/v1")
            .configure(reference::configure)
            .configure(intentions::configure)
            .configure(forward_plan::configure)
            .configure(contracts::configure)
            .configure(risks::configure)
            .configure(capacity::configure)
            .configure(collaboration::configure)
            .configure(savings::configure)
            .configure(social_value::configure)
            .configure(pids::configure)
            .configure(audit::configure)
            // Governance (waivers, breaches) and spend.
            .configure(governance::configure)
            .configure(spend::configure)
            .configure(publication::configure)
            .configure(changes::configure)
            .configure(webhooks::configure),
    );
}

/// One page of a list, with the cursor for the next page (`null` on the last page).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` when this page is the last.
    #[schema(example = "AZOgAAAAcACAAAAAAAAAAQ")]
    pub next_cursor: Option<String>,
}

/// How many items a page holds: 1 to 500, 50 when not given.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "i64")]
pub struct Limit(i64);

impl Default for Limit {
    fn default() -> Self {
        Limit(50)
    }
}

impl TryFrom<i64> for Limit {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if (1..=500).contains(&v) {
            Ok(Limit(v))
        } else {
            Err(format!("limit must be from 1 to 500, not {v}"))
        }
    }
}

impl utoipa::PartialSchema for Limit {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(500))
            .default(Some(serde_json::json!(50)))
            .into()
    }
}
impl ToSchema for Limit {}

/// An opaque position in a list: the id of the last item seen.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub struct Cursor(pub Uuid);

impl TryFrom<String> for Cursor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .ok()
            .and_then(|b| Uuid::from_slice(&b).ok())
            .map(Cursor)
            .ok_or_else(|| {
                "not a cursor this API issued; pass next_cursor from the previous page".to_string()
            })
    }
}

impl utoipa::PartialSchema for Cursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("Opaque cursor from a previous page's next_cursor."))
            .into()
    }
}
impl ToSchema for Cursor {}

/// An opaque place in the change feed (and the feeds built on it): base64url of the last
/// event's transaction id and event id.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub struct FeedCursor(pub FeedPosition);

impl FeedCursor {
    pub fn encode(position: FeedPosition) -> String {
        let mut bytes = position.txid.to_be_bytes().to_vec();
        bytes.extend_from_slice(position.id.as_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

impl TryFrom<String> for FeedCursor {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        URL_SAFE_NO_PAD
            .decode(s.as_bytes())
            .ok()
            .filter(|b| b.len() == 24)
            .and_then(|b| {
                let txid = i64::from_be_bytes(b[..8].try_into().ok()?);
                let id = Uuid::from_slice(&b[8..]).ok()?;
                Some(FeedCursor(FeedPosition { txid, id }))
            })
            .ok_or_else(|| {
                "not a feed cursor this API issued; pass next_cursor from the previous page"
                    .to_string()
            })
    }
}

impl utoipa::PartialSchema for FeedCursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Opaque feed position from a previous page's next_cursor; resume from it.",
            ))
            .into()
    }
}
impl ToSchema for FeedCursor {}

impl<T: ToSchema> Page<T> {
    /// Build a page from up to `limit + 1` rows: the extra row only says another page exists.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: Limit,
        id: impl Fn(&R) -> Uuid,
        view: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() as i64 > limit.0;
        rows.truncate(limit.0 as usize);
        let next_cursor = if more {
            rows.last()
                .map(|r| URL_SAFE_NO_PAD.encode(id(r).as_bytes()))
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

impl Limit {
    /// Rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(self) -> i64 {
        self.0 + 1
    }
}

/// A JSON response carrying the record's version as its ETag.
pub fn versioned<T: Serialize>(status: StatusCode, version: i32, body: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// What a create handler made: the body, where it lives, and its version.
pub struct Created {
    pub body: serde_json::Value,
    /// Where the new record lives and its version; a bulk import has neither.
    pub location: Option<String>,
    pub version: Option<i32>,
}

impl Created {
    pub fn new<T: Serialize>(body: &T, location: String, version: i32) -> Result<Self, ApiError> {
        Ok(Created {
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
            location: Some(location),
            version: Some(version),
        })
    }

    /// What a bulk import made: a summary, with no single record to point at.
    pub fn summary<T: Serialize>(body: &T) -> Result<Self, ApiError> {
        Ok(Created {
            body: serde_json::to_value(body).map_err(ApiError::internal)?,
            location: None,
            version: None,
        })
    }
}

/// Run `create` in one transaction, honouring `Idempotency-Key`: a retry with the same key and
/// body gets the first response again (with `Idempotent-Replayed: true`); the same key with
/// another body is 422.
pub async fn create_idempotently<F>(
    pool: &PgPool,
    caller: Caller,
    key: IdempotencyKey,
    route: &'static str,
    body_fingerprint: String,
    create: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut PgConnection, &Caller) -> Result<Created, ApiError> + Send + 'static,
{
    let fingerprint = hex::encode(Sha256::digest(
        format!("{route}\n{body_fingerprint}").as_bytes(),
    ));
    let (stored, replayed) = db::transaction(pool, move |conn| {
        if let Some(key) = &key.0
            && let Claim::Replay(stored) = idempotency::claim(conn, &caller, key, &fingerprint)?
        {
            return Ok((stored, true));
        }
        let created = create(conn, &caller)?;
        let stored = StoredResponse {
            status: StatusCode::CREATED.as_u16(),
            body: created.body,
            location: created.location,
            etag: created.version.map(etag),
        };
        if let Some(key) = &key.0 {
            idempotency::complete(conn, &caller, key, &stored)?;
        }
        Ok((stored, false))
    })
    .await?;
    let mut res =
        HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED));
    if let Some(location) = stored.location {
        res.insert_header((header::LOCATION, location));
    }
    if let Some(tag) = stored.etag {
        res.insert_header((header::ETAG, tag));
    }
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.json(stored.body))
}

pub type Db = web::Data<PgPool>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_cursor_round_trips_and_refuses_strangers() {
        let position = FeedPosition {
            txid: 4_294_967_298,
            id: Uuid::now_v7(),
        };
        let cursor = FeedCursor::try_from(FeedCursor::encode(position)).unwrap();
        assert_eq!(cursor.0, position);
        assert!(FeedCursor::try_from("AZOgAAAAcACAAAAAAAAAAQ".to_string()).is_err());
        assert!(FeedCursor::try_from("!!".to_string()).is_err());
    }
}
