//! Rows and queries of the savings area (placeholder until its work lands).
