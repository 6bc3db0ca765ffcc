//! The binary itself: start-up refusals, the `token` and `openapi` subcommands, and a graceful stop.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{TestDb, token};

const BIN: &str = env!("CARGO_BIN_EXE_commissioning-hub");

/// The binary with a clean environment: no JWT settings, no .env surprises.
fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .current_dir(std::env::temp_dir());
    cmd
}

#[test]
fn serve_refuses_to_start_without_a_key_unless_demo() {
    let db = TestDb::new();
    let out = command(&["serve"])
        .env("DATABASE_URL", db.url())
        .env("BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no JWT key is configured"), "{stderr}");
}

#[test]
fn an_unreachable_database_stops_start_up_with_one_line_naming_host_and_port() {
    let out = command(&["serve", "--demo"])
        .env(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:9/commissioning_hub",
        )
        .env("BIND", "127.0.0.1:0")
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].starts_with("error: cannot reach PostgreSQL at 127.0.0.1:9"),
        "{stderr}"
    );
}

#[test]
fn token_prints_a_token_the_configured_secret_verifies() {
    let out = command(&[
        "token",
        "--authority",
        "RCH",
        "--role",
        "commissioner",
        "--role",
        "auditor",
        "--ttl",
        "5m",
    ])
    .env("JWT_HS256_SECRET", crate::helpers::SECRET)
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let verifier =
        commissioning_hub::auth::Verifier::from_config(&crate::helpers::hs256_config(), None)
            .unwrap();
    let claims = verifier.verify(&printed).unwrap();
    assert_eq!(claims.authority, "RCH");
    assert_eq!(claims.roles, ["commissioner", "auditor"]);
    assert_eq!(claims.sub, "developer@rch");
    assert!(claims.exp <= jsonwebtoken::get_current_timestamp() + 300);
    // The same shape as the test tokens.
    assert_eq!(
        printed.split('.').count(),
        token("RCH", &[]).split('.').count()
    );

    let bad = command(&["token", "--authority", "rch", "--role", "commissioner"])
        .output()
        .unwrap();
    assert!(!bad.status.success(), "a lower-case authority is refused");
    let bad = command(&["token", "--authority", "RCH", "--role", "overlord"])
        .output()
        .unwrap();
    assert!(!bad.status.success(), "an unknown role is refused");
}

#[test]
fn the_openapi_subcommand_prints_the_committed_spec() {
    let out = command(&["openapi"]).output().unwrap();
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert!(
        printed == committed,
        "`commissioning-hub openapi` differs from openapi/openapi.json"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `serve --demo` loads the demo plan, answers over a real socket with a token from `token`, and
/// on SIGTERM stops cleanly.
#[test]
fn serve_demo_answers_on_a_socket_and_stops_gracefully_on_sigterm() {
    let db = TestDb::new();
    let port = free_port();
    let mut child = command(&["serve", "--demo"])
        .env("DATABASE_URL", db.url())
        .env("BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let dev_token = String::from_utf8(
        command(&["token", "--authority", "TAM", "--role", "partner"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let get = |path: &str| -> Option<(u16, String)> {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            dev_token.trim()
        )
        .ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let status = response.split_whitespace().nth(1)?.parse().ok()?;
        Some((status, response))
    };
    let started = Instant::now();
    while get("/health/ready").map(|(s, _)| s) != Some(200) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the service did not become ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, body) = get("/v1/commissioning-intentions?authority=RCH&limit=500").unwrap();
    assert_eq!(status, 200);
    assert!(
        body.contains("RCH-CI-2026-0001"),
        "the demo plan is served: {body}"
    );

    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(35),
            "serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("development secret") || log.contains("DEVELOPMENT secret"),
        "{log}"
    );
    assert!(log.contains("stopped"), "{log}");
}
