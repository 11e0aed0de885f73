//! The IoT SQL parser: statements and expressions from tokens, with AWS's operator
//! precedence, version-gated syntax, and `SqlParseException` messages that say what was
//! expected and where (`... at line:column`).

use super::ast::{BinOp, CastType, Expr, Item, Query, Select, Source};
use super::functions::{self, Func};
use super::lexer::{error_at, lex, Tok, Token};
use super::value::{parse_number, Val};
use super::{SqlParseError, SqlVersion};

type Result<T> = std::result::Result<T, SqlParseError>;

/// Parentheses, nested queries and literals deeper than this are refused rather than
/// risking the stack.
/// Chained operators and field accesses count too, since each deepens the tree the
/// evaluator walks recursively.
const MAX_DEPTH: usize = 200;

const RESERVED: [&str; 14] = [
    "SELECT", "FROM", "WHERE", "AS", "AND", "OR", "NOT", "CASE", "WHEN", "THEN", "ELSE", "END",
    "TRUE", "FALSE",
];

pub(crate) struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    pub(crate) version: SqlVersion,
    depth: usize,
}

/// Parses a whole rule statement.
pub(crate) fn parse_statement(text: &str, version: SqlVersion) -> Result<Query> {
    let mut p = Parser::new(text, 0, text.len(), version)?;
    let query = p.query(true)?;
    p.expect_end()?;
    Ok(query)
}

/// Parses one expression from `text[start..end]` (a substitution template's body).
pub(crate) fn parse_expression(
    text: &str,
    start: usize,
    end: usize,
    version: SqlVersion,
) -> Result<Expr> {
    let mut p = Parser::new(text, start, end, version)?;
    let expr = p.expr()?;
    p.expect_end()?;
    Ok(expr)
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, start: usize, end: usize, version: SqlVersion) -> Result<Self> {
        Ok(Parser {
            text,
            tokens: lex(text, start, end)?,
            pos: 0,
            version,
            depth: 0,
        })
    }

    pub(crate) fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    pub(crate) fn peek_at(&self, n: usize) -> &Tok {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + n).min(last)].tok
    }

    pub(crate) fn at(&self) -> usize {
        self.tokens[self.pos.min(self.tokens.len() - 1)].at
    }

    pub(crate) fn next(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        tok
    }

    pub(crate) fn eat_sym(&mut self, sym: &str) -> bool {
        let hit = matches!(self.peek(), Tok::Sym(s) if *s == sym);
        if hit {
            self.next();
        }
        hit
    }

    pub(crate) fn eat_kw(&mut self, kw: &str) -> bool {
        let hit = self.peek().is_kw(kw);
        if hit {
            self.next();
        }
        hit
    }

    pub(crate) fn expect_sym(&mut self, sym: &str) -> Result<()> {
        if self.eat_sym(sym) {
            return Ok(());
        }
        self.fail(&format!("'{sym}'"))
    }

    /// `Expected <expected>, found <token> at line:column`.
    pub(crate) fn fail<T>(&self, expected: &str) -> Result<T> {
        let found = self.peek().describe();
        Err(self.error(format!("Expected {expected}, found {found}")))
    }

    pub(crate) fn error(&self, what: String) -> SqlParseError {
        error_at(self.text, self.at(), what)
    }

    /// Refuses 2016-03-23 syntax under 2015-10-08.
    pub(crate) fn require_v2(&self, what: &str) -> Result<()> {
        if self.version == SqlVersion::V2015_10_08 {
            return Err(self.error(format!("{what} require awsIotSqlVersion 2016-03-23")));
        }
        Ok(())
    }

    fn expect_end(&mut self) -> Result<()> {
        match self.peek() {
            Tok::Eof => Ok(()),
            _ => self.fail("end of statement"),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("Expression nested too deeply".to_string()));
        }
        Ok(())
    }

    pub(crate) fn ident(&mut self, what: &str) -> Result<String> {
        match self.peek() {
            Tok::Ident(s) if !is_reserved(s) => {
                let s = s.clone();
                self.next();
                Ok(s)
            }
            _ => self.fail(what),
        }
    }

    /// `SELECT list [FROM source] [WHERE expr]`; `top` for the statement itself, whose
    /// FROM is a quoted topic filter (a nested query's FROM is an expression).
    fn query(&mut self, top: bool) -> Result<Query> {
        if !self.eat_kw("SELECT") {
            return self.fail("SELECT");
        }
        let select = self.select_list()?;
        let source = match (self.eat_kw("FROM"), top) {
            (true, true) => Source::Topic(Some(self.topic_filter()?)),
            (true, false) => Source::Expr(self.expr()?),
            (false, true) => Source::Topic(None),
            (false, false) => return self.fail("FROM"),
        };
        let filter = if self.eat_kw("WHERE") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Query {
            select,
            source,
            filter,
        })
    }

    fn select_list(&mut self) -> Result<Select> {
        // CHOICE: VALUE is the keyword only when an expression follows it, so a payload
        // key named `value` can still be selected (`SELECT value FROM ...`).
        if self.peek().is_kw("VALUE") && starts_expression(self.peek_at(1)) {
            self.next();
            return Ok(Select::Value(self.expr()?));
        }
        let mut items = vec![self.item()?];
        while self.eat_sym(",") {
            items.push(self.item()?);
        }
        Ok(Select::Items(items))
    }

    fn item(&mut self) -> Result<Item> {
        if self.eat_sym("*") {
            return Ok(Item::Star(self.alias()?));
        }
        let expr = self.expr()?;
        Ok(Item::Expr(expr, self.alias()?))
    }

    fn alias(&mut self) -> Result<Option<Vec<String>>> {
        if !self.eat_kw("AS") {
            return Ok(None);
        }
        let mut path = vec![self.ident("an alias")?];
        while self.eat_sym(".") {
            path.push(self.ident("an alias")?);
        }
        Ok(Some(path))
    }

    fn topic_filter(&mut self) -> Result<String> {
        let Tok::Str(filter) = self.peek().clone() else {
            return self.fail("a topic filter in single quotes");
        };
        if !valid_filter(&filter) {
            return Err(self.error(format!("Invalid topic filter '{filter}'")));
        }
        self.next();
        Ok(filter)
    }

    pub(crate) fn expr(&mut self) -> Result<Expr> {
        self.enter()?;
        let expr = self.binary(1);
        self.depth -= 1;
        expr
    }

    /// Precedence climbing over the binary operators (all left-associative).
    fn binary(&mut self, min: u8) -> Result<Expr> {
        let mut lhs = self.unary()?;
        let depth = self.depth;
        while let Some((op, prec)) = infix(self.peek()) {
            if prec < min {
                break;
            }
            self.next();
            self.enter()?;
            let rhs = self.binary(prec + 1)?;
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
        self.depth = depth;
        Ok(lhs)
    }

    /// Unary `-` and `NOT` bind tighter than every binary operator (spec §3.3).
    fn unary(&mut self) -> Result<Expr> {
        if self.eat_sym("-") {
            if let Tok::Num(n) = self.peek().clone() {
                let at = self.at();
                self.next();
                let lit = self.number(&format!("-{n}"), at)?;
                return self.postfix(lit);
            }
            self.enter()?;
            let inner = self.unary();
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner?)));
        }
        if self.eat_kw("NOT") {
            self.enter()?;
            let inner = self.unary();
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner?)));
        }
        let primary = self.primary()?;
        self.postfix(primary)
    }

    fn postfix(&mut self, mut expr: Expr) -> Result<Expr> {
        let depth = self.depth;
        while self.eat_sym(".") {
            self.enter()?;
            let name = self.ident("a field name")?;
            expr = Expr::Field(Box::new(expr), name);
        }
        self.depth = depth;
        Ok(expr)
    }

    pub(crate) fn number(&self, text: &str, at: usize) -> Result<Expr> {
        parse_number(text, self.version)
            .map(Expr::Lit)
            .ok_or_else(|| error_at(self.text, at, format!("Number {text} is out of range")))
    }

    fn primary(&mut self) -> Result<Expr> {
        let at = self.at();
        match self.peek().clone() {
            Tok::Num(n) => {
                self.next();
                self.number(&n, at)
            }
            Tok::Str(s) => {
                self.next();
                Ok(Expr::Lit(Val::Str(s)))
            }
            Tok::Ident(word) => self.word(&word),
            Tok::Sym("(") => self.parenthesized(),
            Tok::Sym("{") => self.object_literal(),
            Tok::Sym("[") => self.array_literal(),
            _ => self.fail("an expression"),
        }
    }

    fn word(&mut self, word: &str) -> Result<Expr> {
        let upper = word.to_ascii_uppercase();
        let constant = match upper.as_str() {
            "TRUE" => Some(Val::Bool(true)),
            "FALSE" => Some(Val::Bool(false)),
            "NULL" => Some(Val::Null),
            _ => None,
        };
        if let Some(v) = constant {
            self.next();
            return Ok(Expr::Lit(v));
        }
        if upper == "CASE" {
            return self.case();
        }
        if is_reserved(word) {
            return self.fail("an expression");
        }
        if matches!(self.peek_at(1), Tok::Sym("(")) {
            return if upper == "CAST" {
                self.cast()
            } else {
                self.call(word)
            };
        }
        let name = self.ident("an expression")?;
        Ok(Expr::Name(name))
    }

    fn parenthesized(&mut self) -> Result<Expr> {
        self.next();
        self.enter()?;
        let inner = if self.peek().is_kw("SELECT") {
            self.require_v2("Nested queries")?;
            self.query(false).map(|q| Expr::Query(Box::new(q)))
        } else {
            self.expr()
        };
        self.depth -= 1;
        let inner = inner?;
        self.expect_sym(")")?;
        Ok(inner)
    }

    fn case(&mut self) -> Result<Expr> {
        self.next();
        let subject = Box::new(self.expr()?);
        let mut arms = Vec::new();
        while self.eat_kw("WHEN") {
            let test = self.expr()?;
            if !self.eat_kw("THEN") {
                return self.fail("THEN");
            }
            arms.push((test, self.expr()?));
        }
        if arms.is_empty() {
            return self.fail("WHEN");
        }
        let otherwise = if self.eat_kw("ELSE") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        if !self.eat_kw("END") {
            return self.fail("WHEN, ELSE or END");
        }
        Ok(Expr::Case {
            subject,
            arms,
            otherwise,
        })
    }

    fn cast(&mut self) -> Result<Expr> {
        self.next();
        self.expect_sym("(")?;
        let value = self.expr()?;
        if !self.eat_kw("AS") {
            return self.fail("AS");
        }
        let at = self.at();
        let name = self.ident("a type")?;
        let to = cast_type(&name, self.version).map_err(|m| error_at(self.text, at, m))?;
        self.expect_sym(")")?;
        Ok(Expr::Cast(Box::new(value), to))
    }

    fn call(&mut self, name: &str) -> Result<Expr> {
        let at = self.at();
        let func = functions::lookup(name, self.version).map_err(|m| error_at(self.text, at, m))?;
        self.next();
        self.next();
        let mut args = Vec::new();
        if !self.eat_sym(")") {
            loop {
                args.push(self.argument()?);
                if self.eat_sym(")") {
                    break;
                }
                self.expect_sym(",")?;
            }
        }
        check_encoding(func, &args).map_err(|m| error_at(self.text, at, m))?;
        Ok(Expr::Call {
            func,
            name: name.to_string(),
            args,
        })
    }

    /// A function argument: an expression, or `*` for the whole payload.
    fn argument(&mut self) -> Result<Expr> {
        if matches!(self.peek(), Tok::Sym("*"))
            && matches!(self.peek_at(1), Tok::Sym(",") | Tok::Sym(")"))
        {
            self.next();
            return Ok(Expr::Star);
        }
        self.expr()
    }

    fn object_literal(&mut self) -> Result<Expr> {
        self.require_v2("Object literals")?;
        self.next();
        self.enter()?;
        let fields = self.object_fields();
        self.depth -= 1;
        Ok(Expr::Object(fields?))
    }

    fn object_fields(&mut self) -> Result<Vec<(String, Expr)>> {
        let mut fields = Vec::new();
        if self.eat_sym("}") {
            return Ok(fields);
        }
        loop {
            // CHOICE: keys are string literals (JSON syntax); a bare identifier is accepted too.
            let key = match self.peek().clone() {
                Tok::Str(s) | Tok::Ident(s) => s,
                _ => return self.fail("an object key"),
            };
            self.next();
            self.expect_sym(":")?;
            fields.push((key, self.expr()?));
            if self.eat_sym("}") {
                return Ok(fields);
            }
            self.expect_sym(",")?;
        }
    }

    fn array_literal(&mut self) -> Result<Expr> {
        self.require_v2("Array literals")?;
        self.next();
        let mut items = Vec::new();
        if self.eat_sym("]") {
            return Ok(Expr::Array(items));
        }
        loop {
            items.push(self.expr()?);
            if self.eat_sym("]") {
                return Ok(Expr::Array(items));
            }
            self.expect_sym(",")?;
        }
    }
}

fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

fn starts_expression(tok: &Tok) -> bool {
    match tok {
        Tok::Eof => false,
        Tok::Sym(s) => matches!(*s, "(" | "{" | "[" | "-"),
        Tok::Ident(w) => !["FROM", "WHERE", "AS"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(w)),
        Tok::Str(_) | Tok::Num(_) => true,
    }
}

fn infix(tok: &Tok) -> Option<(BinOp, u8)> {
    Some(match tok {
        t if t.is_kw("OR") => (BinOp::Or, 1),
        t if t.is_kw("AND") => (BinOp::And, 2),
        Tok::Sym("=") => (BinOp::Eq, 3),
        // `!=` is undocumented; accepted as `<>` (spec §3.3).
        Tok::Sym("<>") | Tok::Sym("!=") => (BinOp::Ne, 3),
        Tok::Sym("<") => (BinOp::Lt, 3),
        Tok::Sym("<=") => (BinOp::Le, 3),
        Tok::Sym(">") => (BinOp::Gt, 3),
        Tok::Sym(">=") => (BinOp::Ge, 3),
        Tok::Sym("+") => (BinOp::Add, 4),
        Tok::Sym("-") => (BinOp::Sub, 4),
        Tok::Sym("*") => (BinOp::Mul, 5),
        Tok::Sym("/") => (BinOp::Div, 5),
        Tok::Sym("%") => (BinOp::Rem, 5),
        _ => return None,
    })
}

fn cast_type(name: &str, version: SqlVersion) -> std::result::Result<CastType, String> {
    let to = match name.to_ascii_lowercase().as_str() {
        "string" | "nvarchar" | "text" | "ntext" | "varchar" => return Ok(CastType::String),
        "int" | "integer" => return Ok(CastType::Int),
        "double" => return Ok(CastType::Double),
        "decimal" => CastType::Decimal,
        "bool" | "boolean" => CastType::Boolean,
        _ => return Err(format!("Unknown cast type '{name}'")),
    };
    if version == SqlVersion::V2015_10_08 {
        return Err(format!(
            "cast to {name} requires awsIotSqlVersion 2016-03-23"
        ));
    }
    Ok(to)
}

/// `encode`'s scheme, when written as a literal, must be one AWS supports.
fn check_encoding(func: Func, args: &[Expr]) -> std::result::Result<(), String> {
    match (func, args) {
        (Func::Encode, [_, Expr::Lit(Val::Str(s))]) if !s.eq_ignore_ascii_case("base64") => Err(
            format!("Unsupported encoding scheme '{s}' (only 'base64' is supported)"),
        ),
        _ => Ok(()),
    }
}

/// An MQTT topic filter: `#` only as the whole last level, `+` only as a whole level.
fn valid_filter(filter: &str) -> bool {
    let levels: Vec<&str> = filter.split('/').collect();
    !filter.is_empty()
        && levels.iter().enumerate().all(|(i, level)| {
            (!level.contains('#') || (*level == "#" && i == levels.len() - 1))
                && (!level.contains('+') || *level == "+")
        })
}
