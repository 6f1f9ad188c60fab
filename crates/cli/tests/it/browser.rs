//! A minimal WebDriver client for tests: starts Debian's `chromedriver` on a free loopback port, opens a
//! headless Chromium session with a fresh profile, and offers the few commands the report tests need
//! (navigate, find, click, type, run a script, read the console and network logs).
//!
//! WebDriver is JSON over HTTP (<https://www.w3.org/TR/webdriver2/>); the console and network logs come
//! from ChromeDriver's `goog:loggingPrefs` capability and its `se/log` endpoint.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The key under which WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long to wait for ChromeDriver to answer and for a page to reach a state: a guard against hanging,
/// not a performance limit (a healthy run takes a fraction of it).
const PATIENCE: Duration = Duration::from_secs(60);

const INSTALL_HINT: &str =
    "run `scripts/install-test-deps.sh` as root, or `apt-get install chromium chromium-driver`";

/// A headless Chromium driven through ChromeDriver. Dropping it ends the session and ChromeDriver.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    _profile: tempfile::TempDir,
}

/// A reference to an element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

/// One entry of the browser's console log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium. Panics with an install hint when either is missing:
    /// the browser tests never skip.
    pub fn start() -> Self {
        let chromedriver =
            find_program("chromedriver", &["/usr/bin/chromedriver"]).unwrap_or_else(|| {
                panic!(
                    "`chromedriver` was not found: the HTML report tests need it; {INSTALL_HINT}"
                )
            });
        let chromium = find_program(
            "chromium",
            &["/usr/bin/chromium", "/usr/lib/chromium/chromium"],
        )
        .unwrap_or_else(|| {
            panic!("`chromium` was not found: the HTML report tests need it; {INSTALL_HINT}")
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(PATIENCE)
            .build()
            .unwrap();

        // The port is free when we look; if another process takes it first, ChromeDriver exits and we
        // try another.
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let mut driver = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|error| {
                    panic!(
                        "cannot start `{}`: {error}; {INSTALL_HINT}",
                        chromedriver.display()
                    )
                });
            let base = format!("http://127.0.0.1:{port}");
            match runtime.block_on(wait_until_ready(&http, &base, &mut driver)) {
                Ok(()) => {
                    let profile = tempfile::tempdir().unwrap();
                    let session = runtime
                        .block_on(new_session(&http, &base, &chromium, profile.path()))
                        .unwrap_or_else(|error| {
                            let _ = driver.kill();
                            let _ = driver.wait();
                            panic!(
                                "ChromeDriver could not start `{}`: {error}",
                                chromium.display()
                            )
                        });
                    return Self {
                        driver,
                        base,
                        session,
                        http,
                        runtime,
                        _profile: profile,
                    };
                }
                Err(error) => {
                    let _ = driver.kill();
                    let _ = driver.wait();
                    failures.push(error);
                }
            }
        }
        panic!("ChromeDriver did not start: {}", failures.join("; "));
    }

    fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        self.runtime
            .block_on(call(&self.http, method, &url, body))
            .unwrap_or_else(|error| panic!("WebDriver {path}: {error}"))
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body))
    }

    /// Opens `path` as a `file://` page and waits for it to load.
    pub fn open_file(&self, path: &Path) -> String {
        let url = format!("file://{}", path.display());
        self.post("/url", json!({ "url": url }));
        url
    }

    /// The first element matching a CSS selector; panics when there is none.
    pub fn find(&self, selector: &str) -> Element {
        let found = self.post(
            "/element",
            json!({ "using": "css selector", "value": selector }),
        );
        let id = found[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element matches `{selector}`: {found}"));
        Element(id.to_owned())
    }

    /// Clicks an element as a user would (scrolls it into view, checks nothing covers it).
    pub fn click(&self, element: &Element) {
        self.post(&format!("/element/{}/click", element.0), json!({}));
    }

    /// Clicks the first element matching `selector`.
    pub fn click_on(&self, selector: &str) {
        let element = self.find(selector);
        self.click(&element);
    }

    /// Types `text` into an element, key by key.
    pub fn type_into(&self, element: &Element, text: &str) {
        self.post(
            &format!("/element/{}/value", element.0),
            json!({ "text": text }),
        );
    }

    /// Empties a text field.
    pub fn clear(&self, element: &Element) {
        self.post(&format!("/element/{}/clear", element.0), json!({}));
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns its result.
    pub fn run(&self, script: &str, args: Value) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Runs `script` until it returns `true`; panics with `what` when it never does.
    pub fn wait_for(&self, what: &str, script: &str, args: Value) {
        let start = Instant::now();
        loop {
            if self.run(script, args.clone()) == Value::Bool(true) {
                return;
            }
            if start.elapsed() > PATIENCE {
                panic!(
                    "the page never reached this state: {what}; console: {:#?}",
                    self.console()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The console entries since the last call (ChromeDriver empties the log when it is read).
    pub fn console(&self) -> Vec<LogEntry> {
        let entries = self.post("/se/log", json!({ "type": "browser" }));
        entries
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| LogEntry {
                        level: entry["level"].as_str().unwrap_or_default().to_owned(),
                        message: entry["message"].as_str().unwrap_or_default().to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The DevTools network events since the last call: `(method, params)` of every `Network.*` event.
    pub fn network_events(&self) -> Vec<(String, Value)> {
        let entries = self.post("/se/log", json!({ "type": "performance" }));
        let mut events = Vec::new();
        for entry in entries.as_array().into_iter().flatten() {
            let Some(message) = entry["message"].as_str() else {
                continue;
            };
            let Ok(message) = serde_json::from_str::<Value>(message) else {
                continue;
            };
            let method = message["message"]["method"].as_str().unwrap_or_default();
            if method.starts_with("Network.") {
                events.push((method.to_owned(), message["message"]["params"].clone()));
            }
        }
        events
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self
            .runtime
            .block_on(call(&self.http, reqwest::Method::DELETE, &url, None));
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Sends one WebDriver command and returns its `value`, or the WebDriver error as text.
async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.map_err(|error| error.to_string())?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|error| error.to_string())?;
    if status.is_success() {
        Ok(body["value"].clone())
    } else {
        Err(format!(
            "{status}: {} {}",
            body["value"]["error"], body["value"]["message"]
        ))
    }
}

async fn wait_until_ready(
    http: &reqwest::Client,
    base: &str,
    driver: &mut Child,
) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            return Err(format!("chromedriver exited with {status}"));
        }
        if let Ok(value) = call(http, reqwest::Method::GET, &format!("{base}/status"), None).await
            && value["ready"] == Value::Bool(true)
        {
            return Ok(());
        }
        if start.elapsed() > PATIENCE {
            return Err("chromedriver did not answer on its port".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn new_session(
    http: &reqwest::Client,
    base: &str,
    chromium: &Path,
    profile: &Path,
) -> Result<String, String> {
    let capabilities = json!({
        "capabilities": {
            "alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": chromium,
                    // The machine has no network: without the background-networking flags Chromium
                    // tries (and fails) to reach Google's services at every start.
                    "args": [
                        "--headless=new",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--window-size=1400,1000",
                        format!("--user-data-dir={}", profile.display()),
                    ],
                    "perfLoggingPrefs": { "enableNetwork": true, "enablePage": false },
                },
                "goog:loggingPrefs": { "browser": "ALL", "performance": "ALL" },
            }
        }
    });
    let value = call(
        http,
        reqwest::Method::POST,
        &format!("{base}/session"),
        Some(capabilities),
    )
    .await?;
    value["sessionId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no session id in {value}"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap()
}

/// `name` on the `PATH`, else the first of `fallbacks` that exists.
fn find_program(name: &str, fallbacks: &[&str]) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| {
        fallbacks
            .iter()
            .map(PathBuf::from)
            .find(|candidate| candidate.is_file())
    })
}
