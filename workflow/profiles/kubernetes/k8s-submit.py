#!/usr/bin/env python3
"""Submits one Snakemake job as a Kubernetes Job (Snakemake's generic cluster interface).

Snakemake calls `k8s-submit.py JOBSCRIPT`; the job script lies in .snakemake/ under the working
directory, which is on the shared volume, so the pod runs it where Snakemake wrote it. The Job
asks for the rule's threads (cpu), mem_mb (memory) and gpu (nvidia.com/gpu). Prints the Job's
name, which k8s-status.py and k8s-cancel.py receive.

Settings (environment): STSR_K8S_IMAGE (the STSR Studio image, required), STSR_K8S_PVC (the
ReadWriteMany claim holding data and results, required), STSR_K8S_MOUNT (where it is mounted:
default the current directory's volume root, i.e. this working directory), STSR_K8S_NAMESPACE
(default "default"), STSR_K8S_NODE_SELECTOR_GPU (optional node label key=value for GPU jobs).
Needs kubectl configured for the cluster.
"""

import json
import os
import re
import subprocess
import sys


def job_properties(jobscript):
    # Snakemake writes the job's properties as one JSON line "# properties = {...}" (what
    # snakemake.utils.read_job_properties parses; read here so no Snakemake import is needed).
    with open(jobscript, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# properties ="):
                return json.loads(line.split("=", 1)[1])
    raise SystemExit(f"{jobscript}: no '# properties =' line (not a Snakemake job script?)")


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        raise SystemExit(f"k8s-submit.py: set {name} (see docs/cohort.md, Kubernetes)")
    return v


def manifest(jobscript, props):
    image = env("STSR_K8S_IMAGE")
    pvc = env("STSR_K8S_PVC")
    workdir = os.getcwd()
    mount = env("STSR_K8S_MOUNT", workdir)
    res = props.get("resources", {})
    threads = int(props.get("threads", 1))
    mem_mb = int(res.get("mem_mb", 2000))
    gpu = int(res.get("gpu", 0) or 0)
    rule = props.get("rule", "group")
    wc = "-".join(str(v) for v in (props.get("wildcards") or {}).values())
    name = re.sub(r"[^a-z0-9-]+", "-", f"stsr-{rule}-{wc}-{props.get('jobid', 0)}".lower())[:50].strip("-")
    name = f"{name}-{os.urandom(3).hex()}"
    limits = {"cpu": str(threads), "memory": f"{mem_mb}Mi"}
    if gpu:
        limits["nvidia.com/gpu"] = str(gpu)
    pod = {
        "restartPolicy": "Never",
        "containers": [{
            "name": "step",
            "image": image,
            "workingDir": workdir,
            "command": ["/bin/sh", os.path.abspath(jobscript)],
            "resources": {"requests": dict(limits), "limits": limits},
            "volumeMounts": [{"name": "data", "mountPath": mount}],
        }],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": pvc}}],
    }
    selector = os.environ.get("STSR_K8S_NODE_SELECTOR_GPU")
    if gpu and selector and "=" in selector:
        k, v = selector.split("=", 1)
        pod["nodeSelector"] = {k: v}
    return name, {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": {"app": "stsr-cohort", "rule": rule}},
        "spec": {"backoffLimit": 0, "ttlSecondsAfterFinished": 86400, "template": {"spec": pod}},
    }


def main():
    jobscript = sys.argv[-1]
    name, m = manifest(jobscript, job_properties(jobscript))
    ns = os.environ.get("STSR_K8S_NAMESPACE", "default")
    subprocess.run(["kubectl", "-n", ns, "create", "-f", "-"], input=json.dumps(m), text=True,
                   check=True, stdout=subprocess.DEVNULL)
    print(name)


if __name__ == "__main__":
    main()
