//! The protocol register (DPR 445/2000 art. 53–57), one per comune and year.
//!
//! A number is allocated and its entry written in the caller's transaction, the one that also
//! stores what is being registered (a pratica at submission): if that transaction rolls back,
//! the number was never given. Numbers are thus gap-free and never repeated:
//!
//! - on PostgreSQL the counter row of (comune, year) is incremented by an upsert, which locks
//!   the row until the transaction ends; a concurrent registration waits for that lock, then
//!   reads the committed value (or the old one, if the holder rolled back);
//! - on SQLite every write transaction holds the database's write lock from its start
//!   (`BEGIN IMMEDIATE`, see [`Store::begin`]), so registrations run one after the other.
//!
//! The entry is also handed to the comune's external protocol system, if it keeps one, through
//! the outbox (topic [`PROTOCOL_REGISTER_TOPIC`]); the local register stays the source of the
//! receipt the citizen gets at once.

use crate::audit::Actor;
use crate::outbox::{DeliveryError, Message, NewMessage, Sink};
use crate::{DbTime, Store, StoreError, TenantScope, Tx};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sportello_domain::calendar::rome;
use sportello_domain::protocol::{ProtocolNumber, registry_date, registry_year};
use sportello_domain::{CodiceFiscale, TenantId};
use sqlx::types::Json;
use std::future::Future;
use std::time::Duration;
use uuid::Uuid;

/// The outbox topic that asks the external protocol system to register an entry.
pub const PROTOCOL_REGISTER_TOPIC: &str = "protocol.register";

/// The register's code in the segnatura (`CodiceRegistro`, at most 16 characters).
pub const REGISTER_CODE: &str = "PROTOCOLLO";

/// An external system that is down for days still gets the entry: with the outbox's default
/// backoff (capped at 6 hours) this many attempts span about a week.
const EXTERNAL_MAX_ATTEMPTS: u32 = 40;

/// Whether a document came in or went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Incoming,
    Outgoing,
}

impl Direction {
    pub fn key(self) -> &'static str {
        match self {
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }

    fn parse(value: &str) -> Result<Direction, StoreError> {
        match value {
            "incoming" => Ok(Direction::Incoming),
            "outgoing" => Ok(Direction::Outgoing),
            other => Err(StoreError::corrupt("protocol direction", other)),
        }
    }
}

/// The sender of an incoming document, the recipient of an outgoing one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correspondent {
    pub name: String,
    pub fiscal_code: Option<CodiceFiscale>,
}

/// What identifies a file registered with an entry (art. 53 c.1 f): its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentDigest {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// An entry to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProtocolEntry {
    pub direction: Direction,
    pub correspondent: Correspondent,
    /// The *oggetto*: what the document is about.
    pub subject: String,
    /// The pratica the document starts or belongs to.
    pub pratica: Option<Uuid>,
    pub attachments: Vec<AttachmentDigest>,
}

/// An entry of the register. Never changed once written: the database refuses updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolEntry {
    pub id: Uuid,
    pub number: ProtocolNumber,
    pub registered_at: Timestamp,
    pub direction: Direction,
    pub correspondent: Correspondent,
    pub subject: String,
    pub pratica: Option<Uuid>,
    pub attachments: Vec<AttachmentDigest>,
}

/// The data of an entry's segnatura (AgID guidelines, Allegato 6), as the outbox carries it to
/// an external protocol system: the entry plus who registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segnatura {
    pub tenant: TenantId,
    /// `CodiceAmministrazione`: the comune's IPA code.
    pub ipa_code: String,
    /// `CodiceAOO`: the comune file does not name its AOO yet.
    pub aoo_code: Option<String>,
    /// `CodiceRegistro`.
    pub register_code: String,
    pub number: ProtocolNumber,
    pub registered_at: Timestamp,
    /// `DataRegistrazione`: the day in Europe/Rome.
    pub registration_date: jiff::civil::Date,
    pub direction: Direction,
    pub subject: String,
    pub correspondent: Correspondent,
    pub pratica: Option<Uuid>,
    pub attachments: Vec<AttachmentDigest>,
}

impl Segnatura {
    /// The outbox idempotency key of this entry's registration elsewhere.
    pub fn idempotency_key(&self) -> String {
        registration_key(self.tenant, self.number)
    }
}

fn registration_key(tenant: TenantId, number: ProtocolNumber) -> String {
    format!("protocol:{tenant}:{}:{}", number.year(), number.number())
}

/// What an external protocol system answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalRef {
    /// Which system, e.g. the product's name.
    pub system: String,
    /// The entry's identifier there, often its own protocol number.
    pub reference: String,
}

/// Why an external protocol system did not register an entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// Worth trying again later: the system is down, slow or busy.
    #[error("{reason}")]
    Transient {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// The system refuses the entry for good.
    #[error("{reason}")]
    Permanent { reason: String },
}

/// A comune's external protocol system. Called at least once per entry: an implementation
/// must recognise a repeat of the same [`Segnatura::idempotency_key`] (or the same number) and
/// answer with the reference it gave the first time.
pub trait ProtocolAdapter: Send + Sync {
    fn register(
        &self,
        segnatura: &Segnatura,
    ) -> impl Future<Output = Result<ExternalRef, AdapterError>> + Send;
}

/// The outbox sink for [`PROTOCOL_REGISTER_TOPIC`]: hands each entry to the adapter and
/// records the reference it answers. A dispatcher in front of it routes other topics elsewhere.
pub struct ProtocolSink<A> {
    store: Store,
    adapter: A,
}

impl<A: ProtocolAdapter> ProtocolSink<A> {
    pub fn new(store: Store, adapter: A) -> ProtocolSink<A> {
        ProtocolSink { store, adapter }
    }

    pub fn adapter(&self) -> &A {
        &self.adapter
    }
}

impl<A: ProtocolAdapter> Sink for ProtocolSink<A> {
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        if message.topic != PROTOCOL_REGISTER_TOPIC {
            return Err(DeliveryError::Permanent {
                reason: format!("the protocol sink cannot deliver {:?}", message.topic),
            });
        }
        let segnatura: Segnatura =
            serde_json::from_value(message.payload.clone()).map_err(|e| {
                DeliveryError::Permanent {
                    reason: format!("not a segnatura: {e}"),
                }
            })?;
        let reference = self
            .adapter
            .register(&segnatura)
            .await
            .map_err(|e| match e {
                AdapterError::Transient {
                    reason,
                    retry_after,
                } => DeliveryError::Transient {
                    reason,
                    retry_after,
                },
                AdapterError::Permanent { reason } => DeliveryError::Permanent { reason },
            })?;
        self.store
            .record_protocol_external_ref(segnatura.tenant, segnatura.number, &reference)
            .await
            .map_err(|e| DeliveryError::Transient {
                reason: format!("the external reference could not be stored: {e}"),
                retry_after: None,
            })
    }
}

impl Store {
    /// Keeps what the external system answered for an entry. A repeat (the outbox delivers at
    /// least once) keeps the first answer.
    pub async fn record_protocol_external_ref(
        &self,
        tenant: TenantId,
        number: ProtocolNumber,
        reference: &ExternalRef,
    ) -> Result<(), StoreError> {
        on_db!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO protocol_external_refs (tenant_id, year, number, system, reference, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, year, number) DO NOTHING",
            )
            .bind(*tenant.as_uuid())
            .bind(number.year())
            .bind(i64::from(number.number()))
            .bind(&reference.system)
            .bind(&reference.reference)
            .bind(DbTime::now())
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

/// Gives the next number of the register of `tenant`, in the year `clock()` falls in, and the
/// registration instant, read once the number is ours.
async fn allocate(
    tx: &mut Tx,
    tenant: Uuid,
    clock: &impl Fn() -> Timestamp,
) -> Result<(ProtocolNumber, Timestamp), StoreError> {
    let mut year = registry_year(clock());
    // Twice is enough unless the clock jumps back and forth across New Year.
    for _ in 0..3 {
        let (last,): (i64,) = on_tx!(&mut *tx, conn => {
            sqlx::query_as(
                "INSERT INTO protocol_counters (tenant_id, year, last_number) VALUES ($1, $2, 1) \
                 ON CONFLICT (tenant_id, year) DO UPDATE SET last_number = protocol_counters.last_number + 1 \
                 RETURNING last_number",
            )
            .bind(tenant)
            .bind(year)
            .fetch_one(&mut *conn)
            .await?
        });
        // Read after the counter's lock is ours, so that registration instants follow the
        // numbers' order; at the stored precision, so that the entry returned is the one stored.
        let at = DbTime::from(clock()).as_timestamp();
        if registry_year(at) == year {
            let number = u32::try_from(last)
                .map_err(|_| StoreError::corrupt("protocol counter", last))
                .and_then(|n| {
                    ProtocolNumber::new(year, n).map_err(|e| StoreError::Invalid(e.to_string()))
                })?;
            return Ok((number, at));
        }
        // The new year began while this transaction waited for the counter. The lock is still
        // ours, so the number just taken is still the last one given: hand it back.
        on_tx!(&mut *tx, conn => {
            sqlx::query(
                "UPDATE protocol_counters SET last_number = last_number - 1 WHERE tenant_id = $1 AND year = $2",
            )
            .bind(tenant)
            .bind(year)
            .execute(&mut *conn)
            .await?;
        });
        year = registry_year(at);
    }
    Err(StoreError::Conflict(
        "the clock moved across New Year while registering; try again".into(),
    ))
}

type EntryRow = (
    Uuid,
    i16,
    i64,
    DbTime,
    String,
    String,
    Option<String>,
    String,
    Option<Uuid>,
    Json<Vec<AttachmentDigest>>,
);

macro_rules! entry_columns {
    () => {
        "id, year, number, registered_at, direction, correspondent_name, correspondent_fiscal_code, \
         subject, pratica_id, attachments"
    };
}

fn entry_from_row(row: EntryRow) -> Result<ProtocolEntry, StoreError> {
    let (
        id,
        year,
        number,
        registered_at,
        direction,
        name,
        fiscal_code,
        subject,
        pratica,
        attachments,
    ) = row;
    let number = u32::try_from(number)
        .ok()
        .and_then(|n| ProtocolNumber::new(year, n).ok())
        .ok_or_else(|| StoreError::corrupt("protocol number", format!("{number}/{year}")))?;
    Ok(ProtocolEntry {
        id,
        number,
        registered_at: registered_at.as_timestamp(),
        direction: Direction::parse(&direction)?,
        correspondent: Correspondent {
            name,
            fiscal_code: fiscal_code
                .map(|cf| {
                    CodiceFiscale::parse(&cf).map_err(|e| StoreError::corrupt("codice fiscale", e))
                })
                .transpose()?,
        },
        subject,
        pratica,
        attachments: attachments.0,
    })
}

impl TenantScope<'_> {
    /// Registers an entry in `tx`: allocates the next number of the current year (in
    /// Europe/Rome), writes the entry, enqueues its registration in the external protocol
    /// system and audits `protocol.registered`. Nothing of it exists unless `tx` commits.
    pub async fn register_protocol(
        &self,
        tx: &mut Tx,
        entry: &NewProtocolEntry,
        actor: &Actor,
    ) -> Result<ProtocolEntry, StoreError> {
        self.register_protocol_with_clock(tx, entry, actor, &Timestamp::now)
            .await
    }

    /// [`register_protocol`](Self::register_protocol) at a chosen instant, so that tests can
    /// register on New Year's Eve. The register's instants are the system's (art. 53 c.1 b):
    /// production code never chooses them.
    #[cfg(feature = "test-support")]
    pub async fn register_protocol_at(
        &self,
        tx: &mut Tx,
        entry: &NewProtocolEntry,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<ProtocolEntry, StoreError> {
        self.register_protocol_with_clock(tx, entry, actor, &move || at)
            .await
    }

    /// [`register_protocol`](Self::register_protocol) reading the time from `clock`, so that
    /// tests can make New Year arrive while a registration waits for the counter.
    #[cfg(feature = "test-support")]
    pub async fn register_protocol_clocked(
        &self,
        tx: &mut Tx,
        entry: &NewProtocolEntry,
        actor: &Actor,
        clock: &(impl Fn() -> Timestamp + Sync),
    ) -> Result<ProtocolEntry, StoreError> {
        self.register_protocol_with_clock(tx, entry, actor, clock)
            .await
    }

    async fn register_protocol_with_clock(
        &self,
        tx: &mut Tx,
        new: &NewProtocolEntry,
        actor: &Actor,
        clock: &impl Fn() -> Timestamp,
    ) -> Result<ProtocolEntry, StoreError> {
        if new.subject.trim().is_empty() || new.correspondent.name.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a protocol entry needs a subject and a correspondent".into(),
            ));
        }
        let ipa_code: Option<(String,)> = on_tx!(&mut *tx, conn => {
            sqlx::query_as("SELECT ipa_code FROM tenants WHERE id = $1")
                .bind(self.tenant)
                .fetch_optional(&mut *conn)
                .await?
        });
        let Some((ipa_code,)) = ipa_code else {
            return Err(StoreError::Invalid("no such comune".into()));
        };
        let (number, registered_at) = allocate(tx, self.tenant, clock).await?;
        let entry = ProtocolEntry {
            id: Uuid::now_v7(),
            number,
            registered_at,
            direction: new.direction,
            correspondent: new.correspondent.clone(),
            subject: new.subject.clone(),
            pratica: new.pratica,
            attachments: new.attachments.clone(),
        };
        on_tx!(&mut *tx, conn => {
            sqlx::query(concat!(
                "INSERT INTO protocol_entries (tenant_id, ",
                entry_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
            .bind(self.tenant)
            .bind(entry.id)
            .bind(number.year())
            .bind(i64::from(number.number()))
            .bind(DbTime::from(registered_at))
            .bind(entry.direction.key())
            .bind(&entry.correspondent.name)
            .bind(entry.correspondent.fiscal_code.as_ref().map(|cf| cf.as_str()))
            .bind(&entry.subject)
            .bind(entry.pratica)
            .bind(Json(&entry.attachments))
            .execute(&mut *conn)
            .await?;
        });
        let segnatura = Segnatura {
            tenant: self.tenant_id(),
            ipa_code,
            aoo_code: None,
            register_code: REGISTER_CODE.to_owned(),
            number,
            registered_at,
            registration_date: registry_date(registered_at),
            direction: entry.direction,
            subject: entry.subject.clone(),
            correspondent: entry.correspondent.clone(),
            pratica: entry.pratica,
            attachments: entry.attachments.clone(),
        };
        let payload = serde_json::to_value(&segnatura)
            .map_err(|e| StoreError::Invalid(format!("the segnatura cannot be serialised: {e}")))?;
        tx.enqueue(&NewMessage {
            tenant: Some(self.tenant_id()),
            topic: PROTOCOL_REGISTER_TOPIC.to_owned(),
            idempotency_key: segnatura.idempotency_key(),
            payload,
            max_attempts: EXTERNAL_MAX_ATTEMPTS,
        })
        .await?;
        actor
            .entry(
                Some(self.tenant_id()),
                "protocol.registered",
                format!("protocol:{number}"),
                serde_json::json!({
                    "direction": entry.direction.key(),
                    "pratica": entry.pratica,
                    "attachments": entry.attachments.len(),
                }),
            )
            .record(tx)
            .await?;
        Ok(entry)
    }

    pub async fn protocol_entry(
        &self,
        number: ProtocolNumber,
    ) -> Result<Option<ProtocolEntry>, StoreError> {
        let row: Option<EntryRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", entry_columns!(), " FROM protocol_entries WHERE tenant_id = $1 AND year = $2 AND number = $3"
            ))
            .bind(self.tenant)
            .bind(number.year())
            .bind(i64::from(number.number()))
            .fetch_optional(pool)
            .await?
        });
        row.map(entry_from_row).transpose()
    }

    /// The daily register (art. 53 c.2): the entries registered on `day` in Europe/Rome, by
    /// number.
    pub async fn protocol_register_of_day(
        &self,
        day: jiff::civil::Date,
    ) -> Result<Vec<ProtocolEntry>, StoreError> {
        let start = day
            .to_zoned(rome().clone())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let end = start
            .tomorrow()
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let rows: Vec<EntryRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", entry_columns!(), " FROM protocol_entries \
                 WHERE tenant_id = $1 AND registered_at >= $2 AND registered_at < $3 ORDER BY year, number"
            ))
            .bind(self.tenant)
            .bind(DbTime::from(start.timestamp()))
            .bind(DbTime::from(end.timestamp()))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(entry_from_row).collect()
    }

    /// What the external protocol system answered for an entry, once it has.
    pub async fn protocol_external_ref(
        &self,
        number: ProtocolNumber,
    ) -> Result<Option<ExternalRef>, StoreError> {
        let row: Option<(String, String)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT system, reference FROM protocol_external_refs WHERE tenant_id = $1 AND year = $2 AND number = $3",
            )
            .bind(self.tenant)
            .bind(number.year())
            .bind(i64::from(number.number()))
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(system, reference)| ExternalRef { system, reference }))
    }
}
