//! Product pictures and videos: judged by their bytes and size, stored under a name the server
//! gives, served back, and nothing outside the media store reachable.

use reqwest::Method;

use crate::builders::storefront::{MP4, PNG, create_category, create_product, upload};
use crate::support::{Session, TestApp, json, spawn_app};

/// A tenant `midia` with one product: its owner, the product, and its image and video upload
/// paths.
async fn a_product(app: &TestApp) -> (Session, String, String, String) {
    let owner = app.tenant_with_owner("midia").await;
    let category = create_category(app, &owner, "C", 1).await;
    let product = create_product(app, &owner, &category, "P", serde_json::json!({})).await;
    let image_path = format!("/admin/catalog/products/{product}/image");
    let video_path = format!("/admin/catalog/products/{product}/video");
    (owner, product, image_path, video_path)
}

#[tokio::test]
async fn uploads_are_judged_by_their_bytes_and_size() {
    let app = spawn_app().await;
    let (owner, _, image_path, video_path) = a_product(&app).await;

    let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec();
    let html = b"<!doctype html><script>alert(1)</script>".to_vec();
    let mut big_png = PNG.to_vec();
    big_png.resize(5 * 1024 * 1024 + 1, 0);
    let mut big_mp4 = MP4.to_vec();
    big_mp4.resize(20 * 1024 * 1024 + 1, 0);
    for (path, name, bytes, mime, status, code) in [
        (
            &image_path,
            "a.svg",
            svg,
            "image/svg+xml",
            415,
            "unsupported_media_type",
        ),
        (
            &image_path,
            "a.html",
            html,
            "text/html",
            415,
            "unsupported_media_type",
        ),
        (
            &image_path,
            "photo.png",
            b"just text, named like a picture".to_vec(),
            "image/png",
            415,
            "unsupported_media_type",
        ),
        (
            &image_path,
            "big.png",
            big_png,
            "image/png",
            413,
            "payload_too_large",
        ),
        (
            &video_path,
            "a.png",
            PNG.to_vec(),
            "image/png",
            415,
            "unsupported_media_type",
        ),
        (
            &video_path,
            "big.mp4",
            big_mp4,
            "video/mp4",
            413,
            "payload_too_large",
        ),
    ] {
        let response = upload(&app, &owner, path, name, bytes, mime).await;
        assert_eq!(response.status(), status, "{name}");
        assert_eq!(json(response).await["code"], code, "{name}");
    }
    let not_multipart = app
        .client
        .post(app.url(&image_path))
        .bearer_auth(&owner.token)
        .header("Content-Type", "image/png")
        .body(PNG.to_vec())
        .send()
        .await
        .expect("sent");
    assert_eq!(not_multipart.status(), 415);
    assert_eq!(
        app.scalar_i64("SELECT count(*) FROM media_objects").await,
        0,
        "nothing stored"
    );
}

#[tokio::test]
async fn an_upload_is_stored_under_the_servers_name_and_served_back() {
    let app = spawn_app().await;
    let (owner, product, image_path, video_path) = a_product(&app).await;
    let stored = upload(
        &app,
        &owner,
        &image_path,
        "evil.svg",
        PNG.to_vec(),
        "image/svg+xml",
    )
    .await;
    assert_eq!(stored.status(), 201);
    let url = json(stored).await["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with("/media/") && url.ends_with(".png"),
        "the server names it: {url}"
    );
    let served = app.get(&url).await;
    assert_eq!(served.status(), 200);
    assert_eq!(
        served
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert_eq!(served.bytes().await.expect("bytes").as_ref(), PNG);
    let video = upload(
        &app,
        &owner,
        &video_path,
        "clip.mp4",
        MP4.to_vec(),
        "video/mp4",
    )
    .await;
    assert_eq!(video.status(), 201);
    let product_view = json(
        app.send(
            &owner,
            Method::GET,
            &format!("/admin/catalog/products/{product}"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(product_view["image_url"], url);
    assert!(
        product_view["video_url"]
            .as_str()
            .is_some_and(|v| v.ends_with(".mp4"))
    );
}

#[tokio::test]
async fn nothing_outside_the_media_store_is_served() {
    let app = spawn_app().await;
    let (owner, _, image_path, _) = a_product(&app).await;
    // Something stored, so the media store exists on disk.
    let stored = upload(
        &app,
        &owner,
        &image_path,
        "a.png",
        PNG.to_vec(),
        "image/png",
    )
    .await;
    assert_eq!(stored.status(), 201);

    for path in [
        "/media/../../etc/passwd",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/x/../../Cargo.toml",
        "/media/nope.png",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
}
