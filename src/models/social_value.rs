//! Social value rows and queries: framework editions and their measures, commitments on contracts
//! or PIDs' awarded lots (shown with their contract or lot, measure, priority and current
//! delivery), delivery returns and corrections, and each authority's social value priorities.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Int4, Nullable, Text, Timestamptz};
use uuid::Uuid;

use crate::db::schema::{
    authorities, commissioning_intentions, pids, social_value_commitments, social_value_editions,
    social_value_measures, social_value_priorities, social_value_returns,
};
use crate::domain::social_value::PlanningFrame;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = social_value_editions)]
pub struct EditionRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub effective_from: NaiveDate,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = social_value_measures)]
pub struct MeasureRow {
    pub id: Uuid,
    pub edition_id: Uuid,
    pub position: i32,
    pub theme_code: String,
    pub theme_name: String,
    pub outcome_code: String,
    pub outcome_name: String,
    pub code: String,
    pub description: String,
    pub unit: String,
    pub proxy_value_pence: i64,
}

impl EditionRow {
    pub fn insert(conn: &mut PgConnection, row: &EditionRow) -> QueryResult<EditionRow> {
        diesel::insert_into(social_value_editions::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    pub fn by_id(conn: &mut PgConnection, id: Uuid) -> QueryResult<EditionRow> {
        social_value_editions::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
    }

    pub fn by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<EditionRow>> {
        social_value_editions::table
            .filter(social_value_editions::code.eq(code))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// The edition in force on `date`: the latest whose `effective_from` is on or before it.
    pub fn in_force(conn: &mut PgConnection, date: NaiveDate) -> QueryResult<Option<EditionRow>> {
        social_value_editions::table
            .filter(social_value_editions::effective_from.le(date))
            .order((
                social_value_editions::effective_from.desc(),
                social_value_editions::id.desc(),
            ))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// A page of editions in the order they were loaded, after the edition `after`.
    pub fn page(
        conn: &mut PgConnection,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<EditionRow>> {
        let mut q = social_value_editions::table
            .select(Self::as_select())
            .order(social_value_editions::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(id) = after {
            q = q.filter(social_value_editions::id.gt(id));
        }
        q.load(conn)
    }
}

impl MeasureRow {
    pub fn insert_all(conn: &mut PgConnection, rows: &[MeasureRow]) -> QueryResult<usize> {
        diesel::insert_into(social_value_measures::table)
            .values(rows)
            .execute(conn)
    }

    pub fn of_edition(conn: &mut PgConnection, edition_id: Uuid) -> QueryResult<Vec<MeasureRow>> {
        social_value_measures::table
            .filter(social_value_measures::edition_id.eq(edition_id))
            .order(social_value_measures::position.asc())
            .select(Self::as_select())
            .load(conn)
    }

    /// How many measures each of `edition_ids` has.
    pub fn counts(conn: &mut PgConnection, edition_ids: &[Uuid]) -> QueryResult<Vec<(Uuid, i64)>> {
        social_value_measures::table
            .filter(social_value_measures::edition_id.eq_any(edition_ids))
            .group_by(social_value_measures::edition_id)
            .select((social_value_measures::edition_id, diesel::dsl::count_star()))
            .load(conn)
    }

    /// The codes of the edition's measures.
    pub fn codes_of_edition(conn: &mut PgConnection, edition_id: Uuid) -> QueryResult<Vec<String>> {
        social_value_measures::table
            .filter(social_value_measures::edition_id.eq(edition_id))
            .select(social_value_measures::code)
            .load(conn)
    }

    /// Which of `codes` are the code of a measure in some edition.
    pub fn known_codes(conn: &mut PgConnection, codes: &[String]) -> QueryResult<Vec<String>> {
        social_value_measures::table
            .filter(social_value_measures::code.eq_any(codes))
            .select(social_value_measures::code)
            .distinct()
            .load(conn)
    }

    pub fn by_id(conn: &mut PgConnection, id: Uuid) -> QueryResult<MeasureRow> {
        social_value_measures::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
    }

    pub fn find(
        conn: &mut PgConnection,
        edition_id: Uuid,
        code: &str,
    ) -> QueryResult<Option<MeasureRow>> {
        social_value_measures::table
            .filter(social_value_measures::edition_id.eq(edition_id))
            .filter(social_value_measures::code.eq(code))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = social_value_commitments)]
pub struct CommitmentRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub contract_id: Option<Uuid>,
    pub measure_id: Uuid,
    pub proxy_value_pence: i64,
    pub target_quantity: i64,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub committed_on: NaiveDate,
    pub note: String,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub priority_id: Uuid,
    pub pid_id: Option<Uuid>,
    pub lot: Option<i16>,
}

/// The fields a commitment update may set; `None` leaves one as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = social_value_commitments)]
pub struct CommitmentChanges {
    pub measure_id: Option<Uuid>,
    pub proxy_value_pence: Option<i64>,
    pub target_quantity: Option<i64>,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub priority_id: Option<Uuid>,
    pub note: Option<String>,
}

impl CommitmentRow {
    pub fn insert(conn: &mut PgConnection, row: &CommitmentRow) -> QueryResult<usize> {
        diesel::insert_into(social_value_commitments::table)
            .values(row)
            .execute(conn)
    }

    /// The commitment, its row locked until the transaction ends so returns to it queue up.
    pub fn lock(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<CommitmentRow>> {
        social_value_commitments::table
            .find(id)
            .select(Self::as_select())
            .for_no_key_update()
            .first(conn)
            .optional()
    }

    /// Apply `changes`, moving the version on.
    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &CommitmentChanges,
    ) -> QueryResult<usize> {
        diesel::update(social_value_commitments::table.find(id))
            .set((
                changes,
                social_value_commitments::version.eq(social_value_commitments::version + 1),
                social_value_commitments::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
        diesel::delete(social_value_commitments::table.find(id)).execute(conn)
    }

    /// The code of the authority that owns the commitment (its contract's or its PID's).
    pub fn owner(conn: &mut PgConnection, row: &CommitmentRow) -> QueryResult<String> {
        authorities::table
            .find(row.authority_id)
            .select(authorities::code)
            .first(conn)
    }

    /// How many commitments serve the priority `priority_id`.
    /// How many commitments are made on lot `lot` of PID `pid_id`.
    pub fn count_on_lot(conn: &mut PgConnection, pid_id: Uuid, lot: i16) -> QueryResult<i64> {
        social_value_commitments::table
            .filter(social_value_commitments::pid_id.eq(pid_id))
            .filter(social_value_commitments::lot.eq(lot))
            .count()
            .get_result(conn)
    }

    pub fn count_for_priority(conn: &mut PgConnection, priority_id: Uuid) -> QueryResult<i64> {
        social_value_commitments::table
            .filter(social_value_commitments::priority_id.eq(priority_id))
            .count()
            .get_result(conn)
    }
}

/// A commitment as the API shows it: with its authority, its contract or PID lot (the supplier
/// from the contract or the lot's award), measure, edition, and what its current (not superseded)
/// returns delivered.
#[derive(Debug, Clone, QueryableByName)]
pub struct CommitmentView {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub authority: String,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub contract_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub contract_reference: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub contract_title: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Uuid>)]
    pub pid_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub pid_reference: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::SmallInt>)]
    pub lot: Option<i16>,
    #[diesel(sql_type = Nullable<Text>)]
    pub lot_title: Option<String>,
    #[diesel(sql_type = Text)]
    pub supplier_name: String,
    #[diesel(sql_type = Text)]
    pub edition: String,
    #[diesel(sql_type = Text)]
    pub measure_code: String,
    #[diesel(sql_type = Text)]
    pub measure_description: String,
    #[diesel(sql_type = Text)]
    pub unit: String,
    #[diesel(sql_type = Text)]
    pub theme_code: String,
    #[diesel(sql_type = Text)]
    pub theme_name: String,
    #[diesel(sql_type = BigInt)]
    pub proxy_value_pence: i64,
    #[diesel(sql_type = BigInt)]
    pub target_quantity: i64,
    #[diesel(sql_type = Date)]
    pub period_from: NaiveDate,
    #[diesel(sql_type = Date)]
    pub period_to: NaiveDate,
    #[diesel(sql_type = Date)]
    pub committed_on: NaiveDate,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub priority_id: Uuid,
    #[diesel(sql_type = Text)]
    pub priority_code: String,
    #[diesel(sql_type = Text)]
    pub priority_name: String,
    #[diesel(sql_type = Text)]
    pub note: String,
    #[diesel(sql_type = BigInt)]
    pub delivered_quantity: i64,
    #[diesel(sql_type = Int4)]
    pub version: i32,
    #[diesel(sql_type = Text)]
    pub created_by: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// Filters on commitments; every one optional. `from`/`to` keep commitments whose period overlaps
/// that window.
#[derive(Debug, Default, Clone)]
pub struct CommitmentFilter {
    pub id: Option<Uuid>,
    pub authority: Option<String>,
    pub contract_id: Option<Uuid>,
    pub pid_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl CommitmentView {
    /// Commitments matching `filter`, by id, after `after`, at most `limit` (all when `None`).
    pub fn load(
        conn: &mut PgConnection,
        filter: &CommitmentFilter,
        after: Option<Uuid>,
        limit: Option<i64>,
    ) -> QueryResult<Vec<CommitmentView>> {
        // Quantities are capped at 10^9 per return, so the sums fit a bigint.
        diesel::sql_query(
            "SELECT c.id, a.code AS authority, c.contract_id, k.reference AS contract_reference,
                    k.title AS contract_title, c.pid_id, d.reference AS pid_reference, c.lot,
                    d.lots -> (c.lot - 1) ->> 'title' AS lot_title,
                    coalesce(k.supplier_name, w.supplier_name, '') AS supplier_name,
                    e.code AS edition,
                    m.code AS measure_code, m.description AS measure_description, m.unit,
                    m.theme_code, m.theme_name, c.proxy_value_pence, c.target_quantity,
                    c.period_from, c.period_to, c.committed_on, c.priority_id,
                    p.code AS priority_code, p.name AS priority_name, c.note,
                    coalesce((SELECT sum(r.quantity) FROM social_value_returns r
                               WHERE r.commitment_id = c.id AND r.superseded_by IS NULL), 0)::bigint
                        AS delivered_quantity,
                    c.version, c.created_by, c.created_at, c.updated_at
               FROM social_value_commitments c
               JOIN authorities a ON a.id = c.authority_id
               -- Exactly one subject is set (a CHECK says so): a contract, or a PID's awarded lot.
               LEFT JOIN contracts k ON k.id = c.contract_id
               LEFT JOIN pid_lot_awards w ON w.pid_id = c.pid_id AND w.lot = c.lot
               LEFT JOIN pids d ON d.id = c.pid_id
               JOIN social_value_measures m ON m.id = c.measure_id
               JOIN social_value_editions e ON e.id = m.edition_id
               JOIN social_value_priorities p ON p.id = c.priority_id
              WHERE ($1::uuid IS NULL OR c.id = $1)
                AND ($2::text IS NULL OR a.code = $2)
                AND ($3::uuid IS NULL OR c.contract_id = $3)
                AND ($4::date IS NULL OR c.period_to >= $4)
                AND ($5::date IS NULL OR c.period_from <= $5)
                AND ($6::uuid IS NULL OR c.id > $6)
                AND ($8::uuid IS NULL OR c.pid_id = $8)
              ORDER BY c.id
              LIMIT $7",
        )
        .bind::<Nullable<diesel::sql_types::Uuid>, _>(filter.id)
        .bind::<Nullable<Text>, _>(filter.authority.clone())
        .bind::<Nullable<diesel::sql_types::Uuid>, _>(filter.contract_id)
        .bind::<Nullable<Date>, _>(filter.from)
        .bind::<Nullable<Date>, _>(filter.to)
        .bind::<Nullable<diesel::sql_types::Uuid>, _>(after)
        .bind::<Nullable<BigInt>, _>(limit)
        .bind::<Nullable<diesel::sql_types::Uuid>, _>(filter.pid_id)
        .load(conn)
    }

    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<CommitmentView>> {
        let filter = CommitmentFilter {
            id: Some(id),
            ..Default::default()
        };
        Ok(Self::load(conn, &filter, None, Some(1))?.into_iter().next())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = social_value_returns)]
pub struct ReturnRow {
    pub id: Uuid,
    pub commitment_id: Uuid,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub quantity: i64,
    pub evidence: String,
    pub superseded_by: Option<Uuid>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl ReturnRow {
    pub fn insert(conn: &mut PgConnection, row: &ReturnRow) -> QueryResult<ReturnRow> {
        diesel::insert_into(social_value_returns::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Every return of a commitment, superseded ones included, by period and then as posted.
    pub fn of_commitment(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<ReturnRow>> {
        social_value_returns::table
            .filter(social_value_returns::commitment_id.eq(id))
            .order((
                social_value_returns::period_from.asc(),
                social_value_returns::period_to.asc(),
                social_value_returns::id.asc(),
            ))
            .select(Self::as_select())
            .load(conn)
    }

    /// The current returns of a commitment whose period overlaps `from..=to`.
    pub fn current_overlapping(
        conn: &mut PgConnection,
        commitment_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> QueryResult<Vec<ReturnRow>> {
        social_value_returns::table
            .filter(social_value_returns::commitment_id.eq(commitment_id))
            .filter(social_value_returns::superseded_by.is_null())
            .filter(social_value_returns::period_from.le(to))
            .filter(social_value_returns::period_to.ge(from))
            .select(Self::as_select())
            .load(conn)
    }

    /// How many returns (current or superseded) a commitment has, and the span of their periods.
    pub fn span(
        conn: &mut PgConnection,
        commitment_id: Uuid,
    ) -> QueryResult<(i64, Option<NaiveDate>, Option<NaiveDate>)> {
        use diesel::dsl::{count_star, max, min};
        social_value_returns::table
            .filter(social_value_returns::commitment_id.eq(commitment_id))
            .select((
                count_star(),
                min(social_value_returns::period_from),
                max(social_value_returns::period_to),
            ))
            .get_result(conn)
    }

    /// Mark return `id` as replaced by `by`.
    pub fn supersede(conn: &mut PgConnection, id: Uuid, by: Uuid) -> QueryResult<usize> {
        diesel::update(social_value_returns::table.find(id))
            .set(social_value_returns::superseded_by.eq(Some(by)))
            .execute(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = social_value_priorities)]
pub struct PriorityRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub code: String,
    pub name: String,
    pub description: String,
    pub measure_codes: Vec<String>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields a priority update may set; `None` leaves one as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = social_value_priorities)]
pub struct PriorityChanges {
    pub code: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub measure_codes: Option<Vec<String>>,
}

/// A priority with its authority's code.
pub type PriorityWithCode = (PriorityRow, String);

impl PriorityRow {
    pub fn insert(conn: &mut PgConnection, row: &PriorityRow) -> QueryResult<PriorityRow> {
        diesel::insert_into(social_value_priorities::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<PriorityWithCode>> {
        social_value_priorities::table
            .inner_join(authorities::table)
            .filter(social_value_priorities::id.eq(id))
            .select((Self::as_select(), authorities::code))
            .first(conn)
            .optional()
    }

    /// The priority, its row locked until the transaction ends.
    pub fn find_for_update(
        conn: &mut PgConnection,
        id: Uuid,
    ) -> QueryResult<Option<PriorityWithCode>> {
        let Some(row) = social_value_priorities::table
            .find(id)
            .select(Self::as_select())
            .for_no_key_update()
            .first(conn)
            .optional()?
        else {
            return Ok(None);
        };
        let code = authorities::table
            .find(row.authority_id)
            .select(authorities::code)
            .first(conn)?;
        Ok(Some((row, code)))
    }

    /// The authority's priority with `code`.
    pub fn by_code(
        conn: &mut PgConnection,
        authority_id: Uuid,
        code: &str,
    ) -> QueryResult<Option<PriorityRow>> {
        social_value_priorities::table
            .filter(social_value_priorities::authority_id.eq(authority_id))
            .filter(social_value_priorities::code.eq(code))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// A page of priorities by id, after `after`, optionally of one authority.
    pub fn page(
        conn: &mut PgConnection,
        authority: Option<&str>,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<PriorityWithCode>> {
        let mut q = social_value_priorities::table
            .inner_join(authorities::table)
            .select((Self::as_select(), authorities::code))
            .order(social_value_priorities::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(code) = authority {
            q = q.filter(authorities::code.eq(code.to_string()));
        }
        if let Some(id) = after {
            q = q.filter(social_value_priorities::id.gt(id));
        }
        q.load(conn)
    }

    /// Apply `changes`, moving the version on.
    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &PriorityChanges,
    ) -> QueryResult<PriorityRow> {
        diesel::update(social_value_priorities::table.find(id))
            .set((
                changes,
                social_value_priorities::version.eq(social_value_priorities::version + 1),
                social_value_priorities::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
        diesel::delete(social_value_priorities::table.find(id)).execute(conn)
    }

    /// Every priority of the authority, by code.
    pub fn of_authority(
        conn: &mut PgConnection,
        authority_id: Uuid,
    ) -> QueryResult<Vec<PriorityRow>> {
        social_value_priorities::table
            .filter(social_value_priorities::authority_id.eq(authority_id))
            .order(social_value_priorities::code.asc())
            .select(Self::as_select())
            .load(conn)
    }

    /// How many of the authority's PIDs and commissioning intentions name the priority `code`.
    pub fn plans_naming(
        conn: &mut PgConnection,
        authority_id: Uuid,
        code: &str,
    ) -> QueryResult<(i64, i64)> {
        let named = vec![code.to_string()];
        let in_pids = pids::table
            .filter(pids::authority_id.eq(authority_id))
            .filter(pids::social_value_priorities.contains(&named))
            .count()
            .get_result(conn)?;
        let in_intentions = commissioning_intentions::table
            .filter(commissioning_intentions::authority_id.eq(authority_id))
            .filter(commissioning_intentions::social_value_priorities.contains(&named))
            .count()
            .get_result(conn)?;
        Ok((in_pids, in_intentions))
    }
}

/// What the authority's planned social value is checked against on `on`: its priorities and the
/// edition of the measures framework in force.
pub fn planning_frame(
    conn: &mut PgConnection,
    authority_id: Uuid,
    authority_code: &str,
    on: NaiveDate,
) -> QueryResult<PlanningFrame> {
    let priorities = PriorityRow::of_authority(conn, authority_id)?
        .into_iter()
        .map(|p| (p.code, p.measure_codes))
        .collect();
    let edition = match EditionRow::in_force(conn, on)? {
        Some(e) => Some((
            e.code,
            MeasureRow::codes_of_edition(conn, e.id)?
                .into_iter()
                .collect(),
        )),
        None => None,
    };
    Ok(PlanningFrame {
        authority: authority_code.to_string(),
        priorities,
        edition,
    })
}
