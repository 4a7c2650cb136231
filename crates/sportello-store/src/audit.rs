//! The append-only audit log: who did what, when, from where. Written in the same transaction
//! as the change it records, so a change without its entry cannot be committed.

use crate::{DbTime, StoreError, Tx};
use sportello_domain::{TenantId, UserId};
use sqlx::types::Json;
use uuid::Uuid;

/// An entry to append.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub tenant: Option<TenantId>,
    /// `system`, `cli:<operator>`, `user:<user id>` or `idp:<entity id>`: see [`Actor`].
    pub actor: String,
    /// A dotted verb such as `tenant.updated`.
    pub action: String,
    pub subject: String,
    pub details: serde_json::Value,
    /// Client address or other origin of the request, when there is one.
    pub source: Option<String>,
}

/// Where a request came from, as the edge saw it. Both values are the client's own claims (or
/// the reverse proxy's): they inform an audit trail, they authorise nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Who makes a change, and from where: becomes the `actor` and `source` of the audit entries
/// the change writes (the user agent goes into their details). Built only through its
/// constructors, so that actor names keep one format across the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    id: String,
    client: ClientInfo,
}

impl Actor {
    /// The service itself: housekeeping, first-start set-up.
    pub fn system() -> Actor {
        Actor {
            id: "system".to_owned(),
            client: ClientInfo::default(),
        }
    }

    /// An operator at the command line, e.g. `cli:root`.
    pub fn cli(operator: &str) -> Actor {
        Actor {
            id: format!("cli:{operator}"),
            client: ClientInfo::default(),
        }
    }

    /// A signed-in citizen, clerk or administrator.
    pub fn user(id: UserId, client: ClientInfo) -> Actor {
        Actor {
            id: format!("user:{id}"),
            client,
        }
    }

    /// An identity provider acting on its own, as in single logout it starts.
    pub fn idp(entity_id: &str, client: ClientInfo) -> Actor {
        Actor {
            id: format!("idp:{entity_id}"),
            client,
        }
    }

    /// As written in the audit log's `actor` column.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn client(&self) -> &ClientInfo {
        &self.client
    }

    /// The entry recording `action` by this actor.
    pub fn entry(
        &self,
        tenant: Option<TenantId>,
        action: &str,
        subject: String,
        mut details: serde_json::Value,
    ) -> AuditEntry {
        if let (Some(agent), Some(map)) = (&self.client.user_agent, details.as_object_mut()) {
            map.insert("user_agent".to_owned(), agent.clone().into());
        }
        AuditEntry {
            tenant,
            actor: self.id.clone(),
            action: action.to_owned(),
            subject,
            details,
            source: self.client.ip.clone(),
        }
    }
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
