//! JSON and base64 encodings.

use super::*;

pub(super) fn json_string(v: &Value) -> String {
    let s = serde_json::to_string(&v.to_json()).unwrap_or_else(|_| "null".into());
    // Go's encoder escapes HTML-significant characters; Terraform's output does too.
    s.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

pub(super) fn fn_jsonencode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    if has_infinity(&a[0]) {
        return Err(FnError::Call("cannot serialize infinity as JSON".into()));
    }
    Ok(Value::String(json_string(&a[0])))
}

/// Whether `v` holds an infinite number anywhere (JSON has no infinities).
fn has_infinity(v: &Value) -> bool {
    match v.strip_marks_ref() {
        Value::Number(n) => n.is_infinite(),
        Value::List(xs) | Value::Tuple(xs) | Value::Set(xs) => xs.iter().any(has_infinity),
        Value::Map(m) | Value::Object(m) => m.values().any(has_infinity),
        _ => false,
    }
}

pub(super) fn fn_jsondecode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let j: serde_json::Value =
        serde_json::from_str(&s).map_err(|e| FnError::Call(e.to_string()))?;
    Ok(Value::from_json(&j))
}

pub(super) fn fn_base64decode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|_| FnError::Call(format!("failed to decode base64 data {s:?}")))?;
    String::from_utf8(bytes).map(Value::String).map_err(|_| {
        FnError::Call("the result of decoding the provided string is not valid UTF-8".into())
    })
}

/// Rejects the quoting Go's strict CSV reader rejects (the `csv` crate is lenient): a quote
/// inside an unquoted field, or text after a quoted field's closing quote.
fn check_go_csv_quotes(s: &str) -> Result<(), FnError> {
    let err =
        |line: usize, what: &str| FnError::Call(format!("CSV parse error on line {line}: {what}"));
    let mut line = 1;
    let mut chars = s.chars().peekable();
    while chars.peek().is_some() {
        // At the start of a field.
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err(err(line, "extraneous or missing \" in quoted-field")),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                    }
                    Some('"') => break,
                    Some('\n') => line += 1,
                    Some(_) => {}
                }
            }
            match chars.peek() {
                None | Some(',') | Some('\n') | Some('\r') => {}
                Some(_) => return Err(err(line, "extraneous or missing \" in quoted-field")),
            }
        }
        loop {
            match chars.next() {
                None | Some(',') => break,
                Some('\n') => {
                    line += 1;
                    break;
                }
                Some('"') => return Err(err(line, "bare \" in non-quoted-field")),
                Some(_) => {}
            }
        }
    }
    Ok(())
}

pub(super) fn fn_csvdecode(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    check_go_csv_quotes(&s)?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .from_reader(s.as_bytes());
    let csv_err = |e: csv::Error| {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        let what = match e.kind() {
            csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields".to_string(),
            csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
            _ => e.to_string(),
        };
        FnError::Call(format!("CSV parse error on line {line}: {what}"))
    };
    let mut records = r.records();
    let headers: Vec<String> = match records.next() {
        None => return Err(FnError::Call("missing header line".into())),
        Some(h) => h.map_err(csv_err)?.iter().map(str::to_string).collect(),
    };
    for (i, h) in headers.iter().enumerate() {
        if headers[..i].contains(h) {
            return Err(FnError::Call(format!("duplicate column name {h:?}")));
        }
    }
    let mut rows = Vec::new();
    for rec in records {
        let rec = rec.map_err(csv_err)?;
        rows.push(Value::Object(
            headers
                .iter()
                .cloned()
                .zip(rec.iter().map(Value::string))
                .collect(),
        ));
    }
    Ok(Value::List(rows))
}

/// A character encoding named as IANA names it.
enum TextEncoding {
    /// UTF-16 with a byte order mark (big-endian when encoding).
    Utf16Bom,
    Utf16(bool),
    Latin1,
    Ascii,
    Other(&'static encoding_rs::Encoding),
}

fn text_encoding(a: &[Value], i: usize) -> Result<(TextEncoding, String), FnError> {
    let name = string(a, i)?;
    let unsupported = || {
        arg_err(
            i,
            format!(
                "{name:?} is not a supported IANA encoding name or alias in this Terraform version"
            ),
        )
    };
    let enc = match name.to_ascii_lowercase().as_str() {
        "utf-16le" | "csutf16le" => TextEncoding::Utf16(true),
        "utf-16be" | "csutf16be" => TextEncoding::Utf16(false),
        "iso-8859-1" | "iso_8859-1" | "latin1" | "l1" | "iso-ir-100" | "csisolatin1" | "ibm819"
        | "cp819" | "iso_8859-1:1987" => TextEncoding::Latin1,
        "us-ascii" | "ascii" | "csascii" | "iso646-us" | "us" | "ansi_x3.4-1968" => {
            TextEncoding::Ascii
        }
        "utf-16" | "csutf16" => TextEncoding::Utf16Bom,
        "utf-7" | "utf-32" => return Err(unsupported()),
        other => TextEncoding::Other(
            encoding_rs::Encoding::for_label(other.as_bytes()).ok_or_else(unsupported)?,
        ),
    };
    Ok((enc, name))
}

/// The IANA name of an encoding, as Terraform's messages give it.
fn iana_name(enc: &TextEncoding, given: &str) -> String {
    match enc {
        TextEncoding::Utf16Bom => "UTF-16".into(),
        TextEncoding::Utf16(true) => "UTF-16LE".into(),
        TextEncoding::Utf16(false) => "UTF-16BE".into(),
        TextEncoding::Latin1 => "ISO_8859-1:1987".into(),
        TextEncoding::Ascii => "US-ASCII".into(),
        TextEncoding::Other(e) if e.name().starts_with("ISO-8859") => given.to_string(),
        TextEncoding::Other(e) => e.name().to_string(),
    }
}

pub(super) fn fn_textencodebase64(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let (enc, name) = text_encoding(&a, 1)?;
    let name = iana_name(&enc, &name);
    let unrepresentable = || {
        arg_err(
            0,
            format!("the given string contains characters that cannot be represented in {name}"),
        )
    };
    let bytes: Vec<u8> = match enc {
        TextEncoding::Utf16Bom => [0xfe, 0xff]
            .into_iter()
            .chain(s.encode_utf16().flat_map(u16::to_be_bytes))
            .collect(),
        TextEncoding::Utf16(le) => s
            .encode_utf16()
            .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect(),
        TextEncoding::Latin1 | TextEncoding::Ascii => {
            let max = if matches!(enc, TextEncoding::Ascii) {
                0x7f
            } else {
                0xff
            };
            s.chars()
                .map(|c| u8::try_from(c as u32).ok().filter(|b| *b as u32 <= max))
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(unrepresentable)?
        }
        TextEncoding::Other(e) => {
            let (out, _, errors) = e.encode(&s);
            if errors {
                return Err(unrepresentable());
            }
            out.into_owned()
        }
    };
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ))
}

pub(super) fn fn_textdecodebase64(a: Vec<Value>, _: &Ctx<'_>) -> Result<Value, FnError> {
    let s = string(&a, 0)?;
    let (enc, name) = text_encoding(&a, 1)?;
    let name = iana_name(&enc, &name);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.as_bytes())
        .map_err(|e| {
            let offset = match e {
                base64::DecodeError::InvalidByte(o, _) => o,
                base64::DecodeError::InvalidLastSymbol(o, _) => o,
                _ => s.len(),
            };
            arg_err(
                0,
                format!("the given value is has an invalid base64 symbol at offset {offset}"),
            )
        })?;
    let undefined = || {
        arg_err(
            0,
            format!("the given string contains symbols that are not defined for {name}"),
        )
    };
    let (enc, bytes) = match enc {
        TextEncoding::Utf16Bom => match bytes.get(..2) {
            Some([0xff, 0xfe]) => (TextEncoding::Utf16(true), bytes[2..].to_vec()),
            Some([0xfe, 0xff]) => (TextEncoding::Utf16(false), bytes[2..].to_vec()),
            _ => (TextEncoding::Utf16(false), bytes),
        },
        other => (other, bytes),
    };
    let out = match enc {
        TextEncoding::Utf16Bom => String::new(),
        TextEncoding::Utf16(le) => {
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|c| match (c, le) {
                    ([x, y], true) => u16::from_le_bytes([*x, *y]),
                    ([x, y], false) => u16::from_be_bytes([*x, *y]),
                    _ => 0xfffd,
                })
                .collect();
            char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{fffd}'))
                .collect()
        }
        TextEncoding::Latin1 => bytes.iter().map(|b| *b as char).collect(),
        TextEncoding::Ascii => {
            if bytes.iter().any(|b| *b >= 0x80) {
                return Err(undefined());
            }
            bytes.iter().map(|b| *b as char).collect()
        }
        TextEncoding::Other(e) => {
            let (out, errors) = e.decode_without_bom_handling(&bytes);
            if errors {
                return Err(undefined());
            }
            out.into_owned()
        }
    };
    Ok(Value::String(out))
}
