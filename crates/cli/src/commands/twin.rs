//! `anchorsync twin serve` and `anchorsync twin healthcheck`.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use anchorsync_core::tenant::{Domain, TenantSnapshot};
use anchorsync_core::wording::count;
use anchorsync_twin::{AppClient, HEALTH_PATH, TlsIdentity, Twin, TwinConfig};
use anyhow::{Context as _, bail};

use crate::args::{TwinCommand, TwinHealthcheckArgs, TwinServeArgs};
use crate::exit::ExitStatus;

/// The client id `twin serve` accepts without `--twin-config`.
const DEFAULT_CLIENT_ID: &str = "00000000-0000-4000-8000-0000000a11ce";

pub fn run(command: TwinCommand) -> anyhow::Result<ExitStatus> {
    match command {
        TwinCommand::Serve(args) => serve(&args),
        TwinCommand::Healthcheck(args) => healthcheck(&args),
    }
}

/// The tenant served without `--state`: just its initial domain.
fn empty_tenant() -> TenantSnapshot {
    TenantSnapshot {
        domains: vec![Domain {
            id: "twin.onmicrosoft.com".to_owned(),
            authentication_type: "Managed".to_owned(),
            is_default: true,
            is_initial: true,
            is_root: true,
            is_verified: true,
            supported_services: vec!["Email".to_owned(), "OfficeCommunicationsOnline".to_owned()],
            ..Domain::default()
        }],
        ..TenantSnapshot::default()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// Without `--twin-config`: one app registration from the environment.
fn default_config() -> anyhow::Result<TwinConfig> {
    let client_id =
        env("ANCHORSYNC_TWIN_CLIENT_ID").unwrap_or_else(|| DEFAULT_CLIENT_ID.to_owned());
    let secret = match (
        env("ANCHORSYNC_TWIN_CLIENT_SECRET"),
        env("ANCHORSYNC_TWIN_CLIENT_SECRET_FILE"),
    ) {
        (Some(secret), _) => secret,
        (None, Some(file)) => std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read the client secret file `{file}`"))?
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
        (None, None) => bail!(
            "no client secret for the twin: set `ANCHORSYNC_TWIN_CLIENT_SECRET` or \
             `ANCHORSYNC_TWIN_CLIENT_SECRET_FILE`, or give `--twin-config FILE`"
        ),
    };
    Ok(TwinConfig::default().with_client(AppClient::with_secret(client_id, secret)))
}

fn load_config(path: &Path) -> anyhow::Result<TwinConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the twin configuration `{}`", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    TwinConfig::from_toml(&text, base, &env)
        .with_context(|| format!("in the twin configuration `{}`", path.display()))
}

fn serve(args: &TwinServeArgs) -> anyhow::Result<ExitStatus> {
    let snapshot = match &args.state {
        Some(path) => anchorsync_twin::read_snapshot(path)?,
        None => empty_tenant(),
    };
    let config = match &args.twin_config {
        Some(path) => load_config(path)?,
        None => default_config()?,
    };
    let clients: Vec<String> = config
        .clients
        .iter()
        .map(|client| client.client_id.clone())
        .collect();
    let twin = Twin::new(snapshot, config).context("cannot start the twin")?;
    let tls = tls_identity(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on `{}`", args.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the listening address")?;
        let shutdown = shutdown_signal()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let root = format!("{scheme}://{address}");
        let ca_file = match &tls {
            Some(identity) => write_ca(args, identity, address.port())?,
            None => None,
        };
        let mut stderr = std::io::stderr().lock();
        writeln!(
            stderr,
            "twin: tenant `{}` with {}",
            twin.tenant_id(),
            count(twin.snapshot().users.len(), "user", "users")
        )?;
        writeln!(stderr, "twin: Graph at `{root}/v1.0`")?;
        writeln!(
            stderr,
            "twin: token endpoint at `{root}/{}/oauth2/v2.0/token`",
            twin.tenant_id()
        )?;
        writeln!(stderr, "twin: app registrations: {}", clients.join(", "))?;
        if let Some(ca_file) = &ca_file {
            writeln!(
                stderr,
                "twin: HTTPS with a throwaway CA: trust `{}` (REQUESTS_CA_BUNDLE, SSL_CERT_FILE, \
                 or `ca_file` in `[graph]`)",
                ca_file.display()
            )?;
        }
        writeln!(stderr, "twin: stop with Ctrl-C or SIGTERM")?;
        drop(stderr);
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{root}/v1.0")?;
        stdout.flush()?;
        drop(stdout);
        // With `--state`, every acknowledged write is in the file before its answer leaves, so a
        // twin that is killed loses none; a failed save stops the twin.
        let (save_failed, saver) = tokio::sync::oneshot::channel();
        if let Some(path) = &args.state {
            let saving = anchorsync_twin::save_after_writes(twin.clone(), path.clone());
            tokio::spawn(async move {
                if let Err(error) = saving.await {
                    let _ = save_failed.send(error);
                }
            });
        }
        let saver_failed = async move {
            if let Ok(error) = saver.await {
                return Some(error);
            }
            std::future::pending().await
        };
        let served = async {
            match &tls {
                None => anchorsync_twin::serve(listener, twin.clone(), shutdown)
                    .await
                    .context("the twin's server failed"),
                Some(identity) => {
                    anchorsync_twin::serve_tls(listener, twin.clone(), identity, shutdown)
                        .await
                        .context("the twin's server failed")
                }
            }
        };
        tokio::select! {
            served = served => served,
            Some(error) = saver_failed => {
                Err(anyhow::Error::new(error).context("the twin stopped: it could not save the tenant"))
            }
        }
    })?;
    if let Some(path) = &args.state {
        anchorsync_twin::write_snapshot(path, &twin.snapshot())?;
        eprintln!("twin: saved the tenant to `{}`", path.display());
    }
    Ok(ExitStatus::Success)
}

/// The certificate `--tls` serves: the files given, or a throwaway CA's.
fn tls_identity(args: &TwinServeArgs) -> anyhow::Result<Option<TlsIdentity>> {
    if !args.tls {
        return Ok(None);
    }
    let identity = match (&args.tls_cert, &args.tls_key) {
        (Some(certificate), Some(key)) => TlsIdentity::from_pem_files(certificate, key)
            .context("cannot use `--tls-cert` and `--tls-key`")?,
        _ => TlsIdentity::throwaway(crate::clock::now())
            .context("cannot make the throwaway TLS certificate")?,
    };
    Ok(Some(identity))
}

/// Writes the throwaway CA (public: a certificate, no key) where clients can read it; `None` when the
/// certificate came from files.
fn write_ca(
    args: &TwinServeArgs,
    identity: &TlsIdentity,
    port: u16,
) -> anyhow::Result<Option<std::path::PathBuf>> {
    let Some(ca) = identity.ca_pem() else {
        return Ok(None);
    };
    let path = args
        .tls_ca_out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("anchorsync-twin-{port}-ca.pem")));
    crate::commands::snapshot::write_atomically(&path, ca.as_bytes())?;
    Ok(Some(path))
}

/// SIGINT or SIGTERM. The handlers are installed now, before the address is announced, so a signal
/// sent as soon as the twin answers is never lost.
#[cfg(unix)]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        eprintln!("twin: stopping");
    })
}

/// Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("twin: stopping");
    })
}

/// The health route lives at the twin's root; `twin serve` prints the Graph root (`.../v1.0`) first,
/// so either is accepted.
fn health_url(url: &str) -> String {
    let url = url.trim_end_matches('/');
    let root = url
        .strip_suffix("/v1.0")
        .unwrap_or(url)
        .trim_end_matches('/');
    format!("{root}{HEALTH_PATH}")
}

fn healthcheck(args: &TwinHealthcheckArgs) -> anyhow::Result<ExitStatus> {
    let url = health_url(&args.url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let body = runtime.block_on(async {
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(5));
        if let Some(path) = &args.ca_file {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read the CA file `{}`", path.display()))?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|certificates| !certificates.is_empty())
                .with_context(|| format!("`{}` holds no PEM certificate", path.display()))?;
            builder = builder.tls_certs_merge(certificates);
        }
        let client = builder.build().context("cannot build the HTTP client")?;
        let response = client
            .get(&url)
            .send()
            .await
            .with_context(|| format!("no twin answers at `{url}`"))?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!("the twin at `{url}` answered {status}");
        }
        Ok(body)
    })?;
    writeln!(std::io::stdout().lock(), "{body}")?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_at_the_root_whichever_url_is_given_issue_10() {
        for url in [
            "http://127.0.0.1:8400",
            "http://127.0.0.1:8400/",
            "http://127.0.0.1:8400/v1.0",
            "http://127.0.0.1:8400/v1.0/",
        ] {
            assert_eq!(
                health_url(url),
                format!("http://127.0.0.1:8400{HEALTH_PATH}"),
                "{url}"
            );
        }
    }
}
