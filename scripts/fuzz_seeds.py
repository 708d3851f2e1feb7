#!/usr/bin/env python3
"""Seeds the fuzz corpora (fuzz/corpus/TARGET, not committed) from the sample events."""
import base64
import glob
import gzip
import json
import os
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def seed(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as sink:
        sink.write(data)


for path in glob.glob(os.path.join(ROOT, "events", "*.json")):
    name = os.path.basename(path)
    with open(path, "rb") as source:
        raw = source.read()
    seed("decode", name, raw)
    event = json.loads(raw)
    if "awslogs" in event:
        seed("logs_payload", name, gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
for path in glob.glob(os.path.join(ROOT, "events", "logs", "*.log")):
    with open(path, "rb") as source:
        seed("log_scanner", os.path.basename(path), source.read())
for pattern in ("task-definitions/*.json", "templates/*.yaml"):
    for path in glob.glob(os.path.join(ROOT, "events", pattern)):
        with open(path, "rb") as source:
            seed("check_file", os.path.basename(path), source.read())
for path in glob.glob(os.path.join(ROOT, "fuzz", "seeds", "*", "*")):
    target = os.path.basename(os.path.dirname(path))
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    shutil.copy(path, os.path.join(CORPUS, target, os.path.basename(path)))
print("seeded", ", ".join(sorted(os.listdir(CORPUS))))
