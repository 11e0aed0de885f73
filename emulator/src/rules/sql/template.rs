//! `${expression}` substitution templates in action fields: split into literal text and
//! parsed expressions once, rendered against each message's original payload.

use super::ast::Expr;
use super::eval::{eval, payload_row, Ctx};
use super::lexer::error_at;
use super::parser::parse_expression;
use super::{MessageContext, SqlParseError, SqlVersion};

#[derive(Debug, Clone)]
pub(crate) enum Part {
    Text(String),
    Expr(Expr),
}

/// Splits `text` into literal runs and `${...}` expressions.
pub(crate) fn parse(text: &str, version: SqlVersion) -> Result<Vec<Part>, SqlParseError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = 0;
    while let Some(found) = text[rest..].find("${") {
        let open = rest + found;
        literal.push_str(&text[rest..open]);
        let body = open + 2;
        let close = closing_brace(text, body)
            .ok_or_else(|| error_at(text, open, "Unterminated substitution template"))?;
        if !literal.is_empty() {
            parts.push(Part::Text(std::mem::take(&mut literal)));
        }
        parts.push(Part::Expr(parse_expression(text, body, close, version)?));
        rest = close + 1;
    }
    literal.push_str(&text[rest..]);
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    Ok(parts)
}

/// The `}` that closes a template whose body starts at `from`: braces nest, and a `}`
/// inside a quoted string literal does not count.
fn closing_brace(text: &str, from: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text[from..].char_indices() {
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '{') => depth += 1,
            (None, '}') if depth == 0 => return Some(from + i),
            (None, '}') => depth -= 1,
            (None, _) => {}
        }
    }
    None
}

/// Renders the parts for one message; an expression is converted to text (strings
/// unquoted, arrays and objects as JSON). CHOICE: AWS does not document the Undefined
/// case; Undefined (and Null, whose text conversion is Undefined) renders as empty text.
pub(crate) fn render(parts: &[Part], msg: &MessageContext<'_>, version: SqlVersion) -> String {
    let row = payload_row(msg.payload, version);
    let ctx = Ctx { msg, version };
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Expr(e) => out.push_str(&eval(e, &row, &ctx).to_text().unwrap_or_default()),
        }
    }
    out
}
