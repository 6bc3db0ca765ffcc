//! Webhooks over HTTP against a real receiver on loopback: signatures checked by an independent
//! HMAC, retries while the receiver is down, delivery when it is back, order, resume after a
//! worker restart, failure after the retry window, redelivery, scoping, SSRF and refusals.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::test::TestRequest;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use commissioning_hub::auth::Role;
use commissioning_hub::config::WebhookConfig;
use commissioning_hub::webhooks::Worker;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{TestApp, bearer, token};

#[derive(Debug, Clone)]
struct Received {
    path: String,
    id: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

/// A receiver on loopback: records every POST and answers `status`.
#[derive(Clone)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<Mutex<u16>>,
}

impl Receiver {
    fn new() -> Self {
        Receiver {
            got: Arc::default(),
            status: Arc::new(Mutex::new(200)),
        }
    }

    /// Serve on `port` until the returned handle is stopped.
    fn serve(&self, port: u16) -> actix_web::dev::ServerHandle {
        let me = self.clone();
        let server = HttpServer::new(move || {
            let me = me.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let me = me.clone();
                async move {
                    let header = |n: &str| {
                        req.headers()
                            .get(n)
                            .map(|v| v.to_str().unwrap().to_string())
                            .unwrap_or_default()
                    };
                    me.got.lock().unwrap().push(Received {
                        path: req.path().to_string(),
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: body.to_vec(),
                    });
                    let status = *me.status.lock().unwrap();
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
                        .finish()
                }
            }))
        })
        .workers(1)
        .bind(("127.0.0.1", port))
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        handle
    }

    fn on(&self, path: &str) -> Vec<Received> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

/// A loopback port nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn settings(window_ms: u64) -> WebhookConfig {
    WebhookConfig {
        allow_private_targets: true,
        retry_window: Duration::from_millis(window_ms),
        retry_base: Duration::from_millis(100),
        timeout: Duration::from_secs(2),
    }
}

/// Check a delivery's signature the way a receiver would, with hmac and sha2 directly.
fn verify(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(r.id.as_bytes());
    mac.update(b".");
    mac.update(r.timestamp.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    let sig = r.signature.strip_prefix("v1,").expect("v1 signature");
    mac.verify_slice(&STANDARD.decode(sig).unwrap()).is_ok()
}

/// Wait (up to 30 s) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn subscribe(app: &TestApp, authority: &str, url: &str, types: Value) -> Value {
    let r = app
        .post(
            "/v1/webhooks",
            &token(authority, &[Role::Admin]),
            &json!({"url": url, "event_types": types}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

async fn deliveries(app: &TestApp, authority: &str, id: &str, query: &str) -> Vec<Value> {
    let r = app
        .get(
            &format!("/v1/webhooks/{id}/deliveries?{query}"),
            &token(authority, &[Role::Admin]),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["items"].as_array().unwrap().clone()
}

fn risk(title: &str) -> Value {
    json!({"title": title, "description": "", "likelihood": 2, "impact": 3,
           "mitigation": "Watch it.", "owner": "Head of Commissioning"})
}

async fn new_risk(app: &TestApp, title: &str) -> String {
    let r = app
        .post(
            "/v1/risks",
            &token("RCH", &[Role::Procurement]),
            &risk(title),
        )
        .await;
    assert_eq!(r.status, 201);
    r.json()["id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn deliveries_are_signed_in_order_retried_while_the_receiver_is_down_and_resume_after_a_restart()
 {
    let app = TestApp::spawn_with_webhooks(settings(60_000)).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let rch = subscribe(
        &app,
        "RCH",
        &format!("{base}/rch"),
        json!(["risk", "savings_line"]),
    )
    .await;
    let secret = rch["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let rch_id = rch["id"].as_str().unwrap().to_string();
    // TRF takes part in no collaboration with RCH: it may not read RCH's savings lines.
    let trf = subscribe(&app, "TRF", &format!("{base}/trf"), json!(["savings_line"])).await;
    let trf_id = trf["id"].as_str().unwrap().to_string();

    let worker = Worker::spawn(app.state.pool.clone(), settings(60_000));
    let risks = [
        new_risk(&app, "First").await,
        new_risk(&app, "Second").await,
    ];
    // An RCH savings line, on an RCH intention.
    let intention = app
        .post(
            "/v1/commissioning-intentions",
            &token("RCH", &[Role::Commissioner]),
            &crate::helpers::new_intention(),
        )
        .await
        .json()["id"]
        .clone();
    let line = app
        .post(
            "/v1/savings/lines",
            &token("RCH", &[Role::Commissioner]),
            &json!({"intention_id": intention, "financial_year": "2026/27", "cashable": true,
                    "kind": "price_reduction", "confidence": "amber", "probability": 50,
                    "status": "forecast", "budget_code": "B1", "quarters": [1, 2, 3, 4]}),
        )
        .await;
    assert_eq!(line.status, 201);
    let line = line.json()["id"].as_str().unwrap().to_string();

    // The receiver is down: the first delivery is tried again and again, the rest wait behind it.
    let mut tries = 0;
    for _ in 0..300 {
        let d = deliveries(&app, "RCH", &rch_id, "").await;
        tries = d
            .iter()
            .map(|d| d["attempts"].as_i64().unwrap())
            .max()
            .unwrap_or(0);
        if tries >= 3 {
            assert!(d.iter().all(|d| d["status"] == "pending"));
            assert!(d.iter().any(|d| {
                d["last_error"]
                    .as_str()
                    .is_some_and(|e| e.contains("could not deliver"))
            }));
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(tries >= 3, "the delivery was not retried");

    // It comes back: everything arrives, once each, in the feed's order, signed.
    let receiver = Receiver::new();
    let server = receiver.serve(port);
    until("three deliveries arrive", || receiver.on("/rch").len() >= 3).await;
    let got = receiver.on("/rch");
    let entities: Vec<String> = got
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["data"]["entity_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        entities,
        vec![risks[0].clone(), risks[1].clone(), line.clone()]
    );
    for r in &got {
        assert!(verify(&secret, r), "signature of {r:?}");
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["data"]["event_id"], r.id.as_str());
        assert_eq!(
            body["type"],
            format!("{}.create", body["data"]["entity_type"].as_str().unwrap())
        );
        let ts: i64 = r.timestamp.parse().unwrap();
        assert!((chrono::Utc::now().timestamp() - ts).abs() < 300);
    }
    // A tampered body does not verify.
    let mut forged = got[0].clone();
    forged.body.push(b' ');
    assert!(!verify(&secret, &forged));
    let d = deliveries(&app, "RCH", &rch_id, "status=delivered").await;
    assert_eq!(d.len(), 3);
    assert!(d.iter().any(|d| d["attempts"].as_i64().unwrap() >= 3));

    // The worker stops; a change made meanwhile is delivered by the next worker.
    worker.stop().await;
    let third = new_risk(&app, "Third").await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.on("/rch").len(), 3);
    let worker = Worker::spawn(app.state.pool.clone(), settings(60_000));
    until("the change made while stopped arrives", || {
        receiver.on("/rch").len() >= 4
    })
    .await;
    let last: Value = serde_json::from_slice(&receiver.on("/rch")[3].body).unwrap();
    assert_eq!(last["data"]["entity_id"], third.as_str());
    worker.stop().await;
    // TRF's subscription got nothing: RCH's savings line is not TRF's to read.
    assert!(receiver.on("/trf").is_empty());
    assert!(deliveries(&app, "TRF", &trf_id, "").await.is_empty());
    server.stop(true).await;
}

#[actix_web::test]
async fn a_delivery_fails_after_the_retry_window_and_can_be_redelivered() {
    let app = TestApp::spawn_with_webhooks(settings(600)).await;
    let port = free_port();
    let receiver = Receiver::new();
    *receiver.status.lock().unwrap() = 500;
    let server = receiver.serve(port);
    let sub = subscribe(
        &app,
        "RCH",
        &format!("http://127.0.0.1:{port}/hook"),
        json!(["risk"]),
    )
    .await;
    let id = sub["id"].as_str().unwrap().to_string();
    let worker = Worker::spawn(app.state.pool.clone(), settings(600));
    new_risk(&app, "Doomed").await;
    let mut failed = Vec::new();
    for _ in 0..300 {
        failed = deliveries(&app, "RCH", &id, "status=failed").await;
        if !failed.is_empty() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(failed.len(), 1, "the delivery was not marked failed");
    let f = &failed[0];
    assert_eq!(f["last_status_code"], 500);
    assert!(f["attempts"].as_i64().unwrap() >= 2);
    assert!(f["failed_at"].is_string());
    let tried = receiver.on("/hook").len();
    assert!(tried >= 2);

    // The receiver is fixed; redeliver sends the same change again, with the same webhook-id.
    *receiver.status.lock().unwrap() = 204;
    let admin = token("RCH", &[Role::Admin]);
    let path = format!(
        "/v1/webhooks/{id}/deliveries/{}/redeliver",
        f["id"].as_str().unwrap()
    );
    let r = app
        .send(TestRequest::post().uri(&path).insert_header(bearer(&admin)))
        .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["redelivery_of"], f["id"]);
    until("the redelivery arrives", || {
        receiver.on("/hook").len() > tried
    })
    .await;
    let last = receiver.on("/hook").last().cloned().unwrap();
    assert_eq!(last.id, f["event_id"].as_str().unwrap());
    // Refusals: another authority's admin, a non-admin, an unknown delivery.
    let r = app
        .send(
            TestRequest::post()
                .uri(&path)
                .insert_header(bearer(&token("TAM", &[Role::Admin]))),
        )
        .await;
    r.problem(404);
    let r = app
        .send(
            TestRequest::post()
                .uri(&path)
                .insert_header(bearer(&token("RCH", &[Role::Finance]))),
        )
        .await;
    r.problem(403);
    let r = app
        .send(
            TestRequest::post()
                .uri(&format!(
                    "/v1/webhooks/{id}/deliveries/{}/redeliver",
                    uuid::Uuid::now_v7()
                ))
                .insert_header(bearer(&admin)),
        )
        .await;
    r.problem(404);
    worker.stop().await;
    server.stop(true).await;
}

#[actix_web::test]
async fn internal_targets_are_refused_at_delivery_too() {
    // Subscribed while loopback was allowed; the worker is strict.
    let app = TestApp::spawn_with_webhooks(settings(60_000)).await;
    let port = free_port();
    let receiver = Receiver::new();
    let server = receiver.serve(port);
    let sub = subscribe(
        &app,
        "RCH",
        &format!("http://localhost:{port}/hook"),
        json!([]),
    )
    .await;
    let id = sub["id"].as_str().unwrap().to_string();
    let strict = WebhookConfig {
        allow_private_targets: false,
        ..settings(60_000)
    };
    let worker = Worker::spawn(app.state.pool.clone(), strict);
    new_risk(&app, "Probe").await;
    let mut refused = false;
    for _ in 0..300 {
        let d = deliveries(&app, "RCH", &id, "").await;
        if d.iter().any(|d| {
            d["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("internal address"))
        }) {
            refused = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "the delivery was not refused");
    assert!(receiver.on("/hook").is_empty());
    worker.stop().await;
    server.stop(true).await;
}

#[actix_web::test]
async fn subscriptions_belong_to_their_authority_s_admins_and_refuse_bad_targets() {
    let app = TestApp::spawn().await;
    let admin = token("RCH", &[Role::Admin]);
    let ok = json!({"url": "https://93.184.216.34/hooks/chub", "event_types": ["risk"]});
    for (url, why) in [
        ("http://127.0.0.1:8080/x", "internal"),
        ("http://10.0.0.7/x", "internal"),
        ("http://169.254.169.254/latest/meta-data", "internal"),
        ("http://[::1]/x", "internal"),
        ("http://localhost/x", "internal"),
        ("ftp://93.184.216.34/x", "http or https"),
        ("not a url", "absolute"),
    ] {
        let r = app.post("/v1/webhooks", &admin, &json!({"url": url})).await;
        assert_eq!(r.invalid_fields(), vec!["url"], "{url}");
        assert!(
            r.json()["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(why),
            "{url}"
        );
    }
    let r = app
        .post(
            "/v1/webhooks",
            &admin,
            &json!({"url": ok["url"], "event_types": ["risk", "pony"]}),
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["event_types[1]"]);
    let r = app
        .post(
            "/v1/webhooks",
            &admin,
            &json!({"url": ok["url"], "secret": "hunter2"}),
        )
        .await;
    assert_eq!(r.invalid_fields(), vec!["secret"]);
    let r = app
        .post("/v1/webhooks", &token("RCH", &[Role::Commissioner]), &ok)
        .await;
    r.problem(403);
    let r = app
        .send(TestRequest::post().uri("/v1/webhooks").set_json(&ok))
        .await;
    r.problem(401);

    // A supplied secret is kept; the secret is shown once, never in reads or the feed.
    let own = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let r = app
        .post(
            "/v1/webhooks",
            &admin,
            &json!({"url": ok["url"], "secret": own}),
        )
        .await;
    assert_eq!(r.status, 201);
    let created = r.json();
    assert_eq!(created["secret"], own);
    let id = created["id"].as_str().unwrap().to_string();
    let at = format!("/v1/webhooks/{id}");
    let read = app.get(&at, &admin).await;
    assert_eq!(read.status, 200);
    assert!(read.json().get("secret").is_none());
    assert_eq!(read.header("etag").as_deref(), Some("\"1\""));
    let list = app.get("/v1/webhooks", &admin).await;
    assert_eq!(list.json()["items"].as_array().unwrap().len(), 1);
    // Another authority's admin neither sees nor changes it.
    let tam = token("TAM", &[Role::Admin]);
    app.get(&at, &tam).await.problem(404);
    assert!(
        app.get("/v1/webhooks", &tam).await.json()["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.patch(&at, &tam, &json!({"active": false}))
        .await
        .problem(404);
    app.get(&format!("{at}/deliveries"), &tam)
        .await
        .problem(404);
    app.get(&format!("{at}/deliveries"), &token("RCH", &[Role::Auditor]))
        .await
        .problem(403);
    app.get(&format!("/v1/webhooks/{}", uuid::Uuid::now_v7()), &admin)
        .await
        .problem(404);

    // Pause it; a stale If-Match is 412; a bad URL in a patch is 422.
    let r = app
        .send(
            TestRequest::patch()
                .uri(&at)
                .insert_header(bearer(&admin))
                .insert_header(("If-Match", "\"7\""))
                .set_json(json!({"active": false})),
        )
        .await;
    r.problem(412);
    let r = app
        .patch(&at, &admin, &json!({"url": "http://192.168.0.1/"}))
        .await;
    assert_eq!(r.invalid_fields(), vec!["url"]);
    let r = app.patch(&at, &admin, &json!({"active": null})).await;
    assert_eq!(r.invalid_fields(), vec!["active"]);
    let r = app.patch(&at, &admin, &json!({"active": false})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["active"], false);
    assert_eq!(r.json()["version"], 2);

    // The feed shows subscription changes to the owner's admins only, without the secret.
    // (Other transactions on the server may hold the feed back for a moment: wait for both.)
    let mut items = Vec::new();
    let mut cursor = String::new();
    for _ in 0..30 {
        let feed = app
            .get(
                &format!("/v1/changes?types=webhook_subscription&wait=2{cursor}"),
                &admin,
            )
            .await
            .json();
        items.extend(feed["items"].as_array().unwrap().iter().cloned());
        cursor = format!("&after={}", feed["next_cursor"].as_str().unwrap());
        if items.len() >= 2 {
            break;
        }
    }
    assert_eq!(items.len(), 2);
    assert!(!serde_json::to_string(&items).unwrap().contains("whsec_"));
    let feed = app
        .get("/v1/changes?types=webhook_subscription", &tam)
        .await
        .json();
    assert!(feed["items"].as_array().unwrap().is_empty());
    let feed = app
        .get(
            "/v1/changes?types=webhook_subscription",
            &token("RCH", &[Role::Finance]),
        )
        .await
        .json();
    assert!(feed["items"].as_array().unwrap().is_empty());

    let r = app
        .send(TestRequest::delete().uri(&at).insert_header(bearer(&admin)))
        .await;
    assert_eq!(r.status, 204);
    app.get(&at, &admin).await.problem(404);
}
