//! Every entity the twin returns conforms to Graph's v1.0 schema: the test reads
//! `tests/data/graph-csdl-extract.xml` (an extract of Microsoft's published metadata, see the README
//! beside it) itself and checks
//! property names, types and nullability of users, domains, role assignments, directory roles and
//! the synchronisation settings, as the twin serves them over HTTP.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::*;

#[derive(Debug)]
struct Property {
    name: String,
    type_name: String,
    nullable: bool,
}

#[derive(Debug, Default)]
struct StructuredType {
    base: Option<String>,
    properties: Vec<Property>,
}

#[derive(Debug, Default)]
struct Schema {
    types: HashMap<String, StructuredType>,
    enums: HashMap<String, Vec<String>>,
}

fn csdl_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/graph-csdl-extract.xml")
}

fn unqualified(name: &str) -> &str {
    name.strip_prefix("graph.").unwrap_or(name)
}

fn load_schema() -> Schema {
    let path = csdl_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "cannot read the CSDL extract `{}` ({error})",
            path.display()
        )
    });
    // The extract is a sequence of elements; give it one root.
    let wrapped = format!("<extract>{text}</extract>");
    let document = roxmltree::Document::parse(&wrapped).unwrap();
    let mut schema = Schema::default();
    for node in document
        .root_element()
        .children()
        .filter(|n| n.is_element())
    {
        let name = node.attribute("Name").unwrap().to_owned();
        match node.tag_name().name() {
            "EntityType" | "ComplexType" => {
                let properties = node
                    .children()
                    .filter(|child| child.has_tag_name("Property"))
                    .map(|property| Property {
                        name: property.attribute("Name").unwrap().to_owned(),
                        type_name: property.attribute("Type").unwrap().to_owned(),
                        nullable: property.attribute("Nullable") != Some("false"),
                    })
                    .collect();
                let base = node
                    .attribute("BaseType")
                    .map(|base| unqualified(base).to_owned());
                schema
                    .types
                    .insert(name, StructuredType { base, properties });
            }
            "EnumType" => {
                let members = node
                    .children()
                    .filter(|child| child.has_tag_name("Member"))
                    .map(|member| member.attribute("Name").unwrap().to_owned())
                    .collect();
                schema.enums.insert(name, members);
            }
            other => panic!("unexpected element `{other}` in the extract"),
        }
    }
    assert!(schema.types.contains_key("user") && schema.types.contains_key("entity"));
    schema
}

impl Schema {
    /// Every structural property of a type, base types first.
    fn properties(&self, type_name: &str) -> Vec<&Property> {
        let Some(structured) = self.types.get(type_name) else {
            panic!("type `{type_name}` is not in the extract");
        };
        let mut properties = match &structured.base {
            Some(base) => self.properties(base),
            None => Vec::new(),
        };
        properties.extend(structured.properties.iter());
        properties
    }

    /// Checks an object against a structured type; `complete` also requires every property.
    fn check_object(
        &self,
        value: &Value,
        type_name: &str,
        path: &str,
        complete: bool,
        errors: &mut Vec<String>,
    ) {
        let Some(object) = value.as_object() else {
            errors.push(format!(
                "{path}: expected a `{type_name}` object, got {value}"
            ));
            return;
        };
        let properties = self.properties(type_name);
        for (key, field) in object {
            if key.starts_with("@odata.") {
                continue;
            }
            match properties.iter().find(|property| property.name == *key) {
                Some(property) => self.check_value(
                    field,
                    &property.type_name,
                    property.nullable,
                    &format!("{path}.{key}"),
                    errors,
                ),
                None => errors.push(format!(
                    "{path}: `{key}` is not a property of `{type_name}`"
                )),
            }
        }
        if complete {
            for property in properties {
                if !object.contains_key(&property.name) {
                    errors.push(format!(
                        "{path}: `{}` of `{type_name}` is missing",
                        property.name
                    ));
                }
            }
        }
    }

    fn check_value(
        &self,
        value: &Value,
        type_name: &str,
        nullable: bool,
        path: &str,
        errors: &mut Vec<String>,
    ) {
        if let Some(inner) = type_name
            .strip_prefix("Collection(")
            .and_then(|t| t.strip_suffix(')'))
        {
            match value.as_array() {
                Some(items) => {
                    for (index, item) in items.iter().enumerate() {
                        self.check_value(item, inner, false, &format!("{path}[{index}]"), errors);
                    }
                }
                None => errors.push(format!(
                    "{path}: expected a collection of `{inner}`, got {value}"
                )),
            }
            return;
        }
        if value.is_null() {
            if !nullable {
                errors.push(format!(
                    "{path}: null, but `{type_name}` is not nullable here"
                ));
            }
            return;
        }
        let ok = match type_name {
            "Edm.String" | "Edm.Guid" | "Edm.Duration" => value.is_string(),
            "Edm.Boolean" => value.is_boolean(),
            "Edm.Int32" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "Edm.Int64" => value.is_i64(),
            "Edm.DateTimeOffset" => value.as_str().is_some_and(is_date_time),
            other => {
                let name = unqualified(other);
                if let Some(members) = self.enums.get(name) {
                    value
                        .as_str()
                        .is_some_and(|member| members.iter().any(|m| m == member))
                } else if self.types.contains_key(name) {
                    self.check_object(value, name, path, true, errors);
                    true
                } else {
                    // A complex type outside the extract: only its shape can be checked.
                    value.is_object()
                }
            }
        };
        if !ok {
            errors.push(format!("{path}: {value} is not a `{type_name}`"));
        }
    }
}

fn is_date_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 20
        && bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && bytes.get(10) == Some(&b'T')
        && bytes.get(13) == Some(&b':')
        && (text.ends_with('Z') || text.contains('+'))
}

fn assert_conforms(schema: &Schema, value: &Value, type_name: &str, complete: bool) {
    let mut errors = Vec::new();
    schema.check_object(value, type_name, type_name, complete, &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[tokio::test]
async fn users_conform_with_every_property_selected() {
    let schema = load_schema();
    let every: Vec<String> = schema
        .properties("user")
        .iter()
        .map(|property| property.name.clone())
        .collect();
    assert!(
        every.len() > 80,
        "the extract lists {} user properties",
        every.len()
    );
    let harness = start();
    let token = harness.token(APP).await;
    // Give one user values in complex and collection properties too.
    let patch = harness
        .patch(
            &format!("/users/{ALICE}"),
            &token,
            json!({
                "onPremisesExtensionAttributes": {"extensionAttribute1": "E10023"},
                "businessPhones": ["+81 3 0000 0000"],
                "otherMails": ["alice@example.org"],
                "employeeHireDate": "2020-04-01T00:00:00Z",
            }),
        )
        .await;
    assert_eq!(patch.status, 204, "{}", patch.text);
    let select = every.join(",");
    for id in [ALICE, BOB, CAROL, DAVE, OBRIEN] {
        let reply = harness
            .get(&format!("/users/{id}?$select={select}"), &token)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_conforms(&schema, &reply.json(), "user", true);
    }
    let created = harness
        .post("/users", &token, new_user("csdl@contoso.com"))
        .await;
    assert_conforms(&schema, &created.json(), "user", false);
    // Lists with the default set and with a selection conform too.
    let page = harness.get("/users?$top=999", &token).await.json();
    for user in page["value"].as_array().unwrap() {
        assert_conforms(&schema, user, "user", false);
    }
    let collection_safe: Vec<&str> = every
        .iter()
        .map(String::as_str)
        .filter(|name| {
            !matches!(
                *name,
                "aboutMe"
                    | "birthday"
                    | "hireDate"
                    | "interests"
                    | "mySite"
                    | "pastProjects"
                    | "preferredName"
                    | "responsibilities"
                    | "schools"
                    | "skills"
                    | "mailboxSettings"
            )
        })
        .collect();
    let page = harness
        .get(
            &format!("/users?$top=20&$select={}", collection_safe.join(",")),
            &token,
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    for user in page.json()["value"].as_array().unwrap() {
        assert_conforms(&schema, user, "user", false);
    }
    // Nothing outside the schema can be selected.
    assert_eq!(
        harness
            .get("/users?$select=sAMAccountName", &token)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn domains_role_assignments_roles_and_sync_settings_conform() {
    let schema = load_schema();
    let harness = start();
    let token = harness.token(APP).await;
    for domain in harness.get("/domains", &token).await.json()["value"]
        .as_array()
        .unwrap()
    {
        assert_conforms(&schema, domain, "domain", true);
    }
    assert_conforms(
        &schema,
        &harness.get("/domains/fabrikam.com", &token).await.json(),
        "domain",
        true,
    );
    let assignments = harness
        .get(
            &format!("/roleManagement/directory/roleAssignments?$filter=principalId eq '{DAVE}'"),
            &token,
        )
        .await
        .json();
    for assignment in assignments["value"].as_array().unwrap() {
        assert_conforms(&schema, assignment, "unifiedRoleAssignment", true);
    }
    let roles = harness
        .get(&format!("/users/{DAVE}/memberOf"), &token)
        .await
        .json();
    for role in roles["value"].as_array().unwrap() {
        assert_eq!(role["@odata.type"], "#microsoft.graph.directoryRole");
        assert_conforms(&schema, role, "directoryRole", true);
    }
    let sync = harness
        .get("/directory/onPremisesSynchronization", &token)
        .await
        .json();
    assert_conforms(
        &schema,
        &sync["value"][0],
        "onPremisesDirectorySynchronization",
        true,
    );
    let item = harness
        .get(
            &format!("/directory/onPremisesSynchronization/{TENANT}"),
            &token,
        )
        .await
        .json();
    assert_conforms(&schema, &item, "onPremisesDirectorySynchronization", true);
}
