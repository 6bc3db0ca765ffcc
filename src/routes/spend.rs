//! Off-contract spend: import a council's spend file (Local Government Transparency Code
//! columns), each line matched to a contract; the lines with their match; and the off-contract
//! total and share by authority, quarter and supplier.

use std::collections::{BTreeMap, HashMap};

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Caller;
use crate::db;
use crate::domain::governance::FinancialQuarter;
use crate::domain::spend::{
    DEFAULT_THRESHOLD_PENCE, SpendDimension, SpendMatch, WRITERS, match_line, parse_amount,
    parse_group_by, parse_spend_date, share_bp, supplier_key,
};
use crate::domain::values::{AuthorityCode, Date, Pence};
use crate::error::{ApiError, FieldError};
use crate::extract::{CsvBody, IdempotencyKey, Query};
use crate::models::audit::AuditEventRow;
use crate::models::reference::AuthorityRow;
use crate::models::spend::{SpendFilter, SpendLineRow, SpendLineWithCode, contract_terms};
use crate::routes::contracts::{Cells, RowProblem, refusal, start_line};
use crate::routes::{Created, Cursor, Db, Limit, Page, create_idempotently};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(import)
        .service(list_lines)
        .service(off_contract);
}

const ENTITY: &str = "spend_line";

/// The columns read, each with the header names spend files use for it (compared ignoring case,
/// with spaces and hyphens read as `_`). Other columns are ignored.
const COLUMNS: &[(&str, &[&str])] = &[
    ("body", &["body", "body_name", "organisation_name"]),
    ("date", &["date", "payment_date", "transaction_date"]),
    ("supplier", &["supplier", "supplier_name", "beneficiary"]),
    ("amount", &["amount", "amount_gbp", "net_amount"]),
    (
        "expense_type",
        &["expense_type", "expenditure_type", "expense_category"],
    ),
    (
        "reference",
        &[
            "reference",
            "transaction_number",
            "transaction_reference",
            "reference_number",
        ],
    ),
];

const REQUIRED: &[&str] = &["date", "supplier", "amount", "reference"];

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"lines": 4, "imported": 3, "already_imported": 1, "matched": 2, "unmatched": 1}))]
pub struct SpendImportResult {
    /// Lines in the file.
    pub lines: usize,
    /// Lines added now.
    pub imported: usize,
    /// Lines whose reference was imported before, with the same date, supplier and amount: skipped.
    pub already_imported: usize,
    /// Of the lines added, those matched to a contract.
    pub matched: usize,
    pub unmatched: usize,
}

/// One line of the file, parsed.
struct ParsedLine {
    row: u64,
    body: String,
    date: NaiveDate,
    supplier: String,
    amount_pence: i64,
    expense_type: String,
    reference: String,
}

fn header_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .trim()
        .to_lowercase()
        .replace([' ', '-'], "_")
}

/// Whether the file's `body` cell names the authority: its name (compared as supplier names
/// are), short code, GSS or GB-LAE code.
fn names_authority(body: &str, a: &AuthorityRow) -> bool {
    let b = body.trim();
    supplier_key(b) == supplier_key(&a.name)
        || b.eq_ignore_ascii_case(&a.code)
        || a.gss_code
            .as_deref()
            .is_some_and(|c| b.eq_ignore_ascii_case(c))
        || a.gb_lae_code
            .as_deref()
            .is_some_and(|c| b.eq_ignore_ascii_case(c))
}

/// Parse the file, recording every problem by row. Problems with the header stop the parse.
fn parse_file(
    body: &[u8],
    authority: &AuthorityRow,
    problems: &mut Vec<RowProblem>,
) -> Result<Vec<ParsedLine>, ApiError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(body);
    let headers = reader
        .byte_headers()
        .map_err(|e| ApiError::invalid("header", format!("the header row cannot be read: {e}")))?
        .clone();
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    let mut header_problems = Vec::new();
    for (i, raw) in headers.iter().enumerate() {
        let name = header_name(raw);
        if let Some((column, _)) = COLUMNS
            .iter()
            .find(|(_, names)| names.contains(&name.as_str()))
            && index.insert(column, i).is_some()
        {
            header_problems.push(FieldError::new(
                "header",
                format!("two columns give the {column}"),
            ));
        }
    }
    for column in REQUIRED {
        if !index.contains_key(column) {
            header_problems.push(FieldError::new(
                "header",
                format!(
                    "no {column} column; the first line must name the columns body, date, supplier, amount, expense_type, reference"
                ),
            ));
        }
    }
    if !header_problems.is_empty() {
        return Err(ApiError::invalid_fields(header_problems));
    }
    let mut lines = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let row = match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => record.position().map_or(0, |p| start_line(body, p)),
            Err(e) => {
                problems.push(RowProblem {
                    row: e.position().map_or(0, |p| p.line()),
                    column: "",
                    message: format!("cannot be read: {e}"),
                });
                continue;
            }
        };
        if record.len() != headers.len() {
            problems.push(RowProblem {
                row,
                column: "",
                message: format!(
                    "has {} cells where the header has {}",
                    record.len(),
                    headers.len()
                ),
            });
            continue;
        }
        let mut cells = Cells {
            row,
            record: &record,
            index: &index,
            problems,
            valid: true,
        };
        let body = cells.parse("body", false, |s| {
            if names_authority(&s, authority) {
                Ok(s)
            } else {
                Err(format!(
                    "{s:?} is not {} ({}); import only the caller's authority's spend",
                    authority.name, authority.code
                ))
            }
        });
        let date = cells.parse("date", true, |s| parse_spend_date(&s));
        let supplier = cells.parse("supplier", true, |s| {
            if s.chars().count() > 300 || supplier_key(&s).is_empty() {
                Err("must be 1 to 300 characters with a letter or digit".into())
            } else {
                Ok(s)
            }
        });
        let amount = cells.parse("amount", true, |s| parse_amount(&s));
        let expense_type = cells.parse("expense_type", false, |s| {
            if s.chars().count() > 200 {
                Err("must be at most 200 characters".into())
            } else {
                Ok(s)
            }
        });
        let reference = cells.parse("reference", true, |s| {
            if s.chars().count() > 100 {
                Err("must be at most 100 characters".into())
            } else {
                Ok(s)
            }
        });
        if let (Some(date), Some(supplier), Some(amount_pence), Some(reference), true) =
            (date, supplier, amount, reference, cells.valid)
        {
            lines.push(ParsedLine {
                row,
                body: body.unwrap_or_else(|| authority.name.clone()),
                date,
                supplier,
                amount_pence,
                expense_type: expense_type.unwrap_or_default(),
                reference,
            });
        }
    }
    Ok(lines)
}

/// Check every line, then add the new ones matched to contracts (one audit event each), or
/// nothing.
fn import_lines(
    conn: &mut diesel::PgConnection,
    caller: &Caller,
    body: &[u8],
) -> Result<SpendImportResult, ApiError> {
    let authority = AuthorityRow::by_code(conn, caller.authority.as_str())?.ok_or_else(|| {
        ApiError::Forbidden(format!(
            "the token's authority {} is not registered here",
            caller.authority
        ))
    })?;
    let mut problems = Vec::new();
    let parsed = parse_file(body, &authority, &mut problems)?;
    if parsed.is_empty() && problems.is_empty() {
        return Err(ApiError::invalid(
            "(body)",
            "the file has a header but no spend lines",
        ));
    }
    let mut first_row: HashMap<&str, u64> = HashMap::new();
    for l in &parsed {
        if let Some(first) = first_row.insert(&l.reference, l.row) {
            problems.push(RowProblem {
                row: l.row,
                column: "reference",
                message: format!("{:?} is also on row {first}", l.reference),
            });
            first_row.insert(&l.reference, first);
        }
    }
    let references: Vec<&str> = parsed.iter().map(|l| l.reference.as_str()).collect();
    let existing: HashMap<String, SpendLineRow> =
        SpendLineRow::by_references(conn, authority.id, &references)?
            .into_iter()
            .map(|r| (r.reference.clone(), r))
            .collect();
    let mut already = 0;
    let mut fresh = Vec::new();
    for l in parsed {
        match existing.get(&l.reference) {
            Some(old)
                if old.payment_date == l.date
                    && old.amount_pence == l.amount_pence
                    && old.supplier_name == l.supplier =>
            {
                already += 1;
            }
            Some(old) => problems.push(RowProblem {
                row: l.row,
                column: "reference",
                message: format!(
                    "{:?} was imported before as {} to {} on {}; a line once imported is not changed, so a correction needs its own reference",
                    l.reference,
                    crate::domain::savings::pounds(old.amount_pence),
                    old.supplier_name,
                    old.payment_date
                ),
            }),
            None => fresh.push(l),
        }
    }
    if !problems.is_empty() {
        return Err(refusal(problems));
    }
    let terms = contract_terms(conn, authority.id)?;
    let now = Utc::now();
    let mut rows = Vec::with_capacity(fresh.len());
    let mut events = Vec::with_capacity(fresh.len());
    let lines = fresh.len() + already;
    for l in fresh {
        let key = supplier_key(&l.supplier);
        let row = SpendLineRow {
            id: Uuid::now_v7(),
            authority_id: authority.id,
            reference: l.reference,
            body: l.body,
            payment_date: l.date,
            contract_id: match_line(&terms, &key, l.date),
            supplier_key: key,
            supplier_name: l.supplier,
            amount_pence: l.amount_pence,
            expense_type: l.expense_type,
            created_by: caller.subject.clone(),
            created_at: now,
        };
        let view = SpendLine::of(
            (row.clone(), authority.code.clone()),
            DEFAULT_THRESHOLD_PENCE,
        );
        events.push(AuditEventRow {
            id: Uuid::now_v7(),
            occurred_at: now,
            subject: caller.subject.clone(),
            authority_code: caller.authority.to_string(),
            action: "import".into(),
            entity_type: ENTITY.into(),
            entity_id: row.id,
            before: None,
            after: Some(serde_json::to_value(&view).map_err(ApiError::internal)?),
            request_id: caller.request_id.clone(),
        });
        rows.push(row);
    }
    let matched = rows.iter().filter(|r| r.contract_id.is_some()).count();
    let imported = SpendLineRow::insert_all(conn, &rows)?;
    AuditEventRow::record_all(conn, &events)?;
    Ok(SpendImportResult {
        lines,
        imported,
        already_imported: already,
        matched,
        unmatched: imported - matched,
    })
}

/// Import the caller's authority's spend file (`procurement`, `finance` or `admin`), all or
/// nothing, each line matched to a contract.
///
/// Send the file as the body with `Content-Type: text/csv` (UTF-8; a byte-order mark is allowed),
/// with the Local Government Transparency Code columns, named in the first line in any order
/// (ignoring case; spaces read as `_`): `date` (or `payment_date`, `transaction_date`; as
/// `2026-04-30` or `30/04/2026`), `supplier` (or `supplier_name`, `beneficiary`), `amount` (or
/// `amount_gbp`, `net_amount`; pounds such as `1234.56`, `£1,234.56`, `-20` or `(20.00)` for a
/// credit) and `reference` (or `transaction_number`, `transaction_reference`, `reference_number`)
/// are required; `body` (or `body_name`, `organisation_name`; it must name the caller's authority:
/// its name, code, GSS or GB-LAE code) and `expense_type` may be left out. Other columns are ignored.
///
/// Idempotent on the file's own line reference: a line whose reference the authority imported
/// before with the same date, supplier and amount is skipped (`already_imported`), so re-importing
/// a file adds nothing. A reference imported before with a different date, supplier or amount is
/// refused: lines are not changed once imported, and a correction needs its own reference.
///
/// Each new line is matched to a contract of the same authority whose supplier has the same
/// normalised name (lower case, `&` as `and`, punctuation as spaces, a leading `the` and trailing
/// `ltd`, `limited`, `plc`, `llp`, `cic`, `inc`, `llc` dropped) and whose term (start to end date)
/// holds the payment date; several matching, the one that started last. The match is made once, at
/// import.
///
/// Every row is checked before anything is written; any bad row is 422 with each problem as
/// `{"field": "row 3: amount", ...}` (the header is row 1) and nothing imported. Each line added
/// has its own audit event (entity `spend_line`, action `import`).
#[utoipa::path(tag = "Spend", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely: the same key and body gets the first response")),
    request_body(content = String, content_type = "text/csv",
        description = "The spend lines, one per line after a header line naming the columns.",
        example = json!("Body,Date,Supplier,Amount,Expense Type,Reference\nRochdale Metropolitan Borough Council,2026-04-14,Pennine Care at Home Ltd,48250.00,Home care,RCH-AP-100231\nRochdale Metropolitan Borough Council,15/04/2026,Bright Days Care Ltd,\"1,250.00\",Day services,RCH-AP-100232\n")),
    responses((status = 201, description = "The file was imported", body = SpendImportResult),
        (status = 400, description = "The body could not be read", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than the import limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `text/csv`", body = crate::error::Problem, content_type = "application/problem+json",
            example = json!({"type": "/problems/unsupported-media-type", "title": "Unsupported Media Type", "status": 415,
                "detail": "an import must be sent as CSV (Content-Type: text/csv)"})),
        (status = 422, description = "Nothing was imported: each problem by row and column", body = crate::error::Problem,
            content_type = "application/problem+json",
            example = json!({"type": "/problems/validation", "title": "Unprocessable Entity", "status": 422,
                "detail": "nothing was imported: 2 rows have 2 problems",
                "errors": [{"field": "row 3: amount", "message": "expected an amount in pounds like 1234.56, not \"12,50\""},
                           {"field": "row 5: reference", "message": "\"RCH-AP-100231\" is also on row 2"}]}))))]
#[post("/spend/import")]
async fn import(
    pool: Db,
    caller: Caller,
    key: IdempotencyKey,
    body: CsvBody,
) -> Result<HttpResponse, ApiError> {
    caller.require_role(WRITERS)?;
    let CsvBody { bytes, fingerprint } = body;
    create_idempotently(
        &pool,
        caller,
        key,
        "POST /v1/spend/import",
        fingerprint,
        move |conn, caller| Created::summary(&import_lines(conn, caller, &bytes)?),
    )
    .await
}

/// One line of a spend file, with its match.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0193e200-0000-7000-8000-000000000001",
    "authority": "RCH",
    "reference": "RCH-AP-100231",
    "body": "Rochdale Metropolitan Borough Council",
    "payment_date": "2026-04-14",
    "supplier_name": "Pennine Care at Home Ltd",
    "supplier_key": "pennine care at home",
    "amount_pence": 4_825_000,
    "expense_type": "Home care",
    "contract_id": "0193b100-0000-7000-8000-000000000031",
    "match": "matched",
    "created_at": "2026-05-02T09:00:00Z"
}))]
pub struct SpendLine {
    pub id: Uuid,
    pub authority: AuthorityCode,
    /// The file's own line reference, unique within the authority.
    pub reference: String,
    pub body: String,
    #[schema(value_type = Date)]
    pub payment_date: NaiveDate,
    pub supplier_name: String,
    /// The supplier's name as matching compares it.
    pub supplier_key: String,
    /// Negative for a credit.
    pub amount_pence: i64,
    pub expense_type: String,
    /// The contract the line was matched to at import, if any.
    pub contract_id: Option<Uuid>,
    /// `matched`, or unmatched and `off_contract` (above the threshold) or `below_threshold`.
    #[serde(rename = "match")]
    pub matched: SpendMatch,
    pub created_at: DateTime<Utc>,
}

impl SpendLine {
    fn of((row, authority): SpendLineWithCode, threshold: i64) -> Self {
        SpendLine {
            id: row.id,
            authority: AuthorityCode::try_from(authority).expect("authorities.code is checked"),
            matched: SpendMatch::of(row.contract_id, row.amount_pence, threshold),
            reference: row.reference,
            body: row.body,
            payment_date: row.payment_date,
            supplier_name: row.supplier_name,
            supplier_key: row.supplier_key,
            amount_pence: row.amount_pence,
            expense_type: row.expense_type,
            contract_id: row.contract_id,
            created_at: row.created_at,
        }
    }
}

/// Filters and paging for spend lines.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LineParams {
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// Paid on or after this day.
    #[param(value_type = Option<Date>, example = "2026-04-01")]
    pub from: Option<Date>,
    /// Paid on or before this day.
    #[param(value_type = Option<Date>, example = "2026-06-30")]
    pub to: Option<Date>,
    /// Only lines with this match.
    #[serde(rename = "match")]
    #[param(rename = "match")]
    pub matched: Option<SpendMatch>,
    /// Only lines of this supplier (compared as normalised names).
    #[param(example = "Pennine Care at Home Ltd")]
    pub supplier: Option<String>,
    pub contract_id: Option<Uuid>,
    /// Unmatched lines above this are off-contract (default 50000, £500).
    #[param(value_type = Option<Pence>, example = 50000)]
    pub threshold_pence: Option<Pence>,
    #[param(value_type = Option<Limit>)]
    #[serde(default)]
    pub limit: Limit,
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<Cursor>,
}

/// Spend lines across all authorities, filtered, in the order they were imported, each with its
/// match. Any authenticated caller.
#[utoipa::path(tag = "Spend", security(("bearer" = [])), params(LineParams),
    responses((status = 200, description = "A page of spend lines", body = Page<SpendLine>)))]
#[get("/spend/lines")]
async fn list_lines(
    pool: Db,
    _caller: Caller,
    params: Query<LineParams>,
) -> Result<web::Json<Page<SpendLine>>, ApiError> {
    let Query(p) = params;
    let threshold = p
        .threshold_pence
        .map_or(DEFAULT_THRESHOLD_PENCE, Pence::value);
    let mut filter = SpendFilter {
        authority: p.authority.map(String::from),
        from: p.from.map(Date::get),
        to: p.to.map(Date::get),
        supplier_key: p.supplier.as_deref().map(supplier_key),
        contract_id: p.contract_id,
        ..SpendFilter::default()
    };
    match p.matched {
        Some(SpendMatch::Matched) => filter.unmatched = Some(false),
        Some(SpendMatch::OffContract) => {
            filter.unmatched = Some(true);
            filter.above_pence = Some(threshold);
        }
        Some(SpendMatch::BelowThreshold) => {
            filter.unmatched = Some(true);
            filter.at_most_pence = Some(threshold);
        }
        None => {}
    }
    let limit = p.limit;
    let rows = db::run(&pool, move |conn| {
        Ok(SpendLineRow::page(
            conn,
            &filter,
            p.cursor.map(|c| c.0),
            limit.fetch(),
        )?)
    })
    .await?;
    Ok(web::Json(Page::from_rows(
        rows,
        limit,
        |(r, _)| r.id,
        |r| SpendLine::of(r, threshold),
    )))
}

/// The period, scope and grouping of the measure.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OffContractParams {
    #[param(value_type = Option<AuthorityCode>)]
    pub authority: Option<AuthorityCode>,
    /// Paid on or after this day.
    #[param(value_type = Option<Date>, example = "2026-04-01")]
    pub from: Option<Date>,
    /// Paid on or before this day.
    #[param(value_type = Option<Date>, example = "2027-03-31")]
    pub to: Option<Date>,
    /// Comma-separated: `authority`, `quarter` (financial year, Q1 = April to June), `supplier`.
    /// Default `authority`; empty for one group of everything.
    #[param(example = "authority,quarter")]
    pub group_by: Option<String>,
    /// Unmatched lines above this are off-contract (default 50000, £500).
    #[param(value_type = Option<Pence>, example = 50000)]
    pub threshold_pence: Option<Pence>,
}

/// The spend of one group, and how much of it was off contract.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(example = json!({"group": {"authority": "RCH", "quarter": "2026/27 Q1"},
    "lines": 4, "total_pence": 5_190_000, "matched_pence": 4_825_000, "off_contract_pence": 350_000,
    "below_threshold_pence": 15_000, "off_contract_lines": 1, "off_contract_share_bp": 674}))]
pub struct OffContractRow {
    /// The grouped dimensions' values (`supplier` is the alphabetically first name the lines give for the normalised name).
    #[schema(value_type = Object)]
    pub group: BTreeMap<String, String>,
    pub lines: i64,
    /// Every line's amount, credits included.
    pub total_pence: i64,
    pub matched_pence: i64,
    pub off_contract_pence: i64,
    pub below_threshold_pence: i64,
    pub off_contract_lines: i64,
    /// off_contract_pence / total_pence in basis points (10000 = 100%), rounded half up; `null`
    /// when the total is not positive.
    pub off_contract_share_bp: Option<i64>,
}

/// Off-contract spend: the total and share.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "from": "2026-04-01", "to": "2027-03-31", "threshold_pence": 50_000,
    "group_by": ["authority"],
    "rows": [{"group": {"authority": "RCH"}, "lines": 4, "total_pence": 5_190_000, "matched_pence": 4_825_000,
        "off_contract_pence": 350_000, "below_threshold_pence": 15_000, "off_contract_lines": 1, "off_contract_share_bp": 674}],
    "totals": {"group": {}, "lines": 4, "total_pence": 5_190_000, "matched_pence": 4_825_000,
        "off_contract_pence": 350_000, "below_threshold_pence": 15_000, "off_contract_lines": 1, "off_contract_share_bp": 674}
}))]
pub struct OffContractReport {
    #[schema(value_type = Option<Date>)]
    pub from: Option<Date>,
    #[schema(value_type = Option<Date>)]
    pub to: Option<Date>,
    pub threshold_pence: i64,
    #[schema(value_type = Vec<String>, example = json!(["authority", "quarter"]))]
    pub group_by: Vec<&'static str>,
    /// In order of the grouped values.
    pub rows: Vec<OffContractRow>,
    pub totals: OffContractRow,
}

impl OffContractRow {
    fn add(&mut self, amount: i64, m: SpendMatch) {
        self.lines += 1;
        self.total_pence += amount;
        match m {
            SpendMatch::Matched => self.matched_pence += amount,
            SpendMatch::OffContract => {
                self.off_contract_pence += amount;
                self.off_contract_lines += 1;
            }
            SpendMatch::BelowThreshold => self.below_threshold_pence += amount,
        }
    }

    fn finish(mut self) -> Self {
        self.off_contract_share_bp = share_bp(self.off_contract_pence, self.total_pence);
        self
    }
}

/// Off-contract spend: over the spend lines paid in `from..=to` (both optional), the total,
/// matched, off-contract (unmatched above `threshold_pence`) and below-threshold amounts in
/// integer pence, and the off-contract share of the total in integer basis points (rounded half
/// up), grouped by `group_by` (`authority`, `quarter`, `supplier`), with the totals. Any
/// authenticated caller.
#[utoipa::path(tag = "Spend", security(("bearer" = [])), params(OffContractParams),
    responses((status = 200, description = "The measure", body = OffContractReport),
        (status = 422, description = "A parameter is invalid", body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/spend/off-contract")]
async fn off_contract(
    pool: Db,
    _caller: Caller,
    params: Query<OffContractParams>,
) -> Result<web::Json<OffContractReport>, ApiError> {
    let Query(p) = params;
    let dims = parse_group_by(p.group_by.as_deref().unwrap_or("authority"))
        .map_err(|e| ApiError::invalid("group_by", e))?;
    if let (Some(from), Some(to)) = (p.from, p.to)
        && to < from
    {
        return Err(ApiError::invalid("to", "must be on or after from"));
    }
    let threshold = p
        .threshold_pence
        .map_or(DEFAULT_THRESHOLD_PENCE, Pence::value);
    let code = p.authority.map(String::from);
    let (from, to) = (p.from, p.to);
    let lines = db::run(&pool, move |conn| {
        Ok(SpendLineRow::for_measure(
            conn,
            code.as_deref(),
            from.map(Date::get),
            to.map(Date::get),
        )?)
    })
    .await?;
    type Key = (Option<String>, Option<FinancialQuarter>, Option<String>);
    let mut groups: BTreeMap<Key, (OffContractRow, String)> = BTreeMap::new();
    let mut totals = OffContractRow::default();
    for (authority, date, key, name, amount, matched) in lines {
        let m = SpendMatch::of(matched.then(Uuid::nil), amount, threshold);
        let k: Key = (
            dims.contains(&SpendDimension::Authority)
                .then_some(authority),
            if dims.contains(&SpendDimension::Quarter) {
                FinancialQuarter::of(date)
            } else {
                None
            },
            dims.contains(&SpendDimension::Supplier).then_some(key),
        );
        let (row, first_name) = groups
            .entry(k)
            .or_insert_with(|| (OffContractRow::default(), name.clone()));
        if name < *first_name {
            *first_name = name;
        }
        row.add(amount, m);
        totals.add(amount, m);
    }
    let rows = groups
        .into_iter()
        .map(|((authority, quarter, _), (mut row, name))| {
            for d in &dims {
                let value = match d {
                    SpendDimension::Authority => authority.clone().unwrap_or_default(),
                    SpendDimension::Quarter => quarter.map(|q| q.to_string()).unwrap_or_default(),
                    SpendDimension::Supplier => name.clone(),
                };
                row.group.insert(<&str>::from(*d).to_string(), value);
            }
            row.finish()
        })
        .collect();
    Ok(web::Json(OffContractReport {
        from,
        to,
        threshold_pence: threshold,
        group_by: dims.iter().map(|d| <&str>::from(*d)).collect(),
        rows,
        totals: totals.finish(),
    }))
}
