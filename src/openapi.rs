//! The OpenAPI document's root (info, tags, security scheme) and the rules that give every
//! operation the error responses and headers its kind of request can meet.

use std::collections::BTreeMap;

use actix_web::App;
use serde_json::json;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Required, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi as _};
use utoipa_actix_web::AppExt;

use crate::error::{FieldError, PROBLEM_JSON, Problem};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "commissioning-hub",
        description = "The adult-social-care commissioning and procurement pipeline of STAR Procurement's \
authorities (Stockport, Tameside, Trafford, Rochdale) and their partners: the forward plan of commissioning \
intentions, and (as they land) procurement initiation documents, social value, collaboration, benchmarks and \
savings forecasts.\n\n\
**Authentication.** Every endpoint except health, metrics, these docs and the public feeds under `/v1/public/` (OCDS, the pipeline notice) needs `Authorization: Bearer <JWT>` \
with the claims `sub`, `authority` (e.g. `RCH`), `roles`, `exp`, `iss` and `aud`. For development, \
`commissioning-hub token --authority RCH --role commissioner` prints a token: paste it into **Authorize**.\n\n\
**Conventions.** Money is integer pence (`*_pence`). Financial years are written `2026/27`. Lists take \
`limit` (1-500, default 50) and `cursor` and return `{items, next_cursor}`. Responses carry an `ETag`; send it \
back as `If-Match` on a write to be refused with 412 if the record changed. A `POST` with an \
`Idempotency-Key` header is done once however often it is retried. Errors are `application/problem+json` \
(RFC 9457), and validation errors list each field.",
        license(name = "MIT OR Apache-2.0"),
        version = env!("CARGO_PKG_VERSION")
    ),
    tags(
        (name = "Commissioning intentions", description = "The forward plan each authority's Integrated Commissioning Board approves"),
        (name = "Forward plan", description = "The plan on a page, the annual plan and its roll-forward"),
        (name = "Contracts", description = "The contract register and the expiry pipeline it drives"),
        (name = "Risks", description = "The risk register of the plan, its procurements and contracts"),
        (name = "Capacity", description = "The team's establishment against the FTE the plan demands"),
        (name = "Collaboration", description = "Opportunities shared across authorities, and the benchmarks partners post"),
        (name = "Savings", description = "Savings lines and the forecast finance systems pull"),
        (name = "Social value", description = "The measures framework, commitments, delivery returns and reports"),
        (name = "Procurement initiation documents", description = "PIDs raised from approved intentions: regime, route to market, lots, timetable and evaluation; governance sign-offs by configurable rules; the procurement thresholds route checks use"),
        (name = "Reference data", description = "Authorities and the procurement category strategy"),
        (name = "Audit", description = "Who changed what, and when"),
        (name = "Governance", description = "Waivers of the Contract Procedure Rules and who decides them, breaches, and the audit committee report"),
        (name = "Spend", description = "The council's spend file matched to the contract register, and off-contract spend"),
        (name = "Publication", description = "Publishing the forward plan: the public OCDS 1.1 feed and the Procurement Act 2023 pipeline notice, open to all without a token"),
        (name = "Change feed", description = "Every change the caller may read, in a gap-free order, to sync from incrementally"),
        (name = "Webhooks", description = "Subscriptions that POST each change the authority may read to a URL: queued from the gap-free change feed, \
delivered at least once and in order per subscription, retried with exponential backoff for up to a day, then marked `failed` (see \
`/v1/webhooks/{id}/deliveries`, and `redeliver`). Admins of the owning authority manage them. Targets on private, link-local or \
loopback addresses are refused.\n\n\
**Verifying a delivery** ([Standard Webhooks](https://www.standardwebhooks.com/)): each POST carries `webhook-id` (the change's \
`event_id`, the same on every retry: use it to drop duplicates), `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<sig>`, \
where `<sig>` is base64(HMAC-SHA256(key, \"{webhook-id}.{webhook-timestamp}.{raw body}\")) and `key` is the base64 after `whsec_` in the \
secret, decoded. Compare in constant time and refuse timestamps more than five minutes off. The body is \
`{\"type\": \"<entity_type>.<action>\", \"timestamp\": ..., \"data\": <change-feed entry>}`."),
        (name = "Operations", description = "Health checks and metrics, open to all")
    ),
    components(schemas(Problem, FieldError, crate::routes::Limit, crate::routes::Cursor, crate::routes::FeedCursor)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, api: &mut OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        scheme.description = Some(
            "A JWT from your identity provider, or `commissioning-hub token` in development."
                .into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The complete document, generated from the handlers.
pub fn document() -> OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    complete(api)
}

/// A problem response, with an example of its `detail`.
fn problem_response(
    description: &str,
    status: u16,
    title: &str,
    slug: &str,
    detail: &str,
) -> Response {
    let mut example = json!({"type": format!("/problems/{slug}"), "title": title, "status": status, "detail": detail});
    if status == 422 {
        example["errors"] = json!([{"field": "financial_year", "message": "expected a financial year like 2026/27, not \"2026-27\""}]);
    }
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::builder()
                .schema(Some(Ref::from_schema_name("Problem")))
                .example(Some(example))
                .build(),
        )
        .build();
    match status {
        401 => {
            response.headers.insert(
                "WWW-Authenticate".into(),
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some("Bearer realm=\"commissioning-hub\""))
                    .build(),
            );
        }
        429 | 503 => {
            response.headers.insert(
                "Retry-After".into(),
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::Integer))
                    .description(Some("Seconds to wait before retrying"))
                    .build(),
            );
        }
        _ => {}
    }
    response
}

/// Reusable error responses, by status.
fn error_responses() -> BTreeMap<u16, (&'static str, Response)> {
    [
        (
            400,
            "BadRequest",
            problem_response(
                "Malformed request: the body is not JSON, or a header is malformed",
                400,
                "Bad Request",
                "malformed-request",
                "the request body is not valid JSON: expected `,` or `}` at line 1 column 17",
            ),
        ),
        (
            401,
            "Unauthorized",
            problem_response(
                "No valid bearer token",
                401,
                "Unauthorized",
                "unauthenticated",
                "the token has expired",
            ),
        ),
        (
            403,
            "Forbidden",
            problem_response(
                "The token's roles or authority do not allow this",
                403,
                "Forbidden",
                "forbidden",
                "the record belongs to TAM; the token acts for RCH",
            ),
        ),
        (
            404,
            "NotFound",
            problem_response(
                "No such record",
                404,
                "Not Found",
                "not-found",
                "the record was not found",
            ),
        ),
        (
            409,
            "Conflict",
            problem_response(
                "Conflicts with the current state or with another record",
                409,
                "Conflict",
                "conflict",
                "a request with this Idempotency-Key is still in progress",
            ),
        ),
        (
            412,
            "PreconditionFailed",
            problem_response(
                "If-Match names a version that is no longer current",
                412,
                "Precondition Failed",
                "stale-version",
                "the record is at version \"4\", not \"3\"; fetch it again and reapply the change",
            ),
        ),
        (
            413,
            "PayloadTooLarge",
            problem_response(
                "The request body is larger than allowed",
                413,
                "Payload Too Large",
                "payload-too-large",
                "the request body is larger than allowed",
            ),
        ),
        (
            415,
            "UnsupportedMediaType",
            problem_response(
                "The request body is not JSON",
                415,
                "Unsupported Media Type",
                "unsupported-media-type",
                "the request body must be JSON (Content-Type: application/json)",
            ),
        ),
        (
            422,
            "UnprocessableContent",
            problem_response(
                "Well-formed, but a field or parameter is invalid; `errors` names each",
                422,
                "Unprocessable Entity",
                "validation",
                "financial_year: expected a financial year like 2026/27, not \"2026-27\"",
            ),
        ),
        (
            429,
            "TooManyRequests",
            problem_response(
                "This caller has made too many requests; retry after the Retry-After seconds",
                429,
                "Too Many Requests",
                "rate-limited",
                "too many requests from this caller; retry after 2 seconds",
            ),
        ),
        (
            503,
            "ServiceUnavailable",
            problem_response(
                "The database is unavailable; retry after the Retry-After seconds",
                503,
                "Service Unavailable",
                "database-unavailable",
                "the database is unavailable; retry after 5 seconds",
            ),
        ),
    ]
    .into_iter()
    .map(|(status, name, response)| (status, (name, response)))
    .collect()
}

fn header_param(
    name: &str,
    description: &str,
    pattern: &str,
    example: &str,
) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern)),
        ))
        .example(Some(json!(example)))
        .build()
}

/// Give each operation the responses and headers that follow from its shape.
pub fn complete(mut api: OpenApi) -> OpenApi {
    // The lifecycle is data in the domain; the document shows the same table the handlers check.
    for tag in api.tags.iter_mut().flatten() {
        if tag.name == "Commissioning intentions" {
            tag.description = Some(format!(
                "{}\n\nLifecycle (each action is `POST /v1/commissioning-intentions/{{id}}/<action>`, written in kebab-case in the path, e.g. `start-procurement`; a refused \
                 transition is 409 naming the current status and the actions allowed, a missing role 403):\n\n{}",
                tag.description.clone().unwrap_or_default(),
                crate::domain::intentions::lifecycle_table()
            ));
        }
        // Governance: the waiver lifecycle, from the same table the handlers check.
        if tag.name == "Governance" {
            tag.description = Some(format!(
                "{}\n\nWaiver lifecycle (each action is `POST /v1/waivers/{{id}}/<action>`; a refused transition is 409 naming the status and the actions allowed, the wrong approver or authority 403):\n\n{}",
                tag.description.clone().unwrap_or_default(),
                crate::domain::governance::waiver_lifecycle_table()
            ));
        }
    }
    for tag in api.tags.iter_mut().flatten() {
        if tag.name == "Procurement initiation documents" {
            tag.description = Some(format!(
                "{}\n\nLifecycle (`POST /v1/pids/{{id}}/<action>` for submit, go-live, award and cancel; approve and \
                 return are taken by sign-offs, `POST /v1/pids/{{id}}/sign-offs`: the last required approval approves, \
                 any return sends the PID back to draft with its reasons). A refused transition is 409 naming the current \
                 status and the actions allowed, a missing role 403:\n\n{}\n\nSign-offs and the token roles that give \
                 them: commissioning_lead ← commissioner, procurement_lead ← procurement, finance ← finance, legal ← legal, \
                 key_decision ← board.",
                tag.description.clone().unwrap_or_default(),
                crate::domain::pids::lifecycle_table()
            ));
        }
    }
    let errors = error_responses();
    let components = api.components.get_or_insert_with(Default::default);
    for (name, response) in errors.values() {
        components
            .responses
            .insert((*name).to_string(), RefOr::T(response.clone()));
    }
    let request_id = HeaderBuilder::new()
        .schema(ObjectBuilder::new().schema_type(Type::String))
        .description(Some("The request's id (the caller's X-Request-Id, or a new one); it is in the logs and the audit trail."))
        .build();
    for (path, item) in api.paths.paths.iter_mut() {
        let ops: [(HttpMethod, &mut Option<Operation>); 5] = [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ];
        for (method, op) in ops {
            let Some(op) = op.as_mut() else { continue };
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = op.request_body.is_some();
            let has_query = op
                .parameters
                .iter()
                .flatten()
                .any(|p| p.parameter_in == ParameterIn::Query);
            let mut statuses = Vec::new();
            if secured {
                statuses.extend([401, 403, 429]);
            }
            if path.contains('{') {
                statuses.push(404);
            }
            if has_body {
                statuses.extend([400, 413, 415, 422]);
            }
            if has_query {
                statuses.push(422);
            }
            // Updates and deletes of one record honour If-Match; other operations that do (lifecycle
            // actions, writes that move a record's version on) declare the header themselves.
            let declares_if_match = op.parameters.iter().flatten().any(|p| p.name == "If-Match");
            if path.ends_with("{id}") && matches!(method, HttpMethod::Patch | HttpMethod::Delete)
                || declares_if_match
            {
                op.parameters
                    .get_or_insert_with(Vec::new)
                    .retain(|p| p.name != "If-Match");
                // 409: a change the record's state forbids (a locked field, a refused transition).
                statuses.extend([400, 409, 412]);
                op.parameters.get_or_insert_with(Vec::new).push(header_param(
                    "If-Match",
                    "The ETag you last read; the write is refused with 412 if the record has changed since.",
                    r#"^(\*|(W/)?"[^"]*"( *, *(W/)?"[^"]*")*)$"#,
                    "\"3\"",
                ));
            }
            if method == HttpMethod::Patch {
                // Merge patches are JSON too; accept both media types.
                if let Some(body) = op.request_body.as_mut()
                    && let Some(content) = body.content.values().next().cloned()
                {
                    body.content
                        .entry("application/json".into())
                        .or_insert(content);
                }
            }
            // Creating POSTs (those answering 201) take an Idempotency-Key; actions are guarded by state.
            let creates = op.responses.responses.contains_key("201");
            if method == HttpMethod::Post && secured {
                statuses.push(409);
            }
            if method == HttpMethod::Post && secured && creates {
                statuses.push(400);
                op.parameters.get_or_insert_with(Vec::new).push(header_param(
                    "Idempotency-Key",
                    "Any unique string (a UUID is usual). A retry with the same key and body returns the first \
                     response (with Idempotent-Replayed: true); the same key with a different body is 422. Kept 24 hours.",
                    "^[!-~]{1,255}$",
                    "7f1c0c8e-2b7d-4a55-9d0e-3c1b2a4f5e6d",
                ));
            }
            if path.starts_with("/v1/") || path == "/health/ready" {
                statuses.push(503);
            }
            for status in statuses {
                let (name, _) = &errors[&status];
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
            }
            for response in op.responses.responses.values_mut() {
                if let RefOr::T(r) = response {
                    r.headers
                        .entry("X-Request-Id".into())
                        .or_insert_with(|| request_id.clone());
                }
            }
        }
    }
    api
}
