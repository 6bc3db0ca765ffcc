//! The risk register: the 1 to 5 likelihood and impact scales, the score they make, a risk's
//! status, and who may keep the register.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Role;

/// Roles that may create and change their own authority's risks.
pub const WRITERS: &[Role] = &[Role::Commissioner, Role::Procurement, Role::Admin];

use crate::domain::values::bounded_number;

bounded_number!(
    Likelihood,
    1,
    5,
    "likelihood",
    "How likely the risk is to happen: 1 rare, 2 unlikely, 3 possible, 4 likely, 5 almost certain.",
    4
);

bounded_number!(
    Impact,
    1,
    5,
    "impact",
    "How bad it would be if it happened: 1 negligible, 2 minor, 3 moderate, 4 major, 5 severe.",
    3
);

bounded_number!(
    Score,
    1,
    25,
    "score",
    "A risk's score: likelihood × impact, from 1 to 25. The register is ordered by it, highest first.",
    12
);

impl Score {
    /// The score of a risk: its likelihood times its impact (PostgreSQL keeps the same product in
    /// a generated column, which lists order and filter on).
    pub fn of(likelihood: Likelihood, impact: Impact) -> Score {
        Score(likelihood.0 * impact.0)
    }
}

/// Where a risk stands: `open` (identified), `mitigating` (actions under way), `closed` (no longer a
/// risk) or `realised` (it happened, and is now an issue). Any status may follow any other.
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
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum RiskStatus {
    #[default]
    Open,
    Mitigating,
    Closed,
    Realised,
}

/// A risk's owner: the role or officer answerable for it, 1 to 200 characters once trimmed.
pub fn check_owner(owner: &str) -> Result<String, String> {
    let owner = owner.trim();
    if owner.is_empty() || owner.chars().count() > 200 {
        Err("must be 1 to 200 characters".into())
    } else {
        Ok(owner.to_string())
    }
}

/// A risk's title, 1 to 300 characters once trimmed.
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
    fn scales_run_from_one_to_five_and_scores_to_twenty_five() {
        assert!(Likelihood::try_from(0).is_err());
        assert!(Likelihood::try_from(6).is_err());
        assert_eq!(
            Impact::try_from(6).unwrap_err(),
            "impact must be from 1 to 5, not 6"
        );
        let l = Likelihood::try_from(5).unwrap();
        let i = Impact::try_from(5).unwrap();
        assert_eq!(Score::of(l, i).get(), 25);
        assert_eq!(
            Score::of(
                Likelihood::try_from(1).unwrap(),
                Impact::try_from(1).unwrap()
            )
            .get(),
            1
        );
        assert!(Score::try_from(26).is_err());
    }

    #[test]
    fn statuses_are_snake_case_and_open_by_default() {
        assert_eq!(RiskStatus::default(), RiskStatus::Open);
        assert_eq!("realised".parse::<RiskStatus>(), Ok(RiskStatus::Realised));
        assert_eq!(<&str>::from(RiskStatus::Mitigating), "mitigating");
    }

    #[test]
    fn owner_and_title_are_trimmed_and_bounded() {
        assert_eq!(
            check_owner("  Head of Procurement ").unwrap(),
            "Head of Procurement"
        );
        assert!(check_owner("   ").is_err());
        assert!(check_owner(&"x".repeat(201)).is_err());
        assert!(check_title(&"x".repeat(300)).is_ok());
        assert!(check_title("").is_err());
    }
}
