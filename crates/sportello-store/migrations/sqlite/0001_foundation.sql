-- Foundation: tenants and their public content, page ratings, the audit log and the outbox.
-- Every tenant-owned table carries tenant_id. SQLite flavour of the PostgreSQL schema: UUIDs are
-- 16-byte BLOBs, JSON is TEXT, instants are INTEGER microseconds since the Unix epoch (UTC).

CREATE TABLE tenants (
    id                BLOB PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    codice_fiscale    TEXT NOT NULL,
    ipa_code          TEXT NOT NULL,
    profile           TEXT NOT NULL,
    logo_content_type TEXT NOT NULL,
    logo              BLOB NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE tenant_domains (
    host      TEXT PRIMARY KEY,
    tenant_id BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE
);

CREATE TABLE offices (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    office_key TEXT NOT NULL,
    content    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, office_key)
);

CREATE TABLE services (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slug       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    category   TEXT NOT NULL,
    featured   INTEGER NOT NULL,
    content    TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, slug)
);

CREATE TABLE page_ratings (
    id         BLOB PRIMARY KEY,
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    page       TEXT NOT NULL,
    stars      INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    answer     TEXT,
    comment    TEXT,
    lang       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX page_ratings_by_page ON page_ratings (tenant_id, page);

-- Append-only: the application never updates or deletes rows here.
CREATE TABLE audit_log (
    id        BLOB PRIMARY KEY,
    tenant_id BLOB REFERENCES tenants (id),
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    details   TEXT NOT NULL,
    source    TEXT
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, at);

CREATE TABLE outbox (
    id              BLOB PRIMARY KEY,
    tenant_id       BLOB REFERENCES tenants (id),
    topic           TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    available_at    INTEGER NOT NULL,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX outbox_due ON outbox (status, available_at);

CREATE TABLE outbox_attempts (
    outbox_id   BLOB NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'lease-lost')),
    error       TEXT,
    PRIMARY KEY (outbox_id, attempt)
);
