//! Social value over HTTP: editions loaded whole or not at all, proxy values frozen at commitment,
//! corrections keeping history, the report against a fixture worked out by hand, and refusals.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, token};

fn admin() -> String {
    token("RCH", &[Role::Admin])
}

fn edition(code: &str, effective_from: &str, nt1_pence: i64) -> Value {
    json!({
        "code": code,
        "name": format!("Test measures {code}"),
        "effective_from": effective_from,
        "themes": [
            {"code": "jobs", "name": "Jobs", "outcomes": [
                {"code": "jobs-local", "name": "More local people in work", "measures": [
                    {"code": "NT1", "description": "Local people employed (FTE)", "unit": "FTE year", "proxy_value_pence": nt1_pence},
                    {"code": "NT4", "description": "Apprenticeship weeks", "unit": "week", "proxy_value_pence": 25_000}
                ]}
            ]},
            {"code": "social", "name": "Social", "outcomes": [
                {"code": "volunteering", "name": "Stronger communities", "measures": [
                    {"code": "NT28", "description": "Staff volunteering hours", "unit": "hour", "proxy_value_pence": 1_700}
                ]}
            ]}
        ]
    })
}

async fn contract(app: &TestApp, authority: &str, reference: &str, supplier: &str) -> String {
    let body = json!({
        "reference": reference,
        "title": format!("Home care {reference}"),
        "supplier_name": supplier,
        "category": "home-care",
        "start_date": "2024-04-01",
        "end_date": "2028-03-31",
        "status": "active"
    });
    let r = app
        .post(
            "/v1/contracts",
            &token(authority, &[Role::Commissioner]),
            &body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_str().unwrap().to_string()
}

async fn commit(app: &TestApp, authority: &str, body: Value) -> Value {
    let r = app
        .post(
            "/v1/social-value/commitments",
            &token(authority, &[Role::Commissioner]),
            &body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

async fn ret(app: &TestApp, authority: &str, id: &str, from: &str, to: &str, qty: i64) -> Value {
    let r = app
        .post(
            &format!("/v1/social-value/commitments/{id}/returns"),
            &token(authority, &[Role::Procurement]),
            &json!({"period_from": from, "period_to": to, "quantity": qty, "evidence": "timesheets"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn commitment(contract: &str, measure: &str, target: i64, to: &str, priority: &str) -> Value {
    json!({
        "contract_id": contract, "measure_code": measure, "target_quantity": target,
        "period_from": "2025-04-01", "period_to": to, "priority": priority,
        "committed_on": "2025-04-01"
    })
}

struct Fixture {
    c1: String,
    c2: String,
    c3: String,
    contract_b: String,
}

/// The hand-worked fixture (proxy values: NT1 £30,000 = 3,000,000p, NT28 £17 = 1,700p):
/// - c1 RCH contract A (Alpha Care Ltd), NT1, target 10 over 2025/26 (365 days), "Local
///   employment"; returns H1 4, H2 3 corrected to 5: delivered 9.
/// - c2 contract A, NT28, target 1000 over 2025/26, "Volunteering"; return H1 300.
/// - c3 RCH contract B (Beta Support CIC), NT1, target 4 over 2025-04-01..2027-03-31 (730 days),
///   "Local employment"; return 2025/26 2.
/// - c4 TAM contract, NT1, target 5: outside an RCH report.
async fn fixture(app: &TestApp) -> Fixture {
    let r = app
        .post(
            "/v1/social-value/editions",
            &admin(),
            &edition("2025-test", "2025-04-01", 3_000_000),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let a = contract(app, "RCH", "RCH-C-2024-0001", "Alpha Care Ltd").await;
    let b = contract(app, "RCH", "RCH-C-2024-0002", "Beta Support CIC").await;
    let t = contract(app, "TAM", "TAM-C-2024-0001", "Gamma Homecare").await;
    let c1 = commit(
        app,
        "RCH",
        commitment(&a, "NT1", 10, "2026-03-31", "Local employment"),
    )
    .await;
    let c2 = commit(
        app,
        "RCH",
        commitment(&a, "NT28", 1000, "2026-03-31", "Volunteering"),
    )
    .await;
    let c3 = commit(
        app,
        "RCH",
        commitment(&b, "NT1", 4, "2027-03-31", "Local employment"),
    )
    .await;
    commit(
        app,
        "TAM",
        commitment(&t, "NT1", 5, "2026-03-31", "Local employment"),
    )
    .await;
    let (c1, c2, c3) = (
        c1["id"].as_str().unwrap().to_string(),
        c2["id"].as_str().unwrap().to_string(),
        c3["id"].as_str().unwrap().to_string(),
    );
    ret(app, "RCH", &c1, "2025-04-01", "2025-09-30", 4).await;
    ret(app, "RCH", &c1, "2025-10-01", "2026-03-31", 3).await;
    ret(app, "RCH", &c1, "2025-10-01", "2026-03-31", 5).await;
    ret(app, "RCH", &c2, "2025-04-01", "2025-09-30", 300).await;
    ret(app, "RCH", &c3, "2025-04-01", "2026-03-31", 2).await;
    Fixture {
        c1,
        c2,
        c3,
        contract_b: b,
    }
}

fn figures(v: &Value) -> Value {
    json!([
        v["commitments"],
        v["committed_quantity"],
        v["committed_proxy_pence"],
        v["delivered_quantity"],
        v["delivered_proxy_pence"],
        v["delivery_rate_basis_points"],
        v["behind_schedule"]
    ])
}

#[actix_web::test]
async fn an_edition_is_loaded_and_read_back_and_a_bad_one_is_refused_whole() {
    let app = TestApp::spawn().await;
    let mut bad = edition("2025-bad", "2025-04-01", 3_000_000);
    bad["themes"][0]["outcomes"][0]["measures"][1]["proxy_value_pence"] = json!(-1);
    bad["themes"][1]["name"] = json!("  ");
    let r = app.post("/v1/social-value/editions", &admin(), &bad).await;
    let mut fields = r.invalid_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "themes[0].outcomes[0].measures[1].proxy_value_pence",
            "themes[1].name"
        ]
    );
    let list = app.get("/v1/social-value/editions", &admin()).await.json();
    assert_eq!(list["items"], json!([]));
    app.get("/v1/social-value/editions/2025-bad", &admin())
        .await
        .problem(404);

    let mut dup = edition("2025-dup", "2025-04-01", 3_000_000);
    dup["themes"][1]["outcomes"][0]["measures"][0]["code"] = json!("NT1");
    app.post("/v1/social-value/editions", &admin(), &dup)
        .await
        .problem(409);

    let good = edition("2025-test", "2025-04-01", 3_000_000);
    let r = app.post("/v1/social-value/editions", &admin(), &good).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.header("location").as_deref(),
        Some("/v1/social-value/editions/2025-test")
    );
    let read = app
        .get(
            "/v1/social-value/editions/2025-test",
            &token("TAM", &[Role::Finance]),
        )
        .await;
    assert_eq!(read.status, 200);
    let read = read.json();
    assert_eq!(read["themes"], good["themes"]);
    assert_eq!(read["effective_from"], "2025-04-01");
    app.post("/v1/social-value/editions", &admin(), &good)
        .await
        .problem(409);
    let list = app.get("/v1/social-value/editions", &admin()).await.json();
    assert_eq!(list["items"][0]["measure_count"], 3);

    // Only admins load editions; a token is needed at all.
    app.post(
        "/v1/social-value/editions",
        &token("RCH", &[Role::Commissioner]),
        &edition("2026-x", "2026-04-01", 1),
    )
    .await
    .problem(403);
    app.send(TestRequest::get().uri("/v1/social-value/editions"))
        .await
        .problem(401);
}

#[actix_web::test]
async fn the_report_matches_the_hand_worked_fixture_and_proxy_values_stay_frozen() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    // A later edition with a dearer NT1 changes nothing already committed.
    let r = app
        .post(
            "/v1/social-value/editions",
            &admin(),
            &edition("2026-test", "2026-04-01", 3_500_000),
        )
        .await;
    assert_eq!(r.status, 201);
    let c1 = app
        .get(&format!("/v1/social-value/commitments/{}", f.c1), &admin())
        .await
        .json();
    assert_eq!(c1["edition"], "2025-test");
    assert_eq!(c1["proxy_value_pence"], 3_000_000);
    assert_eq!(c1["target_proxy_pence"], 30_000_000);
    assert_eq!(c1["delivered_quantity"], 9);

    let path = |group: &str| {
        format!("/v1/social-value/report?authority=RCH&group_by={group}&as_at=2026-03-31")
    };
    let by_theme = app.get(&path("theme"), &admin()).await.json();
    // jobs: c1 + c3: 14 units, 42,000,000p; delivered 9 + 2 = 11, 33,000,000p; 33/42 = 78.57%.
    // c1 is behind (9 of 10 by its end); c3 is exactly on schedule (2 × 730 = 4 × 365).
    // social: c2: 1000 hours, 1,700,000p; delivered 300, 510,000p; 30%; behind.
    assert_eq!(by_theme["groups"][0]["key"], "jobs");
    assert_eq!(
        figures(&by_theme["groups"][0]),
        json!([2, 14, 42_000_000, 11, 33_000_000, 7857, 1])
    );
    assert_eq!(
        by_theme["groups"][0]["behind_schedule_commitment_ids"],
        json!([f.c1])
    );
    assert_eq!(by_theme["groups"][1]["key"], "social");
    assert_eq!(
        figures(&by_theme["groups"][1]),
        json!([1, 1000, 1_700_000, 300, 510_000, 3000, 1])
    );
    // Totals: 43,700,000p committed, 33,510,000p delivered: 76.68%.
    assert_eq!(
        figures(&by_theme["totals"]),
        json!([3, 1014, 43_700_000, 311, 33_510_000, 7668, 2])
    );

    let by_supplier = app.get(&path("supplier"), &admin()).await.json();
    // Alpha (c1 + c2): 31,700,000p against 27,510,000p = 86.78%; Beta (c3): 50%.
    assert_eq!(by_supplier["groups"][0]["key"], "Alpha Care Ltd");
    assert_eq!(
        figures(&by_supplier["groups"][0]),
        json!([2, 1010, 31_700_000, 309, 27_510_000, 8678, 2])
    );
    assert_eq!(
        figures(&by_supplier["groups"][1]),
        json!([1, 4, 12_000_000, 2, 6_000_000, 5000, 0])
    );

    let by_priority = app.get(&path("priority"), &admin()).await.json();
    assert_eq!(by_priority["groups"][0]["key"], "Local employment");
    assert_eq!(by_priority["groups"][1]["key"], "Volunteering");

    let by_contract = app.get(&path("contract"), &admin()).await.json();
    assert_eq!(by_contract["groups"].as_array().unwrap().len(), 2);

    // A window from April 2026 keeps only c3, whose period runs to March 2027.
    let later = app
        .get(
            "/v1/social-value/report?authority=RCH&from=2026-04-01&to=2027-03-31&as_at=2026-03-31",
            &admin(),
        )
        .await
        .json();
    assert_eq!(later["totals"]["commitments"], 1);
    assert_eq!(
        later["groups"][0]["behind_schedule_commitment_ids"],
        json!([])
    );
    // All authorities: TAM's commitment adds 5 units and 15,000,000p, nothing delivered.
    let all = app
        .get("/v1/social-value/report?as_at=2026-03-31", &admin())
        .await
        .json();
    assert_eq!(all["totals"]["commitments"], 4);
    assert_eq!(all["totals"]["committed_proxy_pence"], 58_700_000);

    // A new commitment made after the new edition takes its value; naming the old one keeps it.
    let mut newer = commitment(&f.contract_b, "NT1", 1, "2027-03-31", "Local employment");
    newer["committed_on"] = json!("2026-05-01");
    let c = commit(&app, "RCH", newer.clone()).await;
    assert_eq!(
        (c["edition"].clone(), c["proxy_value_pence"].clone()),
        (json!("2026-test"), json!(3_500_000))
    );
    newer["edition"] = json!("2025-test");
    let c = commit(&app, "RCH", newer).await;
    assert_eq!(c["proxy_value_pence"], 3_000_000);

    let listed = app
        .get(
            &format!("/v1/social-value/commitments?contract_id={}", f.contract_b),
            &admin(),
        )
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
    let _ = f.c2;
    let _ = f.c3;
}

#[actix_web::test]
async fn a_correction_supersedes_the_return_for_its_period_and_keeps_history() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let returns = app
        .get(
            &format!("/v1/social-value/commitments/{}/returns", f.c1),
            &admin(),
        )
        .await
        .json();
    let returns = returns.as_array().unwrap();
    assert_eq!(returns.len(), 3);
    assert_eq!(returns[0]["quantity"], 4);
    assert!(returns[0]["superseded_by"].is_null());
    assert_eq!(returns[1]["quantity"], 3);
    assert_eq!(returns[1]["superseded_by"], returns[2]["id"]);
    assert_eq!(returns[2]["quantity"], 5);
    assert!(returns[2]["superseded_by"].is_null());

    // A return overlapping a current one without matching its period is refused.
    let r = app
        .post(
            &format!("/v1/social-value/commitments/{}/returns", f.c1),
            &token("RCH", &[Role::Commissioner]),
            &json!({"period_from": "2025-09-01", "period_to": "2025-12-31", "quantity": 1}),
        )
        .await;
    assert_eq!(r.invalid_fields(), ["period_from"]);
    // Outside the commitment's period.
    let r = app
        .post(
            &format!("/v1/social-value/commitments/{}/returns", f.c1),
            &token("RCH", &[Role::Commissioner]),
            &json!({"period_from": "2026-04-01", "period_to": "2026-06-30", "quantity": 1}),
        )
        .await;
    assert_eq!(r.invalid_fields(), ["period_from"]);
}

#[actix_web::test]
async fn refusals_by_role_authority_and_validity() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let body = commitment(&f.contract_b, "NT1", 1, "2026-03-31", "Local employment");
    // Another authority's contract, and a role that may not commit.
    app.post(
        "/v1/social-value/commitments",
        &token("TAM", &[Role::Commissioner]),
        &body,
    )
    .await
    .problem(403);
    app.post(
        "/v1/social-value/commitments",
        &token("RCH", &[Role::Finance]),
        &body,
    )
    .await
    .problem(403);
    app.send(
        TestRequest::post()
            .uri("/v1/social-value/commitments")
            .set_json(&body),
    )
    .await
    .problem(401);
    // Unknown contract and measure, bad numbers and dates.
    let mut bad = body.clone();
    bad["contract_id"] = json!("0193c000-0000-7000-8000-0000000fffff");
    let writer = token("RCH", &[Role::Procurement]);
    assert_eq!(
        app.post("/v1/social-value/commitments", &writer, &bad)
            .await
            .invalid_fields(),
        ["contract_id"]
    );
    let mut bad = body.clone();
    bad["measure_code"] = json!("NT999");
    assert_eq!(
        app.post("/v1/social-value/commitments", &writer, &bad)
            .await
            .invalid_fields(),
        ["measure_code"]
    );
    let mut bad = body.clone();
    bad["target_quantity"] = json!(0);
    bad["period_to"] = json!("2025-01-01");
    let mut fields = app
        .post("/v1/social-value/commitments", &writer, &bad)
        .await
        .invalid_fields();
    fields.sort();
    assert_eq!(fields, ["period_to", "target_quantity"]);
    let mut bad = body.clone();
    bad["committed_on"] = json!("2020-01-01");
    assert_eq!(
        app.post("/v1/social-value/commitments", &writer, &bad)
            .await
            .invalid_fields(),
        ["committed_on"]
    );
    // Returns: another authority, an unknown commitment, a negative quantity.
    let r = json!({"period_from": "2025-04-01", "period_to": "2025-06-30", "quantity": 1});
    app.post(
        &format!("/v1/social-value/commitments/{}/returns", f.c3),
        &token("TAM", &[Role::Procurement]),
        &r,
    )
    .await
    .problem(403);
    app.post(
        "/v1/social-value/commitments/0193f000-0000-7000-8000-0000000fffff/returns",
        &writer,
        &r,
    )
    .await
    .problem(404);
    app.get(
        "/v1/social-value/commitments/0193f000-0000-7000-8000-0000000fffff",
        &writer,
    )
    .await
    .problem(404);
    let mut neg = r.clone();
    neg["quantity"] = json!(-1);
    assert_eq!(
        app.post(
            &format!("/v1/social-value/commitments/{}/returns", f.c3),
            &writer,
            &neg
        )
        .await
        .invalid_fields(),
        ["quantity"]
    );
    // The report refuses a bad grouping and a window ending before it starts.
    assert_eq!(
        app.get("/v1/social-value/report?group_by=colour", &writer)
            .await
            .invalid_fields(),
        ["group_by"]
    );
    assert_eq!(
        app.get(
            "/v1/social-value/report?from=2026-01-01&to=2025-01-01",
            &writer
        )
        .await
        .invalid_fields(),
        ["to"]
    );
}
