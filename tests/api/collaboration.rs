//! Collaboration over HTTP: who may change an opportunity and a participation, the candidate
//! search's window edges, benchmark posting (own authority only, all-or-nothing, idempotent), the
//! comparison statistics on a hand-worked fixture, and the year-on-year measures.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, new_intention, token};

const OPPS: &str = "/v1/collaboration/opportunities";

async fn intention(app: &TestApp, authority: &str, fields: Value) -> String {
    let mut body = new_intention();
    for (k, v) in fields.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app
        .post(
            "/v1/commissioning-intentions",
            &token(authority, &[Role::Commissioner]),
            &body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_str().unwrap().to_string()
}

async fn opportunity(app: &TestApp, lead: &str, body: Value) -> Value {
    let r = app
        .post(OPPS, &token(lead, &[Role::Commissioner]), &body)
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> crate::helpers::Reply {
    app.send(
        TestRequest::put()
            .uri(path)
            .insert_header(bearer(token))
            .set_json(body),
    )
    .await
}

#[actix_web::test]
async fn the_lead_edits_participants_edit_their_own_part_and_outsiders_are_refused() {
    let app = TestApp::spawn().await;
    let tam_intention = intention(&app, "TAM", json!({"category": "home-care"})).await;
    let rch_intention = intention(&app, "RCH", json!({"category": "home-care"})).await;
    let opp = opportunity(
        &app,
        "RCH",
        json!({"title": "STAR-wide home care dynamic market", "category": "home-care",
               "financial_year": "2026/27", "estimated_savings_pence": 45_000_000,
               "participants": [{"authority": "TAM", "status": "interested"}]}),
    )
    .await;
    assert_eq!(opp["lead_authority"], "RCH");
    assert_eq!(opp["status"], "idea");
    assert!(opp["reference"].as_str().unwrap().starts_with("RCH-COL-"));
    let parts: Vec<(&str, &str)> = opp["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["authority"].as_str().unwrap(),
                p["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(parts, vec![("RCH", "committed"), ("TAM", "interested")]);
    let id = opp["id"].as_str().unwrap();
    let path = format!("{OPPS}/{id}");

    // The lead's procurement officer edits the record; a participant or outsider may not.
    let r = app
        .patch(
            &path,
            &token("RCH", &[Role::Procurement]),
            &json!({"status": "scoping"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("etag").as_deref(), Some("\"2\""));
    app.patch(
        &path,
        &token("TAM", &[Role::Commissioner]),
        &json!({"title": "Mine now"}),
    )
    .await
    .problem(403);
    app.patch(
        &path,
        &token("SKP", &[Role::Admin]),
        &json!({"title": "Mine now"}),
    )
    .await
    .problem(403);
    app.patch(
        &path,
        &token("RCH", &[Role::Finance]),
        &json!({"title": "x"}),
    )
    .await
    .problem(403);
    // A move the lifecycle does not allow is 409 naming the allowed ones.
    let p = app
        .patch(
            &path,
            &token("RCH", &[Role::Commissioner]),
            &json!({"status": "delivered"}),
        )
        .await
        .problem(409);
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("allowed now: idea, agreed, closed"),
        "{p}"
    );

    // Tameside sets its own participation, linking its own intention.
    let tam = token("TAM", &[Role::Commissioner]);
    let r = put(
        &app,
        &format!("{path}/participants/TAM"),
        &tam,
        &json!({"status": "committed", "intention_ids": [tam_intention]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let tam_part = &r.json()["participants"][1];
    assert_eq!(tam_part["status"], "committed");
    assert_eq!(tam_part["intention_ids"][0], tam_intention.as_str());
    // ... but not with another authority's intention.
    let r = put(
        &app,
        &format!("{path}/participants/TAM"),
        &tam,
        &json!({"status": "committed", "intention_ids": [rch_intention]}),
    )
    .await;
    assert_eq!(r.invalid_fields(), vec!["intention_ids[0]"]);
    // Tameside may not change Rochdale's participation, nor may Stockport join by itself.
    put(
        &app,
        &format!("{path}/participants/RCH"),
        &tam,
        &json!({"status": "withdrawn"}),
    )
    .await
    .problem(403);
    put(
        &app,
        &format!("{path}/participants/SKP"),
        &token("SKP", &[Role::Commissioner]),
        &json!({"status": "interested"}),
    )
    .await
    .problem(403);
    // The lead may not change Tameside's participation, but may add Stockport.
    let rch = token("RCH", &[Role::Commissioner]);
    put(
        &app,
        &format!("{path}/participants/TAM"),
        &rch,
        &json!({"status": "withdrawn"}),
    )
    .await
    .problem(403);
    let r = put(
        &app,
        &format!("{path}/participants/SKP"),
        &rch,
        &json!({"status": "interested"}),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["participants"].as_array().unwrap().len(), 3);
    // A partner (read-only role) of a participant may not set it.
    put(
        &app,
        &format!("{path}/participants/TAM"),
        &token("TAM", &[Role::Partner]),
        &json!({"status": "withdrawn"}),
    )
    .await
    .problem(403);
    // Unknown authority in the path, unknown opportunity.
    put(
        &app,
        &format!("{path}/participants/ZZZ"),
        &rch,
        &json!({"status": "interested"}),
    )
    .await
    .problem(404);
    put(
        &app,
        &format!("{OPPS}/0193e000-0000-7000-8000-00000000ffff/participants/RCH"),
        &rch,
        &json!({"status": "interested"}),
    )
    .await
    .problem(404);

    // Notes: participants and the lead share learning; outsiders may not.
    let r = app
        .post(
            &format!("{path}/notes"),
            &tam,
            &json!({"text": "  Fortnightly meetings helped.  "}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["author"], "tester@TAM");
    assert_eq!(r.json()["text"], "Fortnightly meetings helped.");
    app.post(
        &format!("{path}/notes"),
        &token("TRF", &[Role::Commissioner]),
        &json!({"text": "hi"}),
    )
    .await
    .problem(403);
    assert_eq!(
        app.post(&format!("{path}/notes"), &tam, &json!({"text": "  "}))
            .await
            .invalid_fields(),
        vec!["text"]
    );

    // Everyone reads; the record shows the note and its version moved on with each change.
    let r = app.get(&path, &token("TRF", &[Role::Auditor])).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["notes"][0]["authority"], "TAM");
    assert_eq!(v["version"], 5);
    assert_eq!(r.header("etag").as_deref(), Some("\"5\""));

    // Stale If-Match is 412.
    let stale = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&rch))
                .insert_header(("If-Match", "\"1\""))
                .set_json(json!({"title": "New title"})),
        )
        .await;
    stale.problem(412);

    // The list filters by participating authority.
    let list = app.get(&format!("{OPPS}?authority=SKP"), &tam).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list = app.get(&format!("{OPPS}?authority=TRF"), &tam).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 0);

    // Every write was audited.
    let audit = app
        .get(
            &format!("/v1/audit-events?entity_type=collaboration_opportunity&entity_id={id}"),
            &token("RCH", &[Role::Auditor]),
        )
        .await;
    assert_eq!(audit.status, 200);
    assert!(!audit.json()["items"].as_array().unwrap().is_empty());
}

#[actix_web::test]
async fn creating_checks_participants_and_their_intentions() {
    let app = TestApp::spawn().await;
    let tam_intention = intention(&app, "TAM", json!({})).await;
    let rch = token("RCH", &[Role::Commissioner]);
    let r = app
        .post(
            OPPS,
            &rch,
            &json!({"title": "Joint carers' service", "category": "carers",
                    "participants": [{"authority": "TAM", "intention_ids": [tam_intention]},
                                     {"authority": "TRF", "intention_ids": [tam_intention]},
                                     {"authority": "ZZZ"}]}),
        )
        .await;
    assert_eq!(
        r.invalid_fields(),
        vec![
            "participants[1].intention_ids[0]",
            "participants[2].authority"
        ]
    );
    let r = app
        .post(
            OPPS,
            &rch,
            &json!({"title": "x", "category": "no-such-category"}),
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["category"]);
    let r = app
        .post(
            OPPS,
            &rch,
            &json!({"title": "x", "category": "carers", "status": "maybe"}),
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["status"]);
    let r = app
        .post(
            OPPS,
            &rch,
            &json!({"title": "x", "category": "carers", "estimated_savings_pence": 1.5}),
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["estimated_savings_pence"]);
    app.post(
        OPPS,
        &token("RCH", &[Role::Partner]),
        &json!({"title": "x", "category": "carers"}),
    )
    .await
    .problem(403);
    app.send(TestRequest::get().uri(OPPS)).await.problem(401);
    app.get(
        &format!("{OPPS}/0193e000-0000-7000-8000-00000000ffff"),
        &rch,
    )
    .await
    .problem(404);
}

#[actix_web::test]
async fn candidates_respect_the_window_edges_and_leave_out_joined_intentions() {
    let app = TestApp::spawn().await;
    let plan = |start: &str, category: &str| {
        json!({"category": category, "financial_year": "2026/27", "planned_procurement_start": start,
               "planned_contract_start": "2028-04-01"})
    };
    // Supported living: RCH on 1 June, TAM on 1 December (exactly 6 months: inside), SKP on
    // 2 December (a day over 6 months from RCH, but within 6 of TAM).
    let rch = intention(&app, "RCH", plan("2026-06-01", "supported-living")).await;
    let tam = intention(&app, "TAM", plan("2026-12-01", "supported-living")).await;
    let skp = intention(&app, "SKP", plan("2026-12-02", "supported-living")).await;
    // Day services: two of one authority only, no candidate.
    intention(&app, "TRF", plan("2026-06-01", "day-services")).await;
    intention(&app, "TRF", plan("2026-07-01", "day-services")).await;
    // Carers: another year, not looked at.
    intention(
        &app,
        "RCH",
        json!({"category": "carers", "financial_year": "2027/28", "planned_procurement_start": "2027-06-01",
               "planned_contract_start": "2028-04-01"}),
    )
    .await;

    let reader = token("TRF", &[Role::Partner]);
    let get = |window: u32| {
        let path =
            format!("/v1/collaboration/candidates?financial_year=2026/27&window_months={window}");
        let reader = reader.clone();
        let app = &app;
        async move {
            let r = app.get(&path, &reader).await;
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
            r.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    g["intentions"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i["id"].as_str().unwrap().to_string())
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        get(6).await,
        vec![
            vec![rch.clone(), tam.clone()],
            vec![tam.clone(), skp.clone()]
        ]
    );
    assert_eq!(get(5).await, vec![vec![tam.clone(), skp.clone()]]);
    assert_eq!(
        get(7).await,
        vec![vec![rch.clone(), tam.clone(), skp.clone()]]
    );

    // Once Tameside's intention is joined to an opportunity, it is no longer a candidate.
    opportunity(
        &app,
        "TAM",
        json!({"title": "Shared supported living framework", "category": "supported-living",
               "participants": [{"authority": "TAM", "status": "committed", "intention_ids": [tam]}]}),
    )
    .await;
    assert_eq!(get(7).await, vec![vec![rch.clone(), skp.clone()]]);
    assert!(get(6).await.is_empty());

    let r = app
        .get(
            "/v1/collaboration/candidates?financial_year=2026-27",
            &reader,
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["financial_year"]);
    let r = app
        .get(
            "/v1/collaboration/candidates?financial_year=2026/27&window_months=37",
            &reader,
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["window_months"]);
    let r = app.get("/v1/collaboration/candidates", &reader).await;
    assert_eq!(r.invalid_fields(), vec!["financial_year"]);
}

async fn metric(app: &TestApp, code: &str, unit: &str, better: &str) {
    let r = app
        .post(
            "/v1/benchmarks/metrics",
            &token("RCH", &[Role::Admin]),
            &json!({"code": code, "name": code, "unit": unit, "better": better}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

async fn observe(app: &TestApp, authority: &str, observations: Value) -> crate::helpers::Reply {
    app.post(
        "/v1/benchmarks/observations",
        &token(authority, &[Role::Partner]),
        &json!({ "observations": observations }),
    )
    .await
}

#[actix_web::test]
async fn metrics_are_kept_by_admins() {
    let app = TestApp::spawn().await;
    metric(&app, "home_care_hourly_rate", "pence_per_hour", "lower").await;
    let body = json!({"code": "home_care_hourly_rate", "name": "x", "unit": "pence_per_hour", "better": "lower"});
    app.post(
        "/v1/benchmarks/metrics",
        &token("RCH", &[Role::Admin]),
        &body,
    )
    .await
    .problem(409);
    app.post(
        "/v1/benchmarks/metrics",
        &token("RCH", &[Role::Commissioner]),
        &body,
    )
    .await
    .problem(403);
    let bad = json!({"code": "Home Care", "name": "x", "unit": "pounds", "better": "lower"});
    let r = app
        .post(
            "/v1/benchmarks/metrics",
            &token("RCH", &[Role::Admin]),
            &bad,
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["code"]);
    let list = app
        .get("/v1/benchmarks/metrics", &token("TAM", &[Role::Partner]))
        .await
        .json();
    assert_eq!(list["items"][0]["code"], "home_care_hourly_rate");
    assert_eq!(list["items"][0]["better"], "lower");
}

#[actix_web::test]
async fn observations_are_own_authority_only_all_or_nothing_and_idempotent() {
    let app = TestApp::spawn().await;
    metric(&app, "home_care_hourly_rate", "pence_per_hour", "lower").await;
    let ob = |authority: &str, period: &str, value: Value| {
        json!({"metric": "home_care_hourly_rate", "authority": authority, "period": period, "value": value,
               "source_note": "Standard rate"})
    };
    let comparison = |period: &str| {
        let path = format!(
            "/v1/benchmarks/home_care_hourly_rate/comparison?period={}",
            period.replace(' ', "%20")
        );
        let app = &app;
        async move { app.get(&path, &token("SKP", &[Role::Partner])).await.json() }
    };

    // One observation for another authority: 403, and nothing of the batch is written.
    let r = observe(
        &app,
        "RCH",
        json!([
            ob("RCH", "2025/26", json!(2150)),
            ob("TAM", "2025/26", json!(2050))
        ]),
    )
    .await;
    let p = r.problem(403);
    assert!(
        p["detail"].as_str().unwrap().contains("observations[1]"),
        "{p}"
    );
    assert_eq!(comparison("2025/26").await["count"], 0);

    // An invalid one is 422 naming its index, and nothing is written.
    let r = observe(
        &app,
        "RCH",
        json!([
            ob("RCH", "2025/26", json!(2150)),
            ob("RCH", "2024/25", json!(2060)),
            ob("RCH", "2023/24", json!(0)),
            ob("RCH", "2022/23", json!(19.5))
        ]),
    )
    .await;
    assert_eq!(r.invalid_fields(), vec!["observations[3].value"]);
    let r = observe(&app, "RCH", json!([ob("RCH", "2025/26 Q5", json!(1))])).await;
    assert_eq!(r.invalid_fields(), vec!["observations[0].period"]);
    let mut unknown = ob("RCH", "2025/26", json!(1));
    unknown["metric"] = json!("no_such_metric");
    let r = observe(
        &app,
        "RCH",
        json!([ob("RCH", "2024/25", json!(1)), unknown]),
    )
    .await;
    assert_eq!(r.invalid_fields(), vec!["observations[1].metric"]);
    let r = observe(
        &app,
        "RCH",
        json!([
            ob("RCH", "2024/25", json!(1)),
            ob("RCH", "2024/25", json!(2))
        ]),
    )
    .await;
    assert_eq!(r.invalid_fields(), vec!["observations[1]"]);
    assert_eq!(
        observe(&app, "RCH", json!([])).await.invalid_fields(),
        vec!["observations"]
    );
    assert_eq!(comparison("2024/25").await["count"], 0);
    // Roles: finance may not post; a commissioner may.
    app.post(
        "/v1/benchmarks/observations",
        &token("RCH", &[Role::Finance]),
        &json!({"observations": [ob("RCH", "2025/26", json!(2150))]}),
    )
    .await
    .problem(403);

    // A good batch, then the same again: nothing changes the second time.
    let batch = json!([
        ob("RCH", "2025/26", json!(2150)),
        ob("RCH", "2025/26 Q2", json!(2160))
    ]);
    let first = observe(&app, "RCH", batch.clone()).await;
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let first = first.json();
    assert_eq!(
        (first["created"].as_u64(), first["unchanged"].as_u64()),
        (Some(2), Some(0))
    );
    let again = observe(&app, "RCH", batch).await.json();
    assert_eq!(
        (
            again["created"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2))
    );
    assert_eq!(again["observations"][0]["version"], 1);
    // A different value updates the one keyed the same.
    let changed = observe(&app, "RCH", json!([ob("RCH", "2025/26", json!(2175))]))
        .await
        .json();
    assert_eq!(changed["updated"], 1);
    assert_eq!(changed["observations"][0]["version"], 2);
    let c = comparison("2025/26").await;
    assert_eq!(c["count"], 1);
    assert_eq!(c["values"][0]["value"], 2175);
    assert_eq!(comparison("2025/26 Q2").await["values"][0]["value"], 2160);
}

#[actix_web::test]
async fn comparison_statistics_match_a_hand_worked_fixture() {
    let app = TestApp::spawn().await;
    metric(&app, "home_care_hourly_rate", "pence_per_hour", "lower").await;
    metric(&app, "direct_payment_uptake", "percent", "higher").await;
    let post = |authority: &'static str, metric: &'static str, period: &'static str, value: i64| {
        let app = &app;
        async move {
            let r = observe(
                app,
                authority,
                json!([{"metric": metric, "authority": authority, "period": period, "value": value}]),
            )
            .await;
            assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        }
    };
    // 2024/25, three authorities (odd): 1950, 2100, 2020.
    //   sorted 1950, 2020, 2100: min 1950, median 2020, max 2100, mean 6070/3 = 2023.33 → 2023.
    //   lower is better: TAM 1950 rank 1, RCH 2020 rank 2, SKP 2100 rank 3.
    post("SKP", "home_care_hourly_rate", "2024/25", 2100).await;
    post("TAM", "home_care_hourly_rate", "2024/25", 1950).await;
    post("RCH", "home_care_hourly_rate", "2024/25", 2020).await;
    // 2025/26, four (even): 2150, 2201, 2310, 2050.
    //   sorted 2050, 2150, 2201, 2310: median (2150 + 2201) / 2 = 2175.5 → 2176 (half away from zero);
    //   mean 8711 / 4 = 2177.75 → 2178. RCH 2150: rank 2, distance -26.
    post("RCH", "home_care_hourly_rate", "2025/26", 2150).await;
    post("TRF", "home_care_hourly_rate", "2025/26", 2201).await;
    post("SKP", "home_care_hourly_rate", "2025/26", 2310).await;
    post("TAM", "home_care_hourly_rate", "2025/26", 2050).await;
    // Higher is better, with a tie: 3000, 3000, 2500 → both 3000s rank 1, 2500 rank 3.
    post("RCH", "direct_payment_uptake", "2025/26", 3000).await;
    post("TAM", "direct_payment_uptake", "2025/26", 3000).await;
    post("SKP", "direct_payment_uptake", "2025/26", 2500).await;

    let rch = token("RCH", &[Role::Commissioner]);
    let odd = app
        .get(
            "/v1/benchmarks/home_care_hourly_rate/comparison?period=2024/25",
            &rch,
        )
        .await
        .json();
    assert_eq!(
        (
            &odd["count"],
            &odd["min"],
            &odd["median"],
            &odd["max"],
            &odd["mean"]
        ),
        (
            &json!(3),
            &json!(1950),
            &json!(2020),
            &json!(2100),
            &json!(2023)
        )
    );
    let ranks: Vec<(&str, u64, i64)> = odd["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["authority"].as_str().unwrap(),
                v["rank"].as_u64().unwrap(),
                v["distance_from_median"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ranks, vec![("RCH", 2, 0), ("SKP", 3, 80), ("TAM", 1, -70)]);
    assert_eq!(odd["caller"]["authority"], "RCH");
    assert_eq!(odd["caller"]["rank"], 2);

    let even = app
        .get(
            "/v1/benchmarks/home_care_hourly_rate/comparison?period=2025/26",
            &rch,
        )
        .await
        .json();
    assert_eq!(
        (
            &even["count"],
            &even["min"],
            &even["median"],
            &even["max"],
            &even["mean"]
        ),
        (
            &json!(4),
            &json!(2050),
            &json!(2176),
            &json!(2310),
            &json!(2178)
        )
    );
    assert_eq!(even["caller"]["rank"], 2);
    assert_eq!(even["caller"]["distance_from_median"], -26);

    let higher = app
        .get(
            "/v1/benchmarks/direct_payment_uptake/comparison?period=2025/26",
            &token("SKP", &[Role::Partner]),
        )
        .await
        .json();
    assert_eq!(higher["median"], 3000);
    assert_eq!(higher["mean"], 2833);
    assert_eq!(higher["caller"]["rank"], 3);
    let ranks: Vec<u64> = higher["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, vec![1, 3, 1]); // RCH, SKP, TAM

    // Trafford posted nothing: no position of its own.
    let trf = app
        .get(
            "/v1/benchmarks/direct_payment_uptake/comparison?period=2025/26",
            &token("TRF", &[Role::Partner]),
        )
        .await
        .json();
    assert!(trf["caller"].is_null());

    // Trend per authority over the years.
    let t = app
        .get(
            "/v1/benchmarks/home_care_hourly_rate/trend?from=2024/25&to=2025/26",
            &rch,
        )
        .await;
    assert_eq!(t.status, 200, "{}", String::from_utf8_lossy(&t.body));
    let t = t.json();
    assert_eq!(t["periods"], json!(["2024/25", "2025/26"]));
    assert_eq!(t["authorities"][0]["authority"], "RCH");
    assert_eq!(
        t["authorities"][0]["values"],
        json!([{"period": "2024/25", "value": 2020}, {"period": "2025/26", "value": 2150}])
    );
    assert_eq!(t["authorities"][2]["authority"], "TAM");
    let only = app
        .get(
            "/v1/benchmarks/home_care_hourly_rate/trend?from=2025/26&to=2025/26",
            &rch,
        )
        .await
        .json();
    assert_eq!(only["periods"], json!(["2025/26"]));

    // Errors.
    app.get(
        "/v1/benchmarks/no_such_metric/comparison?period=2025/26",
        &rch,
    )
    .await
    .problem(404);
    let r = app
        .get(
            "/v1/benchmarks/home_care_hourly_rate/comparison?period=2025",
            &rch,
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["period"]);
    let r = app
        .get(
            "/v1/benchmarks/home_care_hourly_rate/trend?from=2025/26&to=2024/25",
            &rch,
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["to"]);
    app.send(
        TestRequest::get().uri("/v1/benchmarks/home_care_hourly_rate/comparison?period=2025/26"),
    )
    .await
    .problem(401);
}

#[actix_web::test]
async fn measures_count_by_status_and_year_with_the_change_on_the_year() {
    let app = TestApp::spawn().await;
    let rch = token("RCH", &[Role::Commissioner]);
    // 2024/25: two opportunities; 2025/26: five (+150%).
    for (year, status, achieved) in [
        ("2024/25", "delivered", Some(1_000_000)),
        ("2024/25", "closed", None),
        ("2025/26", "idea", None),
        ("2025/26", "scoping", None),
        ("2025/26", "idea", None),
        ("2025/26", "idea", None),
        ("2025/26", "idea", None),
    ] {
        let opp = opportunity(
            &app,
            "RCH",
            json!({"title": "Opportunity", "category": "home-care", "financial_year": year,
                   "estimated_savings_pence": 500_000}),
        )
        .await;
        let path = format!("{OPPS}/{}", opp["id"].as_str().unwrap());
        let steps: &[&str] = match status {
            "delivered" => &["scoping", "agreed", "procuring", "delivered"],
            "closed" => &["closed"],
            "scoping" => &["scoping"],
            _ => &[],
        };
        for step in steps {
            assert_eq!(
                app.patch(&path, &rch, &json!({"status": step}))
                    .await
                    .status,
                200
            );
        }
        if let Some(achieved) = achieved {
            assert_eq!(
                app.patch(&path, &rch, &json!({"achieved_savings_pence": achieved}))
                    .await
                    .status,
                200
            );
        }
    }
    let m = app
        .get(
            "/v1/collaboration/measures",
            &token("TAM", &[Role::Auditor]),
        )
        .await;
    assert_eq!(m.status, 200, "{}", String::from_utf8_lossy(&m.body));
    let m = m.json();
    assert_eq!(m["total"], 7);
    assert_eq!(
        m["by_status"],
        json!([{"status": "idea", "count": 4}, {"status": "scoping", "count": 1}, {"status": "agreed", "count": 0},
               {"status": "procuring", "count": 0}, {"status": "delivered", "count": 1}, {"status": "closed", "count": 1}])
    );
    assert_eq!(m["by_financial_year"][0]["financial_year"], "2024/25");
    assert_eq!(m["by_financial_year"][0]["count"], 2);
    assert!(m["by_financial_year"][0]["change_percent"].is_null());
    assert_eq!(m["by_financial_year"][1]["count"], 5);
    assert_eq!(m["by_financial_year"][1]["change_percent"], 150);
    assert_eq!(m["savings_delivered_pence"], 1_000_000);
    assert_eq!(m["estimated_savings_pence"], 3_500_000);
    // Only those Tameside takes part in: none.
    let tam = app
        .get("/v1/collaboration/measures?authority=TAM", &rch)
        .await
        .json();
    assert_eq!(tam["total"], 0);
}

#[actix_web::test]
async fn the_demo_holds_a_dozen_opportunities_and_three_years_of_benchmarks_and_loads_once() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.connection();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    let reader = token("RCH", &[Role::Partner]);
    let list = app.get(&format!("{OPPS}?limit=500"), &reader).await.json();
    assert_eq!(list["items"].as_array().unwrap().len(), 12);
    let m = app.get("/v1/collaboration/measures", &reader).await.json();
    assert_eq!(m["by_financial_year"][1]["financial_year"], "2025/26");
    assert_eq!(m["by_financial_year"][1]["change_percent"], 150);
    let c = app
        .get(
            "/v1/benchmarks/home_care_hourly_rate/comparison?period=2025/26",
            &reader,
        )
        .await
        .json();
    assert_eq!(c["count"], 4);
    assert_eq!(c["caller"]["authority"], "RCH");
    let t = app
        .get(
            "/v1/benchmarks/direct_payment_uptake/trend?from=2023/24&to=2025/26",
            &reader,
        )
        .await
        .json();
    assert_eq!(t["authorities"].as_array().unwrap().len(), 4);
    assert_eq!(t["periods"].as_array().unwrap().len(), 3);
    // A new opportunity after the demo takes the next reference, not one the demo holds.
    let created = opportunity(
        &app,
        "SKP",
        json!({"title": "New", "category": "carers", "financial_year": "2026/27"}),
    )
    .await;
    assert_eq!(created["status"], "idea");
    let candidates = app
        .get(
            "/v1/collaboration/candidates?financial_year=2026/27",
            &reader,
        )
        .await;
    assert_eq!(candidates.status, 200);
}

#[actix_web::test]
async fn a_note_honours_if_match_because_it_moves_the_opportunity_on() {
    let app = TestApp::spawn().await;
    let opp = opportunity(
        &app,
        "RCH",
        json!({"title": "Joint carers' service", "category": "carers", "financial_year": "2026/27"}),
    )
    .await;
    let path = format!("{OPPS}/{}/notes", opp["id"].as_str().unwrap());
    let t = token("RCH", &[Role::Commissioner]);
    let note = json!({"text": "A shared carers' assessment cut duplicate visits."});
    let stale = app
        .send(
            TestRequest::post()
                .uri(&path)
                .insert_header(bearer(&t))
                .insert_header(("If-Match", "\"99\""))
                .set_json(&note),
        )
        .await;
    stale.problem(412);
    let malformed = app
        .send(
            TestRequest::post()
                .uri(&path)
                .insert_header(bearer(&t))
                .insert_header(("If-Match", "99"))
                .set_json(&note),
        )
        .await;
    malformed.problem(400);
    let current = format!("\"{}\"", opp["version"]);
    let fresh = app
        .send(
            TestRequest::post()
                .uri(&path)
                .insert_header(bearer(&t))
                .insert_header(("If-Match", current))
                .set_json(&note),
        )
        .await;
    assert_eq!(
        fresh.status,
        201,
        "{}",
        String::from_utf8_lossy(&fresh.body)
    );
}
