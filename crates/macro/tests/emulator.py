#!/usr/bin/env python3
"""The macro through a real Lambda runtime emulator (`cargo lambda watch`).

Starts the emulator on 127.0.0.1 at a free port, invokes the `gradual-macro` function with the
macro events in tests/fixtures/events/macro/ (plus one generated over the resource limit), and
checks the response contract field by field. The emulator is always stopped by the process
group of the PID this script started, even when a check fails or the script is interrupted.

    emulator.py            run the checks; exit 1 if any fails
    emulator.py --bench N  time N warm invokes of a 200-function template (over the resource
                           limit, so the answer is a failure after the full transform)
    --functions F          bench with F functions instead (F <= 166 stays within the limit)
    --release              build and run the function with the release profile
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "events" / "macro"
VENV_BIN = ROOT / ".venv" / "bin"
FUNCTION = "gradual-macro"
SECRET = "s3cr3t-value-123"
# The function is built before the emulator starts, so even the first invoke only waits for
# `cargo run` to find it up to date; the margin is for a loaded machine.
FIRST_INVOKE_TIMEOUT_S = 300
INVOKE_TIMEOUT_S = 120
BUILD = ["cargo", "build", "--package", "gradual-macro", "--bin", FUNCTION]


class Emulator:
    """`cargo lambda watch` in its own process group, with its output in a file."""

    def __init__(self, release=False):
        self.profile = ["--release"] if release else []
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="gradual-macro-emulator-", suffix=".log", delete=False)
        self.process = None

    def start(self):
        env = dict(os.environ)
        # cargo-lambda finds zig (and sam finds cargo-lambda) through PATH.
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        # The emulator builds the function on the first invoke and, if that build fails, leaves
        # the invoke hanging. Building first, with the same package and bin selection so the
        # emulator's `cargo run` finds it fresh, turns a compile error into a clear failure.
        build = BUILD + self.profile
        print("building: " + " ".join(build), flush=True)
        subprocess.run(build, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, check=True)
        command = [
            str(VENV_BIN / "cargo-lambda"), "lambda", "watch",
            "--invoke-address", "127.0.0.1",
            "--invoke-port", str(self.port),
            # Other engineers edit the workspace while this runs; a reload mid-test would
            # recompile and time the invokes out.
            "--ignore-changes",
            "--package", "gradual-macro",
            "--bin", FUNCTION,
            "--timeout", str(FIRST_INVOKE_TIMEOUT_S),
            *self.profile,
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        print(f"emulator: pid {self.process.pid}, port {self.port}, log {self.log.name}", flush=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self.process.returncode}:\n{self.output()}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the emulator did not listen on port {self.port} within 120 s")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        # The watcher runs the function as a child; start_new_session made our PID the
        # group id, so this reaches exactly the processes we started.
        for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait_s)
                return
            except subprocess.TimeoutExpired:
                continue

    def invoke(self, event, timeout=INVOKE_TIMEOUT_S):
        body = json.dumps(event).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/2015-03-31/functions/{FUNCTION}/invocations",
            data=body, method="POST", headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        if status != 200:
            raise AssertionError(f"invoke returned HTTP {status}: {payload[:2000]!r}")
        return json.loads(payload)

    def output(self):
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def function_template(count, request_id):
    """`count` functions with AutoPublishAlias: gradual adds a version and an alias to each."""
    resources = {
        f"Function{index:03}": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Runtime": "provided.al2023",
                "Handler": "bootstrap",
                "Role": "arn:aws:iam::123456789012:role/app",
                "Code": {"S3Bucket": "artifacts", "S3Key": f"function-{index:03}.zip"},
                "AutoPublishAlias": "live",
            },
        }
        for index in range(count)
    }
    return {
        "region": "us-east-1",
        "accountId": "123456789012",
        "transformId": "123456789012::Gradual",
        "params": {},
        "requestId": request_id,
        "templateParameterValues": {},
        "fragment": {"Resources": resources},
    }


class Checks:
    def __init__(self):
        self.failures = []

    def equal(self, case, field, actual, expected):
        if actual != expected:
            self.failures.append(f"{case}: {field} is {actual!r}, expected {expected!r}")

    def true(self, case, what, condition, detail=""):
        if not condition:
            self.failures.append(f"{case}: {what}" + (f" ({detail})" if detail else ""))


def resources_of_type(fragment, type_name):
    resources = fragment.get("Resources", {}) if isinstance(fragment, dict) else {}
    return {name: r for name, r in resources.items() if isinstance(r, dict) and r.get("Type") == type_name}


def check_success(emulator, checks):
    case = "success"
    event = fixture("success.json")
    response = emulator.invoke(event, timeout=FIRST_INVOKE_TIMEOUT_S)
    checks.equal(case, "keys", sorted(response), ["fragment", "requestId", "status"])
    checks.equal(case, "requestId", response.get("requestId"), event["requestId"])
    checks.equal(case, "status", response.get("status"), "success")
    checks.true(case, "no errorMessage on success", "errorMessage" not in response, response.get("errorMessage", ""))
    fragment = response.get("fragment")
    checks.true(case, "fragment is an object", isinstance(fragment, dict))
    if not isinstance(fragment, dict):
        return
    api = fragment.get("Resources", {}).get("Api", {})
    checks.equal(case, "Api.Type", api.get("Type"), "AWS::Lambda::Function")
    properties = api.get("Properties", {})
    for gradual_only in ("AutoPublishAlias", "DeploymentPreference"):
        checks.true(case, f"{gradual_only} is removed from Api", gradual_only not in properties)
    checks.equal(case, "Api.Properties.Code", properties.get("Code"), event["fragment"]["Resources"]["Api"]["Properties"]["Code"])
    checks.equal(case, "Bucket", fragment.get("Resources", {}).get("Bucket"), {"Type": "AWS::S3::Bucket"})
    versions = resources_of_type(fragment, "AWS::Lambda::Version")
    aliases = resources_of_type(fragment, "AWS::Lambda::Alias")
    checks.equal(case, "number of AWS::Lambda::Version", len(versions), 1)
    checks.equal(case, "alias names", [a.get("Properties", {}).get("Name") for a in aliases.values()], ["live"])
    checks.true(
        case, "the alias shifts traffic through CodeDeploy",
        all("CodeDeployLambdaAliasUpdate" in a.get("UpdatePolicy", {}) for a in aliases.values()) and aliases,
    )
    checks.true(case, "a CodeDeploy deployment group is added", resources_of_type(fragment, "AWS::CodeDeploy::DeploymentGroup"))


def check_several_errors(emulator, checks):
    case = "several-errors"
    event = fixture("several-errors.json")
    response = emulator.invoke(event)
    checks.equal(case, "keys", sorted(response), ["errorMessage", "fragment", "requestId", "status"])
    checks.equal(case, "requestId", response.get("requestId"), event["requestId"])
    checks.equal(case, "status", response.get("status"), "failure")
    checks.equal(case, "fragment", response.get("fragment"), {})
    message = response.get("errorMessage") or ""
    checks.true(case, "errorMessage counts at least 3 errors", message.split(" ", 1)[0].isdigit() and int(message.split(" ", 1)[0]) >= 3, message)
    for path in (
        "Resources.BadAliasName.Properties.AutoPublishAlias",
        "Resources.PreferenceWithoutAlias",
        "Resources.AliasOnBucket",
    ):
        checks.true(case, f"errorMessage names {path}", path in message, message)
    checks.true(case, "errorMessage fits the cap", len(message) <= 4000, str(len(message)))


def check_malformed(emulator, checks):
    case = "malformed"
    event = fixture("malformed.json")
    response = emulator.invoke(event)
    checks.equal(case, "keys", sorted(response), ["errorMessage", "fragment", "requestId", "status"])
    checks.equal(case, "requestId", response.get("requestId"), event["requestId"])
    checks.equal(case, "status", response.get("status"), "failure")
    checks.equal(case, "fragment", response.get("fragment"), {})
    checks.equal(
        case, "errorMessage", response.get("errorMessage"),
        "malformed macro event: `region` must be a string, found a number; `fragment` is missing",
    )
    # Not even an object: there is no requestId to read, and the answer is still a failure.
    response = emulator.invoke(["not", "an", "event"])
    checks.equal(case + " (array)", "requestId", response.get("requestId"), "")
    checks.equal(case + " (array)", "status", response.get("status"), "failure")
    checks.equal(
        case + " (array)", "errorMessage", response.get("errorMessage"),
        "malformed macro event: the event must be a JSON object, found an array",
    )


def check_noecho(emulator, checks):
    case = "noecho"
    event = fixture("noecho.json")
    response = emulator.invoke(event)
    checks.equal(case, "requestId", response.get("requestId"), event["requestId"])
    checks.equal(case, "status", response.get("status"), "success")
    checks.true(case, "no errorMessage on success", "errorMessage" not in response, response.get("errorMessage", ""))
    fragment = response.get("fragment", {})
    worker = fragment.get("Resources", {}).get("Worker", {}) if isinstance(fragment, dict) else {}
    checks.equal(
        case, "Worker DB_PASSWORD stays a Ref",
        worker.get("Properties", {}).get("Environment", {}).get("Variables", {}).get("DB_PASSWORD"),
        {"Ref": "DbPassword"},
    )
    checks.true(case, "the secret is not in the response", SECRET not in json.dumps(response))


def check_over_resource_limit(emulator, checks):
    case = "over-resource-limit"
    event = function_template(200, "9b1f0e77-over-limit")
    response = emulator.invoke(event)
    checks.equal(case, "keys", sorted(response), ["errorMessage", "fragment", "requestId", "status"])
    checks.equal(case, "requestId", response.get("requestId"), event["requestId"])
    checks.equal(case, "status", response.get("status"), "failure")
    checks.equal(case, "fragment", response.get("fragment"), {})
    message = response.get("errorMessage") or ""
    checks.true(case, "errorMessage names the limit", "at most 500" in message, message)
    counts = [int(word) for word in message.split() if word.isdigit()]
    checks.true(case, "errorMessage gives a resource count of at least 600", any(n >= 600 for n in counts), message)


def check_logs(emulator, checks):
    case = "logs"
    output = emulator.output()
    checks.true(case, "the secret never reaches the function's logs", SECRET not in output)
    summaries = [line for line in output.splitlines() if '"macro invocation"' in line]
    for request_id in ("3f1c6a2e-success", "7d9e0b41-several-errors", "0a5b7c19-malformed", "c4e2d8aa-noecho"):
        checks.true(case, f"a summary line for {request_id}", any(request_id in line for line in summaries))


def run_checks(release):
    emulator = Emulator(release)
    checks = Checks()
    try:
        emulator.start()
        for check in (check_success, check_several_errors, check_malformed, check_noecho, check_over_resource_limit):
            before = len(checks.failures)
            try:
                check(emulator, checks)
            except Exception as error:  # one broken case must not hide the others
                checks.failures.append(f"{check.__name__}: {type(error).__name__}: {error}")
            print(f"{'ok  ' if len(checks.failures) == before else 'FAIL'} {check.__name__}", flush=True)
        check_logs(emulator, checks)
    finally:
        emulator.stop()
    if checks.failures:
        print("\nemulator checks failed:\n  " + "\n  ".join(checks.failures), file=sys.stderr)
        print(f"\nemulator log: {emulator.log.name}", file=sys.stderr)
        return 1
    os.unlink(emulator.log.name)
    print("emulator checks passed")
    return 0


def run_bench(invokes, release, functions):
    emulator = Emulator(release)
    try:
        emulator.start()
        event = function_template(functions, "bench")
        response = emulator.invoke(event, timeout=FIRST_INVOKE_TIMEOUT_S)
        resources = len(response.get("fragment", {}).get("Resources", {}))
        print(f"status {response.get('status')}, {resources} resources out, {len(json.dumps(event))} bytes in")
        for _ in range(3):
            emulator.invoke(event)
        timings = []
        for _ in range(invokes):
            started = time.perf_counter()
            emulator.invoke(event)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        # The function's own summary lines say how much of that is the handler itself.
        handler = [
            json.loads(line)["duration_ms"]
            for line in emulator.output().splitlines()
            if line.startswith("{") and '"macro invocation"' in line
        ][-invokes:]
        profile = "release" if emulator.profile else "debug"
        print(
            f"warm invoke ({profile} build), {functions} functions, {invokes} runs: median {statistics.median(timings):.1f} ms, "
            f"min {timings[0]:.1f} ms, p90 {timings[int(len(timings) * 0.9) - 1]:.1f} ms, max {timings[-1]:.1f} ms; "
            f"handler alone: median {statistics.median(handler):.1f} ms"
        )
    finally:
        emulator.stop()
        os.unlink(emulator.log.name)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", type=int, metavar="N", help="time N warm invokes instead of checking")
    parser.add_argument("--functions", type=int, default=200, metavar="F", help="functions in the bench template")
    parser.add_argument("--release", action="store_true", help="build and run the function with the release profile")
    args = parser.parse_args()
    # Turn SIGTERM (make or CI cancelling) into an exception so `finally` stops the emulator.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return run_bench(args.bench, args.release, args.functions) if args.bench else run_checks(args.release)


if __name__ == "__main__":
    sys.exit(main())
