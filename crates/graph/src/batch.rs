//! JSON batching (<https://learn.microsoft.com/graph/json-batching>): up to 20 requests per `POST
//! /$batch`, each answered (and throttled) on its own. The client splits any number of requests
//! into batches, keeps requests that depend on each other in the same batch, sends several batches
//! at once, and sends again only the requests that were answered 429, 503 or 504, after their own
//! `Retry-After`.
//!
//! Throttling is met the way Graph asks, and without wasting the budget: after a 429, nothing more is
//! sent until its `Retry-After` has passed (the shared [`Gate`](crate::retry::Gate)); then one batch
//! at a time, carrying as many requests as the previous `Retry-After` period admitted, followed by a
//! small probe that finds out whether more would pass. Once a whole period passes without a 429, the
//! configured concurrency comes back, one batch at a time. docs/PERFORMANCE.md has the numbers.
//!
//! The same loop serves two callers: [`GraphClient::batch`] hands it a list and waits for all the
//! answers; a [`Batcher`] stays open while tasks hand it requests one at a time (the executor's
//! steps of different users), so that requests made at about the same time share `$batch` calls
//! and one throttling state, and each task gets its own answer as soon as it is final.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

use anchorsync_core::progress::{NoProgress, Reporter};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::{Duration, Instant};

use crate::body::{BodyRead, read_body};
use crate::client::{GraphClient, request_id};
use crate::error::{GraphError, RequestName, ServiceError};
use crate::retry;

/// Graph's limit of requests per batch.
pub const MAX_BATCH_SIZE: usize = 20;

/// How often a reporter hears that Graph is throttling.
const NOTE_INTERVAL: Duration = Duration::from_secs(30);

/// One request of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchRequest {
    /// The method.
    pub method: Method,
    /// The URL relative to the Graph base (`/users/{id}`).
    pub url: String,
    /// The JSON body.
    pub body: Option<Value>,
    /// Indexes (in the list given to [`GraphClient::batch`]) of earlier requests that must succeed
    /// first; a failed dependency answers this one 424.
    pub depends_on: Vec<usize>,
    /// Sends `ConsistencyLevel: eventual` with this request.
    pub eventual: bool,
}

impl BatchRequest {
    fn new(method: Method, url: impl Into<String>, body: Option<Value>) -> Self {
        Self {
            method,
            url: url.into(),
            body,
            depends_on: Vec::new(),
            eventual: false,
        }
    }

    /// `GET url`.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::GET, url, None)
    }

    /// `PATCH url` with `body`.
    pub fn patch(url: impl Into<String>, body: Value) -> Self {
        Self::new(Method::PATCH, url, Some(body))
    }

    /// `POST url` with `body`.
    pub fn post(url: impl Into<String>, body: Value) -> Self {
        Self::new(Method::POST, url, Some(body))
    }

    /// `DELETE url`.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::DELETE, url, None)
    }

    /// Runs after the request at `index` succeeded.
    #[must_use]
    pub fn depends_on(mut self, index: usize) -> Self {
        self.depends_on.push(index);
        self
    }

    /// Sends `ConsistencyLevel: eventual`.
    #[must_use]
    pub fn eventual(mut self) -> Self {
        self.eventual = true;
        self
    }

    fn name(&self) -> RequestName {
        RequestName::new(&self.method, self.url.clone())
    }
}

/// Graph's answer to one request of a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchResponse {
    /// The HTTP status.
    pub status: u16,
    /// The answer's headers.
    pub headers: BTreeMap<String, String>,
    /// The JSON body, when there is one.
    pub body: Option<Value>,
}

#[derive(Serialize)]
struct WireRequest<'a> {
    id: String,
    method: &'a str,
    url: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    headers: BTreeMap<&'static str, &'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a Value>,
    #[serde(rename = "dependsOn", skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
}

#[derive(Deserialize)]
struct WireAnswer {
    #[serde(default)]
    responses: Vec<WireResponse>,
}

#[derive(Deserialize)]
struct WireResponse {
    id: String,
    status: u16,
    #[serde(default)]
    headers: BTreeMap<String, Value>,
    #[serde(default)]
    body: Option<Value>,
}

fn header<'a>(headers: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// What one `POST /$batch` came to.
enum CallOutcome {
    Answered {
        status: u16,
        headers: reqwest::header::HeaderMap,
        body: Vec<u8>,
    },
    NotSent(reqwest::Error),
    Lost(reqwest::Error),
    /// An answer larger than the configured ceiling, left unread: no retry can help, and the
    /// requests inside may have been carried out.
    TooLarge(Option<String>),
    /// The server's certificate was refused: no retry can help.
    Untrusted(String),
    Token(GraphError),
}

/// The progress of one request through its attempts.
struct Slot {
    request: BatchRequest,
    transient_attempts: u32,
    throttles: u32,
    result: Option<Result<BatchResponse, GraphError>>,
    /// Where a [`Batcher`]'s caller waits for the result (the slot goes once it is sent).
    reply: Option<oneshot::Sender<Result<BatchResponse, GraphError>>>,
}

impl Slot {
    fn new(request: BatchRequest) -> Self {
        Self {
            request,
            transient_attempts: 0,
            throttles: 0,
            result: None,
            reply: None,
        }
    }
}

/// The requests of one batch loop by index: indexes name them in the wire format and in
/// dependencies. A request handed in through a [`Batcher`] leaves once it is answered, so a loop
/// that runs for a whole sync holds only the requests not yet answered.
type Slots = HashMap<usize, Slot>;

/// A request handed to a [`Batcher`], and where its answer goes.
struct Submission {
    request: BatchRequest,
    reply: oneshot::Sender<Result<BatchResponse, GraphError>>,
}

/// Hands requests from many tasks to one batch loop, so that requests made at about the same time
/// by different tasks travel in the same `$batch` calls, under the same throttling as
/// [`GraphClient::batch`]: the shared gate, one batch at a time after a 429, batches sized by what
/// the last `Retry-After` period admitted. Reads and writes go through loops of their own (Graph
/// budgets them apart). Cheap to clone; made by [`GraphClient::batcher`].
///
/// Each request is answered on its own, exactly as [`GraphClient::batch`] answers it: a `POST`
/// whose outcome is unknown is never sent again; a request answered 429, 503 or 504 is.
#[derive(Clone)]
pub struct Batcher {
    client: GraphClient,
    loops: Arc<OnceLock<Loops>>,
}

/// Where a batcher's reads and writes go.
struct Loops {
    reads: mpsc::UnboundedSender<Submission>,
    writes: mpsc::UnboundedSender<Submission>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

impl Batcher {
    /// Sends `request` in the next `$batch` call with room for it and returns its answer: a 2xx
    /// answer as `Ok`, anything else as a [`GraphError`] naming the request.
    pub async fn send(&self, request: BatchRequest) -> Result<BatchResponse, GraphError> {
        let name = request.name();
        let stopped = || GraphError::GaveUp {
            request: name.clone(),
            attempts: 0,
            last: "the batch loop has stopped".to_owned(),
            request_id: None,
        };
        let loops = self.loops.get_or_init(|| Loops {
            reads: self.start_loop(false),
            writes: self.start_loop(true),
        });
        let loop_for = if request.method == Method::GET {
            &loops.reads
        } else {
            &loops.writes
        };
        let (reply, answer) = oneshot::channel();
        loop_for
            .send(Submission { request, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Starts the batch loop of reads or writes; it ends when its sender is dropped and every
    /// request handed in was answered.
    fn start_loop(&self, write: bool) -> mpsc::UnboundedSender<Submission> {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Submission>();
        let client = self.client.clone();
        tokio::spawn(async move {
            let mut slots = Slots::default();
            client
                .drive(
                    write,
                    &mut slots,
                    VecDeque::new(),
                    Some(&mut receiver),
                    &NoProgress,
                )
                .await;
        });
        sender
    }
}

/// A request handed in joins the loop's requests and its queue.
fn admit(
    submission: Submission,
    next_index: &mut usize,
    slots: &mut Slots,
    queue: &mut VecDeque<Vec<usize>>,
) {
    let index = *next_index;
    *next_index += 1;
    let mut slot = Slot::new(submission.request);
    // Requests handed in one by one depend on nothing in the loop.
    slot.request.depends_on.clear();
    slot.reply = Some(submission.reply);
    slots.insert(index, slot);
    queue.push_back(vec![index]);
}

/// The next request handed in; never, without a feed.
async fn next_submission(
    feed: &mut Option<&mut mpsc::UnboundedReceiver<Submission>>,
) -> Option<Submission> {
    match feed.as_deref_mut() {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

/// Why an item goes back into the queue.
#[derive(Clone)]
enum Again {
    Throttled(Option<Duration>),
    Transient(Option<Duration>, String),
    /// Its dependency goes again; it follows without counting an attempt.
    Dependency,
}

impl GraphClient {
    /// Sends `requests` in `$batch` calls and returns one result per request, in the same order: a
    /// 2xx answer as `Ok`, anything else as a [`GraphError`] naming the request. Requests answered
    /// 429, 503 or 504 are sent again after their own `Retry-After` (429: up to
    /// `max_throttle_retries` times; 503/504: up to `max_attempts` attempts); a `POST` whose outcome
    /// is unknown (504, or no answer) is not sent again and says so.
    ///
    /// Fails as a whole only when the list cannot be batched: a dependency on a later request, or
    /// more than 20 requests chained together.
    pub async fn batch(
        &self,
        requests: Vec<BatchRequest>,
        reporter: &dyn Reporter,
    ) -> Result<Vec<Result<BatchResponse, GraphError>>, GraphError> {
        let groups = dependency_groups(&requests)?;
        let count = requests.len();
        let write = requests.iter().any(|request| request.method != Method::GET);
        let mut slots: Slots = requests.into_iter().map(Slot::new).enumerate().collect();
        self.drive(
            write,
            &mut slots,
            groups.into_iter().collect(),
            None,
            reporter,
        )
        .await;
        Ok((0..count)
            .map(|index| match slots.remove(&index) {
                Some(slot) => {
                    let name = slot.request.name();
                    let attempts = slot.transient_attempts + slot.throttles;
                    slot.result.unwrap_or_else(|| {
                        Err(GraphError::GaveUp {
                            request: name,
                            attempts,
                            last: "no answer".to_owned(),
                            request_id: None,
                        })
                    })
                }
                None => Err(GraphError::GaveUp {
                    request: RequestName::new(&Method::POST, "/$batch"),
                    attempts: 0,
                    last: "no answer".to_owned(),
                    request_id: None,
                }),
            })
            .collect())
    }

    /// A [`Batcher`] on this client: requests handed to it by any number of tasks travel together
    /// in `$batch` calls, reads and writes each through a loop of their own, started on the first
    /// request (in the runtime of the task that sends it). The loops end when the last clone of the
    /// batcher is dropped.
    pub fn batcher(&self) -> Batcher {
        Batcher {
            client: self.clone(),
            loops: Arc::default(),
        }
    }

    /// The batch loop: sends what is queued (and, with a `feed`, what other tasks hand in while it
    /// runs) in `$batch` calls, as many in flight as the window allows, and answers each request
    /// once it is final. Without a feed it ends when the queue is empty; with one, when the feed is
    /// closed and everything handed in was answered.
    async fn drive(
        &self,
        write: bool,
        slots: &mut Slots,
        mut queue: VecDeque<Vec<usize>>,
        mut feed: Option<&mut mpsc::UnboundedReceiver<Submission>>,
        reporter: &dyn Reporter,
    ) {
        let concurrency = self.settings().concurrency.max(1);
        let mut next_index = slots.keys().max().map_or(0, |last| last + 1);
        let mut in_flight: JoinSet<(Vec<usize>, bool, CallOutcome)> = JoinSet::new();
        let mut window = concurrency;
        // When Graph last throttled this run, and for how long.
        let mut last_throttle: Option<(Instant, Duration)> = None;
        // Set while Graph throttles this run: how many requests the next batch may carry.
        let mut budget: Option<Probe> = None;
        let mut last_note: Option<Instant> = None;
        let gate = self.gate(write);
        loop {
            // What was handed in meanwhile joins the queue before the next batch is packed.
            if let Some(receiver) = feed.as_deref_mut() {
                while let Ok(submission) = receiver.try_recv() {
                    admit(submission, &mut next_index, slots, &mut queue);
                }
            }
            // Nothing is sent into a closed gate: batches queued behind it would all leave at once
            // when it opens, and all but the first would meet the same empty budget.
            while in_flight.len() < window && !gate.is_closed() {
                let (limit, probing) = budget
                    .as_ref()
                    .map_or((MAX_BATCH_SIZE, false), Probe::next_size);
                let Some(chunk) = pack(&mut queue, limit) else {
                    break;
                };
                let payload = wire_payload(&chunk, slots);
                for index in &chunk {
                    if let Some(slot) = slots.get(index)
                        && slot.transient_attempts + slot.throttles > 0
                    {
                        self.inner.counters.retries.increment();
                    }
                }
                self.inner.counters.batch_items.add(chunk.len() as u64);
                let client = self.clone();
                in_flight.spawn(async move {
                    let outcome = client.send_batch(payload, write).await;
                    (chunk, probing, outcome)
                });
            }
            if in_flight.is_empty() {
                if queue.is_empty() {
                    // Nothing to send: wait for more, or end when no more can come.
                    let Some(receiver) = feed.as_deref_mut() else {
                        break;
                    };
                    match receiver.recv().await {
                        Some(submission) => admit(submission, &mut next_index, slots, &mut queue),
                        None => break,
                    }
                    continue;
                }
                gate.pass().await;
                continue;
            }
            let waiting = !queue.is_empty() && in_flight.len() < window;
            // Room for a batch now: a request handed in goes at once rather than after the
            // batches in flight.
            let room = queue.is_empty() && in_flight.len() < window && !gate.is_closed();
            let joined = tokio::select! {
                joined = in_flight.join_next() => joined,
                _ = gate.pass(), if waiting && gate.is_closed() => continue,
                submission = next_submission(&mut feed), if room && feed.is_some() => {
                    match submission {
                        Some(submission) => admit(submission, &mut next_index, slots, &mut queue),
                        // Closed: what is in flight still comes back and is answered.
                        None => feed = None,
                    }
                    continue;
                }
            };
            let Some(joined) = joined else {
                break;
            };
            let Ok((chunk, probing, outcome)) = joined else {
                // A task only ends this way if it panicked, which the crate's lints rule out.
                continue;
            };
            let again = self.settle(&chunk, outcome, slots, reporter).await;
            let throttled = again
                .iter()
                .any(|(_, why)| matches!(why, Again::Throttled(_)));
            let refused = again
                .iter()
                .filter(|(_, why)| matches!(why, Again::Throttled(_)))
                .count();
            let admitted = chunk.len() - refused;
            // Like TCP: one batch at a time after a 429, one more only once a whole Retry-After
            // period has passed without one.
            let calm = last_throttle.is_none_or(|(at, delay)| at.elapsed() > delay * 2);
            if throttled {
                window = 1;
                budget
                    .get_or_insert_with(Probe::default)
                    .on_throttled(admitted);
            } else if calm {
                window = (window + 1).min(concurrency);
                budget = None;
            } else if let Some(probe) = budget.as_mut() {
                probe.on_clean(admitted, probing);
            }
            if again.is_empty() {
                continue;
            }
            let delay = again
                .iter()
                .filter_map(|(index, why)| match why {
                    Again::Throttled(after) => Some(after.unwrap_or_else(|| {
                        let throttles = slots.get(index).map_or(1, |slot| slot.throttles);
                        self.backoff_delay(throttles)
                    })),
                    Again::Transient(after, _) => Some(after.unwrap_or_else(|| {
                        let attempts = slots.get(index).map_or(1, |slot| slot.transient_attempts);
                        self.backoff_delay(attempts)
                    })),
                    Again::Dependency => None,
                })
                .max()
                .unwrap_or_default();
            gate.close_for(delay);
            if throttled {
                last_throttle = Some((Instant::now(), delay.max(Duration::from_millis(100))));
            }
            if throttled
                && delay >= Duration::from_secs(1)
                && last_note.is_none_or(|at| at.elapsed() >= NOTE_INTERVAL)
            {
                last_note = Some(Instant::now());
                let note = format!(
                    "Microsoft Graph is throttling {}: waiting {} s as it asks (Retry-After)",
                    if write { "writes" } else { "reads" },
                    delay.as_secs()
                );
                tracing::info!("{note}");
                reporter.on_note(&note);
            }
            // Retries go first: nothing waits behind newer work for ever.
            for group in regroup(&chunk, &again, slots).into_iter().rev() {
                queue.push_front(group);
            }
        }
    }

    /// One `POST /$batch`, one attempt.
    async fn send_batch(&self, payload: Value, write: bool) -> CallOutcome {
        self.gate(write).pass().await;
        let token = match self.token().await {
            Ok(token) => token,
            Err(error) => return CallOutcome::Token(error),
        };
        let inner = &self.inner;
        let permit = inner.permits.acquire().await;
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        inner.counters.requests.increment();
        let sent = inner
            .http
            .post(format!("{}/$batch", inner.settings.graph_url))
            .bearer_auth(token.expose())
            .header("client-request-id", &client_request_id)
            .header("return-client-request-id", "true")
            .json(&payload)
            .send()
            .await;
        let outcome = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                match read_body(response, inner.settings.max_response_bytes).await {
                    BodyRead::Complete(body) => CallOutcome::Answered {
                        status,
                        headers,
                        body,
                    },
                    BodyRead::TooLarge => CallOutcome::TooLarge(request_id(&headers)),
                    BodyRead::Failed(error) => CallOutcome::Lost(error),
                }
            }
            Err(error) if error.is_connect() => match retry::untrusted_certificate(&error) {
                Some(reason) => CallOutcome::Untrusted(reason),
                None => CallOutcome::NotSent(error),
            },
            Err(error) => CallOutcome::Lost(error),
        };
        drop(permit);
        if let CallOutcome::Answered {
            status, headers, ..
        } = &outcome
        {
            tracing::debug!(
                method = "POST",
                path = "/$batch",
                status,
                request_id = request_id(headers).as_deref().unwrap_or("-"),
                client_request_id = %client_request_id,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "graph batch"
            );
            if *status == 401 {
                inner.tokens.invalidate(&token).await;
            }
        }
        outcome
    }

    /// Records the final results of `chunk` and returns the items to send again, with why.
    async fn settle(
        &self,
        chunk: &[usize],
        outcome: CallOutcome,
        slots: &mut Slots,
        reporter: &dyn Reporter,
    ) -> Vec<(usize, Again)> {
        let counters = &self.inner.counters;
        let policy = self.policy().clone();
        let mut again: Vec<(usize, Again)> = Vec::new();
        // Every item of the chunk is answered the same way when the batch as a whole failed.
        let whole: Option<(Again, bool)> = match &outcome {
            CallOutcome::Answered {
                status: 200..=299, ..
            } => None,
            CallOutcome::Answered {
                status: 429,
                headers,
                ..
            } => {
                counters.throttled.add(chunk.len() as u64);
                Some((Again::Throttled(retry::retry_after(headers)), true))
            }
            CallOutcome::Answered {
                status: status @ (503 | 504),
                headers,
                ..
            } => {
                counters.unavailable.add(chunk.len() as u64);
                Some((
                    Again::Transient(
                        retry::retry_after(headers),
                        format!("HTTP {status} to the $batch"),
                    ),
                    *status == 503,
                ))
            }
            CallOutcome::Answered { status: 401, .. } => Some((
                Again::Transient(Some(Duration::ZERO), "HTTP 401 to the $batch".to_owned()),
                true,
            )),
            CallOutcome::Answered {
                status,
                headers,
                body,
            } => {
                // The batch itself was refused (malformed, 403...): every item fails with it.
                let error = ServiceError::from_body(
                    RequestName::new(&Method::POST, "/$batch"),
                    *status,
                    body,
                    request_id(headers),
                    None,
                );
                for index in chunk {
                    finish(
                        slots,
                        *index,
                        Err(GraphError::Service(Box::new(error.clone()))),
                        reporter,
                    );
                }
                return again;
            }
            CallOutcome::NotSent(error) => Some((
                Again::Transient(None, retry::describe_transport(error)),
                true,
            )),
            CallOutcome::Lost(error) => Some((
                Again::Transient(None, retry::describe_transport(error)),
                false,
            )),
            CallOutcome::TooLarge(request_id) => {
                for index in chunk {
                    let error = GraphError::ResponseTooLarge {
                        request: RequestName::new(&Method::POST, "/$batch"),
                        limit: self.settings().max_response_bytes,
                        request_id: request_id.clone(),
                    };
                    finish(slots, *index, Err(error), reporter);
                }
                return again;
            }
            CallOutcome::Untrusted(reason) => {
                for index in chunk {
                    let error = GraphError::Untrusted {
                        request: RequestName::new(
                            &Method::POST,
                            format!("{}/$batch", self.settings().graph_url),
                        ),
                        reason: reason.clone(),
                    };
                    finish(slots, *index, Err(error), reporter);
                }
                return again;
            }
            CallOutcome::Token(error) => {
                let text = error.to_string();
                for index in chunk {
                    let error = GraphError::GaveUp {
                        request: slots
                            .get(index)
                            .map(|slot| slot.request.name())
                            .unwrap_or_else(|| RequestName::new(&Method::POST, "/$batch")),
                        attempts: 0,
                        last: format!("no access token: {text}"),
                        request_id: None,
                    };
                    finish(slots, *index, Err(error), reporter);
                }
                return again;
            }
        };
        if let Some((why, not_processed)) = whole {
            for index in chunk {
                self.retry_or_finish(
                    *index,
                    why.clone(),
                    not_processed,
                    &policy,
                    slots,
                    &mut again,
                    reporter,
                );
            }
            return again;
        }
        let CallOutcome::Answered { body, .. } = outcome else {
            return again;
        };
        let answer: WireAnswer = match serde_json::from_slice(&body) {
            Ok(answer) => answer,
            Err(source) => {
                let text = source.to_string();
                for index in chunk {
                    let why = Again::Transient(None, format!("unreadable $batch answer ({text})"));
                    self.retry_or_finish(*index, why, false, &policy, slots, &mut again, reporter);
                }
                return again;
            }
        };
        let mut answered: HashMap<usize, WireResponse> = HashMap::new();
        for response in answer.responses {
            if let Ok(index) = response.id.parse::<usize>()
                && chunk.contains(&index)
            {
                answered.insert(index, response);
            }
        }
        // Dependencies first, so a 424 knows whether its dependency goes again.
        for index in chunk {
            let Some(response) = answered.remove(index) else {
                let why = Again::Transient(None, "no answer in the $batch".to_owned());
                self.retry_or_finish(*index, why, false, &policy, slots, &mut again, reporter);
                continue;
            };
            let headers: BTreeMap<String, String> = response
                .headers
                .into_iter()
                .map(|(name, value)| {
                    let text = match value {
                        Value::String(text) => text,
                        other => other.to_string(),
                    };
                    (name, text)
                })
                .collect();
            let retry_after = header(&headers, "Retry-After").and_then(retry::parse_retry_after);
            match response.status {
                200..=399 => finish(
                    slots,
                    *index,
                    Ok(BatchResponse {
                        status: response.status,
                        headers,
                        body: response.body,
                    }),
                    reporter,
                ),
                429 => {
                    counters.throttled.increment();
                    self.retry_or_finish(
                        *index,
                        Again::Throttled(retry_after),
                        true,
                        &policy,
                        slots,
                        &mut again,
                        reporter,
                    );
                }
                status @ (503 | 504) => {
                    counters.unavailable.increment();
                    let why = Again::Transient(retry_after, format!("HTTP {status}"));
                    self.retry_or_finish(
                        *index,
                        why,
                        status == 503,
                        &policy,
                        slots,
                        &mut again,
                        reporter,
                    );
                }
                // A new object not replicated yet, through `for_new_objects` (not its last attempt).
                404 if self.rides_replication_lag
                    && slots
                        .get(index)
                        .is_some_and(|slot| slot.transient_attempts + 1 < policy.max_attempts) =>
                {
                    counters.replication_waits.increment();
                    tracing::info!(
                        request = %slots
                            .get(index)
                            .map(|slot| slot.request.name().to_string())
                            .unwrap_or_default(),
                        "404 for a new object: waiting for Entra's replication"
                    );
                    let why = Again::Transient(None, "HTTP 404 (not replicated yet)".to_owned());
                    self.retry_or_finish(*index, why, true, &policy, slots, &mut again, reporter);
                }
                424 if slots.get(index).is_some_and(|slot| {
                    slot.request
                        .depends_on
                        .iter()
                        .any(|dependency| again.iter().any(|(queued, _)| queued == dependency))
                }) =>
                {
                    again.push((*index, Again::Dependency));
                }
                status => {
                    let name = slots
                        .get(index)
                        .map(|slot| slot.request.name())
                        .unwrap_or_else(|| RequestName::new(&Method::POST, "/$batch"));
                    let error = ServiceError::from_value(
                        name,
                        status,
                        response.body.as_ref(),
                        header(&headers, "request-id").map(str::to_owned),
                    );
                    finish(
                        slots,
                        *index,
                        Err(GraphError::Service(Box::new(error))),
                        reporter,
                    );
                }
            }
        }
        again
    }

    /// Queues `index` again for `why`, or records why it will not be: the retry budget is spent, or
    /// a `POST` may already have been carried out (`not_processed` is false when Graph may have
    /// acted on the request).
    #[allow(clippy::too_many_arguments)]
    fn retry_or_finish(
        &self,
        index: usize,
        why: Again,
        not_processed: bool,
        policy: &crate::config::RetryPolicy,
        slots: &mut Slots,
        again: &mut Vec<(usize, Again)>,
        reporter: &dyn Reporter,
    ) {
        let Some(slot) = slots.get_mut(&index) else {
            return;
        };
        let name = slot.request.name();
        let shown = name.to_string();
        let verdict = match &why {
            Again::Throttled(_) => {
                slot.throttles += 1;
                (slot.throttles > policy.max_throttle_retries).then(|| GraphError::GaveUp {
                    request: name,
                    attempts: slot.throttles + slot.transient_attempts,
                    last: format!("429 after {} throttled attempts", slot.throttles),
                    request_id: None,
                })
            }
            Again::Transient(_, text) => {
                slot.transient_attempts += 1;
                if !not_processed && slot.request.method == Method::POST {
                    Some(GraphError::OutcomeUnknown {
                        request: name,
                        reason: text.clone(),
                        client_request_id: "-".to_owned(),
                    })
                } else if slot.transient_attempts >= policy.max_attempts {
                    Some(GraphError::GaveUp {
                        request: name,
                        attempts: slot.throttles + slot.transient_attempts,
                        last: text.clone(),
                        request_id: None,
                    })
                } else {
                    None
                }
            }
            Again::Dependency => None,
        };
        match verdict {
            Some(error) => finish(slots, index, Err(error), reporter),
            None => {
                // As the client says of a request it sends alone, so a storm shows in the log.
                let last = match &why {
                    Again::Throttled(_) => Some("HTTP 429"),
                    Again::Transient(_, text) => Some(text.as_str()),
                    Again::Dependency => None,
                };
                if let Some(last) = last {
                    tracing::warn!(request = %shown, %last, "graph request in a batch failed; retrying");
                }
                again.push((index, why));
            }
        }
    }
}

fn finish(
    slots: &mut Slots,
    index: usize,
    result: Result<BatchResponse, GraphError>,
    reporter: &dyn Reporter,
) {
    let Some(slot) = slots.get_mut(&index) else {
        return;
    };
    reporter.on_advance(1);
    match slot.reply.take() {
        Some(reply) => {
            slots.remove(&index);
            // The caller may have stopped waiting (its task ended); the answer is then unused.
            let _ = reply.send(result);
        }
        None => slot.result = Some(result),
    }
}

/// Requests that depend on each other, directly or not, as groups of indexes in ascending order.
fn dependency_groups(requests: &[BatchRequest]) -> Result<Vec<Vec<usize>>, GraphError> {
    let mut parent: Vec<usize> = (0..requests.len()).collect();
    fn root(parent: &mut [usize], mut index: usize) -> usize {
        while let Some(&up) = parent.get(index) {
            if up == index {
                break;
            }
            if let Some(&grand) = parent.get(up)
                && let Some(slot) = parent.get_mut(index)
            {
                *slot = grand;
            }
            index = up;
        }
        index
    }
    for (index, request) in requests.iter().enumerate() {
        for &dependency in &request.depends_on {
            if dependency >= index {
                return Err(GraphError::InvalidBatch(format!(
                    "request {index} (`{} {}`) depends on request {dependency}, which does not come before it",
                    request.method, request.url
                )));
            }
            let (a, b) = (root(&mut parent, index), root(&mut parent, dependency));
            if let Some(slot) = parent.get_mut(a.max(b)) {
                *slot = a.min(b);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for index in 0..requests.len() {
        let group = root(&mut parent, index);
        groups.entry(group).or_default().push(index);
    }
    let groups: Vec<Vec<usize>> = groups.into_values().collect();
    if let Some(group) = groups.iter().find(|group| group.len() > MAX_BATCH_SIZE) {
        return Err(GraphError::InvalidBatch(format!(
            "{} requests depend on each other (starting with request {}); a batch holds at most {MAX_BATCH_SIZE}",
            group.len(),
            group.first().copied().unwrap_or_default()
        )));
    }
    Ok(groups)
}

/// The next batch: one group with dependencies on its own ("fully sequential"), or up to `limit`
/// (at most 20) independent requests ("fully parallel"), as Graph asks.
fn pack(queue: &mut VecDeque<Vec<usize>>, limit: usize) -> Option<Vec<usize>> {
    let first = queue.pop_front()?;
    if first.len() > 1 {
        return Some(first);
    }
    let limit = limit.clamp(1, MAX_BATCH_SIZE);
    let mut chunk = first;
    while chunk.len() < limit {
        match queue.front() {
            Some(next) if next.len() == 1 => {
                if let Some(next) = queue.pop_front() {
                    chunk.extend(next);
                }
            }
            _ => break,
        }
    }
    Some(chunk)
}

/// While Graph throttles a run, each Retry-After period admits about as many requests as the one
/// before. The next batches carry that many; beyond it a small probe (a tenth, doubling while it
/// passes) finds out whether the budget grew, so that a refusal costs a few 429s, not twenty.
#[derive(Debug, Default)]
struct Probe {
    /// Requests admitted between the last two 429s.
    admitted_last: usize,
    /// Requests admitted since the last 429.
    admitted_now: usize,
    /// The size of the next probe.
    probe: usize,
}

impl Probe {
    /// The next batch's size, and whether it is a probe.
    fn next_size(&self) -> (usize, bool) {
        if self.admitted_now < self.admitted_last {
            (
                (self.admitted_last - self.admitted_now).min(MAX_BATCH_SIZE),
                false,
            )
        } else {
            (self.probe.clamp(1, MAX_BATCH_SIZE), true)
        }
    }

    fn on_clean(&mut self, admitted: usize, probing: bool) {
        self.admitted_now += admitted;
        if probing {
            self.probe = (self.probe * 2).clamp(1, MAX_BATCH_SIZE);
        }
    }

    fn on_throttled(&mut self, admitted: usize) {
        self.admitted_now += admitted;
        if self.admitted_now > 0 {
            self.admitted_last = self.admitted_now;
        }
        self.admitted_now = 0;
        self.probe = (self.admitted_last / 10).clamp(1, MAX_BATCH_SIZE);
    }
}

/// The items going again, in their dependency groups: an item travels with every queued item it
/// depends on; dependencies already met are dropped when the batch is written.
fn regroup(chunk: &[usize], again: &[(usize, Again)], slots: &Slots) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &index in chunk {
        if !again.iter().any(|(queued, _)| *queued == index) {
            continue;
        }
        let depends_on = slots
            .get(&index)
            .map(|slot| slot.request.depends_on.as_slice())
            .unwrap_or_default();
        let mut merged = vec![index];
        let mut kept = Vec::with_capacity(groups.len());
        for group in groups {
            if group.iter().any(|member| depends_on.contains(member)) {
                merged.extend(group);
            } else {
                kept.push(group);
            }
        }
        merged.sort_unstable();
        kept.push(merged);
        groups = kept;
    }
    groups.sort_by_key(|group| group.first().copied());
    groups
}

fn wire_payload(chunk: &[usize], slots: &Slots) -> Value {
    let requests: Vec<WireRequest<'_>> = chunk
        .iter()
        .filter_map(|index| slots.get(index).map(|slot| (*index, slot)))
        .map(|(index, slot)| {
            let request = &slot.request;
            let mut headers = BTreeMap::new();
            if request.body.is_some() {
                headers.insert("Content-Type", "application/json");
            }
            if request.eventual {
                headers.insert("ConsistencyLevel", "eventual");
            }
            WireRequest {
                id: index.to_string(),
                method: request.method.as_str(),
                url: &request.url,
                headers,
                body: request.body.as_ref(),
                depends_on: request
                    .depends_on
                    .iter()
                    .filter(|dependency| chunk.contains(dependency))
                    .map(ToString::to_string)
                    .collect(),
            }
        })
        .collect();
    serde_json::json!({ "requests": requests })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(n: usize) -> Vec<BatchRequest> {
        (0..n)
            .map(|i| BatchRequest::patch(format!("/users/{i}"), serde_json::json!({})))
            .collect()
    }

    #[test]
    fn independent_requests_pack_by_twenty() {
        let groups = dependency_groups(&patch(45)).unwrap();
        let mut queue: VecDeque<Vec<usize>> = groups.into_iter().collect();
        let sizes: Vec<usize> = std::iter::from_fn(|| pack(&mut queue, MAX_BATCH_SIZE))
            .map(|c| c.len())
            .collect();
        assert_eq!(sizes, [20, 20, 5]);
    }

    #[test]
    fn chains_stay_together_and_alone() {
        let mut requests = patch(5);
        requests[2] = requests[2].clone().depends_on(1);
        requests[3] = requests[3].clone().depends_on(2);
        let groups = dependency_groups(&requests).unwrap();
        assert_eq!(groups, vec![vec![0], vec![1, 2, 3], vec![4]]);
        let mut queue: VecDeque<Vec<usize>> = groups.into_iter().collect();
        assert_eq!(pack(&mut queue, MAX_BATCH_SIZE), Some(vec![0]));
        assert_eq!(pack(&mut queue, MAX_BATCH_SIZE), Some(vec![1, 2, 3]));
        assert_eq!(pack(&mut queue, MAX_BATCH_SIZE), Some(vec![4]));
    }

    #[test]
    fn forward_dependencies_and_long_chains_are_refused() {
        let mut requests = patch(2);
        requests[0] = requests[0].clone().depends_on(1);
        assert!(matches!(
            dependency_groups(&requests),
            Err(GraphError::InvalidBatch(_))
        ));
        let requests: Vec<BatchRequest> = (0..21)
            .map(|i| {
                let request = BatchRequest::delete(format!("/users/{i}"));
                if i > 0 {
                    request.depends_on(i - 1)
                } else {
                    request
                }
            })
            .collect();
        let error = dependency_groups(&requests).unwrap_err();
        assert_eq!(
            error.to_string(),
            "$batch: 21 requests depend on each other (starting with request 0); a batch holds at most 20"
        );
    }

    #[test]
    fn probes_follow_what_the_last_period_admitted() {
        let mut probe = Probe::default();
        // The first 429 of a run: 7 requests of that batch passed.
        probe.on_throttled(7);
        assert_eq!(probe.next_size(), (7, false));
        probe.on_clean(7, false);
        // Beyond what passed last time: a probe, doubling while it passes.
        assert_eq!(probe.next_size(), (1, true));
        probe.on_clean(1, true);
        assert_eq!(probe.next_size(), (2, true));
        probe.on_clean(2, true);
        assert_eq!(probe.next_size(), (4, true));
        // 10 passed in this period before the next 429.
        probe.on_throttled(0);
        assert_eq!(probe.next_size(), (10, false));
        probe.on_clean(10, false);
        assert_eq!(probe.next_size(), (1, true));
        // A period that admitted 40: batches of 20, then a probe of 4.
        let mut probe = Probe {
            admitted_last: 40,
            ..Probe::default()
        };
        probe.on_throttled(0);
        assert_eq!(probe.next_size(), (20, false));
        probe.on_clean(20, false);
        assert_eq!(probe.next_size(), (20, false));
        probe.on_clean(20, false);
        assert_eq!(probe.next_size(), (4, true));
        assert_eq!(
            pack(&mut (0..30).map(|i| vec![i]).collect(), 4).map(|c| c.len()),
            Some(4)
        );
    }

    #[test]
    fn retried_items_travel_with_the_items_they_wait_for() {
        let mut requests = patch(4);
        requests[2] = requests[2].clone().depends_on(1);
        let slots: Slots = requests.into_iter().map(Slot::new).enumerate().collect();
        let again = vec![
            (0, Again::Throttled(None)),
            (1, Again::Throttled(None)),
            (2, Again::Dependency),
            (3, Again::Transient(None, "503".to_owned())),
        ];
        assert_eq!(
            regroup(&[0, 1, 2, 3], &again, &slots),
            vec![vec![0], vec![1, 2], vec![3]]
        );
    }

    #[test]
    fn wire_format_has_headers_and_local_dependencies() {
        let mut requests = patch(2);
        requests[1] = requests[1].clone().depends_on(0);
        let slots: Slots = requests.into_iter().map(Slot::new).enumerate().collect();
        assert_eq!(
            wire_payload(&[0, 1], &slots),
            serde_json::json!({"requests":[
                {"id":"0","method":"PATCH","url":"/users/0","headers":{"Content-Type":"application/json"},"body":{}},
                {"id":"1","method":"PATCH","url":"/users/1","headers":{"Content-Type":"application/json"},"body":{},"dependsOn":["0"]}
            ]})
        );
        // Sent again alone, the met dependency is dropped.
        assert_eq!(
            wire_payload(&[1], &slots)["requests"][0].get("dependsOn"),
            None
        );
    }
}
