//! Hashes, password hashing, RSA decryption and name-based UUIDs: `bcrypt`, `rsadecrypt`,
//! `uuidv5`, `base64sha512`, `base64gzip` and the hashes of files, on well-kept crates
//! (`bcrypt`, `rsa`, `uuid`, `sha2`, `flate2`).

use std::io::Write as _;

use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::DecodePrivateKey as _;
use sha2::Digest as _;

use super::*;

fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(super) fn sha256_b64(bytes: &[u8]) -> String {
    b64(sha2::Sha256::digest(bytes))
}

pub(super) fn sha512_b64(bytes: &[u8]) -> String {
    b64(sha2::Sha512::digest(bytes))
}

pub(super) fn sha512_hex(bytes: &[u8]) -> String {
    hex(sha2::Sha512::digest(bytes))
}

/// Lower-case hex, as `hex::encode` gives it, written straight into the string (`hex::encode`
/// collects it a character at a time: a tenth of evaluating `md5(...)`).
pub(super) fn hex(bytes: impl AsRef<[u8]>) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let bytes = bytes.as_ref();
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Gzip as Go's `compress/gzip` writes it after `Flush` and `Close`: a sync-flushed deflate
/// stream ended by an empty final stored block. For short inputs the bytes are Go's; longer
/// ones may choose other back-references (the data is the same once decompressed).
pub(super) fn fn_base64gzip(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let fail = |e: std::io::Error| FnError::Call(format!("failed to write gzip raw data: {e}"));
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(s.as_bytes()).map_err(fail)?;
    enc.flush().map_err(fail)?;
    let body = std::mem::take(enc.get_mut());
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&body);
    out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    let mut crc = flate2::Crc::new();
    crc.update(s.as_bytes());
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(s.len() as u32).to_le_bytes());
    Ok(Value::String(b64(out)))
}

/// `bcrypt(str, cost = 10)`: impure (a random salt), so unknown while planning.
pub(super) fn fn_bcrypt(a: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, FnError> {
    if a.len() > 2 {
        return Err(FnError::Call(
            "bcrypt() takes no more than two arguments".into(),
        ));
    }
    let s = string(&a, 0)?;
    let mut cost = 10;
    if a.len() > 1 {
        let n = float(&a, 1)?;
        if n.fract() != 0.0 {
            return Err(arg_err(1, "value must be a whole number"));
        }
        cost = n as i64;
    }
    if ctx.scope.impure_unknown() {
        return Ok(Value::Unknown);
    }
    // Go's bcrypt raises a cost below the minimum to its default.
    if cost < 4 {
        cost = 10;
    }
    if cost > 31 {
        return Err(FnError::Call(format!(
            "error occurred generating password crypto/bcrypt: cost {cost} is outside allowed range (4,31)"
        )));
    }
    if s.len() > 72 {
        return Err(FnError::Call(
            "error occurred generating password bcrypt: password length exceeds 72 bytes".into(),
        ));
    }
    let h = bcrypt::hash_with_result(s.as_bytes(), cost as u32)
        .map_err(|e| FnError::Call(format!("error occurred generating password {e}")))?;
    Ok(Value::String(h.format_for_version(bcrypt::Version::TwoA)))
}

pub(super) fn fn_rsadecrypt(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let ct = string(&a, 0)?;
    let key = string(&a, 1)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(ct.as_bytes())
        .map_err(|_| {
            arg_err(
                0,
                format!("failed to decode input {ct:?}: cipher text must be base64-encoded"),
            )
        })?;
    let pk = rsa::RsaPrivateKey::from_pkcs1_pem(&key)
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(&key))
        .map_err(|_| {
            let msg = if key.contains("-----BEGIN") {
                "invalid ASN1 data in the given private key".to_string()
            } else {
                "invalid private key: ssh: no key found".to_string()
            };
            arg_err(1, msg)
        })?;
    let out = pk
        .decrypt(rsa::Pkcs1v15Encrypt, &bytes)
        .map_err(|_| FnError::Call("failed to decrypt: crypto/rsa: decryption error".into()))?;
    String::from_utf8(out)
        .map(Value::String)
        .map_err(|_| FnError::Call("the decrypted text is not valid UTF-8".into()))
}

pub(super) fn fn_uuidv5(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let ns = string(&a, 0)?;
    let name = string(&a, 1)?;
    let namespace = match ns.as_str() {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        other => uuid::Uuid::parse_str(other).map_err(|_| {
            FnError::Call(format!(
                "uuidv5() doesn't support namespace {other} (invalid UUID length: {})",
                other.len()
            ))
        })?,
    };
    Ok(Value::String(
        uuid::Uuid::new_v5(&namespace, name.as_bytes()).to_string(),
    ))
}

pub(super) fn fn_uuid(_: Vec<Value>, ctx: &Ctx<'_>) -> Result<Value, FnError> {
    if ctx.scope.impure_unknown() {
        return Ok(Value::Unknown);
    }
    Ok(Value::String(uuid::Uuid::new_v4().to_string()))
}
