//! Collaboration and benchmark rows and their queries. Their enums are kept as text (with CHECK
//! constraints in the migration) and converted here.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date as SqlDate, Int4, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use crate::db::schema::{
    authorities, benchmark_metrics as bm, benchmark_observations as bo, categories,
    collaboration_notes as notes, collaboration_opportunities as co,
    collaboration_participants as cp,
};
use crate::domain::collaboration::{Better, MetricUnit, OpportunityStatus, ParticipantStatus};
use crate::domain::intentions::IntentionStatus;
use crate::domain::values::{Date, FinancialYear, Pence};
use crate::models::reference::CategoryRow;

/// An enum stored as its snake_case name; the CHECK constraint keeps the column to the names.
pub fn parse_text<T: std::str::FromStr>(text: &str) -> T {
    text.parse().unwrap_or_else(|_| {
        panic!("the column's CHECK constraint admits only known names, not {text:?}")
    })
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = co)]
pub struct OpportunityRow {
    pub id: Uuid,
    pub lead_authority_id: Uuid,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub category_id: Uuid,
    pub financial_year: FinancialYear,
    pub status: String,
    pub estimated_savings_pence: Option<Pence>,
    pub achieved_savings_pence: Option<Pence>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl OpportunityRow {
    pub fn status(&self) -> OpportunityStatus {
        parse_text(&self.status)
    }
}

/// An opportunity with the codes of its lead authority and its category.
pub type OpportunityWithCodes = (OpportunityRow, String, String);

/// A partial update: `None` leaves a column alone; for nullable columns `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = co)]
pub struct OpportunityChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<Uuid>,
    pub financial_year: Option<FinancialYear>,
    pub status: Option<String>,
    pub estimated_savings_pence: Option<Option<Pence>>,
    pub achieved_savings_pence: Option<Option<Pence>>,
}

/// Filters on the opportunity list.
#[derive(Debug, Default)]
pub struct OpportunityFilter {
    /// Taken part in (the lead takes part too) by the authority of this id.
    pub authority_id: Option<Uuid>,
    pub status: Option<OpportunityStatus>,
    pub financial_year: Option<FinancialYear>,
    pub category: Option<String>,
}

impl OpportunityRow {
    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<OpportunityWithCodes> {
        co::table
            .inner_join(authorities::table)
            .inner_join(categories::table)
            .filter(co::id.eq(id))
            .select((Self::as_select(), authorities::code, categories::code))
            .first(conn)
    }

    /// The opportunity, its row locked until the transaction ends so concurrent writes queue up.
    pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<OpportunityWithCodes> {
        co::table
            .find(id)
            .select(co::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find(conn, id)
    }

    /// A page of opportunities in id order (time-ordered UUIDs), after the id `after`.
    pub fn page(
        conn: &mut PgConnection,
        filter: &OpportunityFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<OpportunityWithCodes>> {
        let mut query = co::table
            .inner_join(authorities::table)
            .inner_join(categories::table)
            .select((Self::as_select(), authorities::code, categories::code))
            .order(co::id)
            .limit(limit)
            .into_boxed();
        if let Some(a) = after {
            query = query.filter(co::id.gt(a));
        }
        if let Some(authority_id) = filter.authority_id {
            // Written as SQL: diesel would have the participants table allowed beside categories.
            query = query.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>(
                    "collaboration_opportunities.id IN (SELECT opportunity_id FROM collaboration_participants WHERE authority_id = ",
                )
                .bind::<SqlUuid, _>(authority_id)
                .sql(")"),
            );
        }
        if let Some(status) = filter.status {
            query = query.filter(co::status.eq(<&str>::from(status)));
        }
        if let Some(fy) = filter.financial_year {
            query = query.filter(co::financial_year.eq(fy));
        }
        if let Some(code) = &filter.category {
            let ids = CategoryRow::tree_ids(conn, code)?;
            query = query.filter(co::category_id.eq_any(ids));
        }
        query.load(conn)
    }

    pub fn insert(conn: &mut PgConnection, row: &OpportunityRow) -> QueryResult<OpportunityRow> {
        diesel::insert_into(co::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Apply `changes`, moving the version on by one.
    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &OpportunityChanges,
    ) -> QueryResult<OpportunityRow> {
        diesel::update(co::table.find(id))
            .set((
                changes,
                co::version.eq(co::version + 1),
                co::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Move the version on by one: a participation or a note changed what the record shows.
    pub fn touch(conn: &mut PgConnection, id: Uuid) -> QueryResult<OpportunityRow> {
        diesel::update(co::table.find(id))
            .set((
                co::version.eq(co::version + 1),
                co::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = cp)]
pub struct ParticipantRow {
    pub opportunity_id: Uuid,
    pub authority_id: Uuid,
    pub status: String,
    pub intention_ids: Vec<Uuid>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl ParticipantRow {
    pub fn status(&self) -> ParticipantStatus {
        parse_text(&self.status)
    }

    /// The participants of these opportunities, with their authority codes, in code order.
    pub fn of(
        conn: &mut PgConnection,
        opportunities: &[Uuid],
    ) -> QueryResult<Vec<(ParticipantRow, String)>> {
        cp::table
            .inner_join(authorities::table)
            .filter(cp::opportunity_id.eq_any(opportunities))
            .select((Self::as_select(), authorities::code))
            .order((cp::opportunity_id, authorities::code))
            .load(conn)
    }

    /// Add the participation, or replace the one the authority has.
    pub fn upsert(conn: &mut PgConnection, row: &ParticipantRow) -> QueryResult<()> {
        diesel::insert_into(cp::table)
            .values(row)
            .on_conflict((cp::opportunity_id, cp::authority_id))
            .do_update()
            .set((
                cp::status.eq(&row.status),
                cp::intention_ids.eq(&row.intention_ids),
                cp::updated_by.eq(&row.updated_by),
                cp::updated_at.eq(row.updated_at),
            ))
            .execute(conn)?;
        Ok(())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = notes)]
pub struct NoteRow {
    pub id: Uuid,
    pub opportunity_id: Uuid,
    pub authority_id: Uuid,
    pub author: String,
    pub noted_on: Date,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

impl NoteRow {
    /// The notes on these opportunities with their authority codes, oldest first.
    pub fn of(
        conn: &mut PgConnection,
        opportunities: &[Uuid],
    ) -> QueryResult<Vec<(NoteRow, String)>> {
        notes::table
            .inner_join(authorities::table)
            .filter(notes::opportunity_id.eq_any(opportunities))
            .select((Self::as_select(), authorities::code))
            .order((notes::opportunity_id, notes::id))
            .load(conn)
    }

    pub fn insert(conn: &mut PgConnection, row: &NoteRow) -> QueryResult<NoteRow> {
        diesel::insert_into(notes::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

/// The owning authority's code of each of these intentions that exists.
pub fn intention_owners(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<(Uuid, String)>> {
    use crate::db::schema::commissioning_intentions as ci;
    ci::table
        .inner_join(authorities::table)
        .filter(ci::id.eq_any(ids))
        .select((ci::id, authorities::code))
        .load(conn)
}

/// An open intention that no live participation links yet, as the candidate search reads it.
#[derive(Debug, Clone, QueryableByName)]
pub struct CandidateIntention {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub reference: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub authority: String,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = SqlDate)]
    pub planned_procurement_start: NaiveDate,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub estimated_annual_value_pence: Option<i64>,
}

/// The open intentions of `year` with a planned procurement start that no live participation
/// (one not withdrawn) links, by category and start.
pub fn unlinked_open_intentions(
    conn: &mut PgConnection,
    year: FinancialYear,
) -> QueryResult<Vec<CandidateIntention>> {
    let open: Vec<&str> = IntentionStatus::OPEN.iter().map(|s| (*s).into()).collect();
    diesel::sql_query(
        "SELECT i.id, i.reference, i.title, a.code AS authority, c.code AS category, i.status,
                i.planned_procurement_start, i.estimated_annual_value_pence
           FROM commissioning_intentions i
           JOIN authorities a ON a.id = i.authority_id
           JOIN categories c ON c.id = i.category_id
          WHERE i.financial_year = $1
            AND i.status = ANY($2)
            AND i.planned_procurement_start IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM collaboration_participants p
                             WHERE p.status <> 'withdrawn' AND i.id = ANY(p.intention_ids))
          ORDER BY c.code, i.planned_procurement_start, i.id",
    )
    .bind::<Text, _>(year.to_string())
    .bind::<Array<Text>, _>(open)
    .load(conn)
}

/// Opportunities counted, and savings summed, in one group (a status or a financial year).
#[derive(Debug, QueryableByName)]
pub struct MeasureCell {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    #[diesel(sql_type = BigInt)]
    pub estimated_savings_pence: i64,
    #[diesel(sql_type = BigInt)]
    pub achieved_savings_pence: i64,
}

/// Opportunities by status and by financial year, for those an authority leads or takes part in
/// (or all). Unknown savings count as zero.
pub fn measures(
    conn: &mut PgConnection,
    authority: Option<&str>,
) -> QueryResult<(Vec<MeasureCell>, Vec<MeasureCell>)> {
    let query = |key: &str| {
        // Pence are capped per value (domain::values::Pence), so these sums fit in a bigint.
        diesel::sql_query(format!(
            "SELECT o.{key} AS key, count(*)::bigint AS count,
                    coalesce(sum(o.estimated_savings_pence), 0)::bigint AS estimated_savings_pence,
                    coalesce(sum(o.achieved_savings_pence), 0)::bigint AS achieved_savings_pence
               FROM collaboration_opportunities o
              WHERE $1::text IS NULL OR EXISTS (
                    SELECT 1 FROM collaboration_participants p JOIN authorities a ON a.id = p.authority_id
                     WHERE p.opportunity_id = o.id AND a.code = $1)
              GROUP BY 1 ORDER BY 1"
        ))
        .bind::<Nullable<Text>, _>(authority.map(str::to_string))
    };
    let by_status = query("status").load(conn)?;
    let by_year = query("financial_year").load(conn)?;
    Ok((by_status, by_year))
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bm)]
pub struct MetricRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    pub unit: String,
    pub better: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl MetricRow {
    pub fn unit(&self) -> MetricUnit {
        parse_text(&self.unit)
    }

    pub fn better(&self) -> Better {
        parse_text(&self.better)
    }

    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<MetricRow>> {
        bm::table
            .select(Self::as_select())
            .order(bm::code)
            .load(conn)
    }

    pub fn by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<MetricRow>> {
        bm::table
            .filter(bm::code.eq(code))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut PgConnection, row: &MetricRow) -> QueryResult<MetricRow> {
        diesel::insert_into(bm::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bo)]
pub struct ObservationRow {
    pub id: Uuid,
    pub metric_id: Uuid,
    pub authority_id: Uuid,
    pub period: String,
    pub value: i64,
    pub source_note: String,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an upsert did to one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    Updated,
    Unchanged,
}

impl ObservationRow {
    /// The observation an authority has for a metric and period, if any, locked until the
    /// transaction ends.
    pub fn find_for_update(
        conn: &mut PgConnection,
        metric_id: Uuid,
        authority_id: Uuid,
        period: &str,
    ) -> QueryResult<Option<ObservationRow>> {
        bo::table
            .filter(bo::metric_id.eq(metric_id))
            .filter(bo::authority_id.eq(authority_id))
            .filter(bo::period.eq(period))
            .select(Self::as_select())
            .for_no_key_update()
            .first(conn)
            .optional()
    }

    /// Insert the observation, or change the value and note of the one keyed the same
    /// (authority, metric, period); the same value and note again changes nothing.
    pub fn upsert(
        conn: &mut PgConnection,
        row: &ObservationRow,
    ) -> QueryResult<(Upserted, Option<ObservationRow>, ObservationRow)> {
        let before = Self::find_for_update(conn, row.metric_id, row.authority_id, &row.period)?;
        match &before {
            None => {
                let after = diesel::insert_into(bo::table)
                    .values(row)
                    .returning(Self::as_returning())
                    .get_result(conn)?;
                Ok((Upserted::Created, None, after))
            }
            Some(old) if old.value == row.value && old.source_note == row.source_note => {
                Ok((Upserted::Unchanged, before.clone(), old.clone()))
            }
            Some(old) => {
                let after = diesel::update(bo::table.find(old.id))
                    .set((
                        bo::value.eq(row.value),
                        bo::source_note.eq(&row.source_note),
                        bo::version.eq(bo::version + 1),
                        bo::updated_at.eq(diesel::dsl::now),
                    ))
                    .returning(Self::as_returning())
                    .get_result(conn)?;
                Ok((Upserted::Updated, before, after))
            }
        }
    }
}

/// One authority's value of a metric in one period.
#[derive(Debug, Clone, QueryableByName)]
pub struct AuthorityValue {
    #[diesel(sql_type = Text)]
    pub authority: String,
    #[diesel(sql_type = Text)]
    pub period: String,
    #[diesel(sql_type = BigInt)]
    pub value: i64,
    #[diesel(sql_type = Text)]
    pub source_note: String,
    #[diesel(sql_type = Int4)]
    pub version: i32,
}

/// The values of a metric: in exactly `period` when given, else in every period (years and
/// quarters) of the financial years starting `from_year` to `to_year`; by period then authority.
pub fn metric_values(
    conn: &mut PgConnection,
    metric_id: Uuid,
    period: Option<&str>,
    from_year: i32,
    to_year: i32,
) -> QueryResult<Vec<AuthorityValue>> {
    // Periods are checked to start with four digits, and sort by year, then the year before its
    // quarters (text order of `2026/27` < `2026/27 Q1` is by length, so order by it explicitly).
    diesel::sql_query(
        "SELECT a.code AS authority, o.period, o.value, o.source_note, o.version
           FROM benchmark_observations o JOIN authorities a ON a.id = o.authority_id
          WHERE o.metric_id = $1
            AND ($2::text IS NULL OR o.period = $2)
            AND substr(o.period, 1, 4)::int BETWEEN $3 AND $4
          ORDER BY substr(o.period, 1, 4)::int, length(o.period), o.period, a.code",
    )
    .bind::<SqlUuid, _>(metric_id)
    .bind::<Nullable<Text>, _>(period.map(str::to_string))
    .bind::<Int4, _>(from_year)
    .bind::<Int4, _>(to_year)
    .load(conn)
}
