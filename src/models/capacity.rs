//! Rows and queries of the capacity area (placeholder until its work lands).
