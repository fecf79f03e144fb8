//! The random generators behind the `random` provider's resources: strings with character-class
//! minimums (the real provider's algorithm), id encodings, integers and shuffles. Unseeded
//! generators use the thread-local CSPRNG; seeded ones a ChaCha generator keyed by the seed's
//! SHA-256, so a seed always gives the same result (not the same one as the Go provider's).

use base64::Engine;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sha2::Digest;

use cairn_provider::Value;

pub const NUMERIC: &str = "0123456789";
pub const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
pub const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
pub const SPECIAL: &str = "!@#$%&*()-_=+[]{}<>:?";

/// What a `random_string` or `random_password` is configured to contain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StringSpec {
    pub length: usize,
    pub upper: bool,
    pub lower: bool,
    pub numeric: bool,
    pub special: bool,
    pub min_upper: usize,
    pub min_lower: usize,
    pub min_numeric: usize,
    pub min_special: usize,
    /// Replaces the default special characters when non-empty.
    pub override_special: String,
}

fn specials(spec: &StringSpec) -> &str {
    if spec.override_special.is_empty() {
        SPECIAL
    } else {
        &spec.override_special
    }
}

/// The characters a string may be drawn from, in the real provider's order.
pub fn charset(spec: &StringSpec) -> String {
    let mut s = String::new();
    for (on, set) in [
        (spec.upper, UPPER),
        (spec.lower, LOWER),
        (spec.numeric, NUMERIC),
        (spec.special, specials(spec)),
    ] {
        if on {
            s.push_str(set);
        }
    }
    s
}

/// Generates a string as the real provider does: first the minimum number of characters of
/// each class, then the rest from the whole character set, then a random permutation.
/// Like the real provider, a minimum draws from its class even when the class is disabled.
pub fn generate_string(spec: &StringSpec) -> Result<String, String> {
    let all: Vec<char> = charset(spec).chars().collect();
    if all.is_empty() {
        return Err("the character set specified is empty".into());
    }
    let mins = spec.min_upper + spec.min_lower + spec.min_numeric + spec.min_special;
    if spec.length < mins {
        return Err(format!(
            "length ({}) must be at least the sum of the minimums ({mins})",
            spec.length
        ));
    }
    let mut rng = rand::rng();
    let mut out: Vec<char> = Vec::with_capacity(spec.length);
    let special: Vec<char> = specials(spec).chars().collect();
    for (set, n) in [
        (NUMERIC.chars().collect::<Vec<_>>(), spec.min_numeric),
        (LOWER.chars().collect(), spec.min_lower),
        (UPPER.chars().collect(), spec.min_upper),
        (special, spec.min_special),
    ] {
        for _ in 0..n {
            if let Some(c) = set.choose(&mut rng) {
                out.push(*c);
            }
        }
    }
    while out.len() < spec.length {
        if let Some(c) = all.choose(&mut rng) {
            out.push(*c);
        }
    }
    out.shuffle(&mut rng);
    Ok(out.into_iter().collect())
}

pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    rand::rng().fill_bytes(&mut b);
    b
}

/// The encodings of a `random_id`.
pub struct IdEncodings {
    pub b64_url: String,
    pub b64_std: String,
    pub hex: String,
    pub dec: String,
}

pub fn encode_id(bytes: &[u8]) -> IdEncodings {
    IdEncodings {
        b64_url: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        b64_std: base64::engine::general_purpose::STANDARD.encode(bytes),
        hex: hex::encode(bytes),
        dec: big_endian_decimal(bytes),
    }
}

/// The decimal form of an unsigned big-endian integer of any length.
pub fn big_endian_decimal(bytes: &[u8]) -> String {
    // Base 10^9 limbs, least significant first.
    let mut limbs: Vec<u32> = Vec::new();
    for &b in bytes {
        let mut carry = u64::from(b);
        for limb in limbs.iter_mut() {
            let v = u64::from(*limb) * 256 + carry;
            *limb = (v % 1_000_000_000) as u32;
            carry = v / 1_000_000_000;
        }
        while carry > 0 {
            limbs.push((carry % 1_000_000_000) as u32);
            carry /= 1_000_000_000;
        }
    }
    match limbs.split_last() {
        None => "0".to_string(),
        Some((top, rest)) => {
            let mut s = top.to_string();
            for limb in rest.iter().rev() {
                s.push_str(&format!("{limb:09}"));
            }
            s
        }
    }
}

fn seeded(seed: &str) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(sha2::Sha256::digest(seed.as_bytes()).into())
}

/// A uniformly random integer in `min..=max` (`min <= max`).
pub fn integer(seed: Option<&str>, min: i64, max: i64) -> i64 {
    match seed {
        Some(s) => seeded(s).random_range(min..=max),
        None => rand::rng().random_range(min..=max),
    }
}

/// `count` elements drawn as successive random permutations of `input` (all of them once when
/// `count` is 0), as the real provider's `random_shuffle` does.
pub fn shuffle(input: &[Value], seed: Option<&str>, count: usize) -> Vec<Value> {
    let count = if count == 0 { input.len() } else { count };
    let mut out = Vec::with_capacity(count);
    if input.is_empty() {
        return out;
    }
    let mut rng: Box<dyn RngCore> = match seed {
        Some(s) => Box::new(seeded(s)),
        None => Box::new(rand::rng()),
    };
    let mut perm: Vec<usize> = (0..input.len()).collect();
    while out.len() < count {
        perm.shuffle(&mut rng);
        for &i in &perm {
            if out.len() == count {
                break;
            }
            out.push(input[i].clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_of_big_endian_bytes() {
        assert_eq!(big_endian_decimal(&[]), "0");
        assert_eq!(big_endian_decimal(&[0, 0]), "0");
        assert_eq!(big_endian_decimal(&[1, 0]), "256");
        assert_eq!(big_endian_decimal(&[0xff; 8]), u64::MAX.to_string());
        let bytes = 0x0123_4567_89ab_cdef_0011_2233_4455_6677u128.to_be_bytes();
        assert_eq!(
            big_endian_decimal(&bytes),
            0x0123_4567_89ab_cdef_0011_2233_4455_6677u128.to_string()
        );
        // A value spanning several limbs with a zero limb inside.
        assert_eq!(
            big_endian_decimal(&1_000_000_000_000_000_001u64.to_be_bytes()),
            "1000000000000000001"
        );
    }

    #[test]
    fn id_encodings() {
        let e = encode_id(&[0xfb, 0xff, 0x01]);
        assert_eq!(e.b64_url, "-_8B");
        assert_eq!(e.b64_std, "+/8B");
        assert_eq!(e.hex, "fbff01");
        assert_eq!(e.dec, "16514817");
        let e = encode_id(&[0xab]);
        assert_eq!(e.b64_url, "qw");
        assert_eq!(e.b64_std, "qw==");
    }

    #[test]
    fn seeded_is_deterministic() {
        assert_eq!(
            integer(Some("s"), 0, 1_000_000),
            integer(Some("s"), 0, 1_000_000)
        );
        let input: Vec<Value> = (0..20).map(|i| Value::string(i.to_string())).collect();
        assert_eq!(shuffle(&input, Some("x"), 0), shuffle(&input, Some("x"), 0));
        assert_ne!(shuffle(&input, Some("x"), 0), shuffle(&input, Some("y"), 0));
    }
}
