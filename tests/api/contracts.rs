//! Tests of the contracts area (placeholder until its work lands).
