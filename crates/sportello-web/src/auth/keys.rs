//! The service provider's signing keys: generated on first use, kept in the store (so every
//! instance signs with the same key), cached here for a minute so a rotation done by
//! `sportello spid keys` reaches every instance without a restart.

use crate::WebError;
use sportello_spid::keys::{Certificate, CertificateSubject, SigningKey};
use sportello_store::{Actor, SpKeyOwner, SpKeyState, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CACHE_FOR: Duration = Duration::from_secs(60);
/// Avviso SPID n.29 asks for certificates valid at most a few years; two is what AgID's own
/// generator uses.
const CERTIFICATE_DAYS: u32 = 730;

/// What signs for one owner (a comune, or the platform when it is an aggregator).
pub struct OwnerKeys {
    pub signing: SigningKey,
    pub certificate: Certificate,
    /// Every certificate to publish in metadata: the active one, the next one during a rotation
    /// and the previous one while IdPs may still hold it.
    pub published: Vec<Certificate>,
}

#[derive(Default)]
pub struct KeyRing {
    cache: Mutex<HashMap<SpKeyOwner, (Instant, Arc<OwnerKeys>)>>,
    /// One generation at a time in this process; the store arbitrates between processes.
    generating: tokio::sync::Mutex<()>,
}

impl KeyRing {
    pub fn new() -> KeyRing {
        KeyRing::default()
    }

    fn cached(&self, owner: SpKeyOwner) -> Option<Arc<OwnerKeys>> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(&owner)
            .filter(|(at, _)| at.elapsed() < CACHE_FOR)
            .map(|(_, keys)| keys.clone())
    }

    /// Drops the cached keys, after a rotation in this process.
    pub fn forget(&self, owner: SpKeyOwner) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.remove(&owner);
    }

    /// The keys of `owner`, generating and storing the first pair when there is none.
    pub async fn keys(
        &self,
        store: &Store,
        owner: SpKeyOwner,
        subject: &CertificateSubject,
        bits: usize,
    ) -> Result<Arc<OwnerKeys>, WebError> {
        if let Some(keys) = self.cached(owner) {
            return Ok(keys);
        }
        if let Some(keys) = load(store, owner).await? {
            return Ok(self.remember(owner, keys));
        }
        let _guard = self.generating.lock().await;
        if let Some(keys) = load(store, owner).await? {
            return Ok(self.remember(owner, keys));
        }
        let (key, certificate) = generate(subject.clone(), bits).await?;
        store
            .insert_sp_key(
                owner,
                key.pkcs8_der(),
                certificate.der(),
                certificate.not_after(),
                true,
                &Actor::system(),
            )
            .await?;
        tracing::info!(%owner, fingerprint = %certificate.sha256_fingerprint(), "service provider key generated");
        // Another instance may have won the race: whatever the store now says is the truth.
        let keys = load(store, owner).await?.ok_or(WebError::Internal(
            "no active service provider key after generation",
        ))?;
        Ok(self.remember(owner, keys))
    }

    fn remember(&self, owner: SpKeyOwner, keys: OwnerKeys) -> Arc<OwnerKeys> {
        let keys = Arc::new(keys);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(owner, (Instant::now(), keys.clone()));
        keys
    }
}

/// RSA key generation takes a moment: off the async threads.
pub async fn generate(
    subject: CertificateSubject,
    bits: usize,
) -> Result<(SigningKey, Certificate), WebError> {
    tokio::task::spawn_blocking(move || {
        let key = SigningKey::generate(bits)?;
        let certificate =
            Certificate::self_signed(&key, &subject, jiff::Timestamp::now(), CERTIFICATE_DAYS)?;
        Ok::<_, sportello_spid::keys::KeyError>((key, certificate))
    })
    .await
    .map_err(|_| WebError::Internal("key generation was interrupted"))?
    .map_err(|error| {
        tracing::error!(%error, "cannot generate a service provider key");
        WebError::Internal("cannot generate a service provider key")
    })
}

async fn load(store: &Store, owner: SpKeyOwner) -> Result<Option<OwnerKeys>, WebError> {
    let keys = store.sp_keys(owner).await?;
    let mut active = None;
    let mut published = Vec::new();
    for key in &keys {
        let Ok(certificate) = Certificate::from_der(key.certificate()) else {
            tracing::error!(%owner, "a stored service provider certificate cannot be read");
            continue;
        };
        if key.is_published() {
            published.push(certificate.clone());
        }
        if key.state() == SpKeyState::Active {
            match SigningKey::from_pkcs8_der(key.private_key()) {
                Ok(signing) => active = Some((signing, certificate)),
                Err(_) => tracing::error!(%owner, "a stored service provider key cannot be read"),
            }
        }
    }
    Ok(active.map(|(signing, certificate)| OwnerKeys {
        signing,
        certificate,
        published,
    }))
}
