-- Notifications to citizens (App IO, e-mail): each message, its state per channel and every
-- attempt; e-mail address verification; the comuni's App IO keys, sealed.
-- Instants are TIMESTAMPTZ in UTC; calendar dates are TEXT 'YYYY-MM-DD' as on SQLite.

-- One message to one citizen, composed when the event happened (what was sent is what is
-- shown). `origin` names the event, so that telling the same thing twice stores one row.
CREATE TABLE notifications (
    id                    UUID PRIMARY KEY,
    tenant_id             UUID NOT NULL REFERENCES tenants (id),
    origin                TEXT NOT NULL,
    recipient_fiscal_code TEXT NOT NULL,
    user_id               UUID,
    event                 TEXT NOT NULL,
    topic                 TEXT NOT NULL,
    lang                  TEXT NOT NULL,
    subject               TEXT NOT NULL,
    markdown              TEXT NOT NULL,
    template_version      INTEGER NOT NULL,
    pratica_id            UUID,
    position_id           UUID,
    -- {amount_cents, notice_number, due_date, invalid_after_due_date}, for a payment notice.
    payment               JSONB,
    due_date              TEXT,
    resend_of             UUID REFERENCES notifications (id),
    created_by            TEXT NOT NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, origin)
);
CREATE INDEX notifications_by_recipient ON notifications (tenant_id, recipient_fiscal_code, created_at);
CREATE INDEX notifications_by_pratica ON notifications (tenant_id, pratica_id);
CREATE INDEX notifications_by_time ON notifications (tenant_id, created_at);

-- The notification on one channel ('io', 'email').
CREATE TABLE notification_deliveries (
    notification_id UUID NOT NULL REFERENCES notifications (id),
    channel         TEXT NOT NULL CHECK (channel IN ('io', 'email')),
    tenant_id       UUID NOT NULL REFERENCES tenants (id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'accepted', 'delivered',
                        'rejected', 'bounced', 'failed', 'skipped', 'uncertain')),
    -- Why it was skipped or failed: a reason code or the service's answer.
    reason          TEXT,
    -- The e-mail address, or the App IO service code.
    address         TEXT,
    -- App IO's message id, or the e-mail's Message-ID.
    external_id     TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    updated_at      TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ,
    -- App IO's status is asked again at this instant while the message is 'accepted'.
    check_count     INTEGER NOT NULL DEFAULT 0,
    next_check_at   TIMESTAMPTZ,
    PRIMARY KEY (notification_id, channel)
);
CREATE INDEX notification_deliveries_by_status ON notification_deliveries (tenant_id, status);
CREATE INDEX notification_deliveries_to_check ON notification_deliveries (status, next_check_at);

-- Every attempt and every change of state, in order.
CREATE TABLE notification_log (
    id              BIGSERIAL PRIMARY KEY,
    notification_id UUID NOT NULL REFERENCES notifications (id),
    channel         TEXT NOT NULL,
    at              TIMESTAMPTZ NOT NULL,
    status          TEXT NOT NULL,
    detail          TEXT
);
CREATE INDEX notification_log_by_notification ON notification_log (notification_id, id);

-- A link sent to prove an e-mail address; the store keeps the token's hash only.
CREATE TABLE email_verifications (
    token_hash BYTEA PRIMARY KEY,
    tenant_id  UUID NOT NULL REFERENCES tenants (id),
    user_id    UUID NOT NULL REFERENCES users (id),
    address    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX email_verifications_by_user ON email_verifications (tenant_id, user_id);

-- The subscription key of each of a comune's App IO services, sealed with the storage key.
CREATE TABLE appio_keys (
    tenant_id    UUID NOT NULL REFERENCES tenants (id),
    service_code TEXT NOT NULL,
    sealed       BYTEA NOT NULL,
    fingerprint  TEXT NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, service_code)
);
