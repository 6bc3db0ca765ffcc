//! Commissioning intentions: rows, filters and queries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{
    authorities, categories, commissioning_intentions as ci, reference_counters,
};
use crate::domain::intentions::{
    Decision, ImprovementCategory, IntentionStatus, Priority, Tranche,
};
use crate::domain::values::{Date, FinancialYear, Pence};
use crate::models::reference::CategoryRow;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = ci)]
pub struct IntentionRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub category_id: Uuid,
    pub service_area: Option<String>,
    pub financial_year: FinancialYear,
    pub estimated_annual_value_pence: Option<Pence>,
    pub estimated_whole_life_value_pence: Option<Pence>,
    pub replaces_contracts: Vec<String>,
    pub planned_procurement_start: Option<Date>,
    pub planned_contract_start: Option<Date>,
    pub priority: Priority,
    pub tranche: Tranche,
    pub improvement_category: Option<ImprovementCategory>,
    pub sme_local_opportunity: bool,
    pub collaboration_potential: bool,
    pub social_value_priorities: Vec<String>,
    pub lead_officer: Option<String>,
    pub status: IntentionStatus,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub decision: Option<Decision>,
    pub decision_date: Option<Date>,
    pub minute_reference: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub rolled_from: Option<Uuid>,
    /// When the authority published it (the public OCDS feed and pipeline show it); `None` when not.
    pub published_at: Option<DateTime<Utc>>,
}

/// A lifecycle step: the new status and, for a board decision, its record. For the decision
/// fields `None` leaves them alone and `Some(None)` clears them.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = ci)]
pub struct StatusChange {
    pub status: IntentionStatus,
    pub decision: Option<Option<Decision>>,
    pub decision_date: Option<Option<Date>>,
    pub minute_reference: Option<Option<String>>,
    pub decision_note: Option<Option<String>>,
    pub decided_by: Option<Option<String>>,
}

/// An intention with the codes of its authority and category, as the API shows it.
pub type IntentionWithCodes = (IntentionRow, String, String);

/// A partial update: `None` leaves a column alone; for nullable columns `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = ci)]
pub struct IntentionChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub category_id: Option<Uuid>,
    pub service_area: Option<Option<String>>,
    pub financial_year: Option<FinancialYear>,
    pub estimated_annual_value_pence: Option<Option<Pence>>,
    pub estimated_whole_life_value_pence: Option<Option<Pence>>,
    pub replaces_contracts: Option<Vec<String>>,
    pub planned_procurement_start: Option<Option<Date>>,
    pub planned_contract_start: Option<Option<Date>>,
    pub priority: Option<Priority>,
    pub tranche: Option<Tranche>,
    pub improvement_category: Option<Option<ImprovementCategory>>,
    pub sme_local_opportunity: Option<bool>,
    pub collaboration_potential: Option<bool>,
    pub social_value_priorities: Option<Vec<String>>,
    pub lead_officer: Option<Option<String>>,
}

/// Filters on the intention list; every one is optional.
#[derive(Debug, Default)]
pub struct IntentionFilter {
    pub authority: Option<String>,
    pub financial_year: Option<FinancialYear>,
    pub status: Option<IntentionStatus>,
    /// A category or subcategory code; a category matches its subcategories too.
    pub category: Option<String>,
    pub priority: Option<Priority>,
    pub tranche: Option<Tranche>,
    pub updated_since: Option<DateTime<Utc>>,
}

impl IntentionRow {
    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<IntentionWithCodes> {
        ci::table
            .inner_join(authorities::table)
            .inner_join(categories::table)
            .filter(ci::id.eq(id))
            .select((Self::as_select(), authorities::code, categories::code))
            .first(conn)
    }

    /// The code of the authority that owns intention `id`, if it exists.
    pub fn owner(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<String>> {
        ci::table
            .inner_join(authorities::table)
            .filter(ci::id.eq(id))
            .select(authorities::code)
            .first(conn)
            .optional()
    }

    /// The authority's intentions that name the social value priority `code`, locked until the
    /// transaction ends.
    pub fn naming_priority(
        conn: &mut PgConnection,
        authority_id: Uuid,
        code: &str,
    ) -> QueryResult<Vec<Uuid>> {
        ci::table
            .filter(ci::authority_id.eq(authority_id))
            .filter(ci::social_value_priorities.contains(vec![code.to_string()]))
            .select(ci::id)
            .order(ci::id.asc())
            .for_no_key_update()
            .load(conn)
    }

    /// The intention, its row locked until the transaction ends so concurrent writes queue up.
    pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<IntentionWithCodes> {
        ci::table
            .find(id)
            .select(ci::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find(conn, id)
    }

    /// A page of intentions in id order (ids are time-ordered UUIDs), after the id `after`.
    pub fn page(
        conn: &mut PgConnection,
        filter: &IntentionFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<IntentionWithCodes>> {
        let mut query = ci::table
            .inner_join(authorities::table)
            .inner_join(categories::table)
            .select((Self::as_select(), authorities::code, categories::code))
            .order(ci::id)
            .limit(limit)
            .into_boxed();
        if let Some(a) = after {
            query = query.filter(ci::id.gt(a));
        }
        if let Some(code) = &filter.authority {
            // As a scalar subquery, so the planner can walk the list index in id order and stop
            // at the page's end (a join on the code sorts every matching row first).
            let owner = diesel::alias!(authorities as owner);
            query = query.filter(
                ci::authority_id.nullable().eq(owner
                    .filter(owner.field(authorities::code).eq(code.clone()))
                    .select(owner.field(authorities::id))
                    .single_value()),
            );
        }
        if let Some(fy) = filter.financial_year {
            query = query.filter(ci::financial_year.eq(fy));
        }
        if let Some(status) = filter.status {
            query = query.filter(ci::status.eq(status));
        }
        if let Some(code) = &filter.category {
            let ids = CategoryRow::tree_ids(conn, code)?;
            query = query.filter(ci::category_id.eq_any(ids));
        }
        if let Some(p) = filter.priority {
            query = query.filter(ci::priority.eq(p));
        }
        if let Some(t) = filter.tranche {
            query = query.filter(ci::tranche.eq(t));
        }
        if let Some(since) = filter.updated_since {
            query = query.filter(ci::updated_at.ge(since));
        }
        query.load(conn)
    }

    pub fn insert(conn: &mut PgConnection, row: &IntentionRow) -> QueryResult<IntentionRow> {
        diesel::insert_into(ci::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Move to a new status (and record a decision), moving the version on by one.
    pub fn change_status(
        conn: &mut PgConnection,
        id: Uuid,
        change: &StatusChange,
    ) -> QueryResult<IntentionRow> {
        diesel::update(ci::table.find(id))
            .set((
                change,
                ci::version.eq(ci::version + 1),
                ci::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// The authority's intentions of `year` that a roll-forward copies: undecided or deferred,
    /// and not copied already.
    pub fn roll_forward_candidates(
        conn: &mut PgConnection,
        authority_id: Uuid,
        year: FinancialYear,
    ) -> QueryResult<Vec<IntentionWithCodes>> {
        let copies = diesel::alias!(ci as copies);
        let copied = copies.filter(copies.field(ci::rolled_from).eq(ci::id.nullable()));
        ci::table
            .inner_join(authorities::table)
            .inner_join(categories::table)
            .filter(ci::authority_id.eq(authority_id))
            .filter(ci::financial_year.eq(year))
            .filter(ci::status.eq_any([
                IntentionStatus::Draft,
                IntentionStatus::Submitted,
                IntentionStatus::Deferred,
            ]))
            .filter(diesel::dsl::not(diesel::dsl::exists(copied)))
            .select((Self::as_select(), authorities::code, categories::code))
            .order(ci::id)
            .load(conn)
    }

    /// How many of the authority's intentions of `year` have been rolled forward already.
    pub fn rolled_forward_count(
        conn: &mut PgConnection,
        authority_id: Uuid,
        year: FinancialYear,
    ) -> QueryResult<i64> {
        let copies = diesel::alias!(ci as copies);
        let copied = copies.filter(copies.field(ci::rolled_from).eq(ci::id.nullable()));
        ci::table
            .filter(ci::authority_id.eq(authority_id))
            .filter(ci::financial_year.eq(year))
            .filter(diesel::dsl::exists(copied))
            .count()
            .get_result(conn)
    }

    /// Every intention of one year (of one authority, or all), in id order.
    pub fn of_year(
        conn: &mut PgConnection,
        year: FinancialYear,
        authority: Option<&str>,
    ) -> QueryResult<Vec<IntentionWithCodes>> {
        let mut query = ci::table
            .inner_join(authorities::table)
            .inner_join(categories::table)
            .filter(ci::financial_year.eq(year))
            .select((Self::as_select(), authorities::code, categories::code))
            .order(ci::id)
            .into_boxed();
        if let Some(code) = authority {
            query = query.filter(authorities::code.eq(code.to_string()));
        }
        query.load(conn)
    }

    /// Apply `changes`, moving the version on by one.
    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &IntentionChanges,
    ) -> QueryResult<IntentionRow> {
        diesel::update(ci::table.find(id))
            .set((
                changes,
                ci::version.eq(ci::version + 1),
                ci::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

/// The next human reference for a kind of record, e.g. `RCH-CI-2026-0007`: numbered per authority,
/// kind and year, without gaps from concurrent writers (the counter row is locked by the upsert).
pub fn next_reference(
    conn: &mut PgConnection,
    authority_id: Uuid,
    authority_code: &str,
    kind: &str,
    year: i32,
) -> QueryResult<String> {
    let number: i32 = diesel::insert_into(reference_counters::table)
        .values((
            reference_counters::authority_id.eq(authority_id),
            reference_counters::kind.eq(kind),
            reference_counters::year.eq(year),
            reference_counters::last_number.eq(1),
        ))
        .on_conflict((
            reference_counters::authority_id,
            reference_counters::kind,
            reference_counters::year,
        ))
        .do_update()
        .set(reference_counters::last_number.eq(reference_counters::last_number + 1))
        .returning(reference_counters::last_number)
        .get_result(conn)?;
    Ok(format!("{authority_code}-{kind}-{year}-{number:04}"))
}

/// One cell of the plan on a page: intentions counted and their values summed.
#[derive(Debug, QueryableByName)]
pub struct PlanCell {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub financial_year: FinancialYear,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Int2>)]
    pub tranche: Option<Tranche>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub category: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub status: IntentionStatus,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub count: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub estimated_annual_value_pence: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub estimated_whole_life_value_pence: i64,
}

/// What the plan on a page is grouped by, besides financial year and status.
#[derive(Debug, Clone, Copy)]
pub enum PlanGrouping {
    Tranche,
    Category,
}

/// Counts and summed values of intentions by financial year, status and `grouping`, for one
/// authority or all, one year or all. Values that are unknown count as zero.
pub fn plan_summary(
    conn: &mut PgConnection,
    grouping: PlanGrouping,
    authority: Option<&str>,
    year: Option<FinancialYear>,
) -> QueryResult<Vec<PlanCell>> {
    use diesel::sql_types::{Nullable, Text};
    let (tranche, category) = match grouping {
        PlanGrouping::Tranche => ("i.tranche", "NULL::text"),
        PlanGrouping::Category => ("NULL::smallint", "c.code"),
    };
    // Pence are capped per value (see domain::values::Pence), so these sums fit in a bigint.
    diesel::sql_query(format!(
        "SELECT i.financial_year, {tranche} AS tranche, {category} AS category, i.status,
                count(*)::bigint AS count,
                coalesce(sum(i.estimated_annual_value_pence), 0)::bigint AS estimated_annual_value_pence,
                coalesce(sum(i.estimated_whole_life_value_pence), 0)::bigint AS estimated_whole_life_value_pence
           FROM commissioning_intentions i
           JOIN authorities a ON a.id = i.authority_id
           JOIN categories c ON c.id = i.category_id
          WHERE ($1::text IS NULL OR a.code = $1) AND ($2::text IS NULL OR i.financial_year = $2)
          GROUP BY 1, 2, 3, 4
          ORDER BY 1, 2, 3, 4"
    ))
    .bind::<Nullable<Text>, _>(authority)
    .bind::<Nullable<Text>, _>(year.map(|y| y.to_string()))
    .load(conn)
}
