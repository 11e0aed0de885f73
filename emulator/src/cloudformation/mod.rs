//! CloudFormation's template language: reading templates (YAML with short-form tags, or
//! JSON), the SAM transform, parameters, conditions, intrinsic functions and the order
//! resources are made in. Stacks, change sets and resource providers build on this.

mod changes;
pub mod conditions;
mod deploy;
pub mod engine;
pub mod error;
pub mod graph;
pub mod intrinsic;
pub mod params;
mod plan;
mod providers;
mod resolver;
pub mod sam;
pub mod stack;
mod sub;
pub mod template;

#[cfg(test)]
mod intrinsic_tests;

pub use engine::{CloudFormation, StackRequest};
pub use error::{CfnError, CfnResult};
pub use template::{ResourceDecl, Template};

/// `Transform: AWS::LanguageExtensions`: accepted; its functions are evaluated with the
/// other intrinsics (`Fn::Length`, `Fn::ToJsonString`) or refused (`Fn::ForEach`).
pub const LANGUAGE_EXTENSIONS: &str = "AWS::LanguageExtensions";

/// Reads a template body and applies its transforms.
pub fn read_template(text: &str) -> CfnResult<Template> {
    let body = template::parse_body(text)?;
    let transforms = template::transforms_of(&body);
    let mut body = body;
    for transform in &transforms {
        body = match transform.as_str() {
            sam::TRANSFORM => sam::expand(body)?,
            LANGUAGE_EXTENSIONS => refuse_for_each(body)?,
            other => {
                return Err(CfnError::NotImplemented(format!(
                    "Transform {other} is not supported by iot-emulator"
                )))
            }
        };
    }
    Template::from_value(body)
}

/// `Fn::ForEach::<name>` keys (LanguageExtensions' loops) are refused, not left unexpanded.
fn refuse_for_each(body: serde_json::Value) -> CfnResult<serde_json::Value> {
    let mut stack = vec![&body];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(key) = map.keys().find(|k| k.starts_with("Fn::ForEach")) {
                    return Err(CfnError::NotImplemented(format!(
                        "Transform {LANGUAGE_EXTENSIONS} failed: {key} is not supported by iot-emulator"
                    )));
                }
                stack.extend(map.values());
            }
            serde_json::Value::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    Ok(body)
}
