//! TLS for the PostgreSQL connection, through rustls (ring provider), so
//! the binary links no OpenSSL. `sslmode` is honoured as follows:
//!
//! * `disable`: no TLS.
//! * `prefer` (default, as libpq): TLS when the server offers it, with the
//!   certificate unchecked (libpq's behaviour: protects against a passive
//!   listener only); plaintext when the server has no TLS.
//! * `require`: TLS, and vault checks chain and host name (stricter than
//!   libpq, which checks nothing here unless a root certificate file exists).
//! * `verify-ca`: TLS, the chain must lead to a trusted CA; the host name is
//!   not compared (exactly libpq's meaning).
//! * `verify-full`: TLS, chain and host name checked.
//!
//! Trusted CAs: `sslrootcert=FILE` / `VAULT_DATABASE_CA` (PEM) if given,
//! else the system's store (`rustls-native-certs`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::url::{DbUrl, SslMode};
use crate::error::{Error, Result};

/// The rustls client configuration for `url`'s sslmode (not used for `disable`).
pub fn client_config(url: &DbUrl) -> Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::other(format!("cannot set up TLS: {e}")))?;
    let verifier: Arc<dyn ServerCertVerifier> = match url.sslmode {
        SslMode::Disable | SslMode::Prefer => Arc::new(Unchecked(provider)),
        SslMode::Require | SslMode::VerifyFull => webpki(url, provider)?,
        SslMode::VerifyCa => Arc::new(ChainOnly(webpki(url, provider)?)),
    };
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn roots(url: &DbUrl) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    match &url.root_cert {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| Error::io("read the CA file", path, e))?;
            use rustls::pki_types::pem::PemObject;
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|_| {
                    Error::invalid(format!("{} is not a PEM certificate file", path.display()))
                        .hint("point sslrootcert= or VAULT_DATABASE_CA at the server's CA certificate (PEM)")
                })?;
                let _ = roots.add(cert);
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    if roots.is_empty() {
        return Err(Error::other(format!(
            "sslmode={} needs trusted CA certificates and none were found",
            match url.sslmode {
                SslMode::VerifyCa => "verify-ca",
                SslMode::Require => "require",
                _ => "verify-full",
            }
        ))
        .hint("set sslrootcert=FILE in the URL or VAULT_DATABASE_CA=FILE (the server's CA, PEM)"));
    }
    Ok(roots)
}

fn webpki(url: &DbUrl, provider: Arc<CryptoProvider>) -> Result<Arc<dyn ServerCertVerifier>> {
    let v = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(url)?), provider)
        .build()
        .map_err(|e| Error::other(format!("cannot set up TLS verification: {e}")))?;
    Ok(v)
}

/// `verify-ca`: the full chain check of webpki, except the host name.
#[derive(Debug)]
struct ChainOnly(Arc<dyn ServerCertVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain (trust anchor, validity, key usage) before
        // the name, so a name mismatch means everything else passed.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer`: libpq encrypts without checking who answers. The handshake
/// signature is still verified (it proves the peer holds the certificate's
/// key), only the certificate itself is not judged.
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
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

/// TLS for the driver: rustls through `tokio-rustls`, with the
/// `tls-server-end-point` channel binding SCRAM-SHA-256-PLUS asks for (RFC
/// 5929: the certificate hashed with its signature's hash, SHA-1 read as
/// SHA-256). vault's own, so the driver's TLS needs no X.509 crate: finding
/// that hash takes three DER headers.
#[derive(Clone)]
pub struct MakeRustls(Arc<ClientConfig>);

impl MakeRustls {
    pub fn new(config: ClientConfig) -> MakeRustls {
        MakeRustls(Arc::new(config))
    }
}

/// One connection's TLS set-up: the server name it is for.
pub struct RustlsConnect {
    config: Arc<ClientConfig>,
    server: String,
}

/// The driver's stream over rustls.
pub struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

type Connecting<S> =
    std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<RustlsStream<S>>> + Send>>;

impl<S> tokio_postgres::tls::MakeTlsConnect<S> for MakeRustls
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = std::convert::Infallible;

    fn make_tls_connect(
        &mut self,
        server: &str,
    ) -> std::result::Result<RustlsConnect, Self::Error> {
        Ok(RustlsConnect {
            config: Arc::clone(&self.0),
            server: server.to_owned(),
        })
    }
}

impl<S> tokio_postgres::tls::TlsConnect<S> for RustlsConnect
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = std::io::Error;
    type Future = Connecting<S>;

    fn connect(self, stream: S) -> Connecting<S> {
        Box::pin(async move {
            let name = ServerName::try_from(self.server)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
            let tls = tokio_rustls::TlsConnector::from(self.config)
                .connect(name, stream)
                .await?;
            Ok(RustlsStream(tls))
        })
    }
}

impl<S> tokio_postgres::tls::TlsStream for RustlsStream<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    fn channel_binding(&self) -> tokio_postgres::tls::ChannelBinding {
        use tokio_postgres::tls::ChannelBinding;
        let (_, session) = self.0.get_ref();
        match session.peer_certificates().and_then(|c| c.first()) {
            Some(cert) => end_point_hash(cert.as_ref())
                .map_or_else(ChannelBinding::none, ChannelBinding::tls_server_end_point),
            None => ChannelBinding::none(),
        }
    }
}

impl<S> tokio::io::AsyncRead for RustlsStream<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S> tokio::io::AsyncWrite for RustlsStream<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// One DER element: (tag, contents, what follows). Definite lengths of at
/// most four bytes, as certificates use; anything else is `None`.
fn der(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The `tls-server-end-point` value for a DER certificate: the hash its
/// signature algorithm names (Certificate.signatureAlgorithm), SHA-256 for
/// SHA-1; `None` for other algorithms (Ed25519, RSA-PSS: no binding, as
/// libpq), or a certificate that does not parse.
fn end_point_hash(cert: &[u8]) -> Option<Vec<u8>> {
    use sha2::Digest;
    const SEQUENCE: u8 = 0x30;
    const OID: u8 = 0x06;
    let (SEQUENCE, body, _) = der(cert)? else {
        return None;
    };
    let (SEQUENCE, _tbs, rest) = der(body)? else {
        return None;
    };
    let (SEQUENCE, algorithm, _) = der(rest)? else {
        return None;
    };
    let (OID, oid, _) = der(algorithm)? else {
        return None;
    };
    // 1.2.840.113549.1.1.{5,11,12,13}: sha{1,256,384,512}WithRSAEncryption;
    // 1.2.840.10045.4.3.{2,3,4}: ecdsa-with-SHA{256,384,512}.
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03];
    let bits = match oid {
        [p @ .., 5 | 11] if p == RSA => 256,
        [p @ .., 12] if p == RSA => 384,
        [p @ .., 13] if p == RSA => 512,
        [p @ .., 2] if p == ECDSA => 256,
        [p @ .., 3] if p == ECDSA => 384,
        [p @ .., 4] if p == ECDSA => 512,
        _ => return None,
    };
    Some(match bits {
        256 => sha2::Sha256::digest(cert).to_vec(),
        384 => sha2::Sha384::digest(cert).to_vec(),
        _ => sha2::Sha512::digest(cert).to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A DER element with a definite length (long form from 128 bytes).
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if body.len() < 0x80 {
            out.push(body.len() as u8);
        } else {
            out.extend([0x82, (body.len() >> 8) as u8, body.len() as u8]);
        }
        out.extend_from_slice(body);
        out
    }

    /// The shape of a certificate: tbsCertificate, signatureAlgorithm, signature.
    fn cert(oid: &[u8], tbs_len: usize) -> Vec<u8> {
        let tbs = tlv(0x30, &vec![0x05; tbs_len]);
        let alg = tlv(0x30, &[tlv(0x06, oid), vec![0x05, 0x00]].concat());
        let sig = tlv(0x03, &[0x00, 0xaa, 0xbb]);
        tlv(0x30, &[tbs, alg, sig].concat())
    }

    #[test]
    fn the_end_point_hash_follows_the_signature_algorithm() {
        use sha2::Digest;
        let rsa = |last: u8| {
            let mut o = vec![0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
            o.push(last);
            o
        };
        let ecdsa = |last: u8| vec![0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, last];
        for tbs_len in [10, 300] {
            for (oid, len) in [
                (rsa(5), 32),
                (rsa(11), 32),
                (rsa(12), 48),
                (rsa(13), 64),
                (ecdsa(2), 32),
                (ecdsa(3), 48),
                (ecdsa(4), 64),
            ] {
                let c = cert(&oid, tbs_len);
                let h = end_point_hash(&c).unwrap();
                assert_eq!(h.len(), len, "{oid:02x?}");
                if len == 32 {
                    assert_eq!(h, sha2::Sha256::digest(&c).to_vec());
                }
            }
            // Ed25519 (1.3.101.112) and RSA-PSS: no binding.
            assert_eq!(end_point_hash(&cert(&[0x2b, 0x65, 0x70], tbs_len)), None);
            assert_eq!(end_point_hash(&cert(&rsa(10), tbs_len)), None);
        }
        let good = cert(&rsa(11), 300);
        for cut in [0, 1, 2, 5, 40, good.len() - 1] {
            assert_eq!(end_point_hash(&good[..cut]), None, "cut at {cut}");
        }
        assert_eq!(end_point_hash(b"not a certificate"), None);
    }

    #[test]
    fn every_mode_builds_and_a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("ca.pem");
        std::fs::write(&bad, "not a certificate").unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        for mode in ["prefer", "disable"] {
            let u = DbUrl::parse(&format!("postgres://h/db?sslmode={mode}")).unwrap();
            assert!(client_config(&u).is_ok(), "{mode}");
        }
        for mode in ["require", "verify-ca", "verify-full"] {
            let u = DbUrl::parse(&format!(
                "postgres://h/db?sslmode={mode}&sslrootcert={}",
                bad.display()
            ))
            .unwrap();
            assert!(client_config(&u).is_err(), "{mode}");
            let u = DbUrl::parse(&format!(
                "postgres://h/db?sslmode={mode}&sslrootcert={}",
                empty.display()
            ))
            .unwrap();
            let e = client_config(&u).err().unwrap();
            assert!(
                e.message().contains("trusted CA"),
                "{mode}: {}",
                e.message()
            );
        }
    }
}
