//! Procurement initiation documents: regimes and routes to market, the PID lifecycle, the
//! governance sign-off rules and the route-to-market checks against the procurement thresholds.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::domain::values::Pence;
use crate::error::FieldError;

/// The procurement regime the PID runs under.
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
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Regime {
    /// The Procurement Act 2023 (procurements begun on or after 24 February 2025).
    #[serde(rename = "procurement_act_2023")]
    #[strum(serialize = "procurement_act_2023")]
    ProcurementAct2023,
    /// The Public Contracts Regulations 2015, only for processes begun before 24 February 2025.
    #[serde(rename = "pcr_2015")]
    #[strum(serialize = "pcr_2015")]
    Pcr2015,
    /// The Procurement Act 2023's light-touch regime for social and other specific services.
    LightTouch,
    /// The Health Care Services (Provider Selection Regime) Regulations 2023.
    ProviderSelectionRegime,
}

/// What is being bought: it decides which threshold applies (light-touch services have their own).
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
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ContractType {
    Goods,
    Services,
    Works,
}

/// How the contract will be let.
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
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Route {
    Open,
    CompetitiveFlexible,
    FrameworkCallOff,
    DynamicMarket,
    /// Needs a justification; under the 2023 Act a transparency notice (UK5) is due.
    DirectAward,
    BelowThresholdQuote,
}

/// Where a PID stands. `returned` is never held: a return sends the PID back to `draft`
/// (with the reasons shown as `last_return`), where it is edited and submitted again.
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
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PidStatus {
    Draft,
    Submitted,
    Approved,
    Returned,
    Live,
    Awarded,
    Cancelled,
}

/// A governance sign-off a PID may need under the authority's Constitution.
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
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SignOffRole {
    CommissioningLead,
    ProcurementLead,
    Finance,
    Legal,
    KeyDecision,
}

/// A signatory's outcome: approve the submission, or return it to draft with reasons.
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
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SignOffOutcome {
    Approved,
    Returned,
}

/// The kinds of procurement threshold.
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
    strum::Display,
    strum::VariantArray,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ThresholdKind {
    /// Supplies and services, sub-central authorities.
    GoodsServices,
    Works,
    /// Light-touch services (most adult social care).
    LightTouch,
}

impl SignOffRole {
    /// The token role that may give this sign-off: commissioning lead ← `commissioner`,
    /// procurement lead ← `procurement`, finance ← `finance`, legal ← `legal`, key decision ←
    /// `board` (the decision-maker under the Constitution). `admin` gives none: admins configure
    /// governance, they do not sign it.
    pub fn token_role(self) -> Role {
        match self {
            SignOffRole::CommissioningLead => Role::Commissioner,
            SignOffRole::ProcurementLead => Role::Procurement,
            SignOffRole::Finance => Role::Finance,
            SignOffRole::Legal => Role::Legal,
            SignOffRole::KeyDecision => Role::Board,
        }
    }
}

/// The explicit actions that move a PID through its lifecycle.
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
pub enum PidAction {
    /// Put a draft to governance: the sign-offs the rules require are fixed for this submission.
    Submit,
    /// Taken by the last required approving sign-off (`POST /v1/pids/{id}/sign-offs`).
    Approve,
    /// Taken by a sign-off with outcome `returned`: back to draft with the reasons.
    Return,
    /// The procurement is under way (the tender or call-off is out).
    GoLive,
    /// The contract is awarded (and an `in_procurement` intention with it).
    Award,
    /// Stop the procurement.
    Cancel,
}

/// One row of the lifecycle: an action, the states it may start from, where it leads and who may take it.
pub struct Transition {
    pub action: PidAction,
    pub from: &'static [PidStatus],
    pub to: PidStatus,
    pub roles: &'static [Role],
}

use PidStatus as S;

/// Roles that may raise, change and submit their own authority's PIDs.
pub const WRITERS: &[Role] = &[Role::Commissioner, Role::Procurement, Role::Admin];

/// Roles that hold some sign-off (see `SignOffRole::token_role`).
pub const SIGNATORIES: &[Role] = &[
    Role::Commissioner,
    Role::Procurement,
    Role::Finance,
    Role::Legal,
    Role::Board,
];

/// The PID lifecycle, as data: handlers check it, the OpenAPI descriptions list it.
pub const LIFECYCLE: &[Transition] = &[
    Transition {
        action: PidAction::Submit,
        from: &[S::Draft],
        to: S::Submitted,
        roles: WRITERS,
    },
    Transition {
        action: PidAction::Approve,
        from: &[S::Submitted],
        to: S::Approved,
        roles: SIGNATORIES,
    },
    Transition {
        action: PidAction::Return,
        from: &[S::Submitted],
        to: S::Draft,
        roles: SIGNATORIES,
    },
    Transition {
        action: PidAction::GoLive,
        from: &[S::Approved],
        to: S::Live,
        roles: &[Role::Procurement, Role::Admin],
    },
    Transition {
        action: PidAction::Award,
        from: &[S::Live],
        to: S::Awarded,
        roles: &[Role::Procurement, Role::Admin],
    },
    Transition {
        action: PidAction::Cancel,
        from: &[S::Draft, S::Submitted, S::Approved, S::Live],
        to: S::Cancelled,
        roles: WRITERS,
    },
];

impl PidAction {
    pub fn transition(self) -> &'static Transition {
        LIFECYCLE
            .iter()
            .find(|t| t.action == self)
            .expect("every action is in the lifecycle")
    }
}

/// The actions a PID in `status` allows (whoever takes them).
pub fn allowed_actions(status: PidStatus) -> Vec<PidAction> {
    LIFECYCLE
        .iter()
        .filter(|t| t.from.contains(&status))
        .map(|t| t.action)
        .collect()
}

/// Why a PID action is refused.
pub type Refusal = crate::domain::lifecycle::Refusal<PidAction, PidStatus>;

/// Check `action` on a PID in `status` by a caller with `roles`; the status it leads to.
pub fn check_transition(
    action: PidAction,
    status: PidStatus,
    roles: &[Role],
) -> Result<PidStatus, Refusal> {
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
            record: "a PID",
            status,
            allowed: allowed_actions(status),
        });
    }
    Ok(t.to)
}

/// Roles that record who was awarded a lot (those who take the award action).
pub const LOT_AWARDERS: &[Role] = &[Role::Procurement, Role::Admin];

/// The statuses in which a lot's award may be recorded or corrected: once the procurement is
/// under way (a lot may be awarded before the others) and after the PID is awarded.
pub const LOT_AWARD_STATUSES: &[PidStatus] = &[S::Live, S::Awarded];

/// Why a lot's award cannot be recorded on a PID in `status`; `None` when it can.
pub fn lot_award_refusal(status: PidStatus) -> Option<String> {
    (!LOT_AWARD_STATUSES.contains(&status)).then(|| {
        format!("a lot's award is recorded while the PID is live or awarded; this PID is {status}")
    })
}

/// The position in the `lots` array of lot number `lot` (1-based) of a PID with `count` lots.
pub fn lot_index(lot: i16, count: usize) -> Option<usize> {
    let index = usize::try_from(lot).ok()?.checked_sub(1)?;
    (index < count).then_some(index)
}

/// Why a social value commitment cannot be made on a lot of a PID in `status` whose award is
/// (or is not) recorded; `None` when it can. A commitment is made by the supplier who won.
pub fn lot_commitment_refusal(status: PidStatus, lot: i16, award_recorded: bool) -> Option<String> {
    if status != S::Awarded {
        Some(format!(
            "a commitment on a lot needs the PID to be awarded; this PID is {status}"
        ))
    } else if !award_recorded {
        Some(format!(
            "lot {lot} has no award recorded: record who won it first (PUT /v1/pids/{{id}}/lots/{lot}/award)"
        ))
    } else {
        None
    }
}

/// A Markdown table of the lifecycle, for the OpenAPI descriptions.
pub fn lifecycle_table() -> String {
    let mut out = String::from("| action | from | to | roles |\n|---|---|---|---|\n");
    for t in LIFECYCLE {
        let from: Vec<&str> = t.from.iter().map(|s| <&str>::from(*s)).collect();
        let roles: Vec<String> = t.roles.iter().map(|r| r.to_string()).collect();
        let roles = match t.action {
            PidAction::Approve | PidAction::Return => {
                format!("a required signatory ({})", roles.join(", "))
            }
            _ => roles.join(", "),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            t.action,
            from.join(", "),
            t.to,
            roles
        ));
    }
    out
}

/// One governance rule: `role` must sign off when the PID's estimated value is at least
/// `min_value_pence` and, if `routes` is not empty, its route is one of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "finance", "min_value_pence": 10_000_000_i64, "routes": [],
    "description": "Finance signs off from £100,000"}))]
pub struct SignOffRule {
    pub role: SignOffRole,
    /// The rule applies from this value up (inclusive); 0 means always.
    #[serde(default = "zero")]
    #[schema(value_type = Pence)]
    pub min_value_pence: Pence,
    /// The rule applies only to these routes; empty means every route.
    #[serde(default)]
    pub routes: Vec<Route>,
    #[serde(default)]
    pub description: String,
}

fn zero() -> Pence {
    Pence::try_from(0).expect("0 is a valid amount")
}

impl SignOffRule {
    pub fn applies(&self, value: Pence, route: Route) -> bool {
        value >= self.min_value_pence && (self.routes.is_empty() || self.routes.contains(&route))
    }
}

/// The service's default rules, for an authority that has not set its own: commissioning and
/// procurement leads always; finance from £100,000; legal and a key decision from £500,000; legal
/// on every direct award.
pub fn default_rules() -> Vec<SignOffRule> {
    let rule = |role, pence: i64, routes: Vec<Route>, description: &str| SignOffRule {
        role,
        min_value_pence: Pence::try_from(pence).expect("a valid amount"),
        routes,
        description: description.to_string(),
    };
    vec![
        rule(
            SignOffRole::CommissioningLead,
            0,
            vec![],
            "The commissioning lead signs off every PID",
        ),
        rule(
            SignOffRole::ProcurementLead,
            0,
            vec![],
            "The procurement lead signs off every PID",
        ),
        rule(
            SignOffRole::Finance,
            FINANCE_FROM_PENCE,
            vec![],
            "Finance signs off from £100,000",
        ),
        rule(
            SignOffRole::Legal,
            KEY_DECISION_FROM_PENCE,
            vec![],
            "Legal signs off from £500,000",
        ),
        rule(
            SignOffRole::KeyDecision,
            KEY_DECISION_FROM_PENCE,
            vec![],
            "A key decision from £500,000",
        ),
        rule(
            SignOffRole::Legal,
            0,
            vec![Route::DirectAward],
            "Legal signs off every direct award",
        ),
    ]
}

/// £100,000: finance signs off from here by default.
pub const FINANCE_FROM_PENCE: i64 = 10_000_000;
/// £500,000: legal and a key decision from here by default.
pub const KEY_DECISION_FROM_PENCE: i64 = 50_000_000;

/// The sign-offs `rules` require of a PID of `value` let by `route`, each once, in role order.
pub fn required_sign_offs(rules: &[SignOffRule], value: Pence, route: Route) -> Vec<SignOffRole> {
    let mut roles: Vec<SignOffRole> = rules
        .iter()
        .filter(|r| r.applies(value, route))
        .map(|r| r.role)
        .collect();
    roles.sort_by_key(|r| *r as u8);
    roles.dedup();
    roles
}

/// Problems with a replacement rule set, each naming its rule.
pub fn rule_problems(rules: &[SignOffRule]) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if rules.is_empty() {
        problems.push(FieldError::new(
            "rules",
            "at least one rule is needed: a PID must need some sign-off",
        ));
    }
    if rules.len() > 100 {
        problems.push(FieldError::new("rules", "at most 100 rules"));
    }
    for (i, rule) in rules.iter().enumerate() {
        if rule.description.chars().count() > 500 {
            problems.push(FieldError::new(
                format!("rules[{i}].description"),
                "at most 500 characters",
            ));
        }
    }
    problems
}

/// A procurement threshold in force from a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "light_touch", "effective_from": "2024-01-01", "value_pence": 66_354_000_i64,
    "note": "Light-touch services (incl. VAT)"}))]
pub struct Threshold {
    pub kind: ThresholdKind,
    pub effective_from: crate::domain::values::Date,
    /// The threshold, inclusive of VAT.
    #[schema(value_type = Pence)]
    pub value_pence: Pence,
    #[serde(default)]
    pub note: String,
}

/// The threshold of `kind` in force on `on`: the one with the latest start on or before it.
pub fn threshold_in_force(
    thresholds: &[Threshold],
    kind: ThresholdKind,
    on: NaiveDate,
) -> Option<&Threshold> {
    thresholds
        .iter()
        .filter(|t| t.kind == kind && t.effective_from.get() <= on)
        .max_by_key(|t| t.effective_from.get())
}

/// Problems with a replacement threshold set.
pub fn threshold_problems(thresholds: &[Threshold]) -> Vec<FieldError> {
    let mut problems = Vec::new();
    for kind in <ThresholdKind as strum::VariantArray>::VARIANTS {
        if !thresholds.iter().any(|t| t.kind == *kind) {
            problems.push(FieldError::new(
                "thresholds",
                format!("a {kind} threshold is needed: route checks use one of each kind"),
            ));
        }
    }
    for (i, t) in thresholds.iter().enumerate() {
        if thresholds[..i]
            .iter()
            .any(|o| o.kind == t.kind && o.effective_from == t.effective_from)
        {
            problems.push(FieldError::new(
                format!("thresholds[{i}].effective_from"),
                format!(
                    "a {} threshold from {} is listed twice",
                    t.kind, t.effective_from
                ),
            ));
        }
        if t.note.chars().count() > 500 {
            problems.push(FieldError::new(
                format!("thresholds[{i}].note"),
                "at most 500 characters",
            ));
        }
    }
    problems
}

/// The day the Procurement Act 2023 came into force: processes begun before it stay under PCR 2015.
pub fn act_commencement() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 2, 24).expect("a real date")
}

/// The routes each regime allows.
pub fn routes_of(regime: Regime) -> &'static [Route] {
    use Route::*;
    match regime {
        Regime::ProcurementAct2023 | Regime::LightTouch => &[
            Open,
            CompetitiveFlexible,
            FrameworkCallOff,
            DynamicMarket,
            DirectAward,
            BelowThresholdQuote,
        ],
        Regime::Pcr2015 => &[Open, FrameworkCallOff, DirectAward, BelowThresholdQuote],
        Regime::ProviderSelectionRegime => &[Open, FrameworkCallOff, DirectAward],
    }
}

/// The threshold kind a PID is measured against.
pub fn threshold_kind(regime: Regime, contract_type: ContractType) -> ThresholdKind {
    match (regime, contract_type) {
        (Regime::LightTouch, _) => ThresholdKind::LightTouch,
        (_, ContractType::Works) => ThresholdKind::Works,
        _ => ThresholdKind::GoodsServices,
    }
}

/// What the route-to-market rules look at.
pub struct RouteFacts<'a> {
    pub regime: Regime,
    pub contract_type: ContractType,
    pub route: Route,
    pub value: Pence,
    pub process_started_on: Option<NaiveDate>,
    pub direct_award_justification: Option<&'a str>,
    /// The threshold in force for the PID's kind, if any is configured.
    pub threshold: Option<&'a Threshold>,
}

/// Every route-to-market rule the facts break, each naming its rule (`rule <name>: ...`) and field.
pub fn route_problems(f: &RouteFacts) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let commencement = act_commencement();
    if !routes_of(f.regime).contains(&f.route) {
        let allowed: Vec<String> = routes_of(f.regime).iter().map(|r| r.to_string()).collect();
        problems.push(FieldError::new(
            "route",
            format!(
                "rule route_not_in_regime: {} is not a route under {}; allowed: {}",
                f.route,
                f.regime,
                allowed.join(", ")
            ),
        ));
    }
    match (f.regime, f.process_started_on) {
        (Regime::Pcr2015, None) => problems.push(FieldError::new(
            "process_started_on",
            "rule pcr_2015_before_commencement: PCR 2015 applies only to a process begun before 2025-02-24; give the date it began",
        )),
        (Regime::Pcr2015, Some(d)) if d >= commencement => problems.push(FieldError::new(
            "regime",
            format!("rule pcr_2015_before_commencement: a process begun on {d} falls under the Procurement Act 2023, not PCR 2015 (only processes begun before 2025-02-24)"),
        )),
        (Regime::ProcurementAct2023 | Regime::LightTouch, Some(d)) if d < commencement => {
            problems.push(FieldError::new(
                "regime",
                format!("rule act_after_commencement: a process begun on {d}, before 2025-02-24, stays under PCR 2015"),
            ))
        }
        _ => {}
    }
    if f.route == Route::DirectAward
        && f.direct_award_justification
            .is_none_or(|j| j.trim().is_empty())
    {
        problems.push(FieldError::new(
            "direct_award_justification",
            "rule direct_award_justification: a direct award needs a justification (the ground relied on)",
        ));
    }
    if f.route == Route::BelowThresholdQuote
        && let Some(t) = f.threshold
        && f.value >= t.value_pence
    {
        problems.push(FieldError::new(
            "route",
            format!(
                "rule below_threshold_quote_limit: an estimated value of {} pence is at or above the {} threshold of {} pence (in force from {}); choose a route for above-threshold contracts",
                f.value.value(),
                t.kind,
                t.value_pence.value(),
                t.effective_from
            ),
        ));
    }
    problems
}

/// A direct award under the 2023 Act (including its light-touch regime) needs a UK5 transparency notice.
pub fn transparency_notice_due(regime: Regime, route: Route) -> bool {
    route == Route::DirectAward && matches!(regime, Regime::ProcurementAct2023 | Regime::LightTouch)
}

/// Evaluation weighting: quality, price and social value percentages summing to 100.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"quality_percent": 60, "price_percent": 30, "social_value_percent": 10}))]
pub struct Weighting {
    #[schema(minimum = 0, maximum = 100)]
    pub quality_percent: i16,
    #[schema(minimum = 0, maximum = 100)]
    pub price_percent: i16,
    #[schema(minimum = 0, maximum = 100)]
    pub social_value_percent: i16,
}

impl Weighting {
    pub fn problems(&self) -> Vec<FieldError> {
        let parts = [
            ("quality_percent", self.quality_percent),
            ("price_percent", self.price_percent),
            ("social_value_percent", self.social_value_percent),
        ];
        let mut problems: Vec<FieldError> = parts
            .iter()
            .filter(|(_, v)| !(0..=100).contains(v))
            .map(|(name, v)| {
                FieldError::new(
                    format!("evaluation_weighting.{name}"),
                    format!("must be from 0 to 100, not {v}"),
                )
            })
            .collect();
        let sum: i32 = parts.iter().map(|(_, v)| i32::from(*v)).sum();
        if problems.is_empty() && sum != 100 {
            problems.push(FieldError::new(
                "evaluation_weighting",
                format!(
                    "quality, price and social value must sum to 100%, not {sum}% ({} + {} + {})",
                    self.quality_percent, self.price_percent, self.social_value_percent
                ),
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: i64) -> Pence {
        Pence::try_from(v).unwrap()
    }

    #[test]
    fn the_lifecycle_allows_its_paths_and_refuses_the_rest() {
        let commissioner = [Role::Commissioner];
        assert_eq!(
            check_transition(PidAction::Submit, S::Draft, &commissioner),
            Ok(S::Submitted)
        );
        assert_eq!(
            check_transition(PidAction::Return, S::Submitted, &[Role::Finance]),
            Ok(S::Draft)
        );
        assert!(matches!(
            check_transition(PidAction::GoLive, S::Approved, &commissioner),
            Err(Refusal::Role { .. })
        ));
        let refused = check_transition(PidAction::Submit, S::Approved, &commissioner).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "cannot submit a PID that is approved; actions allowed now: go_live, cancel"
        );
        for status in [S::Awarded, S::Cancelled] {
            assert!(allowed_actions(status).is_empty(), "{status:?} is terminal");
        }
        assert!(
            lifecycle_table().contains("| cancel | draft, submitted, approved, live | cancelled |")
        );
    }

    #[test]
    fn lots_are_numbered_from_one_and_awarded_while_live_or_awarded() {
        assert_eq!(lot_index(1, 2), Some(0));
        assert_eq!(lot_index(2, 2), Some(1));
        assert_eq!(lot_index(3, 2), None);
        assert_eq!(lot_index(0, 2), None);
        assert_eq!(lot_index(-1, 2), None);
        assert!(lot_award_refusal(S::Live).is_none());
        assert!(lot_award_refusal(S::Awarded).is_none());
        assert_eq!(
            lot_award_refusal(S::Approved).unwrap(),
            "a lot's award is recorded while the PID is live or awarded; this PID is approved"
        );
        assert!(lot_commitment_refusal(S::Awarded, 1, true).is_none());
        assert!(lot_commitment_refusal(S::Live, 1, true).is_some());
        assert!(
            lot_commitment_refusal(S::Awarded, 2, false)
                .unwrap()
                .starts_with("lot 2 has no award recorded")
        );
    }

    #[test]
    fn default_rules_by_value_band_and_route() {
        let rules = default_rules();
        use SignOffRole::*;
        let at = |v| required_sign_offs(&rules, p(v), Route::Open);
        assert_eq!(
            at(FINANCE_FROM_PENCE - 1),
            [CommissioningLead, ProcurementLead]
        );
        assert_eq!(
            at(FINANCE_FROM_PENCE),
            [CommissioningLead, ProcurementLead, Finance]
        );
        assert_eq!(
            at(KEY_DECISION_FROM_PENCE - 1),
            [CommissioningLead, ProcurementLead, Finance]
        );
        assert_eq!(
            at(KEY_DECISION_FROM_PENCE),
            [
                CommissioningLead,
                ProcurementLead,
                Finance,
                Legal,
                KeyDecision
            ]
        );
        assert_eq!(
            required_sign_offs(&rules, p(0), Route::DirectAward),
            [CommissioningLead, ProcurementLead, Legal]
        );
    }

    #[test]
    fn route_rules_name_themselves() {
        let t = Threshold {
            kind: ThresholdKind::GoodsServices,
            effective_from: crate::domain::values::Date::try_from(
                NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            )
            .unwrap(),
            value_pence: p(21_490_400),
            note: String::new(),
        };
        let facts = |route, value| RouteFacts {
            regime: Regime::ProcurementAct2023,
            contract_type: ContractType::Services,
            route,
            value: p(value),
            process_started_on: None,
            direct_award_justification: None,
            threshold: Some(&t),
        };
        assert!(route_problems(&facts(Route::BelowThresholdQuote, 21_490_399)).is_empty());
        let over = route_problems(&facts(Route::BelowThresholdQuote, 21_490_400));
        assert!(
            over[0]
                .message
                .starts_with("rule below_threshold_quote_limit")
        );
        let da = route_problems(&facts(Route::DirectAward, 1));
        assert_eq!(da[0].field, "direct_award_justification");
        assert!(transparency_notice_due(
            Regime::ProcurementAct2023,
            Route::DirectAward
        ));
        assert!(!transparency_notice_due(
            Regime::ProviderSelectionRegime,
            Route::DirectAward
        ));
    }

    #[test]
    fn weighting_must_sum_to_a_hundred() {
        let w = |q, p, s| Weighting {
            quality_percent: q,
            price_percent: p,
            social_value_percent: s,
        };
        assert!(w(60, 30, 10).problems().is_empty());
        assert_eq!(w(60, 30, 11).problems()[0].field, "evaluation_weighting");
        assert_eq!(
            w(101, 0, -1).problems()[0].field,
            "evaluation_weighting.quality_percent"
        );
    }
}
