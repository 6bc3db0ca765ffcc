//! TestApp: the real app on a fresh database made from a migrated template, with tokens for any
//! role, driven over HTTP through `actix_web::test`.

use std::path::Path;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

use actix_http::Request;
use actix_web::http::header::HeaderMap;
use actix_web::test::{self, TestRequest};
use commissioning_hub::auth::{Claims, Role, Verifier, mint_token};
use commissioning_hub::config::JwtConfig;
use commissioning_hub::{AppState, BodyLimits, app, db};
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const SECRET: &str = "test-secret-for-the-integration-tests";
pub const ISSUER: &str = "commissioning-hub";
pub const AUDIENCE: &str = "commissioning-hub";

/// Where the tests find PostgreSQL: `TEST_DATABASE_URL`, or the local default.
pub fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn url_for(database: &str) -> String {
    let mut url = url::Url::parse(&server_url()).expect("TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

fn admin_connection() -> PgConnection {
    let url = server_url();
    PgConnection::establish(&url).unwrap_or_else(|e| {
        panic!(
            "\n\nThe tests need PostgreSQL, and cannot reach it at {url}: {e}\n\
             Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
             or `docker compose up -d db`), or point TEST_DATABASE_URL at one.\n"
        )
    })
}

/// Name of the migrated template: it changes whenever a migration does, so it never goes stale.
fn template_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let mut hash = Sha256::new();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<_> = walk(&root);
        files.sort();
        for f in files {
            hash.update(f.to_string_lossy().as_bytes());
            hash.update(std::fs::read(&f).expect("migration readable"));
        }
        let name = format!("chub_template_{}", &hex::encode(hash.finalize())[..16]);
        ensure_template(&name);
        name
    })
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .expect("migrations directory")
        .flat_map(|e| {
            let path = e.expect("dir entry").path();
            if path.is_dir() {
                walk(&path)
            } else {
                vec![path]
            }
        })
        .collect()
}

/// Build the template once per migration set: migrate a scratch database, then rename it, so a
/// half-built template is never used. An advisory lock keeps concurrent test runs apart.
fn ensure_template(name: &str) {
    let mut admin = admin_connection();
    diesel::sql_query("SELECT pg_advisory_lock(727272)")
        .execute(&mut admin)
        .unwrap();
    let exists: i64 = diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "(SELECT count(*) FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result(&mut admin)
    .unwrap();
    if exists == 0 {
        let building = format!("{name}_building");
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
        ))
        .execute(&mut admin)
        .unwrap();
        diesel::sql_query(format!("CREATE DATABASE \"{building}\""))
            .execute(&mut admin)
            .unwrap();
        {
            let mut conn = PgConnection::establish(&url_for(&building)).unwrap();
            db::migrate(&mut conn).expect("migrations apply to a fresh database");
        }
        diesel::sql_query(format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
        ))
        .execute(&mut admin)
        .unwrap();
    }
    diesel::sql_query("SELECT pg_advisory_unlock(727272)")
        .execute(&mut admin)
        .unwrap();
}

/// A fresh database copied from the template; dropped when the value is.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    pub fn new() -> Self {
        Self::create(format!("chub_test_{}", uuid::Uuid::now_v7().simple()))
    }

    /// A database of this name, copied from the template.
    pub fn create(name: String) -> Self {
        let template = template_name();
        let mut admin = admin_connection();
        diesel::sql_query(format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .execute(&mut admin)
        .unwrap();
        TestDb { name }
    }

    pub fn url(&self) -> String {
        url_for(&self.name)
    }

    pub fn connection(&self) -> PgConnection {
        PgConnection::establish(&self.url()).unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let mut admin = admin_connection();
        let _ = diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin);
    }
}

/// What came back from one request.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    /// Assert the status and that the body is problem JSON with that status; return the problem.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(
            p["title"].is_string() && p["type"].is_string() && p["detail"].is_string(),
            "{p}"
        );
        p
    }

    /// Names of the fields a 422 problem lists.
    pub fn invalid_fields(&self) -> Vec<String> {
        let p = self.problem(422);
        p["errors"]
            .as_array()
            .expect("errors list")
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect()
    }
}

type Call = Box<dyn Fn(Request) -> LocalBoxFuture<'static, Reply>>;

/// The real application on its own database.
pub struct TestApp {
    call: Call,
    pub db: TestDb,
    pub state: AppState,
}

pub fn hs256_config() -> JwtConfig {
    JwtConfig {
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
        hs256_secret: Some(SECRET.into()),
        public_key_file: None,
        jwks_file: None,
        algorithms: vec![],
    }
}

pub fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(hs256_config(), 1024 * 1024).await
    }

    pub async fn spawn_with(jwt: JwtConfig, max_body_bytes: usize) -> Self {
        let db = TestDb::new();
        let pool = db::pool(&db.url(), 4, Duration::from_secs(2));
        Self::on_pool(db, pool, jwt, max_body_bytes).await
    }

    pub async fn on_pool(
        db: TestDb,
        pool: db::PgPool,
        jwt: JwtConfig,
        max_body_bytes: usize,
    ) -> Self {
        let verifier = Verifier::from_config(&jwt, None).expect("test JWT config is valid");
        let limits = BodyLimits {
            json: max_body_bytes,
            import: 32 * 1024 * 1024,
        };
        let state = AppState::new(pool, verifier, limits).expect("app state");
        Self::on_state(db, state).await
    }

    /// The app with these webhook settings (a test that delivers allows loopback targets).
    pub async fn spawn_with_webhooks(webhooks: commissioning_hub::config::WebhookConfig) -> Self {
        let db = TestDb::new();
        let pool = db::pool(&db.url(), 4, Duration::from_secs(2));
        let verifier = Verifier::from_config(&hs256_config(), None).expect("test JWT config");
        let limits = BodyLimits {
            json: 1024 * 1024,
            import: 32 * 1024 * 1024,
        };
        let state = AppState::new(pool, verifier, limits)
            .expect("app state")
            .with_webhooks(webhooks);
        Self::on_state(db, state).await
    }

    /// The app on `db` with a state built by the test (its own pool settings, body limits or rate
    /// limit), for tests of the limits themselves.
    pub async fn on_state(db: TestDb, state: AppState) -> Self {
        let service = Rc::new(test::init_service(app(state.clone())).await);
        let call: Call = Box::new(move |req| {
            let service = service.clone();
            Box::pin(async move {
                let res = test::call_service(&*service, req).await;
                let status = res.status().as_u16();
                let headers = res.headers().clone();
                let body = test::read_body(res).await.to_vec();
                Reply {
                    status,
                    headers,
                    body,
                }
            })
        });
        TestApp { call, db, state }
    }

    pub async fn send(&self, req: TestRequest) -> Reply {
        (self.call)(req.to_request()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(TestRequest::get().uri(path).insert_header(bearer(token)))
            .await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(
            TestRequest::post()
                .uri(path)
                .insert_header(bearer(token))
                .set_json(body),
        )
        .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Reply {
        self.send(
            TestRequest::patch()
                .uri(path)
                .insert_header(bearer(token))
                .set_json(body),
        )
        .await
    }
}

pub fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

/// An HS256 token for `authority` with `roles`, valid for an hour.
pub fn token(authority: &str, roles: &[Role]) -> String {
    mint_token(
        SECRET,
        ISSUER,
        AUDIENCE,
        &format!("tester@{authority}"),
        authority,
        roles,
        Duration::from_secs(3600),
    )
}

/// Claims valid for an hour, to alter before signing.
pub fn claims(authority: &str, roles: &[Role]) -> Claims {
    let now = jsonwebtoken::get_current_timestamp();
    Claims {
        sub: format!("tester@{authority}"),
        authority: authority.into(),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        exp: now + 3600,
        nbf: Some(now),
        iat: Some(now),
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
    }
}

/// Sign `claims` with a given algorithm and key.
pub fn sign(
    claims: &Claims,
    header: jsonwebtoken::Header,
    key: &jsonwebtoken::EncodingKey,
) -> String {
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

pub fn hs256(claims: &Claims) -> String {
    sign(
        claims,
        jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
}

/// A valid new intention body, to vary per test.
pub fn new_intention() -> Value {
    serde_json::json!({
        "title": "Supported living framework re-let",
        "description": "A new framework for supported living in people's own tenancies.",
        "category": "supported-living",
        "service_area": "Learning Disability",
        "financial_year": "2026/27",
        "estimated_annual_value_pence": 450_000_000_i64,
        "estimated_whole_life_value_pence": 2_250_000_000_i64,
        "replaces_contracts": ["RCH-C-2019-0031"],
        "planned_procurement_start": "2026-05-01",
        "planned_contract_start": "2027-04-01",
        "priority": "must",
        "tranche": 1,
        "improvement_category": 2,
        "sme_local_opportunity": true,
        "collaboration_potential": false,
        "social_value_priorities": [],
        "lead_officer": "Commissioning Manager, Learning Disabilities"
    })
}
