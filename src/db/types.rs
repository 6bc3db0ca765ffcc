//! How domain value types are stored: diesel conversions for enums kept as text and for newtypes.

use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Date as SqlDate, Int2, Int8, Text};

use crate::domain::contracts::{ContractStatus, LeadTimeMonths};
use crate::domain::intentions::{
    Decision, ImprovementCategory, IntentionStatus, Priority, Tranche,
};
use crate::domain::pids::{
    ContractType, PidStatus, Regime, Route, SignOffOutcome, SignOffRole, ThresholdKind,
};
use crate::domain::risks::{Impact, Likelihood, RiskStatus, Score};
use crate::domain::values::{Date, FinancialYear, Pence};

/// Text columns holding an enum's snake_case name (CHECK constraints list the names).
macro_rules! text_column {
    ($($ty:ty),+) => {$(
        impl ToSql<Text, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                let text: &'static str = self.into();
                <str as ToSql<Text, Pg>>::to_sql(text, &mut out.reborrow())
            }
        }
        impl FromSql<Text, Pg> for $ty {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                text.parse().map_err(|_| format!("unexpected {} {text:?}", stringify!($ty)).into())
            }
        }
    )+};
}

text_column!(
    Priority,
    IntentionStatus,
    Decision,
    ContractStatus,
    RiskStatus
);

text_column!(
    Regime,
    ContractType,
    Route,
    PidStatus,
    SignOffRole,
    SignOffOutcome,
    ThresholdKind
);

text_column!(
    crate::domain::governance::WaiverReason,
    crate::domain::governance::WaiverStatus,
    crate::domain::governance::WaiverDecision,
    crate::domain::governance::WaiverApprover,
    crate::domain::governance::BreachKind,
    crate::domain::governance::HowFound,
    crate::domain::governance::BreachStatus
);

/// Newtypes over a number or date, checked again on the way out of the database.
macro_rules! number_column {
    ($($ty:ty => $sql:ty, $raw:ty);+ $(;)?) => {$(
        impl ToSql<$sql, Pg> for $ty {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                let raw: $raw = (*self).into();
                <$raw as ToSql<$sql, Pg>>::to_sql(&raw, &mut out.reborrow())
            }
        }
        impl FromSql<$sql, Pg> for $ty {
            fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
                let raw = <$raw as FromSql<$sql, Pg>>::from_sql(bytes)?;
                <$ty>::try_from(raw).map_err(Into::into)
            }
        }
    )+};
}

number_column! {
    Date => SqlDate, chrono::NaiveDate;
    Pence => Int8, i64;
    Tranche => Int2, i16;
    ImprovementCategory => Int2, i16;
    Likelihood => Int2, i16;
    Impact => Int2, i16;
    Score => Int2, i16;
    LeadTimeMonths => Int2, i16;
}

impl ToSql<Text, Pg> for FinancialYear {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <String as ToSql<Text, Pg>>::to_sql(&self.to_string(), &mut out.reborrow())
    }
}

impl FromSql<Text, Pg> for FinancialYear {
    fn from_sql(bytes: PgValue<'_>) -> deserialize::Result<Self> {
        let text = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        text.parse().map_err(Into::into)
    }
}
