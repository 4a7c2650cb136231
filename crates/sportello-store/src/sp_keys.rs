//! The service provider's signing keys, kept in the store so that every instance signs with
//! the same key, with rotation in two steps so identity providers never see an unknown one:
//!
//! 1. a *next* key is created: published in metadata at once, not yet used;
//! 2. once the identity providers have the new metadata, it is *promoted*: it signs from then
//!    on, and the previous key is *retired*, still published for
//!    [`RETIRED_KEY_PUBLISHED_FOR`] so that exchanges started with it can finish and cached
//!    copies of the metadata stay valid.
//!
//! At most one key per owner is active and at most one is next: unique partial indexes enforce
//! it, so two instances starting together cannot both activate a key.

use crate::audit::Actor;
use crate::{DbTime, Store, StoreError};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sportello_domain::TenantId;
use std::fmt;
use std::time::Duration;
use uuid::Uuid;

/// How long a retired key stays in the metadata. A week: identity providers and AgID's
/// registry refresh service provider metadata within days, and requests signed just before the
/// promotion must still verify when their answers or logouts come back.
pub const RETIRED_KEY_PUBLISHED_FOR: Duration = Duration::from_secs(7 * 86_400);

/// Whose key: the platform's, when it is an aggregator signing for every comune, or one
/// comune's, when each comune is its own service provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpKeyOwner {
    Platform,
    Tenant(TenantId),
}

impl SpKeyOwner {
    const PLATFORM: &'static str = "platform";

    /// `platform` or a tenant id, as written by [`fmt::Display`].
    pub fn parse(value: &str) -> Option<SpKeyOwner> {
        if value == Self::PLATFORM {
            return Some(SpKeyOwner::Platform);
        }
        Uuid::parse_str(value)
            .ok()
            .map(|id| SpKeyOwner::Tenant(TenantId::from_uuid(id)))
    }

    fn tenant(self) -> Option<TenantId> {
        match self {
            SpKeyOwner::Platform => None,
            SpKeyOwner::Tenant(id) => Some(id),
        }
    }
}

impl fmt::Display for SpKeyOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpKeyOwner::Platform => f.write_str(Self::PLATFORM),
            SpKeyOwner::Tenant(id) => id.fmt(f),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpKeyState {
    /// Published, not yet signing.
    Next,
    /// Signing.
    Active,
    /// No longer signing; published until [`RETIRED_KEY_PUBLISHED_FOR`] after retirement.
    Retired,
}

/// A stored key pair. The private key never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct SpKey {
    id: Uuid,
    owner: SpKeyOwner,
    private_key: Vec<u8>,
    certificate: Vec<u8>,
    not_after: Timestamp,
    created_at: Timestamp,
    activated_at: Option<Timestamp>,
    retired_at: Option<Timestamp>,
}

impl SpKey {
    pub fn id(&self) -> Uuid {
        self.id
    }

    pub fn owner(&self) -> SpKeyOwner {
        self.owner
    }

    /// PKCS#8 DER.
    pub fn private_key(&self) -> &[u8] {
        &self.private_key
    }

    /// X.509 DER.
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// The certificate's expiry.
    pub fn not_after(&self) -> Timestamp {
        self.not_after
    }

    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    pub fn activated_at(&self) -> Option<Timestamp> {
        self.activated_at
    }

    pub fn retired_at(&self) -> Option<Timestamp> {
        self.retired_at
    }

    pub fn state(&self) -> SpKeyState {
        match (self.activated_at, self.retired_at) {
            (None, _) => SpKeyState::Next,
            (Some(_), None) => SpKeyState::Active,
            (Some(_), Some(_)) => SpKeyState::Retired,
        }
    }

    /// Whether the certificate belongs in the metadata now.
    pub fn is_published(&self) -> bool {
        self.is_published_at(Timestamp::now())
    }

    /// Next and active keys are published; a retired one until [`RETIRED_KEY_PUBLISHED_FOR`]
    /// after its retirement, and never past its certificate's expiry.
    pub fn is_published_at(&self, now: Timestamp) -> bool {
        match (self.state(), self.retired_at) {
            (SpKeyState::Retired, Some(retired_at)) => {
                let until = retired_at
                    .checked_add(RETIRED_KEY_PUBLISHED_FOR)
                    .unwrap_or(retired_at);
                now < until && now < self.not_after
            }
            _ => true,
        }
    }

    /// SHA-256 of the certificate, hex: how operators and identity providers tell keys apart.
    pub fn certificate_fingerprint(&self) -> String {
        fingerprint(&self.certificate)
    }
}

impl fmt::Debug for SpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpKey")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("state", &self.state())
            .field("private_key", &"<redacted>")
            .field("certificate_sha256", &self.certificate_fingerprint())
            .field("not_after", &self.not_after)
            .field("created_at", &self.created_at)
            .field("activated_at", &self.activated_at)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

type KeyRow = (
    Uuid,
    Vec<u8>,
    Vec<u8>,
    DbTime,
    DbTime,
    Option<DbTime>,
    Option<DbTime>,
);

impl Store {
    /// Every key of `owner`, oldest first, whatever its state.
    pub async fn sp_keys(&self, owner: SpKeyOwner) -> Result<Vec<SpKey>, StoreError> {
        let rows: Vec<KeyRow> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, private_key, certificate, not_after, created_at, activated_at, retired_at \
                 FROM sp_keys WHERE owner = $1 ORDER BY created_at, id",
            )
            .bind(owner.to_string())
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    private_key,
                    certificate,
                    not_after,
                    created_at,
                    activated_at,
                    retired_at,
                )| {
                    SpKey {
                        id,
                        owner,
                        private_key,
                        certificate,
                        not_after: not_after.as_timestamp(),
                        created_at: created_at.as_timestamp(),
                        activated_at: activated_at.map(DbTime::as_timestamp),
                        retired_at: retired_at.map(DbTime::as_timestamp),
                    }
                },
            )
            .collect())
    }

    /// Stores a key pair for `owner`: active at once when `activate` (first start), otherwise
    /// as the next key (a rotation). Returns the new key's id, or `None` when the owner
    /// already has a key in that state and nothing was stored: of two instances generating
    /// a first key together, one stores it and the other gets `None` and must read the
    /// winner's key. Audited as `sp_key.created`.
    pub async fn insert_sp_key(
        &self,
        owner: SpKeyOwner,
        private_key_pkcs8: &[u8],
        certificate_der: &[u8],
        not_after: Timestamp,
        activate: bool,
        actor: &Actor,
    ) -> Result<Option<Uuid>, StoreError> {
        let id = Uuid::now_v7();
        let now = DbTime::now();
        let mut tx = self.begin().await?;
        // The unique partial indexes decide the race: ON CONFLICT DO NOTHING inserts nothing
        // when the active (or next) place is taken, even by a transaction not yet committed.
        let inserted = on_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO sp_keys (id, owner, private_key, certificate, not_after, created_at, activated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(owner.to_string())
            .bind(private_key_pkcs8)
            .bind(certificate_der)
            .bind(DbTime::from(not_after))
            .bind(now)
            .bind(activate.then_some(now))
            .execute(&mut *conn)
            .await?
            .rows_affected()
        }) == 1;
        if !inserted {
            return Ok(None);
        }
        actor
            .entry(
                owner.tenant(),
                "sp_key.created",
                format!("sp_key:{id}"),
                serde_json::json!({
                    "owner": owner.to_string(),
                    "state": if activate { "active" } else { "next" },
                    "not_after": not_after.to_string(),
                    "certificate_sha256": fingerprint(certificate_der),
                }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Makes the next key of `owner` the active one and retires the active one, in one
    /// transaction. Returns the id of the key now active, or `None` when there was no next key
    /// (or a concurrent promotion took it): nothing changes then. Audited as
    /// `sp_key.promoted`.
    pub async fn promote_next_key(
        &self,
        owner: SpKeyOwner,
        actor: &Actor,
    ) -> Result<Option<Uuid>, StoreError> {
        let now = DbTime::now();
        let owner_text = owner.to_string();
        let mut tx = self.begin().await?;
        let next: Option<(Uuid,)> = on_tx!(&mut tx, conn => {
            sqlx::query_as("SELECT id FROM sp_keys WHERE owner = $1 AND activated_at IS NULL")
                .bind(&owner_text)
                .fetch_optional(&mut *conn)
                .await?
        });
        let Some((next,)) = next else {
            return Ok(None);
        };
        // Retire first: the unique index allows one active key per owner at every moment.
        let retired: Option<(Uuid,)> = on_tx!(&mut tx, conn => {
            sqlx::query_as(
                "UPDATE sp_keys SET retired_at = $2 WHERE owner = $1 AND activated_at IS NOT NULL \
                 AND retired_at IS NULL RETURNING id",
            )
            .bind(&owner_text)
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?
        });
        // If a concurrent promotion activated this key after we read it, the statement above
        // may have retired it; this one then changes nothing, and we roll everything back.
        let activated = on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE sp_keys SET activated_at = $2 WHERE id = $1 AND activated_at IS NULL")
                .bind(next)
                .bind(now)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        }) == 1;
        if !activated {
            return Ok(None);
        }
        actor
            .entry(
                owner.tenant(),
                "sp_key.promoted",
                format!("sp_key:{next}"),
                serde_json::json!({
                    "owner": owner_text,
                    "retired": retired.map(|(id,)| id.to_string()),
                }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some(next))
    }
}
