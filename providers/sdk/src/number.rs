//! Terraform's numbers: binary floating point of arbitrary precision, as Go's `big.Float` behaves
//! inside cty. This module owns the arithmetic (rounding to nearest, ties to even, at each
//! operand's precision), the decimal parser (`big.ParseFloat(s, 10, 512, ToNearestEven)`, including
//! its way of scaling by powers of five) and the printers (`Text('f', -1)`, the shortest decimal
//! that reads back to the same value, and Go's `%e %f %g` verbs). It must not know about values,
//! types or JSON documents beyond converting one number.
//!
//! A number remembers its precision, because Terraform's results depend on it: literals and parsed
//! strings have 512 bits, integers made by functions (`length`) 64 bits, results of float
//! functions (`pow`, `log`) 53 bits, and an operation rounds to the larger precision of its
//! operands. So `length([1]) / length([1, 2, 3])` prints `0.33333333333333333334`, as in Terraform.

use std::cmp::Ordering;
use std::fmt;

use num_bigint::BigUint;
use num_traits::{One, ToPrimitive, Zero};

/// The precision of literals and parsed numbers, in bits.
pub const LITERAL_PREC: u32 = 512;
const INT_PREC: u32 = 64;
const F64_PREC: u32 = 53;
/// Numbers whose binary exponent exceeds this (about 10^±39456) are refused. Go's `MaxExp` is
/// 2^31-1; a smaller bound keeps exact alignment of operands and printing in decimal cheap
/// whatever the input.
const MAX_EXP: i64 = 1 << 17;

/// A number: `(-1)^neg * mant * 2^exp`, with `mant` odd (or zero, then `exp == 0`) and at most
/// `prec` bits long; or, with `inf`, an infinity of sign `neg` (what Terraform's `1/0` yields;
/// `mant` is then zero). Operations whose result is not a number (`0/0`, the sum of opposing
/// infinities) return `None`.
#[derive(Clone)]
pub struct Number {
    neg: bool,
    mant: BigUint,
    exp: i64,
    prec: u32,
    inf: bool,
}

impl Number {
    fn make(neg: bool, mant: BigUint, exp: i64, prec: u32) -> Option<Number> {
        let (mant, exp) = round(mant, exp, prec);
        if !mant.is_zero() && (exp + mant.bits() as i64).abs() > MAX_EXP {
            return None;
        }
        Some(Number {
            neg,
            mant,
            exp,
            prec,
            inf: false,
        })
    }
    fn zero(neg: bool, prec: u32) -> Number {
        Number {
            neg,
            mant: BigUint::zero(),
            exp: 0,
            prec,
            inf: false,
        }
    }
    /// Positive or (with `neg`) negative infinity.
    pub fn infinity(neg: bool) -> Number {
        Number {
            inf: true,
            ..Number::zero(neg, LITERAL_PREC)
        }
    }
    /// True for both infinities.
    pub fn is_infinite(&self) -> bool {
        self.inf
    }

    /// The float `f` exactly, with 53 bits of precision (Go's `SetFloat64`); `None` for NaN and
    /// infinities.
    pub fn from_f64(f: f64) -> Option<Number> {
        if f.is_infinite() {
            return Some(Number::infinity(f < 0.0));
        }
        if f.is_nan() {
            return None;
        }
        if f == 0.0 {
            return Some(Number::zero(f.is_sign_negative(), F64_PREC));
        }
        let bits = f.to_bits();
        let e = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1 << 52) - 1);
        let (m, e) = if e == 0 {
            (frac, -1074)
        } else {
            (frac | (1 << 52), e - 1075)
        };
        Number::make(f < 0.0, BigUint::from(m), e, F64_PREC)
    }
    /// The integer `i`, with 64 bits of precision (Go's `SetInt64`).
    pub fn from_i64(i: i64) -> Number {
        let n = Number::make(i < 0, BigUint::from(i.unsigned_abs()), 0, INT_PREC);
        n.unwrap_or_else(|| Number::zero(false, INT_PREC))
    }
    /// An integer of any size, with the precision Go's `SetInt` gives it (its bit length, at
    /// least 64): exact.
    fn from_biguint(neg: bool, m: BigUint) -> Option<Number> {
        let prec = (m.bits() as u32).max(INT_PREC);
        if m.is_zero() {
            return Some(Number::zero(neg, prec));
        }
        Number::make(neg, m, 0, prec)
    }
    /// Parses an integer in `radix` (2 to 62) with an optional sign, as Go's `big.Int.SetString`
    /// does for Terraform's `parseint`: digits `0-9`, then letters, case-insensitive up to base
    /// 36 and lower case before upper case above it. Exact, however large.
    pub fn parse_int(s: &str, radix: u32) -> Option<Number> {
        let (neg, digits) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        if digits.is_empty() || !(2..=62).contains(&radix) {
            return None;
        }
        let mut ds = Vec::with_capacity(digits.len());
        for c in digits.bytes() {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'z' => c - b'a' + 10,
                b'A'..=b'Z' if radix <= 36 => c - b'A' + 10,
                b'A'..=b'Z' => c - b'A' + 36,
                _ => return None,
            };
            if u32::from(d) >= radix {
                return None;
            }
            ds.push(d);
        }
        let m = BigUint::from_radix_be(&ds, radix)?;
        Number::from_biguint(neg, m)
    }
    /// The digits of the value in `radix` (2 to 36, lower case), with a `-` for a negative
    /// value, when it is an integer (Go's `big.Int` `Text`).
    pub fn to_int_string(&self, radix: u32) -> Option<String> {
        let (neg, m) = self.to_integer()?;
        if !(2..=36).contains(&radix) {
            return None;
        }
        // Most fit in 64 bits, and print without the general big-integer conversion.
        let digits = match m.to_u64() {
            Some(small) if radix == 10 => small.to_string(),
            _ => m.to_str_radix(radix),
        };
        Some(if neg && !m.is_zero() {
            format!("-{digits}")
        } else {
            digits
        })
    }

    /// The nearest `f64` (ties to even); infinite when out of its range.
    pub fn as_f64(&self) -> f64 {
        let sign = if self.neg { -1.0 } else { 1.0 };
        if self.inf {
            return sign * f64::INFINITY;
        }
        if self.mant.is_zero() {
            return sign * 0.0;
        }
        let (m, e) = round(self.mant.clone(), self.exp, F64_PREC);
        let top = e + m.bits() as i64;
        if top > 1025 {
            return sign * f64::INFINITY;
        }
        if top < -1080 {
            return sign * 0.0;
        }
        let m = m.to_u64().unwrap_or(0) as f64;
        let (e1, e2) = (e / 2, e - e / 2);
        sign * m * 2f64.powi(e1 as i32) * 2f64.powi(e2 as i32)
    }
    /// The value as an integer, when it is one exactly and fits.
    pub fn as_i64(&self) -> Option<i64> {
        if self.inf || self.exp + self.mant.bits() as i64 > 64 {
            return None;
        }
        let (neg, m) = self.to_integer()?;
        let m = m.to_u64()?;
        if neg {
            if m <= 1 << 63 {
                Some((m as i128).wrapping_neg() as i64)
            } else {
                None
            }
        } else {
            i64::try_from(m).ok()
        }
    }
    /// The value as a sign and magnitude, when it is an integer exactly.
    fn to_integer(&self) -> Option<(bool, BigUint)> {
        if self.inf || self.exp < 0 {
            return None;
        }
        Some((self.neg, &self.mant << (self.exp as u64)))
    }
    pub fn is_integer(&self) -> bool {
        !self.inf && self.exp >= 0
    }
    /// True for zero (of either sign).
    pub fn is_zero(&self) -> bool {
        !self.inf && self.mant.is_zero()
    }
    /// True if the sign bit is set (negative numbers and negative zero).
    pub fn is_sign_negative(&self) -> bool {
        self.neg
    }
    /// The precision in bits: arithmetic rounds to the larger precision of its operands.
    pub fn precision(&self) -> u32 {
        self.prec
    }
    /// -1, 0 or 1.
    pub fn signum(&self) -> i64 {
        match (self.is_zero(), self.neg) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        }
    }

    /// Parses Terraform's number syntax (`12`, `-1.5`, `1e3`, `.5`) as `big.ParseFloat` does at
    /// 512 bits.
    pub fn parse(s: &str) -> Option<Number> {
        let t = s.trim();
        // Go's `ParseFloat` reads infinities too.
        match t {
            "Inf" | "inf" | "+Inf" | "+inf" => return Some(Number::infinity(false)),
            "-Inf" | "-inf" => return Some(Number::infinity(true)),
            _ => {}
        }
        let b = t.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let mut digits = Vec::new();
        let mut frac: i64 = 0;
        let mut seen_dot = false;
        let mut any = false;
        while let Some(&c) = b.get(i) {
            match c {
                b'0'..=b'9' => {
                    any = true;
                    digits.push(c);
                    if seen_dot {
                        frac += 1;
                    }
                }
                b'.' if !seen_dot => seen_dot = true,
                _ => break,
            }
            i += 1;
        }
        if !any {
            return None;
        }
        let mut exp10: i64 = 0;
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            let eneg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let start = i;
            while let Some(c @ b'0'..=b'9') = b.get(i) {
                exp10 = exp10.saturating_mul(10).saturating_add(i64::from(c - b'0'));
                i += 1;
            }
            if i == start {
                return None;
            }
            if eneg {
                exp10 = -exp10;
            }
        }
        if i != b.len() {
            return None;
        }
        // Up to 19 digits fit in a u64, read without the general conversion (literals in
        // configurations are mostly small integers).
        let mant = if digits.len() <= 19 {
            BigUint::from(
                digits
                    .iter()
                    .fold(0u64, |n, d| n * 10 + u64::from(d - b'0')),
            )
        } else {
            BigUint::parse_bytes(&digits, 10)?
        };
        if mant.is_zero() {
            return Some(Number::zero(neg, LITERAL_PREC));
        }
        let exp5 = exp10.checked_sub(frac)?;
        if exp5.abs() > MAX_EXP {
            return None;
        }
        let prec = LITERAL_PREC;
        if exp5 == 0 {
            return Number::make(neg, mant, 0, prec);
        }
        // Go scales the exact mantissa by a power of five computed with 64 extra bits, then
        // rounds the product or quotient once.
        let (p, pe) = pow5(exp5.unsigned_abs(), prec + 64);
        if exp5 > 0 {
            Number::make(neg, mant * p, exp5 + pe, prec)
        } else {
            let (m, e) = quo(&mant, exp5, &p, pe, prec);
            Number::make(neg, m, e, prec)
        }
    }

    /// `self + other`, rounded to the larger precision.
    pub fn add(&self, other: &Number) -> Option<Number> {
        self.add_at(other, self.prec.max(other.prec))
    }
    /// `self + other`, rounded once to `prec` bits.
    fn add_at(&self, other: &Number, prec: u32) -> Option<Number> {
        match (self.inf, other.inf) {
            (true, true) if self.neg != other.neg => return None,
            (true, _) => return Some(self.clone()),
            (_, true) => return Some(other.clone()),
            _ => {}
        }
        if self.mant.is_zero() && other.mant.is_zero() {
            return Some(Number::zero(self.neg && other.neg, prec));
        }
        let e = self.exp.min(other.exp);
        let a = &self.mant << ((self.exp - e) as u64);
        let b = &other.mant << ((other.exp - e) as u64);
        if self.neg == other.neg {
            return Number::make(self.neg, a + b, e, prec);
        }
        match a.cmp(&b) {
            Ordering::Equal => Some(Number::zero(false, prec)),
            Ordering::Greater => Number::make(self.neg, a - b, e, prec),
            Ordering::Less => Number::make(other.neg, b - a, e, prec),
        }
    }
    /// `self - other`, rounded to the larger precision.
    pub fn sub(&self, other: &Number) -> Option<Number> {
        self.add(&other.neg())
    }
    /// `self * other`, rounded to the larger precision.
    pub fn mul(&self, other: &Number) -> Option<Number> {
        self.mul_at(other, self.prec.max(other.prec))
    }
    /// `self * other`, rounded once to `prec` bits.
    fn mul_at(&self, other: &Number, prec: u32) -> Option<Number> {
        let neg = self.neg != other.neg;
        if self.inf || other.inf {
            if self.is_zero() || other.is_zero() {
                return None;
            }
            return Some(Number::infinity(neg));
        }
        if self.mant.is_zero() || other.mant.is_zero() {
            return Some(Number::zero(neg, prec));
        }
        Number::make(neg, &self.mant * &other.mant, self.exp + other.exp, prec)
    }
    /// `self / other`, rounded to the larger precision: infinite when `other` is zero (Go's
    /// `Quo`), `None` for zero by zero and infinity by infinity.
    pub fn div(&self, other: &Number) -> Option<Number> {
        let prec = self.prec.max(other.prec);
        let neg = self.neg != other.neg;
        match (self.inf, other.inf) {
            (true, true) => return None,
            (true, false) => return Some(Number::infinity(neg)),
            (false, true) => return Some(Number::zero(neg, prec)),
            _ => {}
        }
        if other.mant.is_zero() {
            if self.mant.is_zero() {
                return None;
            }
            return Some(Number::infinity(neg));
        }
        if self.mant.is_zero() {
            return Some(Number::zero(neg, prec));
        }
        let (m, e) = quo(&self.mant, self.exp, &other.mant, other.exp, prec);
        Number::make(neg, m, e, prec)
    }
    /// cty's `%`: `self - other * trunc(self / other)`, the last two steps at `self`'s precision;
    /// `self` itself when `other` is zero.
    pub fn rem(&self, other: &Number) -> Option<Number> {
        if self.inf || other.inf {
            return None;
        }
        if other.mant.is_zero() {
            return Some(self.clone());
        }
        let q = self.div(other)?.trunc().with_prec(self.prec);
        let w = other.mul_at(&q, self.prec)?;
        self.add_at(&w.neg(), self.prec)
    }
    /// `-self`, at the same precision.
    pub fn neg(&self) -> Number {
        Number {
            neg: !self.neg,
            ..self.clone()
        }
    }
    /// `|self|`, at the same precision.
    pub fn abs(&self) -> Number {
        Number {
            neg: false,
            ..self.clone()
        }
    }
    /// The integer part, rounding toward zero (Go's `Float.Int`), at the same precision.
    pub fn trunc(&self) -> Number {
        if self.inf || self.exp >= 0 {
            return self.clone();
        }
        let m = &self.mant >> ((-self.exp) as u64);
        Number::make(self.neg, m, 0, self.prec).unwrap_or_else(|| Number::zero(self.neg, self.prec))
    }
    /// The largest integer not above `self`, at the same precision.
    pub fn floor(&self) -> Number {
        if self.inf {
            return self.clone();
        }
        let t = self.trunc();
        if self.neg && t != *self {
            t.add_at(&Number::from_i64(-1), self.prec).unwrap_or(t)
        } else {
            t
        }
    }
    /// The smallest integer not below `self`, at the same precision.
    pub fn ceil(&self) -> Number {
        if self.inf {
            return self.clone();
        }
        let t = self.trunc();
        if !self.neg && t != *self {
            t.add_at(&Number::from_i64(1), self.prec).unwrap_or(t)
        } else {
            t
        }
    }
    fn with_prec(self, prec: u32) -> Number {
        if self.inf {
            return self;
        }
        let neg = self.neg;
        Number::make(neg, self.mant, self.exp, prec).unwrap_or_else(|| Number::zero(neg, prec))
    }

    /// The number as JSON: a JSON number with the digits of [`Number::to_string`] (exact when
    /// serde_json keeps arbitrary precision).
    pub fn to_json(&self) -> serde_json::Value {
        let s = self.to_string();
        match s.parse::<serde_json::Number>() {
            Ok(n) => serde_json::Value::Number(n),
            Err(_) => serde_json::Value::Null,
        }
    }
    /// A JSON number read back (the inverse of [`Number::to_json`]).
    pub fn from_json(n: &serde_json::Number) -> Option<Number> {
        Number::parse(&n.to_string())
    }

    /// Go's `Text` of a `big.Float` for the formats `e`, `f` and `g` (and upper-case forms): with
    /// a precision (digits after the point for `e`/`f`, significant digits for `g`), or with the
    /// shortest digits that read back for `None`. No sign flags or padding; `None` for another
    /// format.
    pub fn format_go(&self, verb: char, prec: Option<usize>) -> Option<String> {
        if self.inf {
            return matches!(verb, 'e' | 'E' | 'f' | 'F' | 'g' | 'G')
                .then(|| if self.neg { "-Inf" } else { "+Inf" }.to_string());
        }
        let mut out = String::new();
        if self.neg {
            out.push('-');
        }
        let mut d = self.decimal();
        if !matches!(verb, 'e' | 'E' | 'f' | 'F' | 'g' | 'G') {
            return None;
        }
        let mut prec = prec;
        let shortest = prec.is_none();
        let p = match prec {
            None => {
                self.round_shortest(&mut d);
                match verb {
                    'e' | 'E' => d.mant.len().saturating_sub(1),
                    'f' | 'F' => (d.mant.len() as i64 - d.exp).max(0) as usize,
                    _ => d.mant.len(),
                }
            }
            Some(p) => {
                match verb {
                    'e' | 'E' => d.round(1 + p as i64),
                    'f' | 'F' => d.round(d.exp + p as i64),
                    _ => {
                        if p == 0 {
                            prec = Some(1);
                        }
                        d.round(prec.unwrap_or(1) as i64)
                    }
                }
                prec.unwrap_or(1)
            }
        };
        match verb {
            'e' | 'E' => fmt_e(&mut out, verb, p, &d),
            'f' | 'F' => fmt_f(&mut out, p, &d),
            _ => {
                let e = if verb == 'G' { 'E' } else { 'e' };
                let mut eprec = p as i64;
                if eprec > d.mant.len() as i64 && d.mant.len() as i64 >= d.exp {
                    eprec = d.mant.len() as i64;
                }
                if shortest {
                    eprec = 6;
                }
                let exp = d.exp - 1;
                if exp < -4 || exp >= eprec {
                    let p = p.min(d.mant.len());
                    fmt_e(&mut out, e, p.saturating_sub(1), &d);
                } else {
                    let p = if p as i64 > d.exp { d.mant.len() } else { p };
                    fmt_f(&mut out, (p as i64 - d.exp).max(0) as usize, &d);
                }
            }
        }
        Some(out)
    }

    /// The exact decimal expansion of the magnitude.
    fn decimal(&self) -> Decimal {
        Decimal::of(&self.mant, self.exp)
    }

    /// Go's `roundShortest`: the fewest digits that still round to this number at its precision.
    fn round_shortest(&self, d: &mut Decimal) {
        if d.mant.is_empty() {
            return;
        }
        let bits = self.mant.bits() as i64;
        let s = self.prec as i64 + 1 - bits;
        let mant = &self.mant << (s.max(0) as u64);
        let exp = self.exp - s;
        let lower = Decimal::of(&(&mant - BigUint::one()), exp);
        let upper = Decimal::of(&(&mant + BigUint::one()), exp);
        let inclusive = !mant.bit(1);
        for i in 0..d.mant.len() {
            let (l, m, u) = (lower.at(i as i64), d.mant[i], upper.at(i as i64));
            let okdown = l != m || inclusive && i + 1 == lower.mant.len();
            let okup = m != u && (inclusive || m + 1 < u || i + 1 < upper.mant.len());
            match (okdown, okup) {
                (true, true) => return d.round(i as i64 + 1),
                (true, false) => return d.round_down(i as i64 + 1),
                (false, true) => return d.round_up(i as i64 + 1),
                (false, false) => {}
            }
        }
    }
}

/// Rounds `mant * 2^exp` to at most `prec` bits (ties to even) and strips trailing zero bits.
fn round(mant: BigUint, exp: i64, prec: u32) -> (BigUint, i64) {
    if mant.is_zero() {
        return (mant, 0);
    }
    let bits = mant.bits();
    let (mut m, mut e) = (mant, exp);
    if bits > u64::from(prec) {
        let shift = bits - u64::from(prec);
        let half = m.bit(shift - 1);
        let sticky = m.trailing_zeros().is_some_and(|tz| tz < shift - 1);
        let mut q = &m >> shift;
        if half && (sticky || q.bit(0)) {
            q += 1u32;
        }
        m = q;
        e += shift as i64;
    }
    if let Some(tz) = m.trailing_zeros()
        && tz > 0
    {
        m >>= tz;
        e += tz as i64;
    }
    (m, e)
}

/// `(a * 2^ae) / (b * 2^be)` with enough bits and a sticky bit for one correct rounding to
/// `prec` bits.
fn quo(a: &BigUint, ae: i64, b: &BigUint, be: i64, prec: u32) -> (BigUint, i64) {
    let k = (i64::from(prec) + 3 + b.bits() as i64 - a.bits() as i64).max(0);
    let n = a << (k as u64);
    let q = &n / b;
    let exact = (&q * b) == n;
    let mut q = q << 1u32;
    if !exact {
        q += 1u32;
    }
    (q, ae - be - k - 1)
}

/// Go's `Float.pow5` at precision `prec`: exact up to 5^27, then square-and-multiply with the
/// base kept at `prec + 64` bits. Returns mantissa and binary exponent.
fn pow5(n: u64, prec: u32) -> (BigUint, i64) {
    const M: u64 = 27;
    let p27 = BigUint::from(5u32).pow(M.min(n) as u32);
    if n <= M {
        return (p27, 0);
    }
    let (mut z, mut ze) = round(p27, 0, prec);
    let (mut f, mut fe) = (BigUint::from(5u32), 0i64);
    let mut n = n - M;
    while n > 0 {
        if n & 1 != 0 {
            (z, ze) = round(&z * &f, ze + fe, prec);
        }
        (f, fe) = round(&f * &f, 2 * fe, prec + 64);
        n >>= 1;
    }
    (z, ze)
}

/// A decimal `0.d1d2d3... * 10^exp` with no trailing zero digits (digits as values 0–9), as Go's
/// `math/big` formats through.
struct Decimal {
    mant: Vec<u8>,
    exp: i64,
}

impl Decimal {
    fn of(m: &BigUint, shift: i64) -> Decimal {
        if m.is_zero() {
            return Decimal {
                mant: Vec::new(),
                exp: 0,
            };
        }
        let (digits, point) = if shift >= 0 {
            let s = (m << (shift as u64)).to_str_radix(10);
            let n = s.len() as i64;
            (s, n)
        } else {
            // m / 2^s == m * 5^s / 10^s
            let s = (-shift) as u32;
            let p = m * BigUint::from(5u32).pow(s);
            let t = p.to_str_radix(10);
            let n = t.len() as i64 - i64::from(s);
            (t, n)
        };
        let mut mant: Vec<u8> = digits.bytes().map(|c| c - b'0').collect();
        while mant.last() == Some(&0) {
            mant.pop();
        }
        Decimal { mant, exp: point }
    }
    fn at(&self, i: i64) -> u8 {
        if i >= 0 && (i as usize) < self.mant.len() {
            self.mant[i as usize]
        } else {
            0
        }
    }
    fn round(&mut self, n: i64) {
        if n < 0 || n >= self.mant.len() as i64 {
            return;
        }
        let i = n as usize;
        let up = if self.mant[i] == 5 && i + 1 == self.mant.len() {
            i > 0 && self.mant[i - 1] % 2 == 1
        } else {
            self.mant[i] >= 5
        };
        if up {
            self.round_up(n)
        } else {
            self.round_down(n)
        }
    }
    fn round_up(&mut self, n: i64) {
        if n < 0 || n >= self.mant.len() as i64 {
            return;
        }
        let mut n = n as usize;
        while n > 0 && self.mant[n - 1] >= 9 {
            n -= 1;
        }
        if n == 0 {
            self.mant.truncate(1);
            self.mant[0] = 1;
            self.exp += 1;
            return;
        }
        self.mant[n - 1] += 1;
        self.mant.truncate(n);
    }
    fn round_down(&mut self, n: i64) {
        if n < 0 || n >= self.mant.len() as i64 {
            return;
        }
        self.mant.truncate(n as usize);
        while self.mant.last() == Some(&0) {
            self.mant.pop();
        }
        if self.mant.is_empty() {
            self.exp = 0;
        }
    }
}

/// `%f`: `ddd.ddd` with `prec` digits after the point.
fn fmt_f(out: &mut String, prec: usize, d: &Decimal) {
    if d.exp > 0 {
        let m = d.mant.len().min(d.exp as usize);
        out.extend(d.mant[..m].iter().map(|c| char::from(b'0' + c)));
        out.extend(std::iter::repeat_n('0', d.exp as usize - m));
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec as i64 {
            out.push(char::from(b'0' + d.at(d.exp + i)));
        }
    }
}

/// `%e`: `d.ddde±dd` with `prec` digits after the point.
fn fmt_e(out: &mut String, e: char, prec: usize, d: &Decimal) {
    out.push(char::from(b'0' + d.mant.first().copied().unwrap_or(0)));
    if prec > 0 {
        out.push('.');
        let m = d.mant.len().min(prec + 1);
        let mut i = 1;
        if i < m {
            out.extend(d.mant[i..m].iter().map(|c| char::from(b'0' + c)));
            i = m;
        }
        out.extend(std::iter::repeat_n('0', (prec + 1).saturating_sub(i)));
    }
    out.push(e);
    let exp = if d.mant.is_empty() { 0 } else { d.exp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let exp = exp.abs();
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

impl fmt::Display for Number {
    /// Go's `Text('f', -1)`: positional notation with the shortest digits that read back to the
    /// same value at its precision; integers without a fraction.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.format_go('f', None) {
            Some(s) => f.write_str(&s),
            None => Ok(()),
        }
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for Number {
    /// Numbers are equal when their values are (whatever their precisions), `0 == -0`.
    fn eq(&self, other: &Number) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Number {}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        let (sa, sb) = (self.signum(), other.signum());
        if sa != sb {
            return sa.cmp(&sb);
        }
        if sa == 0 {
            return Ordering::Equal;
        }
        let mag = if self.inf || other.inf {
            self.inf.cmp(&other.inf)
        } else {
            let (ta, tb) = (
                self.exp + self.mant.bits() as i64,
                other.exp + other.mant.bits() as i64,
            );
            if ta != tb {
                ta.cmp(&tb)
            } else {
                let e = self.exp.min(other.exp);
                let a = &self.mant << ((self.exp - e) as u64);
                let b = &other.mant << ((other.exp - e) as u64);
                a.cmp(&b)
            }
        };
        if sa < 0 { mag.reverse() } else { mag }
    }
}

impl std::hash::Hash for Number {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal values have equal canonical mantissas and exponents; zeros ignore their sign.
        if self.inf {
            self.neg.hash(state);
            self.inf.hash(state);
        } else if !self.mant.is_zero() {
            self.neg.hash(state);
            self.mant.hash(state);
            self.exp.hash(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    /// Integers print the same whether they fit in 64 bits (printed directly) or not.
    #[test]
    fn integers_print_alike_on_both_sides_of_64_bits() {
        for (text, radix, want) in [
            ("0", 10, "0"),
            ("-0", 10, "0"),
            ("-42", 10, "-42"),
            ("18446744073709551615", 10, "18446744073709551615"),
            ("18446744073709551616", 10, "18446744073709551616"),
            ("-18446744073709551616", 10, "-18446744073709551616"),
            ("255", 16, "ff"),
            ("-5", 2, "-101"),
            ("1e30", 10, "1000000000000000000000000000000"),
        ] {
            assert_eq!(
                p(text).to_int_string(radix).as_deref(),
                Some(want),
                "{text}"
            );
        }
        assert_eq!(p("1.5").to_int_string(10), None);
    }

    #[test]
    fn infinities_behave_like_go_big_float() {
        let inf = p("1").div(&p("0")).unwrap();
        assert!(inf.is_infinite());
        assert_eq!(inf.to_string(), "+Inf");
        assert_eq!(p("-1").div(&p("0")).unwrap().to_string(), "-Inf");
        assert!(p("0").div(&p("0")).is_none());
        assert!(inf.div(&inf).is_none());
        assert!(inf.sub(&inf).is_none());
        assert!(inf.mul(&p("0")).is_none());
        assert!(p("2").rem(&inf).is_none());
        assert_eq!(inf.add(&p("1")).unwrap(), inf);
        assert!(inf > p("1e300") && inf.neg() < p("-1e300"));
        assert_eq!(p("1").div(&inf).unwrap(), p("0"));
        assert_eq!(Number::parse("-Inf").unwrap(), inf.neg());
        assert_eq!(inf.floor(), inf);
        assert_eq!(inf.format_go('f', Some(2)).as_deref(), Some("+Inf"));
        assert_eq!(inf.as_i64(), None);
        assert!(!inf.is_integer() && !inf.is_zero());
        assert_eq!(Number::from_f64(f64::NEG_INFINITY).unwrap(), inf.neg());
    }

    #[test]
    fn prints_like_go_text_f_shortest() {
        let third = p("10").div(&p("3")).unwrap();
        let s = third.to_string();
        assert_eq!(s, format!("3.{}2", "3".repeat(153)));
        assert_eq!(p("0.1").add(&p("0.2")).unwrap().to_string(), "0.3");
        assert_eq!(p("1e30").to_string(), "1000000000000000000000000000000");
        assert_eq!(p("9007199254740993").to_string(), "9007199254740993");
        let two = p("2").div(&p("3")).unwrap().mul(&p("3")).unwrap();
        assert_eq!(two.to_string(), "2");
        assert_eq!(p("1e-7").to_string(), "0.0000001");
        assert_eq!(Number::from_f64(2.5).unwrap().to_string(), "2.5");
        assert_eq!(Number::from_f64(0.1).unwrap().to_string(), "0.1");
        assert_eq!(
            Number::from_f64(2f64.powi(70)).unwrap().to_string(),
            "1180591620717411300000"
        );
        let small = Number::from_i64(1).div(&Number::from_i64(3)).unwrap();
        assert_eq!(small.to_string(), "0.33333333333333333334");
        assert_eq!(Number::from_i64(0).neg().to_string(), "-0");
    }

    #[test]
    fn remainder_truncates_like_cty() {
        let r = |a: &str, b: &str| p(a).rem(&p(b)).unwrap().to_string();
        assert_eq!(r("10", "3"), "1");
        assert_eq!(r("-7", "3"), "-1");
        assert_eq!(r("7", "-3"), "1");
        assert_eq!(r("-7.5", "2"), "-1.5");
        assert_eq!(r("5", "0"), "5");
    }

    #[test]
    fn go_verbs() {
        let f = |s: &str, v: char, pr: Option<usize>| p(s).format_go(v, pr).unwrap();
        assert_eq!(f("2.675", 'f', Some(2)), "2.67");
        assert_eq!(f("2.5", 'f', Some(0)), "2");
        assert_eq!(f("3.5", 'f', Some(0)), "4");
        assert_eq!(f("1234567", 'e', None), "1.234567e+06");
        assert_eq!(f("0", 'e', Some(6)), "0.000000e+00");
        assert_eq!(f("1e30", 'g', None), "1e+30");
        assert_eq!(f("123456", 'g', None), "123456");
        assert_eq!(f("0.00001", 'g', None), "1e-05");
        assert_eq!(f("1e30", 'e', Some(3)), "1.000e+30");
    }

    #[test]
    fn integers_and_floats_convert_exactly() {
        assert_eq!(p("9007199254740993").as_i64(), Some(9007199254740993));
        assert_eq!(p("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(p("9223372036854775808").as_i64(), None);
        assert_eq!(p("1.5").as_i64(), None);
        assert_eq!(p("0.1").as_f64(), 0.1);
        assert_eq!(p("-1e300").as_f64(), -1e300);
        assert_eq!(p("1e-320").as_f64(), 1e-320);
        assert!(Number::parse("abc").is_none());
        assert!(Number::parse("1e").is_none());
        assert!(Number::parse("--1").is_none());
        let big = Number::parse_int("-7fffffffffffffffffff", 16).unwrap();
        assert_eq!(big.to_string(), "-604462909807314587353087");
        assert!(p("0.1") < p("0.2") && p("-1") < p("-0.5") && p("0") == p("-0"));
        // Beyond the exponent range: refused, not computed.
        assert!(Number::parse("1e40000").is_none());
        assert!(p("1e39000").mul(&p("1e39000")).is_none());
        assert_eq!(p("1e-39000").mul(&p("1e39000")).unwrap().as_f64(), 1.0);
    }

    #[test]
    fn short_and_long_digit_strings_read_alike() {
        // Up to 19 digits take the u64 path, 20 and more the general one.
        for s in [
            "9999999999999999999",
            "09999999999999999999",
            "18446744073709551615",
            "1844674407370955161.5",
            "0000000000000000000000012",
        ] {
            let general = Number::parse_int(&s.replace('.', ""), 10).unwrap();
            let n = p(s);
            if s.contains('.') {
                assert_eq!(n.mul(&p("10")).unwrap(), general, "{s}");
            } else {
                assert_eq!(n, general, "{s}");
                assert_eq!(n.to_string(), s.trim_start_matches('0'), "{s}");
            }
        }
    }
}
