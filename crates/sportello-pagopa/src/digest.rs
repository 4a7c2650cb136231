//! Digests as pagoPA wants them.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Base64 (standard, padded) of the SHA-256 of `bytes`: 44 characters, within the 72 of
/// GPD's `hashDocument`.
pub fn sha256_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}
