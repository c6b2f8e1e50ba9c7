//! Field-name enums: fields named on the wire (the fields an edit may change, the measured
//! and flagged vital signs), typed, so code names only fields that exist and each list is
//! written once.

/// A field named on the wire by [`WireField::as_str`] (what an [`crate::Edit`] changes).
pub trait WireField: Copy + Ord {
    /// The wire name.
    fn as_str(self) -> &'static str;
    /// The field with this wire name.
    fn parse(s: &str) -> Option<Self>;
}

/// Declares a field enum whose variants serialise as the given wire names, with `ALL`,
/// `NAMES`, `as_str` and `parse`.
macro_rules! wire_fields {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $wire:literal,)* }) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, ts_rs::TS, utoipa::ToSchema,
        )]
        #[ts(export)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $wire)] $variant,)*
        }

        impl $name {
            /// Every field, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),*];
            /// Every field's wire name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($wire),*];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

            /// The field with this wire name.
            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($wire => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }

        impl $crate::fields::WireField for $name {
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
            fn parse(s: &str) -> Option<Self> {
                $name::parse(s)
            }
        }
    };
}

pub(crate) use wire_fields;
