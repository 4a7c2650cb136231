//! The state of SAML exchanges: requests awaiting an answer (one-shot, bound to a browser),
//! assertion ids already accepted (replay protection), and the tracing log SPID requires.

use crate::token::BrowserToken;
use crate::users::{level_column, level_from_column, parse_fiscal_code};
use crate::{DbTime, Store, StoreError, TenantScope};
use jiff::Timestamp;
use sportello_domain::CodiceFiscale;
use uuid::Uuid;

/// What a pending request asked the identity provider for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingKind {
    Authn,
    Logout,
}

impl PendingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PendingKind::Authn => "authn",
            PendingKind::Logout => "logout",
        }
    }

    fn parse(value: &str) -> Result<PendingKind, StoreError> {
        match value {
            "authn" => Ok(PendingKind::Authn),
            "logout" => Ok(PendingKind::Logout),
            other => Err(StoreError::corrupt("pending request kind", other)),
        }
    }
}

/// A request just sent to an identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPending {
    /// The request's `ID`, which the answer repeats as `InResponseTo`.
    pub request_id: String,
    /// The value of the browser's binding cookie; only its hash is stored.
    pub browser: BrowserToken,
    pub kind: PendingKind,
    pub idp_entity_id: String,
    pub issue_instant: Timestamp,
    /// SPID level 1–3 requested.
    pub level: u8,
    /// Where to send the citizen once the exchange completes.
    pub return_path: String,
    /// Unique per request: the answer carries it back.
    pub relay_state: String,
    pub expires_at: Timestamp,
}

/// A request taken back when its answer arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub request_id: String,
    pub kind: PendingKind,
    pub idp_entity_id: String,
    pub issue_instant: Timestamp,
    pub level: u8,
    pub return_path: String,
    pub relay_state: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// How the answer names its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingKey<'a> {
    RelayState(&'a str),
    /// The answer's `InResponseTo`.
    RequestId(&'a str),
}

/// Which way a traced message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceDirection {
    Sent,
    Received,
}

impl TraceDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            TraceDirection::Sent => "sent",
            TraceDirection::Received => "received",
        }
    }

    fn parse(value: &str) -> Result<TraceDirection, StoreError> {
        match value {
            "sent" => Ok(TraceDirection::Sent),
            "received" => Ok(TraceDirection::Received),
            other => Err(StoreError::corrupt("trace direction", other)),
        }
    }
}

/// The SAML protocol message a trace entry holds, named as in the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceKind {
    AuthnRequest,
    Response,
    LogoutRequest,
    LogoutResponse,
}

impl TraceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TraceKind::AuthnRequest => "AuthnRequest",
            TraceKind::Response => "Response",
            TraceKind::LogoutRequest => "LogoutRequest",
            TraceKind::LogoutResponse => "LogoutResponse",
        }
    }

    fn parse(value: &str) -> Result<TraceKind, StoreError> {
        match value {
            "AuthnRequest" => Ok(TraceKind::AuthnRequest),
            "Response" => Ok(TraceKind::Response),
            "LogoutRequest" => Ok(TraceKind::LogoutRequest),
            "LogoutResponse" => Ok(TraceKind::LogoutResponse),
            other => Err(StoreError::corrupt("trace kind", other)),
        }
    }
}

/// One SAML message for the tracing log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlTrace {
    pub direction: TraceDirection,
    pub kind: TraceKind,
    /// The message's `ID`; empty when a refused message had none that could be read.
    pub message_id: String,
    pub in_response_to: Option<String>,
    pub idp_entity_id: String,
    /// The identity asserted, in a Response that carried one.
    pub fiscal_code: Option<CodiceFiscale>,
    pub client_ip: Option<String>,
    /// The message as sent or received (decoded, not re-serialised).
    pub xml: String,
    /// Kept until then (24 months by default: see the SPID tracing rules).
    pub retain_until: Timestamp,
}

/// A message from the tracing log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedMessage {
    pub id: Uuid,
    pub created_at: Timestamp,
    pub message: SamlTrace,
}

/// How many rows each housekeeping purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: u64,
    pub pending: u64,
    pub assertions: u64,
    pub trace: u64,
}

type PendingRow = (
    String,
    String,
    String,
    DbTime,
    i16,
    String,
    String,
    DbTime,
    DbTime,
);

type TraceRow = (
    Uuid,
    DbTime,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    DbTime,
);

fn pending_from_row(row: PendingRow) -> Result<Pending, StoreError> {
    let (
        request_id,
        kind,
        idp_entity_id,
        issue_instant,
        level,
        return_path,
        relay_state,
        created_at,
        expires_at,
    ) = row;
    Ok(Pending {
        request_id,
        kind: PendingKind::parse(&kind)?,
        idp_entity_id,
        issue_instant: issue_instant.as_timestamp(),
        level: level_from_column(level)?,
        return_path,
        relay_state,
        created_at: created_at.as_timestamp(),
        expires_at: expires_at.as_timestamp(),
    })
}

fn trace_from_row(row: TraceRow) -> Result<TracedMessage, StoreError> {
    let (
        id,
        created_at,
        direction,
        kind,
        message_id,
        in_response_to,
        idp_entity_id,
        fiscal_code,
        client_ip,
        xml,
        retain_until,
    ) = row;
    Ok(TracedMessage {
        id,
        created_at: created_at.as_timestamp(),
        message: SamlTrace {
            direction: TraceDirection::parse(&direction)?,
            kind: TraceKind::parse(&kind)?,
            message_id,
            in_response_to,
            idp_entity_id,
            fiscal_code: fiscal_code.as_deref().map(parse_fiscal_code).transpose()?,
            client_ip,
            xml,
            retain_until: retain_until.as_timestamp(),
        },
    })
}

impl TenantScope<'_> {
    /// Remembers a request sent to an identity provider until its answer comes back. Fails
    /// with [`StoreError::Conflict`] if its id or relay state is already pending.
    pub async fn put_pending(&self, pending: &NewPending) -> Result<(), StoreError> {
        let level = level_column(pending.level)?;
        let inserted = on_db!(&self.store.db, pool => {
            sqlx::query(
                "INSERT INTO saml_pending (request_id, tenant_id, browser_hash, kind, idp_entity_id, issue_instant, \
                 level, return_path, relay_state, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING",
            )
            .bind(&pending.request_id)
            .bind(self.tenant)
            .bind(&pending.browser.hash()[..])
            .bind(pending.kind.as_str())
            .bind(&pending.idp_entity_id)
            .bind(DbTime::from(pending.issue_instant))
            .bind(level)
            .bind(&pending.return_path)
            .bind(&pending.relay_state)
            .bind(DbTime::now())
            .bind(DbTime::from(pending.expires_at))
            .execute(pool)
            .await?
            .rows_affected()
        });
        if inserted == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict(
                "a SAML request with this id or relay state is already pending".into(),
            ))
        }
    }

    /// Takes back the pending request an answer names, removing it: it is returned once only,
    /// and only to the browser that started it, for the expected kind, before it expires.
    /// A second call, a concurrent one included, gets `None`. A request asked for by the
    /// wrong browser or too late stays where it is (until purged), so a forged answer cannot
    /// consume a citizen's genuine request.
    pub async fn take_pending(
        &self,
        browser: &BrowserToken,
        key: PendingKey<'_>,
        kind: PendingKind,
        now: Timestamp,
    ) -> Result<Option<Pending>, StoreError> {
        let browser = browser.hash();
        // DELETE … RETURNING is one atomic statement on both backends: of two concurrent
        // takes, the second finds the row gone (PostgreSQL re-checks it after the first
        // commits; SQLite runs one writer at a time).
        let row: Option<PendingRow> = on_db!(&self.store.db, pool => {
            match key {
                PendingKey::RelayState(relay_state) => sqlx::query_as(
                    "DELETE FROM saml_pending WHERE tenant_id = $1 AND relay_state = $2 AND browser_hash = $3 \
                     AND kind = $4 AND expires_at > $5 \
                     RETURNING request_id, kind, idp_entity_id, issue_instant, level, return_path, relay_state, \
                     created_at, expires_at",
                )
                .bind(self.tenant)
                .bind(relay_state)
                .bind(&browser[..])
                .bind(kind.as_str())
                .bind(DbTime::from(now))
                .fetch_optional(pool)
                .await?,
                PendingKey::RequestId(request_id) => sqlx::query_as(
                    "DELETE FROM saml_pending WHERE tenant_id = $1 AND request_id = $2 AND browser_hash = $3 \
                     AND kind = $4 AND expires_at > $5 \
                     RETURNING request_id, kind, idp_entity_id, issue_instant, level, return_path, relay_state, \
                     created_at, expires_at",
                )
                .bind(self.tenant)
                .bind(request_id)
                .bind(&browser[..])
                .bind(kind.as_str())
                .bind(DbTime::from(now))
                .fetch_optional(pool)
                .await?,
            }
        });
        row.map(pending_from_row).transpose()
    }

    /// Adds a message to the tracing log; returns its id.
    pub async fn trace_saml(&self, trace: &SamlTrace) -> Result<Uuid, StoreError> {
        let id = Uuid::now_v7();
        on_db!(&self.store.db, pool => {
            sqlx::query(
                "INSERT INTO saml_trace (id, tenant_id, created_at, direction, kind, message_id, in_response_to, \
                 idp_entity_id, fiscal_code, client_ip, xml, retain_until) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(id)
            .bind(self.tenant)
            .bind(DbTime::now())
            .bind(trace.direction.as_str())
            .bind(trace.kind.as_str())
            .bind(&trace.message_id)
            .bind(trace.in_response_to.as_deref())
            .bind(&trace.idp_entity_id)
            .bind(trace.fiscal_code.as_ref().map(CodiceFiscale::as_str))
            .bind(trace.client_ip.as_deref())
            .bind(&trace.xml)
            .bind(DbTime::from(trace.retain_until))
            .execute(pool)
            .await?;
        });
        Ok(id)
    }

    /// A request and every answer to it, oldest first: what an auditor asks for.
    pub async fn saml_trace_pair(
        &self,
        request_id: &str,
    ) -> Result<Vec<TracedMessage>, StoreError> {
        // An empty id would match every refused answer whose own id could not be read.
        if request_id.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<TraceRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT id, created_at, direction, kind, message_id, in_response_to, idp_entity_id, fiscal_code, \
                 client_ip, xml, retain_until FROM saml_trace \
                 WHERE tenant_id = $1 AND (message_id = $2 OR in_response_to = $2) ORDER BY created_at, id",
            )
            .bind(self.tenant)
            .bind(request_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(trace_from_row).collect()
    }
}

impl Store {
    /// Remembers that the assertion `assertion_id` of `idp_entity_id` has been accepted, until
    /// `until` (its `NotOnOrAfter` plus the tolerated clock skew: after that the assertion
    /// is refused as expired anyway). Returns `false` when it had been seen before: a replay.
    pub async fn remember_assertion(
        &self,
        idp_entity_id: &str,
        assertion_id: &str,
        until: Timestamp,
    ) -> Result<bool, StoreError> {
        let inserted = on_db!(&self.db, pool => {
            sqlx::query(
                "INSERT INTO saml_assertions (idp_entity_id, assertion_id, expires_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (idp_entity_id, assertion_id) DO NOTHING",
            )
            .bind(idp_entity_id)
            .bind(assertion_id)
            .bind(DbTime::from(until))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Deletes pending requests that expired unanswered; returns how many.
    pub async fn purge_expired_pending(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.delete_until("DELETE FROM saml_pending WHERE expires_at <= $1", now)
            .await
    }

    /// Forgets assertion ids whose assertions can no longer be accepted; returns how many.
    pub async fn purge_expired_assertions(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.delete_until("DELETE FROM saml_assertions WHERE expires_at <= $1", now)
            .await
    }

    /// Deletes traced messages past their retention; returns how many.
    pub async fn purge_saml_trace(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.delete_until("DELETE FROM saml_trace WHERE retain_until <= $1", now)
            .await
    }

    /// Runs `delete` (a `DELETE` whose only parameter, `$1`, is the instant `now`); returns
    /// the rows gone.
    pub(crate) async fn delete_until(
        &self,
        delete: &'static str,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        Ok(on_db!(&self.db, pool => {
            sqlx::query(delete)
                .bind(DbTime::from(now))
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Every identity purge at once, for a periodic housekeeping task.
    pub async fn purge_expired_identity_state(&self, now: Timestamp) -> Result<Purged, StoreError> {
        Ok(Purged {
            sessions: self.purge_expired_sessions(now).await?,
            pending: self.purge_expired_pending(now).await?,
            assertions: self.purge_expired_assertions(now).await?,
            trace: self.purge_saml_trace(now).await?,
        })
    }
}
