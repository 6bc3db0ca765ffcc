//! Request extractors that refuse bad input with problem responses naming the field: a JSON body,
//! query parameters, `If-Match` and `Idempotency-Key`.

use std::future::{Ready, ready};

use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, FieldError};

/// A JSON request body, parsed into `T`. Malformed JSON is 400; JSON of the wrong shape is 422
/// naming the field; a body over the limit 413; another content type 415.
pub struct Json<T> {
    pub value: T,
    /// SHA-256 of the body's canonical JSON, so a retried request can be recognised.
    pub fingerprint: String,
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == mime::APPLICATION
                && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
        })
}

/// Turn a serde error at a path into the field it names: `missing field` errors name the child.
fn field_error(err: serde_path_to_error::Error<serde_json::Error>, root: &str) -> FieldError {
    let path = err.path().to_string();
    let message = err.inner().to_string();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let field = match (path.as_str(), missing) {
        (".", Some(name)) => name.to_string(),
        (p, Some(name)) => format!("{p}.{name}"),
        (".", None) => root.to_string(),
        (p, None) => p.to_string(),
    };
    FieldError::new(field, message)
}

/// The path of the first string (or key) holding a NUL character, which PostgreSQL text cannot store.
fn nul_path(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(if path.is_empty() {
            "(body)".into()
        } else {
            path.into()
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(child)
            } else {
                nul_path(v, &child)
            }
        }),
        _ => None,
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<Json<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; a JSON object is expected".into(),
        ));
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("the request body is not valid JSON: {e}")))?;
    // serde fills a struct whose fields all have defaults from `[]` too: every body here is an object.
    if !value.is_object() {
        return Err(ApiError::invalid(
            "(body)",
            "a JSON object is expected as the request body",
        ));
    }
    if let Some(field) = nul_path(&value, "") {
        return Err(ApiError::invalid(
            field,
            "text may not contain the NUL character (\\u0000)",
        ));
    }
    let fingerprint = hex::encode(Sha256::digest(value.to_string().as_bytes()));
    let value = serde_path_to_error::deserialize(value)
        .map_err(|e| ApiError::invalid_fields(vec![field_error(e, "(body)")]))?;
    Ok(Json { value, fingerprint })
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType(
                    "the request body must be JSON (Content-Type: application/json)".into(),
                ));
            }
            let bytes = body.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => {
                    ApiError::PayloadTooLarge("the request body is larger than allowed".into())
                }
                _ => ApiError::BadRequest(format!("the request body could not be read: {e}")),
            })?;
            parse_json(&bytes)
        })
    }
}

/// A CSV request body for a bulk import: `text/csv` (415 otherwise), at most the configured import
/// limit (413 above it, refused from `Content-Length` before reading when it is declared).
pub struct CsvBody {
    pub bytes: web::Bytes,
    /// SHA-256 of the body, so a retried import can be recognised.
    pub fingerprint: String,
}

impl FromRequest for CsvBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_csv = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| m.type_() == mime::TEXT && m.subtype() == mime::CSV);
        let limit = req
            .app_data::<web::Data<crate::BodyLimits>>()
            .map_or(32 * 1024 * 1024, |l| l.import);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let payload = web::Payload::from_request(req, payload).into_inner();
        Box::pin(async move {
            if !is_csv {
                return Err(ApiError::UnsupportedMediaType(
                    "an import must be sent as CSV (Content-Type: text/csv)".into(),
                ));
            }
            let too_large = || {
                ApiError::PayloadTooLarge(format!(
                    "the import is larger than the {limit} bytes allowed; split it into several files"
                ))
            };
            if declared.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let bytes = payload
                .map_err(|e| {
                    ApiError::BadRequest(format!("the request body could not be read: {e}"))
                })?
                .to_bytes_limited(limit)
                .await
                .map_err(|_| too_large())?
                .map_err(|e| {
                    ApiError::BadRequest(format!("the request body could not be read: {e}"))
                })?;
            let fingerprint = hex::encode(Sha256::digest(&bytes));
            Ok(CsvBody { bytes, fingerprint })
        })
    }
}

/// For merge-patch fields that cannot be cleared: left out leaves the field as it is, while `null`
/// is refused (422 naming the field) rather than quietly ignored.
/// Use as `#[serde(default, deserialize_with = "not_null")]` with `#[schema(nullable = false)]`.
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Query parameters parsed into `T`; a bad value is 422 naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = form_urlencoded::parse(req.query_string().as_bytes());
        if let Some((name, _)) = parsed
            .clone()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return ready(Err(ApiError::invalid(
                name.into_owned(),
                "may not contain the NUL character",
            )));
        }
        let de = serde_urlencoded::Deserializer::new(parsed);
        ready(
            serde_path_to_error::deserialize(de)
                .map(Query)
                .map_err(|e| {
                    let path = e.path().to_string();
                    let message = e.inner().to_string();
                    let field = if path == "." {
                        message.split('`').nth(1).unwrap_or("query").to_string()
                    } else {
                        path
                    };
                    ApiError::invalid_fields(vec![FieldError::new(field, message)])
                }),
        )
    }
}

/// The entity tag of a record at a version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

/// `If-Match`: the versions the caller believes current. A write whose record has moved on is 412.
pub enum IfMatch {
    /// No `If-Match` header: the write is unconditional.
    Absent,
    Any,
    Tags(Vec<String>),
}

impl IfMatch {
    pub fn check(&self, current_version: i32) -> Result<(), ApiError> {
        let current = etag(current_version);
        match self {
            IfMatch::Absent | IfMatch::Any => Ok(()),
            IfMatch::Tags(tags) if tags.iter().any(|t| t == &current) => Ok(()),
            IfMatch::Tags(tags) => Err(ApiError::PreconditionFailed(format!(
                "the record is at version {current}, not {}; fetch it again and reapply the change",
                tags.join(", ")
            ))),
        }
    }

    /// For a write that creates the record when it does not exist yet (a PUT): any entity tag,
    /// or `*`, names a version that is not there, so it is stale (412).
    pub fn check_absent(&self) -> Result<(), ApiError> {
        match self {
            IfMatch::Absent => Ok(()),
            _ => Err(ApiError::PreconditionFailed(
                "the record does not exist yet; send no If-Match to create it".into(),
            )),
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parse = || {
            let Some(value) = req.headers().get(header::IF_MATCH) else {
                return Ok(IfMatch::Absent);
            };
            let text = value
                .to_str()
                .map_err(|_| ApiError::BadRequest("If-Match is not valid text".into()))?
                .trim();
            if text == "*" {
                return Ok(IfMatch::Any);
            }
            let tags: Vec<String> = text
                .split(',')
                .map(|t| t.trim().trim_start_matches("W/").to_string())
                .filter(|t| !t.is_empty())
                .collect();
            if tags.is_empty()
                || tags
                    .iter()
                    .any(|t| t.len() < 2 || !t.starts_with('"') || !t.ends_with('"'))
            {
                return Err(ApiError::BadRequest(
                    "If-Match must be * or a list of quoted entity tags, e.g. \"3\"".into(),
                ));
            }
            Ok(IfMatch::Tags(tags))
        };
        ready(parse())
    }
}

/// `Idempotency-Key`: a retried POST with the same key and body gets the first response.
pub struct IdempotencyKey(pub Option<String>);

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match req.headers().get(IDEMPOTENCY_KEY) {
            None => Ok(IdempotencyKey(None)),
            Some(v) => match v.to_str() {
                Ok(k)
                    if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) =>
                {
                    Ok(IdempotencyKey(Some(k.to_string())))
                }
                _ => Err(ApiError::BadRequest(
                    "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
                )),
            },
        };
        ready(key)
    }
}
