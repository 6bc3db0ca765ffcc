//! Procurement initiation documents over HTTP: raising one from an approved intention, each
//! lifecycle path and refusal, governance sign-offs by value band (at the band edges), the
//! weighting check, route-to-market checks, the rules and thresholds as data, and risks linking PIDs.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, bearer, claims, hs256, new_intention, token};
use crate::social_value::contract;

/// A token for a named person of `authority` with `roles`.
pub fn person(authority: &str, name: &str, roles: &[Role]) -> String {
    let mut c = claims(authority, roles);
    c.sub = format!("{name}@{authority}");
    hs256(&c)
}

/// An intention of `authority` taken through the board to `approved`; its id.
pub async fn approved_intention(app: &TestApp, authority: &str) -> String {
    let commissioner = token(authority, &[Role::Commissioner]);
    let reply = app
        .post(
            "/v1/commissioning-intentions",
            &commissioner,
            &new_intention(),
        )
        .await;
    assert_eq!(reply.status, 201);
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let submit = app
        .send(
            TestRequest::post()
                .uri(&format!("/v1/commissioning-intentions/{id}/submit"))
                .insert_header(bearer(&commissioner)),
        )
        .await;
    assert_eq!(submit.status, 200);
    let decided = app
        .post(
            &format!("/v1/commissioning-intentions/{id}/decide"),
            &token(authority, &[Role::Board]),
            &json!({"decision": "approved", "decision_date": "2026-11-18", "minute_reference": "ICB/2026/11/04"}),
        )
        .await;
    assert_eq!(decided.status, 200);
    id
}

/// A valid new PID body for `intention`, to vary per test.
pub fn new_pid(intention: &str) -> Value {
    json!({
        "intention_id": intention,
        "title": "Supported living framework",
        "description": "Framework for supported living in people's own tenancies.",
        "estimated_value_pence": 2_250_000_000_i64,
        "regime": "light_touch",
        "contract_type": "services",
        "route": "competitive_flexible",
        "lots": [
            {"title": "Lot 1: north", "estimated_value_pence": 1_000_000_000_i64, "sme_vcse": true},
            {"title": "Lot 2: south", "estimated_value_pence": 1_250_000_000_i64}
        ],
        "term_months": 48,
        "extension_months": [12, 12],
        "milestones": [{"name": "Tender notice published", "planned_date": "2027-01-11"}],
        "evaluation_weighting": {"quality_percent": 60, "price_percent": 30, "social_value_percent": 10},
        "social_value_priorities": []
    })
}

fn buyer(authority: &str) -> String {
    token(authority, &[Role::Procurement])
}

/// Raise a PID of `authority` with `body` changes over the default; the PID.
pub async fn raise_pid(app: &TestApp, authority: &str, changes: Value) -> Value {
    let intention = approved_intention(app, authority).await;
    let mut body = new_pid(&intention);
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    let reply = app.post("/v1/pids", &buyer(authority), &body).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

async fn act(app: &TestApp, id: &str, action: &str, token: &str) -> Reply {
    app.send(
        TestRequest::post()
            .uri(&format!("/v1/pids/{id}/{action}"))
            .insert_header(bearer(token)),
    )
    .await
}

async fn sign(app: &TestApp, id: &str, token: &str, body: Value) -> Reply {
    app.post(&format!("/v1/pids/{id}/sign-offs"), token, &body)
        .await
}

fn approve(role: &str) -> Value {
    json!({"role": role, "outcome": "approved"})
}

fn roles(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn a_pid_is_raised_only_from_an_approved_intention_which_moves_to_in_procurement() {
    let app = TestApp::spawn().await;
    let draft = app
        .post(
            "/v1/commissioning-intentions",
            &token("RCH", &[Role::Commissioner]),
            &new_intention(),
        )
        .await
        .json();
    let refused = app
        .post("/v1/pids", &buyer("RCH"), &new_pid(&id_of(&draft)))
        .await;
    let detail = refused.problem(409)["detail"].as_str().unwrap().to_string();
    assert!(detail.ends_with("is draft"), "{detail}");

    let intention = approved_intention(&app, "RCH").await;
    let body = new_pid(&intention);
    app.send(TestRequest::post().uri("/v1/pids").set_json(&body))
        .await
        .problem(401);
    app.post("/v1/pids", &token("RCH", &[Role::Board]), &body)
        .await
        .problem(403);
    app.post("/v1/pids", &buyer("TAM"), &body)
        .await
        .problem(403);
    let mut unknown = body.clone();
    unknown["intention_id"] = json!("0193f000-0000-7000-8000-00000000beef");
    assert_eq!(
        app.post("/v1/pids", &buyer("RCH"), &unknown)
            .await
            .invalid_fields(),
        ["intention_id"]
    );

    let created = app
        .send(
            TestRequest::post()
                .uri("/v1/pids")
                .insert_header(bearer(&buyer("RCH")))
                .insert_header(("Idempotency-Key", "pid-1"))
                .set_json(&body),
        )
        .await;
    assert_eq!(created.status, 201);
    let pid = created.json();
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(pid["reference"], format!("RCH-PID-{year}-0001"));
    assert_eq!(pid["status"], "draft");
    assert_eq!(pid["authority"], "RCH");
    assert_eq!(pid["lots"][0]["sme_vcse"], true);
    assert_eq!(pid["lots"][1]["sme_vcse"], false);
    assert_eq!(pid["evaluation_weighting"]["price_percent"], 30);
    assert_eq!(pid["transparency_notice_due"], false);
    assert_eq!(
        created.header("location").unwrap(),
        format!("/v1/pids/{}", id_of(&pid))
    );
    assert_eq!(roles(&pid["allowed_actions"]), ["submit", "cancel"]);
    // A retry with the same key replays; the intention is not moved twice.
    let replay = app
        .send(
            TestRequest::post()
                .uri("/v1/pids")
                .insert_header(bearer(&buyer("RCH")))
                .insert_header(("Idempotency-Key", "pid-1"))
                .set_json(&body),
        )
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.json()["id"], pid["id"]);

    let moved = app
        .get(
            &format!("/v1/commissioning-intentions/{intention}"),
            &buyer("RCH"),
        )
        .await
        .json();
    assert_eq!(moved["status"], "in_procurement");
    let again = app.post("/v1/pids", &buyer("RCH"), &body).await;
    assert!(
        again.problem(409)["detail"]
            .as_str()
            .unwrap()
            .ends_with("is in_procurement")
    );

    let auditor = token("RCH", &[Role::Auditor]);
    let events = app
        .get(&format!("/v1/audit-events?entity_id={intention}"), &auditor)
        .await
        .json();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.last(), Some(&"start_procurement"));
    let events = app
        .get(
            &format!("/v1/audit-events?entity_id={}", id_of(&pid)),
            &auditor,
        )
        .await
        .json();
    assert_eq!(events["items"][0]["action"], "create");
    assert_eq!(events["items"][0]["after"], pid);
}

#[actix_web::test]
async fn pids_are_read_and_listed_with_filters_and_pages() {
    let app = TestApp::spawn().await;
    let a = raise_pid(&app, "RCH", json!({})).await;
    let b = raise_pid(&app, "RCH", json!({"route": "open"})).await;
    let c = raise_pid(&app, "TAM", json!({})).await;
    let t = token("SKP", &[Role::Auditor]);

    let one = app.get(&format!("/v1/pids/{}", id_of(&a)), &t).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(one.json(), a);
    app.get("/v1/pids/0193f000-0000-7000-8000-00000000beef", &t)
        .await
        .problem(404);
    app.send(TestRequest::get().uri(&format!("/v1/pids/{}", id_of(&a))))
        .await
        .problem(401);

    let ids =
        |v: Value| -> Vec<String> { v["items"].as_array().unwrap().iter().map(id_of).collect() };
    assert_eq!(
        ids(app.get("/v1/pids?authority=RCH", &t).await.json()),
        [id_of(&a), id_of(&b)]
    );
    assert_eq!(
        ids(app.get("/v1/pids?route=open", &t).await.json()),
        [id_of(&b)]
    );
    let by_intention = format!(
        "/v1/pids?intention_id={}",
        c["intention_id"].as_str().unwrap()
    );
    assert_eq!(ids(app.get(&by_intention, &t).await.json()), [id_of(&c)]);
    assert_eq!(
        ids(app
            .get("/v1/pids?financial_year=2026/27&status=draft", &t)
            .await
            .json())
        .len(),
        3
    );
    assert!(ids(app.get("/v1/pids?financial_year=2027/28", &t).await.json()).is_empty());
    let page = app.get("/v1/pids?limit=2", &t).await.json();
    assert_eq!(ids(page.clone()), [id_of(&a), id_of(&b)]);
    let next = app
        .get(
            &format!(
                "/v1/pids?limit=2&cursor={}",
                page["next_cursor"].as_str().unwrap()
            ),
            &t,
        )
        .await
        .json();
    assert_eq!(ids(next.clone()), [id_of(&c)]);
    assert!(next["next_cursor"].is_null());
    assert_eq!(
        app.get("/v1/pids?status=bogus", &t).await.invalid_fields(),
        ["status"]
    );
}

#[actix_web::test]
async fn the_evaluation_weighting_must_sum_to_a_hundred() {
    let app = TestApp::spawn().await;
    let intention = approved_intention(&app, "RCH").await;
    let mut body = new_pid(&intention);
    body["evaluation_weighting"] =
        json!({"quality_percent": 60, "price_percent": 30, "social_value_percent": 11});
    let reply = app.post("/v1/pids", &buyer("RCH"), &body).await;
    assert_eq!(reply.invalid_fields(), ["evaluation_weighting"]);
    assert!(
        reply.json()["detail"]
            .as_str()
            .unwrap()
            .contains("must sum to 100%, not 101%")
    );

    body["evaluation_weighting"] =
        json!({"quality_percent": 50, "price_percent": 40, "social_value_percent": 10});
    let pid = app.post("/v1/pids", &buyer("RCH"), &body).await.json();
    let path = format!("/v1/pids/{}", id_of(&pid));
    let reply = app
        .patch(
            &path,
            &buyer("RCH"),
            &json!({"evaluation_weighting": {"quality_percent": 50, "price_percent": 40, "social_value_percent": 0}}),
        )
        .await;
    assert_eq!(reply.invalid_fields(), ["evaluation_weighting"]);
    let reply = app
        .patch(
            &path,
            &buyer("RCH"),
            &json!({"evaluation_weighting": {"quality_percent": 70, "price_percent": 20, "social_value_percent": 10}}),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["evaluation_weighting"]["quality_percent"], 70);
    assert_eq!(reply.header("etag").as_deref(), Some("\"2\""));
}

#[actix_web::test]
async fn routes_are_checked_against_value_regime_and_thresholds() {
    let app = TestApp::spawn().await;
    let pid = raise_pid(
        &app,
        "RCH",
        json!({"regime": "procurement_act_2023", "route": "open"}),
    )
    .await;
    let path = format!("/v1/pids/{}", id_of(&pid));
    let t = buyer("RCH");
    let rule_of = |reply: &Reply| {
        let p = reply.json();
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .split(':')
            .next()
            .unwrap()
            .to_string()
    };

    // Goods and services: £214,904 including VAT. At the threshold is above it.
    let quote = |value: i64| json!({"route": "below_threshold_quote", "estimated_value_pence": value, "lots": []});
    let ok = app.patch(&path, &t, &quote(21_490_399)).await;
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let at = app.patch(&path, &t, &quote(21_490_400)).await;
    assert_eq!(at.invalid_fields(), ["route"]);
    assert_eq!(rule_of(&at), "rule below_threshold_quote_limit");
    // Works measure against £5,372,609; light-touch services against £663,540.
    let works = app
        .patch(
            &path,
            &t,
            &json!({"contract_type": "works", "route": "below_threshold_quote", "estimated_value_pence": 537_260_899_i64}),
        )
        .await;
    assert_eq!(works.status, 200);
    let light = app
        .patch(
            &path,
            &t,
            &json!({"regime": "light_touch", "contract_type": "services", "estimated_value_pence": 66_354_000_i64}),
        )
        .await;
    assert_eq!(rule_of(&light), "rule below_threshold_quote_limit");
    assert!(
        light.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("light_touch threshold of 66354000 pence")
    );

    // A direct award needs a justification; under the 2023 Act a UK5 notice is due.
    let da = app
        .patch(
            &path,
            &t,
            &json!({"route": "direct_award", "estimated_value_pence": 50_000_000_i64}),
        )
        .await;
    assert_eq!(da.invalid_fields(), ["direct_award_justification"]);
    let da = app
        .patch(
            &path,
            &t,
            &json!({"route": "direct_award", "estimated_value_pence": 50_000_000_i64,
                    "direct_award_justification": "Provider failure: extreme and unavoidable urgency"}),
        )
        .await;
    assert_eq!(da.status, 200);
    assert_eq!(da.json()["transparency_notice_due"], true);
    let psr = app
        .patch(&path, &t, &json!({"regime": "provider_selection_regime"}))
        .await;
    assert_eq!(psr.status, 200);
    assert_eq!(psr.json()["transparency_notice_due"], false);

    // A route the regime does not have; PCR 2015 only for processes begun before 24 Feb 2025.
    let dm = app
        .patch(&path, &t, &json!({"route": "dynamic_market"}))
        .await;
    assert_eq!(rule_of(&dm), "rule route_not_in_regime");
    let pcr = app
        .patch(
            &path,
            &t,
            &json!({"regime": "pcr_2015", "route": "open", "process_started_on": "2025-02-24"}),
        )
        .await;
    assert_eq!(pcr.invalid_fields(), ["regime"]);
    assert_eq!(rule_of(&pcr), "rule pcr_2015_before_commencement");
    let pcr = app
        .patch(
            &path,
            &t,
            &json!({"regime": "pcr_2015", "route": "open", "process_started_on": "2025-02-23"}),
        )
        .await;
    assert_eq!(pcr.status, 200);
    let act = app
        .patch(&path, &t, &json!({"regime": "procurement_act_2023"}))
        .await;
    assert_eq!(rule_of(&act), "rule act_after_commencement");

    // Lots may not add up to more than the whole.
    let lots = app
        .patch(
            &path,
            &t,
            &json!({"lots": [{"title": "Only lot", "estimated_value_pence": 50_000_001_i64}]}),
        )
        .await;
    assert_eq!(lots.invalid_fields(), ["lots"]);
}

#[actix_web::test]
async fn sign_offs_required_follow_the_value_bands_exactly_at_their_edges() {
    let app = TestApp::spawn().await;
    let pid = raise_pid(
        &app,
        "RCH",
        json!({"regime": "light_touch", "route": "open", "lots": []}),
    )
    .await;
    let path = format!("/v1/pids/{}", id_of(&pid));
    let t = buyer("RCH");
    let base = ["commissioning_lead", "procurement_lead"];
    let with_finance = ["commissioning_lead", "procurement_lead", "finance"];
    let all = [
        "commissioning_lead",
        "procurement_lead",
        "finance",
        "legal",
        "key_decision",
    ];
    for (value, expected) in [
        (9_999_999_i64, &base[..]),
        (10_000_000, &with_finance[..]),
        (10_000_001, &with_finance[..]),
        (49_999_999, &with_finance[..]),
        (50_000_000, &all[..]),
        (50_000_001, &all[..]),
    ] {
        let reply = app
            .patch(&path, &t, &json!({"estimated_value_pence": value}))
            .await;
        assert_eq!(reply.status, 200);
        let pid = reply.json();
        assert_eq!(roles(&pid["sign_offs"]["required"]), expected, "at {value}");
        assert_eq!(roles(&pid["sign_offs"]["outstanding"]), expected);
    }
    // A direct award always needs legal, whatever its value.
    let reply = app
        .patch(
            &path,
            &t,
            &json!({"estimated_value_pence": 100, "route": "direct_award", "direct_award_justification": "Only one provider can deliver this"}),
        )
        .await
        .json();
    assert_eq!(
        roles(&reply["sign_offs"]["required"]),
        ["commissioning_lead", "procurement_lead", "legal"]
    );
}

#[actix_web::test]
async fn a_pid_goes_from_draft_through_sign_offs_to_approved_live_and_awarded() {
    let app = TestApp::spawn().await;
    let pid = raise_pid(
        &app,
        "RCH",
        json!({"estimated_value_pence": 60_000_000_i64, "lots": []}),
    )
    .await;
    let id = id_of(&pid);
    let lead = person("RCH", "lead", &[Role::Commissioner]);
    let both = person("RCH", "both", &[Role::Commissioner, Role::Procurement]);
    let buyer_p = person("RCH", "buyer", &[Role::Procurement]);
    let finance = person("RCH", "finance", &[Role::Finance]);
    let legal = person("RCH", "legal", &[Role::Legal]);
    let board = person("RCH", "board", &[Role::Board]);

    // Signing a draft is refused, naming what is allowed.
    let early = sign(&app, &id, &lead, approve("commissioning_lead")).await;
    assert!(
        early.problem(409)["detail"]
            .as_str()
            .unwrap()
            .contains("actions allowed now: submit, cancel")
    );

    let submitted = act(&app, &id, "submit", &lead).await;
    assert_eq!(submitted.status, 200);
    let submitted = submitted.json();
    assert_eq!(submitted["status"], "submitted");
    assert_eq!(submitted["submission"], 1);
    assert_eq!(
        roles(&submitted["sign_offs"]["required"]),
        [
            "commissioning_lead",
            "procurement_lead",
            "finance",
            "legal",
            "key_decision"
        ]
    );
    act(&app, &id, "submit", &lead).await.problem(409);
    app.patch(
        &format!("/v1/pids/{id}"),
        &lead,
        &json!({"title": "Changed"}),
    )
    .await
    .problem(409);

    let first = sign(&app, &id, &both, approve("commissioning_lead")).await;
    assert_eq!(first.status, 201);
    let first = first.json();
    assert_eq!(first["status"], "submitted");
    assert_eq!(first["sign_offs"]["given"][0]["signed_by"], "both@RCH");
    assert_eq!(first["sign_offs"]["given"][0]["role"], "commissioning_lead");
    assert_eq!(
        roles(&first["sign_offs"]["outstanding"]),
        ["procurement_lead", "finance", "legal", "key_decision"]
    );
    // One person, one role; one sign-off per role.
    let twice = sign(&app, &id, &both, approve("procurement_lead")).await;
    assert!(
        twice.problem(409)["detail"]
            .as_str()
            .unwrap()
            .contains("one person signs one role")
    );
    sign(&app, &id, &lead, approve("commissioning_lead"))
        .await
        .problem(409);
    // The caller must hold the token role of the sign-off.
    sign(&app, &id, &lead, approve("finance"))
        .await
        .problem(403);
    sign(
        &app,
        &id,
        &person("RCH", "admin", &[Role::Admin]),
        approve("finance"),
    )
    .await
    .problem(403);
    sign(
        &app,
        &id,
        &person("TAM", "finance", &[Role::Finance]),
        approve("finance"),
    )
    .await
    .problem(403);
    app.post(
        &format!("/v1/pids/{id}/sign-offs"),
        &finance,
        &json!({"role": "finance"}),
    )
    .await
    .problem(422);

    for (who, role) in [
        (&buyer_p, "procurement_lead"),
        (&finance, "finance"),
        (&legal, "legal"),
    ] {
        let r = sign(&app, &id, who, approve(role)).await;
        assert_eq!(r.status, 201);
        assert_eq!(r.json()["status"], "submitted");
    }
    let last = sign(&app, &id, &board, approve("key_decision"))
        .await
        .json();
    assert_eq!(last["status"], "approved");
    assert!(
        last["sign_offs"]["outstanding"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(last["sign_offs"]["given"].as_array().unwrap().len(), 5);
    assert_eq!(roles(&last["allowed_actions"]), ["go_live", "cancel"]);

    // Approved: only milestones may change.
    let path = format!("/v1/pids/{id}");
    app.patch(&path, &buyer_p, &json!({"route": "open", "milestones": []}))
        .await
        .problem(409);
    let actual = app
        .patch(
            &path,
            &buyer_p,
            &json!({"milestones": [{"name": "Tender notice published", "planned_date": "2027-01-11", "actual_date": "2027-01-12"}]}),
        )
        .await;
    assert_eq!(actual.status, 200);

    act(&app, &id, "go-live", &lead).await.problem(403);
    let live = act(&app, &id, "go-live", &buyer_p).await;
    assert_eq!(live.json()["status"], "live");
    let awarded = act(&app, &id, "award", &buyer_p).await.json();
    assert_eq!(awarded["status"], "awarded");
    assert!(awarded["allowed_actions"].as_array().unwrap().is_empty());
    let cancel = act(&app, &id, "cancel", &buyer_p).await;
    assert!(
        cancel.problem(409)["detail"]
            .as_str()
            .unwrap()
            .contains("actions allowed now: none")
    );
    let intention = app
        .get(
            &format!(
                "/v1/commissioning-intentions/{}",
                pid["intention_id"].as_str().unwrap()
            ),
            &lead,
        )
        .await
        .json();
    assert_eq!(intention["status"], "awarded");

    let events = app
        .get(
            &format!("/v1/audit-events?entity_id={id}"),
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "create", "submit", "sign_off", "sign_off", "sign_off", "sign_off", "approve",
            "update", "go_live", "award"
        ]
    );
    let signed = &events["items"][2]["after"]["sign_offs"]["given"][0];
    assert_eq!(signed["signed_by"], "both@RCH");
    assert_eq!(signed["role"], "commissioning_lead");
}

#[actix_web::test]
async fn a_return_sends_the_pid_back_to_draft_and_resubmission_starts_afresh() {
    let app = TestApp::spawn().await;
    let pid = raise_pid(
        &app,
        "RCH",
        json!({"estimated_value_pence": 20_000_000_i64, "lots": []}),
    )
    .await;
    let id = id_of(&pid);
    let lead = person("RCH", "lead", &[Role::Commissioner]);
    let finance = person("RCH", "finance", &[Role::Finance]);
    assert_eq!(act(&app, &id, "submit", &lead).await.status, 200);
    assert_eq!(
        sign(&app, &id, &lead, approve("commissioning_lead"))
            .await
            .status,
        201
    );
    // Legal is not needed at this value.
    let legal = sign(
        &app,
        &id,
        &person("RCH", "legal", &[Role::Legal]),
        approve("legal"),
    )
    .await;
    assert_eq!(legal.invalid_fields(), ["role"]);

    let no_reasons = sign(
        &app,
        &id,
        &finance,
        json!({"role": "finance", "outcome": "returned"}),
    )
    .await;
    assert_eq!(no_reasons.invalid_fields(), ["reasons"]);
    let returned = sign(
        &app,
        &id,
        &finance,
        json!({"role": "finance", "outcome": "returned", "reasons": "The value leaves out the extensions."}),
    )
    .await;
    assert_eq!(returned.status, 201);
    let returned = returned.json();
    assert_eq!(returned["status"], "draft");
    assert_eq!(returned["sign_offs"]["last_return"]["role"], "finance");
    assert_eq!(
        returned["sign_offs"]["last_return"]["reasons"],
        "The value leaves out the extensions."
    );
    assert!(
        returned["sign_offs"]["given"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        roles(&returned["sign_offs"]["outstanding"]),
        ["commissioning_lead", "procurement_lead", "finance"]
    );

    let path = format!("/v1/pids/{id}");
    let stale = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&lead))
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!({"estimated_value_pence": 24_000_000_i64})),
        )
        .await;
    stale.problem(412);
    let fixed = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&lead))
                .insert_header(("If-Match", format!("\"{}\"", returned["version"])))
                .set_json(json!({"estimated_value_pence": 24_000_000_i64})),
        )
        .await;
    assert_eq!(fixed.status, 200);
    let stale_submit = app
        .send(
            TestRequest::post()
                .uri(&format!("{path}/submit"))
                .insert_header(bearer(&lead))
                .insert_header(("If-Match", "\"1\"")),
        )
        .await;
    stale_submit.problem(412);
    let resubmitted = act(&app, &id, "submit", &lead).await.json();
    assert_eq!(resubmitted["submission"], 2);
    assert!(
        resubmitted["sign_offs"]["given"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The same people sign the new submission afresh.
    assert_eq!(
        sign(&app, &id, &lead, approve("commissioning_lead"))
            .await
            .status,
        201
    );
    let events = app
        .get(
            &format!("/v1/audit-events?entity_id={id}"),
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "create", "submit", "sign_off", "return", "update", "submit", "sign_off"
        ]
    );
}

#[actix_web::test]
async fn writes_to_another_authoritys_pid_and_without_the_role_are_forbidden() {
    let app = TestApp::spawn().await;
    let pid = raise_pid(&app, "RCH", json!({})).await;
    let id = id_of(&pid);
    let path = format!("/v1/pids/{id}");
    app.patch(&path, &buyer("TAM"), &json!({"title": "Mine now"}))
        .await
        .problem(403);
    app.patch(
        &path,
        &token("RCH", &[Role::Finance]),
        &json!({"title": "Mine now"}),
    )
    .await
    .problem(403);
    act(&app, &id, "submit", &buyer("TAM")).await.problem(403);
    act(&app, &id, "submit", &token("RCH", &[Role::Finance]))
        .await
        .problem(403);
    act(
        &app,
        "0193f000-0000-7000-8000-00000000beef",
        "submit",
        &buyer("RCH"),
    )
    .await
    .problem(404);
    assert_eq!(
        app.patch(&path, &buyer("RCH"), &json!({"title": "  "}))
            .await
            .invalid_fields(),
        ["title"]
    );
    assert_eq!(
        app.patch(&path, &buyer("RCH"), &json!({"term_months": 0}))
            .await
            .invalid_fields(),
        ["term_months"]
    );
    assert_eq!(
        app.patch(
            &path,
            &buyer("RCH"),
            &json!({"social_value_priorities": ["nonesuch"]})
        )
        .await
        .invalid_fields(),
        ["social_value_priorities[0]"]
    );
    // A merge patch is an object: an array is refused, not read as an empty patch.
    assert_eq!(
        app.patch(&path, &buyer("RCH"), &json!([]))
            .await
            .invalid_fields(),
        ["(body)"]
    );
    let cancelled = act(&app, &id, "cancel", &buyer("RCH")).await.json();
    assert_eq!(cancelled["status"], "cancelled");
    app.patch(&path, &buyer("RCH"), &json!({"title": "Too late"}))
        .await
        .problem(409);
}

#[actix_web::test]
async fn sign_off_rules_are_data_an_admin_replaces() {
    let app = TestApp::spawn().await;
    let t = token("SKP", &[Role::Auditor]);
    let rules = app.get("/v1/sign-off-rules/RCH", &t).await.json();
    assert_eq!(rules["source"], "default");
    assert_eq!(rules["rules"].as_array().unwrap().len(), 6);
    app.get("/v1/sign-off-rules/XYZ", &t).await.problem(404);

    let pid = raise_pid(
        &app,
        "RCH",
        json!({"estimated_value_pence": 6_000_000_i64, "lots": []}),
    )
    .await;
    let new = json!({"rules": [
        {"role": "commissioning_lead"},
        {"role": "finance", "min_value_pence": 5_000_000_i64, "description": "Finance from £50,000"}
    ]});
    app.send(
        TestRequest::put()
            .uri("/v1/sign-off-rules/RCH")
            .set_json(&new),
    )
    .await
    .problem(401);
    let put = |tok: String, body: Value| {
        app.send(
            TestRequest::put()
                .uri("/v1/sign-off-rules/RCH")
                .insert_header(bearer(&tok))
                .set_json(body),
        )
    };
    put(token("RCH", &[Role::Commissioner]), new.clone())
        .await
        .problem(403);
    put(token("TAM", &[Role::Admin]), new.clone())
        .await
        .problem(403);
    assert_eq!(
        put(token("RCH", &[Role::Admin]), json!({"rules": []}))
            .await
            .invalid_fields(),
        ["rules"]
    );
    assert_eq!(
        put(
            token("RCH", &[Role::Admin]),
            json!({"rules": [{"role": "mayor"}]})
        )
        .await
        .invalid_fields(),
        ["rules[0].role"]
    );
    let replaced = put(token("RCH", &[Role::Admin]), new.clone()).await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.json()["source"], "configured");
    let read = app.get("/v1/sign-off-rules/RCH", &t).await.json();
    assert_eq!(read["rules"][1]["min_value_pence"], 5_000_000);
    assert_eq!(read["rules"][0]["routes"], json!([]));
    // Drafts follow the new rules at once; other authorities keep the defaults.
    let now = app
        .get(&format!("/v1/pids/{}", id_of(&pid)), &t)
        .await
        .json();
    assert_eq!(
        roles(&now["sign_offs"]["required"]),
        ["commissioning_lead", "finance"]
    );
    assert_eq!(
        app.get("/v1/sign-off-rules/TAM", &t).await.json()["source"],
        "default"
    );
    let events = app
        .get(
            "/v1/audit-events?entity_type=sign_off_rules",
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    assert_eq!(events["items"][0]["action"], "replace");
    assert_eq!(events["items"][0]["before"]["source"], "default");
    assert_eq!(events["items"][0]["after"]["rules"], read["rules"]);
}

#[actix_web::test]
async fn thresholds_are_reference_data_an_admin_replaces() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    let seeded = app.get("/v1/procurement-thresholds", &t).await.json();
    assert_eq!(
        seeded["thresholds"],
        json!([
            {"kind": "goods_services", "effective_from": "2024-01-01", "value_pence": 21_490_400, "note": "Supplies and services, sub-central authorities (incl. VAT)"},
            {"kind": "light_touch", "effective_from": "2024-01-01", "value_pence": 66_354_000, "note": "Light-touch services (incl. VAT)"},
            {"kind": "works", "effective_from": "2024-01-01", "value_pence": 537_260_900, "note": "Works (incl. VAT)"}
        ])
    );
    let put = |tok: String, body: Value| {
        app.send(
            TestRequest::put()
                .uri("/v1/procurement-thresholds")
                .insert_header(bearer(&tok))
                .set_json(body),
        )
    };
    let mut more = seeded.clone();
    more["thresholds"]
        .as_array_mut()
        .unwrap()
        .push(json!({"kind": "goods_services", "effective_from": "2026-01-01", "value_pence": 30_000_000}));
    put(t.clone(), more.clone()).await.problem(403);
    assert_eq!(
        put(
            token("RCH", &[Role::Admin]),
            json!({"thresholds": [seeded["thresholds"][0]]})
        )
        .await
        .invalid_fields(),
        ["thresholds", "thresholds"]
    );
    let replaced = put(token("RCH", &[Role::Admin]), more).await;
    assert_eq!(replaced.status, 200);
    assert_eq!(replaced.json()["thresholds"].as_array().unwrap().len(), 4);
    // The new goods and services figure is in force now: a quote at £250,000 passes.
    let pid = raise_pid(
        &app,
        "RCH",
        json!({"regime": "procurement_act_2023", "route": "below_threshold_quote", "estimated_value_pence": 25_000_000_i64, "lots": []}),
    )
    .await;
    assert_eq!(pid["route"], "below_threshold_quote");
    let events = app
        .get(
            "/v1/audit-events?entity_type=procurement_thresholds",
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    assert_eq!(events["items"][0]["action"], "replace");
}

#[actix_web::test]
async fn the_demo_data_has_pids_at_every_stage_with_their_sign_offs() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.connection();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    let t = token("RCH", &[Role::Auditor]);
    let all = app.get("/v1/pids?limit=500", &t).await.json();
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 11, "loading twice adds nothing");
    for status in [
        "draft",
        "submitted",
        "approved",
        "live",
        "awarded",
        "cancelled",
    ] {
        assert!(
            items.iter().any(|p| p["status"] == status),
            "a {status} PID"
        );
    }
    let find = |reference: &str| {
        items
            .iter()
            .find(|p| p["reference"] == reference)
            .unwrap()
            .clone()
    };
    let returned = find("SKP-PID-2026-0002");
    assert_eq!(returned["sign_offs"]["last_return"]["role"], "finance");
    let direct = find("TAM-PID-2026-0003");
    assert_eq!(direct["transparency_notice_due"], true);
    assert_eq!(
        roles(&direct["sign_offs"]["outstanding"]),
        ["finance", "key_decision"]
    );
    let awarded = find("RCH-PID-2026-0001");
    assert_eq!(awarded["sign_offs"]["given"].as_array().unwrap().len(), 5);
    assert_eq!(awarded["lots"].as_array().unwrap().len(), 3);
    // Every lot of the two awarded PIDs has its winner recorded, and some carry commitments.
    for (pid, count) in [(&awarded, 3), (&find("TAM-PID-2026-0001"), 2)] {
        let lots = app
            .get(&format!("/v1/pids/{}/lots", id_of(pid)), &t)
            .await
            .json();
        let lots = lots["lots"].as_array().unwrap();
        assert_eq!(lots.len(), count);
        assert!(lots.iter().all(|l| l["award"]["supplier_name"].is_string()));
    }
    let on_lots = app
        .get(
            &format!("/v1/social-value/commitments?pid_id={}", id_of(&awarded)),
            &t,
        )
        .await
        .json();
    let on_lots = on_lots["items"].as_array().unwrap();
    assert_eq!(on_lots.len(), 2);
    assert_eq!(on_lots[0]["supplier_name"], "Hollinwood Lane Homecare CIC");
    assert_eq!(on_lots[0]["delivered_quantity"], 1);
    let by_contract = app
        .get(
            "/v1/social-value/report?authority=TAM&group_by=contract&as_at=2026-09-30",
            &t,
        )
        .await
        .json();
    let tam = find("TAM-PID-2026-0001");
    assert!(
        by_contract["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["key"] == json!(format!("pid:{}:lot:1", id_of(&tam)))
                && g["label"] == "TAM-PID-2026-0001 Lot 1: supported living")
    );
    // A PID raised now continues the demo's numbering.
    let year = chrono::Utc::now().format("%Y").to_string();
    if year == "2026" {
        let pid = raise_pid(&app, "RCH", json!({})).await;
        assert_eq!(pid["reference"], "RCH-PID-2026-0004");
    }
}

/// The token role that gives a sign-off (as `SignOffRole::token_role`).
fn signatory_role(sign_off: &str) -> Role {
    match sign_off {
        "commissioning_lead" => Role::Commissioner,
        "procurement_lead" => Role::Procurement,
        "finance" => Role::Finance,
        "legal" => Role::Legal,
        "key_decision" => Role::Board,
        other => panic!("unknown sign-off {other}"),
    }
}

/// A PID of `authority` (the default two lots: "Lot 1: north", "Lot 2: south") taken through
/// every required sign-off to `live`; the PID.
pub async fn live_pid(app: &TestApp, authority: &str) -> Value {
    let id = id_of(&raise_pid(app, authority, json!({})).await);
    let submitted = act(app, &id, "submit", &buyer(authority)).await;
    assert_eq!(submitted.status, 200);
    for role in roles(&submitted.json()["sign_offs"]["required"]) {
        let signer = person(authority, &role, &[signatory_role(&role)]);
        assert_eq!(sign(app, &id, &signer, approve(&role)).await.status, 201);
    }
    let live = act(app, &id, "go-live", &buyer(authority)).await;
    assert_eq!(live.status, 200, "{}", String::from_utf8_lossy(&live.body));
    live.json()
}

/// Move a live PID of `authority` to `awarded`.
pub async fn award_pid(app: &TestApp, authority: &str, id: &str) {
    let r = act(app, id, "award", &buyer(authority)).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

/// `PUT /v1/pids/{id}/lots/{lot}/award`, with `If-Match` when given.
pub async fn put_award(
    app: &TestApp,
    id: &str,
    lot: i64,
    token: &str,
    body: &Value,
    if_match: Option<&str>,
) -> Reply {
    let mut req = TestRequest::put()
        .uri(&format!("/v1/pids/{id}/lots/{lot}/award"))
        .insert_header(bearer(token))
        .set_json(body);
    if let Some(tag) = if_match {
        req = req.insert_header(("If-Match", tag));
    }
    app.send(req).await
}

/// Record lot `lot`'s award to `supplier` as `authority`'s buyer; the award.
pub async fn record_award(
    app: &TestApp,
    authority: &str,
    id: &str,
    lot: i64,
    supplier: &str,
) -> Value {
    let body = json!({"supplier_name": supplier, "awarded_on": "2026-03-09"});
    let r = put_award(app, id, lot, &buyer(authority), &body, None).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[actix_web::test]
async fn a_lot_award_is_recorded_then_corrected_under_its_etag_and_audited() {
    let app = TestApp::spawn().await;
    let id = id_of(&live_pid(&app, "RCH").await);
    let reader = token("TAM", &[Role::Finance]);

    let lots = app.get(&format!("/v1/pids/{id}/lots"), &reader).await;
    assert_eq!(lots.status, 200);
    let lots = lots.json();
    assert_eq!(lots["status"], "live");
    assert_eq!(lots["lots"][0]["lot"], 1);
    assert_eq!(lots["lots"][0]["title"], "Lot 1: north");
    assert_eq!(lots["lots"][1]["lot"], 2);
    assert_eq!(lots["lots"][1]["estimated_value_pence"], 1_250_000_000_i64);
    assert_eq!(lots["lots"][0]["award"], Value::Null);
    assert_eq!(lots["lots"][1]["award"], Value::Null);

    // Lot 1's estimate is £10,000,000: an award above it is allowed.
    let body = json!({"supplier_name": "  Northside Support Ltd ", "awarded_on": "2026-03-09",
        "awarded_value_pence": 1_100_000_000_i64});
    let buyer = buyer("RCH");
    // Before anything is recorded, any If-Match names a version that is not there.
    put_award(&app, &id, 1, &buyer, &body, Some("\"1\""))
        .await
        .problem(412);
    let first = put_award(&app, &id, 1, &buyer, &body, None).await;
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(first.header("etag").as_deref(), Some("\"1\""));
    let first = first.json();
    assert_eq!(first["lot"], 1);
    assert_eq!(first["lot_title"], "Lot 1: north");
    assert_eq!(first["supplier_name"], "Northside Support Ltd");
    assert_eq!(first["awarded_value_pence"], 1_100_000_000_i64);
    assert_eq!(first["pid_reference"], lots["pid_reference"]);
    assert_eq!(first["version"], 1);

    // A correction under the current ETag: 200 and the next version; the old ETag is then stale.
    let contract = contract(&app, "RCH", "RCH-C-2026-0101", "Northside Support CIC").await;
    let corrected = json!({"supplier_name": "Northside Support CIC", "awarded_on": "2026-03-10",
        "contract_id": contract});
    let second = put_award(&app, &id, 1, &buyer, &corrected, Some("\"1\"")).await;
    assert_eq!(
        second.status,
        200,
        "{}",
        String::from_utf8_lossy(&second.body)
    );
    assert_eq!(second.header("etag").as_deref(), Some("\"2\""));
    let second = second.json();
    assert_eq!(second["supplier_name"], "Northside Support CIC");
    assert_eq!(second["awarded_on"], "2026-03-10");
    // A PUT replaces the award whole: the value left out is cleared.
    assert_eq!(second["awarded_value_pence"], Value::Null);
    assert_eq!(second["contract_id"], json!(contract));
    assert_eq!(second["contract_reference"], "RCH-C-2026-0101");
    put_award(&app, &id, 1, &buyer, &body, Some("\"1\""))
        .await
        .problem(412);

    let lots = app
        .get(&format!("/v1/pids/{id}/lots"), &reader)
        .await
        .json();
    assert_eq!(lots["lots"][0]["award"], second);
    assert_eq!(lots["lots"][1]["award"], Value::Null);

    // Still allowed once the PID is awarded: lot 2 is recorded after the award.
    award_pid(&app, "RCH", &id).await;
    let admin = token("RCH", &[Role::Admin]);
    let lot2 = put_award(
        &app,
        &id,
        2,
        &admin,
        &json!({"supplier_name": "Southside Care Ltd", "awarded_on": "2026-03-12"}),
        None,
    )
    .await;
    assert_eq!(lot2.status, 201);

    // The audit trail (and so the change feed) carries each award under its own id.
    assert_eq!(second["id"], first["id"]);
    let lot2 = lot2.json();
    assert_ne!(lot2["id"], first["id"]);
    let auditor = token("RCH", &[Role::Auditor]);
    let trail = |award: Value| {
        let app = &app;
        let auditor = auditor.clone();
        async move {
            let events = app
                .get(
                    &format!(
                        "/v1/audit-events?entity_type=pid_lot_award&entity_id={}",
                        award.as_str().unwrap()
                    ),
                    &auditor,
                )
                .await
                .json();
            events["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["action"].as_str().unwrap().to_string(),
                        e["after"]["lot"].as_i64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        trail(first["id"].clone()).await,
        [("create".to_string(), 1), ("update".to_string(), 1)]
    );
    assert_eq!(trail(lot2["id"].clone()).await, [("create".to_string(), 2)]);
    // The feed knows the type (an unknown one is 422); what it holds back while other tests'
    // transactions run is the change feed's own tests' business.
    let feed = app.get("/v1/changes?types=pid_lot_award", &reader).await;
    assert_eq!(feed.status, 200, "{}", String::from_utf8_lossy(&feed.body));
}

#[actix_web::test]
async fn lot_awards_are_refused_by_token_role_authority_status_lot_and_field() {
    let app = TestApp::spawn().await;
    let id = id_of(&live_pid(&app, "RCH").await);
    let body = json!({"supplier_name": "Northside Support Ltd", "awarded_on": "2026-03-09"});

    let anonymous = app
        .send(
            TestRequest::put()
                .uri(&format!("/v1/pids/{id}/lots/1/award"))
                .set_json(&body),
        )
        .await;
    anonymous.problem(401);
    app.send(TestRequest::get().uri(&format!("/v1/pids/{id}/lots")))
        .await
        .problem(401);
    // A commissioner raises PIDs but does not award them; another authority's buyer is refused.
    put_award(
        &app,
        &id,
        1,
        &token("RCH", &[Role::Commissioner]),
        &body,
        None,
    )
    .await
    .problem(403);
    put_award(&app, &id, 1, &buyer("TAM"), &body, None)
        .await
        .problem(403);
    // The default PID has two lots.
    let nine = put_award(&app, &id, 9, &buyer("RCH"), &body, None).await;
    assert!(
        nine.problem(404)["detail"]
            .as_str()
            .unwrap()
            .contains("has 2 lot(s)")
    );
    put_award(&app, &id, 0, &buyer("RCH"), &body, None)
        .await
        .problem(404);
    put_award(
        &app,
        "0193f000-0000-7000-8000-00000000beef",
        1,
        &buyer("RCH"),
        &body,
        None,
    )
    .await
    .problem(404);
    app.get(
        "/v1/pids/0193f000-0000-7000-8000-00000000beef/lots",
        &buyer("RCH"),
    )
    .await
    .problem(404);

    // Bad fields, each named: a negative value, an empty supplier, an unknown or foreign contract.
    let negative = json!({"supplier_name": "Northside Support Ltd", "awarded_on": "2026-03-09",
        "awarded_value_pence": -1});
    assert_eq!(
        put_award(&app, &id, 1, &buyer("RCH"), &negative, None)
            .await
            .invalid_fields(),
        ["awarded_value_pence"]
    );
    let theirs = contract(&app, "TAM", "TAM-C-2026-0101", "Tameside Support Ltd").await;
    let bad = json!({"supplier_name": " ", "awarded_on": "2026-03-09", "contract_id": theirs});
    assert_eq!(
        put_award(&app, &id, 1, &buyer("RCH"), &bad, None)
            .await
            .invalid_fields(),
        ["supplier_name", "contract_id"]
    );
    let unknown = json!({"supplier_name": "Northside Support Ltd", "awarded_on": "2026-03-09",
        "contract_id": "0193f000-0000-7000-8000-00000000beef"});
    assert_eq!(
        put_award(&app, &id, 1, &buyer("RCH"), &unknown, None)
            .await
            .invalid_fields(),
        ["contract_id"]
    );
    let extra =
        json!({"supplier_name": "Northside Support Ltd", "awarded_on": "2026-03-09", "lot": 2});
    assert_eq!(
        put_award(&app, &id, 1, &buyer("RCH"), &extra, None)
            .await
            .invalid_fields(),
        ["lot"]
    );
    // Nothing was recorded by any of those.
    let lots = app
        .get(&format!("/v1/pids/{id}/lots"), &buyer("RCH"))
        .await
        .json();
    assert_eq!(lots["lots"][0]["award"], Value::Null);

    // A draft PID cannot record awards: 409 naming its status.
    let draft = id_of(&raise_pid(&app, "RCH", json!({})).await);
    let refused = put_award(&app, &draft, 1, &buyer("RCH"), &body, None).await;
    assert_eq!(
        refused.problem(409)["detail"],
        "a lot's award is recorded while the PID is live or awarded; this PID is draft"
    );
    // Nor a cancelled one.
    let cancelled = id_of(&live_pid(&app, "TAM").await);
    assert_eq!(
        act(&app, &cancelled, "cancel", &buyer("TAM")).await.status,
        200
    );
    put_award(&app, &cancelled, 1, &buyer("TAM"), &body, None)
        .await
        .problem(409);
}
