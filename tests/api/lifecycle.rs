//! The intention lifecycle over HTTP: every path, each refused transition and role, board
//! decisions, locked fields, and the audit trail of transitions.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, new_intention, token};

struct Plan<'a> {
    app: &'a TestApp,
    id: String,
}

fn commissioner() -> String {
    token("RCH", &[Role::Commissioner])
}

fn board() -> String {
    token("RCH", &[Role::Board])
}

fn procurement() -> String {
    token("RCH", &[Role::Procurement])
}

fn decision(outcome: &str) -> Value {
    json!({"decision": outcome, "decision_date": "2026-11-18", "minute_reference": "ICB/2026/11/04", "note": "Agreed."})
}

impl<'a> Plan<'a> {
    async fn new(app: &'a TestApp) -> Plan<'a> {
        let reply = app
            .post(
                "/v1/commissioning-intentions",
                &commissioner(),
                &new_intention(),
            )
            .await;
        assert_eq!(reply.status, 201);
        Plan {
            app,
            id: reply.json()["id"].as_str().unwrap().to_string(),
        }
    }

    async fn act(&self, action: &str, token: &str) -> crate::helpers::Reply {
        let path = format!("/v1/commissioning-intentions/{}/{action}", self.id);
        if action == "decide" {
            panic!("use decide()")
        }
        self.app
            .send(TestRequest::post().uri(&path).insert_header(bearer(token)))
            .await
    }

    async fn ok(&self, action: &str, token: &str, expected: &str) -> Value {
        let reply = self.act(action, token).await;
        assert_eq!(
            reply.status,
            200,
            "{action}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let body = reply.json();
        assert_eq!(body["status"], expected, "{action}");
        body
    }

    async fn decide(&self, token: &str, body: &Value) -> crate::helpers::Reply {
        self.app
            .post(
                &format!("/v1/commissioning-intentions/{}/decide", self.id),
                token,
                body,
            )
            .await
    }

    async fn get(&self) -> Value {
        self.app
            .get(
                &format!("/v1/commissioning-intentions/{}", self.id),
                &commissioner(),
            )
            .await
            .json()
    }

    async fn patch(&self, body: &Value) -> crate::helpers::Reply {
        self.app
            .patch(
                &format!("/v1/commissioning-intentions/{}", self.id),
                &commissioner(),
                body,
            )
            .await
    }
}

#[actix_web::test]
async fn the_happy_path_runs_from_draft_to_closed_with_every_step_audited() {
    let app = TestApp::spawn().await;
    let plan = Plan::new(&app).await;
    assert_eq!(
        plan.get().await["allowed_actions"],
        json!(["submit", "withdraw"])
    );
    plan.ok("submit", &commissioner(), "submitted").await;
    let reply = plan.decide(&board(), &decision("approved")).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let approved = reply.json();
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decision"]["decision"], "approved");
    assert_eq!(approved["decision"]["decision_date"], "2026-11-18");
    assert_eq!(approved["decision"]["minute_reference"], "ICB/2026/11/04");
    assert_eq!(approved["decision"]["decided_by"], "tester@RCH");
    assert_eq!(
        approved["allowed_actions"],
        json!(["revise", "start_procurement", "withdraw"])
    );
    plan.ok("start-procurement", &procurement(), "in_procurement")
        .await;
    plan.ok("award", &procurement(), "awarded").await;
    let closed = plan.ok("close", &commissioner(), "closed").await;
    assert_eq!(closed["version"], 6);
    assert_eq!(closed["allowed_actions"], json!([]));

    let audit = app
        .get(
            &format!("/v1/audit-events?entity_id={}", plan.id),
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    let actions: Vec<_> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "create",
            "submit",
            "decide",
            "start_procurement",
            "award",
            "close"
        ]
    );
    let decide = &audit["items"][2];
    assert_eq!(decide["before"]["status"], "submitted");
    assert_eq!(decide["after"]["status"], "approved");
    assert_eq!(decide["subject"], "tester@RCH");
}

#[actix_web::test]
async fn rejection_and_deferral_lead_back_to_draft_through_revise_and_reopen() {
    let app = TestApp::spawn().await;
    let rejected = Plan::new(&app).await;
    rejected.ok("submit", &commissioner(), "submitted").await;
    assert_eq!(
        rejected
            .decide(&board(), &decision("rejected"))
            .await
            .json()["status"],
        "rejected"
    );
    let revised = rejected.ok("revise", &commissioner(), "draft").await;
    assert!(
        revised["decision"].is_null(),
        "a revised intention has no standing decision"
    );

    let deferred = Plan::new(&app).await;
    deferred.ok("submit", &commissioner(), "submitted").await;
    assert_eq!(
        deferred
            .decide(&board(), &decision("deferred"))
            .await
            .json()["status"],
        "deferred"
    );
    assert_eq!(
        deferred.get().await["allowed_actions"],
        json!(["reopen", "withdraw"])
    );
    deferred.ok("reopen", &commissioner(), "draft").await;
}

#[actix_web::test]
async fn every_open_status_can_be_withdrawn_and_withdrawn_is_final() {
    let app = TestApp::spawn().await;
    // draft, submitted, approved, deferred and in_procurement are open.
    let paths: [&[&str]; 5] = [
        &[],
        &["submit"],
        &["submit", "approved"],
        &["submit", "deferred"],
        &["submit", "approved", "start-procurement"],
    ];
    for steps in paths {
        let plan = Plan::new(&app).await;
        for step in steps {
            match *step {
                "approved" | "deferred" => {
                    assert_eq!(plan.decide(&board(), &decision(step)).await.status, 200)
                }
                "start-procurement" => drop(plan.ok(step, &procurement(), "in_procurement").await),
                _ => drop(plan.ok(step, &commissioner(), "submitted").await),
            }
        }
        plan.ok("withdraw", &commissioner(), "withdrawn").await;
        let again = plan.act("withdraw", &commissioner()).await.problem(409);
        assert_eq!(
            again["detail"],
            "cannot withdraw an intention that is withdrawn; actions allowed now: none"
        );
    }
}

#[actix_web::test]
async fn a_transition_the_status_does_not_allow_is_409_naming_status_and_allowed_actions() {
    let app = TestApp::spawn().await;
    let plan = Plan::new(&app).await;
    let cases = [
        (
            "award",
            procurement(),
            "cannot award an intention that is draft; actions allowed now: submit, withdraw",
        ),
        (
            "start-procurement",
            procurement(),
            "cannot start_procurement an intention that is draft; actions allowed now: submit, withdraw",
        ),
        (
            "close",
            commissioner(),
            "cannot close an intention that is draft; actions allowed now: submit, withdraw",
        ),
        (
            "revise",
            commissioner(),
            "cannot revise an intention that is draft; actions allowed now: submit, withdraw",
        ),
        (
            "reopen",
            commissioner(),
            "cannot reopen an intention that is draft; actions allowed now: submit, withdraw",
        ),
    ];
    for (action, who, detail) in cases {
        let problem = plan.act(action, &who).await.problem(409);
        assert_eq!(problem["detail"], detail);
    }
    let early = plan
        .decide(&board(), &decision("approved"))
        .await
        .problem(409);
    assert_eq!(
        early["detail"],
        "cannot decide an intention that is draft; actions allowed now: submit, withdraw"
    );
    plan.ok("submit", &commissioner(), "submitted").await;
    let twice = plan.act("submit", &commissioner()).await.problem(409);
    assert_eq!(
        twice["detail"],
        "cannot submit an intention that is submitted; actions allowed now: decide, withdraw"
    );
    assert_eq!(plan.get().await["version"], 2, "refusals change nothing");
}

#[actix_web::test]
async fn each_action_needs_its_role_and_the_owning_authority() {
    let app = TestApp::spawn().await;
    let plan = Plan::new(&app).await;
    // Roles that may not take the action, even in the right status.
    for who in [
        token("RCH", &[Role::Board]),
        token("RCH", &[Role::Finance]),
        token("RCH", &[Role::Procurement]),
    ] {
        let problem = plan.act("submit", &who).await.problem(403);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("submit needs one of the roles [commissioner, admin]")
        );
    }
    assert_eq!(
        plan.act("submit", &token("TAM", &[Role::Commissioner]))
            .await
            .problem(403)["detail"]
            .as_str()
            .unwrap(),
        "the record belongs to RCH; the token acts for TAM"
    );
    plan.ok("submit", &commissioner(), "submitted").await;
    for who in [
        commissioner(),
        token("RCH", &[Role::Admin]),
        token("TAM", &[Role::Board]),
    ] {
        plan.decide(&who, &decision("approved")).await.problem(403);
    }
    plan.decide(&board(), &decision("approved")).await;
    plan.act("start-procurement", &token("RCH", &[Role::Finance]))
        .await
        .problem(403);
    plan.ok("start-procurement", &procurement(), "in_procurement")
        .await;
    plan.act("award", &commissioner()).await.problem(403);
    assert_eq!(plan.get().await["status"], "in_procurement");
    app.send(TestRequest::post().uri(&format!("/v1/commissioning-intentions/{}/award", plan.id)))
        .await
        .problem(401);
}

#[actix_web::test]
async fn a_board_decision_needs_a_date_not_in_the_future_and_a_minute_reference() {
    let app = TestApp::spawn().await;
    let plan = Plan::new(&app).await;
    plan.ok("submit", &commissioner(), "submitted").await;
    let mut future = decision("approved");
    future["decision_date"] = json!("2999-01-01");
    assert_eq!(
        plan.decide(&board(), &future).await.invalid_fields(),
        ["decision_date"]
    );
    let mut blank = decision("approved");
    blank["minute_reference"] = json!("  ");
    assert_eq!(
        plan.decide(&board(), &blank).await.invalid_fields(),
        ["minute_reference"]
    );
    let unknown =
        json!({"decision": "maybe", "decision_date": "2026-11-18", "minute_reference": "ICB/1"});
    assert_eq!(
        plan.decide(&board(), &unknown).await.invalid_fields(),
        ["decision"]
    );
    let missing = json!({"decision": "approved", "minute_reference": "ICB/1"});
    assert_eq!(
        plan.decide(&board(), &missing).await.invalid_fields(),
        ["decision_date"]
    );
    assert_eq!(plan.get().await["status"], "submitted");
}

#[actix_web::test]
async fn approval_locks_value_year_and_category_until_a_new_decision() {
    let app = TestApp::spawn().await;
    let plan = Plan::new(&app).await;
    plan.ok("submit", &commissioner(), "submitted").await;
    plan.decide(&board(), &decision("approved")).await;
    for (field, value) in [
        ("estimated_annual_value_pence", json!(1)),
        (
            "estimated_whole_life_value_pence",
            json!(999_999_999_999_i64),
        ),
        ("financial_year", json!("2027/28")),
        ("category", json!("home-care")),
    ] {
        let problem = plan.patch(&json!({ field: value })).await.problem(409);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field} is locked since the board approved")),
            "{problem}"
        );
    }
    // Other fields stay editable, and restating a locked value is not a change.
    let reply = plan
        .patch(&json!({"lead_officer": "Head of Commissioning", "financial_year": "2026/27"}))
        .await;
    assert_eq!(reply.status, 200);
    // Revise, change, and decide again.
    plan.ok("revise", &commissioner(), "draft").await;
    assert_eq!(
        plan.patch(&json!({"financial_year": "2027/28"}))
            .await
            .status,
        200
    );
    plan.ok("submit", &commissioner(), "submitted").await;
    assert_eq!(
        plan.decide(&board(), &decision("approved")).await.json()["financial_year"],
        "2027/28"
    );
}

#[actix_web::test]
async fn closed_and_withdrawn_intentions_cannot_be_changed() {
    let app = TestApp::spawn().await;
    let plan = Plan::new(&app).await;
    plan.ok("withdraw", &commissioner(), "withdrawn").await;
    let problem = plan
        .patch(&json!({"title": "New title"}))
        .await
        .problem(409);
    assert_eq!(
        problem["detail"],
        "the intention is withdrawn: it can no longer be changed"
    );
}

#[actix_web::test]
async fn a_stale_if_match_on_an_action_is_412() {
    let app = TestApp::spawn().await;
    let plan = Plan::new(&app).await;
    let path = format!("/v1/commissioning-intentions/{}/submit", plan.id);
    let stale = app
        .send(
            TestRequest::post()
                .uri(&path)
                .insert_header(bearer(&commissioner()))
                .insert_header(("If-Match", "\"7\"")),
        )
        .await;
    stale.problem(412);
    let fresh = app
        .send(
            TestRequest::post()
                .uri(&path)
                .insert_header(bearer(&commissioner()))
                .insert_header(("If-Match", "\"1\"")),
        )
        .await;
    assert_eq!(fresh.status, 200);
    assert_eq!(fresh.header("etag").as_deref(), Some("\"2\""));
}

#[actix_web::test]
async fn an_unknown_intention_is_404_for_actions() {
    let app = TestApp::spawn().await;
    let path = format!(
        "/v1/commissioning-intentions/{}/submit",
        uuid::Uuid::now_v7()
    );
    app.send(
        TestRequest::post()
            .uri(&path)
            .insert_header(bearer(&commissioner())),
    )
    .await
    .problem(404);
}
