//! The eval's HTTP client: reqwest over rustls with the ring crypto provider, so a deployed worker
//! (`--endpoint https://…`) and the judge's API are reachable, not only local `http://` stacks.

use std::time::Duration;

/// Makes ring the process's TLS crypto provider (once; later calls do nothing). Every reqwest client
/// in a build that includes this crate needs it first: cargo unifies reqwest's features across the
/// workspace, so theirs are built without a provider of their own too.
pub fn install_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client with this overall timeout per request.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    install_tls();
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn https_urls_are_spoken_not_refused_as_a_scheme() {
        let c = client(Duration::from_secs(5)).expect("client");
        // Nothing listens on port 9: the request gets as far as connecting, which a client without TLS
        // never does for an https URL (it fails building the request instead).
        let e = c
            .get("https://127.0.0.1:9/api/health")
            .send()
            .await
            .expect_err("nothing listens there");
        assert!(e.is_connect() && !e.is_builder(), "{e:?}");
    }
}
