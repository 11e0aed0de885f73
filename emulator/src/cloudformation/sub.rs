//! `Fn::Sub`: `${Name}` (a parameter, pseudo parameter, resource or variable),
//! `${Resource.Attribute}`, and `${!Literal}`, which stays as `${Literal}`.

use serde_json::{Map, Value};

use super::error::{template_error, CfnResult};
use super::intrinsic::{get_att_value, pseudo, resolve_some, string_arg, Scope};

/// One piece of a Sub string.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    /// `${!x}`: written as `${x}`.
    Literal(&'a str),
    Name(&'a str),
}

fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push(Piece::Text(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push(Piece::Text(&rest[start..]));
            return out;
        };
        let inner = &after[..end];
        out.push(match inner.strip_prefix('!') {
            Some(literal) => Piece::Literal(literal),
            None => Piece::Name(inner.trim()),
        });
        rest = &after[end + 1..];
    }
    out.push(Piece::Text(rest));
    out
}

/// The string and variable map of `Fn::Sub`'s two forms.
fn forms(args: &Value) -> CfnResult<(&str, Option<&Map<String, Value>>)> {
    match args {
        Value::String(text) => Ok((text, None)),
        Value::Array(items) if items.len() == 2 => {
            let text = items[0]
                .as_str()
                .ok_or_else(|| template_error("Fn::Sub requires a string"))?;
            let vars = items[1]
                .as_object()
                .ok_or_else(|| template_error("Fn::Sub variables must be a map"))?;
            Ok((text, Some(vars)))
        }
        _ => Err(template_error("Fn::Sub requires a string or [string, map]")),
    }
}

/// Evaluates `Fn::Sub`.
pub(super) fn substitute(args: &Value, scope: &Scope<'_>) -> CfnResult<String> {
    let (text, vars) = forms(args)?;
    let mut out = String::with_capacity(text.len());
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Literal(l) => {
                out.push_str("${");
                out.push_str(l);
                out.push('}');
            }
            Piece::Name(name) => out.push_str(&lookup(name, vars, scope)?),
        }
    }
    Ok(out)
}

fn lookup(name: &str, vars: Option<&Map<String, Value>>, scope: &Scope<'_>) -> CfnResult<String> {
    if let Some(value) = vars.and_then(|v| v.get(name)) {
        return string_arg(&resolve_some(value, scope, "Fn::Sub")?, "Fn::Sub");
    }
    if let Some(param) = scope.params.get(name) {
        return match param.is_list {
            false => Ok(param.value.clone()),
            true => Err(template_error(format!(
                "Fn::Sub cannot use the list parameter {name}"
            ))),
        };
    }
    if let Some(value) = pseudo(name, scope.pseudo) {
        return string_arg(&value, "Fn::Sub");
    }
    if let Some((resource, attribute)) = name.split_once('.') {
        return string_arg(&get_att_value(resource, attribute, scope)?, "Fn::Sub");
    }
    let value = scope.resources.resource_ref(name).ok_or_else(|| {
        template_error(format!(
            "Unresolved resource dependencies [{name}] in the Resources block of the template"
        ))
    })?;
    string_arg(&value, "Fn::Sub")
}

/// The logical ids and parameter names a Sub refers to (variables excluded), for the
/// dependency graph.
pub(super) fn names(args: &Value) -> Vec<String> {
    let Ok((text, vars)) = forms(args) else {
        return Vec::new();
    };
    pieces(text)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Name(name) => Some(name.split_once('.').map_or(name, |(r, _)| r)),
            _ => None,
        })
        .filter(|name| !vars.is_some_and(|v| v.contains_key(*name)))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_keep_literals_and_names_apart() {
        let p = pieces(
            "arn:${AWS::Partition}:iot:*:topic/${!iot:Connection.Thing.ThingName}/${Fn.Arn}",
        );
        assert_eq!(
            p,
            [
                Piece::Text("arn:"),
                Piece::Name("AWS::Partition"),
                Piece::Text(":iot:*:topic/"),
                Piece::Literal("iot:Connection.Thing.ThingName"),
                Piece::Text("/"),
                Piece::Name("Fn.Arn"),
                Piece::Text(""),
            ]
        );
        let args = serde_json::json!(["${A}-${B.Arn}-${v}", {"v": "x"}]);
        assert_eq!(names(&args), ["A", "B"]);
    }
}
