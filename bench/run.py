#!/usr/bin/env python3
"""gradual's benchmark: `make bench`.

For templates of 1 to 500 functions, and the largest that still fits in CloudFormation's 1 MB,
each with and without DeploymentPreference, it measures
  1. the transform in process (parse + transform + serialise; median of many runs),
  2. the floor: serde_json parsing and serialising the same template in process,
  3. the `gradual` CLI as a whole process, JSON and YAML out, beside the floor process
     (`gradual __floor`: the same binary reading, parsing and writing the template back),
  4. aws-sam-translator on the SAM-equivalent template, in process and as a whole process,
then, where valgrind is installed, the instructions of those processes (the machine is shared,
so instruction counts are what decides an optimisation; wall clock is reported beside them),
  5. peak RSS of the CLI and of the macro binary on the largest template,
  6. cold starts, from process start to the first response through a local Lambda Runtime API:
     the macro on a 95-function template, and each hook to its report against the hooks' local
     AWS endpoint (bench/src/bin/fake_aws.rs),
  7. stripped sizes of the Lambda binaries for arm64 and x86_64 (`cargo lambda build`),
then prints the tables and writes bench/results.json.

usage: run.py [--quick] [--no-sizes]
  --quick     fewer runs, for a smoke test of the harness
  --no-sizes  skip the cargo lambda builds (slow the first time: the AWS SDK for two targets)"""

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
# Where cargo puts the release binaries: CARGO_TARGET_DIR, as cargo itself reads it.
RELEASE = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
MAX_TEMPLATE_BYTES = 1_000_000
SIZES = [1, 10, 20, 40, 95, 200, 500]
# The issue-16 headline size: a stack of 95 functions, each with DeploymentPreference.
HEADLINE = 95
COLD_STARTS = 10


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


def interleaved_medians(commands, runs, allowed=(0, 1)):
    """Median wall seconds of each named command, run round-robin so that the noise of a shared
    machine falls on all of them alike. Output goes to a pipe that is drained, as a shell
    pipeline would take it."""
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
            times[name].append(time.perf_counter() - start)
            if result.returncode not in allowed:
                raise RuntimeError(f"{command} exited {result.returncode}")
    return {name: statistics.median(values) for name, values in times.items()}


def instructions(command):
    """Instructions the process executes, counted by callgrind (None without valgrind)."""
    try:
        result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    except FileNotFoundError:
        return None
    for line in result.stderr.splitlines():
        if "Collected :" in line:
            return int(line.split(":")[-1].strip())
    return None


def in_process_instructions(path, which):
    """Instructions of one in-process iteration of `which` (gradual or floor):
    the difference between 3 iterations and 1, so process start and reading the file cancel."""
    bench = str(RELEASE / "gradual-bench")
    one = instructions([bench, str(path), "1", which])
    three = instructions([bench, str(path), "3", which])
    if one is None or three is None:
        return None
    return (three - one) // 2


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
    """Just enough of the Lambda Runtime API to hand a Lambda binary one event and take its
    answer, so the real binary, built as it ships, runs outside Lambda."""

    def __init__(self, event, function_name):
        self.event = json.dumps(event).encode()
        self.function_name = function_name
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
                self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                 f"arn:aws:lambda:us-east-1:123456789012:function:{api.function_name}")
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


def cold_start(binary, event, function_name, extra_env=None):
    """One fresh process of a Lambda binary: wall time from its start to its first response
    reaching the Runtime API, its peak RSS by then, and the response."""
    api = RuntimeApi(event, function_name)
    # HOME without ~/.aws: a Lambda execution environment has no profile files either.
    home = tempfile.mkdtemp(prefix="gradual-bench-home-")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "AWS_LAMBDA_RUNTIME_API": api.address,
           "AWS_LAMBDA_FUNCTION_NAME": function_name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
           "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
           "AWS_LAMBDA_LOG_GROUP_NAME": "bench", "AWS_REGION": "us-east-1", **(extra_env or {})}
    start = time.perf_counter()
    process = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not api.answered.wait(120):
            raise RuntimeError(f"{binary} did not answer")
        elapsed = time.perf_counter() - start
        status = Path(f"/proc/{process.pid}/status").read_text()
        peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    finally:
        process.kill()
        process.wait()
        api.server.shutdown()
    return {"elapsed_s": elapsed, "peak_rss_kib": peak, "response": json.loads(api.response)}


def macro_event(fragment):
    return {"region": "us-east-1", "accountId": "123456789012", "fragment": fragment,
            "transformId": "123456789012::Gradual", "params": {}, "requestId": "bench-1",
            "templateParameterValues": {}}


def macro_peak(binary, fragment):
    run = cold_start(binary, macro_event(fragment), "gradual-macro")
    return {"peak_rss_kib": run["peak_rss_kib"], "first_invoke_s": run["elapsed_s"],
            "status": run["response"].get("status"), "error": run["response"].get("errorMessage")}


def macro_cold_starts(binary, fragment, runs):
    times, statuses = [], set()
    for _ in range(runs):
        run = cold_start(binary, macro_event(fragment), "gradual-macro")
        times.append(run["elapsed_s"])
        statuses.add(run["response"].get("status"))
    if statuses != {"success"}:
        raise RuntimeError(f"the macro answered {statuses}")
    return {"median_ms": statistics.median(times) * 1e3, "min_ms": min(times) * 1e3, "runs": runs}


HOOKS = {"pre_traffic": ("gradual-pre-traffic", "pre-hook", "d-pre"),
         "post_traffic": ("gradual-post-traffic", "post-hook", "d-post")}


def hook_cold_starts(runs):
    """Each hook binary, fresh process per run, from start to its answer to the Runtime API
    (which comes after its report to CodeDeploy), against the local AWS endpoint."""
    aws = subprocess.Popen([str(RELEASE / "gradual-bench-aws")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
    results = {}
    try:
        endpoint = aws.stdout.readline().strip()
        credentials = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
                       "AWS_SESSION_TOKEN": "bench"}
        for name, (binary, function_name, deployment) in HOOKS.items():
            times = []
            for i in range(runs):
                event = {"DeploymentId": deployment, "LifecycleEventHookExecutionId": f"exec-{name}-{i}"}
                run = cold_start(RELEASE / binary, event, function_name, credentials)
                if run["response"].get("status") != "Succeeded":
                    raise RuntimeError(f"{binary} answered {run['response']}")
                times.append(run["elapsed_s"])
            results[name] = {"median_ms": statistics.median(times) * 1e3, "min_ms": min(times) * 1e3, "runs": runs}
    finally:
        summary, _ = aws.communicate(timeout=60)
    seen = json.loads(summary.strip().splitlines()[-1])
    if seen["violations"] or seen["reports"] != ["Succeeded"] * (runs * len(HOOKS)):
        raise RuntimeError(f"the local AWS endpoint saw {seen}")
    return results


LAMBDA_BINS = ["gradual-macro", "gradual-pre-traffic", "gradual-post-traffic"]


def lambda_sizes():
    """Stripped sizes of the Lambda binaries as `cargo lambda build --release` ships them."""
    sizes = {}
    bins = [arg for name in LAMBDA_BINS for arg in ("--bin", name)]
    env = dict(os.environ, PATH=f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}")
    for arch, flag in (("x86_64", "--x86-64"), ("arm64", "--arm64")):
        build = subprocess.run(["cargo", "lambda", "build", "--release", flag, *bins], cwd=ROOT, env=env, check=False)
        if build.returncode != 0:
            sizes[arch] = None
            continue
        sizes[arch] = {name: (RELEASE.parent / "lambda" / name / "bootstrap").stat().st_size for name in LAMBDA_BINS}
    return sizes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-sizes", action="store_true")
    args = parser.parse_args()
    print("building release binaries ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "-p", "gradual-cli", "-p", "gradual-bench", "-p", "gradual-macro",
                    "-p", "gradual-hook-lambdas", "--features", "gradual-bench/hooks"], cwd=ROOT, check=True)
    workdir = Path(tempfile.mkdtemp(prefix="gradual-bench-"))
    gradual = str(RELEASE / "gradual")
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
            processes = interleaved_medians({
                "json": [gradual, "transform", str(path), "--format", "json"],
                "yaml": [gradual, "transform", str(path), "--format", "yaml"],
                "floor": [gradual, "__floor", str(path)],
            }, 3 if args.quick else 15)
            sam_runs = 2 if args.quick else (10 if count <= 200 else 3)
            sam_inproc = json.loads(subprocess.run([str(VENV_PYTHON), "-c", SAM_IN_PROCESS, str(sam_path), str(sam_runs)],
                                                   capture_output=True, text=True, check=True).stdout)
            sam_median, _ = timed_runs([str(VENV_PYTHON), "-c", SAM_ONCE, str(sam_path)], 2 if args.quick else 5)
            row = {
                "functions": count,
                "deployment_preference": with_preference,
                "input_bytes": inproc["input_bytes"],
                "output_bytes": inproc["output_bytes"],
                "gradual_in_process_ms": inproc["gradual_median_ns"] / 1e6,
                "floor_in_process_ms": inproc["floor_median_ns"] / 1e6,
                "transform_only_ms": inproc["transform_only_median_ns"] / 1e6,
                "cli_process_ms": processes["json"] * 1e3,
                "cli_yaml_process_ms": processes["yaml"] * 1e3,
                "floor_process_ms": processes["floor"] * 1e3,
                "sam_in_process_ms": sam_inproc["median_s"] * 1e3,
                "sam_process_ms": sam_median * 1e3,
            }
            row["gradual_over_floor"] = row["gradual_in_process_ms"] / row["floor_in_process_ms"]
            row["cli_over_floor_process"] = row["cli_process_ms"] / row["floor_process_ms"]
            row["sam_over_gradual_in_process"] = row["sam_in_process_ms"] / row["gradual_in_process_ms"]
            row["sam_over_transform_only"] = row["sam_in_process_ms"] / row["transform_only_ms"]
            row["sam_over_gradual_process"] = row["sam_process_ms"] / row["cli_process_ms"]
            row["gradual_us_per_function"] = row["gradual_in_process_ms"] * 1e3 / count
            row["cli_us_per_function"] = row["cli_process_ms"] * 1e3 / count
            if with_preference and count >= 10:
                # Per-function cost in instructions: flatness judged without the machine's noise.
                counted = in_process_instructions(path, "gradual")
                row["gradual_instructions_per_function"] = counted / count if counted else None
            if with_preference and (count == HEADLINE or count == sizes[-1]):
                row["instructions"] = {
                    "cli_json": instructions([gradual, "transform", str(path), "--format", "json"]),
                    "cli_yaml": instructions([gradual, "transform", str(path), "--format", "yaml"]),
                    "floor_process": instructions([gradual, "__floor", str(path)]),
                    "gradual_in_process": in_process_instructions(path, "gradual"),
                    "floor_in_process": in_process_instructions(path, "floor"),
                }
            rows.append(row)
            print(f"  {count:5d} functions, DeploymentPreference={with_preference}: "
                  f"gradual {row['gradual_in_process_ms']:.3f} ms, floor {row['floor_in_process_ms']:.3f} ms, "
                  f"CLI {row['cli_process_ms']:.1f} ms (floor process {row['floor_process_ms']:.1f} ms), "
                  f"SAM {row['sam_in_process_ms']:.1f} ms", flush=True)
    largest = max((r for r in rows if r["deployment_preference"]), key=lambda r: r["functions"])
    largest_path = workdir / f"t{largest['functions']}-1.json"
    memory = {
        "functions": largest["functions"],
        "cli_peak_rss_kib": peak_rss_kib([gradual, "transform", str(largest_path), "--format", "json"]),
        "macro": macro_peak(RELEASE / "gradual-macro", json.loads(largest_path.read_text())),
    }
    print("cold starts ...", flush=True)
    cold_runs = 3 if args.quick else COLD_STARTS
    headline_path = workdir / f"t{HEADLINE}-1.json"
    cold = {"macro": {"functions": HEADLINE,
                      **macro_cold_starts(RELEASE / "gradual-macro", json.loads(headline_path.read_text()), cold_runs)},
            **hook_cold_starts(cold_runs)}
    results = {
        "machine": {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
                    "kernel": platform.release(), "load_average": os.getloadavg()},
        "rows": rows,
        "memory": memory,
        "cold_starts": cold,
    }
    if not args.no_sizes:
        print("cargo lambda build, x86_64 and arm64 ...", flush=True)
        results["lambda_sizes_bytes"] = lambda_sizes()
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
    machine = results["machine"]
    print(f"\nmachine: {machine['cpu']}, {machine['cores']} cores, load average {machine['load_average'][0]:.1f}")
    header = ("| functions | DP | input KB | gradual in-process ms | floor ms | gradual/floor | µs per function "
              "| transform alone ms | CLI JSON process ms | CLI YAML process ms | floor process ms | CLI/floor (process) "
              "| SAM in-process ms | SAM/gradual (in-process) | SAM process ms | SAM/gradual (process) |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for r in results["rows"]:
        print(f"| {r['functions']} | {'yes' if r['deployment_preference'] else 'no'} | {r['input_bytes'] / 1000:.0f} "
              f"| {r['gradual_in_process_ms']:.3f} | {r['floor_in_process_ms']:.3f} | {r['gradual_over_floor']:.2f} "
              f"| {r['gradual_us_per_function']:.1f} | {r['transform_only_ms']:.3f} | {r['cli_process_ms']:.1f} "
              f"| {r['cli_yaml_process_ms']:.1f} | {r['floor_process_ms']:.1f} | {r['cli_over_floor_process']:.2f} "
              f"| {r['sam_in_process_ms']:.1f} | {r['sam_over_gradual_in_process']:.0f}× "
              f"| {r['sam_process_ms']:.0f} | {r['sam_over_gradual_process']:.0f}× |")
    counted = [r for r in results["rows"] if "instructions" in r]
    if counted and all(r["instructions"]["cli_json"] for r in counted):
        print("\ninstructions (callgrind, millions), DeploymentPreference on every function:")
        print("| functions | CLI JSON | CLI YAML | floor process | CLI/floor (process) | gradual in-process "
              "| floor in-process | gradual/floor (in-process) |")
        print("|---|---|---|---|---|---|---|---|")
        for r in counted:
            i = r["instructions"]
            print(f"| {r['functions']} | {i['cli_json'] / 1e6:.1f} | {i['cli_yaml'] / 1e6:.1f} | {i['floor_process'] / 1e6:.1f} "
                  f"| {i['cli_json'] / i['floor_process']:.2f} | {i['gradual_in_process'] / 1e6:.1f} "
                  f"| {i['floor_in_process'] / 1e6:.1f} | {i['gradual_in_process'] / i['floor_in_process']:.2f} |")
    for preference in (True, False):
        per = [r for r in results["rows"] if r["deployment_preference"] == preference and r["functions"] >= 10]
        if per:
            values = [r["gradual_us_per_function"] for r in per]
            cli = [r["cli_us_per_function"] for r in per]
            counted = [r["gradual_instructions_per_function"] for r in per if r.get("gradual_instructions_per_function")]
            if counted:
                print(f"\nthousand instructions per function in process, DeploymentPreference=yes, "
                      f"{per[0]['functions']} to {per[-1]['functions']} functions: "
                      + ", ".join(f"{v / 1e3:.0f}" for v in counted) + f" (max/min {max(counted) / min(counted):.2f})")
            print(f"\nµs per function, DeploymentPreference={'yes' if preference else 'no'}, "
                  f"{per[0]['functions']} to {per[-1]['functions']} functions: in process "
                  + ", ".join(f"{v:.0f}" for v in values) + f" (max/min {max(values) / min(values):.2f}); "
                  "CLI process " + ", ".join(f"{v:.0f}" for v in cli) + f" (max/min {max(cli) / min(cli):.2f})")
    m = results["memory"]
    print(f"\npeak RSS on the largest template ({m['functions']} functions with DeploymentPreference): "
          f"CLI {m['cli_peak_rss_kib'] / 1024:.1f} MiB, macro {m['macro']['peak_rss_kib'] / 1024:.1f} MiB "
          f"(macro answered {m['macro']['status']} in {m['macro']['first_invoke_s'] * 1e3:.0f} ms from process start)")
    c = results["cold_starts"]
    print(f"\ncold starts, process start to first response through a local Runtime API (median of {c['macro']['runs']}): "
          f"macro on {c['macro']['functions']} functions {c['macro']['median_ms']:.1f} ms; "
          f"pre-traffic hook to its report {c['pre_traffic']['median_ms']:.1f} ms; "
          f"post-traffic hook {c['post_traffic']['median_ms']:.1f} ms")
    sizes = results.get("lambda_sizes_bytes")
    if sizes:
        for arch, by_bin in sizes.items():
            if by_bin:
                print(f"stripped {arch}: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in by_bin.items()))
            else:
                print(f"stripped {arch}: cargo lambda build failed")


if __name__ == "__main__":
    sys.exit(main())
