//! The command line's shape. Doc comments here are the `--help` text.

use std::path::PathBuf;

use anchorsync_core::anchor::AnchorSource;
use anchorsync_core::convert::IdentifierForm;
use anchorsync_core::engine::rules::SmtpMatchScope;
use anchorsync_core::engine::source_anchor::AnchorEncoding;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Make on-premises Active Directory the source of the users that Microsoft 365 (Entra ID) and your
/// identity provider (HENNGE Access Control, ...) already hold, without breaking sign-in.
///
/// anchorsync inventories AD and the tenant, predicts what Entra will do for every user (hard match,
/// soft match, conflict, duplicate...), fixes the ImmutableIDs with a journal that can undo, verifies,
/// and synchronises.
#[derive(Debug, Parser)]
#[command(
    name = "anchorsync",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
    /// The configuration file with the `[ad]` and `[graph]` connections (default: `anchorsync.toml`
    /// in the current directory). Accepted before or after the command.
    #[arg(long, global = true, env = "ANCHORSYNC_CONFIG", value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,
    /// Where the journal (`anchorsync.db`) and the run reports (`runs/<id>.json`) live (default: the
    /// platform's data directory, `~/.local/share/anchorsync` on Linux). Accepted before or after the
    /// command.
    #[arg(long, global = true, env = "ANCHORSYNC_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<std::path::PathBuf>,
    /// Whether `data_dir` came from `ANCHORSYNC_DATA_DIR` rather than the command line: the demo keeps
    /// its rehearsal runs out of a journal the environment names for real work.
    #[arg(skip)]
    pub data_dir_from_env: bool,
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Convert an identifier between its forms: GUID, ImmutableID, hex, LDAP filter escape, SID.
    ///
    /// The input form is detected; `--from` names it when detection cannot decide. Every form of the
    /// value is printed. A cloud ImmutableID that is not canonical Base64 is refused: no AD value
    /// encodes to it. Exit status 2 when the value is not an identifier.
    #[command(
        after_help = "Examples:\n  anchorsync convert 88666888-0101-1111-bbbb-1234567890ab\n  \
                            anchorsync convert iGhmiAEBERG7uxI0VniQqw== --format json\n  \
                            anchorsync convert AQUAAAAAAAUVAAAAyY/ygNpbGR4L6toDTgQAAA==\n  \
                            anchorsync convert --from text E10023"
    )]
    Convert(ConvertArgs),
    /// Check values against the sourceAnchor rules.
    ///
    /// Fewer than 60 characters where each character outside a-z A-Z 0-9 counts 3; for string sources
    /// none of \ ! # $ % & * + / = ? ^ ` { } | ~ < > ( ) ' ; : , [ ] " @ _; never `$` or `_` (Graph);
    /// unique among the values given, with values that differ only by case flagged. Exit status 1 when
    /// any value is invalid.
    CheckAnchor(CheckAnchorArgs),
    /// Save what a source holds now (AD as LDIF, the tenant as Graph JSON), to plan offline, share
    /// with a colleague, or rehearse against the twin.
    #[command(subcommand_required = true)]
    Snapshot(SnapshotArgs),
    /// Predict, for every on-premises user, what Entra will do on the first sync, and why.
    ///
    /// Each user gets one outcome: hard-match, soft-match-smtp, soft-match-upn or create (fine), or
    /// create-with-conflict, invalid-soft-match, admin-role-conflict, hard-match-blocked, ambiguous,
    /// invalid-anchor, duplicate-anchor (needs attention), with the reasons and the warnings an
    /// administrator should read. Exit status 0 when every user is fine, 1 when any needs attention, 2 on
    /// bad input.
    #[command(
        after_help = "Examples:\n  anchorsync plan --ad users.ldif --cloud tenant.json\n  \
                      anchorsync plan --ad users.ldif --cloud tenant.json --format json -o plan.json\n  \
                      anchorsync plan --ad users.ldif --cloud tenant.json --anchor-attribute employeeID \
                      --anchor-encoding base64\n  \
                      anchorsync plan --ad users.ldif --cloud tenant.json --strategy hard-ad --format json -o plan.json\n  \
                      anchorsync plan --ad ad --cloud graph --strategy hard-cloud --mapping pairs.csv \
                      --join-attribute employeeId"
    )]
    Plan(PlanArgs),
    /// Write a synthetic AD inventory (LDIF) and tenant snapshot with a chosen mix of outcomes.
    ///
    /// A developer tool for tests, benchmarks and demos: `ad.ldif`, `tenant.json` and `expected.json`
    /// (the outcome counts the engine must predict) in the output directory, the same bytes for the same
    /// seed.
    #[command(hide = true)]
    Generate(GenerateArgs),
    /// The local Microsoft Graph twin: a tenant that follows Graph's and Entra's rules, for
    /// rehearsals and tests.
    #[command(subcommand)]
    Twin(TwinCommand),
    /// Carry out the changes of a plan made with `plan --strategy`, each one journaled before it is
    /// made.
    ///
    /// Without `--yes` it only shows what it would do (a dry run: nothing is read, written or
    /// journaled). With `--yes` it first reads every value the plan will change and refuses the whole
    /// plan, writing nothing, when any of them no longer holds its planned `before` value; then it
    /// records each step in the journal as started (on disk) before writing it, writes it as a
    /// compare-and-set (AD: one LDAP modify that deletes the old value and adds the new; Microsoft 365:
    /// read, compare, PATCH with an explicit null to clear), and records its result. A user whose step
    /// fails keeps its remaining steps undone, except that a federated user's UPN is always moved back.
    /// Interrupted at any moment (even by SIGKILL), run the same command again: it resumes the run, and
    /// no step is done twice. Exit status 0 when every step was done, 1 when some failed or met a
    /// changed value (or the plan was refused as stale), 2 on bad input.
    #[command(
        after_help = "Examples:\n  anchorsync plan --ad ad --cloud graph --strategy hard-cloud --format json -o plan.json\n  \
                      anchorsync apply plan.json              # what would happen\n  \
                      anchorsync apply plan.json --yes        # do it (run again to resume)\n  \
                      anchorsync apply plan.json --emit ldif -o changes.ldif   # for ldapmodify, and changes-cloud.ps1"
    )]
    Apply(ApplyArgs),
    /// Reverse a run: restore every value its done steps replaced, newest first.
    ///
    /// A new run of kind `undo`, journaled and resumable like `apply`. Each value is restored as a
    /// compare-and-set: a value changed since the run is reported as a conflict and never overwritten.
    /// A federated user's ImmutableID is restored inside the same UPN workaround. Without `--yes` it
    /// only shows what it would do.
    #[command(
        after_help = "Examples:\n  anchorsync runs\n  anchorsync undo 20261122T051500Z-3f9a\n  \
                      anchorsync undo 20261122T051500Z-3f9a --yes"
    )]
    Undo(UndoArgs),
    /// List the runs in the journal: id, kind, start, status and step counts.
    #[command(after_help = "Examples:\n  anchorsync runs\n  anchorsync runs --format json")]
    Runs(RunsArgs),
    /// The tenant's synchronisation switches that decide matching: show them, or turn soft and hard
    /// matching blocks off and on as a journaled, undoable run.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Check that every user's ImmutableID agrees across AD, Microsoft 365 and the identity provider.
    ///
    /// Re-reads AD (the sourceAnchor), the tenant (onPremisesImmutableId) and, with `--hac`, a HENNGE
    /// Access Control user export. What the first sync does to each user is the match engine's
    /// prediction, exactly as `plan` makes it (the same outcome and cloud user); verify reports per user
    /// whether the values agree around it (HAC users are found by sign-in name, else username). A
    /// disagreement on a user of a federated domain is a sign-in failure waiting to happen
    /// (AADSTS51004). Exit status 0 when everything agrees, 1 when anything needs attention, 2 on bad
    /// input.
    #[command(
        after_help = "Examples:\n  anchorsync verify --ad users.ldif --cloud tenant.json --hac hac-users.csv\n  \
                      anchorsync verify --hac hac-users.csv --format json -o verify.json\n  \
                      anchorsync verify --ad users.ldif --cloud tenant.json --hac export.csv --hac-column immutableId=\"Federation ID\""
    )]
    Verify(VerifyArgs),
    /// Check AD's users, and the groups and contacts holding addresses, against the rules Entra
    /// applies: the data-quality check IdFix did, with the duplicates it never saw.
    ///
    /// Rules (each has an id for `--ignore` and the exception file): Graph's lengths per attribute;
    /// userPrincipalName characters, 113 characters with at most 64 before the `@` and 48 after, no `.`
    /// before the `@`; mailNickname and sAMAccountName characters; proxy addresses by type; SMTP format
    /// and top-level domains (a bundled list, extended with `--tld-file`); blanks Entra needs; leading and
    /// trailing spaces; with `--cloud`, UPN suffixes the tenant has not verified; and duplicates of UPN,
    /// mail and every proxy address across attributes and objects (an `smtp:` address equal to another
    /// user's UPN is one), within AD and, with `--cloud`, against cloud objects no AD user matches. The
    /// objects IdFix skips (krbtgt, system mailboxes, critical system objects…) are skipped. Each
    /// finding has the object, attribute, value, rule, why, and a proposed value where one is safe
    /// (never for a duplicate). `--fix FILE` writes the accepted fixes as a plan `apply` carries out.
    /// Exit status 0 when nothing is found, 1 when something is, 2 on bad input.
    #[command(after_help = "Examples:\n  anchorsync lint --ad users.ldif\n  \
                      anchorsync lint --ad ad --cloud graph --format html -o lint.html\n  \
                      anchorsync lint --ad users.ldif --format csv -o findings.csv\n  \
                      anchorsync lint --ad ad --fix fixes.json --accept whitespace --accept upn-dot-before-at\n  \
                      anchorsync lint --ad ad --fix fixes.json --actions findings.csv   # ACTION column: keep, remove, edit\n  \
                      anchorsync apply fixes.json --yes")]
    Lint(LintArgs),
    /// Synchronise AD to Microsoft 365 through Microsoft Graph: test sync by default, `--apply` to write.
    ///
    /// Reads the AD users in scope (`[ad]`, or `--ad FILE`) and the tenant with its deleted users
    /// (`[graph]`, a twin's URL, or a snapshot file), and the links the last runs stored, and prints what a
    /// sync does, per user and per property: create, join (the match engine's first join, exactly as
    /// `plan` predicts), update (property old → new), enable, disable, restore, delete, or an export
    /// error with its reason (docs/sync-format.md). A test sync writes nothing: exit 0 when in sync, 1
    /// when changes are pending or a user has an export error, 2 on bad input.
    ///
    /// `--apply` shows the same, asks (y/N; `--yes` does not ask), and carries it out as one journaled
    /// run: each write is recorded as started before it is sent and is a compare-and-set (a value
    /// changed in the cloud since it was read is a conflict, never overwritten); created users get a
    /// random password nobody sees; links are stored as their writes succeed. A run whose disables and
    /// deletes exceed `max_deletions` or `max_deletion_percent` (`[sync]`) writes nothing; `--allow-deletions
    /// N` lets exactly that run through. Interrupted (even by SIGKILL), run it again: the run is
    /// resumed and no write is made twice. `anchorsync runs` lists sync runs, `anchorsync undo RUN`
    /// reverses one. Exit 0 when every write was done and no user has an export error, 1 otherwise.
    #[command(
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  anchorsync sync                                  # test sync: AD and tenant of anchorsync.toml\n  \
                      anchorsync sync --ad users.ldif --cloud tenant.json --format json -o sync.json\n  \
                      anchorsync sync --apply                          # asks, then writes\n  \
                      anchorsync sync --apply --yes --allow-deletions 120\n  \
                      anchorsync sync status"
    )]
    Sync(SyncArgs),
    /// Walk through a switch-over on bundled sample data, with a local twin of Microsoft Graph.
    ///
    /// A HENNGE-style tenant (a federated domain, about 200 users covering every outcome, a few
    /// admins), following HENNGE's recommended method: plan (the HTML report) and verify against HENNGE
    /// Access Control's user list; `hard-ad` carried out on a copy of the AD export (the LDIF of
    /// `apply --emit ldif` applied as ldapmodify would); the hard-match block switched off; plan and
    /// verify again; `hard-cloud` applied to the twin for the users AD cannot take the value of, and
    /// HENNGE's side after its sync from AD; the last verify; the first sync from AD (the test sync,
    /// then `sync --apply` against the twin, checked: every user joined as `plan` predicted); what
    /// `undo` would reverse. Each step runs
    /// the real command and shows it with its output. Needs no server, no network and no
    /// configuration. The journal of its runs goes to `data` in the output directory unless
    /// `--data-dir` is given on the command line (`ANCHORSYNC_DATA_DIR` is ignored: rehearsal runs stay
    /// out of the real journal).
    #[command(after_help = "Examples:\n  anchorsync demo\n  anchorsync demo --out ./demo-output")]
    Demo(DemoArgs),
}

/// `anchorsync sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// `sync status`; without it, a sync.
    #[command(subcommand)]
    pub command: Option<SyncCommand>,
    /// The sync's options.
    #[command(flatten)]
    pub run: SyncRunArgs,
}

/// `anchorsync sync ...`.
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// The state of the sync: the last run, the links, the export errors kept, and the changes a sync
    /// would make now (a test sync of `--ad` and `--cloud`).
    ///
    /// Exit 0 when nothing is pending and no user has an export error, 1 otherwise, 2 on bad input.
    #[command(
        after_help = "Examples:\n  anchorsync sync status\n  anchorsync sync status --format json"
    )]
    Status(SyncStatusArgs),
}

/// Where a sync reads from, and how the sourceAnchor is made (as for `plan`).
#[derive(Debug, Args)]
pub struct SyncSources {
    /// The on-premises users: `ad` for the live directory of `anchorsync.toml`'s `[ad]` section (an
    /// `ldaps://` URL names one server of it), or a file (LDIF or Export-Csv), for a test sync.
    #[arg(long, value_name = "SRC", default_value = "ad")]
    pub ad: String,
    /// The tenant: `graph` for the live tenant of `[graph]` (an `https://` URL replaces its Graph root,
    /// such as a twin's), or a snapshot file, for a test sync.
    #[arg(long, value_name = "SRC", default_value = "graph")]
    pub cloud: String,
    /// The AD attribute that holds the sourceAnchor (as for `plan`).
    #[arg(long, value_name = "A", default_value = "mS-DS-ConsistencyGuid")]
    pub anchor_attribute: String,
    /// How the attribute becomes the sourceAnchor (as for `plan`).
    #[arg(long, value_enum, default_value_t)]
    pub anchor_encoding: AnchorEncoding,
    /// Which cloud proxy addresses the SMTP soft match compares with (as for `plan`).
    #[arg(long, value_enum, default_value_t)]
    pub smtp_match: SmtpMatchScope,
}

/// How `sync` writes its plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum SyncFormat {
    /// Counts, the deletion guard, then each user with something to write or an export error, per
    /// property.
    #[default]
    Table,
    /// The whole sync plan (docs/sync-format.md).
    Json,
    /// One row per user and property, for Excel (UTF-8 with BOM, CRLF).
    Csv,
    /// One self-contained page in the style of the plan report (no network fetches).
    Html,
}

/// `anchorsync sync`'s options.
#[derive(Debug, Args)]
pub struct SyncRunArgs {
    /// The sources.
    #[command(flatten)]
    pub sources: SyncSources,
    /// Output format of the plan.
    #[arg(long, value_enum, default_value_t)]
    pub format: SyncFormat,
    /// Write the plan to this file instead of stdout (written whole or not at all).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Carry the sync out (after a y/N question on a terminal): every write journaled, compare-and-set.
    /// Needs the live tenant (`--cloud graph` or a URL), and the live directory when an anchor is written
    /// back to AD.
    #[arg(long)]
    pub apply: bool,
    /// With `--apply`: do not ask.
    #[arg(long, requires = "apply")]
    pub yes: bool,
    /// Let this run through the deletion guard when it disables or deletes exactly N users (the number
    /// the refused run printed); any other number is refused.
    #[arg(long, value_name = "N")]
    pub allow_deletions: Option<usize>,
}

/// `anchorsync sync status`.
#[derive(Debug, Args)]
pub struct SyncStatusArgs {
    /// The sources of the test sync that counts the pending changes.
    #[command(flatten)]
    pub sources: SyncSources,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `anchorsync demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the demo's files (default: a new directory in the system's temporary directory,
    /// kept and named at the end).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// How `verify` writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum VerifyFormat {
    /// Counts, then the users that need attention.
    #[default]
    Table,
    /// The whole report.
    Json,
    /// One row per user, for Excel (UTF-8 with BOM, CRLF).
    Csv,
}

/// `anchorsync verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The on-premises users: a file (LDIF or Export-Csv), or `ad` for the live directory of
    /// `anchorsync.toml` (an `ldaps://` URL names one server of it).
    #[arg(long, value_name = "SRC", default_value = "ad")]
    pub ad: String,
    /// The tenant: a snapshot file, or `graph` for the live tenant of `anchorsync.toml` (an `https://`
    /// URL replaces its Graph root, such as a twin's).
    #[arg(long, value_name = "SRC", default_value = "graph")]
    pub cloud: String,
    /// A HENNGE Access Control user export (CSV or TSV; UTF-8 or UTF-16), read by its header names.
    #[arg(long, value_name = "FILE")]
    pub hac: Option<PathBuf>,
    /// Names the export's column for a role when its header is spelled differently:
    /// `immutableId=NAME`, `userPrincipalName=NAME` or `username=NAME`. Repeatable.
    #[arg(long = "hac-column", value_name = "ROLE=NAME", requires = "hac")]
    pub hac_columns: Vec<String>,
    /// The AD attribute that holds the sourceAnchor (as for `plan`).
    #[arg(long, value_name = "A", default_value = "mS-DS-ConsistencyGuid")]
    pub anchor_attribute: String,
    /// How the attribute becomes the sourceAnchor (as for `plan`).
    #[arg(long, value_enum, default_value_t)]
    pub anchor_encoding: AnchorEncoding,
    /// Which cloud proxy addresses the SMTP soft match compares with (as for `plan`).
    #[arg(long, value_enum, default_value_t)]
    pub smtp_match: SmtpMatchScope,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: VerifyFormat,
    /// Write to this file instead of stdout (written whole or not at all).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `anchorsync apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The plan (JSON, written by `plan --strategy ... --format json`).
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Make the changes. Without it, nothing is read, written or journaled.
    #[arg(long)]
    pub yes: bool,
    /// Instead of executing, write the changes as files for someone else to run: the AD changes as
    /// `ldif` (an LDIF modify file for ldapmodify or ldifde) or `powershell` (Set-ADUser), to `-o FILE`;
    /// the Microsoft 365 changes as a Microsoft Graph PowerShell script beside it, named FILE without its
    /// extension plus `-cloud.ps1`. Nothing is executed or journaled.
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        requires = "output",
        conflicts_with = "yes"
    )]
    pub emit: Option<EmitFormat>,
    /// The file `--emit` writes the AD changes to.
    #[arg(short, long, value_name = "FILE", requires = "emit")]
    pub output: Option<PathBuf>,
    /// Users whose steps run at once (1 to 256; 1 runs one step at a time). Overrides
    /// `[runs] concurrency` in the configuration; default 32. One user's steps always run in order.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
}

/// What `apply --emit` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EmitFormat {
    /// An LDIF modify file: each change deletes the old value and adds the new one in one record, so
    /// ldapmodify refuses a value that changed since the plan.
    Ldif,
    /// A PowerShell script with the ActiveDirectory module: each user's value is checked, then
    /// `Set-ADUser -Replace` (or `-Clear`).
    Powershell,
}

/// `anchorsync undo`.
#[derive(Debug, Args)]
pub struct UndoArgs {
    /// The run to reverse (its id, or the start of it, as `anchorsync runs` lists it).
    #[arg(value_name = "RUN")]
    pub run: String,
    /// Make the changes. Without it, only what would be done is shown.
    #[arg(long)]
    pub yes: bool,
    /// Users whose steps run at once (1 to 256; 1 runs one step at a time). Overrides
    /// `[runs] concurrency` in the configuration; default 32. One user's steps always run in order.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: Option<u16>,
}

/// `anchorsync runs`.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `anchorsync tenant ...`.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Show the tenant's onPremisesSynchronization features, the three that decide matching first.
    #[command(
        after_help = "Examples:\n  anchorsync tenant show\n  anchorsync tenant show --format json"
    )]
    Show(TenantShowArgs),
    /// Turn the soft-match and hard-match (cloud object takeover) blocks off or on.
    ///
    /// A journaled run of kind `tenant-matching`: `anchorsync undo RUN` puts the switches back.
    /// Microsoft advises keeping both blocks on except while a matching procedure runs, so switch
    /// them back on when matching is done. Without `--yes` only what would change is shown.
    #[command(
        after_help = "Examples:\n  anchorsync tenant matching --block-soft-match off --yes\n  \
                      anchorsync tenant matching --block-soft-match on --block-hard-match on --yes"
    )]
    Matching(TenantMatchingArgs),
}

/// `anchorsync tenant show`.
#[derive(Debug, Args)]
pub struct TenantShowArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `anchorsync tenant matching`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("switch").required(true).multiple(true)))]
pub struct TenantMatchingArgs {
    /// `blockSoftMatchEnabled`: `on` blocks soft matching (by SMTP address or UPN) for the whole tenant.
    #[arg(long, value_enum, value_name = "on|off", group = "switch")]
    pub block_soft_match: Option<Switch>,
    /// `blockCloudObjectTakeoverThroughHardMatchEnabled`: `on` stops a hard match from taking over a
    /// cloud-managed user.
    #[arg(long, value_enum, value_name = "on|off", group = "switch")]
    pub block_hard_match: Option<Switch>,
    /// Make the change. Without it, only what would change is shown.
    #[arg(long)]
    pub yes: bool,
}

/// A tenant switch's wanted position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl Switch {
    /// `true` for on.
    pub fn is_on(self) -> bool {
        self == Self::On
    }
}

/// `anchorsync snapshot cloud`.
#[derive(Debug, Args)]
pub struct SnapshotCloudArgs {
    /// Where to write the snapshot (replaced whole, never half-written); stdout when absent.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
}

/// `anchorsync twin ...`.
#[derive(Debug, Subcommand)]
pub enum TwinCommand {
    /// Serve the twin: Graph v1.0 at `http://ADDR/v1.0`, the token endpoint at
    /// `http://ADDR/{tenant}/oauth2/v2.0/token` (`https://` with `--tls`).
    ///
    /// The first line on stdout is the Graph root URL. With `--state`, the tenant snapshot is loaded
    /// from FILE and saved back to it (atomically) after writes, before each write is answered, so a
    /// killed twin keeps every write it acknowledged; and once more on SIGINT or SIGTERM. Without
    /// `--twin-config`, one app registration is accepted: client id `ANCHORSYNC_TWIN_CLIENT_ID` (default
    /// `00000000-0000-4000-8000-0000000a11ce`), secret from `ANCHORSYNC_TWIN_CLIENT_SECRET` or the
    /// file named by `ANCHORSYNC_TWIN_CLIENT_SECRET_FILE`, with User.ReadWrite.All, Domain.Read.All,
    /// RoleManagement.Read.Directory and OnPremDirectorySynchronization.ReadWrite.All.
    #[command(
        after_help = "Example:\n  anchorsync snapshot cloud -o tenant.json\n  \
                      ANCHORSYNC_TWIN_CLIENT_SECRET=rehearsal anchorsync twin serve --state tenant.json\n  \
                      ANCHORSYNC_TWIN_CLIENT_SECRET=rehearsal anchorsync twin serve --tls --tls-ca-out twin-ca.pem"
    )]
    Serve(TwinServeArgs),
    /// Check that a twin answers: exit 0 when it does, 2 when it does not.
    Healthcheck(TwinHealthcheckArgs),
}

/// `anchorsync twin serve`.
#[derive(Debug, Args)]
pub struct TwinServeArgs {
    /// Tenant snapshot to serve, saved back to the same file after writes and on shutdown. Without
    /// it the twin serves an empty tenant with the initial domain `twin.onmicrosoft.com` and saves
    /// nothing.
    #[arg(long, value_name = "FILE")]
    pub state: Option<std::path::PathBuf>,
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8400")]
    pub listen: std::net::SocketAddr,
    /// Twin configuration (TOML): tenant id, app registrations (secrets by `secret_env` or
    /// `secret_file`, certificates), throttling, fault injection, advanced-query strictness.
    #[arg(long, value_name = "FILE")]
    pub twin_config: Option<std::path::PathBuf>,
    /// Serve HTTPS, as Microsoft's client libraries (MSAL, azure-identity) require. Without
    /// `--tls-cert`, with a certificate for `localhost`, `127.0.0.1` and `::1` signed by a throwaway
    /// CA made at start-up, whose certificate is written to a file named on stderr: clients trust
    /// it with `REQUESTS_CA_BUNDLE`, `SSL_CERT_FILE`, or `ca_file` in `[graph]`.
    #[arg(long)]
    pub tls: bool,
    /// With `--tls`: serve this certificate chain (PEM, the server's certificate first) instead.
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_key"])]
    pub tls_cert: Option<std::path::PathBuf>,
    /// With `--tls-cert`: its private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires_all = ["tls", "tls_cert"])]
    pub tls_key: Option<std::path::PathBuf>,
    /// With `--tls`: where to write the throwaway CA's certificate (default: a file in the
    /// system's temporary directory, named after the port).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls",
        conflicts_with = "tls_cert"
    )]
    pub tls_ca_out: Option<std::path::PathBuf>,
}

/// `anchorsync twin healthcheck`.
#[derive(Debug, Args)]
pub struct TwinHealthcheckArgs {
    /// The twin's URL: its root, or the Graph root `twin serve` prints first (`.../v1.0`); `https://…`
    /// for a twin served with `--tls`.
    #[arg(long, default_value = "http://127.0.0.1:8400")]
    pub url: String,
    /// A CA certificate (PEM) to trust in addition to the system's, such as the throwaway CA
    /// `twin serve --tls` wrote.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<std::path::PathBuf>,
}

/// Text for people or JSON for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum OutputFormat {
    /// Aligned text.
    #[default]
    Text,
    /// JSON on stdout.
    Json,
}

/// `anchorsync convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The value: a GUID, ImmutableID, 32 hex digits, `\XX` LDAP escape, SID, or Base64 of an objectSid.
    pub value: String,
    /// Read the value as this form instead of detecting it (`text`: a string to Base64-encode).
    #[arg(long, value_enum)]
    pub from: Option<IdentifierForm>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `anchorsync check-anchor`.
#[derive(Debug, Args)]
pub struct CheckAnchorArgs {
    /// The values to check.
    #[arg(required = true)]
    pub values: Vec<String>,
    /// Where the values come from: `auto` reads canonical Base64 of 16 bytes, or with `+ / =` in it,
    /// as an encoded binary attribute, and anything else as a string attribute used as is.
    #[arg(long, value_enum, default_value_t)]
    pub source: AnchorSource,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

/// `anchorsync snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// What to snapshot.
    #[command(subcommand)]
    pub command: SnapshotCommand,
}

/// The sources a snapshot can be taken of.
#[derive(Debug, Subcommand)]
pub enum SnapshotCommand {
    /// The users in scope, read from a domain controller (the `[ad]` section), as LDIF.
    ///
    /// Every attribute anchorsync reads is written, binary ones in Base64, sorted by DN; read back
    /// with `--ad FILE` it gives the same users as the live read.
    #[command(
        after_help = "Examples:\n  anchorsync snapshot ad -o corp-users.ldif\n  \
                            anchorsync --config lab.toml snapshot ad | less"
    )]
    Ad(SnapshotAdArgs),
    /// The tenant from Microsoft Graph (or a twin): users, domains, role assignments and the
    /// synchronisation settings, in Graph's own JSON shapes, sorted.
    ///
    /// Connection settings come from the `[graph]` section of `anchorsync.toml`. The file is
    /// written whole or not at all; it can be served by `anchorsync twin serve --state FILE` and
    /// read by `plan --cloud FILE`. A tenant that refuses `onPremisesSynchronization` to the app
    /// gives a warning, not an error.
    #[command(
        after_help = "Examples:\n  anchorsync snapshot cloud -o tenant.json\n  \
                      anchorsync --config prod.toml snapshot cloud -o tenant.json"
    )]
    Cloud(SnapshotCloudArgs),
}

/// `anchorsync snapshot ad`.
#[derive(Debug, Args)]
pub struct SnapshotAdArgs {
    /// Write to this file (replaced whole, never half-written) instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// Only the users changed since the previous `--changes` run with the same `--state` (DirSync, or
    /// `uSNChanged` when the bind account lacks the replication right); the first run writes everyone.
    /// Objects that left the scope are listed as comments. The cookie is saved only once the output
    /// is written.
    #[arg(long, requires = "state")]
    pub changes: bool,
    /// The state database that keeps the delta cookie per source (server and base DNs).
    #[arg(long, value_name = "FILE")]
    pub state: Option<std::path::PathBuf>,
}

/// How `lint` writes its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum LintFormat {
    /// Counts per rule, then each finding, for a terminal.
    #[default]
    Table,
    /// Every finding (docs/lint-format.md).
    Json,
    /// One row per finding with ACTION and UPDATE columns to fill in for `--actions` (UTF-8 with BOM,
    /// CRLF, for Excel).
    Csv,
    /// One self-contained page in the plan report's style: counts per rule, a filterable table.
    Html,
}

/// `anchorsync lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The on-premises objects, read as `plan` reads `--ad`: an LDIF or Export-Csv file, or `ad` for
    /// the live directory of `anchorsync.toml`'s `[ad]` section (an `ldaps://` URL names one server of
    /// it instead). Live, users are those `plan` reads; groups and contacts holding `mail` or
    /// `proxyAddresses` under the base DNs are added.
    #[arg(long, value_name = "SRC")]
    pub ad: String,
    /// The tenant, read as `plan` reads `--cloud`: adds the unverified-UPN-suffix rule and compares
    /// AD's addresses with the cloud users no AD user matches.
    #[arg(long, value_name = "SRC")]
    pub cloud: Option<String>,
    /// With `--cloud`: the AD attribute that holds the sourceAnchor, to tell which cloud users AD matches.
    #[arg(long, value_name = "A", default_value = "mS-DS-ConsistencyGuid")]
    pub anchor_attribute: String,
    /// Leave out this rule's findings (its id, as in the report); repeatable.
    #[arg(long, value_name = "RULE")]
    pub ignore: Vec<String>,
    /// A file of per-object exceptions: each line `RULE DN` (`*` for every rule of that object);
    /// `#` starts a comment line.
    #[arg(long, value_name = "FILE")]
    pub exceptions: Option<PathBuf>,
    /// More top-level domains, one a line (the bundled list is the Public Suffix List's).
    #[arg(long, value_name = "FILE")]
    pub tld_file: Option<PathBuf>,
    /// Write the accepted fixes to FILE as a plan for `apply` (compare-and-set, journaled, undoable).
    /// Needs `--accept` or `--actions`. Duplicates are never fixed automatically.
    #[arg(long, value_name = "FILE")]
    pub fix: Option<PathBuf>,
    /// With `--fix`: accept the proposed value of this rule's findings (`all` for every rule);
    /// repeatable.
    #[arg(long, value_name = "RULE|all", requires = "fix")]
    pub accept: Vec<String>,
    /// With `--fix`: the findings CSV (`--format csv`) with its ACTION column filled in: `keep`
    /// (or empty) does nothing, `remove` clears the value (one value of proxyAddresses), `edit` writes the
    /// UPDATE column.
    #[arg(long, value_name = "FILE", requires = "fix")]
    pub actions: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: LintFormat,
    /// Write to this file instead of stdout (written whole or not at all).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// How `plan` writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum PlanFormat {
    /// Counts, then the users that need attention, for a terminal.
    #[default]
    Table,
    /// The whole plan (docs/plan-format.md).
    Json,
    /// One row per user, for Excel (UTF-8 with BOM, CRLF).
    Csv,
    /// One self-contained page (no network fetches): the summary as a chart, a filterable and sortable
    /// table of users, each user's reasons. Best below a few hundred thousand users.
    Html,
}

/// `anchorsync plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The on-premises users: an LDIF file (`ldapsearch`, `ldifde -f`, `snapshot ad`) or an Export-Csv
    /// file; or `ad` for the live directory of `anchorsync.toml`'s `[ad]` section (an `ldaps://` URL
    /// names one server of it instead).
    #[arg(long, value_name = "SRC")]
    pub ad: String,
    /// The tenant: a snapshot file (JSON in Microsoft Graph's shapes, `snapshot cloud`), or `graph` for
    /// the live tenant of `anchorsync.toml`'s `[graph]` section (an `https://` URL replaces its Graph
    /// root, such as a twin's).
    #[arg(long, value_name = "SRC")]
    pub cloud: String,
    /// The AD attribute that holds the sourceAnchor. `mS-DS-ConsistencyGuid` falls back to `objectGUID`
    /// when empty, as Entra Connect does.
    #[arg(long, value_name = "A", default_value = "mS-DS-ConsistencyGuid")]
    pub anchor_attribute: String,
    /// How the attribute becomes the sourceAnchor: `auto` Base64-encodes binary attributes and copies
    /// string attributes (Entra Connect); `base64` encodes any attribute (HENNGE Directory Sync); `raw`
    /// copies it as text.
    #[arg(long, value_enum, default_value_t)]
    pub anchor_encoding: AnchorEncoding,
    /// Which cloud proxy addresses the SMTP soft match compares the on-premises primary SMTP address
    /// with: every proxy address (as Microsoft's InvalidSoftMatch example), or primary ones only (as its
    /// existing-tenant page says).
    #[arg(long, value_enum, default_value_t)]
    pub smtp_match: SmtpMatchScope,
    /// Also plan how to make each pair match, and predict the outcome after the change: `hard-ad`
    /// writes the cloud ImmutableID, decoded, into the AD anchor attribute; `hard-cloud` sets the cloud
    /// onPremisesImmutableId to the sourceAnchor (moving a federated user's UPN to the initial domain and
    /// back around it); `soft` clears the cloud onPremisesImmutableId so the first sync soft-matches.
    /// Users a strategy cannot fix are listed with the reason and the strategy that would work.
    #[arg(long, value_enum, value_name = "STRATEGY")]
    pub strategy: Option<anchorsync_core::remediation::Strategy>,
    /// With `--strategy`: a CSV file of explicit pairs, overriding the automatic pairing. Header: one
    /// of `dn`, `userPrincipalName`, `sAMAccountName`, `objectGUID`, and one of `cloudUserId`,
    /// `cloudUserPrincipalName`.
    #[arg(long, value_name = "FILE", requires = "strategy")]
    pub mapping: Option<PathBuf>,
    /// With `--strategy`: also pair by this attribute: `employeeId` (AD employeeID = cloud employeeId),
    /// `extensionAttributeN` (= onPremisesExtensionAttributes), or `AD=CLOUD` for another pair.
    #[arg(long, value_name = "ATTRIBUTE", requires = "strategy")]
    pub join_attribute: Option<String>,
    /// Only read and check both inputs, as `plan` reads them, and print how many users each holds; no
    /// matching, no plan. A quick check of an export, and the floor the million-user benchmark compares
    /// `plan` with (docs/PERFORMANCE.md).
    #[arg(long, conflicts_with_all = ["strategy", "output"])]
    pub parse_only: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: PlanFormat,
    /// Write to this file instead of stdout (written whole or not at all).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `anchorsync generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// On-premises users to generate.
    #[arg(long, required_unless_present = "demo")]
    pub users: Option<usize>,
    /// Cloud users in the snapshot (default: as many as on-premises users; never fewer than the cases
    /// need).
    #[arg(long)]
    pub cloud_users: Option<usize>,
    /// The seed: the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Relative weights per outcome, as `hard-match=30,create=10,...` (default: a realistic mix).
    #[arg(long)]
    pub mix: Option<String>,
    /// The bundled demo: about 200 users, every outcome, a HENNGE-style tenant.
    #[arg(long, conflicts_with_all = ["users", "mix", "cloud_users"])]
    pub demo: bool,
    /// The tenant's name (`<tenant>.onmicrosoft.com`).
    #[arg(long, default_value = "example")]
    pub tenant: String,
    /// The directory to write `ad.ldif`, `tenant.json` and `expected.json` into.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
}
