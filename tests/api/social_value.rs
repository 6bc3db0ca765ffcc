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

/// Load `edition(code, effective_from, nt1_pence)` as RCH's admin.
async fn load_edition(app: &TestApp, code: &str, effective_from: &str, nt1_pence: i64) {
    let r = app
        .post(
            "/v1/social-value/editions",
            &admin(),
            &edition(code, effective_from, nt1_pence),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

/// Register an active home care contract of `authority` with `supplier`; its id.
pub async fn contract(app: &TestApp, authority: &str, reference: &str, supplier: &str) -> String {
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

/// A priority of `authority` with `code`, served by `measures`, made by its commissioner.
pub async fn priority(app: &TestApp, authority: &str, code: &str, measures: &[&str]) -> Value {
    let r = app
        .post(
            "/v1/social-value/priorities",
            &token(authority, &[Role::Commissioner]),
            &json!({"code": code, "name": format!("{authority} {code}"), "measure_codes": measures}),
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
/// - priorities: RCH local_employment (NT1, NT4) and volunteering (NT28); TAM local_employment.
/// - c1 RCH contract A (Alpha Care Ltd), NT1, target 10 over 2025/26 (365 days),
///   local_employment; returns H1 4, H2 3 corrected to 5: delivered 9.
/// - c2 contract A, NT28, target 1000 over 2025/26, volunteering; return H1 300.
/// - c3 RCH contract B (Beta Support CIC), NT1, target 4 over 2025-04-01..2027-03-31 (730 days),
///   local_employment; return 2025/26 2.
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
    priority(app, "RCH", "local_employment", &["NT1", "NT4"]).await;
    priority(app, "RCH", "volunteering", &["NT28"]).await;
    priority(app, "TAM", "local_employment", &["NT1"]).await;
    let a = contract(app, "RCH", "RCH-C-2024-0001", "Alpha Care Ltd").await;
    let b = contract(app, "RCH", "RCH-C-2024-0002", "Beta Support CIC").await;
    let t = contract(app, "TAM", "TAM-C-2024-0001", "Gamma Homecare").await;
    let c1 = commit(
        app,
        "RCH",
        commitment(&a, "NT1", 10, "2026-03-31", "local_employment"),
    )
    .await;
    let c2 = commit(
        app,
        "RCH",
        commitment(&a, "NT28", 1000, "2026-03-31", "volunteering"),
    )
    .await;
    let c3 = commit(
        app,
        "RCH",
        commitment(&b, "NT1", 4, "2027-03-31", "local_employment"),
    )
    .await;
    commit(
        app,
        "TAM",
        commitment(&t, "NT1", 5, "2026-03-31", "local_employment"),
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
    load_edition(&app, "2026-test", "2026-04-01", 3_500_000).await;
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
    assert_eq!(by_priority["groups"][0]["key"], "RCH:local_employment");
    assert_eq!(by_priority["groups"][0]["label"], "RCH local_employment");
    assert_eq!(
        figures(&by_priority["groups"][0]),
        json!([2, 14, 42_000_000, 11, 33_000_000, 7857, 1])
    );
    assert_eq!(by_priority["groups"][1]["key"], "RCH:volunteering");

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
    let mut newer = commitment(&f.contract_b, "NT1", 1, "2027-03-31", "local_employment");
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
    let body = commitment(&f.contract_b, "NT1", 1, "2026-03-31", "local_employment");
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

/// A request with a bearer token, a JSON body and an `If-Match` tag.
async fn conditional(
    app: &TestApp,
    req: TestRequest,
    token: &str,
    tag: &str,
    body: Option<&Value>,
) -> crate::helpers::Reply {
    let req = req
        .insert_header(crate::helpers::bearer(token))
        .insert_header(("If-Match", tag));
    app.send(match body {
        Some(b) => req.set_json(b),
        None => req,
    })
    .await
}

async fn audit_actions(app: &TestApp, authority: &str, entity: &str, id: &str) -> Vec<String> {
    let r = app
        .get(
            &format!("/v1/audit-events?entity_type={entity}&entity_id={id}"),
            &token(authority, &[Role::Auditor]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn priorities_are_kept_by_their_authority_and_commitments_must_serve_one() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let commissioner = token("RCH", &[Role::Commissioner]);
    let carbon = priority(&app, "RCH", "carbon", &["NT28"]).await;
    let id = carbon["id"].as_str().unwrap().to_string();
    let url = format!("/v1/social-value/priorities/{id}");
    assert_eq!(carbon["authority"], "RCH");
    assert_eq!(carbon["measure_codes"], json!(["NT28"]));

    // Anyone authenticated reads them; the list filters by authority.
    let read = app.get(&url, &token("TAM", &[Role::Finance])).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    let rch = app
        .get(
            "/v1/social-value/priorities?authority=RCH",
            &token("TAM", &[Role::Finance]),
        )
        .await
        .json();
    let codes: Vec<&str> = rch["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["local_employment", "volunteering", "carbon"]);
    app.send(TestRequest::get().uri("/v1/social-value/priorities"))
        .await
        .problem(401);
    app.get(
        "/v1/social-value/priorities/0193f000-0000-7000-8000-0000000fffff",
        &commissioner,
    )
    .await
    .problem(404);

    // Only the authority's admins and commissioners write; codes are unique within an authority.
    let new =
        json!({"code": "apprenticeships", "name": "Apprenticeships", "measure_codes": ["NT4"]});
    app.post(
        "/v1/social-value/priorities",
        &token("RCH", &[Role::Procurement]),
        &new,
    )
    .await
    .problem(403);
    app.send(
        TestRequest::post()
            .uri("/v1/social-value/priorities")
            .set_json(&new),
    )
    .await
    .problem(401);
    let mut dup = new.clone();
    dup["code"] = json!("carbon");
    app.post("/v1/social-value/priorities", &commissioner, &dup)
        .await
        .problem(409);
    let mut bad = new.clone();
    bad["measure_codes"] = json!(["NT4", "NT999", "NT4", "bad code"]);
    bad["name"] = json!(" ");
    let mut fields = app
        .post("/v1/social-value/priorities", &commissioner, &bad)
        .await
        .invalid_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "measure_codes[1]",
            "measure_codes[2]",
            "measure_codes[3]",
            "name"
        ]
    );
    let mut bad = new.clone();
    bad["code"] = json!("Not A Code");
    assert_eq!(
        app.post("/v1/social-value/priorities", &commissioner, &bad)
            .await
            .invalid_fields(),
        ["code"]
    );

    // Update with If-Match; a stale tag is 412, another authority 403.
    let patch = json!({"name": "Net zero", "measure_codes": ["NT28", "NT4"]});
    let r = conditional(
        &app,
        TestRequest::patch().uri(&url),
        &commissioner,
        "\"1\"",
        Some(&patch),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    assert_eq!(r.json()["name"], "Net zero");
    conditional(
        &app,
        TestRequest::patch().uri(&url),
        &commissioner,
        "\"1\"",
        Some(&patch),
    )
    .await
    .problem(412);
    conditional(
        &app,
        TestRequest::patch().uri(&url),
        &token("TAM", &[Role::Admin]),
        "\"2\"",
        Some(&patch),
    )
    .await
    .problem(403);
    let r = app
        .patch(&url, &commissioner, &json!({"code": "volunteering"}))
        .await;
    r.problem(409);
    assert_eq!(
        app.patch(&url, &commissioner, &json!({"measure_codes": ["NT0"]}))
            .await
            .invalid_fields(),
        ["measure_codes[0]"]
    );
    assert_eq!(
        app.patch(&url, &commissioner, &json!({"name": null}))
            .await
            .invalid_fields(),
        ["name"]
    );

    // A commitment names a priority of the contract's own authority that lists its measure.
    let body = commitment(&f.contract_b, "NT1", 1, "2026-03-31", "carbon");
    let writer = token("RCH", &[Role::Procurement]);
    let r = app
        .post("/v1/social-value/commitments", &writer, &body)
        .await;
    assert_eq!(r.invalid_fields(), ["priority"]);
    let mut other = body.clone();
    other["priority"] = json!("no_such_priority");
    assert_eq!(
        app.post("/v1/social-value/commitments", &writer, &other)
            .await
            .invalid_fields(),
        ["priority"]
    );
    let mut other = body.clone();
    other["measure_code"] = json!("NT4");
    let made = commit(&app, "RCH", other).await;
    assert_eq!(made["priority"], "carbon");
    assert_eq!(made["priority_id"], json!(id));
    assert_eq!(made["priority_name"], "Net zero");

    // A priority that commitments serve is kept; one they do not is deleted, with its audit trail.
    conditional(
        &app,
        TestRequest::delete().uri(&url),
        &commissioner,
        "\"2\"",
        None,
    )
    .await
    .problem(409);
    let spare = priority(&app, "RCH", "spare", &[]).await;
    let spare_url = format!(
        "/v1/social-value/priorities/{}",
        spare["id"].as_str().unwrap()
    );
    conditional(
        &app,
        TestRequest::delete().uri(&spare_url),
        &commissioner,
        "\"7\"",
        None,
    )
    .await
    .problem(412);
    conditional(
        &app,
        TestRequest::delete().uri(&spare_url),
        &token("TAM", &[Role::Commissioner]),
        "\"1\"",
        None,
    )
    .await
    .problem(403);
    let r = conditional(
        &app,
        TestRequest::delete().uri(&spare_url),
        &commissioner,
        "\"1\"",
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    app.get(&spare_url, &commissioner).await.problem(404);
    assert_eq!(
        audit_actions(
            &app,
            "RCH",
            "social_value_priority",
            spare["id"].as_str().unwrap()
        )
        .await,
        ["create", "delete"]
    );
    assert_eq!(
        audit_actions(&app, "RCH", "social_value_priority", &id).await,
        ["create", "update"]
    );
}

#[actix_web::test]
async fn a_commitment_is_changed_and_deleted_with_its_proxy_value_frozen() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    // A later edition with a dearer NT1 and NT4.
    let mut later = edition("2026-test", "2025-06-01", 3_500_000);
    later["themes"][0]["outcomes"][0]["measures"][1]["proxy_value_pence"] = json!(30_000);
    let r = app
        .post("/v1/social-value/editions", &admin(), &later)
        .await;
    assert_eq!(r.status, 201);
    let writer = token("RCH", &[Role::Procurement]);
    let c1 = format!("/v1/social-value/commitments/{}", f.c1);

    // A new quantity keeps the frozen unit value; the version moves on and the change is audited.
    let r = conditional(
        &app,
        TestRequest::patch().uri(&c1),
        &writer,
        "\"1\"",
        Some(&json!({"target_quantity": 12, "note": "raised at review"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    let c = r.json();
    assert_eq!(
        json!([
            c["edition"],
            c["proxy_value_pence"],
            c["target_quantity"],
            c["target_proxy_pence"],
            c["note"],
            c["version"]
        ]),
        json!([
            "2025-test",
            3_000_000,
            12,
            36_000_000,
            "raised at review",
            2
        ])
    );
    assert_eq!(
        audit_actions(&app, "RCH", "social_value_commitment", &f.c1).await,
        ["create", "update"]
    );
    // Stale, another authority, another role, unknown, no token.
    let patch = json!({"target_quantity": 13});
    conditional(
        &app,
        TestRequest::patch().uri(&c1),
        &writer,
        "\"1\"",
        Some(&patch),
    )
    .await
    .problem(412);
    app.patch(&c1, &token("TAM", &[Role::Procurement]), &patch)
        .await
        .problem(403);
    app.patch(&c1, &token("RCH", &[Role::Finance]), &patch)
        .await
        .problem(403);
    app.patch(
        "/v1/social-value/commitments/0193f000-0000-7000-8000-0000000fffff",
        &writer,
        &patch,
    )
    .await
    .problem(404);
    app.send(TestRequest::patch().uri(&c1).set_json(&patch))
        .await
        .problem(401);
    // Invalid values name their field.
    let mut fields = app
        .patch(
            &c1,
            &writer,
            &json!({"target_quantity": 0, "measure_code": "no good"}),
        )
        .await
        .invalid_fields();
    fields.sort();
    assert_eq!(fields, ["measure_code", "target_quantity"]);
    assert_eq!(
        app.patch(&c1, &writer, &json!({"period_to": "2025-01-01"}))
            .await
            .invalid_fields(),
        ["period_to"]
    );
    assert_eq!(
        app.patch(&c1, &writer, &json!({"priority": "volunteering"}))
            .await
            .invalid_fields(),
        ["priority"]
    );
    // With returns, the measure cannot change and the period must still hold them.
    app.patch(&c1, &writer, &json!({"measure_code": "NT4"}))
        .await
        .problem(409);
    app.patch(&c1, &writer, &json!({"period_to": "2025-12-31"}))
        .await
        .problem(409);
    // Returns keep a commitment from being deleted.
    conditional(&app, TestRequest::delete().uri(&c1), &writer, "\"2\"", None)
        .await
        .problem(409);

    // A commitment without returns changes its measure: the value comes from its own edition (in
    // force on 2025-04-01), not the later one.
    let fresh = commit(
        &app,
        "RCH",
        commitment(&f.contract_b, "NT1", 2, "2026-03-31", "local_employment"),
    )
    .await;
    assert_eq!(fresh["edition"], "2025-test");
    let url = format!(
        "/v1/social-value/commitments/{}",
        fresh["id"].as_str().unwrap()
    );
    let r = app
        .patch(
            &url,
            &writer,
            &json!({"measure_code": "NT4", "target_quantity": 10}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let c = r.json();
    assert_eq!(
        json!([
            c["edition"],
            c["measure_code"],
            c["proxy_value_pence"],
            c["target_proxy_pence"]
        ]),
        json!(["2025-test", "NT4", 25_000, 250_000])
    );
    // A measure the edition lacks, or one the priority does not list.
    assert_eq!(
        app.patch(&url, &writer, &json!({"measure_code": "NT999"}))
            .await
            .invalid_fields(),
        ["measure_code"]
    );
    assert_eq!(
        app.patch(&url, &writer, &json!({"measure_code": "NT28"}))
            .await
            .invalid_fields(),
        ["priority"]
    );
    let r = app
        .patch(
            &url,
            &writer,
            &json!({"measure_code": "NT28", "priority": "volunteering"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["proxy_value_pence"], 1_700);

    // Deleted: refused to others and when stale, then gone, and audited.
    conditional(
        &app,
        TestRequest::delete().uri(&url),
        &token("TAM", &[Role::Admin]),
        "\"3\"",
        None,
    )
    .await
    .problem(403);
    conditional(
        &app,
        TestRequest::delete().uri(&url),
        &writer,
        "\"1\"",
        None,
    )
    .await
    .problem(412);
    let r = conditional(
        &app,
        TestRequest::delete().uri(&url),
        &writer,
        "\"3\"",
        None,
    )
    .await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    app.get(&url, &writer).await.problem(404);
    app.send(
        TestRequest::delete()
            .uri(&url)
            .insert_header(crate::helpers::bearer(&writer)),
    )
    .await
    .problem(404);
    assert_eq!(
        audit_actions(
            &app,
            "RCH",
            "social_value_commitment",
            fresh["id"].as_str().unwrap()
        )
        .await,
        ["create", "update", "update", "delete"]
    );
}

/// Pence as pounds with two decimals, written independently of the service's own formatting.
fn gbp(pence: &Value) -> String {
    let p = pence.as_i64().unwrap();
    format!("{}.{:02}", p / 100, p % 100)
}

#[actix_web::test]
async fn the_report_as_csv_carries_the_json_figures() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    for group in ["theme", "priority", "supplier", "contract"] {
        let path =
            format!("/v1/social-value/report?authority=RCH&group_by={group}&as_at=2026-03-31");
        let json = app.get(&path, &admin()).await.json();
        let r = app
            .send(
                TestRequest::get()
                    .uri(&path)
                    .insert_header(crate::helpers::bearer(&admin()))
                    .insert_header(("Accept", "text/csv")),
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            r.header("content-type").as_deref(),
            Some("text/csv; charset=utf-8")
        );
        let by_format = app.get(&format!("{path}&format=csv"), &admin()).await;
        assert_eq!(by_format.body, r.body, "format=csv is the same as Accept");
        let mut reader = csv::Reader::from_reader(r.body.as_slice());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            [
                "key",
                "label",
                "commitments",
                "committed_quantity",
                "committed_proxy_gbp",
                "delivered_quantity",
                "delivered_proxy_gbp",
                "delivery_rate_basis_points",
                "behind_schedule",
                "behind_schedule_commitment_ids"
            ]
        );
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        let expected: Vec<Vec<String>> = json["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let ids: Vec<&str> = g["behind_schedule_commitment_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
                    .collect();
                vec![
                    g["key"].as_str().unwrap().to_string(),
                    g["label"].as_str().unwrap().to_string(),
                    g["commitments"].to_string(),
                    g["committed_quantity"].to_string(),
                    gbp(&g["committed_proxy_pence"]),
                    g["delivered_quantity"].to_string(),
                    gbp(&g["delivered_proxy_pence"]),
                    g["delivery_rate_basis_points"].to_string(),
                    g["behind_schedule"].to_string(),
                    ids.join(";"),
                ]
            })
            .collect();
        assert_eq!(rows, expected, "group_by={group}");
        assert!(!rows.is_empty());
    }
    // The hand-worked figures, in pounds: jobs 420,000.00 committed, 330,000.00 delivered.
    let csv = app
        .get(
            "/v1/social-value/report?authority=RCH&as_at=2026-03-31&format=csv",
            &admin(),
        )
        .await;
    let text = String::from_utf8(csv.body).unwrap();
    assert_eq!(
        text.lines().nth(1).unwrap(),
        format!("jobs,Jobs,2,14,420000.00,11,330000.00,7857,1,{}", f.c1)
    );
    assert_eq!(
        app.get("/v1/social-value/report?format=xml", &admin())
            .await
            .invalid_fields(),
        ["format"]
    );
    app.send(
        TestRequest::get()
            .uri("/v1/social-value/report?format=csv")
            .insert_header(("Accept", "text/csv")),
    )
    .await
    .problem(401);
}

async fn load_csv(app: &TestApp, query: &str, token: &str, body: &str) -> crate::helpers::Reply {
    app.send(
        TestRequest::post()
            .uri(&format!("/v1/social-value/editions/import?{query}"))
            .insert_header(crate::helpers::bearer(token))
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(body.to_string()),
    )
    .await
}

const EDITION_CSV_HEADER: &str = "theme_code,theme_name,outcome_code,outcome_name,measure_code,description,unit,proxy_value_pence";

#[actix_web::test]
async fn an_edition_loads_from_csv_whole_and_a_bad_file_is_refused_whole() {
    let app = TestApp::spawn().await;
    let query = "code=2025-csv&name=From%20a%20spreadsheet&effective_from=2025-04-01";
    // A bad file: every problem by row, and nothing stored.
    let bad = format!(
        "{EDITION_CSV_HEADER}\n\
         jobs,Jobs,jobs-local,More local people in work,NT1,Local people employed (FTE),FTE year,3000000\n\
         jobs,Jobs,jobs-local,More local people in work,NT4,Apprenticeship weeks,week,£250\n\
         jobs,Work,jobs-local,More local people in work,NT5,Something,hour,10\n\
         social,Social,volunteering,Stronger communities,NT1,Staff volunteering hours,hour,1700\n\
         social,Social,volunteering,Stronger communities,NT6\n\
         \n\
         social,Social,volunteering,Stronger communities,NT7,,hour,-1\n"
    );
    let r = load_csv(&app, query, &admin(), &bad).await;
    let body = r.problem(422);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("nothing was imported"),
        "{body}"
    );
    assert_eq!(
        r.invalid_fields(),
        [
            "row 3: proxy_value_pence",
            "row 4: theme_name",
            "row 5: measure_code",
            "row 6",
            "row 8: description",
            "row 8: proxy_value_pence"
        ]
    );
    app.get("/v1/social-value/editions/2025-csv", &admin())
        .await
        .problem(404);
    let list = app.get("/v1/social-value/editions", &admin()).await.json();
    assert_eq!(list["items"], json!([]));

    // The header must name every column, once, and only known ones.
    let r = load_csv(&app, query, &admin(), "theme_code,colour\njobs,red\n").await;
    assert!(r.invalid_fields().iter().all(|f| f == "header"));
    assert_eq!(
        load_csv(&app, query, &admin(), &format!("{EDITION_CSV_HEADER}\n"))
            .await
            .invalid_fields(),
        ["(body)"]
    );

    // A good file (with a byte-order mark, themes interleaved) reads back as the JSON form would.
    let good = format!(
        "\u{feff}{EDITION_CSV_HEADER}\n\
         jobs,Jobs,jobs-local,More local people in work,NT1,Local people employed (FTE),FTE year,3000000\n\
         social,Social,volunteering,Stronger communities,NT28,Staff volunteering hours,hour,1700\n\
         jobs,Jobs,jobs-local,More local people in work,NT4,Apprenticeship weeks,week,25000\n"
    );
    // Refusals first: no token, another role, not CSV, missing or bad query parameters.
    app.send(
        TestRequest::post()
            .uri(&format!("/v1/social-value/editions/import?{query}"))
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(good.clone()),
    )
    .await
    .problem(401);
    load_csv(&app, query, &token("RCH", &[Role::Commissioner]), &good)
        .await
        .problem(403);
    app.post(
        &format!("/v1/social-value/editions/import?{query}"),
        &admin(),
        &json!({}),
    )
    .await
    .problem(415);
    assert_eq!(
        load_csv(&app, "name=x&effective_from=2025-04-01", &admin(), &good)
            .await
            .invalid_fields(),
        ["code"]
    );
    assert_eq!(
        load_csv(
            &app,
            "code=import&name=x&effective_from=2025-04-01",
            &admin(),
            &good
        )
        .await
        .invalid_fields(),
        ["code"]
    );
    assert_eq!(
        load_csv(
            &app,
            "code=2025-csv&name=%20&effective_from=2025-04-01",
            &admin(),
            &good
        )
        .await
        .invalid_fields(),
        ["name"]
    );

    let r = load_csv(&app, query, &admin(), &good).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.header("location").as_deref(),
        Some("/v1/social-value/editions/2025-csv")
    );
    let read = app
        .get("/v1/social-value/editions/2025-csv", &admin())
        .await
        .json();
    assert_eq!(read["name"], "From a spreadsheet");
    assert_eq!(read["effective_from"], "2025-04-01");
    assert_eq!(
        read["themes"],
        edition("x", "2025-04-01", 3_000_000)["themes"]
    );
    // Loaded once: the same code again is a conflict, from CSV or JSON.
    load_csv(&app, query, &admin(), &good).await.problem(409);
    app.post(
        "/v1/social-value/editions",
        &admin(),
        &edition("2025-csv", "2025-04-01", 1),
    )
    .await
    .problem(409);
}

/// A commitment on lot `lot` of PID `pid` (NT1, 10 FTE years over 2026/27).
fn on_lot(pid: &str, lot: i64) -> Value {
    json!({
        "pid_id": pid, "lot": lot, "measure_code": "NT1", "target_quantity": 10,
        "period_from": "2026-04-01", "period_to": "2027-03-31", "priority": "local_employment",
        "committed_on": "2026-04-01"
    })
}

#[actix_web::test]
async fn a_commitment_on_an_awarded_lot_takes_its_supplier_from_the_award() {
    let app = TestApp::spawn().await;
    load_edition(&app, "2025-test", "2025-04-01", 3_000_000).await;
    priority(&app, "RCH", "local_employment", &["NT1", "NT4"]).await;
    priority(&app, "TAM", "local_employment", &["NT1"]).await;
    let pid = crate::pids::live_pid(&app, "RCH").await;
    let pid_id = pid["id"].as_str().unwrap().to_string();
    let writer = token("RCH", &[Role::Commissioner]);
    let path = "/v1/social-value/commitments";

    // Lot 1's award is recorded while the PID is live, but a commitment waits for the award.
    crate::pids::record_award(&app, "RCH", &pid_id, 1, "Northside Support Ltd").await;
    let early = app.post(path, &writer, &on_lot(&pid_id, 1)).await;
    assert_eq!(early.invalid_fields(), ["lot"]);
    assert!(
        early.json()["detail"]
            .as_str()
            .unwrap()
            .contains("needs the PID to be awarded; this PID is live")
    );
    crate::pids::award_pid(&app, "RCH", &pid_id).await;
    // Lot 2 is awarded with the PID but who won it is not recorded yet; there is no lot 3.
    let unrecorded = app.post(path, &writer, &on_lot(&pid_id, 2)).await;
    assert_eq!(unrecorded.invalid_fields(), ["lot"]);
    assert!(
        unrecorded.json()["detail"]
            .as_str()
            .unwrap()
            .contains("lot 2 has no award recorded")
    );
    assert_eq!(
        app.post(path, &writer, &on_lot(&pid_id, 3))
            .await
            .invalid_fields(),
        ["lot"]
    );
    // Exactly one subject: neither, both, or half of the lot's pair are refused, naming fields.
    let mut neither = on_lot(&pid_id, 1);
    neither.as_object_mut().unwrap().remove("pid_id");
    neither.as_object_mut().unwrap().remove("lot");
    assert_eq!(
        app.post(path, &writer, &neither).await.invalid_fields(),
        ["contract_id", "pid_id", "lot"]
    );
    let mut both = on_lot(&pid_id, 1);
    both["contract_id"] = json!(contract(&app, "RCH", "RCH-C-2024-0001", "Alpha Care Ltd").await);
    assert_eq!(
        app.post(path, &writer, &both).await.invalid_fields(),
        ["contract_id", "pid_id", "lot"]
    );
    let mut no_lot = on_lot(&pid_id, 1);
    no_lot.as_object_mut().unwrap().remove("lot");
    assert_eq!(
        app.post(path, &writer, &no_lot).await.invalid_fields(),
        ["lot"]
    );
    // Another authority cannot commit on RCH's lot.
    app.post(
        path,
        &token("TAM", &[Role::Commissioner]),
        &on_lot(&pid_id, 1),
    )
    .await
    .problem(403);
    let none = app
        .get(&format!("{path}?pid_id={pid_id}"), &admin())
        .await
        .json();
    assert_eq!(none["items"], json!([]));

    let c = commit(&app, "RCH", on_lot(&pid_id, 1)).await;
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["supplier_name"], "Northside Support Ltd");
    assert_eq!(
        (
            &c["contract_id"],
            &c["contract_reference"],
            &c["contract_title"]
        ),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(c["pid_id"], json!(pid_id));
    assert_eq!(c["pid_reference"], pid["reference"]);
    assert_eq!(c["lot"], 1);
    assert_eq!(c["lot_title"], "Lot 1: north");
    assert_eq!(c["authority"], "RCH");
    // 10 × £30,000.
    assert_eq!(c["proxy_value_pence"], 3_000_000);
    assert_eq!(c["target_proxy_pence"], 30_000_000);

    // A later, dearer edition leaves the frozen value alone; a corrected award's supplier shows.
    load_edition(&app, "2026-test", "2026-01-01", 3_500_000).await;
    let corrected = crate::pids::put_award(
        &app,
        &pid_id,
        1,
        &token("RCH", &[Role::Procurement]),
        &json!({"supplier_name": "Northside Support CIC", "awarded_on": "2026-03-09"}),
        Some("\"1\""),
    )
    .await;
    assert_eq!(corrected.status, 200);
    let read = app.get(&format!("{path}/{id}"), &admin()).await.json();
    assert_eq!(read["edition"], "2025-test");
    assert_eq!(read["proxy_value_pence"], 3_000_000);
    assert_eq!(read["supplier_name"], "Northside Support CIC");

    // PATCH cannot move the commitment to another lot or onto a contract.
    for subject in [
        json!({"lot": 2}),
        json!({"pid_id": pid_id}),
        json!({"contract_id": both["contract_id"]}),
    ] {
        let field = subject.as_object().unwrap().keys().next().unwrap().clone();
        assert_eq!(
            app.patch(&format!("{path}/{id}"), &writer, &subject)
                .await
                .invalid_fields(),
            [field]
        );
    }

    // Delivery returns work as on a contract: the PID's authority posts them, others may not.
    ret(&app, "RCH", &id, "2026-04-01", "2026-09-30", 4).await;
    app.post(
        &format!("{path}/{id}/returns"),
        &token("TAM", &[Role::Procurement]),
        &json!({"period_from": "2026-10-01", "period_to": "2027-03-31", "quantity": 1}),
    )
    .await
    .problem(403);
    let read = app.get(&format!("{path}/{id}"), &admin()).await.json();
    assert_eq!(read["delivered_quantity"], 4);
    assert_eq!(read["delivered_proxy_pence"], 12_000_000);
    assert_eq!(read["version"], 1);

    let listed = app
        .get(&format!("{path}?pid_id={pid_id}"), &admin())
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["id"], json!(id));
    assert_eq!(
        audit_actions(&app, "RCH", "social_value_commitment", &id).await,
        ["create"]
    );
}

#[actix_web::test]
async fn the_report_groups_a_lot_commitment_under_its_lot_and_its_awarded_supplier() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let pid = crate::pids::live_pid(&app, "RCH").await;
    let pid_id = pid["id"].as_str().unwrap().to_string();
    crate::pids::award_pid(&app, "RCH", &pid_id).await;
    // Lot 2 went to the supplier of contract A, so by supplier it joins contract A's commitments.
    crate::pids::record_award(&app, "RCH", &pid_id, 2, "Alpha Care Ltd").await;
    let lot = commit(
        &app,
        "RCH",
        json!({"pid_id": pid_id, "lot": 2, "measure_code": "NT4", "target_quantity": 52,
            "period_from": "2025-04-01", "period_to": "2026-03-31", "priority": "local_employment",
            "committed_on": "2025-04-01"}),
    )
    .await;
    let lot_id = lot["id"].as_str().unwrap().to_string();
    ret(&app, "RCH", &lot_id, "2025-04-01", "2025-09-30", 26).await;

    let path = |group: &str| {
        format!("/v1/social-value/report?authority=RCH&group_by={group}&as_at=2026-03-31")
    };
    // By hand (NT1 3,000,000p, NT4 25,000p, NT28 1,700p), as at 2026-03-31:
    // - contract A: c1 (NT1 10, delivered 9) + c2 (NT28 1000, delivered 300): 1010 units,
    //   30,000,000 + 1,700,000 = 31,700,000p; delivered 27,000,000 + 510,000 = 27,510,000p;
    //   86.78%; both behind (their periods are over and short).
    // - contract B: c3 (NT1 4 over two years, delivered 2): 12,000,000p, 6,000,000p, 50%, on time.
    // - the lot: NT4 52 weeks, 1,300,000p; delivered 26, 650,000p; 50%; behind (its year is over).
    //   Its key starts `pid:`, after the contracts' UUIDs (`0…`).
    let by_contract = app.get(&path("contract"), &admin()).await.json();
    let groups = by_contract["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    assert_eq!(
        figures(&groups[0]),
        json!([2, 1010, 31_700_000, 309, 27_510_000, 8678, 2])
    );
    assert_eq!(groups[1]["key"], json!(f.contract_b));
    assert_eq!(
        figures(&groups[1]),
        json!([1, 4, 12_000_000, 2, 6_000_000, 5000, 0])
    );
    assert_eq!(groups[2]["key"], json!(format!("pid:{pid_id}:lot:2")));
    assert_eq!(
        groups[2]["label"],
        json!(format!(
            "{} Lot 2: south",
            pid["reference"].as_str().unwrap()
        ))
    );
    assert_eq!(
        figures(&groups[2]),
        json!([1, 52, 1_300_000, 26, 650_000, 5000, 1])
    );
    assert_eq!(groups[2]["behind_schedule_commitment_ids"], json!([lot_id]));
    // Totals: 45,000,000p committed, 34,160,000p delivered: 75.91%; c1, c2 and the lot behind.
    assert_eq!(
        figures(&by_contract["totals"]),
        json!([4, 1066, 45_000_000, 337, 34_160_000, 7591, 3])
    );

    // By supplier the lot counts under Alpha Care Ltd, the award's supplier: 31,700,000 +
    // 1,300,000 = 33,000,000p committed, 27,510,000 + 650,000 = 28,160,000p delivered: 85.33%.
    let by_supplier = app.get(&path("supplier"), &admin()).await.json();
    let groups = by_supplier["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["key"], "Alpha Care Ltd");
    assert_eq!(
        figures(&groups[0]),
        json!([3, 1062, 33_000_000, 335, 28_160_000, 8533, 3])
    );
    assert_eq!(groups[1]["key"], "Beta Support CIC");
    assert_eq!(
        figures(&groups[1]),
        json!([1, 4, 12_000_000, 2, 6_000_000, 5000, 0])
    );
    let _ = (f.c1, f.c2, f.c3);
}

#[actix_web::test]
async fn a_lot_award_is_removed_only_while_no_commitment_is_made_on_the_lot() {
    let app = TestApp::spawn().await;
    load_edition(&app, "2025-test", "2025-04-01", 3_000_000).await;
    priority(&app, "RCH", "local_employment", &["NT1"]).await;
    let pid = crate::pids::live_pid(&app, "RCH").await;
    let pid_id = pid["id"].as_str().unwrap().to_string();
    crate::pids::award_pid(&app, "RCH", &pid_id).await;
    crate::pids::record_award(&app, "RCH", &pid_id, 1, "Northside Support Ltd").await;
    let lot2 = crate::pids::record_award(&app, "RCH", &pid_id, 2, "Wrong Lot Ltd").await;
    commit(&app, "RCH", on_lot(&pid_id, 1)).await;

    let buyer = token("RCH", &[Role::Procurement]);
    let delete = |lot: i64, token: Option<&str>, if_match: Option<&str>| {
        let mut req = TestRequest::delete().uri(&format!("/v1/pids/{pid_id}/lots/{lot}/award"));
        if let Some(t) = token {
            req = req.insert_header(crate::helpers::bearer(t));
        }
        if let Some(tag) = if_match {
            req = req.insert_header(("If-Match", tag.to_string()));
        }
        req
    };
    app.send(delete(2, None, None)).await.problem(401);
    app.send(delete(2, Some(&token("TAM", &[Role::Procurement])), None))
        .await
        .problem(403);
    app.send(delete(2, Some(&token("RCH", &[Role::Commissioner])), None))
        .await
        .problem(403);
    // Lot 1 has a commitment made on it: its award stays.
    let kept = app.send(delete(1, Some(&buyer), None)).await.problem(409);
    assert!(
        kept["detail"]
            .as_str()
            .unwrap()
            .contains("1 social value commitment(s) are made on lot 1"),
        "{kept}"
    );
    app.send(delete(2, Some(&buyer), Some("\"7\"")))
        .await
        .problem(412);
    assert_eq!(
        app.send(delete(2, Some(&buyer), Some("\"1\"")))
            .await
            .status,
        204
    );
    app.send(delete(2, Some(&buyer), None)).await.problem(404);

    let lots = app
        .get(&format!("/v1/pids/{pid_id}/lots"), &buyer)
        .await
        .json();
    assert_eq!(
        lots["lots"][0]["award"]["supplier_name"],
        "Northside Support Ltd"
    );
    assert_eq!(lots["lots"][1]["award"], Value::Null);
    // No award, no commitment on the lot; the removal is in the award's audit trail.
    assert_eq!(
        app.post(
            "/v1/social-value/commitments",
            &token("RCH", &[Role::Commissioner]),
            &on_lot(&pid_id, 2)
        )
        .await
        .invalid_fields(),
        ["lot"]
    );
    let actions = audit_actions(&app, "RCH", "pid_lot_award", lot2["id"].as_str().unwrap()).await;
    assert_eq!(actions, ["create", "delete"]);
}
