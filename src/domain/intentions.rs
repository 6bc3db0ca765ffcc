//! Commissioning intentions: the forward plan's prioritisation scales, lifecycle states and the
//! rules an intention's fields must keep together.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::domain::values::{Date, Pence};
use crate::error::FieldError;

/// MoSCoW priority, as in the Doncaster plan.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Priority {
    Must,
    Should,
    Could,
    Wont,
}

/// Where an intention stands: `draft → submitted → approved | rejected | deferred` by the
/// Integrated Commissioning Board, then `in_procurement → awarded → closed`, or `withdrawn`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IntentionStatus {
    Draft,
    Submitted,
    Approved,
    Rejected,
    Deferred,
    InProcurement,
    Awarded,
    Closed,
    Withdrawn,
}

impl IntentionStatus {
    /// Statuses in which an intention is still live work: it covers the contracts it replaces.
    pub const OPEN: &[IntentionStatus] = &[
        IntentionStatus::Draft,
        IntentionStatus::Submitted,
        IntentionStatus::Approved,
        IntentionStatus::Deferred,
        IntentionStatus::InProcurement,
    ];

    pub fn is_open(self) -> bool {
        Self::OPEN.contains(&self)
    }
}

/// A number constrained to a range, with its own OpenAPI schema.
macro_rules! bounded_number {
    ($name:ident, $min:expr, $max:expr, $label:expr, $description:expr) => {
        #[doc = $description]
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            Serialize,
            Deserialize,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Int2)]
        #[serde(try_from = "i16", into = "i16")]
        pub struct $name(i16);

        impl TryFrom<i16> for $name {
            type Error = String;
            fn try_from(v: i16) -> Result<Self, String> {
                if ($min..=$max).contains(&v) {
                    Ok(Self(v))
                } else {
                    Err(format!(
                        "{} must be from {} to {}, not {v}",
                        $label, $min, $max
                    ))
                }
            }
        }

        impl From<$name> for i16 {
            fn from(v: $name) -> i16 {
                v.0
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .minimum(Some($min))
                    .maximum(Some($max))
                    .description(Some($description))
                    .examples([serde_json::json!($min)])
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}

bounded_number!(
    Tranche,
    1,
    5,
    "tranche",
    "Tranche of activity: 1 must do, 2 should do, 3 could do, 4 longer-term transformation, 5 business as usual."
);

bounded_number!(
    ImprovementCategory,
    1,
    4,
    "improvement category",
    "Improvement category: 1 mission critical, 2 significant business commitment, 3 enabler, 4 longer-term work."
);

/// Roles that may create and change their own authority's intentions.
pub const WRITERS: &[Role] = &[Role::Commissioner, Role::Admin];

/// The fields whose relation to each other is a rule, as they stand after a create or update.
pub struct Plan {
    pub estimated_annual_value_pence: Option<Pence>,
    pub estimated_whole_life_value_pence: Option<Pence>,
    pub planned_procurement_start: Option<Date>,
    pub planned_contract_start: Option<Date>,
}

impl Plan {
    /// Every rule the fields break, each naming its field.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if let (Some(annual), Some(whole)) = (
            self.estimated_annual_value_pence,
            self.estimated_whole_life_value_pence,
        ) && whole < annual
        {
            problems.push(FieldError::new(
                "estimated_whole_life_value_pence",
                format!(
                    "whole-life value ({}) cannot be less than the annual value ({})",
                    whole.value(),
                    annual.value()
                ),
            ));
        }
        if let (Some(procure), Some(start)) =
            (self.planned_procurement_start, self.planned_contract_start)
            && start < procure
        {
            problems.push(FieldError::new(
                "planned_contract_start",
                format!("contract start {start} is before the procurement start {procure}"),
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_refuse_out_of_range() {
        assert!(Tranche::try_from(0).is_err());
        assert!(Tranche::try_from(5).is_ok());
        assert!(ImprovementCategory::try_from(5).is_err());
    }

    #[test]
    fn plan_rules_name_their_fields() {
        let d = |s: &str| Date::try_from(s.parse::<chrono::NaiveDate>().unwrap()).unwrap();
        let plan = Plan {
            estimated_annual_value_pence: Some(Pence::try_from(100).unwrap()),
            estimated_whole_life_value_pence: Some(Pence::try_from(50).unwrap()),
            planned_procurement_start: Some(d("2026-06-01")),
            planned_contract_start: Some(d("2026-05-01")),
        };
        let fields: Vec<_> = plan.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["estimated_whole_life_value_pence", "planned_contract_start"]
        );
    }
}
