//! Capacity planning rows: an authority's posts (its establishment) and its demand estimates, and
//! the queries on them. Post status is stored as text and converted here.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{authorities, capacity_demands, team_posts};
use crate::domain::capacity::{DemandLoad, PostLoad, PostStatus, post_fte};
use crate::domain::intentions::Tranche;
use crate::domain::values::FinancialYear;

/// A post as stored; `status` is one of the `PostStatus` names.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = team_posts)]
pub struct PostRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub team: String,
    pub title: String,
    pub grade: String,
    pub contracted_hours_hundredths: i32,
    pub full_time_hours_hundredths: i32,
    pub status: String,
    pub reports_to: Option<Uuid>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A post with the code of its authority.
pub type PostWithCode = (PostRow, String);

impl PostRow {
    /// The stored status; the column's CHECK keeps it to the known names.
    pub fn status(&self) -> PostStatus {
        self.status.parse().unwrap_or(PostStatus::Filled)
    }

    pub fn fte_hundredths(&self) -> i64 {
        post_fte(
            self.contracted_hours_hundredths,
            self.full_time_hours_hundredths,
        )
    }

    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<PostWithCode> {
        team_posts::table
            .inner_join(authorities::table)
            .filter(team_posts::id.eq(id))
            .select((Self::as_select(), authorities::code))
            .first(conn)
    }

    /// The post, its row locked until the transaction ends so concurrent writes queue up.
    pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<PostWithCode> {
        team_posts::table
            .find(id)
            .select(team_posts::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find(conn, id)
    }

    /// The authority code and manager of a post, if it exists.
    pub fn owner_and_manager(
        conn: &mut PgConnection,
        id: Uuid,
    ) -> QueryResult<Option<(String, Option<Uuid>)>> {
        team_posts::table
            .inner_join(authorities::table)
            .filter(team_posts::id.eq(id))
            .select((authorities::code, team_posts::reports_to))
            .first(conn)
            .optional()
    }

    pub fn page(
        conn: &mut PgConnection,
        filter: &PostFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<PostWithCode>> {
        let mut query = team_posts::table
            .inner_join(authorities::table)
            .select((Self::as_select(), authorities::code))
            .order(team_posts::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(id) = after {
            query = query.filter(team_posts::id.gt(id));
        }
        if let Some(code) = &filter.authority {
            query = query.filter(authorities::code.eq(code.clone()));
        }
        if let Some(team) = &filter.team {
            query = query.filter(team_posts::team.eq(team.clone()));
        }
        if let Some(status) = filter.status {
            let status: &'static str = status.into();
            query = query.filter(team_posts::status.eq(status));
        }
        query.load(conn)
    }

    /// Every post of an authority, as the capacity report counts them.
    pub fn loads(conn: &mut PgConnection, authority_id: Uuid) -> QueryResult<Vec<PostLoad>> {
        let rows: Vec<PostRow> = team_posts::table
            .filter(team_posts::authority_id.eq(authority_id))
            .select(Self::as_select())
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|r| PostLoad {
                fte_hundredths: r.fte_hundredths(),
                status: r.status(),
                team: r.team,
            })
            .collect())
    }

    pub fn insert(conn: &mut PgConnection, row: &PostRow) -> QueryResult<PostRow> {
        diesel::insert_into(team_posts::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    pub fn insert_all(conn: &mut PgConnection, rows: &[PostRow]) -> QueryResult<usize> {
        let mut n = 0;
        // 13 columns a row: 1,000 rows stay well under PostgreSQL's 65,535 bind parameters.
        for batch in rows.chunks(1000) {
            n += diesel::insert_into(team_posts::table)
                .values(batch)
                .execute(conn)?;
        }
        Ok(n)
    }

    /// Apply `changes`, moving the version on by one.
    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &PostChanges,
    ) -> QueryResult<PostRow> {
        diesel::update(team_posts::table.find(id))
            .set((
                changes,
                team_posts::version.eq(team_posts::version + 1),
                team_posts::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

/// A partial update of a post: `None` leaves a column alone; `Some(None)` clears `reports_to`.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = team_posts)]
pub struct PostChanges {
    pub team: Option<String>,
    pub title: Option<String>,
    pub grade: Option<String>,
    pub contracted_hours_hundredths: Option<i32>,
    pub full_time_hours_hundredths: Option<i32>,
    pub status: Option<String>,
    pub reports_to: Option<Option<Uuid>>,
}

/// Filters on the post list; every one is optional.
#[derive(Debug, Default)]
pub struct PostFilter {
    pub authority: Option<String>,
    pub team: Option<String>,
    pub status: Option<PostStatus>,
}

/// A demand estimate as stored.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = capacity_demands)]
pub struct DemandRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub intention_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub activity_name: Option<String>,
    pub tranche: Tranche,
    pub team: String,
    pub financial_year: FinancialYear,
    pub fte_hundredths: i32,
    pub note: String,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A demand estimate with the code of its authority.
pub type DemandWithCode = (DemandRow, String);

/// A partial update of a demand estimate. The activity it is for cannot change.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = capacity_demands)]
pub struct DemandChanges {
    pub tranche: Option<Tranche>,
    pub team: Option<String>,
    pub financial_year: Option<FinancialYear>,
    pub fte_hundredths: Option<i32>,
    pub note: Option<String>,
}

/// Filters on the demand list; every one is optional.
#[derive(Debug, Default)]
pub struct DemandFilter {
    pub authority: Option<String>,
    pub team: Option<String>,
    pub financial_year: Option<FinancialYear>,
    pub tranche: Option<Tranche>,
    pub intention_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
}

impl DemandRow {
    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<DemandWithCode> {
        capacity_demands::table
            .inner_join(authorities::table)
            .filter(capacity_demands::id.eq(id))
            .select((Self::as_select(), authorities::code))
            .first(conn)
    }

    pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<DemandWithCode> {
        capacity_demands::table
            .find(id)
            .select(capacity_demands::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find(conn, id)
    }

    pub fn page(
        conn: &mut PgConnection,
        filter: &DemandFilter,
        after: Option<Uuid>,
        limit: i64,
    ) -> QueryResult<Vec<DemandWithCode>> {
        let mut query = capacity_demands::table
            .inner_join(authorities::table)
            .select((Self::as_select(), authorities::code))
            .order(capacity_demands::id.asc())
            .limit(limit)
            .into_boxed();
        if let Some(id) = after {
            query = query.filter(capacity_demands::id.gt(id));
        }
        if let Some(code) = &filter.authority {
            query = query.filter(authorities::code.eq(code.clone()));
        }
        if let Some(team) = &filter.team {
            query = query.filter(capacity_demands::team.eq(team.clone()));
        }
        if let Some(fy) = filter.financial_year {
            query = query.filter(capacity_demands::financial_year.eq(fy));
        }
        if let Some(t) = filter.tranche {
            query = query.filter(capacity_demands::tranche.eq(t));
        }
        if let Some(id) = filter.intention_id {
            query = query.filter(capacity_demands::intention_id.eq(id));
        }
        if let Some(id) = filter.contract_id {
            query = query.filter(capacity_demands::contract_id.eq(id));
        }
        query.load(conn)
    }

    /// An authority's demand in the years `from` to `to`, with each estimate's row for naming
    /// the unfunded ones.
    pub fn in_years(
        conn: &mut PgConnection,
        authority_id: Uuid,
        years: &[FinancialYear],
    ) -> QueryResult<Vec<DemandRow>> {
        capacity_demands::table
            .filter(capacity_demands::authority_id.eq(authority_id))
            .filter(capacity_demands::financial_year.eq_any(years.to_vec()))
            .select(Self::as_select())
            .order(capacity_demands::id.asc())
            .load(conn)
    }

    pub fn load(&self) -> DemandLoad {
        DemandLoad {
            id: self.id,
            team: self.team.clone(),
            financial_year: self.financial_year,
            tranche: self.tranche,
            fte_hundredths: i64::from(self.fte_hundredths),
        }
    }

    pub fn insert(conn: &mut PgConnection, row: &DemandRow) -> QueryResult<DemandRow> {
        diesel::insert_into(capacity_demands::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &DemandChanges,
    ) -> QueryResult<DemandRow> {
        diesel::update(capacity_demands::table.find(id))
            .set((
                changes,
                capacity_demands::version.eq(capacity_demands::version + 1),
                capacity_demands::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }
}
