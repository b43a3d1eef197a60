//! The client's key for TLS to PostgreSQL (`sslkey`): a PEM file, plain or
//! encrypted as PKCS #8 (`BEGIN ENCRYPTED PRIVATE KEY`, what `openssl
//! pkcs8 -topk8` writes) and opened with `sslpassword`. The file's text and
//! the password are wiped when dropped.

use rustls::pki_types::PrivateKeyDer;
use rustls::pki_types::pem::PemObject;

/// The key in the file `key`, decrypted with `password` if it is encrypted.
pub(super) fn read(key: &str, password: Option<&str>) -> Result<PrivateKeyDer<'static>, String> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(key).map_err(|e| format!("sslkey={key}: {e}"))?,
    );
    let private = if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        decrypted(key, &text, password)?
    } else if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(format!(
            "sslkey={key} is encrypted in OpenSSL's older format, which is not read here: \
             `openssl pkcs8 -topk8 -v2 aes-256-cbc -in {key} -out NEW.key` writes it as PKCS #8"
        ));
    } else {
        PrivateKeyDer::from_pem_slice(text.as_bytes()).map_err(|e| format!("sslkey={key}: {e}"))?
    };
    Ok(private)
}

/// The PKCS #8 key encrypted in the PEM `text` of the file `path`.
fn decrypted(
    path: &str,
    text: &str,
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, String> {
    let Some(password) = password else {
        return Err(format!(
            "sslkey={path} is encrypted: give its password as sslpassword=..."
        ));
    };
    let (_, der) =
        pkcs8::der::pem::decode_vec(text.as_bytes()).map_err(|e| format!("sslkey={path}: {e}"))?;
    let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
        .map_err(|e| format!("sslkey={path}: {e}"))?;
    use pkcs8::pkcs5::Error as Pkcs5;
    match info.decrypt(password) {
        Ok(plain) => Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into())),
        Err(pkcs8::Error::EncryptedPrivateKey(
            e @ (Pkcs5::UnsupportedAlgorithm { .. } | Pkcs5::AlgorithmParametersInvalid { .. }),
        )) => Err(format!("sslkey={path}: cannot decrypt it: {e}")),
        // Bad padding, or (once in 256 wrong passwords) good padding
        // around bytes that are no key: the crate names the former
        // either way.
        Err(_) => Err(format!(
            "sslkey={path}: sslpassword does not decrypt it (a wrong password?)"
        )),
    }
}
