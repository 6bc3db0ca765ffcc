//! Capacity planning rules: posts and their FTE, the FTE an activity demands, and the gap between
//! them worked out in integer hundredths (3700 = 37 hours, 50 = 0.5 FTE), never floats.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Role;
use crate::domain::intentions::Tranche;
use crate::domain::values::FinancialYear;

/// Roles that may change their own authority's establishment and demand estimates.
pub const WRITERS: &[Role] = &[Role::Commissioner, Role::Admin];

/// Full-time hours a week, in hundredths, when a post does not say: 37 hours.
pub const DEFAULT_FULL_TIME_HOURS_HUNDREDTHS: i32 = 3700;

/// At most this many financial years in one capacity report.
pub const MAX_YEARS: i32 = 10;

/// Whether a post is held: `filled`, `vacant`, `interim` (covered by an interim) or `secondment`
/// (held by someone seconded in). Every status but `vacant` counts as FTE in post.
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
pub enum PostStatus {
    #[default]
    Filled,
    Vacant,
    Interim,
    Secondment,
}

impl PostStatus {
    /// Whether the post's hours count towards the FTE in post (all but vacancies do).
    pub fn in_post(self) -> bool {
        self != PostStatus::Vacant
    }
}

/// A team name: 1 to 60 characters once trimmed, e.g. `commissioning`, `contracts`, `brokerage`,
/// `head_of_service`, or free text. Posts and demand match on it exactly.
pub fn check_team(team: &str) -> Result<String, String> {
    check_text(team, 60)
}

/// A post title or a business-as-usual activity's name: 1 to 200 characters once trimmed.
pub fn check_title(title: &str) -> Result<String, String> {
    check_text(title, 200)
}

/// A grade: at most 60 characters once trimmed (may be empty).
pub fn check_grade(grade: &str) -> Result<String, String> {
    let grade = grade.trim();
    if grade.chars().count() > 60 {
        Err("must be at most 60 characters".into())
    } else {
        Ok(grade.to_string())
    }
}

fn check_text(text: &str, max: usize) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max {
        Err(format!("must be 1 to {max} characters"))
    } else {
        Ok(text.to_string())
    }
}

/// Contracted hours a week in hundredths: more than 0, at most 60 hours (6000).
pub fn check_contracted_hours(h: i32) -> Result<i32, String> {
    if (1..=6000).contains(&h) {
        Ok(h)
    } else {
        Err(format!(
            "must be from 1 to 6000 (hundredths of an hour: 3700 is 37 hours), not {h}"
        ))
    }
}

/// Full-time hours a week in hundredths: 1 to 60 hours (100 to 6000).
pub fn check_full_time_hours(h: i32) -> Result<i32, String> {
    if (100..=6000).contains(&h) {
        Ok(h)
    } else {
        Err(format!(
            "must be from 100 to 6000 (hundredths of an hour: 3700 is 37 hours), not {h}"
        ))
    }
}

/// A demand estimate in hundredths of an FTE: more than 0, at most 1,000 FTE (100000).
pub fn check_fte(fte: i32) -> Result<i32, String> {
    if (1..=100_000).contains(&fte) {
        Ok(fte)
    } else {
        Err(format!(
            "must be from 1 to 100000 (hundredths of an FTE: 50 is 0.5 FTE), not {fte}"
        ))
    }
}

/// A post's FTE in hundredths: contracted ÷ full-time hours, rounded half up to the hundredth
/// (30 of 37 hours is 0.8108… so 81). Each post is rounded once and teams add the rounded figures,
/// so a team's FTE always equals the sum of its posts as listed.
pub fn post_fte(contracted_hundredths: i32, full_time_hundredths: i32) -> i64 {
    let (c, f) = (
        i64::from(contracted_hundredths),
        i64::from(full_time_hundredths.max(1)),
    );
    (c * 200 + f) / (2 * f)
}

/// The financial years from `from` to `to` inclusive, or why the range is refused.
pub fn year_range(
    from: FinancialYear,
    to: FinancialYear,
) -> Result<Vec<FinancialYear>, (&'static str, String)> {
    if to < from {
        return Err(("to_fy", format!("must not be before from_fy ({from})")));
    }
    let years = to.start_year() - from.start_year() + 1;
    if years > MAX_YEARS {
        return Err((
            "to_fy",
            format!("a report covers at most {MAX_YEARS} financial years, not {years}"),
        ));
    }
    Ok((from.start_year()..=to.start_year())
        .map(|y| FinancialYear::starting(y).expect("between two valid years"))
        .collect())
}

/// One post as the report counts it.
#[derive(Debug, Clone)]
pub struct PostLoad {
    pub team: String,
    pub fte_hundredths: i64,
    pub status: PostStatus,
}

/// One demand estimate as the report counts it.
#[derive(Debug, Clone)]
pub struct DemandLoad {
    pub id: Uuid,
    pub team: String,
    pub financial_year: FinancialYear,
    pub tranche: Tranche,
    pub fte_hundredths: i64,
}

/// The figures of one team in one year, all in hundredths of an FTE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    pub in_post: i64,
    pub establishment: i64,
    pub demanded: i64,
    /// Demand by tranche: index 0 is tranche 1.
    pub by_tranche: [i64; 5],
}

impl Cell {
    /// Demanded minus in post: positive is a shortfall.
    pub fn gap(&self) -> i64 {
        self.demanded - self.in_post
    }

    fn add(&mut self, other: &Cell) {
        self.in_post += other.in_post;
        self.establishment += other.establishment;
        self.demanded += other.demanded;
        for (a, b) in self.by_tranche.iter_mut().zip(other.by_tranche) {
            *a += b;
        }
    }
}

/// A demand estimate that does not fit in the FTE in post once the ones before it are funded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfunded {
    pub id: Uuid,
    /// The part of the estimate the remaining FTE in post still covers (0 when none is left).
    pub funded: i64,
    /// The part it does not.
    pub shortfall: i64,
}

/// The capacity report: cells by (year, team), totals by year, and the unfunded demand.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub cells: BTreeMap<(FinancialYear, String), Cell>,
    pub totals: BTreeMap<FinancialYear, Cell>,
    pub unfunded: Vec<Unfunded>,
}

/// Work out the report for `years`. The establishment is the same in every year (posts have no
/// dates); every team with a post appears in every year, and a team with demand only in the years
/// it has demand.
///
/// Funding: within each team and year, demand is funded from the FTE in post in priority order —
/// tranche 1 first, then 2, and so on, and within a tranche by demand id (creation order) — until
/// the FTE in post runs out. The estimate that crosses the line is part funded, every later one
/// not at all; both are listed as unfunded, so the shortfalls of a team's year add up to its gap
/// whenever the gap is positive.
pub fn report(years: &[FinancialYear], posts: &[PostLoad], demand: &[DemandLoad]) -> Report {
    let mut r = Report::default();
    let mut establishment: BTreeMap<&str, Cell> = BTreeMap::new();
    for p in posts {
        let cell = establishment.entry(p.team.as_str()).or_default();
        cell.establishment += p.fte_hundredths;
        if p.status.in_post() {
            cell.in_post += p.fte_hundredths;
        }
    }
    for &fy in years {
        r.totals.insert(fy, Cell::default());
        for (team, cell) in &establishment {
            r.cells.insert((fy, team.to_string()), cell.clone());
        }
    }
    let mut ordered: Vec<&DemandLoad> = demand
        .iter()
        .filter(|d| years.contains(&d.financial_year))
        .collect();
    ordered.sort_by_key(|d| (d.tranche, d.id));
    // What is left of each team's FTE in post in each year as demand is funded.
    let mut left: BTreeMap<(FinancialYear, &str), i64> = BTreeMap::new();
    for d in ordered {
        let key = (d.financial_year, d.team.clone());
        let cell = r.cells.entry(key).or_insert_with(|| {
            establishment
                .get(d.team.as_str())
                .cloned()
                .unwrap_or_default()
        });
        cell.demanded += d.fte_hundredths;
        cell.by_tranche[(d.tranche.get() - 1) as usize] += d.fte_hundredths;
        let remaining = left
            .entry((d.financial_year, d.team.as_str()))
            .or_insert(cell.in_post);
        let funded = d.fte_hundredths.min(*remaining).max(0);
        *remaining -= funded;
        if funded < d.fte_hundredths {
            r.unfunded.push(Unfunded {
                id: d.id,
                funded,
                shortfall: d.fte_hundredths - funded,
            });
        }
    }
    for ((fy, _), cell) in &r.cells {
        r.totals.entry(*fy).or_default().add(cell);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fy(s: &str) -> FinancialYear {
        s.parse().unwrap()
    }

    #[test]
    fn post_fte_rounds_half_up_to_the_hundredth() {
        assert_eq!(post_fte(3700, 3700), 100);
        assert_eq!(post_fte(3000, 3700), 81);
        assert_eq!(post_fte(2250, 3700), 61);
        assert_eq!(post_fte(3500, 3700), 95);
        assert_eq!(post_fte(1850, 3700), 50);
        assert_eq!(post_fte(2960, 3700), 80);
        // 0.125 rounds up to 0.13.
        assert_eq!(post_fte(500, 4000), 13);
    }

    #[test]
    fn ranges_are_inclusive_and_at_most_ten_years() {
        assert_eq!(year_range(fy("2026/27"), fy("2026/27")).unwrap().len(), 1);
        assert_eq!(year_range(fy("2026/27"), fy("2035/36")).unwrap().len(), 10);
        assert_eq!(
            year_range(fy("2026/27"), fy("2036/37")).unwrap_err().0,
            "to_fy"
        );
        assert!(year_range(fy("2027/28"), fy("2026/27")).is_err());
    }

    #[test]
    fn funding_goes_tranche_by_tranche_and_part_funds_the_one_crossing_the_line() {
        let year = fy("2026/27");
        let posts = [PostLoad {
            team: "commissioning".into(),
            fte_hundredths: 200,
            status: PostStatus::Filled,
        }];
        let id = |n: u128| Uuid::from_u128(n);
        let d = |n, tranche: i16, fte| DemandLoad {
            id: id(n),
            team: "commissioning".into(),
            financial_year: year,
            tranche: Tranche::try_from(tranche).unwrap(),
            fte_hundredths: fte,
        };
        let r = report(&[year], &posts, &[d(1, 3, 50), d(2, 1, 150), d(3, 2, 100)]);
        let cell = &r.cells[&(year, "commissioning".to_string())];
        assert_eq!(cell.demanded, 300);
        assert_eq!(cell.gap(), 100);
        assert_eq!(cell.by_tranche, [150, 100, 50, 0, 0]);
        assert_eq!(
            r.unfunded,
            vec![
                Unfunded {
                    id: id(3),
                    funded: 50,
                    shortfall: 50
                },
                Unfunded {
                    id: id(1),
                    funded: 0,
                    shortfall: 50
                },
            ]
        );
    }
}
