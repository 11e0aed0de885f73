//! IoT SQL values (Int, Decimal, Boolean, String, Array, Object, Null, Undefined), their
//! JSON form, and AWS's standard conversions between them.

use std::str::FromStr;

use bigdecimal::{BigDecimal, ToPrimitive};
use indexmap::IndexMap;
use serde_json::Value;

use super::EvalError;
use super::SqlVersion;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Undefined,
    Null,
    Bool(bool),
    Int(i64),
    Dec(BigDecimal),
    Str(String),
    Array(Vec<Val>),
    Object(IndexMap<String, Val>),
}

/// AWS's Decimal: 34 significant digits (Java's DECIMAL128).
const PRECISION: u64 = 34;
/// The magnitude range AWS documents: 1E-999 to 9.999...E999.
const MAX_ORDER: i64 = 999;

/// Makes a Decimal value: rounded to 34 digits; Undefined outside AWS's range; under
/// 2016-03-23 (and beta) a whole number becomes an Int.
pub(crate) fn decimal(d: BigDecimal, version: SqlVersion) -> Val {
    let d = if d.digits() > PRECISION {
        d.with_prec(PRECISION)
    } else {
        d
    };
    if d.is_zero_value() {
        return number_or_int(d, version);
    }
    if d.order_of_magnitude().abs() > MAX_ORDER {
        return Val::Undefined;
    }
    number_or_int(d, version)
}

fn number_or_int(d: BigDecimal, version: SqlVersion) -> Val {
    if version != SqlVersion::V2015_10_08 && d.is_integer() {
        if let Some(i) = d.to_i64() {
            return Val::Int(i);
        }
    }
    Val::Dec(d)
}

trait ZeroCheck {
    fn is_zero_value(&self) -> bool;
}

impl ZeroCheck for BigDecimal {
    fn is_zero_value(&self) -> bool {
        self.sign() == bigdecimal::num_bigint::Sign::NoSign
    }
}

/// Parses a number literal or numeric string: Int when it has no fraction or exponent
/// and fits, else Decimal. `None` when out of AWS's range.
pub(crate) fn parse_number(text: &str, version: SqlVersion) -> Option<Val> {
    if !text.contains(['.', 'e', 'E']) {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Val::Int(i));
        }
    }
    match decimal(BigDecimal::from_str(text).ok()?, version) {
        Val::Undefined => None,
        v => Some(v),
    }
}

/// Whether `s` is a string AWS converts to a number: `^-?\d+(\.\d+)?((?i)E-?\d+)?$`.
fn is_numeric_string(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => digits(int) && digits(frac),
        None => digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix('-').unwrap_or(e)));
    mantissa_ok && exponent_ok
}

impl Val {
    /// The payload or a JSON value as SQL sees it.
    pub(crate) fn from_json(v: &Value, version: SqlVersion) -> Val {
        match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => json_number(n, version),
            Value::String(s) => Val::Str(s.clone()),
            Value::Array(a) => Val::Array(a.iter().map(|v| Val::from_json(v, version)).collect()),
            Value::Object(o) => Val::Object(
                o.iter()
                    .map(|(k, v)| (k.clone(), Val::from_json(v, version)))
                    .collect(),
            ),
        }
    }

    /// The JSON form: `None` for Undefined; Undefined members and elements are dropped.
    pub(crate) fn to_json(&self) -> Result<Option<Value>, EvalError> {
        Ok(Some(match self {
            Val::Undefined => return Ok(None),
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Int(i) => Value::from(*i),
            Val::Dec(d) => Value::Number(decimal_to_json(d)?),
            Val::Str(s) => Value::String(s.clone()),
            Val::Array(a) => {
                let mut out = Vec::with_capacity(a.len());
                for v in a {
                    out.extend(v.to_json()?);
                }
                Value::Array(out)
            }
            Val::Object(o) => {
                let mut out = serde_json::Map::new();
                for (k, v) in o {
                    if let Some(j) = v.to_json()? {
                        out.insert(k.clone(), j);
                    }
                }
                Value::Object(out)
            }
        }))
    }

    /// Numeric operand of arithmetic and comparisons: Int, Decimal, or a numeric string.
    pub(crate) fn to_decimal(&self) -> Option<BigDecimal> {
        match self {
            Val::Int(i) => Some(BigDecimal::from(*i)),
            Val::Dec(d) => Some(d.clone()),
            Val::Str(s) if is_numeric_string(s) => BigDecimal::from_str(s)
                .ok()
                .filter(|d| d.is_zero_value() || d.order_of_magnitude().abs() <= MAX_ORDER),
            _ => None,
        }
    }

    /// AWS's "to Boolean" conversion (Boolean, or "true"/"false" in any case).
    pub(crate) fn to_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Val::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// AWS's "to String" conversion; `None` (Undefined) for Null and Undefined.
    pub(crate) fn to_text(&self) -> Option<String> {
        match self {
            Val::Undefined | Val::Null => None,
            Val::Bool(b) => Some(b.to_string()),
            Val::Int(i) => Some(i.to_string()),
            Val::Dec(d) => Some(java_decimal_string(d)),
            Val::Str(s) => Some(s.clone()),
            Val::Array(_) | Val::Object(_) => {
                let json = self.to_json().ok()??;
                serde_json::to_string(&json).ok()
            }
        }
    }

    /// AWS's "to Int" conversion: a Decimal is rounded to the nearest Int, a numeric
    /// string truncated.
    pub(crate) fn to_int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            Val::Dec(d) => d
                .with_scale_round(0, bigdecimal::RoundingMode::HalfUp)
                .to_i64(),
            Val::Str(_) => self
                .to_decimal()?
                .with_scale_round(0, bigdecimal::RoundingMode::Down)
                .to_i64(),
            _ => None,
        }
    }
}

fn json_number(n: &serde_json::Number, version: SqlVersion) -> Val {
    if let Some(i) = n.as_i64() {
        return Val::Int(i);
    }
    if let Some(u) = n.as_u64() {
        return decimal(BigDecimal::from(u), version);
    }
    // `{:?}` keeps a fraction on whole numbers ("10.0"), so 2015-10-08 prints it back.
    let f = n.as_f64().unwrap_or(0.0);
    BigDecimal::from_str(&format!("{f:?}"))
        .map(|d| decimal(d, version))
        .unwrap_or(Val::Undefined)
}

fn decimal_to_json(d: &BigDecimal) -> Result<serde_json::Number, EvalError> {
    // CHOICE: decimals travel to actions as JSON doubles (serde_json without arbitrary
    // precision); one beyond a double's range is an evaluation error, not a silent value.
    let f: f64 = d.to_string().parse().unwrap_or(f64::INFINITY);
    serde_json::Number::from_f64(f).ok_or_else(|| EvalError {
        message: format!("Decimal {d} is beyond the range iot-emulator can serialize"),
    })
}

/// Java's `BigDecimal.toString()`: plain notation unless the scale is negative or the
/// adjusted exponent is below -6.
pub(crate) fn java_decimal_string(d: &BigDecimal) -> String {
    let (digits, scale) = d.as_bigint_and_exponent();
    let negative = digits.sign() == bigdecimal::num_bigint::Sign::Minus;
    let coeff = digits.magnitude().to_string();
    let adjusted = coeff.len() as i64 - 1 - scale;
    let sign = if negative { "-" } else { "" };
    if scale >= 0 && adjusted >= -6 {
        let scale = scale as usize;
        if scale == 0 {
            return format!("{sign}{coeff}");
        }
        let padded = format!("{coeff:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        return format!("{sign}{int}.{frac}");
    }
    let (first, rest) = coeff.split_at(1);
    let dot = if rest.is_empty() { "" } else { "." };
    let exp_sign = if adjusted >= 0 { "+" } else { "" };
    format!("{sign}{first}{dot}{rest}E{exp_sign}{adjusted}")
}

/// Structural `=`: `None` (Undefined) when either side is Undefined; mismatched types are
/// unequal.
pub(crate) fn equals(a: &Val, b: &Val) -> Option<bool> {
    if matches!(a, Val::Undefined) || matches!(b, Val::Undefined) {
        return None;
    }
    Some(same(a, b))
}

fn same(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Int(_) | Val::Dec(_), Val::Int(_) | Val::Dec(_)) => a.to_decimal() == b.to_decimal(),
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Null, Val::Null) => true,
        (Val::Array(x), Val::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Val::Object(x), Val::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => false,
    }
}

/// Whether `a` and `b` have different types (Int and Decimal count as one).
pub(crate) fn mismatched(a: &Val, b: &Val) -> bool {
    let kind = |v: &Val| match v {
        Val::Int(_) | Val::Dec(_) => 0,
        Val::Str(_) => 1,
        Val::Bool(_) => 2,
        Val::Null => 3,
        Val::Array(_) => 4,
        Val::Object(_) => 5,
        Val::Undefined => 6,
    };
    kind(a) != kind(b)
}
