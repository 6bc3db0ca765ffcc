//! Savings lines (DESIGN.md §2): their kinds, confidence, status and probability, the monthly
//! profile (and how quarters split into months), the risk-adjusted figure, the dimensions the
//! forecast groups by, and money as pounds for CSV. Every figure is integer pence.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;
use crate::domain::values::bounded_number;

/// Roles that may create, change and delete their own authority's savings lines.
pub const WRITERS: &[Role] = &[Role::Commissioner, Role::Procurement, Role::Finance];

/// Roles that read every savings line of their own authority.
pub const READERS: &[Role] = &[
    Role::Finance,
    Role::Commissioner,
    Role::Procurement,
    Role::Admin,
    Role::Auditor,
];

/// The authority code of a STAR-wide token: with `finance` it reads all four authorities.
pub const STAR: &str = "STAR";

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($v:ident),+ $(,)? }) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema,
            strum::EnumString, strum::IntoStaticStr, strum::VariantArray,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum $name { $($v),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    };
}

text_enum!(
    /// What kind of saving: `price_reduction`, `demand_management`, `cost_avoidance` or `income`.
    SavingsKind { PriceReduction, DemandManagement, CostAvoidance, Income }
);
text_enum!(
    /// Confidence as a RAG rating: `red`, `amber` or `green`.
    SavingsConfidence { Red, Amber, Green }
);
text_enum!(
    /// Where a saving stands: `target`, `forecast`, `achieved` or `lost`. Lost lines stay in the
    /// forecast (filter them out with `status`).
    SavingsStatus { Target, Forecast, Achieved, Lost }
);

bounded_number!(
    Probability,
    0,
    100,
    "probability",
    "How likely the saving is to be delivered, in whole per cent (0 to 100).",
    75
);

/// The months of a profile: month 1 is April, month 12 March (periods 1 to 12 of the year).
pub type Months = [i64; 12];

/// Split four quarter amounts into months exactly: each month gets amount / 3 (integer division)
/// and the remainder (0, 1 or 2 pence) goes one penny each to the first month(s) of the quarter.
/// So 100 becomes 34, 33, 33 and 101 becomes 34, 34, 33.
pub fn split_quarters(quarters: [i64; 4]) -> Months {
    let mut months = [0; 12];
    for (q, amount) in quarters.into_iter().enumerate() {
        let (base, rem) = (amount / 3, amount % 3);
        for m in 0..3 {
            months[q * 3 + m] = base + i64::from((m as i64) < rem);
        }
    }
    months
}

/// The risk-adjusted value of one month of one line: amount × probability / 100 rounded half up
/// (to the nearest penny, halves up). Amounts are never negative.
pub fn risk_adjust(amount: i64, probability: i16) -> i64 {
    (amount * i64::from(probability) + 50) / 100
}

/// A line's risk-adjusted total: the sum of its months' risk-adjusted values, so that a forecast
/// grouped by month, by quarter or by year adds up to the same total.
pub fn risk_adjusted_total(months: &Months, probability: i16) -> i64 {
    months.iter().map(|m| risk_adjust(*m, probability)).sum()
}

text_enum!(
    /// A dimension the forecast can group and filter by.
    SavingsDimension {
        Authority,
        FinancialYear,
        Quarter,
        Month,
        Category,
        Status,
        Cashable,
        BudgetCode
    }
);

impl SavingsDimension {
    /// Whether grouping by it splits lines into their months.
    pub fn needs_months(self) -> bool {
        matches!(self, SavingsDimension::Quarter | SavingsDimension::Month)
    }
}

/// Parse `group_by`: a comma-separated list of distinct dimensions (possibly empty).
pub fn parse_group_by(text: &str) -> Result<Vec<SavingsDimension>, String> {
    let mut dims = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let d: SavingsDimension = part.parse().map_err(|_| {
            format!(
                "{part:?} is not a dimension; use authority, financial_year, quarter, month, category, status, cashable or budget_code"
            )
        })?;
        if dims.contains(&d) {
            return Err(format!("{part} is given twice"));
        }
        dims.push(d);
    }
    Ok(dims)
}

/// Pence as pounds with two decimals, e.g. 123456 as `1234.56` and -5 as `-0.05`.
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let p = pence.unsigned_abs();
    format!("{sign}{}.{:02}", p / 100, p % 100)
}

/// A budget code: free text, at most 100 characters once trimmed (empty when not known).
pub fn check_budget_code(code: &str) -> Result<String, String> {
    let code = code.trim();
    if code.chars().count() > 100 {
        Err("must be at most 100 characters".into())
    } else {
        Ok(code.to_string())
    }
}

/// A snapshot's label, 1 to 200 characters once trimmed.
pub fn check_label(label: &str) -> Result<String, String> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 200 {
        Err("must be 1 to 200 characters".into())
    } else {
        Ok(label.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_split_exactly_with_the_remainder_first() {
        let m = split_quarters([100, 101, 3, 0]);
        assert_eq!(m, [34, 33, 33, 34, 34, 33, 1, 1, 1, 0, 0, 0]);
        assert_eq!(m.iter().sum::<i64>(), 204);
    }

    #[test]
    fn risk_adjustment_rounds_half_up_per_month() {
        assert_eq!(risk_adjust(150, 1), 2); // 1.5 → 2
        assert_eq!(risk_adjust(149, 1), 1);
        assert_eq!(risk_adjust(1000, 75), 750);
        let mut months = [0; 12];
        months[0] = 150;
        months[1] = 150;
        assert_eq!(risk_adjusted_total(&months, 1), 4);
    }

    #[test]
    fn pounds_have_two_decimals() {
        assert_eq!(pounds(123456), "1234.56");
        assert_eq!(pounds(5), "0.05");
        assert_eq!(pounds(0), "0.00");
        assert_eq!(pounds(-5), "-0.05");
    }

    #[test]
    fn group_by_is_checked() {
        assert_eq!(
            parse_group_by("authority, quarter").unwrap(),
            vec![SavingsDimension::Authority, SavingsDimension::Quarter]
        );
        assert!(parse_group_by("authority,authority").is_err());
        assert!(parse_group_by("colour").is_err());
        assert!(parse_group_by("").unwrap().is_empty());
    }
}
