//! Bulk payment campaigns (TARI, canteen): one per file and comune, identified by the file's
//! SHA-256 so that importing the same file again resumes it instead of billing twice. The
//! positions themselves are ordinary positions (see [`crate::payments`]) carrying the
//! campaign's id; what is here reads them per campaign, a page at a time, so that a campaign
//! of a million rows never sits in memory.

use crate::payments::{PositionRow, PositionState, StoredPosition, position_from_row};
use crate::{DbTime, StoreError, TenantScope, Tx};
use jiff::Timestamp;
use sportello_domain::TenantId;
use sqlx::types::Json;
use std::collections::HashSet;
use uuid::Uuid;

/// A campaign: one imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: Uuid,
    pub tenant: TenantId,
    pub name: String,
    /// Lower-case hex SHA-256 of the file as imported.
    pub file_sha256: String,
    pub row_count: u32,
    pub created_at: Timestamp,
    /// When every row of the file had its position written.
    pub imported_at: Option<Timestamp>,
}

type CampaignRow = (Uuid, Uuid, String, String, i32, DbTime, Option<DbTime>);

macro_rules! campaign_columns {
    () => {
        "id, tenant_id, name, file_sha256, row_count, created_at, imported_at"
    };
}

fn campaign_from_row(row: CampaignRow) -> Campaign {
    let (id, tenant, name, file_sha256, row_count, created, imported) = row;
    Campaign {
        id,
        tenant: TenantId::from_uuid(tenant),
        name,
        file_sha256,
        row_count: u32::try_from(row_count).unwrap_or(0),
        created_at: created.as_timestamp(),
        imported_at: imported.map(DbTime::as_timestamp),
    }
}

/// The position origin of a campaign row: unique per comune, so a row is written once.
pub fn campaign_origin(campaign: Uuid, reference: &str) -> String {
    format!("campaign:{campaign}:{reference}")
}

impl Tx {
    /// Which of `origins` (positions of one campaign) are already written: checked before a
    /// batch allocates notice numbers, so a resumed import wastes none.
    pub async fn campaign_origins_present(
        &mut self,
        tenant: TenantId,
        campaign: Uuid,
        origins: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        if origins.is_empty() {
            return Ok(HashSet::new());
        }
        // One query per batch: the list travels as a JSON array, which each backend unpacks
        // with its own function (hence two texts, each a literal).
        let list = Json(origins);
        let rows: Vec<(String,)> = match self {
            Tx::Sqlite(tx) => sqlx::query_as(
                "SELECT origin FROM payment_positions WHERE tenant_id = $1 AND campaign_id = $2 \
                     AND origin IN (SELECT value FROM json_each($3))",
            )
            .bind(*tenant.as_uuid())
            .bind(campaign)
            .bind(list)
            .fetch_all(&mut **tx)
            .await?,
            Tx::Postgres(tx) => sqlx::query_as(
                "SELECT origin FROM payment_positions WHERE tenant_id = $1 AND campaign_id = $2 \
                     AND origin IN (SELECT jsonb_array_elements_text($3))",
            )
            .bind(*tenant.as_uuid())
            .bind(campaign)
            .bind(list)
            .fetch_all(&mut **tx)
            .await?,
        };
        Ok(rows.into_iter().map(|(origin,)| origin).collect())
    }
}

impl TenantScope<'_> {
    /// The campaign of the file with this digest, created (with `name` and `row_count`) if it
    /// is new. Returns it and whether it was created now.
    pub async fn upsert_campaign(
        &self,
        name: &str,
        file_sha256: &str,
        row_count: u32,
    ) -> Result<(Campaign, bool), StoreError> {
        let rows = i32::try_from(row_count).map_err(|_| {
            StoreError::Invalid(format!("{row_count} rows are too many for one campaign"))
        })?;
        let inserted: Option<(Uuid,)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "INSERT INTO payment_campaigns (id, tenant_id, name, file_sha256, row_count, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, file_sha256) DO NOTHING RETURNING id",
            )
            .bind(Uuid::now_v7())
            .bind(self.tenant)
            .bind(name)
            .bind(file_sha256)
            .bind(rows)
            .bind(DbTime::now())
            .fetch_optional(pool)
            .await?
        });
        let campaign = self
            .campaign_by_digest(file_sha256)
            .await?
            .ok_or_else(|| StoreError::corrupt("campaign", file_sha256))?;
        Ok((campaign, inserted.is_some()))
    }

    pub async fn campaign_by_digest(
        &self,
        file_sha256: &str,
    ) -> Result<Option<Campaign>, StoreError> {
        let row: Option<CampaignRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", campaign_columns!(), " FROM payment_campaigns WHERE tenant_id = $1 AND file_sha256 = $2"
            ))
            .bind(self.tenant)
            .bind(file_sha256)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(campaign_from_row))
    }

    /// The comune's campaigns, newest first.
    pub async fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows: Vec<CampaignRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", campaign_columns!(), " FROM payment_campaigns WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC"
            ))
            .bind(self.tenant)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(campaign_from_row).collect())
    }

    /// Records that every row of the campaign has its position (the first time only).
    pub async fn mark_campaign_imported(&self, campaign: Uuid) -> Result<(), StoreError> {
        on_db!(&self.store.db, pool => {
            sqlx::query(
                "UPDATE payment_campaigns SET imported_at = $3 \
                 WHERE tenant_id = $1 AND id = $2 AND imported_at IS NULL",
            )
            .bind(self.tenant)
            .bind(campaign)
            .bind(DbTime::now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The campaign's positions in `state`, by id, `limit` after `after`: the way to walk a
    /// campaign of any size.
    pub async fn campaign_positions(
        &self,
        campaign: Uuid,
        state: PositionState,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<StoredPosition>, StoreError> {
        let rows: Vec<PositionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT id, tenant_id, origin, pratica_id, campaign_id, position, status, last_error, \
                 created_at, updated_at, published_at, paid_at FROM payment_positions \
                 WHERE tenant_id = $1 AND campaign_id = $2 AND status = $3 AND id > $4 ORDER BY id LIMIT $5",
            )
            .bind(self.tenant)
            .bind(campaign)
            .bind(state.key())
            .bind(after.unwrap_or(Uuid::nil()))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(position_from_row).collect()
    }

    /// Every position of the campaign, whatever its state, by id (for rendering notices).
    pub async fn campaign_positions_all(
        &self,
        campaign: Uuid,
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<StoredPosition>, StoreError> {
        let rows: Vec<PositionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT id, tenant_id, origin, pratica_id, campaign_id, position, status, last_error, \
                 created_at, updated_at, published_at, paid_at FROM payment_positions \
                 WHERE tenant_id = $1 AND campaign_id = $2 AND id > $3 ORDER BY id LIMIT $4",
            )
            .bind(self.tenant)
            .bind(campaign)
            .bind(after.unwrap_or(Uuid::nil()))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(position_from_row).collect()
    }

    /// How many of the campaign's positions are in each state, most numerous first.
    pub async fn campaign_counts(
        &self,
        campaign: Uuid,
    ) -> Result<Vec<(PositionState, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT status, COUNT(*) FROM payment_positions WHERE tenant_id = $1 AND campaign_id = $2 \
                 GROUP BY status ORDER BY COUNT(*) DESC, status",
            )
            .bind(self.tenant)
            .bind(campaign)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(status, count)| {
                Ok((
                    PositionState::parse(&status)?,
                    u64::try_from(count).unwrap_or(0),
                ))
            })
            .collect()
    }
}

#[cfg(all(test, feature = "test-support"))]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::Store;
    use crate::payments::NewPosition;
    use jiff::civil::date;
    use sportello_domain::pagopa::{IuvBase, NoticeNumber, SegregationCode};
    use sportello_domain::payment::DebtPosition;
    use sportello_domain::payment::{
        Debtor, Destination, Iban, Iupd, PaymentOption, PositionStatus, Taxonomy, Transfer,
    };
    use sportello_domain::{Cents, EnteCodiceFiscale};

    async fn tenant(store: &Store) -> TenantId {
        // The smallest comune the foreign keys accept: positions and campaigns only need its id.
        let id = Uuid::now_v7();
        let columns = "id, slug, name, codice_fiscale, ipa_code, profile, logo_content_type, logo, created_at, updated_at";
        let sql = match store.backend() {
            crate::Backend::Sqlite => format!(
                "INSERT INTO tenants ({columns}) VALUES (X'{}', 'c{}', 'Prova', '00000000000', 'c_x', '{{}}', 'image/svg+xml', X'00', 0, 0)",
                id.simple(),
                id.simple()
            ),
            crate::Backend::Postgres => format!(
                "INSERT INTO tenants ({columns}) VALUES ('{id}', 'c{}', 'Prova', '00000000000', 'c_x', '{{}}', 'image/svg+xml', '\\x00', now(), now())",
                id.simple()
            ),
        };
        store.execute_unchecked(&sql).await.unwrap();
        TenantId::from_uuid(id)
    }

    fn position(base: u64, reference: &str) -> DebtPosition {
        let notice = NoticeNumber::new(
            SegregationCode::new(1).unwrap(),
            IuvBase::new(base).unwrap(),
        );
        let transfer = Transfer::new(
            Cents::new(1000),
            "TARI",
            Taxonomy::parse("9/0101108TS/").unwrap(),
            Destination::Account {
                iban: Iban::parse("IT60X0542811101000000123456").unwrap(),
                postal_iban: None,
            },
        )
        .unwrap();
        let option =
            PaymentOption::new(notice, "TARI", date(2030, 5, 31), false, vec![transfer]).unwrap();
        DebtPosition::new(
            Iupd::for_origin(
                &EnteCodiceFiscale::parse("00000000000").unwrap(),
                &format!("{base}-{reference}"),
            )
            .unwrap(),
            Debtor::identify("RSSMRA80A01H501U", "Mario Rossi").unwrap(),
            "Comune di Prova",
            None,
            false,
            vec![option],
        )
        .unwrap()
    }

    async fn campaigns_resume_by_digest_and_page_by_state(store: Store) {
        let tenant = tenant(&store).await;
        let scope = store.scoped(tenant);
        let (campaign, created) = scope.upsert_campaign("TARI 2030", "ab12", 5).await.unwrap();
        assert!(created);
        assert_eq!(campaign.row_count, 5);
        let (again, created) = scope
            .upsert_campaign("other name", "ab12", 5)
            .await
            .unwrap();
        assert!(!created);
        assert_eq!(again.id, campaign.id);
        assert_eq!(again.name, "TARI 2030");
        let (other, _) = scope.upsert_campaign("Mensa", "cd34", 1).await.unwrap();
        assert_ne!(other.id, campaign.id);

        let mut tx = store.begin().await.unwrap();
        let mut ids = Vec::new();
        for n in 1..=5u64 {
            let reference = format!("R{n}");
            let pos = position(2_030_000_000_000 + n, &reference);
            let (stored, created) = tx
                .insert_position(
                    tenant,
                    &NewPosition {
                        origin: campaign_origin(campaign.id, &reference),
                        pratica: None,
                        campaign: Some(campaign.id),
                        position: &pos,
                    },
                )
                .await
                .unwrap();
            assert!(created);
            ids.push(stored.id);
        }
        let asked: Vec<String> = ["R2", "R9", "R5"]
            .iter()
            .map(|r| campaign_origin(campaign.id, r))
            .collect();
        let present = tx
            .campaign_origins_present(tenant, campaign.id, &asked)
            .await
            .unwrap();
        assert_eq!(present.len(), 2);
        assert!(present.contains(&campaign_origin(campaign.id, "R2")));
        assert!(!present.contains(&campaign_origin(campaign.id, "R9")));
        // Another campaign's origins are not this one's.
        assert!(
            tx.campaign_origins_present(tenant, other.id, &asked)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            tx.campaign_origins_present(tenant, campaign.id, &[])
                .await
                .unwrap()
                .is_empty()
        );
        tx.set_position_state(
            tenant,
            ids[1],
            PositionState::Gpd(PositionStatus::Valid),
            None,
        )
        .await
        .unwrap();
        tx.set_position_state(tenant, ids[3], PositionState::Failed, Some("refused"))
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let first = scope
            .campaign_positions(campaign.id, PositionState::Pending, None, 2)
            .await
            .unwrap();
        assert_eq!(
            first.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![ids[0], ids[2]]
        );
        let rest = scope
            .campaign_positions(campaign.id, PositionState::Pending, Some(ids[2]), 2)
            .await
            .unwrap();
        assert_eq!(rest.iter().map(|p| p.id).collect::<Vec<_>>(), vec![ids[4]]);
        let all = scope
            .campaign_positions_all(campaign.id, Some(ids[0]), 10)
            .await
            .unwrap();
        assert_eq!(all.len(), 4);
        assert!(
            scope
                .campaign_positions(other.id, PositionState::Pending, None, 10)
                .await
                .unwrap()
                .is_empty()
        );

        let counts = scope.campaign_counts(campaign.id).await.unwrap();
        assert_eq!(
            counts,
            vec![
                (PositionState::Pending, 3),
                (PositionState::Failed, 1),
                (PositionState::Gpd(PositionStatus::Valid), 1),
            ]
        );
        // Another comune sees nothing of it.
        let stranger = tenant_scope_counts(&store, campaign.id).await;
        assert_eq!(stranger, 0);

        assert!(campaign.imported_at.is_none());
        scope.mark_campaign_imported(campaign.id).await.unwrap();
        let marked = scope.campaign_by_digest("ab12").await.unwrap().unwrap();
        assert!(marked.imported_at.is_some());
        scope.mark_campaign_imported(campaign.id).await.unwrap();
        assert_eq!(
            scope
                .campaign_by_digest("ab12")
                .await
                .unwrap()
                .unwrap()
                .imported_at,
            marked.imported_at
        );
        assert_eq!(scope.campaigns().await.unwrap().len(), 2);
    }

    async fn tenant_scope_counts(store: &Store, campaign: Uuid) -> usize {
        let other = tenant(store).await;
        store
            .scoped(other)
            .campaign_counts(campaign)
            .await
            .unwrap()
            .len()
    }

    crate::backend_tests!(campaigns_resume_by_digest_and_page_by_state);
}
