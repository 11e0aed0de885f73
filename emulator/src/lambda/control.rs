//! The function operations: CreateFunction, GetFunction, GetFunctionConfiguration,
//! ListFunctions, UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction.

use base64::Engine;
use serde_json::{json, Map, Value};

use super::code;
use super::error::{LambdaError, LambdaResult};
use super::function::{self, CreateFunction, FunctionRecord, Settings};
use super::Lambda;

/// ListFunctions' default and largest page.
const LIST_DEFAULT: usize = 50;
const LIST_MAX: usize = 10_000;

fn decode_zip(b64: &str) -> LambdaResult<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|e| LambdaError::InvalidRequestContent(format!("Could not decode ZipFile: {e}")))
}

impl Lambda {
    /// `2026-01-01T00:00:00.000+0000`, as Lambda writes LastModified.
    fn last_modified(&self) -> String {
        let now = self.inner.clock.now();
        let format = time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+0000"
        );
        now.format(&format).unwrap_or_default()
    }

    fn revision(&self) -> String {
        self.inner.entropy.uuid("lambda-revision-id")
    }

    /// CreateFunction from a `ZipFile`.
    pub fn create_function(&self, input: CreateFunction) -> LambdaResult<Value> {
        let name = input.function_name.clone();
        function::check_name(&name)?;
        check_create_extras(&input)?;
        function::check_settings(&input.settings, true)?;
        let runtime = input.settings.runtime.clone().unwrap_or_default();
        self.inner.runtimes.check_runtime(&runtime)?;
        let zip = zip_file(&input.code)?;
        if self.functions().contains_key(&name) {
            return Err(LambdaError::ResourceConflict(format!(
                "Function already exist: {name}"
            )));
        }
        let mut record = FunctionRecord {
            arn: self.function_arn(&name),
            name: name.clone(),
            runtime,
            role: String::new(),
            handler: String::new(),
            description: String::new(),
            timeout: function::DEFAULT_TIMEOUT,
            memory_size: function::DEFAULT_MEMORY,
            variables: Default::default(),
            layers: Vec::new(),
            code_sha256: code::sha256_b64(&zip),
            code_size: zip.len() as u64,
            last_modified: self.last_modified(),
            revision_id: self.revision(),
            recorded: Map::new(),
            statements: Vec::new(),
            environment: String::new(),
        };
        record.environment = record.revision_id.clone();
        function::apply_settings(&mut record, &input.settings)?;
        self.inner.store.install_code(&name, &zip)?;
        self.inner.store.save(&record)?;
        let mut functions = self.functions();
        if functions.contains_key(&name) {
            return Err(LambdaError::ResourceConflict(format!(
                "Function already exist: {name}"
            )));
        }
        functions.insert(name.clone(), record.clone());
        tracing::info!(function = %name, runtime = %record.runtime, "Lambda function created");
        Ok(record.configuration())
    }

    /// GetFunction: the configuration, where the code is, and the tags.
    pub fn get_function(&self, name: &str, qualifier: Option<&str>) -> LambdaResult<Value> {
        let record = self.record(name, qualifier)?;
        let zip = self.inner.store.zip_path(&record.name);
        let mut out = json!({
            "Configuration": record.configuration(),
            // The package is on this machine; its path stands in for S3's presigned URL.
            "Code": {"RepositoryType": "S3", "Location": format!("file://{}", zip.display())},
        });
        if let Some(tags) = record.tags() {
            out["Tags"] = tags.clone();
        }
        Ok(out)
    }

    /// GetFunctionConfiguration.
    pub fn get_function_configuration(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<Value> {
        Ok(self.record(name, qualifier)?.configuration())
    }

    /// ListFunctions, by name, `Marker` being the next name to list.
    pub fn list_functions(
        &self,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> LambdaResult<Value> {
        let limit = match max_items {
            None => LIST_DEFAULT,
            Some(n) if (1..=LIST_MAX).contains(&n) => n,
            Some(n) => {
                return Err(LambdaError::InvalidParameterValue(format!(
                    "1 validation error detected: Value '{n}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and {LIST_MAX}"
                )))
            }
        };
        let functions = self.functions();
        let mut page: Vec<Value> = functions
            .range(marker.unwrap_or("").to_string()..)
            .take(limit + 1)
            .map(|(_, f)| f.configuration())
            .collect();
        let mut out = json!({});
        if page.len() > limit {
            let next = page.pop().unwrap_or_default();
            out["NextMarker"] = next["FunctionName"].clone();
        }
        out["Functions"] = json!(page);
        Ok(out)
    }

    /// DeleteFunction.
    pub fn delete_function(&self, name: &str, qualifier: Option<&str>) -> LambdaResult<()> {
        let record = self.record(name, qualifier)?;
        self.functions().remove(&record.name);
        self.pool().retire(&record.name);
        self.inner.store.remove(&record.name);
        tracing::info!(function = %record.name, "Lambda function deleted");
        Ok(())
    }

    /// UpdateFunctionCode from a `ZipFile`.
    pub fn update_function_code(&self, name: &str, body: &Value) -> LambdaResult<Value> {
        let input: function::Code = serde_json::from_value(body.clone())
            .map_err(|e| LambdaError::InvalidRequestContent(e.to_string()))?;
        let mut rest = input.other.clone();
        let revision = rest
            .remove("RevisionId")
            .and_then(|v| v.as_str().map(String::from));
        let dry_run = rest
            .remove("DryRun")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        refuse_publish(body)?;
        rest.remove("Publish");
        rest.remove("Architectures");
        let mut record = self.record(name, None)?;
        check_revision(&record, revision.as_deref())?;
        let zip = zip_file(&function::Code {
            zip_file: input.zip_file,
            other: rest,
        })?;
        if dry_run {
            return Ok(record.configuration());
        }
        self.inner.store.install_code(&record.name, &zip)?;
        record.code_sha256 = code::sha256_b64(&zip);
        record.code_size = zip.len() as u64;
        self.commit(record)
    }

    /// UpdateFunctionConfiguration.
    pub fn update_function_configuration(
        &self,
        name: &str,
        settings: Settings,
    ) -> LambdaResult<Value> {
        let mut record = self.record(name, None)?;
        check_revision(&record, settings.revision_id.as_deref())?;
        function::check_settings(&settings, false)?;
        if let Some(runtime) = &settings.runtime {
            self.inner.runtimes.check_runtime(runtime)?;
        }
        function::apply_settings(&mut record, &settings)?;
        self.commit(record)
    }

    /// Stores an updated record with a new revision.
    pub(super) fn commit(&self, mut record: FunctionRecord) -> LambdaResult<Value> {
        record.last_modified = self.last_modified();
        record.revision_id = self.revision();
        record.environment = record.revision_id.clone();
        self.inner.store.save(&record)?;
        self.functions().insert(record.name.clone(), record.clone());
        // Lambda runs the next invocation in a new environment with the new code or
        // settings; busy environments of the old one are dropped when they finish.
        self.pool().retire(&record.name);
        Ok(record.configuration())
    }

    /// Stores a change to the function's resource policy or tags: a new revision, the
    /// same execution environments.
    pub(super) fn commit_metadata(&self, mut record: FunctionRecord) -> LambdaResult<()> {
        record.revision_id = self.revision();
        self.inner.store.save(&record)?;
        self.functions().insert(record.name.clone(), record);
        Ok(())
    }
}

fn refuse_publish(body: &Value) -> LambdaResult<()> {
    if body.get("Publish") == Some(&json!(true)) {
        return Err(LambdaError::InvalidParameterValue(
            "iot-emulator does not publish Lambda versions; only $LATEST exists".into(),
        ));
    }
    Ok(())
}

/// CreateFunction members outside the shared settings.
fn check_create_extras(input: &CreateFunction) -> LambdaResult<()> {
    if input.publish == Some(true) {
        return Err(LambdaError::InvalidParameterValue(
            "iot-emulator does not publish Lambda versions; only $LATEST exists".into(),
        ));
    }
    match input.package_type.as_deref() {
        None | Some("Zip") => Ok(()),
        Some(other) => Err(LambdaError::InvalidParameterValue(format!(
            "iot-emulator runs .zip packages only, not PackageType {other}"
        ))),
    }
}

/// The decoded `ZipFile`; S3 and container images are refused.
fn zip_file(code: &function::Code) -> LambdaResult<Vec<u8>> {
    if let Some((key, _)) = code.other.iter().find(|(_, v)| !v.is_null()) {
        return Err(LambdaError::InvalidParameterValue(format!(
            "iot-emulator takes the code as ZipFile only; {key} is not supported"
        )));
    }
    let b64 = code.zip_file.as_deref().ok_or_else(|| {
        LambdaError::InvalidParameterValue("Please provide a source for function code.".into())
    })?;
    decode_zip(b64)
}

/// `RevisionId`, when given, must be the current one.
pub(super) fn check_revision(record: &FunctionRecord, given: Option<&str>) -> LambdaResult<()> {
    match given {
        Some(r) if r != record.revision_id => Err(LambdaError::PreconditionFailed(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id".into(),
        )),
        _ => Ok(()),
    }
}
