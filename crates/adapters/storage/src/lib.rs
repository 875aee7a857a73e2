//! Media storage behind the `MediaStorage` port, with `object_store`: `local` (files under
//! `MEDIA_ROOT`, served by the API at `/media`) or `s3` (any S3-compatible endpoint).

use std::path::Path as FsPath;
use std::sync::Arc;

use async_trait::async_trait;
use comanda_ports::media::{MediaStorage, StorageError};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{Attribute, Attributes, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

/// Object keys are made by the server: `tenant/purpose/name.ext`. Anything else is refused,
/// so no key can climb out of the storage root.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 512
        && !key.starts_with('/')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
        && key
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

pub struct ObjectMediaStorage {
    store: Arc<dyn ObjectStore>,
    /// URLs of stored objects are this base followed by the key.
    public_base_url: String,
    /// Whether the store keeps a content type per object (S3 does, local files do not).
    keeps_content_type: bool,
}

/// What an S3-compatible bucket needs.
pub struct S3Config<'a> {
    pub bucket: &'a str,
    pub region: &'a str,
    pub endpoint: Option<&'a str>,
    pub access_key_id: Option<&'a str>,
    pub secret_access_key: Option<&'a str>,
    pub public_base_url: Option<&'a str>,
}

fn unavailable(error: impl std::fmt::Display) -> StorageError {
    StorageError::Unavailable(error.to_string())
}

/// object_store's own reqwest client, with the current trace context on every request (added
/// after signing: SigV4 signs only the headers it lists).
#[derive(Debug)]
struct TracedConnector;

impl object_store::client::HttpConnector for TracedConnector {
    fn connect(
        &self,
        options: &object_store::ClientOptions,
    ) -> object_store::Result<object_store::client::HttpClient> {
        let inner = object_store::client::ReqwestConnector::default().connect(options)?;
        Ok(object_store::client::HttpClient::new(TracedService(inner)))
    }
}

#[derive(Debug)]
struct TracedService(object_store::client::HttpClient);

#[async_trait]
impl object_store::client::HttpService for TracedService {
    async fn call(
        &self,
        mut request: object_store::client::HttpRequest,
    ) -> Result<object_store::client::HttpResponse, object_store::client::HttpError> {
        if let Some(traceparent) = comanda_http::traceparent()
            && let Ok(value) = traceparent.parse()
        {
            request.headers_mut().insert("traceparent", value);
        }
        self.0.execute(request).await
    }
}

impl ObjectMediaStorage {
    /// Files under `root` (created when missing), reachable at `public_base_url` (`/media`).
    pub fn local(root: &FsPath, public_base_url: &str) -> Result<Self, StorageError> {
        std::fs::create_dir_all(root).map_err(unavailable)?;
        let store = LocalFileSystem::new_with_prefix(root).map_err(unavailable)?;
        Ok(Self {
            store: Arc::new(store),
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
            keeps_content_type: false,
        })
    }

    pub fn s3(config: &S3Config<'_>) -> Result<Self, StorageError> {
        // reqwest's TLS needs a process-wide crypto provider; installing twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
        // An upload waits on this: a few quick retries, not minutes of them.
        let retry = object_store::RetryConfig {
            max_retries: 2,
            retry_timeout: std::time::Duration::from_secs(5),
            ..object_store::RetryConfig::default()
        };
        let mut builder = AmazonS3Builder::new()
            .with_http_connector(TracedConnector)
            .with_bucket_name(config.bucket)
            .with_region(config.region)
            .with_retry(retry);
        if let Some(endpoint) = config.endpoint {
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        if let (Some(key), Some(secret)) = (config.access_key_id, config.secret_access_key) {
            builder = builder
                .with_access_key_id(key)
                .with_secret_access_key(secret);
        }
        let store = builder.build().map_err(unavailable)?;
        let public_base_url = match (config.public_base_url, config.endpoint) {
            (Some(base), _) => base.trim_end_matches('/').to_owned(),
            (None, Some(endpoint)) => {
                format!("{}/{}", endpoint.trim_end_matches('/'), config.bucket)
            }
            (None, None) => format!(
                "https://{}.s3.{}.amazonaws.com",
                config.bucket, config.region
            ),
        };
        Ok(Self {
            store: Arc::new(store),
            public_base_url,
            keeps_content_type: true,
        })
    }

    fn path(key: &str) -> Result<Path, StorageError> {
        if !valid_key(key) {
            return Err(StorageError::InvalidKey);
        }
        Path::parse(key).map_err(|_| StorageError::InvalidKey)
    }
}

#[async_trait]
impl MediaStorage for ObjectMediaStorage {
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<String, StorageError> {
        let path = Self::path(key)?;
        let mut options = PutOptions::default();
        if self.keeps_content_type {
            let mut attributes = Attributes::new();
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
            options.attributes = attributes;
        }
        self.store
            .put_opts(&path, PutPayload::from(bytes), options)
            .await
            .map_err(unavailable)?;
        Ok(format!("{}/{key}", self.public_base_url))
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StorageError> {
        let path = Self::path(key)?;
        match self.store.get(&path).await {
            Ok(result) => Ok(Some(result.bytes().await.map_err(unavailable)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        let path = Self::path(key)?;
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(unavailable(error)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = Self::path(key)?;
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(unavailable(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_key;

    #[test]
    fn only_server_made_keys_are_valid() {
        assert!(valid_key("0190a/product_image/abc.png"));
        for bad in [
            "",
            "/etc/passwd",
            "a/../b",
            "../x",
            "a//b",
            "a/./b",
            "a b",
            "a\\b",
            "a/%2e%2e/b",
            "x/",
        ] {
            assert!(!valid_key(bad), "{bad:?}");
        }
    }
}
