//! Tests of the capacity area (placeholder until its work lands).
