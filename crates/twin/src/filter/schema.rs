//! What a filter may name: each resource's filterable properties and the type the filter sees them as,
//! so that a comparison of a property with a literal of another type is the error Graph gives.

use crate::properties::{self, Kind};

/// The type of a property as the filter sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilterKind {
    String,
    Boolean,
    DateTime,
    Number,
    Strings,
    Other,
}

impl FilterKind {
    pub(super) fn edm(self) -> &'static str {
        match self {
            Self::String => "Edm.String",
            Self::Boolean => "Edm.Boolean",
            Self::DateTime => "Edm.DateTimeOffset",
            Self::Number => "Edm.Int32",
            Self::Strings => "Collection(Edm.String)",
            Self::Other => "Edm.ComplexType",
        }
    }
}

/// What a filter may reference on a resource.
pub(crate) trait Schema {
    /// `user`, `unifiedRoleAssignment`: for error messages.
    fn type_name(&self) -> &'static str;
    /// The canonical path and kind of a (case-insensitive) property path.
    fn resolve(&self, path: &str) -> Option<(String, FilterKind)>;
    /// Whether string comparisons on the property are case-sensitive.
    fn case_sensitive(&self, _path: &str) -> bool {
        false
    }
}

/// `user`'s properties.
pub(crate) struct UserSchema;

impl Schema for UserSchema {
    fn type_name(&self) -> &'static str {
        "user"
    }

    fn resolve(&self, path: &str) -> Option<(String, FilterKind)> {
        let (head, rest) = match path.split_once('/') {
            Some((head, rest)) => (head, Some(rest)),
            None => (path, None),
        };
        let property = properties::find(head)?;
        match (property.kind, rest) {
            (Kind::Object, Some(sub)) => {
                if property.name == "onPremisesExtensionAttributes" {
                    let number = sub
                        .to_ascii_lowercase()
                        .strip_prefix("extensionattribute")?
                        .parse::<u8>()
                        .ok()
                        .filter(|n| (1..=15).contains(n))?;
                    Some((
                        format!("{}/extensionAttribute{number}", property.name),
                        FilterKind::String,
                    ))
                } else {
                    Some((format!("{}/{sub}", property.name), FilterKind::String))
                }
            }
            (_, Some(_)) => None,
            (kind, None) => Some((
                property.name.to_owned(),
                match kind {
                    Kind::String => FilterKind::String,
                    Kind::Boolean => FilterKind::Boolean,
                    Kind::DateTime => FilterKind::DateTime,
                    Kind::Int32 => FilterKind::Number,
                    Kind::Strings => FilterKind::Strings,
                    Kind::Object | Kind::Objects => FilterKind::Other,
                },
            )),
        }
    }

    fn case_sensitive(&self, path: &str) -> bool {
        path == "onPremisesImmutableId"
    }
}

/// `unifiedRoleAssignment`'s filterable properties.
pub(crate) struct RoleAssignmentSchema;

impl Schema for RoleAssignmentSchema {
    fn type_name(&self) -> &'static str {
        "unifiedRoleAssignment"
    }

    fn resolve(&self, path: &str) -> Option<(String, FilterKind)> {
        [
            "id",
            "principalId",
            "roleDefinitionId",
            "directoryScopeId",
            "appScopeId",
        ]
        .into_iter()
        .find(|name| name.eq_ignore_ascii_case(path))
        .map(|name| (name.to_owned(), FilterKind::String))
    }
}
