//! Off-contract spend: reading a council's spend file (amounts, dates, supplier names
//! normalised for matching), matching a line to a contract, and the share of spend off contract.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Role;

/// Roles that may import their own authority's spend file.
pub const WRITERS: &[Role] = &[Role::Procurement, Role::Finance, Role::Admin];

/// Unmatched lines above this many pence are off-contract unless a caller names another
/// threshold: £500, the Transparency Code's publication threshold.
pub const DEFAULT_THRESHOLD_PENCE: i64 = 50_000;

/// Words dropped from the end of a supplier's name: legal forms that vary between the spend file
/// and the contract register.
const LEGAL_SUFFIXES: &[&str] = &["ltd", "limited", "plc", "llp", "cic", "inc", "llc"];

/// A supplier's name as matching compares it: lower case, `&` read as `and`, every other
/// character that is not a letter or digit read as a space, runs of spaces as one, a leading
/// `the` and trailing legal forms (`ltd`, `limited`, `plc`, `llp`, `cic`, `inc`, `llc`) dropped.
/// `The Brook (Rochdale) Ltd.` and `BROOK ROCHDALE LIMITED` are both `brook rochdale`.
pub fn supplier_key(name: &str) -> String {
    let spaced: String = name
        .to_lowercase()
        .replace('&', " and ")
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = spaced.split_whitespace().collect();
    if words.len() > 1 && words[0] == "the" {
        words.remove(0);
    }
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// An amount in pounds as spend files write it (`1234.56`, `£1,234.5`, `-20`, `(20.00)` for a
/// credit) as exact pence. At most two decimals; no floating point on the way.
pub fn parse_amount(text: &str) -> Result<i64, String> {
    let complaint = || format!("expected an amount in pounds like 1234.56, not {text:?}");
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, '£' | ',' | ' '))
        .collect();
    let (negative, digits) =
        if let Some(inner) = cleaned.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
            (true, inner)
        } else if let Some(rest) = cleaned.strip_prefix('-') {
            (true, rest)
        } else {
            (false, cleaned.as_str())
        };
    let (pounds, pence) = match digits.split_once('.') {
        Some((p, d)) if d.len() <= 2 => (p, format!("{d:0<2}")),
        Some(_) => return Err(complaint()),
        None => (digits, "00".to_string()),
    };
    if pounds.is_empty() && pence == "00"
        || !pounds.chars().all(|c| c.is_ascii_digit())
        || !pence.chars().all(|c| c.is_ascii_digit())
    {
        return Err(complaint());
    }
    let pounds: i64 = if pounds.is_empty() {
        0
    } else {
        pounds.parse().map_err(|_| complaint())?
    };
    let pence: i64 = pence.parse().map_err(|_| complaint())?;
    let total = pounds
        .checked_mul(100)
        .and_then(|p| p.checked_add(pence))
        .filter(|p| *p <= crate::domain::values::Pence::MAX)
        .ok_or_else(|| format!("{text:?} is more than the largest amount accepted"))?;
    Ok(if negative { -total } else { total })
}

/// A payment date as spend files write it: `2026-04-30` or `30/04/2026`.
pub fn parse_spend_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .ok()
        .filter(|d| crate::domain::values::plausible_year(chrono::Datelike::year(d)))
        .ok_or_else(|| format!("expected a date like 2026-04-30 or 30/04/2026, not {text:?}"))
}

/// A contract's term as matching sees it.
pub struct Term {
    pub id: Uuid,
    pub supplier_key: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// The contract a spend line is matched to: one of the authority's contracts whose supplier has
/// the same key and whose term (start to end date, both included) holds the payment date. Where
/// several do, the one that started last (then the lowest id), so the answer is stable.
pub fn match_line(terms: &[Term], supplier_key: &str, date: NaiveDate) -> Option<Uuid> {
    terms
        .iter()
        .filter(|t| t.supplier_key == supplier_key && t.start <= date && date <= t.end)
        .max_by(|a, b| a.start.cmp(&b.start).then(b.id.cmp(&a.id)))
        .map(|t| t.id)
}

/// How a spend line stands: `matched` to a contract, or unmatched and `off_contract` (above the
/// threshold) or `below_threshold`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    ToSchema,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum SpendMatch {
    Matched,
    OffContract,
    BelowThreshold,
}

impl SpendMatch {
    pub fn of(contract_id: Option<Uuid>, amount_pence: i64, threshold_pence: i64) -> Self {
        match contract_id {
            Some(_) => SpendMatch::Matched,
            None if amount_pence > threshold_pence => SpendMatch::OffContract,
            None => SpendMatch::BelowThreshold,
        }
    }
}

/// What off-contract spend may be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum SpendDimension {
    Authority,
    Quarter,
    Supplier,
}

/// `group_by` as a comma-separated list of `authority`, `quarter`, `supplier`, each at most
/// once; empty means one group of everything.
pub fn parse_group_by(text: &str) -> Result<Vec<SpendDimension>, String> {
    let mut dims = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let dim = match part {
            "authority" => SpendDimension::Authority,
            "quarter" => SpendDimension::Quarter,
            "supplier" => SpendDimension::Supplier,
            _ => {
                return Err(format!(
                    "{part:?} is not a dimension; use authority, quarter or supplier"
                ));
            }
        };
        if dims.contains(&dim) {
            return Err(format!("{part} is named twice"));
        }
        dims.push(dim);
    }
    Ok(dims)
}

/// `part` as a share of `whole` in integer basis points (1/100 of a percent), rounded half up;
/// `None` when the whole is not positive.
pub fn share_bp(part: i64, whole: i64) -> Option<i64> {
    if whole <= 0 {
        return None;
    }
    let (part, whole) = (i128::from(part), i128::from(whole));
    let bp = (part * 20_000 + whole).div_euclid(2 * whole);
    i64::try_from(bp).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn supplier_names_normalise_for_matching() {
        assert_eq!(supplier_key("The Brook (Rochdale) Ltd."), "brook rochdale");
        assert_eq!(supplier_key("BROOK  ROCHDALE LIMITED"), "brook rochdale");
        assert_eq!(
            supplier_key("Smith & Sons Care Homes plc"),
            "smith and sons care homes"
        );
        assert_eq!(supplier_key("Ltd"), "ltd");
        assert_eq!(supplier_key("The"), "the");
    }

    #[test]
    fn amounts_are_exact_pence() {
        assert_eq!(parse_amount("1234.56"), Ok(123_456));
        assert_eq!(parse_amount("£1,234.5"), Ok(123_450));
        assert_eq!(parse_amount("-20"), Ok(-2_000));
        assert_eq!(parse_amount("(20.00)"), Ok(-2_000));
        assert_eq!(parse_amount(".5"), Ok(50));
        assert!(parse_amount("12.345").is_err());
        assert!(parse_amount("1e3").is_err());
        assert!(parse_amount("").is_err());
        assert!(parse_amount(".").is_err());
        assert!(parse_amount("99999999999999999999").is_err());
    }

    #[test]
    fn dates_are_iso_or_british() {
        let d = NaiveDate::from_ymd_opt(2026, 4, 30).unwrap();
        assert_eq!(parse_spend_date("2026-04-30"), Ok(d));
        assert_eq!(parse_spend_date("30/04/2026"), Ok(d));
        assert!(parse_spend_date("04/30/2026").is_err());
    }

    #[test]
    fn shares_round_half_up_in_basis_points() {
        assert_eq!(share_bp(1, 3), Some(3333));
        assert_eq!(share_bp(2, 3), Some(6667));
        assert_eq!(share_bp(1, 20_000), Some(1));
        assert_eq!(share_bp(5, 5), Some(10_000));
        assert_eq!(share_bp(5, 0), None);
    }

    #[test]
    fn a_line_matches_the_latest_term_holding_its_date() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let terms = [
            Term {
                id: a,
                supplier_key: "care".into(),
                start: day(1, 1),
                end: day(12, 31),
            },
            Term {
                id: b,
                supplier_key: "care".into(),
                start: day(6, 1),
                end: day(6, 30),
            },
        ];
        assert_eq!(match_line(&terms, "care", day(6, 15)), Some(b));
        assert_eq!(match_line(&terms, "care", day(7, 1)), Some(a));
        assert_eq!(match_line(&terms, "other", day(7, 1)), None);
        assert_eq!(
            SpendMatch::of(None, 50_001, 50_000),
            SpendMatch::OffContract
        );
        assert_eq!(
            SpendMatch::of(None, 50_000, 50_000),
            SpendMatch::BelowThreshold
        );
        assert_eq!(SpendMatch::of(Some(a), 1, 50_000), SpendMatch::Matched);
    }
}
