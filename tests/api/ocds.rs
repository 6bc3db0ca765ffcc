//! Publication over HTTP: publishing and its refusals, the public OCDS feed (validated against
//! the official OCDS 1.1.5 schemas shipped in tests/fixtures/ocds), cursor paging, tags,
//! withdrawal by unpublishing, ETags, and the pipeline notice's edges.

use std::time::Duration;

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, bearer, fixture, new_intention, token};

const RELEASE_SCHEMA_URL: &str =
    "https://standard.open-contracting.org/schema/1__1__5/release-schema.json";

fn commissioner() -> String {
    token("RCH", &[Role::Commissioner])
}

fn read_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).expect("fixture")).expect("json")
}

/// Validators for the official release package schema and release schema, resolved locally.
struct Schemas {
    package: jsonschema::Validator,
    release: jsonschema::Validator,
}

impl Schemas {
    fn load() -> Self {
        let release = read_json("ocds/release-schema.json");
        let registry = jsonschema::Registry::new()
            .add(RELEASE_SCHEMA_URL, release.clone())
            .expect("release schema registers")
            .prepare()
            .expect("registry");
        let build = |schema: &Value| {
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .with_registry(&registry)
                .should_validate_formats(true)
                .offline()
                .build(schema)
                .expect("the OCDS schema compiles offline")
        };
        Schemas {
            package: build(&read_json("ocds/release-package-schema.json")),
            release: build(&release),
        }
    }

    fn assert_package(&self, package: &Value) {
        let errors: Vec<String> = self
            .package
            .iter_errors(package)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "invalid release package: {errors:#?}");
    }

    fn assert_release(&self, release: &Value) {
        let errors: Vec<String> = self
            .release
            .iter_errors(release)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "invalid release: {errors:#?}");
    }
}

/// An intention of RCH taken through the board to `approved`; returns its id.
async fn approved(app: &TestApp, changes: Value) -> String {
    let mut body = new_intention();
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    let reply = app
        .post("/v1/commissioning-intentions", &commissioner(), &body)
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let id = reply.json()["id"].as_str().unwrap().to_string();
    let submit = act(app, &id, "submit", &commissioner()).await;
    assert_eq!(submit.status, 200);
    let decide = app
        .post(
            &format!("/v1/commissioning-intentions/{id}/decide"),
            &token("RCH", &[Role::Board]),
            &json!({"decision": "approved", "decision_date": "2026-11-18", "minute_reference": "ICB/2026/11/04"}),
        )
        .await;
    assert_eq!(decide.status, 200);
    id
}

async fn act(app: &TestApp, id: &str, action: &str, token: &str) -> Reply {
    app.send(
        TestRequest::post()
            .uri(&format!("/v1/commissioning-intentions/{id}/{action}"))
            .insert_header(bearer(token)),
    )
    .await
}

async fn published(app: &TestApp, changes: Value) -> String {
    let id = approved(app, changes).await;
    let reply = act(app, &id, "publish", &commissioner()).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    id
}

/// A public GET: no token.
async fn public(app: &TestApp, path: &str) -> Reply {
    app.send(TestRequest::get().uri(path)).await
}

/// The feed shows a transaction's events once every older transaction on the server has ended
/// (the gap-free horizon), and other tests' databases share the server: poll until `n` are there.
async fn feed_with(app: &TestApp, query: &str, n: usize) -> Value {
    for _ in 0..100 {
        let reply = public(app, &format!("/v1/public/ocds/releases{query}")).await;
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        let body = reply.json();
        if body["releases"].as_array().unwrap().len() >= n {
            return body;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the feed never showed {n} releases");
}

fn ocid(id: &str) -> String {
    format!("ocds-xxxxxx-{id}")
}

#[actix_web::test]
async fn publishing_is_for_the_owners_writers_of_approved_intentions() {
    let app = TestApp::spawn().await;
    let draft = app
        .post(
            "/v1/commissioning-intentions",
            &commissioner(),
            &new_intention(),
        )
        .await
        .json();
    let draft_id = draft["id"].as_str().unwrap();
    assert_eq!(draft["published"], false);
    assert_eq!(draft["published_at"], Value::Null);

    // Drafts are not publishable: 409 naming the statuses that are.
    let refused = act(&app, draft_id, "publish", &commissioner()).await;
    let problem = refused.problem(409);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("approved, in_procurement, awarded, closed"),
        "{problem}"
    );

    let id = approved(&app, json!({})).await;
    let path = format!("/v1/commissioning-intentions/{id}/publish");
    // No token, a bad token, another authority, a role that does not write the plan.
    assert_eq!(app.send(TestRequest::post().uri(&path)).await.status, 401);
    assert_eq!(act(&app, &id, "publish", "not-a-token").await.status, 401);
    act(&app, &id, "publish", &token("TAM", &[Role::Commissioner]))
        .await
        .problem(403);
    act(&app, &id, "publish", &token("RCH", &[Role::Finance]))
        .await
        .problem(403);
    act(
        &app,
        "0193b000-0000-7000-8000-00000000dead",
        "publish",
        &commissioner(),
    )
    .await
    .problem(404);
    // A stale If-Match is 412.
    let stale = app
        .send(
            TestRequest::post()
                .uri(&path)
                .insert_header(bearer(&commissioner()))
                .insert_header(("If-Match", "\"1\"")),
        )
        .await;
    stale.problem(412);
    // Unpublishing what is not published is 409.
    act(&app, &id, "unpublish", &commissioner())
        .await
        .problem(409);

    let current = app
        .get(
            &format!("/v1/commissioning-intentions/{id}"),
            &commissioner(),
        )
        .await;
    let etag = current.header("etag").unwrap();
    let reply = app
        .send(
            TestRequest::post()
                .uri(&path)
                .insert_header(bearer(&token("RCH", &[Role::Admin])))
                .insert_header(("If-Match", etag.as_str())),
        )
        .await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["published"], true);
    assert!(body["published_at"].is_string());
    assert_eq!(
        body["version"],
        current.json()["version"].as_i64().unwrap() + 1
    );
    // Publishing twice is 409.
    act(&app, &id, "publish", &commissioner())
        .await
        .problem(409);

    // Audited, with the representation before and after.
    let audit = app
        .get(
            &format!("/v1/audit-events?entity_type=commissioning_intention&entity_id={id}"),
            &token("RCH", &[Role::Auditor]),
        )
        .await
        .json();
    let last = audit["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "publish");
    assert_eq!(last["before"]["published"], false);
    assert_eq!(last["after"]["published"], true);

    let reply = act(&app, &id, "unpublish", &commissioner()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["published"], false);
    assert_eq!(reply.json()["published_at"], Value::Null);
}

#[actix_web::test]
async fn published_changes_are_valid_ocds_planning_releases() {
    let app = TestApp::spawn().await;
    let schemas = Schemas::load();
    // Neither a draft nor an approved but unpublished intention appears.
    let _draft = app
        .post(
            "/v1/commissioning-intentions",
            &commissioner(),
            &new_intention(),
        )
        .await;
    let hidden = approved(&app, json!({"title": "Not for the public yet"})).await;
    let id = published(
        &app,
        json!({"estimated_annual_value_pence": 450_000_001_i64, "category": "home-care"}),
    )
    .await;
    let patched = app
        .patch(
            &format!("/v1/commissioning-intentions/{id}"),
            &commissioner(),
            &json!({"description": "Now with market engagement in Q1."}),
        )
        .await;
    assert_eq!(patched.status, 200);

    let package = feed_with(&app, "", 2).await;
    schemas.assert_package(&package);
    // The validator bites: a tag outside the closed codelist, or a text amount, is refused.
    let mut broken = package.clone();
    broken["releases"][0]["tag"] = json!(["pipelineNotice"]);
    assert!(!schemas.package.is_valid(&broken));
    let mut broken = package.clone();
    broken["releases"][0]["planning"]["budget"]["amount"]["amount"] = json!("4500000.01");
    assert!(!schemas.package.is_valid(&broken));
    let releases = package["releases"].as_array().unwrap();
    assert_eq!(
        releases.len(),
        2,
        "only the published intention's two writes"
    );
    assert!(
        releases.iter().all(|r| r["ocid"] == ocid(&id)),
        "the unpublished {hidden} and the draft are absent"
    );
    assert_eq!(package["version"], "1.1");
    assert_eq!(
        package["publisher"]["name"],
        "STAR Procurement commissioning hub"
    );
    assert!(package["uri"].as_str().unwrap().starts_with("http"));
    assert!(
        package["license"]
            .as_str()
            .unwrap()
            .contains("open-government-licence")
    );

    let (first, update) = (&releases[0], &releases[1]);
    assert_eq!(first["tag"], json!(["planning"]));
    assert_eq!(update["tag"], json!(["planningUpdate"]));
    assert_eq!(
        update["tender"]["description"],
        "Now with market engagement in Q1."
    );

    // Buyer and party: GB-LAE, with the GSS code as an additional identifier.
    assert_eq!(first["buyer"]["id"], "GB-LAE-RCH");
    let party = &first["parties"][0];
    assert_eq!(party["id"], "GB-LAE-RCH");
    assert_eq!(party["identifier"]["scheme"], "GB-LAE");
    assert_eq!(party["identifier"]["id"], "RCH");
    assert_eq!(party["additionalIdentifiers"][0]["id"], "E08000005");
    assert_eq!(party["roles"], json!(["buyer"]));

    // Budget: the annual value in pounds, exactly; the financial year as its period.
    let budget = &first["planning"]["budget"];
    assert_eq!(budget["amount"]["currency"], "GBP");
    assert_eq!(budget["amount"]["amount"].to_string(), "4500000.01");
    let period = &budget["budgetBreakdown"][0]["period"];
    assert_eq!(period["startDate"], "2026-04-01T00:00:00+01:00");
    assert_eq!(period["endDate"], "2027-03-31T23:59:59+01:00");
    assert!(
        package["extensions"][0]
            .as_str()
            .unwrap()
            .contains("budget_breakdown")
    );

    // Tender: planned, whole-life value, the category's CPV codes.
    let tender = &first["tender"];
    assert_eq!(tender["status"], "planned");
    assert_eq!(tender["value"]["amount"].to_string(), "22500000.0");
    let item = &tender["items"][0];
    assert_eq!(
        item["classification"],
        json!({"scheme": "CPV", "id": "85311100"})
    );
    assert_eq!(
        item["additionalClassifications"],
        json!([{"scheme": "CPV", "id": "85312000"}])
    );
    assert_eq!(tender["tenderPeriod"]["startDate"], "2026-05-01T00:00:00Z");
    assert_eq!(
        tender["contractPeriod"]["startDate"],
        "2027-04-01T00:00:00Z"
    );
    assert!(first.get("relatedProcesses").is_none(), "no PID yet");

    // The record: both releases and the compiled release, each a valid release.
    let reply = public(&app, &format!("/v1/public/ocds/records/{}", ocid(&id))).await;
    assert_eq!(reply.status, 200);
    assert!(reply.header("etag").is_some());
    assert!(reply.header("last-modified").is_some());
    let record_package = reply.json();
    let record = &record_package["records"][0];
    assert_eq!(record["ocid"], ocid(&id));
    assert_eq!(record["releases"].as_array().unwrap().len(), 2);
    for release in record["releases"].as_array().unwrap() {
        schemas.assert_release(release);
    }
    let compiled = &record["compiledRelease"];
    schemas.assert_release(compiled);
    assert_eq!(compiled["tag"], json!(["compiled"]));
    assert_eq!(
        compiled["tender"]["description"],
        "Now with market engagement in Q1."
    );
    assert_eq!(record_package["publishedDate"], update["date"]);

    // An unpublished intention and a stranger ocid have no record.
    public(&app, &format!("/v1/public/ocds/records/{}", ocid(&hidden)))
        .await
        .problem(404);
    public(&app, "/v1/public/ocds/records/ocds-yyyyyy-not-ours")
        .await
        .problem(404);
}

#[actix_web::test]
async fn the_feed_pages_by_cursor_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for title in ["First", "Second", "Third"] {
        ids.push(published(&app, json!({"title": title})).await);
    }
    feed_with(&app, "", 3).await;

    let page1 = public(&app, "/v1/public/ocds/releases?limit=2")
        .await
        .json();
    assert_eq!(page1["releases"].as_array().unwrap().len(), 2);
    assert_eq!(page1["has_more"], true);
    let cursor = page1["next_cursor"].as_str().unwrap().to_string();
    assert!(
        page1["links"]["next"]
            .as_str()
            .unwrap()
            .ends_with(&format!("after={cursor}&limit=2"))
    );
    let page2 = public(
        &app,
        &format!("/v1/public/ocds/releases?limit=2&after={cursor}"),
    )
    .await
    .json();
    assert_eq!(page2["releases"].as_array().unwrap().len(), 1);
    assert_eq!(page2["has_more"], false);
    let seen: Vec<&Value> = page1["releases"]
        .as_array()
        .unwrap()
        .iter()
        .chain(page2["releases"].as_array().unwrap())
        .map(|r| &r["ocid"])
        .collect();
    let expected: Vec<Value> = ids.iter().map(|id| json!(ocid(id))).collect();
    assert_eq!(
        seen,
        expected.iter().collect::<Vec<_>>(),
        "in order, once each"
    );

    // At the end, the page is empty and the cursor stays where it was, ready for the next poll.
    let end_cursor = page2["next_cursor"].as_str().unwrap().to_string();
    let end = public(
        &app,
        &format!("/v1/public/ocds/releases?after={end_cursor}"),
    )
    .await
    .json();
    assert_eq!(end["releases"], json!([]));
    assert_eq!(end["next_cursor"], end_cursor);
    assert_eq!(end["has_more"], false);

    // A change after the cursor is the next thing a poller sees.
    app.patch(
        &format!("/v1/commissioning-intentions/{}", ids[0]),
        &commissioner(),
        &json!({"title": "First, retitled"}),
    )
    .await;
    let next = feed_with(&app, &format!("?after={end_cursor}"), 1).await;
    assert_eq!(next["releases"][0]["ocid"], ocid(&ids[0]));
    assert_eq!(next["releases"][0]["tag"], json!(["planningUpdate"]));

    // Cursors this API did not issue, and out-of-range limits, are 422 naming the parameter.
    let bad = public(&app, "/v1/public/ocds/releases?after=nonsense").await;
    assert_eq!(bad.invalid_fields(), vec!["after"]);
    let bad = public(&app, "/v1/public/ocds/releases?limit=0").await;
    assert_eq!(bad.invalid_fields(), vec!["limit"]);
}

#[actix_web::test]
async fn unpublishing_withdraws_the_intention_and_its_past_releases() {
    let app = TestApp::spawn().await;
    let kept = published(&app, json!({"title": "Stays public"})).await;
    let id = published(&app, json!({"title": "Published by mistake"})).await;
    feed_with(&app, "", 2).await;

    assert_eq!(
        act(&app, &id, "unpublish", &commissioner()).await.status,
        200
    );
    // The unpublish itself is not a release, and the earlier one is withheld too.
    let feed = public(&app, "/v1/public/ocds/releases").await.json();
    let ocids: Vec<&Value> = feed["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["ocid"])
        .collect();
    assert_eq!(ocids, vec![&json!(ocid(&kept))]);
    public(&app, &format!("/v1/public/ocds/records/{}", ocid(&id)))
        .await
        .problem(404);

    // Published again: its releases return, the first still tagged planning.
    assert_eq!(act(&app, &id, "publish", &commissioner()).await.status, 200);
    let record = public(&app, &format!("/v1/public/ocds/records/{}", ocid(&id)))
        .await
        .json();
    let tags: Vec<&Value> = record["records"][0]["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["tag"][0])
        .collect();
    assert_eq!(tags, vec!["planning", "planningUpdate"]);
}

#[actix_web::test]
async fn public_responses_carry_etags_and_honour_if_none_match() {
    let app = TestApp::spawn().await;
    let id = published(&app, json!({})).await;
    feed_with(&app, "", 1).await;
    let first = public(&app, "/v1/public/ocds/releases").await;
    let etag = first.header("etag").expect("ETag");
    assert!(first.header("last-modified").is_some());
    assert_eq!(
        public(&app, "/v1/public/ocds/releases")
            .await
            .header("etag"),
        Some(etag.clone()),
        "the same content, the same tag"
    );
    let again = app
        .send(
            TestRequest::get()
                .uri("/v1/public/ocds/releases")
                .insert_header(("If-None-Match", etag.as_str())),
        )
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    app.patch(
        &format!("/v1/commissioning-intentions/{id}"),
        &commissioner(),
        &json!({"lead_officer": "Head of Commissioning"}),
    )
    .await;
    feed_with(&app, "", 2).await;
    let changed = app
        .send(
            TestRequest::get()
                .uri("/v1/public/ocds/releases")
                .insert_header(("If-None-Match", etag.as_str())),
        )
        .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), Some(etag));

    let record_path = format!("/v1/public/ocds/records/{}", ocid(&id));
    let record = public(&app, &record_path).await;
    let tag = record.header("etag").unwrap();
    let cached = app
        .send(
            TestRequest::get()
                .uri(&record_path)
                .insert_header(("If-None-Match", tag.as_str())),
        )
        .await;
    assert_eq!(cached.status, 304);
}

#[actix_web::test]
async fn the_pipeline_notice_lists_2m_and_over_in_the_18_months() {
    let app = TestApp::spawn().await;
    let start = |value: i64, contract_start: &str, title: &str| {
        json!({"title": title, "estimated_whole_life_value_pence": value,
               "estimated_annual_value_pence": value / 5,
               "planned_procurement_start": "2025-10-01", "planned_contract_start": contract_start})
    };
    let m2 = 200_000_000_i64;
    let exactly = published(&app, start(m2, "2026-06-01", "Exactly £2m")).await;
    let over = published(&app, start(m2 + 1, "2026-06-01", "A penny over")).await;
    let _under = published(&app, start(m2 - 1, "2026-06-01", "A penny under")).await;
    let first_day = published(&app, start(m2 * 5, "2026-04-01", "Starts 1 April")).await;
    let _before = published(&app, start(m2 * 5, "2026-03-31", "Starts 31 March")).await;
    let last_day = published(&app, start(m2 * 5, "2027-09-30", "Starts 30 September")).await;
    let _after = published(&app, start(m2 * 5, "2027-10-01", "Starts 1 October")).await;
    let _unpublished = approved(&app, start(m2 * 5, "2026-06-01", "Not published")).await;
    // Without a contract start, the procurement start decides.
    let by_procurement = published(
        &app,
        json!({"title": "No contract start", "estimated_whole_life_value_pence": m2 * 2,
               "estimated_annual_value_pence": m2 / 5,
               "planned_procurement_start": "2026-09-01", "planned_contract_start": null}),
    )
    .await;

    let reply = public(
        &app,
        "/v1/public/pipeline?authority=RCH&financial_year=2026/27",
    )
    .await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(reply.header("etag").is_some());
    let notice = reply.json();
    assert_eq!(notice["period_start"], "2026-04-01");
    assert_eq!(notice["period_end"], "2027-09-30");
    assert_eq!(notice["threshold_pence"], m2);
    let listed: Vec<String> = notice["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ocid"].as_str().unwrap().to_string())
        .collect();
    // Soonest first (by the start that decides), then by id.
    let expected: Vec<String> = [&first_day, &exactly, &over, &by_procurement, &last_day]
        .iter()
        .map(|id| ocid(id))
        .collect();
    assert_eq!(listed, expected);
    let item = &notice["items"][1];
    assert_eq!(item["estimated_whole_life_value_pence"], m2);
    assert_eq!(item["cpv_codes"], json!(["85311200-4"]));
    assert_eq!(item["authority"], "RCH");

    // Another authority's notice is empty; an unknown one is 404; a bad year is 422.
    let tam = public(
        &app,
        "/v1/public/pipeline?authority=TAM&financial_year=2026/27",
    )
    .await
    .json();
    assert_eq!(tam["items"], json!([]));
    public(
        &app,
        "/v1/public/pipeline?authority=ZZZ&financial_year=2026/27",
    )
    .await
    .problem(404);
    let bad = public(&app, "/v1/public/pipeline?financial_year=2026-27").await;
    assert_eq!(bad.invalid_fields(), vec!["financial_year"]);
    let bad = public(
        &app,
        "/v1/public/pipeline?financial_year=2026/27&format=xml",
    )
    .await;
    assert_eq!(bad.invalid_fields(), vec!["format"]);

    // CSV: a header and one row per item, pounds with two decimals.
    let csv = public(
        &app,
        "/v1/public/pipeline?authority=RCH&financial_year=2026/27&format=csv",
    )
    .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = String::from_utf8(csv.body.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1 + expected.len());
    assert!(lines[0].starts_with(
        "ocid,authority,reference,title,category,cpv_codes,estimated_whole_life_value_gbp"
    ));
    assert!(lines[2].contains(",2000000.00,400000.00,"), "{}", lines[2]);
    let by_accept = app
        .send(
            TestRequest::get()
                .uri("/v1/public/pipeline?financial_year=2026/27")
                .insert_header(("Accept", "text/csv")),
        )
        .await;
    assert_eq!(
        String::from_utf8(by_accept.body).unwrap().lines().count(),
        1 + expected.len(),
        "all authorities: RCH's are the only ones"
    );
}

#[actix_web::test]
async fn releases_link_the_pids_raised_from_the_intention() {
    let app = TestApp::spawn().await;
    let schemas = Schemas::load();
    let id = published(&app, json!({})).await;
    // Raising a PID moves the intention to in_procurement: a change, so a new release.
    let pid = app
        .post(
            "/v1/pids",
            &token("RCH", &[Role::Procurement]),
            &crate::pids::new_pid(&id),
        )
        .await;
    assert_eq!(pid.status, 201, "{}", String::from_utf8_lossy(&pid.body));
    let pid = pid.json();
    let package = feed_with(&app, "", 2).await;
    schemas.assert_package(&package);
    let releases = package["releases"].as_array().unwrap();
    assert!(
        releases[0].get("relatedProcesses").is_none(),
        "the PID was raised after the first release"
    );
    assert_eq!(releases[1]["tag"], json!(["planningUpdate"]));
    assert_eq!(
        releases[1]["relatedProcesses"],
        json!([{"id": pid["reference"], "relationship": ["x_procurement"],
                "title": pid["title"], "scheme": "ocid",
                "identifier": format!("ocds-xxxxxx-pid-{}", pid["id"].as_str().unwrap())}])
    );
}
