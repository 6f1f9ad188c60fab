//! The HTML plan report (issue 5) in a real headless Chromium, loaded from `file://` as an administrator
//! opens a mailed report: no console errors, no network requests, the chart and the table show the
//! plan's counts, and the filter, the outcome selection, sorting, pages and details work. A plan full of
//! hostile values must neither run them nor break the page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, UNIX_EPOCH};

use base64::Engine as _;
use serde_json::{Value, json};

use anchorsync_core::engine::Outcome;

use crate::browser::Browser;
use anchorsync_report::html::{ReportContext, ReportInput, render_plan_html};

/// Users in the generated plan. `ANCHORSYNC_REPORT_TEST_USERS` changes it for the measurement in
/// docs/PERFORMANCE.md.
const GENERATED_USERS: usize = 20_000;

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn context() -> ReportContext {
    ReportContext {
        generated_at: UNIX_EPOCH + Duration::from_secs(1_795_321_265),
        inputs: vec![
            ReportInput {
                role: "Active Directory".to_owned(),
                source: "corp.ldif".to_owned(),
            },
            ReportInput {
                role: "Microsoft 365".to_owned(),
                source: "tenant-snapshot.json".to_owned(),
            },
        ],
    }
}

fn write_report(dir: &Path, name: &str, plan: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, render_plan_html(plan, &context())).unwrap();
    path
}

/// Opens the report and waits until its script has drawn the first page.
fn open(browser: &Browser, path: &Path) -> String {
    let url = browser.open_file(path);
    browser.wait_for(
        "the report's script has finished",
        "return document.body.dataset.ready === 'true';",
        json!([]),
    );
    url
}

/// `data-*` of the status line under a table, as numbers: (matching, total, shown).
fn status(browser: &Browser, id: &str) -> (u64, u64, u64) {
    let value = browser.run(
        "const s = document.getElementById(arguments[0]).dataset; \
         return [Number(s.matching), Number(s.total), Number(s.shown)];",
        json!([id]),
    );
    let number = |index: usize| value[index].as_u64().unwrap();
    (number(0), number(1), number(2))
}

fn wait_for_matching(browser: &Browser, id: &str, matching: usize) {
    browser.wait_for(
        &format!("`{id}` says {matching} matching"),
        "return document.getElementById(arguments[0]).dataset.matching === String(arguments[1]);",
        json!([id, matching]),
    );
}

/// The text of one column of the user table's visible rows.
fn column(browser: &Browser, table: &str, class: &str) -> Vec<String> {
    let value = browser.run(
        "return [...document.querySelectorAll(`#${arguments[0]} tbody tr.row td.${arguments[1]}`)] \
         .map((td) => td.textContent);",
        json!([table, class]),
    );
    serde_json::from_value(value).unwrap()
}

fn visible_outcomes(browser: &Browser) -> Vec<String> {
    let value = browser.run(
        "return [...document.querySelectorAll('#user-table tbody tr.row td.outcome')] \
         .map((td) => td.dataset.outcome);",
        json!([]),
    );
    serde_json::from_value(value).unwrap()
}

/// The chart's counts, as drawn: outcome → (data-count, the count text under the bar).
fn chart(browser: &Browser) -> BTreeMap<String, (u64, String)> {
    let value = browser.run(
        "return [...document.querySelectorAll('#outcome-chart .bar')].map((bar) => \
         [bar.dataset.outcome, Number(bar.dataset.count), bar.querySelector('.count').textContent]);",
        json!([]),
    );
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|bar| {
            (
                bar[0].as_str().unwrap().to_owned(),
                (
                    bar[1].as_u64().unwrap(),
                    bar[2].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

fn type_filter(browser: &Browser, id: &str, text: &str) {
    let input = browser.find(&format!("#{id}"));
    browser.clear(&input);
    browser.type_into(&input, text);
}

/// Every console message is an error here: a clean page logs nothing. Every network request must be the
/// report itself.
fn assert_quiet_and_offline(browser: &Browser, url: &str) {
    let console: Vec<String> = browser
        .console()
        .into_iter()
        .map(|entry| format!("{}: {}", entry.level, entry.message))
        .collect();
    assert!(
        console.is_empty(),
        "the page wrote to the console: {console:#?}"
    );
    // The browser's own pages (the new-tab page the session starts on) load `chrome://` resources and
    // try Google's servers; only requests made for the report's document count.
    let events = browser.network_events();
    let requests: BTreeMap<&str, &str> = events
        .iter()
        .filter(|(method, params)| {
            method == "Network.requestWillBeSent"
                && !params["documentURL"]
                    .as_str()
                    .is_some_and(|document| document.starts_with("chrome://"))
        })
        .filter_map(|(_, params)| {
            Some((
                params["requestId"].as_str()?,
                params["request"]["url"].as_str()?,
            ))
        })
        .collect();
    assert!(
        requests.values().any(|request| *request == url),
        "the log shows no request for {url}: {requests:?}"
    );
    assert!(
        requests.values().all(|request| *request == url),
        "the page made network requests: {requests:?}"
    );
    let failed: Vec<&Value> = events
        .iter()
        .filter(|(method, params)| {
            method == "Network.loadingFailed"
                && params["requestId"]
                    .as_str()
                    .is_some_and(|id| requests.contains_key(id))
        })
        .map(|(_, params)| params)
        .collect();
    assert!(failed.is_empty(), "requests failed: {failed:?}");
    let resources = browser.run(
        "return performance.getEntriesByType('resource').map((entry) => entry.name);",
        json!([]),
    );
    assert_eq!(resources, json!([]), "the page loaded resources");
}

#[test]
fn html_report_every_outcome_in_chromium_issue_5() {
    let plan = fixture("plan-every-outcome.json");
    let dir = tempfile::tempdir().unwrap();
    let path = write_report(dir.path(), "plan.html", &plan);
    let browser = Browser::start();
    let url = open(&browser, &path);

    // The header: the caller's time and inputs, the plan's settings, and the headline.
    let header = browser.run(
        "return [document.getElementById('generated-at').textContent, \
         document.querySelector('.inputs').textContent, document.getElementById('verdict').textContent, \
         document.querySelector('.totals').textContent, document.getElementById('settings').textContent];",
        json!([]),
    );
    assert_eq!(header[0], "2026-11-22 04:21:05 UTC");
    assert_eq!(
        header[1],
        "Active Directorycorp.ldifMicrosoft 365tenant-snapshot.json"
    );
    assert_eq!(
        header[2],
        "9 of 15 users need attention before the first sync."
    );
    assert_eq!(
        header[3],
        "15 AD users planned against 16 cloud users in the tenant."
    );
    let settings = header[4].as_str().unwrap();
    for expected in [
        "anchorAttributemS-DS-ConsistencyGuid",
        "tenant.federatedDomainsexample.com",
        "tenant.blockCloudObjectTakeoverThroughHardMatchEnabledtrue",
    ] {
        assert!(
            settings.contains(expected),
            "{expected:?} not in {settings}"
        );
    }

    // The chart: one bar per outcome, with the summary's counts as data and as text.
    let bars = chart(&browser);
    let summary = plan["summary"].as_object().unwrap();
    assert_eq!(bars.len(), 11, "{bars:?}");
    for (outcome, count) in summary {
        let count = count.as_u64().unwrap();
        assert_eq!(bars[outcome], (count, count.to_string()), "{outcome}");
    }

    // The table: every user on one page.
    assert_eq!(status(&browser, "user-status"), (15, 15, 15));
    let chips = browser.run(
        "return [...document.querySelectorAll('#outcome-chips .chip')].map((chip) => \
         [chip.dataset.outcome, chip.querySelector('.n').textContent]);",
        json!([]),
    );
    assert_eq!(chips.as_array().unwrap().len(), 11);
    for chip in chips.as_array().unwrap() {
        let outcome = chip[0].as_str().unwrap();
        assert_eq!(chip[1], summary[outcome].to_string(), "chip {outcome}");
    }

    // Typing in the filter narrows the rows: DN, anchor, reason text, several words at once.
    for (query, expected) in [
        (
            "tanaka",
            vec![
                "CN=Aiko Tanaka,OU=Sales,OU=Tokyo,DC=corp,DC=example,DC=com",
                "CN=Hiroshi Tanaka,OU=Support,OU=Tokyo,DC=corp,DC=example,DC=com",
            ],
        ),
        (
            // The user who needs attention comes first (issue 10), then the others in the plan's order.
            "ou=TOKYO",
            vec![
                "CN=Yuki Yamamoto,OU=Sales,OU=Tokyo,DC=corp,DC=example,DC=com",
                "CN=Aiko Tanaka,OU=Sales,OU=Tokyo,DC=corp,DC=example,DC=com",
                "CN=Hiroshi Tanaka,OU=Support,OU=Tokyo,DC=corp,DC=example,DC=com",
            ],
        ),
        (
            "Dp4sF6gH8jK0lZ2xC4vB6n==",
            vec![
                "CN=Emma Wilson,OU=HR,DC=corp,DC=example,DC=com",
                "CN=Emma Wilson (old),OU=Disabled,DC=corp,DC=example,DC=com",
            ],
        ),
        (
            "onPremisesSecurityIdentifier",
            vec!["CN=Sam Lee,OU=Marketing,DC=corp,DC=example,DC=com"],
        ),
        (
            "tanaka  sales",
            vec!["CN=Aiko Tanaka,OU=Sales,OU=Tokyo,DC=corp,DC=example,DC=com"],
        ),
        ("no user has this text", vec![]),
    ] {
        type_filter(&browser, "user-filter", query);
        wait_for_matching(&browser, "user-status", expected.len());
        assert_eq!(column(&browser, "user-table", "dn"), expected, "{query}");
    }
    // The row says why in one sentence: the reason that decided (the engine's last), and what else to read.
    type_filter(&browser, "user-filter", "garcia");
    wait_for_matching(&browser, "user-status", 1);
    assert_eq!(
        column(&browser, "user-table", "why"),
        [
            "The primary SMTP address maria.garcia@example.com is a proxy address of the cloud user \
          m.garcia@example.com, which has no onPremisesImmutableId. (+1 more, 2 cloud values overwritten)"
        ]
    );
    let input = browser.find("#user-filter");
    browser.clear(&input);
    wait_for_matching(&browser, "user-status", 15);

    // The outcome filter: a bar of the chart, a chip, the quick buttons, and with the text filter.
    browser.click_on("#outcome-chart .bar[data-outcome='duplicate-anchor']");
    wait_for_matching(&browser, "user-status", 2);
    assert_eq!(
        visible_outcomes(&browser),
        ["duplicate-anchor", "duplicate-anchor"]
    );
    let pressed = browser.run(
        "return document.querySelector(\"#outcome-chart .bar[data-outcome='duplicate-anchor']\") \
         .getAttribute('aria-pressed');",
        json!([]),
    );
    assert_eq!(pressed, "true");
    browser.click_on("#outcome-chips .chip[data-outcome='invalid-anchor'] input");
    wait_for_matching(&browser, "user-status", 3);
    browser.click_on("#outcome-attention");
    wait_for_matching(&browser, "user-status", 9);
    assert!(visible_outcomes(&browser).iter().all(|outcome| {
        !["hard-match", "soft-match-smtp", "soft-match-upn", "create"].contains(&outcome.as_str())
    }));
    browser.click_on("#outcome-all");
    wait_for_matching(&browser, "user-status", 15);
    browser.click_on("#outcome-chart .bar[data-outcome='hard-match']");
    wait_for_matching(&browser, "user-status", 2);
    type_filter(&browser, "user-filter", "tanaka");
    wait_for_matching(&browser, "user-status", 1);
    // A second click on the same bar lists every outcome again.
    browser.click_on("#outcome-chart .bar[data-outcome='hard-match']");
    wait_for_matching(&browser, "user-status", 2);
    let input = browser.find("#user-filter");
    browser.clear(&input);
    wait_for_matching(&browser, "user-status", 15);

    // Sorting: by DN both ways, by outcome in the vocabulary's order, by anchor with the missing one last.
    let mut dns: Vec<String> = plan["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|user| user["dn"].as_str().unwrap().to_owned())
        .collect();
    dns.sort_by_key(|dn| dn.to_lowercase());
    browser.click_on("#user-table th[data-sort='dn'] button");
    assert_eq!(column(&browser, "user-table", "dn"), dns);
    browser.click_on("#user-table th[data-sort='dn'] button");
    dns.reverse();
    assert_eq!(column(&browser, "user-table", "dn"), dns);
    let sort = browser.run(
        "return document.querySelector(\"#user-table th[data-sort='dn']\").getAttribute('aria-sort');",
        json!([]),
    );
    assert_eq!(sort, "descending");
    browser.click_on("#user-table th[data-sort='outcome'] button");
    let outcomes = visible_outcomes(&browser);
    let order = [
        "hard-match",
        "soft-match-smtp",
        "soft-match-upn",
        "create",
        "create-with-conflict",
        "invalid-soft-match",
        "admin-role-conflict",
        "hard-match-blocked",
        "ambiguous",
        "invalid-anchor",
        "duplicate-anchor",
    ];
    let expected: Vec<&str> = order
        .iter()
        .flat_map(|outcome| {
            std::iter::repeat_n(*outcome, summary[*outcome].as_u64().unwrap() as usize)
        })
        .collect();
    assert_eq!(outcomes, expected);
    browser.click_on("#user-table th[data-sort='anchor'] button");
    let anchors = column(&browser, "user-table", "anchor");
    assert_eq!(anchors.first().unwrap(), "7Yx2cR1mWUqv0f3ZkT9a8g==");
    assert_eq!(anchors.last().unwrap(), "missing");

    // A row's details: the outcome in plain words, reasons, warnings and the overwritten cloud values.
    type_filter(&browser, "user-filter", "aiko");
    wait_for_matching(&browser, "user-status", 1);
    browser.click_on("#user-table tbody tr.row button.expand");
    let detail = browser
        .run(
            "return document.querySelector('#user-table tr.detail').innerText;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned();
    for expected in [
        "Will take over the cloud user by ImmutableID",
        // Values the engine wrote in backticks show as code, without the backticks.
        "equal to the sourceAnchor from mS-DS-ConsistencyGuid.",
        "The cloud mobilePhone +81 90 1234 5678 has no AD value and will be removed.",
        "Cloud values the first sync will overwrite or remove (3)",
        "jobTitle\tSales Lead\tSales Manager",
        "mobilePhone\t+81 90 1234 5678\t(empty)",
        "businessPhones\t+81 3 1234 5678\t+81 3 9876 5432",
    ] {
        assert!(detail.contains(expected), "{expected:?} not in {detail}");
    }
    let code = browser.run(
        "return [...document.querySelectorAll('#user-table tr.detail li code')].map((c) => c.textContent);",
        json!([]),
    );
    assert_eq!(
        code,
        json!([
            "aiko.tanaka@example.com",
            "iGhmiAEBERG7uxI0VniQqw==",
            "mS-DS-ConsistencyGuid",
            "+81 90 1234 5678"
        ])
    );

    // The cloud-only users, flagging those that carry an ImmutableID.
    let cloud = browser.run(
        "const s = document.getElementById('cloud-only-summary').dataset; \
         return [Number(s.total), Number(s.withImmutableId)];",
        json!([]),
    );
    assert_eq!(cloud, json!([4, 2]));
    assert_eq!(status(&browser, "cloud-status"), (4, 4, 4));
    browser.click_on("#cloud-immutable-only");
    wait_for_matching(&browser, "cloud-status", 2);
    assert_eq!(
        column(&browser, "cloud-table", "upn"),
        [
            "former.employee@example.com",
            "contractor.kim@partner.example.org"
        ]
    );
    assert_eq!(
        column(&browser, "cloud-table", "immutable"),
        [
            "RTEwMDk5Federated sign-in depends on it",
            "a2ltLWNvbnRyYWN0b3I=Carries an ImmutableID (domain not federated)"
        ]
    );
    assert_eq!(
        column(&browser, "cloud-table", "notes"),
        [
            "Federated domain; Sign-in blockedNo AD user has the ImmutableID RTEwMDk5: federated \
             sign-in for former.employee@example.com depends on it.",
            ""
        ]
    );
    type_filter(&browser, "cloud-filter", "kim");
    wait_for_matching(&browser, "cloud-status", 1);

    assert_quiet_and_offline(&browser, &url);
}

/// `plan --format html` through the binary, on a generated directory pair: the page shows the counts
/// that `--format json` gives for the same inputs, and loads quietly and offline.
#[test]
fn plan_format_html_shows_the_json_counts_issue_5() {
    let dir = tempfile::tempdir().unwrap();
    let binary = |args: &[&std::ffi::OsStr]| {
        let output = assert_cmd::Command::cargo_bin("anchorsync")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let os = std::ffi::OsStr::new;
    binary(&[
        os("generate"),
        os("--users"),
        os("300"),
        os("--seed"),
        os("7"),
        os("-o"),
        dir.path().as_os_str(),
    ]);
    let ad = dir.path().join("ad.ldif");
    let cloud = dir.path().join("tenant.json");
    let html = dir.path().join("plan.html");
    let json = binary(&[
        os("plan"),
        os("--ad"),
        ad.as_os_str(),
        os("--cloud"),
        cloud.as_os_str(),
        os("--format"),
        os("json"),
    ]);
    let plan: Value = serde_json::from_slice(&json.stdout).unwrap();
    let written = binary(&[
        os("plan"),
        os("--ad"),
        ad.as_os_str(),
        os("--cloud"),
        cloud.as_os_str(),
        os("--format"),
        os("html"),
        os("-o"),
        html.as_os_str(),
    ]);
    assert!(written.stdout.is_empty(), "the page goes to the file only");

    let browser = Browser::start();
    let url = open(&browser, &html);
    let counts = chart(&browser);
    for (outcome, count) in plan["summary"].as_object().unwrap() {
        let Some(count) = count.as_u64() else {
            continue;
        };
        if count > 0 {
            assert_eq!(
                counts.get(outcome).map(|(shown, _)| *shown),
                Some(count),
                "{outcome}"
            );
        }
    }
    let users = plan["users"].as_array().unwrap().len() as u64;
    assert_eq!(status(&browser, "user-status").1, users);
    let inputs = browser.run(
        "return document.querySelector('.inputs').textContent;",
        json!([]),
    );
    assert!(inputs.as_str().unwrap().contains("ad.ldif"), "{inputs}");
    assert_quiet_and_offline(&browser, &url);
}

#[test]
fn html_report_hostile_values_stay_text_issue_5() {
    let plan = fixture("plan-hostile.json");
    let dir = tempfile::tempdir().unwrap();
    let path = write_report(dir.path(), "hostile.html", &plan);
    let browser = Browser::start();
    let url = open(&browser, &path);

    // Every row and every detail drawn, so every value has been put on the page.
    assert_eq!(status(&browser, "user-status"), (3, 3, 3));
    for table in ["user-table", "cloud-table"] {
        browser.run(
            // Each click redraws the page, so look the buttons up again every time.
            "const selector = `#${arguments[0]} button.expand`; \
             const count = document.querySelectorAll(selector).length; \
             for (let i = 0; i < count; i += 1) document.querySelectorAll(selector)[i].click();",
            json!([table]),
        );
    }
    let opened = browser.run(
        "return document.querySelectorAll('tr.detail').length;",
        json!([]),
    );
    assert_eq!(opened, 4);

    let page = browser.run(
        "return { pwned: window.__pwned === undefined ? null : String(window.__pwned), \
           title: document.title, \
           scripts: document.scripts.length, \
           styles: document.querySelectorAll('style').length, \
           injected: document.querySelectorAll('img, iframe, link, a, b, [onload], [onerror]').length, \
           dns: [...document.querySelectorAll('#user-table td.dn')].map((td) => td.textContent), \
           cloudUpn: document.querySelector('#cloud-table td.upn').textContent, \
           footer: document.querySelector('footer').textContent, \
           details: [...document.querySelectorAll('tr.detail')].map((tr) => tr.textContent).join('\\n') };",
        json!([]),
    );
    assert_eq!(page["pwned"], Value::Null, "a hostile value ran");
    assert_eq!(
        page["title"],
        "anchorsync plan: 1 needing attention of 3 users"
    );
    assert_eq!(page["scripts"], 3);
    assert_eq!(page["styles"], 1);
    assert_eq!(page["injected"], 0);
    let users = plan["users"].as_array().unwrap();
    // The user with an outcome the report does not know needs attention, so it is listed first.
    let dns: Vec<&Value> = [2, 0, 1].iter().map(|&index| &users[index]["dn"]).collect();
    assert_eq!(
        users[2]["dn"],
        "CN=Unknown Outcome,DC=corp,DC=example,DC=com"
    );
    assert_eq!(
        page["dns"].as_array().unwrap().iter().collect::<Vec<_>>(),
        dns
    );
    assert_eq!(page["cloudUpn"], plan["cloudOnly"][0]["userPrincipalName"]);
    let footer = page["footer"].as_str().unwrap();
    assert!(
        footer.contains(plan["formatVersion"].as_str().unwrap()),
        "{footer}"
    );
    let details = page["details"].as_str().unwrap();
    for expected in [
        "<b>displayName</b>",
        "<iframe src=\"javascript:window.__pwned='iframe'\"></iframe>",
        "<img src=x onerror=\"window.__pwned='key'\">",
        "javascript:window.__pwned='value'",
        "not a list </script>",
    ] {
        assert!(details.contains(expected), "{expected:?} not in {details}");
    }

    // Filtering on hostile text works like any other.
    type_filter(&browser, "user-filter", "</script>");
    wait_for_matching(&browser, "user-status", 2);

    assert_quiet_and_offline(&browser, &url);

    // The second wall: even a script that escaped the data block could neither run nor fetch, because
    // the Content-Security-Policy allows only the page's own script and no request at all.
    let ran = browser.run(
        "const script = document.createElement('script'); \
         script.textContent = \"window.__pwned = 'injected script'\"; \
         document.body.append(script); \
         const image = document.createElement('img'); \
         image.src = 'http://127.0.0.1:9/beacon.png'; \
         document.body.append(image); \
         return window.__pwned === undefined ? null : window.__pwned;",
        json!([]),
    );
    assert_eq!(ran, Value::Null, "an injected inline script ran");
    browser.wait_for(
        "the image request was refused",
        "return document.querySelector('img').complete;",
        json!([]),
    );
    let refused: Vec<String> = browser
        .console()
        .into_iter()
        .map(|entry| entry.message)
        .collect();
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(
        refused
            .iter()
            .all(|message| message.contains("Content Security Policy")),
        "{refused:#?}"
    );
    // DevTools reports the attempt, and that the browser refused it before it left (`blockedReason`).
    let events = browser.network_events();
    let beacon: Vec<&str> = events
        .iter()
        .filter(|(_, params)| params["request"]["url"] == "http://127.0.0.1:9/beacon.png")
        .filter_map(|(_, params)| params["requestId"].as_str())
        .collect();
    let blocked: Vec<&str> = events
        .iter()
        .filter(|(method, params)| {
            method == "Network.loadingFailed"
                && beacon.contains(&params["requestId"].as_str().unwrap_or_default())
        })
        .filter_map(|(_, params)| params["blockedReason"].as_str())
        .collect();
    assert_eq!(blocked, ["csp"], "{events:#?}");
}

#[test]
fn html_report_large_plan_stays_paged_issue_5() {
    let size = std::env::var("ANCHORSYNC_REPORT_TEST_USERS")
        .ok()
        .and_then(|size| size.parse().ok())
        .unwrap_or(GENERATED_USERS);
    let plan = generated_plan(size);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let html = render_plan_html(&plan, &context());
    let rendered = started.elapsed();
    let path = dir.path().join("large.html");
    std::fs::write(&path, &html).unwrap();
    let browser = Browser::start();
    let started = Instant::now();
    let url = open(&browser, &path);
    let opened = started.elapsed();

    let users = plan["users"].as_array().unwrap();
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for user in users {
        *counts.entry(user["outcome"].as_str().unwrap()).or_default() += 1;
    }
    let bars = chart(&browser);
    for (outcome, count) in &counts {
        assert_eq!(bars[*outcome].0, *count, "{outcome}");
    }
    // One page of rows in the DOM, not one row per user.
    assert_eq!(
        status(&browser, "user-status"),
        (size as u64, size as u64, 100)
    );
    let rows = browser.run(
        "return document.querySelectorAll('#user-table tbody tr').length;",
        json!([]),
    );
    assert_eq!(rows, 100);

    // The filter finds one user among all of them, and a group of them.
    let started = Instant::now();
    type_filter(&browser, "user-filter", "user.013579@");
    wait_for_matching(&browser, "user-status", matching(users, "user.013579@"));
    let filtered = started.elapsed();
    let filter_ms = browser.run(
        "return Number(document.getElementById('user-status').dataset.updateMs);",
        json!([]),
    );
    assert_eq!(
        column(&browser, "user-table", "upn"),
        ["user.013579@example.com"]
    );
    type_filter(&browser, "user-filter", "ou=dept07");
    wait_for_matching(&browser, "user-status", matching(users, "ou=dept07"));
    let input = browser.find("#user-filter");
    browser.clear(&input);
    wait_for_matching(&browser, "user-status", size);

    // The outcome filter, sorting and paging on the whole list.
    browser.click_on("#outcome-chart .bar[data-outcome='invalid-soft-match']");
    wait_for_matching(
        &browser,
        "user-status",
        counts["invalid-soft-match"] as usize,
    );
    assert!(
        visible_outcomes(&browser)
            .iter()
            .all(|outcome| outcome == "invalid-soft-match")
    );
    browser.click_on("#outcome-all");
    wait_for_matching(&browser, "user-status", size);
    let started = Instant::now();
    let sort_ms = || {
        browser.run(
            "return Number(document.getElementById('user-status').dataset.sortMs);",
            json!([]),
        )
    };
    browser.click_on("#user-table th[data-sort='upn'] button");
    let first_sort_ms = sort_ms();
    browser.click_on("#user-table th[data-sort='upn'] button");
    let sorted = started.elapsed();
    let second_sort_ms = sort_ms();
    let mut upns: Vec<&str> = users
        .iter()
        .map(|user| user["predictedUserPrincipalName"].as_str().unwrap())
        .collect();
    upns.sort_unstable();
    upns.reverse();
    assert_eq!(column(&browser, "user-table", "upn"), upns[..100]);
    browser.click_on("#user-pager button[data-page='next']");
    assert_eq!(column(&browser, "user-table", "upn"), upns[100..200]);
    assert_eq!(status(&browser, "user-status").2, 100);

    assert_quiet_and_offline(&browser, &url);
    let ready_ms = browser.run("return Number(document.body.dataset.readyMs);", json!([]));
    eprintln!(
        "html report, {size} users: {} MB, rendered in {rendered:.2?}; opened in Chromium in {opened:.2?} \
         (script ready {ready_ms} ms after navigation start); typing a filter {filtered:.2?} \
         (the filter itself {filter_ms} ms); two sorts {sorted:.2?} \
         (in the page {first_sort_ms} ms, then {second_sort_ms} ms)",
        html.len() / 1_000_000
    );
}

/// What the page's filter should find: users any of whose searchable fields contains `query`.
fn matching(users: &[Value], query: &str) -> usize {
    users
        .iter()
        .filter(|user| {
            let mut text = String::new();
            for field in [
                "dn",
                "predictedUserPrincipalName",
                "sourceAnchor",
                "cloudUserId",
                "outcome",
            ] {
                text.push_str(user[field].as_str().unwrap_or_default());
                text.push('\n');
            }
            for list in ["reasons", "warnings"] {
                for entry in user[list].as_array().unwrap() {
                    text.push_str(entry.as_str().unwrap());
                    text.push('\n');
                }
            }
            text.to_lowercase().contains(query)
        })
        .count()
}

/// A plan of `size` users with every outcome, shaped like the engine's, deterministic.
fn generated_plan(size: usize) -> Value {
    // Roughly a real first sync: most users match or are new, a minority needs attention.
    const MIX: [(&str, usize); 11] = [
        ("hard-match", 40),
        ("soft-match-smtp", 20),
        ("soft-match-upn", 8),
        ("create", 15),
        ("create-with-conflict", 4),
        ("invalid-soft-match", 5),
        ("admin-role-conflict", 1),
        ("hard-match-blocked", 2),
        ("ambiguous", 2),
        ("invalid-anchor", 2),
        ("duplicate-anchor", 1),
    ];
    let wheel: Vec<&str> = MIX
        .iter()
        .flat_map(|(outcome, weight)| std::iter::repeat_n(*outcome, *weight))
        .collect();
    let mut users = Vec::with_capacity(size);
    for index in 0..size {
        let outcome = wheel[(index * 7919) % wheel.len()];
        let mut state = (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut bytes = [0u8; 16];
        for byte in &mut bytes {
            state ^= state >> 29;
            state = state.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            *byte = (state >> 56) as u8;
        }
        let anchor = base64::engine::general_purpose::STANDARD.encode(bytes);
        let upn = format!("user.{index:06}@example.com");
        let matched = outcome.starts_with("hard-match")
            || outcome.starts_with("soft-match")
            || outcome == "invalid-soft-match"
            || outcome == "admin-role-conflict";
        let cloud_user_id = matched.then(|| format!("00000000-0000-4000-8000-{index:012}"));
        let attribute_changes = if outcome == "hard-match" && index % 3 == 0 {
            json!([{"attribute": "jobTitle", "cloudValue": "Engineer", "onPremValue": "Senior Engineer"}])
        } else {
            json!([])
        };
        users.push(json!({
            "dn": format!("CN=User {index:06},OU=Dept{:02},OU=Staff,DC=corp,DC=example,DC=com", index % 40),
            "sourceAnchor": if outcome == "invalid-anchor" { Value::Null } else { Value::String(anchor.clone()) },
            "outcome": outcome,
            "cloudUserId": cloud_user_id,
            "predictedUserPrincipalName": upn,
            "conflictAttribute": if outcome == "create-with-conflict" { json!("ProxyAddresses") } else { Value::Null },
            "reasons": [format!("Generated user {index} with the outcome `{outcome}` and the anchor `{anchor}`.")],
            "warnings": if index % 50 == 0 { json!(["The cloud mobilePhone has no AD value and will be removed."]) } else { json!([]) },
            "attributeChanges": attribute_changes,
        }));
    }
    let cloud_only: Vec<Value> = (0..size / 10)
        .map(|index| {
            json!({
                "id": format!("10000000-0000-4000-8000-{index:012}"),
                "userPrincipalName": format!("cloud.{index:06}@example.com"),
                "displayName": format!("Cloud User {index}"),
                "onPremisesImmutableId": if index % 2 == 0 { json!(format!("Q0xPVUQ{index:06}")) } else { Value::Null },
            })
        })
        .collect();
    json!({ "formatVersion": 1, "users": users, "cloudOnly": cloud_only })
}

/// With `plan --strategy` (issue 6): the header counts the fixes, and a fixable user's details show the
/// pair, the outcome after and each step with its before and after values, bytes included.
#[test]
fn html_report_shows_the_remediation_issue_6() {
    let dir = tempfile::tempdir().unwrap();
    let ldif = dir.path().join("ad.ldif");
    let snapshot = dir.path().join("tenant.json");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    std::fs::copy(demo.join("ad.ldif"), &ldif).unwrap();
    std::fs::copy(demo.join("tenant.json"), &snapshot).unwrap();
    let output = assert_cmd::Command::cargo_bin("anchorsync")
        .unwrap()
        .args(["plan", "--strategy", "hard-ad", "--format", "json", "--ad"])
        .arg(&ldif)
        .arg("--cloud")
        .arg(&snapshot)
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&output.stdout).unwrap();
    let fixable = plan["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|user| user["remediation"]["fixable"] == true)
        .count();
    let path = write_report(dir.path(), "plan.html", &plan);
    let browser = Browser::start();
    let url = open(&browser, &path);
    let summary = browser.run(
        "return document.getElementById('strategy-summary').textContent;",
        json!([]),
    );
    assert!(
        summary
            .as_str()
            .unwrap()
            .starts_with(&format!("Strategy hard-ad: {fixable} users can be fixed")),
        "{summary}"
    );
    // Only the users the fix is for, then the first one's details.
    browser.click_on("#outcome-chart .bar[data-outcome='invalid-soft-match']");
    let fixable_anchor = plan["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["remediation"]["fixable"] == true)
        .map(|user| user["sourceAnchor"].as_str().unwrap().to_owned())
        .unwrap();
    type_filter(&browser, "user-filter", &fixable_anchor);
    wait_for_matching(&browser, "user-status", 1);
    browser.click_on("#user-table tbody tr.row button.expand");
    let detail = browser
        .run(
            "return document.querySelector('#user-table tr.detail').innerText;",
            json!([]),
        )
        .as_str()
        .unwrap()
        .to_owned();
    for expected in [
        "Fix",
        "Fixable with hard-ad: 1 change.",
        "Outcome after",
        "mS-DS-ConsistencyGuid",
        "(bytes, Base64)",
        "set-anchor",
    ] {
        assert!(detail.contains(expected), "{expected:?} not in {detail}");
    }
    assert_quiet_and_offline(&browser, &url);
}

/// Where each line after the first of every `selector` element starts: the character that begins it.
fn line_starts(browser: &Browser, selector: &str) -> Vec<(String, String)> {
    let value = browser.run(
        "const starts = []; \
         for (const cell of document.querySelectorAll(arguments[0])) { \
           const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT); \
           let top = null; \
           for (let node = walker.nextNode(); node; node = walker.nextNode()) { \
             for (let i = 0; i < node.length; i += 1) { \
               const range = document.createRange(); \
               range.setStart(node, i); range.setEnd(node, i + 1); \
               const rect = range.getClientRects()[0]; \
               if (!rect) continue; \
               if (top !== null && rect.top > top + 2) starts.push([cell.textContent, node.data[i]]); \
               top = rect.top; \
             } \
           } \
         } \
         return starts;",
        json!([selector]),
    );
    serde_json::from_value(value).unwrap()
}

/// The page speaks the command line's outcome names, lists the users that need attention first, wraps
/// an address only before `@` or `.`, and says which text is English and which is not.
#[test]
fn html_report_cli_names_attention_first_whole_addresses_honest_lang_issue_10() {
    let mut plan = fixture("plan-every-outcome.json");
    let long = "anna-maria.konstantinopoulou@subsidiary.research.example.co.jp";
    plan["users"][0]["predictedUserPrincipalName"] = json!(long);
    plan["users"][1]["dn"] = json!("CN=山田 太郎,OU=東京,DC=corp,DC=example,DC=com");
    plan["cloudOnly"][0]["userPrincipalName"] = json!(long);
    // One piece wider than the column: it stays whole rather than being cut.
    let longer = "lukas.wolfeschlegelsteinhausenbergerdorff-papadimitriou@example.com";
    plan["users"][2]["predictedUserPrincipalName"] = json!(longer);
    let dir = tempfile::tempdir().unwrap();
    let path = write_report(dir.path(), "plan.html", &plan);
    let browser = Browser::start();
    let url = open(&browser, &path);

    // The chart, the chips and the table's badges name each outcome exactly as `plan` prints it.
    let names = browser.run(
        "return { bars: [...document.querySelectorAll('#outcome-chart .bar')].map((bar) => \
                   [bar.dataset.outcome, bar.querySelector('.label').textContent]), \
                 chips: [...document.querySelectorAll('#outcome-chips .chip')].map((chip) => \
                   [chip.dataset.outcome, chip.querySelector('span:not(.swatch):not(.n)').textContent]), \
                 badges: [...document.querySelectorAll('#user-table td.outcome')].map((td) => \
                   [td.dataset.outcome, td.querySelector('.badge .text').textContent]) };",
        json!([]),
    );
    let cli: Vec<&str> = Outcome::ALL
        .iter()
        .map(|outcome| outcome.as_str())
        .collect();
    for list in ["bars", "chips", "badges"] {
        let pairs = names[list].as_array().unwrap();
        assert!(!pairs.is_empty(), "{list}");
        for pair in pairs {
            assert_eq!(pair[0], pair[1], "{list}: {pair}");
            assert!(cli.contains(&pair[0].as_str().unwrap()), "{list}: {pair}");
        }
    }
    let mut charted: Vec<&str> = names["bars"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| pair[0].as_str().unwrap())
        .collect();
    charted.sort_unstable();
    let mut every = cli.clone();
    every.sort_unstable();
    assert_eq!(charted, every, "one bar per outcome of the engine");

    // Users that need attention first, in the command line's order of outcomes, then the others.
    let shown = visible_outcomes(&browser);
    let attention = |outcome: &str| {
        Outcome::ALL
            .iter()
            .find(|known| known.as_str() == outcome)
            .unwrap()
            .needs_attention()
    };
    let split = shown
        .iter()
        .take_while(|outcome| attention(outcome))
        .count();
    assert_eq!(split, 9, "{shown:?}");
    assert!(
        shown[split..].iter().all(|outcome| !attention(outcome)),
        "{shown:?}"
    );
    let rank = |outcome: &str| cli.iter().position(|known| *known == outcome).unwrap();
    assert!(
        shown[..split]
            .windows(2)
            .all(|pair| rank(&pair[0]) <= rank(&pair[1])),
        "{shown:?}"
    );

    // A long address wraps, and only before `@` or `.` (never inside a name, nor at its hyphen).
    for table in ["#user-table td.upn", "#cloud-table td.upn"] {
        let starts = line_starts(&browser, table);
        assert!(
            starts.iter().any(|(cell, _)| cell == long),
            "{table}: the long address wraps: {starts:?}"
        );
        assert!(
            starts.iter().all(|(_, start)| start == "@" || start == "."),
            "{table}: {starts:?}"
        );
    }
    let starts = line_starts(&browser, "#user-table td.upn");
    assert!(
        starts
            .iter()
            .any(|(cell, start)| cell == longer && start == "@"),
        "{starts:?}"
    );

    // The page's words are English; the directory's values say they are not.
    browser.click_on("#user-table tbody tr.row button.expand");
    let lang = browser.run(
        "const langOf = (node) => node.closest('[lang]').getAttribute('lang'); \
         return { page: document.documentElement.getAttribute('lang'), \
                  status: langOf(document.getElementById('user-status')), \
                  values: [...document.querySelectorAll( \
                    '#user-table td.dn, #user-table td.upn .address, #cloud-table td.upn .address, \
                     tr.detail dd .address, tr.detail li code')].map(langOf), \
                  japanese: langOf([...document.querySelectorAll('#user-table td.dn')] \
                    .find((td) => td.textContent.startsWith('CN=山田'))) };",
        json!([]),
    );
    assert_eq!(lang["page"], "en");
    assert_eq!(lang["status"], "en");
    assert_eq!(lang["japanese"], "");
    let values = lang["values"].as_array().unwrap();
    assert!(values.len() > 30, "{values:?}");
    assert!(values.iter().all(|value| value == ""), "{values:?}");

    assert_quiet_and_offline(&browser, &url);
}
