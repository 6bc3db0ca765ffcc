//! The change feed's rules: which entity types it carries and who may read each.

/// Who may read the changes to one entity type (the same rules as the type's own endpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readers {
    /// Any authenticated caller (the type's GET endpoints check no role or authority).
    Everyone,
    /// Savings lines: per the savings scope (own authority, STAR-wide finance, partners on a
    /// shared collaboration opportunity), read from the line as the event recorded it.
    SavingsLines,
    /// Savings snapshots: any caller who reads savings at all.
    SavingsReaders,
    /// Webhook subscriptions: the owning authority's admins.
    OwnAdmins,
}

/// Every entity type the feed carries. An audit event of a type not listed here is never shown
/// (a new area must say who reads it before its changes leave the service).
pub const ENTITY_TYPES: &[(&str, Readers)] = &[
    ("authority", Readers::Everyone),
    ("commissioning_intention", Readers::Everyone),
    ("contract", Readers::Everyone),
    ("reprocurement_lead_times", Readers::Everyone),
    ("risk", Readers::Everyone),
    ("team_post", Readers::Everyone),
    ("capacity_demand", Readers::Everyone),
    ("collaboration_opportunity", Readers::Everyone),
    ("benchmark_metric", Readers::Everyone),
    ("benchmark_observation", Readers::Everyone),
    ("social_value_edition", Readers::Everyone),
    ("social_value_commitment", Readers::Everyone),
    ("social_value_return", Readers::Everyone),
    ("savings_line", Readers::SavingsLines),
    ("savings_snapshot", Readers::SavingsReaders),
    ("webhook_subscription", Readers::OwnAdmins),
    ("social_value_priority", Readers::Everyone),
    ("pid", Readers::Everyone),
    ("pid_lot_award", Readers::Everyone),
    ("sign_off_rules", Readers::Everyone),
    ("procurement_thresholds", Readers::Everyone),
    ("waiver", Readers::Everyone),
    ("breach", Readers::Everyone),
    ("waiver_approver_rules", Readers::Everyone),
    ("spend_line", Readers::Everyone),
];

/// The names of the entity types, for messages and the API description.
pub fn type_names() -> Vec<&'static str> {
    ENTITY_TYPES.iter().map(|(name, _)| *name).collect()
}

/// Parse a comma-separated list of entity types; the error names the first unknown one.
pub fn parse_types(list: &str) -> Result<Vec<String>, String> {
    let known = type_names();
    let mut types = Vec::new();
    for t in list.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !known.contains(&t) {
            return Err(format!(
                "{t:?} is not an entity type of the feed; use any of: {}",
                known.join(", ")
            ));
        }
        if !types.iter().any(|k: &String| k == t) {
            types.push(t.to_string());
        }
    }
    if types.is_empty() {
        return Err("name at least one entity type".into());
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_and_refuse_strangers() {
        assert_eq!(
            parse_types("risk, contract,risk").unwrap(),
            vec!["risk", "contract"]
        );
        assert!(parse_types("risk,pony").unwrap_err().contains("\"pony\""));
        assert!(parse_types(" , ").is_err());
    }
}
