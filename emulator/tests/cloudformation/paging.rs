//! CloudFormation's list operations page with NextToken, through boto3's calls and
//! paginators, as AWS pages them.

use crate::common::{run_python_async, TestEmulator};

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_with_next_tokens() {
    let emu = TestEmulator::start().await;
    let out = run_python_async("cfn_paging.py", vec![emu.api_url().to_string()]).await;
    assert!(out.success, "{}", out.stderr);
    let got = out.json();
    assert_eq!(
        got["resources_first"],
        serde_json::json!([100, true]),
        "{got}"
    );
    assert_eq!(
        got["resources_second"],
        serde_json::json!([10, false]),
        "{got}"
    );
    assert_eq!(got["events_first"], serde_json::json!([100, true]), "{got}");
    assert_eq!(got["resources_total"], 110, "{got}");
    assert!(
        got["events_total"].as_u64().is_some_and(|n| n >= 222),
        "{got}"
    );
    assert_eq!(got["stacks_total"], 1, "{got}");
    assert_eq!(got["change_sets_total"], 0, "{got}");
    assert_eq!(got["bad_token"], "ValidationError", "{got}");
    emu.shutdown().await;
}
