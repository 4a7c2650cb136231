//! The App IO services API stand-in.
