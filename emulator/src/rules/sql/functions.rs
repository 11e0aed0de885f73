//! The IoT SQL functions iot-emulator runs, which SQL version has each, and what each
//! returns. Any other function name is refused when the statement is parsed.

use base64::Engine;
use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive};

use super::eval::Ctx;
use super::value::{decimal, Val};
use super::SqlVersion;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Topic,
    ClientId,
    Principal,
    Timestamp,
    AccountId,
    NewUuid,
    Encode,
    Get,
    Upper,
    Lower,
    Concat,
    StartsWith,
    IsUndefined,
    Abs,
    Floor,
    Ceil,
    Round,
    SqlVersion,
}

/// Every supported function: its name (matched case-insensitively), and whether it
/// needs SQL version 2016-03-23 (DG `iot-sql-functions.md`).
const TABLE: [(&str, Func, bool); 18] = [
    ("abs", Func::Abs, false),
    ("accountid", Func::AccountId, false),
    ("ceil", Func::Ceil, false),
    ("clientid", Func::ClientId, false),
    ("concat", Func::Concat, false),
    ("encode", Func::Encode, true),
    ("floor", Func::Floor, false),
    ("get", Func::Get, false),
    ("isundefined", Func::IsUndefined, true),
    ("lower", Func::Lower, false),
    ("newuuid", Func::NewUuid, false),
    ("principal", Func::Principal, false),
    ("round", Func::Round, false),
    ("sql_version", Func::SqlVersion, false),
    ("startswith", Func::StartsWith, false),
    ("timestamp", Func::Timestamp, false),
    ("topic", Func::Topic, false),
    ("upper", Func::Upper, false),
];

/// Resolves a function name at parse time; the error text says why it is refused.
pub(crate) fn lookup(name: &str, version: SqlVersion) -> Result<Func, String> {
    let Some(&(canonical, func, v2_only)) =
        TABLE.iter().find(|(n, _, _)| n.eq_ignore_ascii_case(name))
    else {
        let names: Vec<&str> = TABLE.iter().map(|(n, _, _)| *n).collect();
        return Err(format!(
            "Function '{name}' is not supported by iot-emulator (supported: {}, cast)",
            names.join(", ")
        ));
    };
    if v2_only && version == SqlVersion::V2015_10_08 {
        return Err(format!(
            "Function '{canonical}' requires awsIotSqlVersion 2016-03-23"
        ));
    }
    Ok(func)
}

/// Calls `func` on evaluated arguments. Bad argument types or counts give Undefined, as
/// AWS documents. `star` is set when the first argument was `*`.
pub(crate) fn call(func: Func, args: &[Val], star: bool, ctx: &Ctx<'_>) -> Val {
    match (func, args) {
        (Func::Topic, []) => Val::Str(ctx.msg.topic.to_string()),
        (Func::Topic, [n]) => topic_segment(ctx.msg.topic, n),
        (Func::ClientId, []) => Val::Str(ctx.msg.client_id.unwrap_or("n/a").to_string()),
        // CHOICE: a message with no principal (e.g. the service's own events) gives Undefined.
        (Func::Principal, []) => ctx
            .msg
            .principal
            .map_or(Val::Undefined, |p| Val::Str(p.into())),
        (Func::Timestamp, []) => Val::Int(ctx.msg.timestamp_ms),
        (Func::AccountId, []) => Val::Str(ctx.msg.account_id.to_string()),
        (Func::NewUuid, []) => Val::Str((ctx.msg.new_uuid)()),
        (Func::SqlVersion, []) => Val::Str(ctx.version.as_field().to_string()),
        (Func::Encode, [v, scheme]) => encode(v, scheme, star, ctx),
        (Func::Get, [coll, key]) => get(coll, key),
        (Func::Upper, [v]) => v
            .to_text()
            .map_or(Val::Undefined, |s| Val::Str(s.to_uppercase())),
        (Func::Lower, [v]) => v
            .to_text()
            .map_or(Val::Undefined, |s| Val::Str(s.to_lowercase())),
        (Func::Concat, _) => concat(args),
        (Func::StartsWith, [a, b]) => match (a.to_text(), b.to_text()) {
            (Some(a), Some(b)) => Val::Bool(a.starts_with(&b)),
            _ => Val::Undefined,
        },
        (Func::IsUndefined, [v]) => Val::Bool(matches!(v, Val::Undefined)),
        (Func::Abs, [v]) => abs(v, ctx.version),
        (Func::Floor, [v]) => to_integer(v, RoundingMode::Floor, ctx.version),
        (Func::Ceil, [v]) => to_integer(v, RoundingMode::Ceiling, ctx.version),
        // `round(-1.5)` = -2: halves round away from zero (DG examples).
        (Func::Round, [v]) => to_integer(v, RoundingMode::HalfUp, ctx.version),
        _ => Val::Undefined,
    }
}

fn topic_segment(topic: &str, n: &Val) -> Val {
    let Some(n) = n.to_int() else {
        return Val::Undefined;
    };
    let Ok(index) = usize::try_from(n) else {
        return Val::Undefined;
    };
    match index.checked_sub(1).and_then(|i| topic.split('/').nth(i)) {
        Some(segment) => Val::Str(segment.to_string()),
        None => Val::Undefined,
    }
}

fn encode(v: &Val, scheme: &Val, star: bool, ctx: &Ctx<'_>) -> Val {
    if !matches!(scheme, Val::Str(s) if s.eq_ignore_ascii_case("base64")) {
        return Val::Undefined;
    }
    let engine = base64::engine::general_purpose::STANDARD;
    if star {
        return Val::Str(engine.encode(ctx.msg.payload));
    }
    v.to_text()
        .map_or(Val::Undefined, |s| Val::Str(engine.encode(s.as_bytes())))
}

fn get(coll: &Val, key: &Val) -> Val {
    match coll {
        Val::Array(items) => key
            .to_int()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| items.get(i).cloned())
            .unwrap_or(Val::Undefined),
        Val::Str(s) => key
            .to_int()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| s.chars().nth(i))
            .map_or(Val::Undefined, |c| Val::Str(c.to_string())),
        Val::Object(o) => match key {
            Val::Str(k) => o.get(k).cloned().unwrap_or(Val::Undefined),
            _ => Val::Undefined,
        },
        _ => Val::Undefined,
    }
}

fn concat(args: &[Val]) -> Val {
    match args {
        [] => return Val::Undefined,
        [one] => return one.clone(),
        _ => {}
    }
    // CHOICE: an Undefined argument makes the whole result Undefined.
    if args.iter().any(|a| matches!(a, Val::Undefined)) {
        return Val::Undefined;
    }
    if args.iter().any(|a| matches!(a, Val::Array(_))) {
        let mut out = Vec::new();
        for a in args {
            match a {
                Val::Array(items) => out.extend(items.iter().cloned()),
                other => out.push(other.clone()),
            }
        }
        return Val::Array(out);
    }
    // CHOICE: without a String or Array argument (e.g. `concat(1, 2)`) the result is
    // Undefined; AWS documents only the String and Array cases.
    if !args.iter().any(|a| matches!(a, Val::Str(_))) {
        return Val::Undefined;
    }
    let mut out = String::new();
    for a in args {
        match a.to_text() {
            Some(s) => out.push_str(&s),
            None => return Val::Undefined,
        }
    }
    Val::Str(out)
}

fn abs(v: &Val, version: SqlVersion) -> Val {
    match v {
        Val::Int(i) => i
            .checked_abs()
            .map_or_else(|| decimal(BigDecimal::from(*i).abs(), version), Val::Int),
        Val::Dec(_) | Val::Str(_) => v
            .to_decimal()
            .map_or(Val::Undefined, |d| decimal(d.abs(), version)),
        _ => Val::Undefined,
    }
}

/// floor, ceil and round: an Int stays, a Decimal (or numeric string) becomes an Int.
fn to_integer(v: &Val, mode: RoundingMode, version: SqlVersion) -> Val {
    match v {
        Val::Int(i) => Val::Int(*i),
        Val::Dec(_) | Val::Str(_) => {
            let Some(d) = v.to_decimal() else {
                return Val::Undefined;
            };
            let whole = d.with_scale_round(0, mode);
            whole
                .to_i64()
                .map_or_else(|| decimal(whole, version), Val::Int)
        }
        _ => Val::Undefined,
    }
}
