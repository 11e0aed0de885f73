//! The syntax tree of an IoT SQL statement, as the parser builds it and the evaluator
//! walks it.

use super::functions::Func;
use super::value::Val;

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// A literal constant (number, string, boolean, NULL).
    Lit(Val),
    /// A bare identifier: a key of the current row (the payload, or a nested query's
    /// element).
    Name(String),
    /// `expr.name`.
    Field(Box<Expr>, String),
    /// `*` as a function argument (`encode(*, 'base64')`): the whole payload.
    Star,
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Case {
        subject: Box<Expr>,
        arms: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Cast(Box<Expr>, CastType),
    /// A supported function; `name` is as written, for the default output key.
    Call {
        func: Func,
        name: String,
        args: Vec<Expr>,
    },
    /// `{'key': expr, ...}` (2016-03-23).
    Object(Vec<(String, Expr)>),
    /// `[expr, ...]` (2016-03-23).
    Array(Vec<Expr>),
    /// `(SELECT ... FROM expr [WHERE ...])` (2016-03-23).
    Query(Box<Query>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CastType {
    String,
    Int,
    Double,
    Decimal,
    Boolean,
}

#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub(crate) select: Select,
    pub(crate) source: Source,
    pub(crate) filter: Option<Expr>,
}

#[derive(Debug, Clone)]
pub(crate) enum Select {
    /// `SELECT VALUE expr`.
    Value(Expr),
    Items(Vec<Item>),
}

#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// `*`, or `* AS alias` (the whole row under one key).
    Star(Option<Vec<String>>),
    /// `expr [AS alias]`; the alias may be dotted (`AS bar.baz` nests the output).
    Expr(Expr, Option<Vec<String>>),
}

#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The statement's `FROM 'filter'`; `None` without a FROM (Basic Ingest only).
    Topic(Option<String>),
    /// A nested query's `FROM expr`.
    Expr(Expr),
}
