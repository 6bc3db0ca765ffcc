//! Publication: the published intentions' OCDS releases (read from the audit trail), the PIDs
//! they link to, and the pipeline notice's query.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Integer, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::schema::{
    audit_events, authorities, categories, commissioning_intentions as ci, pids,
};
use crate::models::audit::{AuditEventRow, CommittedEvent, FeedPosition};
use crate::models::intentions::{IntentionRow, IntentionWithCodes};

/// The entity type intention writes record in the audit trail.
const INTENTION: &str = "commissioning_intention";

/// The audit events that are releases: an intention's writes while it was published. Matches the
/// partial indexes of the publication migration.
fn published_after() -> diesel::expression::SqlLiteral<Bool> {
    sql::<Bool>("audit_events.after ->> 'published' = 'true'")
}

/// Ids of the intentions published now: only their releases are public.
fn published_now() -> ci::BoxedQuery<'static, diesel::pg::Pg, SqlUuid> {
    ci::table
        .filter(ci::published_at.is_not_null())
        .select(ci::id)
        .into_boxed()
}

/// Up to `limit` releases after `after`, in the gap-free feed order (txid, id): writes of
/// intentions that were published when written and are published still.
pub fn releases_after(
    conn: &mut PgConnection,
    after: Option<FeedPosition>,
    limit: i64,
) -> QueryResult<Vec<CommittedEvent>> {
    CommittedEvent::committed_after(after)
        .filter(audit_events::entity_type.eq(INTENTION))
        .filter(published_after())
        .filter(audit_events::entity_id.eq_any(published_now()))
        .limit(limit)
        .load(conn)
}

/// The releases of one intention, oldest version first; empty unless it is published now. Not
/// held back to the commit horizon: a record is read whole, not resumed from a cursor.
pub fn releases_of(conn: &mut PgConnection, intention: Uuid) -> QueryResult<Vec<AuditEventRow>> {
    audit_events::table
        .filter(audit_events::entity_type.eq(INTENTION))
        .filter(audit_events::entity_id.eq(intention))
        .filter(published_after())
        .filter(audit_events::entity_id.eq_any(published_now()))
        .select(AuditEventRow::as_select())
        .order((
            sql::<Integer>("(audit_events.after ->> 'version')::int"),
            audit_events::id,
        ))
        .load(conn)
}

/// The date of one audit event, if it exists (an empty feed page is dated by its cursor).
pub fn event_date(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<DateTime<Utc>>> {
    audit_events::table
        .find(id)
        .select(audit_events::occurred_at)
        .first(conn)
        .optional()
}

#[derive(Debug, QueryableByName)]
struct FirstVersion {
    #[diesel(sql_type = SqlUuid)]
    entity_id: Uuid,
    #[diesel(sql_type = Integer)]
    version: i32,
}

/// For each intention, the version of its first published write: that release is tagged
/// `planning`, later ones `planningUpdate`. Versions, not feed order, tell first from later:
/// writes to one intention are serialised by its row lock, so versions follow their commits.
pub fn first_published_versions(
    conn: &mut PgConnection,
    intentions: &[Uuid],
) -> QueryResult<Vec<(Uuid, i32)>> {
    let rows: Vec<FirstVersion> = diesel::sql_query(
        "SELECT entity_id, min((after ->> 'version')::int) AS version
           FROM audit_events
          WHERE entity_type = 'commissioning_intention' AND after ->> 'published' = 'true'
            AND entity_id = ANY($1)
          GROUP BY entity_id",
    )
    .bind::<Array<SqlUuid>, _>(intentions)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.entity_id, r.version)).collect())
}

/// A PID raised from an intention, as a release links to it.
#[derive(Debug, Clone, Queryable)]
pub struct PidLink {
    pub intention_id: Uuid,
    pub id: Uuid,
    pub reference: String,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

/// The PIDs raised from these intentions, oldest first.
pub fn pids_of(conn: &mut PgConnection, intentions: &[Uuid]) -> QueryResult<Vec<PidLink>> {
    pids::table
        .filter(pids::intention_id.eq_any(intentions))
        .select((
            pids::intention_id,
            pids::id,
            pids::reference,
            pids::title,
            pids::created_at,
        ))
        .order((pids::created_at, pids::id))
        .load(conn)
}

/// The published intentions whose whole-life value is at least `min_value_pence` and whose
/// planned contract start (or, without one, planned procurement start) falls in
/// `[from, until)`, of one authority or all, in start-date order.
pub fn pipeline(
    conn: &mut PgConnection,
    authority: Option<&str>,
    min_value_pence: i64,
    from: NaiveDate,
    until: NaiveDate,
) -> QueryResult<Vec<IntentionWithCodes>> {
    let start = sql::<diesel::sql_types::Nullable<diesel::sql_types::Date>>(
        "coalesce(commissioning_intentions.planned_contract_start, commissioning_intentions.planned_procurement_start)",
    );
    let mut query = ci::table
        .inner_join(authorities::table)
        .inner_join(categories::table)
        .filter(ci::published_at.is_not_null())
        .filter(ci::estimated_whole_life_value_pence.ge(min_value_pence))
        .filter(start.clone().ge(from))
        .filter(start.clone().lt(until))
        .select((
            IntentionRow::as_select(),
            authorities::code,
            categories::code,
        ))
        .order((start, ci::id))
        .into_boxed();
    if let Some(code) = authority {
        query = query.filter(authorities::code.eq(code.to_string()));
    }
    query.load(conn)
}

/// Mark an intention published (at `at`) or not (`None`), moving its version on by one.
pub fn set_published(
    conn: &mut PgConnection,
    id: Uuid,
    at: Option<DateTime<Utc>>,
) -> QueryResult<IntentionRow> {
    diesel::update(ci::table.find(id))
        .set((
            ci::published_at.eq(at),
            ci::version.eq(ci::version + 1),
            ci::updated_at.eq(diesel::dsl::now),
        ))
        .returning(IntentionRow::as_returning())
        .get_result(conn)
}
