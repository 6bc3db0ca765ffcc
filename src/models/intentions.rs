//! Commissioning intentions: rows, filters and queries.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{
    authorities, categories, commissioning_intentions as ci, reference_counters,
};
use crate::domain::intentions::{ImprovementCategory, IntentionStatus, Priority, Tranche};
use crate::domain::values::{Date, FinancialYear, Pence};

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
            query = query.filter(authorities::code.eq(code.clone()));
        }
        if let Some(fy) = filter.financial_year {
            query = query.filter(ci::financial_year.eq(fy));
        }
        if let Some(status) = filter.status {
            query = query.filter(ci::status.eq(status));
        }
        if let Some(code) = &filter.category {
            let parents = diesel::alias!(categories as parents);
            let parent_ids = parents
                .filter(parents.field(categories::code).eq(code.clone()))
                .select(parents.field(categories::id));
            query = query.filter(
                categories::code
                    .eq(code.clone())
                    .or(categories::parent_id.assume_not_null().eq_any(parent_ids)),
            );
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
