//! Rules of collaboration across authorities: an opportunity's lifecycle and who may change it,
//! participation, benchmark metrics, periods and values, and the statistics of a comparison.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::domain::values::{FinancialYear, checked_string};

/// Roles that edit an opportunity (of the lead authority) or a participation (of that authority).
pub const WRITERS: &[Role] = &[Role::Commissioner, Role::Procurement, Role::Admin];

/// Roles that post benchmark observations, each for its own authority only.
pub const OBSERVERS: &[Role] = &[Role::Partner, Role::Commissioner];

/// Roles that keep the benchmark metric definitions.
pub const METRIC_KEEPERS: &[Role] = &[Role::Admin];

/// Most observations one bulk post may carry.
pub const MAX_OBSERVATIONS: usize = 1000;

/// Where a collaboration opportunity stands: `idea → scoping → agreed → procuring → delivered →
/// closed`. It may step back from `scoping` or `agreed` while the partners talk, and it may be
/// `closed` (dropped, or finished) from any status; `closed` is final.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OpportunityStatus {
    #[default]
    Idea,
    Scoping,
    Agreed,
    Procuring,
    Delivered,
    Closed,
}

impl OpportunityStatus {
    /// The statuses an opportunity may move to from this one.
    pub fn next(self) -> &'static [OpportunityStatus] {
        use OpportunityStatus as S;
        match self {
            S::Idea => &[S::Scoping, S::Closed],
            S::Scoping => &[S::Idea, S::Agreed, S::Closed],
            S::Agreed => &[S::Scoping, S::Procuring, S::Closed],
            S::Procuring => &[S::Delivered, S::Closed],
            S::Delivered => &[S::Closed],
            S::Closed => &[],
        }
    }

    /// Check a move from `self` to `to`; the refusal names the statuses allowed now.
    pub fn check_move(self, to: OpportunityStatus) -> Result<(), String> {
        if self == to || self.next().contains(&to) {
            return Ok(());
        }
        let allowed: Vec<&str> = self.next().iter().map(|s| (*s).into()).collect();
        Err(format!(
            "an opportunity that is {} cannot become {}; allowed now: {}",
            <&str>::from(self),
            <&str>::from(to),
            if allowed.is_empty() {
                "none (closed is final)".to_string()
            } else {
                allowed.join(", ")
            }
        ))
    }
}

/// An authority's part in an opportunity.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ParticipantStatus {
    #[default]
    Interested,
    Committed,
    Withdrawn,
}

/// The unit a benchmark metric's values are in. Values are always whole numbers.
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
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum MetricUnit {
    /// Pence per hour (e.g. a home care hourly rate).
    PencePerHour,
    /// Pence per week (e.g. a residential weekly fee).
    PencePerWeek,
    /// Per cent × 100: 3125 is 31.25%.
    Percent,
    Count,
}

/// Which way is better for a metric: the lowest fee, or the highest uptake.
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
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

checked_string!(
    /// A benchmark metric's code: lower-case letters, digits and underscores, e.g. `home_care_hourly_rate`.
    MetricCode,
    |s| (2..=64).contains(&s.len())
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
    "a metric code like home_care_hourly_rate",
    "^[a-z][a-z0-9_]{1,63}$",
    "home_care_hourly_rate"
);

/// A benchmark period: a financial year (`2026/27`) or one of its quarters (`2026/27 Q2`,
/// Q1 being April to June).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    pub year: FinancialYear,
    /// 1 to 4, or none for the whole year (which sorts before its quarters).
    pub quarter: Option<u8>,
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("expected a period like 2026/27 or 2026/27 Q2, not {s:?}");
        let (year, quarter) = match s.split_once(' ') {
            None => (s, None),
            Some((y, q)) => {
                let q = match q {
                    "Q1" => 1,
                    "Q2" => 2,
                    "Q3" => 3,
                    "Q4" => 4,
                    _ => return Err(bad()),
                };
                (y, Some(q))
            }
        };
        let year: FinancialYear = year.parse().map_err(|_| bad())?;
        Ok(Period { year, quarter })
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.quarter {
            None => write!(f, "{}", self.year),
            Some(q) => write!(f, "{} Q{q}", self.year),
        }
    }
}

impl TryFrom<String> for Period {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

crate::domain::values::string_schema!(
    Period,
    r"^20[0-9]{2}/[0-9]{2}( Q[1-4])?$",
    "2026/27",
    "A financial year (`2026/27`) or a quarter of one (`2026/27 Q2`; Q1 is April to June)."
);

/// A benchmark value: a whole number in the metric's unit (pence, per cent × 100, or a count),
/// from 0 to 10^12. Fractions are refused: send pence, not pounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct BenchmarkValue(i64);

impl BenchmarkValue {
    pub const MAX: i64 = 1_000_000_000_000;

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for BenchmarkValue {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if (0..=Self::MAX).contains(&v) {
            Ok(Self(v))
        } else {
            Err(format!(
                "a benchmark value must be a whole number from 0 to {}, not {v}",
                Self::MAX
            ))
        }
    }
}

impl From<BenchmarkValue> for i64 {
    fn from(v: BenchmarkValue) -> i64 {
        v.0
    }
}

impl utoipa::PartialSchema for BenchmarkValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(0))
            .maximum(Some(Self::MAX))
            .description(Some(
                "A whole number in the metric's unit: pence, per cent × 100 (3125 is 31.25%), or a count.",
            ))
            .examples([serde_json::json!(2150)])
            .into()
    }
}
impl ToSchema for BenchmarkValue {}

/// `numerator / denominator` rounded to the nearest whole number, halves away from zero.
pub fn div_round(numerator: i128, denominator: i128) -> i64 {
    assert!(denominator > 0, "dividing by a positive count");
    let half_up = (2 * numerator.abs() + denominator) / (2 * denominator);
    (numerator.signum() * half_up) as i64
}

/// The statistics of one metric in one period across the authorities that posted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub count: usize,
    pub min: i64,
    pub max: i64,
    /// The middle value; for an even count, the mean of the middle two rounded half away from zero.
    pub median: i64,
    /// The mean rounded half away from zero.
    pub mean: i64,
}

/// Summarise `values`, or `None` when there are none.
pub fn summarise(values: &[i64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        div_round(i128::from(sorted[n / 2 - 1]) + i128::from(sorted[n / 2]), 2)
    };
    let sum: i128 = sorted.iter().map(|v| i128::from(*v)).sum();
    Some(Summary {
        count: n,
        min: sorted[0],
        max: sorted[n - 1],
        median,
        mean: div_round(sum, n as i128),
    })
}

/// The rank of `value` among `values` (which include it), 1 being best in the metric's direction.
/// Equal values share a rank, and the next rank skips (1, 1, 3).
pub fn rank(value: i64, values: &[i64], better: Better) -> usize {
    1 + values
        .iter()
        .filter(|v| match better {
            Better::Higher => **v > value,
            Better::Lower => **v < value,
        })
        .count()
}

/// The year-on-year change from `previous` to `current` in per cent, rounded half away from zero;
/// `None` when there was nothing the year before to compare with.
pub fn change_percent(previous: i64, current: i64) -> Option<i64> {
    (previous > 0).then(|| {
        div_round(
            (i128::from(current) - i128::from(previous)) * 100,
            i128::from(previous),
        )
    })
}

/// One intention as the candidate search sees it.
#[derive(Debug, Clone)]
pub struct Planned<K> {
    pub key: K,
    pub authority: String,
    pub start: NaiveDate,
}

/// Groups of planned procurements (all in one subcategory) whose starts all lie within
/// `window_months` of each other, inclusive (1 January and 1 July are within 6 months; 2 July is
/// not), taking in two or more authorities. Each group is as large as it can be: for each
/// procurement in date order, the group is it and every later one starting no more than the
/// window after it; a group inside the previous one adds nothing and is left out.
pub fn candidate_groups<K: Clone>(
    mut items: Vec<Planned<K>>,
    window_months: u32,
) -> Vec<Vec<Planned<K>>> {
    items.sort_by_key(|p| p.start);
    let mut groups = Vec::new();
    let mut previous_end = 0;
    for i in 0..items.len() {
        let Some(limit) = items[i]
            .start
            .checked_add_months(chrono::Months::new(window_months))
        else {
            continue;
        };
        let end = items[i..]
            .iter()
            .position(|p| p.start > limit)
            .map_or(items.len(), |offset| i + offset);
        if end <= previous_end {
            continue;
        }
        previous_end = end;
        let group = &items[i..end];
        let first = &group[0].authority;
        if group.iter().any(|p| &p.authority != first) {
            groups.push(group.to_vec());
        }
    }
    groups
}

/// A title of 1 to 300 characters once trimmed.
pub fn check_title(title: &str) -> Result<String, String> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 300 {
        Err("must be 1 to 300 characters".into())
    } else {
        Ok(title.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let s = summarise(&[300, 100, 200]).unwrap();
        assert_eq!((s.min, s.median, s.max, s.mean), (100, 200, 300, 200));
        let s = summarise(&[100, 201, 202, 400]).unwrap();
        // Middle two 201 and 202: 201.5 rounds away from zero to 202. Mean 225.75 → 226.
        assert_eq!((s.median, s.mean), (202, 226));
        assert!(summarise(&[]).is_none());
    }

    #[test]
    fn halves_round_away_from_zero() {
        assert_eq!(div_round(5, 2), 3);
        assert_eq!(div_round(-5, 2), -3);
        assert_eq!(div_round(7, 4), 2);
        assert_eq!(div_round(-7, 4), -2);
    }

    #[test]
    fn ranks_follow_the_better_direction_and_share_ties() {
        let values = [10, 20, 20, 30];
        assert_eq!(rank(10, &values, Better::Lower), 1);
        assert_eq!(rank(10, &values, Better::Higher), 4);
        assert_eq!(rank(20, &values, Better::Higher), 2);
        assert_eq!(rank(30, &values, Better::Lower), 4);
    }

    #[test]
    fn year_on_year_change() {
        assert_eq!(change_percent(4, 10), Some(150));
        assert_eq!(change_percent(3, 2), Some(-33));
        assert_eq!(change_percent(0, 5), None);
    }

    #[test]
    fn periods_parse_and_order() {
        let p: Period = "2026/27 Q2".parse().unwrap();
        assert_eq!(p.to_string(), "2026/27 Q2");
        let y: Period = "2026/27".parse().unwrap();
        assert!(y < p);
        for bad in ["2026/27 Q5", "2026/27Q1", "2026/28", "2026/27 q1", ""] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn closed_is_final_and_steps_are_checked() {
        use OpportunityStatus as S;
        assert!(S::Idea.check_move(S::Scoping).is_ok());
        assert!(S::Idea.check_move(S::Delivered).is_err());
        assert!(S::Closed.check_move(S::Idea).is_err());
        assert!(S::Agreed.check_move(S::Agreed).is_ok());
    }

    #[test]
    fn candidate_windows_are_inclusive() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let p = |k: u8, a: &str, s: &str| Planned {
            key: k,
            authority: a.into(),
            start: d(s),
        };
        let groups = candidate_groups(
            vec![
                p(1, "RCH", "2026-01-01"),
                p(2, "TAM", "2026-07-01"),
                p(3, "SKP", "2026-07-02"),
            ],
            6,
        );
        let keys: Vec<Vec<u8>> = groups
            .iter()
            .map(|g| g.iter().map(|p| p.key).collect())
            .collect();
        assert_eq!(keys, vec![vec![1, 2], vec![2, 3]]);
        let same = candidate_groups(
            vec![p(1, "RCH", "2026-01-01"), p(2, "RCH", "2026-02-01")],
            6,
        );
        assert!(same.is_empty());
    }
}
