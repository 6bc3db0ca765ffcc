//! Rules of social value: who may write, what a commitment is made on, the codes and bounds of a
//! measures framework, and the arithmetic of the report (proxy values, delivery rate, being behind
//! schedule), all in integers.

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Role;
use crate::domain::values::checked_string;
use crate::error::FieldError;

/// Roles that may make commitments and post delivery returns on their own authority's contracts.
pub const WRITERS: &[Role] = &[Role::Commissioner, Role::Procurement, Role::Admin];

/// Roles that may load a measures framework edition.
pub const EDITORS: &[Role] = &[Role::Admin];

/// Roles that may create, change and delete their own authority's social value priorities.
pub const PRIORITY_EDITORS: &[Role] = &[Role::Admin, Role::Commissioner];

/// The most measures one priority may list.
pub const MAX_PRIORITY_MEASURES: usize = 100;

/// The largest quantity a commitment or return may state (whole units of the measure).
pub const MAX_QUANTITY: i64 = 1_000_000_000;

/// The largest proxy value per unit, in pence (£10 million).
pub const MAX_PROXY_PENCE: i64 = 1_000_000_000;

checked_string!(
    /// An edition of the measures framework, e.g. `2026-demo`: lower-case letters, digits and
    /// hyphens, 1 to 40 characters.
    SocialValueEditionCode,
    |s| !s.is_empty() && s.len() <= 40 && !s.starts_with('-') && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
    "an edition code like 2026-demo", r"^[a-z0-9][a-z0-9-]{0,39}$", "2026-demo"
);

checked_string!(
    /// A council's code for one of its social value priorities, e.g. `local_employment`: lower-case
    /// letters, digits, `_` and `-`, starting with a letter or digit, 1 to 40 characters. Unique
    /// within the authority.
    SocialValuePriorityCode,
    |s| !s.is_empty() && s.len() <= 40 && s.as_bytes()[0].is_ascii_alphanumeric() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'),
    "a priority code like local_employment", r"^[a-z0-9][a-z0-9_-]{0,39}$", "local_employment"
);

/// Whether `s` is a theme, outcome or measure code: letters, digits, `.`, `_` and `-`, starting
/// with a letter or digit, 1 to 30 characters (e.g. `NT1`, `RE1.1`).
pub fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 30
        && s.as_bytes()[0].is_ascii_alphanumeric()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A code's problem, if any.
pub fn check_code(s: &str) -> Result<(), String> {
    if is_code(s) {
        Ok(())
    } else {
        Err(format!(
            "expected a code of 1 to 30 letters, digits, '.', '_' or '-' like NT1, not {s:?}"
        ))
    }
}

/// Text trimmed and 1 to `max` characters long.
pub fn check_text(s: &str, max: usize) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        Err("may not be empty".into())
    } else if t.chars().count() > max {
        Err(format!("may be at most {max} characters"))
    } else {
        Ok(t.to_string())
    }
}

/// A whole number within `min..=max`.
pub fn check_range(v: i64, min: i64, max: i64) -> Result<i64, String> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be from {min} to {max}, not {v}"))
    }
}

/// The most priorities an intention or a PID may name.
pub const MAX_PLANNED_PRIORITIES: usize = 50;

/// The most measures a PID may ask bidders about.
pub const MAX_PLANNED_MEASURES: usize = 200;

/// What planned social value (on a commissioning intention or a PID) is checked against: the
/// owning authority's priority records, and the edition of the measures framework in force.
#[derive(Debug, Clone, Default)]
pub struct PlanningFrame {
    /// The owning authority's code.
    pub authority: String,
    /// Its priorities: code, and the codes of the measures that serve it.
    pub priorities: Vec<(String, Vec<String>)>,
    /// The edition in force (its code and its measures' codes), if any is.
    pub edition: Option<(String, HashSet<String>)>,
}

impl PlanningFrame {
    /// Problems with the priorities chosen (at `field`): each must be one of the authority's
    /// priorities, listed once.
    pub fn priority_problems(&self, field: &str, chosen: &[String]) -> Vec<FieldError> {
        if chosen.len() > MAX_PLANNED_PRIORITIES {
            return vec![FieldError::new(
                field,
                format!("may name at most {MAX_PLANNED_PRIORITIES} priorities"),
            )];
        }
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        for (i, code) in chosen.iter().enumerate() {
            let at = format!("{field}[{i}]");
            if !self.priorities.iter().any(|(c, _)| c == code) {
                problems.push(FieldError::new(
                    at,
                    format!(
                        "{} has no social value priority {code:?}; its priorities are GET /v1/social-value/priorities?authority={}",
                        self.authority, self.authority
                    ),
                ));
            } else if !seen.insert(code.as_str()) {
                problems.push(FieldError::new(at, format!("{code} is listed twice")));
            }
        }
        problems
    }

    /// Problems with the measures bidders will be asked about (at `field`): each must be a
    /// measure of the edition in force, listed once, and serve at least one of the priorities
    /// chosen, so that the social value sought is linked to the council's priorities.
    pub fn measure_problems(
        &self,
        field: &str,
        priorities: &[String],
        measures: &[String],
    ) -> Vec<FieldError> {
        if measures.is_empty() {
            return Vec::new();
        }
        if measures.len() > MAX_PLANNED_MEASURES {
            return vec![FieldError::new(
                field,
                format!("may name at most {MAX_PLANNED_MEASURES} measures"),
            )];
        }
        let Some((edition, codes)) = &self.edition else {
            return vec![FieldError::new(
                field,
                "no edition of the measures framework is in force today, so no measure can be asked about",
            )];
        };
        let served: HashSet<&str> = self
            .priorities
            .iter()
            .filter(|(code, _)| priorities.contains(code))
            .flat_map(|(_, measures)| measures.iter().map(String::as_str))
            .collect();
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        for (i, code) in measures.iter().enumerate() {
            let at = format!("{field}[{i}]");
            if !codes.contains(code) {
                problems.push(FieldError::new(
                    at,
                    format!("edition {edition}, in force today, has no measure {code:?}"),
                ));
            } else if !seen.insert(code.as_str()) {
                problems.push(FieldError::new(at, format!("{code} is listed twice")));
            } else if !served.contains(code.as_str()) {
                problems.push(FieldError::new(
                    at,
                    format!(
                        "measure {code} serves none of the priorities chosen ({}); choose a priority of {} that lists it",
                        if priorities.is_empty() { "none".to_string() } else { priorities.join(", ") },
                        self.authority
                    ),
                ));
            }
        }
        problems
    }
}

/// How the report groups commitments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SocialValueGroupBy {
    /// The theme of the commitment's measure (in the edition it was committed under).
    #[default]
    Theme,
    /// The council priority record the commitment serves (key `<authority>:<code>`).
    Priority,
    /// The supplier's name: the contract's, or for a commitment on a PID's lot the award's.
    Supplier,
    /// The contract (key its id), or for a commitment on a PID's lot that lot (key
    /// `pid:<PID id>:lot:<n>`, label `<PID reference> lot <n>: <lot title>`, or `<PID reference>
    /// <lot title>` when the title already begins `Lot <n>`).
    Contract,
}

/// What a commitment is made on: a contract of the register, or an awarded lot of a PID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentSubject {
    Contract(Uuid),
    /// Lot `lot` (1-based) of PID `pid_id`.
    Lot {
        pid_id: Uuid,
        lot: i16,
    },
}

impl CommitmentSubject {
    pub fn contract_id(self) -> Option<Uuid> {
        match self {
            CommitmentSubject::Contract(id) => Some(id),
            CommitmentSubject::Lot { .. } => None,
        }
    }

    pub fn pid_id(self) -> Option<Uuid> {
        match self {
            CommitmentSubject::Lot { pid_id, .. } => Some(pid_id),
            CommitmentSubject::Contract(_) => None,
        }
    }

    pub fn lot(self) -> Option<i16> {
        match self {
            CommitmentSubject::Lot { lot, .. } => Some(lot),
            CommitmentSubject::Contract(_) => None,
        }
    }

    /// The subject a new commitment names: exactly one of `contract_id` and (`pid_id`, `lot`);
    /// the problems name the fields otherwise.
    pub fn parse(
        contract_id: Option<Uuid>,
        pid_id: Option<Uuid>,
        lot: Option<i16>,
    ) -> Result<Self, Vec<FieldError>> {
        const ONE: &str = "give exactly one subject: contract_id, or pid_id with lot";
        match (contract_id, pid_id, lot) {
            (Some(id), None, None) => Ok(CommitmentSubject::Contract(id)),
            (None, Some(pid_id), Some(lot)) => Ok(CommitmentSubject::Lot { pid_id, lot }),
            (None, Some(_), None) => Err(vec![FieldError::new(
                "lot",
                "a commitment on a PID names the lot (its 1-based number) with pid_id",
            )]),
            (None, None, Some(_)) => Err(vec![FieldError::new(
                "pid_id",
                "a commitment on a lot names the PID (pid_id) whose lot it is",
            )]),
            (None, None, None) => Err(["contract_id", "pid_id", "lot"]
                .iter()
                .map(|f| FieldError::new(*f, format!("{ONE}; none was given")))
                .collect()),
            (Some(_), p, l) => Err(std::iter::once("contract_id")
                .chain(p.map(|_| "pid_id"))
                .chain(l.map(|_| "lot"))
                .map(|f| FieldError::new(f, format!("{ONE}, not both")))
                .collect()),
        }
    }
}

/// How the report labels a PID's lot: `<PID reference> <lot title>` when the title already names
/// the lot (`Lot 2: south`), `<PID reference> lot <n>: <lot title>` otherwise.
pub fn lot_label(pid_reference: &str, lot: i16, title: &str) -> String {
    let prefix = format!("lot {lot}");
    let names_lot = title.len() >= prefix.len()
        && title.is_char_boundary(prefix.len())
        && title[..prefix.len()].eq_ignore_ascii_case(&prefix)
        && !title[prefix.len()..].starts_with(|c: char| c.is_ascii_digit());
    if names_lot {
        format!("{pid_reference} {title}")
    } else {
        format!("{pid_reference} lot {lot}: {title}")
    }
}

/// A quantity's worth: quantity × proxy pence per unit. Bounded inputs keep it within an `i64`.
pub fn proxy_pence(quantity: i64, proxy_value_pence: i64) -> i128 {
    i128::from(quantity) * i128::from(proxy_value_pence)
}

/// Delivered as a share of committed, in basis points (10000 = 100%), rounded down; `None` when
/// nothing is committed. Over-delivery gives more than 10000.
pub fn rate_basis_points(delivered: i128, committed: i128) -> Option<i64> {
    if committed <= 0 {
        None
    } else {
        i64::try_from(delivered * 10_000 / committed).ok()
    }
}

/// Days of a period `from..=to` that have elapsed by the end of `as_at`: 0 before it starts, all
/// of them once it has ended.
pub fn elapsed_days(from: NaiveDate, to: NaiveDate, as_at: NaiveDate) -> i64 {
    let total = (to - from).num_days() + 1;
    if as_at < from {
        0
    } else if as_at >= to {
        total
    } else {
        (as_at - from).num_days() + 1
    }
}

/// Whether a commitment is behind schedule at `as_at`: what its current returns delivered is less
/// than its target pro rata to the days of its period elapsed by then, i.e.
/// `delivered × total_days < target × elapsed_days` (exact, no rounding). Nothing is behind
/// before its period starts.
pub fn behind_schedule(
    target: i64,
    delivered: i64,
    from: NaiveDate,
    to: NaiveDate,
    as_at: NaiveDate,
) -> bool {
    let total = i128::from((to - from).num_days() + 1);
    let elapsed = i128::from(elapsed_days(from, to, as_at));
    i128::from(delivered) * total < i128::from(target) * elapsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn frame() -> PlanningFrame {
        PlanningFrame {
            authority: "RCH".into(),
            priorities: vec![
                ("local_employment".into(), vec!["NT1".into(), "NT4".into()]),
                ("carbon".into(), vec!["NT44".into()]),
            ],
            edition: Some((
                "2026-test".into(),
                ["NT1", "NT4", "NT44", "NT28"]
                    .into_iter()
                    .map(String::from)
                    .collect(),
            )),
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn fields(problems: Vec<FieldError>) -> Vec<String> {
        problems.into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn planned_priorities_are_the_authoritys_each_once() {
        let f = frame();
        assert!(
            f.priority_problems("p", &strings(&["carbon", "local_employment"]))
                .is_empty()
        );
        assert_eq!(
            fields(f.priority_problems("p", &strings(&["carbon", "volunteering", "carbon"]))),
            ["p[1]", "p[2]"]
        );
    }

    #[test]
    fn planned_measures_are_in_force_and_serve_a_chosen_priority() {
        let f = frame();
        let chosen = strings(&["local_employment"]);
        assert!(
            f.measure_problems("m", &chosen, &strings(&["NT1", "NT4"]))
                .is_empty()
        );
        // NT9 is in no edition in force; NT44 serves only carbon, not chosen; NT1 twice.
        assert_eq!(
            fields(f.measure_problems("m", &chosen, &strings(&["NT9", "NT44", "NT1", "NT1"]))),
            ["m[0]", "m[1]", "m[3]"]
        );
        // NT28 is in the edition but serves no priority of the authority at all.
        assert_eq!(
            fields(f.measure_problems("m", &chosen, &strings(&["NT28"]))),
            ["m[0]"]
        );
        let none_in_force = PlanningFrame {
            edition: None,
            ..frame()
        };
        assert_eq!(
            fields(none_in_force.measure_problems("m", &chosen, &strings(&["NT1"]))),
            ["m"]
        );
        assert!(none_in_force.measure_problems("m", &chosen, &[]).is_empty());
    }

    #[test]
    fn schedule_is_pro_rata_to_days_elapsed() {
        // A 365-day year, target 365: one unit a day is on schedule.
        let (from, to) = (d("2025-04-01"), d("2026-03-31"));
        assert_eq!(elapsed_days(from, to, d("2025-03-31")), 0);
        assert_eq!(elapsed_days(from, to, d("2025-04-10")), 10);
        assert_eq!(elapsed_days(from, to, d("2027-01-01")), 365);
        assert!(!behind_schedule(365, 10, from, to, d("2025-04-10")));
        assert!(behind_schedule(365, 9, from, to, d("2025-04-10")));
        assert!(!behind_schedule(365, 0, from, to, d("2025-03-01")));
        assert!(behind_schedule(365, 364, from, to, d("2026-06-01")));
    }

    #[test]
    fn rates_round_down_in_basis_points() {
        assert_eq!(rate_basis_points(1, 3), Some(3333));
        assert_eq!(rate_basis_points(5, 0), None);
        assert_eq!(rate_basis_points(12, 10), Some(12_000));
    }

    #[test]
    fn a_lot_is_labelled_once_by_its_number() {
        assert_eq!(
            lot_label("RCH-PID-2026-0001", 2, "Lot 2: south"),
            "RCH-PID-2026-0001 Lot 2: south"
        );
        assert_eq!(
            lot_label("RCH-PID-2026-0001", 2, "LOT 2 - south"),
            "RCH-PID-2026-0001 LOT 2 - south"
        );
        assert_eq!(
            lot_label("RCH-PID-2026-0001", 1, "Lot 12: east"),
            "RCH-PID-2026-0001 lot 1: Lot 12: east"
        );
        assert_eq!(
            lot_label("RCH-PID-2026-0001", 1, "Zone 1: north"),
            "RCH-PID-2026-0001 lot 1: Zone 1: north"
        );
        assert_eq!(lot_label("X", 1, "Lo"), "X lot 1: Lo");
    }

    #[test]
    fn a_commitment_names_exactly_one_subject() {
        let id = Uuid::nil();
        let fields = |r: Result<CommitmentSubject, Vec<FieldError>>| -> Vec<String> {
            r.unwrap_err().into_iter().map(|e| e.field).collect()
        };
        assert_eq!(
            CommitmentSubject::parse(Some(id), None, None),
            Ok(CommitmentSubject::Contract(id))
        );
        assert_eq!(
            CommitmentSubject::parse(None, Some(id), Some(2)),
            Ok(CommitmentSubject::Lot { pid_id: id, lot: 2 })
        );
        assert_eq!(
            fields(CommitmentSubject::parse(None, None, None)),
            ["contract_id", "pid_id", "lot"]
        );
        assert_eq!(
            fields(CommitmentSubject::parse(Some(id), Some(id), Some(1))),
            ["contract_id", "pid_id", "lot"]
        );
        assert_eq!(
            fields(CommitmentSubject::parse(Some(id), None, Some(1))),
            ["contract_id", "lot"]
        );
        assert_eq!(
            fields(CommitmentSubject::parse(None, Some(id), None)),
            ["lot"]
        );
        assert_eq!(
            fields(CommitmentSubject::parse(None, None, Some(1))),
            ["pid_id"]
        );
    }

    #[test]
    fn codes() {
        assert!(is_code("NT1") && is_code("RE1.1") && !is_code("") && !is_code(".x"));
        assert!(SocialValueEditionCode::try_from("2026-demo".to_string()).is_ok());
        assert!(SocialValueEditionCode::try_from("-x".to_string()).is_err());
        assert!(SocialValueEditionCode::try_from("Big".to_string()).is_err());
        assert!(SocialValuePriorityCode::try_from("local_employment".to_string()).is_ok());
        assert!(SocialValuePriorityCode::try_from("_x".to_string()).is_err());
        assert!(SocialValuePriorityCode::try_from("Local".to_string()).is_err());
    }
}
