//! The contract register's rules: contract statuses, references and Companies House numbers, the
//! terms a contract's fields must keep together, re-procurement lead-time bands, and the month
//! arithmetic of the expiry pipeline.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::domain::values::{Date, Pence};
use crate::error::FieldError;

/// Who may create, import and change contracts (of their own authority).
pub const WRITERS: &[Role] = &[Role::Commissioner, Role::Procurement, Role::Admin];

/// Who may replace the re-procurement lead times, which every authority shares.
pub const LEAD_TIME_WRITERS: &[Role] = &[Role::Admin];

/// Where a contract stands: `planned` (awarded, not started), `active`, `expired` (ran to its
/// end) or `terminated` (ended early).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
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
pub enum ContractStatus {
    Planned,
    #[default]
    Active,
    Expired,
    Terminated,
}

impl ContractStatus {
    /// Statuses of contracts still to run: the expiry pipeline follows these.
    pub const LIVE: &[ContractStatus] = &[ContractStatus::Planned, ContractStatus::Active];

    /// The names, for messages: `planned, active, expired, terminated`.
    pub fn names() -> String {
        use strum::VariantArray;
        Self::VARIANTS
            .iter()
            .map(|s| <&str>::from(*s))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A contract's reference, unique within its authority, e.g. `RCH-C-2019-0031`: 1 to 64
/// characters, no control characters, surrounding spaces dropped. Councils bring their own
/// numbering, so any other shape is accepted; intentions name the contracts they replace by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContractReference(String);

impl ContractReference {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ContractReference {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() || t.chars().count() > 64 {
            Err("a contract reference must be 1 to 64 characters".into())
        } else if t.chars().any(char::is_control) {
            Err("a contract reference may not contain control characters".into())
        } else {
            Ok(Self(t.to_string()))
        }
    }
}

impl From<ContractReference> for String {
    fn from(r: ContractReference) -> String {
        r.0
    }
}

impl fmt::Display for ContractReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::domain::values::string_schema!(
    ContractReference,
    r"^[^\s\x00-\x1f\x7f-\x9f]([^\x00-\x1f\x7f-\x9f]{0,62}[^\s\x00-\x1f\x7f-\x9f])?$",
    "RCH-C-2019-0031",
    "The contract's reference, unique within its authority: 1 to 64 characters."
);

crate::domain::values::checked_string!(
    /// A Companies House company number: eight digits, or two capital letters and six digits
    /// (`SC123456` in Scotland, `OC…` for LLPs).
    CompaniesHouseNumber,
    |s| {
        let b = s.as_bytes();
        b.len() == 8
            && (b.iter().all(u8::is_ascii_digit)
                || (b[..2].iter().all(u8::is_ascii_uppercase) && b[2..].iter().all(u8::is_ascii_digit)))
    },
    "a Companies House number of 8 digits or 2 capital letters and 6 digits (e.g. 01234567, SC123456)",
    "^([0-9]{8}|[A-Z]{2}[0-9]{6})$",
    "04567812"
);

/// A free-text field of 1 to `max` characters once surrounding spaces are dropped.
pub fn bounded_text(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let t = value.trim();
    if t.is_empty() || t.chars().count() > max {
        Err(FieldError::new(
            field,
            format!("must be 1 to {max} characters"),
        ))
    } else {
        Ok(t.to_string())
    }
}

/// The fields of a contract that must agree with each other, checked together on create, on
/// patch (with the stored values the patch leaves alone) and on each imported row.
pub struct Terms<'a> {
    pub annual_value_pence: Option<Pence>,
    pub total_value_pence: Option<Pence>,
    pub start_date: Date,
    pub end_date: Date,
    pub extension_end_dates: &'a [Date],
}

impl Terms<'_> {
    /// Every rule the terms break, by field.
    pub fn problems(&self) -> Vec<FieldError> {
        let mut problems = Vec::new();
        if let (Some(annual), Some(total)) = (self.annual_value_pence, self.total_value_pence)
            && total < annual
        {
            problems.push(FieldError::new(
                "total_value_pence",
                format!(
                    "the total value ({}) cannot be less than the annual value ({})",
                    total.value(),
                    annual.value()
                ),
            ));
        }
        if self.end_date < self.start_date {
            problems.push(FieldError::new(
                "end_date",
                format!(
                    "the contract cannot end ({}) before it starts ({})",
                    self.end_date, self.start_date
                ),
            ));
        }
        let mut previous = self.end_date;
        for (i, &date) in self.extension_end_dates.iter().enumerate() {
            if date <= previous {
                let what = if i == 0 {
                    format!("after the end date ({previous})")
                } else {
                    format!("after the previous extension's end ({previous})")
                };
                problems.push(FieldError::new(
                    "extension_end_dates",
                    format!(
                        "extension {} ends {date}: each extension must end {what}, earliest first",
                        i + 1
                    ),
                ));
                break;
            }
            previous = date;
        }
        problems
    }
}

/// The latest a contract can run to: its last available extension's end, or its end date.
pub fn latest_possible_end(end_date: Date, extension_end_dates: &[Date]) -> Date {
    extension_end_dates.last().copied().unwrap_or(end_date)
}

/// `date` plus `months` calendar months; a day the month lacks becomes its last day
/// (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Whole calendar months from `from` to `to` (rounded down): the largest `n` with
/// `add_months(from, n) <= to`, so a contract ending exactly `n` months after `from` has `n` left.
/// 0 when `to` is before `from`.
pub fn whole_months_between(from: NaiveDate, to: NaiveDate) -> i32 {
    if to < from {
        return 0;
    }
    let n = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    if add_months(from, n as u32) > to {
        n - 1
    } else {
        n
    }
}

crate::domain::values::bounded_number!(
    LeadTimeMonths,
    1,
    60,
    "a lead time in months",
    "Months before a contract's end that its re-procurement must start: 1 to 60.",
    9
);

/// One value band: from `min_total_value_pence` up to the next band's minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"min_total_value_pence": 66_354_000, "lead_time_months": 9}))]
pub struct LeadTimeBand {
    /// The band applies to contracts worth at least this much (whole-life value, or the annual
    /// value when no total is recorded).
    pub min_total_value_pence: Pence,
    pub lead_time_months: LeadTimeMonths,
}

/// The value bands, checked as a whole: the first starts at 0 and the minimums strictly increase,
/// so every value falls in exactly one band. The field names are those of the request body.
pub fn lead_time_problems(bands: &[LeadTimeBand]) -> Vec<FieldError> {
    let mut problems = Vec::new();
    match bands.first() {
        None => problems.push(FieldError::new(
            "bands",
            "at least one band is needed, starting at 0",
        )),
        Some(first) if first.min_total_value_pence.value() != 0 => problems.push(FieldError::new(
            "bands[0].min_total_value_pence",
            "the first band must start at 0, so that every contract falls in a band",
        )),
        Some(_) => {}
    }
    for (i, pair) in bands.windows(2).enumerate() {
        if pair[1].min_total_value_pence <= pair[0].min_total_value_pence {
            problems.push(FieldError::new(
                format!("bands[{}].min_total_value_pence", i + 1),
                format!(
                    "band minimums must strictly increase: {} is not above {}",
                    pair[1].min_total_value_pence.value(),
                    pair[0].min_total_value_pence.value()
                ),
            ));
        }
    }
    problems
}

/// The lead time for a contract: the band of its total value, or of its annual value when no total
/// is recorded, or the lowest band when neither is. `bands` are in ascending order.
pub fn lead_time_for(
    bands: &[LeadTimeBand],
    total_value_pence: Option<Pence>,
    annual_value_pence: Option<Pence>,
) -> Option<LeadTimeMonths> {
    let value = total_value_pence.or(annual_value_pence);
    let band = match value {
        Some(v) => bands
            .iter()
            .rev()
            .find(|b| b.min_total_value_pence <= v)
            .or(bands.first()),
        None => bands.first(),
    };
    band.map(|b| b.lead_time_months)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn date(s: &str) -> Date {
        Date::try_from(d(s)).unwrap()
    }

    fn pence(v: i64) -> Option<Pence> {
        Some(Pence::try_from(v).unwrap())
    }

    #[test]
    fn whole_months_round_down_and_follow_month_ends() {
        assert_eq!(whole_months_between(d("2026-11-23"), d("2028-05-23")), 18);
        assert_eq!(whole_months_between(d("2026-11-23"), d("2028-05-22")), 17);
        assert_eq!(whole_months_between(d("2026-11-23"), d("2026-11-23")), 0);
        assert_eq!(whole_months_between(d("2026-01-31"), d("2026-02-28")), 1);
        assert_eq!(whole_months_between(d("2026-01-31"), d("2026-02-27")), 0);
        assert_eq!(whole_months_between(d("2026-11-23"), d("2026-11-22")), 0);
        assert_eq!(add_months(d("2026-08-31"), 18), d("2028-02-29"));
    }

    #[test]
    fn terms_name_the_field_that_breaks_a_rule() {
        let ext = [date("2027-03-31"), date("2027-03-31")];
        let terms = Terms {
            annual_value_pence: pence(100),
            total_value_pence: pence(99),
            start_date: date("2024-04-01"),
            end_date: date("2024-03-31"),
            extension_end_dates: &ext,
        };
        let fields: Vec<String> = terms.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            ["total_value_pence", "end_date", "extension_end_dates"]
        );
        let ok = [date("2027-03-31"), date("2028-03-31")];
        let terms = Terms {
            annual_value_pence: pence(100),
            total_value_pence: None,
            start_date: date("2024-04-01"),
            end_date: date("2026-03-31"),
            extension_end_dates: &ok,
        };
        assert!(terms.problems().is_empty());
        assert_eq!(
            latest_possible_end(date("2026-03-31"), &ok),
            date("2028-03-31")
        );
    }

    #[test]
    fn values_fall_in_one_band() {
        let band = |min, months| LeadTimeBand {
            min_total_value_pence: Pence::try_from(min).unwrap(),
            lead_time_months: LeadTimeMonths::try_from(months).unwrap(),
        };
        let bands = [band(0, 6), band(1000, 9), band(5000, 12)];
        assert!(lead_time_problems(&bands).is_empty());
        let months = |t, a| lead_time_for(&bands, t, a).map(LeadTimeMonths::get);
        assert_eq!(months(pence(999), None), Some(6));
        assert_eq!(months(pence(1000), None), Some(9));
        assert_eq!(months(pence(10_000), pence(1)), Some(12));
        assert_eq!(months(None, pence(1000)), Some(9));
        assert_eq!(months(None, None), Some(6));
        assert_eq!(
            lead_time_problems(&[band(1, 6), band(1, 9)])
                .into_iter()
                .map(|p| p.field)
                .collect::<Vec<_>>(),
            [
                "bands[0].min_total_value_pence",
                "bands[1].min_total_value_pence"
            ]
        );
        assert!(LeadTimeMonths::try_from(61).is_err());
    }

    #[test]
    fn companies_house_numbers_and_references_have_their_shapes() {
        for ok in ["01234567", "SC123456", "OC301234"] {
            assert!(
                CompaniesHouseNumber::try_from(ok.to_string()).is_ok(),
                "{ok}"
            );
        }
        for bad in ["1234567", "sc123456", "S1234567", "SC1234567", ""] {
            assert!(
                CompaniesHouseNumber::try_from(bad.to_string()).is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            ContractReference::try_from(" RCH-C-2019-0031 ".to_string())
                .unwrap()
                .as_str(),
            "RCH-C-2019-0031"
        );
        assert!(ContractReference::try_from("  ".to_string()).is_err());
        assert!(ContractReference::try_from("x".repeat(65)).is_err());
        assert!(ContractReference::try_from("a\tb".to_string()).is_err());
    }
}
