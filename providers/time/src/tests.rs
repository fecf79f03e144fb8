//! The provider through its `Provider` interface: plan then apply as the engine calls them, with
//! a fixed clock and tokio's paused clock, checking the lifecycle contract on every apply.

use std::time::Duration;

use cairn_provider::{PathStep, PlanRequest, PlanResponse, Provider, ProviderError, Value};
use chrono::{DateTime, Utc};
use tokio::time::Instant;

use crate::{Clock, TimeProvider};

const NOW: &str = "2024-03-31T22:15:30Z";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW).unwrap().to_utc()
}

fn provider_at(t: DateTime<Utc>) -> TimeProvider {
    TimeProvider::with_clock(Clock::from_fn(move || t))
}

fn provider() -> TimeProvider {
    provider_at(now())
}

fn obj(items: &[(&str, Value)]) -> Value {
    Value::object(items.iter().cloned())
}

fn s(v: &str) -> Value {
    Value::string(v)
}

fn n(v: i64) -> Value {
    Value::number(v)
}

fn map(items: &[(&str, &str)]) -> Value {
    Value::Map(items.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.get_attr(name).unwrap_or(&Value::Null)
}

fn int(v: &Value, name: &str) -> i64 {
    attr(v, name)
        .as_number()
        .and_then(|x| x.as_i64())
        .unwrap_or_else(|| panic!("{name} is not a whole number in {v:?}"))
}

async fn plan(
    p: &TimeProvider,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> Result<PlanResponse, ProviderError> {
    p.plan(PlanRequest {
        type_name,
        prior,
        config: Some(config),
    })
    .await
}

/// Applies `planned` and checks the contract: known planned values come back unchanged and
/// nothing stays unknown.
async fn apply(p: &TimeProvider, type_name: &str, prior: Option<&Value>, planned: &Value) -> Value {
    let out = p
        .apply(type_name, prior, Some(planned))
        .await
        .unwrap()
        .unwrap();
    for (k, v) in planned.as_map().unwrap() {
        assert!(!attr(&out, k).is_unknown(), "{k} stayed unknown: {out:?}");
        if !v.is_unknown() {
            assert_eq!(attr(&out, k), v, "{k} changed from its planned value");
        }
    }
    assert_eq!(out.as_map().unwrap().len(), planned.as_map().unwrap().len());
    out
}

/// Plans `config` against `prior` and applies it, returning the plan and the new object.
async fn converge(
    p: &TimeProvider,
    type_name: &str,
    prior: Option<&Value>,
    config: &Value,
) -> (PlanResponse, Value) {
    let r = plan(p, type_name, prior, config).await.unwrap();
    let replacing = !r.requires_replace.is_empty();
    let out = apply(
        p,
        type_name,
        if replacing { None } else { prior },
        &r.planned,
    )
    .await;
    (r, out)
}

// --- time_sleep ---

#[tokio::test(start_paused = true)]
async fn sleep_create_and_destroy_wait_their_durations() {
    let p = provider();
    let c = obj(&[
        ("create_duration", s("90s")),
        ("destroy_duration", s("1.5s")),
    ]);
    let r = plan(&p, "time_sleep", None, &c).await.unwrap();
    assert_eq!(attr(&r.planned, "id"), &Value::Unknown);
    assert_eq!(attr(&r.planned, "triggers"), &Value::Null);

    let start = Instant::now();
    let o = apply(&p, "time_sleep", None, &r.planned).await;
    assert_eq!(start.elapsed(), Duration::from_secs(90));
    assert_eq!(attr(&o, "id"), &s(NOW));

    let same = plan(&p, "time_sleep", Some(&o), &c).await.unwrap();
    assert_eq!(same.planned, o);
    assert!(same.requires_replace.is_empty());
    assert_eq!(p.read("time_sleep", &o).await.unwrap(), Some(o.clone()));

    let start = Instant::now();
    assert_eq!(p.apply("time_sleep", Some(&o), None).await.unwrap(), None);
    assert_eq!(start.elapsed(), Duration::from_millis(1500));
}

#[tokio::test(start_paused = true)]
async fn many_sleeps_overlap_instead_of_queueing() {
    let p = std::sync::Arc::new(provider());
    let planned = obj(&[
        ("create_duration", s("10s")),
        ("destroy_duration", Value::Null),
        ("triggers", Value::Null),
        ("id", Value::Unknown),
    ]);
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let (p, planned) = (p.clone(), planned.clone());
        set.spawn(async move { p.apply("time_sleep", None, Some(&planned)).await });
    }
    let mut done = 0;
    while let Some(r) = set.join_next().await {
        assert!(r.unwrap().unwrap().is_some());
        done += 1;
    }
    assert_eq!(done, 200);
    // One after another they would take 2,000 s.
    assert_eq!(start.elapsed(), Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn dropping_a_sleep_cancels_it() {
    let p = provider();
    let planned = obj(&[("create_duration", s("1h")), ("id", Value::Unknown)]);
    let start = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(2),
        p.apply("time_sleep", None, Some(&planned)),
    )
    .await;
    assert!(r.is_err(), "the sleep finished: {r:?}");
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn sleep_duration_change_updates_without_sleeping_and_triggers_replace() {
    let p = provider();
    let prior = obj(&[
        ("id", s("2024-01-01T00:00:00Z")),
        ("create_duration", s("5s")),
        ("destroy_duration", Value::Null),
        ("triggers", map(&[("k", "a")])),
    ]);
    let c = obj(&[
        ("create_duration", s("60s")),
        ("triggers", map(&[("k", "a")])),
    ]);
    let start = Instant::now();
    let (r, o) = converge(&p, "time_sleep", Some(&prior), &c).await;
    assert!(r.requires_replace.is_empty());
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(attr(&o, "id"), &s("2024-01-01T00:00:00Z"));
    assert_eq!(attr(&o, "create_duration"), &s("60s"));

    let c = obj(&[
        ("create_duration", s("3s")),
        ("triggers", map(&[("k", "b")])),
    ]);
    let (r, o) = converge(&p, "time_sleep", Some(&prior), &c).await;
    assert_eq!(
        r.requires_replace,
        vec![vec![PathStep::Attr("triggers".into())]]
    );
    assert_eq!(attr(&r.planned, "id"), &Value::Unknown);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert_eq!(attr(&o, "id"), &s(NOW));
}

#[tokio::test]
async fn sleep_configuration_is_checked_like_the_real_provider() {
    let p = provider();
    for bad in ["1m30s", "10", "-1s", "five seconds"] {
        let e = plan(&p, "time_sleep", None, &obj(&[("create_duration", s(bad))]))
            .await
            .unwrap_err();
        assert!(e.message.contains("create_duration"), "{}", e.message);
        assert!(!e.is_retryable());
    }
    let e = plan(
        &p,
        "time_sleep",
        None,
        &obj(&[("triggers", map(&[("a", "b")]))]),
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("at least one of"), "{}", e.message);
    // An unknown duration is checked at apply.
    let r = plan(
        &p,
        "time_sleep",
        None,
        &obj(&[("destroy_duration", Value::Unknown)]),
    )
    .await
    .unwrap();
    assert_eq!(attr(&r.planned, "destroy_duration"), &Value::Unknown);
    assert!(p.validate("time_nope", &Value::Null).is_err());
}

#[tokio::test]
async fn sleep_import_parses_durations_and_triggers() {
    let p = provider();
    let v = p.import("time_sleep", "1m30s,,a=1,b=2").await.unwrap();
    assert_eq!(attr(&v, "create_duration"), &s("1m30s"));
    assert_eq!(attr(&v, "destroy_duration"), &Value::Null);
    assert_eq!(attr(&v, "triggers"), &map(&[("a", "1"), ("b", "2")]));
    assert_eq!(attr(&v, "id"), &s(NOW));
    for bad in ["", "30s", ",", "x,", "1s,,a", "1s,,a=b=c"] {
        assert!(p.import("time_sleep", bad).await.is_err(), "{bad:?}");
    }
}

// --- time_static ---

#[tokio::test]
async fn static_takes_the_time_of_creation() {
    let p = provider();
    let (r, o) = converge(&p, "time_static", None, &obj(&[])).await;
    for k in ["id", "rfc3339", "year", "unix"] {
        assert_eq!(attr(&r.planned, k), &Value::Unknown, "{k}");
    }
    assert_eq!(attr(&o, "rfc3339"), &s(NOW));
    assert_eq!(attr(&o, "id"), &s(NOW));
    let fields: Vec<i64> = ["year", "month", "day", "hour", "minute", "second"]
        .iter()
        .map(|k| int(&o, k))
        .collect();
    assert_eq!(fields, vec![2024, 3, 31, 22, 15, 30]);
    assert_eq!(int(&o, "unix"), now().timestamp());

    // Later runs keep it, whatever the clock says.
    let later = provider_at(now() + chrono::TimeDelta::days(400));
    let same = plan(&later, "time_static", Some(&o), &obj(&[]))
        .await
        .unwrap();
    assert_eq!(same.planned, o);
    assert_eq!(
        later.read("time_static", &o).await.unwrap(),
        Some(o.clone())
    );

    // New triggers: a new object with a new time.
    let c = obj(&[("triggers", map(&[("ami", "x")]))]);
    let (r, o2) = converge(&later, "time_static", Some(&o), &c).await;
    assert_eq!(
        r.requires_replace,
        vec![vec![PathStep::Attr("triggers".into())]]
    );
    assert_eq!(int(&o2, "year"), 2025);
}

#[tokio::test]
async fn static_with_a_configured_time_is_known_at_plan() {
    let p = provider();
    let c = obj(&[("rfc3339", s("2020-02-12T06:36:13+01:00"))]);
    let (r, o) = converge(&p, "time_static", None, &c).await;
    assert_eq!(int(&r.planned, "hour"), 6);
    assert_eq!(int(&r.planned, "unix"), 1_581_485_773);
    assert_eq!(attr(&r.planned, "id"), &s("2020-02-12T06:36:13+01:00"));
    assert_eq!(r.planned, o);

    let c2 = obj(&[("rfc3339", s("2021-02-12T06:36:13Z"))]);
    let r = plan(&p, "time_static", Some(&o), &c2).await.unwrap();
    assert_eq!(
        r.requires_replace,
        vec![vec![PathStep::Attr("rfc3339".into())]]
    );
    assert_eq!(int(&r.planned, "year"), 2021);

    let e = plan(
        &p,
        "time_static",
        None,
        &obj(&[("rfc3339", s("2020-02-12"))]),
    )
    .await
    .unwrap_err();
    assert!(e.message.contains("rfc3339"), "{}", e.message);
}

#[tokio::test]
async fn static_import_reads_the_timestamp() {
    let p = provider();
    let v = p
        .import("time_static", "2020-02-12T06:36:13Z")
        .await
        .unwrap();
    assert_eq!(attr(&v, "rfc3339"), &s("2020-02-12T06:36:13Z"));
    assert_eq!(int(&v, "day"), 12);
    assert_eq!(attr(&v, "triggers"), &Value::Null);
    // What it imports plans with no changes.
    let r = plan(&p, "time_static", Some(&v), &obj(&[])).await.unwrap();
    assert_eq!(r.planned, v);
    assert!(p.import("time_static", "yesterday").await.is_err());
    // The real provider's import writes an empty map: no reason to replace either.
    let mut upstream = v.as_map().unwrap().clone();
    upstream.insert("triggers".into(), map(&[]));
    let r = plan(&p, "time_static", Some(&Value::Object(upstream)), &obj(&[]))
        .await
        .unwrap();
    assert!(r.requires_replace.is_empty());
    let r = plan(
        &p,
        "time_static",
        Some(&v),
        &obj(&[("triggers", map(&[("a", "")]))]),
    )
    .await
    .unwrap();
    assert_eq!(r.requires_replace.len(), 1);
}

// --- time_offset ---

#[tokio::test]
async fn offset_moves_the_base() {
    let p = provider();
    let c = obj(&[("offset_days", n(7))]);
    let (r, o) = converge(&p, "time_offset", None, &c).await;
    assert_eq!(attr(&r.planned, "rfc3339"), &Value::Unknown);
    assert_eq!(attr(&o, "base_rfc3339"), &s(NOW));
    assert_eq!(attr(&o, "id"), &s(NOW));
    assert_eq!(attr(&o, "rfc3339"), &s("2024-04-07T22:15:30Z"));
    assert_eq!(int(&o, "day"), 7);

    // Changing an offset updates in place, from the same base, and the plan shows it.
    let later = provider_at(now() + chrono::TimeDelta::days(3));
    let c = obj(&[("offset_months", n(1))]);
    let (r, o2) = converge(&later, "time_offset", Some(&o), &c).await;
    assert!(r.requires_replace.is_empty());
    assert_eq!(attr(&r.planned, "rfc3339"), &s("2024-05-01T22:15:30Z"));
    assert_eq!(attr(&o2, "base_rfc3339"), &s(NOW));
    assert_eq!(int(&o2, "month"), 5);

    // A new base, configured, also updates in place.
    let c = obj(&[
        ("offset_months", n(1)),
        ("base_rfc3339", s("2000-01-31T00:00:00Z")),
    ]);
    let (r, o3) = converge(&later, "time_offset", Some(&o2), &c).await;
    assert!(r.requires_replace.is_empty());
    assert_eq!(attr(&o3, "rfc3339"), &s("2000-03-02T00:00:00Z"));
    assert_eq!(attr(&o3, "id"), &s("2000-01-31T00:00:00Z"));

    // No change: nothing moves.
    let same = plan(&later, "time_offset", Some(&o3), &c).await.unwrap();
    assert_eq!(same.planned, o3);

    // Triggers replace, and the new object takes a new base.
    let c = obj(&[("offset_months", n(1)), ("triggers", map(&[("k", "v")]))]);
    let (r, o4) = converge(&later, "time_offset", Some(&o2), &c).await;
    assert_eq!(
        r.requires_replace,
        vec![vec![PathStep::Attr("triggers".into())]]
    );
    assert_eq!(attr(&o4, "base_rfc3339"), &s("2024-04-03T22:15:30Z"));
}

#[tokio::test]
async fn offset_arguments_do_not_add_up_as_upstream() {
    let p = provider();
    let c = obj(&[
        ("base_rfc3339", s("2023-11-02T12:00:00Z")),
        ("offset_days", n(1)),
        ("offset_hours", n(11)),
    ]);
    let (_, o) = converge(&p, "time_offset", None, &c).await;
    assert_eq!(attr(&o, "rfc3339"), &s("2023-11-02T23:00:00Z"));
    let c = obj(&[
        ("base_rfc3339", s("2023-11-02T12:00:00Z")),
        ("offset_seconds", n(-30)),
    ]);
    let (_, o) = converge(&p, "time_offset", None, &c).await;
    assert_eq!(attr(&o, "rfc3339"), &s("2023-11-02T11:59:30Z"));
}

#[tokio::test]
async fn offset_needs_an_offset_and_imports() {
    let p = provider();
    let e = plan(&p, "time_offset", None, &obj(&[("base_rfc3339", s(NOW))]))
        .await
        .unwrap_err();
    assert!(e.message.contains("at least one of"), "{}", e.message);
    let v = p
        .import("time_offset", "2020-12-15T20:00:00Z,,,1,,,")
        .await
        .unwrap();
    assert_eq!(attr(&v, "offset_days"), &n(1));
    assert_eq!(attr(&v, "offset_years"), &Value::Null);
    assert_eq!(attr(&v, "rfc3339"), &s("2020-12-16T20:00:00Z"));
    let r = plan(&p, "time_offset", Some(&v), &obj(&[("offset_days", n(1))]))
        .await
        .unwrap();
    assert_eq!(r.planned, v);
    for bad in [
        "2020-12-15T20:00:00Z,,,,,,",
        ",1,,,,,",
        "2020-12-15T20:00:00Z,1",
        "x,1,,,,,",
    ] {
        assert!(p.import("time_offset", bad).await.is_err(), "{bad:?}");
    }
}

// --- time_rotating ---

#[tokio::test]
async fn rotating_expires_in_read() {
    let p = provider();
    let c = obj(&[("rotation_minutes", n(10))]);
    let (r, o) = converge(&p, "time_rotating", None, &c).await;
    assert_eq!(attr(&r.planned, "rotation_rfc3339"), &Value::Unknown);
    assert_eq!(attr(&o, "rfc3339"), &s(NOW));
    assert_eq!(attr(&o, "rotation_rfc3339"), &s("2024-03-31T22:25:30Z"));
    assert_eq!(int(&o, "minute"), 25);

    let before = provider_at(now() + chrono::TimeDelta::minutes(10));
    assert_eq!(
        before.read("time_rotating", &o).await.unwrap(),
        Some(o.clone())
    );
    let after = provider_at(now() + chrono::TimeDelta::minutes(11));
    assert_eq!(after.read("time_rotating", &o).await.unwrap(), None);
    // Gone: the next plan creates a new one from the new time.
    let (_, o2) = converge(&after, "time_rotating", None, &c).await;
    assert_eq!(attr(&o2, "rotation_rfc3339"), &s("2024-03-31T22:36:30Z"));
}

#[tokio::test]
async fn rotating_argument_change_updates_in_place() {
    let p = provider();
    let (_, o) = converge(&p, "time_rotating", None, &obj(&[("rotation_days", n(30))])).await;
    assert_eq!(attr(&o, "rotation_rfc3339"), &s("2024-04-30T22:15:30Z"));
    let c = obj(&[("rotation_months", n(1))]);
    let (r, o2) = converge(&p, "time_rotating", Some(&o), &c).await;
    assert!(r.requires_replace.is_empty());
    // Go's AddDate: March 31 plus a month is May 1.
    assert_eq!(
        attr(&r.planned, "rotation_rfc3339"),
        &s("2024-05-01T22:15:30Z")
    );
    assert_eq!(attr(&o2, "rfc3339"), &s(NOW));
    let same = plan(&p, "time_rotating", Some(&o2), &c).await.unwrap();
    assert_eq!(same.planned, o2);

    // A configured rotation time is kept as written; years still win over it.
    let c = obj(&[("rotation_rfc3339", s("2024-06-01T00:00:00+02:00"))]);
    let (r, o3) = converge(&p, "time_rotating", Some(&o2), &c).await;
    assert!(r.requires_replace.is_empty());
    assert_eq!(
        attr(&o3, "rotation_rfc3339"),
        &s("2024-06-01T00:00:00+02:00")
    );
    assert_eq!(int(&o3, "month"), 6);
    let c = obj(&[
        ("rotation_rfc3339", s("2024-06-01T00:00:00Z")),
        ("rotation_years", n(1)),
    ]);
    let (_, o4) = converge(&p, "time_rotating", None, &c).await;
    assert_eq!(int(&o4, "year"), 2025);
}

#[tokio::test]
async fn rotating_configured_time_changed_after_expiry_replaces() {
    let p = provider();
    let c = obj(&[("rotation_rfc3339", s("2024-04-01T00:00:00Z"))]);
    let (_, o) = converge(&p, "time_rotating", None, &c).await;
    let late = provider_at(now() + chrono::TimeDelta::days(2));
    let c = obj(&[("rotation_rfc3339", s("2024-05-01T00:00:00Z"))]);
    let r = plan(&late, "time_rotating", Some(&o), &c).await.unwrap();
    assert_eq!(
        r.requires_replace,
        vec![vec![PathStep::Attr("rotation_rfc3339".into())]]
    );
    assert_eq!(attr(&r.planned, "rfc3339"), &Value::Unknown);
}

#[tokio::test]
async fn rotating_is_validated_and_imports() {
    let p = provider();
    for (c, msg) in [
        (obj(&[]), "at least one of"),
        (obj(&[("rotation_hours", n(0))]), "at least 1"),
        (obj(&[("rotation_rfc3339", s("soon"))]), "rotation_rfc3339"),
    ] {
        let e = plan(&p, "time_rotating", None, &c).await.unwrap_err();
        assert!(e.message.contains(msg), "{}", e.message);
    }
    let v = p
        .import("time_rotating", "2020-02-12T06:36:13Z,2020-03-12T06:36:13Z")
        .await
        .unwrap();
    assert_eq!(attr(&v, "rotation_rfc3339"), &s("2020-03-12T06:36:13Z"));
    assert_eq!(int(&v, "month"), 3);
    let v = p
        .import("time_rotating", "2020-02-12T06:36:13Z,,,,2,")
        .await
        .unwrap();
    assert_eq!(attr(&v, "rotation_hours"), &n(2));
    assert_eq!(attr(&v, "rotation_rfc3339"), &s("2020-02-12T08:36:13Z"));
    let r = plan(
        &p,
        "time_rotating",
        Some(&v),
        &obj(&[("rotation_hours", n(2))]),
    )
    .await
    .unwrap();
    assert_eq!(r.planned, v);
    for bad in [
        "",
        "2020-02-12T06:36:13Z",
        "2020-02-12T06:36:13Z,,,,,",
        "x,y",
    ] {
        assert!(p.import("time_rotating", bad).await.is_err(), "{bad:?}");
    }
}

#[test]
fn schema_declares_the_four_resources() {
    let s = provider().schema();
    let names: Vec<&str> = s.resources.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        vec!["time_offset", "time_rotating", "time_sleep", "time_static"]
    );
    let rot = &s.resources["time_rotating"].schema;
    assert!(rot.attributes["rfc3339"].force_new);
    assert!(!rot.attributes["rotation_rfc3339"].force_new);
    assert!(rot.attributes["rotation_rfc3339"].computed);
    assert!(s.resources.values().all(|r| !r.external));
}

#[test]
fn refresh_reads_only_rotating_objects() {
    // A `time_rotating` object is gone once its rotation time passed; every other type's
    // read returns the stored object as it is.
    let p = provider();
    for t in crate::TYPES {
        assert_eq!(p.state_only(t), t != crate::rotating::TYPE, "{t}");
    }
    assert!(!p.state_only("time_nothing"));
}
