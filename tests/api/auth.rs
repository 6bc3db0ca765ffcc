//! Who may call: every refused token is a 401 problem with a `WWW-Authenticate` challenge, and
//! roles and the owning authority are enforced on writes.

use std::time::Duration;

use actix_web::test::TestRequest;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use commissioning_hub::auth::{Role, mint_token};
use commissioning_hub::config::JwtConfig;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{
    AUDIENCE, ISSUER, Reply, SECRET, TestApp, claims, fixture, hs256, hs256_config, new_intention,
    sign, token,
};

/// Any valid token may list intentions, so a refusal here is the token's fault alone.
const PROBE: &str = "/v1/commissioning-intentions";

/// Assert a 401 problem with a Bearer challenge; return the problem's detail.
fn refused(reply: &Reply) -> String {
    let problem = reply.problem(401);
    let challenge = reply
        .header("www-authenticate")
        .expect("a 401 carries WWW-Authenticate");
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    problem["detail"].as_str().unwrap().to_string()
}

fn rch_commissioner() -> commissioning_hub::auth::Claims {
    claims("RCH", &[Role::Commissioner])
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(&pem("rs256-private.pem")).unwrap()
}

fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&pem("es256-private.pem")).unwrap()
}

fn header_with_kid(alg: Algorithm, kid: &str) -> Header {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    header
}

fn public_key_config(file: &str) -> JwtConfig {
    JwtConfig {
        public_key_file: Some(fixture(file)),
        hs256_secret: None,
        ..hs256_config()
    }
}

fn jwks_config() -> JwtConfig {
    JwtConfig {
        jwks_file: Some(fixture("jwks.json")),
        hs256_secret: None,
        ..hs256_config()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[actix_web::test]
async fn a_request_without_authorization_is_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    let reply = app.send(TestRequest::get().uri(PROBE)).await;
    let detail = refused(&reply);
    assert!(detail.contains("Authorization"), "{detail}");
}

#[actix_web::test]
async fn a_basic_or_empty_bearer_authorization_is_401() {
    let app = TestApp::spawn().await;
    for value in [
        "Basic dXNlcjpwYXNzd29yZA==",
        "Bearer ",
        "Bearer",
        "Bearer    ",
    ] {
        let reply = app
            .send(
                TestRequest::get()
                    .uri(PROBE)
                    .insert_header(("Authorization", value)),
            )
            .await;
        let detail = refused(&reply);
        assert!(detail.contains("Bearer <token>"), "{value:?}: {detail}");
    }
}

#[actix_web::test]
async fn a_garbage_token_or_one_whose_header_is_not_base64_json_is_401() {
    let app = TestApp::spawn().await;
    let valid_claims = b64(serde_json::to_vec(&rch_commissioner()).unwrap().as_slice());
    let tokens = [
        "not.a.jwt".to_string(),
        "garbage".to_string(),
        // Header is not base64url at all.
        format!("!!!***.{valid_claims}.c2ln"),
        // Header is base64url, but not JSON.
        format!("{}.{valid_claims}.c2ln", b64(b"this is not json")),
        // Header is JSON, but not a JOSE header.
        format!("{}.{valid_claims}.c2ln", b64(b"[1,2,3]")),
    ];
    for t in &tokens {
        let detail = refused(&app.get(PROBE, t).await);
        assert!(detail.contains("malformed"), "{t}: {detail}");
    }
}

#[actix_web::test]
async fn an_unsigned_alg_none_token_is_401() {
    let app = TestApp::spawn().await;
    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let body = b64(&serde_json::to_vec(&rch_commissioner()).unwrap());
    for t in [
        format!("{header}.{body}."),
        format!("{}.{body}.", b64(br#"{"alg":"None","typ":"JWT"}"#)),
        format!("{}.{body}.", b64(br#"{"alg":"NONE","typ":"JWT"}"#)),
    ] {
        refused(&app.get(PROBE, &t).await);
    }
}

#[actix_web::test]
async fn hs384_and_hs512_tokens_with_the_right_secret_are_401_as_unlisted_algorithms() {
    let app = TestApp::spawn().await;
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let t = sign(&rch_commissioner(), Header::new(alg), &key);
        let detail = refused(&app.get(PROBE, &t).await);
        assert!(detail.contains("not accepted"), "{alg:?}: {detail}");
    }
    // The same claims signed HS256 are accepted, so only the algorithm was at fault.
    assert_eq!(
        app.get(PROBE, &hs256(&rch_commissioner())).await.status,
        200
    );
}

#[actix_web::test]
async fn an_hs256_token_signed_with_another_secret_is_401() {
    let app = TestApp::spawn().await;
    let t = sign(
        &rch_commissioner(),
        Header::new(Algorithm::HS256),
        &EncodingKey::from_secret(b"some-other-secret-entirely"),
    );
    let detail = refused(&app.get(PROBE, &t).await);
    assert!(detail.contains("signature"), "{detail}");
}

#[actix_web::test]
async fn a_token_from_another_issuer_is_401() {
    let app = TestApp::spawn().await;
    let mut c = rch_commissioner();
    c.iss = "https://someone-else.example".into();
    let detail = refused(&app.get(PROBE, &hs256(&c)).await);
    assert!(detail.contains("iss"), "{detail}");
}

#[actix_web::test]
async fn a_token_for_another_audience_is_401() {
    let app = TestApp::spawn().await;
    let mut c = rch_commissioner();
    c.aud = "some-other-service".into();
    let detail = refused(&app.get(PROBE, &hs256(&c)).await);
    assert!(detail.contains("aud"), "{detail}");
}

#[actix_web::test]
async fn an_expired_token_is_401_saying_it_expired() {
    let app = TestApp::spawn().await;
    let now = jsonwebtoken::get_current_timestamp();
    let mut c = rch_commissioner();
    c.iat = Some(now - 3 * 3600);
    c.nbf = Some(now - 3 * 3600);
    c.exp = now - 2 * 3600;
    let detail = refused(&app.get(PROBE, &hs256(&c)).await);
    assert!(detail.contains("expired"), "{detail}");
}

#[actix_web::test]
async fn a_token_not_valid_yet_is_401() {
    let app = TestApp::spawn().await;
    let now = jsonwebtoken::get_current_timestamp();
    let mut c = rch_commissioner();
    c.nbf = Some(now + 3600);
    c.exp = now + 2 * 3600;
    let detail = refused(&app.get(PROBE, &hs256(&c)).await);
    assert!(detail.contains("nbf"), "{detail}");
}

#[actix_web::test]
async fn a_token_without_a_subject_is_401() {
    let app = TestApp::spawn().await;
    let mut c = serde_json::to_value(rch_commissioner()).unwrap();
    c.as_object_mut().unwrap().remove("sub");
    let t = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &c,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let detail = refused(&app.get(PROBE, &t).await);
    assert!(detail.contains("sub"), "{detail}");
}

#[actix_web::test]
async fn a_token_whose_authority_claim_is_not_a_code_is_401() {
    let app = TestApp::spawn().await;
    let mut c = rch_commissioner();
    c.authority = "rch".into();
    let detail = refused(&app.get(PROBE, &hs256(&c)).await);
    assert!(detail.contains("authority"), "{detail}");
}

#[actix_web::test]
async fn with_an_rsa_public_key_rs256_tokens_verify_and_hs256_ones_do_not() {
    let app = TestApp::spawn_with(public_key_config("rs256-public.pem"), 1024 * 1024).await;
    let rs256 = sign(
        &rch_commissioner(),
        Header::new(Algorithm::RS256),
        &rsa_key(),
    );
    assert_eq!(app.get(PROBE, &rs256).await.status, 200);

    // The HS256 secret is not configured, so HS256 is not among the pinned algorithms.
    let detail = refused(&app.get(PROBE, &token("RCH", &[Role::Commissioner])).await);
    assert!(detail.contains("HS256"), "{detail}");

    // Key confusion: HS256 keyed with the public key that the server holds.
    let confused = sign(
        &rch_commissioner(),
        Header::new(Algorithm::HS256),
        &EncodingKey::from_secret(&pem("rs256-public.pem")),
    );
    refused(&app.get(PROBE, &confused).await);

    // An ES256 token has no key in this configuration either.
    let es256 = sign(
        &rch_commissioner(),
        Header::new(Algorithm::ES256),
        &ec_key(),
    );
    refused(&app.get(PROBE, &es256).await);
}

#[actix_web::test]
async fn with_an_ec_public_key_es256_tokens_verify() {
    let app = TestApp::spawn_with(public_key_config("es256-public.pem"), 1024 * 1024).await;
    let es256 = sign(
        &rch_commissioner(),
        Header::new(Algorithm::ES256),
        &ec_key(),
    );
    assert_eq!(app.get(PROBE, &es256).await.status, 200);
    let rs256 = sign(
        &rch_commissioner(),
        Header::new(Algorithm::RS256),
        &rsa_key(),
    );
    refused(&app.get(PROBE, &rs256).await);
}

#[actix_web::test]
async fn with_a_jwks_file_keys_are_chosen_by_kid() {
    let app = TestApp::spawn_with(jwks_config(), 1024 * 1024).await;
    let rs256 = sign(
        &rch_commissioner(),
        header_with_kid(Algorithm::RS256, "test-rsa-1"),
        &rsa_key(),
    );
    assert_eq!(app.get(PROBE, &rs256).await.status, 200);
    let es256 = sign(
        &rch_commissioner(),
        header_with_kid(Algorithm::ES256, "test-ec-1"),
        &ec_key(),
    );
    assert_eq!(app.get(PROBE, &es256).await.status, 200);
}

#[actix_web::test]
async fn with_a_jwks_file_an_unknown_or_missing_kid_is_401() {
    let app = TestApp::spawn_with(jwks_config(), 1024 * 1024).await;
    let unknown = sign(
        &rch_commissioner(),
        header_with_kid(Algorithm::RS256, "test-rsa-2"),
        &rsa_key(),
    );
    let detail = refused(&app.get(PROBE, &unknown).await);
    assert!(detail.contains("test-rsa-2"), "{detail}");

    let missing = sign(
        &rch_commissioner(),
        Header::new(Algorithm::RS256),
        &rsa_key(),
    );
    let detail = refused(&app.get(PROBE, &missing).await);
    assert!(detail.contains("kid"), "{detail}");

    // A kid naming the EC key does not make an RSA signature verify.
    let mismatched = sign(
        &rch_commissioner(),
        header_with_kid(Algorithm::RS256, "test-ec-1"),
        &rsa_key(),
    );
    refused(&app.get(PROBE, &mismatched).await);
}

#[actix_web::test]
async fn a_partner_may_not_create_an_intention_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let partner = token("RCH", &[Role::Partner]);
    let problem = app
        .post(PROBE, &partner, &new_intention())
        .await
        .problem(403);
    assert!(
        problem["detail"].as_str().unwrap().contains("commissioner"),
        "{problem}"
    );
    let list = app
        .get("/v1/commissioning-intentions?authority=RCH", &partner)
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(list.json()["items"], json!([]));
}

#[actix_web::test]
async fn a_commissioner_of_another_authority_may_not_change_an_intention() {
    let app = TestApp::spawn().await;
    let rch = token("RCH", &[Role::Commissioner]);
    let created = app.post(PROBE, &rch, &new_intention()).await;
    assert_eq!(created.status, 201);
    let created = created.json();
    let path = format!("{PROBE}/{}", created["id"].as_str().unwrap());

    let tam = token("TAM", &[Role::Commissioner]);
    let problem = app
        .patch(&path, &tam, &json!({"title": "Taken over by Tameside"}))
        .await
        .problem(403);
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("RCH") && detail.contains("TAM"), "{detail}");

    let now = app.get(&path, &rch).await;
    assert_eq!(now.status, 200);
    assert_eq!(now.header("etag").as_deref(), Some("\"1\""));
    let now = now.json();
    assert_eq!(now["version"], 1);
    assert_eq!(now["title"], created["title"]);
    assert_eq!(now, created);
}

#[actix_web::test]
async fn only_auditors_and_admins_read_the_audit_trail() {
    let app = TestApp::spawn().await;
    let problem = app
        .get("/v1/audit-events", &token("RCH", &[Role::Commissioner]))
        .await
        .problem(403);
    assert!(
        problem["detail"].as_str().unwrap().contains("auditor"),
        "{problem}"
    );
    let reply = app
        .get("/v1/audit-events", &token("RCH", &[Role::Auditor]))
        .await;
    assert_eq!(reply.status, 200);
    assert!(reply.json()["items"].is_array());
}

#[actix_web::test]
async fn only_admins_add_authorities() {
    let app = TestApp::spawn().await;
    let doncaster = json!({"code": "DNC", "name": "City of Doncaster Council"});
    let commissioner = token("RCH", &[Role::Commissioner]);
    app.post("/v1/authorities", &commissioner, &doncaster)
        .await
        .problem(403);
    app.get("/v1/authorities/DNC", &commissioner)
        .await
        .problem(404);

    let reply = app
        .post("/v1/authorities", &token("RCH", &[Role::Admin]), &doncaster)
        .await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.json()["code"], "DNC");
}

#[actix_web::test]
async fn roles_this_service_does_not_know_are_ignored() {
    let app = TestApp::spawn().await;
    let mut c = rch_commissioner();
    c.roles = vec!["commissioner".into(), "some_idp_role".into()];
    let reply = app.post(PROBE, &hs256(&c), &new_intention()).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );

    // Unknown roles alone grant nothing.
    c.roles = vec!["some_idp_role".into(), "Commissioner".into()];
    app.post(PROBE, &hs256(&c), &new_intention())
        .await
        .problem(403);
}

#[actix_web::test]
async fn a_minted_token_verifies_with_the_matching_secret_only() {
    let app = TestApp::spawn().await;
    let mint = |secret: &str| {
        mint_token(
            secret,
            ISSUER,
            AUDIENCE,
            "someone@skp",
            "SKP",
            &[Role::Board],
            Duration::from_secs(60),
        )
    };
    let good = app.get(PROBE, &mint(SECRET)).await;
    assert_eq!(good.status, 200);
    refused(&app.get(PROBE, &mint("not-the-configured-secret")).await);

    // The app's own verifier reads back exactly what was minted.
    let t = mint(SECRET);
    let minted = app
        .state
        .verifier
        .verify(&t)
        .expect("minted token verifies");
    assert_eq!(minted.sub, "someone@skp");
    assert_eq!(minted.authority, "SKP");
    assert_eq!(minted.roles, ["board"]);
    assert_eq!(
        (minted.iss.as_str(), minted.aud.as_str()),
        (ISSUER, AUDIENCE)
    );
    let now = jsonwebtoken::get_current_timestamp();
    assert!(
        minted.exp > now && minted.exp <= now + 60,
        "exp {}, now {now}",
        minted.exp
    );

    // The Authorization scheme is case-insensitive.
    let reply = app
        .send(
            TestRequest::get()
                .uri(PROBE)
                .insert_header(("Authorization", format!("bearer {t}"))),
        )
        .await;
    assert_eq!(reply.status, 200);
}
