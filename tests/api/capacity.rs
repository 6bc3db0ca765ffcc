//! Capacity planning over HTTP: post FTE arithmetic, the gap per year on a hand-worked fixture,
//! tranche-ordered funding, the Doncaster figures from the demo data, CSV, import and refusals.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, token};

fn commissioner(authority: &str) -> String {
    token(authority, &[Role::Commissioner])
}

async fn post(app: &TestApp, team: &str, hours: i64, status: &str) -> Value {
    let r = app
        .post(
            "/v1/capacity/posts",
            &commissioner("RCH"),
            &json!({"team": team, "title": "Officer", "grade": "Grade 9",
                    "contracted_hours_hundredths": hours, "status": status}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

async fn demand(app: &TestApp, team: &str, fy: &str, tranche: i64, fte: i64, name: &str) -> Value {
    let r = app
        .post(
            "/v1/capacity/demands",
            &commissioner("RCH"),
            &json!({"activity_name": name, "tranche": tranche, "team": team,
                    "financial_year": fy, "fte_hundredths": fte}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn row<'a>(report: &'a Value, fy: &str, team: &str) -> &'a Value {
    report["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["financial_year"] == fy && t["team"] == team)
        .unwrap_or_else(|| panic!("no row for {team} in {fy}: {report}"))
}

fn total<'a>(report: &'a Value, fy: &str) -> &'a Value {
    report["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["financial_year"] == fy)
        .unwrap()
}

/// The fixture, worked by hand. Commissioning: 37h (1.00) + 30h (0.81) + 22.5h interim (0.61)
/// in post, and a 37h vacancy: 2.42 in post, 3.42 establishment. Contracts: 18.5h secondment (0.50).
/// Demand in 2026/27: commissioning T1 1.50 (A), T2 1.00 (B), T1 0.50 (C), T3 0.30 (D) = 3.30,
/// gap 0.88; contracts T5 0.40, gap -0.10. In 2027/28: commissioning T2 2.00, gap -0.42.
/// Funding 2026/27 commissioning, tranche 1 first: A 1.50 and C 0.50 (0.42 left), then B part
/// funded 0.42 (0.58 short), D not at all (0.30 short): 0.88 short, the gap.
async fn fixture(app: &TestApp) -> Vec<Value> {
    post(app, "commissioning", 3700, "filled").await;
    post(app, "commissioning", 3000, "filled").await;
    post(app, "commissioning", 2250, "interim").await;
    post(app, "commissioning", 3700, "vacant").await;
    post(app, "contracts", 1850, "secondment").await;
    vec![
        demand(app, "commissioning", "2026/27", 1, 150, "A").await,
        demand(app, "commissioning", "2026/27", 2, 100, "B").await,
        demand(app, "commissioning", "2026/27", 1, 50, "C").await,
        demand(app, "commissioning", "2026/27", 3, 30, "D").await,
        demand(app, "contracts", "2026/27", 5, 40, "E").await,
        demand(app, "commissioning", "2027/28", 2, 200, "F").await,
        // Outside the range asked for: never counted.
        demand(app, "commissioning", "2028/29", 1, 900, "G").await,
    ]
}

#[actix_web::test]
async fn post_fte_counts_part_time_hours_and_leaves_vacancies_out_of_in_post() {
    let app = TestApp::spawn().await;
    let p = post(&app, "commissioning", 3000, "filled").await;
    assert_eq!(p["fte_hundredths"], 81);
    assert_eq!(p["full_time_hours_hundredths"], 3700);
    assert_eq!(
        post(&app, "commissioning", 2250, "filled").await["fte_hundredths"],
        61
    );
    post(&app, "commissioning", 3700, "vacant").await;
    let r = app
        .get(
            "/v1/capacity?authority=RCH&from_fy=2026/27&to_fy=2026/27",
            &token("SKP", &[Role::Auditor]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let c = row(&r.json(), "2026/27", "commissioning").clone();
    assert_eq!(c["fte_in_post_hundredths"], 142);
    assert_eq!(c["fte_establishment_hundredths"], 242);
    assert_eq!(c["fte_demanded_hundredths"], 0);
    assert_eq!(c["gap_hundredths"], -142);
}

#[actix_web::test]
async fn the_gap_per_team_and_year_and_tranche_ordered_funding_match_the_hand_worked_fixture() {
    let app = TestApp::spawn().await;
    let d = fixture(&app).await;
    let r = app
        .get(
            "/v1/capacity?authority=RCH&from_fy=2026/27&to_fy=2027/28",
            &token("RCH", &[Role::Board]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let rep = r.json();
    let c = row(&rep, "2026/27", "commissioning");
    assert_eq!(c["fte_in_post_hundredths"], 242);
    assert_eq!(c["fte_establishment_hundredths"], 342);
    assert_eq!(c["fte_demanded_hundredths"], 330);
    assert_eq!(
        c["fte_demanded_by_tranche_hundredths"],
        json!({"tranche_1": 200, "tranche_2": 100, "tranche_3": 30, "tranche_4": 0, "tranche_5": 0})
    );
    assert_eq!(c["gap_hundredths"], 88);
    let k = row(&rep, "2026/27", "contracts");
    assert_eq!(k["fte_in_post_hundredths"], 50);
    assert_eq!(k["gap_hundredths"], -10);
    assert_eq!(row(&rep, "2027/28", "commissioning")["gap_hundredths"], -42);
    // The establishment is the same every year; a team with no demand that year shows it all spare.
    assert_eq!(row(&rep, "2027/28", "contracts")["gap_hundredths"], -50);
    assert_eq!(rep["teams"].as_array().unwrap().len(), 4);
    let t = total(&rep, "2026/27");
    assert_eq!(t["fte_in_post_hundredths"], 292);
    assert_eq!(t["fte_establishment_hundredths"], 392);
    assert_eq!(t["fte_demanded_hundredths"], 370);
    assert_eq!(t["gap_hundredths"], 78);
    assert!(t.get("team").is_none());
    assert_eq!(total(&rep, "2027/28")["gap_hundredths"], -92);

    let unfunded: Vec<(Value, i64, i64)> = rep["unfunded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["activity_name"].clone(),
                u["fte_funded_hundredths"].as_i64().unwrap(),
                u["fte_shortfall_hundredths"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(unfunded, vec![(json!("B"), 42, 58), (json!("D"), 0, 30)]);
    assert_eq!(rep["unfunded"][0]["demand_id"], d[1]["id"]);
    assert_eq!(rep["unfunded"][0]["tranche"], 2);

    // Moving D up to tranche 1 funds it before B, which then falls short by more.
    let id = d[3]["id"].as_str().unwrap();
    let patched = app
        .patch(
            &format!("/v1/capacity/demands/{id}"),
            &commissioner("RCH"),
            &json!({"tranche": 1}),
        )
        .await;
    assert_eq!(patched.status, 200);
    let rep = app
        .get(
            "/v1/capacity?authority=RCH&from_fy=2026/27&to_fy=2026/27",
            &commissioner("RCH"),
        )
        .await
        .json();
    assert_eq!(rep["unfunded"].as_array().unwrap().len(), 1);
    assert_eq!(rep["unfunded"][0]["activity_name"], "B");
    assert_eq!(rep["unfunded"][0]["fte_funded_hundredths"], 12);
    assert_eq!(rep["unfunded"][0]["fte_shortfall_hundredths"], 88);
}

#[actix_web::test]
async fn the_demo_data_reproduces_the_doncaster_table() {
    let app = TestApp::spawn().await;
    commissioning_hub::seed::demo(&mut app.db.connection()).unwrap();
    let r = app
        .get(
            "/v1/capacity?authority=RCH&from_fy=2017/18&to_fy=2018/19",
            &commissioner("RCH"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let rep = r.json();
    for (team, in_post, establishment, y1, y2) in [
        ("head_of_service", 100, 100, 100, 200),
        ("commissioning", 880, 1080, 2420, 1870),
        ("contracts", 2180, 2480, 2180, 2180),
    ] {
        for (fy, demanded) in [("2017/18", y1), ("2018/19", y2)] {
            let c = row(&rep, fy, team);
            assert_eq!(c["fte_in_post_hundredths"], in_post, "{team} {fy}");
            assert_eq!(
                c["fte_establishment_hundredths"], establishment,
                "{team} {fy}"
            );
            assert_eq!(c["fte_demanded_hundredths"], demanded, "{team} {fy}");
        }
    }
    // 31.6 FTE in post, 36.6 with the vacancies; 47 and 42.5 demanded, as the plan's Totals line says.
    let y1 = total(&rep, "2017/18");
    assert_eq!(y1["fte_in_post_hundredths"], 3160);
    assert_eq!(y1["fte_establishment_hundredths"], 3660);
    assert_eq!(y1["fte_demanded_hundredths"], 4700);
    assert_eq!(y1["gap_hundredths"], 1540);
    let y2 = total(&rep, "2018/19");
    assert_eq!(y2["fte_demanded_hundredths"], 4250);
    assert_eq!(y2["gap_hundredths"], 1090);
    // Commissioning in 2017/18: 8.80 in post covers the first 8.80 of tranche 1 (4 + 3 + 1.8 of
    // RDaSH), and everything after falls outside capacity; its shortfalls add up to its gap.
    let comm: Vec<&Value> = rep["unfunded"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["financial_year"] == "2017/18" && u["team"] == "commissioning")
        .collect();
    assert_eq!(comm[0]["activity_name"], "RDaSH contract negotiations");
    assert_eq!(comm[0]["fte_funded_hundredths"], 180);
    let short: i64 = comm
        .iter()
        .map(|u| u["fte_shortfall_hundredths"].as_i64().unwrap())
        .sum();
    assert_eq!(short, 1540);
    // Loading again adds nothing.
    commissioning_hub::seed::demo(&mut app.db.connection()).unwrap();
    let again = app
        .get(
            "/v1/capacity?authority=RCH&from_fy=2017/18&to_fy=2018/19",
            &commissioner("RCH"),
        )
        .await
        .json();
    assert_eq!(again, rep);
}

#[actix_web::test]
async fn csv_has_the_same_rows_as_json() {
    let app = TestApp::spawn().await;
    fixture(&app).await;
    let path = "/v1/capacity?authority=RCH&from_fy=2026/27&to_fy=2027/28";
    let json = app.get(path, &commissioner("RCH")).await.json();
    let r = app
        .send(
            TestRequest::get()
                .uri(path)
                .insert_header(bearer(&commissioner("RCH")))
                .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(r.body).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "financial_year,team,fte_in_post_hundredths,fte_establishment_hundredths,fte_demanded_hundredths,\
         tranche_1_hundredths,tranche_2_hundredths,tranche_3_hundredths,tranche_4_hundredths,\
         tranche_5_hundredths,gap_hundredths"
    );
    let from_json: Vec<String> = json["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let s = &t["fte_demanded_by_tranche_hundredths"];
            format!(
                "{},{},{},{},{},{},{},{},{},{},{}",
                t["financial_year"].as_str().unwrap(),
                t["team"].as_str().unwrap(),
                t["fte_in_post_hundredths"],
                t["fte_establishment_hundredths"],
                t["fte_demanded_hundredths"],
                s["tranche_1"],
                s["tranche_2"],
                s["tranche_3"],
                s["tranche_4"],
                s["tranche_5"],
                t["gap_hundredths"]
            )
        })
        .collect();
    assert_eq!(lines.map(String::from).collect::<Vec<_>>(), from_json);
}

async fn import(app: &TestApp, who: &str, csv: &str) -> crate::helpers::Reply {
    app.send(
        TestRequest::post()
            .uri("/v1/capacity/posts/import")
            .insert_header(bearer(who))
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(csv.to_string()),
    )
    .await
}

async fn post_count(app: &TestApp) -> usize {
    app.get("/v1/capacity/posts?authority=RCH", &commissioner("RCH"))
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .len()
}

#[actix_web::test]
async fn posts_import_from_csv_all_or_nothing() {
    let app = TestApp::spawn().await;
    let bad = "team,title,grade,contracted_hours,status\n\
               commissioning,Commissioning Officer,Grade 9,30,filled\n\
               contracts,Contracts Officer,Grade 9,thirty,filled\n\
               contracts,,Grade 8,37,gone\n";
    let r = import(&app, &commissioner("RCH"), bad).await;
    assert_eq!(
        r.invalid_fields(),
        vec!["row 3: contracted_hours", "row 4: title", "row 4: status"]
    );
    assert_eq!(post_count(&app).await, 0);

    let good = "team,title,grade,contracted_hours,full_time_hours,status\n\
                commissioning,Commissioning Officer,Grade 9,30,,filled\n\
                contracts,Contract Monitoring Officer,Grade 8,22.5,37,interim\n\
                contracts,Contracts Officer,Grade 9,37,,vacant\n";
    let r = import(&app, &commissioner("RCH"), good).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["imported"], 3);
    let list = app
        .get(
            "/v1/capacity/posts?authority=RCH&team=contracts",
            &commissioner("RCH"),
        )
        .await
        .json();
    let ftes: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["fte_hundredths"].as_i64().unwrap())
        .collect();
    assert_eq!(ftes, vec![61, 100]);
    assert_eq!(post_count(&app).await, 3);
    assert_eq!(
        import(&app, &token("RCH", &[Role::Finance]), good)
            .await
            .status,
        403
    );
}

#[actix_web::test]
async fn refusals() {
    let app = TestApp::spawn().await;
    let p = post(&app, "commissioning", 3700, "filled").await;
    let id = p["id"].as_str().unwrap();
    let path = format!("/v1/capacity/posts/{id}");

    // 401 without a token.
    let r = app
        .send(TestRequest::get().uri("/v1/capacity?authority=RCH&from_fy=2026/27&to_fy=2026/27"))
        .await;
    r.problem(401);
    // 403: wrong role, or another authority's post.
    app.post(
        "/v1/capacity/posts",
        &token("RCH", &[Role::Finance]),
        &json!({"team": "x", "title": "y", "contracted_hours_hundredths": 3700}),
    )
    .await
    .problem(403);
    app.patch(&path, &commissioner("SKP"), &json!({"status": "vacant"}))
        .await
        .problem(403);
    // 404.
    app.get(
        "/v1/capacity/posts/0193d000-0000-7000-8000-999999999999",
        &commissioner("RCH"),
    )
    .await
    .problem(404);
    app.get(
        "/v1/capacity?authority=ZZZ&from_fy=2026/27&to_fy=2026/27",
        &commissioner("RCH"),
    )
    .await
    .problem(404);
    // 412 on a stale If-Match.
    let r = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&commissioner("RCH")))
                .insert_header(("If-Match", "\"7\""))
                .set_json(json!({"status": "vacant"})),
        )
        .await;
    r.problem(412);
    // A fresh ETag is accepted and the version moves on.
    let etag = app
        .get(&path, &commissioner("RCH"))
        .await
        .header("etag")
        .unwrap();
    let r = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&commissioner("RCH")))
                .insert_header(("If-Match", etag))
                .set_json(json!({"status": "vacant"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["version"], 2);
    // 422 naming the fields.
    let r = app
        .post(
            "/v1/capacity/posts",
            &commissioner("RCH"),
            &json!({"team": " ", "title": "Officer", "contracted_hours_hundredths": 0}),
        )
        .await;
    assert_eq!(
        r.invalid_fields(),
        vec!["team", "contracted_hours_hundredths"]
    );
    let r = app
        .patch(&path, &commissioner("RCH"), &json!({"reports_to": id}))
        .await;
    assert_eq!(r.invalid_fields(), vec!["reports_to"]);
    let r = app
        .post(
            "/v1/capacity/demands",
            &commissioner("RCH"),
            &json!({"activity_name": "BAU", "contract_id": "0193d000-0000-7000-8000-999999999999",
                    "tranche": 5, "team": "contracts", "financial_year": "2026/27", "fte_hundredths": 50}),
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["activity_name"]);
    let r = app
        .post(
            "/v1/capacity/demands",
            &commissioner("RCH"),
            &json!({"activity_name": "BAU", "tranche": 6, "team": "contracts",
                    "financial_year": "2026/27", "fte_hundredths": 50}),
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["tranche"]);
    let r = app
        .get(
            "/v1/capacity?authority=RCH&from_fy=2026/27&to_fy=2036/37",
            &commissioner("RCH"),
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["to_fy"]);
    let r = app
        .get(
            "/v1/capacity?authority=RCH&from_fy=2026/27",
            &commissioner("RCH"),
        )
        .await;
    r.problem(422);
    // 409: a second estimate for the same activity, team and year.
    demand(&app, "contracts", "2026/27", 5, 50, "Contract monitoring").await;
    app.post(
        "/v1/capacity/demands",
        &commissioner("RCH"),
        &json!({"activity_name": "contract monitoring", "tranche": 5, "team": "contracts",
                "financial_year": "2026/27", "fte_hundredths": 20}),
    )
    .await
    .problem(409);
}
