//! Reading a query request: the form-encoded body (and, for GET, the URL's query string)
//! as ordered name/value pairs, with `Action` taken out.

use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::header;

use super::QueryError;

/// Larger bodies are refused; CloudFormation's 51,200-byte TemplateBody limit fits many
/// times over.
const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// A parsed query request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryRequest {
    pub action: String,
    /// Every other parameter, in request order (`Version` included).
    pub params: Vec<(String, String)>,
}

impl QueryRequest {
    /// The first value of `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Whether `request` is shaped like a query request (a form body, or a GET with
/// `Action=`), which is how an unsigned or unknown service is recognised as query.
pub fn looks_like_query(request: &Request) -> bool {
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let get_action = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("Action=")));
    form || get_action
}

/// Parses `request` into its action and parameters.
pub(super) async fn read(request: Request) -> Result<QueryRequest, QueryError> {
    let query = request.uri().query().unwrap_or_default().to_string();
    let body = to_bytes(request.into_body(), BODY_LIMIT)
        .await
        .map_err(|e| QueryError::MalformedQueryString(format!("unreadable request body: {e}")))?;
    let mut params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .chain(form_urlencoded::parse(&body))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let at = params
        .iter()
        .position(|(n, _)| n == "Action")
        .ok_or(QueryError::MissingAction)?;
    let (_, action) = params.remove(at);
    Ok(QueryRequest { action, params })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    #[tokio::test]
    async fn the_action_comes_out_and_the_rest_keeps_its_order() {
        let request = Request::builder()
            .method("POST")
            .uri("/")
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(Body::from(
                "Action=GetCallerIdentity&Version=2011-06-15&A=x%2By+z",
            ))
            .unwrap();
        assert!(looks_like_query(&request));
        let q = read(request).await.unwrap();
        assert_eq!(q.action, "GetCallerIdentity");
        assert_eq!(q.param("Version"), Some("2011-06-15"));
        assert_eq!(q.param("A"), Some("x+y z"));
    }

    #[tokio::test]
    async fn no_action_is_missing_action() {
        let request = Request::builder()
            .uri("/?Version=1")
            .body(Body::empty())
            .unwrap();
        assert!(!looks_like_query(&request));
        assert_eq!(read(request).await, Err(QueryError::MissingAction));
    }
}
