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
    use tokio::io::AsyncReadExt;

    #[tokio::test]
    async fn https_urls_open_with_a_tls_handshake() {
        // A plain TCP listener sees what the client sends first: a TLS ClientHello (a handshake record,
        // 0x16 0x03) when https is spoken; a client without TLS never connects for an https URL.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("listen");
        let port = listener.local_addr().expect("addr").port();
        let accept = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut first = [0u8; 2];
            socket.read_exact(&mut first).await.expect("read");
            first
        });
        let c = client(Duration::from_secs(5)).expect("client");
        let _ = c
            .get(format!("https://127.0.0.1:{port}/api/health"))
            .send()
            .await;
        let first = accept.await.expect("the client connected");
        assert_eq!(first, [0x16, 0x03], "a TLS handshake record");
    }
}
