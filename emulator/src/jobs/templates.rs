//! Job templates: CreateJobTemplate (from a document, a documentSource or an existing
//! job), DescribeJobTemplate, ListJobTemplates, DeleteJobTemplate, and what CreateJob
//! with `jobTemplateArn` inherits.

use serde_json::{Map, Value};

use super::control::{check_description, check_document, check_id, config_blocks, CreateJob};
use super::Jobs;
use crate::registry::job::JobTemplate;
use crate::registry::{ErrorKind, IotError, IotResult};

fn template_not_found(id: &str) -> IotError {
    IotError::not_found(format!("Job template {id} does not exist"))
}

impl Jobs {
    /// CreateJobTemplate; `ConflictException` when the id is taken.
    pub fn create_template(&self, id: &str, body: &Map<String, Value>) -> IotResult<JobTemplate> {
        check_id("jobTemplateId", id)?;
        let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::to_string);
        let description =
            text("description").ok_or_else(|| IotError::invalid("description is required"))?;
        check_description(Some(&description))?;
        let mut config = config_blocks(body)?;
        let (mut document, mut document_source) = (text("document"), text("documentSource"));
        let given = (
            document.is_some(),
            document_source.is_some(),
            text("jobArn"),
        );
        match given {
            (true, false, None) => {
                let text = document.as_deref().unwrap_or_default();
                check_document(text)?;
                super::presign::check_document(text, &config)?;
            }
            (false, true, None) => {}
            (false, false, Some(arn)) => {
                let job = self.job_of_arn(&arn)?;
                (document, document_source) = (Some(job.document), job.document_source);
                for (k, v) in job.config {
                    config.entry(k).or_insert(v);
                }
            }
            _ => {
                return Err(IotError::invalid(
                    "Specify exactly one of document, documentSource and jobArn",
                ))
            }
        }
        let template = JobTemplate {
            job_template_id: id.to_string(),
            description,
            document,
            document_source,
            created_at_ms: self.registry.clock().now_ms(),
            config,
        };
        if !self.registry.insert_job_template(template.clone())? {
            let message = format!("Job template {id} already exists");
            return Err(IotError::new(ErrorKind::Conflict, message));
        }
        Ok(template)
    }

    fn job_of_arn(&self, arn: &str) -> IotResult<crate::registry::job::Job> {
        match self.registry.account().parse_arn(arn) {
            Some(("job", id)) => self
                .registry
                .job(id)
                .ok_or_else(|| IotError::not_found(format!("Job {id} does not exist"))),
            _ => Err(IotError::invalid(format!("{arn} is not a job ARN"))),
        }
    }

    /// DescribeJobTemplate.
    pub fn describe_template(&self, id: &str) -> IotResult<JobTemplate> {
        check_id("jobTemplateId", id)?;
        self.registry
            .job_template(id)
            .ok_or_else(|| template_not_found(id))
    }

    /// ListJobTemplates, by id.
    pub fn list_templates(&self) -> Vec<JobTemplate> {
        self.registry.job_templates()
    }

    /// DeleteJobTemplate.
    pub fn delete_template(&self, id: &str) -> IotResult<()> {
        check_id("jobTemplateId", id)?;
        match self.registry.remove_job_template(id)? {
            true => Ok(()),
            false => Err(template_not_found(id)),
        }
    }

    /// CreateJob's input with everything it leaves unset taken from its template.
    pub(super) fn with_template(&self, mut input: CreateJob) -> IotResult<CreateJob> {
        let Some(arn) = input.job_template_arn.clone() else {
            return Ok(input);
        };
        let id = match self.registry.account().parse_arn(&arn) {
            Some(("jobtemplate", id)) => id.to_string(),
            _ => {
                return Err(IotError::invalid(format!(
                    "{arn} is not a job template ARN"
                )))
            }
        };
        let template = self.describe_template(&id)?;
        if input.document.is_none() && input.document_source.is_none() {
            input.document = template.document;
            input.document_source = template.document_source;
        }
        if input.description.is_none() {
            input.description = Some(template.description);
        }
        for (k, v) in template.config {
            input.rest.entry(k).or_insert(v);
        }
        Ok(input)
    }
}
