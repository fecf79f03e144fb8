//! Lifecycle tests of `local_file`, `local_sensitive_file` and the data sources, on real files
//! in temporary directories.

use super::*;
use cairn_provider::PathStep;
use std::path::Path;

fn cfg(filename: &Path, items: &[(&str, Value)]) -> Value {
    let mut m: cairn_provider::ValueMap = items
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    m.insert("filename".into(), Value::string(filename.to_string_lossy()));
    Value::Object(m)
}

async fn plan(
    t: &str,
    prior: Option<&Value>,
    config: &Value,
) -> Result<PlanResponse, ProviderError> {
    LocalProvider
        .plan(PlanRequest {
            type_name: t,
            prior,
            config: Some(config),
        })
        .await
}

async fn create(t: &str, config: &Value) -> Value {
    let p = plan(t, None, config).await.unwrap();
    LocalProvider
        .apply(t, None, Some(&p.planned))
        .await
        .unwrap()
        .unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get_attr(k)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{k} missing"))
}

#[tokio::test]
async fn create_plan_apply_read_delete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/out.txt");
    let c = cfg(
        &path,
        &[
            ("content", "hello world".into()),
            ("file_permission", "0640".into()),
        ],
    );
    let p = plan("local_file", None, &c).await.unwrap();
    assert!(p.requires_replace.is_empty());
    assert_eq!(
        p.planned.get_attr("directory_permission"),
        Some(&Value::string("0777"))
    );
    assert_eq!(
        p.planned.get_attr("file_permission"),
        Some(&Value::string("0640"))
    );
    for k in [
        "id",
        "content_md5",
        "content_sha1",
        "content_sha256",
        "content_base64sha256",
        "content_sha512",
        "content_base64sha512",
    ] {
        assert_eq!(p.planned.get_attr(k), Some(&Value::Unknown), "{k}");
    }
    assert_eq!(p.planned.get_attr("sensitive_content"), Some(&Value::Null));

    let v = LocalProvider
        .apply("local_file", None, Some(&p.planned))
        .await
        .unwrap()
        .unwrap();
    assert!(v.is_wholly_known());
    for (k, planned) in p.planned.as_map().unwrap() {
        if !planned.is_unknown() {
            assert_eq!(v.get_attr(k), Some(planned), "{k} kept");
        }
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "hello world");
    assert_eq!(s(&v, "id"), "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed");
    assert_eq!(s(&v, "content_sha1"), s(&v, "id"));
    assert_eq!(s(&v, "content_md5"), "5eb63bbbe01eeed093cb22bb8f5acdc3");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & !0o640, 0, "mode {mode:o} within 0640");
    }

    // No change plans the prior object; a content change replaces.
    let same = plan("local_file", Some(&v), &c).await.unwrap();
    assert_eq!(same.planned, v);
    assert!(same.requires_replace.is_empty());
    let changed = cfg(
        &path,
        &[
            ("content", "bye".into()),
            ("file_permission", "0640".into()),
        ],
    );
    let r = plan("local_file", Some(&v), &changed).await.unwrap();
    assert_eq!(
        r.requires_replace,
        vec![vec![PathStep::Attr("content".into())]]
    );
    assert_eq!(r.planned.get_attr("id"), Some(&Value::Unknown));

    // Read: unchanged → kept; edited → gone; removed → gone.
    assert_eq!(
        LocalProvider.read("local_file", &v).await.unwrap(),
        Some(v.clone())
    );
    std::fs::write(&path, "edited").unwrap();
    assert_eq!(LocalProvider.read("local_file", &v).await.unwrap(), None);
    std::fs::write(&path, "hello world").unwrap();
    assert!(
        LocalProvider
            .read("local_file", &v)
            .await
            .unwrap()
            .is_some()
    );

    assert_eq!(
        LocalProvider
            .apply("local_file", Some(&v), None)
            .await
            .unwrap(),
        None
    );
    assert!(!path.exists());
    assert_eq!(LocalProvider.read("local_file", &v).await.unwrap(), None);
    assert_eq!(
        LocalProvider
            .apply("local_file", Some(&v), None)
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn base64_and_source_content() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    let v = create(
        "local_file",
        &cfg(&bin, &[("content_base64", "AAH/".into())]),
    )
    .await;
    assert_eq!(std::fs::read(&bin).unwrap(), vec![0u8, 1, 255]);
    assert_eq!(s(&v, "id"), Checksums::of(&[0, 1, 255]).sha1);

    let copy = dir.path().join("copy");
    let v = create(
        "local_file",
        &cfg(&copy, &[("source", Value::string(bin.to_string_lossy()))]),
    )
    .await;
    assert_eq!(std::fs::read(&copy).unwrap(), vec![0u8, 1, 255]);
    assert_eq!(s(&v, "content_sha256"), Checksums::of(&[0, 1, 255]).sha256);

    let missing = dir.path().join("nope");
    let c = cfg(
        &dir.path().join("x"),
        &[("source", Value::string(missing.to_string_lossy()))],
    );
    let p = plan("local_file", None, &c).await.unwrap();
    let e = LocalProvider
        .apply("local_file", None, Some(&p.planned))
        .await
        .unwrap_err();
    assert!(
        e.message.contains(&*missing.to_string_lossy()),
        "{}",
        e.message
    );
}

#[tokio::test]
async fn create_under_a_regular_file_fails_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("blocker");
    std::fs::write(&blocker, "x").unwrap();
    for target in [blocker.join("out.txt"), blocker.join("sub/out.txt")] {
        let p = plan(
            "local_file",
            None,
            &cfg(&target, &[("content", "a".into())]),
        )
        .await
        .unwrap();
        let e = LocalProvider
            .apply("local_file", None, Some(&p.planned))
            .await
            .unwrap_err();
        assert_eq!(e.kind, cairn_provider::ProviderErrorKind::Permanent);
        assert!(
            e.message.contains(&*target.to_string_lossy()),
            "{}",
            e.message
        );
    }
}

#[tokio::test]
async fn invalid_configurations() {
    let f = Path::new("out.txt");
    let cases: Vec<(&str, Value, &str)> = vec![
        ("local_file", cfg(f, &[]), "exactly one of"),
        (
            "local_file",
            cfg(f, &[("content", "a".into()), ("source", "b".into())]),
            "got content, source",
        ),
        (
            "local_file",
            cfg(
                f,
                &[
                    ("content", "a".into()),
                    ("sensitive_content", Value::Unknown),
                ],
            ),
            "exactly one",
        ),
        (
            "local_file",
            cfg(
                f,
                &[("content", "a".into()), ("file_permission", "999".into())],
            ),
            "file_permission",
        ),
        (
            "local_file",
            cfg(
                f,
                &[("content", "a".into()), ("file_permission", "07777".into())],
            ),
            "3 or 4",
        ),
        (
            "local_file",
            cfg(
                f,
                &[
                    ("content", "a".into()),
                    ("directory_permission", "1777".into()),
                ],
            ),
            "0777",
        ),
        (
            "local_file",
            cfg(f, &[("content_base64", "!!".into())]),
            "base64",
        ),
        (
            "local_file",
            cfg(Path::new(""), &[("content", "a".into())]),
            "filename",
        ),
        (
            "local_sensitive_file",
            cfg(
                f,
                &[("content", "a".into()), ("content_base64", "Yg==".into())],
            ),
            "exactly one",
        ),
    ];
    for (t, c, want) in cases {
        let e = plan(t, None, &c).await.expect_err(want);
        assert!(
            e.message.contains(want),
            "{t}: {:?} lacks {want:?}",
            e.message
        );
        assert!(LocalProvider.validate(t, &c).is_err());
    }
    // Unknown content is fine at plan time.
    assert!(
        plan("local_file", None, &cfg(f, &[("content", Value::Unknown)]))
            .await
            .is_ok()
    );
    assert!(plan("local_thing", None, &cfg(f, &[])).await.is_err());
}

#[tokio::test]
async fn sensitive_file_schema_and_defaults() {
    let schema = LocalProvider.schema();
    let r = &schema.resources["local_sensitive_file"];
    assert!(r.external);
    assert!(r.schema.attributes["content"].sensitive);
    assert!(r.schema.attributes["content_base64"].sensitive);
    assert!(!r.schema.attributes.contains_key("sensitive_content"));
    let f = &schema.resources["local_file"];
    assert!(!f.schema.attributes["content"].sensitive);
    assert!(f.schema.attributes["sensitive_content"].sensitive);
    assert!(
        f.schema
            .attributes
            .values()
            .filter(|a| !a.computed || a.optional)
            .all(|a| a.force_new)
    );
    assert!(schema.data_sources["local_sensitive_file"].attributes["content"].sensitive);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    let v = create(
        "local_sensitive_file",
        &cfg(&path, &[("content", "s3cret".into())]),
    )
    .await;
    assert_eq!(s(&v, "file_permission"), "0700");
    assert_eq!(s(&v, "directory_permission"), "0700");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret");
}

#[tokio::test]
async fn data_source_reads_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.txt");
    std::fs::write(&path, "hello world").unwrap();
    let v = LocalProvider
        .read_data("local_file", &cfg(&path, &[]))
        .await
        .unwrap();
    assert_eq!(s(&v, "content"), "hello world");
    assert_eq!(s(&v, "content_base64"), "aGVsbG8gd29ybGQ=");
    assert_eq!(s(&v, "id"), "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed");
    assert_eq!(s(&v, "content_md5"), "5eb63bbbe01eeed093cb22bb8f5acdc3");
    let missing = dir.path().join("missing.txt");
    let e = LocalProvider
        .read_data("local_file", &cfg(&missing, &[]))
        .await
        .unwrap_err();
    assert!(
        e.message.contains(&*missing.to_string_lossy()),
        "{}",
        e.message
    );
}
