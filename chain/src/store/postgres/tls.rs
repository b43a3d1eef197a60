//! TLS to PostgreSQL, chosen by the URL's `sslmode`, `sslrootcert`,
//! `sslcert` and `sslkey` as libpq reads them, so a URL that works with
//! `psql` works here:
//!
//! | `sslmode` | encrypted | the server's certificate |
//! |---|---|---|
//! | `disable` | never | not asked for |
//! | `allow` | only if the server refuses the connection without it | checked against `sslrootcert` if given, else not |
//! | `prefer` (the default) | if the server offers it | checked against `sslrootcert` if given, else not |
//! | `require` | always | checked against `sslrootcert` if given, else not |
//! | `verify-ca` | always | signed by `sslrootcert` |
//! | `verify-full` | always | signed by `sslrootcert`, and names the host |
//!
//! `sslrootcert` is a PEM file of the certificates to trust, or `system`
//! for the machine's (`/etc/ssl/certs`). `sslcert` and `sslkey` (PEM
//! files, together) are the client's certificate and key, for a server
//! that asks for one (`cert` in `pg_hba.conf`); a key encrypted as PKCS #8
//! (`BEGIN ENCRYPTED PRIVATE KEY`, what `openssl pkcs8 -topk8` writes) is
//! opened with `sslpassword` (`client_key.rs`), which is never shown
//! (`url.rs`). Unlike libpq, no file is
//! read that the URL does not name (`~/.postgresql/root.crt`,
//! `postgresql.crt`): what is trusted is on the command line. Without a certificate check (`prefer`, `require`) the
//! connection is encrypted but not authenticated, as with libpq: someone
//! who can redirect the traffic can read it. Across a network, use
//! `verify-full`.
//!
//! The parameters are taken out of the URL here because the PostgreSQL
//! client knows only `disable`, `prefer` and `require`, and none of the
//! files or the key's password; the rest of the URL goes to it unchanged.

use std::sync::Arc;

use postgres::config::SslMode;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::client_key;

/// How much of the server's identity is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Nothing: encrypted, not authenticated.
    Nothing,
    /// The certificate's chain, to a trusted root.
    Chain,
    /// The chain, and that the certificate names the host.
    ChainAndName,
}

/// What a URL asks of TLS.
pub(super) struct Tls {
    /// For the PostgreSQL client: whether to ask for TLS.
    pub(super) mode: SslMode,
    /// `sslmode=allow`: `mode` is `Disable`, and a connection the server
    /// refuses so is tried again with `Require` (`url.rs`).
    pub(super) allow: bool,
    /// What every connection is made with.
    pub(super) connector: MakeRustlsConnect,
}

/// Splits `sslmode`, `sslrootcert`, `sslcert`, `sslkey` and `sslpassword` from the URL
/// `text`: the URL without them, and the TLS they ask for (the files read
/// now, so a bad one is an error at start, not at the first connection).
pub(super) fn split(text: &str) -> Result<(String, Tls), String> {
    let (base, query) = text.split_once('?').unwrap_or((text, ""));
    let (mut sslmode, mut rootcert, mut rest) = (None, None, Vec::new());
    let (mut cert, mut client_key, mut password) = (None, None, None);
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let decoded = || {
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map(|v| v.into_owned())
                .map_err(|_| format!("the URL's {key} is not UTF-8"))
        };
        match key {
            "sslmode" => sslmode = Some(decoded()?),
            "sslrootcert" => rootcert = Some(decoded()?),
            "sslcert" => cert = Some(decoded()?),
            "sslkey" => client_key = Some(decoded()?),
            "sslpassword" => password = Some(zeroize::Zeroizing::new(decoded()?)),
            _ => rest.push(param),
        }
    }
    let url = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    // libpq's rule: a root named checks the chain even where the mode
    // does not ask for it.
    let unless_rooted = if rootcert.is_some() {
        Check::Chain
    } else {
        Check::Nothing
    };
    let sslmode = sslmode.as_deref().unwrap_or("prefer");
    let (mode, check) = match sslmode {
        "disable" => (SslMode::Disable, Check::Nothing),
        "allow" => (SslMode::Disable, unless_rooted),
        "prefer" => (SslMode::Prefer, unless_rooted),
        "require" => (SslMode::Require, unless_rooted),
        "verify-ca" => (SslMode::Require, Check::Chain),
        "verify-full" => (SslMode::Require, Check::ChainAndName),
        other => {
            return Err(format!(
                "sslmode={other}: give disable, allow, prefer, require, verify-ca or verify-full"
            ));
        }
    };
    let roots = match (check, rootcert.as_deref()) {
        (Check::Nothing, _) => None,
        (_, Some(root)) => Some(roots(root)?),
        (_, None) => {
            return Err(format!(
                "sslmode={sslmode} checks the server's certificate: name the certificates to \
                 trust with sslrootcert=PATH (a PEM file) or sslrootcert=system"
            ));
        }
    };
    let client = match (cert, client_key) {
        (Some(cert), Some(key)) => Some(client_identity(
            &cert,
            &key,
            password.as_ref().map(|p| p.as_str()),
        )?),
        (None, None) => None,
        _ => return Err("sslcert and sslkey go together: give both or neither".into()),
    };
    let connector = MakeRustlsConnect::new(client_config(check, roots, client)?);
    let allow = sslmode == "allow";
    Ok((
        url,
        Tls {
            mode,
            allow,
            connector,
        },
    ))
}

/// The certificates `sslrootcert` names.
fn roots(root: &str) -> Result<RootCertStore, String> {
    let mut store = RootCertStore::empty();
    if root == "system" {
        let found = rustls_native_certs::load_native_certs();
        let (added, _) = store.add_parsable_certificates(found.certs);
        if added == 0 {
            return Err("sslrootcert=system: this machine has no trusted certificates".into());
        }
        return Ok(store);
    }
    for cert in certificates("sslrootcert", root)? {
        store
            .add(cert)
            .map_err(|e| format!("sslrootcert={root}: {e}"))?;
    }
    Ok(store)
}

/// The certificates of the PEM file at `path`, which `param` names.
fn certificates(param: &str, path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{param}={path}: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{param}={path}: no certificates in the file"));
    }
    Ok(certs)
}

/// The client's certificate chain and key.
type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// `sslcert`'s chain and `sslkey`'s key, opened with `password` if it is
/// encrypted.
fn client_identity(cert: &str, key: &str, password: Option<&str>) -> Result<Identity, String> {
    let chain = certificates("sslcert", cert)?;
    Ok((chain, client_key::read(key, password)?))
}

fn client_config(
    check: Check,
    roots: Option<RootCertStore>,
    client: Option<Identity>,
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let webpki = match roots {
        None => None,
        Some(roots) => Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|e| format!("sslrootcert: {e}"))?,
        ),
    };
    let verifier = Verifier {
        names: check == Check::ChainAndName,
        webpki,
        provider,
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    match client {
        None => Ok(builder.with_no_client_auth()),
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("sslcert and sslkey: {e}")),
    }
}

/// The server's certificate checked as far as `check` says; the
/// handshake's signatures always checked against it (so the certificate
/// is at least the peer's own).
#[derive(Debug)]
struct Verifier {
    /// The trusted roots' verifier: the chain is checked where there is
    /// one.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    /// Whether the certificate must also name the host.
    names: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else {
            return Ok(ServerCertVerified::assertion());
        };
        let verified = webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        match verified {
            // `verify-ca`: the name may be any (the certificate names the
            // server as its users know it, not as this machine reaches
            // it). The name is checked last, after the chain: a name
            // error means the chain passed.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.names => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ssl_parameters_leave_the_url_and_the_rest_stays() {
        let (url, tls) =
            split("postgres://u@h/db?connect_timeout=3&sslmode=require&application_name=x")
                .unwrap();
        assert_eq!(
            url,
            "postgres://u@h/db?connect_timeout=3&application_name=x"
        );
        assert_eq!(tls.mode, SslMode::Require);
        let (url, tls) = split("postgres://u@h/db").unwrap();
        assert_eq!(url, "postgres://u@h/db");
        assert_eq!(tls.mode, SslMode::Prefer);
        let (url, tls) = split("postgres://u@h/db?sslmode=disable").unwrap();
        assert_eq!(url, "postgres://u@h/db");
        assert_eq!((tls.mode, tls.allow), (SslMode::Disable, false));
        let (_, tls) = split("postgres://u@h/db?sslmode=allow").unwrap();
        assert_eq!((tls.mode, tls.allow), (SslMode::Disable, true));
    }

    #[test]
    fn bad_ssl_parameters_are_refused_with_the_reason() {
        for (url, needle) in [
            ("postgres://u@h/db?sslmode=on", "sslmode=on: give disable"),
            ("postgres://u@h/db?sslmode=verify-full", "sslrootcert=PATH"),
            ("postgres://u@h/db?sslmode=verify-ca", "sslrootcert=PATH"),
            (
                "postgres://u@h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem",
                "sslrootcert=/nonexistent/ca.pem",
            ),
            ("postgres://u@h/db?sslrootcert=%FF", "not UTF-8"),
            (
                "postgres://u@h/db?sslcert=/c.pem",
                "sslcert and sslkey go together",
            ),
            (
                "postgres://u@h/db?sslkey=/k.pem",
                "sslcert and sslkey go together",
            ),
            (
                "postgres://u@h/db?sslcert=/nonexistent/c.pem&sslkey=/nonexistent/k.pem",
                "sslcert=/nonexistent/c.pem",
            ),
        ] {
            let Err(e) = split(url) else {
                panic!("{url} was taken");
            };
            assert!(e.contains(needle), "{url}: {e}");
        }
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let url = format!(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert={}",
            empty.display()
        );
        let Err(e) = split(&url) else {
            panic!("a file without certificates was taken");
        };
        assert!(e.contains("no certificates in the file"), "{e}");
    }

    #[test]
    fn an_encrypted_key_opens_with_its_password_and_only_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = key.serialize_der();
        let params =
            pkcs8::pkcs5::pbes2::Parameters::pbkdf2_sha256_aes256cbc(2048, b"salt1234", &[7; 16])
                .unwrap();
        let encrypted = pkcs8::PrivateKeyInfo::try_from(der.as_slice())
            .unwrap()
            .encrypt_with_params(params, "s3cret")
            .unwrap()
            .to_pem("ENCRYPTED PRIVATE KEY", pkcs8::LineEnding::LF)
            .unwrap();
        let path = |name: &str| dir.path().join(name).display().to_string();
        std::fs::write(path("c.pem"), cert.pem()).unwrap();
        std::fs::write(path("enc.key"), encrypted.as_bytes()).unwrap();
        std::fs::write(
            path("old.key"),
            "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
             DEK-Info: AES-256-CBC,00\n\nAAAA\n-----END EC PRIVATE KEY-----\n",
        )
        .unwrap();
        let url = |key: &str, password: &str| {
            format!(
                "postgres://u@h/db?sslcert={}&sslkey={}{password}",
                path("c.pem"),
                path(key)
            )
        };
        let (shown, _) = split(&url("enc.key", "&sslpassword=s3cret")).unwrap();
        assert!(!shown.contains("sslpassword"), "{shown}");
        for (key, password, needle) in [
            (
                "enc.key",
                "",
                "is encrypted: give its password as sslpassword",
            ),
            (
                "enc.key",
                "&sslpassword=wrong",
                "sslpassword does not decrypt it",
            ),
            ("old.key", "&sslpassword=s3cret", "openssl pkcs8 -topk8"),
        ] {
            let Err(e) = split(&url(key, password)) else {
                panic!("{key} {password} was taken");
            };
            assert!(e.contains(needle), "{key} {password}: {e}");
            assert!(!e.contains("s3cret"), "{e}");
        }
    }
}
