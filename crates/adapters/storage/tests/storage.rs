//! The storage adapter against a real local directory and a real S3-compatible server
//! (moto on 127.0.0.1:5055, started by `scripts/services`; `COMANDA_TEST_S3_URL` overrides).

use comanda_ports::media::{MediaStorage, StorageError};
use comanda_storage::{ObjectMediaStorage, S3Config};

fn s3_url() -> String {
    std::env::var("COMANDA_TEST_S3_URL").unwrap_or_else(|_| "http://127.0.0.1:5055".into())
}

async fn fresh_bucket() -> String {
    let bucket = format!("comanda-test-{}", uuid::Uuid::new_v4().simple());
    let response = comanda_testkit::http_client()
        .put(format!("{}/{bucket}", s3_url()))
        .send()
        .await
        .expect("the S3 test server must be running (scripts/services starts it)");
    assert!(
        response.status().is_success(),
        "bucket created: {}",
        response.status()
    );
    bucket
}

fn s3(bucket: &str) -> ObjectMediaStorage {
    let endpoint = s3_url();
    ObjectMediaStorage::s3(&S3Config {
        bucket,
        region: "us-east-1",
        endpoint: Some(&endpoint),
        access_key_id: Some("test"),
        secret_access_key: Some("test"),
        public_base_url: Some("https://cdn.comanda.test/media"),
    })
    .expect("client builds")
}

#[tokio::test]
async fn s3_round_trip_with_content_type() {
    let bucket = fresh_bucket().await;
    let storage = s3(&bucket);
    let key = "tenant-a/product_image/abc.png";
    let bytes = b"\x89PNG\r\n\x1a\nfake".to_vec();
    let url = storage
        .put(key, bytes.clone(), "image/png")
        .await
        .expect("stored");
    assert_eq!(url, format!("https://cdn.comanda.test/media/{key}"));
    assert_eq!(storage.get(key).await.expect("read"), Some(bytes));

    // The object really is in the bucket, with its content type.
    let direct = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&bucket)
        .with_region("us-east-1")
        .with_endpoint(s3_url())
        .with_allow_http(true)
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .build()
        .expect("client");
    let object = object_store::ObjectStoreExt::get(&direct, &object_store::path::Path::from(key))
        .await
        .expect("object exists");
    assert_eq!(
        object
            .attributes
            .get(&object_store::Attribute::ContentType)
            .map(|v| v.as_ref()),
        Some("image/png")
    );

    storage.delete(key).await.expect("deleted");
    assert_eq!(storage.get(key).await.expect("read"), None);
    storage.delete(key).await.expect("deleting twice is fine");
}

#[tokio::test]
async fn s3_unreachable_is_unavailable() {
    let storage = ObjectMediaStorage::s3(&S3Config {
        bucket: "nothing",
        region: "us-east-1",
        endpoint: Some("http://127.0.0.1:1"),
        access_key_id: Some("test"),
        secret_access_key: Some("test"),
        public_base_url: None,
    })
    .expect("client builds");
    let error = storage
        .put("a/b.png", vec![1], "image/png")
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, StorageError::Unavailable(_)), "{error:?}");
}

#[tokio::test]
async fn local_round_trip_and_no_escape_from_the_root() {
    let root =
        std::env::temp_dir().join(format!("comanda-media-{}", uuid::Uuid::new_v4().simple()));
    let storage = ObjectMediaStorage::local(&root, "/media").expect("local storage");
    let url = storage
        .put("t/store_image/x.jpg", vec![0xFF, 0xD8, 0xFF], "image/jpeg")
        .await
        .expect("stored");
    assert_eq!(url, "/media/t/store_image/x.jpg");
    assert!(root.join("t/store_image/x.jpg").exists());
    assert_eq!(
        storage.get("t/store_image/x.jpg").await.expect("read"),
        Some(vec![0xFF, 0xD8, 0xFF])
    );
    for key in ["../outside.png", "/etc/passwd", "t/../../x", "t//x"] {
        assert!(
            matches!(
                storage.put(key, vec![1], "image/png").await,
                Err(StorageError::InvalidKey)
            ),
            "{key}"
        );
        assert!(
            matches!(storage.get(key).await, Err(StorageError::InvalidKey)),
            "{key}"
        );
    }
    assert!(!root.parent().expect("parent").join("outside.png").exists());
    std::fs::remove_dir_all(&root).expect("clean up");
}
