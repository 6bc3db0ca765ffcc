//! Tests of the collaboration area (placeholder until its work lands).
