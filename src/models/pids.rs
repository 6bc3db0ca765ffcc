//! Procurement initiation documents: rows and queries for PIDs, their sign-offs, who was awarded
//! each lot, the authorities' sign-off rules and the procurement thresholds.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{
    authorities, commissioning_intentions as ci, contracts, pid_lot_awards, pid_sign_offs, pids,
    procurement_thresholds, sign_off_rules,
};
use crate::domain::pids::{
    ContractType, PidStatus, Regime, Route, SignOffOutcome, SignOffRole, SignOffRule, Threshold,
    ThresholdKind,
};
use crate::domain::values::{Date, FinancialYear, Pence};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pids)]
pub struct PidRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub reference: String,
    pub intention_id: Uuid,
    pub title: String,
    pub status: PidStatus,
    pub estimated_value_pence: Option<Pence>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub description: String,
    pub regime: Regime,
    pub contract_type: ContractType,
    pub route: Route,
    pub direct_award_justification: Option<String>,
    pub process_started_on: Option<Date>,
    pub transparency_notice_due: bool,
    pub lots: serde_json::Value,
    pub term_months: Option<i16>,
    pub extension_months: Vec<i16>,
    pub milestones: serde_json::Value,
    pub quality_weight: i16,
    pub price_weight: i16,
    pub social_value_weight: i16,
    pub social_value_priorities: Vec<String>,
    pub social_value_measures: Vec<String>,
    pub submission: i32,
    pub required_sign_offs: Vec<SignOffRole>,
}

/// A PID with its authority's code and its intention's reference, as the API shows it.
pub type PidWithCodes = (PidRow, String, String);

/// A partial update: `None` leaves a column alone; for nullable columns `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = pids)]
pub struct PidChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub estimated_value_pence: Option<Option<Pence>>,
    pub regime: Option<Regime>,
    pub contract_type: Option<ContractType>,
    pub route: Option<Route>,
    pub direct_award_justification: Option<Option<String>>,
    pub process_started_on: Option<Option<Date>>,
    pub transparency_notice_due: Option<bool>,
    pub lots: Option<serde_json::Value>,
    pub term_months: Option<Option<i16>>,
    pub extension_months: Option<Vec<i16>>,
    pub milestones: Option<serde_json::Value>,
    pub quality_weight: Option<i16>,
    pub price_weight: Option<i16>,
    pub social_value_weight: Option<i16>,
    pub social_value_priorities: Option<Vec<String>>,
    pub social_value_measures: Option<Vec<String>>,
}

/// A lifecycle step: the new status and, on submission, the new round and its required sign-offs.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = pids)]
pub struct PidStatusChange {
    pub status: PidStatus,
    pub submission: Option<i32>,
    pub required_sign_offs: Option<Vec<SignOffRole>>,
}

/// Filters on the PID list; every one is optional.
#[derive(Debug, Default)]
pub struct PidFilter {
    pub authority: Option<String>,
    pub status: Option<PidStatus>,
    pub intention_id: Option<Uuid>,
    /// The financial year of the PID's intention.
    pub financial_year: Option<FinancialYear>,
    pub route: Option<Route>,
}

impl PidRow {
    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<PidWithCodes> {
        pids::table
            .inner_join(authorities::table)
            .inner_join(ci::table)
            .filter(pids::id.eq(id))
            .select((Self::as_select(), authorities::code, ci::reference))
            .first(conn)
    }

    /// The PID, its row locked until the transaction ends so concurrent writes queue up.
    pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<PidWithCodes> {
        pids::table
            .find(id)
            .select(pids::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find(conn, id)
    }

    /// The authority's PIDs that name the social value priority `code`, locked until the
    /// transaction ends.
    pub fn naming_priority(
        conn: &mut PgConnection,
        authority_id: Uuid,
        code: &str,
    ) -> QueryResult<Vec<Uuid>> {
        pids::table
            .filter(pids::authority_id.eq(authority_id))
            .filter(pids::social_value_priorities.contains(vec![code.to_string()]))
            .select(pids::id)
            .order(pids::id.asc())
            .for_no_key_update()
            .load(conn)
    }

    /// The code of the authority that owns PID `id`, if it exists.
    pub fn owner(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<String>> {
        pids::table
            .inner_join(authorities::table)
            .filter(pids::id.eq(id))
            .select(authorities::code)
            .first(conn)
            .optional()
    }

    /// A page of PIDs in id order (ids are time-ordered UUIDs), after the id `after`.
    pub fn page(
        conn: &mut PgConnection,
        filter: &PidFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<PidWithCodes>> {
        let mut query = pids::table
            .inner_join(authorities::table)
            .inner_join(ci::table)
            .select((Self::as_select(), authorities::code, ci::reference))
            .order(pids::id)
            .limit(limit)
            .into_boxed();
        if let Some(a) = after {
            query = query.filter(pids::id.gt(a));
        }
        if let Some(code) = &filter.authority {
            query = query.filter(authorities::code.eq(code.clone()));
        }
        if let Some(status) = filter.status {
            query = query.filter(pids::status.eq(status));
        }
        if let Some(id) = filter.intention_id {
            query = query.filter(pids::intention_id.eq(id));
        }
        if let Some(fy) = filter.financial_year {
            query = query.filter(ci::financial_year.eq(fy));
        }
        if let Some(route) = filter.route {
            query = query.filter(pids::route.eq(route));
        }
        query.load(conn)
    }

    pub fn insert(conn: &mut PgConnection, row: &PidRow) -> QueryResult<PidRow> {
        diesel::insert_into(pids::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Apply `changes`, moving the version on by one.
    pub fn update(conn: &mut PgConnection, id: Uuid, changes: &PidChanges) -> QueryResult<PidRow> {
        diesel::update(pids::table.find(id))
            .set((
                changes,
                pids::version.eq(pids::version + 1),
                pids::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Move to a new status, moving the version on by one.
    pub fn change_status(
        conn: &mut PgConnection,
        id: Uuid,
        change: &PidStatusChange,
    ) -> QueryResult<PidRow> {
        diesel::update(pids::table.find(id))
            .set((
                change,
                pids::version.eq(pids::version + 1),
                pids::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pid_sign_offs)]
pub struct SignOffRow {
    pub id: Uuid,
    pub pid_id: Uuid,
    pub submission: i32,
    pub role: SignOffRole,
    pub outcome: SignOffOutcome,
    pub reasons: Option<String>,
    pub signed_by: String,
    pub signed_at: DateTime<Utc>,
}

impl SignOffRow {
    /// The sign-offs of the PIDs `ids`, in the order they were given.
    pub fn of_pids(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<SignOffRow>> {
        pid_sign_offs::table
            .filter(pid_sign_offs::pid_id.eq_any(ids))
            .select(Self::as_select())
            .order((pid_sign_offs::signed_at, pid_sign_offs::id))
            .load(conn)
    }

    pub fn insert(conn: &mut PgConnection, row: &SignOffRow) -> QueryResult<SignOffRow> {
        diesel::insert_into(pid_sign_offs::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

/// Who was awarded lot `lot` (1-based, in the PID's `lots` order) of a PID.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = pid_lot_awards)]
pub struct LotAwardRow {
    pub id: Uuid,
    pub pid_id: Uuid,
    pub lot: i16,
    pub supplier_name: String,
    pub awarded_on: Date,
    pub awarded_value_pence: Option<Pence>,
    pub contract_id: Option<Uuid>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An award with its contract's reference, when it names one.
pub type LotAwardWithContract = (LotAwardRow, Option<String>);

/// A correction of an award: every field is replaced.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = pid_lot_awards, treat_none_as_null = true)]
pub struct LotAwardChanges {
    pub supplier_name: String,
    pub awarded_on: Date,
    pub awarded_value_pence: Option<Pence>,
    pub contract_id: Option<Uuid>,
}

impl LotAwardRow {
    /// The awards of PID `pid_id`, by lot.
    pub fn of_pid(conn: &mut PgConnection, pid_id: Uuid) -> QueryResult<Vec<LotAwardWithContract>> {
        pid_lot_awards::table
            .left_join(contracts::table)
            .filter(pid_lot_awards::pid_id.eq(pid_id))
            .order(pid_lot_awards::lot)
            .select((Self::as_select(), contracts::reference.nullable()))
            .load(conn)
    }

    /// The award of one lot, if it is recorded.
    pub fn find(
        conn: &mut PgConnection,
        pid_id: Uuid,
        lot: i16,
    ) -> QueryResult<Option<LotAwardWithContract>> {
        pid_lot_awards::table
            .left_join(contracts::table)
            .filter(pid_lot_awards::pid_id.eq(pid_id))
            .filter(pid_lot_awards::lot.eq(lot))
            .select((Self::as_select(), contracts::reference.nullable()))
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut PgConnection, row: &LotAwardRow) -> QueryResult<LotAwardRow> {
        diesel::insert_into(pid_lot_awards::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Remove the award of one lot.
    pub fn delete(conn: &mut PgConnection, pid_id: Uuid, lot: i16) -> QueryResult<usize> {
        diesel::delete(pid_lot_awards::table.find((pid_id, lot))).execute(conn)
    }

    /// Replace the award's fields, moving the version on by one.
    pub fn update(
        conn: &mut PgConnection,
        pid_id: Uuid,
        lot: i16,
        changes: &LotAwardChanges,
    ) -> QueryResult<LotAwardRow> {
        diesel::update(pid_lot_awards::table.find((pid_id, lot)))
            .set((
                changes,
                pid_lot_awards::version.eq(pid_lot_awards::version + 1),
                pid_lot_awards::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sign_off_rules)]
struct RuleRow {
    authority_id: Uuid,
    position: i32,
    role: SignOffRole,
    min_value_pence: Pence,
    routes: Vec<Route>,
    description: String,
}

/// An authority's own sign-off rules (empty when it uses the defaults).
pub fn rules_of(conn: &mut PgConnection, authority_id: Uuid) -> QueryResult<Vec<SignOffRule>> {
    let rows: Vec<RuleRow> = sign_off_rules::table
        .filter(sign_off_rules::authority_id.eq(authority_id))
        .order(sign_off_rules::position)
        .select(RuleRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| SignOffRule {
            role: r.role,
            min_value_pence: r.min_value_pence,
            routes: r.routes,
            description: r.description,
        })
        .collect())
}

/// Replace the authority's rules with `rules`.
pub fn replace_rules(
    conn: &mut PgConnection,
    authority_id: Uuid,
    rules: &[SignOffRule],
) -> QueryResult<()> {
    diesel::delete(sign_off_rules::table.filter(sign_off_rules::authority_id.eq(authority_id)))
        .execute(conn)?;
    let rows: Vec<RuleRow> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleRow {
            authority_id,
            position: i as i32,
            role: r.role,
            min_value_pence: r.min_value_pence,
            routes: r.routes.clone(),
            description: r.description.clone(),
        })
        .collect();
    diesel::insert_into(sign_off_rules::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = procurement_thresholds)]
struct ThresholdRow {
    kind: ThresholdKind,
    effective_from: Date,
    value_pence: Pence,
    note: String,
}

/// Every threshold, by kind and then date.
pub fn thresholds(conn: &mut PgConnection) -> QueryResult<Vec<Threshold>> {
    let rows: Vec<ThresholdRow> = procurement_thresholds::table
        .order((
            procurement_thresholds::kind,
            procurement_thresholds::effective_from,
        ))
        .select(ThresholdRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Threshold {
            kind: r.kind,
            effective_from: r.effective_from,
            value_pence: r.value_pence,
            note: r.note,
        })
        .collect())
}

/// Replace every threshold, returning the ones replaced.
pub fn replace_thresholds(
    conn: &mut PgConnection,
    new: &[Threshold],
) -> QueryResult<Vec<Threshold>> {
    let before = thresholds(conn)?;
    diesel::delete(procurement_thresholds::table).execute(conn)?;
    let rows: Vec<ThresholdRow> = new
        .iter()
        .map(|t| ThresholdRow {
            kind: t.kind,
            effective_from: t.effective_from,
            value_pence: t.value_pence,
            note: t.note.clone(),
        })
        .collect();
    diesel::insert_into(procurement_thresholds::table)
        .values(&rows)
        .execute(conn)?;
    Ok(before)
}
