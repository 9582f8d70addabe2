//! Identifiers of the office's records. Each is its own type, so a staff id cannot be passed
//! where a request id is meant; each serializes as the bare number or string it wraps, so the
//! API's JSON and the ledger's canonical bytes are those of the plain value.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! number_id {
    ($($(#[$doc:meta])* $name:ident,)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                $name(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                $name(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

number_id! {
    /// A request of the chain: its number on Form 1 (N9.3).
    RequestId,
    /// A person's account (N7).
    StaffId,
    /// An appointment to a role (N7).
    AppointmentId,
    /// A written delegation to an investigative body (N10.2).
    DelegationId,
}

/// A dedicated terminal (N8, N10.4), as registered: 1–32 lower-case letters, digits, `.`, `-`,
/// `_` (the office checks the form when it registers one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalId(String);

impl TerminalId {
    pub fn new(id: impl Into<String>) -> Self {
        TerminalId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for TerminalId {
    fn from(id: String) -> Self {
        TerminalId(id)
    }
}

impl From<&str> for TerminalId {
    fn from(id: &str) -> Self {
        TerminalId(id.to_owned())
    }
}

impl From<TerminalId> for String {
    fn from(id: TerminalId) -> Self {
        id.0
    }
}

impl From<&TerminalId> for String {
    fn from(id: &TerminalId) -> Self {
        id.0.clone()
    }
}

impl fmt::Display for TerminalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for TerminalId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

/// The ids as SQLite columns: a number id is an INTEGER, a string id TEXT.
#[cfg(feature = "sqlx")]
mod sql {
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::sqlite::{Sqlite, SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
    use sqlx::{Decode, Encode, Type};

    use super::*;

    macro_rules! column {
        ($($name:ident($inner:ty),)*) => {$(
            impl Type<Sqlite> for $name {
                fn type_info() -> SqliteTypeInfo {
                    <$inner as Type<Sqlite>>::type_info()
                }

                fn compatible(ty: &SqliteTypeInfo) -> bool {
                    <$inner as Type<Sqlite>>::compatible(ty)
                }
            }

            impl<'q> Encode<'q, Sqlite> for $name {
                fn encode_by_ref(
                    &self,
                    buf: &mut Vec<SqliteArgumentValue<'q>>,
                ) -> Result<IsNull, BoxDynError> {
                    <$inner as Encode<'q, Sqlite>>::encode(self.0.clone(), buf)
                }
            }

            impl<'r> Decode<'r, Sqlite> for $name {
                fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                    Ok($name(<$inner as Decode<'r, Sqlite>>::decode(value)?))
                }
            }
        )*};
    }

    column! {
        RequestId(i64),
        StaffId(i64),
        AppointmentId(i64),
        DelegationId(i64),
        TerminalId(String),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialize_as_the_bare_value() {
        assert_eq!(serde_json::to_string(&RequestId::new(7)).unwrap(), "7");
        assert_eq!(
            serde_json::to_string(&TerminalId::new("pc-1")).unwrap(),
            "\"pc-1\""
        );
        let back: StaffId = serde_json::from_str("3").unwrap();
        assert_eq!(back.get(), 3);
    }
}
