"""The isolation probe (issue 9): run as a job of team b, it tries what a
hostile job would and prints one JSON line saying what worked."""
import json
import os

result = {"uid": os.getuid(), "env": sorted(os.environ)}

leaks = []
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            if b"SECRET_OF_A" in f.read():
                leaks.append(pid)
    except OSError:
        pass
result["environ_leaks"] = leaks

writes = []
for path in (os.environ["TARGET_DIR"] + "/pwned", os.environ["TARGET_DIR"] + "/home/pwned",
             os.environ["TARGET_JOBS"] + "/pwned"):
    try:
        with open(path, "w") as f:
            f.write("b was here")
        writes.append(path)
    except OSError:
        pass
result["writes"] = writes

reads = []
for path in (os.environ["TARGET_DB"], os.environ["TARGET_DIR"] + "/output.log"):
    try:
        with open(path, "rb") as f:
            f.read(16)
        reads.append(path)
    except OSError:
        pass
try:
    os.listdir(os.environ["TARGET_JOBS"])
    reads.append(os.environ["TARGET_JOBS"] + " (listing)")
except OSError:
    pass
result["reads"] = reads

# Its own folder is its own.
with open(os.path.join(os.environ["HOME"], "mine"), "w") as f:
    f.write("ok")
result["own_home_writable"] = True
print("PROBE " + json.dumps(result), flush=True)
