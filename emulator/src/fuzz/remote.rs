//! A running emulator's control plane, as the fuzzer uses it: unsigned rest-json calls
//! over plain HTTP (the emulator does not check signatures), the template of
//! `--template-name`, and `--registry-from`'s copy of thing types, thing groups and
//! policies into the in-memory registry.

use std::collections::BTreeMap;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde_json::Value;

use crate::registry::Registry;

/// A control-plane endpoint (`http://host:port`).
#[derive(Debug, Clone)]
pub struct Api {
    host: String,
    port: u16,
}

/// A template as DescribeProvisioningTemplate returns it.
#[derive(Debug, Clone)]
pub struct RemoteTemplate {
    pub body: String,
    pub hook_arn: Option<String>,
    /// The template's type is JITP.
    pub jitp: bool,
}

impl Api {
    /// `http://host[:port]`; https is refused (the emulator's API port is plain HTTP).
    pub fn new(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: expected an http:// endpoint URL"))?;
        let authority = rest.split('/').next().unwrap_or_default();
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| format!("{url}: bad port"))?),
            None => (authority, 80),
        };
        Ok(Api {
            host: host.trim_matches(|c| c == '[' || c == ']').to_string(),
            port,
        })
    }

    /// One call; the status and the JSON body (`null` when empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Value), String> {
        self.call_with(method, path, body, &[]).await
    }

    /// One call with extra headers.
    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<(u16, Value), String> {
        let stream = crate::net::connect((self.host.as_str(), self.port), crate::net::Kind::Api)
            .await
            .map_err(|e| format!("cannot connect to {}:{}: {e}", self.host, self.port))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let bytes = body.map(|b| b.to_string()).unwrap_or_default();
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", format!("{}:{}", self.host, self.port))
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| e.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let raw = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Ok((status, value))
    }

    /// A call that must succeed.
    pub async fn ok(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, String> {
        let (status, value) = self.call(method, path, body).await?;
        if !(200..300).contains(&status) {
            return Err(format!("{method} {path}: HTTP {status}: {value}"));
        }
        Ok(value)
    }

    /// Every item of a paginated list (`nextToken` or `nextMarker`).
    pub async fn list(&self, path: &str, field: &str) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        let mut next = String::new();
        loop {
            let page = self.ok("GET", &format!("{path}{next}"), None).await?;
            out.extend(page[field].as_array().cloned().unwrap_or_default());
            next = match (page["nextToken"].as_str(), page["nextMarker"].as_str()) {
                (Some(t), _) => format!("?nextToken={}", encode(t)),
                (None, Some(m)) => format!("?marker={}", encode(m)),
                _ => return Ok(out),
            };
        }
    }

    /// The default version's body and the hook of template `name`.
    pub async fn template(&self, name: &str) -> Result<RemoteTemplate, String> {
        let t = self
            .ok(
                "GET",
                &format!("/provisioning-templates/{}", encode(name)),
                None,
            )
            .await?;
        Ok(RemoteTemplate {
            body: t["templateBody"].as_str().unwrap_or_default().to_string(),
            hook_arn: t["preProvisioningHook"]["targetArn"]
                .as_str()
                .map(str::to_string),
            jitp: t["type"].as_str() == Some("JITP"),
        })
    }

    /// Copies thing types (deprecation included), thing groups (parents first) and
    /// policies into `registry`.
    pub async fn copy_into(&self, registry: &Registry) -> Result<(), String> {
        for t in self.list("/thing-types", "thingTypes").await? {
            let name = t["thingTypeName"].as_str().unwrap_or_default();
            registry
                .create_thing_type(name, None)
                .map_err(|e| e.to_string())?;
            if t["thingTypeMetadata"]["deprecated"] == Value::Bool(true) {
                registry
                    .deprecate_thing_type(name, false)
                    .map_err(|e| e.to_string())?;
            }
        }
        self.copy_groups(registry).await?;
        for p in self.list("/policies", "policies").await? {
            let name = p["policyName"].as_str().unwrap_or_default();
            if registry.get_policy(name).is_ok() {
                continue;
            }
            let got = self
                .ok("GET", &format!("/policies/{}", encode(name)), None)
                .await?;
            let doc = got["policyDocument"].as_str().unwrap_or_default();
            registry
                .create_policy(name, doc)
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Thing groups, each after its parent.
    async fn copy_groups(&self, registry: &Registry) -> Result<(), String> {
        let mut parents = BTreeMap::new();
        for g in self.list("/thing-groups", "thingGroups").await? {
            let name = g["groupName"].as_str().unwrap_or_default().to_string();
            let d = self
                .ok("GET", &format!("/thing-groups/{}", encode(&name)), None)
                .await?;
            let parent = d["thingGroupMetadata"]["parentGroupName"]
                .as_str()
                .map(str::to_string);
            parents.insert(name, parent);
        }
        while !parents.is_empty() {
            let ready: Vec<(String, Option<String>)> = parents
                .iter()
                .filter(|(_, p)| p.as_ref().is_none_or(|p| !parents.contains_key(p)))
                .map(|(n, p)| (n.clone(), p.clone()))
                .collect();
            if ready.is_empty() {
                return Err("the thing groups' parents form a cycle".into());
            }
            for (name, parent) in ready {
                registry
                    .create_thing_group(&name, parent.as_deref(), None)
                    .map_err(|e| e.to_string())?;
                parents.remove(&name);
            }
        }
        Ok(())
    }
}

/// Percent-encodes a path segment or query value.
pub(crate) fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
