"""Times `aws cloudformation deploy` / `delete-stack` against a fresh emulator; see
scripts/bench-cloudformation. Prints one row per command: min, median and max wall time."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def start(binary, venv, work):
    ready = os.path.join(work, "ready.json")
    args = [binary, "--in-memory", "--api-addr", "127.0.0.1:0", "--mqtt-addr", "127.0.0.1:0",
            "--credentials-addr", "127.0.0.1:0", "--ready-file", ready,
            "--lambda-runtime", f"python3.12={venv}/bin/python"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        if os.path.exists(ready) and os.path.getsize(ready) > 0:
            with open(ready) as f:
                return proc, json.load(f)
        if proc.poll() is not None:
            sys.exit("the emulator exited before it was ready")
        time.sleep(0.05)
    sys.exit("the emulator did not become ready")


def aws_env(api_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="AKIAEMULATOR000000001", AWS_SECRET_ACCESS_KEY="emulator-secret",
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true",
               AWS_PAGER="", AWS_ENDPOINT_URL=api_url)
    return env


def timed(aws, env, work, *args):
    began = time.perf_counter()
    out = subprocess.run([aws, *args], cwd=work, env=env, capture_output=True, text=True)
    elapsed = (time.perf_counter() - began) * 1000
    if out.returncode != 0:
        sys.exit(f"aws {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
    return elapsed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--venv", required=True)
    p.add_argument("--templates", required=True)
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    aws = os.path.join(a.venv, "bin", "aws")
    rows = {}
    with tempfile.TemporaryDirectory() as work:
        for name in ["jitp.yml", "functions.yml"]:
            shutil.copy(os.path.join(a.templates, name), work)
        shutil.copytree(os.path.join(a.templates, "echo"), os.path.join(work, "echo"))
        proc, ready = start(a.binary, a.venv, work)
        env = aws_env(ready["api_url"])
        try:
            timed(aws, env, work, "cloudformation", "package", "--template-file", "functions.yml",
                  "--s3-bucket", "artifacts", "--output-template-file", "packaged.yml")
            for i in range(a.runs):
                for label, template in [("JITP stack (6 IoT/IAM resources)", "jitp.yml"),
                                        ("SAM stack (function, role, rule, log group)", "packaged.yml")]:
                    stack = f"bench-{i}-{template.split('.')[0]}"
                    rows.setdefault(f"deploy: {label}", []).append(timed(
                        aws, env, work, "cloudformation", "deploy", "--template-file", template,
                        "--stack-name", stack, "--capabilities", "CAPABILITY_IAM"))
                    rows.setdefault(f"delete-stack + wait: {label}", []).append(
                        timed(aws, env, work, "cloudformation", "delete-stack", "--stack-name", stack)
                        + timed(aws, env, work, "cloudformation", "wait", "stack-delete-complete",
                                "--stack-name", stack))
        finally:
            proc.terminate()
            proc.wait()
    print(f"aws CLI wall time, {a.runs} runs each (ms; CLI start-up included)")
    print(f"{'command':<62} {'min':>7} {'median':>7} {'max':>7}")
    for row, values in rows.items():
        print(f"{row:<62} {min(values):>7.0f} {statistics.median(values):>7.0f} {max(values):>7.0f}")


if __name__ == "__main__":
    main()
