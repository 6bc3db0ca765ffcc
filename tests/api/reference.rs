//! Reference data over HTTP: the STAR authorities, admins adding others, and the category strategy.

use commissioning_hub::auth::Role;
use serde_json::json;

use crate::helpers::{TestApp, token};

#[actix_web::test]
async fn the_four_star_authorities_are_seeded_with_their_codes() {
    let app = TestApp::spawn().await;
    let list = app
        .get("/v1/authorities", &token("RCH", &[Role::Partner]))
        .await
        .json();
    let rows: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["code"].as_str().unwrap(),
                a["gss_code"].as_str().unwrap(),
                a["gb_lae_code"].as_str().unwrap(),
                a["is_star_partner"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("RCH", "E08000005", "GB-LAE-RCH", true),
            ("SKP", "E08000007", "GB-LAE-SKP", true),
            ("TAM", "E08000008", "GB-LAE-TAM", true),
            ("TRF", "E08000009", "GB-LAE-TRF", true),
        ]
    );
    let one = app
        .get("/v1/authorities/TRF", &token("RCH", &[Role::Partner]))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["name"], "Trafford Metropolitan Borough Council");
    assert_eq!(one.header("etag").as_deref(), Some("\"1\""));
    app.get("/v1/authorities/XYZ", &token("RCH", &[Role::Partner]))
        .await
        .problem(404);
}

#[actix_web::test]
async fn an_admin_adds_a_partner_authority_once() {
    let app = TestApp::spawn().await;
    let admin = token("RCH", &[Role::Admin]);
    let doncaster = json!({"code": "DNC", "name": "City of Doncaster Council", "gb_lae_code": "GB-LAE-DNC", "gss_code": "E08000017"});
    let reply = app.post("/v1/authorities", &admin, &doncaster).await;
    assert_eq!(
        reply.status,
        201,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(
        reply.header("location").as_deref(),
        Some("/v1/authorities/DNC")
    );
    assert_eq!(reply.json()["is_star_partner"], false);
    assert_eq!(app.get("/v1/authorities/DNC", &admin).await.status, 200);
    app.post("/v1/authorities", &admin, &doncaster)
        .await
        .problem(409);

    let bad = json!({"code": "gm", "name": "", "gss_code": "X123"});
    let fields = app
        .post("/v1/authorities", &admin, &bad)
        .await
        .invalid_fields();
    assert_eq!(fields, ["code"]);
    let bad = json!({"code": "GMCA", "name": "Greater Manchester Combined Authority", "gss_code": "X123"});
    assert_eq!(
        app.post("/v1/authorities", &admin, &bad)
            .await
            .invalid_fields(),
        ["gss_code"]
    );
    let bad = json!({"code": "GMCA", "name": "   "});
    assert_eq!(
        app.post("/v1/authorities", &admin, &bad)
            .await
            .invalid_fields(),
        ["name"]
    );
}

#[actix_web::test]
async fn categories_form_the_adult_social_care_strategy_with_cpv_codes() {
    let app = TestApp::spawn().await;
    let t = token("SKP", &[Role::Commissioner]);
    let list = app.get("/v1/categories", &t).await.json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items[0]["code"], "adult-social-care");
    assert!(items[0]["parent"].is_null());
    let subs: Vec<_> = items[0]["subcategories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        subs,
        [
            "home-care",
            "residential-nursing",
            "supported-living",
            "day-services",
            "assistive-technology",
            "mental-health",
            "complex-lives",
            "carers"
        ]
    );
    let nursing = app
        .get("/v1/categories/residential-nursing", &t)
        .await
        .json();
    assert_eq!(nursing["parent"], "adult-social-care");
    assert!(
        nursing["cpv_codes"]
            .as_array()
            .unwrap()
            .contains(&json!("85144100-1"))
    );
    app.get("/v1/categories/knitting", &t).await.problem(404);
}
