//! The webhook delivery worker. Each subscription reads the gap-free change feed with its own
//! cursor, so the audit trail (written in every change's own transaction) is the outbox: the
//! worker queues what follows the cursor and moves the cursor in one transaction (nothing lost,
//! nothing queued twice), then delivers each subscription's queue in order, signed, retrying
//! with exponential backoff until the retry window closes. Several instances may run: a
//! subscription is queued for under a row lock and delivered for under a lease, each by one
//! worker at a time; a worker that dies mid-delivery leaves the delivery pending, and the lease
//! runs out so another retries it (at least once).

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::web;
use chrono::Utc;

use crate::auth::Role;
use crate::config::WebhookConfig;
use crate::db::{self, PgPool};
use crate::domain::webhooks::{backoff, check_url, is_internal, secret_key, signature};
use crate::error::ApiError;
use crate::models::feed::{self, Reader};
use crate::models::webhooks::{DeliveryRow, Outcome, SubscriptionRow};
use crate::routes::changes::Change;

/// How often the worker looks for work when idle.
const IDLE: Duration = Duration::from_millis(200);
/// Changes queued per subscription per transaction.
const BATCH: i64 = 200;
/// Deliveries sent per lease before the worker moves on to other subscriptions.
const PER_LEASE: usize = 10;

/// Whom a subscription reads as: its authority, with the rights of its admins and partners (its
/// own records, and the savings lines of collaborations it takes part in).
pub fn reader_of(sub: &SubscriptionRow) -> Reader {
    Reader {
        authority: sub.authority_code.clone(),
        roles: vec![Role::Admin, Role::Partner],
    }
}

/// Why a target may not be called.
#[derive(Debug)]
pub enum TargetError {
    /// It is, or resolves to, an internal address.
    Internal(String),
    /// It does not resolve (now).
    Unresolved(String),
}

/// The addresses a target URL's host stands for, refused if any is internal (unless allowed).
pub async fn resolve_target(
    url: &url::Url,
    allow_internal: bool,
) -> Result<Vec<SocketAddr>, TargetError> {
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(url::Host::Domain(name)) => {
            let name = name.to_string();
            let looked_up = web::block(move || {
                (name.as_str(), port)
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<_>>())
            })
            .await
            .map_err(|e| TargetError::Unresolved(e.to_string()))?;
            looked_up.map_err(|e| {
                TargetError::Unresolved(format!(
                    "{} does not resolve: {e}",
                    url.host_str().unwrap_or("")
                ))
            })?
        }
        None => return Err(TargetError::Unresolved("the URL names no host".into())),
    };
    if !allow_internal && let Some(bad) = addrs.iter().find(|a| is_internal(a.ip())) {
        return Err(TargetError::Internal(format!(
            "{} is an internal address ({}); webhooks go to public addresses only",
            url.host_str().unwrap_or(""),
            bad.ip()
        )));
    }
    if addrs.is_empty() {
        return Err(TargetError::Unresolved("the host has no address".into()));
    }
    Ok(addrs)
}

/// The running worker; `stop` ends it after the attempt in hand.
pub struct Worker {
    stop: Arc<AtomicBool>,
    done: actix_web::rt::task::JoinHandle<()>,
}

impl Worker {
    /// Start the worker on the current (actix) runtime.
    pub fn spawn(pool: PgPool, config: WebhookConfig) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let done = actix_web::rt::spawn(async move {
            let client = awc::Client::builder()
                .disable_redirects()
                .timeout(config.timeout)
                .finish();
            while !flag.load(Ordering::Relaxed) {
                if let Err(e) = tick(&pool, &config, &client, &flag).await {
                    log::warn!("webhook worker: {e}");
                }
                actix_web::rt::time::sleep(IDLE).await;
            }
        });
        Worker { stop, done }
    }

    pub async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.done.await;
    }
}

/// One round: queue every active subscription's new changes, then deliver what is due.
pub async fn tick(
    pool: &PgPool,
    config: &WebhookConfig,
    client: &awc::Client,
    stop: &AtomicBool,
) -> Result<(), ApiError> {
    let ids = db::run(pool, |conn| Ok(SubscriptionRow::active_ids(conn)?)).await?;
    for id in ids {
        queue(pool, id).await?;
    }
    let lease = chrono::Duration::from_std(config.timeout * (PER_LEASE as u32 + 2))
        .unwrap_or(chrono::Duration::minutes(5));
    while !stop.load(Ordering::Relaxed) {
        let Some((sub, token)) = db::run(pool, move |conn| {
            Ok(SubscriptionRow::lease_due(conn, lease)?)
        })
        .await?
        else {
            break;
        };
        let result = deliver(pool, config, client, &sub).await;
        let id = sub.id;
        db::run(pool, move |conn| {
            Ok(SubscriptionRow::release(conn, id, token)?)
        })
        .await?;
        result?;
    }
    Ok(())
}

/// Queue the changes after a subscription's cursor and move the cursor, in one transaction.
async fn queue(pool: &PgPool, id: uuid::Uuid) -> Result<(), ApiError> {
    db::transaction(pool, move |conn| {
        let Some(sub) = SubscriptionRow::lock_to_queue(conn, id)? else {
            return Ok(());
        };
        let horizon = feed::horizon(conn)?;
        let types = (!sub.event_types.is_empty()).then(|| sub.event_types.clone());
        let after = sub.position();
        let mut rows = feed::visible_page(
            conn,
            &reader_of(&sub),
            Some(after),
            types.as_deref(),
            horizon,
            BATCH + 1,
        )?;
        let more = rows.len() as i64 > BATCH;
        rows.truncate(BATCH as usize);
        let next = match rows.last() {
            Some(last) if more => last.position(),
            _ => feed::resume_at(horizon, Some(after)),
        };
        if next == after {
            return Ok(());
        }
        let deliveries: Vec<DeliveryRow> = rows
            .into_iter()
            .map(|row| {
                let change = Change::from(row);
                let event_type = format!("{}.{}", change.entity_type, change.action);
                let payload = serde_json::json!({
                    "type": event_type, "timestamp": change.occurred_at, "data": change
                });
                DeliveryRow::queued(sub.id, change.event_id, event_type, payload, None)
            })
            .collect();
        DeliveryRow::insert_all(conn, &deliveries)?;
        SubscriptionRow::move_cursor(conn, sub.id, next)?;
        Ok(())
    })
    .await
}

/// Deliver a leased subscription's due deliveries in order, stopping at the first failure
/// (later ones wait behind it, so the receiver sees them in order).
async fn deliver(
    pool: &PgPool,
    config: &WebhookConfig,
    client: &awc::Client,
    sub: &SubscriptionRow,
) -> Result<(), ApiError> {
    for _ in 0..PER_LEASE {
        let id = sub.id;
        let Some(head) = db::run(pool, move |conn| Ok(DeliveryRow::head(conn, id)?)).await? else {
            return Ok(());
        };
        if head.next_attempt_at > Utc::now() {
            return Ok(());
        }
        let at = Utc::now();
        let outcome = match attempt(config, client, sub, &head).await {
            Ok(code) if (200..300).contains(&code) => Outcome::Delivered {
                status_code: code as i32,
            },
            result => {
                let (status_code, error) = match result {
                    Ok(code) => (Some(code as i32), format!("the receiver answered {code}")),
                    Err(e) => (None, e),
                };
                let first = head.first_attempt_at.unwrap_or(at);
                let wait = backoff(head.attempts + 1, config.retry_base);
                let retry_at = chrono::Duration::from_std(wait)
                    .ok()
                    .map(|w| at + w)
                    .filter(|r| {
                        chrono::Duration::from_std(config.retry_window)
                            .is_ok_and(|window| *r <= first + window)
                    });
                Outcome::Failed {
                    status_code,
                    error,
                    retry_at,
                }
            }
        };
        let delivered = matches!(outcome, Outcome::Delivered { .. });
        let first = head.first_attempt_at.unwrap_or(at);
        let delivery = head.id;
        db::run(pool, move |conn| {
            Ok(DeliveryRow::record(conn, delivery, first, at, &outcome)?)
        })
        .await?;
        if !delivered {
            return Ok(());
        }
    }
    Ok(())
}

/// One signed POST; the receiver's status, or why there was none.
async fn attempt(
    config: &WebhookConfig,
    client: &awc::Client,
    sub: &SubscriptionRow,
    delivery: &DeliveryRow,
) -> Result<u16, String> {
    let url = check_url(&sub.url)?;
    // Checked again here, after resolution, and the connection goes to the address checked.
    let addrs = resolve_target(&url, config.allow_private_targets)
        .await
        .map_err(|e| match e {
            TargetError::Internal(m) | TargetError::Unresolved(m) => m,
        })?;
    let key = secret_key(&sub.secret)?;
    let body = serde_json::to_vec(&delivery.payload).map_err(|e| e.to_string())?;
    let id = delivery.event_id.to_string();
    let timestamp = Utc::now().timestamp();
    let sig = signature(&key, &id, timestamp, &body);
    let response = client
        .post(url.as_str())
        .address(addrs[0])
        .insert_header(("webhook-id", id))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", sig))
        .insert_header(("content-type", "application/json"))
        .insert_header(("user-agent", "commissioning-hub-webhooks"))
        .send_body(body)
        .await
        .map_err(|e| format!("could not deliver: {e}"))?;
    Ok(response.status().as_u16())
}
