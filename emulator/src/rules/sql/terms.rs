//! The IoT SQL parser's compound terms: parentheses and nested queries, CASE, cast,
//! function calls, and object and array literals (the last three gated to 2016-03-23).

use super::ast::{CastType, Expr};
use super::functions::{self, Func};
use super::lexer::{error_at, Tok};
use super::parser::{Parser, Result};
use super::value::Val;
use super::SqlVersion;

impl Parser<'_> {
    pub(crate) fn parenthesized(&mut self) -> Result<Expr> {
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

    pub(crate) fn case(&mut self) -> Result<Expr> {
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

    pub(crate) fn cast(&mut self) -> Result<Expr> {
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

    pub(crate) fn call(&mut self, name: &str) -> Result<Expr> {
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

    pub(crate) fn object_literal(&mut self) -> Result<Expr> {
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

    pub(crate) fn array_literal(&mut self) -> Result<Expr> {
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
