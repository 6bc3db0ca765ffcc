//! Publication rules and the OCDS 1.1 shapes: which intentions may be published, how a recorded
//! intention becomes a planning release, and the pipeline notice's threshold and period.

use chrono::{DateTime, Months, NaiveDate, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::intentions::IntentionStatus;
use crate::domain::values::FinancialYear;

/// Statuses in which an intention may be published: the board has approved it (and it may since
/// have gone to procurement, been awarded or closed). Drafts, undecided, rejected, deferred and
/// withdrawn intentions are the authority's own business until approved.
pub const PUBLISHABLE: &[IntentionStatus] = &[
    IntentionStatus::Approved,
    IntentionStatus::InProcurement,
    IntentionStatus::Awarded,
    IntentionStatus::Closed,
];

/// Procurement Act 2023 s.93: the pipeline notice covers each contract with an estimated value
/// of *not less than* £2 million, so the threshold is inclusive.
pub const PIPELINE_THRESHOLD_PENCE: i64 = 200_000_000;

/// The pipeline notice's reporting period, 18 months from 1 April of the financial year, as the
/// half-open range `[1 April, 1 October of the next year)`.
pub fn pipeline_period(year: FinancialYear) -> (NaiveDate, NaiveDate) {
    let from = year.first_day();
    (from, from + Months::new(18))
}

/// Who publishes, and under what ocid prefix and licence.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// Registered with the OCDS helpdesk; `ocds-xxxxxx` is the placeholder for unregistered use.
    pub ocid_prefix: String,
    pub name: String,
    pub license: String,
}

impl From<&crate::config::PublicationConfig> for Publisher {
    fn from(c: &crate::config::PublicationConfig) -> Self {
        Publisher {
            ocid_prefix: c.ocid_prefix.clone(),
            name: c.publisher.clone(),
            license: c.license.clone(),
        }
    }
}

/// The ocid of an intention's planning process.
pub fn ocid(prefix: &str, intention: Uuid) -> String {
    format!("{prefix}-{intention}")
}

/// The intention of an ocid under `prefix`, if it is one of ours.
pub fn intention_of(prefix: &str, ocid: &str) -> Option<Uuid> {
    ocid.strip_prefix(prefix)?
        .strip_prefix('-')
        .and_then(|id| Uuid::parse_str(id).ok())
        .filter(|id| ocid == self::ocid(prefix, *id))
}

/// The fields of an intention's recorded representation (an audit event's `after`) that a
/// release shows; other fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Snapshot {
    pub id: Uuid,
    pub reference: String,
    pub authority: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: String,
    pub financial_year: FinancialYear,
    pub estimated_annual_value_pence: Option<i64>,
    pub estimated_whole_life_value_pence: Option<i64>,
    pub planned_procurement_start: Option<NaiveDate>,
    pub planned_contract_start: Option<NaiveDate>,
    pub status: String,
    pub version: i32,
}

/// The buying authority, as the reference data has it.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub name: String,
    /// `GB-LAE-RCH`: the org-id.guide identifier (scheme GB-LAE).
    pub gb_lae_code: Option<String>,
    /// ONS GSS code, e.g. `E08000005`.
    pub gss_code: Option<String>,
    /// The short code, used when no GB-LAE code is known.
    pub code: String,
}

/// The category an intention is in: its name and CPV codes (`85310000-5`).
#[derive(Debug, Clone)]
pub struct Category {
    pub name: String,
    pub cpv_codes: Vec<String>,
}

/// A PID raised from the intention: the contracting process its planning leads to.
#[derive(Debug, Clone)]
pub struct RelatedPid {
    pub id: Uuid,
    pub reference: String,
    pub title: String,
}

/// One release: an intention as one write left it.
pub struct ReleaseInput<'a> {
    pub event_id: Uuid,
    pub date: DateTime<Utc>,
    pub snapshot: &'a Snapshot,
    /// The first published write of the intention (`planning`); later ones are `planningUpdate`.
    pub first: bool,
    pub buyer: &'a Buyer,
    pub category: Option<&'a Category>,
    /// PIDs raised by the release's date.
    pub pids: &'a [RelatedPid],
}

/// An RFC 3339 timestamp as OCDS writes them (UTC, whole seconds).
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Pence as an OCDS amount in pounds: a JSON number. It is parsed from the exact decimal
/// (`12345.67`), and pence are capped at 10^14 (see `Pence::MAX`), so the pounds have at most 15
/// significant digits: a double holds every such decimal closely enough that it prints back as
/// the same decimal, so the number written is exactly the pence divided by 100.
pub fn amount(pence: i64) -> Value {
    let decimal = crate::domain::savings::pounds(pence);
    let pounds: f64 = decimal.parse().expect("pounds() writes a decimal");
    json!({"amount": pounds, "currency": "GBP"})
}

/// 1 April 00:00 to 31 March 23:59:59, UK time: both days always fall in British Summer Time
/// (the clocks go forward on the last Sunday of March).
fn financial_year_period(year: FinancialYear) -> Value {
    let start = year.first_day();
    let end = NaiveDate::from_ymd_opt(year.start_year() + 1, 3, 31).expect("31 March exists");
    json!({
        "startDate": format!("{start}T00:00:00+01:00"),
        "endDate": format!("{end}T23:59:59+01:00"),
    })
}

fn start_of(day: NaiveDate) -> String {
    format!("{day}T00:00:00Z")
}

/// The party id and organisation of the buyer.
pub fn party(buyer: &Buyer) -> (String, Value) {
    let (id, identifier) = match &buyer.gb_lae_code {
        Some(full) => (
            full.clone(),
            json!({"scheme": "GB-LAE", "id": full.trim_start_matches("GB-LAE-"), "legalName": buyer.name}),
        ),
        None => (
            buyer.code.clone(),
            json!({"id": buyer.code, "legalName": buyer.name}),
        ),
    };
    let mut org = json!({
        "id": id,
        "name": buyer.name,
        "identifier": identifier,
        "roles": ["buyer"],
    });
    if let Some(gss) = &buyer.gss_code {
        org["additionalIdentifiers"] =
            json!([{"scheme": "GB-GSS", "id": gss, "legalName": buyer.name}]);
    }
    (id, org)
}

/// A CPV code as OCDS classifications write it: the eight digits, without the check digit.
fn cpv(code: &str) -> Value {
    json!({"scheme": "CPV", "id": code.split('-').next().unwrap_or(code)})
}

/// The release of one intention write.
pub fn release(publisher: &Publisher, r: &ReleaseInput) -> Value {
    let s = r.snapshot;
    let ocid = ocid(&publisher.ocid_prefix, s.id);
    let (buyer_id, party) = party(r.buyer);
    let mut budget = json!({
        "id": format!("{}-{}", s.reference, s.financial_year),
        "description": format!("Estimated annual value in the financial year {} (1 April to 31 March)", s.financial_year),
        "project": s.title,
    });
    let mut breakdown = json!({
        "id": s.financial_year.to_string(),
        "description": format!("Financial year {}", s.financial_year),
        "period": financial_year_period(s.financial_year),
    });
    if let Some(pence) = s.estimated_annual_value_pence {
        budget["amount"] = amount(pence);
        breakdown["amount"] = amount(pence);
    }
    budget["budgetBreakdown"] = json!([breakdown]);
    let status = if s.status == "withdrawn" {
        "withdrawn"
    } else {
        "planned"
    };
    let mut tender = json!({
        "id": s.reference,
        "title": s.title,
        "description": s.description,
        "status": status,
        "statusDetails": s.status,
        "mainProcurementCategory": "services",
    });
    if let Some(pence) = s.estimated_whole_life_value_pence {
        tender["value"] = amount(pence);
    }
    if let Some(day) = s.planned_procurement_start {
        tender["tenderPeriod"] = json!({"startDate": start_of(day)});
    }
    if let Some(day) = s.planned_contract_start {
        tender["contractPeriod"] = json!({"startDate": start_of(day)});
    }
    if let Some(category) = r.category {
        let mut item = json!({"id": "1", "description": category.name});
        if let Some((first, rest)) = category.cpv_codes.split_first() {
            item["classification"] = cpv(first);
            if !rest.is_empty() {
                item["additionalClassifications"] = rest.iter().map(|c| cpv(c)).collect();
            }
        }
        tender["items"] = json!([item]);
    }
    let mut release = json!({
        "ocid": ocid,
        "id": r.event_id.to_string(),
        "date": timestamp(r.date),
        "tag": [if r.first { "planning" } else { "planningUpdate" }],
        "initiationType": "tender",
        "language": "en",
        "parties": [party],
        "buyer": {"id": buyer_id, "name": r.buyer.name},
        "planning": {"budget": budget},
        "tender": tender,
    });
    if !r.pids.is_empty() {
        release["relatedProcesses"] = r
            .pids
            .iter()
            .map(|p| {
                json!({
                    "id": p.reference,
                    "relationship": ["x_procurement"],
                    "title": p.title,
                    "scheme": "ocid",
                    "identifier": ocid_of_pid(&publisher.ocid_prefix, p.id),
                })
            })
            .collect();
    }
    release
}

/// The ocid the PID's contracting process is published under.
pub fn ocid_of_pid(prefix: &str, pid: Uuid) -> String {
    format!("{prefix}-pid-{pid}")
}

/// The package metadata every package carries.
fn package(publisher: &Publisher, uri: &str, published: DateTime<Utc>) -> Value {
    json!({
        "uri": uri,
        "version": "1.1",
        "extensions": [BUDGET_BREAKDOWN_EXTENSION],
        "publishedDate": timestamp(published),
        "publisher": {"name": publisher.name},
        "license": publisher.license,
    })
}

/// `planning.budget.budgetBreakdown` (with each part's period) is the budget breakdown extension's.
pub const BUDGET_BREAKDOWN_EXTENSION: &str = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_budget_breakdown_extension/master/extension.json";

/// A release package.
pub fn release_package(
    publisher: &Publisher,
    uri: &str,
    published: DateTime<Utc>,
    releases: Vec<Value>,
) -> Value {
    let mut p = package(publisher, uri, published);
    p["releases"] = Value::Array(releases);
    p
}

/// A record package of one planning process: its releases, and the compiled release. Each
/// release states the whole intention, so the compiled release is the latest one, retagged.
pub fn record_package(
    publisher: &Publisher,
    uri: &str,
    ocid: &str,
    releases: Vec<Value>,
) -> Option<Value> {
    let latest = releases.last()?.clone();
    let date = latest["date"].as_str().unwrap_or_default().to_string();
    let mut compiled = latest;
    compiled["id"] = json!(format!("{ocid}-{date}"));
    compiled["tag"] = json!(["compiled"]);
    let published = DateTime::parse_from_rfc3339(&date)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|_| Utc::now());
    let mut p = package(publisher, uri, published);
    p["records"] = json!([{"ocid": ocid, "releases": releases, "compiledRelease": compiled}]);
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_the_exact_decimal_of_the_pence() {
        for (pence, text) in [
            (1, "0.01"),
            (10, "0.1"),
            (12_345_678_901_234, "123456789012.34"),
            (99_999_999_999_999, "999999999999.99"),
            (100_000_000_000_000, "1000000000000.0"),
            (1_250_000_050, "12500000.5"),
        ] {
            assert_eq!(amount(pence)["amount"].to_string(), text, "{pence}");
        }
    }

    #[test]
    fn the_pipeline_period_is_18_months_from_1_april() {
        let (from, until) = pipeline_period("2026/27".parse().unwrap());
        assert_eq!(from.to_string(), "2026-04-01");
        assert_eq!(until.to_string(), "2027-10-01");
    }

    #[test]
    fn ocids_round_trip_under_their_prefix_only() {
        let id = Uuid::now_v7();
        let o = ocid("ocds-xxxxxx", id);
        assert_eq!(intention_of("ocds-xxxxxx", &o), Some(id));
        assert_eq!(intention_of("ocds-yyyyyy", &o), None);
        assert_eq!(intention_of("ocds-xxxxxx", "ocds-xxxxxx-nope"), None);
    }
}
