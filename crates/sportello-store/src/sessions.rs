//! Signed-in sessions. The browser holds a random [`SessionToken`]; the store holds its hash,
//! two deadlines (idle, sliding; absolute, fixed at login) and what single logout needs: the
//! identity provider, the NameID and the SessionIndex it asserted.

use crate::audit::{Actor, ClientInfo};
use crate::token::{SessionToken, hash_reference};
use crate::users::{level_column, level_from_column};
use crate::{DbTime, Store, StoreError, TenantScope};
use jiff::Timestamp;
use sportello_domain::{TenantId, UserId};
use std::time::Duration;
use uuid::Uuid;

/// A session's idle deadline moves at most once per this interval: a page that loads a dozen
/// resources writes once, not a dozen times. The idle timeout is thus exact to within a minute.
pub const SESSION_TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// A session to open after a successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub user_id: UserId,
    /// SPID level 1–3 of the login.
    pub level: u8,
    pub idp_entity_id: String,
    pub name_id: String,
    /// The NameID's NameQualifier, which a LogoutRequest to the provider must repeat.
    pub name_id_qualifier: Option<String>,
    pub session_index: Option<String>,
    /// The session ends when unused this long (at least one second).
    pub idle: Duration,
    /// The session ends this long after login, however active.
    pub absolute: Duration,
    pub client: ClientInfo,
}

/// A session that is open now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveSession {
    pub tenant_id: TenantId,
    pub user_id: UserId,
    pub level: u8,
    pub idp_entity_id: String,
    pub name_id: String,
    pub name_id_qualifier: Option<String>,
    pub session_index: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub idle_expires_at: Timestamp,
    pub absolute_expires_at: Timestamp,
    /// Where the login came from.
    pub client: ClientInfo,
}

/// A session closed by the identity provider's single logout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedSession {
    pub user_id: UserId,
    pub session_index: Option<String>,
}

/// Why a session ended before its deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEnd {
    /// The citizen signed out.
    Logout,
    /// A new login in the same browser took its place.
    Replaced,
    /// The identity provider asked (IdP-initiated single logout).
    SingleLogout,
    /// An administrator or the service closed it.
    Revoked,
}

impl SessionEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionEnd::Logout => "logout",
            SessionEnd::Replaced => "replaced",
            SessionEnd::SingleLogout => "single_logout",
            SessionEnd::Revoked => "revoked",
        }
    }
}

pub(crate) fn add(at: Timestamp, duration: Duration) -> Result<Timestamp, StoreError> {
    at.checked_add(duration)
        .map_err(|_| StoreError::Invalid(format!("{duration:?} from now is out of range")))
}

type SessionRow = (
    Uuid,
    Uuid,
    i16,
    String,
    String,
    Option<String>,
    Option<String>,
    DbTime,
    DbTime,
    i64,
    DbTime,
    DbTime,
    Option<String>,
    Option<String>,
);

macro_rules! session_columns {
    () => {
        "tenant_id, user_id, level, idp_entity_id, name_id, name_id_qualifier, session_index, \
         created_at, last_seen_at, idle_seconds, idle_expires_at, absolute_expires_at, client_ip, user_agent"
    };
}

impl TenantScope<'_> {
    /// Opens a session for a citizen of this comune and returns the token for their cookie.
    /// Audited as `session.started`, with the citizen as actor.
    pub async fn create_session(&self, new: &NewSession) -> Result<SessionToken, StoreError> {
        let level = level_column(new.level)?;
        let idle_seconds = i64::try_from(new.idle.as_secs())
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| {
                StoreError::Invalid("the idle timeout must be a second or more".into())
            })?;
        let now = Timestamp::now();
        let idle_expires_at = DbTime::from(add(now, new.idle)?);
        let absolute_expires_at = DbTime::from(add(now, new.absolute)?);
        let now = DbTime::from(now);
        let token = SessionToken::generate()?;
        let hash = token.hash();
        let mut tx = self.store.begin().await?;
        // Selected from users, so that only a user of this very tenant can get a session here.
        let inserted = on_tx!(&mut tx, conn => {
            sqlx::query(
                "INSERT INTO sessions (id_hash, tenant_id, user_id, level, idp_entity_id, name_id, \
                 name_id_qualifier, session_index, created_at, last_seen_at, idle_seconds, idle_expires_at, \
                 absolute_expires_at, client_ip, user_agent) \
                 SELECT $1, tenant_id, id, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14 \
                 FROM users WHERE tenant_id = $2 AND id = $3",
            )
            .bind(&hash[..])
            .bind(self.tenant)
            .bind(*new.user_id.as_uuid())
            .bind(level)
            .bind(&new.idp_entity_id)
            .bind(&new.name_id)
            .bind(new.name_id_qualifier.as_deref())
            .bind(new.session_index.as_deref())
            .bind(now)
            .bind(idle_seconds)
            .bind(idle_expires_at)
            .bind(absolute_expires_at)
            .bind(new.client.ip.as_deref())
            .bind(new.client.user_agent.as_deref())
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if inserted != 1 {
            return Err(StoreError::Invalid(format!(
                "the comune has no user {}",
                new.user_id
            )));
        }
        Actor::user(new.user_id, new.client.clone())
            .entry(
                Some(self.tenant_id()),
                "session.started",
                format!("session:{}", hash_reference(&hash)),
                serde_json::json!({ "level": new.level, "idp": new.idp_entity_id }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// The open session of `token`, if it belongs to this comune; see [`Store::session_at`].
    pub async fn session(&self, token: &SessionToken) -> Result<Option<ActiveSession>, StoreError> {
        self.session_at(token, Timestamp::now()).await
    }

    /// [`TenantScope::session`] as of `now`.
    pub async fn session_at(
        &self,
        token: &SessionToken,
        now: Timestamp,
    ) -> Result<Option<ActiveSession>, StoreError> {
        let hash = token.hash();
        let row: Option<SessionRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", session_columns!(), " FROM sessions WHERE id_hash = $1 AND ended_at IS NULL \
                 AND idle_expires_at > $2 AND absolute_expires_at > $2 AND tenant_id = $3"
            ))
            .bind(&hash[..])
            .bind(DbTime::from(now))
            .bind(self.tenant)
            .fetch_optional(pool)
            .await?
        });
        self.store.touch(&hash, row, now).await
    }

    /// Ends the sessions the identity provider opened for `name_id`: those of one login when
    /// it names a `session_index`, otherwise all of them. Audited as `session.ended`, one entry
    /// per session. Sessions already over are left alone.
    pub async fn end_sessions_by_name_id(
        &self,
        idp_entity_id: &str,
        name_id: &str,
        session_index: Option<&str>,
        actor: &Actor,
    ) -> Result<Vec<EndedSession>, StoreError> {
        let now = DbTime::now();
        let reason = SessionEnd::SingleLogout.as_str();
        let mut tx = self.store.begin().await?;
        let rows: Vec<(Vec<u8>, Uuid, Option<String>)> = on_tx!(&mut tx, conn => {
            match session_index {
                Some(index) => sqlx::query_as(
                    "UPDATE sessions SET ended_at = $1, end_reason = $2 \
                     WHERE tenant_id = $3 AND idp_entity_id = $4 AND name_id = $5 AND session_index = $6 \
                     AND ended_at IS NULL AND idle_expires_at > $1 AND absolute_expires_at > $1 \
                     RETURNING id_hash, user_id, session_index",
                )
                .bind(now)
                .bind(reason)
                .bind(self.tenant)
                .bind(idp_entity_id)
                .bind(name_id)
                .bind(index)
                .fetch_all(&mut *conn)
                .await?,
                None => sqlx::query_as(
                    "UPDATE sessions SET ended_at = $1, end_reason = $2 \
                     WHERE tenant_id = $3 AND idp_entity_id = $4 AND name_id = $5 \
                     AND ended_at IS NULL AND idle_expires_at > $1 AND absolute_expires_at > $1 \
                     RETURNING id_hash, user_id, session_index",
                )
                .bind(now)
                .bind(reason)
                .bind(self.tenant)
                .bind(idp_entity_id)
                .bind(name_id)
                .fetch_all(&mut *conn)
                .await?,
            }
        });
        let mut ended = Vec::with_capacity(rows.len());
        for (hash, user_id, session_index) in rows {
            actor
                .entry(
                    Some(self.tenant_id()),
                    "session.ended",
                    session_subject(&hash),
                    serde_json::json!({ "reason": reason }),
                )
                .record(&mut tx)
                .await?;
            ended.push(EndedSession {
                user_id: UserId::from_uuid(user_id),
                session_index,
            });
        }
        tx.commit().await?;
        Ok(ended)
    }
}

fn session_subject(hash: &[u8]) -> String {
    match <[u8; 32]>::try_from(hash) {
        Ok(hash) => format!("session:{}", hash_reference(&hash)),
        Err(_) => "session:?".to_owned(),
    }
}

impl Store {
    /// The open session of `token`, in whichever comune; the caller must check
    /// [`ActiveSession::tenant_id`] (or use [`TenantScope::session`], which does).
    pub async fn session(&self, token: &SessionToken) -> Result<Option<ActiveSession>, StoreError> {
        self.session_at(token, Timestamp::now()).await
    }

    /// The session of `token` if, as of `now`, it has not ended and neither deadline has
    /// passed. Slides the idle deadline to `now` + the idle timeout, at most once per
    /// [`SESSION_TOUCH_INTERVAL`]. Taking `now` lets tests move through time without sleeping.
    pub async fn session_at(
        &self,
        token: &SessionToken,
        now: Timestamp,
    ) -> Result<Option<ActiveSession>, StoreError> {
        let hash = token.hash();
        let row: Option<SessionRow> = on_db!(&self.db, pool => {
            sqlx::query_as(concat!(
                "SELECT ", session_columns!(), " FROM sessions WHERE id_hash = $1 AND ended_at IS NULL \
                 AND idle_expires_at > $2 AND absolute_expires_at > $2"
            ))
            .bind(&hash[..])
            .bind(DbTime::from(now))
            .fetch_optional(pool)
            .await?
        });
        self.touch(&hash, row, now).await
    }

    async fn touch(
        &self,
        hash: &[u8; 32],
        row: Option<SessionRow>,
        now: Timestamp,
    ) -> Result<Option<ActiveSession>, StoreError> {
        let Some((
            tenant_id,
            user_id,
            level,
            idp_entity_id,
            name_id,
            name_id_qualifier,
            session_index,
            created_at,
            last_seen_at,
            idle_seconds,
            idle_expires_at,
            absolute_expires_at,
            client_ip,
            user_agent,
        )) = row
        else {
            return Ok(None);
        };
        let mut session = ActiveSession {
            tenant_id: TenantId::from_uuid(tenant_id),
            user_id: UserId::from_uuid(user_id),
            level: level_from_column(level)?,
            idp_entity_id,
            name_id,
            name_id_qualifier,
            session_index,
            created_at: created_at.as_timestamp(),
            last_seen_at: last_seen_at.as_timestamp(),
            idle_expires_at: idle_expires_at.as_timestamp(),
            absolute_expires_at: absolute_expires_at.as_timestamp(),
            client: ClientInfo {
                ip: client_ip,
                user_agent,
            },
        };
        let due = add(session.last_seen_at, SESSION_TOUCH_INTERVAL)? <= now;
        if due {
            let idle = Duration::from_secs(u64::try_from(idle_seconds).unwrap_or(0));
            let idle_expires_at = add(now, idle)?;
            // `last_seen_at < $2`: of two requests racing to touch, the later instant wins, and
            // a session ended meanwhile is not touched.
            on_db!(&self.db, pool => {
                sqlx::query(
                    "UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3 \
                     WHERE id_hash = $1 AND ended_at IS NULL AND last_seen_at < $2",
                )
                .bind(&hash[..])
                .bind(DbTime::from(now))
                .bind(DbTime::from(idle_expires_at))
                .execute(pool)
                .await?;
            });
            session.last_seen_at = now;
            session.idle_expires_at = idle_expires_at;
        }
        Ok(Some(session))
    }

    /// Ends the session of `token`. Returns `false` when it had already ended (or never
    /// existed). Audited as `session.ended`.
    pub async fn end_session(
        &self,
        token: &SessionToken,
        reason: SessionEnd,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let hash = token.hash();
        let mut tx = self.begin().await?;
        let row: Option<(Uuid,)> = on_tx!(&mut tx, conn => {
            sqlx::query_as(
                "UPDATE sessions SET ended_at = $2, end_reason = $3 WHERE id_hash = $1 AND ended_at IS NULL \
                 RETURNING tenant_id",
            )
            .bind(&hash[..])
            .bind(DbTime::now())
            .bind(reason.as_str())
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some((tenant,)) = row else {
            return Ok(false);
        };
        actor
            .entry(
                Some(TenantId::from_uuid(tenant)),
                "session.ended",
                format!("session:{}", hash_reference(&hash)),
                serde_json::json!({ "reason": reason.as_str() }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes the sessions that have ended or expired as of `now`; returns how many. Their
    /// start and end are in the audit log; expiry itself is not audited.
    pub async fn purge_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.delete_until(
            "DELETE FROM sessions WHERE ended_at IS NOT NULL OR idle_expires_at <= $1 OR absolute_expires_at <= $1",
            now,
        )
        .await
    }
}
