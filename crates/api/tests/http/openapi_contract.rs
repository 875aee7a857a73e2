//! The OpenAPI document is the contract: every documented operation is served, every served
//! route is documented (but the three listed below), and the whole document is a snapshot, so
//! any change to the contract shows in review.

use std::path::PathBuf;

use reqwest::Method;

use crate::support::{json, spawn_app};

/// Served but deliberately outside the document: the docs page's assets, its trailing-slash
/// twin and stored media files (`routes::register_unlisted`). Everything else is registered
/// through `routes::register`, which only takes handlers that carry `#[utoipa::path]`.
const UNLISTED: [&str; 3] = ["/docs/", "/docs/assets/swagger-ui.css", "/media/x/y.png"];

fn concrete(path: &str) -> String {
    // Slugs and ids alike: a value each parameter accepts the shape of.
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |i| open + i);
        let name = &rest[open + 1..close];
        out.push_str(if name.ends_with("slug") {
            "demo"
        } else {
            "0190d3a0-0000-7000-8000-000000000001"
        });
        rest = &rest[(close + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn every_documented_operation_is_served_and_the_unlisted_routes_are_not_documented() {
    let app = spawn_app().await;
    let document = json(app.get("/openapi.json").await).await;
    let paths = document["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response = app
                .client
                .request(method.clone(), app.url(&concrete(path)))
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("sent");
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let router_said_no = (status == 404 && body["detail"] == "Not found") || status == 405;
            assert!(
                !router_said_no,
                "{method} {path} is documented but no route takes it ({status} {body})"
            );
        }
    }
    assert!(operations > 100, "{operations} operations");
    for path in ["/docs/", "/docs/assets/{file}", "/media/{key}"] {
        assert!(!paths.contains_key(path), "{path} is documented");
    }
    for path in UNLISTED {
        let status = app.get(path).await.status().as_u16();
        // Media answers 404 for a file that is not there, in its own words.
        assert!(
            status == 200 || path.starts_with("/media"),
            "{path}: {status}"
        );
    }
}

#[tokio::test]
async fn the_document_matches_its_snapshot() {
    let app = spawn_app().await;
    let document = json(app.get("/openapi.json").await).await;
    let rendered = serde_json::to_string_pretty(&document).expect("JSON") + "\n";
    let snapshot =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/http/snapshots/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &rendered).expect("snapshot written");
        return;
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    if expected != rendered {
        let first_difference = expected
            .lines()
            .zip(rendered.lines())
            .enumerate()
            .find(|(_, (before, after))| before != after)
            .map(|(line, (before, after))| format!("line {}:\n- {before}\n+ {after}", line + 1))
            .unwrap_or_else(|| "one is a prefix of the other".into());
        panic!(
            "the OpenAPI document changed ({first_difference}). If the change is meant, run \
             `UPDATE_SNAPSHOTS=1 cargo test -p comanda-api --test http openapi_contract` and \
             commit crates/api/tests/http/snapshots/openapi.json"
        );
    }
}

/// `/admin` operations any signed-in user may use: what concerns only themselves.
const OPEN_TO_EVERY_USER: [(&str, &str); 5] = [
    ("get", "/admin/modules"),
    ("get", "/admin/webpush/public-key"),
    ("get", "/admin/webpush/subscriptions"),
    ("post", "/admin/webpush/subscriptions"),
    ("delete", "/admin/webpush/subscriptions"),
];

#[tokio::test]
async fn every_admin_operation_needs_a_token_and_a_grant() {
    let app = spawn_app().await;
    let owner = app.tenant_with_owner("guarda").await;
    let nobody = app
        .staff(&owner, "sem-grupo@guarda.com", "operator", &[])
        .await;
    let document = json(app.get("/openapi.json").await).await;
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        if !path.starts_with("/admin") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let verb = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let url = app.url(&concrete(path));
            let anonymous = app
                .client
                .request(verb.clone(), &url)
                .header("X-Tenant", "guarda")
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("sent");
            assert_eq!(anonymous.status(), 401, "{method} {path} without a token");
            if OPEN_TO_EVERY_USER.contains(&(method, path.as_str())) {
                continue;
            }
            let ungranted = app
                .client
                .request(verb, &url)
                .bearer_auth(&nobody)
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("sent");
            let status = ungranted.status().as_u16();
            let body: serde_json::Value = ungranted.json().await.unwrap_or_default();
            assert_eq!(
                status, 403,
                "{method} {path} for a user with no grants: {body}"
            );
            assert_eq!(body["code"], "forbidden", "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked > 80, "{checked} operations checked");
}
