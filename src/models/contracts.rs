//! Rows and queries of the contracts area (placeholder until its work lands).
