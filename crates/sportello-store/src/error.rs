use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("unsupported database URL: expected sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data could not be read ({what}): {reason}")]
    Corrupt { what: &'static str, reason: String },
    #[error("{0}")]
    Conflict(String),
    /// A value the caller passed that the store refuses to write, such as a SPID level outside
    /// 1–3 or an office the comune does not have.
    #[error("{0}")]
    Invalid(String),
    #[error("the operating system's random number generator failed")]
    Randomness,
    /// The caller may not see or change this row: a sensitive attachment outside its deciding
    /// office, a draft of someone else.
    #[error("{0}")]
    Forbidden(String),
    /// The blob store (file system or object storage) failed.
    #[error("attachment storage: {0}")]
    Blob(#[from] crate::attachments::BlobError),
}

impl StoreError {
    pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> StoreError {
        StoreError::Corrupt {
            what,
            reason: reason.to_string(),
        }
    }
}
