-- Foundation: tenants and their public content, page ratings, the audit log and the outbox.
-- Every tenant-owned table carries tenant_id; instants are TIMESTAMPTZ in UTC.

CREATE TABLE tenants (
    id                UUID PRIMARY KEY,
    slug              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    codice_fiscale    TEXT NOT NULL,
    ipa_code          TEXT NOT NULL,
    profile           JSONB NOT NULL,
    logo_content_type TEXT NOT NULL,
    logo              BYTEA NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE tenant_domains (
    host      TEXT PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE
);

CREATE TABLE offices (
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    office_key TEXT NOT NULL,
    content    JSONB NOT NULL,
    PRIMARY KEY (tenant_id, office_key)
);

CREATE TABLE services (
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    slug       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    category   TEXT NOT NULL,
    featured   BOOLEAN NOT NULL,
    content    JSONB NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, slug)
);

CREATE TABLE page_ratings (
    id         UUID PRIMARY KEY,
    tenant_id  UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    page       TEXT NOT NULL,
    stars      SMALLINT NOT NULL CHECK (stars BETWEEN 1 AND 5),
    answer     TEXT,
    comment    TEXT,
    lang       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX page_ratings_by_page ON page_ratings (tenant_id, page);

-- Append-only: the application never updates or deletes rows here.
CREATE TABLE audit_log (
    id        UUID PRIMARY KEY,
    tenant_id UUID REFERENCES tenants (id),
    at        TIMESTAMPTZ NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    details   JSONB NOT NULL,
    source    TEXT
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, at);

CREATE TABLE outbox (
    id              UUID PRIMARY KEY,
    tenant_id       UUID REFERENCES tenants (id),
    topic           TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    payload         JSONB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    available_at    TIMESTAMPTZ NOT NULL,
    lease_owner     TEXT,
    lease_until     TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (status, available_at);

CREATE TABLE outbox_attempts (
    outbox_id   UUID NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    worker      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'lease-lost')),
    error       TEXT,
    PRIMARY KEY (outbox_id, attempt)
);
