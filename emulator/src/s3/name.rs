//! S3's naming rules for buckets (general purpose buckets) and object keys.

use super::S3Error;

/// A general purpose bucket name: 3–63 characters of lower-case letters, digits, dots
/// and hyphens, starting and ending with a letter or digit, no `..`, not an IPv4
/// address, and none of S3's reserved prefixes and suffixes.
pub(super) fn validate(name: &str) -> Result<(), S3Error> {
    let bad = || S3Error::InvalidBucketName(name.to_string());
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let reserved = ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| name.starts_with(p))
        || ["-s3alias", "--ol-s3", ".mrap", "--x-s3"]
            .iter()
            .any(|s| name.ends_with(s));
    if !(3..=63).contains(&name.len())
        || !name.chars().all(allowed)
        || !edge(name.chars().next())
        || !edge(name.chars().last())
        || name.contains("..")
        || name.parse::<std::net::Ipv4Addr>().is_ok()
        || reserved
    {
        return Err(bad());
    }
    Ok(())
}

/// An object key: 1 to 1024 bytes of UTF-8.
pub(super) fn validate_key(key: &str) -> Result<(), S3Error> {
    if key.is_empty() || key.len() > 1024 {
        return Err(S3Error::KeyTooLong("Your key is too long".to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names_follow_s3s_rules() {
        for good in ["abc", "my-bucket.1", "a1b", &"a".repeat(63)] {
            assert!(validate(good).is_ok(), "{good}");
        }
        let long = "a".repeat(64);
        for bad in [
            "ab",
            "Bad_Name",
            "-abc",
            "abc-",
            "a..b",
            "192.168.1.1",
            "xn--abc",
            "abc-s3alias",
            &long,
        ] {
            assert!(validate(bad).is_err(), "{bad}");
        }
    }
}
