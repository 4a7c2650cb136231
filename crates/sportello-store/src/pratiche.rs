//! Pratiche: submitted requests. Each row holds the domain's [`Pratica`] as a snapshot (JSON)
//! and, in columns, what the office queue and the citizen's list filter and sort on; every
//! change appends a [`PraticaEvent`] to `pratica_events`, the timeline, and an audit entry.
//!
//! The store applies the domain's decisions, it does not take them: a transition is computed
//! by a [`Pratica`] method and handed here with the version it started from. A row changes
//! only if it still has that version (optimistic concurrency), so when two clerks act on the
//! same pratica at once, the second gets [`StoreError::Conflict`] and must look again.

use crate::attachments::Attachment;
use crate::audit::Actor;
use crate::drafts::{Applicant, DraftId};
use crate::protocol::{Correspondent, Direction, NewProtocolEntry, ProtocolEntry};
use crate::service_versions::{parse_slug, version_from_column};
use crate::users::parse_fiscal_code;
use crate::{DbTime, StoreError, TenantScope, Tx};
use jiff::Timestamp;
use jiff::civil::Date;
use sportello_domain::calendar::Calendar;
use sportello_domain::form::Answers;
use sportello_domain::pratica::{Pratica, PraticaEvent, PraticaState, TermStatus};
use sportello_domain::protocol::ProtocolNumber;
use sportello_domain::{CodiceFiscale, Slug, UserId};
use sqlx::types::Json;
use uuid::Uuid;

/// A pratica as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPratica {
    pub id: Uuid,
    pub service_slug: Slug,
    /// The procedure version it was made against (see `TenantScope::procedure_version`).
    pub service_version: u32,
    /// The citizen the request is for.
    pub applicant: Applicant,
    /// Their account, if they have one.
    pub applicant_user: Option<UserId>,
    /// Who submitted it: the applicant, or a clerk at the counter.
    pub submitted_by: UserId,
    /// Filed at the counter by a clerk for a citizen who came in person.
    pub assisted: bool,
    /// The office that decides it.
    pub office: String,
    pub protocol: ProtocolNumber,
    /// The answers as submitted, frozen.
    pub answers: Answers,
    /// What the procedure's rules computed at submission (fees, checks), as the caller stored
    /// it.
    pub assessment: Option<serde_json::Value>,
    pub pratica: Pratica,
    /// The deadline column as last written: the term's end, or the end it will have if a
    /// suspension runs its full length; `None` once no term runs.
    pub deadline: Option<Date>,
    /// The permit's verification code, once issued.
    pub permit_code: Option<String>,
    /// Grows by one at each change; a change names the version it was computed from.
    pub version: u64,
}

impl StoredPratica {
    pub fn state(&self) -> PraticaState {
        self.pratica.state()
    }
}

/// An entry of a pratica's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The pratica's version after the event: 1 for the submission.
    pub seq: u64,
    /// Who, as in the audit log (`user:<id>`, `system`…).
    pub actor: String,
    /// From where: the client address, when there was one.
    pub source: Option<String>,
    pub event: PraticaEvent,
}

/// What the submission adds to the draft.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The protocol entry's subject (*oggetto*), e.g. "Richiesta di permesso ZTL".
    pub subject: String,
    /// The office that decides: the service's office.
    pub office: String,
    pub assessment: Option<serde_json::Value>,
}

/// What a submission stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub pratica: StoredPratica,
    pub protocol: ProtocolEntry,
    /// The draft's files, now the pratica's.
    pub attachments: Vec<Attachment>,
}

/// Which assignment the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AssigneeFilter {
    #[default]
    Anyone,
    Unassigned,
    To(UserId),
}

/// The office queue's filters. The default shows every pratica of the office.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueFilter {
    /// Only these states; empty: every state.
    pub states: Vec<PraticaState>,
    /// Only pratiche whose deadline is before this day (overdue on it).
    pub overdue_on: Option<Date>,
    pub assignee: AssigneeFilter,
    pub service: Option<String>,
    /// Part of the protocol number (`42/2026`), of the applicant's codice fiscale or name.
    pub text: Option<String>,
    /// At most this many (0: no limit), after skipping `offset`.
    pub limit: u32,
    pub offset: u32,
}

/// The columns of [`PraticaRow`], in order.
macro_rules! pratica_columns {
    () => {
        "id, service_slug, service_version, applicant_fiscal_code, applicant_given_name, \
         applicant_family_name, applicant_user_id, submitted_by, assisted, office_key, protocol_year, \
         protocol_number, answers, assessment, snapshot, deadline, permit_code, version"
    };
}

/// A row as read, before its values are checked.
struct PraticaRow {
    id: Uuid,
    service_slug: String,
    service_version: i32,
    fiscal_code: String,
    given_name: String,
    family_name: String,
    applicant_user: Option<Uuid>,
    submitted_by: Uuid,
    assisted: bool,
    office: String,
    protocol_year: i16,
    protocol_number: i64,
    answers: Json<Answers>,
    assessment: Option<Json<serde_json::Value>>,
    snapshot: Json<Pratica>,
    deadline: Option<String>,
    permit_code: Option<String>,
    version: i64,
}

/// Reads a [`PraticaRow`] from a row of either backend: a macro, because the row types differ
/// and sqlx's tuples stop at 16 columns.
macro_rules! pratica_row {
    ($row:expr) => {{
        use sqlx::Row;
        let row = $row;
        PraticaRow {
            id: row.try_get(0)?,
            service_slug: row.try_get(1)?,
            service_version: row.try_get(2)?,
            fiscal_code: row.try_get(3)?,
            given_name: row.try_get(4)?,
            family_name: row.try_get(5)?,
            applicant_user: row.try_get(6)?,
            submitted_by: row.try_get(7)?,
            assisted: row.try_get(8)?,
            office: row.try_get(9)?,
            protocol_year: row.try_get(10)?,
            protocol_number: row.try_get(11)?,
            answers: row.try_get(12)?,
            assessment: row.try_get(13)?,
            snapshot: row.try_get(14)?,
            deadline: row.try_get(15)?,
            permit_code: row.try_get(16)?,
            version: row.try_get(17)?,
        }
    }};
}

fn pratica_from_row(row: PraticaRow) -> Result<StoredPratica, StoreError> {
    let protocol = u32::try_from(row.protocol_number)
        .ok()
        .and_then(|n| ProtocolNumber::new(row.protocol_year, n).ok())
        .ok_or_else(|| {
            StoreError::corrupt(
                "protocol number",
                format!("{}/{}", row.protocol_number, row.protocol_year),
            )
        })?;
    Ok(StoredPratica {
        id: row.id,
        service_slug: parse_slug(&row.service_slug)?,
        service_version: version_from_column(row.service_version)?,
        applicant: Applicant {
            fiscal_code: parse_fiscal_code(&row.fiscal_code)?,
            given_name: row.given_name,
            family_name: row.family_name,
        },
        applicant_user: row.applicant_user.map(UserId::from_uuid),
        submitted_by: UserId::from_uuid(row.submitted_by),
        assisted: row.assisted,
        office: row.office,
        protocol,
        answers: row.answers.0,
        assessment: row.assessment.map(|j| j.0),
        pratica: row.snapshot.0,
        deadline: row
            .deadline
            .map(|d| d.parse().map_err(|e| StoreError::corrupt("deadline", e)))
            .transpose()?,
        permit_code: row.permit_code,
        version: u64::try_from(row.version)
            .map_err(|_| StoreError::corrupt("pratica version", row.version))?,
    })
}

/// The deadline column: the term's end while it runs, the end it will have if a suspension
/// lasts its full length (so that "overdue on a day" is simply "deadline before it").
fn deadline_column(pratica: &Pratica, calendar: &Calendar) -> Option<String> {
    match pratica.deadline(calendar) {
        TermStatus::Running { deadline } => Some(deadline.to_string()),
        TermStatus::Suspended {
            deadline_if_resumed_then,
            ..
        } => Some(deadline_if_resumed_then.to_string()),
        TermStatus::Closed => None,
    }
}

fn search_text(protocol: ProtocolNumber, applicant: &Applicant) -> String {
    format!(
        "{protocol} {} {} {}",
        applicant.fiscal_code, applicant.given_name, applicant.family_name
    )
    .to_lowercase()
}

/// `text` as a LIKE pattern that matches it anywhere, its own wildcards taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The JSON tag of an event's kind, e.g. `documents-requested`.
fn event_kind(event: &PraticaEvent) -> Result<String, StoreError> {
    serde_json::to_value(&event.kind)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .ok_or_else(|| StoreError::Invalid("an event without a kind".into()))
}

fn snapshot_checks(pratica: &Pratica, event: &PraticaEvent) -> Result<(), StoreError> {
    if event.state != pratica.state() {
        return Err(StoreError::Invalid(format!(
            "the event leaves the pratica {}, the snapshot says {}",
            event.state.key(),
            pratica.state().key()
        )));
    }
    Ok(())
}

impl TenantScope<'_> {
    /// Turns a draft of `owner` into a pratica, in the caller's transaction (which may also
    /// enqueue the receipt's messages): registers it in the protocol register, builds the
    /// domain's pratica with `file(pratica id, registration instant)` (the term runs from the
    /// protocol date, L. 241/1990 art. 18-bis), stores it with its first event, moves the
    /// draft's files to it and deletes the draft. Audited as `protocol.registered`,
    /// `pratica.submitted` and `draft.deleted`.
    ///
    /// The applicant is the citizen the draft is for: the owner, or for an assisted draft the
    /// citizen named in it (linked to their account if they have one).
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_draft(
        &self,
        tx: &mut Tx,
        draft: DraftId,
        owner: UserId,
        submission: &Submission,
        calendar: &Calendar,
        actor: &Actor,
        file: impl FnOnce(Uuid, Timestamp) -> (Pratica, PraticaEvent),
    ) -> Result<Submitted, StoreError> {
        type DraftRow = (String, i32, Json<Answers>, Option<Json<Applicant>>);
        // An update rather than a select: it locks the draft's row on PostgreSQL (SQLite's
        // write lock is already ours), so that a second submission of the same draft (a double
        // click) waits for this one, then finds the draft gone instead of filing it twice.
        let row: Option<DraftRow> = on_tx!(&mut *tx, conn => {
            sqlx::query_as(
                "UPDATE drafts SET updated_at = $4 WHERE tenant_id = $1 AND id = $2 AND user_id = $3 \
                 RETURNING service_slug, service_version, answers, on_behalf_of",
            )
            .bind(self.tenant)
            .bind(*draft.as_uuid())
            .bind(*owner.as_uuid())
            .bind(DbTime::now())
            .fetch_optional(&mut *conn)
            .await?
        });
        let Some((slug, version, answers, on_behalf_of)) = row else {
            return Err(StoreError::Forbidden(format!(
                "no draft {draft} of this user"
            )));
        };
        let office_exists: Option<(i32,)> = on_tx!(&mut *tx, conn => {
            sqlx::query_as("SELECT 1 FROM offices WHERE tenant_id = $1 AND office_key = $2")
                .bind(self.tenant)
                .bind(&submission.office)
                .fetch_optional(&mut *conn)
                .await?
        });
        if office_exists.is_none() {
            return Err(StoreError::Invalid(format!(
                "the comune has no office {:?}",
                submission.office
            )));
        }
        let assisted = on_behalf_of.is_some();
        let (applicant, applicant_user) = self
            .applicant_in(tx, owner, on_behalf_of.map(|j| j.0))
            .await?;
        let files = self.draft_attachments_in(tx, draft).await?;

        let id = Uuid::now_v7();
        let protocol = self
            .register_protocol(
                tx,
                &NewProtocolEntry {
                    direction: Direction::Incoming,
                    correspondent: Correspondent {
                        name: format!("{} {}", applicant.given_name, applicant.family_name)
                            .trim()
                            .to_owned(),
                        fiscal_code: Some(applicant.fiscal_code.clone()),
                    },
                    subject: submission.subject.clone(),
                    pratica: Some(id),
                    attachments: files.iter().map(Attachment::digest).collect(),
                },
                actor,
            )
            .await?;
        let (pratica, event) = file(id, protocol.registered_at);
        snapshot_checks(&pratica, &event)?;
        if pratica.state() != PraticaState::Submitted {
            return Err(StoreError::Invalid("a new pratica starts submitted".into()));
        }
        let deadline = deadline_column(&pratica, calendar);
        let row = on_tx!(&mut *tx, conn => {
            let row = sqlx::query(concat!(
                "INSERT INTO pratiche (tenant_id, service_slug, service_version, applicant_fiscal_code, \
                 applicant_given_name, applicant_family_name, applicant_user_id, submitted_by, assisted, \
                 office_key, state, protocol_year, protocol_number, submitted_at, deadline, assigned_to, \
                 answers, assessment, snapshot, permit_code, permit_valid_from, permit_valid_until, renews, \
                 search_text, version, updated_at, id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, $16, $17, \
                 $18, NULL, NULL, NULL, $19, $20, 1, $21, $22) RETURNING ",
                pratica_columns!()
            ))
            .bind(self.tenant)
            .bind(&slug)
            .bind(version)
            .bind(applicant.fiscal_code.as_str())
            .bind(&applicant.given_name)
            .bind(&applicant.family_name)
            .bind(applicant_user.map(|u| *u.as_uuid()))
            .bind(*owner.as_uuid())
            .bind(assisted)
            .bind(&submission.office)
            .bind(pratica.state().key())
            .bind(protocol.number.year())
            .bind(i64::from(protocol.number.number()))
            .bind(DbTime::from(pratica.submitted_at()))
            .bind(deadline)
            .bind(Json(&answers.0))
            .bind(submission.assessment.as_ref().map(Json))
            .bind(Json(&pratica))
            .bind(pratica.renews())
            .bind(search_text(protocol.number, &applicant))
            .bind(DbTime::from(pratica.updated_at()))
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
            pratica_row!(row)
        });
        let stored = pratica_from_row(row)?;
        self.append_event(tx, id, 1, &event, actor).await?;
        let attachments = self.attach_to_pratica(tx, draft, id).await?;
        actor
            .entry(
                Some(self.tenant_id()),
                "pratica.submitted",
                format!("pratica:{id}"),
                serde_json::json!({
                    "protocol": protocol.number.to_string(),
                    "service": slug,
                    "version": stored.service_version,
                    "assisted": assisted,
                }),
            )
            .record(tx)
            .await?;
        if !self.delete_draft_in(tx, draft, owner, actor).await? {
            return Err(StoreError::Conflict(format!(
                "the draft {draft} was submitted meanwhile"
            )));
        }
        Ok(Submitted {
            pratica: stored,
            protocol,
            attachments,
        })
    }

    /// Who a draft's request is for, read in the submission's transaction.
    async fn applicant_in(
        &self,
        tx: &mut Tx,
        owner: UserId,
        on_behalf_of: Option<Applicant>,
    ) -> Result<(Applicant, Option<UserId>), StoreError> {
        type UserRow = (Uuid, String, Option<String>, Option<String>);
        let (by_id, by_code): (Option<Uuid>, Option<&str>) = match &on_behalf_of {
            None => (Some(*owner.as_uuid()), None),
            Some(applicant) => (None, Some(applicant.fiscal_code.as_str())),
        };
        let user: Option<UserRow> = on_tx!(&mut *tx, conn => {
            sqlx::query_as(
                "SELECT id, fiscal_code, given_name, family_name FROM users \
                 WHERE tenant_id = $1 AND (id = $2 OR fiscal_code = $3)",
            )
            .bind(self.tenant)
            .bind(by_id)
            .bind(by_code)
            .fetch_optional(&mut *conn)
            .await?
        });
        Ok(match (on_behalf_of, user) {
            (Some(applicant), user) => (applicant, user.map(|(id, ..)| UserId::from_uuid(id))),
            (None, Some((id, fiscal_code, given_name, family_name))) => (
                Applicant {
                    fiscal_code: parse_fiscal_code(&fiscal_code)?,
                    given_name: given_name.unwrap_or_default(),
                    family_name: family_name.unwrap_or_default(),
                },
                Some(UserId::from_uuid(id)),
            ),
            (None, None) => return Err(StoreError::Invalid("no such user".into())),
        })
    }

    async fn append_event(
        &self,
        tx: &mut Tx,
        pratica: Uuid,
        seq: i64,
        event: &PraticaEvent,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let kind = event_kind(event)?;
        on_tx!(&mut *tx, conn => {
            sqlx::query(
                "INSERT INTO pratica_events (id, tenant_id, pratica_id, seq, at, actor, source, kind, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(Uuid::now_v7())
            .bind(self.tenant)
            .bind(pratica)
            .bind(seq)
            .bind(DbTime::from(event.at))
            .bind(actor.id())
            .bind(actor.client().ip.as_deref())
            .bind(&kind)
            .bind(Json(event))
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Stores a transition the domain computed on the pratica read at `expected_version`: the
    /// new snapshot (and the columns derived from it), the event, the audit entry
    /// `pratica.<event kind>`, in the caller's transaction. `permit_code` is the verification
    /// code of a permit being issued. Fails with [`StoreError::Conflict`] when the pratica has
    /// changed since `expected_version` (or does not exist).
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_transition(
        &self,
        tx: &mut Tx,
        id: Uuid,
        expected_version: u64,
        pratica: &Pratica,
        event: &PraticaEvent,
        permit_code: Option<&str>,
        calendar: &Calendar,
        actor: &Actor,
    ) -> Result<StoredPratica, StoreError> {
        snapshot_checks(pratica, event)?;
        let expected = i64::try_from(expected_version)
            .map_err(|_| StoreError::Invalid(format!("no version {expected_version}")))?;
        let permit = pratica.permit();
        let row = on_tx!(&mut *tx, conn => {
            let row = sqlx::query(concat!(
                "UPDATE pratiche SET state = $1, deadline = $2, assigned_to = $3, snapshot = $4, \
                 permit_code = COALESCE($5, permit_code), permit_valid_from = $6, permit_valid_until = $7, \
                 version = version + 1, updated_at = $8 \
                 WHERE tenant_id = $9 AND id = $10 AND version = $11 RETURNING ",
                pratica_columns!()
            ))
            .bind(pratica.state().key())
            .bind(deadline_column(pratica, calendar))
            .bind(pratica.assignee().map(|u| *u.as_uuid()))
            .bind(Json(pratica))
            .bind(permit_code)
            .bind(permit.map(|p| p.from().to_string()))
            .bind(permit.map(|p| p.until().to_string()))
            .bind(DbTime::from(pratica.updated_at()))
            .bind(self.tenant)
            .bind(id)
            .bind(expected)
            .fetch_optional(&mut *conn)
            .await?;
            match row {
                Some(row) => Some(pratica_row!(row)),
                None => None,
            }
        });
        let Some(row) = row else {
            return Err(StoreError::Conflict(format!(
                "the pratica {id} changed since version {expected_version}: reload it"
            )));
        };
        let stored = pratica_from_row(row)?;
        let seq = expected + 1;
        self.append_event(tx, id, seq, event, actor).await?;
        let kind = event_kind(event)?;
        actor
            .entry(
                Some(self.tenant_id()),
                &format!("pratica.{kind}"),
                format!("pratica:{id}"),
                serde_json::json!({
                    "protocol": stored.protocol.to_string(),
                    "state": pratica.state().key(),
                    "version": seq,
                }),
            )
            .record(tx)
            .await?;
        Ok(stored)
    }

    /// [`apply_transition`](Self::apply_transition) in a transaction of its own, for a clerk
    /// or citizen who acted on the pratica as they saw it at `seen_version`: loads it, lets
    /// `step` compute the transition, stores it. A pratica changed since `seen_version` is a
    /// [`StoreError::Conflict`], even if the step would still be allowed: the person decided
    /// on what they saw. The domain's refusal comes back as the inner error.
    #[allow(clippy::too_many_arguments)]
    pub async fn transition<E>(
        &self,
        id: Uuid,
        seen_version: u64,
        permit_code: Option<&str>,
        calendar: &Calendar,
        actor: &Actor,
        step: impl FnOnce(&mut Pratica) -> Result<PraticaEvent, E>,
    ) -> Result<Result<StoredPratica, E>, StoreError> {
        let stale = || {
            StoreError::Conflict(format!(
                "the pratica {id} changed since version {seen_version}: reload it"
            ))
        };
        let current = self.pratica(id).await?.ok_or_else(stale)?;
        if current.version != seen_version {
            return Err(stale());
        }
        let mut pratica = current.pratica;
        let event = match step(&mut pratica) {
            Ok(event) => event,
            Err(e) => return Ok(Err(e)),
        };
        let mut tx = self.store.begin().await?;
        let stored = self
            .apply_transition(
                &mut tx,
                id,
                seen_version,
                &pratica,
                &event,
                permit_code,
                calendar,
                actor,
            )
            .await?;
        tx.commit().await?;
        Ok(Ok(stored))
    }

    pub async fn pratica(&self, id: Uuid) -> Result<Option<StoredPratica>, StoreError> {
        let row = on_db!(&self.store.db, pool => {
            let row = sqlx::query(concat!("SELECT ", pratica_columns!(), " FROM pratiche WHERE tenant_id = $1 AND id = $2"))
                .bind(self.tenant)
                .bind(id)
                .fetch_optional(pool)
                .await?;
            match row {
                Some(row) => Some(pratica_row!(row)),
                None => None,
            }
        });
        row.map(pratica_from_row).transpose()
    }

    pub async fn pratica_by_protocol(
        &self,
        number: ProtocolNumber,
    ) -> Result<Option<StoredPratica>, StoreError> {
        let row = on_db!(&self.store.db, pool => {
            let row = sqlx::query(concat!(
                "SELECT ", pratica_columns!(),
                " FROM pratiche WHERE tenant_id = $1 AND protocol_year = $2 AND protocol_number = $3"
            ))
            .bind(self.tenant)
            .bind(number.year())
            .bind(i64::from(number.number()))
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => Some(pratica_row!(row)),
                None => None,
            }
        });
        row.map(pratica_from_row).transpose()
    }

    /// The pratica whose permit carries `code`, for the public verification page.
    pub async fn pratica_by_permit_code(
        &self,
        code: &str,
    ) -> Result<Option<StoredPratica>, StoreError> {
        let row = on_db!(&self.store.db, pool => {
            let row = sqlx::query(concat!(
                "SELECT ", pratica_columns!(), " FROM pratiche WHERE tenant_id = $1 AND permit_code = $2"
            ))
            .bind(self.tenant)
            .bind(code)
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => Some(pratica_row!(row)),
                None => None,
            }
        });
        row.map(pratica_from_row).transpose()
    }

    /// The requests a citizen made or that were made for them at the counter, newest first.
    pub async fn pratiche_of(
        &self,
        fiscal_code: &CodiceFiscale,
    ) -> Result<Vec<StoredPratica>, StoreError> {
        let rows = on_db!(&self.store.db, pool => {
            let rows = sqlx::query(concat!(
                "SELECT ", pratica_columns!(), " FROM pratiche WHERE tenant_id = $1 AND applicant_fiscal_code = $2 \
                 ORDER BY submitted_at DESC, id DESC"
            ))
            .bind(self.tenant)
            .bind(fiscal_code.as_str())
            .fetch_all(pool)
            .await?;
            let mut read = Vec::with_capacity(rows.len());
            for row in rows {
                read.push(pratica_row!(row));
            }
            read
        });
        rows.into_iter().map(pratica_from_row).collect()
    }

    /// The pratiche an office decides, by deadline (nearest first, those without one last),
    /// then by submission.
    pub async fn office_queue(
        &self,
        office: &str,
        filter: &QueueFilter,
    ) -> Result<Vec<StoredPratica>, StoreError> {
        // The states are bound as a fixed list of 13 parameters, padded by repetition: one
        // query text, whatever the selection, on both backends.
        let states: Vec<&'static str> = if filter.states.is_empty() {
            PraticaState::ALL.iter().map(|s| s.key()).collect()
        } else {
            filter.states.iter().map(|s| s.key()).collect()
        };
        let state = |i: usize| states.get(i).or(states.first()).copied().unwrap_or("");
        let (assignee_mode, assignee): (i32, Option<Uuid>) = match filter.assignee {
            AssigneeFilter::Anyone => (0, None),
            AssigneeFilter::Unassigned => (1, None),
            AssigneeFilter::To(user) => (2, Some(*user.as_uuid())),
        };
        let limit = if filter.limit == 0 {
            i64::MAX
        } else {
            i64::from(filter.limit)
        };
        let text = filter
            .text
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .map(contains_pattern);
        let rows = on_db!(&self.store.db, pool => {
            let rows = sqlx::query(concat!(
                "SELECT ", pratica_columns!(), " FROM pratiche WHERE tenant_id = $1 AND office_key = $2 \
                 AND state IN ($3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                 AND ($16 IS NULL OR deadline < $16) \
                 AND ($17 = 0 OR ($17 = 1 AND assigned_to IS NULL) OR ($17 = 2 AND assigned_to = $18)) \
                 AND ($19 IS NULL OR service_slug = $19) \
                 AND ($20 IS NULL OR search_text LIKE $20 ESCAPE '\\') \
                 ORDER BY deadline ASC NULLS LAST, submitted_at, id LIMIT $21 OFFSET $22"
            ))
            .bind(self.tenant)
            .bind(office)
            .bind(state(0))
            .bind(state(1))
            .bind(state(2))
            .bind(state(3))
            .bind(state(4))
            .bind(state(5))
            .bind(state(6))
            .bind(state(7))
            .bind(state(8))
            .bind(state(9))
            .bind(state(10))
            .bind(state(11))
            .bind(state(12))
            .bind(filter.overdue_on.map(|d| d.to_string()))
            .bind(assignee_mode)
            .bind(assignee)
            .bind(filter.service.as_deref())
            .bind(text.as_deref())
            .bind(limit)
            .bind(i64::from(filter.offset))
            .fetch_all(pool)
            .await?;
            let mut read = Vec::with_capacity(rows.len());
            for row in rows {
                read.push(pratica_row!(row));
            }
            read
        });
        rows.into_iter().map(pratica_from_row).collect()
    }

    /// A pratica's history, oldest first: the citizen's timeline (filter it with
    /// `EventKind::citizen_visible`) and the office's.
    pub async fn pratica_events(&self, id: Uuid) -> Result<Vec<StoredEvent>, StoreError> {
        let rows: Vec<(i64, String, Option<String>, Json<PraticaEvent>)> = on_db!(&self.store.db, pool => {
            sqlx::query_as(
                "SELECT seq, actor, source, data FROM pratica_events WHERE tenant_id = $1 AND pratica_id = $2 ORDER BY seq",
            )
            .bind(self.tenant)
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(seq, actor, source, event)| {
                Ok(StoredEvent {
                    seq: u64::try_from(seq).map_err(|_| StoreError::corrupt("event seq", seq))?,
                    actor,
                    source,
                    event: event.0,
                })
            })
            .collect()
    }
}
