//! Colour for what needs attention (issue 10): on a terminal the plan and verify tables and the
//! apply and undo summaries colour it; `NO_COLOR` (https://no-color.org), a pipe or `-o FILE` get
//! none; and the words are the same either way. The terminal is a real pseudo-terminal, made by
//! util-linux `script` as a person's terminal would be.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::lab::*;
use crate::plan::{A1, A2, ad, cloud, open_tenant};

const ESCAPE: char = '\u{1b}';

fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Runs the binary with `args` on a pseudo-terminal and returns what it showed there. `no_color` sets
/// `NO_COLOR=1`.
fn on_terminal(args: &[&str], env: &[(&str, &str)], no_color: bool) -> String {
    let binary = assert_cmd::cargo::cargo_bin("anchorsync");
    let line = std::iter::once(binary.to_str().unwrap())
        .chain(args.iter().copied())
        .map(shell_quote)
        .collect::<Vec<_>>()
        .join(" ");
    let mut command = Command::new("script");
    command
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .stdin(Stdio::null())
        .env("TERM", "xterm-256color")
        .env("ANCHORSYNC_NO_PROGRESS", "1")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("ANCHORSYNC_CONFIG")
        .env_remove("ANCHORSYNC_DATA_DIR");
    if no_color {
        command.env("NO_COLOR", "1");
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap_or_else(|error| {
        panic!("cannot run util-linux `script` ({error}): install bsdutils (`apt-get install bsdutils`)")
    });
    String::from_utf8(output.stdout)
        .unwrap()
        .replace("\r\n", "\n")
}

/// The same run with stdout a pipe.
fn piped(args: &[&str]) -> String {
    let output = assert_cmd::Command::cargo_bin("anchorsync")
        .unwrap()
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("ANCHORSYNC_NO_PROGRESS", "1")
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap()
}

/// The text without its SGR escape sequences (`ESC [ ... m`).
fn without_colour(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(ESCAPE) {
        plain.push_str(&rest[..start]);
        let after = &rest[start..];
        let end = after.find('m').expect("an SGR sequence ends with `m`");
        rest = &after[end + 1..];
    }
    plain.push_str(rest);
    plain
}

/// `text` contains `words` in the attention colour (bold red) on a terminal.
fn coloured(text: &str, words: &str) -> bool {
    text.contains(&format!("\u{1b}[1m\u{1b}[31m{words}"))
}

fn write_inputs(dir: &Path) -> (String, String) {
    // One user that hard-matches, one whose soft-match candidate already has another ImmutableID, one
    // with no anchor at all.
    let ldif = ad(
        "Fine",
        &[
            &format!("objectGUID:: {A1}"),
            "userPrincipalName: fine@example.com",
        ],
    ) + &ad(
        "Taro",
        &[
            "objectGUID:: EBESExQVFhcYGRobHB0eHw==",
            "userPrincipalName: taro@example.com",
        ],
    ) + &ad("Broken", &["userPrincipalName: broken@example.com"]);
    let tenant = open_tenant(vec![
        cloud(
            "c0",
            "fine@example.com",
            json!({"onPremisesImmutableId": A1}),
        ),
        cloud(
            "c1",
            "taro@example.com",
            json!({"onPremisesImmutableId": A2}),
        ),
    ]);
    let ad_file = dir.join("users.ldif");
    let cloud_file = dir.join("tenant.json");
    std::fs::write(&ad_file, ldif).unwrap();
    std::fs::write(&cloud_file, tenant.to_string()).unwrap();
    (
        ad_file.to_str().unwrap().to_owned(),
        cloud_file.to_str().unwrap().to_owned(),
    )
}

#[test]
fn plan_and_verify_tables_colour_attention_only_on_a_terminal_issue_10() {
    let dir = tempfile::tempdir().unwrap();
    let (ad_file, cloud_file) = write_inputs(dir.path());
    for command in ["plan", "verify"] {
        let args = [command, "--ad", &ad_file, "--cloud", &cloud_file];
        let terminal = on_terminal(&args, &[], false);
        let plain = piped(&args);
        assert!(!plain.contains(ESCAPE), "{command} | cat: {plain:?}");
        assert!(
            terminal.contains(ESCAPE),
            "{command} on a terminal: {terminal}"
        );
        // Colour only repeats the words: without it the terminal shows exactly the piped text.
        assert_eq!(without_colour(&terminal), plain, "{command}");
        let no_color = on_terminal(&args, &[], true);
        assert!(
            !no_color.contains(ESCAPE),
            "{command} with NO_COLOR: {no_color:?}"
        );
        assert_eq!(no_color, plain, "{command}");
        match command {
            "plan" => {
                assert!(coloured(&terminal, "invalid-anchor"), "{terminal}");
                assert!(coloured(&terminal, "needs attention"), "{terminal}");
                assert!(coloured(&terminal, "2 need attention"), "{terminal}");
                // Fine outcomes stay plain.
                assert!(terminal.contains("\nhard-match    "), "{terminal}");
            }
            _ => {
                // Verify takes the engine's decision: the refused soft match will not match.
                assert!(coloured(&terminal, "3 users: 1 agrees"), "{terminal}");
                assert!(coloured(&terminal, "will-not-match"), "{terminal}");
                assert!(coloured(&terminal, "no-anchor"), "{terminal}");
            }
        }
    }
    // A file named with `-o` never gets colour, even from a terminal.
    let table = dir.path().join("plan.txt");
    on_terminal(
        &[
            "plan",
            "--ad",
            &ad_file,
            "--cloud",
            &cloud_file,
            "-o",
            table.to_str().unwrap(),
        ],
        &[],
        false,
    );
    let written = std::fs::read_to_string(&table).unwrap();
    assert!(written.contains("needs attention"), "{written}");
    assert!(!written.contains(ESCAPE), "{written:?}");
}

#[test]
fn apply_and_undo_summaries_colour_what_needs_attention_issue_10() {
    let id = "80000000-0000-4000-8000-000000000001";
    let upn = format!("colour@{MANAGED}");
    let twin = twin_with(
        tenant(vec![cloud_user(id, &upn, Some(&immutable_id(930)))]),
        |_| {},
    );
    let lab = Lab::new(None, Some(&twin));
    let steps = vec![cloud_step(
        id,
        &upn,
        "onPremisesImmutableId",
        Some(&immutable_id(930)),
        None,
        "clear-immutable-id",
    )];
    let plan_file = lab.write("plan.json", &plan("soft", &[("CN=Colour,DC=corp", steps)]));
    let config = lab.config.to_str().unwrap().to_owned();
    let data = lab.data.to_str().unwrap().to_owned();
    let env = [(SECRET_ENV, SECRET)];
    let args = |rest: &[&str]| {
        let mut args = vec!["--config", config.as_str(), "--data-dir", data.as_str()];
        args.extend_from_slice(rest);
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run = |rest: &[&str], no_color: bool| {
        let owned = args(rest);
        let borrowed: Vec<&str> = owned.iter().map(String::as_str).collect();
        on_terminal(&borrowed, &env, no_color)
    };

    // Applied on a terminal: the run's status in colour, and nothing in the attention colour.
    let applied = run(&["apply", plan_file.to_str().unwrap(), "--yes"], false);
    assert!(
        applied.contains("(apply): \u{1b}[32mcompleted"),
        "{applied:?}"
    );
    assert!(!applied.contains("\u{1b}[31m"), "{applied:?}");
    assert!(
        without_colour(&applied)
            .contains("  1 done, 0 failed, 0 in conflict, 0 skipped, 0 not finished"),
        "{applied}"
    );

    // The same plan again is stale now: refused, in the attention colour...
    let refused = run(&["apply", plan_file.to_str().unwrap(), "--yes"], false);
    assert!(coloured(&refused, "refused"), "{refused:?}");
    // ...and in plain words under NO_COLOR.
    let again = run(&["apply", plan_file.to_str().unwrap(), "--yes"], true);
    assert!(!again.contains(ESCAPE), "{again:?}");
    assert!(again.contains("refused: 1 value is no longer"), "{again}");

    // Undo under NO_COLOR: the same summary, plain.
    let runs = lab.runs();
    let apply_run = runs
        .iter()
        .find(|run| run["kind"] == "apply" && run["status"] == "completed")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let undone = run(&["undo", &apply_run, "--yes"], true);
    assert!(!undone.contains(ESCAPE), "{undone:?}");
    assert!(undone.contains("(undo): completed"), "{undone}");
    assert_eq!(cloud_now(&twin, id).1, Some(immutable_id(930)));
}
