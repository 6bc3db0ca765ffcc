//! Rows and queries of the social_value area (placeholder until its work lands).
