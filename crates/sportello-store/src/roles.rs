//! Roles granted in a comune, keyed by codice fiscale so that the first administrator can be
//! named before they ever sign in. Roles are read at every request, so a revocation applies to
//! open sessions at once.

use crate::audit::Actor;
use crate::users::parse_fiscal_code;
use crate::{DbTime, StoreError, TenantScope};
use sportello_domain::{CodiceFiscale, Role};
use uuid::Uuid;

fn role_from_columns(kind: &str, office: Option<&str>) -> Result<Role, StoreError> {
    Role::from_parts(kind, office).map_err(|e| StoreError::corrupt("role", e))
}

impl TenantScope<'_> {
    /// Grants `role` to the holder of `fiscal_code`. Returns `false` when they already hold it
    /// (nothing is written). A clerk's office must exist in the comune. Audited as
    /// `role.granted`.
    pub async fn grant_role(
        &self,
        fiscal_code: &CodiceFiscale,
        role: &Role,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let now = DbTime::now();
        let mut tx = self.store.begin().await?;
        if let Some(office) = role.office() {
            // Offices are replaced wholesale at each import, so a foreign key cannot guard
            // this; the check catches a mistyped office at grant time.
            let exists: Option<(i32,)> = on_tx!(&mut tx, conn => {
                sqlx::query_as("SELECT 1 FROM offices WHERE tenant_id = $1 AND office_key = $2")
                    .bind(self.tenant)
                    .bind(office)
                    .fetch_optional(&mut *conn)
                    .await?
            });
            if exists.is_none() {
                return Err(StoreError::Invalid(format!(
                    "the comune has no office {office:?}"
                )));
            }
        }
        // The partial unique index on active grants makes a second grant (even a concurrent
        // one) insert nothing.
        let inserted = on_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO role_grants (id, tenant_id, fiscal_code, role, office_key, granted_by, granted_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .bind(Uuid::now_v7())
            .bind(self.tenant)
            .bind(fiscal_code.as_str())
            .bind(role.kind())
            .bind(role.office())
            .bind(actor.id())
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        }) == 1;
        if inserted {
            actor
                .entry(
                    Some(self.tenant_id()),
                    "role.granted",
                    fiscal_code.to_string(),
                    serde_json::json!({ "role": role.to_string() }),
                )
                .record(&mut tx)
                .await?;
            tx.commit().await?;
        }
        Ok(inserted)
    }

    /// Takes `role` back. Returns `false` when it was not held. The grant stays in the table
    /// as history. Audited as `role.revoked`.
    pub async fn revoke_role(
        &self,
        fiscal_code: &CodiceFiscale,
        role: &Role,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let now = DbTime::now();
        let mut tx = self.store.begin().await?;
        // COALESCE, as in the unique index: a portable null-safe comparison of the office.
        let revoked = on_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE role_grants SET revoked_at = $1, revoked_by = $2 \
                 WHERE tenant_id = $3 AND fiscal_code = $4 AND role = $5 \
                 AND COALESCE(office_key, '') = COALESCE($6, '') AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(actor.id())
            .bind(self.tenant)
            .bind(fiscal_code.as_str())
            .bind(role.kind())
            .bind(role.office())
            .execute(&mut *conn)
            .await?
            .rows_affected()
        }) > 0;
        if revoked {
            actor
                .entry(
                    Some(self.tenant_id()),
                    "role.revoked",
                    fiscal_code.to_string(),
                    serde_json::json!({ "role": role.to_string() }),
                )
                .record(&mut tx)
                .await?;
            tx.commit().await?;
        }
        Ok(revoked)
    }

    /// The roles the holder of `fiscal_code` has now in this comune.
    pub async fn roles_of(&self, fiscal_code: &CodiceFiscale) -> Result<Vec<Role>, StoreError> {
        let rows: Vec<(String, Option<String>)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT role, office_key FROM role_grants \
                 WHERE tenant_id = $1 AND fiscal_code = $2 AND revoked_at IS NULL \
                 ORDER BY role, office_key",
            )
            .bind(self.tenant)
            .bind(fiscal_code.as_str())
            .fetch_all(pool)
            .await?
        });
        rows.iter()
            .map(|(kind, office)| role_from_columns(kind, office.as_deref()))
            .collect()
    }

    /// Everyone holding a role in this comune, by codice fiscale then role.
    pub async fn role_holders(&self) -> Result<Vec<(CodiceFiscale, Role)>, StoreError> {
        let rows: Vec<(String, String, Option<String>)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT fiscal_code, role, office_key FROM role_grants \
                 WHERE tenant_id = $1 AND revoked_at IS NULL ORDER BY fiscal_code, role, office_key",
            )
            .bind(self.tenant)
            .fetch_all(pool)
            .await?
        });
        rows.iter()
            .map(|(cf, kind, office)| {
                Ok((
                    parse_fiscal_code(cf)?,
                    role_from_columns(kind, office.as_deref())?,
                ))
            })
            .collect()
    }
}
