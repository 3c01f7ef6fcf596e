//! TLS for `https://` URLs: rustls with the ring provider, server
//! certificates checked against a PEM bundle of roots (the system's CA file
//! by default) and the URL's host name, or, when the user asked for it
//! (`wget --no-check-certificate`), not checked at all.
//!
//! The handshake completes in [`connect`], so an untrusted certificate is
//! reported as such before any request is sent.

use crate::http::{Error, Trust};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::Arc;

/// A TLS connection over the transport `S`, handshake done.
pub type Stream<S> = rustls::StreamOwned<ClientConnection, S>;

/// Runs the TLS handshake with `host` over `transport` and returns the
/// encrypted stream, or why the server was not believed.
pub fn connect<S: Read + Write>(
    mut transport: S,
    host: &str,
    trust: &Trust,
) -> Result<Stream<S>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?;
    let config = match trust {
        Trust::Roots(bundle) => builder
            .with_root_certificates(roots(bundle)?)
            .with_no_client_auth(),
        Trust::AnyCertificate => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth(),
    };
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| Error::Tls(format!("'{host}' is not a valid server name")))?;
    let mut conn =
        ClientConnection::new(Arc::new(config), name).map_err(|e| Error::Tls(e.to_string()))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut transport).map_err(handshake_error)?;
    }
    Ok(rustls::StreamOwned::new(conn, transport))
}

/// rustls reports its own failures (a certificate not trusted, a peer that
/// does not speak TLS) as `InvalidData` I/O errors wrapping a
/// `rustls::Error`: those are TLS errors; the rest are the network's.
fn handshake_error(e: io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        Error::Tls(e.to_string())
    } else if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::Tls("the server closed the connection during the handshake".into())
    } else {
        Error::Io(e)
    }
}

/// The trust anchors in the PEM file `bundle`; a missing, unreadable or
/// empty bundle is an error rather than a silent "trust nothing".
fn roots(bundle: &Path) -> Result<RootCertStore, Error> {
    let shown = bundle.display();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(bundle)
        .map_err(|e| Error::Tls(format!("can't read CA certificates from {shown}: {e}")))?
        .collect::<Result<_, _>>()
        .map_err(|e| Error::Tls(format!("bad CA certificate in {shown}: {e}")))?;
    let mut store = RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(certs);
    if added == 0 {
        return Err(Error::Tls(format!("no CA certificates in {shown}")));
    }
    Ok(store)
}

/// Believes any certificate, but still checks that the peer holds the key
/// of the certificate it sent (the handshake signatures), so the session is
/// at least encrypted to whoever answered.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
