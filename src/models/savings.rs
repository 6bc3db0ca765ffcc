//! Savings lines and snapshots as stored, who may see which (a SQL predicate), and the forecast
//! query: lines (live or frozen) summed by any of the dimensions in SQL, in integer pence.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, SmallInt, Text};
use uuid::Uuid;

use crate::db::schema::{savings_lines, savings_snapshots};
use crate::domain::savings::SavingsDimension;

/// A savings line as stored. `months` holds 12 amounts, month 1 = April.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Insertable)]
#[diesel(table_name = savings_lines)]
pub struct SavingsLineRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub intention_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub financial_year: String,
    pub months: Vec<i64>,
    pub amount_pence: i64,
    pub risk_adjusted_pence: i64,
    pub cashable: bool,
    pub kind: String,
    pub confidence: String,
    pub probability: i16,
    pub status: String,
    pub budget_code: String,
    pub baseline_pence: i64,
    pub description: String,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A line with its authority's code, as the API shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct LineWithCode {
    #[diesel(embed)]
    pub line: SavingsLineRow,
    #[diesel(sql_type = Text)]
    pub authority: String,
}

/// A change to a line: `None` leaves a column alone.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = savings_lines)]
pub struct SavingsLineChanges {
    pub financial_year: Option<String>,
    pub months: Option<Vec<i64>>,
    pub amount_pence: Option<i64>,
    pub risk_adjusted_pence: Option<i64>,
    pub cashable: Option<bool>,
    pub kind: Option<String>,
    pub confidence: Option<String>,
    pub probability: Option<i16>,
    pub status: Option<String>,
    pub budget_code: Option<String>,
    pub baseline_pence: Option<i64>,
    pub description: Option<String>,
}

/// Which lines a caller may read.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Every authority's lines (a STAR-wide finance token).
    pub all: bool,
    /// Every line of this authority.
    pub own: Option<String>,
    /// Lines of any authority attached to a collaboration opportunity that this authority and the
    /// line's owner both take part in (participation not withdrawn).
    pub partner_of: Option<String>,
}

/// An authority code as a SQL literal. Codes are 2 to 6 capital letters (checked when the token
/// was read), so quoting cannot be escaped; anything else is refused.
fn literal(code: &str) -> String {
    assert!(
        code.bytes().all(|b| b.is_ascii_uppercase()),
        "authority code"
    );
    format!("'{code}'")
}

impl Scope {
    /// The lines a caller of `authority` with `roles` may read (the savings rules, shared by the
    /// savings endpoints, the change feed and webhooks).
    pub fn for_reader(authority: &str, roles: &[crate::auth::Role]) -> Self {
        use crate::domain::savings::{READERS, STAR};
        let has = |r: &crate::auth::Role| roles.contains(r);
        Scope {
            all: authority == STAR && has(&crate::auth::Role::Finance),
            own: READERS.iter().any(has).then(|| authority.to_string()),
            partner_of: has(&crate::auth::Role::Partner).then(|| authority.to_string()),
        }
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.own.is_none() && self.partner_of.is_none()
    }

    /// The predicate over a line whose owner's code is `authority` and collaboration opportunity
    /// is `opportunity`.
    pub fn sql(&self, authority: &str, opportunity: &str) -> String {
        if self.all {
            return "TRUE".into();
        }
        let mut parts = Vec::new();
        if let Some(code) = &self.own {
            parts.push(format!("{authority} = {}", literal(code)));
        }
        if let Some(code) = &self.partner_of {
            parts.push(format!(
                "({opportunity} IN (SELECT p.opportunity_id FROM collaboration_participants p \
                 JOIN authorities pa ON pa.id = p.authority_id WHERE pa.code = {} AND p.status <> 'withdrawn') \
                 AND EXISTS (SELECT 1 FROM collaboration_participants p2 JOIN authorities pa2 ON pa2.id = p2.authority_id \
                 WHERE p2.opportunity_id = {opportunity} AND pa2.code = {authority} AND p2.status <> 'withdrawn'))",
                literal(code)
            ));
        }
        if parts.is_empty() {
            "FALSE".into()
        } else {
            format!("({})", parts.join(" OR "))
        }
    }
}

const LINE_WITH_CODE: &str = "SELECT l.*, a.code AS authority FROM savings_lines l JOIN authorities a ON a.id = l.authority_id";

impl SavingsLineRow {
    /// A live (not deleted) line the scope lets the caller see.
    pub fn find_visible(
        conn: &mut PgConnection,
        id: Uuid,
        scope: &Scope,
    ) -> QueryResult<LineWithCode> {
        diesel::sql_query(format!(
            "{LINE_WITH_CODE} WHERE l.id = $1 AND l.deleted_at IS NULL AND {}",
            scope.sql("a.code", "l.opportunity_id")
        ))
        .bind::<diesel::sql_types::Uuid, _>(id)
        .get_result(conn)
    }

    /// As `find_visible`, the row locked until the transaction ends.
    pub fn find_for_update(
        conn: &mut PgConnection,
        id: Uuid,
        scope: &Scope,
    ) -> QueryResult<LineWithCode> {
        savings_lines::table
            .find(id)
            .select(savings_lines::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find_visible(conn, id, scope)
    }

    pub fn insert(conn: &mut PgConnection, row: &SavingsLineRow) -> QueryResult<SavingsLineRow> {
        diesel::insert_into(savings_lines::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Apply `changes`, moving the version on by one. `clock_timestamp()` rather than the
    /// transaction's start, so the pull's order follows the writes as closely as it can.
    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &SavingsLineChanges,
    ) -> QueryResult<SavingsLineRow> {
        diesel::update(savings_lines::table.find(id))
            .set((
                changes,
                savings_lines::version.eq(savings_lines::version + 1),
                savings_lines::updated_at.eq(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
                    "clock_timestamp()",
                )),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Mark the line deleted: it leaves reads and the forecast, and the pull reports a tombstone.
    pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<SavingsLineRow> {
        let now = diesel::dsl::sql::<diesel::sql_types::Timestamptz>("clock_timestamp()");
        diesel::update(savings_lines::table.find(id))
            .set((
                savings_lines::version.eq(savings_lines::version + 1),
                savings_lines::deleted_at.eq(now.clone().nullable()),
                savings_lines::updated_at.eq(now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Lines (deleted ones included) changed at or after `since`, in (updated_at, id) order after
    /// the position `after`.
    pub fn pull(
        conn: &mut PgConnection,
        scope: &Scope,
        since: Option<DateTime<Utc>>,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> QueryResult<Vec<LineWithCode>> {
        let mut sql = format!(
            "{LINE_WITH_CODE} WHERE {}",
            scope.sql("a.code", "l.opportunity_id")
        );
        let mut n = 0;
        if since.is_some() {
            n += 1;
            sql.push_str(&format!(" AND l.updated_at >= ${n}"));
        }
        if after.is_some() {
            sql.push_str(&format!(
                " AND (l.updated_at, l.id) > (${}, ${})",
                n + 1,
                n + 2
            ));
        }
        sql.push_str(&format!(" ORDER BY l.updated_at, l.id LIMIT {limit}"));
        let mut q = diesel::sql_query(sql).into_boxed::<Pg>();
        if let Some(s) = since {
            q = q.bind::<diesel::sql_types::Timestamptz, _>(s);
        }
        if let Some((at, id)) = after {
            q = q
                .bind::<diesel::sql_types::Timestamptz, _>(at)
                .bind::<diesel::sql_types::Uuid, _>(id);
        }
        q.load(conn)
    }
}

/// Whether `authority` (a code) takes part in the opportunity (lead or participant, not withdrawn).
pub fn takes_part(
    conn: &mut PgConnection,
    opportunity: Uuid,
    authority: &str,
) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let f: Found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM collaboration_participants p JOIN authorities a ON a.id = p.authority_id \
         WHERE p.opportunity_id = $1 AND a.code = $2 AND p.status <> 'withdrawn') \
         OR EXISTS (SELECT 1 FROM collaboration_opportunities o JOIN authorities a ON a.id = o.lead_authority_id \
         WHERE o.id = $1 AND a.code = $2) AS found",
    )
    .bind::<diesel::sql_types::Uuid, _>(opportunity)
    .bind::<Text, _>(authority)
    .get_result(conn)?;
    Ok(f.found)
}

/// Whether the opportunity exists.
pub fn opportunity_exists(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
    use crate::db::schema::collaboration_opportunities as co;
    diesel::select(diesel::dsl::exists(co::table.find(id))).get_result(conn)
}

/// A snapshot as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = savings_snapshots)]
pub struct SnapshotRow {
    pub id: Uuid,
    pub label: String,
    pub scope: String,
    pub line_count: i32,
    pub taken_by: String,
    pub taken_at: DateTime<Utc>,
}

/// The live lines, one row each, with the codes the forecast groups by.
const LIVE_SOURCE: &str = "SELECT l.id AS line_id, a.code AS authority, l.opportunity_id, \
    l.financial_year, COALESCE(ic.code, cc.code) AS category, l.status, l.cashable, l.budget_code, \
    l.probability, l.months, l.amount_pence, l.risk_adjusted_pence \
    FROM savings_lines l JOIN authorities a ON a.id = l.authority_id \
    LEFT JOIN commissioning_intentions i ON i.id = l.intention_id \
    LEFT JOIN categories ic ON ic.id = i.category_id \
    LEFT JOIN contracts c ON c.id = l.contract_id \
    LEFT JOIN categories cc ON cc.id = c.category_id \
    WHERE l.deleted_at IS NULL";

impl SnapshotRow {
    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<SnapshotRow> {
        savings_snapshots::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
    }

    /// Newest first.
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<SnapshotRow>> {
        savings_snapshots::table
            .select(Self::as_select())
            .order((
                savings_snapshots::taken_at.desc(),
                savings_snapshots::id.desc(),
            ))
            .load(conn)
    }

    /// Record the snapshot and copy the live lines the scope covers into it.
    pub fn take(
        conn: &mut PgConnection,
        row: &SnapshotRow,
        scope: &Scope,
    ) -> QueryResult<SnapshotRow> {
        diesel::insert_into(savings_snapshots::table)
            .values(row)
            .execute(conn)?;
        let copied = diesel::sql_query(format!(
            "INSERT INTO savings_snapshot_lines (snapshot_id, line_id, authority, opportunity_id, \
             financial_year, category, status, cashable, budget_code, probability, months, amount_pence, \
             risk_adjusted_pence) SELECT '{}'::uuid, s.* FROM ({LIVE_SOURCE}) s WHERE {}",
            row.id,
            scope.sql("s.authority", "s.opportunity_id")
        ))
        .execute(conn)?;
        diesel::update(savings_snapshots::table.find(row.id))
            .set(savings_snapshots::line_count.eq(copied as i32))
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

/// Where the forecast reads lines from: the live lines or a snapshot's frozen copy.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    Live,
    Snapshot(Uuid),
}

impl Source {
    fn sql(self) -> String {
        match self {
            Source::Live => LIVE_SOURCE.to_string(),
            Source::Snapshot(id) => format!(
                "SELECT line_id, authority, opportunity_id, financial_year, category, status, cashable, \
                 budget_code, probability, months, amount_pence, risk_adjusted_pence \
                 FROM savings_snapshot_lines WHERE snapshot_id = '{id}'"
            ),
        }
    }
}

/// Filters on the forecast; every one optional.
#[derive(Debug, Clone, Default)]
pub struct ForecastFilter {
    pub authority: Option<String>,
    pub financial_year: Option<String>,
    pub quarter: Option<i16>,
    pub month: Option<i16>,
    pub category: Option<String>,
    pub status: Option<String>,
    pub cashable: Option<bool>,
    pub budget_code: Option<String>,
}

/// One group of the forecast: the values of the grouped dimensions (as text, in group_by order,
/// `None` for a line with no category) and its totals.
#[derive(Debug, Clone, QueryableByName)]
pub struct GroupRow {
    #[diesel(sql_type = Nullable<Text>)]
    pub d0: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub d1: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub d2: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub d3: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub d4: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub d5: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub d6: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub d7: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub amount_pence: i64,
    #[diesel(sql_type = BigInt)]
    pub risk_adjusted_pence: i64,
}

impl GroupRow {
    pub fn key(&self, n: usize) -> Vec<Option<String>> {
        [
            &self.d0, &self.d1, &self.d2, &self.d3, &self.d4, &self.d5, &self.d6, &self.d7,
        ]
        .into_iter()
        .take(n)
        .cloned()
        .collect()
    }
}

fn dimension_sql(d: SavingsDimension) -> &'static str {
    match d {
        SavingsDimension::Authority => "s.authority",
        SavingsDimension::FinancialYear => "s.financial_year",
        SavingsDimension::Quarter => "((m.n - 1) / 3 + 1)",
        SavingsDimension::Month => "m.n",
        SavingsDimension::Category => "s.category",
        SavingsDimension::Status => "s.status",
        SavingsDimension::Cashable => "s.cashable",
        SavingsDimension::BudgetCode => "s.budget_code",
    }
}

/// The forecast: lines of `source` the scope and filters let through, summed per group. When a
/// grouping or a filter is by quarter or month, lines are split into their months and each
/// month's risk-adjusted value is rounded half up on its own; otherwise each line's stored
/// risk-adjusted total (the same sum of rounded months) is added, so every grouping agrees.
pub fn forecast(
    conn: &mut PgConnection,
    source: Source,
    scope: &Scope,
    group_by: &[SavingsDimension],
    filter: &ForecastFilter,
) -> QueryResult<Vec<GroupRow>> {
    let by_month = group_by.iter().any(|d| d.needs_months())
        || filter.quarter.is_some()
        || filter.month.is_some();
    // Placeholders are numbered in the order the values are bound below.
    let mut n = 0;
    let mut placeholder = |present: bool| {
        present.then(|| {
            n += 1;
            n
        })
    };
    let line_filters = [
        ("s.authority", placeholder(filter.authority.is_some())),
        (
            "s.financial_year",
            placeholder(filter.financial_year.is_some()),
        ),
    ];
    let month_filters = [
        (
            "((m.n - 1) / 3 + 1)::int2",
            placeholder(filter.quarter.is_some()),
        ),
        ("m.n::int2", placeholder(filter.month.is_some())),
    ];
    let more_line_filters = [
        ("s.category", placeholder(filter.category.is_some())),
        ("s.status", placeholder(filter.status.is_some())),
        ("s.cashable", placeholder(filter.cashable.is_some())),
        ("s.budget_code", placeholder(filter.budget_code.is_some())),
    ];
    let conditions = |filters: &[(&str, Option<i32>)]| -> String {
        filters
            .iter()
            .filter_map(|(expr, n)| n.map(|n| format!(" AND {expr} = ${n}")))
            .collect()
    };
    let line_where = format!(
        " WHERE {}{}{}",
        scope.sql("s.authority", "s.opportunity_id"),
        conditions(&line_filters),
        conditions(&more_line_filters)
    );
    let source = format!("WITH src AS ({})", source.sql());
    let group_order = |exprs: &[String]| -> String {
        if exprs.is_empty() {
            return String::new();
        }
        let order: Vec<String> = exprs.iter().map(|e| format!("{e} NULLS LAST")).collect();
        format!(
            " GROUP BY {} ORDER BY {}",
            exprs.join(", "),
            order.join(", ")
        )
    };
    let columns = |exprs: &[String]| -> String {
        (0..8)
            .map(|i| match exprs.get(i) {
                Some(e) => format!("({e})::text AS d{i}, "),
                None => format!("NULL::text AS d{i}, "),
            })
            .collect()
    };
    let sql = if by_month {
        // Sum each month's amount and rounded risk-adjusted value per group of the dimensions
        // that are not months (one pass over the lines, no row per month), then split those
        // sums into months and regroup: the same figures as splitting every line, far faster.
        let line_dims: Vec<SavingsDimension> = group_by
            .iter()
            .copied()
            .filter(|d| !d.needs_months())
            .collect();
        let keys: Vec<String> = line_dims
            .iter()
            .enumerate()
            .map(|(i, d)| format!("{} AS k{i}", dimension_sql(*d)))
            .collect();
        let key_exprs: Vec<String> = line_dims.iter().map(|d| dimension_sql(*d).into()).collect();
        let amounts: Vec<String> = (1..=12).map(|i| format!("SUM(s.months[{i}])")).collect();
        let risks: Vec<String> = (1..=12)
            .map(|i| format!("SUM((s.months[{i}] * s.probability + 50) / 100)"))
            .collect();
        let inner = format!(
            "SELECT {}ARRAY[{}] AS am, ARRAY[{}] AS rm FROM src s{line_where}{} HAVING count(*) > 0",
            keys.iter().map(|k| format!("{k}, ")).collect::<String>(),
            amounts.join(", "),
            risks.join(", "),
            if key_exprs.is_empty() {
                String::new()
            } else {
                format!(" GROUP BY {}", key_exprs.join(", "))
            }
        );
        let mut next_key = 0;
        let outer_exprs: Vec<String> = group_by
            .iter()
            .map(|d| {
                if d.needs_months() {
                    dimension_sql(*d).to_string()
                } else {
                    next_key += 1;
                    format!("g.k{}", next_key - 1)
                }
            })
            .collect();
        format!(
            "{source}, g AS ({inner}) SELECT {}COALESCE(SUM(g.am[m.n]), 0)::int8 AS amount_pence, \
             COALESCE(SUM(g.rm[m.n]), 0)::int8 AS risk_adjusted_pence \
             FROM g CROSS JOIN generate_series(1, 12) AS m(n) WHERE TRUE{}{}",
            columns(&outer_exprs),
            conditions(&month_filters),
            group_order(&outer_exprs)
        )
    } else {
        let exprs: Vec<String> = group_by.iter().map(|d| dimension_sql(*d).into()).collect();
        format!(
            "{source} SELECT {}COALESCE(SUM(s.amount_pence), 0)::int8 AS amount_pence, \
             COALESCE(SUM(s.risk_adjusted_pence), 0)::int8 AS risk_adjusted_pence FROM src s{line_where}{}",
            columns(&exprs),
            group_order(&exprs)
        )
    };
    let mut q = diesel::sql_query(sql).into_boxed::<Pg>();
    for v in [&filter.authority, &filter.financial_year]
        .into_iter()
        .flatten()
    {
        q = q.bind::<Text, _>(v.clone());
    }
    for v in [filter.quarter, filter.month].into_iter().flatten() {
        q = q.bind::<SmallInt, _>(v);
    }
    for v in [&filter.category, &filter.status].into_iter().flatten() {
        q = q.bind::<Text, _>(v.clone());
    }
    if let Some(v) = filter.cashable {
        q = q.bind::<Bool, _>(v);
    }
    if let Some(v) = &filter.budget_code {
        q = q.bind::<Text, _>(v.clone());
    }
    let rows = q.load::<GroupRow>(conn)?;
    // Ungrouped over no lines still gives the one (zero) row; grouped gives no rows.
    Ok(rows)
}

/// One line that moved between two snapshots.
#[derive(Debug, Clone, QueryableByName)]
pub struct DiffRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub line_id: Uuid,
    #[diesel(sql_type = Text)]
    pub authority: String,
    #[diesel(sql_type = Text)]
    pub financial_year: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub status_before: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub status_after: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub amount_before: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub amount_after: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub risk_before: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub risk_after: Option<i64>,
}

/// The lines added, removed or changed (profile, status, probability, cashable, budget code, year
/// or category) from snapshot `a` to snapshot `b`, as far as the scope sees them, by line id.
pub fn diff_lines(
    conn: &mut PgConnection,
    a: Uuid,
    b: Uuid,
    scope: &Scope,
) -> QueryResult<Vec<DiffRow>> {
    let pred = scope.sql("s.authority", "s.opportunity_id");
    diesel::sql_query(format!(
        "WITH a AS (SELECT * FROM savings_snapshot_lines s WHERE snapshot_id = '{a}' AND {pred}), \
         b AS (SELECT * FROM savings_snapshot_lines s WHERE snapshot_id = '{b}' AND {pred}) \
         SELECT COALESCE(a.line_id, b.line_id) AS line_id, COALESCE(b.authority, a.authority) AS authority, \
         COALESCE(b.financial_year, a.financial_year) AS financial_year, \
         a.status AS status_before, b.status AS status_after, a.amount_pence AS amount_before, \
         b.amount_pence AS amount_after, a.risk_adjusted_pence AS risk_before, b.risk_adjusted_pence AS risk_after \
         FROM a FULL JOIN b ON a.line_id = b.line_id \
         WHERE a.line_id IS NULL OR b.line_id IS NULL OR a.months <> b.months OR a.status <> b.status \
         OR a.probability <> b.probability OR a.cashable <> b.cashable OR a.budget_code <> b.budget_code \
         OR a.financial_year <> b.financial_year OR a.category IS DISTINCT FROM b.category \
         ORDER BY 1"
    ))
    .load(conn)
}
