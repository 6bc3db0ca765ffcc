//! The risk register: rows, filters and queries, and the owners of the records a risk links to.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{authorities, risks};
use crate::domain::risks::{Impact, Likelihood, RiskStatus, Score};

/// A risk as stored. `score` is left out: PostgreSQL generates it from likelihood and impact.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = risks)]
pub struct RiskRow {
    pub id: Uuid,
    pub authority_id: Uuid,
    pub reference: String,
    pub title: String,
    pub description: String,
    pub likelihood: Likelihood,
    pub impact: Impact,
    pub mitigation: String,
    pub owner: String,
    pub status: RiskStatus,
    pub intention_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub pid_id: Option<Uuid>,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A risk with the code of its authority, as the API shows it.
pub type RiskWithCode = (RiskRow, String);

/// A partial update: `None` leaves a column alone; for the links `Some(None)` clears one.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = risks)]
pub struct RiskChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub likelihood: Option<Likelihood>,
    pub impact: Option<Impact>,
    pub mitigation: Option<String>,
    pub owner: Option<String>,
    pub status: Option<RiskStatus>,
    pub intention_id: Option<Option<Uuid>>,
    pub contract_id: Option<Option<Uuid>>,
    pub pid_id: Option<Option<Uuid>>,
}

/// Filters on the risk list; every one is optional.
#[derive(Debug, Default)]
pub struct RiskFilter {
    pub authority: Option<String>,
    pub status: Option<RiskStatus>,
    /// Matches owners containing this text, ignoring case.
    pub owner: Option<String>,
    pub min_score: Option<Score>,
    pub intention_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub pid_id: Option<Uuid>,
}

/// A position in the register's order (score descending, then id): the last risk seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub score: Score,
    pub id: Uuid,
}

/// `text` as a LIKE pattern that matches it literally anywhere in a value.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

impl RiskRow {
    pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<RiskWithCode> {
        risks::table
            .inner_join(authorities::table)
            .filter(risks::id.eq(id))
            .select((Self::as_select(), authorities::code))
            .first(conn)
    }

    /// The risk, its row locked until the transaction ends so concurrent writes queue up.
    pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<RiskWithCode> {
        risks::table
            .find(id)
            .select(risks::id)
            .for_no_key_update()
            .first::<Uuid>(conn)?;
        Self::find(conn, id)
    }

    /// A page of risks, highest score first and then by id, after the position `after`.
    pub fn page(
        conn: &mut PgConnection,
        filter: &RiskFilter,
        after: Option<After>,
        limit: i64,
    ) -> QueryResult<Vec<RiskWithCode>> {
        // The generated column is never null (likelihood and impact are NOT NULL).
        let score = risks::score.assume_not_null();
        let mut query = risks::table
            .inner_join(authorities::table)
            .select((Self::as_select(), authorities::code))
            .order((score.desc(), risks::id.asc()))
            .limit(limit)
            .into_boxed();
        if let Some(After { score: s, id }) = after {
            let s = s.get();
            query = query.filter(score.lt(s).or(score.eq(s).and(risks::id.gt(id))));
        }
        if let Some(code) = &filter.authority {
            query = query.filter(authorities::code.eq(code.clone()));
        }
        if let Some(status) = filter.status {
            query = query.filter(risks::status.eq(status));
        }
        if let Some(owner) = &filter.owner {
            query = query.filter(risks::owner.ilike(contains_pattern(owner)));
        }
        if let Some(min) = filter.min_score {
            query = query.filter(score.ge(min.get()));
        }
        if let Some(id) = filter.intention_id {
            query = query.filter(risks::intention_id.eq(id));
        }
        if let Some(id) = filter.contract_id {
            query = query.filter(risks::contract_id.eq(id));
        }
        if let Some(id) = filter.pid_id {
            query = query.filter(risks::pid_id.eq(id));
        }
        query.load(conn)
    }

    pub fn insert(conn: &mut PgConnection, row: &RiskRow) -> QueryResult<RiskRow> {
        diesel::insert_into(risks::table)
            .values(row)
            .returning(Self::as_returning())
            .get_result(conn)
    }

    /// Apply `changes`, moving the version on by one.
    pub fn update(
        conn: &mut PgConnection,
        id: Uuid,
        changes: &RiskChanges,
    ) -> QueryResult<RiskRow> {
        diesel::update(risks::table.find(id))
            .set((
                changes,
                risks::version.eq(risks::version + 1),
                risks::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn owner_text_is_matched_literally() {
        assert_eq!(contains_pattern("Head"), "%Head%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
