//! Authorities and the category strategy.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{authorities, categories};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = authorities)]
pub struct AuthorityRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub gb_lae_code: Option<String>,
    pub gss_code: Option<String>,
    pub is_star_partner: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = authorities)]
pub struct NewAuthorityRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub gb_lae_code: Option<String>,
    pub gss_code: Option<String>,
    pub is_star_partner: bool,
}

impl AuthorityRow {
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Self>> {
        authorities::table
            .order(authorities::code)
            .select(Self::as_select())
            .load(conn)
    }

    pub fn by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Self>> {
        authorities::table
            .filter(authorities::code.eq(code))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    pub fn insert(conn: &mut PgConnection, new: &NewAuthorityRow) -> QueryResult<Self> {
        diesel::insert_into(authorities::table)
            .values(new)
            .returning(Self::as_returning())
            .get_result(conn)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub description: String,
    pub cpv_codes: Vec<String>,
    pub position: i32,
}

impl CategoryRow {
    /// Every category, parents before their children, each level in its set order.
    pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Self>> {
        categories::table
            .order((
                categories::parent_id.is_not_null(),
                categories::position,
                categories::code,
            ))
            .select(Self::as_select())
            .load(conn)
    }

    pub fn by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Self>> {
        categories::table
            .filter(categories::code.eq(code))
            .select(Self::as_select())
            .first(conn)
            .optional()
    }

    /// Ids of the category `code` and of its subcategories: a filter on a category matches both.
    pub fn tree_ids(conn: &mut PgConnection, code: &str) -> QueryResult<Vec<Uuid>> {
        let parent = diesel::alias!(categories as parent);
        categories::table
            .left_join(parent.on(categories::parent_id.eq(parent.field(categories::id).nullable())))
            .filter(
                categories::code
                    .eq(code)
                    .or(parent.field(categories::code).nullable().eq(code)),
            )
            .select(categories::id)
            .load(conn)
    }

    pub fn children(conn: &mut PgConnection, parent: Uuid) -> QueryResult<Vec<Self>> {
        categories::table
            .filter(categories::parent_id.eq(parent))
            .order((categories::position, categories::code))
            .select(Self::as_select())
            .load(conn)
    }
}
