//! CloudWatch Logs filter patterns, the subset that matches raw text: terms that must all
//! appear, `"quoted phrases"`, `?term` (any of these), `-term` (none of these). JSON
//! (`{ $.x = … }`) and space-delimited (`[a, b]`) patterns are refused, never ignored.

/// A parsed term pattern.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FilterPattern {
    all: Vec<String>,
    any: Vec<String>,
    none: Vec<String>,
}

impl FilterPattern {
    /// Parses `text`; an empty pattern matches every event.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.starts_with('{') || text.starts_with('[') {
            return Err(format!(
                "iot-emulator supports only term filter patterns (terms, \"phrases\", ?any, -exclude), not {text}"
            ));
        }
        let mut out = FilterPattern::default();
        for token in tokens(text)? {
            match token {
                Token::Any(t) => out.any.push(t),
                Token::Not(t) => out.none.push(t),
                Token::Term(t) => out.all.push(t),
            }
        }
        Ok(out)
    }

    /// Whether `message` matches (case-sensitive, as AWS's term match is).
    pub fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
    }
}

enum Token {
    Term(String),
    Any(String),
    Not(String),
}

/// Splits on whitespace, keeping `"quoted phrases"` whole.
fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let prefix = match c {
            '?' | '-' => chars.next(),
            _ => None,
        };
        let word = if chars.peek() == Some(&'"') {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|&c| c != '"').collect();
            phrase
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
            word
        };
        if word.is_empty() {
            return Err(format!("Invalid filter pattern: {text}"));
        }
        out.push(match prefix {
            Some('?') => Token::Any(word),
            Some(_) => Token::Not(word),
            None => Token::Term(word),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_phrases_any_and_exclusions() {
        let cases = [
            ("", "anything", true),
            ("ERROR", "an ERROR here", true),
            ("ERROR", "an error here", false),
            ("ERROR timeout", "ERROR: timeout", true),
            ("ERROR timeout", "ERROR: fine", false),
            ("\"hello world\"", "say hello world", true),
            ("\"hello world\"", "world hello", false),
            ("?ERROR ?WARN", "WARN low disk", true),
            ("?ERROR ?WARN", "INFO ok", false),
            ("ERROR -timeout", "ERROR disk", true),
            ("ERROR -timeout", "ERROR timeout", false),
        ];
        for (pattern, message, expected) in cases {
            let parsed = FilterPattern::parse(pattern).expect(pattern);
            assert_eq!(
                parsed.matches(message),
                expected,
                "{pattern:?} on {message:?}"
            );
        }
    }

    #[test]
    fn json_and_delimited_patterns_are_refused() {
        assert!(FilterPattern::parse("{ $.level = \"ERROR\" }").is_err());
        assert!(FilterPattern::parse("[ip, user]").is_err());
        assert!(FilterPattern::parse("-").is_err());
    }
}
