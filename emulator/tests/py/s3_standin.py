"""The S3 stand-in through boto3: buckets, objects, listings, errors and checksums.

Usage: s3_standin.py API_URL. Prints one JSON object of findings; the Rust test asserts on it.
"""
import base64
import hashlib
import json
import sys

import boto3
import botocore.config
from botocore.exceptions import ClientError

url = sys.argv[1]
path_style = botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", config=path_style)
out = {}


def error_of(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return {
            "code": e.response["Error"].get("Code"),
            "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
            "message": e.response["Error"].get("Message"),
        }
    return None


# Implicit bucket on first PutObject (the walkthroughs never make one), ETag = MD5.
body = b"hello from the stand-in"
put = s3.put_object(Bucket="implicit-bucket", Key="dir/a.txt", Body=body, ContentType="text/plain",
                    Metadata={"owner": "tests"})
out["put_etag"] = put["ETag"]
out["md5"] = '"%s"' % hashlib.md5(body).hexdigest()
got = s3.get_object(Bucket="implicit-bucket", Key="dir/a.txt")
out["get_body"] = got["Body"].read().decode()
out["get_content_type"] = got["ContentType"]
out["get_metadata"] = got["Metadata"]
out["get_length"] = got["ContentLength"]
head = s3.head_object(Bucket="implicit-bucket", Key="dir/a.txt")
out["head_etag"] = head["ETag"]
out["head_missing"] = error_of(s3.head_object, Bucket="implicit-bucket", Key="missing")
out["get_missing"] = error_of(s3.get_object, Bucket="implicit-bucket", Key="missing")
out["get_no_bucket"] = error_of(s3.get_object, Bucket="no-such-bucket-here", Key="k")
out["list_no_bucket"] = error_of(s3.list_objects_v2, Bucket="no-such-bucket-here")
out["head_no_bucket"] = error_of(s3.head_bucket, Bucket="no-such-bucket-here")

# Explicit buckets.
s3.create_bucket(Bucket="made-bucket")
s3.head_bucket(Bucket="made-bucket")
out["create_again"] = error_of(s3.create_bucket, Bucket="made-bucket")
out["bad_name"] = error_of(s3.create_bucket, Bucket="Bad_Name")
out["buckets"] = [b["Name"] for b in s3.list_buckets()["Buckets"]]

# Listing: prefix, delimiter, paging with continuation tokens, StartAfter.
for i in range(7):
    s3.put_object(Bucket="made-bucket", Key=f"logs/2026/{i:02d}.txt", Body=b"x" * i)
s3.put_object(Bucket="made-bucket", Key="logs/readme", Body=b"r")
s3.put_object(Bucket="made-bucket", Key="other/z", Body=b"z")
top = s3.list_objects_v2(Bucket="made-bucket", Delimiter="/")
out["top_prefixes"] = [p["Prefix"] for p in top.get("CommonPrefixes", [])]
out["top_keys"] = [o["Key"] for o in top.get("Contents", [])]
logs = s3.list_objects_v2(Bucket="made-bucket", Prefix="logs/", Delimiter="/")
out["logs_prefixes"] = [p["Prefix"] for p in logs.get("CommonPrefixes", [])]
out["logs_keys"] = [o["Key"] for o in logs.get("Contents", [])]
pages = s3.get_paginator("list_objects_v2").paginate(Bucket="made-bucket", Prefix="logs/2026/",
                                                      PaginationConfig={"PageSize": 3})
out["page_sizes"] = [len(p.get("Contents", [])) for p in pages]
after = s3.list_objects_v2(Bucket="made-bucket", StartAfter="logs/2026/04.txt")
out["start_after"] = [o["Key"] for o in after["Contents"]]
out["sizes"] = {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket="made-bucket", Prefix="logs/2026/")["Contents"]}

# Delete: idempotent 204, then gone.
s3.delete_object(Bucket="made-bucket", Key="other/z")
s3.delete_object(Bucket="made-bucket", Key="other/z")
out["after_delete"] = error_of(s3.head_object, Bucket="made-bucket", Key="other/z")

# A wrong Content-MD5 is refused, and nothing is stored.
out["bad_md5"] = error_of(s3.put_object, Bucket="made-bucket", Key="bad", Body=b"abc",
                          ContentMD5=base64.b64encode(hashlib.md5(b"xyz").digest()).decode())
out["bad_md5_stored"] = error_of(s3.head_object, Bucket="made-bucket", Key="bad") is None

# Keys with spaces, unicode and reserved characters round-trip.
odd = "a b/ü+%&=?.txt"
s3.put_object(Bucket="made-bucket", Key=odd, Body=b"odd")
out["odd_key"] = s3.get_object(Bucket="made-bucket", Key=odd)["Body"].read().decode()

# A larger object (1 MiB) round-trips byte for byte.
big = bytes(range(256)) * 4096
s3.put_object(Bucket="made-bucket", Key="big.bin", Body=big)
out["big_ok"] = s3.get_object(Bucket="made-bucket", Key="big.bin")["Body"].read() == big

# Multipart: boto3's transfer manager splits a 12 MiB body into three 5 MiB-or-less parts.
import io
from boto3.s3.transfer import TransferConfig
large = bytes(range(256)) * (12 * 4096)
five_mib = 5 * 1024 * 1024
s3.upload_fileobj(io.BytesIO(large), "made-bucket", "large.bin",
                  Config=TransferConfig(multipart_threshold=five_mib, multipart_chunksize=five_mib))
got = s3.get_object(Bucket="made-bucket", Key="large.bin")
out["multipart_ok"] = got["Body"].read() == large
out["multipart_etag"] = got["ETag"]
parts = [hashlib.md5(large[i:i + five_mib]).digest() for i in range(0, len(large), five_mib)]
out["multipart_etag_expected"] = '"%s-%d"' % (hashlib.md5(b"".join(parts)).hexdigest(), len(parts))
upload = s3.create_multipart_upload(Bucket="made-bucket", Key="aborted")
part = s3.upload_part(Bucket="made-bucket", Key="aborted", UploadId=upload["UploadId"], PartNumber=1, Body=b"tiny")
s3.upload_part(Bucket="made-bucket", Key="aborted", UploadId=upload["UploadId"], PartNumber=2, Body=b"end")
out["too_small"] = error_of(s3.complete_multipart_upload, Bucket="made-bucket", Key="aborted",
                            UploadId=upload["UploadId"],
                            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]},
                                                       {"PartNumber": 2, "ETag": '"00000000000000000000000000000000"'}]})
s3.abort_multipart_upload(Bucket="made-bucket", Key="aborted", UploadId=upload["UploadId"])
out["aborted_missing"] = error_of(s3.head_object, Bucket="made-bucket", Key="aborted")
out["no_upload"] = error_of(s3.upload_part, Bucket="made-bucket", Key="aborted", UploadId=upload["UploadId"],
                            PartNumber=3, Body=b"x")

# DeleteObjects: several keys at once, missing ones included, as `aws s3 rm --recursive` sends.
deleted = s3.delete_objects(Bucket="made-bucket", Delete={"Objects": [{"Key": "logs/readme"}, {"Key": "never-was"}]})
out["deleted"] = sorted(d["Key"] for d in deleted.get("Deleted", []))
out["readme_gone"] = error_of(s3.head_object, Bucket="made-bucket", Key="logs/readme")
out["not_empty"] = error_of(s3.delete_bucket, Bucket="made-bucket")

# Operations the stand-in lacks are refused in S3's own shape.
out["unsupported"] = error_of(s3.get_bucket_versioning, Bucket="made-bucket")

print(json.dumps(out))
