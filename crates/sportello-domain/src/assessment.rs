//! IN PROGRESS — owned by the fees/rules helper.
