//! Procurement initiation documents: raise one from an approved intention, read, list, change a
//! draft, take it through governance (submit, sign-offs, go live, award, cancel), record who was
//! awarded each lot; the sign-off rules each authority keeps and the procurement thresholds the
//! route checks use.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use serde_with::rust::double_option;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::db;
use crate::domain::contracts::bounded_text;
use crate::domain::intentions::{self, IntentionStatus};
use crate::domain::pids::{
    ContractType, LOT_AWARDERS, PidAction, PidStatus, Regime, Route, RouteFacts, SignOffOutcome,
    SignOffRole, SignOffRule, Threshold, WRITERS, Weighting, allowed_actions, check_transition,
    default_rules, lot_award_refusal, lot_index, required_sign_offs, route_problems, rule_problems,
    threshold_in_force, threshold_kind, threshold_problems, transparency_notice_due,
};
use crate::domain::social_value::{PlanningFrame, SocialValuePriorityCode};
use crate::domain::values::{AuthorityCode, Date, FinancialYear, Pence};
use crate::error::{ApiError, FieldError};
use crate::extract::{IdempotencyKey, IfMatch, Json, Query, not_null};
use crate::models::audit::AuditEventRow;
use crate::models::contracts::ContractRow;
use crate::models::intentions::{IntentionRow, StatusChange, next_reference};
use crate::models::pids::{
    self as model, LotAwardChanges, LotAwardRow, LotAwardWithContract, PidChanges, PidFilter,
    PidRow, PidStatusChange, PidWithCodes, SignOffRow,
};
use crate::models::reference::AuthorityRow;
use crate::models::social_value::{CommitmentRow, planning_frame};
use crate::routes::intentions::Intention;
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently, versioned};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(read)
        .service(update)
        .service(submit)
        .service(go_live)
        .service(award)
        .service(cancel)
        .service(list_lots)
        .service(award_lot)
        .service(delete_lot_award)
        .service(sign_off)
        .service(read_rules)
        .service(replace_rules)
        .service(read_thresholds)
        .service(replace_thresholds);
}

const ENTITY: &str = "pid";
const RULES_ENTITY: &str = "sign_off_rules";
const THRESHOLDS_ENTITY: &str = "procurement_thresholds";
const LOT_AWARD_ENTITY: &str = "pid_lot_award";

/// One lot of a procurement.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Lot 1: Heywood, Middleton and Rochdale North", "estimated_value_pence": 2_000_000_000_i64, "sme_vcse": true}))]
pub struct Lot {
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    pub estimated_value_pence: Pence,
    /// Shaped for (or reserved to) small and medium enterprises and VCSE organisations.
    #[serde(default)]
    pub sme_vcse: bool,
}

/// A timetable milestone, planned and (once reached) actual.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Tender notice published", "planned_date": "2027-01-11", "actual_date": null}))]
pub struct Milestone {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub planned_date: Date,
    #[serde(default)]
    pub actual_date: Option<Date>,
}

/// A governance sign-off given on a submission.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignOff {
    pub role: SignOffRole,
    pub outcome: SignOffOutcome,
    /// Why it was returned (always given for a return).
    pub reasons: Option<String>,
    /// Subject of the signatory's token.
    pub signed_by: String,
    pub signed_at: DateTime<Utc>,
}

impl From<&SignOffRow> for SignOff {
    fn from(r: &SignOffRow) -> Self {
        SignOff {
            role: r.role,
            outcome: r.outcome,
            reasons: r.reasons.clone(),
            signed_by: r.signed_by.clone(),
            signed_at: r.signed_at,
        }
    }
}

/// The governance position: which sign-offs are needed, given and still outstanding.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignOffs {
    /// While draft, what the authority's rules would require if it were submitted now; once
    /// submitted, what they required at submission (fixed for that round).
    pub required: Vec<SignOffRole>,
    /// The sign-offs of the current submission.
    pub given: Vec<SignOff>,
    /// Required sign-offs not yet approved (all of them while draft).
    pub outstanding: Vec<SignOffRole>,
    /// The return that sent the PID back to draft, while it is a draft again.
    pub last_return: Option<SignOff>,
}

/// A procurement initiation document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193e000-0000-7000-8000-000000000003",
    "reference": "RCH-PID-2026-0003",
    "authority": "RCH",
    "intention_id": "0193b000-0000-7000-8000-000000000024",
    "intention_reference": "RCH-CI-2026-0003",
    "title": "Home care re-procurement: outcome-based patches",
    "description": "Three patch lots under the light-touch regime, with Trusted Assessor status.",
    "status": "submitted",
    "regime": "light_touch",
    "contract_type": "services",
    "route": "competitive_flexible",
    "direct_award_justification": null,
    "process_started_on": "2026-12-01",
    "transparency_notice_due": false,
    "estimated_value_pence": 6_250_000_000_i64,
    "lots": [{"title": "Lot 1: Heywood, Middleton and Rochdale North", "estimated_value_pence": 2_000_000_000_i64, "sme_vcse": true}],
    "term_months": 60,
    "extension_months": [24, 12],
    "milestones": [{"name": "Tender notice published", "planned_date": "2027-01-11", "actual_date": null}],
    "evaluation_weighting": {"quality_percent": 60, "price_percent": 30, "social_value_percent": 10},
    "social_value_priorities": ["local_employment", "apprenticeships"],
    "social_value_measures": ["DM1", "DM2"],
    "submission": 1,
    "sign_offs": {
        "required": ["commissioning_lead", "procurement_lead", "finance", "legal", "key_decision"],
        "given": [{"role": "commissioning_lead", "outcome": "approved", "reasons": null,
                   "signed_by": "lead@rochdale.gov.uk", "signed_at": "2026-12-01T10:00:00Z"}],
        "outstanding": ["procurement_lead", "finance", "legal", "key_decision"],
        "last_return": null
    },
    "allowed_actions": ["approve", "return", "cancel"],
    "version": 3,
    "created_by": "buyer@rochdale.gov.uk",
    "created_at": "2026-12-01T09:00:00Z",
    "updated_at": "2026-12-01T10:00:00Z"
}))]
pub struct Pid {
    pub id: Uuid,
    /// Human reference, unique within the authority, e.g. `RCH-PID-2026-0003`.
    pub reference: String,
    /// The owning authority.
    pub authority: AuthorityCode,
    /// The commissioning intention the PID was raised from.
    pub intention_id: Uuid,
    pub intention_reference: String,
    pub title: String,
    pub description: String,
    pub status: PidStatus,
    pub regime: Regime,
    pub contract_type: ContractType,
    pub route: Route,
    pub direct_award_justification: Option<String>,
    /// When the procurement process began (decides PCR 2015 against the 2023 Act).
    pub process_started_on: Option<Date>,
    /// A direct award under the Procurement Act 2023: a transparency notice (UK5) must be
    /// published before the contract is entered into.
    pub transparency_notice_due: bool,
    /// Whole-life value including VAT and every extension, as the thresholds are measured.
    pub estimated_value_pence: Option<Pence>,
    pub lots: Vec<Lot>,
    /// The initial term in months.
    pub term_months: Option<i16>,
    /// Optional extension periods in months, in the order they may be taken.
    pub extension_months: Vec<i16>,
    pub milestones: Vec<Milestone>,
    pub evaluation_weighting: Weighting,
    /// Codes of the authority's social value priorities the procurement serves (its priority
    /// records, `GET /v1/social-value/priorities?authority=`).
    #[schema(value_type = Vec<SocialValuePriorityCode>)]
    pub social_value_priorities: Vec<String>,
    /// Codes of the measures of the framework bidders will be asked to commit to, each serving
    /// one of `social_value_priorities`.
    #[schema(example = json!(["DM1", "DM2"]))]
    pub social_value_measures: Vec<String>,
    /// How many times it has been submitted.
    pub submission: i32,
    pub sign_offs: SignOffs,
    /// The lifecycle actions its status allows (the caller's roles decide which they may take).
    pub allowed_actions: Vec<PidAction>,
    /// Moves on by one with every change; the ETag carries it.
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Pid {
    fn audit_json(&self) -> Result<serde_json::Value, ApiError> {
        serde_json::to_value(self).map_err(ApiError::internal)
    }
}

/// The PID as the API shows it, given its sign-offs and the rules its authority uses now.
fn view(
    (row, authority, intention_reference): PidWithCodes,
    sign_offs: &[SignOffRow],
    rules: &[SignOffRule],
) -> Result<Pid, ApiError> {
    let value = row
        .estimated_value_pence
        .unwrap_or(Pence::try_from(0).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?);
    let draft = row.status == PidStatus::Draft;
    let required = if draft {
        required_sign_offs(rules, value, row.route)
    } else {
        row.required_sign_offs.clone()
    };
    let given: Vec<SignOff> = if draft {
        Vec::new()
    } else {
        sign_offs
            .iter()
            .filter(|s| s.pid_id == row.id && s.submission == row.submission)
            .map(SignOff::from)
            .collect()
    };
    let outstanding = match row.status {
        PidStatus::Draft => required.clone(),
        PidStatus::Submitted => required
            .iter()
            .filter(|r| {
                !given
                    .iter()
                    .any(|g| g.role == **r && g.outcome == SignOffOutcome::Approved)
            })
            .copied()
            .collect(),
        _ => Vec::new(),
    };
    let last_return = if draft {
        sign_offs
            .iter()
            .rfind(|s| s.pid_id == row.id && s.outcome == SignOffOutcome::Returned)
            .map(SignOff::from)
    } else {
        None
    };
    Ok(Pid {
        id: row.id,
        reference: row.reference,
        authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
        intention_id: row.intention_id,
        intention_reference,
        title: row.title,
        description: row.description,
        status: row.status,
        regime: row.regime,
        contract_type: row.contract_type,
        route: row.route,
        direct_award_justification: row.direct_award_justification,
        process_started_on: row.process_started_on,
        transparency_notice_due: row.transparency_notice_due,
        estimated_value_pence: row.estimated_value_pence,
        lots: from_json(row.lots)?,
        term_months: row.term_months,
        extension_months: row.extension_months,
        milestones: from_json(row.milestones)?,
        evaluation_weighting: Weighting {
            quality_percent: row.quality_weight,
            price_percent: row.price_weight,
            social_value_percent: row.social_value_weight,
        },
        social_value_priorities: row.social_value_priorities,
        social_value_measures: row.social_value_measures,
        submission: row.submission,
        sign_offs: SignOffs {
            required,
            given,
            outstanding,
            last_return,
        },
        allowed_actions: allowed_actions(row.status),
        version: row.version,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// `codes` with `old` replaced by `new`, in place.
pub(crate) fn renamed(codes: &[String], old: &str, new: &str) -> Vec<String> {
    codes
        .iter()
        .map(|c| if c == old { new.to_string() } else { c.clone() })
        .collect()
}

/// Carry a social value priority's new code into the authority's PIDs that name it, in the
/// caller's transaction: each PID's version moves on, with its own audit event.
pub(crate) fn rename_priority(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    authority_id: Uuid,
    old: &str,
    new: &str,
) -> Result<(), ApiError> {
    for id in PidRow::naming_priority(conn, authority_id, old)? {
        let before = load_view(conn, id)?;
        let changes = PidChanges {
            social_value_priorities: Some(renamed(&before.social_value_priorities, old, new)),
            ..Default::default()
        };
        PidRow::update(conn, id, &changes)?;
        let after = load_view(conn, id)?;
        AuditEventRow::record(
            conn,
            caller,
            "update",
            ENTITY,
            id,
            Some(before.audit_json()?),
            Some(after.audit_json()?),
        )?;
    }
    Ok(())
}

/// The rules an authority uses: its own, or the service's defaults when it has set none.
fn effective_rules(
    conn: &mut diesel::PgConnection,
    authority_id: Uuid,
) -> Result<(Vec<SignOffRule>, RuleSource), ApiError> {
    let own = model::rules_of(conn, authority_id)?;
    Ok(if own.is_empty() {
        (default_rules(), RuleSource::Default)
    } else {
        (own, RuleSource::Configured)
    })
}

/// The views of `rows`, loading their sign-offs and their authorities' rules.
fn views(conn: &mut diesel::PgConnection, rows: Vec<PidWithCodes>) -> Result<Vec<Pid>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|(r, _, _)| r.id).collect();
    let sign_offs = SignOffRow::of_pids(conn, &ids)?;
    let mut rules: HashMap<Uuid, Vec<SignOffRule>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let authority_id = row.0.authority_id;
        if let std::collections::hash_map::Entry::Vacant(e) = rules.entry(authority_id) {
            e.insert(effective_rules(conn, authority_id)?.0);
        }
        out.push(view(row, &sign_offs, &rules[&authority_id])?);
    }
    Ok(out)
}

fn load_view(conn: &mut diesel::PgConnection, id: Uuid) -> Result<Pid, ApiError> {
    let row = PidRow::find(conn, id)?;
    Ok(views(conn, vec![row])?.remove(0))
}

/// Every field of a PID whose rules the service checks, as it will stand after the write.
struct Draft {
    title: String,
    estimated_value_pence: Option<Pence>,
    regime: Regime,
    contract_type: ContractType,
    route: Route,
    direct_award_justification: Option<String>,
    process_started_on: Option<Date>,
    lots: Vec<Lot>,
    term_months: Option<i16>,
    extension_months: Vec<i16>,
    milestones: Vec<Milestone>,
    weighting: Weighting,
    social_value_priorities: Vec<String>,
    social_value_measures: Vec<String>,
}

/// Every rule the draft breaks, each naming its field (route rules name themselves too). The
/// planned social value is checked against `frame` (the authority's priorities and the edition in
/// force) when one is given: while the PID is a draft, and when it is submitted.
fn problems(
    conn: &mut diesel::PgConnection,
    d: &Draft,
    frame: Option<&PlanningFrame>,
) -> Result<Vec<FieldError>, ApiError> {
    let mut problems = Vec::new();
    let title = d.title.trim();
    if title.is_empty() || title.chars().count() > 300 {
        problems.push(FieldError::new("title", "must be 1 to 300 characters"));
    }
    problems.extend(d.weighting.problems());
    if let Some(t) = d.term_months
        && !(1..=600).contains(&t)
    {
        problems.push(FieldError::new(
            "term_months",
            format!("must be 1 to 600 months, not {t}"),
        ));
    }
    if d.extension_months.len() > 10 {
        problems.push(FieldError::new("extension_months", "at most 10 extensions"));
    }
    for (i, e) in d.extension_months.iter().enumerate() {
        if !(1..=120).contains(e) {
            problems.push(FieldError::new(
                format!("extension_months[{i}]"),
                format!("an extension is 1 to 120 months, not {e}"),
            ));
        }
    }
    if d.lots.len() > 50 {
        problems.push(FieldError::new("lots", "at most 50 lots"));
    }
    for (i, lot) in d.lots.iter().enumerate() {
        let t = lot.title.trim();
        if t.is_empty() || t.chars().count() > 300 {
            problems.push(FieldError::new(
                format!("lots[{i}].title"),
                "must be 1 to 300 characters",
            ));
        }
    }
    let lots_total: i64 = d.lots.iter().map(|l| l.estimated_value_pence.value()).sum();
    if let Some(value) = d.estimated_value_pence
        && lots_total > value.value()
    {
        problems.push(FieldError::new(
            "lots",
            format!(
                "the lots add up to {lots_total} pence, more than the estimated value of {} pence",
                value.value()
            ),
        ));
    }
    if d.milestones.len() > 50 {
        problems.push(FieldError::new("milestones", "at most 50 milestones"));
    }
    for (i, m) in d.milestones.iter().enumerate() {
        let n = m.name.trim();
        if n.is_empty() || n.chars().count() > 200 {
            problems.push(FieldError::new(
                format!("milestones[{i}].name"),
                "must be 1 to 200 characters",
            ));
        }
    }
    if let Some(frame) = frame {
        problems
            .extend(frame.priority_problems("social_value_priorities", &d.social_value_priorities));
        problems.extend(frame.measure_problems(
            "social_value_measures",
            &d.social_value_priorities,
            &d.social_value_measures,
        ));
    }
    if let Some(j) = &d.direct_award_justification
        && j.chars().count() > 4000
    {
        problems.push(FieldError::new(
            "direct_award_justification",
            "at most 4000 characters",
        ));
    }
    match d.estimated_value_pence {
        None => problems.push(FieldError::new(
            "estimated_value_pence",
            "a PID needs an estimated value: the route checks and sign-off rules go by it",
        )),
        Some(value) => {
            let thresholds = model::thresholds(conn)?;
            let on = d
                .process_started_on
                .map_or_else(|| Utc::now().date_naive(), |d| d.get());
            let kind = threshold_kind(d.regime, d.contract_type);
            problems.extend(route_problems(&RouteFacts {
                regime: d.regime,
                contract_type: d.contract_type,
                route: d.route,
                value,
                process_started_on: d.process_started_on.map(|d| d.get()),
                direct_award_justification: d.direct_award_justification.as_deref(),
                threshold: threshold_in_force(&thresholds, kind, on),
            }));
        }
    }
    Ok(problems)
}

fn from_json<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(ApiError::internal)
}

fn json_of<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// A new PID, raised from an approved commissioning intention of the caller's authority.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "intention_id": "0193b000-0000-7000-8000-000000000024",
    "title": "Home care re-procurement: outcome-based patches",
    "description": "Three patch lots under the light-touch regime, with Trusted Assessor status.",
    "estimated_value_pence": 6_250_000_000_i64,
    "regime": "light_touch",
    "contract_type": "services",
    "route": "competitive_flexible",
    "process_started_on": "2026-12-01",
    "lots": [{"title": "Lot 1: Heywood, Middleton and Rochdale North", "estimated_value_pence": 2_000_000_000_i64, "sme_vcse": true}],
    "term_months": 60,
    "extension_months": [24, 12],
    "milestones": [{"name": "Tender notice published", "planned_date": "2027-01-11"}],
    "evaluation_weighting": {"quality_percent": 60, "price_percent": 30, "social_value_percent": 10},
    "social_value_priorities": ["local_employment", "apprenticeships"],
    "social_value_measures": ["DM1", "DM2"]
}))]
pub struct NewPid {
    /// An `approved` intention of the caller's authority; it moves to `in_procurement`.
    pub intention_id: Uuid,
    /// The intention's title when left out.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: String,
    /// Whole-life value including VAT and every extension.
    pub estimated_value_pence: Pence,
    pub regime: Regime,
    /// `services` when not given.
    #[serde(default = "services")]
    pub contract_type: ContractType,
    pub route: Route,
    /// Required for a `direct_award`.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub direct_award_justification: Option<String>,
    /// Required for `pcr_2015` (before 2025-02-24); a 2023 Act process cannot begin before then.
    #[serde(default)]
    pub process_started_on: Option<Date>,
    #[serde(default)]
    pub lots: Vec<Lot>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 600)]
    pub term_months: Option<i16>,
    #[serde(default)]
    pub extension_months: Vec<i16>,
    #[serde(default)]
    pub milestones: Vec<Milestone>,
    pub evaluation_weighting: Weighting,
    /// Codes of the authority's social value priorities the procurement serves, each once.
    #[serde(default)]
    #[schema(value_type = Vec<SocialValuePriorityCode>, max_items = 50)]
    pub social_value_priorities: Vec<String>,
    /// Codes of the measures bidders will be asked about: measures of the edition of the
    /// framework in force, each serving one of `social_value_priorities`, each once.
    #[serde(default)]
    #[schema(max_items = 200, example = json!(["DM1", "DM2"]))]
    pub social_value_measures: Vec<String>,
}

fn services() -> ContractType {
    ContractType::Services
}

/// A partial update (JSON merge patch) of a draft: fields left out stay as they are; `null`
/// clears an optional field. Once approved (and while live) only `milestones` may change, to
/// record actual dates.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"route": "direct_award", "direct_award_justification": "Extreme urgency: provider failure (Schedule 5, para 13)",
    "evaluation_weighting": {"quality_percent": 70, "price_percent": 20, "social_value_percent": 10}}))]
pub struct PidPatch {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, min_length = 1, max_length = 300)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub estimated_value_pence: Option<Pence>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub regime: Option<Regime>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub contract_type: Option<ContractType>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub route: Option<Route>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 4000)]
    pub direct_award_justification: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<Date>)]
    pub process_started_on: Option<Option<Date>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub lots: Option<Vec<Lot>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<i16>, minimum = 1, maximum = 600)]
    pub term_months: Option<Option<i16>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub extension_months: Option<Vec<i16>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub milestones: Option<Vec<Milestone>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    pub evaluation_weighting: Option<Weighting>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, value_type = Option<Vec<SocialValuePriorityCode>>, max_items = 50)]
    pub social_value_priorities: Option<Vec<String>>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false, max_items = 200)]
    pub social_value_measures: Option<Vec<String>>,
}

impl PidPatch {
    /// The fields set other than `milestones`.
    fn fields_besides_milestones(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        let mut note = |present: bool, name| {
            if present {
                set.push(name)
            }
        };
        note(self.title.is_some(), "title");
        note(self.description.is_some(), "description");
        note(
            self.estimated_value_pence.is_some(),
            "estimated_value_pence",
        );
        note(self.regime.is_some(), "regime");
        note(self.contract_type.is_some(), "contract_type");
        note(self.route.is_some(), "route");
        note(
            self.direct_award_justification.is_some(),
            "direct_award_justification",
        );
        note(self.process_started_on.is_some(), "process_started_on");
        note(self.lots.is_some(), "lots");
        note(self.term_months.is_some(), "term_months");
        note(self.extension_months.is_some(), "extension_months");
        note(self.evaluation_weighting.is_some(), "evaluation_weighting");
        note(
            self.social_value_priorities.is_some(),
            "social_value_priorities",
        );
        note(
            self.social_value_measures.is_some(),
            "social_value_measures",
        );
        set
    }
}

/// Filters and paging for the PID list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only this authority's PIDs.
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    pub status: Option<PidStatus>,
    /// Only PIDs raised from this intention.
    pub intention_id: Option<Uuid>,
    /// Only PIDs whose intention starts in this financial year.
    #[param(value_type = Option<FinancialYear>)]
    pub financial_year: Option<FinancialYear>,
    pub route: Option<Route>,
    /// Page size, 1 to 500 (default 50).
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// Move the PID's intention on by `action` (start procurement, award), with its own audit event.
fn move_intention(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    intention_id: Uuid,
    action: intentions::Action,
) -> Result<(), ApiError> {
    let (row, authority, category) = IntentionRow::find_for_update(conn, intention_id)?;
    let status = intentions::check_transition(action, row.status, &caller.roles, None)?;
    let before = Intention::from((row, authority.clone(), category.clone()));
    let updated = IntentionRow::change_status(
        conn,
        intention_id,
        &StatusChange {
            status,
            decision: None,
            decision_date: None,
            minute_reference: None,
            decision_note: None,
            decided_by: None,
        },
    )?;
    let after = Intention::from((updated, authority, category));
    AuditEventRow::record(
        conn,
        caller,
        action.into(),
        "commissioning_intention",
        intention_id,
        Some(json_of(&before)?),
        Some(json_of(&after)?),
    )?;
    Ok(())
}

/// Raise a PID from an `approved` intention of the caller's authority (`commissioner`,
/// `procurement` or `admin`). In the same transaction the intention moves to `in_procurement`
/// (its own audit event, action `start_procurement`). An intention in any other status is 409
/// naming it. The route is checked against the value, regime and thresholds in force (422 naming
/// the rule: `route_not_in_regime`, `below_threshold_quote_limit`, `direct_award_justification`,
/// `pcr_2015_before_commencement`, `act_after_commencement`); the weighting must sum to 100 (422
/// on `evaluation_weighting`); lots may not add up to more than the estimated value. Planned social
/// value is linked to the council's priorities: `social_value_priorities` must be priorities of
/// the authority, and `social_value_measures` measures of the edition of the framework in force,
/// each serving one of the priorities chosen (422 naming the entry, e.g.
/// `social_value_measures[1]`).
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])), request_body = NewPid,
    responses((status = 201, description = "Raised as a draft", body = Pid,
        headers(("Location" = String, description = "URL of the new PID"), ("ETag" = String, description = "The record's version"))),
        (status = 409, description = "The intention is not approved", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "a PID is raised from an approved intention; RCH-CI-2026-0003 is draft"})),
        (status = 422, description = "A field or route-to-market rule is broken; `errors` names each", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "route: rule below_threshold_quote_limit: an estimated value of 30000000 pence is at or above the goods_services threshold of 21490400 pence (in force from 2024-01-01); choose a route for above-threshold contracts",
                "errors": [{"field": "route", "message": "rule below_threshold_quote_limit: an estimated value of 30000000 pence is at or above the goods_services threshold of 21490400 pence (in force from 2024-01-01); choose a route for above-threshold contracts"}]}))))]
#[post("/pids")]
async fn create(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: Json<NewPid>,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let Json {
        value: new,
        fingerprint,
    } = body;
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/pids",
        fingerprint,
        move |conn, caller| {
            let owner =
                AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
                    ApiError::Forbidden(format!(
                        "the token's authority {} is not registered here",
                        caller.authority
                    ))
                })?;
            if IntentionRow::owner(conn, new.intention_id)?.is_none() {
                return Err(ApiError::invalid(
                    "intention_id",
                    format!("no commissioning intention has id {}", new.intention_id),
                ));
            }
            let (intention, intention_authority, _) =
                IntentionRow::find_for_update(conn, new.intention_id)?;
            caller.require_authority(&intention_authority)?;
            if intention.status != IntentionStatus::Approved {
                return Err(ApiError::Conflict(format!(
                    "a PID is raised from an approved intention; {} is {}",
                    intention.reference,
                    <&str>::from(intention.status)
                )));
            }
            let draft = Draft {
                title: new.title.clone().unwrap_or_else(|| intention.title.clone()),
                estimated_value_pence: Some(new.estimated_value_pence),
                regime: new.regime,
                contract_type: new.contract_type,
                route: new.route,
                direct_award_justification: new.direct_award_justification,
                process_started_on: new.process_started_on,
                lots: new.lots,
                term_months: new.term_months,
                extension_months: new.extension_months,
                milestones: new.milestones,
                weighting: new.evaluation_weighting,
                social_value_priorities: new.social_value_priorities,
                social_value_measures: new.social_value_measures,
            };
            let frame = planning_frame(conn, owner.id, &owner.code, Utc::now().date_naive())?;
            let found = problems(conn, &draft, Some(&frame))?;
            if !found.is_empty() {
                return Err(ApiError::invalid_fields(found));
            }
            let now = Utc::now();
            let reference = next_reference(conn, owner.id, &owner.code, "PID", now.year())?;
            let row = PidRow::insert(
                conn,
                &PidRow {
                    id: Uuid::now_v7(),
                    authority_id: owner.id,
                    reference,
                    intention_id: intention.id,
                    title: draft.title.trim().to_string(),
                    status: PidStatus::Draft,
                    estimated_value_pence: draft.estimated_value_pence,
                    version: 1,
                    created_by: caller.subject.clone(),
                    created_at: now,
                    updated_at: now,
                    description: new.description,
                    regime: draft.regime,
                    contract_type: draft.contract_type,
                    route: draft.route,
                    direct_award_justification: draft.direct_award_justification,
                    process_started_on: draft.process_started_on,
                    transparency_notice_due: transparency_notice_due(draft.regime, draft.route),
                    lots: json_of(&draft.lots)?,
                    term_months: draft.term_months,
                    extension_months: draft.extension_months,
                    milestones: json_of(&draft.milestones)?,
                    quality_weight: draft.weighting.quality_percent,
                    price_weight: draft.weighting.price_percent,
                    social_value_weight: draft.weighting.social_value_percent,
                    social_value_priorities: draft.social_value_priorities,
                    social_value_measures: draft.social_value_measures,
                    submission: 0,
                    required_sign_offs: Vec::new(),
                },
            )?;
            move_intention(
                conn,
                caller,
                intention.id,
                intentions::Action::StartProcurement,
            )?;
            let view = load_view(conn, row.id)?;
            AuditEventRow::record(
                conn,
                caller,
                "create",
                ENTITY,
                view.id,
                None,
                Some(view.audit_json()?),
            )?;
            Created::new(&view, format!("/v1/pids/{}", view.id), view.version)
        },
    )
    .await
}

/// List PIDs across all authorities, filtered, in a stable order (oldest first).
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])), params(ListParams),
    responses((status = 200, description = "A page of PIDs", body = Page<Pid>)))]
#[get("/pids")]
async fn list(
    pool: Db,
    _caller: Caller,
    params: Query<ListParams>,
) -> Result<web::Json<Page<Pid>>, ApiError> {
    let Query(p) = params;
    let filter = PidFilter {
        authority: p.authority.map(String::from),
        status: p.status,
        intention_id: p.intention_id,
        financial_year: p.financial_year,
        route: p.route,
    };
    let limit = p.limit;
    let items = db::run(&pool, move |conn| {
        let rows = PidRow::page(conn, &filter, p.cursor.map(|c| c.0), limit.fetch())?;
        views(conn, rows)
    })
    .await?;
    Ok(web::Json(Page::from_rows(items, limit, |v| v.id, |v| v)))
}

/// One PID, with its sign-offs required, given and outstanding. Any authenticated caller may read it.
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "PID id")),
    responses((status = 200, description = "The PID", body = Pid,
        headers(("ETag" = String, description = "The record's version; send it as If-Match to update")))))]
#[get("/pids/{id}")]
async fn read(pool: Db, _caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let view = db::run(&pool, move |conn| load_view(conn, id)).await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Change some fields of a draft PID (the owning authority's `commissioner`, `procurement` or
/// `admin`). The whole PID is checked again as it would stand (422 naming the field or rule).
/// Once `approved` or `live` only `milestones` may change (to record actual dates); any other
/// field, or any change in another status, is 409. Send the ETag as `If-Match` (412 if stale).
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "PID id")),
    request_body(content = PidPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "The updated PID", body = Pid,
        headers(("ETag" = String, description = "The record's new version")))))]
#[patch("/pids/{id}")]
async fn update(
    pool: Db,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    body: Json<PidPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let patch = body.value;
    let view = db::transaction(&pool, move |conn| {
        let found = PidRow::find_for_update(conn, id)?;
        let (row, authority, _) = &found;
        caller.require_to_change(WRITERS, authority)?;
        if_match.check(row.version)?;
        match row.status {
            PidStatus::Draft => {}
            PidStatus::Approved | PidStatus::Live => {
                let others = patch.fields_besides_milestones();
                if !others.is_empty() {
                    return Err(ApiError::Conflict(format!(
                        "the PID is {}: only milestones may change now, not {}",
                        row.status,
                        others.join(", ")
                    )));
                }
            }
            status => {
                return Err(ApiError::Conflict(format!(
                    "the PID is {status}: it can be changed only while draft (milestones also while approved or live)"
                )));
            }
        }
        let draft = Draft {
            title: patch.title.clone().unwrap_or_else(|| row.title.clone()),
            estimated_value_pence: patch.estimated_value_pence.or(row.estimated_value_pence),
            regime: patch.regime.unwrap_or(row.regime),
            contract_type: patch.contract_type.unwrap_or(row.contract_type),
            route: patch.route.unwrap_or(row.route),
            direct_award_justification: patch
                .direct_award_justification
                .clone()
                .unwrap_or_else(|| row.direct_award_justification.clone()),
            process_started_on: patch.process_started_on.unwrap_or(row.process_started_on),
            lots: match &patch.lots {
                Some(l) => l.clone(),
                None => from_json(row.lots.clone())?,
            },
            term_months: patch.term_months.unwrap_or(row.term_months),
            extension_months: patch
                .extension_months
                .clone()
                .unwrap_or_else(|| row.extension_months.clone()),
            milestones: match &patch.milestones {
                Some(m) => m.clone(),
                None => from_json(row.milestones.clone())?,
            },
            weighting: patch.evaluation_weighting.unwrap_or(Weighting {
                quality_percent: row.quality_weight,
                price_percent: row.price_weight,
                social_value_percent: row.social_value_weight,
            }),
            social_value_priorities: patch
                .social_value_priorities
                .clone()
                .unwrap_or_else(|| row.social_value_priorities.clone()),
            social_value_measures: patch
                .social_value_measures
                .clone()
                .unwrap_or_else(|| row.social_value_measures.clone()),
        };
        // Once approved the plan is settled: a later edition of the framework does not stop
        // milestones being recorded.
        let frame = match row.status {
            PidStatus::Draft => Some(planning_frame(conn, row.authority_id, authority, Utc::now().date_naive())?),
            _ => None,
        };
        let found_problems = problems(conn, &draft, frame.as_ref())?;
        if !found_problems.is_empty() {
            return Err(ApiError::invalid_fields(found_problems));
        }
        let changes = PidChanges {
            title: patch.title.as_ref().map(|t| t.trim().to_string()),
            description: patch.description,
            estimated_value_pence: patch.estimated_value_pence.map(Some),
            regime: patch.regime,
            contract_type: patch.contract_type,
            route: patch.route,
            direct_award_justification: patch.direct_award_justification,
            process_started_on: patch.process_started_on,
            transparency_notice_due: Some(transparency_notice_due(draft.regime, draft.route)),
            lots: patch.lots.as_ref().map(json_of).transpose()?,
            term_months: patch.term_months,
            extension_months: patch.extension_months,
            milestones: patch.milestones.as_ref().map(json_of).transpose()?,
            quality_weight: patch.evaluation_weighting.map(|w| w.quality_percent),
            price_weight: patch.evaluation_weighting.map(|w| w.price_percent),
            social_value_weight: patch.evaluation_weighting.map(|w| w.social_value_percent),
            social_value_priorities: patch.social_value_priorities,
            social_value_measures: patch.social_value_measures,
        };
        let before = views(conn, vec![found.clone()])?.remove(0);
        PidRow::update(conn, id, &changes)?;
        let after = load_view(conn, id)?;
        AuditEventRow::record(
            conn,
            &caller,
            "update",
            ENTITY,
            id,
            Some(before.audit_json()?),
            Some(after.audit_json()?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Record a status change on a locked PID with its audit event; the view after it.
fn transition(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    found: PidWithCodes,
    action: PidAction,
    change: PidStatusChange,
) -> Result<Pid, ApiError> {
    let id = found.0.id;
    let before = views(conn, vec![found])?.remove(0);
    PidRow::change_status(conn, id, &change)?;
    let after = load_view(conn, id)?;
    AuditEventRow::record(
        conn,
        caller,
        action.into(),
        ENTITY,
        id,
        Some(before.audit_json()?),
        Some(after.audit_json()?),
    )?;
    Ok(after)
}

/// Take a body-less lifecycle action on a PID, in one transaction with its audit event.
async fn take(
    pool: Db,
    caller: Caller,
    id: Uuid,
    if_match: IfMatch,
    action: PidAction,
) -> Result<HttpResponse, ApiError> {
    let view = db::transaction(&pool, move |conn| {
        let found = PidRow::find_for_update(conn, id)?;
        let row = &found.0;
        caller.require_authority(&found.1)?;
        let status = check_transition(action, row.status, &caller.roles)?;
        if_match.check(row.version)?;
        let mut change = PidStatusChange {
            status,
            submission: None,
            required_sign_offs: None,
        };
        if action == PidAction::Submit {
            // Thresholds or the PID's facts may have moved since it was written: check again.
            let draft = Draft {
                title: row.title.clone(),
                estimated_value_pence: row.estimated_value_pence,
                regime: row.regime,
                contract_type: row.contract_type,
                route: row.route,
                direct_award_justification: row.direct_award_justification.clone(),
                process_started_on: row.process_started_on,
                lots: from_json(row.lots.clone())?,
                term_months: row.term_months,
                extension_months: row.extension_months.clone(),
                milestones: from_json(row.milestones.clone())?,
                weighting: Weighting {
                    quality_percent: row.quality_weight,
                    price_percent: row.price_weight,
                    social_value_percent: row.social_value_weight,
                },
                social_value_priorities: row.social_value_priorities.clone(),
                social_value_measures: row.social_value_measures.clone(),
            };
            let frame = planning_frame(conn, row.authority_id, &found.1, Utc::now().date_naive())?;
            let found_problems = problems(conn, &draft, Some(&frame))?;
            if !found_problems.is_empty() {
                return Err(ApiError::invalid_fields(found_problems));
            }
            let (rules, _) = effective_rules(conn, row.authority_id)?;
            let value = row
                .estimated_value_pence
                .expect("checked: a PID to submit has a value");
            change.submission = Some(row.submission + 1);
            change.required_sign_offs = Some(required_sign_offs(&rules, value, row.route));
        }
        let intention_id = row.intention_id;
        let after = transition(conn, &caller, found, action, change)?;
        if action == PidAction::Award {
            let (intention, _, _) = IntentionRow::find(conn, intention_id)?;
            if intention.status == IntentionStatus::InProcurement {
                move_intention(conn, &caller, intention_id, intentions::Action::Award)?;
            }
        }
        Ok(after)
    })
    .await?;
    Ok(versioned(StatusCode::OK, view.version, &view))
}

/// Declares a body-less lifecycle action endpoint.
macro_rules! action_endpoint {
    ($name:ident, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[doc = ""]
        #[doc = "409 when the PID's status does not allow it (the problem names the status and the actions allowed now); 403 without the role or for another authority's PID."]
        #[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
            params(("id" = Uuid, Path, description = "PID id"), ("If-Match" = Option<String>, Header)),
            responses((status = 200, description = "The PID in its new status", body = Pid,
                headers(("ETag" = String, description = "The record's new version"))),
                (status = 409, description = "The PID's status does not allow this action", body = crate::error::Problem,
                    content_type = "application/problem+json",
                    example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                        "detail": "cannot submit a PID that is approved; actions allowed now: go_live, cancel"}))))]
        #[post($path)]
        async fn $name(pool: Db, caller: Caller, id: web::Path<Uuid>, if_match: IfMatch) -> Result<HttpResponse, ApiError> {
            take(pool, caller, id.into_inner(), if_match, $action).await
        }
    };
}

action_endpoint!(
    submit,
    "/pids/{id}/submit",
    PidAction::Submit,
    "Submit a draft PID for governance sign-off (`commissioner`, `procurement` or `admin`). The PID is checked again (422 naming the field or rule); the sign-offs the authority's rules require for its value and route are fixed for this submission, and sign-offs of earlier submissions no longer count."
);
action_endpoint!(
    go_live,
    "/pids/{id}/go-live",
    PidAction::GoLive,
    "Record that an approved procurement is under way: the tender or call-off is out (`procurement` or `admin`)."
);
action_endpoint!(
    award,
    "/pids/{id}/award",
    PidAction::Award,
    "Record that the contract is awarded (`procurement` or `admin`); an `in_procurement` intention is awarded with it (its own audit event)."
);
action_endpoint!(
    cancel,
    "/pids/{id}/cancel",
    PidAction::Cancel,
    "Cancel a PID that is draft, submitted, approved or live (`commissioner`, `procurement` or `admin`). The intention stays `in_procurement`: withdraw it, or raise a new PID, as the case needs."
);

/// Who was awarded one lot of a PID.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193e700-0000-7000-8000-000000000001",
    "pid_id": "0193e500-0000-7000-8000-000000000001",
    "pid_reference": "RCH-PID-2026-0001",
    "lot": 1,
    "lot_title": "Lot 1: Heywood and Middleton",
    "supplier_name": "Heywood Homecare Partnership CIC (illustrative)",
    "awarded_on": "2026-02-23",
    "awarded_value_pence": 2_940_000_000_i64,
    "contract_id": null,
    "contract_reference": null,
    "version": 1,
    "created_by": "buyer@rochdale.gov.uk",
    "created_at": "2026-02-23T10:00:00Z",
    "updated_at": "2026-02-23T10:00:00Z"
}))]
pub struct LotAward {
    /// The award's own id: its audit events and change-feed entries (`pid_lot_award`) name it.
    pub id: Uuid,
    pub pid_id: Uuid,
    pub pid_reference: String,
    /// The lot's number: its 1-based position in the PID's `lots`.
    #[schema(minimum = 1, maximum = 50)]
    pub lot: i16,
    pub lot_title: String,
    /// The supplier who won the lot.
    pub supplier_name: String,
    pub awarded_on: Date,
    /// The value awarded (it may exceed the lot's estimate); `null` when not recorded.
    pub awarded_value_pence: Option<Pence>,
    /// The lot's contract in the register, once it is there (one of the PID's authority's).
    pub contract_id: Option<Uuid>,
    pub contract_reference: Option<String>,
    /// Moves on by one with every correction; the ETag carries it.
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn lot_award_view(
    pid: &PidRow,
    lots: &[Lot],
    (row, contract_reference): LotAwardWithContract,
) -> LotAward {
    let lot_title = lot_index(row.lot, lots.len())
        .map(|i| lots[i].title.clone())
        .unwrap_or_default();
    LotAward {
        id: row.id,
        pid_id: row.pid_id,
        pid_reference: pid.reference.clone(),
        lot: row.lot,
        lot_title,
        supplier_name: row.supplier_name,
        awarded_on: row.awarded_on,
        awarded_value_pence: row.awarded_value_pence,
        contract_id: row.contract_id,
        contract_reference,
        version: row.version,
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// One lot of a PID with its award, if recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct PidLot {
    /// The lot's number: its 1-based position in the PID's `lots`.
    #[schema(minimum = 1, maximum = 50)]
    pub lot: i16,
    pub title: String,
    pub estimated_value_pence: Pence,
    pub sme_vcse: bool,
    /// Who won it; `null` until the award is recorded.
    pub award: Option<LotAward>,
}

/// A PID's lots, each with its award.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "pid_id": "0193e500-0000-7000-8000-000000000006",
    "pid_reference": "TAM-PID-2026-0001",
    "authority": "TAM",
    "status": "awarded",
    "lots": [
        {"lot": 1, "title": "Lot 1: supported living", "estimated_value_pence": 4_000_000_000_i64, "sme_vcse": true,
         "award": {"pid_id": "0193e500-0000-7000-8000-000000000006", "pid_reference": "TAM-PID-2026-0001", "lot": 1,
                   "lot_title": "Lot 1: supported living", "supplier_name": "Tame Valley Supported Living Ltd (illustrative)",
                   "awarded_on": "2026-02-16", "awarded_value_pence": 3_910_000_000_i64, "contract_id": null,
                   "contract_reference": null, "version": 1, "created_by": "demo-seed",
                   "created_at": "2026-02-16T10:00:00Z", "updated_at": "2026-02-16T10:00:00Z"}},
        {"lot": 2, "title": "Lot 2: outreach", "estimated_value_pence": 1_680_000_000_i64, "sme_vcse": true, "award": null}
    ]
}))]
pub struct PidLots {
    pub pid_id: Uuid,
    pub pid_reference: String,
    /// The owning authority.
    pub authority: AuthorityCode,
    pub status: PidStatus,
    pub lots: Vec<PidLot>,
}

/// Who won a lot. A PUT replaces the award whole: an optional field left out is cleared.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "supplier_name": "Heywood Homecare Partnership CIC (illustrative)",
    "awarded_on": "2026-02-23",
    "awarded_value_pence": 2_940_000_000_i64,
    "contract_id": null
}))]
pub struct LotAwardRequest {
    #[schema(min_length = 1, max_length = 300)]
    pub supplier_name: String,
    pub awarded_on: Date,
    /// The value awarded, which may exceed the lot's estimate; not negative.
    #[serde(default)]
    pub awarded_value_pence: Option<Pence>,
    /// The lot's contract once it is in the register: a contract of the PID's authority.
    #[serde(default)]
    pub contract_id: Option<Uuid>,
}

/// A PID's lots (numbered from 1 in the order of its `lots`), each with who was awarded it
/// (`award` is `null` until recorded). Any authenticated caller may read them.
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "PID id")),
    responses((status = 200, description = "The lots and their awards", body = PidLots),
        (status = 404, description = "No such PID", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/not-found", "title": "Not Found", "status": 404,
                "detail": "the record was not found"}))))]
#[get("/pids/{id}/lots")]
async fn list_lots(
    pool: Db,
    _caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<PidLots>, ApiError> {
    let id = id.into_inner();
    let view = db::run(&pool, move |conn| {
        let (pid, authority, _) = PidRow::find(conn, id)?;
        let lots: Vec<Lot> = from_json(pid.lots.clone())?;
        let mut awards: HashMap<i16, LotAwardWithContract> = LotAwardRow::of_pid(conn, id)?
            .into_iter()
            .map(|a| (a.0.lot, a))
            .collect();
        let items = lots
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let lot = i16::try_from(i + 1).expect("at most 50 lots");
                PidLot {
                    lot,
                    title: l.title.clone(),
                    estimated_value_pence: l.estimated_value_pence,
                    sme_vcse: l.sme_vcse,
                    award: awards.remove(&lot).map(|a| lot_award_view(&pid, &lots, a)),
                }
            })
            .collect();
        Ok(PidLots {
            pid_id: pid.id,
            pid_reference: pid.reference.clone(),
            authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
            status: pid.status,
            lots: items,
        })
    })
    .await?;
    Ok(web::Json(view))
}

/// Record who was awarded lot `lot` of a PID, or correct it (the PID's authority's `procurement`
/// or `admin`; 403 otherwise, and for another authority's PID). Allowed while the PID is `live`
/// or `awarded` (409 naming its status otherwise); 404 for a lot number the PID does not have.
/// 201 when first recorded, 200 on a correction, which replaces every field. `If-Match` is
/// honoured: the award's ETag on a correction (412 when stale; any `If-Match` is stale before the
/// first record). `contract_id` must name a contract of the PID's authority (422 otherwise).
/// Audited as entity `pid_lot_award` with the award's own `id`, so the change feed and webhooks
/// carry it. Social value commitments can then be made on the lot once the PID
/// is awarded.
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "PID id"),
        ("lot" = i16, Path, description = "The lot's number: its 1-based position in the PID's `lots`", minimum = 1, maximum = 50),
        ("If-Match" = Option<String>, Header, description = "The award's ETag, to correct it only if unchanged")),
    request_body = LotAwardRequest,
    responses(
        (status = 200, description = "Corrected", body = LotAward,
            headers(("ETag" = String, description = "The award's new version"))),
        (status = 201, description = "Recorded", body = LotAward,
            headers(("ETag" = String, description = "The award's version"))),
        (status = 403, description = "Not the PID's authority's procurement or admin", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/forbidden", "title": "Forbidden", "status": 403,
                "detail": "the record belongs to RCH; the token acts for TAM"})),
        (status = 404, description = "No such PID, or the PID has no lot of that number", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/not-found", "title": "Not Found", "status": 404,
                "detail": "lot 9 was not found: RCH-PID-2026-0004 has 2 lot(s)"})),
        (status = 409, description = "The PID is not live or awarded", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "a lot's award is recorded while the PID is live or awarded; this PID is approved"})),
        (status = 412, description = "The award changed since it was read (or is not recorded yet)", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/stale-version", "title": "Precondition Failed", "status": 412,
                "detail": "the record is at version \"2\", not \"1\"; fetch it again and reapply the change"})),
        (status = 422, description = "A field is invalid; `errors` names each", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "contract_id: contract 0193c000-0000-7000-8000-000000000003 belongs to SKP; a lot of RCH's PID is let as a contract of RCH",
                "errors": [{"field": "contract_id", "message": "contract 0193c000-0000-7000-8000-000000000003 belongs to SKP; a lot of RCH's PID is let as a contract of RCH"}]}))))]
#[put("/pids/{id}/lots/{lot}/award")]
async fn award_lot(
    pool: Db,
    caller: Caller,
    path: web::Path<(Uuid, i16)>,
    if_match: IfMatch,
    body: Json<LotAwardRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, lot) = path.into_inner();
    let request = body.value;
    let (created, view) = db::transaction(&pool, move |conn| {
        let (pid, authority, _) = PidRow::find_for_update(conn, id)?;
        caller.require_to_change(LOT_AWARDERS, &authority)?;
        if let Some(why) = lot_award_refusal(pid.status) {
            return Err(ApiError::Conflict(why));
        }
        let lots: Vec<Lot> = from_json(pid.lots.clone())?;
        if lot_index(lot, lots.len()).is_none() {
            return Err(ApiError::NotFound(format!(
                "lot {lot} was not found: {} has {} lot(s)",
                pid.reference,
                lots.len()
            )));
        }
        // The PID's row lock keeps concurrent writes to its awards in line.
        let existing = LotAwardRow::find(conn, id, lot)?;
        match &existing {
            Some((row, _)) => if_match.check(row.version)?,
            None => if_match.check_absent()?,
        }
        let mut problems = Vec::new();
        let supplier_name = bounded_text("supplier_name", &request.supplier_name, 300)
            .map_err(|e| problems.push(e))
            .unwrap_or_default();
        if let Some(contract_id) = request.contract_id {
            match ContractRow::owner(conn, contract_id)? {
                None => problems.push(FieldError::new(
                    "contract_id",
                    format!("no contract has id {contract_id}"),
                )),
                Some(owner) if owner != authority => problems.push(FieldError::new(
                    "contract_id",
                    format!(
                        "contract {contract_id} belongs to {owner}; a lot of {authority}'s PID is let as a contract of {authority}"
                    ),
                )),
                Some(_) => {}
            }
        }
        if !problems.is_empty() {
            return Err(ApiError::invalid_fields(problems));
        }
        let before = existing.map(|a| lot_award_view(&pid, &lots, a));
        match &before {
            None => {
                let now = Utc::now();
                LotAwardRow::insert(
                    conn,
                    &LotAwardRow {
                        id: Uuid::now_v7(),
                        pid_id: id,
                        lot,
                        supplier_name,
                        awarded_on: request.awarded_on,
                        awarded_value_pence: request.awarded_value_pence,
                        contract_id: request.contract_id,
                        version: 1,
                        created_by: caller.subject.clone(),
                        created_at: now,
                        updated_at: now,
                    },
                )?;
            }
            Some(_) => {
                LotAwardRow::update(
                    conn,
                    id,
                    lot,
                    &LotAwardChanges {
                        supplier_name,
                        awarded_on: request.awarded_on,
                        awarded_value_pence: request.awarded_value_pence,
                        contract_id: request.contract_id,
                    },
                )?;
            }
        }
        let after = LotAwardRow::find(conn, id, lot)?
            .map(|a| lot_award_view(&pid, &lots, a))
            .ok_or_else(|| ApiError::not_found(format!("the award of lot {lot}")))?;
        AuditEventRow::record(
            conn,
            &caller,
            if before.is_some() { "update" } else { "create" },
            LOT_AWARD_ENTITY,
            after.id,
            before.as_ref().map(json_of).transpose()?,
            Some(json_of(&after)?),
        )?;
        Ok((before.is_none(), after))
    })
    .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(versioned(status, view.version, &view))
}

/// Remove the award recorded for lot `lot` of a PID, e.g. one recorded against the wrong lot (the
/// PID's authority's `procurement` or `admin`; 403 otherwise). Allowed while the PID is `live` or
/// `awarded` (409 otherwise); 404 when the lot has no award; 409 while social value commitments
/// are made on the lot (they name the award). `If-Match` is honoured (412 when stale). Audited as
/// a `delete` of the award (the change feed carries its tombstone).
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "PID id"),
        ("lot" = i16, Path, description = "The lot's number: its 1-based position in the PID's `lots`", minimum = 1, maximum = 50),
        ("If-Match" = Option<String>, Header, description = "The award's ETag, to remove it only if unchanged")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such PID, or no award recorded for the lot", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/not-found", "title": "Not Found", "status": 404,
                "detail": "the award of lot 2 was not found"})),
        (status = 409, description = "The PID is not live or awarded, or commitments are made on the lot", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "2 social value commitment(s) are made on lot 1 of RCH-PID-2026-0001; delete or move them before removing its award"}))))]
#[delete("/pids/{id}/lots/{lot}/award")]
async fn delete_lot_award(
    pool: Db,
    caller: Caller,
    path: web::Path<(Uuid, i16)>,
    if_match: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let (id, lot) = path.into_inner();
    db::transaction(&pool, move |conn| {
        let (pid, authority, _) = PidRow::find_for_update(conn, id)?;
        caller.require_to_change(LOT_AWARDERS, &authority)?;
        if let Some(why) = lot_award_refusal(pid.status) {
            return Err(ApiError::Conflict(why));
        }
        let recorded = LotAwardRow::find(conn, id, lot)?
            .ok_or_else(|| ApiError::not_found(format!("the award of lot {lot}")))?;
        if_match.check(recorded.0.version)?;
        let committed = CommitmentRow::count_on_lot(conn, id, lot)?;
        if committed > 0 {
            return Err(ApiError::Conflict(format!(
                "{committed} social value commitment(s) are made on lot {lot} of {}; delete or move them before removing its award",
                pid.reference
            )));
        }
        let lots: Vec<Lot> = from_json(pid.lots.clone())?;
        let before = lot_award_view(&pid, &lots, recorded);
        LotAwardRow::delete(conn, id, lot)?;
        AuditEventRow::record(
            conn,
            &caller,
            "delete",
            LOT_AWARD_ENTITY,
            before.id,
            Some(json_of(&before)?),
            None,
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A governance sign-off on a submitted PID.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "finance", "outcome": "returned",
    "reasons": "The whole-life value leaves out the two extension years; re-estimate and resubmit."}))]
pub struct SignOffRequest {
    /// One of the sign-offs the PID's submission requires; the caller must hold its token role.
    pub role: SignOffRole,
    pub outcome: SignOffOutcome,
    /// Required for `returned`: why, and what to change.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub reasons: Option<String>,
}

/// Give a governance sign-off on a submitted PID of the caller's authority: who (the token's
/// subject), role, when and outcome. The caller must hold the token role the sign-off maps to:
/// `commissioning_lead` ← `commissioner`, `procurement_lead` ← `procurement`, `finance` ←
/// `finance`, `legal` ← `legal`, `key_decision` ← `board` (403 otherwise; `admin` signs nothing).
///
/// When this is the last required sign-off to approve, the PID moves to `approved` in the same
/// transaction (audit action `approve`). A `returned` outcome (with `reasons`, 422 without) sends
/// it back to `draft` at once (audit action `return`); its sign-offs so far no longer count, and
/// the next submission starts afresh. 409 when the PID is not `submitted`, when the role has
/// already signed this submission, or when the same person has signed it in another role; 422
/// when the role is not among those this submission requires.
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "PID id")),
    request_body = SignOffRequest,
    responses((status = 201, description = "Recorded; the PID as it now stands", body = Pid,
        headers(("Location" = String, description = "URL of the PID"), ("ETag" = String, description = "The PID's new version"))),
        (status = 409, description = "Not submitted, already signed in this role, or signed by the same person in another role", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/conflict", "title": "Conflict", "status": 409,
                "detail": "tester@RCH has already signed this submission as commissioning_lead; one person signs one role"}))))]
#[post("/pids/{id}/sign-offs")]
async fn sign_off(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    id: web::Path<Uuid>,
    body: Json<SignOffRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let Json {
        value: request,
        fingerprint,
    } = body;
    let reasons = request
        .reasons
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if request.outcome == SignOffOutcome::Returned && reasons.is_none() {
        return Err(ApiError::invalid(
            "reasons",
            "a return needs reasons: what must change before it is submitted again",
        ));
    }
    if reasons.as_ref().is_some_and(|r| r.chars().count() > 4000) {
        return Err(ApiError::invalid("reasons", "at most 4000 characters"));
    }
    // One key may not sign two PIDs: the PID is part of what the key stands for.
    let fingerprint = format!("{id}\n{fingerprint}");
    create_idempotently(&pool, caller, key, "POST /v1/pids/{id}/sign-offs", fingerprint, move |conn, caller| {
        let found = PidRow::find_for_update(conn, id)?;
        let row = found.0.clone();
        caller.require_authority(&found.1)?;
        let action = match request.outcome {
            SignOffOutcome::Approved => PidAction::Approve,
            SignOffOutcome::Returned => PidAction::Return,
        };
        check_transition(action, row.status, &caller.roles)?;
        let needs = request.role.token_role();
        if !caller.has_role(needs) {
            return Err(ApiError::Forbidden(format!(
                "the {} sign-off is given by a caller with the {needs} role; the token has [{}]",
                request.role,
                caller
                    .roles
                    .iter()
                    .map(Role::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if !row.required_sign_offs.contains(&request.role) {
            let required: Vec<String> = row.required_sign_offs.iter().map(|r| r.to_string()).collect();
            return Err(ApiError::invalid(
                "role",
                format!(
                    "this submission does not need a {} sign-off; it needs: {}",
                    request.role,
                    required.join(", ")
                ),
            ));
        }
        let given: Vec<SignOffRow> = SignOffRow::of_pids(conn, &[id])?
            .into_iter()
            .filter(|s| s.submission == row.submission)
            .collect();
        if let Some(s) = given.iter().find(|s| s.role == request.role) {
            return Err(ApiError::Conflict(format!(
                "the {} sign-off of this submission was already given by {} ({})",
                request.role, s.signed_by, s.outcome
            )));
        }
        if let Some(s) = given.iter().find(|s| s.signed_by == caller.subject) {
            return Err(ApiError::Conflict(format!(
                "{} has already signed this submission as {}; one person signs one role",
                caller.subject, s.role
            )));
        }
        let before = views(conn, vec![found])?.remove(0);
        let signed = SignOffRow::insert(
            conn,
            &SignOffRow {
                id: Uuid::now_v7(),
                pid_id: id,
                submission: row.submission,
                role: request.role,
                outcome: request.outcome,
                reasons,
                signed_by: caller.subject.clone(),
                signed_at: Utc::now(),
            },
        )?;
        let approved: Vec<SignOffRole> = given
            .iter()
            .chain(std::iter::once(&signed))
            .filter(|s| s.outcome == SignOffOutcome::Approved)
            .map(|s| s.role)
            .collect();
        let complete = row.required_sign_offs.iter().all(|r| approved.contains(r));
        // The audit event is the PID's: its view after shows the sign-off among those given (or
        // as the last return), so the trail and the feed carry who signed, as what, and when.
        let (status, audit_action) = match request.outcome {
            SignOffOutcome::Returned => (PidStatus::Draft, PidAction::Return.into()),
            SignOffOutcome::Approved if complete => (PidStatus::Approved, PidAction::Approve.into()),
            SignOffOutcome::Approved => (row.status, "sign_off"),
        };
        PidRow::change_status(
            conn,
            id,
            &PidStatusChange {
                status,
                submission: None,
                required_sign_offs: None,
            },
        )?;
        let view = load_view(conn, id)?;
        AuditEventRow::record(
            conn,
            caller,
            audit_action,
            ENTITY,
            id,
            Some(before.audit_json()?),
            Some(view.audit_json()?),
        )?;
        Created::new(&view, format!("/v1/pids/{id}"), view.version)
    })
    .await
}

/// Whether an authority's rules are its own or the service's defaults.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleSource {
    /// The authority has set none: the service's defaults apply.
    Default,
    /// The authority's own rules.
    Configured,
}

/// An authority's governance sign-off rules. A PID needs every rule's role whose value band
/// and routes it falls in.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"authority": "RCH", "source": "default", "rules": [
    {"role": "commissioning_lead", "min_value_pence": 0, "routes": [], "description": "The commissioning lead signs off every PID"},
    {"role": "procurement_lead", "min_value_pence": 0, "routes": [], "description": "The procurement lead signs off every PID"},
    {"role": "finance", "min_value_pence": 10_000_000_i64, "routes": [], "description": "Finance signs off from £100,000"},
    {"role": "legal", "min_value_pence": 50_000_000_i64, "routes": [], "description": "Legal signs off from £500,000"},
    {"role": "key_decision", "min_value_pence": 50_000_000_i64, "routes": [], "description": "A key decision from £500,000"},
    {"role": "legal", "min_value_pence": 0, "routes": ["direct_award"], "description": "Legal signs off every direct award"}
]}))]
pub struct SignOffRules {
    pub authority: AuthorityCode,
    pub source: RuleSource,
    pub rules: Vec<SignOffRule>,
}

/// A replacement set of sign-off rules.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"rules": [
    {"role": "commissioning_lead", "min_value_pence": 0, "routes": [], "description": "Always"},
    {"role": "procurement_lead", "min_value_pence": 0, "routes": [], "description": "Always"},
    {"role": "finance", "min_value_pence": 5_000_000_i64, "routes": [], "description": "Finance from £50,000"},
    {"role": "legal", "min_value_pence": 0, "routes": ["direct_award"], "description": "Every direct award"}
]}))]
pub struct NewSignOffRules {
    pub rules: Vec<SignOffRule>,
}

fn authority_by_code(
    conn: &mut diesel::PgConnection,
    code: &AuthorityCode,
) -> Result<AuthorityRow, ApiError> {
    AuthorityRow::by_code(conn, code.as_str())?
        .ok_or_else(|| ApiError::not_found(format!("authority {code}")))
}

/// An authority's governance sign-off rules (its own, or the defaults). Any authenticated caller may read them.
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    params(("authority" = AuthorityCode, Path, description = "Authority short code")),
    responses((status = 200, description = "The rules in force", body = SignOffRules)))]
#[get("/sign-off-rules/{authority}")]
async fn read_rules(
    pool: Db,
    _caller: Caller,
    authority: web::Path<AuthorityCode>,
) -> Result<web::Json<SignOffRules>, ApiError> {
    let code = authority.into_inner();
    let view = db::run(&pool, move |conn| {
        let authority = authority_by_code(conn, &code)?;
        let (rules, source) = effective_rules(conn, authority.id)?;
        Ok(SignOffRules {
            authority: code,
            source,
            rules,
        })
    })
    .await?;
    Ok(web::Json(view))
}

/// Replace the caller's authority's sign-off rules (`admin` of that authority; 403 for another's).
/// Drafts show the new rules at once; a PID already submitted keeps the sign-offs required when it
/// was submitted. Audited (entity `sign_off_rules`, id the authority's id).
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    params(("authority" = AuthorityCode, Path, description = "Authority short code")),
    request_body = NewSignOffRules,
    responses((status = 200, description = "The rules now in force", body = SignOffRules)))]
#[put("/sign-off-rules/{authority}")]
async fn replace_rules(
    pool: Db,
    caller: Caller,
    authority: web::Path<AuthorityCode>,
    body: Json<NewSignOffRules>,
) -> Result<web::Json<SignOffRules>, ApiError> {
    let code = authority.into_inner();
    let rules = body.value.rules;
    let view = db::transaction(&pool, move |conn| {
        let authority = authority_by_code(conn, &code)?;
        caller.require_to_change(&[Role::Admin], &authority.code)?;
        let found = rule_problems(&rules);
        if !found.is_empty() {
            return Err(ApiError::invalid_fields(found));
        }
        let (before, before_source) = effective_rules(conn, authority.id)?;
        model::replace_rules(conn, authority.id, &rules)?;
        let before = SignOffRules {
            authority: code.clone(),
            source: before_source,
            rules: before,
        };
        let after = SignOffRules {
            authority: code,
            source: RuleSource::Configured,
            rules,
        };
        AuditEventRow::record(
            conn,
            &caller,
            "replace",
            RULES_ENTITY,
            authority.id,
            Some(json_of(&before)?),
            Some(json_of(&after)?),
        )?;
        Ok(after)
    })
    .await?;
    Ok(web::Json(view))
}

/// The procurement thresholds (inclusive of VAT), each with the date it is in force from.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"thresholds": [
    {"kind": "goods_services", "effective_from": "2024-01-01", "value_pence": 21_490_400_i64, "note": "Supplies and services, sub-central authorities (incl. VAT)"},
    {"kind": "light_touch", "effective_from": "2024-01-01", "value_pence": 66_354_000_i64, "note": "Light-touch services (incl. VAT)"},
    {"kind": "works", "effective_from": "2024-01-01", "value_pence": 537_260_900_i64, "note": "Works (incl. VAT)"}
]}))]
pub struct Thresholds {
    pub thresholds: Vec<Threshold>,
}

/// The procurement thresholds the route checks use; a PID is measured against the one of its
/// kind in force on the day its process began (or today). Any authenticated caller may read them.
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    responses((status = 200, description = "Every threshold, by kind and date", body = Thresholds)))]
#[get("/procurement-thresholds")]
async fn read_thresholds(pool: Db, _caller: Caller) -> Result<web::Json<Thresholds>, ApiError> {
    let thresholds = db::run(&pool, |conn| Ok(model::thresholds(conn)?)).await?;
    Ok(web::Json(Thresholds { thresholds }))
}

/// Replace every procurement threshold at once (`admin`), e.g. when new figures come into force:
/// keep the old ones so a process begun under them is still measured by them. At least one of
/// each kind; no kind and date twice (422 naming it). Audited (entity `procurement_thresholds`,
/// id `00000000-0000-0000-0000-000000000000`).
#[utoipa::path(tag = "Procurement initiation documents", security(("bearer" = [])),
    request_body = Thresholds,
    responses((status = 200, description = "The thresholds now held", body = Thresholds)))]
#[put("/procurement-thresholds")]
async fn replace_thresholds(
    pool: Db,
    caller: Caller,
    body: Json<Thresholds>,
) -> Result<web::Json<Thresholds>, ApiError> {
    caller.require_role(&[Role::Admin])?;
    let thresholds = body.value.thresholds;
    let found = threshold_problems(&thresholds);
    if !found.is_empty() {
        return Err(ApiError::invalid_fields(found));
    }
    let thresholds = db::transaction(&pool, move |conn| {
        let before = model::replace_thresholds(conn, &thresholds)?;
        AuditEventRow::record(
            conn,
            &caller,
            "replace",
            THRESHOLDS_ENTITY,
            Uuid::nil(),
            Some(serde_json::json!({ "thresholds": before })),
            Some(serde_json::json!({ "thresholds": thresholds })),
        )?;
        Ok(model::thresholds(conn)?)
    })
    .await?;
    Ok(web::Json(Thresholds { thresholds }))
}
