"""Runs one `stsr … --json` command for one step of one sample (workflow/Snakefile).

On success the command's JSON result is written atomically to --out (the rule's output) and any
stale failure record of this step is removed. On failure the machine-readable reason the CLI
printed ({"error": {"code", "message", "hint", "file", "exitCode"}}) is written to --failure,
which is not a rule output, so Snakemake keeps it for the cohort report, and the script exits with
the CLI's exit code so Snakemake marks the job failed and (with --keep-going) goes on with the
other samples.

Values a step needs from an earlier step's result (the feature set id, the SR run id, the
clustering id) are read when the step runs: --from FILE,KEY,FLAG appends `FLAG <value>`, the
value being FILE's result[KEY] (one
word, so that FLAG, which starts with --, is not taken for an option of this script).
--feature-set-from FILE does the same with `--feature-set`, FILE's featureSetId, only when the
method named by the command's --method reads a stored feature set: the engine's method registry
says so (`stsr methods --json`, with the command's --plugin and --project, so plugin methods are
known), so no method name is listed in the workflow.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time


def write_json_atomic(path, value):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def last_json_line(stdout):
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def option(args, flag):
    """The values that follow FLAG in a command's words."""
    return [args[i + 1] for i, w in enumerate(args[:-1]) if w == flag]


def reads_feature_set(stsr, args):
    """(True/False, None), or (None, error) when the registry could not be read."""
    method = (option(args, "--method") or [None])[-1]
    cmd = stsr + ["methods", "--json"]
    for flag in ("--plugin", "--project"):
        for v in option(args, flag):
            cmd += [flag, v]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    reply = last_json_line(r.stdout) or {}
    if r.returncode != 0 or "methods" not in reply:
        return None, reply.get("error") or {
            "code": "INTERNAL",
            "message": f"{shlex.join(cmd)} exited with {r.returncode} without a method list",
            "exitCode": r.returncode or 1,
        }
    entry = next((m for m in reply["methods"] if m["id"] == method), None)
    # An unknown method: `stsr sr` refuses it itself, with the list of registered ones.
    return entry is not None and entry["needs"]["featureSet"] != "none", None


def fail(a, cmd, seconds, error):
    os.makedirs(os.path.dirname(a.failure) or ".", exist_ok=True)
    write_json_atomic(a.failure, {"sample": a.sample, "step": a.step, "seconds": seconds,
                                  "command": cmd, "error": error})
    print(f"[{a.sample}] {a.step} failed ({error.get('code')}): {error.get('message')}",
          file=sys.stderr, flush=True)
    return error.get("exitCode") or 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--stsr", required=True, help="how to call the CLI (split like a shell)")
    ap.add_argument("--sample", required=True)
    ap.add_argument("--step", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--failure", required=True)
    ap.add_argument("--from", dest="frm", action="append", default=[], metavar="FILE,KEY,FLAG")
    ap.add_argument("--feature-set-from", metavar="FILE")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    for spec in a.frm:
        file, key, flag = spec.rsplit(",", 2)
        with open(file, encoding="utf-8") as f:
            args += [flag, str(json.load(f)["result"][key])]
    if a.feature_set_from:
        t0 = time.time()
        reads, error = reads_feature_set(shlex.split(a.stsr), args)
        if error:
            return fail(a, shlex.split(a.stsr) + ["methods", "--json"], round(time.time() - t0, 3), error)
        if reads:
            with open(a.feature_set_from, encoding="utf-8") as f:
                args += ["--feature-set", str(json.load(f)["result"]["featureSetId"])]
    cmd = shlex.split(a.stsr) + args + ["--json"]
    print(f"[{a.sample}] {a.step}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
    # stderr (progress, notes) goes straight to the rule's log; stdout is parsed. The step's
    # seconds are the command's own (not the registry look-up above).
    t0 = time.time()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    seconds = round(time.time() - t0, 3)
    result = last_json_line(r.stdout)
    if r.returncode == 0 and result is not None and "error" not in result:
        write_json_atomic(a.out, {"sample": a.sample, "step": a.step, "seconds": seconds,
                                  "result": result})
        if os.path.exists(a.failure):
            os.remove(a.failure)
        return 0
    error = (result or {}).get("error") or {
        "code": "INTERNAL",
        "message": f"stsr exited with {r.returncode} without a JSON error",
        "exitCode": r.returncode or 1,
    }
    fail(a, cmd, seconds, error)
    return r.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
