//! The contract register and re-procurement lead times: rows, filters and queries, including the
//! expiry pipeline and the bulk insert of an import.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::{exists, not, sql};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{
    authorities, categories, commissioning_intentions as ci, contracts,
    reprocurement_lead_times as lead_times,
};
use crate::domain::contracts::{ContractStatus, LeadTimeBand, LeadTimeMonths};
use crate::domain::intentions::IntentionStatus;
use crate::domain::values::{Date, Pence};
use crate::models::reference::CategoryRow;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = contracts)]
pub struct ContractRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub reference: String,
    pub title: String,
    pub supplier_name: String,
    pub companies_house_number: Option<String>,
    pub category_id: Uuid,
    pub cpv_code: Option<String>,
    pub annual_value_pence: Option<Pence>,
    pub total_value_pence: Option<Pence>,
    pub start_date: Date,
    pub end_date: Date,
    pub extension_end_dates: Vec<Date>,
    pub status: ContractStatus,
    pub intention_id: Option<Uuid>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A contract with the codes of its authority and category, as the API shows it.
pub type ContractWithCodes = (ContractRow, String, String);

/// A partial update: `None` leaves a column alone; for nullable columns `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = contracts)]
pub struct ContractChanges {
    pub reference: Option<String>,
    pub title: Option<String>,
    pub supplier_name: Option<String>,
    pub companies_house_number: Option<Option<String>>,
    pub category_id: Option<Uuid>,
    pub cpv_code: Option<Option<String>>,
    pub annual_value_pence: Option<Option<Pence>>,
    pub total_value_pence: Option<Option<Pence>>,
    pub start_date: Option<Date>,
    pub end_date: Option<Date>,
    pub extension_end_dates: Option<Vec<Date>>,
    pub status: Option<ContractStatus>,
    pub intention_id: Option<Option<Uuid>>,
}

/// Filters on the contract list; every one is optional.
#[derive(Debug, Default)]
pub struct ContractFilter {
    pub authority: Option<String>,
    pub status: Option<ContractStatus>,
    /// A category or subcategory code; a category matches its subcategories too.
    pub category: Option<String>,
    /// A case-insensitive part of the supplier's name.
    pub supplier: Option<String>,
    /// `end_date` on or before.
    pub ending_before: Option<Date>,
    /// `end_date` on or after.
    pub ending_after: Option<Date>,
    pub updated_since: Option<DateTime<Utc>>,
}

/// Rows per INSERT of an import: 19 columns a row keeps a statement far below PostgreSQL's
/// 65,535 bind parameters.
const INSERT_BATCH: usize = 1000;

/// The window and options of the expiry pipeline.
#[derive(Debug)]
pub struct ExpiryQuery {
    pub authority: Option<String>,
    /// First and last day of the window, both included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Whether a contract's end is the end of its last available extension.
    pub with_extensions: bool,
    /// Only contracts no open intention covers.
    pub uncovered: bool,
    /// The (effective end, id) of the last item of the previous page.
    pub after: Option<(NaiveDate, Uuid)>,
    pub limit: i64,
}

/// A contract in the expiry window, with its effective end.
pub type ExpiringRow = (ContractRow, String, String, NaiveDate);

/// An open intention that names a contract among those it replaces.
#[derive(Debug, Queryable)]
pub struct Coverage {
    pub authority_id: Uuid,
    pub id: Uuid,
    pub reference: String,
    pub status: IntentionStatus,
    pub replaces_contracts: Vec<String>,
}

/// The SQL of a contract's effective end: its end date, or the end of its last available
/// extension (the dates are stored earliest first).
fn effective_end_sql(with_extensions: bool) -> &'static str {
    if with_extensions {
        "coalesce(contracts.extension_end_dates[cardinality(contracts.extension_end_dates)], contracts.end_date)"
    } else {
        "contracts.end_date"
    }
}

impl ContractRow {
    /// The code of the authority that owns contract `id`, if it exists.
    pub fn owner(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<String>> {
        contracts::table
            .inner_join(authorities::table)
            .filter(contracts::id.eq(id))
            .select(authorities::code)
            .first(conn)
            .optional()
    }

    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<ContractWithCodes> {
        contracts::table
            .inner_join(authorities::table)
            .inner_join(categories::table)
            .filter(contracts::id.eq(id))
            .select((Self::as_select(), authorities::code, categories::code))
            .first(conn)
    }

    /// The contract, its row locked until the transaction ends so concurrent writes queue up.
    pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<ContractWithCodes> {
        contracts::table
            .find(id)
            .select(contracts::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find(conn, id)
    }

    /// A page of contracts in id order (ids are time-ordered UUIDs), after the id `after`.
    pub fn page(
        conn: &mut PgConnection,
        filter: &ContractFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<ContractWithCodes>> {
        let mut query = contracts::table
            .inner_join(authorities::table)
            .inner_join(categories::table)
            .select((Self::as_select(), authorities::code, categories::code))
            .order(contracts::id)
            .limit(limit)
            .into_boxed();
        if let Some(a) = after {
            query = query.filter(contracts::id.gt(a));
        }
        if let Some(code) = &filter.authority {
            // A scalar subquery lets the planner walk contracts_authority_status_idx in id order.
            let owner = diesel::alias!(authorities as owner);
            query = query.filter(
                contracts::authority_id.nullable().eq(owner
                    .filter(owner.field(authorities::code).eq(code.clone()))
                    .select(owner.field(authorities::id))
                    .single_value()),
            );
        }
        if let Some(status) = filter.status {
            query = query.filter(contracts::status.eq(status));
        }
        if let Some(code) = &filter.category {
            let ids = CategoryRow::tree_ids(conn, code)?;
            query = query.filter(contracts::category_id.eq_any(ids));
        }
        if let Some(part) = &filter.supplier {
            query =
                query.filter(contracts::supplier_name.ilike(format!("%{}%", like_escape(part))));
        }
        if let Some(d) = filter.ending_before {
            query = query.filter(contracts::end_date.le(d));
        }
        if let Some(d) = filter.ending_after {
            query = query.filter(contracts::end_date.ge(d));
        }
        if let Some(since) = filter.updated_since {
            query = query.filter(contracts::updated_at.ge(since));
        }
        query.load(conn)
    }

    pub fn insert(conn: &mut PgConnection, row: &ContractRow) -> QueryResult<ContractRow> {
        diesel::insert_into(contracts::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Insert many contracts, a batch per statement.
    pub fn insert_all(conn: &mut PgConnection, rows: &[ContractRow]) -> QueryResult<usize> {
        let mut inserted = 0;
        for batch in rows.chunks(INSERT_BATCH) {
            inserted += diesel::insert_into(contracts::table)
                .values(batch)
                .execute(conn)?;
        }
        Ok(inserted)
    }

    /// Whether the authority already has a contract with this reference.
    pub fn reference_taken(
        conn: &mut PgConnection,
        authority_id: Uuid,
        reference: &str,
    ) -> QueryResult<bool> {
        diesel::select(exists(
            contracts::table
                .filter(contracts::authority_id.eq(authority_id))
                .filter(contracts::reference.eq(reference)),
        ))
        .get_result(conn)
    }

    /// Which of `references` the authority's register holds already.
    pub fn existing_references(
        conn: &mut PgConnection,
        authority_id: Uuid,
        references: &[&str],
    ) -> QueryResult<Vec<String>> {
        contracts::table
            .filter(contracts::authority_id.eq(authority_id))
            .filter(contracts::reference.eq_any(references))
            .select(contracts::reference)
            .load(conn)
    }

    /// Apply `changes`, moving the version on by one.
    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &ContractChanges,
    ) -> QueryResult<ContractRow> {
        diesel::update(contracts::table.find(id))
            .set((
                changes,
                contracts::version.eq(contracts::version + 1),
                contracts::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Planned and active contracts whose effective end falls in the window, ordered by effective
    /// end then id, after the position `after`.
    pub fn expiring(conn: &mut PgConnection, q: &ExpiryQuery) -> QueryResult<Vec<ExpiringRow>> {
        let effective = || sql::<diesel::sql_types::Date>(effective_end_sql(q.with_extensions));
        let mut query = contracts::table
            .inner_join(authorities::table)
            .inner_join(categories::table)
            .filter(contracts::status.eq_any(ContractStatus::LIVE))
            .filter(effective().ge(q.from))
            .filter(effective().le(q.to))
            .select((
                Self::as_select(),
                authorities::code,
                categories::code,
                effective(),
            ))
            .order((effective().asc(), contracts::id.asc()))
            .limit(q.limit)
            .into_boxed();
        if let Some(code) = &q.authority {
            query = query.filter(authorities::code.eq(code.clone()));
        }
        if let Some((end, id)) = q.after {
            query = query.filter(
                effective()
                    .gt(end)
                    .or(effective().eq(end).and(contracts::id.gt(id))),
            );
        }
        if q.uncovered {
            let covering = ci::table
                .filter(ci::authority_id.eq(contracts::authority_id))
                .filter(ci::status.eq_any(IntentionStatus::OPEN))
                .filter(
                    ci::replaces_contracts.contains(
                        diesel::dsl::array::<diesel::sql_types::Text, _>((contracts::reference,)),
                    ),
                );
            query = query.filter(not(exists(covering)));
        }
        query.load(conn)
    }
}

/// Escape `%`, `_` and `\` so a search term matches itself in LIKE.
fn like_escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Coverage {
    /// The open intentions of these authorities that replace any of these contract references,
    /// in one query (the GIN index on `replaces_contracts` serves the overlap).
    pub fn of(
        conn: &mut PgConnection,
        authority_ids: &[Uuid],
        references: &[String],
    ) -> QueryResult<Vec<Coverage>> {
        if references.is_empty() {
            return Ok(Vec::new());
        }
        ci::table
            .filter(ci::authority_id.eq_any(authority_ids))
            .filter(ci::status.eq_any(IntentionStatus::OPEN))
            .filter(ci::replaces_contracts.overlaps_with(references))
            .select((
                ci::authority_id,
                ci::id,
                ci::reference,
                ci::status,
                ci::replaces_contracts,
            ))
            .order(ci::id)
            .load(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = lead_times)]
pub struct LeadTimeRow {
    pub min_total_value_pence: Pence,
    pub lead_time_months: LeadTimeMonths,
}

impl From<LeadTimeRow> for LeadTimeBand {
    fn from(row: LeadTimeRow) -> Self {
        LeadTimeBand {
            min_total_value_pence: row.min_total_value_pence,
            lead_time_months: row.lead_time_months,
        }
    }
}

impl LeadTimeRow {
    /// Every band, lowest first.
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<LeadTimeBand>> {
        Ok(lead_times::table
            .order(lead_times::min_total_value_pence)
            .select(Self::as_select())
            .load(conn)?
            .into_iter()
            .map(LeadTimeBand::from)
            .collect())
    }

    /// Replace every band with `bands`, returning the bands replaced. The table lock makes
    /// concurrent replacements queue up (readers are not blocked), so each replaces, and reports,
    /// what the previous one left.
    pub fn replace_all(
        conn: &mut PgConnection,
        bands: &[LeadTimeBand],
    ) -> QueryResult<Vec<LeadTimeBand>> {
        diesel::sql_query("LOCK TABLE reprocurement_lead_times IN SHARE ROW EXCLUSIVE MODE")
            .execute(conn)?;
        let before = Self::all(conn)?;
        diesel::delete(lead_times::table).execute(conn)?;
        let rows: Vec<LeadTimeRow> = bands
            .iter()
            .map(|b| LeadTimeRow {
                min_total_value_pence: b.min_total_value_pence,
                lead_time_months: b.lead_time_months,
            })
            .collect();
        diesel::insert_into(lead_times::table)
            .values(&rows)
            .execute(conn)?;
        Ok(before)
    }
}
