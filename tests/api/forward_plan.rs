//! The forward plan over HTTP: one year's plan and its approval state, the plan on a page against
//! a fixture whose totals are worked out by hand, and the idempotent roll-forward.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, new_intention, token};

/// Create an intention and move it to `status` through the real lifecycle.
async fn intention(app: &TestApp, authority: &str, fields: Value, status: &str) -> Value {
    let mut body = new_intention();
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    let commissioner = token(authority, &[Role::Commissioner]);
    let created = app
        .post("/v1/commissioning-intentions", &commissioner, &body)
        .await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let id = created.json()["id"].as_str().unwrap().to_string();
    let act = |action: &'static str| {
        let path = format!("/v1/commissioning-intentions/{id}/{action}");
        let who = if action == "start-procurement" {
            token(authority, &[Role::Procurement])
        } else {
            commissioner.clone()
        };
        async move {
            assert_eq!(
                app.send(TestRequest::post().uri(&path).insert_header(bearer(&who)))
                    .await
                    .status,
                200
            )
        }
    };
    let decide = |outcome: &str| {
        let path = format!("/v1/commissioning-intentions/{id}/decide");
        let body = json!({"decision": outcome, "decision_date": "2026-10-01", "minute_reference": "ICB/1"});
        let board = token(authority, &[Role::Board]);
        async move { assert_eq!(app.post(&path, &board, &body).await.status, 200) }
    };
    match status {
        "draft" => {}
        "submitted" => act("submit").await,
        "approved" | "rejected" | "deferred" => {
            act("submit").await;
            decide(status).await;
        }
        "in_procurement" => {
            act("submit").await;
            decide("approved").await;
            act("start-procurement").await;
        }
        "withdrawn" => act("withdraw").await,
        other => panic!("fixture status {other}"),
    }
    app.get(&format!("/v1/commissioning-intentions/{id}"), &commissioner)
        .await
        .json()
}

fn money(annual: i64, whole: i64) -> Value {
    json!({"estimated_annual_value_pence": annual, "estimated_whole_life_value_pence": whole})
}

fn with(base: Value, extra: Value) -> Value {
    let mut v = base;
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// Four RCH intentions and one TAM one, with values chosen so the totals are easy to check.
async fn fixture(app: &TestApp) {
    let fy26 = json!({"financial_year": "2026/27"});
    let fy27 = json!({"financial_year": "2027/28", "planned_procurement_start": "2027-05-01", "planned_contract_start": "2028-04-01"});
    intention(
        app,
        "RCH",
        with(
            with(fy26.clone(), money(100, 500)),
            json!({"tranche": 1, "category": "home-care"}),
        ),
        "approved",
    )
    .await;
    intention(
        app,
        "RCH",
        with(
            with(fy26.clone(), money(200, 400)),
            json!({"tranche": 1, "category": "home-care"}),
        ),
        "approved",
    )
    .await;
    intention(
        app,
        "RCH",
        with(
            with(fy26.clone(), money(1000, 3000)),
            json!({"tranche": 2, "category": "day-services"}),
        ),
        "submitted",
    )
    .await;
    intention(
        app,
        "RCH",
        with(with(fy27.clone(), json!({"estimated_annual_value_pence": null, "estimated_whole_life_value_pence": null})), json!({"tranche": 4, "category": "carers"})),
        "draft",
    )
    .await;
    intention(
        app,
        "TAM",
        with(
            with(fy26, money(7, 70)),
            json!({"tranche": 1, "category": "home-care"}),
        ),
        "approved",
    )
    .await;
}

fn cells(summary: &Value, key: &str) -> Vec<Value> {
    summary[key].as_array().unwrap().clone()
}

#[actix_web::test]
async fn the_plan_on_a_page_adds_up_by_year_tranche_category_and_status() {
    let app = TestApp::spawn().await;
    fixture(&app).await;
    let t = token("SKP", &[Role::Finance]);

    let rch = app
        .get("/v1/forward-plan/summary?authority=RCH", &t)
        .await
        .json();
    assert_eq!(
        cells(&rch, "by_tranche"),
        [
            json!({"financial_year": "2026/27", "tranche": 1, "status": "approved", "count": 2,
                   "estimated_annual_value_pence": 300, "estimated_whole_life_value_pence": 900}),
            json!({"financial_year": "2026/27", "tranche": 2, "status": "submitted", "count": 1,
                   "estimated_annual_value_pence": 1000, "estimated_whole_life_value_pence": 3000}),
            json!({"financial_year": "2027/28", "tranche": 4, "status": "draft", "count": 1,
                   "estimated_annual_value_pence": 0, "estimated_whole_life_value_pence": 0}),
        ]
    );
    assert_eq!(
        cells(&rch, "by_category"),
        [
            json!({"financial_year": "2026/27", "category": "day-services", "status": "submitted", "count": 1,
                   "estimated_annual_value_pence": 1000, "estimated_whole_life_value_pence": 3000}),
            json!({"financial_year": "2026/27", "category": "home-care", "status": "approved", "count": 2,
                   "estimated_annual_value_pence": 300, "estimated_whole_life_value_pence": 900}),
            json!({"financial_year": "2027/28", "category": "carers", "status": "draft", "count": 1,
                   "estimated_annual_value_pence": 0, "estimated_whole_life_value_pence": 0}),
        ]
    );
    // 2026/27: 100 + 200 + 1000 = 1300 annual, 500 + 400 + 3000 = 3900 whole-life.
    assert_eq!(
        cells(&rch, "totals"),
        [
            json!({"financial_year": "2026/27", "count": 3, "estimated_annual_value_pence": 1300, "estimated_whole_life_value_pence": 3900}),
            json!({"financial_year": "2027/28", "count": 1, "estimated_annual_value_pence": 0, "estimated_whole_life_value_pence": 0}),
        ]
    );

    // Across all authorities, one year: TAM's 7/70 joins RCH's tranche-1 approvals.
    let all = app
        .get("/v1/forward-plan/summary?financial_year=2026/27", &t)
        .await
        .json();
    assert!(all["authority"].is_null());
    assert_eq!(all["by_tranche"][0]["count"], 3);
    assert_eq!(all["by_tranche"][0]["estimated_annual_value_pence"], 307);
    assert_eq!(
        all["by_tranche"][0]["estimated_whole_life_value_pence"],
        970
    );
    assert_eq!(
        cells(&all, "totals"),
        [
            json!({"financial_year": "2026/27", "count": 4, "estimated_annual_value_pence": 1307, "estimated_whole_life_value_pence": 3970})
        ]
    );

    let nothing = app
        .get("/v1/forward-plan/summary?authority=TRF", &t)
        .await
        .json();
    assert_eq!(nothing["totals"], json!([]));
    app.get("/v1/forward-plan/summary?financial_year=2026-27", &t)
        .await
        .problem(422);
    app.send(TestRequest::get().uri("/v1/forward-plan/summary"))
        .await
        .problem(401);
}

#[actix_web::test]
async fn a_years_plan_lists_its_intentions_and_where_it_stands_with_the_board() {
    let app = TestApp::spawn().await;
    fixture(&app).await;
    let t = token("TAM", &[Role::Partner]);
    let plan = app
        .get("/v1/forward-plan?financial_year=2026/27&authority=RCH", &t)
        .await
        .json();
    assert_eq!(plan["items"].as_array().unwrap().len(), 3);
    assert_eq!(plan["approval_state"], "awaiting_decision");
    assert_eq!(
        plan["by_status"],
        json!([{"status": "submitted", "count": 1}, {"status": "approved", "count": 2}])
    );
    let next = app
        .get("/v1/forward-plan?financial_year=2027/28&authority=RCH", &t)
        .await
        .json();
    assert_eq!(next["approval_state"], "in_preparation");
    let tam = app
        .get("/v1/forward-plan?financial_year=2026/27&authority=TAM", &t)
        .await
        .json();
    assert_eq!(tam["approval_state"], "decided");
    let empty = app
        .get("/v1/forward-plan?financial_year=2030/31", &t)
        .await
        .json();
    assert_eq!(empty["approval_state"], "empty");
    assert_eq!(
        app.get("/v1/forward-plan", &t).await.invalid_fields(),
        ["financial_year"]
    );
}

#[actix_web::test]
async fn roll_forward_copies_undecided_and_deferred_intentions_once() {
    let app = TestApp::spawn().await;
    let fy = json!({"financial_year": "2026/27", "planned_procurement_start": "2026-05-01", "planned_contract_start": "2027-04-01"});
    let draft = intention(&app, "RCH", fy.clone(), "draft").await;
    let submitted = intention(&app, "RCH", fy.clone(), "submitted").await;
    let deferred = intention(&app, "RCH", fy.clone(), "deferred").await;
    for status in ["approved", "rejected", "withdrawn", "in_procurement"] {
        intention(&app, "RCH", fy.clone(), status).await;
    }
    let other_authority = intention(&app, "TAM", fy.clone(), "draft").await;

    let commissioner = token("RCH", &[Role::Commissioner]);
    let roll = |t: String| {
        let app = &app;
        async move {
            app.send(
                TestRequest::post()
                    .uri("/v1/forward-plan/2026-27/roll-forward")
                    .insert_header(bearer(&t)),
            )
            .await
        }
    };
    let first = roll(commissioner.clone()).await;
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let first = first.json();
    assert_eq!(first["from"], "2026/27");
    assert_eq!(first["to"], "2027/28");
    assert_eq!(first["already_rolled_forward"], 0);
    let copied = first["copied"].as_array().unwrap();
    let sources: Vec<_> = copied.iter().map(|c| c["rolled_from"].clone()).collect();
    assert_eq!(
        sources,
        [
            draft["id"].clone(),
            submitted["id"].clone(),
            deferred["id"].clone()
        ]
    );
    for copy in copied {
        assert_eq!(copy["status"], "draft");
        assert_eq!(copy["financial_year"], "2027/28");
        assert_eq!(copy["planned_procurement_start"], "2027-05-01");
        assert_eq!(copy["planned_contract_start"], "2028-04-01");
        assert!(
            copy["reference"]
                .as_str()
                .unwrap()
                .starts_with("RCH-CI-2027-")
        );
        assert_eq!(copy["title"], draft["title"]);
        assert!(copy["decision"].is_null());
    }
    // The TAM draft stays where it is.
    assert!(!sources.contains(&other_authority["id"]));

    let again = roll(commissioner.clone()).await.json();
    assert_eq!(again["copied"], json!([]));
    assert_eq!(again["already_rolled_forward"], 3);
    let next_year = app
        .get(
            "/v1/forward-plan?financial_year=2027/28&authority=RCH",
            &commissioner,
        )
        .await
        .json();
    assert_eq!(next_year["items"].as_array().unwrap().len(), 3);

    let audit = app
        .get(
            "/v1/audit-events?entity_type=commissioning_intention&limit=500",
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    let rolled = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "roll_forward")
        .count();
    assert_eq!(rolled, 3);

    roll(token("RCH", &[Role::Board])).await.problem(403);
    roll(token("RCH", &[Role::Partner])).await.problem(403);
    let bad = app
        .send(
            TestRequest::post()
                .uri("/v1/forward-plan/2026-28/roll-forward")
                .insert_header(bearer(&commissioner)),
        )
        .await;
    assert_eq!(bad.invalid_fields(), ["fy"]);
    let encoded = app
        .send(
            TestRequest::post()
                .uri("/v1/forward-plan/2026%2F27/roll-forward")
                .insert_header(bearer(&commissioner)),
        )
        .await;
    assert_eq!(encoded.status, 200, "the year may be written 2026%2F27 too");
    app.send(TestRequest::post().uri("/v1/forward-plan/2026-27/roll-forward"))
        .await
        .problem(401);
}
