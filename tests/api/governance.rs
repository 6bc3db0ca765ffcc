//! Governance over HTTP: waivers (request, the approver the rules name by value band, decide,
//! withdraw, refusals), the approver rules, breaches, and the audit committee report against a
//! hand-worked fixture.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, claims, hs256, token};

/// A token for `authority` with `roles`, as the person `who` (tokens from `token` all share one
/// subject per authority, and a requester may not decide their own waiver).
pub fn token_as(authority: &str, roles: &[Role], who: &str) -> String {
    let mut c = claims(authority, roles);
    c.sub = who.to_string();
    hs256(&c)
}

fn requester(authority: &str) -> String {
    token(authority, &[Role::Procurement])
}

fn head_of_procurement(authority: &str) -> String {
    token_as(authority, &[Role::Procurement], "head.procurement@council")
}

/// A contract of `authority` through the API; its id.
pub async fn contract(
    app: &TestApp,
    authority: &str,
    reference: &str,
    supplier: &str,
    start: &str,
    end: &str,
) -> String {
    let reply = app
        .post(
            "/v1/contracts",
            &token(authority, &[Role::Commissioner]),
            &json!({
                "reference": reference,
                "title": "Home care: test patch",
                "supplier_name": supplier,
                "category": "home-care",
                "annual_value_pence": 100_000_000_i64,
                "start_date": start,
                "end_date": end,
            }),
        )
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()["id"].as_str().unwrap().to_string()
}

fn new_waiver(contract_id: &str, value: i64) -> Value {
    json!({
        "contract_id": contract_id,
        "reason": "continuity_of_care",
        "justification": "Extending six months while the re-procurement completes avoids moving people to new carers in winter.",
        "value_pence": value,
        "period_start": "2027-10-01",
        "period_end": "2028-03-31"
    })
}

async fn request_waiver(app: &TestApp, body: &Value) -> Value {
    let reply = app.post("/v1/waivers", &requester("RCH"), body).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

async fn decide(app: &TestApp, id: &str, token: &str, body: Value) -> crate::helpers::Reply {
    app.post(&format!("/v1/waivers/{id}/decide"), token, &body)
        .await
}

fn audit_count(app: &TestApp, entity: &str, action: &str) -> i64 {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "(SELECT count(*) FROM audit_events WHERE entity_type = '{entity}' AND action = '{action}')"
    )))
    .get_result(&mut app.db.connection())
    .unwrap()
}

#[actix_web::test]
async fn a_waiver_is_requested_decided_by_its_approver_and_then_closed_to_actions() {
    let app = TestApp::spawn().await;
    let c = contract(
        &app,
        "RCH",
        "RCH-C-1",
        "Pennine Care",
        "2024-04-01",
        "2027-09-30",
    )
    .await;
    let reply = app
        .post("/v1/waivers", &requester("RCH"), &new_waiver(&c, 4_999_999))
        .await;
    assert_eq!(reply.status, 201);
    let w = reply.json();
    let id = w["id"].as_str().unwrap();
    assert_eq!(
        reply.header("location").unwrap(),
        format!("/v1/waivers/{id}")
    );
    assert_eq!(reply.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(w["status"], "requested");
    assert_eq!(w["approver"], "head_of_procurement");
    assert_eq!(w["approver_role"], "procurement");
    assert_eq!(w["allowed_actions"], json!(["decide", "withdraw"]));
    assert!(w["reference"].as_str().unwrap().starts_with("RCH-WVR-"));
    assert_eq!(audit_count(&app, "waiver", "create"), 1);

    // Anyone authenticated reads it; the list filters.
    let other = token("TAM", &[Role::Auditor]);
    let read = app.get(&format!("/v1/waivers/{id}"), &other).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["id"], id);
    let listed = app
        .get("/v1/waivers?authority=RCH&status=requested", &other)
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let none = app.get("/v1/waivers?status=approved", &other).await.json();
    assert_eq!(none["items"], json!([]));

    // A stale If-Match is 412; the approver decides with the current one.
    let stale = app
        .send(
            TestRequest::post()
                .uri(&format!("/v1/waivers/{id}/decide"))
                .insert_header(bearer(&head_of_procurement("RCH")))
                .insert_header(("If-Match", "\"7\""))
                .set_json(json!({"decision": "approved"})),
        )
        .await;
    stale.problem(412);
    let decided = app
        .send(
            TestRequest::post()
                .uri(&format!("/v1/waivers/{id}/decide"))
                .insert_header(bearer(&head_of_procurement("RCH")))
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!({"decision": "approved", "note": "Six months only."})),
        )
        .await;
    assert_eq!(
        decided.status,
        200,
        "{}",
        String::from_utf8_lossy(&decided.body)
    );
    let d = decided.json();
    assert_eq!(d["status"], "approved");
    assert_eq!(d["decided_by"], "head.procurement@council");
    assert_eq!(d["decision_note"], "Six months only.");
    assert_eq!(d["version"], 2);
    assert_eq!(d["allowed_actions"], json!([]));
    assert_eq!(audit_count(&app, "waiver", "decide"), 1);

    // Decided: neither another decision nor a withdrawal.
    let again = decide(
        &app,
        id,
        &head_of_procurement("RCH"),
        json!({"decision": "refused", "note": "no"}),
    )
    .await;
    let p = again.problem(409);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("actions allowed now: none"),
        "{p}"
    );
    app.post(
        &format!("/v1/waivers/{id}/withdraw"),
        &requester("RCH"),
        &json!({}),
    )
    .await
    .problem(409);
}

#[actix_web::test]
async fn the_approver_follows_the_value_bands_at_their_edges_and_only_that_role_decides() {
    let app = TestApp::spawn().await;
    let c = contract(
        &app,
        "RCH",
        "RCH-C-1",
        "Pennine Care",
        "2024-04-01",
        "2027-09-30",
    )
    .await;
    let cases = [
        (0, "head_of_procurement"),
        (4_999_999, "head_of_procurement"),
        (5_000_000, "chief_finance_officer"),
        (49_999_999, "chief_finance_officer"),
        (50_000_000, "director"),
    ];
    let mut ids = Vec::new();
    for (value, approver) in cases {
        let w = request_waiver(&app, &new_waiver(&c, value)).await;
        assert_eq!(w["approver"], approver, "value {value}");
        ids.push(w["id"].as_str().unwrap().to_string());
    }
    let director_waiver = &ids[4];
    // The head of procurement cannot decide a director's waiver; the board can.
    let p = decide(
        &app,
        director_waiver,
        &head_of_procurement("RCH"),
        json!({"decision": "approved"}),
    )
    .await
    .problem(403);
    assert!(p["detail"].as_str().unwrap().contains("director"), "{p}");
    // Another authority's board cannot.
    decide(
        &app,
        director_waiver,
        &token_as("TAM", &[Role::Board], "director@tam"),
        json!({"decision": "approved"}),
    )
    .await
    .problem(403);
    let ok = decide(
        &app,
        director_waiver,
        &token_as("RCH", &[Role::Board], "director@rch"),
        json!({"decision": "refused", "note": "Re-procure now instead."}),
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["status"], "refused");

    // The requester cannot decide their own waiver, even with the role.
    let p = decide(
        &app,
        &ids[0],
        &requester("RCH"),
        json!({"decision": "approved"}),
    )
    .await
    .problem(403);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("person who requested"),
        "{p}"
    );
    // Finance decides the CFO band.
    let cfo = token_as("RCH", &[Role::Finance], "cfo@rch");
    assert_eq!(
        decide(&app, &ids[2], &cfo, json!({"decision": "approved"}))
            .await
            .status,
        200
    );
    decide(&app, &ids[1], &cfo, json!({"decision": "approved"}))
        .await
        .problem(403);

    // A refusal must say why; a decision cannot be dated before the request or in the future.
    let fields = decide(
        &app,
        &ids[1],
        &head_of_procurement("RCH"),
        json!({"decision": "refused"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, vec!["note"]);
    let fields = decide(
        &app,
        &ids[1],
        &head_of_procurement("RCH"),
        json!({"decision": "approved", "decided_on": "2000-01-01"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, vec!["decided_on"]);
    let fields = decide(
        &app,
        &ids[1],
        &head_of_procurement("RCH"),
        json!({"decision": "maybe"}),
    )
    .await
    .invalid_fields();
    assert_eq!(fields, vec!["decision"]);

    // Withdrawn by the requesting authority; then it cannot be decided.
    app.post(
        &format!("/v1/waivers/{}/withdraw", ids[3]),
        &token("TAM", &[Role::Procurement]),
        &json!({}),
    )
    .await
    .problem(403);
    let withdrawn = app
        .post(
            &format!("/v1/waivers/{}/withdraw", ids[3]),
            &requester("RCH"),
            &json!({}),
        )
        .await;
    assert_eq!(withdrawn.status, 200);
    assert_eq!(withdrawn.json()["status"], "withdrawn");
    decide(&app, &ids[3], &cfo, json!({"decision": "approved"}))
        .await
        .problem(409);
}

#[actix_web::test]
async fn a_waiver_request_is_refused_when_invalid_unauthenticated_or_not_allowed() {
    let app = TestApp::spawn().await;
    let c = contract(
        &app,
        "RCH",
        "RCH-C-1",
        "Pennine Care",
        "2024-04-01",
        "2027-09-30",
    )
    .await;
    let tam = contract(
        &app,
        "TAM",
        "TAM-C-1",
        "Tameside Care",
        "2024-04-01",
        "2027-09-30",
    )
    .await;
    // 401 without a token, 403 without a writing role.
    app.send(
        TestRequest::post()
            .uri("/v1/waivers")
            .set_json(new_waiver(&c, 100)),
    )
    .await
    .problem(401);
    app.post(
        "/v1/waivers",
        &token("RCH", &[Role::Auditor]),
        &new_waiver(&c, 100),
    )
    .await
    .problem(403);
    // Exactly one of a PID and a contract.
    let mut neither = new_waiver(&c, 100);
    neither.as_object_mut().unwrap().remove("contract_id");
    let fields = app
        .post("/v1/waivers", &requester("RCH"), &neither)
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["pid_id", "contract_id"]);
    let mut both = new_waiver(&c, 100);
    both["pid_id"] = json!(uuid::Uuid::now_v7());
    let fields = app
        .post("/v1/waivers", &requester("RCH"), &both)
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["pid_id", "contract_id"]);
    // An unknown PID, and another authority's contract.
    let mut unknown_pid = new_waiver(&c, 100);
    unknown_pid.as_object_mut().unwrap().remove("contract_id");
    unknown_pid["pid_id"] = json!(uuid::Uuid::now_v7());
    let reply = app
        .post("/v1/waivers", &requester("RCH"), &unknown_pid)
        .await;
    assert_eq!(reply.invalid_fields(), vec!["pid_id"]);
    assert!(
        reply.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no procurement initiation document")
    );
    let fields = app
        .post("/v1/waivers", &requester("RCH"), &new_waiver(&tam, 100))
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["contract_id"]);
    // Bad values name their fields.
    let mut bad = new_waiver(&c, 100);
    bad["period_end"] = json!("2027-01-01");
    bad["justification"] = json!("   ");
    bad["requested_on"] = json!("2999-01-01");
    let fields = app
        .post("/v1/waivers", &requester("RCH"), &bad)
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["justification", "period_end", "requested_on"]);
    let mut bad = new_waiver(&c, 100);
    bad["reason"] = json!("friendship");
    assert_eq!(
        app.post("/v1/waivers", &requester("RCH"), &bad)
            .await
            .invalid_fields(),
        vec!["reason"]
    );
    let mut bad = new_waiver(&c, 100);
    bad["value_pence"] = json!(-1);
    assert_eq!(
        app.post("/v1/waivers", &requester("RCH"), &bad)
            .await
            .invalid_fields(),
        vec!["value_pence"]
    );
    // 404 for a waiver that does not exist, and for an action on one.
    let nobody = uuid::Uuid::now_v7();
    app.get(&format!("/v1/waivers/{nobody}"), &requester("RCH"))
        .await
        .problem(404);
    decide(
        &app,
        &nobody.to_string(),
        &head_of_procurement("RCH"),
        json!({"decision": "approved"}),
    )
    .await
    .problem(404);
    app.get("/v1/waivers?status=pending", &requester("RCH"))
        .await
        .problem(422);
    app.get("/v1/waivers", "not-a-token").await.problem(401);
    // Nothing was written by any of the refusals.
    assert_eq!(audit_count(&app, "waiver", "create"), 0);
}

#[actix_web::test]
async fn a_retried_waiver_request_with_its_key_is_made_once_and_lists_page() {
    let app = TestApp::spawn().await;
    let c = contract(
        &app,
        "RCH",
        "RCH-C-1",
        "Pennine Care",
        "2024-04-01",
        "2027-09-30",
    )
    .await;
    let send = || {
        TestRequest::post()
            .uri("/v1/waivers")
            .insert_header(bearer(&requester("RCH")))
            .insert_header(("Idempotency-Key", "wvr-1"))
            .set_json(new_waiver(&c, 100))
    };
    let first = app.send(send()).await;
    let second = app.send(send()).await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(first.json()["id"], second.json()["id"]);
    assert_eq!(
        second.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    for _ in 0..2 {
        request_waiver(&app, &new_waiver(&c, 200)).await;
    }
    let t = requester("RCH");
    let page1 = app.get("/v1/waivers?limit=2", &t).await.json();
    assert_eq!(page1["items"].as_array().unwrap().len(), 2);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(&format!("/v1/waivers?limit=2&cursor={cursor}"), &t)
        .await
        .json();
    assert_eq!(page2["items"].as_array().unwrap().len(), 1);
    assert_eq!(page2["next_cursor"], Value::Null);
    assert_ne!(page1["items"][0]["id"], page2["items"][0]["id"]);
}

#[actix_web::test]
async fn approver_rules_are_read_by_all_and_replaced_by_an_admin_with_an_audit_event() {
    let app = TestApp::spawn().await;
    let t = requester("RCH");
    let rules = app.get("/v1/waiver-approver-rules", &t).await;
    assert_eq!(rules.status, 200);
    assert_eq!(rules.json()["bands"][0]["approver"], "head_of_procurement");
    let new_rules = json!({"bands": [
        {"min_value_pence": 0, "approver": "head_of_procurement"},
        {"min_value_pence": 1000, "approver": "director"}
    ]});
    let put = |token: String, body: Value| {
        TestRequest::put()
            .uri("/v1/waiver-approver-rules")
            .insert_header(bearer(&token))
            .set_json(body)
    };
    app.send(put(t.clone(), new_rules.clone()))
        .await
        .problem(403);
    let admin = token("RCH", &[Role::Admin]);
    let fields = app
        .send(put(
            admin.clone(),
            json!({"bands": [{"min_value_pence": 5, "approver": "director"},
                             {"min_value_pence": 5, "approver": "director"}]}),
        ))
        .await
        .invalid_fields();
    assert_eq!(
        fields,
        vec!["bands[0].min_value_pence", "bands[1].min_value_pence"]
    );
    let fields = app
        .send(put(admin.clone(), json!({"bands": []})))
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["bands"]);
    let ok = app.send(put(admin, new_rules.clone())).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), new_rules);
    assert_eq!(
        app.get("/v1/waiver-approver-rules", &t).await.json(),
        new_rules
    );
    assert_eq!(audit_count(&app, "waiver_approver_rules", "replace"), 1);
    // New requests follow the new bands.
    let c = contract(
        &app,
        "RCH",
        "RCH-C-1",
        "Pennine Care",
        "2024-04-01",
        "2027-09-30",
    )
    .await;
    let w = request_waiver(&app, &new_waiver(&c, 1000)).await;
    assert_eq!(w["approver"], "director");
}

fn new_breach(contract_id: &str) -> Value {
    json!({
        "contract_id": contract_id,
        "kind": "continued_after_expiry",
        "how_found": "spend_analysis",
        "description": "Bought on for five months after the contract ended.",
        "remedy": "Re-procurement added to the forward plan.",
        "value_pence": 10_400_000_i64,
        "identified_on": "2026-09-14"
    })
}

#[actix_web::test]
async fn a_breach_is_recorded_read_listed_and_updated_by_its_authority_only() {
    let app = TestApp::spawn().await;
    let c = contract(
        &app,
        "RCH",
        "RCH-C-1",
        "Pennine Care",
        "2024-04-01",
        "2027-09-30",
    )
    .await;
    let t = requester("RCH");
    let reply = app.post("/v1/breaches", &t, &new_breach(&c)).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let b = reply.json();
    let id = b["id"].as_str().unwrap();
    assert_eq!(b["status"], "open");
    assert!(b["reference"].as_str().unwrap().starts_with("RCH-BR-"));
    assert_eq!(
        reply.header("location").unwrap(),
        format!("/v1/breaches/{id}")
    );
    let auditor = token("TAM", &[Role::Auditor]);
    assert_eq!(
        app.get(&format!("/v1/breaches/{id}"), &auditor)
            .await
            .json()["value_pence"],
        10_400_000
    );
    let listed = app
        .get(
            "/v1/breaches?authority=RCH&how_found=spend_analysis&from=2026-09-14&to=2026-09-14",
            &auditor,
        )
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let listed = app
        .get("/v1/breaches?from=2026-09-15", &auditor)
        .await
        .json();
    assert_eq!(listed["items"], json!([]));

    // Other authorities read but do not write; a stale version is 412.
    app.patch(
        &format!("/v1/breaches/{id}"),
        &token("TAM", &[Role::Procurement]),
        &json!({"status": "closed"}),
    )
    .await
    .problem(403);
    let stale = app
        .send(
            TestRequest::patch()
                .uri(&format!("/v1/breaches/{id}"))
                .insert_header(bearer(&t))
                .insert_header(("If-Match", "\"9\""))
                .set_json(json!({"status": "closed"})),
        )
        .await;
    stale.problem(412);
    let patched = app
        .send(
            TestRequest::patch()
                .uri(&format!("/v1/breaches/{id}"))
                .insert_header(bearer(&t))
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!({"status": "remedied", "remedy": "Re-procured."})),
        )
        .await;
    assert_eq!(patched.status, 200);
    let p = patched.json();
    assert_eq!(p["status"], "remedied");
    assert_eq!(p["remedy"], "Re-procured.");
    assert_eq!(p["version"], 2);
    assert_eq!(patched.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(audit_count(&app, "breach", "update"), 1);
    // Bad changes name their fields; null is refused.
    let fields = app
        .patch(
            &format!("/v1/breaches/{id}"),
            &t,
            &json!({"description": "", "identified_on": "2999-01-01"}),
        )
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["description", "identified_on"]);
    assert_eq!(
        app.patch(&format!("/v1/breaches/{id}"), &t, &json!({"status": null}))
            .await
            .invalid_fields(),
        vec!["status"]
    );
    app.patch(
        &format!("/v1/breaches/{}", uuid::Uuid::now_v7()),
        &t,
        &json!({"status": "closed"}),
    )
    .await
    .problem(404);
}

#[actix_web::test]
async fn a_breach_must_be_against_one_record_of_the_authority_by_a_writer() {
    let app = TestApp::spawn().await;
    let tam = contract(
        &app,
        "TAM",
        "TAM-C-1",
        "Tameside Care",
        "2024-04-01",
        "2027-09-30",
    )
    .await;
    let t = requester("RCH");
    app.send(
        TestRequest::post()
            .uri("/v1/breaches")
            .set_json(new_breach(&tam)),
    )
    .await
    .problem(401);
    app.post(
        "/v1/breaches",
        &token("RCH", &[Role::Finance]),
        &new_breach(&tam),
    )
    .await
    .problem(403);
    assert_eq!(
        app.post("/v1/breaches", &t, &new_breach(&tam))
            .await
            .invalid_fields(),
        vec!["contract_id"]
    );
    let mut pid = new_breach(&tam);
    pid.as_object_mut().unwrap().remove("contract_id");
    pid["pid_id"] = json!(uuid::Uuid::now_v7());
    assert_eq!(
        app.post("/v1/breaches", &t, &pid).await.invalid_fields(),
        vec!["pid_id"]
    );
    let mut bad = new_breach(&tam);
    bad["how_found"] = json!("rumour");
    assert_eq!(
        app.post("/v1/breaches", &t, &bad).await.invalid_fields(),
        vec!["how_found"]
    );
    app.get(&format!("/v1/breaches/{}", uuid::Uuid::now_v7()), &t)
        .await
        .problem(404);
}

/// Record a waiver with its own request date, decided (or withdrawn) as `outcome` says.
async fn fixture_waiver(
    app: &TestApp,
    authority: &str,
    contract: &str,
    reason: &str,
    value: i64,
    requested_on: &str,
    outcome: Option<(&str, &str)>,
) {
    let reply = app
        .post(
            "/v1/waivers",
            &token(authority, &[Role::Procurement]),
            &json!({
                "contract_id": contract,
                "reason": reason,
                "justification": "Fixture.",
                "value_pence": value,
                "period_start": "2025-04-01",
                "period_end": "2026-03-31",
                "requested_on": requested_on
            }),
        )
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let w = reply.json();
    let id = w["id"].as_str().unwrap();
    let approver = token_as(
        authority,
        &[Role::Procurement, Role::Finance, Role::Board],
        "approver@council",
    );
    match outcome {
        Some(("withdrawn", _)) => {
            let r = app
                .post(
                    &format!("/v1/waivers/{id}/withdraw"),
                    &token(authority, &[Role::Procurement]),
                    &json!({}),
                )
                .await;
            assert_eq!(r.status, 200);
        }
        Some((decision, day)) => {
            let r = decide(
                app,
                id,
                &approver,
                json!({"decision": decision, "note": "Fixture.", "decided_on": day}),
            )
            .await;
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        }
        None => {}
    }
}

async fn fixture_breach(
    app: &TestApp,
    contract: &str,
    kind: &str,
    value: i64,
    identified_on: &str,
) {
    let mut b = new_breach(contract);
    b["kind"] = json!(kind);
    b["value_pence"] = json!(value);
    b["identified_on"] = json!(identified_on);
    let r = app.post("/v1/breaches", &requester("RCH"), &b).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

fn figures(quarter: Option<&str>, f: [i64; 8]) -> Value {
    json!({
        "quarter": quarter,
        "waivers_requested_count": f[0], "waivers_requested_value_pence": f[1],
        "waivers_approved_count": f[2], "waivers_approved_value_pence": f[3],
        "waivers_refused_count": f[4], "waivers_refused_value_pence": f[5],
        "breaches_count": f[6], "breaches_value_pence": f[7]
    })
}

fn reason_row(quarter: &str, reason: &str, f: [i64; 6]) -> Value {
    json!({
        "quarter": quarter, "reason": reason,
        "requested_count": f[0], "requested_value_pence": f[1],
        "approved_count": f[2], "approved_value_pence": f[3],
        "refused_count": f[4], "refused_value_pence": f[5]
    })
}

/// The fixture, worked by hand (RCH, financial year 2025/26, Q1 = April to June):
///
/// | waiver | reason | value | requested | outcome | counts as |
/// |---|---|---|---|---|---|
/// | W1 | sole_supplier | 1,000,000 | 2025-05-10 Q1 | approved 2025-05-20 Q1 | Q1 requested, Q1 approved |
/// | W2 | urgency | 2,000,000 | 2025-06-30 Q1 | refused 2025-07-01 Q2 | Q1 requested, Q2 refused |
/// | W3 | continuity_of_care | 6,000,000 | 2025-09-30 Q2 | approved 2025-10-01 Q3 | Q2 requested, Q3 approved |
/// | W4 | sole_supplier | 500,000 | 2026-01-15 Q4 | withdrawn | Q4 requested |
/// | W5 | sole_supplier | 700,000 | 2025-03-31 (2024/25) | approved 2025-04-01 Q1 | Q1 approved only |
/// | W6 | urgency | 3,000,000 | 2025-08-01 | still requested | Q2 requested |
/// | TAM | urgency | 999 | 2025-05-01 | | not RCH: left out |
///
/// Breaches: 3,000,000 continued_after_expiry 2025-08-01 (Q2); 400,000 let_without_compliant_route
/// 2026-03-31 (Q4); 100 on 2026-04-01 (the next year: left out).
#[actix_web::test]
async fn the_audit_committee_report_counts_a_hand_worked_fixture_by_quarter_and_reason() {
    let app = TestApp::spawn().await;
    let c = contract(
        &app,
        "RCH",
        "RCH-C-1",
        "Pennine Care",
        "2020-04-01",
        "2027-09-30",
    )
    .await;
    let tam = contract(
        &app,
        "TAM",
        "TAM-C-1",
        "Tameside Care",
        "2020-04-01",
        "2027-09-30",
    )
    .await;
    let w = |reason, value, on, outcome| (reason, value, on, outcome);
    for (reason, value, on, outcome) in [
        w(
            "sole_supplier",
            1_000_000,
            "2025-05-10",
            Some(("approved", "2025-05-20")),
        ),
        w(
            "urgency",
            2_000_000,
            "2025-06-30",
            Some(("refused", "2025-07-01")),
        ),
        w(
            "continuity_of_care",
            6_000_000,
            "2025-09-30",
            Some(("approved", "2025-10-01")),
        ),
        w(
            "sole_supplier",
            500_000,
            "2026-01-15",
            Some(("withdrawn", "")),
        ),
        w(
            "sole_supplier",
            700_000,
            "2025-03-31",
            Some(("approved", "2025-04-01")),
        ),
        w("urgency", 3_000_000, "2025-08-01", None),
    ] {
        fixture_waiver(&app, "RCH", &c, reason, value, on, outcome).await;
    }
    fixture_waiver(&app, "TAM", &tam, "urgency", 999, "2025-05-01", None).await;
    fixture_breach(&app, &c, "continued_after_expiry", 3_000_000, "2025-08-01").await;
    fixture_breach(
        &app,
        &c,
        "let_without_compliant_route",
        400_000,
        "2026-03-31",
    )
    .await;
    fixture_breach(&app, &c, "other", 100, "2026-04-01").await;

    let t = token("TAM", &[Role::Auditor]);
    let reply = app
        .get(
            "/v1/governance/report?from=2025-04-01&to=2026-03-31&authority=RCH",
            &t,
        )
        .await;
    assert_eq!(reply.status, 200);
    let r = reply.json();
    assert_eq!(r["from"], "2025-04-01");
    assert_eq!(r["authority"], "RCH");
    assert_eq!(
        r["waivers"],
        json!([
            reason_row(
                "2025/26 Q1",
                "sole_supplier",
                [1, 1_000_000, 2, 1_700_000, 0, 0]
            ),
            reason_row("2025/26 Q1", "urgency", [1, 2_000_000, 0, 0, 0, 0]),
            reason_row("2025/26 Q2", "urgency", [1, 3_000_000, 0, 0, 1, 2_000_000]),
            reason_row(
                "2025/26 Q2",
                "continuity_of_care",
                [1, 6_000_000, 0, 0, 0, 0]
            ),
            reason_row(
                "2025/26 Q3",
                "continuity_of_care",
                [0, 0, 1, 6_000_000, 0, 0]
            ),
            reason_row("2025/26 Q4", "sole_supplier", [1, 500_000, 0, 0, 0, 0]),
        ])
    );
    assert_eq!(
        r["breaches"],
        json!([
            {"quarter": "2025/26 Q2", "kind": "continued_after_expiry", "count": 1, "value_pence": 3_000_000},
            {"quarter": "2025/26 Q4", "kind": "let_without_compliant_route", "count": 1, "value_pence": 400_000},
        ])
    );
    assert_eq!(
        r["quarters"],
        json!([
            figures(Some("2025/26 Q1"), [2, 3_000_000, 2, 1_700_000, 0, 0, 0, 0]),
            figures(
                Some("2025/26 Q2"),
                [2, 9_000_000, 0, 0, 1, 2_000_000, 1, 3_000_000]
            ),
            figures(Some("2025/26 Q3"), [0, 0, 1, 6_000_000, 0, 0, 0, 0]),
            figures(Some("2025/26 Q4"), [1, 500_000, 0, 0, 0, 0, 1, 400_000]),
        ])
    );
    assert_eq!(
        r["totals"],
        figures(
            None,
            [5, 12_500_000, 3, 7_700_000, 1, 2_000_000, 2, 3_400_000]
        )
    );

    // All authorities: the Tameside request joins Q1 urgency.
    let all = app
        .get("/v1/governance/report?from=2025-04-01&to=2026-03-31", &t)
        .await
        .json();
    assert_eq!(all["totals"]["waivers_requested_count"], 6);
    assert_eq!(all["totals"]["waivers_requested_value_pence"], 12_500_999);
    assert_eq!(all["waivers"][1]["requested_value_pence"], 2_000_999);

    // The same figures as CSV, by parameter or by Accept.
    let csv = app
        .get(
            "/v1/governance/report?from=2025-04-01&to=2026-03-31&authority=RCH&format=csv",
            &t,
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(csv.body.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "record,quarter,category,measure,count,value_gbp");
    assert_eq!(
        lines[1],
        "waiver,2025/26 Q1,sole_supplier,requested,1,10000.00"
    );
    assert_eq!(
        lines[2],
        "waiver,2025/26 Q1,sole_supplier,approved,2,17000.00"
    );
    assert!(lines.contains(&"breach,2025/26 Q4,let_without_compliant_route,identified,1,4000.00"));
    assert_eq!(
        &lines[lines.len() - 4..],
        [
            "total,,,waivers_requested,5,125000.00",
            "total,,,waivers_approved,3,77000.00",
            "total,,,waivers_refused,1,20000.00",
            "total,,,breaches,2,34000.00",
        ]
    );
    let by_accept = app
        .send(
            TestRequest::get()
                .uri("/v1/governance/report?from=2025-04-01&to=2026-03-31&authority=RCH")
                .insert_header(bearer(&t))
                .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(by_accept.body, csv.body);

    // Refusals.
    app.get("/v1/governance/report", "bad").await.problem(401);
    assert_eq!(
        app.get("/v1/governance/report?from=2026-01-01&to=2025-01-01", &t)
            .await
            .invalid_fields(),
        vec!["to"]
    );
    assert_eq!(
        app.get("/v1/governance/report?format=xml", &t)
            .await
            .invalid_fields(),
        vec!["format"]
    );
    assert_eq!(
        app.get("/v1/governance/report?from=yesterday", &t)
            .await
            .invalid_fields(),
        vec!["from"]
    );
}

#[actix_web::test]
async fn a_waiver_against_a_pid_is_requested_by_the_pids_authority_only() {
    let app = TestApp::spawn().await;
    let pid = crate::pids::raise_pid(&app, "RCH", json!({})).await;
    let pid_id = pid["id"].as_str().unwrap();
    let body = json!({
        "pid_id": pid_id,
        "reason": "urgency",
        "justification": "The incumbent provider has given notice; an interim arrangement is needed before the PID's procurement completes.",
        "value_pence": 4_000_000_i64,
        "period_start": "2027-01-01",
        "period_end": "2027-06-30"
    });
    // Another authority cannot raise a waiver against RCH's PID.
    let refused = app.post("/v1/waivers", &requester("TAM"), &body).await;
    assert_eq!(
        refused.status,
        422,
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
    assert!(String::from_utf8_lossy(&refused.body).contains("pid_id"));
    let waiver = request_waiver(&app, &body).await;
    assert_eq!(waiver["pid_id"], json!(pid_id));
    assert!(waiver["contract_id"].is_null());
    let listed = app
        .get(&format!("/v1/waivers?pid_id={pid_id}"), &requester("RCH"))
        .await;
    assert_eq!(
        listed.status,
        200,
        "{}",
        String::from_utf8_lossy(&listed.body)
    );
    let items = listed.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], waiver["id"]);
}
