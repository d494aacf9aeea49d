"""PyTorch (CPU, eager) on the bench's workloads, with the same timing protocol as bench/engine.ts.

    /usr/bin/python3 bench/torch_bench.py

Speaks bench/runner.ts's protocol as JSON lines: replies {"type": "ready"} once torch is
imported, then reads one {"type": "run", "workload", "options", "refFile", "threads"} per line
from stdin and writes one {"type": "result", "result"} line (shaped like engine.ts's CaseResult)
to stdout, until {"type": "close"}. Forward workloads run under torch.no_grad(); W7 builds
y = conv2d(x, w) once and times y.backward(gradOutput, retain_graph=True). Indices for
max_unpool2d are int64 (PyTorch's type), converted before timing.
"""

import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F


def read(spec):
    with open(spec["file"], "rb") as f:
        buf = bytearray(f.read())
    dtype = torch.int32 if spec["dtype"] == "int32" else torch.float32
    return torch.frombuffer(buf, dtype=dtype).reshape(spec["shape"]).clone()


def quantile(samples, q):
    a = sorted(samples)
    pos = (len(a) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(a) - 1)
    return a[lo] + (a[hi] - a[lo]) * (pos - lo)


def compare(out, ref):
    if ref is None:
        return {"maxAbsDiff": None, "match": None}
    out = out.reshape(-1)
    if out.numel() != ref.numel():
        return {"maxAbsDiff": None, "match": False, "reason": "output size differs"}
    if bool((torch.isnan(out) != torch.isnan(ref)).any()):
        return {"maxAbsDiff": None, "match": False, "reason": "NaN where the other has a number"}
    diff = float((out - ref).abs().max())
    scale = float(ref.abs().max())
    if not math.isfinite(diff):
        return {"maxAbsDiff": None, "match": False, "reason": "non-finite difference"}
    return {"maxAbsDiff": diff, "refMaxAbs": scale, "match": diff <= 1e-4 * max(1.0, scale)}


def prepare(wl, inputs):
    """Returns (run, note): run() is the timed call and returns the output tensor."""
    s = wl["spec"]
    op = s["op"]
    if op == "convTranspose2d":
        x, w = inputs["x"], inputs["w"]
        return (lambda: F.conv_transpose2d(x, w, stride=s["stride"], padding=s["padding"])), None
    if op == "conv2d":
        x, w = inputs["x"], inputs["w"]
        return (lambda: F.conv2d(x, w, padding="same", dilation=s["dilation"])), None
    if op == "maxUnpool2d":
        x, idx = inputs["x"], inputs["indices"].long()
        return (lambda: F.max_unpool2d(x, idx, s["k"])), "indices int64 (PyTorch's type), converted before timing"
    if op == "interpolate":
        x = inputs["x"]
        if s["mode"] == "bilinear":
            return (lambda: F.interpolate(x, scale_factor=s["scale"], mode="bilinear", align_corners=False)), None
        return (lambda: F.interpolate(x, scale_factor=s["scale"], mode="nearest")), None
    if op == "conv2dInputGrad":
        x = inputs["x"].requires_grad_(True)
        w, g = inputs["w"], inputs["g"]
        with torch.enable_grad():
            y = F.conv2d(x, w, stride=s["stride"], padding=s["padding"])

        def run():
            x.grad = None
            with torch.enable_grad():
                y.backward(g, retain_graph=True)
            return x.grad

        return run, "y = conv2d(x, w) built once; timed: y.backward(gradOutput, retain_graph=True)"
    raise ValueError(f"unknown op {op}")


def once(run):
    t0 = time.perf_counter()
    out = run()
    return (time.perf_counter() - t0) * 1000.0, out


def measure(run, ref, o):
    first_ms, out = once(run)
    check = compare(out.detach(), ref)
    del out
    warm, warm_ms, last = 0, 0.0, first_ms
    while warm < o["warmupRuns"] and warm_ms + last < o["budgetMs"] / 4:
        last, _ = once(run)
        warm += 1
        warm_ms += last
    samples = []
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    while True:
        ms, _ = once(run)
        samples.append(ms)
        spent = (time.perf_counter() - t0) * 1000.0
        n = len(samples)
        if n >= o["maxRuns"]:
            break
        if n >= o["minRuns"] and spent >= o["minTimeMs"]:
            break
        if n >= 3 and spent + ms > o["budgetMs"]:
            break
    wall = (time.perf_counter() - t0) * 1000.0
    cpu = (time.process_time() - cpu0) * 1000.0
    result = {
        "firstMs": first_ms,
        "warmupRuns": warm,
        "samples": samples,
        "runs": len(samples),
        "medianMs": quantile(samples, 0.5),
        "p25Ms": quantile(samples, 0.25),
        "p75Ms": quantile(samples, 0.75),
        "minMs": min(samples),
        "cpuPerWall": cpu / wall,
    }
    result.update(check)
    return result


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def run_case(cmd):
    wl, threads = cmd["workload"], cmd["threads"]
    torch.set_num_threads(threads)
    base = {"engine": "pytorch", "threads": threads, "key": wl["key"]}
    try:
        inputs = {i["name"]: read(i) for i in wl["inputs"]}
        ref = None
        if os.path.exists(cmd["refFile"]):
            with open(cmd["refFile"], "rb") as f:
                ref = torch.frombuffer(bytearray(f.read()), dtype=torch.float32).clone()
        run, note = prepare(wl, inputs)
        with torch.no_grad():
            m = measure(run, ref, cmd["options"])
        result = {**base, "status": "ok", **m}
        if note:
            result["note"] = note
    except Exception as e:  # report and go on with the next case
        result = {**base, "status": "error", "reason": str(e).split("\n")[0][:300]}
    return result


def main():
    torch.set_num_interop_threads(1)
    reply(
        {
            "type": "ready",
            "version": torch.__version__,
            "notes": [
                "eager CPU, one process per thread count (OMP_NUM_THREADS and OPENBLAS_NUM_THREADS = threads), "
                "torch.set_num_threads(threads), set_num_interop_threads(1)"
            ],
        }
    )
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd["type"] == "close":
            break
        result = run_case(cmd)
        reply({"type": "result", "result": result})


if __name__ == "__main__":
    main()
