//! The query protocol's XML: `<OpResponse><OpResult>…</OpResult><ResponseMetadata>` for
//! a success, `<ErrorResponse><Error>…` (EC2: `<Response><Errors><Error>…`) for a failure.

use quick_xml::events::BytesText;
use quick_xml::Writer;

/// One element of a result: a text leaf, a group of elements, or a list of `<member>`s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Text(&'static str, String),
    Group(&'static str, Vec<Node>),
    List(&'static str, Vec<Vec<Node>>),
    /// A list of scalars: `<name><member>v</member>…</name>`.
    Values(&'static str, Vec<String>),
}

/// What an error reply says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody<'a> {
    /// `Sender` (the caller's fault) or `Receiver` (the service's).
    pub kind: &'static str,
    pub code: &'static str,
    pub message: &'a str,
    pub request_id: &'a str,
}

type Out = Writer<Vec<u8>>;

fn write_nodes(w: &mut Out, nodes: &[Node]) -> std::io::Result<()> {
    for node in nodes {
        match node {
            Node::Text(name, text) => {
                w.create_element(*name)
                    .write_text_content(BytesText::new(text))?;
            }
            Node::Group(name, children) => {
                w.create_element(*name)
                    .write_inner_content(|w| write_nodes(w, children))?;
            }
            Node::Values(name, values) => {
                w.create_element(*name).write_inner_content(|w| {
                    for value in values {
                        w.create_element("member")
                            .write_text_content(BytesText::new(value))?;
                    }
                    Ok(())
                })?;
            }
            Node::List(name, members) => {
                w.create_element(*name).write_inner_content(|w| {
                    for member in members {
                        w.create_element("member")
                            .write_inner_content(|w| write_nodes(w, member))?;
                    }
                    Ok(())
                })?;
            }
        }
    }
    Ok(())
}

fn finish(build: impl FnOnce(&mut Out) -> std::io::Result<()>) -> Vec<u8> {
    let mut w = Writer::new(Vec::new());
    // Writing into a Vec cannot fail.
    let _ = build(&mut w);
    w.into_inner()
}

fn metadata(w: &mut Out, request_id: &str) -> std::io::Result<()> {
    w.create_element("ResponseMetadata")
        .write_inner_content(|w| {
            w.create_element("RequestId")
                .write_text_content(BytesText::new(request_id))?;
            Ok(())
        })?;
    Ok(())
}

/// `<{action}Response xmlns=…><{action}Result>{result}</…><ResponseMetadata>…`.
pub fn success(action: &str, namespace: &str, result: &[Node], request_id: &str) -> Vec<u8> {
    finish(|w| {
        w.create_element(format!("{action}Response"))
            .with_attribute(("xmlns", namespace))
            .write_inner_content(|w| {
                w.create_element(format!("{action}Result"))
                    .write_inner_content(|w| write_nodes(w, result))?;
                metadata(w, request_id)
            })?;
        Ok(())
    })
}

fn error_fields(w: &mut Out, e: &ErrorBody<'_>) -> std::io::Result<()> {
    w.create_element("Error").write_inner_content(|w| {
        write_nodes(
            w,
            &[
                Node::Text("Type", e.kind.to_string()),
                Node::Text("Code", e.code.to_string()),
                Node::Text("Message", e.message.to_string()),
            ],
        )
    })?;
    Ok(())
}

/// `<ErrorResponse [xmlns]><Error><Type/><Code/><Message/></Error><RequestId/>`.
pub fn error(e: &ErrorBody<'_>, namespace: Option<&str>) -> Vec<u8> {
    finish(|w| {
        let mut root = w.create_element("ErrorResponse");
        if let Some(ns) = namespace {
            root = root.with_attribute(("xmlns", ns));
        }
        root.write_inner_content(|w| {
            error_fields(w, e)?;
            write_nodes(w, &[Node::Text("RequestId", e.request_id.to_string())])
        })?;
        Ok(())
    })
}

/// EC2's flavour: `<Response><Errors><Error>…</Error></Errors><RequestID/>`.
pub fn ec2_error(e: &ErrorBody<'_>) -> Vec<u8> {
    finish(|w| {
        w.create_element("Response").write_inner_content(|w| {
            w.create_element("Errors")
                .write_inner_content(|w| error_fields(w, e))?;
            write_nodes(w, &[Node::Text("RequestID", e.request_id.to_string())])
        })?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_wrapped_and_escaped() {
        let body = success(
            "Op",
            "https://example/doc/",
            &[
                Node::Text("A", "x<&>".into()),
                Node::List("L", vec![vec![Node::Text("K", "1".into())]]),
            ],
            "rid",
        );
        assert_eq!(
            String::from_utf8(body).unwrap(),
            "<OpResponse xmlns=\"https://example/doc/\"><OpResult><A>x&lt;&amp;&gt;</A>\
             <L><member><K>1</K></member></L></OpResult>\
             <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></OpResponse>"
        );
    }

    #[test]
    fn errors_have_the_query_and_the_ec2_shapes() {
        let e = ErrorBody {
            kind: "Sender",
            code: "C",
            message: "m",
            request_id: "r",
        };
        assert_eq!(
            String::from_utf8(error(&e, None)).unwrap(),
            "<ErrorResponse><Error><Type>Sender</Type><Code>C</Code><Message>m</Message>\
             </Error><RequestId>r</RequestId></ErrorResponse>"
        );
        assert_eq!(
            String::from_utf8(ec2_error(&e)).unwrap(),
            "<Response><Errors><Error><Type>Sender</Type><Code>C</Code><Message>m</Message>\
             </Error></Errors><RequestID>r</RequestID></Response>"
        );
    }
}
