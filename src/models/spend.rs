//! Spend lines from councils' spend files: rows, the contract terms they are matched against,
//! filters and queries.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{authorities, contracts, spend_lines};
use crate::domain::spend::{Term, supplier_key};
use crate::domain::values::Date;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = spend_lines)]
pub struct SpendLineRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub reference: String,
    pub body: String,
    pub payment_date: NaiveDate,
    pub supplier_name: String,
    pub supplier_key: String,
    pub amount_pence: i64,
    pub expense_type: String,
    pub contract_id: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// A spend line with the code of its authority.
pub type SpendLineWithCode = (SpendLineRow, String);

/// Filters on the spend line list. `from` and `to` bound the payment date; `unmatched` keeps
/// lines with (`false`) or without (`true`) a contract; `min_amount_pence` keeps lines above it.
#[derive(Debug, Default)]
pub struct SpendFilter {
    pub authority: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub unmatched: Option<bool>,
    pub above_pence: Option<i64>,
    pub at_most_pence: Option<i64>,
    pub supplier_key: Option<String>,
    pub contract_id: Option<Uuid>,
}

/// A line as the off-contract measure reads it: authority, date, supplier key and name, amount,
/// whether it matched.
pub type MeasureLine = (String, NaiveDate, String, String, i64, bool);

impl SpendLineRow {
    /// The lines of `authority_id` already imported with these references.
    pub fn by_references(
        conn: &mut PgConnection,
        authority_id: Uuid,
        references: &[&str],
    ) -> QueryResult<Vec<SpendLineRow>> {
        let mut found = Vec::new();
        for batch in references.chunks(5000) {
            found.extend(
                spend_lines::table
                    .filter(spend_lines::authority_id.eq(authority_id))
                    .filter(spend_lines::reference.eq_any(batch))
                    .select(Self::as_select())
                    .load(conn)?,
            );
        }
        Ok(found)
    }

    /// Insert every line, in batches under PostgreSQL's bind-parameter limit.
    pub fn insert_all(conn: &mut PgConnection, rows: &[SpendLineRow]) -> QueryResult<usize> {
        let mut n = 0;
        for batch in rows.chunks(1000) {
            n += diesel::insert_into(spend_lines::table)
                .values(batch)
                .execute(conn)?;
        }
        Ok(n)
    }

    pub fn page(
        conn: &mut PgConnection,
        filter: &SpendFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<SpendLineWithCode>> {
        let mut query = spend_lines::table
            .inner_join(authorities::table)
            .select((Self::as_select(), authorities::code))
            .order(spend_lines::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(id) = after {
            query = query.filter(spend_lines::id.gt(id));
        }
        if let Some(code) = &filter.authority {
            query = query.filter(authorities::code.eq(code.clone()));
        }
        if let Some(from) = filter.from {
            query = query.filter(spend_lines::payment_date.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(spend_lines::payment_date.le(to));
        }
        match filter.unmatched {
            Some(true) => query = query.filter(spend_lines::contract_id.is_null()),
            Some(false) => query = query.filter(spend_lines::contract_id.is_not_null()),
            None => {}
        }
        if let Some(above) = filter.above_pence {
            query = query.filter(spend_lines::amount_pence.gt(above));
        }
        if let Some(at_most) = filter.at_most_pence {
            query = query.filter(spend_lines::amount_pence.le(at_most));
        }
        if let Some(key) = &filter.supplier_key {
            query = query.filter(spend_lines::supplier_key.eq(key.clone()));
        }
        if let Some(id) = filter.contract_id {
            query = query.filter(spend_lines::contract_id.eq(id));
        }
        query.load(conn)
    }

    /// The lines the off-contract measure counts.
    pub fn for_measure(
        conn: &mut PgConnection,
        authority: Option<&str>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> QueryResult<Vec<MeasureLine>> {
        let mut query = spend_lines::table
            .inner_join(authorities::table)
            .select((
                authorities::code,
                spend_lines::payment_date,
                spend_lines::supplier_key,
                spend_lines::supplier_name,
                spend_lines::amount_pence,
                spend_lines::contract_id.is_not_null(),
            ))
            .into_boxed();
        if let Some(code) = authority {
            query = query.filter(authorities::code.eq(code.to_string()));
        }
        if let Some(from) = from {
            query = query.filter(spend_lines::payment_date.ge(from));
        }
        if let Some(to) = to {
            query = query.filter(spend_lines::payment_date.le(to));
        }
        query.load(conn)
    }
}

/// The terms of every contract of `authority_id`, with supplier keys, for matching.
pub fn contract_terms(conn: &mut PgConnection, authority_id: Uuid) -> QueryResult<Vec<Term>> {
    let rows: Vec<(Uuid, String, Date, Date)> = contracts::table
        .filter(contracts::authority_id.eq(authority_id))
        .select((
            contracts::id,
            contracts::supplier_name,
            contracts::start_date,
            contracts::end_date,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, start, end)| Term {
            id,
            supplier_key: supplier_key(&name),
            start: start.get(),
            end: end.get(),
        })
        .collect())
}
