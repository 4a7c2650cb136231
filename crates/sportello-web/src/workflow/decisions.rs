//! IN PROGRESS (phase 2).
