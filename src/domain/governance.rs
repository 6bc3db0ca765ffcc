//! Governance of the Contract Procedure Rules: waiver reasons, the waiver lifecycle and who may
//! decide a waiver (approver rules by value band), breaches, and financial-year quarters for the
//! audit committee report.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::domain::values::{FinancialYear, Pence};
use crate::error::FieldError;

/// Roles that may request waivers and record breaches for their own authority.
pub const WRITERS: &[Role] = &[Role::Commissioner, Role::Procurement, Role::Admin];

/// Roles that may replace the waiver approver rules.
pub const RULE_WRITERS: &[Role] = &[Role::Admin];

/// Why the Contract Procedure Rules should not apply: `sole_supplier` (only one provider can
/// deliver), `urgency` (an unforeseeable emergency, e.g. provider failure), `continuity_of_care`
/// (moving people would harm them), `below_market_interest` (the market showed no interest in a
/// compliant process), `extension_of_existing` (extending beyond the contract's options),
/// `collaborative_arrangement` (buying through another body's arrangement), `specialist_provision`
/// (an individual placement only one provider can meet), `other`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WaiverReason {
    SoleSupplier,
    Urgency,
    ContinuityOfCare,
    BelowMarketInterest,
    ExtensionOfExisting,
    CollaborativeArrangement,
    SpecialistProvision,
    Other,
}

/// Where a waiver stands: `requested → approved | refused` by the approver the rules name, or
/// `requested → withdrawn` by the requesting authority.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WaiverStatus {
    Requested,
    Approved,
    Refused,
    Withdrawn,
}

/// The decision on a requested waiver.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WaiverDecision {
    Approved,
    Refused,
}

/// Who decides a waiver, as the approver rules name them. Each is held by a token role:
/// `head_of_procurement` → `procurement`, `chief_finance_officer` → `finance`,
/// `director` → `board` (a director or the monitoring officer sits on the board).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum WaiverApprover {
    HeadOfProcurement,
    ChiefFinanceOfficer,
    Director,
}

impl WaiverApprover {
    /// The token role that holds this approver's authority.
    pub fn role(self) -> Role {
        match self {
            WaiverApprover::HeadOfProcurement => Role::Procurement,
            WaiverApprover::ChiefFinanceOfficer => Role::Finance,
            WaiverApprover::Director => Role::Board,
        }
    }
}

/// What went wrong: `let_without_compliant_route` (a contract let without the procedure the
/// rules require), `extended_without_compliant_route` (extended beyond its options or without
/// approval), `varied_beyond_scope`, `continued_after_expiry` (buying on after the contract
/// ended), `other`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BreachKind {
    LetWithoutCompliantRoute,
    ExtendedWithoutCompliantRoute,
    VariedBeyondScope,
    ContinuedAfterExpiry,
    Other,
}

/// How a breach came to light.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum HowFound {
    Audit,
    SpendAnalysis,
    SelfReported,
    Whistleblowing,
    ContractReview,
    Other,
}

/// Where a breach stands: `open`, `remedying` (the remedy is under way), `remedied`, `closed`.
/// Any status may follow any other.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum BreachStatus {
    Open,
    Remedying,
    Remedied,
    Closed,
}

/// The explicit actions on a waiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::Display)]
#[strum(serialize_all = "snake_case")]
pub enum WaiverAction {
    /// The approver the rules name approves or refuses a requested waiver.
    Decide,
    /// The requesting authority takes back a waiver not yet decided.
    Withdraw,
}

/// One row of the waiver lifecycle. `to` is `None` where the outcome is chosen (a decision); the
/// roles of a decision come from the approver rules, not from this table.
pub struct WaiverTransition {
    pub action: WaiverAction,
    pub from: &'static [WaiverStatus],
    pub to: Option<WaiverStatus>,
    pub roles: &'static [Role],
}

/// The waiver lifecycle, as data.
pub const WAIVER_LIFECYCLE: &[WaiverTransition] = &[
    WaiverTransition {
        action: WaiverAction::Decide,
        from: &[WaiverStatus::Requested],
        to: None,
        roles: &[],
    },
    WaiverTransition {
        action: WaiverAction::Withdraw,
        from: &[WaiverStatus::Requested],
        to: Some(WaiverStatus::Withdrawn),
        roles: WRITERS,
    },
];

/// Why a waiver action cannot be taken.
#[derive(Debug, PartialEq)]
pub enum WaiverRefusal {
    /// The caller lacks the role the action (or the waiver's approver) needs.
    Role { action: WaiverAction, needs: String },
    /// The person who requested the waiver cannot decide it.
    OwnRequest,
    /// The waiver's status does not allow the action.
    State {
        action: WaiverAction,
        status: WaiverStatus,
        allowed: Vec<WaiverAction>,
    },
}

impl std::fmt::Display for WaiverRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaiverRefusal::Role { action, needs } => {
                write!(f, "{action} needs {needs} of the owning authority")
            }
            WaiverRefusal::OwnRequest => f.write_str(
                "a waiver cannot be decided by the person who requested it; the approver must be someone else",
            ),
            WaiverRefusal::State {
                action,
                status,
                allowed,
            } => {
                let allowed = if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed
                        .iter()
                        .map(|a| a.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                write!(
                    f,
                    "cannot {action} a waiver that is {status}; actions allowed now: {allowed}"
                )
            }
        }
    }
}

/// The actions a waiver in `status` allows.
pub fn allowed_waiver_actions(status: WaiverStatus) -> Vec<WaiverAction> {
    WAIVER_LIFECYCLE
        .iter()
        .filter(|t| t.from.contains(&status))
        .map(|t| t.action)
        .collect()
}

/// The waiver lifecycle as a Markdown table, for the OpenAPI tag description.
pub fn waiver_lifecycle_table() -> String {
    let mut out = String::from("| action | from | to | who |\n|---|---|---|---|\n");
    for t in WAIVER_LIFECYCLE {
        let from: Vec<&str> = t.from.iter().map(|s| <&str>::from(*s)).collect();
        let (to, who) = match t.to {
            Some(to) => (
                <&str>::from(to).to_string(),
                t.roles
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            None => (
                "approved or refused".to_string(),
                "the approver the rules name for the value (head_of_procurement: procurement, chief_finance_officer: finance, director: board), not the requester".to_string(),
            ),
        };
        out.push_str(&format!(
            "| {} | {} | {to} | {who} |\n",
            t.action,
            from.join(", ")
        ));
    }
    out
}

/// Check `action` on a waiver in `status` by a caller with `roles`; for a decision, `approver`
/// is the waiver's approver and the caller must hold its role and not be the requester. Returns
/// the status the action leads to (for a decision, the decision's).
pub fn check_waiver_action(
    action: WaiverAction,
    status: WaiverStatus,
    roles: &[Role],
    approver: WaiverApprover,
    own_request: bool,
    decision: Option<WaiverDecision>,
) -> Result<WaiverStatus, WaiverRefusal> {
    let t = WAIVER_LIFECYCLE
        .iter()
        .find(|t| t.action == action)
        .expect("every action is in the lifecycle");
    match action {
        WaiverAction::Decide => {
            if !roles.contains(&approver.role()) {
                return Err(WaiverRefusal::Role {
                    action,
                    needs: format!(
                        "the {approver} (role {}) the approver rules name for its value",
                        approver.role()
                    ),
                });
            }
            if own_request {
                return Err(WaiverRefusal::OwnRequest);
            }
        }
        WaiverAction::Withdraw => {
            if !t.roles.iter().any(|r| roles.contains(r)) {
                let names: Vec<String> = t.roles.iter().map(|r| r.to_string()).collect();
                return Err(WaiverRefusal::Role {
                    action,
                    needs: format!("one of the roles [{}]", names.join(", ")),
                });
            }
        }
    }
    if !t.from.contains(&status) {
        return Err(WaiverRefusal::State {
            action,
            status,
            allowed: allowed_waiver_actions(status),
        });
    }
    Ok(match (t.to, decision) {
        (Some(to), _) => to,
        (None, Some(WaiverDecision::Approved)) => WaiverStatus::Approved,
        (None, Some(WaiverDecision::Refused) | None) => WaiverStatus::Refused,
    })
}

/// One band of the approver rules: waivers worth at least `min_value_pence` (up to the next
/// band's minimum) are decided by `approver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"min_value_pence": 5_000_000, "approver": "chief_finance_officer"}))]
pub struct WaiverApproverBand {
    pub min_value_pence: Pence,
    pub approver: WaiverApprover,
}

/// Problems with a set of bands, each naming its band: the first starts at 0 and the minimums
/// strictly increase.
pub fn approver_band_problems(bands: &[WaiverApproverBand]) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if bands.is_empty() {
        problems.push(FieldError::new(
            "bands",
            "there must be at least one band, starting at 0",
        ));
    }
    if let Some(first) = bands.first()
        && first.min_value_pence.value() != 0
    {
        problems.push(FieldError::new(
            "bands[0].min_value_pence",
            "the first band must start at 0, so that every waiver has an approver",
        ));
    }
    for (i, pair) in bands.windows(2).enumerate() {
        if pair[1].min_value_pence <= pair[0].min_value_pence {
            problems.push(FieldError::new(
                format!("bands[{}].min_value_pence", i + 1),
                "band minimums must strictly increase",
            ));
        }
    }
    problems
}

/// The approver for a waiver worth `value`: the band with the highest minimum not above it.
pub fn approver_for(bands: &[WaiverApproverBand], value: Pence) -> Option<WaiverApprover> {
    bands
        .iter()
        .filter(|b| b.min_value_pence <= value)
        .max_by_key(|b| b.min_value_pence)
        .map(|b| b.approver)
}

/// A financial-year quarter: Q1 is April to June, Q4 January to March.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FinancialQuarter {
    pub year: FinancialYear,
    pub quarter: u8,
}

impl FinancialQuarter {
    pub fn of(date: NaiveDate) -> Option<Self> {
        let month = date.month();
        let start = if month >= 4 {
            date.year()
        } else {
            date.year() - 1
        };
        let quarter = (((month + 8) % 12) / 3 + 1) as u8;
        Some(FinancialQuarter {
            year: FinancialYear::starting(start).ok()?,
            quarter,
        })
    }
}

impl std::fmt::Display for FinancialQuarter {
    /// `2026/27 Q1`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} Q{}", self.year, self.quarter)
    }
}

/// Free text of 1 to `max` characters once trimmed.
pub fn required_text(field: &str, text: &str, max: usize) -> Result<String, FieldError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max || text.contains('\0') {
        Err(FieldError::new(
            field,
            format!("must be 1 to {max} characters, without NUL"),
        ))
    } else {
        Ok(text.to_string())
    }
}

/// Free text of at most `max` characters once trimmed (may be empty).
pub fn optional_text(field: &str, text: &str, max: usize) -> Result<String, FieldError> {
    let text = text.trim();
    if text.chars().count() > max || text.contains('\0') {
        Err(FieldError::new(
            field,
            format!("must be at most {max} characters, without NUL"),
        ))
    } else {
        Ok(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pence(v: i64) -> Pence {
        Pence::try_from(v).unwrap()
    }

    #[test]
    fn quarters_start_in_april() {
        let q = |y, m, d| {
            FinancialQuarter::of(NaiveDate::from_ymd_opt(y, m, d).unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(q(2026, 4, 1), "2026/27 Q1");
        assert_eq!(q(2026, 6, 30), "2026/27 Q1");
        assert_eq!(q(2026, 7, 1), "2026/27 Q2");
        assert_eq!(q(2026, 12, 31), "2026/27 Q3");
        assert_eq!(q(2027, 1, 1), "2026/27 Q4");
        assert_eq!(q(2027, 3, 31), "2026/27 Q4");
    }

    #[test]
    fn the_approver_is_the_band_at_or_below_the_value() {
        let bands = [
            WaiverApproverBand {
                min_value_pence: pence(0),
                approver: WaiverApprover::HeadOfProcurement,
            },
            WaiverApproverBand {
                min_value_pence: pence(5_000_000),
                approver: WaiverApprover::ChiefFinanceOfficer,
            },
        ];
        assert!(approver_band_problems(&bands).is_empty());
        assert_eq!(
            approver_for(&bands, pence(4_999_999)),
            Some(WaiverApprover::HeadOfProcurement)
        );
        assert_eq!(
            approver_for(&bands, pence(5_000_000)),
            Some(WaiverApprover::ChiefFinanceOfficer)
        );
        let mut bad = bands;
        bad[0].min_value_pence = pence(1);
        bad[1].min_value_pence = pence(1);
        assert_eq!(approver_band_problems(&bad).len(), 2);
    }

    #[test]
    fn only_a_requested_waiver_is_decided_by_its_approver() {
        let decide = |status, roles: &[Role], own| {
            check_waiver_action(
                WaiverAction::Decide,
                status,
                roles,
                WaiverApprover::ChiefFinanceOfficer,
                own,
                Some(WaiverDecision::Approved),
            )
        };
        assert_eq!(
            decide(WaiverStatus::Requested, &[Role::Finance], false),
            Ok(WaiverStatus::Approved)
        );
        assert!(matches!(
            decide(WaiverStatus::Requested, &[Role::Procurement], false),
            Err(WaiverRefusal::Role { .. })
        ));
        assert_eq!(
            decide(WaiverStatus::Requested, &[Role::Finance], true),
            Err(WaiverRefusal::OwnRequest)
        );
        assert!(matches!(
            decide(WaiverStatus::Approved, &[Role::Finance], false),
            Err(WaiverRefusal::State { .. })
        ));
    }
}
