-- Online requests: the versions of each service's procedure, the protocol register, drafts,
-- pratiche with their history, and the metadata of uploaded attachments.
-- SQLite flavour of the PostgreSQL schema: UUIDs are 16-byte BLOBs, JSON is TEXT, instants are
-- INTEGER microseconds since the Unix epoch (UTC), calendar dates are TEXT 'YYYY-MM-DD'.
--
-- Records with legal standing (versions requests were made against, the register, pratiche,
-- their events) have no ON DELETE CASCADE: deleting a comune must not silently drop them.

-- Each distinct procedure a service has had, numbered 1, 2, 3… per service. A request names
-- the version it was made against, so re-importing the comune file never changes it.
CREATE TABLE service_versions (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id),
    slug       TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version > 0),
    hash       TEXT NOT NULL,
    procedure  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, slug, version)
);

-- The version each service offers now; NULL when it has no online procedure.
ALTER TABLE services ADD COLUMN procedure_version INTEGER;

-- The last number given per comune and year. A year's row is created by its first
-- registration, so numbering restarts at 1 each year.
CREATE TABLE protocol_counters (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    year        INTEGER NOT NULL,
    last_number INTEGER NOT NULL CHECK (last_number >= 0),
    PRIMARY KEY (tenant_id, year)
);

-- The protocol register (DPR 445/2000 art. 53). Entries are written once and never changed:
-- the triggers below refuse any update or delete.
CREATE TABLE protocol_entries (
    id                        BLOB PRIMARY KEY,
    tenant_id                 BLOB NOT NULL REFERENCES tenants (id),
    year                      INTEGER NOT NULL,
    number                    INTEGER NOT NULL CHECK (number > 0),
    registered_at             INTEGER NOT NULL,
    direction                 TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    -- The sender of an incoming document, the recipient of an outgoing one.
    correspondent_name        TEXT NOT NULL,
    correspondent_fiscal_code TEXT,
    subject                   TEXT NOT NULL,
    -- No foreign key: the entry is written first in the submission's transaction, and a
    -- register entry outlives anything it names.
    pratica_id                BLOB,
    -- [{name, content_type, size, sha256}]: the digests art. 53 c.1 f) requires.
    attachments               TEXT NOT NULL,
    UNIQUE (tenant_id, year, number)
);
CREATE INDEX protocol_entries_by_day ON protocol_entries (tenant_id, registered_at);

CREATE TRIGGER protocol_entries_no_update BEFORE UPDATE ON protocol_entries
BEGIN
    SELECT RAISE(ABORT, 'protocol register entries cannot be changed (DPR 445/2000 art. 53)');
END;

CREATE TRIGGER protocol_entries_no_delete BEFORE DELETE ON protocol_entries
BEGIN
    SELECT RAISE(ABORT, 'protocol register entries cannot be deleted (DPR 445/2000 art. 53)');
END;

-- What an external protocol system answered when the entry was registered there too.
CREATE TABLE protocol_external_refs (
    tenant_id   BLOB NOT NULL,
    year        INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    system      TEXT NOT NULL,
    reference   TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, year, number),
    FOREIGN KEY (tenant_id, year, number) REFERENCES protocol_entries (tenant_id, year, number)
);

-- A request being filled in. The owner is who fills it: the citizen, or a clerk at the counter
-- for a citizen who came in person (on_behalf_of then names that citizen).
CREATE TABLE drafts (
    id              BLOB PRIMARY KEY,
    tenant_id       BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id         BLOB NOT NULL,
    service_slug    TEXT NOT NULL,
    service_version INTEGER NOT NULL,
    answers         TEXT NOT NULL,
    step            TEXT,
    on_behalf_of    TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, service_slug, service_version)
        REFERENCES service_versions (tenant_id, slug, version)
);
CREATE INDEX drafts_by_user ON drafts (tenant_id, user_id, updated_at);

-- A submitted request. snapshot is the domain's pratica; the other columns repeat what the
-- queues filter and sort on. version grows by one at each change: a change names the version
-- it was computed from, so two clerks cannot both apply a transition to the same state.
CREATE TABLE pratiche (
    id                    BLOB PRIMARY KEY,
    tenant_id             BLOB NOT NULL REFERENCES tenants (id),
    service_slug          TEXT NOT NULL,
    service_version       INTEGER NOT NULL,
    -- The citizen the request is for. Their account, when they have one: a request made at
    -- the counter may be for someone who never signed in.
    applicant_fiscal_code TEXT NOT NULL,
    applicant_given_name  TEXT NOT NULL,
    applicant_family_name TEXT NOT NULL,
    applicant_user_id     BLOB,
    -- Who submitted it: the applicant, or the clerk of an assisted submission.
    submitted_by          BLOB NOT NULL,
    assisted              INTEGER NOT NULL,
    office_key            TEXT NOT NULL,
    state                 TEXT NOT NULL,
    protocol_year         INTEGER NOT NULL,
    protocol_number       INTEGER NOT NULL,
    submitted_at          INTEGER NOT NULL,
    deadline              TEXT,
    assigned_to           BLOB,
    answers               TEXT NOT NULL,
    assessment            TEXT,
    snapshot              TEXT NOT NULL,
    permit_code           TEXT UNIQUE,
    permit_valid_from     TEXT,
    permit_valid_until    TEXT,
    renews                BLOB,
    -- Lower-case protocol number, codice fiscale and name, for the queue's text search.
    search_text           TEXT NOT NULL,
    version               INTEGER NOT NULL CHECK (version > 0),
    updated_at            INTEGER NOT NULL,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, protocol_year, protocol_number),
    FOREIGN KEY (tenant_id, protocol_year, protocol_number)
        REFERENCES protocol_entries (tenant_id, year, number),
    FOREIGN KEY (tenant_id, service_slug, service_version)
        REFERENCES service_versions (tenant_id, slug, version),
    FOREIGN KEY (tenant_id, applicant_user_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, submitted_by) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, assigned_to) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, renews) REFERENCES pratiche (tenant_id, id)
);
CREATE INDEX pratiche_queue ON pratiche (tenant_id, office_key, state, deadline);
CREATE INDEX pratiche_by_applicant ON pratiche (tenant_id, applicant_fiscal_code, submitted_at);
CREATE INDEX pratiche_by_service ON pratiche (tenant_id, service_slug, submitted_at);

-- The history of a pratica, shown to the citizen as a timeline. Append-only. seq is the
-- pratica's version after the event: one event per version.
CREATE TABLE pratica_events (
    id         BLOB PRIMARY KEY,
    tenant_id  BLOB NOT NULL,
    pratica_id BLOB NOT NULL,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    -- The client address the change came from, as in the audit log.
    source     TEXT,
    kind       TEXT NOT NULL,
    data       TEXT NOT NULL,
    UNIQUE (pratica_id, seq),
    FOREIGN KEY (tenant_id, pratica_id) REFERENCES pratiche (tenant_id, id)
);
CREATE INDEX pratica_events_by_pratica ON pratica_events (tenant_id, pratica_id, seq);

-- Uploaded files. The bytes are in the blob store under storage_key (random, never a name the
-- user chose); sensitive ones are encrypted there. A file belongs to a draft until submission
-- moves it to the pratica; a row that belongs to neither waits for the retention purge.
CREATE TABLE attachments (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    draft_id     BLOB,
    pratica_id   BLOB,
    spec_id      TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    sha256       TEXT NOT NULL,
    sensitive    INTEGER NOT NULL,
    storage_key  TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    delete_after INTEGER,
    CHECK (draft_id IS NULL OR pratica_id IS NULL),
    CHECK (draft_id IS NOT NULL OR pratica_id IS NOT NULL OR delete_after IS NOT NULL),
    FOREIGN KEY (tenant_id, draft_id) REFERENCES drafts (tenant_id, id),
    FOREIGN KEY (tenant_id, pratica_id) REFERENCES pratiche (tenant_id, id)
);
CREATE INDEX attachments_by_draft ON attachments (tenant_id, draft_id);
CREATE INDEX attachments_by_pratica ON attachments (tenant_id, pratica_id);
CREATE INDEX attachments_retention ON attachments (delete_after);
