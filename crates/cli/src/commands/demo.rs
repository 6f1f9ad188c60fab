//! `anchorsync demo`: the whole flow on bundled sample data (`crates/cli/demo/`) and the Graph twin,
//! started in this process on a loopback port. No server, no network, no configuration of the user's.
//!
//! The walk-through: plan (the HTML report), plan with the `hard-cloud` strategy, apply against the twin
//! with the AD side emitted as LDIF, verify, undo, verify again; each step says in plain words what
//! happens and where its files are. The demo writes its own `anchorsync.toml` pointing at the twin, so
//! every step runs the same code as the real commands with `--config`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anchorsync_core::engine::rules::SmtpMatchScope;
use anchorsync_core::engine::source_anchor::AnchorEncoding;
use anchorsync_core::remediation::Strategy;
use anchorsync_core::tenant::TenantSnapshot;
use anchorsync_twin::{AppClient, TwinConfig, TwinServer};
use anyhow::Context as _;
use serde_json::Value;

use crate::args::{
    ApplyArgs, DemoArgs, EmitFormat, PlanArgs, PlanFormat, Switch, TenantCommand,
    TenantMatchingArgs, UndoArgs, VerifyArgs, VerifyFormat,
};
use crate::exit::ExitStatus;
use crate::settings::Settings;

/// The bundled AD inventory (made by `anchorsync generate --demo`, see `crates/cli/demo/README.md`).
pub const DEMO_LDIF: &[u8] = include_bytes!("../../demo/ad.ldif");
/// The bundled tenant snapshot.
pub const DEMO_TENANT: &[u8] = include_bytes!("../../demo/tenant.json");
/// The bundled HENNGE Access Control user export.
pub const DEMO_HAC: &[u8] = include_bytes!("../../demo/hac-users.csv");

/// The app registration the demo's twin accepts.
const DEMO_CLIENT_ID: &str = "00000000-0000-4000-8000-00000000de70";

pub fn run(args: &DemoArgs, data_dir: Option<&Path>) -> anyhow::Result<ExitStatus> {
    let out = match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            dir.clone()
        }
        None => tempfile::Builder::new()
            .prefix("anchorsync-demo-")
            .tempdir()
            .context("cannot create a directory for the demo's files")?
            .keep(),
    };
    let data_dir = data_dir.map_or_else(|| out.join("data"), Path::to_path_buf);
    crate::progress::silence();
    let mut say = Narrator::new();
    say.title("anchorsync demo: a HENNGE-style switch-over on sample data");
    say.line(&format!(
        "Everything the demo writes goes to `{}`. Nothing leaves this computer.",
        out.display()
    ));

    // The inputs.
    let input = out.join("input");
    std::fs::create_dir_all(&input)
        .with_context(|| format!("cannot create `{}`", input.display()))?;
    let ldif = input.join("ad.ldif");
    let snapshot = input.join("tenant.json");
    let hac = input.join("hac-users.csv");
    for (path, bytes) in [
        (&ldif, DEMO_LDIF),
        (&snapshot, DEMO_TENANT),
        (&hac, DEMO_HAC),
    ] {
        std::fs::write(path, bytes)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    let tenant: TenantSnapshot =
        serde_json::from_slice(DEMO_TENANT).context("the bundled tenant snapshot is not valid")?;
    say.step("The sample company");
    say.line(&format!(
        "An AD export of {} users (`{}`), the Microsoft 365 tenant they should become (`{}`: {} cloud \
         users, the federated domain {}, the initial domain {}), and HENNGE Access Control's user list \
         (`{}`), which signs the federated users in today.",
        count_users(DEMO_LDIF),
        ldif.display(),
        snapshot.display(),
        tenant.users.len(),
        federated_domains(&tenant),
        tenant
            .initial_domain()
            .map_or("(none)".to_owned(), |domain| format!("`{}`", domain.id)),
        hac.display()
    ));

    // The twin, serving the tenant on a loopback port, and a configuration that points at it.
    let secret = demo_secret();
    let tenant_id = tenant
        .on_premises_synchronization
        .as_ref()
        .map(|sync| sync.id.clone())
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| "00000000-0000-4000-8000-000000000001".to_owned());
    let twin = TwinServer::start(
        tenant.clone(),
        TwinConfig::new(tenant_id.clone())
            .with_client(AppClient::with_secret(DEMO_CLIENT_ID, secret.clone())),
    )
    .context("cannot start the Graph twin")?;
    let config = write_config(&out, &twin, &tenant_id, &secret)?;
    say.line(&format!(
        "A local copy of the tenant runs at {} (the Graph twin, started by this demo; it stops when the \
         demo ends). `{}` points anchorsync at it.",
        twin.base_url(),
        config.display()
    ));

    // 1. plan and its HTML report.
    say.step("1. Plan: what would the first sync from AD do to each user?");
    let report = out.join("plan.html");
    let plan_json = out.join("plan.json");
    let plan_args = |format, output: &Path, strategy| PlanArgs {
        ad: ldif.display().to_string(),
        cloud: "graph".to_owned(),
        anchor_attribute: "mS-DS-ConsistencyGuid".to_owned(),
        anchor_encoding: AnchorEncoding::Auto,
        smtp_match: SmtpMatchScope::default(),
        strategy,
        mapping: None,
        join_attribute: None,
        format,
        output: Some(output.to_owned()),
    };
    super::plan::run(
        &plan_args(PlanFormat::Html, &report, None),
        &Settings::resolve(Some(&config), None)?,
    )?;
    super::plan::run(
        &plan_args(PlanFormat::Json, &plan_json, None),
        &Settings::resolve(Some(&config), None)?,
    )?;
    let plan = read_json(&plan_json)?;
    say.line(&format!(
        "anchorsync read both sides and predicted Entra's decision for every user: {}.",
        summary_text(&plan["summary"])
    ));
    say.line(&format!(
        "{} users need attention before the switch-over. Open the report in a browser: {}",
        plan["totals"]["needAttention"],
        report.display()
    ));

    // 2. The hard-match block, switched off for the switch-over (journaled).
    say.step("2. Open the tenant to hard matches for the switch-over");
    say.line(
        "This tenant blocks hard-match takeovers of cloud users \
         (blockCloudObjectTakeoverThroughHardMatchEnabled), so a fixed pair would still be refused at the \
         first sync. `anchorsync tenant matching --block-hard-match off --yes` switches the block off as a \
         journaled run, so `undo` switches it back on; Microsoft's advice is to keep it off only while \
         matching. Its own output follows.",
    );
    say.flush();
    super::tenant::run(
        &TenantCommand::Matching(TenantMatchingArgs {
            block_soft_match: None,
            block_hard_match: Some(Switch::Off),
            yes: true,
        }),
        &Settings::resolve(Some(&config), Some(&data_dir))?,
    )?;
    let switch_run = latest_run(&data_dir, "tenant-matching")?.map(|(id, _)| id);

    // 2. plan --strategy hard-cloud.
    say.step(
        "3. Plan a fix: hard-cloud (set each cloud user's ImmutableID to its AD sourceAnchor)",
    );
    let strategy_json = out.join("plan-hard-cloud.json");
    super::plan::run(
        &plan_args(PlanFormat::Json, &strategy_json, Some(Strategy::HardCloud)),
        &Settings::resolve(Some(&config), None)?,
    )?;
    let strategy_plan = read_json(&strategy_json)?;
    for line in strategy_text(&strategy_plan) {
        say.line(&line);
    }
    say.line(&format!(
        "The plan, with every change and its before-value, is `{}`. Nothing has changed yet.",
        strategy_json.display()
    ));

    // 3. apply, with the AD side of hard-ad emitted.
    say.step("4. Apply the plan to the twin");
    let hard_ad_json = out.join("plan-hard-ad.json");
    let plans = DemoPlans {
        args: &plan_args,
        hard_cloud: &strategy_json,
        hard_ad: &hard_ad_json,
    };
    let run = apply_step(&mut say, &plans, &config, &data_dir, &out)?;

    // 4. verify.
    say.step(
        "5. Plan again, and verify: do AD, Microsoft 365 and HENNGE Access Control agree now?",
    );
    let after_json = out.join("plan-after-apply.json");
    super::plan::run(
        &plan_args(PlanFormat::Json, &after_json, None),
        &Settings::resolve(Some(&config), None)?,
    )?;
    let after = read_json(&after_json)?;
    say.line(&format!(
        "The same plan against the changed tenant (`{}`): {} (before the fix: {} hard-match). {} users \
         still need attention: those the strategy could not fix, and the AD-side problems no cloud change \
         solves (invalid or duplicate anchors).",
        after_json.display(),
        summary_text(&after["summary"]),
        plan["summary"]["hard-match"],
        after["totals"]["needAttention"]
    ));
    verify_step(&mut say, &out, &ldif, &hac, &config, "verify.json")?;

    // 5. undo, and verify again.
    say.step("6. Undo the run, switch the block back on, and verify again");
    match &run {
        Some(run) => {
            undo_step(&mut say, run, &config, &data_dir)?;
            if let Some(switch_run) = &switch_run {
                say.line(&format!(
                    "`anchorsync undo {switch_run} --yes` puts the hard-match block back on, as it was."
                ));
                say.flush();
                super::undo::run(
                    &UndoArgs {
                        run: switch_run.clone(),
                        yes: true,
                    },
                    &Settings::resolve(Some(&config), Some(&data_dir))?,
                )?;
            }
            verify_step(
                &mut say,
                &out,
                &ldif,
                &hac,
                &config,
                "verify-after-undo.json",
            )?;
        }
        None => say.line("No run was recorded, so there is nothing to undo."),
    }

    say.step("Done");
    say.line(&format!(
        "Files: `{}` (report), `{}` (plan), `{}` and `{}` (plans with a fix), `{}` (the plan after the \
         fix), `{}` (the AD changes as LDIF), `{}` (verify), `{}` (the journal and run reports). The twin has stopped; delete `{}` when \
         you no longer need it.",
        report.display(),
        plan_json.display(),
        strategy_json.display(),
        out.join("plan-hard-ad.json").display(),
        out.join("plan-after-apply.json").display(),
        out.join("ad-changes.ldif").display(),
        out.join("verify.json").display(),
        data_dir.display(),
        out.display()
    ));
    drop(twin);
    Ok(ExitStatus::Success)
}

/// Step 3: the AD side of a `hard-ad` plan (HENNGE's recommended method) is emitted as LDIF instead of
/// executed; then `apply` runs the `hard-cloud` plan against the twin, journaled in `data_dir`. Returns
/// the id of the apply run.
fn apply_step(
    say: &mut Narrator,
    plans: &DemoPlans<'_>,
    config: &Path,
    data_dir: &Path,
    out: &Path,
) -> anyhow::Result<Option<String>> {
    // The AD side: written as a file for the AD team instead of executed.
    let ldif = out.join("ad-changes.ldif");
    say.line(&format!(
        "First the AD side. HENNGE's recommended method changes AD instead of the cloud: `plan --strategy \
         hard-ad` (`{}`) writes each cloud ImmutableID, decoded, into mS-DS-ConsistencyGuid. Where you may \
         not write to AD yourself, `apply --emit ldif` writes those changes to `{}` for `ldapmodify` (each a \
         compare-and-set that refuses a value changed since the plan); nothing is executed. Its own \
         output follows.",
        plans.hard_ad.display(),
        ldif.display()
    ));
    say.flush();
    super::plan::run(
        &(plans.args)(PlanFormat::Json, plans.hard_ad, Some(Strategy::HardAd)),
        &Settings::resolve(Some(config), None)?,
    )?;
    super::apply::run(
        &ApplyArgs {
            plan: plans.hard_ad.to_owned(),
            yes: false,
            emit: Some(EmitFormat::Ldif),
            output: Some(ldif.clone()),
        },
        &Settings::resolve(Some(config), Some(data_dir))?,
    )?;
    say.line(&format!(
        "`anchorsync apply {} --yes`: it checks that every value still holds its planned before-value, \
         writes each change to the journal in `{}` before making it, moves each federated user's UPN to \
         the initial domain and back around the change, and reports. Its own output follows.",
        plans.hard_cloud.display(),
        data_dir.display()
    ));
    say.flush();
    let status = super::apply::run(
        &ApplyArgs {
            plan: plans.hard_cloud.to_owned(),
            yes: true,
            emit: None,
            output: None,
        },
        &Settings::resolve(Some(config), Some(data_dir))?,
    )?;
    let run = latest_run(data_dir, "apply")?;
    if let Some((id, report)) = &run {
        say.line(&format!(
            "Run `{id}`: {} changes made, {} failed, {} refused because the value had changed{}. The \
             run's report is `{}`.",
            report["counts"]["done"],
            report["counts"]["failed"],
            report["counts"]["conflict"],
            if status == ExitStatus::Success { "" } else { " (see the report)" },
            data_dir.join("runs").join(format!("{id}.json")).display()
        ));
    }
    Ok(run.map(|(id, _)| id))
}

/// Step 5: `undo` of the run `apply` made.
fn undo_step(say: &mut Narrator, run: &str, config: &Path, data_dir: &Path) -> anyhow::Result<()> {
    say.line(&format!(
        "`anchorsync undo {run} --yes`: every change of the run is reversed from the journal, newest first, \
         each again a compare-and-set (a value changed since the run would be reported, not overwritten). \
         Its own output follows."
    ));
    say.flush();
    super::undo::run(
        &UndoArgs {
            run: run.to_owned(),
            yes: true,
        },
        &Settings::resolve(Some(config), Some(data_dir))?,
    )?;
    if let Some((id, report)) = latest_run(data_dir, "undo")? {
        say.line(&format!(
            "Undo run `{id}`: {} changes reversed, {} failed, {} refused.",
            report["counts"]["done"], report["counts"]["failed"], report["counts"]["conflict"]
        ));
    }
    Ok(())
}

/// The newest run of a kind in the data directory, with its report.
fn latest_run(data_dir: &Path, kind: &str) -> anyhow::Result<Option<(String, Value)>> {
    let runs = data_dir.join("runs");
    let Ok(entries) = std::fs::read_dir(&runs) else {
        return Ok(None);
    };
    let mut newest: Option<(String, String, Value)> = None;
    for path in entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
    {
        let report = read_json(&path)?;
        let (Some(id), Some(started)) = (
            report["run"]["id"].as_str().map(str::to_owned),
            report["run"]["startedAt"].as_str().map(str::to_owned),
        ) else {
            continue;
        };
        if report["run"]["kind"] == kind
            && newest
                .as_ref()
                .is_none_or(|(_, newest_start, _)| started > *newest_start)
        {
            newest = Some((id, started, report));
        }
    }
    Ok(newest.map(|(id, _, report)| (id, report)))
}

/// The plans the demo makes and how it makes them.
struct DemoPlans<'a> {
    args: &'a dyn Fn(PlanFormat, &Path, Option<Strategy>) -> PlanArgs,
    hard_cloud: &'a Path,
    hard_ad: &'a Path,
}

fn verify_step(
    say: &mut Narrator,
    out: &Path,
    ldif: &Path,
    hac: &Path,
    config: &Path,
    name: &str,
) -> anyhow::Result<()> {
    let output = out.join(name);
    let args = VerifyArgs {
        ad: ldif.display().to_string(),
        cloud: "graph".to_owned(),
        hac: Some(hac.to_owned()),
        hac_columns: Vec::new(),
        anchor_attribute: "mS-DS-ConsistencyGuid".to_owned(),
        anchor_encoding: AnchorEncoding::Auto,
        format: VerifyFormat::Json,
        output: Some(output.clone()),
    };
    super::verify::run(&args, &Settings::resolve(Some(config), None)?)?;
    let report = read_json(&output)?;
    let summary = &report["summary"];
    say.line(&format!(
        "Of {} users, {} agree everywhere, {} disagree, {} will soft-match at the first sync, {} get a new \
         cloud user, {} have no usable sourceAnchor, {} are not in HENNGE Access Control's list.",
        summary["users"],
        summary["agree"],
        summary["disagree"],
        summary["softMatchPending"],
        summary["noCloudUser"],
        summary["noAnchor"],
        summary["notInIdp"]
    ));
    if summary["signInRisks"].as_u64().unwrap_or(0) > 0 {
        say.line(&format!(
            "{} users of the federated domain would fail to sign in after the switch-over (AADSTS51004): \
             the ImmutableID HENNGE Access Control sends, the one Microsoft 365 holds and the AD sourceAnchor \
             must be the same. With hard-cloud, HENNGE's side must then learn the AD values too; with \
             hard-ad (HENNGE's recommended method) AD takes the values the others already hold.",
            summary["signInRisks"]
        ));
    }
    say.line(&format!("Details per user: `{}`", output.display()));
    Ok(())
}

/// The demo's own `anchorsync.toml`: the twin's tenant, token endpoint and Graph root, and a secret in a
/// file beside it (never on a command line).
fn write_config(
    out: &Path,
    twin: &TwinServer,
    tenant_id: &str,
    secret: &str,
) -> anyhow::Result<PathBuf> {
    let secret_file = out.join("twin-client-secret");
    write_private(&secret_file, secret.as_bytes())?;
    let config = out.join("anchorsync.toml");
    let text = format!(
        "# Written by `anchorsync demo`: the Graph twin it started on a loopback port.\n[graph]\n\
         tenant_id = {}\nclient_id = {}\ntoken_url = {}\ngraph_url = {}\nclient_secret_file = {}\n",
        toml_string(tenant_id),
        toml_string(DEMO_CLIENT_ID),
        toml_string(&twin.token_url()),
        toml_string(&twin.base_url()),
        toml_string(&secret_file.display().to_string()),
    );
    std::fs::write(&config, text)
        .with_context(|| format!("cannot write `{}`", config.display()))?;
    Ok(config)
}

fn toml_string(value: &str) -> String {
    toml::Value::String(value.to_owned()).to_string()
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write `{}`", path.display()))
}

/// A secret for the twin that exists only for this run.
fn demo_secret() -> String {
    use sha2::Digest as _;
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    let digest = sha2::Sha256::digest(format!("{now}:{}", std::process::id()).as_bytes());
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("`{}` is not JSON", path.display()))
}

fn count_users(ldif: &[u8]) -> usize {
    String::from_utf8_lossy(ldif)
        .split("\n\n")
        .filter(|record| {
            record.lines().any(|line| line == "objectClass: user")
                && !record.lines().any(|line| line == "objectClass: computer")
        })
        .count()
}

fn federated_domains(tenant: &TenantSnapshot) -> String {
    let domains: Vec<String> = tenant
        .domains
        .iter()
        .filter(|domain| domain.is_federated())
        .map(|domain| format!("`{}`", domain.id))
        .collect();
    if domains.is_empty() {
        "(none)".to_owned()
    } else {
        domains.join(", ")
    }
}

fn summary_text(summary: &Value) -> String {
    summary
        .as_object()
        .map(|counts| {
            counts
                .iter()
                .filter(|(_, count)| count.as_u64().unwrap_or(0) > 0)
                .map(|(outcome, count)| format!("{count} {outcome}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// What the hard-cloud plan does, in sentences.
fn strategy_text(plan: &Value) -> Vec<String> {
    let users = plan["users"].as_array().cloned().unwrap_or_default();
    let fixable: Vec<&Value> = users
        .iter()
        .filter(|user| user["remediation"]["fixable"] == true)
        .collect();
    let federated = fixable
        .iter()
        .filter(|user| {
            user["remediation"]["steps"]
                .as_array()
                .is_some_and(|steps| steps.len() == 3)
        })
        .count();
    let blocked = fixable
        .iter()
        .filter(|user| user["remediation"]["outcomeAfter"] == "hard-match-blocked")
        .count();
    let nothing = users
        .iter()
        .filter(|user| {
            user["remediation"]["reason"]
                .as_str()
                .is_some_and(|reason| reason.starts_with("nothing to do"))
        })
        .count();
    let mut alternatives: std::collections::BTreeMap<String, usize> = Default::default();
    for user in &users {
        if let Some(alternative) = user["remediation"]["alternative"].as_str() {
            *alternatives.entry(alternative.to_owned()).or_default() += 1;
        }
    }
    let mut lines = vec![format!(
        "{} users can be fixed this way; {} of them sign in through the federated domain, so their UPN \
         moves to the initial domain, the ImmutableID is set, and the UPN moves back. {} users need nothing.",
        fixable.len(),
        federated,
        nothing
    )];
    if blocked > 0 {
        lines.push(format!(
            "The tenant blocks hard-match takeovers today, so {blocked} of the fixed users would show \
             `hard-match-blocked` until `anchorsync tenant matching --block-hard-match off` for the \
             switch-over (switch it back on afterwards)."
        ));
    }
    if !alternatives.is_empty() {
        let list: Vec<String> = alternatives
            .iter()
            .map(|(strategy, count)| format!("{count} with {strategy}"))
            .collect();
        lines.push(format!(
            "Users hard-cloud cannot fix are listed with the reason and the strategy that would work: {}.",
            list.join(", ")
        ));
    }
    if let Some(example) = fixable.first() {
        let steps = example["remediation"]["steps"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let changes: Vec<String> = steps
            .iter()
            .map(|step| {
                format!(
                    "{} {} → {}",
                    step["attribute"].as_str().unwrap_or_default(),
                    step["before"],
                    step["after"]
                )
            })
            .collect();
        lines.push(format!(
            "For example `{}`: {}.",
            steps
                .first()
                .and_then(|step| step["label"].as_str())
                .unwrap_or_default(),
            changes.join(", then ")
        ));
    }
    lines
}

/// Prints the walk-through: titles, numbered steps, wrapped paragraphs.
struct Narrator {
    out: std::io::Stdout,
}

impl Narrator {
    fn new() -> Self {
        Self {
            out: std::io::stdout(),
        }
    }

    fn title(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}\n{}", "=".repeat(text.chars().count()));
    }

    fn step(&mut self, text: &str) {
        let _ = writeln!(self.out, "\n{text}");
    }

    fn line(&mut self, text: &str) {
        let _ = writeln!(self.out, "{}", wrap(text, 100));
    }

    /// Before another command prints: keeps the order on the terminal.
    fn flush(&mut self) {
        let _ = self.out.flush();
    }
}

fn wrap(text: &str, width: usize) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
        .iter()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
