//! Shrinking: from a parameter map that shows a finding, the smallest map that still
//! shows it. Smaller means fewer parameters, then fewer characters, then simpler
//! characters; candidates drop a parameter, empty or shorten a value, or simplify its
//! characters, greedily until nothing smaller still shows the finding.

use super::gen::Parameters;

/// How many candidate maps one shrink may evaluate.
pub(crate) const BUDGET: usize = 4000;

/// `(parameters, characters, characters other than 'a' and '0')`: what is minimised.
fn size(p: &Parameters) -> (usize, usize, usize) {
    let chars = p.values().map(|v| v.chars().count()).sum();
    let odd = p
        .values()
        .flat_map(|v| v.chars())
        .filter(|c| !matches!(c, 'a' | '0'))
        .count();
    (p.len(), chars, odd)
}

/// The smallest map reachable from `start` for which `still` holds (`start` must).
pub fn shrink(start: &Parameters, mut still: impl FnMut(&Parameters) -> bool) -> Parameters {
    let mut best = start.clone();
    let mut spent = 0;
    loop {
        let mut improved = false;
        for candidate in candidates(&best) {
            if spent >= BUDGET {
                return best;
            }
            if size(&candidate) >= size(&best) {
                continue;
            }
            spent += 1;
            if still(&candidate) {
                best = candidate;
                improved = true;
                break;
            }
        }
        if !improved {
            return best;
        }
    }
}

/// Smaller neighbours of `p`, roughly the biggest steps first.
fn candidates(p: &Parameters) -> Vec<Parameters> {
    let mut out = Vec::new();
    for key in p.keys() {
        let mut q = p.clone();
        q.remove(key);
        out.push(q);
    }
    for (key, value) in p {
        for v in smaller_values(value) {
            let mut q = p.clone();
            q.insert(key.clone(), v);
            out.push(q);
        }
    }
    out
}

fn smaller_values(value: &str) -> Vec<String> {
    let chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    let mut out = vec![String::new(), "a".into(), "0".into()];
    if n > 1 {
        out.push(chars[..n / 2].iter().collect());
        out.push(chars[n / 2..].iter().collect());
        out.push(chars[..n - 1].iter().collect());
        out.push(chars[1..].iter().collect());
    }
    if n <= 64 {
        for i in 0..n {
            let mut v = chars.clone();
            v.remove(i);
            out.push(v.into_iter().collect());
        }
    }
    // The same length in simpler characters: keeps length classes, finds the one odd
    // character of pattern classes.
    out.push("a".repeat(n));
    for i in 0..n.min(64) {
        if chars[i] != 'a' {
            let mut v = chars.clone();
            v[i] = 'a';
            out.push(v.into_iter().collect());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_space_in_a_long_serial_shrinks_to_the_space() {
        let start = Parameters::from([
            ("S".to_string(), "0001 abc".to_string()),
            ("X".to_string(), "y".to_string()),
        ]);
        let got = shrink(&start, |p| p.get("S").is_some_and(|s| s.contains(' ')));
        assert_eq!(got, Parameters::from([("S".to_string(), " ".to_string())]));
    }
}
