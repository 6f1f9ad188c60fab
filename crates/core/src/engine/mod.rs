//! The match engine: for every on-premises user, what Microsoft Entra will do when the user is
//! first exported, and why (docs/rules.md §2-§4, which gives the public source of every rule).
//!
//! Each rule is its own function: [`source_anchor`] (§2), [`rules`] (§3: hard match, SMTP and UPN soft
//! match, the refusals, create conflicts), [`upn`] and [`changes`] (§4). [`plan()`] applies them in
//! Entra's order and gives every user exactly one [`Outcome`]:
//!
//! | precedence | outcome | because |
//! |---|---|---|
//! | 1 | `invalid-anchor` | no sourceAnchor, or one that breaks §2: the user is never exported |
//! | 2 | `duplicate-anchor` | another on-premises user has the same anchor: only one can be exported |
//! | 3 | `hard-match-blocked`, `hard-match` | a cloud user has the anchor as onPremisesImmutableId |
//! | 4 | `ambiguous` | different cloud users are candidates, or several on-premises users want one |
//! | 5 | `admin-role-conflict` | the single candidate holds a directory role |
//! | 6 | `invalid-soft-match` | the single candidate has another onPremisesImmutableId |
//! | 7 | `soft-match-smtp`, `soft-match-upn` | the single candidate can be taken |
//! | 8 | `create-with-conflict`, `create` | nobody to match; a value may be taken |
//!
//! Where the sources disagree the engine makes a **choice**, names it in the reasons, and where
//! the choice matters to a tenant makes it a setting:
//!
//! - SMTP soft matching compares the on-premises primary SMTP address with every cloud proxy address
//!   ([`rules::SmtpMatchScope`], `--smtp-match`), as Microsoft's InvalidSoftMatch example does.
//! - A candidate with a directory role and an onPremisesImmutableId is `admin-role-conflict`.
//! - A candidate found by SMTP and a different one found by UPN are `ambiguous`, although Entra
//!   tries SMTP first: rules that disagree are reported, never guessed.
//! - A refused soft match is `invalid-soft-match` (Entra's troubleshooting page), and the reason
//!   adds that with duplicate-attribute resiliency Entra may instead create a duplicate
//!   (docs/rules.md §3.2).
//! - With several create conflicts, `conflictAttribute` is the most severe:
//!   OnPremiseSecurityIdentifier (the export fails), then UserPrincipalName, then ProxyAddresses;
//!   all are in the reasons.
//!
//! The engine is pure: it reads an inventory and a snapshot and returns typed decisions ([`UserPlan`]);
//! the sentences are written when the plan is rendered ([`explain`], [`record`]).

pub mod changes;
pub mod explain;
pub mod index;
pub mod pairing;
mod plan;
pub mod record;
pub mod remediate;
pub mod rules;
pub mod source_anchor;
pub mod upn;

pub use plan::{
    Caution, Details, EngineSettings, Outcome, Plan, PlanRemediation, PredictedUpn, UserPlan,
    candidates_of, plan, plan_with,
};
pub use record::{FORMAT_VERSION, PlanDocument, Summary, UserRecord};
