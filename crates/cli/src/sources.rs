//! Where `--ad` and `--cloud` read from: a file, or the live sources of `anchorsync.toml` (`[ad]`,
//! `[graph]`). Commands resolve a flag into an [`AdSource`] or [`CloudSource`] and read it with
//! [`read_ad`] and [`read_cloud`].

use std::path::{Path, PathBuf};

use crate::settings::Settings;

use anchorsync_ad::file::ReadOptions;
use anchorsync_core::directory::OnPremUser;
use anchorsync_core::remediation::{PlanSource, PlanSources};
use anchorsync_core::tenant::{SnapshotSeed, TenantSnapshot};
use anyhow::Context as _;

/// The on-premises side of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdSource {
    /// An LDIF (or Export-Csv) file.
    File(PathBuf),
    /// The directory of `anchorsync.toml`'s `[ad]` section: `ad` reads its servers, an `ldap://` or
    /// `ldaps://` URL replaces them with that one server (scope, bind and CA stay as configured).
    Live {
        /// The URL given on the command line, `None` for `ad`.
        url: Option<String>,
    },
}

impl AdSource {
    /// Reads a `--ad` value: `ad` or an `ldap://` / `ldaps://` URL is the live directory, anything else
    /// a file (`./ad` names a file called `ad`).
    pub fn parse(value: &str) -> Self {
        let lower = value.to_ascii_lowercase();
        if lower == "ad" {
            Self::Live { url: None }
        } else if lower.starts_with("ldap://") || lower.starts_with("ldaps://") {
            Self::Live {
                url: Some(value.to_owned()),
            }
        } else {
            Self::File(PathBuf::from(value))
        }
    }
}

/// The cloud side of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudSource {
    /// A tenant snapshot file.
    File(PathBuf),
    /// The tenant of `anchorsync.toml`'s `[graph]` section: `graph` reads it as configured, an
    /// `http(s)://` URL replaces the Graph root (a twin, a national cloud) and keeps the credentials.
    Live {
        /// The Graph root URL given on the command line, `None` for `graph`.
        graph_url: Option<String>,
    },
}

impl CloudSource {
    /// Reads a `--cloud` value: `graph` or an `http(s)://` URL is the live tenant, anything else a file.
    pub fn parse(value: &str) -> Self {
        let lower = value.to_ascii_lowercase();
        if lower == "graph" {
            Self::Live { graph_url: None }
        } else if lower.starts_with("https://") || lower.starts_with("http://") {
            Self::Live {
                graph_url: Some(value.trim_end_matches('/').to_owned()),
            }
        } else {
            Self::File(PathBuf::from(value))
        }
    }
}

/// Why a source cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The snapshot file is not JSON of a tenant snapshot.
    #[error("`{}` line {line} column {column}: not a tenant snapshot", path.display())]
    Snapshot {
        /// The file.
        path: PathBuf,
        /// Where serde stopped.
        line: usize,
        /// Where serde stopped.
        column: usize,
        /// What it found.
        #[source]
        source: serde_json::Error,
    },
}

impl anchorsync_core::hint::Hint for SourceError {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Snapshot { .. } => Some(
                "`--cloud` takes a tenant snapshot: a JSON object with `users`, `domains`, `roleAssignments` and \
                 `onPremisesSynchronization` as Microsoft Graph returns them"
                    .to_owned(),
            ),
        }
    }
}

/// Reads the on-premises users, keeping of the other attributes what `options` says (a live read
/// asks the server for those attributes besides the configured ones).
pub fn read_ad(
    source: &AdSource,
    options: &ReadOptions,
    settings: &Settings,
) -> anyhow::Result<Vec<OnPremUser>> {
    match source {
        AdSource::File(path) => anchorsync_ad::file::read_users_with(path, options)
            .with_context(|| format!("reading the AD users from `{}`", path.display())),
        AdSource::Live { url } => read_ad_live(url.as_deref(), options, settings),
    }
}

fn read_ad_live(
    url: Option<&str>,
    options: &ReadOptions,
    settings: &Settings,
) -> anyhow::Result<Vec<OnPremUser>> {
    let extra: Vec<&str> = options
        .extra_attributes
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    read_live_entries(url, &extra, LiveObjects::Users, settings)?
        .into_iter()
        .map(|entry| {
            let dn = entry.dn.clone();
            OnPremUser::from_entry(entry)
                .with_context(|| format!("the directory entry `{dn}` is not a usable user"))
        })
        .collect()
}

/// What a live read asks the directory for.
#[derive(Clone, Copy)]
enum LiveObjects {
    /// The users in scope (`plan`, `verify`, `sync`).
    Users,
    /// The users, and the groups and contacts holding addresses (`lint`).
    LintObjects,
}

/// Reads `objects` from the configured directory (or `url`), asking for `extra_attributes` besides
/// the configured ones.
fn read_live_entries(
    url: Option<&str>,
    extra_attributes: &[&str],
    objects: LiveObjects,
    settings: &Settings,
) -> anyhow::Result<Vec<anchorsync_core::directory::DirectoryEntry>> {
    let mut ad = settings.ad()?;
    if let Some(url) = url {
        ad.servers = vec![url.to_owned()];
    }
    for name in extra_attributes {
        if !ad
            .attributes
            .iter()
            .any(|known| known.eq_ignore_ascii_case(name))
        {
            ad.attributes.push((*name).to_owned());
        }
    }
    let password = ad.password().context("cannot read the AD bind password")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reporter = crate::progress::StderrReporter::from_env();
    let entries = runtime.block_on(async {
        let mut connection =
            anchorsync_ad::AdConnection::connect(&ad, &password, &reporter).await?;
        let entries = match objects {
            LiveObjects::Users => connection.read_users(&reporter).await,
            LiveObjects::LintObjects => connection.read_lint_objects(&reporter).await,
        };
        connection.unbind().await;
        entries
    })?;
    Ok(entries)
}

/// Reads what `lint` checks from the same `--ad` source `plan` reads: the users, and the groups and
/// contacts that hold `mail` or `proxyAddresses`, as entries with the attributes lint needs
/// ([`anchorsync_core::lint::LINT_ATTRIBUTES`] besides the standard ones). A file is read whole.
pub fn read_ad_entries(
    source: &AdSource,
    settings: &Settings,
) -> anyhow::Result<Vec<anchorsync_core::directory::DirectoryEntry>> {
    use anchorsync_ad::file::{FileFormat, detect_format, read_text_bytes};
    use anchorsync_core::lint::{LINT_ATTRIBUTES, ObjectKind};
    let path = match source {
        AdSource::File(path) => path,
        AdSource::Live { url } => {
            return read_live_entries(
                url.as_deref(),
                anchorsync_core::lint::LINT_ATTRIBUTES,
                LiveObjects::LintObjects,
                settings,
            );
        }
    };
    let context = || format!("reading the AD objects from `{}`", path.display());
    let bytes = read_text_bytes(path).with_context(context)?;
    let name = path.display().to_string();
    let entries = match detect_format(&bytes) {
        Some(FileFormat::Ldif) => anchorsync_ad::ldif::read_entries(&bytes, &name)
            .with_context(context)?
            .into_iter()
            .map(|read| read.entry)
            .collect::<Vec<_>>(),
        Some(FileFormat::ExportCsv) => {
            let extra: Vec<String> = LINT_ATTRIBUTES
                .iter()
                .map(|name| (*name).to_owned())
                .collect();
            anchorsync_ad::export_csv::read_entries(&bytes, &name, &extra)
                .with_context(context)?
                .into_iter()
                .map(|read| read.entry)
                .collect()
        }
        None => {
            return Err(anyhow::anyhow!(
                "`{}` is neither LDIF nor an Export-Csv file",
                path.display()
            ));
        }
    };
    Ok(entries
        .into_iter()
        .filter(|entry| ObjectKind::of_entry(entry).is_some())
        .collect())
}

/// Where a plan's sides were read from, as the plan records them for `apply`: the file as given, or the
/// configured server, base DNs, Graph root and tenant id. A snapshot file's tenant id is its
/// `onPremisesSynchronization` id. A live side whose configuration is unusable is an error: a plan
/// without its tenant id would let `apply` write to another tenant unchecked.
pub fn plan_sources(
    ad: &AdSource,
    ad_flag: &str,
    cloud: &CloudSource,
    cloud_flag: &str,
    tenant: &TenantSnapshot,
    settings: &Settings,
) -> anyhow::Result<PlanSources> {
    let ad = match ad {
        AdSource::File(_) => PlanSource {
            kind: "file".to_owned(),
            location: ad_flag.to_owned(),
            ..PlanSource::default()
        },
        AdSource::Live { url } => {
            let configured = settings.ad()?;
            PlanSource {
                kind: "ldap".to_owned(),
                location: url.clone().unwrap_or_else(|| configured.servers.join(" ")),
                base_dns: configured.base_dns,
                tenant_id: None,
            }
        }
    };
    let snapshot_tenant = tenant
        .on_premises_synchronization
        .as_ref()
        .map(|sync| sync.id.clone())
        .filter(|id| !id.is_empty());
    let cloud = match cloud {
        CloudSource::File(_) => PlanSource {
            kind: "file".to_owned(),
            location: cloud_flag.to_owned(),
            base_dns: Vec::new(),
            tenant_id: snapshot_tenant,
        },
        CloudSource::Live { graph_url } => {
            let configured = settings.graph(graph_url.as_deref())?;
            PlanSource {
                kind: "graph".to_owned(),
                location: configured.graph_url,
                base_dns: Vec::new(),
                tenant_id: Some(configured.tenant_id),
            }
        }
    };
    Ok(PlanSources { ad, cloud })
}

/// Reads the tenant.
pub fn read_cloud(source: &CloudSource, settings: &Settings) -> anyhow::Result<TenantSnapshot> {
    match source {
        CloudSource::File(path) => read_snapshot(path),
        CloudSource::Live { graph_url } => read_cloud_live(graph_url.as_deref(), settings),
    }
}

/// Reads the tenant for `lint` and `snapshot cloud`: from the live tenant also the groups and
/// organisational contacts that hold an address (a refused read is a warning); a snapshot file as it is.
pub fn read_cloud_with_recipients(
    source: &CloudSource,
    settings: &Settings,
) -> anyhow::Result<TenantSnapshot> {
    match source {
        CloudSource::File(path) => read_snapshot(path),
        CloudSource::Live { graph_url } => {
            read_cloud_live_as(graph_url.as_deref(), settings, LiveRead::WithRecipients)
        }
    }
}

/// Reads the tenant for a sync: from the live tenant, users and deleted users with every property the
/// sync manages (so a property the read left out is never taken for empty); a snapshot file as it is.
pub fn read_cloud_for_sync(
    source: &CloudSource,
    settings: &Settings,
) -> anyhow::Result<TenantSnapshot> {
    match source {
        CloudSource::File(path) => read_snapshot(path),
        CloudSource::Live { graph_url } => {
            read_cloud_live_as(graph_url.as_deref(), settings, LiveRead::ForSync)
        }
    }
}

fn read_cloud_live(graph_url: Option<&str>, settings: &Settings) -> anyhow::Result<TenantSnapshot> {
    read_cloud_live_as(graph_url, settings, LiveRead::Plain)
}

/// Which read of a live tenant.
#[derive(Clone, Copy)]
enum LiveRead {
    /// The snapshot's users, domains, roles, switches and deleted users.
    Plain,
    /// With every property a sync manages.
    ForSync,
    /// With the groups and contacts that hold an address.
    WithRecipients,
}

fn read_cloud_live_as(
    graph_url: Option<&str>,
    settings: &Settings,
    read: LiveRead,
) -> anyhow::Result<TenantSnapshot> {
    let settings = settings.graph(graph_url)?;
    let graph_url = settings.graph_url.clone();
    let client = anchorsync_graph::GraphClient::new(settings)
        .context("cannot set up the Microsoft Graph client")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reporter = crate::progress::StderrReporter::from_env();
    let read = runtime
        .block_on(async {
            match read {
                LiveRead::Plain => client.read_snapshot(&reporter).await,
                LiveRead::ForSync => client.read_snapshot_for_sync(&reporter).await,
                LiveRead::WithRecipients => client.read_snapshot_with_recipients(&reporter).await,
            }
        })
        .with_context(|| format!("cannot read the tenant from `{graph_url}`"))?;
    for warning in &read.warnings {
        eprintln!(
            "warning: {}",
            anchorsync_core::wording::printable(&warning.to_string())
        );
    }
    Ok(read.snapshot)
}

/// Reads a tenant snapshot file as a stream (a UTF-8 byte-order mark is allowed: PowerShell writes one).
/// The file is never in memory whole: at a million users it is a gigabyte.
pub fn read_snapshot(path: &Path) -> anyhow::Result<TenantSnapshot> {
    use serde::de::DeserializeSeed as _;
    use std::io::BufRead as _;
    let cannot_read = || format!("cannot read `{}`", path.display());
    let file = std::fs::File::open(path).with_context(cannot_read)?;
    let size = file.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    if reader
        .fill_buf()
        .with_context(cannot_read)?
        .starts_with(b"\xEF\xBB\xBF")
    {
        reader.consume(3);
    }
    // Graph returns several hundred bytes per user with `$select`: room for that many, which costs
    // nothing until used.
    let seed = SnapshotSeed {
        users_capacity: usize::try_from(size / 400).unwrap_or(0),
    };
    let snapshot_error = |source: serde_json::Error| -> anyhow::Error {
        if source.is_io() {
            return anyhow::Error::new(source).context(cannot_read());
        }
        SourceError::Snapshot {
            path: path.to_owned(),
            line: source.line(),
            column: source.column(),
            source,
        }
        .into()
    };
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let snapshot = seed
        .deserialize(&mut deserializer)
        .map_err(snapshot_error)?;
    deserializer.end().map_err(snapshot_error)?;
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_live_and_everything_else_is_a_file() {
        assert_eq!(
            AdSource::parse("LDAPS://dc.example.com"),
            AdSource::Live {
                url: Some("LDAPS://dc.example.com".into())
            }
        );
        assert_eq!(AdSource::parse("AD"), AdSource::Live { url: None });
        assert_eq!(AdSource::parse("./ad"), AdSource::File("./ad".into()));
        assert_eq!(
            AdSource::parse("users.ldif"),
            AdSource::File("users.ldif".into())
        );
        assert!(matches!(
            CloudSource::parse("graph"),
            CloudSource::Live { .. }
        ));
        assert!(matches!(
            CloudSource::parse("http://127.0.0.1:8080"),
            CloudSource::Live { .. }
        ));
        assert_eq!(
            CloudSource::parse("graph.json"),
            CloudSource::File("graph.json".into())
        );
    }

    #[test]
    fn a_plan_from_the_live_tenant_fails_on_an_unusable_configuration_issue_11() {
        // `[graph]` names a secret variable that is not set. The tenant was read from elsewhere (a
        // snapshot), but the plan says it came from the configured tenant: without the configuration
        // it cannot say which, and it must not record a source `apply` cannot check.
        let folder = tempfile::tempdir().unwrap();
        let config = folder.path().join("anchorsync.toml");
        std::fs::write(
            &config,
            "[graph]\ntenant_id = \"6c1b7d1e-0f6a-4d7e-9a53-6a0c2b9d4e11\"\n\
             client_id = \"c0000000-0000-4000-8000-0000000000a6\"\n\
             client_secret_env = \"ANCHORSYNC_TEST_SOURCES_UNSET_SECRET\"\n",
        )
        .unwrap();
        let settings = Settings::resolve(Some(&config), Some(folder.path())).unwrap();
        let tenant = TenantSnapshot::default();
        let error = plan_sources(
            &AdSource::File("users.ldif".into()),
            "users.ldif",
            &CloudSource::Live { graph_url: None },
            "graph",
            &tenant,
            &settings,
        )
        .unwrap_err();
        let text = format!("{error:#}");
        assert!(text.contains("`[graph]` section"), "{text}");
        assert!(
            text.contains("ANCHORSYNC_TEST_SOURCES_UNSET_SECRET"),
            "{text}"
        );

        // The same for `[ad]`: no section at all.
        let error = plan_sources(
            &AdSource::Live { url: None },
            "ad",
            &CloudSource::File("tenant.json".into()),
            "tenant.json",
            &tenant,
            &settings,
        )
        .unwrap_err();
        assert!(format!("{error:#}").contains("`[ad]`"), "{error:#}");
    }
}
