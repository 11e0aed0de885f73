//! Tokens of the IoT SQL language: the winnow-based lexer that turns statement text into
//! positioned tokens for the parser.

use winnow::ascii::{digit1, multispace0};
use winnow::combinator::{alt, opt, preceded};
use winnow::error::ContextError;
use winnow::token::{any, one_of, take_while};
use winnow::Parser;

use super::SqlParseError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier or keyword, as written.
    Ident(String),
    /// A string literal in single or double quotes, escapes resolved.
    Str(String),
    /// A number literal, as written (digits, optional fraction and exponent).
    Num(String),
    /// Punctuation and operators: `* , . ( ) { } [ ] : = <> != < <= > >= + - / %`.
    Sym(&'static str),
    Eof,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    /// Byte offset in the text the error positions refer to.
    pub(crate) at: usize,
}

impl Tok {
    /// How the token appears in error messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Num(s) => format!("'{s}'"),
            Tok::Str(s) => format!("string '{s}'"),
            Tok::Sym(s) => format!("'{s}'"),
            Tok::Eof => "end of statement".to_string(),
        }
    }

    /// Whether this is the keyword `kw` (keywords are case-insensitive).
    pub(crate) fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

/// `line:column` (both 1-based, columns in characters) of byte offset `at` in `text`.
pub(crate) fn position(text: &str, at: usize) -> String {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    format!("{line}:{col}")
}

/// A `SqlParseException` message: `<what> at <line>:<column>`.
pub(crate) fn error_at(text: &str, at: usize, what: impl std::fmt::Display) -> SqlParseError {
    SqlParseError {
        message: format!("{what} at {}", position(text, at)),
    }
}

/// Lexes `text[start..end]`; offsets in the tokens (and errors) are relative to `text`.
pub(crate) fn lex(text: &str, start: usize, end: usize) -> Result<Vec<Token>, SqlParseError> {
    let mut input = &text[start..end];
    let mut tokens = Vec::new();
    loop {
        let _ = multispace0::<_, ContextError>.parse_next(&mut input);
        let at = end - input.len();
        if input.is_empty() {
            tokens.push(Token { tok: Tok::Eof, at });
            return Ok(tokens);
        }
        if input.starts_with(['\'', '"']) {
            let s = string_literal(&mut input)
                .map_err(|_| error_at(text, at, "Unterminated string literal starting"))?;
            tokens.push(Token {
                tok: Tok::Str(s),
                at,
            });
            continue;
        }
        let tok = alt((number, ident, symbol))
            .parse_next(&mut input)
            .map_err(|_: ContextError| {
                let c = input.chars().next().unwrap_or(' ');
                error_at(text, at, format!("Unexpected character '{c}'"))
            })?;
        tokens.push(Token { tok, at });
    }
}

/// `'...'` or `"..."`; a backslash escapes the next character (`\'`, `\"`, `\\`).
fn string_literal(input: &mut &str) -> winnow::Result<String> {
    let quote = one_of(['\'', '"']).parse_next(input)?;
    let mut out = String::new();
    loop {
        match any.parse_next(input)? {
            '\\' => out.push(any.parse_next(input)?),
            c if c == quote => return Ok(out),
            c => out.push(c),
        }
    }
}

fn number(input: &mut &str) -> winnow::Result<Tok> {
    (
        digit1,
        opt(preceded('.', digit1)),
        opt((one_of(['e', 'E']), opt(one_of(['+', '-'])), digit1)),
    )
        .take()
        .map(|s: &str| Tok::Num(s.to_string()))
        .parse_next(input)
}

fn ident(input: &mut &str) -> winnow::Result<Tok> {
    (
        one_of(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_ascii_alphanumeric() || c == '_'),
    )
        .take()
        .map(|s: &str| Tok::Ident(s.to_string()))
        .parse_next(input)
}

const SYMBOLS: [&str; 21] = [
    "<>", "!=", "<=", ">=", "*", ",", ".", "(", ")", "{", "}", "[", "]", ":", "=", "<", ">", "+",
    "-", "/", "%",
];

fn symbol(input: &mut &str) -> winnow::Result<Tok> {
    for sym in SYMBOLS {
        if let Some(rest) = input.strip_prefix(sym) {
            *input = rest;
            return Ok(Tok::Sym(sym));
        }
    }
    Err(winnow::error::ParserError::from_input(input))
}
