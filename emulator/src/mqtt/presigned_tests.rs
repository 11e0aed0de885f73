use super::*;

/// 2026-01-01T00:00:00Z.
const NOW_MS: i64 = 1_767_225_600_000;
const SIG: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn query(service: &str, date: &str, extra: &str) -> String {
    format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F{}%2Fus-east-1%2F\
         {service}%2Faws4_request&X-Amz-Date={date}&X-Amz-SignedHeaders=host\
         &X-Amz-Signature={SIG}{extra}",
        &date[..8]
    )
}

#[test]
fn a_presigned_query_gives_the_key_region_and_token() {
    let q = query(
        SERVICE,
        "20260101T000000Z",
        "&X-Amz-Security-Token=tok%2Ben",
    );
    assert_eq!(
        check(&q, NOW_MS),
        Ok(Presigned {
            access_key: "AKIDEXAMPLE".into(),
            region: "us-east-1".into(),
            security_token: Some("tok+en".into()),
            date: "20260101T000000Z".into(),
            signed_ms: NOW_MS,
            expires_s: None,
        })
    );
}

#[test]
fn unsigned_or_incomplete_queries_are_incomplete() {
    assert_eq!(check("", NOW_MS), Err(Refusal::Incomplete));
    let q = query(SERVICE, "20260101T000000Z", "").replace(&format!("&X-Amz-Signature={SIG}"), "");
    assert_eq!(check(&q, NOW_MS), Err(Refusal::Incomplete));
}

#[test]
fn another_service_in_the_scope_is_refused() {
    let q = query("iotdata", "20260101T000000Z", "");
    assert_eq!(
        check(&q, NOW_MS),
        Err(Refusal::WrongService("iotdata".into()))
    );
}

#[test]
fn malformed_parameters_are_refused() {
    let bad = [
        query(SERVICE, "20260101T000000Z", "").replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"),
        query(SERVICE, "2026-01-01T00:00:00Z", ""),
        query(SERVICE, "20260101T000000Z", "").replace("SignedHeaders=host", "SignedHeaders=x"),
        query(SERVICE, "20260101T000000Z", "").replace(SIG, "abc"),
        query(SERVICE, "20260101T000000Z", "").replace("%2F20260101%2F", "%2F20251231%2F"),
        query(SERVICE, "20260101T000000Z", "&X-Amz-Expires=0"),
    ];
    for q in bad {
        assert!(
            matches!(check(&q, NOW_MS), Err(Refusal::Malformed(_))),
            "{q}"
        );
    }
}

#[test]
fn the_signing_time_may_be_five_minutes_off_the_clock() {
    for date in ["20251231T235500Z", "20260101T000500Z"] {
        assert!(check(&query(SERVICE, date, ""), NOW_MS).is_ok(), "{date}");
    }
    let stale = check(&query(SERVICE, "20251231T235459Z", ""), NOW_MS);
    assert!(matches!(stale, Err(Refusal::Expired { .. })), "{stale:?}");
    let ahead = check(&query(SERVICE, "20260101T000501Z", ""), NOW_MS);
    assert!(
        matches!(ahead, Err(Refusal::NotYetCurrent { .. })),
        "{ahead:?}"
    );
}

#[test]
fn x_amz_expires_extends_the_window_into_the_past() {
    let q = query(SERVICE, "20251231T000000Z", "&X-Amz-Expires=86400");
    assert!(check(&q, NOW_MS).is_ok());
    let q = query(SERVICE, "20251231T000000Z", "&X-Amz-Expires=3600");
    assert!(matches!(check(&q, NOW_MS), Err(Refusal::Expired { .. })));
}
