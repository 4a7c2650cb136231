//! Where attachment bytes live: a [`BlobStore`]. The file system one is here; an S3-compatible
//! one (for the cloud deployment) implements the same trait.

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// The name of a blob: `<tenant id>/<128 random bits in hex>`. Always generated, never taken
/// from a user, and checked when read back from the database, so that it cannot name a path
/// outside the store's folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    pub(crate) fn generate(tenant: Uuid) -> Result<BlobKey, crate::StoreError> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random).map_err(|_| crate::StoreError::Randomness)?;
        Ok(BlobKey(format!(
            "{}/{}",
            tenant.simple(),
            crate::service_versions::hex(&random)
        )))
    }

    /// Accepts only keys of the form the store generates.
    pub fn parse(value: &str) -> Result<BlobKey, BlobError> {
        let hex = |s: &str, len: usize| {
            s.len() == len
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        match value.split_once('/') {
            Some((tenant, name)) if hex(tenant, 32) && hex(name, 32) => {
                Ok(BlobKey(value.to_owned()))
            }
            _ => Err(BlobError::BadKey(value.to_owned())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("no blob {0}")]
    NotFound(String),
    #[error("{0:?} is not a blob key")]
    BadKey(String),
    #[error("{0}")]
    Io(String),
}

/// A place to keep attachment bytes. Writes are atomic: a blob is either all there or absent.
pub trait BlobStore: Send + Sync {
    fn put(
        &self,
        key: &BlobKey,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), BlobError>> + Send;
    fn get(&self, key: &BlobKey) -> impl Future<Output = Result<Vec<u8>, BlobError>> + Send;
    /// Deleting a blob that is not there succeeds: deletion is retried after crashes.
    fn delete(&self, key: &BlobKey) -> impl Future<Output = Result<(), BlobError>> + Send;
}

/// Blobs as files under one folder, `<root>/<tenant>/<name>`.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    /// The folder is created on the first write.
    pub fn new(root: impl Into<PathBuf>) -> FsBlobStore {
        FsBlobStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &BlobKey) -> PathBuf {
        // A key has exactly one '/', between two hex names: it stays inside the root.
        self.root.join(key.as_str())
    }
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> BlobError {
    if e.kind() == std::io::ErrorKind::NotFound {
        BlobError::NotFound(path.display().to_string())
    } else {
        BlobError::Io(format!("{what} {}: {e}", path.display()))
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BlobError> + Send + 'static,
) -> Result<T, BlobError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| BlobError::Io(format!("blob task failed: {e}")))?
}

impl BlobStore for FsBlobStore {
    async fn put(&self, key: &BlobKey, bytes: Vec<u8>) -> Result<(), BlobError> {
        let path = self.path(key);
        blocking(move || {
            let dir = path
                .parent()
                .ok_or_else(|| BlobError::Io(format!("{} has no folder", path.display())))?;
            std::fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
            // Written aside and renamed: a crash leaves a stray temporary file, never a blob
            // with half its bytes under the final name.
            let tmp = path.with_extension("tmp");
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .map_err(|e| io_error("cannot create", &tmp, e))?;
            file.write_all(&bytes)
                .and_then(|()| file.sync_all())
                .map_err(|e| io_error("cannot write", &tmp, e))?;
            drop(file);
            std::fs::rename(&tmp, &path).map_err(|e| io_error("cannot rename", &tmp, e))?;
            // Makes the rename itself durable. Not every platform can open a folder for this,
            // and the blob is complete either way, so a failure here is not an error.
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        })
        .await
    }

    async fn get(&self, key: &BlobKey) -> Result<Vec<u8>, BlobError> {
        let path = self.path(key);
        blocking(move || std::fs::read(&path).map_err(|e| io_error("cannot read", &path, e))).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        let path = self.path(key);
        blocking(move || match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io_error("cannot delete", &path, e))
            }
            _ => Ok(()),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_generated_and_parsed_strictly() {
        let key = BlobKey::generate(Uuid::now_v7()).unwrap();
        assert_eq!(BlobKey::parse(key.as_str()).unwrap(), key);
        for bad in [
            "",
            "../etc/passwd",
            "0123456789abcdef0123456789abcdef/../../x",
            "0123456789abcdef0123456789abcdef/0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcdef/0123456789abcdef0123456789abcdef/x",
            "/0123456789abcdef0123456789abcdef",
        ] {
            assert!(BlobKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
