//! STUB — owned by the pratica helper.
