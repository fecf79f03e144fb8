//! What every resource needs to talk to EC2: the configured client, region, default tags and
//! account, one [`call`] wrapper that retries throttling and transient failures with exponential
//! backoff and jitter (and classifies everything else as permanent), and [`wait_until`], our own
//! poll loop for "available"/"deleted" states (the SDK's waiters poll every 15 s).
//!
//! It owns no resource logic and must not know any resource type.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Write;
use std::time::Duration;

use aws_sdk_ec2::config::http::HttpResponse;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use cairn_provider::ProviderError;
use thiserror::Error;

/// The provider block's `ignore_tags { keys, key_prefixes }`.
#[derive(Clone, Debug, Default)]
pub(crate) struct IgnoreTags {
    pub keys: Vec<String>,
    pub key_prefixes: Vec<String>,
}

impl IgnoreTags {
    pub(crate) fn ignores(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k == key) || self.key_prefixes.iter().any(|p| key.starts_with(p))
    }
}

/// The configured provider, shared by every resource call.
pub(crate) struct Ctx {
    pub ec2: aws_sdk_ec2::Client,
    pub region: String,
    pub default_tags: BTreeMap<String, String>,
    /// The provider's `ignore_tags`: tag keys (exact) and key prefixes refresh leaves out.
    pub ignore_tags: IgnoreTags,
    /// The partition of ARNs (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// How many times a retryable error is retried.
    pub max_retries: u32,
    /// The first backoff delay; doubles on each retry up to [`Ctx::max_backoff`].
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// When set (`CAIRN_AWS_CALL_LOG`), every API request appends its operation name here.
    pub call_log: Option<std::path::PathBuf>,
}

impl Ctx {
    /// An ARN of an EC2 object: `arn:aws:ec2:REGION:OWNER:KIND/ID`.
    pub fn arn(&self, owner: &str, kind: &str, id: &str) -> String {
        format!(
            "arn:{}:ec2:{}:{}:{}/{}",
            self.partition, self.region, owner, kind, id
        )
    }

    fn log_call(&self, what: &str) {
        if let Some(path) = &self.call_log
            && let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
        {
            let _ = writeln!(f, "{what}");
        }
    }
}

/// An error from the EC2 API (or from reaching it).
#[derive(Clone, Debug, Error, PartialEq)]
#[error("{what}: {code}: {message}")]
pub(crate) struct AwsError {
    /// The operation that failed (`CreateSubnet`).
    pub what: String,
    /// The API's error code (`InvalidSubnet.Range`), or a short class for transport errors.
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

impl AwsError {
    pub fn new(what: &str, code: &str, message: impl Into<String>) -> AwsError {
        AwsError {
            what: what.to_string(),
            code: code.to_string(),
            message: message.into(),
            retryable: false,
        }
    }
}

impl From<AwsError> for ProviderError {
    fn from(e: AwsError) -> ProviderError {
        let msg = if e.code.is_empty() {
            format!("{}: {}", e.what, e.message)
        } else {
            format!("{}: {}: {}", e.what, e.code, e.message)
        };
        if e.retryable {
            ProviderError::retryable(msg)
        } else {
            ProviderError::permanent(msg)
        }
    }
}

/// Whether the error says the object does not exist (`InvalidVpcID.NotFound`, ...).
pub(crate) fn is_not_found(e: &AwsError) -> bool {
    e.code.ends_with("NotFound")
}

const RETRYABLE_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "SlowDown",
    "EC2ThrottledException",
    "PriorRequestNotComplete",
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
    "IdempotentParameterMismatch",
];

/// Turns an SDK error into an [`AwsError`], deciding whether retrying can help.
pub(crate) fn classify<E>(what: &str, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("").to_string();
            let message = e.message().unwrap_or("").to_string();
            let status = se.raw().status().as_u16();
            let retryable =
                RETRYABLE_CODES.contains(&code.as_str()) || status >= 500 || status == 429;
            let message = if message.is_empty() && code.is_empty() {
                format!("{err:?}")
            } else {
                message
            };
            AwsError {
                what: what.to_string(),
                code,
                message,
                retryable,
            }
        }
        SdkError::TimeoutError(_) => AwsError {
            what: what.to_string(),
            code: "Timeout".into(),
            message: "the request timed out".into(),
            retryable: true,
        },
        SdkError::DispatchFailure(d) => AwsError {
            what: what.to_string(),
            code: "DispatchFailure".into(),
            message: source_chain(&err),
            retryable: d.is_io() || d.is_timeout() || d.is_other(),
        },
        SdkError::ResponseError(_) => AwsError {
            what: what.to_string(),
            code: "ResponseError".into(),
            message: source_chain(&err),
            retryable: true,
        },
        _ => AwsError {
            what: what.to_string(),
            code: "".into(),
            message: source_chain(&err),
            retryable: false,
        },
    }
}

fn source_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    out
}

/// The delay before retry number `attempt` (0-based): exponential, capped, with full jitter
/// over its upper half so concurrent callers spread out.
pub(crate) fn backoff(ctx: &Ctx, attempt: u32) -> Duration {
    let exp = ctx
        .base_backoff
        .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
    let cap = exp.min(ctx.max_backoff);
    let half = cap / 2;
    let jitter = rand::random_range(0.0..=1.0);
    half + half.mul_f64(jitter)
}

/// Calls the API (`f` builds and sends one request), retrying retryable errors up to
/// `ctx.max_retries` times with exponential backoff and jitter. `what` names the operation in
/// errors and in the call log.
pub(crate) async fn call<T, E, F, Fut>(ctx: &Ctx, what: &str, f: F) -> Result<T, AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut attempt = 0;
    loop {
        ctx.log_call(what);
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let e = classify(what, e);
                if !e.retryable || attempt >= ctx.max_retries {
                    return Err(e);
                }
                tokio::time::sleep(backoff(ctx, attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// Polls `check` until it returns `Some`, with backoff from 100 ms up to 5 s, for at most
/// `timeout`. `what` describes the awaited state in the timeout error.
pub(crate) async fn wait_until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    mut check: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, AwsError>>,
{
    let start = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(100);
    loop {
        if let Some(v) = check().await? {
            return Ok(v);
        }
        if start.elapsed() >= timeout {
            return Err(AwsError::new(
                what,
                "Timeout",
                format!("still waiting after {}s", timeout.as_secs()),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Retries `op` while it fails with one of `codes` (EC2's eventual consistency: a dependency
/// still being released, an id not yet visible), with backoff, for at most `timeout`.
pub(crate) async fn retry_on<T, F, Fut>(
    codes: &[&str],
    timeout: Duration,
    mut op: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AwsError>>,
{
    let start = tokio::time::Instant::now();
    let mut delay = Duration::from_millis(200);
    loop {
        match op().await {
            Err(e) if codes.contains(&e.code.as_str()) && start.elapsed() < timeout => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            other => return other,
        }
    }
}

/// [`call`], retried while EC2 answers `DependencyViolation` (dependents still being released:
/// the delete or detach of an object others were just taken off), for at most `timeout`.
pub(crate) async fn call_retrying_dependency<T, E, F, Fut>(
    ctx: &Ctx,
    what: &str,
    timeout: Duration,
    f: F,
) -> Result<T, AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    retry_on(&["DependencyViolation"], timeout, || call(ctx, what, &f)).await
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn test_ctx() -> Ctx {
        let conf = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .build();
        Ctx {
            ec2: aws_sdk_ec2::Client::from_conf(conf),
            region: "us-east-1".into(),
            default_tags: BTreeMap::new(),
            ignore_tags: IgnoreTags::default(),
            partition: "aws".into(),
            max_retries: 5,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            call_log: None,
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let ctx = test_ctx();
        for attempt in 0..10 {
            let d = backoff(&ctx, attempt);
            let cap = (Duration::from_millis(100) * 2u32.pow(attempt)).min(ctx.max_backoff);
            assert!(d >= cap / 2 && d <= cap, "attempt {attempt}: {d:?}");
        }
    }

    #[test]
    fn not_found_codes() {
        assert!(is_not_found(&AwsError::new(
            "x",
            "InvalidVpcID.NotFound",
            ""
        )));
        assert!(is_not_found(&AwsError::new(
            "x",
            "InvalidRouteTableID.NotFound",
            ""
        )));
        assert!(!is_not_found(&AwsError::new(
            "x",
            "DependencyViolation",
            ""
        )));
    }

    #[tokio::test(start_paused = true)]
    async fn wait_until_times_out() {
        let mut n = 0;
        let r: Result<(), AwsError> = wait_until("vpc available", Duration::from_secs(30), || {
            n += 1;
            async { Ok(None) }
        })
        .await;
        assert_eq!(r.unwrap_err().code, "Timeout");
        assert!(n > 3);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_on_retries_listed_codes_only() {
        let mut n = 0;
        let r: Result<u32, AwsError> =
            retry_on(&["DependencyViolation"], Duration::from_secs(60), || {
                n += 1;
                let k = n;
                async move {
                    if k < 3 {
                        Err(AwsError::new("DeleteVpc", "DependencyViolation", ""))
                    } else {
                        Ok(k)
                    }
                }
            })
            .await;
        assert_eq!(r, Ok(3));
        let r: Result<u32, AwsError> = retry_on(
            &["DependencyViolation"],
            Duration::from_secs(60),
            || async { Err(AwsError::new("DeleteVpc", "InvalidVpcID.Malformed", "")) },
        )
        .await;
        assert_eq!(r.unwrap_err().code, "InvalidVpcID.Malformed");
    }

    /// A minimal HTTP server answering each request with the next of `replies` (status, body),
    /// counting the requests: EC2 as the SDK sees it, for behaviour moto cannot produce.
    fn scripted_ec2(
        replies: Vec<(u16, &'static str)>,
    ) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Read};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let seen = count.clone();
        std::thread::spawn(move || {
            for (stream, (status, body)) in listener.incoming().zip(replies) {
                let mut stream = stream.unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                }
                let mut request = vec![0; length];
                reader.read_exact(&mut request).unwrap();
                seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(reply.as_bytes()).unwrap();
            }
        });
        (url, count)
    }

    fn ctx_at(url: &str) -> Ctx {
        let conf = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "k", "s", None, None, "test",
            ))
            .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
            .build();
        Ctx {
            ec2: aws_sdk_ec2::Client::from_conf(conf),
            base_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(5),
            ..test_ctx()
        }
    }

    const THROTTLED: &str = "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r1</RequestID></Response>";
    const MALFORMED: &str = "<Response><Errors><Error><Code>InvalidVpcID.Malformed</Code><Message>Invalid id: \"nope\"</Message></Error></Errors><RequestID>r2</RequestID></Response>";
    const NO_VPCS: &str = "<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r3</requestId><vpcSet/></DescribeVpcsResponse>";

    /// Throttling is retried until the call succeeds; a permanent error is sent once and
    /// comes back with the API's code and message.
    #[tokio::test]
    async fn call_retries_throttling_and_not_permanent_errors() {
        let (url, count) = scripted_ec2(vec![(503, THROTTLED), (503, THROTTLED), (200, NO_VPCS)]);
        let ctx = ctx_at(&url);
        let out = call(&ctx, "DescribeVpcs", || ctx.ec2.describe_vpcs().send()).await;
        assert!(out.is_ok(), "{out:?}");
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 3);

        let (url, count) = scripted_ec2(vec![(400, MALFORMED), (200, NO_VPCS)]);
        let ctx = ctx_at(&url);
        let err = call(&ctx, "DescribeVpcs", || ctx.ec2.describe_vpcs().send())
            .await
            .unwrap_err();
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(err.code, "InvalidVpcID.Malformed");
        assert!(err.to_string().contains("Invalid id: \"nope\""), "{err}");

        // Throttled beyond the retry budget: the last error is reported, after 1 + max_retries.
        let (url, count) = scripted_ec2(vec![(503, THROTTLED); 10]);
        let mut ctx = ctx_at(&url);
        ctx.max_retries = 2;
        let err = call(&ctx, "DescribeVpcs", || ctx.ec2.describe_vpcs().send())
            .await
            .unwrap_err();
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 3);
        assert_eq!(err.code, "RequestLimitExceeded");
    }
}
