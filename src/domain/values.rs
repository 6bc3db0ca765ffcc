//! Constrained values shared by every area. Their constructors refuse bad input, so past the edge
//! of the API a value of one of these types is valid by construction.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// OpenAPI schema of a constrained string, named after its Rust type.
macro_rules! string_schema {
    ($ty:ty, $pattern:expr, $example:expr, $description:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .description(Some($description))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}
pub(crate) use string_schema;

/// A whole number on a fixed scale (a tranche, a likelihood, a lead time in months): refused
/// outside `$min..=$max`, with its OpenAPI schema, stored as a `smallint` (see `db::types`).
macro_rules! bounded_number {
    ($name:ident, $min:expr, $max:expr, $label:expr, $description:expr, $example:expr) => {
        #[doc = $description]
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            PartialOrd,
            Ord,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Int2)]
        #[serde(try_from = "i16", into = "i16")]
        pub struct $name(i16);

        impl $name {
            pub fn get(self) -> i16 {
                self.0
            }
        }

        impl TryFrom<i16> for $name {
            type Error = String;
            fn try_from(v: i16) -> Result<Self, String> {
                if ($min..=$max).contains(&v) {
                    Ok(Self(v))
                } else {
                    Err(format!(
                        "{} must be from {} to {}, not {v}",
                        $label, $min, $max
                    ))
                }
            }
        }

        impl From<$name> for i16 {
            fn from(v: $name) -> i16 {
                v.0
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .minimum(Some($min))
                    .maximum(Some($max))
                    .description(Some($description))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use bounded_number;

/// A UK public-sector financial year, 1 April to 31 March, written `2026/27`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(try_from = "String", into = "String")]
pub struct FinancialYear {
    start: i32,
}

impl FinancialYear {
    pub fn starting(start: i32) -> Result<Self, String> {
        if (2000..=2099).contains(&start) {
            Ok(Self { start })
        } else {
            Err(format!(
                "financial year must start between 2000 and 2099, not {start}"
            ))
        }
    }

    /// The calendar year in which the financial year starts (2026 for 2026/27).
    pub fn start_year(self) -> i32 {
        self.start
    }

    /// 1 April of the start year.
    pub fn first_day(self) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(self.start, 4, 1).expect("1 April exists")
    }
}

impl FromStr for FinancialYear {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("expected a financial year like 2026/27, not {s:?}");
        let (start, end) = s.split_once('/').ok_or_else(bad)?;
        if start.len() != 4
            || end.len() != 2
            || !start.bytes().chain(end.bytes()).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let start: i32 = start.parse().map_err(|_| bad())?;
        let end: i32 = end.parse().map_err(|_| bad())?;
        if end != (start + 1) % 100 {
            return Err(format!(
                "{s:?} is not a financial year: {start}/{:02} would be",
                (start + 1) % 100
            ));
        }
        Self::starting(start)
    }
}

impl fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{:02}", self.start, (self.start + 1) % 100)
    }
}

impl TryFrom<String> for FinancialYear {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<FinancialYear> for String {
    fn from(fy: FinancialYear) -> String {
        fy.to_string()
    }
}

string_schema!(
    FinancialYear,
    r"^20[0-9]{2}/[0-9]{2}$",
    "2026/27",
    "Financial year, 1 April to 31 March, as `YYYY/YY` where the second part is the following year."
);

/// An amount of money in whole pence (GBP), never negative.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Int8)]
#[serde(try_from = "i64", into = "i64")]
pub struct Pence(i64);

impl Pence {
    /// The largest amount accepted: £1 trillion. Far above any contract, and low enough that the
    /// sums reports make over many records cannot overflow.
    pub const MAX: i64 = 100_000_000_000_000;

    pub fn value(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for Pence {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if v < 0 {
            Err(format!("an amount in pence cannot be negative ({v})"))
        } else if v > Pence::MAX {
            Err(format!(
                "{v} pence is more than the largest amount accepted ({})",
                Pence::MAX
            ))
        } else {
            Ok(Pence(v))
        }
    }
}

impl From<Pence> for i64 {
    fn from(p: Pence) -> i64 {
        p.0
    }
}

impl utoipa::PartialSchema for Pence {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(0))
            .maximum(Some(Pence::MAX))
            .description(Some(
                "An amount of money in whole pence (GBP), from 0 to £1 trillion.",
            ))
            .examples([serde_json::json!(125_000_000)])
            .into()
    }
}
impl utoipa::ToSchema for Pence {}

/// An authority's short code: SKP, TAM, TRF, RCH, or one an admin added.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AuthorityCode(String);

impl AuthorityCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AuthorityCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if (2..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s.to_string()))
        } else {
            Err(format!(
                "expected an authority code of 2 to 6 capital letters (e.g. RCH), not {s:?}"
            ))
        }
    }
}

impl TryFrom<String> for AuthorityCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<AuthorityCode> for String {
    fn from(c: AuthorityCode) -> String {
        c.0
    }
}

impl fmt::Display for AuthorityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_schema!(
    AuthorityCode,
    "^[A-Z]{2,6}$",
    "RCH",
    "An authority's short code, e.g. SKP, TAM, TRF, RCH."
);

/// A Common Procurement Vocabulary code with its check digit, e.g. `85310000-5`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CpvCode(String);

impl FromStr for CpvCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        let ok = b.len() == 10
            && b[8] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 8 || c.is_ascii_digit());
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(format!("expected a CPV code like 85310000-5, not {s:?}"))
        }
    }
}

impl TryFrom<String> for CpvCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<CpvCode> for String {
    fn from(c: CpvCode) -> String {
        c.0
    }
}

string_schema!(
    CpvCode,
    r"^[0-9]{8}-[0-9]$",
    "85310000-5",
    "A CPV code with its check digit."
);

/// A category's code: lower-case words joined by hyphens, e.g. `home-care`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CategoryCode(String);

impl CategoryCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CategoryCode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(format!(
                "expected a category code like home-care, not {s:?}"
            ))
        }
    }
}

impl TryFrom<String> for CategoryCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<CategoryCode> for String {
    fn from(c: CategoryCode) -> String {
        c.0
    }
}

string_schema!(
    CategoryCode,
    "^[a-z0-9]+(-[a-z0-9]+)*$",
    "home-care",
    "A category or subcategory code."
);

/// A calendar date in the years 1900 to 2999: wide enough for any plan or contract, narrow enough
/// that PostgreSQL can always store it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Date)]
#[serde(try_from = "chrono::NaiveDate", into = "chrono::NaiveDate")]
pub struct Date(chrono::NaiveDate);

impl Date {
    pub fn get(self) -> chrono::NaiveDate {
        self.0
    }
}

/// Whether a year is one the service stores (dates and timestamps alike).
pub fn plausible_year(year: i32) -> bool {
    (1900..=2999).contains(&year)
}

impl TryFrom<chrono::NaiveDate> for Date {
    type Error = String;
    fn try_from(d: chrono::NaiveDate) -> Result<Self, String> {
        use chrono::Datelike;
        if plausible_year(d.year()) {
            Ok(Date(d))
        } else {
            Err(format!("{d} is outside the years 1900 to 2999"))
        }
    }
}

impl From<Date> for chrono::NaiveDate {
    fn from(d: Date) -> chrono::NaiveDate {
        d.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl utoipa::PartialSchema for Date {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )))
            .description(Some(
                "An ISO 8601 date (YYYY-MM-DD) in the years 1900 to 2999.",
            ))
            .examples([serde_json::json!("2027-04-01")])
            .into()
    }
}
impl utoipa::ToSchema for Date {}

/// Defines a string newtype whose values must pass `valid`.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $valid:expr, $expected:expr, $pattern:expr, $example:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                let valid: fn(&str) -> bool = $valid;
                if valid(&s) { Ok(Self(s)) } else { Err(format!("expected {}, not {s:?}", $expected)) }
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        $crate::domain::values::string_schema!($name, $pattern, $example, $expected);
    };
}
pub(crate) use checked_string;

checked_string!(
    /// ONS Government Statistical Service code of an area, e.g. `E08000005` for Rochdale.
    GssCode,
    |s| s.len() == 9 && s.starts_with(['E', 'W', 'S', 'N', 'K']) && s[1..].bytes().all(|b| b.is_ascii_digit()),
    "an ONS GSS code like E08000005", r"^[EWSNK][0-9]{8}$", "E08000005"
);

checked_string!(
    /// Organisation identifier in the Local Authorities (England) register, e.g. `GB-LAE-RCH`.
    LaeIdentifier,
    |s| s.strip_prefix("GB-LAE-").is_some_and(|c| (2..=6).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())),
    "a GB-LAE organisation identifier like GB-LAE-RCH", r"^GB-LAE-[A-Z0-9]{2,6}$", "GB-LAE-RCH"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financial_year_parses_and_refuses() {
        assert_eq!(
            "2026/27".parse::<FinancialYear>().unwrap().start_year(),
            2026
        );
        assert_eq!(
            "2099/00".parse::<FinancialYear>().unwrap().to_string(),
            "2099/00"
        );
        for bad in [
            "2026/28",
            "2026-27",
            "26/27",
            "2026/2027",
            "abcd/ef",
            "1999/00",
            "",
        ] {
            assert!(
                bad.parse::<FinancialYear>().is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn dates_stay_within_storable_years() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        assert!(Date::try_from(d("2027-04-01")).is_ok());
        assert!(Date::try_from(d("1899-12-31")).is_err());
        assert!(Date::try_from(d("3000-01-01")).is_err());
    }

    #[test]
    fn pence_refuses_negative() {
        assert!(Pence::try_from(-1).is_err());
        assert_eq!(Pence::try_from(0).unwrap().value(), 0);
    }

    #[test]
    fn codes_refuse_bad_shapes() {
        assert!("RCH".parse::<AuthorityCode>().is_ok());
        assert!("rch".parse::<AuthorityCode>().is_err());
        assert!("85310000-5".parse::<CpvCode>().is_ok());
        assert!("853100005".parse::<CpvCode>().is_err());
        assert!("home-care".parse::<CategoryCode>().is_ok());
        assert!("Home Care".parse::<CategoryCode>().is_err());
        assert!("home--care".parse::<CategoryCode>().is_err());
    }
}
