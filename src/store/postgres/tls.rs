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

#[cfg(test)]
mod tests {
    use super::*;

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
