//! Each Lambda binary, started as Lambda starts it, against a loopback
//! stand-in for the Lambda Runtime API and the moto emulator: it boots,
//! takes one event and answers it.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use klaxon_core::adapters::dynamo::DynamoIncidentStore;
use klaxon_core::adapters::sns::topic_var;
use klaxon_core::domain::{Audience, DomainEvent, EventKind};
use klaxon_core::ports::IncidentStore;
use klaxon_tests::emulator::Stack;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

const TOKEN: &str = "runtime-test-token-0123456789";

/// What the binary sent back for the one invocation.
#[derive(Debug)]
enum Reply {
    Response(Value),
    Error(Value),
    InitError(Value),
}

struct RuntimeApi {
    event: Mutex<Option<Value>>,
    replies: mpsc::UnboundedSender<Reply>,
}

async fn next(State(api): State<Arc<RuntimeApi>>) -> (HeaderMap, String) {
    let event = api.event.lock().expect("lock").take();
    match event {
        Some(ev) => {
            let mut h = HeaderMap::new();
            h.insert(
                "lambda-runtime-aws-request-id",
                "req-1".parse().expect("header"),
            );
            h.insert(
                "lambda-runtime-deadline-ms",
                (chrono::Utc::now().timestamp_millis() + 30_000)
                    .to_string()
                    .parse()
                    .expect("header"),
            );
            h.insert(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:klaxon"
                    .parse()
                    .expect("header"),
            );
            h.insert(
                "lambda-runtime-trace-id",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
                    .parse()
                    .expect("header"),
            );
            (h, ev.to_string())
        }
        // One event per test: later polls wait until the process is killed.
        None => std::future::pending().await,
    }
}

fn json_or_text(body: &Bytes) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}

async fn response(
    State(api): State<Arc<RuntimeApi>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let _ = api.replies.send(Reply::Response(json_or_text(&body)));
    StatusCode::ACCEPTED
}

async fn error(
    State(api): State<Arc<RuntimeApi>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    let _ = api.replies.send(Reply::Error(json_or_text(&body)));
    StatusCode::ACCEPTED
}

async fn init_error(State(api): State<Arc<RuntimeApi>>, body: Bytes) -> StatusCode {
    let _ = api.replies.send(Reply::InitError(json_or_text(&body)));
    StatusCode::ACCEPTED
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The directory holding the workspace binaries (`make test` builds them first).
fn bin(name: &str) -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `make test`, which builds the Lambda binaries first",
        path.display()
    );
    path
}

/// A Runtime API stand-in on a loopback port that serves `event` once.
async fn runtime_api(
    event: Option<Value>,
) -> (
    std::net::SocketAddr,
    mpsc::UnboundedReceiver<Reply>,
    tokio::task::JoinHandle<()>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let api = Arc::new(RuntimeApi {
        event: Mutex::new(event),
        replies: tx,
    });
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(response),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, rx, server)
}

/// The function as Lambda starts it: runtime variables plus Klaxon's configuration.
fn function(stack: &Stack, binary: &str, runtime: std::net::SocketAddr) -> Command {
    let r = &stack.resources;
    let mut cmd = Command::new(bin(binary));
    cmd.env("AWS_LAMBDA_RUNTIME_API", runtime.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", binary)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "test")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "test")
        .env("KLAXON_TABLE", &r.table)
        .env("KLAXON_EVENT_BUS", &r.event_bus)
        .env("KLAXON_API_TOKENS", format!("tester:viewer:{TOKEN}"))
        .stdout(Stdio::null());
    for audience in Audience::ALL {
        cmd.env(topic_var(audience), &r.topics[&audience]);
    }
    cmd
}

/// Starts `binary` against a fresh Runtime API stand-in, feeds it `event`, returns its reply.
async fn invoke(stack: &Stack, binary: &str, event: Value) -> Reply {
    invoke_with(stack, binary, event, &[]).await
}

async fn invoke_with(stack: &Stack, binary: &str, event: Value, env: &[(&str, &str)]) -> Reply {
    let (addr, mut rx, server) = runtime_api(Some(event)).await;
    let child = function(stack, binary, addr)
        .envs(env.iter().copied())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn function");
    let _child = Killed(child);
    let reply = tokio::time::timeout(Duration::from_secs(30), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("{binary} gave no reply within 30 s"))
        .expect("reply");
    server.abort();
    reply
}

fn http_event(method: &str, path: &str, headers: Value, body: Option<String>) -> Value {
    json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "id",
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "12/Mar/2020:19:03:58 +0000",
            "timeEpoch": 1583348638390i64,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test"}
        },
        "body": body,
        "isBase64Encoded": false
    })
}

fn eventbridge(detail_type: &str, source: &str, detail: Value) -> Value {
    json!({
        "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type, "source": source, "account": "123456789012",
        "time": "2026-11-23T03:00:00Z", "region": "us-east-1", "resources": [],
        "detail": detail
    })
}

fn ok_body(reply: Reply) -> Value {
    match reply {
        Reply::Response(v) => v,
        other => panic!("expected a response, got {other:?}"),
    }
}

/// All five binaries boot from their environment and answer their event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_answers_its_event() {
    let stack = Stack::create().await;

    // intake: an HTTP API request.
    let report = json!({"title": "SQLi in search", "cvss": klaxon_tests::CRITICAL}).to_string();
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-intake",
            http_event(
                "POST",
                "/reports",
                json!({"content-type": "application/json"}),
                Some(report),
            ),
        )
        .await,
    );
    assert_eq!(reply["statusCode"], 202, "{reply}");
    let accepted: Value =
        serde_json::from_str(reply["body"].as_str().expect("body")).expect("json body");
    let id: klaxon_core::domain::IncidentId = accepted["incident_id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("ulid");

    // intake rejects bad input with a JSON error.
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-intake",
            http_event(
                "POST",
                "/reports",
                json!({"content-type": "text/plain"}),
                Some("hi".into()),
            ),
        )
        .await,
    );
    assert_eq!(reply["statusCode"], 415, "{reply}");

    // assess: the Report Received event, as EventBridge delivers it.
    let store = DynamoIncidentStore::new(
        aws_sdk_dynamodb::Client::new(&stack.sdk),
        &stack.resources.table,
    );
    let incident = store.get(id).await.expect("get").expect("stored by intake");
    let received = DomainEvent::new(EventKind::ReportReceived, &incident, incident.created_at);
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-assess",
            eventbridge(
                "Report Received",
                "klaxon",
                serde_json::to_value(&received).expect("json"),
            ),
        )
        .await,
    );
    assert_eq!(reply, json!("triaged"));

    // notify: Incident Triaged pages on-call and tells the team.
    let triaged_incident = store.get(id).await.expect("get").expect("present");
    let triaged = DomainEvent::new(
        EventKind::IncidentTriaged,
        &triaged_incident,
        triaged_incident.updated_at,
    );
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-notify",
            eventbridge(
                "Incident Triaged",
                "klaxon",
                serde_json::to_value(&triaged).expect("json"),
            ),
        )
        .await,
    );
    // Triage tells the security team and drafts the Critical/High notice for
    // comms; pages come from the escalation steps.
    assert_eq!(reply, json!(2));

    // notify refuses an event that is not a Klaxon event, with a typed error.
    match invoke(
        &stack,
        "klaxon-notify",
        eventbridge("Incident Triaged", "klaxon", json!({"nope": 1})),
    )
    .await
    {
        Reply::Error(v) => assert_eq!(v["errorType"], "InvalidEvent", "{v}"),
        other => panic!("expected an error, got {other:?}"),
    }

    // escalate: EventBridge's scheduled event, as AWS documents it, with
    // one incident whose second paging level is due.
    let now = chrono::Utc::now();
    let mut due =
        klaxon_tests::new_incident("nobody answered", None, now - chrono::Duration::minutes(11));
    due.incident.status = klaxon_core::domain::Status::Triaged;
    due.incident.severity = Some(klaxon_core::domain::Severity::Sev1);
    due.incident.paging = Some(klaxon_core::domain::Paging {
        round: 1,
        fired: 1,
        next_at: Some(now - chrono::Duration::minutes(1)),
        reason: klaxon_core::domain::StepReason::Unacknowledged,
        renotify: Vec::new(),
    });
    due.events.clear();
    store
        .create(due.clone())
        .await
        .expect("create due incident");
    let scheduled = json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-23T03:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/klaxon-dev-escalate-sweep"],
        "detail": {}
    });
    let reply = ok_body(invoke(&stack, "klaxon-escalate", scheduled).await);
    assert_eq!(reply["due"], 1, "{reply}");
    assert_eq!(reply["steps"], 1, "{reply}");
    assert_eq!(reply["failed"], 0, "{reply}");
    let stepped = store
        .get(due.incident.id)
        .await
        .expect("get")
        .expect("present");
    let paging = stepped.paging.expect("paging");
    assert_eq!(paging.fired, 2, "the secondary was paged");

    // escalate refuses anything but a scheduled event.
    match invoke(
        &stack,
        "klaxon-escalate",
        eventbridge("Incident Triaged", "klaxon", json!({})),
    )
    .await
    {
        Reply::Error(v) => assert_eq!(v["errorType"], "InvalidEvent", "{v}"),
        other => panic!("expected an error, got {other:?}"),
    }

    // respond: the API, with and without a token.
    let path = format!("/api/v1/incidents/{id}");
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-respond",
            http_event(
                "GET",
                &path,
                json!({"authorization": format!("Bearer {TOKEN}")}),
                None,
            ),
        )
        .await,
    );
    assert_eq!(reply["statusCode"], 200, "{reply}");
    let body: Value = serde_json::from_str(reply["body"].as_str().expect("body")).expect("json");
    assert_eq!(body["incident"]["status"], "triaged");
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-respond",
            http_event("GET", &path, json!({}), None),
        )
        .await,
    );
    assert_eq!(reply["statusCode"], 401, "{reply}");
}

/// A function missing its configuration fails at init, naming the variable.
#[tokio::test]
async fn missing_config_fails_at_init() {
    let stack = Stack::create().await;
    let (addr, mut rx, server) = runtime_api(None).await;
    let child = function(&stack, "klaxon-assess", addr)
        .env_remove("KLAXON_TABLE")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    server.abort();
    assert!(
        !out.status.success(),
        "must exit non-zero without KLAXON_TABLE"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let reported = rx.try_recv().ok();
    let named = stderr.contains("KLAXON_TABLE")
        || matches!(&reported, Some(Reply::InitError(v)) if v.to_string().contains("KLAXON_TABLE"));
    assert!(
        named,
        "the failure must name KLAXON_TABLE; stderr: {stderr}; init error: {reported:?}"
    );
}

/// GuardDuty findings delivered by EventBridge straight to the intake
/// function become incidents; the same finding again is an occurrence; an
/// event Klaxon does not take is answered, not retried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intake_takes_aws_findings() {
    let stack = Stack::create().await;
    let finding = eventbridge(
        "GuardDuty Finding",
        "aws.guardduty",
        json!({"id": "gd-finding-1", "type": "UnauthorizedAccess:IAMUser/TorIPCaller", "title": "API called from a Tor exit node", "severity": 8.0, "accountId": "123456789012", "region": "us-east-1"}),
    );
    let reply = ok_body(invoke(&stack, "klaxon-intake", finding.clone()).await);
    assert_eq!(reply, json!({"stored": 1, "duplicates": 0}));
    let reply = ok_body(invoke(&stack, "klaxon-intake", finding).await);
    assert_eq!(reply, json!({"stored": 0, "duplicates": 1}));

    let store = DynamoIncidentStore::new(
        aws_sdk_dynamodb::Client::new(&stack.sdk),
        &stack.resources.table,
    );
    let incident = store
        .find_by_key(&klaxon_core::domain::Source::Guardduty.scoped_key("gd-finding-1".into()))
        .await
        .expect("find")
        .expect("stored");
    assert_eq!(incident.occurrences, 2);
    let signal = incident.signal.expect("source severity kept as a signal");
    assert_eq!(
        (signal.kind.as_str(), signal.score),
        ("guardduty", Some(8.0))
    );

    let other = eventbridge(
        "EC2 Instance State-change Notification",
        "aws.ec2",
        json!({"state": "running"}),
    );
    let reply = ok_body(invoke(&stack, "klaxon-intake", other).await);
    assert_eq!(reply["stored"], 0);
    assert!(reply["ignored"].is_string(), "{reply}");
}

/// Webhook secrets come from the Secrets Manager secret named by
/// KLAXON_SECRETS_ARN, read at cold start: a GitHub delivery signed with the
/// secret's value is accepted, and one signed otherwise is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_secrets_come_from_secrets_manager() {
    let stack = Stack::create().await;
    let sm = aws_sdk_secretsmanager::Client::new(&stack.sdk);
    let arn = sm
        .create_secret()
        .name(klaxon_tests::emulator::unique("klaxon-intake"))
        .secret_string(json!({"KLAXON_GITHUB_WEBHOOK_SECRET": "gh-secret-from-secrets-manager", "KLAXON_API_TOKENS": ""}).to_string())
        .send()
        .await
        .expect("create secret")
        .arn
        .expect("arn");
    let body = json!({"action": "created", "alert": {"number": 1, "secret_type_display_name": "GitHub PAT"}, "repository": {"full_name": "acme/app", "id": 5}}).to_string();
    let signed = |secret: &str| {
        http_event(
            "POST",
            "/webhooks/github",
            json!({
                "content-type": "application/json",
                "x-github-event": "secret_scanning_alert",
                "x-github-delivery": "d-1",
                "x-hub-signature-256": klaxon_core::webhook::verify::sign::hub(secret, body.as_bytes()),
            }),
            Some(body.clone()),
        )
    };
    let env = [("KLAXON_SECRETS_ARN", arn.as_str())];
    let reply = ok_body(
        invoke_with(
            &stack,
            "klaxon-intake",
            signed("gh-secret-from-secrets-manager"),
            &env,
        )
        .await,
    );
    assert_eq!(reply["statusCode"], 202, "{reply}");
    let reply =
        ok_body(invoke_with(&stack, "klaxon-intake", signed("some-other-secret"), &env).await);
    assert_eq!(reply["statusCode"], 401, "{reply}");
    // Without the secret the source is disabled.
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-intake",
            signed("gh-secret-from-secrets-manager"),
        )
        .await,
    );
    assert_eq!(reply["statusCode"], 404, "{reply}");
}

/// The documented API Gateway HTTP API event for a route behind a JWT
/// authorizer: the verified claims arrive in `requestContext.authorizer.jwt`.
fn jwt_event(method: &str, path: &str, claims: Value, scopes: Value, body: Option<Value>) -> Value {
    let mut event = http_event(
        method,
        path,
        json!({"authorization": "Bearer eyJhbGciOi.verified-by-api-gateway.sig", "content-type": "application/json"}),
        body.map(|b| b.to_string()),
    );
    event["requestContext"]["authorizer"] = json!({"jwt": {"claims": claims, "scopes": scopes}});
    event
}

/// Behind the JWT authorizer the respond function takes the caller's name,
/// role and tenant scope from the verified claims: the role decides 403,
/// the tenant scope decides 404, and the actor on the timeline is the
/// token's email. Static tokens are not needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn respond_trusts_the_jwt_authorizer_claims() {
    let stack = Stack::create().await;
    let store = DynamoIncidentStore::new(
        aws_sdk_dynamodb::Client::new(&stack.sdk),
        stack.resources.table.clone(),
    );
    let created = store
        .create(klaxon_tests::new_incident(
            "JWT test",
            None,
            chrono::Utc::now(),
        ))
        .await
        .expect("create");
    let path = format!("/api/v1/incidents/{}/roles", created.incident.reference);
    let assign = json!({"role": "incident_commander", "person": "ana"});
    let claims = |role: &str, tenants: Option<&str>| {
        let mut c = json!({"sub": "u-1", "email": "ana@example.com", "iss": "https://idp.example", "klaxon_role": role});
        if let Some(t) = tenants {
            c["klaxon_tenants"] = json!(t);
        }
        c
    };
    let cases = [
        (
            "viewer may not assign",
            claims("viewer", None),
            json!([]),
            403,
        ),
        ("no Klaxon role", claims("owner", None), json!([]), 403),
        (
            "another tenant's incident",
            claims("commander", Some("[globex.atlassian.net]")),
            json!([]),
            404,
        ),
        (
            "commander by scope",
            claims("", Some("[acme.atlassian.net]")),
            json!(["openid", "klaxon/commander"]),
            200,
        ),
    ];
    for (name, claims, scopes, want) in cases {
        let reply = ok_body(
            invoke_with(
                &stack,
                "klaxon-respond",
                jwt_event("POST", &path, claims, scopes, Some(assign.clone())),
                &[("KLAXON_API_TOKENS", "")],
            )
            .await,
        );
        assert_eq!(reply["statusCode"], want, "{name}: {reply}");
    }
    let stored = store
        .get(created.incident.id)
        .await
        .expect("get")
        .expect("incident");
    assert_eq!(
        stored.roles.get("incident_commander").map(String::as_str),
        Some("ana")
    );
    assert_eq!(
        stored.role_history.len(),
        1,
        "only the permitted call wrote"
    );
    assert_eq!(stored.role_history[0].by, "ana@example.com");
}

/// klaxon-track under the Runtime API stand-in, over DynamoDB on moto and
/// GitHub's published API description served by the validating mock
/// (`KLAXON_GITHUB_MOCK_URL`, started by `make test`): triage opens one
/// issue and stores its number, a redelivery opens nothing, a severity
/// change relabels it and closing closes it. A request the description
/// refuses would be a 422, a refusal, and the wrong answer here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn track_keeps_the_issue_in_step() {
    let Some(mock) = std::env::var("KLAXON_GITHUB_MOCK_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var_os("CI").is_none(),
            "KLAXON_GITHUB_MOCK_URL is not set: infra/test.sh starts the mock"
        );
        eprintln!("skipped: KLAXON_GITHUB_MOCK_URL is not set (infra/test.sh starts the mock)");
        return;
    };
    let stack = Stack::create().await;
    let store = DynamoIncidentStore::new(
        aws_sdk_dynamodb::Client::new(&stack.sdk),
        &stack.resources.table,
    );
    let now = chrono::Utc::now();
    let mut new = klaxon_tests::new_incident("Admin API answers without a session", None, now);
    new.incident.status = klaxon_core::domain::Status::Triaged;
    new.incident.severity = Some(klaxon_core::domain::Severity::Sev2);
    new.events.clear();
    store.create(new.clone()).await.expect("create");
    let id = new.incident.id;
    let env = [
        ("KLAXON_GITHUB_REPO", "acme/security-incidents"),
        ("KLAXON_GITHUB_TOKEN", "github_pat_runtime_test_0123456789"),
        ("KLAXON_GITHUB_API_URL", mock.as_str()),
    ];
    let event = |kind: EventKind, status: Option<klaxon_core::domain::Status>| {
        let incident = new.incident.clone();
        let mut e = DomainEvent::new(kind, &incident, now);
        if let Some(s) = status {
            e.status = s;
        }
        eventbridge(
            kind.detail_type(),
            "klaxon",
            serde_json::to_value(&e).expect("json"),
        )
    };
    let triaged = event(EventKind::IncidentTriaged, None);
    let reply = ok_body(invoke_with(&stack, "klaxon-track", triaged.clone(), &env).await);
    assert_eq!(reply, json!("done"));
    let tracked = store.get(id).await.expect("get").expect("present");
    assert_eq!(tracked.tracker.map(|t| t.key), Some("1347".to_owned()));

    // The same event again, as EventBridge may redeliver it.
    let reply = ok_body(invoke_with(&stack, "klaxon-track", triaged, &env).await);
    assert_eq!(reply, json!("already"));

    let reply = ok_body(
        invoke_with(
            &stack,
            "klaxon-track",
            event(EventKind::SeverityChanged, None),
            &env,
        )
        .await,
    );
    assert_eq!(reply, json!("done"));
    let closed = event(
        EventKind::StatusChanged,
        Some(klaxon_core::domain::Status::Closed),
    );
    let reply = ok_body(invoke_with(&stack, "klaxon-track", closed, &env).await);
    assert_eq!(reply, json!("done"));

    // Without a repository the function answers and does nothing.
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-track",
            event(EventKind::IncidentTriaged, None),
        )
        .await,
    );
    assert_eq!(reply, json!("off"));
}

/// The respond function serves the console behind API Gateway (payload
/// 2.0): cookies arrive in the event's `cookies` and leave in the reply's,
/// a session opened with an API token is stored in DynamoDB and opens the
/// incident's page, and over https the cookie is Secure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn respond_serves_the_console_with_its_session_in_dynamodb() {
    let stack = Stack::create().await;
    let store = DynamoIncidentStore::new(
        aws_sdk_dynamodb::Client::new(&stack.sdk),
        stack.resources.table.clone(),
    );
    let created = store
        .create(klaxon_tests::new_incident(
            "Console on Lambda",
            None,
            chrono::Utc::now(),
        ))
        .await
        .expect("create");
    let https = |mut h: Value| {
        h["x-forwarded-proto"] = json!("https");
        h["host"] = json!("id.execute-api.us-east-1.amazonaws.com");
        h
    };
    let cookies = |reply: &Value| -> Vec<String> {
        reply["cookies"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let value = |set: &str| set.split(';').next().unwrap_or("").to_owned();

    // Signed out: to the sign-in page, which doubles a token in a cookie.
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-respond",
            http_event("GET", "/console", https(json!({})), None),
        )
        .await,
    );
    assert_eq!(reply["statusCode"], 303, "{reply}");
    let reply = ok_body(
        invoke(
            &stack,
            "klaxon-respond",
            http_event("GET", "/console/sign-in", https(json!({})), None),
        )
        .await,
    );
    assert_eq!(reply["statusCode"], 200, "{reply}");
    let set = cookies(&reply);
    let sign_in = set
        .iter()
        .find(|c| c.starts_with("klaxon_sign_in="))
        .expect("sign-in cookie");
    assert!(sign_in.contains("; Secure"), "{sign_in}");
    let cookie = value(sign_in);
    let token = cookie
        .split_once('=')
        .map(|(_, v)| v.to_owned())
        .expect("token");

    let mut event = http_event(
        "POST",
        "/console/sign-in",
        https(
            json!({"content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin"}),
        ),
        Some(format!("_csrf={token}&token={TOKEN}")),
    );
    event["cookies"] = json!([cookie]);
    let reply = ok_body(invoke(&stack, "klaxon-respond", event).await);
    assert_eq!(reply["statusCode"], 303, "{reply}");
    let set = cookies(&reply);
    let session = set
        .iter()
        .find(|c| c.starts_with("klaxon_session=") && !c.starts_with("klaxon_session=;"))
        .expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Secure"] {
        assert!(session.contains(attr), "{attr}: {session}");
    }

    // Another invocation (another process): the session is the table's.
    let path = format!("/console/incidents/{}", created.incident.reference);
    let mut event = http_event("GET", &path, https(json!({})), None);
    event["cookies"] = json!([value(session)]);
    let reply = ok_body(invoke(&stack, "klaxon-respond", event).await);
    assert_eq!(reply["statusCode"], 200, "{reply}");
    let body = reply["body"].as_str().expect("body");
    assert!(body.contains("Console on Lambda"), "{body}");
    assert!(body.contains("tester (viewer)"), "{body}");
}
