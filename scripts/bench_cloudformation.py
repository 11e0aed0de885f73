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
            "--credentials-addr", "127.0.0.1:0", "--ws-addr", "127.0.0.1:0", "--ready-file", ready,
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


class Failed(Exception):
    pass


def timed(aws, env, work, *args):
    began = time.perf_counter()
    out = subprocess.run([aws, *args], cwd=work, env=env, capture_output=True, text=True,
                         timeout=300)
    elapsed = (time.perf_counter() - began) * 1000
    if out.returncode != 0:
        last = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
        raise Failed(f"aws {' '.join(args[:2])}: {last[0][:160]}")
    return elapsed


STACKS = [("JITP stack (6 IoT/IAM resources)", "jitp.yml"),
          ("SAM stack (function, role, rule, log group)", "packaged.yml")]


def suite(aws, env, work, runs):
    """Every row for one server: {row: [ms, ...]} or {row: "failed: ..."}."""
    rows = {}
    stacks = list(STACKS)
    try:
        # AWS needs the bucket first (the emulator would make it on upload).
        timed(aws, env, work, "s3api", "create-bucket", "--bucket", "artifacts")
        timed(aws, env, work, "cloudformation", "package", "--template-file", "functions.yml",
              "--s3-bucket", "artifacts", "--output-template-file", "packaged.yml")
    except Failed as e:
        label = STACKS[1][0]
        rows[f"deploy: {label}"] = rows[f"delete-stack + wait: {label}"] = f"failed: {e}"
        stacks = stacks[:1]
    for label, template in stacks:
        deploy, delete = f"deploy: {label}", f"delete-stack + wait: {label}"
        step = deploy
        try:
            for i in range(runs):
                stack = f"bench-{i}-{template.split('.')[0]}"
                step = deploy
                took = timed(aws, env, work, "cloudformation", "deploy", "--template-file",
                             template, "--stack-name", stack, "--capabilities", "CAPABILITY_IAM")
                rows.setdefault(deploy, []).append(took)
                step = delete
                took = (timed(aws, env, work, "cloudformation", "delete-stack", "--stack-name", stack)
                        + timed(aws, env, work, "cloudformation", "wait", "stack-delete-complete",
                                "--stack-name", stack))
                rows.setdefault(delete, []).append(took)
        except Failed as e:
            rows[step] = f"failed: {e}"
    return rows


def ours_server(binary, venv):
    """The emulator as a (name, start, stop) triple; start returns the API URL."""
    state = {}

    def begin(work):
        state["proc"], ready = start(binary, venv, work)
        return ready["api_url"]

    def end():
        state["proc"].terminate()
        state["proc"].wait()
    return "iot-emulator", begin, end


def peer_server(peer):
    def begin(_work):
        peer.start()
        return f"http://127.0.0.1:{peer.api_port}"
    return peer.name, begin, peer.stop


def run_server(server, aws, templates, runs):
    name, begin, end = server
    with tempfile.TemporaryDirectory() as work:
        for file in ["jitp.yml", "functions.yml"]:
            shutil.copy(os.path.join(templates, file), work)
        shutil.copytree(os.path.join(templates, "echo"), os.path.join(work, "echo"))
        try:
            url = begin(work)
        except Exception as e:  # a peer that fails to start is a row of failures
            return name, {"start": f"failed: {e}"}
        try:
            return name, suite(aws, aws_env(url), work, runs)
        finally:
            end()


def cell(values):
    if isinstance(values, str):
        return values
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--binary", required=True)
    p.add_argument("--venv", required=True)
    p.add_argument("--templates", required=True)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--peers-venv", help="a venv with ministack and moto (scripts/bench-venv)")
    a = p.parse_args()
    aws = os.path.join(a.venv, "bin", "aws")
    servers = [ours_server(a.binary, a.venv)]
    if a.peers_venv:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from bench_peers import Ministack, Moto
        servers += [peer_server(Ministack(a.peers_venv)), peer_server(Moto(a.peers_venv))]
    results = [run_server(s, aws, a.templates, a.runs) for s in servers]
    print(f"aws CLI wall time, {a.runs} runs each: median (min-max) ms, CLI start-up included")
    names = [name for name, _ in results]
    print(f"{'command':<62} " + " ".join(f"{n:>22}" for n in names))
    keys = []
    for _, rows in results:
        keys += [k for k in rows if k not in keys]
    notes = []
    for key in keys:
        cells = []
        for name, rows in results:
            value = rows.get(key, "-")
            if isinstance(value, str) and value.startswith("failed"):
                notes.append(f"{name}, {key}: {value}")
                value = "failed"
            cells.append(cell(value))
        print(f"{key:<62} " + " ".join(f"{c:>22}" for c in cells))
    for note in notes:
        print("  ! " + note)

if __name__ == "__main__":
    main()
