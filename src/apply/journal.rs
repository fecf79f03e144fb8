//! The append-only operation journal that makes applies crash-safe.
