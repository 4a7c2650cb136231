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
}

impl StoreError {
    pub(crate) fn corrupt(what: &'static str, reason: impl ToString) -> StoreError {
        StoreError::Corrupt {
            what,
            reason: reason.to_string(),
        }
    }
}
