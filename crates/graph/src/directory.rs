//! The rest of the tenant the match engine needs: domains
//! (<https://learn.microsoft.com/graph/api/resources/domain>), directory-role assignments and
//! memberships (<https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments>,
//! <https://learn.microsoft.com/graph/api/user-list-memberof>), and the `onPremisesSynchronization`
//! switches (<https://learn.microsoft.com/graph/api/resources/onpremisesdirectorysynchronization>).

use anchorsync_core::progress::{NoProgress, Reporter};
use anchorsync_core::tenant::{Domain, OnPremisesSynchronization, RoleAssignment};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::batch::BatchRequest;
use crate::client::{Call, GraphClient, Page, Target};
use crate::error::{GraphError, RequestName};
use crate::odata::{self, Filter, Query};
use crate::users::UserKey;

/// One entry of `GET /users/{id}/memberOf`: a group, a directory role or an administrative unit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DirectoryObject {
    /// `#microsoft.graph.directoryRole`, `#microsoft.graph.group`, ...
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    /// The object id.
    pub id: String,
    /// `displayName`.
    #[serde(rename = "displayName", default)]
    pub display_name: Option<String>,
    /// `roleTemplateId`, for directory roles.
    #[serde(rename = "roleTemplateId", default)]
    pub role_template_id: Option<String>,
    /// Everything else.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl DirectoryObject {
    /// Whether this is a directory role (an administrator role).
    pub fn is_directory_role(&self) -> bool {
        self.odata_type
            .as_deref()
            .is_some_and(|kind| kind.eq_ignore_ascii_case("#microsoft.graph.directoryRole"))
    }
}

const ROLE_ASSIGNMENTS: &str = "/roleManagement/directory/roleAssignments";

fn role_assignments_path(principal_id: &str) -> String {
    let query = Query::default().filter(Filter::eq("principalId", principal_id));
    format!("{ROLE_ASSIGNMENTS}{}", query.to_query_string())
}

impl GraphClient {
    /// Every domain of the tenant.
    pub async fn list_domains(&self) -> Result<Vec<Domain>, GraphError> {
        self.list("/domains".to_owned(), false, &NoProgress).await
    }

    /// The directory-role assignments held by one principal (Graph requires the `principalId`
    /// filter on this listing).
    pub async fn list_role_assignments(
        &self,
        principal_id: &str,
    ) -> Result<Vec<RoleAssignment>, GraphError> {
        self.list(role_assignments_path(principal_id), false, &NoProgress)
            .await
    }

    /// The directory-role assignments of many principals, 20 listings per `$batch`.
    pub async fn list_role_assignments_of(
        &self,
        principal_ids: &[&str],
        reporter: &dyn Reporter,
    ) -> Result<Vec<RoleAssignment>, GraphError> {
        let requests: Vec<BatchRequest> = principal_ids
            .iter()
            .map(|id| BatchRequest::get(role_assignments_path(id)))
            .collect();
        reporter.on_start("role assignments", Some(principal_ids.len() as u64));
        let results = self.batch(requests, reporter).await;
        reporter.on_finish();
        let mut assignments = Vec::new();
        for (result, principal_id) in results?.into_iter().zip(principal_ids) {
            let response = result?;
            let path = role_assignments_path(principal_id);
            let page: Page<RoleAssignment> =
                serde_json::from_value(response.body.unwrap_or(Value::Null)).map_err(|source| {
                    GraphError::Decode {
                        request: RequestName::new(&Method::GET, path),
                        request_id: None,
                        source,
                    }
                })?;
            assignments.extend(page.value);
            if let Some(link) = page.next_link {
                // A principal with more assignments than a page: read the rest directly.
                assignments.extend(
                    self.list_from::<RoleAssignment>(Target::Absolute(link), false, &NoProgress)
                        .await?,
                );
            }
        }
        Ok(assignments)
    }

    /// `GET /users/{key}/memberOf`: direct memberships (groups, directory roles, units).
    pub async fn member_of(&self, key: &UserKey) -> Result<Vec<DirectoryObject>, GraphError> {
        self.list(format!("{}/memberOf", key.path()), false, &NoProgress)
            .await
    }

    /// The tenant's synchronisation settings (`GET /directory/onPremisesSynchronization`, one
    /// element), or `None` when the tenant has none.
    pub async fn on_premises_synchronization(
        &self,
    ) -> Result<Option<OnPremisesSynchronization>, GraphError> {
        let items: Vec<OnPremisesSynchronization> = self
            .list(
                "/directory/onPremisesSynchronization".to_owned(),
                false,
                &NoProgress,
            )
            .await?;
        Ok(items.into_iter().next())
    }

    /// `PATCH /directory/onPremisesSynchronization/{id}` with `patch`, for example
    /// `{"features":{"blockSoftMatchEnabled":true}}`.
    pub async fn update_on_premises_synchronization(
        &self,
        id: &str,
        patch: &Value,
    ) -> Result<(), GraphError> {
        let call = Call::new(
            Method::PATCH,
            format!(
                "/directory/onPremisesSynchronization/{}",
                odata::encode_path_segment(id)
            ),
        )
        .body(patch.clone());
        self.call(&call).await.map(|_| ())
    }
}
