"""Infrastructure tools: ``infra_op(tool, op, target)`` facts.

``infra_op(tool, op, target)`` (the tool is the program's name):

- terraform, tofu, terragrunt (``run-all``/``run`` looked through): ``destroy``, ``apply``
  (``apply -destroy`` is ``destroy``), ``replace`` for each ``apply -replace=ADDR``,
  ``state rm`` → ``state_rm``, ``state push`` → ``state_push``, ``force-unlock`` →
  ``force_unlock``, ``taint``, ``import``, ``workspace delete`` → ``workspace_delete``. Target:
  each ``-target``/``-replace`` address for apply and destroy (``""`` for the whole
  configuration), the address(es) or workspace name otherwise. ``plan`` and the other read-only
  commands yield nothing.
- pulumi: ``destroy`` (``down``), ``up`` (``update``), ``stack rm`` → ``stack_rm``, ``replace`` for
  ``up --replace URN``; target: each ``--target``, else the ``--stack``, else ``""``.
  ``destroy --preview-only`` yields nothing.
- kubectl and oc (also ``k3s kubectl``, ``microk8s kubectl``): every verb that is not read-only
  is an op named by the verb (``delete``, ``apply``, ``create``, ``replace``, ``patch``,
  ``scale``, ``rollout``, ``drain``, ``cordon``, ``exec``, ``edit``, ``label`` …); the read-only
  verbs (``get``, ``describe``, ``logs``, ``top``, ``explain``, ``diff``, ``config``, ``auth``,
  ``rollout status|history`` …) and ``--dry-run`` yield nothing. Target: ``kind/name``, the kind
  singular with short names expanded and the API group dropped for built-in kinds (``po x`` and
  ``pods/x`` are ``pod/x``; ``drain n1`` is ``node/n1``; ``exec web`` is ``pod/web``); a kind alone
  (``--all``, a selector) is ``kind``; ``""`` for ``-f FILE`` (the file is a ``reads_file``).
  ``exec`` with a command is also ``unresolved("remote_command")``.
- helm: ``uninstall`` (``delete``, ``del``, ``un``), ``upgrade``, ``install``, ``rollback``;
  target: the release (``""`` with ``--generate-name``); ``--dry-run`` yields nothing.
"""

from __future__ import annotations

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.options import _literal, _off, gnu_options, go_options
from policyc.normalize.programs.stores import kubectl_secret_read

_TF_VALUES = (
    "target", "replace", "var", "var-file", "state", "state-out", "backup", "lock-timeout",
    "parallelism", "out", "config", "provider", "chdir", "backend-config", "plugin-dir",
    "generate-config-out", "exclude",
)  # fmt: skip
# terragrunt's own options that take a value (old --terragrunt-* names and the new ones)
_TG_VALUES = {
    "--terragrunt-working-dir", "--terragrunt-config", "--terragrunt-tfpath",
    "--terragrunt-download-dir", "--terragrunt-source", "--terragrunt-iam-role",
    "--terragrunt-include-dir", "--terragrunt-exclude-dir", "--terragrunt-log-level",
    "--terragrunt-parallelism", "--working-dir", "--config", "--tf-path", "--download-dir",
    "--source", "--iam-assume-role", "--queue-include-dir", "--queue-exclude-dir", "--log-level",
    "--parallelism", "--log-format", "--provider-cache-dir",
}  # fmt: skip


@_program("terraform", "tofu", "terragrunt")
def _terraform(tool: str, args: list[str | None], sh: Shell) -> None:
    words = list(args)
    if tool == "terragrunt":
        kept: list[str | None] = []
        k = 0
        while k < len(words):
            w = words[k]
            k += 1
            if w is not None and (w in _TG_VALUES or w.split("=", 1)[0] in _TG_VALUES):
                k += 1 if "=" not in w else 0
            elif w is None or not w.startswith("--terragrunt-"):
                kept.append(w)
        words = kept
    i = 0
    while i < len(words):
        w = words[i]
        if w is None:
            return
        if w in ("-chdir", "--chdir"):
            i += 2
        elif w.startswith("-") or (tool == "terragrunt" and w in ("run-all", "run", "--")):
            i += 1
        else:
            break
    if i >= len(words):
        return
    sub = words[i]
    opts = go_options(words[i + 1 :], _TF_VALUES)
    ops = opts.operands
    if sub in ("apply", "destroy"):
        destroy = sub == "destroy" or any("-destroy" in c and not _off(v) for c, v in opts.found)
        targets = opts.values("-target")
        for t in targets or [""]:
            sh.add("infra_op", tool, "destroy" if destroy else "apply", t or "")
        for r in opts.values("-replace"):
            sh.add("infra_op", tool, "replace", r or "")
    elif sub in ("taint", "import"):
        sh.add("infra_op", tool, sub, (ops[0] or "") if ops else "")
    elif sub == "force-unlock":
        sh.add("infra_op", tool, "force_unlock", (ops[0] or "") if ops else "")
    elif sub in ("state", "workspace") and ops:
        inner = ops[0]
        more = go_options(ops[1:], _TF_VALUES).operands
        op = {("state", "rm"): "state_rm", ("state", "push"): "state_push",
              ("workspace", "delete"): "workspace_delete"}.get((sub, inner or ""))  # fmt: skip
        if op is not None:
            for t in more or [""]:
                sh.add("infra_op", tool, op, t or "")


_PULUMI_VALUES = (
    "cwd", "stack", "color", "verbose", "tracing", "profiling", "memprofilerate", "target",
    "message", "config", "config-file", "secrets-provider", "exec-kind", "exec-agent",
    "policy-pack", "policy-pack-config", "parallel", "replace", "exclude", "plan",
)  # fmt: skip


@_program("pulumi")
def _pulumi(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="Csvtmcp",
        long_values=_PULUMI_VALUES,
        aliases={"-C": "--cwd", "-s": "--stack", "-t": "--target", "-m": "--message"},
    )
    ops = opts.operands
    if not ops or ops[0] is None:
        return
    verb = {"destroy": "destroy", "down": "destroy", "dn": "destroy", "up": "up",
            "update": "up"}.get(ops[0])  # fmt: skip
    stack = next(iter(opts.values("--stack")), None) or ""
    if verb is not None:
        if verb == "destroy" and opts.has("--preview-only"):
            return
        for t in opts.values("--target") or [stack]:
            sh.add("infra_op", tool, verb, t or "")
        if verb == "up":
            for r in opts.values("--replace"):
                sh.add("infra_op", tool, "replace", r or "")
    elif ops[0] == "stack" and len(ops) > 1 and ops[1] in ("rm", "remove"):
        name = ops[2] if len(ops) > 2 else stack
        sh.add("infra_op", tool, "stack_rm", name or "")


_KUBE_VALUES = (
    "namespace", "context", "kubeconfig", "cluster", "user", "server", "token", "as", "as-group",
    "as-uid", "certificate-authority", "client-certificate", "client-key", "request-timeout",
    "cache-dir", "tls-server-name", "username", "password", "profile", "profile-output", "v",
    "vmodule", "log-file", "filename", "selector", "output", "container", "field-selector",
    "grace-period", "timeout", "kustomize", "replicas", "current-replicas", "resource-version",
    "patch", "type", "patch-file", "image", "port", "field-manager", "for", "chunk-size",
    "subresource", "template", "sort-by", "label-columns", "overrides", "env", "labels",
    "limits", "requests", "restart", "serviceaccount", "pod-running-timeout", "to-revision",
    "revision", "prune-allowlist", "skip-wait-for-delete-timeout", "pod-selector", "raw",
    "target-port", "protocol", "name", "min", "max", "cpu-percent", "from-literal",
    "from-file", "from-env-file", "docker-server", "docker-username", "docker-password",
    "cert", "key", "clusterrole", "role", "serviceaccount", "group", "verb", "resource",
    "schedule", "key", "local-port",
)  # fmt: skip
_KUBE_SHORT_VALUES = "nsvflockpeL"
_KUBE_READ_ONLY = {
    "get", "describe", "logs", "log", "top", "explain", "version", "api-resources",
    "api-versions", "cluster-info", "diff", "auth", "completion", "config", "wait", "events",
    "options", "plugin", "help", "kustomize", "alpha",
}  # fmt: skip
_KUBE_KINDS = {
    "po": "pod", "pods": "pod", "deploy": "deployment", "deployments": "deployment",
    "svc": "service", "services": "service", "ns": "namespace", "namespaces": "namespace",
    "no": "node", "nodes": "node", "cm": "configmap", "configmaps": "configmap",
    "secrets": "secret", "sts": "statefulset", "statefulsets": "statefulset",
    "ds": "daemonset", "daemonsets": "daemonset", "rs": "replicaset", "replicasets": "replicaset",
    "pvc": "persistentvolumeclaim", "persistentvolumeclaims": "persistentvolumeclaim",
    "pv": "persistentvolume", "persistentvolumes": "persistentvolume", "ing": "ingress",
    "ingresses": "ingress", "jobs": "job", "cj": "cronjob", "cronjobs": "cronjob",
    "sa": "serviceaccount", "serviceaccounts": "serviceaccount",
    "crd": "customresourcedefinition", "crds": "customresourcedefinition",
    "customresourcedefinitions": "customresourcedefinition", "hpa": "horizontalpodautoscaler",
    "horizontalpodautoscalers": "horizontalpodautoscaler", "ep": "endpoints",
    "netpol": "networkpolicy", "networkpolicies": "networkpolicy", "roles": "role",
    "rolebindings": "rolebinding", "clusterroles": "clusterrole",
    "clusterrolebindings": "clusterrolebinding", "pdb": "poddisruptionbudget",
    "poddisruptionbudgets": "poddisruptionbudget", "sc": "storageclass",
    "storageclasses": "storageclass", "rc": "replicationcontroller",
    "replicationcontrollers": "replicationcontroller", "ev": "event", "events": "event",
}  # fmt: skip
_KUBE_BUILTIN = set(_KUBE_KINDS.values()) | {"pod", "secret", "ingress", "job", "endpoints"}
# verbs whose operands name one object of an implied kind
_KUBE_IMPLIED = {"drain": "node", "cordon": "node", "uncordon": "node", "exec": "pod",
                 "attach": "pod", "port-forward": "pod", "run": "pod", "debug": "pod"}  # fmt: skip
# verbs (and kinds of `create`) followed by a word that is not an object
_KUBE_SUBVERBS = {"rollout", "set", "create secret", "create service"}


def _kube_kind(word: str) -> str:
    head, dot, group = word.lower().partition(".")
    kind = _KUBE_KINDS.get(head, head)
    return kind if kind in _KUBE_BUILTIN else kind + dot + group


def _kube_targets(verb: str, ops: list[str | None]) -> list[str]:
    words = [o for o in ops if o is not None]
    implied = _KUBE_IMPLIED.get(verb)
    if implied is not None:
        if not words:
            return [""]
        kind, slash, name = words[0].partition("/")
        return [f"{_kube_kind(kind)}/{name}" if slash else f"{implied}/{words[0]}"]
    if not words:
        return [""]
    if "/" in words[0]:
        out = []
        for w in words:
            kind, slash, name = w.partition("/")
            if slash:
                out.append(f"{_kube_kind(kind)}/{name}")
        return out
    kinds = [_kube_kind(k) for k in words[0].split(",") if k]
    names = words[1:] if verb in ("delete", "get") else words[1:2]
    names = [n for n in names if "=" not in n and not n.endswith("-")]
    if not names:
        return kinds
    return [f"{k}/{n}" for k in kinds for n in names]


@_program("kubectl", "oc", "k3s", "microk8s", "microk8s.kubectl")
def _kubectl(tool: str, args: list[str | None], sh: Shell) -> None:
    if tool in ("k3s", "microk8s"):
        if not args or args[0] != "kubectl":
            return
        tool, args = "kubectl", args[1:]
    elif tool == "microk8s.kubectl":
        tool = "kubectl"
    opts = gnu_options(
        args,
        short_values=_KUBE_SHORT_VALUES,
        long_values=_KUBE_VALUES,
        aliases={"-f": "--filename", "-k": "--kustomize"},
    )
    for f in _literal(opts.values("--filename")):
        if "://" in f:
            from policyc.normalize.network import url_facts

            url_facts(f, sh.facts)
        elif f != "-":
            sh.file("reads_file", f)
    for d in _literal(opts.values("--kustomize")):
        sh.file("reads_file", d)
    cut = opts.before_dashdash if opts.before_dashdash is not None else len(opts.operands)
    ops, command = opts.operands[:cut], opts.operands[cut:]
    if not ops or ops[0] is None:
        return
    verb, ops = ops[0], ops[1:]
    kubectl_secret_read(verb, ops, opts.values("--output", "-o"), sh)
    if verb in _KUBE_READ_ONLY:
        return
    if any(not _off(v) and v != "none" for c, v in opts.found if "--dry-run" in c):
        return
    if verb == "rollout":
        if ops and ops[0] in ("status", "history"):
            return
        ops = ops[1:]
    elif verb == "set":
        ops = ops[1:]
    elif verb == "create" and ops and ops[0] in ("secret", "service"):
        ops = ops[:1] + ops[2:]  # `create secret generic NAME`: the secret's type is no name
    if opts.has("--filename", "--kustomize") and verb not in _KUBE_IMPLIED:
        targets = [""]
    else:
        targets = _kube_targets(verb, ops)
    for t in targets:
        sh.add("infra_op", tool, verb, t)
    if verb == "exec" and (command or len(ops) > 1):
        sh.add(
            "unresolved",
            "remote_command",
            f"{tool} exec runs a command in a container that is not analysed",
        )


_HELM_VALUES = (
    "namespace", "kube-context", "kubeconfig", "kube-apiserver", "kube-as-user", "kube-as-group",
    "kube-ca-file", "kube-token", "kube-tls-server-name", "registry-config", "repository-cache",
    "repository-config", "burst-limit", "qps", "values", "set", "set-string", "set-file",
    "set-json", "set-literal", "version", "timeout", "description", "repo", "username",
    "password", "post-renderer", "post-renderer-args", "output", "history-max", "cascade",
    "ca-file", "cert-file", "key-file", "keyring", "labels", "name-template", "max-history",
)  # fmt: skip
_HELM_OPS = {"uninstall": "uninstall", "delete": "uninstall", "del": "uninstall",
             "un": "uninstall", "upgrade": "upgrade", "install": "install",
             "rollback": "rollback"}  # fmt: skip


@_program("helm")
def _helm(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="nfol",
        long_values=_HELM_VALUES,
        aliases={"-f": "--values", "-g": "--generate-name"},
    )
    for f in _literal(opts.values("--values")):
        if "://" not in f and f != "-":
            sh.file("reads_file", f)
    ops = opts.operands
    if not ops or ops[0] is None:
        return
    op = _HELM_OPS.get(ops[0])
    if op is None or any(not _off(v) and v != "none" for c, v in opts.found if "--dry-run" in c):
        return
    names = ops[1:]
    if op == "install" and opts.has("--generate-name"):
        names = []
    elif op != "uninstall":
        names = names[:1]
    for name in names or [""]:
        sh.add("infra_op", tool, op, name or "")
