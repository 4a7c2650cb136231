//! Debt positions, their notice numbers and receipts: Sportello's side of pagoPA.
//!
//! A position is written with the state change that makes the amount due (a pratica approved,
//! a citizen asking to pay, a campaign row) and reaches GPD through the outbox; its `origin`
//! says what it pays for and is unique, so asking twice yields the same position. Notice
//! numbers come from a counter per comune and year that only grows, allocated in the caller's
//! transaction like protocol numbers (see [`crate::protocol`]): never reused, even when GPD
//! refuses a position. A receipt is recorded once per notice number, whoever reports it first
//! (the receipts API, a GPD read, the checkout's return).

use crate::{DbTime, Store, StoreError, TenantScope, Tx};
use jiff::Timestamp;
use jiff::civil::Date;
use sportello_domain::payment::{DebtPosition, Iupd, PositionStatus};
use sportello_domain::{Cents, TenantId};
use sqlx::types::Json;
use uuid::Uuid;

/// The largest sequence a year can hold: the IUV base is `<year><9 digits>`.
const MAX_SEQUENCE: i64 = 999_999_999;

/// Where a position stands, as Sportello knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PositionState {
    /// Written here, not yet acknowledged by GPD.
    Pending,
    /// GPD refused it for good (the reason is in `last_error`).
    Failed,
    /// What GPD last said.
    Gpd(PositionStatus),
}

impl PositionState {
    pub fn key(self) -> String {
        match self {
            PositionState::Pending => "pending".to_owned(),
            PositionState::Failed => "failed".to_owned(),
            PositionState::Gpd(status) => status.gpd_code().to_ascii_lowercase(),
        }
    }

    pub fn parse(key: &str) -> Result<PositionState, StoreError> {
        match key {
            "pending" => Ok(PositionState::Pending),
            "failed" => Ok(PositionState::Failed),
            other => PositionStatus::from_gpd_code(&other.to_ascii_uppercase())
                .map(PositionState::Gpd)
                .ok_or_else(|| StoreError::corrupt("position status", other)),
        }
    }

    pub fn is_paid(self) -> bool {
        matches!(self, PositionState::Gpd(s) if s.is_paid())
    }

    pub fn is_payable(self) -> bool {
        matches!(self, PositionState::Gpd(s) if s.is_payable())
    }
}

/// A position to write.
#[derive(Debug, Clone)]
pub struct NewPosition<'a> {
    /// What it pays for, unique per comune: `pratica:<id>:decision`, `spontaneous:<id>`,
    /// `campaign:<id>:<row>`.
    pub origin: String,
    pub pratica: Option<Uuid>,
    pub campaign: Option<Uuid>,
    pub position: &'a DebtPosition,
}

/// A stored position.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPosition {
    pub id: Uuid,
    pub tenant: TenantId,
    pub origin: String,
    pub pratica: Option<Uuid>,
    pub campaign: Option<Uuid>,
    pub position: DebtPosition,
    pub state: PositionState,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub published_at: Option<Timestamp>,
    pub paid_at: Option<Timestamp>,
}

impl StoredPosition {
    pub fn iupd(&self) -> &Iupd {
        &self.position.iupd
    }
}

/// Proof that a notice was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub notice_number: String,
    /// The PSP's receipt identifier (`idReceipt`, the IUR).
    pub receipt_id: String,
    pub amount: Cents,
    pub fee: Option<Cents>,
    pub paid_at: Timestamp,
    pub psp: Option<String>,
    pub method: Option<String>,
    /// Where Sportello learnt of it: `receipts`, `gpd`, `checkout`, `counter`.
    pub source: String,
}

/// What recording a receipt changed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptRecorded {
    pub position: StoredPosition,
    /// True when this receipt completed the position (the single payment, or the last
    /// instalment).
    pub position_paid: bool,
}

pub(crate) type PositionRow = (
    Uuid,
    Uuid,
    String,
    Option<Uuid>,
    Option<Uuid>,
    Json<DebtPosition>,
    String,
    Option<String>,
    DbTime,
    DbTime,
    Option<DbTime>,
    Option<DbTime>,
);

macro_rules! position_columns {
    () => {
        "id, tenant_id, origin, pratica_id, campaign_id, position, status, last_error, created_at, updated_at, published_at, paid_at"
    };
}

pub(crate) fn position_from_row(row: PositionRow) -> Result<StoredPosition, StoreError> {
    let (
        id,
        tenant,
        origin,
        pratica,
        campaign,
        position,
        status,
        last_error,
        created,
        updated,
        published,
        paid,
    ) = row;
    Ok(StoredPosition {
        id,
        tenant: TenantId::from_uuid(tenant),
        origin,
        pratica,
        campaign,
        position: position.0,
        state: PositionState::parse(&status)?,
        last_error,
        created_at: created.as_timestamp(),
        updated_at: updated.as_timestamp(),
        published_at: published.map(DbTime::as_timestamp),
        paid_at: paid.map(DbTime::as_timestamp),
    })
}

type ReceiptRow = (
    String,
    String,
    i64,
    Option<i64>,
    DbTime,
    Option<String>,
    Option<String>,
    String,
);

fn receipt_from_row(row: ReceiptRow) -> Receipt {
    let (notice_number, receipt_id, amount, fee, paid_at, psp, method, source) = row;
    Receipt {
        notice_number,
        receipt_id,
        amount: Cents::new(amount),
        fee: fee.map(Cents::new),
        paid_at: paid_at.as_timestamp(),
        psp,
        method,
        source,
    }
}

fn date_text(date: Date) -> String {
    date.to_string()
}

impl Tx {
    /// The next IUV base of `tenant` for `year`: `<year><9-digit sequence>`, 13 digits. Taken
    /// in this transaction: a rollback gives it back, a commit spends it for good.
    pub async fn next_iuv_base(&mut self, tenant: TenantId, year: i16) -> Result<u64, StoreError> {
        let (last,): (i64,) = on_tx!(&mut *self, conn => {
            sqlx::query_as(
                "INSERT INTO iuv_counters (tenant_id, year, last_value) VALUES ($1, $2, 1) \
                 ON CONFLICT (tenant_id, year) DO UPDATE SET last_value = iuv_counters.last_value + 1 \
                 RETURNING last_value",
            )
            .bind(*tenant.as_uuid())
            .bind(year)
            .fetch_one(&mut *conn)
            .await?
        });
        if !(1..=MAX_SEQUENCE).contains(&last) || !(1000..=9999).contains(&year) {
            return Err(StoreError::Conflict(format!(
                "no notice numbers left for {year}"
            )));
        }
        u64::try_from(i64::from(year) * (MAX_SEQUENCE + 1) + last)
            .map_err(|_| StoreError::corrupt("iuv counter", last))
    }

    /// Writes a position and its notice numbers, or finds the one written before for the same
    /// origin. Returns the position and whether it was written now.
    pub async fn insert_position(
        &mut self,
        tenant: TenantId,
        new: &NewPosition<'_>,
    ) -> Result<(StoredPosition, bool), StoreError> {
        let now = DbTime::now();
        let position = new.position;
        let first_due = position
            .first_due_date()
            .ok_or_else(|| StoreError::Invalid("a position without options".into()))?;
        let inserted: Option<(Uuid,)> = on_tx!(&mut *self, conn => {
            sqlx::query_as(
                "INSERT INTO payment_positions (id, tenant_id, iupd, origin, pratica_id, campaign_id, \
                 debtor_fiscal_code, debtor_name, description, total_cents, first_due_date, position, \
                 status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $13) \
                 ON CONFLICT (tenant_id, origin) DO NOTHING RETURNING id",
            )
            .bind(Uuid::now_v7())
            .bind(*tenant.as_uuid())
            .bind(position.iupd.as_str())
            .bind(&new.origin)
            .bind(new.pratica)
            .bind(new.campaign)
            .bind(&position.debtor.fiscal_code)
            .bind(&position.debtor.full_name)
            .bind(position.description())
            .bind(position.total().get())
            .bind(date_text(first_due))
            .bind(Json(position))
            .bind(now)
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some((id,)) = inserted else {
            let existing: PositionRow = on_tx!(&mut *self, conn => {
                sqlx::query_as(concat!(
                    "SELECT ", position_columns!(), " FROM payment_positions WHERE tenant_id = $1 AND origin = $2"
                ))
                .bind(*tenant.as_uuid())
                .bind(&new.origin)
                .fetch_one(&mut *conn)
                .await?
            });
            return Ok((position_from_row(existing)?, false));
        };
        for option in &position.options {
            on_tx!(&mut *self, conn => {
                sqlx::query(
                    "INSERT INTO payment_options (tenant_id, notice_number, position_id, amount_cents, due_date, instalment) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(*tenant.as_uuid())
                .bind(option.notice_number.as_str())
                .bind(id)
                .bind(option.amount().get())
                .bind(date_text(option.due_date))
                .bind(option.instalment)
                .execute(&mut *conn)
                .await?;
            });
        }
        let row: PositionRow = on_tx!(&mut *self, conn => {
            sqlx::query_as(concat!("SELECT ", position_columns!(), " FROM payment_positions WHERE id = $1"))
                .bind(id)
                .fetch_one(&mut *conn)
                .await?
        });
        Ok((position_from_row(row)?, true))
    }

    /// Records what GPD said of a position (or that it refused it).
    pub async fn set_position_state(
        &mut self,
        tenant: TenantId,
        id: Uuid,
        state: PositionState,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let now = DbTime::now();
        let published = matches!(
            state,
            PositionState::Gpd(PositionStatus::Published | PositionStatus::Valid)
        );
        on_tx!(&mut *self, conn => {
            sqlx::query(
                "UPDATE payment_positions SET status = $3, last_error = $4, updated_at = $5, \
                 published_at = CASE WHEN $6 AND published_at IS NULL THEN $5 ELSE published_at END \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(*tenant.as_uuid())
            .bind(id)
            .bind(state.key())
            .bind(error)
            .bind(now)
            .bind(published)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Records a receipt, once per notice number. `None` when the notice is unknown or its
    /// receipt was recorded before (a repeat from another source, a retried delivery).
    pub async fn record_receipt(
        &mut self,
        tenant: TenantId,
        receipt: &Receipt,
    ) -> Result<Option<ReceiptRecorded>, StoreError> {
        let option: Option<(Uuid,)> = on_tx!(&mut *self, conn => {
            sqlx::query_as(
                "SELECT position_id FROM payment_options WHERE tenant_id = $1 AND notice_number = $2",
            )
            .bind(*tenant.as_uuid())
            .bind(&receipt.notice_number)
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some((position_id,)) = option else {
            return Ok(None);
        };
        let now = DbTime::now();
        let paid_at = DbTime::from(receipt.paid_at);
        let inserted = on_tx!(&mut *self, conn => {
            sqlx::query(
                "INSERT INTO payment_receipts (tenant_id, notice_number, position_id, receipt_id, amount_cents, \
                 fee_cents, paid_at, psp, method, source, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (tenant_id, notice_number) DO NOTHING",
            )
            .bind(*tenant.as_uuid())
            .bind(&receipt.notice_number)
            .bind(position_id)
            .bind(&receipt.receipt_id)
            .bind(receipt.amount.get())
            .bind(receipt.fee.map(Cents::get))
            .bind(paid_at)
            .bind(&receipt.psp)
            .bind(&receipt.method)
            .bind(&receipt.source)
            .bind(now)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if inserted == 0 {
            return Ok(None);
        }
        on_tx!(&mut *self, conn => {
            sqlx::query("UPDATE payment_options SET paid_at = $3 WHERE tenant_id = $1 AND notice_number = $2")
                .bind(*tenant.as_uuid())
                .bind(&receipt.notice_number)
                .bind(paid_at)
                .execute(&mut *conn)
                .await?;
        });
        let paid: Vec<(String,)> = on_tx!(&mut *self, conn => {
            sqlx::query_as(
                "SELECT notice_number FROM payment_options WHERE position_id = $1 AND paid_at IS NOT NULL",
            )
            .bind(position_id)
            .fetch_all(&mut *conn)
            .await?
        });
        let row: PositionRow = on_tx!(&mut *self, conn => {
            sqlx::query_as(concat!("SELECT ", position_columns!(), " FROM payment_positions WHERE id = $1"))
                .bind(position_id)
                .fetch_one(&mut *conn)
                .await?
        });
        let mut position = position_from_row(row)?;
        let paid: Vec<&str> = paid.iter().map(|(n,)| n.as_str()).collect();
        let complete = position.position.is_paid_by(&paid);
        let was_paid = position.state.is_paid();
        let state = if complete {
            PositionState::Gpd(PositionStatus::Paid)
        } else {
            PositionState::Gpd(PositionStatus::PartiallyPaid)
        };
        if !was_paid {
            on_tx!(&mut *self, conn => {
                sqlx::query(
                    "UPDATE payment_positions SET status = $2, updated_at = $3, \
                     paid_at = CASE WHEN $4 THEN $5 ELSE paid_at END WHERE id = $1",
                )
                .bind(position_id)
                .bind(state.key())
                .bind(now)
                .bind(complete)
                .bind(paid_at)
                .execute(&mut *conn)
                .await?;
            });
            position.state = state;
            if complete {
                position.paid_at = Some(paid_at.as_timestamp());
            }
        }
        Ok(Some(ReceiptRecorded {
            position,
            position_paid: complete && !was_paid,
        }))
    }
}

impl TenantScope<'_> {
    pub async fn position(&self, id: Uuid) -> Result<Option<StoredPosition>, StoreError> {
        let row: Option<PositionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!("SELECT ", position_columns!(), " FROM payment_positions WHERE tenant_id = $1 AND id = $2"))
                .bind(self.tenant)
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        row.map(position_from_row).transpose()
    }

    pub async fn position_by_iupd(&self, iupd: &str) -> Result<Option<StoredPosition>, StoreError> {
        let row: Option<PositionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!("SELECT ", position_columns!(), " FROM payment_positions WHERE tenant_id = $1 AND iupd = $2"))
                .bind(self.tenant)
                .bind(iupd)
                .fetch_optional(pool)
                .await?
        });
        row.map(position_from_row).transpose()
    }

    pub async fn position_by_origin(
        &self,
        origin: &str,
    ) -> Result<Option<StoredPosition>, StoreError> {
        let row: Option<PositionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!("SELECT ", position_columns!(), " FROM payment_positions WHERE tenant_id = $1 AND origin = $2"))
                .bind(self.tenant)
                .bind(origin)
                .fetch_optional(pool)
                .await?
        });
        row.map(position_from_row).transpose()
    }

    /// The position a notice number belongs to.
    pub async fn position_by_notice(
        &self,
        notice: &str,
    ) -> Result<Option<StoredPosition>, StoreError> {
        let row: Option<PositionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", position_columns!(), " FROM payment_positions WHERE tenant_id = $1 AND id = \
                 (SELECT position_id FROM payment_options WHERE tenant_id = $1 AND notice_number = $2)"
            ))
            .bind(self.tenant)
            .bind(notice)
            .fetch_optional(pool)
            .await?
        });
        row.map(position_from_row).transpose()
    }

    /// What a citizen owes or has paid, newest first.
    pub async fn positions_of_debtor(
        &self,
        fiscal_code: &str,
        limit: u32,
    ) -> Result<Vec<StoredPosition>, StoreError> {
        let rows: Vec<PositionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", position_columns!(), " FROM payment_positions \
                 WHERE tenant_id = $1 AND debtor_fiscal_code = $2 ORDER BY created_at DESC, id DESC LIMIT $3"
            ))
            .bind(self.tenant)
            .bind(fiscal_code)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(position_from_row).collect()
    }

    pub async fn positions_of_pratica(
        &self,
        pratica: Uuid,
    ) -> Result<Vec<StoredPosition>, StoreError> {
        let rows: Vec<PositionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", position_columns!(), " FROM payment_positions \
                 WHERE tenant_id = $1 AND pratica_id = $2 ORDER BY created_at, id"
            ))
            .bind(self.tenant)
            .bind(pratica)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(position_from_row).collect()
    }

    pub async fn receipts_of_position(&self, position: Uuid) -> Result<Vec<Receipt>, StoreError> {
        let rows: Vec<ReceiptRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT notice_number, receipt_id, amount_cents, fee_cents, paid_at, psp, method, source \
                 FROM payment_receipts WHERE tenant_id = $1 AND position_id = $2 ORDER BY paid_at",
            )
            .bind(self.tenant)
            .bind(position)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(receipt_from_row).collect())
    }

    /// Positions by state, oldest first, `limit` at a time after `after` (for reconciliation
    /// and reports).
    pub async fn positions_in_states(
        &self,
        states: &[PositionState],
        after: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<StoredPosition>, StoreError> {
        // `,valid,paid,`: matched with LIKE, the same SQL on both backends.
        let keys = format!(
            ",{},",
            states.iter().map(|s| s.key()).collect::<Vec<_>>().join(",")
        );
        let rows: Vec<PositionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", position_columns!(), " FROM payment_positions \
                 WHERE tenant_id = $1 AND $2 LIKE '%,' || status || ',%' AND id > $3 \
                 ORDER BY id LIMIT $4"
            ))
            .bind(self.tenant)
            .bind(&keys)
            .bind(after.unwrap_or(Uuid::nil()))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(position_from_row).collect()
    }
}

/// A position waiting to hear of its payment, for the receipts poller.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionToCheck {
    pub tenant: TenantId,
    pub id: Uuid,
    pub iupd: String,
    /// How many times it has been checked without news: the backoff's exponent.
    pub checks: u32,
}

impl Store {
    /// Positions published at GPD and not yet paid whose next check is due.
    pub async fn positions_to_check(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<PositionToCheck>, StoreError> {
        let rows: Vec<(Uuid, Uuid, String, i32)> = on_db!(&self.db, pool => {
            sqlx::query_as(
                "SELECT tenant_id, id, iupd, check_count FROM payment_positions \
                 WHERE status IN ('draft', 'published', 'valid', 'partially_paid') \
                 AND (next_check_at IS NULL OR next_check_at <= $1) ORDER BY next_check_at, id LIMIT $2",
            )
            .bind(DbTime::from(now))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(tenant, id, iupd, checks)| PositionToCheck {
                tenant: TenantId::from_uuid(tenant),
                id,
                iupd,
                checks: u32::try_from(checks).unwrap_or(0),
            })
            .collect())
    }

    /// Sets when a position is next checked, counting a check that brought no news.
    pub async fn schedule_check(
        &self,
        tenant: TenantId,
        id: Uuid,
        checked_at: Timestamp,
        next_check_at: Timestamp,
    ) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            sqlx::query(
                "UPDATE payment_positions SET checked_at = $3, next_check_at = $4, check_count = check_count + 1 \
                 WHERE tenant_id = $1 AND id = $2",
            )
            .bind(*tenant.as_uuid())
            .bind(id)
            .bind(DbTime::from(checked_at))
            .bind(DbTime::from(next_check_at))
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

/// One reconciliation against pagoPA, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciliation {
    pub id: Uuid,
    pub run_at: Timestamp,
    pub checked: u32,
    /// `[{iupd, ours, theirs, …}]` as the reconciler wrote it.
    pub differences: serde_json::Value,
}

impl TenantScope<'_> {
    /// Records a reconciliation run and what differed.
    pub async fn record_reconciliation(
        &self,
        checked: u32,
        differences: &serde_json::Value,
    ) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        on_db!(&self.store.db, pool => {
            sqlx::query(
                "INSERT INTO payment_reconciliations (id, tenant_id, run_at, checked, differences) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(self.tenant)
            .bind(DbTime::now())
            .bind(i32::try_from(checked).unwrap_or(i32::MAX))
            .bind(Json(differences))
            .execute(pool)
            .await?;
        });
        Ok(id)
    }

    /// The latest runs, newest first.
    pub async fn reconciliations(&self, limit: u32) -> Result<Vec<Reconciliation>, StoreError> {
        let rows: Vec<(Uuid, DbTime, i32, Json<serde_json::Value>)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT id, run_at, checked, differences FROM payment_reconciliations \
                 WHERE tenant_id = $1 ORDER BY run_at DESC, id DESC LIMIT $2",
            )
            .bind(self.tenant)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, run_at, checked, differences)| Reconciliation {
                id,
                run_at: run_at.as_timestamp(),
                checked: u32::try_from(checked).unwrap_or(u32::MAX),
                differences: differences.0,
            })
            .collect())
    }
}
