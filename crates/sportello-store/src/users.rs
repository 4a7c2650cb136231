//! Citizens of a comune, as SPID or CIE identified them at their latest login, with their
//! contact preferences.

use crate::audit::{Actor, ClientInfo};
use crate::{DbTime, StoreError, TenantScope};
use jiff::Timestamp;
use sportello_domain::{CodiceFiscale, ContactPreferences, TenantId, UserId};
use sqlx::types::Json;
use uuid::Uuid;

/// A successful login, with the attributes exactly as the identity provider asserted them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRecord {
    pub fiscal_code: CodiceFiscale,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    /// As received, e.g. "1980-01-01": the store does not reinterpret it.
    pub date_of_birth: Option<String>,
    /// SPID level 1–3 of this login.
    pub level: u8,
    pub idp_entity_id: String,
}

/// A citizen of one comune.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub fiscal_code: CodiceFiscale,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub date_of_birth: Option<String>,
    pub last_level: u8,
    pub last_idp_entity_id: String,
    pub contact_preferences: ContactPreferences,
    pub created_at: Timestamp,
    pub last_login_at: Timestamp,
}

/// The columns of [`UserRow`], in order. A macro, so that `concat!` can build query literals.
macro_rules! user_columns {
    () => {
        "id, fiscal_code, given_name, family_name, email, mobile, date_of_birth, last_level, \
         last_idp_entity_id, contact_preferences, created_at, last_login_at"
    };
}

type UserRow = (
    Uuid,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i16,
    String,
    Json<ContactPreferences>,
    DbTime,
    DbTime,
);

/// A SPID level as stored, refusing anything but 1, 2 and 3 before the database's CHECK
/// would (with a clearer error).
pub(crate) fn level_column(level: u8) -> Result<i16, StoreError> {
    if (1..=3).contains(&level) {
        Ok(i16::from(level))
    } else {
        Err(StoreError::Invalid(format!(
            "SPID level {level} is not 1, 2 or 3"
        )))
    }
}

pub(crate) fn level_from_column(level: i16) -> Result<u8, StoreError> {
    u8::try_from(level)
        .ok()
        .filter(|l| (1..=3).contains(l))
        .ok_or_else(|| StoreError::corrupt("SPID level", level))
}

pub(crate) fn parse_fiscal_code(value: &str) -> Result<CodiceFiscale, StoreError> {
    CodiceFiscale::parse(value).map_err(|e| StoreError::corrupt("codice fiscale", e))
}

fn user_from_row(tenant: Uuid, row: UserRow) -> Result<User, StoreError> {
    let (
        id,
        fiscal_code,
        given_name,
        family_name,
        email,
        mobile,
        date_of_birth,
        last_level,
        last_idp_entity_id,
        prefs,
        created_at,
        last_login_at,
    ) = row;
    Ok(User {
        id: UserId::from_uuid(id),
        tenant_id: TenantId::from_uuid(tenant),
        fiscal_code: parse_fiscal_code(&fiscal_code)?,
        given_name,
        family_name,
        email,
        mobile,
        date_of_birth,
        last_level: level_from_column(last_level)?,
        last_idp_entity_id,
        contact_preferences: prefs.0,
        created_at: created_at.as_timestamp(),
        last_login_at: last_login_at.as_timestamp(),
    })
}

/// The top-level fields that differ between two preference sets: what the audit log records,
/// rather than the values (an e-mail address has no place in an append-only log).
fn changed_fields(before: &ContactPreferences, after: &ContactPreferences) -> Vec<String> {
    let (Ok(serde_json::Value::Object(before)), Ok(serde_json::Value::Object(after))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    let mut keys: Vec<String> = before.keys().chain(after.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    keys.retain(|k| before.get(k) != after.get(k));
    keys
}

impl TenantScope<'_> {
    /// Records a successful login: creates the citizen at their first login in this comune,
    /// otherwise replaces the identity attributes with those just received (an attribute the
    /// provider did not send this time becomes empty) and leaves their preferences alone.
    /// Audited as `user.login`, preceded by `user.created` the first time, with the citizen
    /// as actor and `client` as origin.
    pub async fn record_login(
        &self,
        login: &LoginRecord,
        client: &ClientInfo,
    ) -> Result<User, StoreError> {
        let level = level_column(login.level)?;
        let now = DbTime::now();
        let new_id = Uuid::now_v7();
        let mut tx = self.store.begin().await?;
        let row: UserRow = on_tx!(&mut tx, conn => {
            sqlx::query_as(concat!(
                "INSERT INTO users (id, tenant_id, fiscal_code, given_name, family_name, email, mobile, \
                 date_of_birth, last_level, last_idp_entity_id, contact_preferences, created_at, last_login_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) \
                 ON CONFLICT (tenant_id, fiscal_code) DO UPDATE SET given_name = excluded.given_name, \
                 family_name = excluded.family_name, email = excluded.email, mobile = excluded.mobile, \
                 date_of_birth = excluded.date_of_birth, last_level = excluded.last_level, \
                 last_idp_entity_id = excluded.last_idp_entity_id, last_login_at = excluded.last_login_at \
                 RETURNING ",
                user_columns!()
            ))
            .bind(new_id)
            .bind(self.tenant)
            .bind(login.fiscal_code.as_str())
            .bind(login.given_name.as_deref())
            .bind(login.family_name.as_deref())
            .bind(login.email.as_deref())
            .bind(login.mobile.as_deref())
            .bind(login.date_of_birth.as_deref())
            .bind(level)
            .bind(&login.idp_entity_id)
            .bind(Json(ContactPreferences::default()))
            .bind(now)
            .fetch_one(&mut *conn)
            .await?
        });
        let user = user_from_row(self.tenant, row)?;
        let actor = Actor::user(user.id, client.clone());
        let subject = format!("user:{}", user.id);
        let details = serde_json::json!({ "idp": login.idp_entity_id, "level": login.level });
        // The id we proposed survives only if the row is new.
        if *user.id.as_uuid() == new_id {
            actor
                .entry(
                    Some(self.tenant_id()),
                    "user.created",
                    subject.clone(),
                    details.clone(),
                )
                .record(&mut tx)
                .await?;
        }
        actor
            .entry(Some(self.tenant_id()), "user.login", subject, details)
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE tenant_id = $1 AND id = $2"))
                .bind(self.tenant)
                .bind(*id.as_uuid())
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| user_from_row(self.tenant, row)).transpose()
    }

    pub async fn user_by_fiscal_code(
        &self,
        fiscal_code: &CodiceFiscale,
    ) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = on_db!(&self.store.db, pool => {
            sqlx::query_as(concat!("SELECT ", user_columns!(), " FROM users WHERE tenant_id = $1 AND fiscal_code = $2"))
                .bind(self.tenant)
                .bind(fiscal_code.as_str())
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| user_from_row(self.tenant, row)).transpose()
    }

    /// Replaces a citizen's contact preferences. Returns `false` when this comune has no such
    /// citizen. Audited as `user.contact_preferences_updated`, naming the fields that changed.
    pub async fn update_contact_preferences(
        &self,
        user: UserId,
        preferences: &ContactPreferences,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        self.update_contact_preferences_and_enqueue(user, preferences, actor, None)
            .await
    }

    /// [`Self::update_contact_preferences`], with an outbox message (the link that verifies a
    /// new address) written in the same transaction: saved and asked for together, or neither.
    pub async fn update_contact_preferences_and_enqueue(
        &self,
        user: UserId,
        preferences: &ContactPreferences,
        actor: &Actor,
        message: Option<&crate::outbox::NewMessage>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.store.begin().await?;
        let current: Option<(Json<ContactPreferences>,)> = on_tx!(&mut tx, conn => {
            sqlx::query_as("SELECT contact_preferences FROM users WHERE tenant_id = $1 AND id = $2")
                .bind(self.tenant)
                .bind(*user.as_uuid())
                .fetch_optional(&mut *conn)
                .await?
        });
        let Some((Json(current),)) = current else {
            return Ok(false);
        };
        let changed = changed_fields(&current, preferences);
        if let Some(message) = message {
            tx.enqueue(message).await?;
        }
        if changed.is_empty() {
            tx.commit().await?;
            return Ok(true);
        }
        on_tx!(&mut tx, conn => {
            sqlx::query("UPDATE users SET contact_preferences = $1 WHERE tenant_id = $2 AND id = $3")
                .bind(Json(preferences))
                .bind(self.tenant)
                .bind(*user.as_uuid())
                .execute(&mut *conn)
                .await?;
        });
        actor
            .entry(
                Some(self.tenant_id()),
                "user.contact_preferences_updated",
                format!("user:{user}"),
                serde_json::json!({ "changed": changed }),
            )
            .record(&mut tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
