//! Topic names and filters: AWS IoT's limits, shared-subscription syntax and matching.

/// AWS: a topic or filter is at most 256 bytes of UTF-8 ...
pub const MAX_TOPIC_BYTES: usize = 256;
/// ... and has at most 7 slashes (8 levels), not counting the exempt prefixes.
pub const MAX_TOPIC_SLASHES: usize = 7;
/// AWS: a `$share/<ShareName>/` group name is at most 128 characters.
pub const MAX_SHARE_NAME: usize = 128;

/// Why a topic or filter is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopicError {
    Empty,
    TooLong,
    TooManyLevels,
    /// A wildcard in a topic name, or a misplaced one in a filter.
    Wildcard,
    /// A malformed `$share/<name>/<filter>`.
    Share,
}

/// A parsed subscription filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The filter topics are matched against (without `$share/<group>/`).
    pub pattern: String,
    /// The share group of a `$share/<group>/...` subscription.
    pub share: Option<String>,
}

impl Filter {
    /// Whether the filter names exactly one topic (no wildcard, not shared).
    pub fn is_exact(&self) -> bool {
        self.share.is_none() && !self.pattern.contains(['+', '#'])
    }
}

/// Strips `$aws/rules/<rule>/` (case-insensitively), which AWS leaves out of the limits.
fn strip_rules_prefix(topic: &str) -> &str {
    const PREFIX: &str = "$aws/rules/";
    let Some(head) = topic.get(..PREFIX.len()) else {
        return topic;
    };
    if !head.eq_ignore_ascii_case(PREFIX) {
        return topic;
    }
    let rest = &topic[PREFIX.len()..];
    match rest.find('/') {
        Some(i) => &rest[i + 1..],
        None => topic,
    }
}

/// Checks AWS's length and level limits on what remains after the exempt prefixes.
fn check_limits(topic: &str) -> Result<(), TopicError> {
    let counted = strip_rules_prefix(topic);
    if counted.len() > MAX_TOPIC_BYTES {
        return Err(TopicError::TooLong);
    }
    if counted.matches('/').count() > MAX_TOPIC_SLASHES {
        return Err(TopicError::TooManyLevels);
    }
    Ok(())
}

/// Validates a PUBLISH (or Will) topic name.
pub fn validate_topic_name(topic: &str) -> Result<(), TopicError> {
    if topic.is_empty() {
        return Err(TopicError::Empty);
    }
    if topic.contains(['+', '#', '\0']) {
        return Err(TopicError::Wildcard);
    }
    check_limits(topic)
}

/// Splits `$share/<group>/<filter>`; `Ok(None)` for an ordinary filter.
fn split_share(filter: &str) -> Result<Option<(&str, &str)>, TopicError> {
    let Some(rest) = filter.strip_prefix("$share/") else {
        return Ok(None);
    };
    let (group, pattern) = rest.split_once('/').ok_or(TopicError::Share)?;
    let bad_group =
        group.is_empty() || group.chars().count() > MAX_SHARE_NAME || group.contains(['+', '#']);
    if bad_group || pattern.is_empty() {
        return Err(TopicError::Share);
    }
    Ok(Some((group, pattern)))
}

/// Validates and parses a SUBSCRIBE/UNSUBSCRIBE filter.
pub fn parse_filter(filter: &str) -> Result<Filter, TopicError> {
    if filter.is_empty() {
        return Err(TopicError::Empty);
    }
    let (share, pattern) = match split_share(filter)? {
        Some((group, pattern)) => (Some(group.to_string()), pattern),
        None => (None, filter),
    };
    let levels: Vec<&str> = pattern.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        let misplaced_hash = level.contains('#') && (*level != "#" || i + 1 != levels.len());
        let misplaced_plus = level.contains('+') && *level != "+";
        if misplaced_hash || misplaced_plus || level.contains('\0') {
            return Err(TopicError::Wildcard);
        }
    }
    check_limits(pattern)?;
    Ok(Filter {
        pattern: pattern.to_string(),
        share,
    })
}

/// Whether `topic` matches `pattern`, the AWS way: `a/#` matches `a/` and `a/b` but not
/// `a`; filters starting with a wildcard never match topics starting with `$`.
pub fn matches(pattern: &str, topic: &str) -> bool {
    if topic.starts_with('$') && pattern.starts_with(['+', '#']) {
        return false;
    }
    let mut filter_levels = pattern.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            (Some("#"), level) => return level.is_some(),
            (Some("+"), Some(_)) => {}
            (Some(f), Some(t)) if f == t => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_children_but_not_the_parent() {
        assert!(matches("sensor/#", "sensor/"));
        assert!(matches("sensor/#", "sensor/x"));
        assert!(matches("sensor/#", "sensor/x/y"));
        assert!(!matches("sensor/#", "sensor"));
        assert!(matches("#", "a"));
    }

    #[test]
    fn plus_matches_one_level() {
        assert!(matches("a/+/c", "a/b/c"));
        assert!(matches("a/+", "a/"));
        assert!(!matches("a/+", "a/b/c"));
        assert!(!matches("a/+", "a"));
        assert!(matches("a/b", "a/b"));
        assert!(!matches("a/b", "a/B"));
    }

    #[test]
    fn dollar_topics_need_explicit_filters() {
        assert!(!matches("#", "$aws/things/t/shadow/update"));
        assert!(!matches("+/things/#", "$aws/things/t"));
        assert!(matches(
            "$aws/things/+/shadow/#",
            "$aws/things/t/shadow/update"
        ));
        assert!(matches(
            "$aws/events/presence/connected/c1",
            "$aws/events/presence/connected/c1"
        ));
    }

    #[test]
    fn topic_limits_count_bytes_and_slashes() {
        assert_eq!(validate_topic_name("a/b/c/d/e/f/g/h"), Ok(()));
        assert_eq!(
            validate_topic_name("a/b/c/d/e/f/g/h/i"),
            Err(TopicError::TooManyLevels)
        );
        assert_eq!(validate_topic_name(&"x".repeat(256)), Ok(()));
        assert_eq!(
            validate_topic_name(&"x".repeat(257)),
            Err(TopicError::TooLong)
        );
        assert_eq!(validate_topic_name("a/+"), Err(TopicError::Wildcard));
        assert_eq!(validate_topic_name(""), Err(TopicError::Empty));
    }

    #[test]
    fn rules_and_share_prefixes_are_not_counted() {
        assert_eq!(validate_topic_name("$aws/rules/r1/a/b/c/d/e/f/g/h"), Ok(()));
        assert_eq!(validate_topic_name("$AWS/Rules/r1/a/b/c/d/e/f/g/h"), Ok(()));
        let long = format!("$aws/rules/r/{}", "x".repeat(256));
        assert_eq!(validate_topic_name(&long), Ok(()));
        assert!(parse_filter("$share/g/a/b/c/d/e/f/g/h").is_ok());
        assert_eq!(
            parse_filter("$share/g/a/b/c/d/e/f/g/h/i"),
            Err(TopicError::TooManyLevels)
        );
    }

    #[test]
    fn filters_parse_shares_and_wildcards() {
        let f = parse_filter("$share/grp/a/+/#").expect("valid");
        assert_eq!(
            (f.pattern.as_str(), f.share.as_deref()),
            ("a/+/#", Some("grp"))
        );
        assert!(!f.is_exact());
        assert!(parse_filter("a/b").expect("valid").is_exact());
        assert_eq!(parse_filter("a/#/b"), Err(TopicError::Wildcard));
        assert_eq!(parse_filter("a/b#"), Err(TopicError::Wildcard));
        assert_eq!(parse_filter("a+/b"), Err(TopicError::Wildcard));
        assert_eq!(parse_filter("$share/g"), Err(TopicError::Share));
        assert_eq!(parse_filter("$share//a"), Err(TopicError::Share));
        assert_eq!(parse_filter("$share/g+/a"), Err(TopicError::Share));
        assert_eq!(parse_filter(""), Err(TopicError::Empty));
    }
}
