//! Tenants: finding a comune by slug or host, and importing a comune file.

use crate::audit::AuditEntry;
use crate::service_versions::NewProcedureVersion;
use crate::{DbTime, Store, StoreError};
use sportello_domain::tenant::Logo;
use sportello_domain::tenant_file::TenantDefinition;
use sportello_domain::{Slug, Tenant, TenantId, TenantProfile};
use sqlx::types::Json;
use uuid::Uuid;

/// What `import_tenant` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub tenant_id: TenantId,
    pub created: bool,
    pub offices: usize,
    pub services: usize,
    /// Procedures that changed (or appeared) with this import, each with its new version.
    pub new_procedure_versions: Vec<NewProcedureVersion>,
}

type TenantRow = (Uuid, String, Json<TenantProfile>);

fn tenant_from_row((id, slug, profile): TenantRow) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: TenantId::from_uuid(id),
        slug: Slug::parse(&slug).map_err(|e| StoreError::corrupt("tenant slug", e))?,
        profile: profile.0,
    })
}

impl Store {
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = on_db!(&self.db, pool => {
            sqlx::query_as("SELECT id, slug, profile FROM tenants WHERE slug = $1")
                .bind(slug)
                .fetch_optional(pool)
                .await?
        });
        row.map(tenant_from_row).transpose()
    }

    pub async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = on_db!(&self.db, pool => {
            sqlx::query_as("SELECT id, slug, profile FROM tenants WHERE id = $1")
                .bind(*id.as_uuid())
                .fetch_optional(pool)
                .await?
        });
        row.map(tenant_from_row).transpose()
    }

    /// The tenant that serves `host` (lower-case, without port), if any.
    pub async fn tenant_by_host(&self, host: &str) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT t.id, t.slug, t.profile FROM tenants t \
                 JOIN tenant_domains d ON d.tenant_id = t.id WHERE d.host = $1",
            )
            .bind(host)
            .fetch_optional(pool)
            .await?
        });
        row.map(tenant_from_row).transpose()
    }

    /// Every tenant, by name.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        let rows: Vec<TenantRow> = on_db!(&self.db, pool => {
            sqlx::query_as("SELECT id, slug, profile FROM tenants ORDER BY name, slug")
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(tenant_from_row).collect()
    }

    /// Inserts or replaces a comune from its validated file, in one transaction: the tenant
    /// keeps its id, its domains, offices and services become exactly those of the file. The
    /// procedure of each online service is versioned: see [`TenantScope::current_procedure`].
    ///
    /// [`TenantScope::current_procedure`]: crate::TenantScope::current_procedure
    pub async fn import_tenant(
        &self,
        definition: &TenantDefinition,
        logo: &Logo,
        actor: &str,
    ) -> Result<ImportOutcome, StoreError> {
        let now = DbTime::now();
        let profile = &definition.profile;
        let mut tx = self.begin().await?;
        let mut outcome = on_tx!(&mut tx, conn => {
            let existing: Option<(Uuid,)> = sqlx::query_as("SELECT id FROM tenants WHERE slug = $1")
                .bind(definition.slug.as_str())
                .fetch_optional(&mut *conn)
                .await?;
            let created = existing.is_none();
            let id = existing.map(|(id,)| id).unwrap_or_else(|| *TenantId::generate().as_uuid());
            sqlx::query(
                "INSERT INTO tenants (id, slug, name, codice_fiscale, ipa_code, profile, logo_content_type, logo, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT (slug) DO UPDATE SET name = excluded.name, codice_fiscale = excluded.codice_fiscale, \
                 ipa_code = excluded.ipa_code, profile = excluded.profile, logo_content_type = excluded.logo_content_type, \
                 logo = excluded.logo, updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(definition.slug.as_str())
            .bind(&profile.name)
            .bind(profile.codice_fiscale.as_str())
            .bind(profile.ipa_code.as_str())
            .bind(Json(profile))
            .bind(logo.format.content_type())
            .bind(&logo.bytes)
            .bind(now)
            .execute(&mut *conn)
            .await?;

            sqlx::query("DELETE FROM tenant_domains WHERE tenant_id = $1").bind(id).execute(&mut *conn).await?;
            for host in &profile.domains {
                let taken: Option<(Uuid,)> = sqlx::query_as("SELECT tenant_id FROM tenant_domains WHERE host = $1")
                    .bind(host.as_str())
                    .fetch_optional(&mut *conn)
                    .await?;
                if taken.is_some() {
                    return Err(StoreError::Conflict(format!("the domain {host} already serves another comune")));
                }
                sqlx::query("INSERT INTO tenant_domains (host, tenant_id) VALUES ($1, $2)")
                    .bind(host.as_str())
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }

            sqlx::query("DELETE FROM offices WHERE tenant_id = $1").bind(id).execute(&mut *conn).await?;
            for office in &definition.offices {
                sqlx::query("INSERT INTO offices (tenant_id, office_key, content) VALUES ($1, $2, $3)")
                    .bind(id)
                    .bind(office.id.as_str())
                    .bind(Json(office))
                    .execute(&mut *conn)
                    .await?;
            }

            sqlx::query("DELETE FROM services WHERE tenant_id = $1").bind(id).execute(&mut *conn).await?;
            for (position, service) in definition.services.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO services (tenant_id, slug, position, category, featured, content, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(service.slug.as_str())
                .bind(i32::try_from(position).unwrap_or(i32::MAX))
                .bind(service.category.key())
                .bind(service.featured)
                .bind(Json(service))
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            ImportOutcome {
                tenant_id: TenantId::from_uuid(id),
                created,
                offices: definition.offices.len(),
                services: definition.services.len(),
                new_procedure_versions: Vec::new(),
            }
        });
        outcome.new_procedure_versions = tx
            .record_procedure_versions(*outcome.tenant_id.as_uuid(), &definition.services, now)
            .await?;
        let versions: Vec<String> = outcome
            .new_procedure_versions
            .iter()
            .map(|v| format!("{}@{}", v.slug, v.version))
            .collect();
        AuditEntry {
            tenant: Some(outcome.tenant_id),
            actor: actor.to_owned(),
            action: if outcome.created {
                "tenant.created"
            } else {
                "tenant.updated"
            }
            .to_owned(),
            subject: definition.slug.to_string(),
            details: serde_json::json!({
                "offices": outcome.offices,
                "services": outcome.services,
                "new_procedure_versions": versions,
            }),
            source: None,
        }
        .record(&mut tx)
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }
}
