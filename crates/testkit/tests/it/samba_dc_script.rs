//! `scripts/samba-dc.sh start` cleans up after itself when it fails (issue 10).
//!
//! The script builds the fixture generator in the background while Samba provisions. When provisioning
//! failed (on a fresh machine: `acl_xattr.so` missing), the build kept running, held the build
//! directory's lock, and the next cargo command waited for it. Here `samba-tool` and `cargo` are
//! stand-ins on `PATH`: provisioning fails as it did, and the "build" is a process with a child of its
//! own (as cargo has its compilers) that would run for an hour. Everything else is the real script.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

fn write_executable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Whether a process runs (a zombie has ended: only its exit status is left to collect).
fn is_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (comm) state ...`; comm may hold spaces, so the state follows the last `)`.
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[test]
fn a_failed_start_stops_the_fixture_build_it_started_issue_10() {
    let scratch = tempfile::tempdir().unwrap();
    let shims = scratch.path().join("bin");
    std::fs::create_dir(&shims).unwrap();
    let pids_file = scratch.path().join("build.pids");
    write_executable(
        &shims.join("cargo"),
        &format!(
            "#!/bin/sh\n\
             # A long build: cargo and a compiler it started.\n\
             sleep 3600 &\n\
             echo \"$$ $!\" > '{pids}.partial' && mv '{pids}.partial' '{pids}'\n\
             wait\n",
            pids = pids_file.display()
        ),
    );
    write_executable(
        &shims.join("samba-tool"),
        &format!(
            "#!/bin/sh\n\
             # Provisioning fails once the build is under way (at most 60 s later).\n\
             for _ in $(seq 1 600); do [ -s '{pids}' ] && break; sleep 0.1; done\n\
             echo \"Error loading module '/usr/lib/x86_64-linux-gnu/samba/vfs/acl_xattr.so': \
             cannot open shared object file: No such file or directory\"\n\
             exit 255\n",
            pids = pids_file.display()
        ),
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/samba-dc.sh");
    let dc_dir = scratch.path().join("dc");
    let path = format!(
        "{}:{}",
        shims.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(&script)
        .arg("start")
        .arg(&dc_dir)
        .env("PATH", path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    let pids: Vec<u32> = std::fs::read_to_string(&pids_file)
        .unwrap_or_else(|error| {
            panic!("the stand-in build never started ({error}); samba-dc.sh said:\n{stderr}")
        })
        .split_whitespace()
        .map(|pid| pid.parse().unwrap())
        .collect();
    let survivors: Vec<u32> = pids
        .iter()
        .copied()
        .filter(|&pid| is_running(pid))
        .collect();
    for pid in &survivors {
        // Not left behind by this test either.
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }

    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("provisioning failed"), "{stderr}");
    assert!(stderr.contains("acl_xattr.so"), "{stderr}");
    assert_eq!(
        survivors,
        Vec::<u32>::new(),
        "the fixture build (pids {pids:?}) outlived the failed start:\n{stderr}"
    );
    assert!(
        !dc_dir.exists(),
        "the failed start left its directory {}",
        dc_dir.display()
    );
}
