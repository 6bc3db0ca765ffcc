//! Off-contract spend over HTTP: importing a spend file (matching by normalised supplier and
//! term, idempotent on the line reference, refused whole with row numbers), the lines with their
//! match, and the off-contract total and share by authority, quarter and supplier.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::governance::contract;
use crate::helpers::{Reply, TestApp, bearer, token};

const BODY: &str = "Rochdale Metropolitan Borough Council";

/// The fixture file: worked by hand below, against the contracts `setup` makes.
fn fixture_file() -> String {
    [
        "Body,Date,Supplier,Amount,Expense Type,Reference,Service Area",
        // Matched: the name differs only in case and legal form; inside the term.
        &format!("{BODY},2026-04-14,PENNINE CARE AT HOME LIMITED,48250.00,Home care,RCH-1,Adults"),
        // After Bright Days' term ended: off contract (£3,500 is above £500).
        &format!("{BODY},15/07/2026,Bright Days Care Ltd.,\"3,500.00\",Day services,RCH-2,Adults"),
        // No contract, £150: below the threshold.
        &format!("{BODY},2026-05-01,The Corner Shop,150.00,Supplies,RCH-3,Adults"),
        // Moss Care's contract is Tameside's, not Rochdale's: unmatched; exactly £500 is not above.
        "RCH,2026-05-02,Moss Care Ltd,500.00,Respite,RCH-4,Adults",
        // One penny above the threshold: off contract.
        "E08000005,2026-05-03,Moss Care Ltd,500.01,Respite,RCH-5,Adults",
        // The last day of Bright Days' term: matched.
        &format!("{BODY},2026-06-30,Bright Days Care,1000,Day services,RCH-6,Adults"),
    ]
    .join("\n")
        + "\n"
}

async fn setup(app: &TestApp) -> (String, String) {
    let pennine = contract(
        app,
        "RCH",
        "RCH-C-1",
        "Pennine Care at Home Ltd",
        "2024-04-01",
        "2027-03-31",
    )
    .await;
    let bright = contract(
        app,
        "RCH",
        "RCH-C-2",
        "Bright Days Care Ltd",
        "2026-01-01",
        "2026-06-30",
    )
    .await;
    contract(
        app,
        "TAM",
        "TAM-C-1",
        "Moss Care Ltd",
        "2024-04-01",
        "2027-03-31",
    )
    .await;
    (pennine, bright)
}

async fn import(app: &TestApp, authority: &str, csv: impl Into<Vec<u8>>) -> Reply {
    app.send(
        TestRequest::post()
            .uri("/v1/spend/import")
            .insert_header(bearer(&token(authority, &[Role::Finance])))
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(csv.into()),
    )
    .await
}

async fn list(app: &TestApp, token: &str, query: &str) -> Reply {
    app.get(&format!("/v1/spend/lines?{query}"), token).await
}

fn count_lines(app: &TestApp) -> i64 {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM spend_lines)",
    ))
    .get_result(&mut app.db.connection())
    .unwrap()
}

/// One group's figures: lines, total, matched, off contract, below threshold, off-contract lines.
fn row(group: Value, f: [i64; 6], share: Value) -> Value {
    json!({"group": group, "lines": f[0], "total_pence": f[1], "matched_pence": f[2],
        "off_contract_pence": f[3], "below_threshold_pence": f[4], "off_contract_lines": f[5],
        "off_contract_share_bp": share})
}

#[actix_web::test]
async fn a_spend_file_is_matched_by_supplier_and_term_and_re_importing_adds_nothing() {
    let app = TestApp::spawn().await;
    let (pennine, bright) = setup(&app).await;
    let reply = import(&app, "RCH", fixture_file()).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.json(),
        json!({"lines": 6, "imported": 6, "already_imported": 0, "matched": 2, "unmatched": 4})
    );
    let again = import(&app, "RCH", fixture_file()).await;
    assert_eq!(again.status, 201);
    assert_eq!(
        again.json(),
        json!({"lines": 6, "imported": 0, "already_imported": 6, "matched": 0, "unmatched": 0})
    );
    assert_eq!(count_lines(&app), 6);

    let t = token("TAM", &[Role::Auditor]);
    let all = app.get("/v1/spend/lines?authority=RCH", &t).await.json();
    let items = all["items"].as_array().unwrap();
    let by_ref = |r: &str| items.iter().find(|i| i["reference"] == r).unwrap().clone();
    assert_eq!(by_ref("RCH-1")["contract_id"], pennine.as_str());
    assert_eq!(by_ref("RCH-1")["match"], "matched");
    assert_eq!(by_ref("RCH-1")["supplier_key"], "pennine care at home");
    assert_eq!(by_ref("RCH-1")["amount_pence"], 4_825_000);
    assert_eq!(by_ref("RCH-6")["contract_id"], bright.as_str());
    assert_eq!(by_ref("RCH-2")["match"], "off_contract");
    assert_eq!(by_ref("RCH-2")["payment_date"], "2026-07-15");
    assert_eq!(by_ref("RCH-2")["amount_pence"], 350_000);
    assert_eq!(by_ref("RCH-3")["match"], "below_threshold");
    assert_eq!(by_ref("RCH-4")["match"], "below_threshold");
    assert_eq!(by_ref("RCH-4")["contract_id"], Value::Null);
    assert_eq!(by_ref("RCH-5")["match"], "off_contract");
    assert_eq!(by_ref("RCH-4")["body"], "RCH");

    let refs = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["reference"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        refs(list(&app, &t, "match=off_contract").await.json()),
        ["RCH-2", "RCH-5"]
    );
    assert_eq!(
        refs(list(&app, &t, "match=below_threshold").await.json()),
        ["RCH-3", "RCH-4"]
    );
    assert_eq!(
        refs(list(&app, &t, "match=matched").await.json()),
        ["RCH-1", "RCH-6"]
    );
    // A lower threshold makes more lines off contract, and a line list says so.
    let low = list(&app, &t, "match=off_contract&threshold_pence=10000")
        .await
        .json();
    assert_eq!(refs(low), ["RCH-2", "RCH-3", "RCH-4", "RCH-5"]);
    assert_eq!(
        refs(
            list(&app, &t, "supplier=moss%20care%20limited")
                .await
                .json()
        ),
        ["RCH-4", "RCH-5"]
    );
    assert_eq!(
        refs(list(&app, &t, "from=2026-05-01&to=2026-05-02").await.json()),
        ["RCH-3", "RCH-4"]
    );
    assert_eq!(
        refs(
            list(&app, &t, &format!("contract_id={bright}"))
                .await
                .json()
        ),
        ["RCH-6"]
    );
    let page = list(&app, &t, "limit=4").await.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 4);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    assert_eq!(
        refs(
            list(&app, &t, &format!("limit=4&cursor={cursor}"))
                .await
                .json()
        ),
        ["RCH-5", "RCH-6"]
    );
    list(&app, &t, "match=maybe").await.problem(422);
    list(&app, &t, "threshold_pence=-1").await.problem(422);

    // Each line has its audit event.
    let events: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM audit_events WHERE entity_type = 'spend_line' AND action = 'import')",
    ))
    .get_result(&mut app.db.connection())
    .unwrap();
    assert_eq!(events, 6);
}

/// The measure over the fixture, worked by hand: total 5,390,001p; matched 4,825,000 + 100,000 =
/// 4,925,000; off contract 350,000 + 50,001 = 400,001 (share 400,001 / 5,390,001 = 742.1 bp → 742);
/// below threshold 15,000 + 50,000 = 65,000. Q1 holds every line but RCH-2 (5 lines, 5,040,001p,
/// off contract 50,001: 99.2 bp → 99); Q2 only RCH-2 (all off contract: 10000 bp).
#[actix_web::test]
async fn off_contract_spend_gives_the_total_and_share_by_authority_quarter_and_supplier() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    assert_eq!(import(&app, "RCH", fixture_file()).await.status, 201);
    let t = token("SKP", &[Role::Auditor]);
    let r = app.get("/v1/spend/off-contract", &t).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = r.json();
    assert_eq!(r["group_by"], json!(["authority"]));
    assert_eq!(r["threshold_pence"], 50_000);
    let everything = [6, 5_390_001, 4_925_000, 400_001, 65_000, 2];
    assert_eq!(
        r["rows"],
        json!([row(json!({"authority": "RCH"}), everything, json!(742))])
    );
    assert_eq!(r["totals"], row(json!({}), everything, json!(742)));

    let q = app
        .get(
            "/v1/spend/off-contract?group_by=authority,quarter&authority=RCH&from=2026-04-01&to=2027-03-31",
            &t,
        )
        .await
        .json();
    assert_eq!(
        q["rows"],
        json!([
            row(
                json!({"authority": "RCH", "quarter": "2026/27 Q1"}),
                [5, 5_040_001, 4_925_000, 50_001, 65_000, 1],
                json!(99)
            ),
            row(
                json!({"authority": "RCH", "quarter": "2026/27 Q2"}),
                [1, 350_000, 0, 350_000, 0, 1],
                json!(10_000)
            ),
        ])
    );

    let s = app
        .get("/v1/spend/off-contract?group_by=supplier", &t)
        .await
        .json();
    assert_eq!(
        s["rows"],
        json!([
            row(
                json!({"supplier": "Bright Days Care"}),
                [2, 450_000, 100_000, 350_000, 0, 1],
                json!(7778)
            ),
            row(
                json!({"supplier": "The Corner Shop"}),
                [1, 15_000, 0, 0, 15_000, 0],
                json!(0)
            ),
            row(
                json!({"supplier": "Moss Care Ltd"}),
                [2, 100_001, 0, 50_001, 50_000, 1],
                json!(5000)
            ),
            row(
                json!({"supplier": "PENNINE CARE AT HOME LIMITED"}),
                [1, 4_825_000, 4_825_000, 0, 0, 0],
                json!(0)
            ),
        ])
    );
    // The threshold is the caller's to set: at 0 every unmatched line is off contract.
    let zero = app
        .get("/v1/spend/off-contract?group_by=&threshold_pence=0", &t)
        .await
        .json();
    assert_eq!(zero["totals"]["off_contract_pence"], 465_001);
    assert_eq!(zero["totals"]["off_contract_share_bp"], 863);
    assert_eq!(zero["rows"][0]["group"], json!({}));
    // Another authority, or a period with no spend, has no rows and no share.
    let none = app
        .get("/v1/spend/off-contract?authority=TAM", &t)
        .await
        .json();
    assert_eq!(none["rows"], json!([]));
    assert_eq!(none["totals"]["off_contract_share_bp"], Value::Null);

    for (query, field) in [
        ("group_by=supplier,supplier", "group_by"),
        ("group_by=category", "group_by"),
        ("from=2027-01-01&to=2026-01-01", "to"),
        ("threshold_pence=abc", "threshold_pence"),
        ("authority=rochdale", "authority"),
    ] {
        assert_eq!(
            app.get(&format!("/v1/spend/off-contract?{query}"), &t)
                .await
                .invalid_fields(),
            vec![field],
            "{query}"
        );
    }
    app.get("/v1/spend/off-contract", "nope").await.problem(401);
}

#[actix_web::test]
async fn a_bad_spend_file_is_refused_whole_with_row_numbers() {
    let app = TestApp::spawn().await;
    setup(&app).await;
    let csv = [
        "Body,Date,Supplier,Amount,Expense Type,Reference",
        &format!("{BODY},2026-04-14,Pennine Care at Home Ltd,48250.00,Home care,RCH-1"),
        &format!("{BODY},31/13/2026,Pennine Care at Home Ltd,10.00,Home care,RCH-2"),
        &format!("{BODY},2026-04-15,,12.345,Home care,RCH-3"),
        "Tameside Metropolitan Borough Council,2026-04-15,Moss Care,10.00,Respite,RCH-4",
        &format!("{BODY},2026-04-16,Pennine Care at Home Ltd,10.00,Home care,RCH-1"),
        &format!("{BODY},2026-04-16,Pennine Care at Home Ltd,10.00"),
    ]
    .join("\n");
    let reply = import(&app, "RCH", csv).await;
    let fields = reply.invalid_fields();
    assert_eq!(
        fields,
        vec![
            "row 3: date",
            "row 4: supplier",
            "row 4: amount",
            "row 5: body",
            "row 6: reference",
            "row 7",
        ]
    );
    assert!(
        reply.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("nothing was imported: 5 rows have 6 problems")
    );
    assert_eq!(count_lines(&app), 0);

    // A header without a required column.
    let fields = import(&app, "RCH", "Body,Date,Supplier,Amount\nx,2026-01-01,y,1\n")
        .await
        .invalid_fields();
    assert_eq!(fields, vec!["header"]);
    // A header and nothing else.
    assert_eq!(
        import(&app, "RCH", "Date,Supplier,Amount,Reference\n")
            .await
            .invalid_fields(),
        vec!["(body)"]
    );

    // A changed amount for a reference already imported is refused, naming the row.
    assert_eq!(import(&app, "RCH", fixture_file()).await.status, 201);
    let changed = fixture_file().replace("48250.00", "48251.00");
    let reply = import(&app, "RCH", changed).await;
    assert_eq!(reply.invalid_fields(), vec!["row 2: reference"]);
    assert!(
        reply.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("was imported before as 48250.00")
    );
    assert_eq!(count_lines(&app), 6);
    // The same references in another authority's file are that authority's own.
    let tam = "Body,Date,Supplier,Amount,Reference\nTAM,2026-04-14,Moss Care Ltd,100.00,RCH-1\n";
    let reply = import(&app, "TAM", tam).await;
    assert_eq!(reply.status, 201);
    assert_eq!(reply.json()["matched"], 1);
}

#[actix_web::test]
async fn a_spend_import_needs_a_token_a_role_and_csv() {
    let app = TestApp::spawn().await;
    let file = fixture_file();
    app.send(
        TestRequest::post()
            .uri("/v1/spend/import")
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(file.clone()),
    )
    .await
    .problem(401);
    app.send(
        TestRequest::post()
            .uri("/v1/spend/import")
            .insert_header(bearer(&token("RCH", &[Role::Commissioner])))
            .insert_header(("Content-Type", "text/csv"))
            .set_payload(file.clone()),
    )
    .await
    .problem(403);
    app.send(
        TestRequest::post()
            .uri("/v1/spend/import")
            .insert_header(bearer(&token("RCH", &[Role::Finance])))
            .insert_header(("Content-Type", "application/json"))
            .set_payload(file.clone()),
    )
    .await
    .problem(415);
    // A retry with the same key replays the first answer.
    let send = || {
        TestRequest::post()
            .uri("/v1/spend/import")
            .insert_header(bearer(&token("RCH", &[Role::Finance])))
            .insert_header(("Content-Type", "text/csv"))
            .insert_header(("Idempotency-Key", "spend-2026-04"))
            .set_payload(file.clone())
    };
    let first = app.send(send()).await;
    let second = app.send(send()).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.json(), second.json());
    assert_eq!(
        second.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(first.json()["imported"], 6);
}

#[actix_web::test]
async fn the_demo_data_holds_waivers_breaches_and_a_spend_file_matched_as_an_import_would() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.connection();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    let t = token("RCH", &[Role::Auditor]);
    let waivers = app.get("/v1/waivers", &t).await.json();
    let statuses: Vec<&str> = waivers["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 6);
    for s in ["requested", "approved", "refused", "withdrawn"] {
        assert!(statuses.contains(&s), "{s}");
    }
    let breaches = app.get("/v1/breaches?authority=RCH", &t).await.json();
    assert_eq!(breaches["items"].as_array().unwrap().len(), 3);
    let report = app
        .get(
            "/v1/governance/report?from=2026-04-01&to=2027-03-31&authority=RCH",
            &t,
        )
        .await
        .json();
    assert_eq!(report["totals"]["waivers_requested_count"], 4);
    assert_eq!(report["totals"]["waivers_approved_count"], 1);
    assert_eq!(report["totals"]["waivers_refused_count"], 1);
    assert_eq!(report["totals"]["breaches_count"], 2);
    // Every demo line's key is what an import would compute, and its match what it would find.
    let lines = app.get("/v1/spend/lines?authority=RCH", &t).await.json();
    let lines = lines["items"].as_array().unwrap();
    assert_eq!(lines.len(), 8);
    for l in lines {
        assert_eq!(
            l["supplier_key"],
            commissioning_hub::domain::spend::supplier_key(l["supplier_name"].as_str().unwrap()),
        );
    }
    let matches: Vec<&str> = lines.iter().map(|l| l["match"].as_str().unwrap()).collect();
    assert_eq!(
        matches,
        [
            "matched",
            "matched",
            "matched",
            "off_contract",
            "below_threshold",
            "off_contract",
            "matched",
            "off_contract"
        ]
    );
    // Re-importing the same lines as a file adds nothing and agrees on every match.
    let mut csv = String::from("Body,Date,Supplier,Amount,Expense Type,Reference\n");
    for l in lines {
        csv.push_str(&format!(
            "{},{},{},{},{},{}\n",
            l["body"].as_str().unwrap(),
            l["payment_date"].as_str().unwrap(),
            l["supplier_name"].as_str().unwrap(),
            commissioning_hub::domain::savings::pounds(l["amount_pence"].as_i64().unwrap()),
            l["expense_type"].as_str().unwrap(),
            l["reference"].as_str().unwrap(),
        ));
    }
    let again = import(&app, "RCH", csv.clone()).await;
    assert_eq!(
        again.status,
        201,
        "{}",
        String::from_utf8_lossy(&again.body)
    );
    assert_eq!(again.json()["already_imported"], 8);
    let fresh = TestApp::spawn().await;
    let mut conn = fresh.db.connection();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    diesel::sql_query("DELETE FROM spend_lines")
        .execute(&mut conn)
        .unwrap();
    let imported = import(&fresh, "RCH", csv).await.json();
    assert_eq!(imported["matched"], 4);
    assert_eq!(imported["unmatched"], 4);
}
