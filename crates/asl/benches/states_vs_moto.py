#!/usr/bin/env python3
"""Transitions per second of `leadline states run` against moto's Step Functions server.

Issue #3 "Measure": (a) a 1,000-state Pass chain, (b) a Map over 10,000 items with a Pass
processor, (c) a Choice loop of 10,000 iterations. Each workload runs through the release
`leadline` binary and through a fresh moto_server on 127.0.0.1 (execute_state_machine on,
executions always named); prints one JSON line per engine and workload, then a table.
leadline's figure is the median of --repeat process runs (startup and parsing included);
moto's is one execution from StartExecution until DescribeExecution leaves RUNNING.

Usage: crates/asl/benches/states_vs_moto.py [--leadline PATH] [--moto-timeout SECONDS]
Needs moto[server] and boto3 (scripts/setup --bench puts them in the tools virtualenv).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

import boto3


def pass_chain(n=1000):
    states = {}
    for i in range(n):
        state = {"Type": "Pass", "Result": i, "ResultPath": "$.last"}
        if i + 1 < n:
            state["Next"] = f"P{i + 1}"
        else:
            state["End"] = True
        states[f"P{i}"] = state
    return {"StartAt": "P0", "States": states}, {"start": True}, n


def map_items(n=10000):
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 0,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        "ResultPath": "$.results", "OutputPath": "$.results[0:3]", "End": True}}}
    # The Map state plus one Pass per item.
    return definition, {"items": list(range(n))}, n + 1


def choice_loop(n=10000):
    definition = {"StartAt": "Init", "States": {
        "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.i", "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [
            {"Variable": "$.i", "NumericGreaterThanEquals": n, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"i.$": "States.MathAdd($.i, 1)"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}}
    # Init, n × (Check, Inc), the last Check, Done.
    return definition, {}, 1 + 2 * n + 2


WORKLOADS = {"a-pass-chain-1000": pass_chain, "b-map-10000": map_items, "c-choice-loop-10000": choice_loop}


def run_leadline(binary, definition, payload, workdir, name, repeat):
    """Median wall time of `repeat` runs, then one more run under /usr/bin/time for peak RSS
    (a forked child's own rusage would still count the Python parent's pages)."""
    def_path = os.path.join(workdir, f"{name}.json")
    in_path = os.path.join(workdir, f"{name}.input.json")
    with open(def_path, "w") as f:
        json.dump(definition, f)
    with open(in_path, "w") as f:
        json.dump(payload, f)
    command = [binary, "states", "run", def_path, "--input", f"@{in_path}"]
    timings, result = [], None
    for i in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run(command + ["--name", f"bench-{name}-{i}"], capture_output=True, check=False)
        timings.append(time.perf_counter() - started)
        result = json.loads(proc.stdout)
    timings.sort()
    time_path = os.path.join(workdir, f"{name}.time")
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", time_path] + command, capture_output=True, check=False)
    with open(time_path) as f:
        peak_kib = int(f.read().strip().splitlines()[-1])
    return result, timings[len(timings) // 2], peak_kib


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("moto_server did not start")
                time.sleep(0.1)
        request = urllib.request.Request(
            f"{self.url}/moto-api/config", method="POST",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
            headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=10)
        self.client = boto3.client("stepfunctions", endpoint_url=self.url, region_name="us-east-1",
                                   aws_access_key_id="bench", aws_secret_access_key="bench")

    def peak_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def run(self, definition, payload, name, timeout):
        arn = self.client.create_state_machine(
            name=name, definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/bench")["stateMachineArn"]
        started = time.perf_counter()
        execution = self.client.start_execution(
            stateMachineArn=arn, name=f"bench-{name}-{uuid.uuid4().hex[:8]}", input=json.dumps(payload))
        while True:
            described = self.client.describe_execution(executionArn=execution["executionArn"])
            if described["status"] != "RUNNING":
                break
            if time.perf_counter() - started > timeout:
                return {"status": "TIMEOUT"}, time.perf_counter() - started
            time.sleep(0.02)
        seconds = time.perf_counter() - started
        out = {"status": described["status"]}
        if "output" in described:
            out["output"] = json.loads(described["output"])
        return out, seconds

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    parser.add_argument("--leadline", default=os.path.join(root, "target", "release", "leadline"))
    parser.add_argument("--moto-timeout", type=float, default=900)
    parser.add_argument("--only", choices=sorted(WORKLOADS), action="append")
    parser.add_argument("--repeat", type=int, default=5, help="leadline runs per workload (median)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for name, make in WORKLOADS.items():
            if args.only and name not in args.only:
                continue
            definition, payload, transitions = make()
            ours, our_s, our_kib = run_leadline(args.leadline, definition, payload, workdir, name, args.repeat)
            line = {"engine": "leadline", "workload": name, "status": ours["status"],
                    "transitions": transitions, "seconds": round(our_s, 4),
                    "transitions_per_s": round(transitions / our_s), "peak_rss_kib": our_kib}
            print(json.dumps(line), flush=True)
            moto = Moto()
            try:
                theirs, moto_s = moto.run(definition, payload, name.replace("-", ""), args.moto_timeout)
                moto_kib = moto.peak_kib()
            finally:
                moto.stop()
            same = theirs.get("output") == ours.get("output")
            mline = {"engine": "moto", "workload": name, "status": theirs["status"],
                     "transitions": transitions, "seconds": round(moto_s, 4),
                     "transitions_per_s": round(transitions / moto_s), "peak_rss_kib": moto_kib,
                     "same_output_as_leadline": same}
            print(json.dumps(mline), flush=True)
            rows.append((name, line, mline))
    print()
    print(f"{'workload':<22}{'leadline t/s':>14}{'moto t/s':>12}{'ratio':>10}{'leadline RSS':>15}{'moto RSS':>12}")
    for name, ours, theirs in rows:
        ratio = ours["transitions_per_s"] / max(theirs["transitions_per_s"], 1)
        print(f"{name:<22}{ours['transitions_per_s']:>14}{theirs['transitions_per_s']:>12}{ratio:>9.0f}x"
              f"{ours['peak_rss_kib'] / 1024:>12.1f}MiB{theirs['peak_rss_kib'] / 1024:>9.1f}MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
