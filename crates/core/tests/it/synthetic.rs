//! The generator's declared mix is what the engine predicts (issue 5).

use std::collections::BTreeMap;

use anchorsync_core::engine::{EngineSettings, Outcome, plan};
use anchorsync_core::synthetic::{Generator, Mix, SyntheticConfig};

fn check(config: SyntheticConfig) {
    let generator = Generator::new(config);
    let synthetic = generator.build();
    let users = synthetic.users().unwrap();
    let plan = plan(&users, &synthetic.tenant, &EngineSettings::default());
    let predicted: BTreeMap<&str, Outcome> = plan
        .users
        .iter()
        .map(|user| (users[user.user].dn.as_str(), user.outcome))
        .collect();
    let mut wrong = Vec::new();
    for (dn, expected) in &synthetic.expected {
        let got = predicted[dn.as_str()];
        if got != *expected {
            let record =
                plan.user_record(plan.users.iter().find(|u| users[u.user].dn == *dn).unwrap());
            wrong.push(format!(
                "{dn}: expected {expected}, got {got}: {:#?}",
                record.reasons
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        synthetic.expected.len(),
        wrong.join("\n")
    );
    assert_eq!(plan.summary(), generator.expected_summary());
}

#[test]
fn realistic_mix_is_predicted_issue_5() {
    check(SyntheticConfig::new(2_000, 42));
}

#[test]
fn even_mix_is_predicted_issue_5() {
    let mut config = SyntheticConfig::new(550, 3);
    config.mix = Mix::even();
    check(config);
}

#[test]
fn demo_covers_every_outcome_issue_5() {
    let generator = Generator::new(SyntheticConfig::demo());
    for outcome in Outcome::ALL {
        assert!(generator.expected_summary().get(outcome) > 0, "{outcome}");
    }
    check(SyntheticConfig::demo());
}

#[test]
fn without_blocked_hard_matches_takeovers_are_predicted_issue_5() {
    let mut config = SyntheticConfig::new(400, 9);
    config.mix =
        Mix::parse("hard-match=5,soft-match-smtp=2,create=2,invalid-soft-match=1").unwrap();
    check(config);
}

#[test]
fn streamed_json_is_the_document_and_reads_back_issue_5() {
    let synthetic = Generator::new(SyntheticConfig::new(3_000, 11)).build();
    let users = synthetic.users().unwrap();
    let plan = plan(&users, &synthetic.tenant, &EngineSettings::default());
    assert_streamed_json_is_the_document(&plan);
}

/// The streamed JSON borrows its records (issue 15), the document owns them: with a strategy's
/// remediation in every record too, the two write the same bytes.
#[test]
fn streamed_json_with_a_strategy_is_the_document_issue_15() {
    use anchorsync_core::engine::remediate::StrategyOptions;
    use anchorsync_core::remediation::Strategy;
    let synthetic = Generator::new(SyntheticConfig::new(3_000, 12)).build();
    let users = synthetic.users().unwrap();
    for strategy in [Strategy::HardCloud, Strategy::HardAd, Strategy::Soft] {
        let options = StrategyOptions {
            strategy,
            mapping: Vec::new(),
            join: None,
        };
        let plan = plan(&users, &synthetic.tenant, &EngineSettings::default())
            .with_strategy(&options, None);
        assert_streamed_json_is_the_document(&plan);
    }
}

fn assert_streamed_json_is_the_document(plan: &anchorsync_core::engine::Plan<'_>) {
    let mut streamed = Vec::new();
    plan.write_json(&mut streamed).unwrap();
    let document = plan.document();
    let mut whole = Vec::new();
    document.write_json(&mut whole).unwrap();
    assert!(
        streamed == whole,
        "Plan::write_json and PlanDocument::write_json differ"
    );
    let back: anchorsync_core::engine::PlanDocument = serde_json::from_slice(&streamed).unwrap();
    assert_eq!(back, document);
    let text = String::from_utf8(streamed).unwrap();
    assert_eq!(
        text.lines()
            .filter(|line| line.starts_with("    {\"dn\":"))
            .count(),
        plan.users.len(),
        "one line per user"
    );
}
