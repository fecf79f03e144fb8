//! Lifecycle tests of the `random` provider's resources, and properties of generated strings
//! checked over many runs.

use super::*;
use cairn_provider::PathStep;

fn obj(items: &[(&str, Value)]) -> Value {
    Value::object(items.iter().cloned())
}

fn keepers(items: &[(&str, &str)]) -> Value {
    Value::Map(
        items
            .iter()
            .map(|(k, v)| (k.to_string(), Value::string(*v)))
            .collect(),
    )
}

async fn plan(
    t: &str,
    prior: Option<&Value>,
    config: &Value,
) -> Result<PlanResponse, ProviderError> {
    RandomProvider
        .plan(PlanRequest {
            type_name: t,
            prior,
            config: Some(config),
        })
        .await
}

async fn create(t: &str, config: &Value) -> (PlanResponse, Value) {
    let p = plan(t, None, config).await.unwrap();
    let v = RandomProvider
        .apply(t, None, Some(&p.planned))
        .await
        .unwrap()
        .unwrap();
    (p, v)
}

/// The contract checks every resource must pass: create plans computed attributes unknown,
/// apply fills every unknown and keeps every known planned value, an unchanged configuration
/// plans the prior object, a changed force-new attribute (and keepers) replaces, read keeps the
/// object and delete is idempotent.
async fn check_lifecycle(t: &str, config: Value, changed: (&str, Value)) {
    let schema = schema::resource(t).unwrap();
    let (p, v) = create(t, &config).await;
    assert!(p.requires_replace.is_empty());
    for (name, attr) in &schema.attributes {
        let planned = p.planned.get_attr(name).unwrap();
        let set = config.get_attr(name).is_some_and(|x| !x.is_null());
        if attr.computed && !attr.optional {
            assert!(planned.is_unknown(), "{t}.{name} unknown on create");
        } else if set {
            assert_eq!(
                planned,
                config.get_attr(name).unwrap(),
                "{t}.{name} keeps config"
            );
        }
        let got = v.get_attr(name).unwrap();
        assert!(got.is_wholly_known(), "{t}.{name} known after apply");
        if !planned.is_unknown() {
            assert_eq!(got, planned, "{t}.{name} keeps planned value");
        }
    }

    let same = plan(t, Some(&v), &config).await.unwrap();
    assert_eq!(same.planned, v, "{t}: no change");
    assert!(same.requires_replace.is_empty());

    let mut m = config.as_map().cloned().unwrap();
    m.insert(changed.0.to_string(), changed.1);
    let rep = plan(t, Some(&v), &Value::Object(m.clone())).await.unwrap();
    assert_eq!(
        rep.requires_replace,
        vec![vec![PathStep::Attr(changed.0.into())]],
        "{t}"
    );
    assert!(
        rep.planned.get_attr("id").unwrap().is_unknown(),
        "{t}: new id after replace"
    );

    m.insert("keepers".into(), keepers(&[("k", "v2")]));
    let mut base = config.as_map().cloned().unwrap();
    base.insert("keepers".into(), keepers(&[("k", "v1")]));
    let (_, kv) = create(t, &Value::Object(base.clone())).await;
    base.insert("keepers".into(), keepers(&[("k", "v2")]));
    let krep = plan(t, Some(&kv), &Value::Object(base)).await.unwrap();
    assert_eq!(
        krep.requires_replace,
        vec![vec![PathStep::Attr("keepers".into())]],
        "{t}"
    );

    assert_eq!(RandomProvider.read(t, &v).await.unwrap(), Some(v.clone()));
    assert_eq!(RandomProvider.apply(t, Some(&v), None).await.unwrap(), None);
    assert_eq!(RandomProvider.apply(t, Some(&v), None).await.unwrap(), None);
}

#[tokio::test]
async fn lifecycles() {
    let n = Value::number;
    check_lifecycle(
        "random_id",
        obj(&[("byte_length", n(8))]),
        ("byte_length", n(9)),
    )
    .await;
    check_lifecycle(
        "random_string",
        obj(&[("length", n(12))]),
        ("special", false.into()),
    )
    .await;
    check_lifecycle(
        "random_password",
        obj(&[("length", n(12))]),
        ("min_upper", n(3)),
    )
    .await;
    check_lifecycle(
        "random_integer",
        obj(&[("min", n(1)), ("max", n(9))]),
        ("max", n(10)),
    )
    .await;
    check_lifecycle("random_uuid", obj(&[]), ("keepers", keepers(&[("a", "b")]))).await;
    check_lifecycle("random_pet", obj(&[]), ("length", n(3))).await;
    let input = Value::Tuple(vec![Value::string("a"), Value::string("b")]);
    check_lifecycle(
        "random_shuffle",
        obj(&[("input", input)]),
        ("seed", "s".into()),
    )
    .await;
}

#[tokio::test]
async fn keepers_null_empty_and_null_values_are_the_same() {
    let (_, v) = create("random_uuid", &obj(&[])).await;
    for k in [
        Value::Map(Default::default()),
        Value::Map([("x".to_string(), Value::Null)].into_iter().collect()),
    ] {
        let r = plan("random_uuid", Some(&v), &obj(&[("keepers", k.clone())]))
            .await
            .unwrap();
        assert!(r.requires_replace.is_empty());
        assert_eq!(r.planned.get_attr("result"), v.get_attr("result"));
        // The update stores the new keepers and keeps the result.
        let u = RandomProvider
            .apply("random_uuid", Some(&v), Some(&r.planned))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u.get_attr("keepers"), Some(&k));
        assert_eq!(u.get_attr("result"), v.get_attr("result"));
    }
    let r = plan(
        "random_uuid",
        Some(&v),
        &obj(&[("keepers", Value::Unknown)]),
    )
    .await
    .unwrap();
    assert!(!r.requires_replace.is_empty(), "unknown keepers replace");
}

#[tokio::test]
async fn random_id_encodings_agree() {
    let (_, v) = create(
        "random_id",
        &obj(&[("byte_length", Value::number(4)), ("prefix", "p-".into())]),
    )
    .await;
    let s = |k: &str| v.get_attr(k).and_then(Value::as_str).unwrap().to_string();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s("id"))
        .unwrap();
    assert_eq!(bytes.len(), 4);
    use base64::Engine;
    assert_eq!(s("b64_url"), format!("p-{}", s("id")));
    assert_eq!(s("hex"), format!("p-{}", hex::encode(&bytes)));
    assert_eq!(
        s("b64_std"),
        format!(
            "p-{}",
            base64::engine::general_purpose::STANDARD.encode(&bytes)
        )
    );
    let n = u32::from_be_bytes(bytes.try_into().unwrap());
    assert_eq!(s("dec"), format!("p-{n}"));
}

#[tokio::test]
async fn random_password_defaults_id_and_bcrypt() {
    let (p, v) = create("random_password", &obj(&[("length", Value::number(20))])).await;
    for f in ["special", "upper", "lower", "numeric", "number"] {
        assert_eq!(p.planned.get_attr(f), Some(&Value::Bool(true)), "{f}");
    }
    for f in ["min_upper", "min_lower", "min_numeric", "min_special"] {
        assert_eq!(p.planned.get_attr(f), Some(&Value::number(0)), "{f}");
    }
    assert_eq!(v.get_attr("id"), Some(&Value::string("none")));
    let result = v.get_attr("result").and_then(Value::as_str).unwrap();
    assert_eq!(result.chars().count(), 20);
    let hash = v.get_attr("bcrypt_hash").and_then(Value::as_str).unwrap();
    assert!(hash.starts_with("$2a$10$"), "{hash}");
    assert!(bcrypt::verify(result, hash).unwrap());
    let schema = schema::resource("random_password").unwrap();
    assert!(schema.attributes["result"].sensitive && schema.attributes["bcrypt_hash"].sensitive);
    let string = schema::resource("random_string").unwrap();
    assert!(!string.attributes["result"].sensitive);
}

#[tokio::test]
async fn random_string_id_is_result_and_number_follows_numeric() {
    let (p, v) = create(
        "random_string",
        &obj(&[("length", Value::number(30)), ("numeric", false.into())]),
    )
    .await;
    assert_eq!(p.planned.get_attr("number"), Some(&Value::Bool(false)));
    assert_eq!(v.get_attr("id"), v.get_attr("result"));
    assert!(
        !v.get_attr("result")
            .and_then(Value::as_str)
            .unwrap()
            .chars()
            .any(|c| c.is_ascii_digit())
    );
    let (p, _) = create(
        "random_string",
        &obj(&[("length", Value::number(3)), ("number", false.into())]),
    )
    .await;
    assert_eq!(p.planned.get_attr("numeric"), Some(&Value::Bool(false)));
}

#[tokio::test]
async fn invalid_inputs_are_clear_errors() {
    let n = Value::number;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "random_id",
            obj(&[("byte_length", n(-1))]),
            "byte_length must be at least 0",
        ),
        (
            "random_string",
            obj(&[("length", n(0))]),
            "length must be at least 1",
        ),
        (
            "random_string",
            obj(&[("length", n(3)), ("min_upper", n(2)), ("min_lower", n(2))]),
            "sum",
        ),
        (
            "random_string",
            obj(&[("length", n(3)), ("min_upper", n(-1))]),
            "min_upper must be at least 0",
        ),
        (
            "random_string",
            obj(&[(
                "length",
                Value::Number(cairn_provider::Number::from_f64(2.5).unwrap()),
            )]),
            "whole number",
        ),
        (
            "random_string",
            obj(&[("length", "x".into())]),
            "must be a number",
        ),
        (
            "random_string",
            obj(&[
                ("length", n(5)),
                ("upper", false.into()),
                ("lower", false.into()),
                ("numeric", false.into()),
                ("special", false.into()),
            ]),
            "character set specified is empty",
        ),
        (
            "random_password",
            obj(&[
                ("length", n(5)),
                ("number", true.into()),
                ("numeric", false.into()),
            ]),
            "different values",
        ),
        (
            "random_integer",
            obj(&[("min", n(5)), ("max", n(1))]),
            "must be less than or equal to max",
        ),
        (
            "random_pet",
            obj(&[("length", n(0))]),
            "length must be at least 1",
        ),
        (
            "random_shuffle",
            obj(&[("input", Value::List(vec![])), ("result_count", n(-1))]),
            "result_count",
        ),
        ("random_string", obj(&[("length", n(1 << 40))]), "at most"),
        (
            "random_id",
            obj(&[("byte_length", n(4097))]),
            "at most 4096",
        ),
    ];
    for (t, c, want) in cases {
        let e = plan(t, None, &c).await.unwrap_err();
        assert!(
            e.message.contains(want),
            "{t}: {} should contain {want:?}",
            e.message
        );
        assert!(e.message.starts_with(t), "{}", e.message);
        assert!(RandomProvider.validate(t, &c).is_err());
    }
    assert!(plan("random_thing", None, &obj(&[])).await.is_err());
}

#[tokio::test]
async fn unknown_config_plans_and_replaces() {
    let prior_cfg = obj(&[("length", Value::number(8))]);
    let (_, v) = create("random_string", &prior_cfg).await;
    let r = plan(
        "random_string",
        Some(&v),
        &obj(&[("length", Value::Unknown)]),
    )
    .await
    .unwrap();
    assert_eq!(
        r.requires_replace,
        vec![vec![PathStep::Attr("length".into())]]
    );
    assert!(r.planned.get_attr("result").unwrap().is_unknown());
}

#[tokio::test]
async fn random_integer_in_range_and_seeded() {
    let c = obj(&[("min", Value::number(-3)), ("max", Value::number(3))]);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..300 {
        let (_, v) = create("random_integer", &c).await;
        let r = v
            .get_attr("result")
            .and_then(Value::as_number)
            .and_then(|n| n.as_i64())
            .unwrap();
        assert!((-3..=3).contains(&r));
        assert_eq!(v.get_attr("id"), Some(&Value::string(r.to_string())));
        seen.insert(r);
    }
    assert_eq!(seen.len(), 7, "every value in range turns up");
    let seeded = obj(&[
        ("min", Value::number(0)),
        ("max", Value::number(1 << 40)),
        ("seed", "abc".into()),
    ]);
    let (_, a) = create("random_integer", &seeded).await;
    let (_, b) = create("random_integer", &seeded).await;
    assert_eq!(a.get_attr("result"), b.get_attr("result"));
}

#[tokio::test]
async fn random_shuffle_counts() {
    let input: Vec<Value> = ["a", "b", "c", "d"]
        .iter()
        .map(|s| Value::string(*s))
        .collect();
    let (_, v) = create(
        "random_shuffle",
        &obj(&[("input", Value::List(input.clone()))]),
    )
    .await;
    let mut r = v
        .get_attr("result")
        .and_then(Value::as_seq)
        .unwrap()
        .to_vec();
    r.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    assert_eq!(r, input, "a permutation of the input");
    let (_, v) = create(
        "random_shuffle",
        &obj(&[
            ("input", Value::List(input.clone())),
            ("result_count", Value::number(2)),
        ]),
    )
    .await;
    assert_eq!(
        v.get_attr("result").and_then(Value::as_seq).unwrap().len(),
        2
    );
    let (_, v) = create(
        "random_shuffle",
        &obj(&[
            ("input", Value::List(input.clone())),
            ("result_count", Value::number(10)),
        ]),
    )
    .await;
    let r = v.get_attr("result").and_then(Value::as_seq).unwrap();
    assert_eq!(r.len(), 10);
    // Successive permutations: each block of four holds every input once.
    let mut first: Vec<&str> = r[..4].iter().filter_map(Value::as_str).collect();
    first.sort();
    assert_eq!(first, ["a", "b", "c", "d"]);
    let (_, v) = create("random_shuffle", &obj(&[("input", Value::List(vec![]))])).await;
    assert_eq!(v.get_attr("result"), Some(&Value::List(vec![])));
}

#[tokio::test]
async fn random_pet_shape() {
    let (_, v) = create(
        "random_pet",
        &obj(&[
            ("length", Value::number(3)),
            ("prefix", "dev".into()),
            ("separator", ".".into()),
        ]),
    )
    .await;
    let id = v.get_attr("id").and_then(Value::as_str).unwrap();
    let parts: Vec<&str> = id.split('.').collect();
    assert_eq!(parts.len(), 4, "{id}");
    assert_eq!(parts[0], "dev");
    assert!(
        pet::is_adverb(parts[1]) && pet::is_adjective(parts[2]) && pet::is_name(parts[3]),
        "{id}"
    );
    let (p, v) = create("random_pet", &obj(&[])).await;
    assert_eq!(p.planned.get_attr("length"), Some(&Value::number(2)));
    assert_eq!(p.planned.get_attr("separator"), Some(&Value::string("-")));
    assert_eq!(
        v.get_attr("id")
            .and_then(Value::as_str)
            .unwrap()
            .split('-')
            .count(),
        2
    );
}

#[tokio::test]
async fn uuid_is_v4() {
    let (_, v) = create("random_uuid", &obj(&[])).await;
    let u = uuid::Uuid::parse_str(v.get_attr("result").and_then(Value::as_str).unwrap()).unwrap();
    assert_eq!(u.get_version_num(), 4);
    assert_eq!(v.get_attr("id"), v.get_attr("result"));
}

// --- properties of generated strings ------------------------------------------------------

fn spec(length: usize) -> StringSpec {
    StringSpec {
        length,
        upper: true,
        lower: true,
        numeric: true,
        special: true,
        min_upper: 0,
        min_lower: 0,
        min_numeric: 0,
        min_special: 0,
        override_special: String::new(),
    }
}

fn count(s: &str, set: &str) -> usize {
    s.chars().filter(|c| set.contains(*c)).count()
}

#[test]
fn strings_respect_length_charset_and_minimums() {
    use generate::{LOWER, NUMERIC, SPECIAL, UPPER};
    let specs = [
        StringSpec {
            min_upper: 3,
            min_lower: 2,
            min_numeric: 4,
            min_special: 1,
            ..spec(10)
        },
        StringSpec {
            special: false,
            min_numeric: 5,
            ..spec(16)
        },
        StringSpec {
            upper: false,
            lower: false,
            special: false,
            ..spec(8)
        },
        StringSpec {
            override_special: "_%@".into(),
            min_special: 3,
            ..spec(24)
        },
        StringSpec {
            upper: false,
            min_upper: 2,
            ..spec(6)
        },
        StringSpec {
            override_special: "éø".into(),
            min_special: 2,
            lower: false,
            ..spec(5)
        },
    ];
    for sp in specs {
        let special = if sp.override_special.is_empty() {
            SPECIAL.to_string()
        } else {
            sp.override_special.clone()
        };
        // Disabled classes may still appear through their minimum, as in the real provider.
        let mut allowed = generate::charset(&sp);
        for (min, set) in [
            (sp.min_upper, UPPER),
            (sp.min_lower, LOWER),
            (sp.min_numeric, NUMERIC),
            (sp.min_special, special.as_str()),
        ] {
            if min > 0 {
                allowed.push_str(set);
            }
        }
        for _ in 0..500 {
            let s = generate_string(&sp).unwrap();
            assert_eq!(s.chars().count(), sp.length, "{s}");
            assert!(
                s.chars().all(|c| allowed.contains(c)),
                "{s} outside {allowed}"
            );
            assert!(count(&s, UPPER) >= sp.min_upper, "{s}");
            assert!(count(&s, LOWER) >= sp.min_lower, "{s}");
            assert!(count(&s, NUMERIC) >= sp.min_numeric, "{s}");
            assert!(count(&s, &special) >= sp.min_special, "{s}");
            if !sp.upper && sp.min_upper == 0 {
                assert_eq!(count(&s, UPPER), 0);
            }
        }
    }
}

#[test]
fn strings_are_not_predictable() {
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        seen.insert(generate_string(&spec(16)).unwrap());
    }
    assert_eq!(seen.len(), 200);
    // Minimums are spread over the string, not left at its front.
    let sp = StringSpec {
        min_numeric: 1,
        numeric: false,
        ..spec(20)
    };
    let positions: std::collections::BTreeSet<usize> = (0..300)
        .map(|_| {
            generate_string(&sp)
                .unwrap()
                .find(|c: char| c.is_ascii_digit())
                .unwrap()
        })
        .collect();
    assert!(positions.len() > 5, "{positions:?}");
}

#[test]
fn every_char_of_the_set_turns_up() {
    let s: String = (0..400)
        .map(|_| generate_string(&spec(50)).unwrap())
        .collect();
    for c in generate::charset(&spec(1)).chars() {
        assert!(s.contains(c), "{c} never generated");
    }
}

#[tokio::test]
async fn override_special_empty_to_null_is_no_change() {
    let c = obj(&[
        ("length", Value::number(8)),
        ("override_special", "".into()),
    ]);
    let (_, v) = create("random_string", &c).await;
    let r = plan(
        "random_string",
        Some(&v),
        &obj(&[("length", Value::number(8))]),
    )
    .await
    .unwrap();
    assert!(r.requires_replace.is_empty());
    assert_eq!(r.planned.get_attr("result"), v.get_attr("result"));
    let r = plan(
        "random_string",
        Some(&v),
        &obj(&[
            ("length", Value::number(8)),
            ("override_special", "_".into()),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        r.requires_replace,
        vec![vec![PathStep::Attr("override_special".into())]]
    );
}

#[tokio::test]
async fn imports() {
    let p = RandomProvider;
    // Importing gives an object that plans as unchanged against the matching configuration.
    let v = p.import("random_id", "pre-,-_8B").await.unwrap();
    assert_eq!(v.get_attr("id"), Some(&Value::string("-_8B")));
    assert_eq!(v.get_attr("hex"), Some(&Value::string("pre-fbff01")));
    assert_eq!(v.get_attr("dec"), Some(&Value::string("pre-16514817")));
    let c = obj(&[("byte_length", Value::number(3)), ("prefix", "pre-".into())]);
    let r = plan("random_id", Some(&v), &c).await.unwrap();
    assert!(r.requires_replace.is_empty());

    let v = p.import("random_string", "abcDEF12").await.unwrap();
    assert_eq!(v.get_attr("length"), Some(&Value::number(8)));
    let r = plan(
        "random_string",
        Some(&v),
        &obj(&[("length", Value::number(8))]),
    )
    .await
    .unwrap();
    assert_eq!(r.planned, v);

    let v = p.import("random_password", "s3cret!").await.unwrap();
    assert_eq!(v.get_attr("id"), Some(&Value::string("none")));
    let hash = v.get_attr("bcrypt_hash").and_then(Value::as_str).unwrap();
    assert!(bcrypt::verify("s3cret!", hash).unwrap());

    let v = p.import("random_integer", "5,1,9,seed").await.unwrap();
    assert_eq!(v.get_attr("result"), Some(&Value::number(5)));
    assert_eq!(v.get_attr("seed"), Some(&Value::string("seed")));
    let v = p
        .import("random_uuid", "6b1e4a4e-4c3c-4f8e-9d4a-2f1c5a7b8c9d")
        .await
        .unwrap();
    assert_eq!(v.get_attr("id"), v.get_attr("result"));

    for (t, bad) in [
        ("random_id", "!!"),
        ("random_integer", "1,2"),
        ("random_integer", "x,1,2"),
        ("random_uuid", "not-a-uuid"),
        ("random_pet", "a-b"),
        ("random_nothing", "x"),
    ] {
        assert!(p.import(t, bad).await.is_err(), "{t} {bad}");
    }
}

#[tokio::test]
async fn random_id_of_zero_and_many_bytes() {
    let (_, v) = create("random_id", &obj(&[("byte_length", Value::number(0))])).await;
    assert_eq!(v.get_attr("id"), Some(&Value::string("")));
    assert_eq!(v.get_attr("dec"), Some(&Value::string("0")));
    let (_, v) = create("random_id", &obj(&[("byte_length", Value::number(4096))])).await;
    assert_eq!(
        v.get_attr("hex").and_then(Value::as_str).map(str::len),
        Some(8192)
    );
}

#[test]
fn every_random_object_lives_only_in_the_state() {
    for t in crate::schema::TYPES {
        assert!(RandomProvider.state_only(t), "{t}");
    }
    assert!(!RandomProvider.state_only("random_nothing"));
}
