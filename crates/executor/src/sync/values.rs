//! A sync property's value in the journal. A step's values are [`StepValue`]s (text, bytes or
//! nothing), which is how the journal and the run reports have always kept them; a Graph property's
//! value is JSON ([`PropertyValue`]: text, a boolean, a list). The property decides the reading, so
//! the two convert both ways without loss:
//!
//! | property | `PropertyValue` | `StepValue` |
//! |---|---|---|
//! | `accountEnabled` | `true` / `false` | `"true"` / `"false"` (as `tenant matching` keeps its switches) |
//! | `businessPhones` | `["+81 3 1234"]` | `"[\"+81 3 1234\"]"` (the JSON array as text) |
//! | any text property | `"Sales"` | `"Sales"` |
//! | no value (null, empty text, empty list) | `null` | absent |

use anchorsync_core::remediation::{Change, StepValue};
use anchorsync_core::sync::{Property, PropertyChange, PropertyValue};

/// The journal's form of a property value.
pub fn to_step_value(property: Property, value: &PropertyValue) -> StepValue {
    match value {
        PropertyValue::Null => StepValue::Absent,
        PropertyValue::Bool(value) => StepValue::Text(value.to_string()),
        PropertyValue::Text(text) if text.is_empty() => StepValue::Absent,
        PropertyValue::Text(text) => StepValue::Text(text.clone()),
        PropertyValue::List(items) if items.is_empty() => StepValue::Absent,
        PropertyValue::List(items) if property == Property::BusinessPhones => {
            StepValue::Text(serde_json::to_string(items).unwrap_or_default())
        }
        PropertyValue::List(items) => StepValue::Text(items.join(";")),
    }
}

/// The Graph value of a journaled one, as `property` holds it.
pub fn to_property_value(property: Property, value: &StepValue) -> PropertyValue {
    match value {
        StepValue::Absent if property == Property::BusinessPhones => {
            PropertyValue::List(Vec::new())
        }
        StepValue::Absent => PropertyValue::Null,
        StepValue::Text(text) if property == Property::AccountEnabled => match text.as_str() {
            "true" => PropertyValue::Bool(true),
            "false" => PropertyValue::Bool(false),
            _ => PropertyValue::Text(text.clone()),
        },
        StepValue::Text(text) if property == Property::BusinessPhones => {
            PropertyValue::List(serde_json::from_str(text).unwrap_or_else(|_| vec![text.clone()]))
        }
        StepValue::Text(text) => PropertyValue::Text(text.clone()),
        StepValue::Bytes(_) => PropertyValue::Text(value.to_graph_text().unwrap_or_default()),
    }
}

/// A sync plan's change as a journal change.
pub fn change_of(change: &PropertyChange) -> Change {
    Change {
        attribute: change.property.name().to_owned(),
        before: to_step_value(change.property, &change.old),
        after: to_step_value(change.property, &change.new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_value_survives_the_journal() {
        let cases = [
            (Property::AccountEnabled, PropertyValue::Bool(false)),
            (Property::AccountEnabled, PropertyValue::Bool(true)),
            (
                Property::BusinessPhones,
                PropertyValue::List(vec!["+81 3 1234".into()]),
            ),
            (Property::BusinessPhones, PropertyValue::List(Vec::new())),
            (Property::Department, PropertyValue::Text("Sales".into())),
            (Property::Department, PropertyValue::Null),
            (
                Property::ExtensionAttribute3,
                PropertyValue::Text("x".into()),
            ),
        ];
        for (property, value) in cases {
            let step = to_step_value(property, &value);
            let json = serde_json::to_string(&step).unwrap();
            let back: StepValue = serde_json::from_str(&json).unwrap();
            let round = to_property_value(property, &back);
            assert!(
                property.holds(&round, &value),
                "{property}: {value:?} → {round:?}"
            );
        }
        assert_eq!(
            to_step_value(Property::AccountEnabled, &PropertyValue::Bool(false)),
            StepValue::Text("false".into())
        );
    }
}
