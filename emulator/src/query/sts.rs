//! STS on the query protocol: each operation the emulator has, as XML.

use super::xml::Node;
use super::Reply;
use crate::sts::Sts;

/// STS's XML namespace (API version 2011-06-15).
pub(super) const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// GetCallerIdentity: `Arn`, `UserId`, `Account`.
pub(super) fn get_caller_identity(sts: &Sts) -> Reply {
    let id = sts.caller_identity();
    Reply {
        action: "GetCallerIdentity",
        namespace: NAMESPACE,
        result: vec![
            Node::Text("Arn", id.arn),
            Node::Text("UserId", id.user_id),
            Node::Text("Account", id.account),
        ],
    }
}
