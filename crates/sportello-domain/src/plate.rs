//! STUB — owned by the form/procedure helper.
