//! STUB — owned by the fees/streets helper.
pub mod canone;
