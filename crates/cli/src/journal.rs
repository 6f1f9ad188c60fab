//! Journaled execution, shared by `apply`, `undo` and `tenant matching`: the targets (a bound AD
//! connection, a Graph client), reading a step's current value, carrying out one step as a
//! compare-and-set, the run loop with its per-user rules, and the run report.
//!
//! The run loop's promise: every step is marked `started` in the journal (committed, on disk) before
//! its write is sent, and its result is recorded after. A step found `started` when a run resumes was
//! perhaps written, perhaps not: it is resolved by reading the value (the `after` value → it was
//! written: `done`; the `before` value → write it now; anything else → `conflict`). So no step is
//! written twice and none is lost, wherever the process died.
//!
//! Per user (the steps sharing a `user_dn`), steps run in order; once one fails or meets a changed
//! value, the user's later steps are skipped, except `federated-upn-back`, which runs whenever that
//! user's `federated-upn-away` was done: a federated user never stays on the temporary UPN.
//!
//! A transport failure (the directory or Graph stopped answering, the retries gave up) stops the run
//! with the step left `started`: whether it was written is unknown, and the next run finds out.

use std::collections::HashMap;
use std::path::Path;

use anchorsync_ad::AdConnection;
use anchorsync_core::directory::is_binary_attribute;
use anchorsync_core::progress::Reporter;
use anchorsync_core::remediation::{StepPurpose, StepSystem, StepValue};
use anchorsync_graph::{GraphClient, UserKey, UserPatch};
use anchorsync_store::{
    JournalStep, PlannedStep, Run, RunStatus, StepCounts, StepOutcome, StepState, Store,
};
use anyhow::Context as _;
use serde::Serialize;
use serde_json::{Value, json};

use crate::clock;
use crate::config::Loaded;

/// The journal's name for the tenant's synchronisation settings (`tenant matching` steps).
pub const TENANT_SYSTEM: &str = "tenant";
/// The purpose of a `tenant matching` step.
pub const SET_TENANT_FEATURE: &str = "set-tenant-feature";

/// Which directory and tenant a run writes to, as recorded in the journal and the report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetsDescription {
    /// The domain controller and base DNs, when the run writes to AD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad: Option<AdTarget>,
    /// The tenant, when the run writes to Microsoft 365.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<CloudTarget>,
}

/// An AD target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdTarget {
    /// The server the run is bound to.
    pub server: String,
    /// The configured base DNs.
    #[serde(default)]
    pub base_dns: Vec<String>,
}

/// A tenant target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudTarget {
    /// The tenant id.
    pub tenant_id: String,
    /// The Graph root.
    pub graph_url: String,
}

/// Which systems a set of steps needs.
pub fn systems_needed(steps: &[PlannedStep]) -> (bool, bool) {
    let ad = steps
        .iter()
        .any(|step| step.system == StepSystem::Ad.as_str());
    let graph = steps
        .iter()
        .any(|step| step.system != StepSystem::Ad.as_str());
    (ad, graph)
}

/// The connections a run writes through.
pub struct Targets {
    ad: Option<AdConnection>,
    graph: Option<GraphClient>,
    /// What they are.
    pub description: TargetsDescription,
}

/// What a value is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// One value, or none ([`StepValue::Absent`]).
    One(StepValue),
    /// A multi-valued attribute holding several: never what a step expects.
    Several(Vec<StepValue>),
}

impl Observed {
    /// For messages.
    pub fn display(&self) -> String {
        match self {
            Self::One(value) => value.display(),
            Self::Several(values) => values
                .iter()
                .map(StepValue::display)
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// Whether this is `expected`, as the step's system compares it: AD byte for byte, a cloud
    /// userPrincipalName without regard to case (Graph compares them so), anything else exactly.
    pub fn holds(&self, step: &PlannedStep, expected: &StepValue) -> bool {
        let Self::One(current) = self else {
            return false;
        };
        if step.system == StepSystem::Ad.as_str() {
            return current.as_bytes() == expected.as_bytes();
        }
        if step.attribute.eq_ignore_ascii_case("userPrincipalName") {
            return match (current.to_graph_text(), expected.to_graph_text()) {
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(&b),
                (a, b) => a == b,
            };
        }
        current.to_graph_text() == expected.to_graph_text()
    }
}

/// How carrying out one step ended.
#[derive(Debug)]
pub enum Executed {
    /// Written; the value replaced.
    Done(StepValue),
    /// The value was not the expected one: nothing written.
    Conflict(String),
    /// The system refused the write.
    Failed(String),
    /// No answer: whether it was written is unknown. The run stops; the next one finds out.
    Interrupted(anyhow::Error),
}

impl Targets {
    /// Connects to what the steps need: AD through `[ad]`, Graph through `[graph]` (`graph_url`
    /// replaces its Graph root).
    pub async fn connect(
        loaded: &Loaded,
        need_ad: bool,
        need_graph: bool,
        graph_url: Option<&str>,
        reporter: &dyn Reporter,
    ) -> anyhow::Result<Self> {
        let mut description = TargetsDescription::default();
        let ad = if need_ad {
            let config = loaded.ad()?;
            let password = config
                .password()
                .context("cannot read the AD bind password")?;
            let connection = AdConnection::connect(&config, &password, reporter)
                .await
                .context("cannot connect to the domain controller")?;
            description.ad = Some(AdTarget {
                server: connection.server().to_owned(),
                base_dns: config.base_dns.clone(),
            });
            Some(connection)
        } else {
            None
        };
        let graph = if need_graph {
            let mut settings = loaded.graph_settings()?;
            if let Some(url) = graph_url {
                url.clone_into(&mut settings.graph_url);
            }
            description.cloud = Some(CloudTarget {
                tenant_id: settings.tenant_id.clone(),
                graph_url: settings.graph_url.clone(),
            });
            Some(GraphClient::new(settings).context("cannot set up the Microsoft Graph client")?)
        } else {
            None
        };
        Ok(Self {
            ad,
            graph,
            description,
        })
    }

    /// The Graph client (tenant commands).
    pub fn graph(&self) -> anyhow::Result<&GraphClient> {
        self.graph
            .as_ref()
            .context("no Microsoft Graph connection was opened")
    }

    /// Unbinds from AD.
    pub async fn close(self) {
        if let Some(ad) = self.ad {
            ad.unbind().await;
        }
    }

    /// Reads the value a step changes, as it is now.
    pub async fn observe(&mut self, step: &PlannedStep) -> anyhow::Result<Observed> {
        if step.system == StepSystem::Ad.as_str() {
            let ad = self.ad.as_mut().context("no AD connection was opened")?;
            let values = ad
                .read_attribute(&step.target, &step.attribute)
                .await
                .with_context(|| {
                    format!("cannot read `{}` of `{}`", step.attribute, step.target)
                })?;
            let mut values: Vec<StepValue> = values
                .into_iter()
                .map(|bytes| ad_value(&step.attribute, bytes))
                .collect();
            return Ok(match values.len() {
                0 => Observed::One(StepValue::Absent),
                1 => Observed::One(values.swap_remove(0)),
                _ => Observed::Several(values),
            });
        }
        let graph = self.graph()?;
        if step.system == TENANT_SYSTEM {
            let sync = graph
                .on_premises_synchronization()
                .await
                .context("cannot read the tenant's onPremisesSynchronization settings")?
                .context("the tenant has no onPremisesSynchronization settings")?;
            let features = serde_json::to_value(&sync.features).unwrap_or(Value::Null);
            let enabled = features
                .get(&step.attribute)
                .and_then(Value::as_bool)
                .unwrap_or_else(|| feature_default(&step.attribute));
            return Ok(Observed::One(StepValue::Text(enabled.to_string())));
        }
        let user = graph
            .get_user(&UserKey::Id(step.target.clone()))
            .await
            .with_context(|| format!("cannot read the cloud user `{}`", step.label_or_target()))?;
        let value = match step.attribute.as_str() {
            "onPremisesImmutableId" => user.on_premises_immutable_id,
            "userPrincipalName" => user.user_principal_name,
            other => anyhow::bail!("anchorsync does not change the cloud attribute `{other}`"),
        };
        Ok(Observed::One(
            value.map_or(StepValue::Absent, StepValue::Text),
        ))
    }

    /// Reads the values of many steps: AD one after the other on the bound connection, Microsoft 365
    /// concurrently (the Graph client bounds how many requests are in flight). An error the server
    /// answered with (no such user) is that step's result; no answer at all is an error of the whole
    /// read.
    pub async fn observe_all(
        &mut self,
        steps: &[&PlannedStep],
        reporter: &dyn Reporter,
    ) -> anyhow::Result<Vec<Result<Observed, String>>> {
        reporter.on_start("reading current values", Some(steps.len() as u64));
        let mut results: Vec<Option<Result<Observed, String>>> = vec![None; steps.len()];
        let mut cloud = tokio::task::JoinSet::new();
        for (index, step) in steps.iter().enumerate() {
            if step.system == StepSystem::Ad.as_str() {
                let observed = self.observe(step).await;
                results[index] = Some(match observed {
                    Ok(observed) => Ok(observed),
                    Err(error) if answered(&error) => Err(format!("{error:#}")),
                    Err(error) => {
                        reporter.on_finish();
                        return Err(error);
                    }
                });
                reporter.on_advance(1);
            } else {
                let mut targets = Self {
                    ad: None,
                    graph: self.graph.clone(),
                    description: TargetsDescription::default(),
                };
                let step = (*step).clone();
                cloud.spawn(async move { (index, targets.observe(&step).await) });
            }
        }
        while let Some(joined) = cloud.join_next().await {
            let (index, observed) = joined.context("a read of a current value failed")?;
            let result = match observed {
                Ok(observed) => Ok(observed),
                Err(error) if answered(&error) => Err(format!("{error:#}")),
                Err(error) => {
                    reporter.on_finish();
                    return Err(error);
                }
            };
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
            reporter.on_advance(1);
        }
        reporter.on_finish();
        Ok(results
            .into_iter()
            .map(|result| result.unwrap_or_else(|| Err("not read".to_owned())))
            .collect())
    }

    /// Carries out one step as a compare-and-set.
    pub async fn execute(&mut self, step: &PlannedStep) -> Executed {
        if step.system == StepSystem::Ad.as_str() {
            let Some(ad) = self.ad.as_mut() else {
                return Executed::Interrupted(anyhow::anyhow!("no AD connection was opened"));
            };
            return match ad
                .compare_and_set(
                    &step.target,
                    &step.attribute,
                    step.before.as_bytes(),
                    step.after.as_bytes(),
                )
                .await
            {
                Ok(replaced) => Executed::Done(
                    replaced.map_or(StepValue::Absent, |bytes| ad_value(&step.attribute, bytes)),
                ),
                Err(error @ anchorsync_ad::Error::StaleValue { .. }) => {
                    Executed::Conflict(error.to_string())
                }
                Err(error) if error.is_refusal() => Executed::Failed(format!(
                    "the directory refused the write: {}",
                    error_chain(&error)
                )),
                Err(error) => Executed::Interrupted(anyhow::Error::new(error)),
            };
        }
        // Microsoft 365: read, compare, then PATCH; a value that moved is a conflict, never
        // overwritten.
        let current = match self.observe(step).await {
            Ok(current) => current,
            Err(error) => return graph_failure(error),
        };
        if !current.holds(step, &step.before) {
            return Executed::Conflict(format!(
                "`{}` of `{}` is `{}`, not `{}` as planned; nothing was written",
                step.attribute,
                step.label_or_target(),
                current.display(),
                step.before.display()
            ));
        }
        let replaced = match current {
            Observed::One(value) => value,
            Observed::Several(_) => StepValue::Absent,
        };
        let Ok(graph) = self.graph() else {
            return Executed::Interrupted(anyhow::anyhow!("no Graph connection was opened"));
        };
        let written = if step.system == TENANT_SYSTEM {
            let enabled = step.after.to_graph_text().as_deref() == Some("true");
            let sync_id = step.target.clone();
            graph
                .update_on_premises_synchronization(
                    &sync_id,
                    &json!({ "features": { step.attribute.clone(): enabled } }),
                )
                .await
        } else {
            let value = step.after.to_graph_text().map_or(Value::Null, Value::from);
            graph
                .update_user(
                    &UserKey::Id(step.target.clone()),
                    &UserPatch::new().set(&step.attribute, value),
                )
                .await
        };
        match written {
            Ok(()) => Executed::Done(replaced),
            Err(error @ anchorsync_graph::GraphError::Service(_)) => Executed::Failed(format!(
                "Microsoft Graph refused the write: {}",
                error_chain(&error)
            )),
            Err(error) => Executed::Interrupted(anyhow::Error::new(error)),
        }
    }
}

/// Whether a read failed because the server answered with a refusal (no such user or object), rather
/// than not answering.
fn answered(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<anchorsync_graph::GraphError>()
            .is_some_and(|graph| graph.service().is_some())
            || cause
                .downcast_ref::<anchorsync_ad::Error>()
                .is_some_and(anchorsync_ad::Error::is_refusal)
    })
}

/// A failed read before a cloud write: Graph's answer is a failure of the step, no answer stops the
/// run.
fn graph_failure(error: anyhow::Error) -> Executed {
    if answered(&error) {
        Executed::Failed(format!("{error:#}"))
    } else {
        Executed::Interrupted(error)
    }
}

/// An error and its causes on one line.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Graph's documented defaults of the matching switches.
fn feature_default(feature: &str) -> bool {
    feature == "softMatchOnUpnEnabled"
}

/// An AD value as a step holds it: bytes for a binary attribute (or text that is not UTF-8).
pub fn ad_value(attribute: &str, bytes: Vec<u8>) -> StepValue {
    if is_binary_attribute(attribute) {
        return StepValue::Bytes(bytes);
    }
    match String::from_utf8(bytes) {
        Ok(text) => StepValue::Text(text),
        Err(error) => StepValue::Bytes(error.into_bytes()),
    }
}

/// A step's label, else its target.
pub trait LabelOrTarget {
    /// What to call the object in a message.
    fn label_or_target(&self) -> &str;
}

impl LabelOrTarget for PlannedStep {
    fn label_or_target(&self) -> &str {
        self.label
            .as_deref()
            .filter(|label| !label.is_empty())
            .unwrap_or(&self.target)
    }
}

/// The steps of one user, for the per-user rules.
#[derive(Debug, Default)]
struct UserProgress {
    failed: bool,
    upn_away_done: bool,
}

fn user_key(step: &PlannedStep) -> String {
    step.user_dn
        .clone()
        .unwrap_or_else(|| format!("{}\u{0}{}", step.system, step.target))
}

fn track(progress: &mut UserProgress, step: &PlannedStep, state: StepState) {
    match state {
        StepState::Done if step.purpose == StepPurpose::FederatedUpnAway.as_str() => {
            progress.upn_away_done = true;
        }
        StepState::Failed | StepState::Conflict | StepState::Skipped => progress.failed = true,
        _ => {}
    }
}

/// Runs (or resumes) the steps of `run` that are not finished, in order, and records the run's
/// status. Returns the steps as they end. A transport failure is returned as an error, the run left
/// `running` for the next attempt.
pub async fn run_steps(
    store: &Store,
    run: &Run,
    targets: &mut Targets,
    reporter: &dyn Reporter,
) -> anyhow::Result<Vec<JournalStep>> {
    let mut steps = store.steps(&run.id)?;
    let unfinished = steps.iter().filter(|step| !step.state.is_final()).count();
    reporter.on_start(
        &format!("{} {}", run.kind.as_str(), run.id),
        Some(unfinished as u64),
    );
    let mut users: HashMap<String, UserProgress> = HashMap::new();
    for journal in &mut steps {
        let progress = users.entry(user_key(&journal.step)).or_default();
        if journal.state.is_final() {
            track(progress, &journal.step, journal.state);
            continue;
        }
        let is_upn_back = journal.step.purpose == StepPurpose::FederatedUpnBack.as_str();
        let skip = if is_upn_back {
            (!progress.upn_away_done)
                .then_some("the UPN was not moved away, so there is nothing to move back")
        } else if progress.failed {
            Some("an earlier step of this user did not succeed")
        } else {
            None
        };
        let outcome = if let Some(reason) = skip {
            StepOutcome {
                state: StepState::Skipped,
                replaced: None,
                message: Some(reason.to_owned()),
            }
        } else {
            let resumed = journal.state == StepState::Started;
            let mut resolved = None;
            if resumed {
                // Perhaps written before the process died: look.
                let current = match targets.observe(&journal.step).await {
                    Ok(current) => current,
                    Err(error) => {
                        reporter.on_finish();
                        return Err(error.context(format!(
                            "cannot resolve step {} of run `{}`; run the command again to resume",
                            journal.seq, run.id
                        )));
                    }
                };
                if current.holds(&journal.step, &journal.step.after) {
                    resolved = Some(StepOutcome {
                        state: StepState::Done,
                        replaced: Some(journal.step.before.clone()),
                        message: Some(
                            "found written when the interrupted run was resumed".to_owned(),
                        ),
                    });
                } else if !current.holds(&journal.step, &journal.step.before) {
                    resolved = Some(StepOutcome {
                        state: StepState::Conflict,
                        replaced: None,
                        message: Some(format!(
                            "`{}` of `{}` is `{}`, neither the planned `{}` nor the new `{}`; nothing was written",
                            journal.step.attribute,
                            journal.step.label_or_target(),
                            current.display(),
                            journal.step.before.display(),
                            journal.step.after.display()
                        )),
                    });
                }
            } else {
                let at = clock::rfc3339(clock::now());
                store.mark_started(&run.id, journal.seq, &at)?;
                journal.started_at = Some(at);
            }
            match resolved {
                Some(outcome) => outcome,
                None => match targets.execute(&journal.step).await {
                    Executed::Done(replaced) => StepOutcome {
                        state: StepState::Done,
                        replaced: Some(replaced),
                        message: None,
                    },
                    Executed::Conflict(message) => StepOutcome {
                        state: StepState::Conflict,
                        replaced: None,
                        message: Some(message),
                    },
                    Executed::Failed(message) => StepOutcome {
                        state: StepState::Failed,
                        replaced: None,
                        message: Some(message),
                    },
                    Executed::Interrupted(error) => {
                        reporter.on_finish();
                        return Err(error.context(format!(
                            "step {} of run `{}` ({} `{}` of `{}`) got no answer; whether it was written is \
                             unknown. Run the command again: it resumes the run and finds out",
                            journal.seq,
                            run.id,
                            journal.step.system,
                            journal.step.attribute,
                            journal.step.label_or_target()
                        )));
                    }
                },
            }
        };
        let now = clock::rfc3339(clock::now());
        store.finish_step(&run.id, journal.seq, &outcome, &now)?;
        journal.state = outcome.state;
        journal.replaced = outcome.replaced;
        journal.message = outcome.message;
        journal.finished_at = Some(now);
        track(progress, &journal.step, journal.state);
        reporter.on_advance(1);
    }
    reporter.on_finish();
    let status = if steps.iter().all(|step| step.state == StepState::Done) {
        RunStatus::Completed
    } else {
        RunStatus::CompletedWithErrors
    };
    store.finish_run(&run.id, status, &clock::rfc3339(clock::now()))?;
    Ok(steps)
}

/// Counts of steps per state.
pub fn count(steps: &[JournalStep]) -> StepCounts {
    let mut counts = StepCounts::default();
    for step in steps {
        match step.state {
            StepState::Planned => counts.planned += 1,
            StepState::Started => counts.started += 1,
            StepState::Done => counts.done += 1,
            StepState::Failed => counts.failed += 1,
            StepState::Conflict => counts.conflict += 1,
            StepState::Skipped => counts.skipped += 1,
        }
    }
    counts
}

/// A value the preflight found different from the plan's `before`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaleValue {
    /// The on-premises user.
    pub user_dn: Option<String>,
    /// `ad` or `cloud`.
    pub system: String,
    /// The object.
    pub target: String,
    /// How a person knows it.
    pub label: Option<String>,
    /// The attribute.
    pub attribute: String,
    /// What the plan expected.
    pub expected: StepValue,
    /// What it is (a description when it could not be read).
    pub actual: String,
}

/// The run report (`<data dir>/runs/<id>.json`), format version 1:
///
/// ```json
/// { "formatVersion": 1,
///   "run": { "id", "kind", "status", "startedAt", "finishedAt", "planPath", "planSha256", "undoes",
///            "targets": { "ad": {"server", "baseDns"}, "cloud": {"tenantId", "graphUrl"} } },
///   "counts": { "planned", "started", "done", "failed", "conflict", "skipped" },
///   "stale": [ { "userDn", "system", "target", "label", "attribute", "expected", "actual" } ],
///   "steps": [ { "seq", "userDn", "system", "target", "label", "attribute", "purpose", "before",
///                "after", "state", "replaced", "message", "startedAt", "finishedAt" } ] }
/// ```
///
/// Values are as in the plan (a string, `null`, or `{"base64": ...}`).
pub fn write_report(
    path: &Path,
    run: &Run,
    steps: &[JournalStep],
    stale: &[StaleValue],
) -> anyhow::Result<()> {
    let targets: Value = serde_json::from_str(&run.targets).unwrap_or(Value::Null);
    let counts = count(steps);
    let mut run_fields = run_json(run);
    run_fields.insert("targets".to_owned(), targets);
    let report = json!({
        "formatVersion": 1,
        "run": run_fields,
        "counts": counts_json(&counts),
        "stale": stale,
        "steps": steps.iter().map(|journal| json!({
            "seq": journal.seq,
            "userDn": journal.step.user_dn,
            "system": journal.step.system,
            "target": journal.step.target,
            "label": journal.step.label,
            "attribute": journal.step.attribute,
            "purpose": journal.step.purpose,
            "before": journal.step.before,
            "after": journal.step.after,
            "state": journal.state.as_str(),
            "replaced": journal.replaced,
            "message": journal.message,
            "startedAt": journal.started_at,
            "finishedAt": journal.finished_at,
        })).collect::<Vec<_>>(),
    });
    // Written whole or not at all; a new file is readable by its owner only (it lists users and
    // values).
    crate::output::write_to(Some(path), |out| {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        out.write_all(b"\n")?;
        Ok(())
    })
}

/// The summary of a finished run on stdout.
pub fn print_summary(run: &Run, steps: &[JournalStep], report: &Path) -> anyhow::Result<()> {
    use std::io::Write as _;
    let counts = count(steps);
    // On a colour terminal, what needs a person's eyes stands out; the words say it without colour.
    let palette = crate::colour::Palette::stdout();
    let status = match run.status {
        RunStatus::Completed => palette.fine(run.status.as_str()),
        RunStatus::Running => palette.caution(run.status.as_str()),
        RunStatus::CompletedWithErrors | RunStatus::Refused => {
            palette.attention(run.status.as_str())
        }
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "run {} ({}): {status}", run.id, run.kind.as_str())?;
    let unfinished = counts.planned + counts.started;
    writeln!(
        out,
        "  {} done, {}, {}, {}, {}",
        counts.done,
        palette.attention_if(counts.failed > 0, format!("{} failed", counts.failed)),
        palette.attention_if(
            counts.conflict > 0,
            format!("{} in conflict", counts.conflict)
        ),
        palette.attention_if(counts.skipped > 0, format!("{} skipped", counts.skipped)),
        palette.attention_if(unfinished > 0, format!("{unfinished} not finished"))
    )?;
    for journal in steps.iter().filter(|step| {
        matches!(
            step.state,
            StepState::Failed | StepState::Conflict | StepState::Skipped
        )
    }) {
        writeln!(
            out,
            "  {} step {}: {} `{}` of `{}`: {}",
            palette.attention(journal.state.as_str()),
            journal.seq,
            journal.step.system,
            journal.step.attribute,
            journal.step.label_or_target(),
            journal.message.as_deref().unwrap_or("")
        )?;
    }
    writeln!(out, "report: {}", report.display())?;
    Ok(())
}

/// Runs (or resumes) `run` to its end, closes the connections, writes the report and prints the
/// summary. Returns the finished run and the exit status: 0 when every step was done, 1 otherwise.
pub async fn run_and_report(
    store: &Store,
    data: &crate::data_dir::DataDir,
    run: &Run,
    mut targets: Targets,
    reporter: &dyn Reporter,
) -> anyhow::Result<(Run, crate::exit::ExitStatus)> {
    let finished = run_steps(store, run, &mut targets, reporter).await;
    targets.close().await;
    let finished = finished?;
    let run = store.find_run(&run.id)?;
    let report = data.report_path(&run.id);
    write_report(&report, &run, &finished, &[])?;
    print_summary(&run, &finished, &report)?;
    let status = status_of(&finished);
    Ok((run, status))
}

/// A run's fields as the report and `runs --format json` write them.
pub fn run_json(run: &Run) -> serde_json::Map<String, Value> {
    let fields = json!({
        "id": run.id,
        "kind": run.kind.as_str(),
        "status": run.status.as_str(),
        "startedAt": run.started_at,
        "finishedAt": run.finished_at,
        "planPath": run.plan_path,
        "planSha256": run.plan_sha256,
        "undoes": run.undoes,
    });
    match fields {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// One step on one line: `  cloud set-immutable-id `onPremisesImmutableId` of `taro@…`: `a` → `b``.
pub fn step_line(step: &PlannedStep) -> String {
    format!(
        "  {} {} `{}` of `{}`: `{}` → `{}`",
        step.system,
        step.purpose,
        step.attribute,
        step.label_or_target(),
        step.before.display(),
        step.after.display()
    )
}

/// Step counts as the report and `runs --format json` write them.
pub fn counts_json(counts: &StepCounts) -> Value {
    json!({
        "planned": counts.planned,
        "started": counts.started,
        "done": counts.done,
        "failed": counts.failed,
        "conflict": counts.conflict,
        "skipped": counts.skipped,
    })
}

/// The exit status of a finished run: 0 when every step was done, 1 otherwise.
fn status_of(steps: &[JournalStep]) -> crate::exit::ExitStatus {
    if steps.iter().all(|step| step.state == StepState::Done) {
        crate::exit::ExitStatus::Success
    } else {
        crate::exit::ExitStatus::Attention
    }
}

/// A multi-threaded runtime for a journaled command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
