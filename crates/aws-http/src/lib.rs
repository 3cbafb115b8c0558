//! The HTTP client of every AWS SDK client gradual builds (the hooks and `gradual status`).
//!
//! The workspace builds the SDK without its `default-https-client`, whose rustls runs on
//! aws-lc, a few MB larger in the hook binaries than ring. A workspace build unifies features
//! across members, so every crate that talks to AWS must use this client, or aws-lc comes back.

use aws_smithy_http_client::{proxy::ProxyConfig, tls, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The SDK's default client (proxy from the environment, the system's root certificates
/// verified by webpki, HTTP/1.1 and HTTP/2, plain HTTP for an `http://` endpoint), with rustls
/// on ring.
///
/// Built with `build_with_connector_fn`, as the SDK builds its own default client: the public
/// `build_https` would turn the environment's proxy off.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.proxy_config(ProxyConfig::from_env()).build()
    })
}
