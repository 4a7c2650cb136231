-- Identity: citizens, the roles granted to them, their sessions, the state of SAML exchanges in
-- flight, the SPID tracing log and the service provider's signing keys.
-- Instants are TIMESTAMPTZ in UTC.

-- One row per citizen per comune: the same person in two comuni is two unrelated rows.
-- The SPID attributes are those of the latest login, as received.
CREATE TABLE users (
    id                  UUID PRIMARY KEY,
    tenant_id           UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    fiscal_code         TEXT NOT NULL,
    given_name          TEXT,
    family_name         TEXT,
    email               TEXT,
    mobile              TEXT,
    date_of_birth       TEXT,
    last_level          SMALLINT NOT NULL CHECK (last_level BETWEEN 1 AND 3),
    last_idp_entity_id  TEXT NOT NULL,
    contact_preferences JSONB NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    last_login_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, fiscal_code),
    -- Target of the sessions' foreign key, which ties a session to a user of its own tenant.
    UNIQUE (tenant_id, id)
);

-- Keyed by codice fiscale, not by user, so that a role can be granted before the first login.
-- Revoked grants stay, as history.
CREATE TABLE role_grants (
    id          UUID PRIMARY KEY,
    tenant_id   UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    fiscal_code TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('tenant_admin', 'clerk')),
    office_key  TEXT,
    granted_by  TEXT NOT NULL,
    granted_at  TIMESTAMPTZ NOT NULL,
    revoked_by  TEXT,
    revoked_at  TIMESTAMPTZ,
    CHECK ((role = 'clerk') = (office_key IS NOT NULL)),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
-- At most one active grant of a role: granting twice is a no-op, even from two processes.
CREATE UNIQUE INDEX role_grants_active
    ON role_grants (tenant_id, fiscal_code, role, COALESCE(office_key, ''))
    WHERE revoked_at IS NULL;

-- The key is the SHA-256 of the cookie's token: a copy of this table opens no session.
CREATE TABLE sessions (
    id_hash             BYTEA PRIMARY KEY,
    tenant_id           UUID NOT NULL,
    user_id             UUID NOT NULL,
    level               SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 3),
    idp_entity_id       TEXT NOT NULL,
    name_id             TEXT NOT NULL,
    name_id_qualifier   TEXT,
    session_index       TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    last_seen_at        TIMESTAMPTZ NOT NULL,
    idle_seconds        BIGINT NOT NULL CHECK (idle_seconds > 0),
    idle_expires_at     TIMESTAMPTZ NOT NULL,
    absolute_expires_at TIMESTAMPTZ NOT NULL,
    ended_at            TIMESTAMPTZ,
    end_reason          TEXT CHECK (end_reason IN ('logout', 'replaced', 'single_logout', 'revoked')),
    client_ip           TEXT,
    user_agent          TEXT,
    CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
-- Single logout from the identity provider finds sessions by the NameID it asserted.
CREATE INDEX sessions_by_name_id ON sessions (tenant_id, idp_entity_id, name_id);
CREATE INDEX sessions_by_user ON sessions (tenant_id, user_id);

-- Requests sent to an identity provider and not yet answered. Each row is consumed by the
-- answer (deleted as it is read), and only from the browser that started the exchange.
CREATE TABLE saml_pending (
    request_id    TEXT PRIMARY KEY,
    tenant_id     UUID NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    browser_hash  BYTEA NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('authn', 'logout')),
    idp_entity_id TEXT NOT NULL,
    issue_instant TIMESTAMPTZ NOT NULL,
    level         SMALLINT NOT NULL CHECK (level BETWEEN 1 AND 3),
    return_path   TEXT NOT NULL,
    relay_state   TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX saml_pending_expiry ON saml_pending (expires_at);

-- Assertion ids already accepted, until the assertion would expire anyway: a replayed
-- assertion finds its id here.
CREATE TABLE saml_assertions (
    idp_entity_id TEXT NOT NULL,
    assertion_id  TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (idp_entity_id, assertion_id)
);
CREATE INDEX saml_assertions_expiry ON saml_assertions (expires_at);

-- The tracing log SPID requires of a service provider: every AuthnRequest and Response (and
-- the logout messages), kept until retain_until. No cascade: a comune's deletion must not
-- silently drop records the rules require to keep.
CREATE TABLE saml_trace (
    id             UUID PRIMARY KEY,
    tenant_id      UUID NOT NULL REFERENCES tenants (id),
    created_at     TIMESTAMPTZ NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
    kind           TEXT NOT NULL CHECK (kind IN ('AuthnRequest', 'Response', 'LogoutRequest', 'LogoutResponse')),
    message_id     TEXT NOT NULL,
    in_response_to TEXT,
    idp_entity_id  TEXT NOT NULL,
    fiscal_code    TEXT,
    client_ip      TEXT,
    xml            TEXT NOT NULL,
    retain_until   TIMESTAMPTZ NOT NULL
);
CREATE INDEX saml_trace_by_message ON saml_trace (tenant_id, message_id);
CREATE INDEX saml_trace_by_request ON saml_trace (tenant_id, in_response_to);
CREATE INDEX saml_trace_retention ON saml_trace (retain_until);

-- Signing keys of a service provider. owner is 'platform' (an aggregator signs for every
-- comune) or a tenant id. A key is next (created, not activated), active, or retired.
CREATE TABLE sp_keys (
    id           UUID PRIMARY KEY,
    owner        TEXT NOT NULL,
    private_key  BYTEA NOT NULL,
    certificate  BYTEA NOT NULL,
    not_after    TIMESTAMPTZ NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    activated_at TIMESTAMPTZ,
    retired_at   TIMESTAMPTZ,
    CHECK (retired_at IS NULL OR activated_at IS NOT NULL)
);
-- One active key and one next key per owner at most: two instances that start together
-- cannot both activate a key, two rotations cannot both create a next one.
CREATE UNIQUE INDEX sp_keys_one_active ON sp_keys (owner)
    WHERE activated_at IS NOT NULL AND retired_at IS NULL;
CREATE UNIQUE INDEX sp_keys_one_next ON sp_keys (owner) WHERE activated_at IS NULL;
