//! Control-plane operations on job templates: CreateJobTemplate, DescribeJobTemplate,
//! ListJobTemplates and DeleteJobTemplate.

use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::error::ApiResult;
use super::extract::{empty, epoch, page_reply, paginate, AwsJson, AwsPath, AwsQuery};
use crate::registry::job::JobTemplate;
use crate::state::Emulator;

/// Routes of this resource family.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/job-templates", get(list_job_templates))
        .route(
            "/job-templates/{jobTemplateId}",
            put(create_job_template)
                .get(describe_job_template)
                .delete(delete_job_template),
        )
}

fn template_arn(emu: &Emulator, id: &str) -> String {
    emu.registry.account().arn("jobtemplate", id)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    max_results: Option<u32>,
    next_token: Option<String>,
}

fn template_json(emu: &Emulator, t: &JobTemplate) -> Value {
    let mut v = json!({
        "jobTemplateArn": template_arn(emu, &t.job_template_id),
        "jobTemplateId": t.job_template_id,
        "description": t.description,
        "createdAt": epoch(t.created_at_ms),
    });
    if let Some(d) = &t.document {
        v["document"] = json!(d);
    }
    if let Some(s) = &t.document_source {
        v["documentSource"] = json!(s);
    }
    for (name, block) in &t.config {
        v[name.as_str()] = block.clone();
    }
    v
}

async fn create_job_template(
    State(emu): State<Emulator>,
    AwsPath(id): AwsPath<String>,
    AwsJson(body): AwsJson<Map<String, Value>>,
) -> ApiResult<Json<Value>> {
    let t = emu.jobs.create_template(&id, &body)?;
    let arn = template_arn(&emu, &t.job_template_id);
    Ok(Json(
        json!({ "jobTemplateArn": arn, "jobTemplateId": t.job_template_id }),
    ))
}

async fn describe_job_template(
    State(emu): State<Emulator>,
    AwsPath(id): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    let t = emu.jobs.describe_template(&id)?;
    Ok(Json(template_json(&emu, &t)))
}

async fn list_job_templates(
    State(emu): State<Emulator>,
    AwsQuery(q): AwsQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let all = emu.jobs.list_templates();
    let (page, next) = paginate(all, q.next_token.as_deref(), q.max_results)?;
    let items: Vec<Value> = page
        .iter()
        .map(|t| {
            json!({
                "jobTemplateArn": template_arn(&emu, &t.job_template_id),
                "jobTemplateId": t.job_template_id,
                "description": t.description,
                "createdAt": epoch(t.created_at_ms),
            })
        })
        .collect();
    Ok(page_reply("jobTemplates", items, "nextToken", next))
}

async fn delete_job_template(
    State(emu): State<Emulator>,
    AwsPath(id): AwsPath<String>,
) -> ApiResult<Json<Value>> {
    emu.jobs.delete_template(&id)?;
    Ok(empty())
}
