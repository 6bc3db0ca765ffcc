//! Planned social value over HTTP: the priorities a commissioning intention or a PID names are the
//! authority's priority records, a PID's measures are measures of the edition in force that serve
//! a chosen priority, and a priority's change of code (or deletion) keeps the plans naming it whole.

use actix_web::test::TestRequest;
use commissioning_hub::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, bearer, new_intention, token};
use crate::pids::{approved_intention, new_pid};
use crate::social_value::priority;

/// An edition in force since 2026-04-01 with three measures: NT1 and NT4 (jobs), NT44 (carbon).
async fn load_edition(app: &TestApp) {
    let edition = json!({
        "code": "2026-plan", "name": "Planning test measures", "effective_from": "2026-04-01",
        "themes": [
            {"code": "jobs", "name": "Jobs", "outcomes": [{"code": "jobs-local", "name": "Local jobs", "measures": [
                {"code": "NT1", "description": "Local people employed (FTE)", "unit": "FTE year", "proxy_value_pence": 3_000_000},
                {"code": "NT4", "description": "Apprenticeship weeks", "unit": "week", "proxy_value_pence": 25_000}
            ]}]},
            {"code": "environment", "name": "Environment", "outcomes": [{"code": "carbon", "name": "Less carbon", "measures": [
                {"code": "NT44", "description": "Tonnes of CO2e saved", "unit": "tonne CO2e", "proxy_value_pence": 24_500}
            ]}]}
        ]
    });
    let r = app
        .post(
            "/v1/social-value/editions",
            &token("RCH", &[Role::Admin]),
            &edition,
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

fn buyer(authority: &str) -> String {
    token(authority, &[Role::Procurement])
}

/// The edition, RCH's priorities local_employment (NT1, NT4) and carbon (NT44), and TAM's
/// volunteering (NT1).
async fn frame(app: &TestApp) -> Value {
    load_edition(app).await;
    let local = priority(app, "RCH", "local_employment", &["NT1", "NT4"]).await;
    priority(app, "RCH", "carbon", &["NT44"]).await;
    priority(app, "TAM", "volunteering", &["NT1"]).await;
    local
}

#[actix_web::test]
async fn a_pid_plans_social_value_from_its_authoritys_priorities_and_the_edition_in_force() {
    let app = TestApp::spawn().await;
    frame(&app).await;
    let intention = approved_intention(&app, "RCH").await;
    let plan = |priorities: Value, measures: Value| {
        let mut body = new_pid(&intention);
        body["social_value_priorities"] = priorities;
        body["social_value_measures"] = measures;
        body
    };

    // Refused, naming each bad entry, and nothing is raised.
    let cases = [
        // TAM's priority is not RCH's; a code no authority uses.
        (
            plan(json!(["volunteering", "nonesuch"]), json!([])),
            vec!["social_value_priorities[0]", "social_value_priorities[1]"],
        ),
        // A priority listed twice.
        (
            plan(json!(["carbon", "carbon"]), json!([])),
            vec!["social_value_priorities[1]"],
        ),
        // NT44 serves carbon, which is not chosen; NT9 is in no edition in force; NT1 twice.
        (
            plan(
                json!(["local_employment"]),
                json!(["NT1", "NT44", "NT9", "NT1"]),
            ),
            vec![
                "social_value_measures[1]",
                "social_value_measures[2]",
                "social_value_measures[3]",
            ],
        ),
        // Measures without any priority chosen serve none.
        (
            plan(json!([]), json!(["NT1"])),
            vec!["social_value_measures[0]"],
        ),
    ];
    for (body, fields) in cases {
        let r = app.post("/v1/pids", &buyer("RCH"), &body).await;
        assert_eq!(r.invalid_fields(), fields, "{body}");
    }
    let listed = app
        .get("/v1/pids?authority=RCH", &buyer("RCH"))
        .await
        .json();
    assert_eq!(listed["items"], json!([]));

    // Linked to the priorities chosen, the plan is raised and reads back by code.
    let r = app
        .post(
            "/v1/pids",
            &buyer("RCH"),
            &plan(
                json!(["local_employment", "carbon"]),
                json!(["NT4", "NT44"]),
            ),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let pid = r.json();
    assert_eq!(
        pid["social_value_priorities"],
        json!(["local_employment", "carbon"])
    );
    assert_eq!(pid["social_value_measures"], json!(["NT4", "NT44"]));
    let path = format!("/v1/pids/{}", pid["id"].as_str().unwrap());

    // A draft's plan changes under the same rules: dropping carbon strands NT44.
    let r = app
        .patch(
            &path,
            &buyer("RCH"),
            &json!({"social_value_priorities": ["local_employment"]}),
        )
        .await;
    assert_eq!(r.invalid_fields(), ["social_value_measures[1]"]);
    let r = app
        .patch(
            &path,
            &buyer("RCH"),
            &json!({"social_value_priorities": ["local_employment"], "social_value_measures": ["NT1", "NT4"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["social_value_measures"], json!(["NT1", "NT4"]));

    // Submission checks the plan again: a priority that no longer lists a measure refuses it.
    let local = app
        .get("/v1/social-value/priorities?authority=RCH", &buyer("RCH"))
        .await
        .json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "local_employment")
        .unwrap()
        .clone();
    let local_path = format!(
        "/v1/social-value/priorities/{}",
        local["id"].as_str().unwrap()
    );
    let commissioner = token("RCH", &[Role::Commissioner]);
    assert_eq!(
        app.patch(
            &local_path,
            &commissioner,
            &json!({"measure_codes": ["NT1"]})
        )
        .await
        .status,
        200
    );
    let submit = app
        .send(
            TestRequest::post()
                .uri(&format!("{path}/submit"))
                .insert_header(bearer(&buyer("RCH"))),
        )
        .await;
    assert_eq!(submit.invalid_fields(), ["social_value_measures[1]"]);
    let after = app.get(&path, &buyer("RCH")).await.json();
    assert_eq!(after["status"], "draft");
}

#[actix_web::test]
async fn an_intention_names_only_its_authoritys_priorities() {
    let app = TestApp::spawn().await;
    frame(&app).await;
    let commissioner = token("RCH", &[Role::Commissioner]);
    let mut body = new_intention();
    body["social_value_priorities"] = json!(["local_employment", "volunteering"]);
    let r = app
        .post("/v1/commissioning-intentions", &commissioner, &body)
        .await;
    assert_eq!(r.invalid_fields(), ["social_value_priorities[1]"]);

    body["social_value_priorities"] = json!(["local_employment"]);
    let r = app
        .post("/v1/commissioning-intentions", &commissioner, &body)
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let path = format!(
        "/v1/commissioning-intentions/{}",
        r.json()["id"].as_str().unwrap()
    );
    let r = app
        .patch(
            &path,
            &commissioner,
            &json!({"social_value_priorities": ["carbon", "carbon"]}),
        )
        .await;
    assert_eq!(r.invalid_fields(), ["social_value_priorities[1]"]);
    let r = app
        .patch(
            &path,
            &commissioner,
            &json!({"social_value_priorities": ["carbon", "local_employment"]}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["social_value_priorities"],
        json!(["carbon", "local_employment"])
    );
}

#[actix_web::test]
async fn a_priority_renamed_is_renamed_in_the_plans_and_one_still_named_is_not_deleted() {
    let app = TestApp::spawn().await;
    let local = frame(&app).await;
    let commissioner = token("RCH", &[Role::Commissioner]);
    let intention = approved_intention(&app, "RCH").await;
    let mut body = new_pid(&intention);
    body["social_value_priorities"] = json!(["carbon", "local_employment"]);
    body["social_value_measures"] = json!(["NT1"]);
    let pid = app.post("/v1/pids", &buyer("RCH"), &body).await;
    assert_eq!(pid.status, 201, "{}", String::from_utf8_lossy(&pid.body));
    let pid_path = format!("/v1/pids/{}", pid.json()["id"].as_str().unwrap());
    let intention_path = format!("/v1/commissioning-intentions/{intention}");
    assert_eq!(
        app.patch(
            &intention_path,
            &commissioner,
            &json!({"social_value_priorities": ["local_employment"]})
        )
        .await
        .status,
        200
    );
    // TAM names its own priority of the same code the rename must leave alone.
    priority(&app, "TAM", "local_employment", &["NT1"]).await;
    let mut tam = new_intention();
    tam["social_value_priorities"] = json!(["local_employment"]);
    let tam = app
        .post(
            "/v1/commissioning-intentions",
            &token("TAM", &[Role::Commissioner]),
            &tam,
        )
        .await;
    assert_eq!(tam.status, 201);
    let tam_path = format!(
        "/v1/commissioning-intentions/{}",
        tam.json()["id"].as_str().unwrap()
    );

    let local_path = format!(
        "/v1/social-value/priorities/{}",
        local["id"].as_str().unwrap()
    );
    let delete = |path: String| {
        TestRequest::delete()
            .uri(&path)
            .insert_header(bearer(&token("RCH", &[Role::Commissioner])))
    };
    let refused = app.send(delete(local_path.clone())).await.problem(409);
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("1 PID(s) and 1 commissioning intention(s)"),
        "{refused}"
    );

    let renamed = app
        .patch(&local_path, &commissioner, &json!({"code": "local_jobs"}))
        .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(
        app.get(&pid_path, &buyer("RCH")).await.json()["social_value_priorities"],
        json!(["carbon", "local_jobs"])
    );
    assert_eq!(
        app.get(&intention_path, &buyer("RCH")).await.json()["social_value_priorities"],
        json!(["local_jobs"])
    );
    assert_eq!(
        app.get(&tam_path, &buyer("RCH")).await.json()["social_value_priorities"],
        json!(["local_employment"])
    );
    // Each plan renamed moved on a version, with its own audit event (the change feed carries it).
    let auditor = token("RCH", &[Role::Auditor]);
    for (entity, path) in [
        ("pid", &pid_path),
        ("commissioning_intention", &intention_path),
    ] {
        let id = path.rsplit('/').next().unwrap();
        let events = app
            .get(
                &format!("/v1/audit-events?entity_type={entity}&entity_id={id}"),
                &auditor,
            )
            .await
            .json();
        let last = events["items"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "update", "{events}");
        assert_eq!(
            last["after"]["social_value_priorities"]
                .as_array()
                .unwrap()
                .last()
                .unwrap(),
            "local_jobs",
            "{last}"
        );
    }

    // Once no plan names it, the priority goes.
    assert_eq!(
        app.patch(
            &intention_path,
            &commissioner,
            &json!({"social_value_priorities": []})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.patch(
            &pid_path,
            &buyer("RCH"),
            &json!({"social_value_priorities": ["carbon"], "social_value_measures": []})
        )
        .await
        .status,
        200
    );
    assert_eq!(app.send(delete(local_path)).await.status, 204);
}
