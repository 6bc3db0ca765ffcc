//! The change feed over HTTP: entries, resuming, filters, scoping, long poll, refusals, and the
//! proof that concurrent writers committing out of order never make a reader miss or repeat one.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use actix_web::test::TestRequest;
use commissioning_hub::auth::{Caller, Role};
use commissioning_hub::domain::values::AuthorityCode;
use commissioning_hub::models::audit::AuditEventRow;
use diesel::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, bearer, new_intention, token};

fn risk() -> Value {
    json!({"title": "Provider market failure", "description": "A large provider exits.",
           "likelihood": 3, "impact": 4, "mitigation": "Contingency providers.",
           "owner": "Head of Commissioning"})
}

/// Every change the token may read after `after`, following pages to the end, and the cursor.
/// A transaction anywhere on the database server (other tests' included) holds the feed back
/// while it runs, so an empty page is asked again with a short long poll before it counts as
/// the end.
async fn drain(
    app: &TestApp,
    tok: &str,
    mut after: Option<String>,
    query: &str,
) -> (Vec<Value>, String) {
    let mut items: Vec<Value> = Vec::new();
    let mut idle = false;
    loop {
        let mut uri = format!(
            "/v1/changes?limit=7&wait={}{query}",
            if items.is_empty() || idle { 2 } else { 0 }
        );
        if let Some(a) = &after {
            uri.push_str(&format!("&after={a}"));
        }
        let r = app.get(&uri, tok).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = r.json();
        let got = page["items"].as_array().unwrap().clone();
        let next = page["next_cursor"]
            .as_str()
            .expect("next_cursor always")
            .to_string();
        let empty = got.is_empty();
        items.extend(got);
        after = Some(next.clone());
        if empty && idle {
            return (items, next);
        }
        idle = empty;
    }
}

#[actix_web::test]
async fn the_feed_carries_every_change_and_resumes_from_its_cursor() {
    let app = TestApp::spawn().await;
    let reader = token("TRF", &[Role::Board]);
    let (empty, start) = drain(&app, &reader, None, "").await;
    assert!(empty.is_empty());

    let writer = token("RCH", &[Role::Procurement]);
    let created = app
        .send(
            TestRequest::post()
                .uri("/v1/risks")
                .insert_header(bearer(&writer))
                .insert_header(("X-Request-Id", "req-feed-1"))
                .set_json(risk()),
        )
        .await;
    assert_eq!(created.status, 201);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let updated = app
        .patch(
            &format!("/v1/risks/{id}"),
            &writer,
            &json!({"status": "mitigating"}),
        )
        .await;
    assert_eq!(updated.status, 200);
    let intention = app
        .post(
            "/v1/commissioning-intentions",
            &token("RCH", &[Role::Commissioner]),
            &new_intention(),
        )
        .await;
    assert_eq!(intention.status, 201);

    // Resuming from the empty page's cursor finds exactly the three changes, in order.
    let (items, end) = drain(&app, &reader, Some(start.clone()), "").await;
    let seen: Vec<(&str, &str, i64)> = items
        .iter()
        .map(|c| {
            (
                c["entity_type"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
                c["version"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("risk", "create", 1),
            ("risk", "update", 2),
            ("commissioning_intention", "create", 1)
        ]
    );
    let first = &items[0];
    assert_eq!(first["entity_id"], id.as_str());
    assert_eq!(first["request_id"], "req-feed-1");
    assert_eq!(first["authority"], "RCH");
    assert_eq!(first["deleted"], false);
    assert_eq!(first["resource"]["title"], "Provider market failure");
    assert!(
        first.get("subject").is_none(),
        "the feed does not name people"
    );
    assert_eq!(items[1]["resource"]["status"], "mitigating");
    // An item's own cursor resumes after it.
    let (rest, _) = drain(
        &app,
        &reader,
        Some(items[0]["cursor"].as_str().unwrap().into()),
        "",
    )
    .await;
    assert_eq!(rest.len(), 2);
    // Nothing new: the end cursor gives an empty page and hands back a cursor.
    let (none, again) = drain(&app, &reader, Some(end.clone()), "").await;
    assert!(none.is_empty());
    assert!(!again.is_empty());

    // `types` filters.
    let (risks, _) = drain(&app, &reader, Some(start.clone()), "&types=risk").await;
    assert_eq!(risks.len(), 2);
    let (both, _) = drain(
        &app,
        &reader,
        Some(start),
        "&types=risk,commissioning_intention",
    )
    .await;
    assert_eq!(both.len(), 3);
}

#[actix_web::test]
async fn deletes_come_as_tombstones_and_savings_lines_follow_the_savings_scope() {
    let app = TestApp::spawn().await;
    let rch = token("RCH", &[Role::Commissioner]);
    let intention = app
        .post("/v1/commissioning-intentions", &rch, &new_intention())
        .await;
    let intention = intention.json()["id"].clone();
    let line = |link: Value| {
        let mut body = json!({"financial_year": "2026/27", "cashable": true,
            "kind": "price_reduction", "confidence": "amber", "probability": 50,
            "status": "forecast", "budget_code": "B1", "quarters": [1, 2, 3, 4]});
        for (k, v) in link.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let own = app
        .post(
            "/v1/savings/lines",
            &rch,
            &line(json!({"intention_id": intention})),
        )
        .await;
    assert_eq!(own.status, 201, "{}", String::from_utf8_lossy(&own.body));
    let own = own.json()["id"].as_str().unwrap().to_string();
    // A collaboration RCH leads and TAM takes part in.
    let opp = app
        .post(
            "/v1/collaboration/opportunities",
            &rch,
            &json!({"title": "STAR-wide home care dynamic market", "category": "home-care",
                    "financial_year": "2026/27",
                    "participants": [{"authority": "TAM", "status": "interested"}]}),
        )
        .await;
    assert_eq!(opp.status, 201);
    let opp = opp.json()["id"].clone();
    let shared = app
        .post(
            "/v1/savings/lines",
            &rch,
            &line(json!({"opportunity_id": opp})),
        )
        .await;
    assert_eq!(shared.status, 201);
    let shared = shared.json()["id"].as_str().unwrap().to_string();
    let deleted = app
        .send(
            TestRequest::delete()
                .uri(&format!("/v1/savings/lines/{own}"))
                .insert_header(bearer(&rch)),
        )
        .await;
    assert_eq!(deleted.status, 204);

    let lines = |items: &[Value]| -> Vec<(String, String)> {
        items
            .iter()
            .filter(|c| c["entity_type"] == "savings_line")
            .map(|c| {
                (
                    c["entity_id"].as_str().unwrap().to_string(),
                    c["action"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // RCH's own reader sees all three line changes; the delete is a tombstone.
    let (items, _) = drain(&app, &token("RCH", &[Role::Finance]), None, "").await;
    assert_eq!(
        lines(&items),
        vec![
            (own.clone(), "create".into()),
            (shared.clone(), "create".into()),
            (own.clone(), "delete".into())
        ]
    );
    let tomb = items.iter().find(|c| c["action"] == "delete").unwrap();
    assert_eq!(tomb["deleted"], true);
    assert_eq!(tomb["resource"]["deleted"], true);
    assert_eq!(tomb["resource"]["id"], own.as_str());
    assert_eq!(tomb["version"], 1);
    // A TAM partner sees only the line on the shared collaboration; TRF's partner none; a
    // board member (no savings role) none, though both see the rest of the feed.
    let (items, _) = drain(&app, &token("TAM", &[Role::Partner]), None, "").await;
    assert_eq!(lines(&items), vec![(shared.clone(), "create".into())]);
    for tok in [token("TRF", &[Role::Partner]), token("TAM", &[Role::Board])] {
        let (items, _) = drain(&app, &tok, None, "").await;
        assert!(lines(&items).is_empty());
        assert!(
            items
                .iter()
                .any(|c| c["entity_type"] == "collaboration_opportunity")
        );
        // The savings_line filter is accepted but finds nothing for them.
        let (only, _) = drain(&app, &tok, None, "&types=savings_line").await;
        assert!(only.is_empty());
    }
    // STAR-wide finance reads every authority's lines.
    let (items, _) = drain(&app, &token("STAR", &[Role::Finance]), None, "").await;
    assert_eq!(lines(&items).len(), 3);
}

#[actix_web::test]
async fn the_feed_refuses_what_it_cannot_serve() {
    let app = TestApp::spawn().await;
    let tok = token("RCH", &[Role::Board]);
    let r = app.send(TestRequest::get().uri("/v1/changes")).await;
    r.problem(401);
    let r = app.get("/v1/changes", "not-a-token").await;
    r.problem(401);
    for (query, field) in [
        ("types=risk,pony", "types"),
        ("types=", "types"),
        ("wait=31", "wait"),
        ("wait=-1", "wait"),
        ("after=not-a-cursor", "after"),
        ("limit=0", "limit"),
        ("colour=blue", "colour"),
    ] {
        let r = app.get(&format!("/v1/changes?{query}"), &tok).await;
        assert_eq!(r.invalid_fields(), vec![field], "{query}");
    }
    let r = app.get("/v1/changes?types=pony", &tok).await;
    assert!(
        r.json()["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("\"pony\"")
    );
}

#[actix_web::test]
async fn a_long_poll_answers_when_a_change_arrives() {
    let app = TestApp::spawn().await;
    let tok = token("RCH", &[Role::Procurement]);
    let (_, start) = drain(&app, &tok, None, "").await;
    let uri = format!("/v1/changes?after={start}&wait=20");
    let poll = app.get(&uri, &tok);
    let write = async {
        actix_web::rt::time::sleep(Duration::from_millis(600)).await;
        let r = app.post("/v1/risks", &tok, &risk()).await;
        assert_eq!(r.status, 201);
    };
    let (reply, ()) = futures_util::future::join(poll, write).await;
    assert_eq!(reply.status, 200);
    let page = reply.json();
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["items"][0]["entity_type"], "risk");
    // A wait with nothing arriving ends with an empty page and a cursor.
    let r = app
        .get(
            &format!(
                "/v1/changes?after={}&wait=1",
                page["next_cursor"].as_str().unwrap()
            ),
            &tok,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.json()["items"].as_array().unwrap().is_empty());
}

fn writer(n: usize) -> Caller {
    Caller {
        subject: format!("writer-{n}"),
        authority: AuthorityCode::try_from("RCH".to_string()).unwrap(),
        roles: vec![Role::Admin],
        request_id: format!("writer-{n}"),
    }
}

/// One audit event of a risk, as a write would record it; returns the event's id.
fn record(conn: &mut PgConnection, who: &Caller, entity: Uuid, version: i64) -> Uuid {
    AuditEventRow::record(
        conn,
        who,
        "update",
        "risk",
        entity,
        None,
        Some(json!({"id": entity, "version": version, "writer": who.subject})),
    )
    .unwrap();
    use commissioning_hub::db::schema::audit_events::dsl::*;
    audit_events
        .filter(entity_id.eq(entity))
        .order(occurred_at.desc())
        .select(id)
        .first(conn)
        .unwrap()
}

async fn poll_once(
    app: &TestApp,
    tok: &str,
    cursor: &mut String,
    seen: &mut Vec<Value>,
    wait: u64,
) -> usize {
    let r = app
        .get(
            &format!("/v1/changes?limit=5&wait={wait}&after={cursor}"),
            tok,
        )
        .await;
    assert_eq!(r.status, 200);
    let page = r.json();
    let items = page["items"].as_array().unwrap();
    seen.extend(items.iter().cloned());
    *cursor = page["next_cursor"].as_str().unwrap().to_string();
    items.len()
}

/// The gap-free proof. First a staged race: writer A takes its transaction id, then B commits
/// while A is still open, and the reader polls in between; then many writers on their own
/// connections commit in random, overlapping order while the reader polls throughout. The
/// reader must see every committed change exactly once, in the same order as a fresh read from
/// the start, with each record's versions in order. (Without the horizon filter, the staged race
/// alone loses A's change.)
#[actix_web::test]
async fn concurrent_writers_committing_out_of_order_never_make_a_reader_miss_or_repeat() {
    let app = TestApp::spawn().await;
    let tok = token("TRF", &[Role::Board]);
    let (_, mut cursor) = drain(&app, &tok, None, "").await;
    let mut seen = Vec::new();
    let mut expected: HashSet<String> = HashSet::new();

    // The staged race.
    let mut a = app.db.connection();
    let mut b = app.db.connection();
    diesel::sql_query("BEGIN").execute(&mut a).unwrap();
    let a_event = record(&mut a, &writer(0), Uuid::now_v7(), 1);
    let b_event = b
        .transaction(|conn| {
            Ok::<_, diesel::result::Error>(record(conn, &writer(1), Uuid::now_v7(), 1))
        })
        .unwrap();
    poll_once(&app, &tok, &mut cursor, &mut seen, 0).await;
    diesel::sql_query("COMMIT").execute(&mut a).unwrap();
    expected.extend([a_event.to_string(), b_event.to_string()]);

    // The free-for-all: 4 writers × 12 transactions of 1 to 3 events, on 6 shared records
    // (each record's version moving under a row lock) and on fresh ones, with random pauses
    // inside and between transactions.
    let url = app.db.url();
    let shared: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
    {
        let mut conn = app.db.connection();
        diesel::sql_query(
            "CREATE TABLE feed_test_versions (id uuid PRIMARY KEY, version bigint NOT NULL)",
        )
        .execute(&mut conn)
        .unwrap();
        for s in &shared {
            diesel::sql_query(format!("INSERT INTO feed_test_versions VALUES ('{s}', 0)"))
                .execute(&mut conn)
                .unwrap();
        }
    }
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let url = url.clone();
            let shared = shared.clone();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let who = writer(10 + w);
                let mut ids = Vec::new();
                let mut seed = (w as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let mut next = move |n: u64| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed % n
                };
                for _ in 0..12 {
                    let events = 1 + next(3);
                    let pause_first = next(2) == 0;
                    let pauses: Vec<u64> = (0..=events).map(|_| next(25)).collect();
                    let mut picks: Vec<Option<usize>> =
                        (0..events).map(|_| (next(2) == 0).then(|| next(6) as usize)).collect();
                    // Shared records are locked in one order, so writers never deadlock.
                    let mut order: Vec<usize> = picks.iter().flatten().copied().collect();
                    order.sort_unstable();
                    let mut order = order.into_iter();
                    for p in picks.iter_mut().filter(|p| p.is_some()) {
                        *p = order.next();
                    }
                    let made = conn
                        .transaction(|conn| {
                            let mut made = Vec::new();
                            if pause_first {
                                // Take the transaction id early, then dawdle.
                                diesel::sql_query("SELECT pg_current_xact_id()").execute(conn)?;
                            }
                            for (i, pick) in picks.iter().enumerate() {
                                std::thread::sleep(Duration::from_millis(pauses[i]));
                                let (entity, version) = match pick {
                                    Some(k) => {
                                        let v: i64 = diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
                                            "(SELECT version FROM feed_test_versions WHERE id = '{}' FOR UPDATE)",
                                            shared[*k]
                                        ))
                                        .get_result::<i64>(conn)
                                        .map(|v| v + 1)?;
                                        diesel::sql_query(format!(
                                            "UPDATE feed_test_versions SET version = {v} WHERE id = '{}'",
                                            shared[*k]
                                        ))
                                        .execute(conn)?;
                                        (shared[*k], v)
                                    }
                                    None => (Uuid::now_v7(), 1),
                                };
                                made.push(record(conn, &who, entity, version));
                            }
                            std::thread::sleep(Duration::from_millis(pauses[events as usize]));
                            Ok::<_, diesel::result::Error>(made)
                        })
                        .unwrap();
                    ids.extend(made);
                    std::thread::sleep(Duration::from_millis(next(10)));
                }
                ids
            })
        })
        .collect();
    while !writers.iter().all(|w| w.is_finished()) {
        poll_once(&app, &tok, &mut cursor, &mut seen, 0).await;
        actix_web::rt::time::sleep(Duration::from_millis(3)).await;
    }
    for w in writers {
        expected.extend(w.join().unwrap().into_iter().map(|id| id.to_string()));
    }
    // Everything has committed: drain what is left (other transactions on the server may hold
    // the feed back for a moment), then make sure nothing more comes.
    for _ in 0..30 {
        let got: HashSet<String> = seen
            .iter()
            .map(|c| c["event_id"].as_str().unwrap().to_string())
            .collect();
        if expected.is_subset(&got) {
            break;
        }
        poll_once(&app, &tok, &mut cursor, &mut seen, 2).await;
    }
    while poll_once(&app, &tok, &mut cursor, &mut seen, 1).await > 0 {}

    let ids: Vec<String> = seen
        .iter()
        .map(|c| c["event_id"].as_str().unwrap().to_string())
        .collect();
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "a change was seen twice");
    let missing: Vec<&String> = expected.difference(&unique).collect();
    assert!(
        missing.is_empty(),
        "the reader missed {} change(s): {missing:?}",
        missing.len()
    );
    assert_eq!(unique, expected, "the reader saw changes nobody made");
    // The same order as one read from the start, now that everything has committed.
    let (all, _) = drain(&app, &tok, None, "").await;
    let fresh: Vec<String> = all
        .iter()
        .map(|c| c["event_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids, fresh,
        "the polling reader's order differs from a fresh read"
    );
    // Each shared record's versions arrive in the order they were made.
    let mut last: HashMap<String, i64> = HashMap::new();
    for c in &seen {
        let entity = c["entity_id"].as_str().unwrap().to_string();
        let version = c["version"].as_i64().unwrap();
        if let Some(before) = last.insert(entity.clone(), version) {
            assert!(
                version > before,
                "{entity}: version {version} came after {before}"
            );
        }
    }
}

/// An older transaction (it took its id first, as claiming an Idempotency-Key does) that writes a
/// record after a younger one committed a change to it: the record's versions still arrive in
/// the order they were made.
#[actix_web::test]
async fn a_record_s_changes_keep_their_order_when_an_older_transaction_writes_last() {
    let app = TestApp::spawn().await;
    let tok = token("TRF", &[Role::Board]);
    let entity = Uuid::now_v7();
    let mut older = app.db.connection();
    let mut younger = app.db.connection();
    diesel::sql_query("BEGIN").execute(&mut older).unwrap();
    diesel::sql_query("SELECT pg_current_xact_id()")
        .execute(&mut older)
        .unwrap();
    younger
        .transaction(|conn| {
            record(conn, &writer(1), entity, 2);
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    record(&mut older, &writer(0), entity, 3);
    diesel::sql_query("COMMIT").execute(&mut older).unwrap();
    let (items, _) = drain(&app, &tok, None, "").await;
    let versions: Vec<i64> = items
        .iter()
        .filter(|c| c["entity_id"] == entity.to_string().as_str())
        .map(|c| c["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, vec![2, 3], "{items:?}");
}
