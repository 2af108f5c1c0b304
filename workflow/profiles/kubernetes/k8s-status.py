#!/usr/bin/env python3
"""Snakemake cluster-status for k8s-submit.py: prints running, success or failed for a Job."""

import json
import os
import subprocess
import sys

ns = os.environ.get("STSR_K8S_NAMESPACE", "default")
r = subprocess.run(["kubectl", "-n", ns, "get", "job", sys.argv[1], "-o", "json"],
                   capture_output=True, text=True)
if r.returncode != 0:
    # kubectl could not answer (API hiccup): ask again later rather than fail the job
    print("running")
    sys.exit(0)
status = json.loads(r.stdout).get("status", {})
if status.get("succeeded"):
    print("success")
elif status.get("failed"):
    print("failed")
else:
    print("running")
