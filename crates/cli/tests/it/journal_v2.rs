//! A journal written before schema version 3 (crates/store/tests/fixtures/journal-v2.db, made by the
//! binary of that release with the script beside it) still works: `runs` lists it, and its apply run
//! is undone against a tenant in the state that run left, through today's executor (issue 11).

use crate::lab::*;

const MIKA: &str = "f1000000-0000-4000-8000-000000000001";
const REN: &str = "f1000000-0000-4000-8000-000000000002";

#[test]
fn a_version_2_journal_is_listed_and_its_apply_run_undone_issue_11() {
    // The tenant as the fixture's runs left it: both ImmutableIDs changed, ren back on its own UPN,
    // the soft-match block switched on and back off.
    let twin = twin_with(
        tenant(vec![
            cloud_user(
                MIKA,
                "mika@corp.example.com",
                Some("AgICAgICAgICAgICAgICAg=="),
            ),
            cloud_user(REN, "ren@fed.example.com", Some("BAQEBAQEBAQEBAQEBAQEBA==")),
        ]),
        |_| {},
    );
    let lab = Lab::new(None, Some(&twin));
    std::fs::create_dir_all(&lab.data).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../store/tests/fixtures/journal-v2.db"
        ),
        lab.data.join("anchorsync.db"),
    )
    .unwrap();

    let runs = lab.runs();
    let shape: Vec<(&str, &str)> = runs
        .iter()
        .map(|run| {
            (
                run["kind"].as_str().unwrap(),
                run["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("apply", "completed"),
            ("tenant-matching", "completed"),
            ("undo", "completed"),
            ("apply", "refused"),
            ("apply", "completed"),
        ]
    );
    assert_eq!(runs[0]["counts"]["done"], 4);
    assert_eq!(runs[2]["undoes"], runs[1]["id"]);
    let id = |n: usize| runs[n]["id"].as_str().unwrap().to_owned();

    // The AD run's value survived the migration as bytes.
    let dry = lab.anchorsync().args(["undo", &id(4)]).output().unwrap();
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(
        String::from_utf8_lossy(&dry.stdout)
            .contains("ad set-anchor `mS-DS-ConsistencyGuid` of `aoi@corp.example.com` (`CN=Aoi,")
            && String::from_utf8_lossy(&dry.stdout)
                .contains("`): `0x05050505050505050505050505050505` → `(empty)`"),
        "{}",
        text(&dry)
    );
    // The switch was undone in the old journal already.
    let again = lab
        .anchorsync()
        .args(["undo", &id(1), "--yes"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("was already undone by run"),
        "{}",
        text(&again)
    );

    // Undo the apply run: both users get their old ImmutableIDs, ren through the UPN workaround.
    let undo = lab
        .anchorsync()
        .args(["undo", &id(0), "--yes"])
        .output()
        .unwrap();
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo));
    assert_eq!(
        cloud_now(&twin, MIKA),
        (
            Some("mika@corp.example.com".to_owned()),
            Some("AQEBAQEBAQEBAQEBAQEBAQ==".to_owned())
        )
    );
    assert_eq!(
        cloud_now(&twin, REN),
        (
            Some("ren@fed.example.com".to_owned()),
            Some("AwMDAwMDAwMDAwMDAwMDAw==".to_owned())
        )
    );
    assert_eq!(twin.twin().writes().len(), 4);
    let report = lab.last_report();
    assert_eq!(report["run"]["undoes"], id(0).as_str());
    let purposes: Vec<&str> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(
        purposes,
        [
            "federated-upn-away",
            "set-immutable-id",
            "federated-upn-back",
            "set-immutable-id"
        ]
    );
    let listed = lab.runs();
    assert_eq!(listed.len(), 6);
    assert_eq!(listed[5]["kind"], "undo");
    assert_eq!(listed[5]["status"], "completed");
}
