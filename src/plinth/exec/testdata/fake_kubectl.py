#!/usr/bin/env python3
"""A stand-in for kubectl in the kubernetes executor's tests (no API server).

Objects live as JSON files under $FAKE_KUBECTL_STATE/objects/<ns>/<kind>/<name>.json;
tests write Job status and pods there. Every call is appended to calls.jsonl
as {"argv": [...], "stdin": ...}. Files in the state folder change behaviour:
  unreachable   every command fails as when the API server is down
  hang          every command sleeps 60 s (for timeouts)
  reject        apply fails with this file's content on stderr
  exec_error    exec fails with this file's content on stderr
  slow_delete   a foreground delete only marks the object (deletionTimestamp)
Pod logs are read from logs/<ns>/<job name>.log.
Implements: apply -f FILE|- [-o json], get KIND NAME -o json,
get pods|jobs -l k=v|k -o json, delete KIND NAME|-l k=v [flags], logs job/NAME,
exec job/NAME -- CMD.
"""
import json
import os
import sys
import time

KINDS = {"job": "job", "jobs": "job", "job.batch": "job", "service": "service",
         "services": "service", "svc": "service", "pod": "pod", "pods": "pod"}
GROUPS = {"job": "jobs.batch", "service": "services", "pod": "pods"}


def fail(message, code=1):
    sys.stderr.write(message + "\n")
    sys.exit(code)


def object_path(state, ns, kind, name):
    return os.path.join(state, "objects", ns, kind, name + ".json")


def load(path):
    with open(path) as f:
        return json.load(f)


def save(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
    os.replace(tmp, path)


def list_objects(state, ns, kind, selector):
    folder = os.path.join(state, "objects", ns, kind)
    items = []
    if os.path.isdir(folder):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".json"):
                obj = load(os.path.join(folder, name))
                labels = obj.get("metadata", {}).get("labels", {})
                if all((k in labels) if v is None else labels.get(k) == v
                       for k, v in selector.items()):
                    items.append(obj)
    return items


def parse_selector(text):
    out = {}
    for part in text.split(","):
        key, eq, value = part.partition("=")
        out[key] = value if eq else None  # "key" alone: the label exists
    return out


def main():
    state = os.environ.get("FAKE_KUBECTL_STATE")
    if not state:
        fail("error: FAKE_KUBECTL_STATE is not set")
    args = sys.argv[1:]
    stdin_text = None
    if "-f" in args and args[args.index("-f") + 1] == "-":
        stdin_text = sys.stdin.read()
    with open(os.path.join(state, "calls.jsonl"), "a") as f:
        f.write(json.dumps({"argv": args, "stdin": stdin_text}) + "\n")
    if os.path.exists(os.path.join(state, "hang")):
        time.sleep(60)
    if os.path.exists(os.path.join(state, "unreachable")):
        fail("The connection to the server 10.0.0.1:6443 was refused - "
             "did you specify the right host or port?")

    ns = "default"
    positional, flags = [], {}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            positional.append(args[i:])
            break
        if a in ("-n", "-f", "-o", "-l", "-c"):
            flags[a] = args[i + 1]
            i += 2
            continue
        if a.startswith("--"):
            key, _, value = a.partition("=")
            flags[key] = value
        else:
            positional.append(a)
        i += 1
    ns = flags.get("--namespace", flags.get("-n", ns))
    verb = positional[0] if positional else ""

    if verb == "apply":
        if os.path.exists(os.path.join(state, "reject")):
            with open(os.path.join(state, "reject")) as f:
                fail(f.read().strip())
        source = flags["-f"]
        text = stdin_text if source == "-" else open(source).read()
        manifest = json.loads(text)
        items = manifest["items"] if manifest.get("kind") == "List" else [manifest]
        applied = []
        for obj in items:
            kind = KINDS[obj["kind"].lower()]
            meta = obj["metadata"]
            obj_ns = meta.get("namespace", ns)
            path = object_path(state, obj_ns, kind, meta["name"])
            if os.path.exists(path):
                old = load(path)
                meta["uid"] = old["metadata"]["uid"]
                if "status" in old:
                    obj["status"] = old["status"]
            else:
                meta["uid"] = "uid-" + meta["name"]
            if kind == "job":
                labels = obj["spec"]["template"].setdefault("metadata", {}).setdefault("labels", {})
                labels["job-name"] = meta["name"]
            save(path, obj)
            applied.append(obj)
        if flags.get("-o") == "json":
            out = applied[0] if len(applied) == 1 else {"kind": "List", "items": applied}
            print(json.dumps(out))
        else:
            for obj in applied:
                print("%s/%s configured" % (obj["kind"].lower(), obj["metadata"]["name"]))
        return

    if verb == "get":
        kind = KINDS[positional[1]]
        if "-l" in flags:
            items = list_objects(state, ns, kind, parse_selector(flags["-l"]))
            print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
            return
        name = positional[2]
        path = object_path(state, ns, kind, name)
        if not os.path.exists(path):
            fail('Error from server (NotFound): %s "%s" not found' % (GROUPS[kind], name))
        print(json.dumps(load(path)))
        return

    if verb == "delete":
        kind = KINDS[positional[1]]
        if "-l" in flags:
            victims = list_objects(state, ns, kind, parse_selector(flags["-l"]))
            names = [v["metadata"]["name"] for v in victims]
        else:
            names = [positional[2]]
        for name in names:
            path = object_path(state, ns, kind, name)
            if not os.path.exists(path):
                if "--ignore-not-found" in flags:
                    continue
                fail('Error from server (NotFound): %s "%s" not found' % (GROUPS[kind], name))
            if (flags.get("--cascade") == "foreground" and
                    os.path.exists(os.path.join(state, "slow_delete"))):
                obj = load(path)
                obj["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
                save(path, obj)
                continue
            os.remove(path)
            if kind == "job":
                for pod in list_objects(state, ns, "pod", {"job-name": name}):
                    os.remove(object_path(state, ns, "pod", pod["metadata"]["name"]))
            print('%s "%s" deleted' % (GROUPS[kind], name))
        return

    if verb == "logs":
        target = positional[1]
        name = target.split("/", 1)[1]
        path = os.path.join(state, "logs", ns, name + ".log")
        if not os.path.exists(path):
            fail('Error from server (NotFound): jobs.batch "%s" not found' % name)
        with open(path) as f:
            sys.stdout.write(f.read())
        return

    if verb == "exec":
        error = os.path.join(state, "exec_error")
        if os.path.exists(error):
            with open(error) as f:
                fail(f.read().strip())
        return

    fail("error: unknown command %r for fake kubectl" % verb)


if __name__ == "__main__":
    main()
