#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The Kubernetes manifests parse, use the API version their directory names,
# select the namespace label, and mount only files lxcfs serves (the
# daemon's table, minus what runc refuses), read-only, hostPath type File.
# No cluster runs here: the CEL is not evaluated.
import os
import subprocess, re, sys
import yaml

src = sys.argv[1]
n = 0
def ok(cond, desc):
    global n
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, desc))
    ok.failed |= not cond
    return cond
ok.failed = False

# The served files, as the daemon's table says (lxcfs --list-files).
listing = subprocess.run([sys.argv[2], "--list-files"], capture_output=True, text=True, check=True).stdout
served = {"/" + line.split("\t")[0] for line in listing.splitlines() if line}
runc_proc = {"/proc/" + f for f in "cpuinfo diskstats meminfo stat swaps uptime loadavg slabinfo".split()}
allowed = {p for p in served if not p.startswith("/proc/") or p in runc_proc}
ok(len(allowed) == 9, "the daemon serves 9 files a runtime accepts")

failed = False
for version in ("v1alpha1", "v1beta1"):
    path = os.path.join(src, "packaging/kubernetes", version, "lxcfs-policy.yaml")
    docs = list(yaml.safe_load_all(open(path)))
    kinds = {d["kind"]: d for d in docs}
    ok(set(kinds) == {"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"},
       f"{version}: a policy and its binding")
    ok(all(d["apiVersion"] == "admissionregistration.k8s.io/" + version for d in docs),
       f"{version}: apiVersion admissionregistration.k8s.io/{version}")
    pol, bind = kinds["MutatingAdmissionPolicy"], kinds["MutatingAdmissionPolicyBinding"]
    ok(bind["spec"]["policyName"] == pol["metadata"]["name"], f"{version}: the binding names the policy")
    ok(bind["spec"]["matchResources"]["namespaceSelector"]["matchLabels"] ==
       {"lxcfs-admission-webhook": "enabled"}, f"{version}: namespaces labelled lxcfs-admission-webhook=enabled")
    files = next(v["expression"] for v in pol["spec"]["variables"] if v["name"] == "files")
    paths = set(re.findall(r"'path': '([^']+)'", files))
    ok(paths == allowed, f"{version}: the files are exactly the served ones runc accepts")
    expr = pol["spec"]["mutations"][0]["applyConfiguration"]["expression"]
    ok("'/var/lib/lxcfs' + f.path" in expr and "type: 'File'" in expr and "readOnly: true" in expr,
       f"{version}: hostPath under /var/lib/lxcfs, type File, read-only mounts")
    conds = " ".join(c["expression"] for c in pol["spec"]["matchConditions"])
    ok("io.lxcfs.enable" in conds and "lxcfs-" in conds,
       f"{version}: skips pods that opt out or have lxcfs volumes")
    ok(pol["spec"]["failurePolicy"] == "Ignore", f"{version}: a failing policy never blocks a pod")
    ok(expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"),
       f"{version}: the CEL expression's brackets balance")
print("1..%d" % n)
sys.exit(1 if ok.failed else 0)
