//! Policy patterns: `${…}` variables substituted as literal text, then IAM globs (`*` any
//! run of characters, `/` included; `?` exactly one) matched against the whole string.
//! `+` and `#` are ordinary characters here, as in AWS IoT policies.

/// Where variable values come from (the request context).
pub trait Variables {
    /// The values of context key `key` (e.g. `iot:ClientId`); `None` when the request has
    /// no such key.
    fn values(&self, key: &str) -> Option<Vec<String>>;
}

/// A context with no keys at all.
pub struct NoVariables;

impl Variables for NoVariables {
    fn values(&self, _key: &str) -> Option<Vec<String>> {
        None
    }
}

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// A character that must appear as is (every character of a substituted value is one).
    Char(char),
    /// `*`.
    Star,
    /// `?`.
    One,
}

/// A run of raw text or a `${name}` reference.
enum Segment<'a> {
    Text(&'a str),
    Variable(&'a str),
}

/// Splits `text` at its `${name}` references. A `${` with no closing brace is raw text.
fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start + 2..].find('}') else {
            break;
        };
        out.push(Segment::Text(&rest[..start]));
        out.push(Segment::Variable(&rest[start + 2..start + 2 + len]));
        rest = &rest[start + 3 + len..];
    }
    out.push(Segment::Text(rest));
    out
}

/// The single value a variable substitutes to: IAM's escapes `${*}`, `${?}`, `${$}`, or
/// the context's value; `Err(name)` when the context has none (or several).
fn value_of(name: &str, vars: &dyn Variables) -> Result<String, String> {
    match name {
        "*" | "?" | "$" => return Ok(name.to_string()),
        _ => {}
    }
    match vars.values(name) {
        Some(mut values) if values.len() == 1 => Ok(values.remove(0)),
        _ => Err(name.to_string()),
    }
}

/// Compiles `pattern` into pieces. With `vars`, `${…}` references are substituted (their
/// text never acts as a wildcard); without, the pattern is taken as written (policies
/// without `Version: 2012-10-17`). `Err` names the first variable the context lacks.
pub fn compile(pattern: &str, vars: Option<&dyn Variables>) -> Result<Vec<Piece>, String> {
    let glob = |out: &mut Vec<Piece>, text: &str| {
        out.extend(text.chars().map(|c| match c {
            '*' => Piece::Star,
            '?' => Piece::One,
            c => Piece::Char(c),
        }))
    };
    let mut out = Vec::with_capacity(pattern.len());
    let Some(vars) = vars else {
        glob(&mut out, pattern);
        return Ok(out);
    };
    for segment in segments(pattern) {
        match segment {
            Segment::Text(text) => glob(&mut out, text),
            Segment::Variable(name) => out.extend(value_of(name, vars)?.chars().map(Piece::Char)),
        }
    }
    Ok(out)
}

/// `text` with its variables substituted (for condition values compared literally).
pub fn substitute(text: &str, vars: Option<&dyn Variables>) -> Result<String, String> {
    let Some(vars) = vars else {
        return Ok(text.to_string());
    };
    let mut out = String::with_capacity(text.len());
    for segment in segments(text) {
        match segment {
            Segment::Text(raw) => out.push_str(raw),
            Segment::Variable(name) => out.push_str(&value_of(name, vars)?),
        }
    }
    Ok(out)
}

/// Whether `pieces` match all of `text`.
pub fn matches(pieces: &[Piece], text: &str, ignore_case: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let same = |p: char, t: char| p == t || (ignore_case && p.to_lowercase().eq(t.to_lowercase()));
    // Greedy matching with one backtrack point (the last `*`): linear in practice.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pieces.get(p) {
            Some(Piece::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Piece::One) => {
                p += 1;
                t += 1;
            }
            Some(Piece::Char(c)) if same(*c, text[t]) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pieces[p.min(pieces.len())..]
        .iter()
        .all(|piece| *piece == Piece::Star)
}

/// Compiles and matches in one go (no variables).
pub fn glob_matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    compile(pattern, None).is_ok_and(|pieces| matches(&pieces, text, ignore_case))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, Vec<String>>);

    impl Variables for Map {
        fn values(&self, key: &str) -> Option<Vec<String>> {
            self.0.get(key).cloned()
        }
    }

    fn vars() -> Map {
        Map(HashMap::from([
            ("iot:ClientId", vec!["a*".to_string()]),
            ("plus", vec!["+".to_string()]),
            ("two", vec!["x".to_string(), "y".to_string()]),
        ]))
    }

    #[test]
    fn globs_over_whole_strings() {
        let table = [
            ("topic/*", "topic/a/b/c", true),
            ("topic/a/*", "topic/a/", true),
            ("topic/a/*", "topic/a", false),
            ("topic/????", "topic/abcd", true),
            ("topic/????", "topic/abc", false),
            ("topic/????", "topic/ab/d", true),
            ("topic/some/+/topic", "topic/some/+/topic", true),
            ("topic/some/+/topic", "topic/some/x/topic", false),
            ("topic/some/*/topic", "topic/some/+/topic", true),
            ("topic/#", "topic/a", false),
            ("topic/#", "topic/#", true),
            ("*", "", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("Topic/A", "topic/a", false),
            ("", "", true),
            ("*a", "bbba", true),
            ("**", "x", true),
        ];
        for (pattern, text, want) in table {
            assert_eq!(
                glob_matches(pattern, text, false),
                want,
                "{pattern} ~ {text}"
            );
        }
        assert!(glob_matches("iot:PUB*", "iot:Publish", true));
    }

    #[test]
    fn variables_are_literal_text() {
        let v = vars();
        let compiled = compile("topic/${iot:ClientId}/x", Some(&v)).unwrap();
        assert!(matches(&compiled, "topic/a*/x", false));
        assert!(!matches(&compiled, "topic/abc/x", false));
        let plus = compile("topicfilter/my/${plus}/topic", Some(&v)).unwrap();
        assert!(matches(&plus, "topicfilter/my/+/topic", false));
        assert!(!matches(&plus, "topicfilter/my/a/topic", false));
        assert_eq!(compile("t/${nope}/*", Some(&v)), Err("nope".to_string()));
        assert_eq!(compile("t/${two}", Some(&v)), Err("two".to_string()));
        // Without variable support (no Version 2012-10-17) the text stays as written.
        let raw = compile("t/${iot:ClientId}", None).unwrap();
        assert!(matches(&raw, "t/${iot:ClientId}", false));
        // IAM's escapes give the literal character.
        let esc = compile("t/${*}/${?}/${$}", Some(&v)).unwrap();
        assert!(matches(&esc, "t/*/?/$", false));
        assert!(!matches(&esc, "t/a/b/$", false));
        assert_eq!(
            substitute("${iot:ClientId}-${$}", Some(&v)),
            Ok("a*-$".to_string())
        );
        assert!(compile("t/${unclosed", Some(&v)).is_ok());
    }
}
