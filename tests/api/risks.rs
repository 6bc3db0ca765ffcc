//! The risk register over HTTP: create, read, list (score order, filters, paging), update, who
//! may write, the audit trail, and the demo data (contracts and the Doncaster plan's risks).

use std::collections::HashSet;

use actix_web::test::TestRequest;
use chrono::Datelike;
use commissioning_hub::auth::Role;
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, new_intention, token};

fn new_risk() -> Value {
    json!({
        "title": "Sufficient support from Corporate Procurement cannot be released",
        "description": "Breaches and waivers keep being reported to audit committee.",
        "likelihood": 3,
        "impact": 4,
        "mitigation": "Agree the arrangements with Corporate Procurement.",
        "owner": "Head of Procurement"
    })
}

async fn create(app: &TestApp, authority: &str, body: &Value) -> Value {
    let reply = app
        .post("/v1/risks", &token(authority, &[Role::Procurement]), body)
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

async fn create_intention(app: &TestApp, authority: &str) -> String {
    let reply = app
        .post(
            "/v1/commissioning-intentions",
            &token(authority, &[Role::Commissioner]),
            &new_intention(),
        )
        .await;
    assert_eq!(reply.status, 201);
    reply.json()["id"].as_str().unwrap().to_string()
}

/// A contract of `authority`, straight into the table (the contracts API is not part of this area).
fn insert_contract(app: &TestApp, authority: &str, reference: &str) -> String {
    let id = uuid::Uuid::now_v7();
    diesel::sql_query(format!(
        "INSERT INTO contracts (id, authority_id, reference, title, supplier_name, category_id, start_date, end_date, created_by)
         SELECT '{id}', a.id, '{reference}', 'Home care: test patch', 'Test Care Ltd', c.id, '2024-04-01', '2027-03-31', 'test'
           FROM authorities a, categories c WHERE a.code = '{authority}' AND c.code = 'home-care'"
    ))
    .execute(&mut app.db.connection())
    .unwrap();
    id.to_string()
}

fn year() -> i32 {
    chrono::Utc::now().year()
}

#[actix_web::test]
async fn a_risk_is_created_read_listed_and_patched_with_its_score_kept_up_to_date() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    let reply = app
        .send(
            TestRequest::post()
                .uri("/v1/risks")
                .insert_header(bearer(&t))
                .insert_header(("X-Request-Id", "req-risk-1"))
                .set_json(new_risk()),
        )
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let created = reply.json();
    let id = created["id"].as_str().unwrap();
    let path = format!("/v1/risks/{id}");
    assert_eq!(reply.header("location").unwrap(), path);
    assert_eq!(reply.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(created["reference"], format!("RCH-RISK-{}-0001", year()));
    assert_eq!(created["authority"], "RCH");
    assert_eq!(created["score"], 12);
    assert_eq!(created["status"], "open", "open by default");
    assert_eq!(created["owner"], "Head of Procurement");
    assert!(created["intention_id"].is_null() && created["contract_id"].is_null());
    assert_eq!(created["version"], 1);
    assert_eq!(created["created_by"], "tester@RCH");

    let read = app.get(&path, &token("TAM", &[Role::Finance])).await;
    assert_eq!(
        read.status, 200,
        "any authenticated caller reads any register"
    );
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(read.json(), created);

    let list = app.get("/v1/risks", &token("TRF", &[Role::Auditor])).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["items"], json!([created.clone()]));
    assert!(list.json()["next_cursor"].is_null());

    let reply = app
        .send(
            TestRequest::patch()
                .uri(&path)
                .insert_header(bearer(&t))
                .insert_header(("If-Match", "\"1\""))
                .insert_header(("Content-Type", "application/merge-patch+json"))
                .set_payload(r#"{"likelihood": 5, "status": "mitigating"}"#),
        )
        .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.header("etag").as_deref(), Some("\"2\""));
    let patched = reply.json();
    assert_eq!(patched["likelihood"], 5);
    assert_eq!(patched["score"], 20, "the score follows the likelihood");
    assert_eq!(patched["status"], "mitigating");
    assert_eq!(patched["version"], 2);
    for unchanged in [
        "title",
        "description",
        "impact",
        "mitigation",
        "owner",
        "reference",
        "created_at",
    ] {
        assert_eq!(
            patched[unchanged], created[unchanged],
            "{unchanged} should not change"
        );
    }
    // The stored, generated score moved too: the list filters on it.
    let high = app.get("/v1/risks?min_score=20", &t).await.json();
    assert_eq!(high["items"][0]["id"], created["id"]);

    let audit = app
        .get(
            &format!("/v1/audit-events?entity_id={id}"),
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    let events = audit["items"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["action"], "create");
    assert_eq!(events[0]["entity_type"], "risk");
    assert_eq!(events[0]["request_id"], "req-risk-1");
    assert!(events[0]["before"].is_null());
    assert_eq!(events[0]["after"], created);
    assert_eq!(events[1]["action"], "update");
    assert_eq!(events[1]["before"]["score"], 12);
    assert_eq!(events[1]["after"], patched);
}

#[actix_web::test]
async fn links_must_be_records_of_the_same_authority() {
    let app = TestApp::spawn().await;
    let own_intention = create_intention(&app, "RCH").await;
    let other_intention = create_intention(&app, "TAM").await;
    let own_contract = insert_contract(&app, "RCH", "RCH-C-2024-0001");
    let other_contract = insert_contract(&app, "TAM", "TAM-C-2024-0001");
    let own_pid = crate::pids::raise_pid(&app, "RCH", json!({})).await;
    let pid = own_pid["id"].as_str().unwrap().to_string();
    let other_pid = crate::pids::raise_pid(&app, "TAM", json!({})).await;
    let other_pid = other_pid["id"].as_str().unwrap().to_string();

    let mut body = new_risk();
    body["intention_id"] = json!(own_intention);
    body["contract_id"] = json!(own_contract);
    body["pid_id"] = json!(pid);
    let created = create(&app, "RCH", &body).await;
    assert_eq!(created["intention_id"], json!(own_intention));
    assert_eq!(created["contract_id"], json!(own_contract));
    assert_eq!(created["pid_id"], json!(pid));
    let by_pid = app
        .get(
            &format!("/v1/risks?pid_id={pid}"),
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    assert_eq!(by_pid["items"].as_array().unwrap().len(), 1);

    let t = token("RCH", &[Role::Procurement]);
    let unknown = "0193f000-0000-7000-8000-00000000beef";
    for (field, value) in [
        ("intention_id", unknown),
        ("contract_id", unknown),
        ("intention_id", other_intention.as_str()),
        ("contract_id", other_contract.as_str()),
        ("pid_id", unknown),
        ("pid_id", other_pid.as_str()),
    ] {
        let mut body = new_risk();
        body[field] = json!(value);
        let reply = app.post("/v1/risks", &t, &body).await;
        assert_eq!(reply.invalid_fields(), [field], "{field} = {value}");
    }
    let mut both = new_risk();
    both["intention_id"] = json!(other_intention);
    both["contract_id"] = json!(unknown);
    let reply = app.post("/v1/risks", &t, &both).await;
    assert_eq!(reply.invalid_fields(), ["intention_id", "contract_id"]);
    let detail = reply.json()["errors"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(detail.contains("belongs to TAM"), "{detail}");

    // Patches are checked the same way; clearing a link is always allowed.
    let path = format!("/v1/risks/{}", created["id"].as_str().unwrap());
    let reply = app
        .patch(&path, &t, &json!({"contract_id": other_contract}))
        .await;
    assert_eq!(reply.invalid_fields(), ["contract_id"]);
    let reply = app
        .patch(&path, &t, &json!({"intention_id": other_intention}))
        .await;
    assert_eq!(reply.invalid_fields(), ["intention_id"]);
    let reply = app
        .patch(&path, &t, &json!({"contract_id": null, "pid_id": null}))
        .await;
    assert_eq!(reply.status, 200);
    let cleared = reply.json();
    assert!(cleared["contract_id"].is_null() && cleared["pid_id"].is_null());
    assert_eq!(cleared["intention_id"], json!(own_intention));

    // Only the links listed count: only risks of the own contract were linked.
    let linked = app
        .get(&format!("/v1/risks?intention_id={own_intention}"), &t)
        .await
        .json();
    assert_eq!(linked["items"].as_array().unwrap().len(), 1);
    let linked = app
        .get(&format!("/v1/risks?contract_id={own_contract}"), &t)
        .await
        .json();
    assert_eq!(
        linked["items"].as_array().unwrap().len(),
        0,
        "the link was cleared"
    );
}

#[actix_web::test]
async fn invalid_values_are_refused_naming_their_fields() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    for (field, value) in [
        ("likelihood", json!(0)),
        ("likelihood", json!(6)),
        ("impact", json!(0)),
        ("impact", json!(6)),
        ("status", json!("forgotten")),
        ("intention_id", json!("not-a-uuid")),
    ] {
        let mut body = new_risk();
        body[field] = value.clone();
        let reply = app.post("/v1/risks", &t, &body).await;
        assert_eq!(reply.invalid_fields(), [field], "{field} = {value}");
    }
    let mut body = new_risk();
    body["title"] = json!("   ");
    body["owner"] = json!("");
    let reply = app.post("/v1/risks", &t, &body).await;
    assert_eq!(reply.invalid_fields(), ["title", "owner"]);
    let mut body = new_risk();
    body["score"] = json!(25);
    let reply = app.post("/v1/risks", &t, &body).await;
    reply.problem(422);
    let mut body = new_risk();
    body.as_object_mut().unwrap().remove("likelihood");
    let reply = app.post("/v1/risks", &t, &body).await;
    assert_eq!(reply.invalid_fields(), ["likelihood"]);

    let created = create(&app, "RCH", &new_risk()).await;
    let path = format!("/v1/risks/{}", created["id"].as_str().unwrap());
    let reply = app.patch(&path, &t, &json!({"impact": 6})).await;
    assert_eq!(reply.invalid_fields(), ["impact"]);
    let reply = app.patch(&path, &t, &json!({"owner": " "})).await;
    assert_eq!(reply.invalid_fields(), ["owner"]);
    let reply = app.patch(&path, &t, &json!({"score": 1})).await;
    reply.problem(422);
    assert_eq!(
        app.get(&path, &t).await.json()["version"],
        1,
        "nothing changed"
    );

    for query in ["min_score=0", "min_score=26", "min_score=high"] {
        let reply = app.get(&format!("/v1/risks?{query}"), &t).await;
        assert_eq!(reply.invalid_fields(), ["min_score"], "{query}");
    }
    for cursor in ["nonsense", "AAAA", "AAAAAAAAAAAAAAAAAAAAAAAA"] {
        let reply = app.get(&format!("/v1/risks?cursor={cursor}"), &t).await;
        assert_eq!(reply.invalid_fields(), ["cursor"], "{cursor}");
    }
    let reply = app.get("/v1/risks?status=forgotten", &t).await;
    assert_eq!(reply.invalid_fields(), ["status"]);
}

#[actix_web::test]
async fn writes_need_a_writing_role_of_the_owning_authority() {
    let app = TestApp::spawn().await;
    let reply = app
        .send(TestRequest::post().uri("/v1/risks").set_json(new_risk()))
        .await;
    reply.problem(401);
    let reply = app.send(TestRequest::get().uri("/v1/risks")).await;
    reply.problem(401);

    for role in [Role::Finance, Role::Board, Role::Auditor, Role::Partner] {
        let reply = app
            .post("/v1/risks", &token("RCH", &[role]), &new_risk())
            .await;
        reply.problem(403);
    }
    for role in [Role::Commissioner, Role::Procurement, Role::Admin] {
        let reply = app
            .post("/v1/risks", &token("RCH", &[role]), &new_risk())
            .await;
        assert_eq!(reply.status, 201, "{role} may create");
    }

    let created = create(&app, "RCH", &new_risk()).await;
    let path = format!("/v1/risks/{}", created["id"].as_str().unwrap());
    let change = json!({"impact": 5});
    let reply = app
        .patch(&path, &token("TAM", &[Role::Commissioner]), &change)
        .await;
    let problem = reply.problem(403);
    assert!(problem["detail"].as_str().unwrap().contains("RCH"));
    let reply = app
        .patch(&path, &token("RCH", &[Role::Board]), &change)
        .await;
    reply.problem(403);
    let reply = app
        .send(TestRequest::patch().uri(&path).set_json(&change))
        .await;
    reply.problem(401);
    // Another authority may still read it.
    let reply = app.get(&path, &token("TAM", &[Role::Partner])).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json()["version"],
        1,
        "the refused writes changed nothing"
    );
}

#[actix_web::test]
async fn unknown_risks_are_not_found_and_stale_writes_are_refused() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    let missing = "/v1/risks/0193f000-0000-7000-8000-000000000404";
    app.get(missing, &t).await.problem(404);
    app.patch(missing, &t, &json!({"impact": 2}))
        .await
        .problem(404);

    let created = create(&app, "RCH", &new_risk()).await;
    let path = format!("/v1/risks/{}", created["id"].as_str().unwrap());
    let write = |tag: &'static str, impact: i64| {
        TestRequest::patch()
            .uri(&path)
            .insert_header(bearer(&t))
            .insert_header(("If-Match", tag))
            .set_json(json!({"impact": impact}))
    };
    assert_eq!(app.send(write("\"1\"", 2)).await.status, 200);
    app.send(write("\"1\"", 5)).await.problem(412);
    let now = app.get(&path, &t).await.json();
    assert_eq!(now["impact"], 2);
    assert_eq!(now["score"], 6);
}

#[actix_web::test]
async fn a_retried_create_with_the_same_idempotency_key_makes_one_risk() {
    let app = TestApp::spawn().await;
    let t = token("RCH", &[Role::Commissioner]);
    let send = || {
        TestRequest::post()
            .uri("/v1/risks")
            .insert_header(bearer(&t))
            .insert_header(("Idempotency-Key", "risk-retry-1"))
            .set_json(new_risk())
    };
    let first = app.send(send()).await;
    let second = app.send(send()).await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(
        second.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(first.json()["id"], second.json()["id"]);
    let all = app.get("/v1/risks", &t).await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn the_register_filters_and_pages_highest_score_first() {
    let app = TestApp::spawn().await;
    // (authority, likelihood, impact, owner, status): scores 12, 6, 25, 12, 1, 6, 16 and 10.
    let risks = [
        ("RCH", 3, 4, "Head of Procurement", "open"),
        (
            "RCH",
            2,
            3,
            "Commissioning Manager, Older People",
            "mitigating",
        ),
        ("RCH", 5, 5, "Strategic Lead, Adults Commissioning", "open"),
        ("RCH", 4, 3, "head of commissioning and contracts", "open"),
        ("RCH", 1, 1, "Contracts Manager", "closed"),
        ("RCH", 3, 2, "Commissioning Officer, Carers", "realised"),
        ("RCH", 4, 4, "Head of Procurement", "mitigating"),
        ("TAM", 2, 5, "Head of Procurement", "open"),
    ];
    let mut created = Vec::new();
    for (authority, likelihood, impact, owner, status) in risks {
        let mut body = new_risk();
        body["likelihood"] = json!(likelihood);
        body["impact"] = json!(impact);
        body["owner"] = json!(owner);
        body["status"] = json!(status);
        created.push(create(&app, authority, &body).await);
    }
    let t = token("TRF", &[Role::Partner]);
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let count = |q: &'static str| {
        let app = &app;
        let t = t.clone();
        async move {
            let reply = app.get(&format!("/v1/risks?{q}"), &t).await;
            assert_eq!(
                reply.status,
                200,
                "{q}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            reply.json()["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(count("").await, 8);
    assert_eq!(count("authority=RCH").await, 7);
    assert_eq!(count("authority=TAM").await, 1);
    assert_eq!(count("authority=SKP").await, 0);
    assert_eq!(count("min_score=12").await, 4);
    assert_eq!(count("min_score=25").await, 1);
    assert_eq!(count("min_score=1").await, 8);
    assert_eq!(
        count("owner=procurement").await,
        3,
        "case-insensitive substring"
    );
    assert_eq!(count("owner=HEAD%20OF").await, 4);
    assert_eq!(
        count("owner=%25").await,
        0,
        "a % in the owner is matched literally"
    );
    assert_eq!(count("owner=procurement&authority=RCH").await, 2);
    assert_eq!(count("status=open").await, 4);
    assert_eq!(count("status=mitigating").await, 2);
    assert_eq!(count("status=closed").await, 1);
    assert_eq!(count("status=realised").await, 1);
    assert_eq!(count("status=mitigating&min_score=10").await, 1);

    // The whole register, in one page: score descending, ties by id.
    let all = app.get("/v1/risks?limit=500", &t).await.json();
    let scores: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_i64().unwrap())
        .collect();
    assert_eq!(scores, [25, 16, 12, 12, 10, 6, 6, 1]);
    let expected = ids(&all);
    for pair in all["items"].as_array().unwrap().windows(2) {
        if pair[0]["score"] == pair[1]["score"] {
            assert!(
                pair[0]["id"].as_str() < pair[1]["id"].as_str(),
                "ties are in id order"
            );
        }
    }
    let every: HashSet<_> = created
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(expected.iter().cloned().collect::<HashSet<_>>(), every);

    // Two at a time: every risk exactly once, in the same order, pages splitting ties.
    let mut seen = Vec::new();
    let mut uri = "/v1/risks?limit=2".to_string();
    let mut pages = 0;
    loop {
        let page = app.get(&uri, &t).await.json();
        pages += 1;
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/v1/risks?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, expected);
    assert_eq!(pages, 4);

    // Filters and paging together.
    let mut seen = Vec::new();
    let mut uri = "/v1/risks?authority=RCH&min_score=6&limit=3".to_string();
    loop {
        let page = app.get(&uri, &t).await.json();
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => {
                uri = format!("/v1/risks?authority=RCH&min_score=6&limit=3&cursor={cursor}")
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(
        seen,
        expected
            .iter()
            .filter(|id| seen.contains(id))
            .cloned()
            .collect::<Vec<_>>()
    );
}

/// The titles of the Doncaster plan's five key areas of risk, as the demo gives them.
const DONCASTER_RISKS: [&str; 5] = [
    "The priorities change, either in the stratification of the improvement projects or more strategically",
    "Scoping of the improvement projects significantly changes the input required from the Commissioning and Contracts team",
    "The Revised Ways of Working initiative does not yield the required results",
    "Sufficient support from Corporate Procurement cannot be released to address breaches and waivers",
    "The additional support required to bridge the resource gap cannot be secured",
];

fn count_sql(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "({sql})"
    )))
    .get_result(conn)
    .unwrap()
}

#[actix_web::test]
async fn the_demo_holds_a_contract_register_and_the_doncaster_risks_and_loads_once() {
    use commissioning_hub::db::schema::{contracts, risks};

    let app = TestApp::spawn().await;
    let mut conn = app.db.connection();
    commissioning_hub::seed::demo(&mut conn).unwrap();
    let tally = |conn: &mut PgConnection| {
        [
            count_sql(conn, "SELECT count(*) FROM commissioning_intentions"),
            contracts::table.count().get_result::<i64>(conn).unwrap(),
            risks::table.count().get_result::<i64>(conn).unwrap(),
            count_sql(
                conn,
                "SELECT coalesce(sum(last_number), 0) FROM reference_counters",
            ),
        ]
    };
    let once = tally(&mut conn);
    commissioning_hub::seed::demo(&mut conn).unwrap();
    assert_eq!(
        tally(&mut conn),
        once,
        "loading the demo again adds nothing"
    );

    let contracts = once[1];
    assert!(
        (190..=210).contains(&contracts),
        "about 200 contracts, not {contracts}"
    );
    for code in ["SKP", "TAM", "TRF", "RCH"] {
        let n = count_sql(
            &mut conn,
            &format!(
                "SELECT count(*) FROM contracts c JOIN authorities a ON a.id = c.authority_id WHERE a.code = '{code}'"
            ),
        );
        assert!((45..=55).contains(&n), "{code} has {n} contracts");
    }
    assert_eq!(
        count_sql(
            &mut conn,
            "SELECT count(*) FROM contracts WHERE annual_value_pence NOT BETWEEN 10000000 AND 1950000000"
        ),
        0,
        "annual values are £100k to £19.5m"
    );
    let replaced = count_sql(
        &mut conn,
        "SELECT count(*) FROM commissioning_intentions i, unnest(i.replaces_contracts) r",
    );
    assert!(replaced > 40);
    assert_eq!(
        count_sql(
            &mut conn,
            "SELECT count(*) FROM commissioning_intentions i, unnest(i.replaces_contracts) r
              WHERE NOT EXISTS (SELECT 1 FROM contracts c WHERE c.authority_id = i.authority_id AND c.reference = r)"
        ),
        0,
        "every contract an intention replaces is in its authority's register"
    );
    // As at the demo's date, each authority has contracts ending within 18 months that no open
    // intention covers, some that one does, and some ending later.
    let expiring = |covered: bool| {
        format!(
            "SELECT count(DISTINCT a.code) FROM contracts c JOIN authorities a ON a.id = c.authority_id
              WHERE c.status = 'active' AND c.end_date BETWEEN '2026-11-23' AND '2028-05-23'
                AND {} EXISTS (SELECT 1 FROM commissioning_intentions i
                                WHERE i.authority_id = c.authority_id AND c.reference = ANY (i.replaces_contracts)
                                  AND i.status IN ('draft', 'submitted', 'approved', 'deferred', 'in_procurement'))",
            if covered { "" } else { "NOT" }
        )
    };
    assert_eq!(count_sql(&mut conn, &expiring(false)), 4);
    assert_eq!(count_sql(&mut conn, &expiring(true)), 4);
    assert_eq!(
        count_sql(
            &mut conn,
            "SELECT count(DISTINCT authority_id) FROM contracts WHERE end_date > '2028-05-23'"
        ),
        4
    );

    // Every authority has a full 2026/27 plan.
    let t = token("RCH", &[Role::Auditor]);
    for code in ["SKP", "TAM", "TRF", "RCH"] {
        let plan = app
            .get(
                &format!(
                    "/v1/commissioning-intentions?authority={code}&financial_year=2026/27&limit=500"
                ),
                &t,
            )
            .await
            .json();
        let items = plan["items"].as_array().unwrap();
        assert!(
            (8..=10).contains(&items.len()),
            "{code} plans {}",
            items.len()
        );
    }

    // The register, through the API: the Doncaster risks in Rochdale's, once each.
    let register = app.get("/v1/risks?limit=500", &t).await.json();
    let items = register["items"].as_array().unwrap();
    assert_eq!(items.len() as i64, once[2]);
    for title in DONCASTER_RISKS {
        let found: Vec<_> = items.iter().filter(|r| r["title"] == title).collect();
        assert_eq!(found.len(), 1, "{title}");
        assert_eq!(found[0]["authority"], "RCH");
        assert!(!found[0]["mitigation"].as_str().unwrap().is_empty());
    }
    for code in ["SKP", "TAM", "TRF"] {
        assert!(
            items.iter().filter(|r| r["authority"] == code).count() >= 2,
            "{code}"
        );
    }
    let statuses: HashSet<_> = items
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        HashSet::from(["open", "mitigating", "closed", "realised"])
    );
    assert!(items.iter().any(|r| !r["intention_id"].is_null()));
    assert!(items.iter().any(|r| !r["contract_id"].is_null()));
    for r in items {
        assert_eq!(
            r["score"].as_i64().unwrap(),
            r["likelihood"].as_i64().unwrap() * r["impact"].as_i64().unwrap()
        );
    }

    // New risks continue the demo numbering rather than colliding with it.
    let created = create(&app, "RCH", &new_risk()).await;
    assert!(!items.iter().any(|r| r["reference"] == created["reference"]));
}
