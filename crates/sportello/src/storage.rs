//! The attachment vault and the keys of an installation, from the `[storage]` settings.

use crate::config::StorageConfig;
use anyhow::{Context, bail};
use sportello_documents::VerificationKey;
use sportello_store::attachments::{AttachmentVault, FsBlobStore, StorageKey};
use sportello_web::documents::Documents;
use std::path::{Path, PathBuf};

const HOW_TO_GENERATE: &str = "generate one with `head -c 32 /dev/urandom | base64`";

/// The vault and keys for `serve`: both keys are required, and the folder unless the database
/// is a SQLite file (then `attachments` beside it).
pub fn documents(config: &StorageConfig, database_url: &str) -> anyhow::Result<Documents> {
    let Some(key) = &config.key else {
        bail!(
            "storage.key is not set (SPORTELLO_STORAGE__KEY or storage.key): {HOW_TO_GENERATE}; keep it: sealed attachments cannot be read without it"
        );
    };
    let Some(verification) = &config.verification_key else {
        bail!(
            "storage.verification_key is not set (SPORTELLO_STORAGE__VERIFICATION_KEY): {HOW_TO_GENERATE}; keep it: printed permit codes stop verifying if it changes"
        );
    };
    let dir = match (&config.attachments_dir, sqlite_folder(database_url)) {
        (Some(dir), _) => dir.clone(),
        (None, Some(folder)) => folder.join("attachments"),
        (None, None) => {
            bail!("storage.attachments_dir is not set: with PostgreSQL it must name a folder")
        }
    };
    build(&dir, key.expose(), verification.expose())
}

/// The demo's vault and keys: the keys are made once in the data folder and kept there.
pub fn demo_documents(data: &Path) -> anyhow::Result<Documents> {
    let key = read_or_create(&data.join("storage.key"), StorageKey::random_base64)?;
    let verification = read_or_create(&data.join("verification.key"), || {
        VerificationKey::generate_base64().map_err(|e| anyhow::anyhow!("{e}"))
    })?;
    build(&data.join("attachments"), &key, &verification)
}

/// The key that seals secrets at rest besides sensitive attachments (the comuni's App IO
/// keys): `storage.key`, which `serve` requires.
pub fn sealing_key(config: &StorageConfig) -> anyhow::Result<StorageKey> {
    let Some(key) = &config.key else {
        bail!(
            "storage.key is not set (SPORTELLO_STORAGE__KEY or storage.key): {HOW_TO_GENERATE}; it seals the App IO keys"
        );
    };
    StorageKey::from_base64(key.expose()).context("storage.key is not the base64 of 32 bytes")
}

/// The demo's sealing key, the one its attachments use.
pub fn demo_sealing_key(data: &Path) -> anyhow::Result<StorageKey> {
    let key = read_or_create(&data.join("storage.key"), StorageKey::random_base64)?;
    StorageKey::from_base64(&key).context("the demo's storage.key is damaged")
}

fn build(dir: &Path, key: &str, verification: &str) -> anyhow::Result<Documents> {
    let key = StorageKey::from_base64(key).context("storage.key is not the base64 of 32 bytes")?;
    let verification = VerificationKey::from_base64(verification)
        .context("storage.verification_key is not the base64 of 32 bytes")?;
    Ok(Documents {
        vault: AttachmentVault::new(FsBlobStore::new(dir), key),
        verification,
    })
}

fn sqlite_folder(url: &str) -> Option<PathBuf> {
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or(path);
    Path::new(path).parent().map(Path::to_path_buf)
}

fn read_or_create<E: std::fmt::Display>(
    path: &Path,
    make: impl FnOnce() -> Result<String, E>,
) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        return Ok(existing.trim().to_owned());
    }
    let value = make().map_err(|e| anyhow::anyhow!("cannot make a key: {e}"))?;
    write_private(path, &value).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(value)
}

#[cfg(unix)]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(value.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, value: &str) -> std::io::Result<()> {
    std::fs::write(path, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attachments_sit_beside_a_sqlite_database() {
        assert_eq!(
            sqlite_folder("sqlite:///var/lib/sportello/sportello.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/sportello"))
        );
        assert_eq!(sqlite_folder("postgres://db/sportello"), None);
    }

    #[test]
    fn serve_refuses_to_start_without_keys_and_names_the_setting() {
        let missing = documents(&StorageConfig::default(), "sqlite:///tmp/x.db")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(missing.contains("SPORTELLO_STORAGE__KEY"), "{missing}");
    }

    #[test]
    fn the_demo_keeps_its_keys_across_restarts() {
        let dir = std::env::temp_dir().join(format!("sportello-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        demo_documents(&dir).unwrap();
        let first = std::fs::read_to_string(dir.join("storage.key")).unwrap();
        demo_documents(&dir).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("storage.key")).unwrap(),
            first
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
