//! IoT SQL operators and `cast`, with AWS's operand conversions and Undefined results
//! (DG `iot-sql-operators.md`, `iot-sql-functions.md` cast tables).

use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive, Zero};

use super::ast::{BinOp, CastType};
use super::value::{decimal, equals, mismatched, Val};
use super::SqlVersion;

/// Applies a binary operator to two evaluated operands (no short-circuit: AWS evaluates
/// both sides and gives Undefined for a non-Boolean one).
pub(crate) fn binary(op: BinOp, a: &Val, b: &Val, version: SqlVersion) -> Val {
    match op {
        BinOp::And | BinOp::Or => match (a.to_bool(), b.to_bool()) {
            (Some(x), Some(y)) => Val::Bool(if op == BinOp::And { x && y } else { x || y }),
            _ => Val::Undefined,
        },
        BinOp::Eq => equals(a, b).map_or(Val::Undefined, Val::Bool),
        BinOp::Ne => not_equal(a, b),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => compare(op, a, b),
        BinOp::Add => add(a, b, version),
        BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => arithmetic(op, a, b, version),
    }
}

fn not_equal(a: &Val, b: &Val) -> Val {
    match equals(a, b) {
        None => Val::Undefined,
        Some(_) if mismatched(a, b) => Val::Bool(true),
        Some(eq) => Val::Bool(!eq),
    }
}

fn compare(op: BinOp, a: &Val, b: &Val) -> Val {
    let (Some(x), Some(y)) = (a.to_decimal(), b.to_decimal()) else {
        return Val::Undefined;
    };
    Val::Bool(match op {
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        BinOp::Gt => x > y,
        _ => x >= y,
    })
}

/// `+` concatenates when either side is a String, otherwise adds numbers.
fn add(a: &Val, b: &Val, version: SqlVersion) -> Val {
    if matches!(a, Val::Str(_)) || matches!(b, Val::Str(_)) {
        return match (a.to_text(), b.to_text()) {
            (Some(x), Some(y)) => Val::Str(x + &y),
            _ => Val::Undefined,
        };
    }
    match (a, b) {
        (Val::Int(x), Val::Int(y)) => x.checked_add(*y).map_or_else(
            || decimal(BigDecimal::from(*x) + BigDecimal::from(*y), version),
            Val::Int,
        ),
        (Val::Int(_) | Val::Dec(_), Val::Int(_) | Val::Dec(_)) => {
            match (a.to_decimal(), b.to_decimal()) {
                (Some(x), Some(y)) => decimal(x + y, version),
                _ => Val::Undefined,
            }
        }
        _ => Val::Undefined,
    }
}

/// `- * / %`: Int with Int stays Int (division truncates); anything else convertible is
/// Decimal; division or remainder by zero is Undefined.
fn arithmetic(op: BinOp, a: &Val, b: &Val, version: SqlVersion) -> Val {
    if let (Val::Int(x), Val::Int(y)) = (a, b) {
        let exact = match op {
            BinOp::Sub => x.checked_sub(*y),
            BinOp::Mul => x.checked_mul(*y),
            BinOp::Div if *y == 0 => return Val::Undefined,
            BinOp::Div => x.checked_div(*y),
            _ if *y == 0 => return Val::Undefined,
            _ => x.checked_rem(*y),
        };
        if let Some(v) = exact {
            return Val::Int(v);
        }
    }
    let (Some(x), Some(y)) = (a.to_decimal(), b.to_decimal()) else {
        return Val::Undefined;
    };
    let result = match op {
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        _ if y.is_zero() => return Val::Undefined,
        BinOp::Div => x / y,
        _ => x % y,
    };
    decimal(result, version)
}

/// Unary minus: numbers (and numeric strings) only.
pub(crate) fn negate(v: &Val, version: SqlVersion) -> Val {
    match v {
        Val::Int(i) => i
            .checked_neg()
            .map_or_else(|| decimal(-BigDecimal::from(*i), version), Val::Int),
        _ => v
            .to_decimal()
            .map_or(Val::Undefined, |d| decimal(-d, version)),
    }
}

pub(crate) fn not(v: &Val) -> Val {
    v.to_bool().map_or(Val::Undefined, |b| Val::Bool(!b))
}

/// `cast(v AS type)`: the standard conversions plus numbers to and from Booleans.
pub(crate) fn cast(v: &Val, to: CastType, version: SqlVersion) -> Val {
    match to {
        CastType::String => v.to_text().map_or(Val::Undefined, Val::Str),
        CastType::Int => cast_int(v, version),
        CastType::Decimal => cast_decimal(v).map_or(Val::Undefined, |d| decimal(d, version)),
        CastType::Double => cast_decimal(v)
            .and_then(|d| d.to_f64())
            .and_then(|f| format!("{f:?}").parse::<BigDecimal>().ok())
            .map_or(Val::Undefined, |d| decimal(d, version)),
        CastType::Boolean => match v {
            Val::Int(i) => Val::Bool(*i != 0),
            Val::Dec(d) => Val::Bool(!d.is_zero()),
            _ => v.to_bool().map_or(Val::Undefined, Val::Bool),
        },
    }
}

fn cast_decimal(v: &Val) -> Option<BigDecimal> {
    match v {
        Val::Bool(b) => Some(if *b {
            BigDecimal::from(1).with_scale(1)
        } else {
            BigDecimal::from(0).with_scale(1)
        }),
        _ => v.to_decimal(),
    }
}

/// To Int: a Decimal (or numeric string) is rounded down (towards zero), true is 1.
fn cast_int(v: &Val, version: SqlVersion) -> Val {
    match v {
        Val::Int(i) => Val::Int(*i),
        Val::Bool(b) => Val::Int(i64::from(*b)),
        _ => match v.to_decimal() {
            Some(d) => {
                let whole = d.with_scale_round(0, RoundingMode::Down);
                whole
                    .to_i64()
                    .map_or_else(|| decimal(whole, version), Val::Int)
            }
            None => Val::Undefined,
        },
    }
}
