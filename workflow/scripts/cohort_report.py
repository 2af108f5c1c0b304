"""The cohort report of workflow/Snakefile: <out>/cohort/report.md, report.html and index.json.

Reads what each sample's steps left behind (their JSON results, Snakemake's benchmark TSVs and the
failure records of scripts/stsr_step.py), so it also runs after a partial cohort (--incomplete,
from the Snakefile's onerror handler) and lists the failed samples with the step and the reason.
A partial report goes to report.incomplete.md/.html and index.incomplete.json: never to the report
rule's own outputs, which Snakemake would then take as up to date and not finish the cohort on the
next run. The complete report removes the partial one.
index.json is the cohort index: one entry per sample with its project folder (an ordinary STSR
Studio project the app or `stsr` opens), its counts, run ids and outputs.
"""

import argparse
import csv
import datetime
import html
import json
import os

STEPS = ["import", "features", "sr", "cluster", "export"]
# benchmark file per step (the export rule's three commands share one)
FAILABLE = ["import", "features", "sr", "cluster", "export-spots", "export-sr", "figure"]


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError):
        return None


def read_bench(path):
    """Snakemake's benchmark TSV: s (wall seconds) and max_rss (MB) of the job's processes."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            row = next(csv.DictReader(f, delimiter="\t"))
        def num(k):
            try:
                return float(row[k])
            except (KeyError, ValueError):
                return None
        return {"seconds": num("s"), "max_rss_mb": num("max_rss")}
    except (OSError, StopIteration):
        return None


def write_atomic(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sample_names(sheet):
    with open(sheet, newline="", encoding="utf-8") as f:
        return [r["name"].strip() for r in csv.DictReader(f) if (r.get("name") or "").strip()]


def collect(out, name):
    d = os.path.join(out, "samples", name)
    res = {k: (read_json(os.path.join(d, f"{k}.json")) or {}).get("result") for k in
           ["import", "features", "sr", "cluster", "export-spots", "export-sr", "export"]}
    failures = [f for f in (read_json(os.path.join(d, "failed", f"{s}.json")) for s in FAILABLE) if f]
    bench = {s: read_bench(os.path.join(out, "benchmarks", name, f"{s}.tsv")) for s in STEPS}
    done = res["export"] is not None and res["export-sr"] is not None and res["export-spots"] is not None
    entry = {
        "name": name,
        "status": "ok" if done else ("failed" if failures else "not run"),
        "project": os.path.relpath(os.path.join(d, "project"), os.path.join(out, "cohort")),
    }
    imp, feat, sr, cl = res["import"], res["features"], res["sr"], res["cluster"]
    if imp:
        entry["sampleId"] = imp.get("sampleId")
        entry["counts"] = {"spots": imp.get("spots"), "genes": imp.get("genes"), "reader": imp.get("reader")}
    if feat:
        entry["features"] = {"featureSetId": feat.get("featureSetId"), "superpixels": feat.get("superpixels"),
                             "tissueSuperpixels": feat.get("tissueSuperpixels"), "provider": feat.get("provider")}
    if sr:
        entry["sr"] = {k: sr.get(k) for k in ["runId", "method", "genes", "superpixels", "generated",
                                              "measured", "fold", "finalLoss", "seconds"] if k in sr}
    if cl:
        entry["clustering"] = {"clusteringId": cl.get("clusteringId"), "k": cl.get("k"),
                               "sizes": cl.get("sizes"), "agreement": cl.get("agreement") or {}}
    if done:
        rel = lambda f: os.path.relpath(os.path.join(d, f), os.path.join(out, "cohort"))  # noqa: E731
        entry["outputs"] = {"spotsH5ad": rel("spots.h5ad"), "srH5ad": rel("sr.h5ad"), "figure": rel("domains.png")}
    entry["steps"] = {s: b for s, b in bench.items() if b}
    if failures:
        entry["failures"] = [{"step": f["step"], "code": f["error"].get("code"),
                              "message": f["error"].get("message"), "exitCode": f["error"].get("exitCode")}
                             for f in failures]
    return entry


def fmt(v, digits=0):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def ari(entry):
    ag = (entry.get("clustering") or {}).get("agreement") or {}
    return ", ".join(f"{k} {v.get('ari', 0):.3f}" for k, v in ag.items()) or "–"


def peak(entry):
    vals = [b["max_rss_mb"] for b in entry["steps"].values() if b.get("max_rss_mb") is not None]
    return max(vals) if vals else None


HEADER = (["sample", "status", "spots", "genes", "SR method", "SR run", "SR size", "final loss", "k",
           "domain sizes", "ARI"] + [f"{s} s" for s in STEPS] + ["peak MB"])


def row(e):
    sr = e.get("sr") or {}
    cl = e.get("clustering") or {}
    size = sr.get("superpixels") if "superpixels" in sr else sr.get("generated")
    return ([e["name"], e["status"], fmt((e.get("counts") or {}).get("spots")),
             fmt((e.get("counts") or {}).get("genes")), fmt(sr.get("method")), fmt(sr.get("runId")),
             fmt(size), fmt(sr.get("finalLoss"), 4), fmt(cl.get("k")),
             "/".join(map(str, cl.get("sizes") or [])) or "–", ari(e)]
            + [fmt((e["steps"].get(s) or {}).get("seconds"), 1) for s in STEPS] + [fmt(peak(e), 0)])


def markdown(index):
    lines = [f"# Cohort report ({index['created']})", "",
             f"{index['counts']['ok']} of {index['counts']['samples']} samples finished"
             + ("" if index["complete"] else " — INCOMPLETE: the run stopped with failures") + ".", "",
             "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row(e)) + " |" for e in index["samples"]]
    fails = [(e["name"], f) for e in index["samples"] for f in e.get("failures", [])]
    if fails:
        lines += ["", "## Failures", "", "| sample | step | code | exit | message |", "|---|---|---|---|---|"]
        cell = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
        lines += [f"| {n} | {f['step']} | {f['code']} | {f['exitCode']} | {cell(f['message'])} |" for n, f in fails]
    lines += ["", "Times are wall seconds and peak MB the resident memory of each step (Snakemake benchmark "
              "files); each sample's project folder opens in STSR Studio (see index.json).", ""]
    return "\n".join(lines)


def svg_times(samples):
    """Stacked horizontal bars: wall time of each step per sample."""
    colours = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f"]
    totals = [sum((e["steps"].get(s) or {}).get("seconds") or 0 for s in STEPS) for e in samples]
    top = max(totals + [1])
    w, left, bar = 640, 110, 18
    h = 30 + len(samples) * (bar + 6) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">']
    for i, e in enumerate(samples):
        y = 20 + i * (bar + 6)
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end">{html.escape(e["name"])}</text>')
        x = left
        for j, s in enumerate(STEPS):
            sec = (e["steps"].get(s) or {}).get("seconds") or 0
            bw = (w - left - 60) * sec / top
            if bw > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{bw:.1f}" height="{bar}" fill="{colours[j]}">'
                             f'<title>{s}: {sec:.1f} s</title></rect>')
            x += bw
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}">{totals[i]:.0f} s</text>')
    ly = h - 12
    for j, s in enumerate(STEPS):
        parts.append(f'<rect x="{left + j * 90}" y="{ly - 9}" width="10" height="10" fill="{colours[j]}"/>'
                     f'<text x="{left + j * 90 + 14}" y="{ly}">{s}</text>')
    parts.append("</svg>")
    return "".join(parts)


def html_report(index):
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADER)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row(e)) + "</tr>" for e in index["samples"])
    fails = [(e["name"], f) for e in index["samples"] for f in e.get("failures", [])]
    fail_html = ""
    if fails:
        fail_html = ("<h2>Failures</h2><table><tr><th>sample</th><th>step</th><th>code</th><th>exit</th>"
                     "<th>message</th></tr>" + "".join(
                         f"<tr><td>{esc(n)}</td><td>{esc(f['step'])}</td><td>{esc(str(f['code']))}</td>"
                         f"<td>{esc(str(f['exitCode']))}</td><td>{esc(str(f['message']))}</td></tr>" for n, f in fails)
                     + "</table>")
    figs = "".join(f'<figure><img src="{esc(e["outputs"]["figure"])}" width="240" alt="{esc(e["name"])} domains">'
                   f'<figcaption>{esc(e["name"])}</figcaption></figure>'
                   for e in index["samples"] if e.get("outputs"))
    status = f"{index['counts']['ok']} of {index['counts']['samples']} samples finished" + (
        "" if index["complete"] else " — <strong>incomplete</strong>: the run stopped with failures")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cohort report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}td:first-child{{text-align:left}}
figure{{display:inline-block;margin:0 1em 1em 0}}</style></head>
<body><h1>Cohort report</h1><p>{esc(index['created'])}. {status}.</p>
<table><tr>{head}</tr>{body}</table>{fail_html}
<h2>Wall time per step</h2>{svg_times(index['samples'])}
<h2>Tissue domains</h2>{figs}
</body></html>
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--incomplete", action="store_true")
    a = ap.parse_args()
    samples = [collect(a.out, n) for n in sample_names(a.samples)]
    ok = sum(e["status"] == "ok" for e in samples)
    index = {
        "kind": "stsr-cohort",
        "version": 1,
        "created": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "complete": ok == len(samples) and not a.incomplete,
        "counts": {"samples": len(samples), "ok": ok, "failed": sum(e["status"] == "failed" for e in samples)},
        "samples": samples,
    }
    d = os.path.join(a.out, "cohort")
    os.makedirs(d, exist_ok=True)
    names = {"index": "index.json", "md": "report.md", "html": "report.html"}
    partial = {k: v.replace(".", ".incomplete.", 1) for k, v in names.items()}
    target = partial if a.incomplete else names
    write_atomic(os.path.join(d, target["index"]), json.dumps(index, indent=1) + "\n")
    write_atomic(os.path.join(d, target["md"]), markdown(index))
    write_atomic(os.path.join(d, target["html"]), html_report(index))
    if not a.incomplete:
        for f in partial.values():
            if os.path.exists(os.path.join(d, f)):
                os.remove(os.path.join(d, f))


if __name__ == "__main__":
    main()
