//! Which topics a rule's FROM filter selects, and Basic Ingest's `$aws/rules/<name>/`.

/// The prefix of a Basic Ingest topic (AWS leaves it out of the topic limits, matched
/// case-insensitively, as the broker's limit checks do).
const INGEST_PREFIX: &str = "$aws/rules/";

/// For `$aws/rules/<rule>/<rest>`: `(rule, rest)`, where `rest` is what `topic()` sees.
/// `Some((rule, ""))` when nothing follows the rule name.
pub fn basic_ingest(topic: &str) -> Option<(&str, &str)> {
    let head = topic.get(..INGEST_PREFIX.len())?;
    if !head.eq_ignore_ascii_case(INGEST_PREFIX) {
        return None;
    }
    let rest = &topic[INGEST_PREFIX.len()..];
    Some(rest.split_once('/').unwrap_or((rest, "")))
}

/// MQTT matching of `topic` against `filter` (`+` one level, `#` the rest). Wildcards at
/// the first level never match a `$` topic (MQTT 3.1.1 §4.7.2).
pub fn matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut levels = topic.split('/');
    for part in filter.split('/') {
        match part {
            "#" => return true,
            "+" => {
                if levels.next().is_none() {
                    return false;
                }
            }
            exact => {
                if levels.next() != Some(exact) {
                    return false;
                }
            }
        }
    }
    levels.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters() {
        assert!(matches("sensors/+/data", "sensors/s1/data"));
        assert!(!matches("sensors/+/data", "sensors/s1/data/x"));
        assert!(!matches("sensors/+/data", "sensors/data"));
        assert!(matches("sensors/#", "sensors"));
        assert!(matches("sensors/#", "sensors/a/b"));
        assert!(matches("#", "a/b"));
        assert!(!matches("#", "$aws/events/presence/connected/c"));
        assert!(!matches("+/events/#", "$aws/events/x"));
        assert!(matches("$aws/events/#", "$aws/events/presence/connected/c"));
        assert!(matches("a//b", "a//b"));
        assert!(!matches("a/b", "a/b/"));
    }

    #[test]
    fn ingest_topics() {
        assert_eq!(basic_ingest("$aws/rules/r1/a/b"), Some(("r1", "a/b")));
        assert_eq!(basic_ingest("$AWS/Rules/r1/a"), Some(("r1", "a")));
        assert_eq!(basic_ingest("$aws/rules/r1"), Some(("r1", "")));
        assert_eq!(basic_ingest("$aws/things/t/shadow"), None);
        assert_eq!(basic_ingest("a/b"), None);
    }
}
