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
    /// A proposed appointment waiting for a second person's confirmation (N7.2).
    ProposalId,
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

/// A person's sign-in name (N3.3.1): 1–32 lower-case ASCII letters, digits, `.`, `-` or `_`.
/// Only [`Login::parse`] makes one, so every login the office stores or compares has that form;
/// one read from the database that does not is a damaged row, not a login.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String))]
pub struct Login(String);

/// A login or identifier that is not 1–32 lower-case letters, digits, `.`, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not 1–32 lower-case letters, digits, '.', '-' or '_'")]
pub struct NotAnIdentifier(pub String);

/// The form logins and terminal ids share.
pub fn is_identifier(text: &str) -> bool {
    (1..=32).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

impl Login {
    pub fn parse(text: &str) -> Result<Self, NotAnIdentifier> {
        if is_identifier(text) {
            Ok(Login(text.to_owned()))
        } else {
            Err(NotAnIdentifier(text.chars().take(40).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Login {
    type Error = NotAnIdentifier;

    fn try_from(text: String) -> Result<Self, NotAnIdentifier> {
        Login::parse(&text)
    }
}

impl From<Login> for String {
    fn from(login: Login) -> Self {
        login.0
    }
}

impl From<&Login> for String {
    fn from(login: &Login) -> Self {
        login.0.clone()
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Login {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Login {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The ids as columns of either engine (SQLite, PostgreSQL, or sqlx's `Any` over both): a
/// number id is an integer, a string id text.
#[cfg(feature = "sqlx")]
mod sql {
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::{Database, Decode, Encode, Type};

    use super::*;

    /// `$name` is stored as its `$inner` value.
    macro_rules! stored_as {
        ($name:ty, $inner:ty) => {
            impl<DB: Database> Type<DB> for $name
            where
                $inner: Type<DB>,
            {
                fn type_info() -> DB::TypeInfo {
                    <$inner as Type<DB>>::type_info()
                }

                fn compatible(ty: &DB::TypeInfo) -> bool {
                    <$inner as Type<DB>>::compatible(ty)
                }
            }
        };
    }

    macro_rules! column {
        ($($name:ident($inner:ty),)*) => {$(
            stored_as!($name, $inner);

            impl<'q, DB: Database> Encode<'q, DB> for $name
            where
                $inner: Encode<'q, DB>,
            {
                fn encode_by_ref(
                    &self,
                    buf: &mut DB::ArgumentBuffer<'q>,
                ) -> Result<IsNull, BoxDynError> {
                    <$inner as Encode<'q, DB>>::encode(self.0.clone(), buf)
                }
            }

            impl<'r, DB: Database> Decode<'r, DB> for $name
            where
                $inner: Decode<'r, DB>,
            {
                fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
                    Ok($name(<$inner as Decode<'r, DB>>::decode(value)?))
                }
            }
        )*};
    }

    stored_as!(Login, String);
    stored_as!(crate::CameraId, String);

    impl<'q, DB: Database> Encode<'q, DB> for Login
    where
        String: Encode<'q, DB>,
    {
        fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
            <String as Encode<'q, DB>>::encode(self.0.clone(), buf)
        }
    }

    impl<'q, DB: Database> Encode<'q, DB> for crate::CameraId
    where
        String: Encode<'q, DB>,
    {
        fn encode_by_ref(&self, buf: &mut DB::ArgumentBuffer<'q>) -> Result<IsNull, BoxDynError> {
            <String as Encode<'q, DB>>::encode(self.as_str().to_owned(), buf)
        }
    }

    /// A stored camera id is parsed like the policy's: a damaged row is an error.
    impl<'r, DB: Database> Decode<'r, DB> for crate::CameraId
    where
        String: Decode<'r, DB>,
    {
        fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
            let text = <String as Decode<'r, DB>>::decode(value)?;
            Ok(crate::CameraId::new(&text)?)
        }
    }

    /// A stored login is parsed like a typed one: a damaged row is an error, never a login.
    impl<'r, DB: Database> Decode<'r, DB> for Login
    where
        String: Decode<'r, DB>,
    {
        fn decode(value: DB::ValueRef<'r>) -> Result<Self, BoxDynError> {
            Ok(Login::parse(&<String as Decode<'r, DB>>::decode(value)?)?)
        }
    }

    column! {
        RequestId(i64),
        StaffId(i64),
        AppointmentId(i64),
        DelegationId(i64),
        ProposalId(i64),
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

    #[test]
    fn a_login_has_one_form() {
        assert_eq!(Login::parse("k.tanaka-2").unwrap().as_str(), "k.tanaka-2");
        for bad in ["", "Tanaka", "田中", "a b", &"x".repeat(33)] {
            assert!(Login::parse(bad).is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<Login>("\"Admin\"").is_err());
        assert_eq!(
            serde_json::to_string(&Login::parse("admin").unwrap()).unwrap(),
            "\"admin\""
        );
    }
}
