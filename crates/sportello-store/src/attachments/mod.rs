//! Attachments: files a citizen uploads with a request. The database keeps their metadata and
//! SHA-256; the bytes go to a [`BlobStore`] under a random key. Sensitive files (health data)
//! are encrypted there with the configured [`StorageKey`], can be read only by a clerk of the
//! office that decides the pratica, and each such read is audited.
//!
//! A file belongs to a draft while the request is filled in, and moves to the pratica at
//! submission ([`TenantScope::attach_to_pratica`]). A file whose `delete_after` has passed is
//! removed, bytes and row, by [`Store::purge_expired_attachments`]: that is how the retention
//! rules (the medical certificate of a disabled badge) and abandoned uploads are applied.

mod blobs;
mod sealing;

pub use blobs::{BlobError, BlobKey, BlobStore, FsBlobStore};
pub use sealing::{StorageKey, StorageKeyError};

use crate::audit::{Actor, ClientInfo};
use crate::drafts::DraftId;
use crate::protocol::AttachmentDigest;
use crate::service_versions::hex;
use crate::{DbTime, Store, StoreError, TenantScope, Tx};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sportello_domain::{TenantId, UserId};
use std::fmt;
use uuid::Uuid;

/// The most files one retention run deletes.
pub const PURGE_BATCH: u32 = 500;

/// The identifier of an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AttachmentId(Uuid);

impl AttachmentId {
    pub const fn from_uuid(id: Uuid) -> AttachmentId {
        AttachmentId(id)
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for AttachmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentOwner {
    Draft(DraftId),
    Pratica(Uuid),
    /// Nothing any more: it waits for the retention purge.
    Nobody,
}

/// A stored file's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub owner: AttachmentOwner,
    /// Which attachment of the procedure this file is (e.g. `medical_certificate`).
    pub spec_id: String,
    /// As uploaded; shown to people, never used as a path.
    pub file_name: String,
    /// As sniffed from the content by the web layer.
    pub content_type: String,
    pub size: u64,
    /// Lower-case hex SHA-256 of the content (before encryption).
    pub sha256: String,
    pub sensitive: bool,
    pub created_at: Timestamp,
    pub delete_after: Option<Timestamp>,
}

impl Attachment {
    /// The file as the protocol register records it.
    pub fn digest(&self) -> AttachmentDigest {
        AttachmentDigest {
            name: self.file_name.clone(),
            content_type: self.content_type.clone(),
            size: self.size,
            sha256: self.sha256.clone(),
        }
    }
}

/// A file to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub spec_id: String,
    pub file_name: String,
    pub content_type: String,
    /// Special-category data (GDPR art. 9): encrypted at rest, readable by the deciding office.
    pub sensitive: bool,
}

/// Which files of a pratica a retention rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachmentSelection<'a> {
    All,
    Sensitive,
    /// The files of one attachment of the procedure, by its id.
    Spec(&'a str),
}

/// A file with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentContent {
    pub attachment: Attachment,
    pub bytes: Vec<u8>,
}

/// Who asks to read a file that is not sensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reader {
    /// The citizen (or the counter clerk) who owns the draft, or who made or submitted the
    /// pratica.
    Owner(UserId),
    /// A clerk acting for `office`: the store checks that they hold that role now and that the
    /// pratica is that office's.
    Clerk { user: UserId, office: String },
}

/// The blob store and the key of sensitive files: what reading and writing bytes needs.
#[derive(Debug, Clone)]
pub struct AttachmentVault<B> {
    blobs: B,
    key: StorageKey,
}

impl<B: BlobStore> AttachmentVault<B> {
    pub fn new(blobs: B, key: StorageKey) -> AttachmentVault<B> {
        AttachmentVault { blobs, key }
    }

    pub fn blobs(&self) -> &B {
        &self.blobs
    }
}

/// The encryption context of a sensitive blob: its comune and its key.
fn sealing_context(tenant: Uuid, key: &BlobKey) -> Vec<u8> {
    let mut aad = tenant.as_bytes().to_vec();
    aad.extend_from_slice(key.as_str().as_bytes());
    aad
}

type AttachmentRow = (
    Uuid,
    Option<Uuid>,
    Option<Uuid>,
    String,
    String,
    String,
    i64,
    String,
    bool,
    DbTime,
    Option<DbTime>,
);

/// The columns of [`AttachmentRow`], each after `$prefix` (a table alias and a dot, or nothing).
macro_rules! attachment_columns {
    ($p:literal) => {
        concat!(
            $p,
            "id, ",
            $p,
            "draft_id, ",
            $p,
            "pratica_id, ",
            $p,
            "spec_id, ",
            $p,
            "file_name, ",
            $p,
            "content_type, ",
            $p,
            "size, ",
            $p,
            "sha256, ",
            $p,
            "sensitive, ",
            $p,
            "created_at, ",
            $p,
            "delete_after"
        )
    };
}

fn attachment_from_row(row: AttachmentRow) -> Result<Attachment, StoreError> {
    let (
        id,
        draft,
        pratica,
        spec_id,
        file_name,
        content_type,
        size,
        sha256,
        sensitive,
        created_at,
        delete_after,
    ) = row;
    let owner = match (draft, pratica) {
        (Some(draft), _) => AttachmentOwner::Draft(DraftId::from_uuid(draft)),
        (None, Some(pratica)) => AttachmentOwner::Pratica(pratica),
        (None, None) => AttachmentOwner::Nobody,
    };
    Ok(Attachment {
        id: AttachmentId(id),
        owner,
        spec_id,
        file_name,
        content_type,
        size: u64::try_from(size).map_err(|_| StoreError::corrupt("attachment size", size))?,
        sha256,
        sensitive,
        created_at: created_at.as_timestamp(),
        delete_after: delete_after.map(DbTime::as_timestamp),
    })
}

/// An attachment with what deciding access needs: its blob, the draft's owner, and the
/// pratica's applicant, submitter and office.
struct Located {
    attachment: Attachment,
    key: BlobKey,
    draft_owner: Option<Uuid>,
    applicant: Option<Uuid>,
    submitted_by: Option<Uuid>,
    office: Option<String>,
}

impl TenantScope<'_> {
    /// Stores a file in a draft of `owner`. Returns `None` when `owner` has no such draft.
    /// Audited as `attachment.added`.
    pub async fn add_attachment<B: BlobStore>(
        &self,
        vault: &AttachmentVault<B>,
        draft: DraftId,
        owner: UserId,
        new: &NewAttachment,
        bytes: &[u8],
        actor: &Actor,
    ) -> Result<Option<Attachment>, StoreError> {
        if new.spec_id.is_empty() || new.file_name.is_empty() || new.content_type.is_empty() {
            return Err(StoreError::Invalid(
                "an attachment needs its field, its name and its content type".into(),
            ));
        }
        let size = i64::try_from(bytes.len())
            .map_err(|_| StoreError::Invalid("an attachment is too large".into()))?;
        if !self.owns_draft(draft, owner).await? {
            return Ok(None);
        }
        let sha256 = hex(&Sha256::digest(bytes));
        let key = BlobKey::generate(self.tenant)?;
        let stored = if new.sensitive {
            vault.key.seal(&sealing_context(self.tenant, &key), bytes)?
        } else {
            bytes.to_vec()
        };
        // The bytes first: a crash before the row leaves a stray blob, never a row whose file
        // is missing.
        vault.blobs.put(&key, stored).await?;
        let result = self
            .insert_attachment(draft, owner, new, size, &sha256, &key, actor)
            .await;
        if !matches!(result, Ok(Some(_))) {
            // The draft went away meanwhile, or the row could not be written.
            if let Err(e) = vault.blobs.delete(&key).await {
                tracing::warn!(error = %e, "an unused attachment blob could not be deleted");
            }
        }
        result
    }

    async fn owns_draft(&self, draft: DraftId, owner: UserId) -> Result<bool, StoreError> {
        let row: Option<(i32,)> = on_db!(&self.store.db, pool => {
            sqlx::query_as("SELECT 1 FROM drafts WHERE tenant_id = $1 AND id = $2 AND user_id = $3")
                .bind(self.tenant)
                .bind(*draft.as_uuid())
                .bind(*owner.as_uuid())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.is_some())
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_attachment(
        &self,
        draft: DraftId,
        owner: UserId,
        new: &NewAttachment,
        size: i64,
        sha256: &str,
        key: &BlobKey,
        actor: &Actor,
    ) -> Result<Option<Attachment>, StoreError> {
        let mut tx = self.store.begin().await?;
        let row: Option<AttachmentRow> = on_tx!(&mut tx, conn => {
            sqlx::query_as(concat!(
                "INSERT INTO attachments (id, tenant_id, draft_id, pratica_id, spec_id, file_name, content_type, \
                 size, sha256, sensitive, storage_key, created_at, delete_after) \
                 SELECT $1, d.tenant_id, d.id, NULL, $4, $5, $6, $7, $8, $9, $10, $11, NULL \
                 FROM drafts d WHERE d.tenant_id = $2 AND d.id = $3 AND d.user_id = $12 \
                 RETURNING ", attachment_columns!("")
            ))
            .bind(Uuid::now_v7())
            .bind(self.tenant)
            .bind(*draft.as_uuid())
            .bind(&new.spec_id)
            .bind(&new.file_name)
            .bind(&new.content_type)
            .bind(size)
            .bind(sha256)
            .bind(new.sensitive)
            .bind(key.as_str())
            .bind(DbTime::now())
            .bind(*owner.as_uuid())
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let attachment = attachment_from_row(row)?;
        actor
            .entry(
                Some(self.tenant_id()),
                "attachment.added",
                format!("attachment:{}", attachment.id),
                serde_json::json!({
                    "draft": draft,
                    "spec": attachment.spec_id,
                    "sha256": attachment.sha256,
                    "size": attachment.size,
                    "sensitive": attachment.sensitive,
                }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(Some(attachment))
    }

    /// Takes a file out of a draft of `owner`; its bytes go at once, or at the next retention
    /// purge if the blob store fails now. Returns `false` when `owner` has no such file.
    /// Audited as `attachment.removed`.
    pub async fn remove_attachment<B: BlobStore>(
        &self,
        vault: &AttachmentVault<B>,
        id: AttachmentId,
        owner: UserId,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let now = DbTime::now();
        let mut tx = self.store.begin().await?;
        let key: Option<(String,)> = on_tx!(&mut tx, conn => {
            sqlx::query_as(
                "UPDATE attachments SET draft_id = NULL, delete_after = $1 \
                 WHERE tenant_id = $2 AND id = $3 \
                 AND draft_id IN (SELECT id FROM drafts WHERE tenant_id = $2 AND user_id = $4) \
                 RETURNING storage_key",
            )
            .bind(now)
            .bind(self.tenant)
            .bind(id.0)
            .bind(*owner.as_uuid())
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some((key,)) = key else {
            return Ok(false);
        };
        actor
            .entry(
                Some(self.tenant_id()),
                "attachment.removed",
                format!("attachment:{id}"),
                serde_json::json!({}),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        let key = BlobKey::parse(&key)?;
        if let Err(e) = self
            .store
            .purge_attachment(vault, self.tenant, id.0, &key, &Actor::system())
            .await
        {
            tracing::warn!(error = %e, "a removed attachment is left to the retention purge");
        }
        Ok(true)
    }

    /// The files of a draft of `owner`, in upload order.
    pub async fn draft_attachments(
        &self,
        draft: DraftId,
        owner: UserId,
    ) -> Result<Vec<Attachment>, StoreError> {
        let rows: Vec<AttachmentRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", attachment_columns!("a."), " FROM attachments a \
                 JOIN drafts d ON d.tenant_id = a.tenant_id AND d.id = a.draft_id \
                 WHERE a.tenant_id = $1 AND a.draft_id = $2 AND d.user_id = $3 ORDER BY a.id"
            ))
            .bind(self.tenant)
            .bind(*draft.as_uuid())
            .bind(*owner.as_uuid())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(attachment_from_row).collect()
    }

    /// The files of a pratica, in upload order. Metadata only: who may see the pratica is the
    /// caller's check; the bytes need [`read_attachment`](Self::read_attachment).
    pub async fn pratica_attachments(&self, pratica: Uuid) -> Result<Vec<Attachment>, StoreError> {
        let rows: Vec<AttachmentRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", attachment_columns!("a."), " FROM attachments a \
                 WHERE a.tenant_id = $1 AND a.pratica_id = $2 ORDER BY a.id"
            ))
            .bind(self.tenant)
            .bind(pratica)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(attachment_from_row).collect()
    }

    /// A file's metadata.
    pub async fn attachment(&self, id: AttachmentId) -> Result<Option<Attachment>, StoreError> {
        Ok(self.locate(id).await?.map(|l| l.attachment))
    }

    async fn locate(&self, id: AttachmentId) -> Result<Option<Located>, StoreError> {
        type Row = (
            Uuid,
            Option<Uuid>,
            Option<Uuid>,
            String,
            String,
            String,
            i64,
            String,
            bool,
            DbTime,
            Option<DbTime>,
            String,
            Option<Uuid>,
            Option<Uuid>,
            Option<Uuid>,
            Option<String>,
        );
        let row: Option<Row> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", attachment_columns!("a."), ", a.storage_key, d.user_id, p.applicant_user_id, p.submitted_by, p.office_key \
                 FROM attachments a \
                 LEFT JOIN drafts d ON d.tenant_id = a.tenant_id AND d.id = a.draft_id \
                 LEFT JOIN pratiche p ON p.tenant_id = a.tenant_id AND p.id = a.pratica_id \
                 WHERE a.tenant_id = $1 AND a.id = $2"
            ))
            .bind(self.tenant)
            .bind(id.0)
            .fetch_optional(pool)
            .await?
        });
        let Some((
            id,
            draft,
            pratica,
            spec_id,
            file_name,
            content_type,
            size,
            sha256,
            sensitive,
            created_at,
            delete_after,
            key,
            draft_owner,
            applicant,
            submitted_by,
            office,
        )) = row
        else {
            return Ok(None);
        };
        let attachment = attachment_from_row((
            id,
            draft,
            pratica,
            spec_id,
            file_name,
            content_type,
            size,
            sha256,
            sensitive,
            created_at,
            delete_after,
        ))?;
        Ok(Some(Located {
            attachment,
            key: BlobKey::parse(&key)?,
            draft_owner,
            applicant,
            submitted_by,
            office,
        }))
    }

    /// Whether `user` holds a clerk role, of any office, now.
    pub(crate) async fn is_clerk(&self, user: UserId) -> Result<bool, StoreError> {
        let row: Option<(i32,)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT 1 FROM users u JOIN role_grants g ON g.tenant_id = u.tenant_id AND g.fiscal_code = u.fiscal_code \
                 WHERE u.tenant_id = $1 AND u.id = $2 AND g.role = 'clerk' AND g.revoked_at IS NULL LIMIT 1",
            )
            .bind(self.tenant)
            .bind(*user.as_uuid())
            .fetch_optional(pool)
            .await?
        });
        Ok(row.is_some())
    }

    /// Whether `user` holds the clerk role of `office` now.
    pub(crate) async fn is_clerk_of(&self, user: UserId, office: &str) -> Result<bool, StoreError> {
        let row: Option<(i32,)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT 1 FROM users u JOIN role_grants g ON g.tenant_id = u.tenant_id AND g.fiscal_code = u.fiscal_code \
                 WHERE u.tenant_id = $1 AND u.id = $2 AND g.role = 'clerk' AND g.office_key = $3 AND g.revoked_at IS NULL",
            )
            .bind(self.tenant)
            .bind(*user.as_uuid())
            .bind(office)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.is_some())
    }

    /// Whether a clerk of `office` may handle the file: it belongs to a pratica of that office
    /// and `clerk` holds the office's role now.
    async fn office_may_read(
        &self,
        located: &Located,
        clerk: UserId,
        office: &str,
    ) -> Result<bool, StoreError> {
        Ok(
            matches!(located.attachment.owner, AttachmentOwner::Pratica(_))
                && located.office.as_deref() == Some(office)
                && self.is_clerk_of(clerk, office).await?,
        )
    }

    /// A file that is not sensitive, with its bytes, for its owner or for a clerk of the
    /// office deciding its pratica. `None` when there is no such file; `Forbidden` when the
    /// reader may not see it, and for every sensitive file (read those with
    /// [`read_sensitive_attachment`](Self::read_sensitive_attachment)).
    pub async fn read_attachment<B: BlobStore>(
        &self,
        vault: &AttachmentVault<B>,
        id: AttachmentId,
        reader: &Reader,
    ) -> Result<Option<AttachmentContent>, StoreError> {
        let Some(located) = self.locate(id).await? else {
            return Ok(None);
        };
        if located.attachment.sensitive {
            return Err(StoreError::Forbidden(
                "a sensitive attachment is read only by its deciding office".into(),
            ));
        }
        let allowed = match reader {
            Reader::Owner(user) => {
                let user = Some(*user.as_uuid());
                match located.attachment.owner {
                    AttachmentOwner::Draft(_) => located.draft_owner == user,
                    AttachmentOwner::Pratica(_) => {
                        located.applicant == user || located.submitted_by == user
                    }
                    AttachmentOwner::Nobody => false,
                }
            }
            Reader::Clerk { user, office } => self.office_may_read(&located, *user, office).await?,
        };
        if !allowed {
            return Err(StoreError::Forbidden(
                "this attachment is not yours to read".into(),
            ));
        }
        self.fetch(vault, located).await.map(Some)
    }

    /// A file of a pratica with its bytes, decrypted if sensitive, for a clerk of the office
    /// that decides the pratica: the web layer names the office the clerk acts for, the store
    /// checks that the clerk holds that role now and that the pratica is that office's. Every
    /// read is audited as `attachment.read` (before the bytes are returned), every refusal as
    /// `attachment.read_denied`.
    pub async fn read_sensitive_attachment<B: BlobStore>(
        &self,
        vault: &AttachmentVault<B>,
        id: AttachmentId,
        clerk: UserId,
        office: &str,
        client: &ClientInfo,
    ) -> Result<Option<AttachmentContent>, StoreError> {
        let Some(located) = self.locate(id).await? else {
            return Ok(None);
        };
        let allowed = self.office_may_read(&located, clerk, office).await?;
        let actor = Actor::user(clerk, client.clone());
        let mut tx = self.store.begin().await?;
        actor
            .entry(
                Some(self.tenant_id()),
                if allowed {
                    "attachment.read"
                } else {
                    "attachment.read_denied"
                },
                format!("attachment:{id}"),
                serde_json::json!({
                    "office": office,
                    "pratica": match located.attachment.owner {
                        AttachmentOwner::Pratica(p) => Some(p),
                        _ => None,
                    },
                    "sensitive": located.attachment.sensitive,
                }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        if !allowed {
            return Err(StoreError::Forbidden(
                "only a clerk of the office deciding the pratica may read this attachment".into(),
            ));
        }
        self.fetch(vault, located).await.map(Some)
    }

    async fn fetch<B: BlobStore>(
        &self,
        vault: &AttachmentVault<B>,
        located: Located,
    ) -> Result<AttachmentContent, StoreError> {
        let stored = vault.blobs.get(&located.key).await?;
        let bytes = if located.attachment.sensitive {
            vault
                .key
                .open(&sealing_context(self.tenant, &located.key), &stored)?
        } else {
            stored
        };
        // Caught here rather than handed to a clerk: a file that changed since upload is not
        // the one the protocol register fingerprinted.
        if hex(&Sha256::digest(&bytes)) != located.attachment.sha256 {
            return Err(StoreError::corrupt(
                "attachment",
                format!("{} does not match its SHA-256", located.attachment.id),
            ));
        }
        Ok(AttachmentContent {
            attachment: located.attachment,
            bytes,
        })
    }

    /// The files of a draft, read in the caller's transaction (the submission's).
    pub(crate) async fn draft_attachments_in(
        &self,
        tx: &mut Tx,
        draft: DraftId,
    ) -> Result<Vec<Attachment>, StoreError> {
        let rows: Vec<AttachmentRow> = on_tx!(&mut *tx, conn => {
            sqlx::query_as(concat!(
                "SELECT ", attachment_columns!("a."), " FROM attachments a \
                 WHERE a.tenant_id = $1 AND a.draft_id = $2 ORDER BY a.id"
            ))
            .bind(self.tenant)
            .bind(*draft.as_uuid())
            .fetch_all(&mut *conn)
            .await?
        });
        rows.into_iter().map(attachment_from_row).collect()
    }

    /// Moves every file of a draft to a pratica, in the submission's transaction. Returns the
    /// files moved.
    pub async fn attach_to_pratica(
        &self,
        tx: &mut Tx,
        draft: DraftId,
        pratica: Uuid,
    ) -> Result<Vec<Attachment>, StoreError> {
        let rows: Vec<AttachmentRow> = on_tx!(&mut *tx, conn => {
            sqlx::query_as(concat!(
                "UPDATE attachments SET draft_id = NULL, pratica_id = $3 \
                 WHERE tenant_id = $1 AND draft_id = $2 RETURNING ", attachment_columns!("")
            ))
            .bind(self.tenant)
            .bind(*draft.as_uuid())
            .bind(pratica)
            .fetch_all(&mut *conn)
            .await?
        });
        let mut moved = rows
            .into_iter()
            .map(attachment_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        moved.sort_by_key(|a| a.id);
        Ok(moved)
    }

    /// Schedules the deletion of some of a pratica's files, in the caller's transaction: the
    /// retention rule of an attachment (e.g. the medical certificate's `retention_days` once
    /// the pratica is decided). Returns how many files were scheduled.
    pub async fn schedule_attachment_deletion(
        &self,
        tx: &mut Tx,
        pratica: Uuid,
        which: AttachmentSelection<'_>,
        delete_after: Timestamp,
    ) -> Result<u64, StoreError> {
        let (mode, spec): (i32, Option<&str>) = match which {
            AttachmentSelection::All => (0, None),
            AttachmentSelection::Sensitive => (1, None),
            AttachmentSelection::Spec(spec) => (2, Some(spec)),
        };
        let scheduled = on_tx!(&mut *tx, conn => {
            sqlx::query(
                "UPDATE attachments SET delete_after = $1 WHERE tenant_id = $2 AND pratica_id = $3 \
                 AND ($4 = 0 OR ($4 = 1 AND sensitive) OR ($4 = 2 AND spec_id = $5))",
            )
            .bind(DbTime::from(delete_after))
            .bind(self.tenant)
            .bind(pratica)
            .bind(mode)
            .bind(spec)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(scheduled)
    }
}

impl Store {
    /// Deletes the files whose `delete_after` is `now` or earlier, bytes then row, in every
    /// comune, at most [`PURGE_BATCH`] per call; each deletion audited as `attachment.purged`.
    /// A file whose bytes cannot be deleted now stays for the next run. Returns how many files
    /// were deleted: a housekeeping job calls again while that is the full batch.
    pub async fn purge_expired_attachments<B: BlobStore>(
        &self,
        vault: &AttachmentVault<B>,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let due: Vec<(Uuid, Uuid, String)> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT id, tenant_id, storage_key FROM attachments WHERE delete_after <= $1 \
                 ORDER BY delete_after, id LIMIT $2",
            )
            .bind(DbTime::from(now))
            .bind(i64::from(PURGE_BATCH))
            .fetch_all(pool)
            .await?
        });
        let actor = Actor::system();
        let mut purged = 0;
        for (id, tenant, key) in due {
            let result = match BlobKey::parse(&key) {
                Ok(key) => self.purge_attachment(vault, tenant, id, &key, &actor).await,
                Err(e) => Err(e.into()),
            };
            match result {
                Ok(()) => purged += 1,
                Err(e) => {
                    tracing::warn!(error = %e, attachment = %id, "attachment not purged; next run retries")
                }
            }
        }
        Ok(purged)
    }

    /// Deletes a file's bytes, then its row. Run again after a crash between the two, it
    /// finds the bytes already gone and deletes the row.
    async fn purge_attachment<B: BlobStore>(
        &self,
        vault: &AttachmentVault<B>,
        tenant: Uuid,
        id: Uuid,
        key: &BlobKey,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        vault.blobs.delete(key).await?;
        let mut tx = self.begin().await?;
        let row: Option<(Option<Uuid>, bool)> = on_tx!(&mut tx, conn => {
            sqlx::query_as("DELETE FROM attachments WHERE tenant_id = $1 AND id = $2 RETURNING pratica_id, sensitive")
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
        });
        if let Some((pratica, sensitive)) = row {
            actor
                .entry(
                    Some(TenantId::from_uuid(tenant)),
                    "attachment.purged",
                    format!("attachment:{id}"),
                    serde_json::json!({ "pratica": pratica, "sensitive": sensitive }),
                )
                .record(&mut tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
