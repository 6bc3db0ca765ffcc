//! Savings forecasts over HTTP, on a fixture worked out by hand:
//!
//! - A (RCH, 2026/27, quarters [100, 101, 0, 0] → months 34,33,33,34,34,33,0…; 50 %, forecast,
//!   cashable, budget B1): amount 201; each month risk-adjusts half up to 17, so 102 (Q1 100/51,
//!   Q2 101/51).
//! - B (RCH, 2027/28, months m1 = 1000, m12 = 3; 75 %, lost, not cashable, B2): amount 1003;
//!   risk 750 + round(2.25) = 752 (Q1 1000/750, Q4 3/2).
//! - C (TAM, 2026/27, quarters [0, 0, 0, 300]; 100 %, target): 300/300.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, new_intention, token};

const LINES: &str = "/v1/savings/lines";

async fn intention(app: &TestApp, authority: &str) -> String {
    let r = app
        .post(
            "/v1/commissioning-intentions",
            &token(authority, &[Role::Commissioner]),
            &new_intention(),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_str().unwrap().to_string()
}

async fn line(app: &TestApp, authority: &str, body: Value) -> Value {
    let r = app
        .post(LINES, &token(authority, &[Role::Commissioner]), &body)
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn base(link: Value, extra: Value) -> Value {
    let mut v = json!({"financial_year": "2026/27", "cashable": true, "kind": "price_reduction",
        "confidence": "amber", "probability": 50, "status": "forecast", "budget_code": "B1"});
    for (k, x) in link
        .as_object()
        .unwrap()
        .iter()
        .chain(extra.as_object().unwrap())
    {
        v[k] = x.clone();
    }
    v
}

async fn fixture(app: &TestApp) -> (Value, Value, Value) {
    let rch = intention(app, "RCH").await;
    let tam = intention(app, "TAM").await;
    let a = line(
        app,
        "RCH",
        base(
            json!({"intention_id": rch}),
            json!({"quarters": [100, 101, 0, 0]}),
        ),
    )
    .await;
    let b = line(
        app,
        "RCH",
        base(
            json!({"intention_id": rch}),
            json!({"financial_year": "2027/28", "months": [1000,0,0,0,0,0,0,0,0,0,0,3],
                   "probability": 75, "status": "lost", "cashable": false, "budget_code": "B2",
                   "confidence": "red"}),
        ),
    )
    .await;
    let c = line(
        app,
        "TAM",
        base(
            json!({"intention_id": tam}),
            json!({"quarters": [0, 0, 0, 300], "probability": 100, "status": "target"}),
        ),
    )
    .await;
    (a, b, c)
}

async fn forecast(app: &TestApp, who: &str, query: &str) -> Value {
    let r = app.get(&format!("/v1/savings/forecast?{query}"), who).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

fn rows(f: &Value) -> Vec<(Value, i64, i64)> {
    f["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["group"].clone(),
                r["amount_pence"].as_i64().unwrap(),
                r["risk_adjusted_pence"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn the_forecast_adds_up_by_hand_for_every_grouping_and_csv_matches() {
    let app = TestApp::spawn().await;
    let (a, _b, _c) = fixture(&app).await;
    assert_eq!(
        a["months"],
        json!([34, 33, 33, 34, 34, 33, 0, 0, 0, 0, 0, 0])
    );
    assert_eq!(a["risk_adjusted_pence"], 102);
    let fin = token("RCH", &[Role::Finance]);

    let f = forecast(&app, &fin, "group_by=authority,financial_year").await;
    assert_eq!(
        rows(&f),
        vec![
            (
                json!({"authority": "RCH", "financial_year": "2026/27"}),
                201,
                102
            ),
            (
                json!({"authority": "RCH", "financial_year": "2027/28"}),
                1003,
                752
            ),
        ]
    );
    assert_eq!(f["total_amount_pence"], 1204);
    assert_eq!(f["total_risk_adjusted_pence"], 854);

    let f = forecast(&app, &fin, "group_by=quarter").await;
    assert_eq!(
        rows(&f),
        vec![
            (json!({"quarter": 1}), 1100, 801),
            (json!({"quarter": 2}), 101, 51),
            (json!({"quarter": 3}), 0, 0),
            (json!({"quarter": 4}), 3, 2),
        ]
    );
    assert_eq!(f["total_risk_adjusted_pence"], 854);

    let f = forecast(
        &app,
        &fin,
        "group_by=month&financial_year=2026/27&quarter=1",
    )
    .await;
    assert_eq!(
        rows(&f),
        vec![
            (json!({"month": 1}), 34, 17),
            (json!({"month": 2}), 33, 17),
            (json!({"month": 3}), 33, 17),
        ]
    );

    let f = forecast(&app, &fin, "group_by=status,cashable,budget_code,category").await;
    assert_eq!(
        rows(&f),
        vec![
            (
                json!({"status": "forecast", "cashable": true, "budget_code": "B1", "category": "supported-living"}),
                201,
                102
            ),
            (
                json!({"status": "lost", "cashable": false, "budget_code": "B2", "category": "supported-living"}),
                1003,
                752
            ),
        ]
    );

    let f = forecast(&app, &fin, "status=forecast").await;
    assert_eq!(rows(&f), vec![(json!({}), 201, 102)]);

    // STAR-wide finance reads all four; another authority's finance nothing of RCH.
    let star = token("STAR", &[Role::Finance]);
    let f = forecast(&app, &star, "group_by=authority").await;
    assert_eq!(
        rows(&f),
        vec![
            (json!({"authority": "RCH"}), 1204, 854),
            (json!({"authority": "TAM"}), 300, 300),
        ]
    );
    let tam = token("TAM", &[Role::Finance]);
    let f = forecast(&app, &tam, "group_by=authority").await;
    assert_eq!(rows(&f), vec![(json!({"authority": "TAM"}), 300, 300)]);

    // CSV: the same rows, pounds with two decimals.
    let r = app
        .send(
            TestRequest::get()
                .uri("/v1/savings/forecast?group_by=authority,financial_year")
                .insert_header(bearer(&fin))
                .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        String::from_utf8(r.body).unwrap(),
        "authority,financial_year,amount_gbp,risk_adjusted_gbp\nRCH,2026/27,2.01,1.02\nRCH,2027/28,10.03,7.52\n"
    );
    let csv = app
        .get("/v1/savings/forecast?group_by=quarter&format=csv", &fin)
        .await;
    assert_eq!(
        String::from_utf8(csv.body).unwrap(),
        "quarter,amount_gbp,risk_adjusted_gbp\n1,11.00,8.01\n2,1.01,0.51\n3,0.00,0.00\n4,0.03,0.02\n"
    );
}

#[actix_web::test]
async fn snapshots_do_not_move_and_the_diff_and_pull_report_changes() {
    let app = TestApp::spawn().await;
    let (a, b, _c) = fixture(&app).await;
    let fin = token("RCH", &[Role::Finance]);
    let s1 = app
        .post(
            "/v1/savings/snapshots",
            &fin,
            &json!({"label": "2026/27 P6"}),
        )
        .await;
    assert_eq!(s1.status, 201, "{}", String::from_utf8_lossy(&s1.body));
    let s1 = s1.json();
    assert_eq!(s1["line_count"], 2);
    let s1 = s1["id"].as_str().unwrap().to_string();

    let a_path = format!("{LINES}/{}", a["id"].as_str().unwrap());
    let patch = |tag: &'static str| {
        TestRequest::patch()
            .uri(&a_path)
            .insert_header(bearer(&fin))
            .insert_header(("If-Match", tag))
            .set_json(json!({"probability": 100}))
    };
    assert_eq!(app.send(patch("\"1\"")).await.status, 200);
    app.send(patch("\"1\"")).await.problem(412);

    let live = forecast(&app, &fin, "").await;
    assert_eq!(live["total_risk_adjusted_pence"], 201 + 752);
    let frozen = forecast(&app, &fin, &format!("as_at={s1}")).await;
    assert_eq!(frozen["total_risk_adjusted_pence"], 854);
    assert_eq!(frozen["as_at"]["id"], s1.as_str());

    let b_path = format!("{LINES}/{}", b["id"].as_str().unwrap());
    let del = app
        .send(
            TestRequest::delete()
                .uri(&b_path)
                .insert_header(bearer(&fin)),
        )
        .await;
    assert_eq!(del.status, 204);
    app.get(&b_path, &fin).await.problem(404);
    let frozen = forecast(&app, &fin, &format!("as_at={s1}")).await;
    assert_eq!(frozen["total_amount_pence"], 1204);

    let s2 = app
        .post(
            "/v1/savings/snapshots",
            &fin,
            &json!({"label": "2026/27 P7"}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = app
        .get(&format!("/v1/savings/snapshots/{s1}/diff/{s2}"), &fin)
        .await;
    assert_eq!(d.status, 200, "{}", String::from_utf8_lossy(&d.body));
    let d = d.json();
    let lines = d["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    let by = |id: &Value| lines.iter().find(|l| &l["line_id"] == id).unwrap().clone();
    let la = by(&a["id"]);
    assert_eq!(la["change"], "changed");
    assert_eq!(la["amount_delta_pence"], 0);
    assert_eq!(la["risk_adjusted_delta_pence"], 99);
    let lb = by(&b["id"]);
    assert_eq!(lb["change"], "removed");
    assert_eq!(lb["amount_delta_pence"], -1003);
    assert_eq!(d["amount_delta_pence"], -1003);
    assert_eq!(d["risk_adjusted_delta_pence"], 99 - 752);
    let groups = d["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(
        groups[0]["group"],
        json!({"authority": "RCH", "financial_year": "2026/27"})
    );
    assert_eq!(groups[0]["risk_adjusted_delta_pence"], 99);

    // The pull, a page at a time, reports the change and the tombstone, in change order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut uri = format!("{LINES}?limit=1&updated_since=2000-01-01T00:00:00Z");
        if let Some(c) = &cursor {
            uri.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&uri, &fin).await;
        assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
        let page = page.json();
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0]["id"], a["id"]);
    assert_eq!(seen[0]["probability"], 100);
    assert_eq!(seen[1]["id"], b["id"]);
    assert_eq!(seen[1]["deleted"], true);
    assert!(seen[1]["deleted_at"].is_string());
}

#[actix_web::test]
async fn roles_are_refused_and_partners_see_collaboration_lines() {
    let app = TestApp::spawn().await;
    let (a, _b, c) = fixture(&app).await;
    let a_path = format!("{LINES}/{}", a["id"].as_str().unwrap());
    // 401 without a token.
    app.send(TestRequest::get().uri("/v1/savings/forecast"))
        .await
        .problem(401);
    // 403: board reads nothing; board writes nothing; snapshots need finance.
    app.get("/v1/savings/forecast", &token("RCH", &[Role::Board]))
        .await
        .problem(403);
    let valid = base(
        json!({"intention_id": a["intention_id"]}),
        json!({"quarters": [1, 1, 1, 1]}),
    );
    app.post(LINES, &token("RCH", &[Role::Board]), &valid)
        .await
        .problem(403);
    app.post(
        "/v1/savings/snapshots",
        &token("RCH", &[Role::Commissioner]),
        &json!({"label": "x"}),
    )
    .await
    .problem(403);
    // Another authority's line is not found; a read-only role may not change its own.
    app.get(&a_path, &token("TAM", &[Role::Finance]))
        .await
        .problem(404);
    app.patch(
        &a_path,
        &token("TAM", &[Role::Commissioner]),
        &json!({"probability": 1}),
    )
    .await
    .problem(404);
    app.patch(
        &a_path,
        &token("RCH", &[Role::Auditor]),
        &json!({"probability": 1}),
    )
    .await
    .problem(403);
    assert_eq!(
        app.get(&a_path, &token("RCH", &[Role::Auditor]))
            .await
            .status,
        200
    );
    // 404 for an unknown snapshot; 422s.
    app.get(
        "/v1/savings/forecast?as_at=0193f1ff-0000-7000-8000-000000000999",
        &token("RCH", &[Role::Finance]),
    )
    .await
    .problem(404);
    app.get(
        "/v1/savings/forecast?group_by=colour",
        &token("RCH", &[Role::Finance]),
    )
    .await
    .problem(422);
    let tam_intention = c["intention_id"].clone();
    let bad = app
        .post(
            LINES,
            &token("RCH", &[Role::Commissioner]),
            &base(
                json!({"intention_id": tam_intention}),
                json!({"quarters": [1, 1, 1, 1]}),
            ),
        )
        .await;
    assert_eq!(bad.invalid_fields(), vec!["intention_id"]);
    let bad = app
        .post(
            LINES,
            &token("RCH", &[Role::Commissioner]),
            &base(
                json!({"intention_id": a["intention_id"]}),
                json!({"quarters": [1, 1, 1]}),
            ),
        )
        .await;
    assert_eq!(bad.invalid_fields(), vec!["quarters"]);

    // A collaboration RCH leads and TAM takes part in: TAM's partner sees RCH's line on it.
    let opp = app
        .post(
            "/v1/collaboration/opportunities",
            &token("RCH", &[Role::Commissioner]),
            &json!({"title": "STAR-wide home care dynamic market", "category": "home-care",
                    "financial_year": "2026/27",
                    "participants": [{"authority": "TAM", "status": "interested"}]}),
        )
        .await;
    assert_eq!(opp.status, 201, "{}", String::from_utf8_lossy(&opp.body));
    let opp = opp.json()["id"].clone();
    line(
        &app,
        "RCH",
        base(
            json!({"opportunity_id": opp}),
            json!({"quarters": [0, 0, 40, 0], "probability": 100}),
        ),
    )
    .await;
    let f = forecast(
        &app,
        &token("TAM", &[Role::Partner]),
        "group_by=authority,category",
    )
    .await;
    assert_eq!(
        rows(&f),
        vec![(json!({"authority": "RCH", "category": null}), 40, 40)]
    );
    let f = forecast(&app, &token("TRF", &[Role::Partner]), "group_by=authority").await;
    assert!(rows(&f).is_empty());
    // TRF takes no part, so it may not attach a line to the opportunity.
    let trf_intention = intention(&app, "TRF").await;
    let _ = trf_intention;
    let bad = app
        .post(
            LINES,
            &token("TRF", &[Role::Commissioner]),
            &base(
                json!({"opportunity_id": opp}),
                json!({"quarters": [1, 1, 1, 1]}),
            ),
        )
        .await;
    assert_eq!(bad.invalid_fields(), vec!["opportunity_id"]);
}
