//! The S3 stand-in with real clients: boto3, `aws s3`, and `aws cloudformation package`
//! reaching it through `AWS_ENDPOINT_URL`, and objects surviving a restart.

mod common;

use std::path::Path;

use common::TestEmulator;
use iot_emulator::Config;
use serde_json::Value;

/// `aws <args>` through `AWS_ENDPOINT_URL`; its stdout, or a panic with both streams.
async fn aws_async(api_url: &str, dir: &Path, args: &[&str]) -> String {
    let out = common::aws_at_async(api_url, dir, args).await;
    assert!(
        out.success,
        "aws {args:?} failed\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    out.stdout
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_buckets_objects_listings_and_errors() {
    let emu = TestEmulator::start().await;
    let out = common::run_python_async("s3_standin.py", vec![emu.api_url().to_string()]).await;
    assert!(out.success, "s3_standin.py failed: {}", out.stderr);
    let v = out.json();
    assert_eq!(v["put_etag"], v["md5"], "{v}");
    assert_eq!(v["head_etag"], v["md5"]);
    assert_eq!(v["get_body"], "hello from the stand-in");
    assert_eq!(v["get_content_type"], "text/plain");
    assert_eq!(v["get_metadata"]["owner"], "tests");
    assert_eq!(v["get_length"], 23);
    let error = |key: &str| (v[key]["code"].clone(), v[key]["status"].clone());
    // HEAD has no body, so botocore names the error after the status.
    assert_eq!(
        error("head_missing"),
        (Value::from("404"), Value::from(404))
    );
    assert_eq!(
        error("get_missing"),
        (Value::from("NoSuchKey"), Value::from(404))
    );
    assert_eq!(
        error("get_no_bucket"),
        (Value::from("NoSuchBucket"), Value::from(404))
    );
    assert_eq!(
        error("list_no_bucket"),
        (Value::from("NoSuchBucket"), Value::from(404))
    );
    assert_eq!(
        error("head_no_bucket"),
        (Value::from("404"), Value::from(404))
    );
    assert_eq!(
        error("create_again"),
        (Value::from("BucketAlreadyOwnedByYou"), Value::from(409))
    );
    assert_eq!(
        error("bad_name"),
        (Value::from("InvalidBucketName"), Value::from(400))
    );
    assert_eq!(
        v["buckets"],
        serde_json::json!(["implicit-bucket", "made-bucket"])
    );
    assert_eq!(v["top_prefixes"], serde_json::json!(["logs/", "other/"]));
    assert_eq!(v["top_keys"], serde_json::json!([]));
    assert_eq!(v["logs_prefixes"], serde_json::json!(["logs/2026/"]));
    assert_eq!(v["logs_keys"], serde_json::json!(["logs/readme"]));
    assert_eq!(v["page_sizes"], serde_json::json!([3, 3, 1]));
    assert_eq!(v["start_after"][0], "logs/2026/05.txt");
    assert_eq!(v["sizes"]["logs/2026/06.txt"], 6);
    assert_eq!(
        error("after_delete"),
        (Value::from("404"), Value::from(404))
    );
    assert_eq!(
        error("bad_md5"),
        (Value::from("BadDigest"), Value::from(400))
    );
    assert_eq!(v["bad_md5_stored"], false);
    assert_eq!(v["odd_key"], "odd");
    assert_eq!(v["big_ok"], true);
    assert_eq!(
        error("unsupported"),
        (Value::from("NotImplemented"), Value::from(501))
    );
    emu.shutdown().await;
}

const SAM_TEMPLATE: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Hook:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hook/
      Handler: app.handler
      Runtime: python3.12
";

#[tokio::test(flavor = "multi_thread")]
async fn aws_cli_s3_commands_and_cloudformation_package() {
    let emu = TestEmulator::start().await;
    let url = emu.api_url();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::create_dir(dir.join("hook")).unwrap();
    std::fs::write(
        dir.join("hook/app.py"),
        "def handler(e, c):\n    return {}\n",
    )
    .unwrap();
    std::fs::write(dir.join("template.yml"), SAM_TEMPLATE).unwrap();
    std::fs::write(dir.join("note.txt"), "a note\n").unwrap();

    aws_async(url, dir, &["s3", "mb", "s3://cli-bucket"]).await;
    aws_async(
        url,
        dir,
        &["s3", "cp", "note.txt", "s3://cli-bucket/notes/note.txt"],
    )
    .await;
    let listing = aws_async(url, dir, &["s3", "ls", "s3://cli-bucket/notes/"]).await;
    assert!(listing.contains("note.txt"), "{listing}");
    let copy = aws_async(
        url,
        dir,
        &["s3", "cp", "s3://cli-bucket/notes/note.txt", "-"],
    )
    .await;
    assert_eq!(copy, "a note\n");
    let buckets = aws_async(url, dir, &["s3", "ls"]).await;
    assert!(buckets.contains("cli-bucket"), "{buckets}");
    // Over the CLI's 8 MB threshold `cp` uploads in parts; `rm --recursive` deletes in bulk.
    let big: Vec<u8> = (0..9 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.join("big.bin"), &big).unwrap();
    aws_async(
        url,
        dir,
        &["s3", "cp", "big.bin", "s3://cli-bucket/big.bin"],
    )
    .await;
    aws_async(
        url,
        dir,
        &["s3", "cp", "s3://cli-bucket/big.bin", "back.bin"],
    )
    .await;
    assert!(std::fs::read(dir.join("back.bin")).unwrap() == big);
    aws_async(url, dir, &["s3", "rm", "--recursive", "s3://cli-bucket/"]).await;
    aws_async(url, dir, &["s3", "rb", "s3://cli-bucket"]).await;
    let buckets = aws_async(url, dir, &["s3", "ls"]).await;
    assert!(!buckets.contains("cli-bucket"), "{buckets}");

    // `package` zips CodeUri, HEADs s3://<bucket>/<md5>, and uploads only when absent.
    let package = [
        "cloudformation",
        "package",
        "--template-file",
        "template.yml",
        "--s3-bucket",
        "artifacts",
        "--output-template-file",
        "packaged.yml",
    ];
    aws_async(url, dir, &package).await;
    let packaged = std::fs::read_to_string(dir.join("packaged.yml")).unwrap();
    let code_uri = packaged
        .lines()
        .find_map(|l| l.trim().strip_prefix("CodeUri: "))
        .expect("CodeUri in the packaged template")
        .to_string();
    assert!(code_uri.starts_with("s3://artifacts/"), "{packaged}");
    let listed = aws_async(url, dir, &["s3", "ls", "s3://artifacts/"]).await;
    let key = code_uri.trim_start_matches("s3://artifacts/");
    assert!(listed.contains(key), "{listed}");
    // The second run finds the object (HeadObject 200) and says so instead of uploading.
    aws_async(url, dir, &package).await;
    let again = std::fs::read_to_string(dir.join("packaged.yml")).unwrap();
    assert_eq!(again, packaged);
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_and_parts_survive_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    std::fs::write(dir.join("kept.txt"), "kept across restarts\n").unwrap();
    let config = || {
        let mut config = Config::for_tests();
        config.in_memory = false;
        config.data_dir = Some(data.path().to_path_buf());
        config
    };
    let emu = TestEmulator::start_with(config()).await;
    let url = emu.api_url().to_string();
    aws_async(
        &url,
        dir,
        &["s3", "cp", "kept.txt", "s3://durable/k/kept.txt"],
    )
    .await;
    aws_async(&url, dir, &["s3", "cp", "kept.txt", "s3://durable/gone"]).await;
    aws_async(&url, dir, &["s3", "rm", "s3://durable/gone"]).await;
    // An acknowledged part of an unfinished multipart upload survives too.
    let create = [
        "s3api",
        "create-multipart-upload",
        "--bucket",
        "durable",
        "--key",
        "parts",
    ];
    let upload = json(&aws_async(&url, dir, &create).await);
    let upload_id = upload["UploadId"].as_str().unwrap().to_string();
    let part = [
        "s3api",
        "upload-part",
        "--bucket",
        "durable",
        "--key",
        "parts",
        "--part-number",
        "1",
        "--body",
        "kept.txt",
        "--upload-id",
        &upload_id,
    ];
    let part = json(&aws_async(&url, dir, &part).await);
    emu.shutdown().await;

    let emu = TestEmulator::start_with(config()).await;
    let url = emu.api_url().to_string();
    let text = aws_async(&url, dir, &["s3", "cp", "s3://durable/k/kept.txt", "-"]).await;
    assert_eq!(text, "kept across restarts\n");
    let listing = aws_async(&url, dir, &["s3", "ls", "--recursive", "s3://durable/"]).await;
    assert!(!listing.contains("gone"), "{listing}");
    let parts = serde_json::json!({ "Parts": [{ "PartNumber": 1, "ETag": part["ETag"] }] });
    let parts = parts.to_string();
    let complete = [
        "s3api",
        "complete-multipart-upload",
        "--bucket",
        "durable",
        "--key",
        "parts",
        "--upload-id",
        &upload_id,
        "--multipart-upload",
        &parts,
    ];
    aws_async(&url, dir, &complete).await;
    let text = aws_async(&url, dir, &["s3", "cp", "s3://durable/parts", "-"]).await;
    assert_eq!(text, "kept across restarts\n");
    emu.shutdown().await;
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}
