//! Versions of each service's procedure. Every import of the comune file records the procedure
//! of each online service; a new version is numbered only when the procedure changed. Drafts
//! and pratiche name the version they were made against, so a later change of the form, the
//! fees or the term never alters a request already made.

use crate::{DbTime, StoreError, TenantScope, Tx};
use jiff::Timestamp;
use sportello_domain::procedure::Procedure;
use sportello_domain::{Service, Slug};
use sqlx::types::Json;
use uuid::Uuid;

/// One version of a service's procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureVersion {
    pub slug: Slug,
    /// 1 for the first procedure the service had, then 2, 3…
    pub version: u32,
    /// SHA-256 (hex) of the procedure: equal hashes, same procedure.
    pub hash: String,
    pub procedure: Procedure,
    pub created_at: Timestamp,
}

/// A new version created by an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProcedureVersion {
    pub slug: String,
    pub version: u32,
}

/// The fingerprint a version is recognised by: the domain decides what counts as a change.
pub(crate) fn procedure_hash(procedure: &Procedure) -> String {
    procedure.version_hash()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

pub(crate) fn version_column(version: u32) -> Result<i32, StoreError> {
    i32::try_from(version).map_err(|_| StoreError::Invalid(format!("no version {version}")))
}

pub(crate) fn version_from_column(version: i32) -> Result<u32, StoreError> {
    u32::try_from(version).map_err(|_| StoreError::corrupt("procedure version", version))
}

pub(crate) fn parse_slug(value: &str) -> Result<Slug, StoreError> {
    Slug::parse(value).map_err(|e| StoreError::corrupt("service slug", e))
}

impl Tx {
    /// Records the procedure of each online service of `services` (just imported into
    /// `tenant`'s catalogue): a new version where it differs from the latest one, then points
    /// each service at its current version. Returns the versions created.
    pub(crate) async fn record_procedure_versions(
        &mut self,
        tenant: Uuid,
        services: &[Service],
        now: DbTime,
    ) -> Result<Vec<NewProcedureVersion>, StoreError> {
        let mut created = Vec::new();
        for service in services {
            let Some(procedure) = service.procedure.as_ref().filter(|_| service.is_online()) else {
                continue;
            };
            let slug = service.slug.as_str();
            let hash = procedure_hash(procedure);
            on_tx!(self, conn => {
                let latest: Option<(i32, String)> = sqlx::query_as(
                    "SELECT version, hash FROM service_versions WHERE tenant_id = $1 AND slug = $2 \
                     ORDER BY version DESC LIMIT 1",
                )
                .bind(tenant)
                .bind(slug)
                .fetch_optional(&mut *conn)
                .await?;
                let version = match latest {
                    Some((version, latest_hash)) if latest_hash == hash => version,
                    latest => {
                        let version = latest.map_or(1, |(v, _)| v + 1);
                        // Two imports racing on PostgreSQL both compute this number: the
                        // primary key lets one of them through and fails the other.
                        sqlx::query(
                            "INSERT INTO service_versions (tenant_id, slug, version, hash, procedure, created_at) \
                             VALUES ($1, $2, $3, $4, $5, $6)",
                        )
                        .bind(tenant)
                        .bind(slug)
                        .bind(version)
                        .bind(&hash)
                        .bind(Json(procedure))
                        .bind(now)
                        .execute(&mut *conn)
                        .await?;
                        created.push(NewProcedureVersion {
                            slug: slug.to_owned(),
                            version: version_from_column(version)?,
                        });
                        version
                    }
                };
                sqlx::query("UPDATE services SET procedure_version = $1 WHERE tenant_id = $2 AND slug = $3")
                    .bind(version)
                    .bind(tenant)
                    .bind(slug)
                    .execute(&mut *conn)
                    .await?;
            });
        }
        Ok(created)
    }
}

type VersionRow = (String, i32, String, Json<Procedure>, DbTime);

fn version_from_row(
    (slug, version, hash, procedure, created_at): VersionRow,
) -> Result<ProcedureVersion, StoreError> {
    Ok(ProcedureVersion {
        slug: parse_slug(&slug)?,
        version: version_from_column(version)?,
        hash,
        procedure: procedure.0,
        created_at: created_at.as_timestamp(),
    })
}

impl TenantScope<'_> {
    /// The procedure new requests for `slug` follow: `None` when the service is not in the
    /// catalogue now, or is not requested online.
    pub async fn current_procedure(
        &self,
        slug: &str,
    ) -> Result<Option<ProcedureVersion>, StoreError> {
        let row: Option<VersionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT v.slug, v.version, v.hash, v.procedure, v.created_at FROM services s \
                 JOIN service_versions v ON v.tenant_id = s.tenant_id AND v.slug = s.slug AND v.version = s.procedure_version \
                 WHERE s.tenant_id = $1 AND s.slug = $2",
            )
            .bind(self.tenant)
            .bind(slug)
            .fetch_optional(pool)
            .await?
        });
        row.map(version_from_row).transpose()
    }

    /// A version of a service's procedure, current or not: what a draft or a pratica made
    /// against it reads.
    pub async fn procedure_version(
        &self,
        slug: &str,
        version: u32,
    ) -> Result<Option<ProcedureVersion>, StoreError> {
        let row: Option<VersionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT slug, version, hash, procedure, created_at FROM service_versions \
                 WHERE tenant_id = $1 AND slug = $2 AND version = $3",
            )
            .bind(self.tenant)
            .bind(slug)
            .bind(version_column(version)?)
            .fetch_optional(pool)
            .await?
        });
        row.map(version_from_row).transpose()
    }

    /// Every version of a service's procedure, oldest first.
    pub async fn procedure_versions(
        &self,
        slug: &str,
    ) -> Result<Vec<ProcedureVersion>, StoreError> {
        let rows: Vec<VersionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT slug, version, hash, procedure, created_at FROM service_versions \
                 WHERE tenant_id = $1 AND slug = $2 ORDER BY version",
            )
            .bind(self.tenant)
            .bind(slug)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(version_from_row).collect()
    }
}
