//! Eventual consistency (<https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra/>): with [`TwinConfig::replication_lag`] set, a user created by
//! `POST /users` answers `404 Request_ResourceNotFound` (`Resource '<id>' does not exist or one of
//! its queried reference-property objects are not present.`) to reads and writes by id or user
//! principal name until the lag has passed on the twin's clock, as when Graph sends the next request
//! to a replica the new object has not reached yet. Lists show it at once (Graph's lists may lag
//! too; the twin does not model that). Off by default.
//!
//! [`TwinConfig::replication_lag`]: crate::TwinConfig::replication_lag

use std::time::SystemTime;

use anchorsync_core::tenant::CloudUser;

use crate::state::Directory;

impl Directory {
    /// A user by id or user principal name, as a replica sees it at `now`: `None` while a new
    /// user's replication lag lasts.
    pub(crate) fn visible_user(&self, key: &str, now: SystemTime) -> Option<&CloudUser> {
        let user = self.user(key)?;
        match self.visible_from.get(&user.id) {
            Some(from) if now < *from => None,
            _ => Some(user),
        }
    }

    /// Holds a new user back from reads and writes by key until `from`.
    pub(crate) fn hide_until(&mut self, id: &str, from: SystemTime) {
        self.visible_from.insert(id.to_owned(), from);
    }
}
