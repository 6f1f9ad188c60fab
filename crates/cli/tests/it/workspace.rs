//! The repository's own commands (issue 10): `cargo run --release -- demo` in the root of a fresh clone
//! runs the `anchorsync` binary.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Asks cargo which packages `cargo run` and `cargo build` select in the workspace root (its default
/// members), and applies cargo's rule for `cargo run` without `--bin`: one selected package with a
/// `default-run` runs that binary; otherwise the selected packages must hold exactly one binary, or cargo
/// refuses ("could not determine which binary to run"). Asking `cargo metadata` rather than running
/// `cargo run` keeps the test away from the build directory this test itself was built in.
#[test]
fn cargo_run_in_the_workspace_root_runs_anchorsync_issue_10() {
    let workspace_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(&workspace_root)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let default_members: Vec<&str> = metadata["workspace_default_members"]
        .as_array()
        .expect("cargo metadata lists workspace_default_members (cargo 1.71 and later)")
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    let selected: Vec<&Value> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|package| default_members.contains(&package["id"].as_str().unwrap()))
        .collect();
    let binaries: Vec<(&str, &str)> = selected
        .iter()
        .flat_map(|package| {
            package["targets"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|target| {
                    target["kind"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k == "bin")
                })
                .map(|target| {
                    (
                        package["name"].as_str().unwrap(),
                        target["name"].as_str().unwrap(),
                    )
                })
        })
        .collect();
    let picked = match selected.as_slice() {
        [package] if package["default_run"].is_string() => {
            vec![(
                package["name"].as_str().unwrap(),
                package["default_run"].as_str().unwrap(),
            )]
        }
        _ => binaries,
    };
    assert_eq!(
        picked,
        [("anchorsync", "anchorsync")],
        "`cargo run` in the workspace root must find exactly one binary, the product's; the default \
         members {default_members:?} offer these"
    );
}
