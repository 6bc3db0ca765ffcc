//! Tests of the savings area (placeholder until its work lands).
