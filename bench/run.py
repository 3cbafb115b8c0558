#!/usr/bin/env python3
"""gradual's benchmark: `make bench`.

For templates of 1, 10, 100, 200 and 500 functions, and the largest that still fits in
CloudFormation's 1 MB, each with and without DeploymentPreference, it measures
  1. the transform in process (parse + transform + serialise; median of many runs),
  2. the floor: serde_json parsing and serialising the same template in process,
  3. the `gradual` CLI as a whole process,
  4. aws-sam-translator on the SAM-equivalent template, in process and as a whole process,
  5. peak RSS of the CLI and of the macro binary (a real lambda_runtime process, fed through
     a local Lambda Runtime API) on the largest template,
then prints a table and writes bench/results.json.

usage: run.py [--quick]   (--quick: fewer runs, for a smoke test of the harness)"""

import argparse
import copy
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "target" / "release"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
MAX_TEMPLATE_BYTES = 1_000_000
SIZES = [1, 10, 100, 200, 500]


def function(i, with_preference, sam):
    properties = {
        "Handler": "app.handler",
        "Runtime": "python3.12",
        "Role": {"Ref": "ExecutionRoleArn"},
        "MemorySize": 512,
        "Timeout": 10,
        "Environment": {"Variables": {"STAGE": {"Ref": "Stage"}, "TABLE": {"Fn::Sub": f"${{Stage}}-table-{i}"}}},
        "AutoPublishAlias": "live",
    }
    if sam:
        properties["CodeUri"] = f"s3://artifacts/fn{i}.zip"
        properties["Tags"] = {"team": "bench"}
    else:
        properties["Code"] = {"S3Bucket": "artifacts", "S3Key": f"fn{i}.zip"}
        properties["Tags"] = [{"Key": "team", "Value": "bench"}]
    if with_preference:
        properties["DeploymentPreference"] = {
            "Type": "Canary10Percent5Minutes",
            "Alarms": [f"fn{i}-errors"],
            "Hooks": {"PreTraffic": {"Ref": "PreTrafficHook"}},
        }
    kind = "AWS::Serverless::Function" if sam else "AWS::Lambda::Function"
    return {"Type": kind, "Properties": properties}


def template(count, with_preference, sam=False):
    resources = {f"Fn{i:04d}": function(i, with_preference, sam) for i in range(count)}
    hook = function(count, False, sam)
    hook["Properties"].pop("AutoPublishAlias")
    if sam:
        hook["Properties"]["DeploymentPreference"] = {"Enabled": False}
    resources["PreTrafficHook"] = hook
    body = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "Stage": {"Type": "String", "Default": "prod"},
            "ExecutionRoleArn": {"Type": "String", "Default": "arn:aws:iam::123456789012:role/lambda"},
        },
        "Resources": resources,
    }
    if sam:
        body["Transform"] = "AWS::Serverless-2016-10-31"
    return body


def largest_fitting(with_preference):
    low, high = 1, 4000
    while low < high:
        middle = (low + high + 1) // 2
        if len(json.dumps(template(middle, with_preference))) <= MAX_TEMPLATE_BYTES:
            low = middle
        else:
            high = middle - 1
    return low


def timed_runs(command, runs, allowed=(0,)):
    """Median and minimum wall time of `runs` runs. `allowed` exit codes: the CLI reports a
    template over CloudFormation's 500-resource limit with status 1 after doing all the work
    but the printing."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
        if result.returncode not in allowed:
            raise RuntimeError(f"{command} exited {result.returncode}")
    return statistics.median(times), min(times)


def peak_rss_kib(command):
    """Peak resident set of one run of `command`, from the kernel's rusage for that child."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{command} exited {status}")
    return usage.ru_maxrss


SAM_IN_PROCESS = r"""
import copy, json, logging, os, statistics, sys, time
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
logging.disable(logging.CRITICAL)
from samtranslator.translator.transform import transform
class Loader:
    def load(self): return {}
template = json.load(open(sys.argv[1]))
runs = int(sys.argv[2])
transform(copy.deepcopy(template), {}, Loader())
times = []
for _ in range(runs):
    fresh = copy.deepcopy(template)
    start = time.perf_counter()
    transform(fresh, {}, Loader())
    times.append(time.perf_counter() - start)
print(json.dumps({"median_s": statistics.median(times), "min_s": min(times)}))
"""

SAM_ONCE = r"""
import json, logging, os, sys
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
logging.disable(logging.CRITICAL)
from samtranslator.translator.transform import transform
class Loader:
    def load(self): return {}
json.dump(transform(json.load(open(sys.argv[1])), {}, Loader()), open(os.devnull, "w"))
"""


class RuntimeApi:
    """Just enough of the Lambda Runtime API to hand the macro binary one event and take its
    answer, so the real binary, built as it ships, runs outside Lambda."""

    def __init__(self, event):
        self.event = json.dumps(event).encode()
        self.response = None
        self.answered = threading.Event()
        self.served = False
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if api.served:
                    api.answered.wait()
                    time.sleep(3600)  # the binary waits here for its next event; we kill it
                api.served = True
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-1")
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 600_000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:gradual-macro")
                self.send_header("Content-Length", str(len(api.event)))
                self.end_headers()
                self.wfile.write(api.event)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                api.response = self.rfile.read(length)
                self.send_response(202)
                self.end_headers()
                api.answered.set()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def address(self):
        return f"127.0.0.1:{self.server.server_address[1]}"


def macro_peak(binary, fragment):
    event = {"region": "us-east-1", "accountId": "123456789012", "fragment": fragment, "transformId": "123456789012::Gradual",
             "params": {}, "requestId": "bench-1", "templateParameterValues": {}}
    api = RuntimeApi(event)
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=api.address, AWS_LAMBDA_FUNCTION_NAME="gradual-macro",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               AWS_LAMBDA_LOG_STREAM_NAME="bench", AWS_LAMBDA_LOG_GROUP_NAME="bench", AWS_REGION="us-east-1")
    start = time.perf_counter()
    process = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not api.answered.wait(120):
            raise RuntimeError("the macro binary did not answer")
        elapsed = time.perf_counter() - start
        status = Path(f"/proc/{process.pid}/status").read_text()
        peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    finally:
        process.kill()
        process.wait()
        api.server.shutdown()
    answer = json.loads(api.response)
    return {"peak_rss_kib": peak, "first_invoke_s": elapsed, "status": answer.get("status"),
            "error": answer.get("errorMessage")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    print("building release binaries ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gradual-cli", "-p", "gradual-bench", "-p", "gradual-macro"],
                   cwd=ROOT, check=True)
    workdir = Path(tempfile.mkdtemp(prefix="gradual-bench-"))
    rows = []
    for with_preference in (True, False):
        sizes = SIZES + [largest_fitting(with_preference)]
        for count in sizes:
            path = workdir / f"t{count}-{int(with_preference)}.json"
            sam_path = workdir / f"sam{count}-{int(with_preference)}.json"
            path.write_text(json.dumps(template(count, with_preference)))
            sam_path.write_text(json.dumps(template(count, with_preference, sam=True)))
            runs = 5 if args.quick else max(15, min(300, 30000 // max(count, 1)))
            inproc = json.loads(subprocess.run([str(RELEASE / "gradual-bench"), str(path), str(runs)],
                                               capture_output=True, text=True, check=True).stdout)
            cli = [str(RELEASE / "gradual"), "transform", str(path), "--format", "json"]
            cli_median, cli_min = timed_runs(cli, 3 if args.quick else 15, allowed=(0, 1))
            sam_runs = 2 if args.quick else (10 if count <= 200 else 3)
            sam_inproc = json.loads(subprocess.run([str(VENV_PYTHON), "-c", SAM_IN_PROCESS, str(sam_path), str(sam_runs)],
                                                   capture_output=True, text=True, check=True).stdout)
            sam_median, sam_min = timed_runs([str(VENV_PYTHON), "-c", SAM_ONCE, str(sam_path)], 2 if args.quick else 5)
            row = {
                "functions": count,
                "deployment_preference": with_preference,
                "input_bytes": inproc["input_bytes"],
                "output_bytes": inproc["output_bytes"],
                "gradual_in_process_ms": inproc["gradual_median_ns"] / 1e6,
                "floor_in_process_ms": inproc["floor_median_ns"] / 1e6,
                "transform_only_ms": inproc["transform_only_median_ns"] / 1e6,
                "cli_process_ms": cli_median * 1e3,
                "sam_in_process_ms": sam_inproc["median_s"] * 1e3,
                "sam_process_ms": sam_median * 1e3,
            }
            row["gradual_over_floor"] = row["gradual_in_process_ms"] / row["floor_in_process_ms"]
            row["sam_over_gradual_in_process"] = row["sam_in_process_ms"] / row["gradual_in_process_ms"]
            row["sam_over_transform_only"] = row["sam_in_process_ms"] / row["transform_only_ms"]
            row["sam_over_gradual_process"] = row["sam_process_ms"] / row["cli_process_ms"]
            row["gradual_us_per_function"] = row["gradual_in_process_ms"] * 1e3 / count
            rows.append(row)
            print(f"  {count:5d} functions, DeploymentPreference={with_preference}: "
                  f"gradual {row['gradual_in_process_ms']:.3f} ms, floor {row['floor_in_process_ms']:.3f} ms, "
                  f"SAM {row['sam_in_process_ms']:.1f} ms", flush=True)
    largest = max((r for r in rows if r["deployment_preference"]), key=lambda r: r["functions"])
    largest_path = workdir / f"t{largest['functions']}-1.json"
    memory = {
        "functions": largest["functions"],
        "cli_peak_rss_kib": peak_rss_kib([str(RELEASE / "gradual"), "transform", str(largest_path), "--format", "json"]),
        "macro": macro_peak(RELEASE / "gradual-macro", json.loads(largest_path.read_text())),
    }
    results = {
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "kernel": platform.release()},
        "rows": rows,
        "memory": memory,
    }
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nwrote {out.relative_to(ROOT)}")


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def print_table(results):
    print(f"\nmachine: {results['machine']['cpu']}, {results['machine']['cores']} cores")
    header = ("| functions | DP | input KB | gradual in-process ms | floor ms | gradual/floor | µs per function "
              "| transform alone ms | CLI process ms | SAM in-process ms | SAM/gradual (in-process) "
              "| SAM/transform alone | SAM process ms | SAM/gradual (process) |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for r in results["rows"]:
        print(f"| {r['functions']} | {'yes' if r['deployment_preference'] else 'no'} | {r['input_bytes'] / 1000:.0f} "
              f"| {r['gradual_in_process_ms']:.3f} | {r['floor_in_process_ms']:.3f} | {r['gradual_over_floor']:.2f} "
              f"| {r['gradual_us_per_function']:.1f} | {r['transform_only_ms']:.3f} | {r['cli_process_ms']:.1f} "
              f"| {r['sam_in_process_ms']:.1f} | {r['sam_over_gradual_in_process']:.0f}× | {r['sam_over_transform_only']:.0f}× "
              f"| {r['sam_process_ms']:.0f} | {r['sam_over_gradual_process']:.0f}× |")
    m = results["memory"]
    print(f"\npeak RSS on the largest template ({m['functions']} functions with DeploymentPreference): "
          f"CLI {m['cli_peak_rss_kib'] / 1024:.1f} MiB, macro {m['macro']['peak_rss_kib'] / 1024:.1f} MiB "
          f"(macro answered {m['macro']['status']} in {m['macro']['first_invoke_s'] * 1e3:.0f} ms from process start)")


if __name__ == "__main__":
    sys.exit(main())
