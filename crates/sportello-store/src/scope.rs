//! Tenant-owned data, reachable only through a [`TenantScope`]: every query binds the scope's
//! tenant id, so one comune's pages can never read another comune's rows.

use crate::audit::{AuditEntry, AuditRecord};
use crate::{DbTime, Store, StoreError};
use sportello_domain::rating::PageRating;
use sportello_domain::tenant::{Logo, LogoFormat};
use sportello_domain::{Lang, Office, Service, TenantId};
use sqlx::types::Json;
use uuid::Uuid;

/// The data of one tenant.
#[derive(Debug, Clone)]
pub struct TenantScope<'a> {
    pub(crate) store: &'a Store,
    pub(crate) tenant: Uuid,
}

/// How a page has been rated so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatingSummary {
    pub count: i64,
    /// Average stars, absent when nobody has rated the page.
    pub average: Option<f64>,
}

impl Store {
    pub fn scoped(&self, tenant: TenantId) -> TenantScope<'_> {
        TenantScope {
            store: self,
            tenant: *tenant.as_uuid(),
        }
    }
}

impl TenantScope<'_> {
    pub fn tenant_id(&self) -> TenantId {
        TenantId::from_uuid(self.tenant)
    }

    /// The catalogue, in the order of the comune file.
    pub async fn services(&self) -> Result<Vec<Service>, StoreError> {
        let rows: Vec<(Json<Service>,)> = on_db!(&self.store.db, pool => {
            sqlx::query_as("SELECT content FROM services WHERE tenant_id = $1 ORDER BY position")
                .bind(self.tenant)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(json,)| json.0).collect())
    }

    pub async fn service(&self, slug: &str) -> Result<Option<Service>, StoreError> {
        let row: Option<(Json<Service>,)> = on_db!(&self.store.db, pool => {
            sqlx::query_as("SELECT content FROM services WHERE tenant_id = $1 AND slug = $2")
                .bind(self.tenant)
                .bind(slug)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(json,)| json.0))
    }

    pub async fn offices(&self) -> Result<Vec<Office>, StoreError> {
        let rows: Vec<(Json<Office>,)> = on_db!(&self.store.db, pool => {
            sqlx::query_as("SELECT content FROM offices WHERE tenant_id = $1 ORDER BY office_key")
                .bind(self.tenant)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(|(json,)| json.0).collect())
    }

    pub async fn office(&self, id: &str) -> Result<Option<Office>, StoreError> {
        let row: Option<(Json<Office>,)> = on_db!(&self.store.db, pool => {
            sqlx::query_as("SELECT content FROM offices WHERE tenant_id = $1 AND office_key = $2")
                .bind(self.tenant)
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(json,)| json.0))
    }

    pub async fn logo(&self) -> Result<Option<Logo>, StoreError> {
        let row: Option<(String, Vec<u8>)> = on_db!(&self.store.db, pool => {
            sqlx::query_as("SELECT logo_content_type, logo FROM tenants WHERE id = $1")
                .bind(self.tenant)
                .fetch_optional(pool)
                .await?
        });
        row.map(|(content_type, bytes)| {
            let format = LogoFormat::from_content_type(&content_type)
                .ok_or_else(|| StoreError::corrupt("logo content type", content_type))?;
            Ok(Logo { format, bytes })
        })
        .transpose()
    }

    pub async fn record_rating(&self, rating: &PageRating, lang: Lang) -> Result<(), StoreError> {
        on_db!(&self.store.db, pool => {
            sqlx::query(
                "INSERT INTO page_ratings (id, tenant_id, page, stars, answer, comment, lang, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(Uuid::now_v7())
            .bind(self.tenant)
            .bind(rating.page())
            .bind(i16::from(rating.stars().get()))
            .bind(rating.answer().map(|a| a.key()))
            .bind(rating.comment())
            .bind(lang.code())
            .bind(DbTime::now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn rating_summary(&self, page: &str) -> Result<RatingSummary, StoreError> {
        // Summed as an integer on both backends: AVG's type differs between them.
        let (count, total): (i64, Option<i64>) = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT COUNT(*), CAST(SUM(stars) AS BIGINT) FROM page_ratings WHERE tenant_id = $1 AND page = $2",
            )
            .bind(self.tenant)
            .bind(page)
            .fetch_one(pool)
            .await?
        });
        let average = total.filter(|_| count > 0).map(|t| t as f64 / count as f64);
        Ok(RatingSummary { count, average })
    }

    /// The tenant's audit trail, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        type Row = (
            DbTime,
            String,
            String,
            String,
            Json<serde_json::Value>,
            Option<String>,
        );
        let rows: Vec<Row> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT at, actor, action, subject, details, source FROM audit_log \
                 WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
            )
            .bind(self.tenant)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(at, actor, action, subject, details, source)| AuditRecord {
                    at,
                    entry: AuditEntry {
                        tenant: Some(self.tenant_id()),
                        actor,
                        action,
                        subject,
                        details: details.0,
                        source,
                    },
                },
            )
            .collect())
    }
}
