//! Drafts: requests being filled in, saved at every step so that a citizen can stop and come
//! back (Designers Italia C.SE.1.6). A draft is visible only to its owner: the citizen, or the
//! clerk who fills it at the counter for a citizen who came in person.
//!
//! Creating and deleting a draft are audited; saving it is not. A save happens at every step
//! and records nothing anyone is accountable for: until submission the answers have no legal
//! standing, and at submission they are frozen into the pratica, whose creation is audited.

use crate::audit::Actor;
use crate::service_versions::{parse_slug, version_from_column};
use crate::{DbTime, StoreError, TenantScope, Tx};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sportello_domain::form::Answers;
use sportello_domain::{CodiceFiscale, Slug, UserId};
use sqlx::types::Json;
use std::fmt;
use uuid::Uuid;

/// The identifier of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DraftId(Uuid);

impl DraftId {
    pub const fn from_uuid(id: Uuid) -> DraftId {
        DraftId(id)
    }

    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for DraftId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The citizen a request is for, when a clerk files it for them at the counter: identified by
/// the clerk from a document, not by SPID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applicant {
    pub fiscal_code: CodiceFiscale,
    pub given_name: String,
    pub family_name: String,
}

/// A request being filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub id: DraftId,
    pub owner: UserId,
    pub service_slug: Slug,
    /// The procedure version the draft follows: the current one when it was created.
    pub service_version: u32,
    /// As typed, valid or not.
    pub answers: Answers,
    /// The step the citizen was on, to resume there.
    pub step: Option<String>,
    /// Set for an assisted request at the counter: the citizen it is for.
    pub on_behalf_of: Option<Applicant>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

type DraftRow = (
    Uuid,
    Uuid,
    String,
    i32,
    Json<Answers>,
    Option<String>,
    Option<Json<Applicant>>,
    DbTime,
    DbTime,
);

macro_rules! draft_columns {
    () => {
        "id, user_id, service_slug, service_version, answers, step, on_behalf_of, created_at, updated_at"
    };
}

fn draft_from_row(row: DraftRow) -> Result<Draft, StoreError> {
    let (id, owner, slug, version, answers, step, on_behalf_of, created_at, updated_at) = row;
    Ok(Draft {
        id: DraftId(id),
        owner: UserId::from_uuid(owner),
        service_slug: parse_slug(&slug)?,
        service_version: version_from_column(version)?,
        answers: answers.0,
        step,
        on_behalf_of: on_behalf_of.map(|j| j.0),
        created_at: created_at.as_timestamp(),
        updated_at: updated_at.as_timestamp(),
    })
}

impl TenantScope<'_> {
    /// Starts a draft of the service `slug` for `owner`, on the service's current procedure.
    /// Refused when the service is not requested online. A draft `on_behalf_of` a citizen is
    /// an assisted request at the counter: only someone holding a clerk role may start one.
    /// Audited as `draft.created`.
    pub async fn create_draft(
        &self,
        owner: UserId,
        slug: &str,
        on_behalf_of: Option<&Applicant>,
        actor: &Actor,
    ) -> Result<Draft, StoreError> {
        if on_behalf_of.is_some() && !self.is_clerk(owner).await? {
            return Err(StoreError::Forbidden(
                "only a clerk files a request for someone else".into(),
            ));
        }
        let now = DbTime::now();
        let id = Uuid::now_v7();
        let mut tx = self.store.begin().await?;
        // The version is read in the insert itself, so that it is the current one even if an
        // import runs at the same moment; the join on users keeps the owner in this comune.
        let row: Option<DraftRow> = on_tx!(&mut tx, conn => {
            sqlx::query_as(concat!(
                "INSERT INTO drafts (id, tenant_id, user_id, service_slug, service_version, answers, step, on_behalf_of, created_at, updated_at) \
                 SELECT $1, s.tenant_id, u.id, s.slug, s.procedure_version, $4, NULL, $5, $6, $6 \
                 FROM services s JOIN users u ON u.tenant_id = s.tenant_id \
                 WHERE s.tenant_id = $2 AND s.slug = $3 AND s.procedure_version IS NOT NULL AND u.id = $7 \
                 RETURNING ", draft_columns!()
            ))
            .bind(id)
            .bind(self.tenant)
            .bind(slug)
            .bind(Json(Answers::new()))
            .bind(on_behalf_of.map(Json))
            .bind(now)
            .bind(*owner.as_uuid())
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some(row) = row else {
            return Err(StoreError::Invalid(format!(
                "the comune has no online service {slug:?}, or no such user"
            )));
        };
        let draft = draft_from_row(row)?;
        actor
            .entry(
                Some(self.tenant_id()),
                "draft.created",
                format!("draft:{id}"),
                serde_json::json!({
                    "service": slug,
                    "version": draft.service_version,
                    "assisted": on_behalf_of.is_some(),
                }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(draft)
    }

    /// Saves the answers and the current step. Returns `false` when `owner` has no such
    /// draft. Not audited: see the module's documentation.
    pub async fn save_draft(
        &self,
        id: DraftId,
        owner: UserId,
        answers: &Answers,
        step: Option<&str>,
    ) -> Result<bool, StoreError> {
        let updated = on_db!(&self.store.db, pool => {
            sqlx::query(
                "UPDATE drafts SET answers = $1, step = $2, updated_at = $3 \
                 WHERE tenant_id = $4 AND id = $5 AND user_id = $6",
            )
            .bind(Json(answers))
            .bind(step)
            .bind(DbTime::now())
            .bind(self.tenant)
            .bind(id.0)
            .bind(*owner.as_uuid())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(updated == 1)
    }

    /// A draft, only for its owner: anyone else gets `None`, as for a draft that never was.
    pub async fn draft(&self, id: DraftId, owner: UserId) -> Result<Option<Draft>, StoreError> {
        let row: Option<DraftRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", draft_columns!(), " FROM drafts WHERE tenant_id = $1 AND id = $2 AND user_id = $3"
            ))
            .bind(self.tenant)
            .bind(id.0)
            .bind(*owner.as_uuid())
            .fetch_optional(pool)
            .await?
        });
        row.map(draft_from_row).transpose()
    }

    /// The drafts of `owner`, the most recently saved first.
    pub async fn drafts_of(&self, owner: UserId) -> Result<Vec<Draft>, StoreError> {
        let rows: Vec<DraftRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", draft_columns!(), " FROM drafts WHERE tenant_id = $1 AND user_id = $2 \
                 ORDER BY updated_at DESC, id DESC"
            ))
            .bind(self.tenant)
            .bind(*owner.as_uuid())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(draft_from_row).collect()
    }

    /// Deletes a draft of `owner`; its attachments are left to the retention purge, which
    /// removes their files. Returns `false` when `owner` has no such draft. Audited as
    /// `draft.deleted`.
    pub async fn delete_draft(
        &self,
        id: DraftId,
        owner: UserId,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let mut tx = self.store.begin().await?;
        let deleted = self.delete_draft_in(&mut tx, id, owner, actor).await?;
        if deleted {
            tx.commit().await?;
        }
        Ok(deleted)
    }

    /// [`delete_draft`](Self::delete_draft) in the caller's transaction: the submission deletes
    /// the draft it turned into a pratica, after moving its attachments there.
    pub async fn delete_draft_in(
        &self,
        tx: &mut Tx,
        id: DraftId,
        owner: UserId,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let now = DbTime::now();
        let deleted = on_tx!(&mut *tx, conn => {
            // Owned by nobody now, the files are purged at once by the next retention run.
            sqlx::query(
                "UPDATE attachments SET draft_id = NULL, delete_after = $1 \
                 WHERE tenant_id = $2 AND draft_id = $3 \
                 AND draft_id IN (SELECT id FROM drafts WHERE tenant_id = $2 AND id = $3 AND user_id = $4)",
            )
            .bind(now)
            .bind(self.tenant)
            .bind(id.0)
            .bind(*owner.as_uuid())
            .execute(&mut *conn)
            .await?;
            sqlx::query("DELETE FROM drafts WHERE tenant_id = $1 AND id = $2 AND user_id = $3")
                .bind(self.tenant)
                .bind(id.0)
                .bind(*owner.as_uuid())
                .execute(&mut *conn)
                .await?
                .rows_affected()
        }) == 1;
        if deleted {
            actor
                .entry(
                    Some(self.tenant_id()),
                    "draft.deleted",
                    format!("draft:{id}"),
                    serde_json::json!({}),
                )
                .record(tx)
                .await?;
        }
        Ok(deleted)
    }
}
