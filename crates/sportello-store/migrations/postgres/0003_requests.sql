-- Online requests: the versions of each service's procedure, the protocol register, drafts,
-- pratiche with their history, and the metadata of uploaded attachments.
-- Instants are TIMESTAMPTZ in UTC; calendar dates are TEXT 'YYYY-MM-DD', as on SQLite, so that
-- one query text compares them on both backends.
--
-- Records with legal standing (versions requests were made against, the register, pratiche,
-- their events) have no ON DELETE CASCADE: deleting a comune must not silently drop them.

-- Each distinct procedure a service has had, numbered 1, 2, 3… per service. A request names
-- the version it was made against, so re-importing the comune file never changes it.
CREATE TABLE service_versions (
    tenant_id  UUID NOT NULL REFERENCES tenants (id),
    slug       TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version > 0),
    hash       TEXT NOT NULL,
    procedure  JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, slug, version)
);

-- The version each service offers now; NULL when it has no online procedure.
ALTER TABLE services ADD COLUMN procedure_version INTEGER;

-- The last number given per comune and year. A year's row is created by its first
-- registration, so numbering restarts at 1 each year.
CREATE TABLE protocol_counters (
    tenant_id   UUID NOT NULL REFERENCES tenants (id),
    year        SMALLINT NOT NULL,
    last_number BIGINT NOT NULL CHECK (last_number >= 0),
    PRIMARY KEY (tenant_id, year)
);

-- The protocol register (DPR 445/2000 art. 53). Entries are written once and never changed:
-- the triggers below refuse any update or delete.
CREATE TABLE protocol_entries (
    id                        UUID PRIMARY KEY,
    tenant_id                 UUID NOT NULL REFERENCES tenants (id),
    year                      SMALLINT NOT NULL,
    number                    BIGINT NOT NULL CHECK (number > 0),
    registered_at             TIMESTAMPTZ NOT NULL,
    direction                 TEXT NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    -- The sender of an incoming document, the recipient of an outgoing one.
    correspondent_name        TEXT NOT NULL,
    correspondent_fiscal_code TEXT,
    subject                   TEXT NOT NULL,
    -- No foreign key: the entry is written first in the submission's transaction, and a
    -- register entry outlives anything it names.
    pratica_id                UUID,
    -- [{name, content_type, size, sha256}]: the digests art. 53 c.1 f) requires.
    attachments               JSONB NOT NULL,
    UNIQUE (tenant_id, year, number)
);
CREATE INDEX protocol_entries_by_day ON protocol_entries (tenant_id, registered_at);

CREATE FUNCTION protocol_entries_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'protocol register entries cannot be changed or deleted (DPR 445/2000 art. 53)';
END;
$$;

CREATE TRIGGER protocol_entries_immutable BEFORE UPDATE OR DELETE ON protocol_entries
    FOR EACH ROW EXECUTE FUNCTION protocol_entries_immutable();

-- What an external protocol system answered when the entry was registered there too.
CREATE TABLE protocol_external_refs (
    tenant_id   UUID NOT NULL,
    year        SMALLINT NOT NULL,
    number      BIGINT NOT NULL,
    system      TEXT NOT NULL,
    reference   TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, year, number),
    FOREIGN KEY (tenant_id, year, number) REFERENCES protocol_entries (tenant_id, year, number)
);

-- A request being filled in. The owner is who fills it: the citizen, or a clerk at the counter
-- for a citizen who came in person (on_behalf_of then names that citizen).
CREATE TABLE drafts (
    id              UUID PRIMARY KEY,
    tenant_id       UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id         UUID NOT NULL,
    service_slug    TEXT NOT NULL,
    service_version INTEGER NOT NULL,
    answers         JSONB NOT NULL,
    step            TEXT,
    on_behalf_of    JSONB,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
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
    id                    UUID PRIMARY KEY,
    tenant_id             UUID NOT NULL REFERENCES tenants (id),
    service_slug          TEXT NOT NULL,
    service_version       INTEGER NOT NULL,
    -- The citizen the request is for. Their account, when they have one: a request made at
    -- the counter may be for someone who never signed in.
    applicant_fiscal_code TEXT NOT NULL,
    applicant_given_name  TEXT NOT NULL,
    applicant_family_name TEXT NOT NULL,
    applicant_user_id     UUID,
    -- Who submitted it: the applicant, or the clerk of an assisted submission.
    submitted_by          UUID NOT NULL,
    assisted              BOOLEAN NOT NULL,
    office_key            TEXT NOT NULL,
    state                 TEXT NOT NULL,
    protocol_year         SMALLINT NOT NULL,
    protocol_number       BIGINT NOT NULL,
    submitted_at          TIMESTAMPTZ NOT NULL,
    deadline              TEXT,
    assigned_to           UUID,
    answers               JSONB NOT NULL,
    assessment            JSONB,
    snapshot              JSONB NOT NULL,
    permit_code           TEXT UNIQUE,
    permit_valid_from     TEXT,
    permit_valid_until    TEXT,
    renews                UUID,
    -- Lower-case protocol number, codice fiscale and name, for the queue's text search.
    search_text           TEXT NOT NULL,
    version               BIGINT NOT NULL CHECK (version > 0),
    updated_at            TIMESTAMPTZ NOT NULL,
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
    id         UUID PRIMARY KEY,
    tenant_id  UUID NOT NULL,
    pratica_id UUID NOT NULL,
    seq        BIGINT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    -- The client address the change came from, as in the audit log.
    source     TEXT,
    kind       TEXT NOT NULL,
    data       JSONB NOT NULL,
    UNIQUE (pratica_id, seq),
    FOREIGN KEY (tenant_id, pratica_id) REFERENCES pratiche (tenant_id, id)
);
CREATE INDEX pratica_events_by_pratica ON pratica_events (tenant_id, pratica_id, seq);

-- Uploaded files. The bytes are in the blob store under storage_key (random, never a name the
-- user chose); sensitive ones are encrypted there. A file belongs to a draft until submission
-- moves it to the pratica; a row that belongs to neither waits for the retention purge.
CREATE TABLE attachments (
    id           UUID PRIMARY KEY,
    tenant_id    UUID NOT NULL REFERENCES tenants (id),
    draft_id     UUID,
    pratica_id   UUID,
    spec_id      TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL CHECK (size >= 0),
    sha256       TEXT NOT NULL,
    sensitive    BOOLEAN NOT NULL,
    storage_key  TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    delete_after TIMESTAMPTZ,
    CHECK (draft_id IS NULL OR pratica_id IS NULL),
    CHECK (draft_id IS NOT NULL OR pratica_id IS NOT NULL OR delete_after IS NOT NULL),
    FOREIGN KEY (tenant_id, draft_id) REFERENCES drafts (tenant_id, id),
    FOREIGN KEY (tenant_id, pratica_id) REFERENCES pratiche (tenant_id, id)
);
CREATE INDEX attachments_by_draft ON attachments (tenant_id, draft_id);
CREATE INDEX attachments_by_pratica ON attachments (tenant_id, pratica_id);
CREATE INDEX attachments_retention ON attachments (delete_after);
