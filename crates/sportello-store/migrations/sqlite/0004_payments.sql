-- Payments through pagoPA: notice numbers, debt positions and their payment options,
-- receipts, bulk campaigns and reconciliation runs.
-- SQLite flavour: UUIDs are 16-byte BLOBs, JSON is TEXT, instants are INTEGER microseconds
-- since the Unix epoch (UTC), calendar dates are TEXT 'YYYY-MM-DD'.

-- The last IUV base given per comune and year. Notice numbers are never reused: the counter
-- only grows, and a transaction that rolls back hands its number back with it.
CREATE TABLE iuv_counters (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id),
    year       INTEGER NOT NULL,
    last_value INTEGER NOT NULL CHECK (last_value >= 0),
    PRIMARY KEY (tenant_id, year)
);

-- What a debtor owes for one thing (a pratica's fee, a spontaneous payment, a campaign row),
-- as sent to pagoPA's GPD. `origin` says what it pays for and makes asking twice harmless.
CREATE TABLE payment_positions (
    id                 BLOB PRIMARY KEY,
    tenant_id          BLOB NOT NULL REFERENCES tenants (id),
    iupd               TEXT NOT NULL,
    origin             TEXT NOT NULL,
    pratica_id         BLOB,
    campaign_id        BLOB,
    debtor_fiscal_code TEXT NOT NULL,
    debtor_name        TEXT NOT NULL,
    description        TEXT NOT NULL,
    total_cents        INTEGER NOT NULL CHECK (total_cents > 0),
    first_due_date     TEXT NOT NULL,
    -- The domain's DebtPosition: debtor, options, transfers.
    position           TEXT NOT NULL,
    -- 'pending' until GPD has it; then GPD's status, lower case; 'failed' if GPD refused it.
    status             TEXT NOT NULL CHECK (status IN ('pending', 'draft', 'published', 'valid',
                           'invalid', 'expired', 'partially_paid', 'paid', 'reported', 'failed')),
    last_error         TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    published_at       INTEGER,
    paid_at            INTEGER,
    -- When pagoPA was last asked about it, and how many times without news: the poller's
    -- backoff.
    check_count        INTEGER NOT NULL DEFAULT 0,
    checked_at         INTEGER,
    next_check_at      INTEGER,
    UNIQUE (tenant_id, iupd),
    UNIQUE (tenant_id, origin)
);
CREATE INDEX payment_positions_by_debtor ON payment_positions (tenant_id, debtor_fiscal_code);
CREATE INDEX payment_positions_by_pratica ON payment_positions (tenant_id, pratica_id);
CREATE INDEX payment_positions_by_campaign ON payment_positions (campaign_id, status);
CREATE INDEX payment_positions_to_check ON payment_positions (status, next_check_at);

-- One row per notice number, for lookups by NAV and so that a number is used once.
CREATE TABLE payment_options (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    notice_number TEXT NOT NULL,
    position_id   BLOB NOT NULL REFERENCES payment_positions (id),
    amount_cents  INTEGER NOT NULL CHECK (amount_cents > 0),
    due_date      TEXT NOT NULL,
    instalment    INTEGER NOT NULL,
    paid_at       INTEGER,
    PRIMARY KEY (tenant_id, notice_number)
);
CREATE INDEX payment_options_by_position ON payment_options (position_id);

-- Receipts: proof that a notice was paid, one per notice number.
CREATE TABLE payment_receipts (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id),
    notice_number TEXT NOT NULL,
    position_id   BLOB NOT NULL REFERENCES payment_positions (id),
    receipt_id    TEXT NOT NULL,
    amount_cents  INTEGER NOT NULL,
    fee_cents     INTEGER,
    paid_at       INTEGER NOT NULL,
    psp           TEXT,
    method        TEXT,
    -- Where it was learnt from: the receipts API, a GPD read, a payment at the counter.
    source        TEXT NOT NULL,
    received_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, notice_number)
);

-- A bulk import (TARI, canteen, …): one per file, identified by its digest so a re-run of the
-- same file resumes it instead of billing twice.
CREATE TABLE payment_campaigns (
    id           BLOB PRIMARY KEY,
    tenant_id    BLOB NOT NULL REFERENCES tenants (id),
    name         TEXT NOT NULL,
    file_sha256  TEXT NOT NULL,
    row_count    INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    imported_at  INTEGER,
    UNIQUE (tenant_id, file_sha256)
);

-- Each reconciliation against pagoPA and what differed.
CREATE TABLE payment_reconciliations (
    id          BLOB PRIMARY KEY,
    tenant_id   BLOB NOT NULL REFERENCES tenants (id),
    run_at      INTEGER NOT NULL,
    checked     INTEGER NOT NULL,
    differences TEXT NOT NULL
);
CREATE INDEX payment_reconciliations_by_run ON payment_reconciliations (tenant_id, run_at);
