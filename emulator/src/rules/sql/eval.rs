//! Evaluating a parsed statement against one message: WHERE, then SELECT, with AWS's
//! Undefined semantics (a missing key is Undefined, only `true` passes WHERE, Undefined
//! items are left out of the output).

use indexmap::IndexMap;
use serde_json::Value;

use super::ast::{Expr, Item, Query, Select, Source};
use super::functions;
use super::ops;
use super::value::{equals, Val};
use super::{EvalError, MessageContext, Outcome, SqlVersion};

/// What every expression can see besides its row.
pub(crate) struct Ctx<'a> {
    pub(crate) msg: &'a MessageContext<'a>,
    pub(crate) version: SqlVersion,
}

/// The payload as SQL sees it: a JSON object, or Undefined for anything else (AWS treats
/// even a bare JSON number such as `80` as a non-JSON payload, DG `iot-sql-where.md`).
pub(crate) fn payload_row(payload: &[u8], version: SqlVersion) -> Val {
    match serde_json::from_slice::<Value>(payload) {
        Ok(v @ Value::Object(_)) => Val::from_json(&v, version),
        _ => Val::Undefined,
    }
}

/// Runs the statement: `Ok(None)` when WHERE is not `true`.
pub(crate) fn run(query: &Query, ctx: &Ctx<'_>) -> Result<Option<Outcome>, EvalError> {
    let row = payload_row(ctx.msg.payload, ctx.version);
    if let Some(filter) = &query.filter {
        if eval(filter, &row, ctx) != Val::Bool(true) {
            return Ok(None);
        }
    }
    match &query.select {
        Select::Value(expr) => select_value(eval(expr, &row, ctx), ctx).map(Some),
        Select::Items(items) => {
            let non_json = matches!(row, Val::Undefined);
            if non_json && matches!(items.as_slice(), [Item::Star(None)]) {
                return Ok(Some(Outcome::Bytes(ctx.msg.payload.to_vec())));
            }
            let object = Val::Object(project(items, &row, ctx));
            Ok(Some(Outcome::Json(
                object.to_json()?.unwrap_or(Value::Null),
            )))
        }
    }
}

fn select_value(v: Val, ctx: &Ctx<'_>) -> Result<Outcome, EvalError> {
    if matches!(v, Val::Array(_)) && ctx.version == SqlVersion::V2015_10_08 {
        // CHOICE: 2015-10-08 cannot output an array as the whole payload (DG
        // `iot-rule-sql-version.md`); refused loudly rather than guessing the old output.
        return Err(EvalError {
            message: "SELECT VALUE of an Array needs awsIotSqlVersion 2016-03-23".to_string(),
        });
    }
    Ok(match v.to_json()? {
        Some(json) => Outcome::Json(json),
        // On its own, Undefined serializes to an empty payload.
        None => Outcome::Bytes(Vec::new()),
    })
}

/// Builds the SELECT output object in select-list order.
fn project(items: &[Item], row: &Val, ctx: &Ctx<'_>) -> IndexMap<String, Val> {
    let mut out = IndexMap::new();
    for (index, item) in items.iter().enumerate() {
        match item {
            Item::Star(None) => {
                // CHOICE: on a non-JSON payload, `*` next to other items adds nothing.
                if let Val::Object(fields) = row {
                    out.extend(fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
            Item::Star(Some(alias)) => insert(&mut out, alias, row.clone()),
            Item::Expr(expr, alias) => {
                let v = eval(expr, row, ctx);
                match alias {
                    Some(alias) => insert(&mut out, alias, v),
                    None => insert(&mut out, &[default_key(expr, index)], v),
                }
            }
        }
    }
    out
}

/// The key of an unaliased item: a path's last segment, a function's name as written;
/// CHOICE: `_<n>` (1-based position) for any other expression.
fn default_key(expr: &Expr, index: usize) -> String {
    match expr {
        Expr::Name(n) | Expr::Field(_, n) => n.clone(),
        Expr::Call { name, .. } => name.clone(),
        _ => format!("_{}", index + 1),
    }
}

/// Sets `path` (an alias, dotted ones nest) to `v`; Undefined is left out.
fn insert(out: &mut IndexMap<String, Val>, path: &[String], v: Val) {
    if matches!(v, Val::Undefined) {
        return;
    }
    match path {
        [] => {}
        [key] => {
            out.insert(key.clone(), v);
        }
        [key, rest @ ..] => {
            let slot = out
                .entry(key.clone())
                .or_insert_with(|| Val::Object(IndexMap::new()));
            if !matches!(slot, Val::Object(_)) {
                *slot = Val::Object(IndexMap::new());
            }
            if let Val::Object(inner) = slot {
                insert(inner, rest, v);
            }
        }
    }
}

/// Evaluates one expression against `row` (the payload, or a nested query's element).
pub(crate) fn eval(expr: &Expr, row: &Val, ctx: &Ctx<'_>) -> Val {
    match expr {
        Expr::Lit(v) => v.clone(),
        Expr::Name(name) => field(row, name),
        Expr::Field(inner, name) => field(&eval(inner, row, ctx), name),
        Expr::Star => row.clone(),
        Expr::Neg(inner) => ops::negate(&eval(inner, row, ctx), ctx.version),
        Expr::Not(inner) => ops::not(&eval(inner, row, ctx)),
        Expr::Binary(op, a, b) => {
            let (a, b) = (eval(a, row, ctx), eval(b, row, ctx));
            ops::binary(*op, &a, &b, ctx.version)
        }
        Expr::Case {
            subject,
            arms,
            otherwise,
        } => case(subject, arms, otherwise.as_deref(), row, ctx),
        Expr::Cast(inner, to) => ops::cast(&eval(inner, row, ctx), *to, ctx.version),
        Expr::Call { func, args, .. } => {
            let values: Vec<Val> = args.iter().map(|a| eval(a, row, ctx)).collect();
            let star = matches!(args.first(), Some(Expr::Star));
            functions::call(*func, &values, star, ctx)
        }
        Expr::Object(fields) => Val::Object(
            fields
                .iter()
                .map(|(k, e)| (k.clone(), eval(e, row, ctx)))
                .filter(|(_, v)| !matches!(v, Val::Undefined))
                .collect(),
        ),
        Expr::Array(items) => Val::Array(
            items
                .iter()
                .map(|e| eval(e, row, ctx))
                .filter(|v| !matches!(v, Val::Undefined))
                .collect(),
        ),
        Expr::Query(query) => nested(query, row, ctx),
    }
}

fn field(v: &Val, name: &str) -> Val {
    match v {
        Val::Object(fields) => fields.get(name).cloned().unwrap_or(Val::Undefined),
        _ => Val::Undefined,
    }
}

/// `CASE v WHEN t THEN r ... [ELSE e] END`: the first `t` equal to `v`; Undefined when
/// `v` is Undefined or nothing matches without an ELSE.
fn case(
    subject: &Expr,
    arms: &[(Expr, Expr)],
    otherwise: Option<&Expr>,
    row: &Val,
    ctx: &Ctx<'_>,
) -> Val {
    let v = eval(subject, row, ctx);
    if matches!(v, Val::Undefined) {
        return Val::Undefined;
    }
    for (test, result) in arms {
        if equals(&v, &eval(test, row, ctx)) == Some(true) {
            return eval(result, row, ctx);
        }
    }
    otherwise.map_or(Val::Undefined, |e| eval(e, row, ctx))
}

/// A nested query over an array: one output per element that passes its WHERE.
/// CHOICE: a source that is not an Array gives Undefined.
fn nested(query: &Query, row: &Val, ctx: &Ctx<'_>) -> Val {
    let Source::Expr(source) = &query.source else {
        return Val::Undefined;
    };
    let Val::Array(elements) = eval(source, row, ctx) else {
        return Val::Undefined;
    };
    let mut out = Vec::new();
    for element in &elements {
        if let Some(filter) = &query.filter {
            if eval(filter, element, ctx) != Val::Bool(true) {
                continue;
            }
        }
        let v = match &query.select {
            Select::Value(expr) => eval(expr, element, ctx),
            Select::Items(items) if matches!(items.as_slice(), [Item::Star(None)]) => {
                element.clone()
            }
            Select::Items(items) => Val::Object(project(items, element, ctx)),
        };
        if !matches!(v, Val::Undefined) {
            out.push(v);
        }
    }
    Val::Array(out)
}
