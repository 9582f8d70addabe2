//! Enumerations stored by name: each parses back from its stored name or says which name it
//! did not know. The database reads its enumerated columns through these (`TryFrom<String>`),
//! so a row with a name this release does not know is an error where it is read, never a
//! default.

use crate::access::Role;
use crate::chain::{LegalBasis, RequestKind, RequestState};

/// A stored name that is not one of its enumeration's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {name:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
}

/// `TryFrom<String>` and `FromStr` through the type's own `parse`.
macro_rules! stored_by_name {
    ($($ty:ty: $what:literal,)*) => {$(
        impl TryFrom<String> for $ty {
            type Error = UnknownName;
            fn try_from(name: String) -> Result<Self, UnknownName> {
                <$ty>::parse(&name).ok_or(UnknownName { what: $what, name })
            }
        }

        impl std::str::FromStr for $ty {
            type Err = UnknownName;
            fn from_str(name: &str) -> Result<Self, UnknownName> {
                <$ty>::parse(name).ok_or_else(|| UnknownName { what: $what, name: name.into() })
            }
        }
    )*};
}

stored_by_name! {
    Role: "role",
    RequestKind: "request kind",
    RequestState: "request state",
    LegalBasis: "legal basis",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_and_an_unknown_one_is_refused() {
        for role in Role::ALL {
            assert_eq!(Role::try_from(role.as_str().to_owned()), Ok(role));
        }
        for state in RequestState::ALL {
            assert_eq!(state.as_str().parse(), Ok(state));
        }
        let err = RequestKind::try_from("internl".to_owned()).unwrap_err();
        assert_eq!(err.to_string(), "unknown request kind \"internl\"");
    }
}
