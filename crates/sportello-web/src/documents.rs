//! What the portal needs to keep files and issue documents: the attachment vault (blob store
//! and the key of sensitive files) and the key that signs permits' verification codes. Both
//! come from the installation's configuration; without them, requests cannot be filed.

use sportello_documents::VerificationKey;
use sportello_store::attachments::{AttachmentVault, FsBlobStore};

pub struct Documents {
    pub vault: AttachmentVault<FsBlobStore>,
    pub verification: VerificationKey,
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Documents(…)")
    }
}
