//! Rows and queries of the risks area (placeholder until its work lands).
