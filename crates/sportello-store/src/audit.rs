//! The append-only audit log: who did what, when, from where. Written in the same transaction
//! as the change it records, so a change without its entry cannot be committed.

use crate::{DbTime, StoreError, Tx};
use sportello_domain::TenantId;
use sqlx::types::Json;
use uuid::Uuid;

/// An entry to append.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub tenant: Option<TenantId>,
    /// "system", "cli:<user>", or a citizen's or clerk's id.
    pub actor: String,
    /// A dotted verb such as `tenant.updated`.
    pub action: String,
    pub subject: String,
    pub details: serde_json::Value,
    /// Client address or other origin of the request, when there is one.
    pub source: Option<String>,
}

/// An entry as stored.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub at: DbTime,
    pub entry: AuditEntry,
}

impl AuditEntry {
    pub async fn record(&self, tx: &mut Tx) -> Result<(), StoreError> {
        on_tx!(tx, conn => {
            sqlx::query(
                "INSERT INTO audit_log (id, tenant_id, at, actor, action, subject, details, source) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7())
            .bind(self.tenant.map(|t| *t.as_uuid()))
            .bind(DbTime::now())
            .bind(&self.actor)
            .bind(&self.action)
            .bind(&self.subject)
            .bind(Json(&self.details))
            .bind(self.source.as_deref())
            .execute(conn)
            .await?;
        });
        Ok(())
    }
}
