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

/// The Integrated Commissioning Board's decision on a submitted intention.
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
pub enum Decision {
    Approved,
    Rejected,
    Deferred,
}

impl From<Decision> for IntentionStatus {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Approved => IntentionStatus::Approved,
            Decision::Rejected => IntentionStatus::Rejected,
            Decision::Deferred => IntentionStatus::Deferred,
        }
    }
}

/// The explicit actions that move an intention through its lifecycle.
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
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    /// Put a draft to the board.
    Submit,
    /// The board approves, rejects or defers a submitted intention.
    Decide,
    /// Take an approved or rejected intention back to draft, to change it and decide again.
    Revise,
    /// Take a deferred intention back to draft for a later board.
    Reopen,
    /// Procurement has begun (a procurement initiation document is raised).
    StartProcurement,
    /// The contract is awarded.
    Award,
    /// The new arrangement is in place; nothing more to do.
    Close,
    /// Stop work on an open intention.
    Withdraw,
}

/// One row of the lifecycle: an action, the states it may start from, where it leads and who may
/// take it. `to` is `None` where the outcome is chosen (a board decision).
pub struct Transition {
    pub action: Action,
    pub from: &'static [IntentionStatus],
    pub to: Option<IntentionStatus>,
    pub roles: &'static [Role],
}

use IntentionStatus as S;

/// The intention lifecycle, as data: handlers check it, the OpenAPI descriptions list it.
pub const LIFECYCLE: &[Transition] = &[
    Transition {
        action: Action::Submit,
        from: &[S::Draft],
        to: Some(S::Submitted),
        roles: WRITERS,
    },
    Transition {
        action: Action::Decide,
        from: &[S::Submitted],
        to: None,
        roles: &[Role::Board],
    },
    Transition {
        action: Action::Revise,
        from: &[S::Approved, S::Rejected],
        to: Some(S::Draft),
        roles: WRITERS,
    },
    Transition {
        action: Action::Reopen,
        from: &[S::Deferred],
        to: Some(S::Draft),
        roles: WRITERS,
    },
    Transition {
        action: Action::StartProcurement,
        from: &[S::Approved],
        to: Some(S::InProcurement),
        roles: &[Role::Procurement, Role::Commissioner, Role::Admin],
    },
    Transition {
        action: Action::Award,
        from: &[S::InProcurement],
        to: Some(S::Awarded),
        roles: &[Role::Procurement, Role::Admin],
    },
    Transition {
        action: Action::Close,
        from: &[S::Awarded],
        to: Some(S::Closed),
        roles: &[Role::Commissioner, Role::Procurement, Role::Admin],
    },
    Transition {
        action: Action::Withdraw,
        from: IntentionStatus::OPEN,
        to: Some(S::Withdrawn),
        roles: WRITERS,
    },
];

impl Action {
    pub fn transition(self) -> &'static Transition {
        LIFECYCLE
            .iter()
            .find(|t| t.action == self)
            .expect("every action is in the lifecycle")
    }
}

/// The actions an intention in `status` allows (whoever takes them).
pub fn allowed_actions(status: IntentionStatus) -> Vec<Action> {
    LIFECYCLE
        .iter()
        .filter(|t| t.from.contains(&status))
        .map(|t| t.action)
        .collect()
}

/// Why an intention action is refused.
pub type Refusal = crate::domain::lifecycle::Refusal<Action, IntentionStatus>;

/// Check `action` on an intention in `status` by a caller with `roles`; the status it leads to
/// (for a decision, the decision's).
pub fn check_transition(
    action: Action,
    status: IntentionStatus,
    roles: &[Role],
    decision: Option<Decision>,
) -> Result<IntentionStatus, Refusal> {
    let t = action.transition();
    if !t.roles.iter().any(|r| roles.contains(r)) {
        return Err(Refusal::Role {
            action,
            needs: t.roles,
        });
    }
    if !t.from.contains(&status) {
        return Err(Refusal::State {
            action,
            record: "an intention",
            status,
            allowed: allowed_actions(status),
        });
    }
    Ok(t.to
        .or(decision.map(IntentionStatus::from))
        .unwrap_or(status))
}

/// Statuses in which value, financial year and category are locked: the board approved them, so
/// changing them needs a new decision (`revise`, then `submit` and `decide` again).
pub const LOCKED_AFTER_APPROVAL: &[IntentionStatus] =
    &[S::Approved, S::InProcurement, S::Awarded, S::Closed];

/// Statuses in which nothing may be changed any more.
pub const READ_ONLY: &[IntentionStatus] = &[S::Closed, S::Withdrawn];

/// The fields a board approval locks.
pub const LOCKED_FIELDS: &[&str] = &[
    "estimated_annual_value_pence",
    "estimated_whole_life_value_pence",
    "financial_year",
    "category",
];

/// A Markdown table of the lifecycle, for the OpenAPI descriptions.
pub fn lifecycle_table() -> String {
    let mut out = String::from("| action | from | to | roles |\n|---|---|---|---|\n");
    for t in LIFECYCLE {
        let from: Vec<&str> = t.from.iter().map(|s| <&str>::from(*s)).collect();
        let to =
            t.to.map_or("approved, rejected or deferred".to_string(), |s| {
                <&str>::from(s).to_string()
            });
        let roles: Vec<String> = t.roles.iter().map(|r| r.to_string()).collect();
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            t.action,
            from.join(", "),
            to,
            roles.join(", ")
        ));
    }
    out
}

crate::domain::values::bounded_number!(
    Tranche,
    1,
    5,
    "tranche",
    "Tranche of activity: 1 must do, 2 should do, 3 could do, 4 longer-term transformation, 5 business as usual.",
    1
);

crate::domain::values::bounded_number!(
    ImprovementCategory,
    1,
    4,
    "improvement category",
    "Improvement category: 1 mission critical, 2 significant business commitment, 3 enabler, 4 longer-term work.",
    1
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
    fn the_lifecycle_allows_its_paths_and_refuses_the_rest() {
        let board = [Role::Board];
        let commissioner = [Role::Commissioner];
        assert_eq!(
            check_transition(Action::Submit, S::Draft, &commissioner, None),
            Ok(S::Submitted)
        );
        assert_eq!(
            check_transition(
                Action::Decide,
                S::Submitted,
                &board,
                Some(Decision::Deferred)
            ),
            Ok(S::Deferred)
        );
        assert!(matches!(
            check_transition(Action::Decide, S::Submitted, &commissioner, None),
            Err(Refusal::Role { .. })
        ));
        let refused =
            check_transition(Action::Submit, S::Approved, &commissioner, None).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "cannot submit an intention that is approved; actions allowed now: revise, start_procurement, withdraw"
        );
        for status in [S::Closed, S::Withdrawn] {
            assert!(allowed_actions(status).is_empty(), "{status:?} is terminal");
        }
        assert!(lifecycle_table().contains(
            "| withdraw | draft, submitted, approved, deferred, in_procurement | withdrawn |"
        ));
    }

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
