//! HTTPS with rustls (`--tls-cert FILE --tls-key FILE`, PEM): a listener that accepts TCP
//! connections and completes each TLS handshake in its own task (at most 10 seconds), so a
//! slow or broken client never holds up the others. TLS 1.2 and 1.3 with rustls' safe
//! defaults (the `ring` provider), HTTP/1.1 by ALPN.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::error::{Result, ServeError};

/// The server's TLS configuration from a certificate chain and a private key (PEM files).
pub fn config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>> {
    let err = |path: &Path, detail: String| ServeError::File { path: path.to_path_buf(), detail };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| err(cert, format!("cannot read the certificate: {e}")))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| err(cert, format!("not a PEM certificate chain: {e}")))?;
    if certs.is_empty() {
        return Err(err(
            cert,
            "no certificate in the file (expected -----BEGIN CERTIFICATE-----)".into(),
        ));
    }
    let key_der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| err(key, format!("not a PEM private key: {e}")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut c = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| err(key, format!("the key does not fit the certificate: {e}")))?;
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(c))
}

/// Accepted TLS connections.
pub struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `tcp` (needs a tokio runtime).
    pub fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> TlsListener {
        let local = tcp.local_addr().unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let (tx, rx) = tokio::sync::mpsc::channel(128);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                match tcp.accept().await {
                    Ok((stream, addr)) => {
                        let (tx, acceptor) = (tx.clone(), acceptor.clone());
                        tokio::spawn(async move {
                            if let Ok(Ok(tls)) = tokio::time::timeout(
                                Duration::from_secs(10),
                                acceptor.accept(stream),
                            )
                            .await
                            {
                                let _ = tx.send((tls, addr)).await;
                            }
                        });
                    }
                    // out of file descriptors and the like: wait a little, as axum does
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        TlsListener { rx, local }
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            if let Some(c) = self.rx.recv().await {
                return c;
            }
            // the accepting task ended (cannot happen while the listener lives): never return
            std::future::pending::<()>().await;
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
