//! Encryption at rest of sensitive attachments (GDPR art. 9 data such as the medical
//! certificate of a disabled badge request): AES-256-GCM, a random 96-bit nonce per file.
//!
//! A sealed blob is `MAGIC || nonce || ciphertext || tag`. The associated data binds it to its
//! comune and its key, so a blob copied under another row's key does not open.

use crate::StoreError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use std::fmt;

/// Marks the format (version 1), so that a later one (a key id for rotation) can be told apart.
const MAGIC: &[u8; 4] = b"SPA1";
const KEY_LEN: usize = 32;

/// The key that seals sensitive attachments, from the configuration. Never printed.
#[derive(Clone)]
pub struct StorageKey(LessSafeKey);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageKeyError {
    #[error("the attachment storage key must be 32 bytes, written in base64")]
    Invalid,
}

impl StorageKey {
    pub fn from_bytes(bytes: &[u8]) -> Result<StorageKey, StorageKeyError> {
        if bytes.len() != KEY_LEN {
            return Err(StorageKeyError::Invalid);
        }
        UnboundKey::new(&AES_256_GCM, bytes)
            .map(|key| StorageKey(LessSafeKey::new(key)))
            .map_err(|_| StorageKeyError::Invalid)
    }

    /// Reads the key as configured: 32 bytes in standard base64.
    pub fn from_base64(text: &str) -> Result<StorageKey, StorageKeyError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| StorageKeyError::Invalid)?;
        StorageKey::from_bytes(&bytes)
    }

    /// A new random key in the configuration's form, for `sportello demo` and for operators
    /// setting up a comune.
    pub fn random_base64() -> Result<String, StoreError> {
        let mut bytes = [0u8; KEY_LEN];
        getrandom::fill(&mut bytes).map_err(|_| StoreError::Randomness)?;
        Ok(STANDARD.encode(bytes))
    }

    pub(crate) fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| StoreError::Randomness)?;
        let mut in_out = plaintext.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut in_out,
            )
            .map_err(|_| StoreError::Invalid("an attachment is too large to encrypt".into()))?;
        let mut sealed = Vec::with_capacity(MAGIC.len() + NONCE_LEN + in_out.len());
        sealed.extend_from_slice(MAGIC);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&in_out);
        Ok(sealed)
    }

    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        let undecryptable = || {
            StoreError::corrupt(
                "sensitive attachment",
                "it does not decrypt with the configured key",
            )
        };
        let rest = sealed.strip_prefix(MAGIC).ok_or_else(undecryptable)?;
        if rest.len() < NONCE_LEN {
            return Err(undecryptable());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| undecryptable())?;
        let mut in_out = ciphertext.to_vec();
        let plaintext_len = self
            .0
            .open_in_place(nonce, Aad::from(aad), &mut in_out)
            .map_err(|_| undecryptable())?
            .len();
        in_out.truncate(plaintext_len);
        Ok(in_out)
    }
}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageKey(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> StorageKey {
        StorageKey::from_base64(&StorageKey::random_base64().unwrap()).unwrap()
    }

    #[test]
    fn sealed_bytes_open_only_with_the_same_key_and_context() {
        let key = key();
        let secret = b"certificato medico".as_slice();
        let sealed = key.seal(b"context", secret).unwrap();
        assert!(!sealed.windows(secret.len()).any(|w| w == secret));
        assert_eq!(key.open(b"context", &sealed).unwrap(), secret);
        assert!(key.open(b"other context", &sealed).is_err());
        assert!(self::key().open(b"context", &sealed).is_err());
        let mut tampered = sealed.clone();
        if let Some(last) = tampered.last_mut() {
            *last ^= 1;
        }
        assert!(key.open(b"context", &tampered).is_err());
        assert!(key.open(b"context", &sealed[..10]).is_err());
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let key = key();
        assert_ne!(key.seal(b"", b"x").unwrap(), key.seal(b"", b"x").unwrap());
    }

    #[test]
    fn the_key_is_32_bytes_of_base64_and_never_printed() {
        assert_eq!(
            StorageKey::from_base64("c2hvcnQ=").unwrap_err(),
            StorageKeyError::Invalid
        );
        assert!(StorageKey::from_base64("not base64!").is_err());
        let text = StorageKey::random_base64().unwrap();
        let key = StorageKey::from_base64(&format!(" {text}\n")).unwrap();
        assert_eq!(format!("{key:?}"), "StorageKey(redacted)");
    }
}
