//! Random tokens handed to browsers in cookies. The store keeps only their SHA-256: a leaked
//! database (or backup) holds nothing a browser could present.

use crate::StoreError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::fmt;

/// 256 bits: far beyond guessing, whatever the number of live sessions.
const TOKEN_BYTES: usize = 32;
/// Length of 32 bytes in unpadded base64url.
const TOKEN_CHARS: usize = 43;

/// The token's bytes and their cookie text, kept together so that `as_cookie_value` lends a
/// `&str` and the hash is computed over the bytes, not over one of their spellings.
#[derive(Clone, PartialEq, Eq)]
struct Secret {
    bytes: [u8; TOKEN_BYTES],
    text: String,
}

impl Secret {
    fn generate() -> Result<Secret, StoreError> {
        let mut bytes = [0u8; TOKEN_BYTES];
        getrandom::fill(&mut bytes).map_err(|_| StoreError::Randomness)?;
        Ok(Secret {
            bytes,
            text: URL_SAFE_NO_PAD.encode(bytes),
        })
    }

    fn parse(value: &str) -> Option<Secret> {
        // The engine refuses padding and non-zero trailing bits, so each token has exactly one
        // accepted spelling: the one `generate` produced.
        if value.len() != TOKEN_CHARS {
            return None;
        }
        let bytes: [u8; TOKEN_BYTES] = URL_SAFE_NO_PAD.decode(value).ok()?.try_into().ok()?;
        Some(Secret {
            bytes,
            text: value.to_owned(),
        })
    }

    fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.bytes).into()
    }
}

macro_rules! secret_token {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Secret);

        impl $name {
            /// 32 bytes from the operating system's random number generator.
            pub fn generate() -> Result<$name, StoreError> {
                Secret::generate().map($name)
            }

            /// A token as a browser sent it back; `None` unless it has the exact form that
            /// [`Self::as_cookie_value`] produces.
            pub fn parse(value: &str) -> Option<$name> {
                Secret::parse(value).map($name)
            }

            /// Unpadded base64url, safe in a cookie without quoting.
            pub fn as_cookie_value(&self) -> &str {
                &self.0.text
            }

            /// SHA-256 of the token's 32 bytes: what the store keeps and looks up.
            pub fn hash(&self) -> [u8; 32] {
                self.0.hash()
            }
        }

        /// Never prints the token: logs and panic messages are not a place for credentials.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

secret_token!(
    /// The value of a session cookie: whoever presents it is signed in.
    SessionToken
);

secret_token!(
    /// The value of the cookie that ties a SAML request to the browser that started it, so
    /// that an answer posted from another browser (a login CSRF) finds no pending request.
    BrowserToken
);

secret_token!(
    /// The token in the link that proves a citizen reads an e-mail address: whoever opens it
    /// confirms the address, so it is as secret as a session.
    EmailToken
);

/// A short, non-secret reference to a hash for the audit log: enough to tell one session's
/// entries from another's.
pub(crate) fn hash_reference(hash: &[u8; 32]) -> String {
    hash[..8].iter().map(|b| format!("{b:02x}")).collect()
}
