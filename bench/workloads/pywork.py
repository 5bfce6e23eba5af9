"""python workload: imports, JSON and regex over small files, some computing (~0.3 s)."""
import hashlib
import json
import os
import re
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 40
word = re.compile(r"[a-z_][a-z0-9_]*")
total = 0
for r in range(rounds):
    path = os.path.join(out, "pywork-%d.json" % (r % 4))
    records = [{"id": i, "name": "item_%d_%d" % (r, i), "tags": ["a", "b", str(i % 7)],
                "score": (i * 2654435761) % 1000 / 7.0} for i in range(500)]
    with open(path, "w") as f:
        json.dump(records, f)
    with open(path) as f:
        back = json.load(f)
    text = " ".join(rec["name"] for rec in back)
    total += len(word.findall(text))
    total += int(hashlib.sha256(text.encode()).hexdigest()[:4], 16)
    total += sum(sorted(int(rec["score"]) for rec in back)[::50])
for r in range(4):
    try:
        os.unlink(os.path.join(out, "pywork-%d.json" % r))
    except FileNotFoundError:
        pass
print(total)
