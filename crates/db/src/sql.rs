//! What both engines' SQL needs from Rust: booleans stored as 0/1 integers, and `IN (…)`
//! lists of bound values.
//!
//! The queries reach SQLite and PostgreSQL through sqlx's `Any` driver, one text where the
//! dialects agree. A boolean column is an INTEGER 0/1 on both (CHECKed), never PostgreSQL's
//! `boolean`, so a row reads the same everywhere; an `EXISTS` that a query returns is turned
//! into 0/1 by `CASE` for the same reason.

use sqlx::any::{Any, AnyTypeInfo, AnyValueRef};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;

/// A stored 0/1. Any other value is a corrupt row, not a guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f.0
    }
}

impl sqlx::Type<Any> for Flag {
    fn type_info() -> AnyTypeInfo {
        <i64 as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<Any>>::compatible(ty)
    }
}

impl<'q> sqlx::Encode<'q, Any> for Flag {
    fn encode_by_ref(
        &self,
        buf: &mut <Any as sqlx::Database>::ArgumentBuffer<'q>,
    ) -> Result<IsNull, BoxDynError> {
        <i64 as sqlx::Encode<'q, Any>>::encode(i64::from(self.0), buf)
    }
}

impl<'r> sqlx::Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, BoxDynError> {
        match <i64 as sqlx::Decode<'r, Any>>::decode(value)? {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            other => Err(format!("{other} is not a stored flag (0 or 1)").into()),
        }
    }
}

/// `$first, $first+1, …` for `n` bound values: an `IN (…)` list both engines read.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
