//! The report for people: a summary line, one row per failure class (id, count, shrunk
//! example, AWS's message), then collisions, empty attributes and parameters that never
//! matter.

use std::fmt::Write;

use super::gen::Parameters;
use super::report::Report;

/// The example as compact JSON, control characters escaped.
fn example(p: &Parameters) -> String {
    serde_json::to_string(p).unwrap_or_default()
}

/// `s` cut to `n` characters with an ellipsis.
fn cut(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The readable table.
pub(crate) fn render(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({}, seed {}): {} cases, {} passed, {} failed, pass rate {:.2}%",
        r.template,
        r.mode,
        r.seed,
        r.cases,
        r.passed,
        r.failed,
        r.pass_rate * 100.0
    );
    if !r.classes.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<56} {:>7}  EXAMPLE (shrunk) / MESSAGE",
            "CLASS", "CASES"
        );
    }
    for c in &r.classes {
        let mark = match (c.allowed, c.confirmed) {
            (true, _) => " (allowed)",
            (false, Some(false)) => " (not confirmed live)",
            _ => "",
        };
        let _ = writeln!(
            out,
            "{:<56} {:>7}  {}{mark}\n{:<66}{}",
            c.id,
            c.count,
            cut(&example(&c.example), 200),
            "",
            cut(&c.message, 200)
        );
    }
    if r.collision_count > 0 {
        let _ = writeln!(
            out,
            "\nCOLLISIONS: {} pairs of parameter maps provision the same thing{}",
            r.collision_count,
            if r.collisions_allowed {
                " (allowed)"
            } else {
                ""
            }
        );
        for c in &r.collisions {
            let _ = writeln!(
                out,
                "  {}: {} and {}",
                c.thing_name,
                example(&c.first),
                example(&c.second)
            );
        }
    }
    for e in &r.empty_attributes {
        let _ = writeln!(
            out,
            "\nEMPTY ATTRIBUTE {} in {} cases (AWS removes it), e.g. {}{}",
            e.attribute,
            e.count,
            example(&e.example),
            if e.allowed { " (allowed)" } else { "" }
        );
    }
    if !r.parameters_that_never_matter.is_empty() {
        let _ = writeln!(
            out,
            "\nPARAMETERS THAT NEVER MATTER: {}",
            r.parameters_that_never_matter.join(", ")
        );
    }
    match r.new_findings.len() {
        0 => out.push_str("\nno new findings\n"),
        n => {
            let _ = writeln!(out, "\n{n} new finding(s): {}", r.new_findings.join(" "));
        }
    }
    out
}
