#!/usr/bin/env python3
"""Snakemake cluster-cancel for k8s-submit.py: deletes the given Jobs and their pods."""

import os
import subprocess
import sys

ns = os.environ.get("STSR_K8S_NAMESPACE", "default")
subprocess.run(["kubectl", "-n", ns, "delete", "job", "--ignore-not-found", "--cascade=foreground",
                *sys.argv[1:]], check=False)
