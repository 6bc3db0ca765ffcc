//! Waivers, breaches and the waiver approver rules: rows, filters and queries, and what the audit
//! committee report reads.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{authorities, breaches, pids, waiver_approver_rules, waivers};
use crate::domain::governance::{
    BreachKind, BreachStatus, HowFound, WaiverApprover, WaiverApproverBand, WaiverReason,
    WaiverStatus,
};
use crate::domain::values::{Date, Pence};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = waivers)]
pub struct WaiverRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub reference: String,
    pub pid_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub reason: WaiverReason,
    pub justification: String,
    pub value_pence: Pence,
    pub period_start: Date,
    pub period_end: Date,
    pub requested_on: Date,
    pub approver: WaiverApprover,
    pub status: WaiverStatus,
    pub decided_on: Option<Date>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A waiver with the code of its authority, as the API shows it.
pub type WaiverWithCode = (WaiverRow, String);

/// A change of a waiver's status, with the decision when there is one.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = waivers)]
pub struct WaiverStatusChange {
    pub status: WaiverStatus,
    pub decided_on: Option<Date>,
    pub decided_by: Option<String>,
    pub decision_note: Option<String>,
}

/// Filters on the waiver list; every one is optional. `from` and `to` bound `requested_on`.
#[derive(Debug, Default)]
pub struct WaiverFilter {
    pub authority: Option<String>,
    pub status: Option<WaiverStatus>,
    pub reason: Option<WaiverReason>,
    pub contract_id: Option<Uuid>,
    pub pid_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl WaiverRow {
    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<WaiverWithCode> {
        waivers::table
            .inner_join(authorities::table)
            .filter(waivers::id.eq(id))
            .select((Self::as_select(), authorities::code))
            .first(conn)
    }

    /// The waiver, its row locked until the transaction ends so concurrent writes queue up.
    pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<WaiverWithCode> {
        waivers::table
            .find(id)
            .select(waivers::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find(conn, id)
    }

    /// A page of waivers in id order (ids are time-ordered), after `after`.
    pub fn page(
        conn: &mut PgConnection,
        filter: &WaiverFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<WaiverWithCode>> {
        let mut query = waivers::table
            .inner_join(authorities::table)
            .select((Self::as_select(), authorities::code))
            .order(waivers::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(id) = after {
            query = query.filter(waivers::id.gt(id));
        }
        if let Some(code) = &filter.authority {
            query = query.filter(authorities::code.eq(code.clone()));
        }
        if let Some(status) = filter.status {
            query = query.filter(waivers::status.eq(status));
        }
        if let Some(reason) = filter.reason {
            query = query.filter(waivers::reason.eq(reason));
        }
        if let Some(id) = filter.contract_id {
            query = query.filter(waivers::contract_id.eq(id));
        }
        if let Some(id) = filter.pid_id {
            query = query.filter(waivers::pid_id.eq(id));
        }
        if let Some(from) = filter.from {
            query = query.filter(waivers::requested_on.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(waivers::requested_on.le(to));
        }
        query.load(conn)
    }

    pub fn insert(conn: &mut PgConnection, row: &WaiverRow) -> QueryResult<WaiverRow> {
        diesel::insert_into(waivers::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Move the waiver to a new status, moving the version on by one.
    pub fn change_status(
        conn: &mut PgConnection,
        id: Uuid,
        change: &WaiverStatusChange,
    ) -> QueryResult<WaiverRow> {
        diesel::update(waivers::table.find(id))
            .set((
                change,
                waivers::version.eq(waivers::version + 1),
                waivers::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// What the report counts: every waiver of `authority` (or all) requested or decided in
    /// `from..=to`, with the dates it is counted on.
    pub fn for_report(
        conn: &mut PgConnection,
        authority: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> QueryResult<Vec<ReportWaiver>> {
        let mut query = waivers::table
            .inner_join(authorities::table)
            .filter(
                waivers::requested_on
                    .between(from, to)
                    .or(waivers::decided_on.between(from, to)),
            )
            .select((
                waivers::reason,
                waivers::value_pence,
                waivers::status,
                waivers::requested_on,
                waivers::decided_on,
            ))
            .into_boxed();
        if let Some(code) = authority {
            query = query.filter(authorities::code.eq(code.to_string()));
        }
        query.load(conn)
    }
}

/// A waiver as the report counts it: reason, value, status, requested and decided dates.
pub type ReportWaiver = (WaiverReason, Pence, WaiverStatus, Date, Option<Date>);

/// The approver rules, one row a band.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = waiver_approver_rules)]
pub struct ApproverRuleRow {
    pub min_value_pence: Pence,
    pub approver: WaiverApprover,
}

impl ApproverRuleRow {
    /// The bands, lowest first.
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<WaiverApproverBand>> {
        Ok(waiver_approver_rules::table
            .order(waiver_approver_rules::min_value_pence)
            .select(Self::as_select())
            .load(conn)?
            .into_iter()
            .map(|r| WaiverApproverBand {
                min_value_pence: r.min_value_pence,
                approver: r.approver,
            })
            .collect())
    }

    /// Replace every band (locking the table so concurrent replacements queue up); the bands
    /// before.
    pub fn replace_all(
        conn: &mut PgConnection,
        bands: &[WaiverApproverBand],
    ) -> QueryResult<Vec<WaiverApproverBand>> {
        diesel::sql_query("LOCK TABLE waiver_approver_rules IN SHARE ROW EXCLUSIVE MODE")
            .execute(conn)?;
        let before = Self::all(conn)?;
        diesel::delete(waiver_approver_rules::table).execute(conn)?;
        let rows: Vec<ApproverRuleRow> = bands
            .iter()
            .map(|b| ApproverRuleRow {
                min_value_pence: b.min_value_pence,
                approver: b.approver,
            })
            .collect();
        diesel::insert_into(waiver_approver_rules::table)
            .values(&rows)
            .execute(conn)?;
        Ok(before)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = breaches)]
pub struct BreachRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub reference: String,
    pub pid_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub kind: BreachKind,
    pub how_found: HowFound,
    pub description: String,
    pub remedy: String,
    pub value_pence: Pence,
    pub identified_on: Date,
    pub status: BreachStatus,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A breach with the code of its authority.
pub type BreachWithCode = (BreachRow, String);

/// A partial update of a breach: `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = breaches)]
pub struct BreachChanges {
    pub kind: Option<BreachKind>,
    pub how_found: Option<HowFound>,
    pub description: Option<String>,
    pub remedy: Option<String>,
    pub value_pence: Option<Pence>,
    pub identified_on: Option<Date>,
    pub status: Option<BreachStatus>,
}

/// Filters on the breach list. `from` and `to` bound `identified_on`.
#[derive(Debug, Default)]
pub struct BreachFilter {
    pub authority: Option<String>,
    pub status: Option<BreachStatus>,
    pub kind: Option<BreachKind>,
    pub how_found: Option<HowFound>,
    pub contract_id: Option<Uuid>,
    pub pid_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl BreachRow {
    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<BreachWithCode> {
        breaches::table
            .inner_join(authorities::table)
            .filter(breaches::id.eq(id))
            .select((Self::as_select(), authorities::code))
            .first(conn)
    }

    pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<BreachWithCode> {
        breaches::table
            .find(id)
            .select(breaches::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find(conn, id)
    }

    pub fn page(
        conn: &mut PgConnection,
        filter: &BreachFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<BreachWithCode>> {
        let mut query = breaches::table
            .inner_join(authorities::table)
            .select((Self::as_select(), authorities::code))
            .order(breaches::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(id) = after {
            query = query.filter(breaches::id.gt(id));
        }
        if let Some(code) = &filter.authority {
            query = query.filter(authorities::code.eq(code.clone()));
        }
        if let Some(status) = filter.status {
            query = query.filter(breaches::status.eq(status));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(breaches::kind.eq(kind));
        }
        if let Some(how) = filter.how_found {
            query = query.filter(breaches::how_found.eq(how));
        }
        if let Some(id) = filter.contract_id {
            query = query.filter(breaches::contract_id.eq(id));
        }
        if let Some(id) = filter.pid_id {
            query = query.filter(breaches::pid_id.eq(id));
        }
        if let Some(from) = filter.from {
            query = query.filter(breaches::identified_on.ge(from));
        }
        if let Some(to) = filter.to {
            query = query.filter(breaches::identified_on.le(to));
        }
        query.load(conn)
    }

    pub fn insert(conn: &mut PgConnection, row: &BreachRow) -> QueryResult<BreachRow> {
        diesel::insert_into(breaches::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &BreachChanges,
    ) -> QueryResult<BreachRow> {
        diesel::update(breaches::table.find(id))
            .set((
                changes,
                breaches::version.eq(breaches::version + 1),
                breaches::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Breaches of `authority` (or all) identified in `from..=to`: kind, value and date.
    pub fn for_report(
        conn: &mut PgConnection,
        authority: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> QueryResult<Vec<(BreachKind, Pence, Date)>> {
        let mut query = breaches::table
            .inner_join(authorities::table)
            .filter(breaches::identified_on.between(from, to))
            .select((
                breaches::kind,
                breaches::value_pence,
                breaches::identified_on,
            ))
            .into_boxed();
        if let Some(code) = authority {
            query = query.filter(authorities::code.eq(code.to_string()));
        }
        query.load(conn)
    }
}

/// The owning authority's code of a procurement initiation document, if it exists. (Only the
/// scaffold's columns are relied on.)
pub fn pid_owner(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<String>> {
    pids::table
        .inner_join(authorities::table)
        .filter(pids::id.eq(id))
        .select(authorities::code)
        .first(conn)
        .optional()
}
