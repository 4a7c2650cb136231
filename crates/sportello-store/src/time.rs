//! Instants in the database: `TIMESTAMPTZ` on PostgreSQL, integer microseconds since the Unix
//! epoch on SQLite (an integer compares and sorts correctly in SQL, which text timestamps with
//! a variable number of fraction digits do not).

use jiff::Timestamp;
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueFormat, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Type};

/// Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01T00:00:00Z.
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

/// A UTC instant as stored, with microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DbTime(i64);

impl DbTime {
    pub fn now() -> DbTime {
        DbTime::from(Timestamp::now())
    }

    pub fn as_timestamp(self) -> Timestamp {
        // Every stored value came from a valid Timestamp; fall back to the epoch rather than
        // fail a page for a value written by hand.
        Timestamp::from_microsecond(self.0).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    pub fn unix_micros(self) -> i64 {
        self.0
    }
}

impl From<Timestamp> for DbTime {
    fn from(ts: Timestamp) -> DbTime {
        DbTime(ts.as_microsecond())
    }
}

impl From<DbTime> for Timestamp {
    fn from(t: DbTime) -> Timestamp {
        t.as_timestamp()
    }
}

impl Type<Sqlite> for DbTime {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for DbTime {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Sqlite> for DbTime {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        <i64 as Decode<Sqlite>>::decode(value).map(DbTime)
    }
}

impl Type<Postgres> for DbTime {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name("timestamptz")
    }
}

impl Encode<'_, Postgres> for DbTime {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        let micros = self
            .0
            .checked_sub(PG_EPOCH_OFFSET_MICROS)
            .ok_or("timestamp out of range")?;
        <i64 as Encode<Postgres>>::encode_by_ref(&micros, buf)
    }
}

impl<'r> Decode<'r, Postgres> for DbTime {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        match value.format() {
            PgValueFormat::Binary => {
                let micros = <i64 as Decode<Postgres>>::decode(value)?;
                Ok(DbTime(
                    micros
                        .checked_add(PG_EPOCH_OFFSET_MICROS)
                        .ok_or("timestamp out of range")?,
                ))
            }
            PgValueFormat::Text => {
                // e.g. "2026-11-26 18:00:00.123456+00": ISO 8601 with a space and a short offset.
                let text = value.as_str()?;
                let ts: Timestamp = text.replacen(' ', "T", 1).parse()?;
                Ok(DbTime::from(ts))
            }
        }
    }
}
