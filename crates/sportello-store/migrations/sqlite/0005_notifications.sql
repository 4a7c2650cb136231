-- Notifications to citizens (App IO, e-mail): each message, its state per channel and every
-- attempt; e-mail address verification; the comuni's App IO keys, sealed.
-- SQLite flavour: UUIDs are 16-byte BLOBs, JSON is TEXT, instants are INTEGER microseconds
-- since the Unix epoch (UTC), calendar dates are TEXT 'YYYY-MM-DD'.

-- One message to one citizen, composed when the event happened (what was sent is what is
-- shown). `origin` names the event, so that telling the same thing twice stores one row.
CREATE TABLE notifications (
    id                    BLOB PRIMARY KEY,
    tenant_id             BLOB NOT NULL REFERENCES tenants (id),
    origin                TEXT NOT NULL,
    recipient_fiscal_code TEXT NOT NULL,
    user_id               BLOB,
    event                 TEXT NOT NULL,
    topic                 TEXT NOT NULL,
    lang                  TEXT NOT NULL,
    subject               TEXT NOT NULL,
    markdown              TEXT NOT NULL,
    template_version      INTEGER NOT NULL,
    pratica_id            BLOB,
    position_id           BLOB,
    -- {amount_cents, notice_number, due_date, invalid_after_due_date}, for a payment notice.
    payment               TEXT,
    due_date              TEXT,
    resend_of             BLOB REFERENCES notifications (id),
    created_by            TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    UNIQUE (tenant_id, origin)
);
CREATE INDEX notifications_by_recipient ON notifications (tenant_id, recipient_fiscal_code, created_at);
CREATE INDEX notifications_by_pratica ON notifications (tenant_id, pratica_id);
CREATE INDEX notifications_by_time ON notifications (tenant_id, created_at);

-- The notification on one channel ('io', 'email').
CREATE TABLE notification_deliveries (
    notification_id BLOB NOT NULL REFERENCES notifications (id),
    channel         TEXT NOT NULL CHECK (channel IN ('io', 'email')),
    tenant_id       BLOB NOT NULL REFERENCES tenants (id),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'accepted', 'delivered',
                        'rejected', 'bounced', 'failed', 'skipped', 'uncertain')),
    -- Why it was skipped or failed: a reason code or the service's answer.
    reason          TEXT,
    -- The e-mail address, or the App IO service code.
    address         TEXT,
    -- App IO's message id, or the e-mail's Message-ID.
    external_id     TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    -- App IO's status is asked again at this instant while the message is 'accepted'.
    check_count     INTEGER NOT NULL DEFAULT 0,
    next_check_at   INTEGER,
    PRIMARY KEY (notification_id, channel)
);
CREATE INDEX notification_deliveries_by_status ON notification_deliveries (tenant_id, status);
CREATE INDEX notification_deliveries_to_check ON notification_deliveries (status, next_check_at);

-- Every attempt and every change of state, in order.
CREATE TABLE notification_log (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id BLOB NOT NULL REFERENCES notifications (id),
    channel         TEXT NOT NULL,
    at              INTEGER NOT NULL,
    status          TEXT NOT NULL,
    detail          TEXT
);
CREATE INDEX notification_log_by_notification ON notification_log (notification_id, id);

-- A link sent to prove an e-mail address; the store keeps the token's hash only.
CREATE TABLE email_verifications (
    token_hash BLOB PRIMARY KEY,
    tenant_id  BLOB NOT NULL REFERENCES tenants (id),
    user_id    BLOB NOT NULL REFERENCES users (id),
    address    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_verifications_by_user ON email_verifications (tenant_id, user_id);

-- The subscription key of each of a comune's App IO services, sealed with the storage key.
CREATE TABLE appio_keys (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    service_code TEXT NOT NULL,
    sealed       BLOB NOT NULL,
    fingerprint  TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, service_code)
);
