#!/usr/bin/env python3
"""Build a CloudWatch Logs subscription event from a text file of log lines.

    python3 scripts/log_event.py events/logs/built-in-postgres.log > events/logs-built-in-postgres.json

Header lines at the top of the file set the payload's fields:
    # logGroup: /ecs/coder
    # logStream: ecs/coder/4d8c3a3c9f2e4a0b8e7d6c5b4a392817
    # messageType: DATA_MESSAGE          (optional; CONTROL_MESSAGE for a probe)
    # start: 2026-11-24T03:12:40Z        (timestamp of the first line; one second apart)
    # crlf: true                         (optional; end each message in \r as Coder's stdout does)
    # filter: ecs-auditor                (optional; the subscription filter's name in the payload)
Every other line is one log event. The output is what Lambda receives:
{"awslogs": {"data": base64(gzip(JSON))}}, deterministic (gzip mtime 0).
"""
import base64
import datetime
import gzip
import json
import sys


def build(path: str) -> dict:
    with open(path, encoding="utf-8") as source:
        return build_text(source.read())


def build_text(text: str) -> dict:
    header = {}
    lines = []
    for raw in text.splitlines():
        if raw.startswith("# ") and ":" in raw and not lines:
            key, value = raw[2:].split(":", 1)
            header[key.strip()] = value.strip()
        elif raw or lines:
            lines.append(raw)
    start = datetime.datetime.fromisoformat(header.get("start", "2026-11-24T03:12:40Z").replace("Z", "+00:00"))
    first_ms = int(start.timestamp() * 1000)
    suffix = "\r" if header.get("crlf") == "true" else ""
    message_type = header.get("messageType", "DATA_MESSAGE")
    payload = {
        "messageType": message_type,
        "owner": "123456789012" if message_type == "DATA_MESSAGE" else "CloudwatchLogs",
        "logGroup": header.get("logGroup", "/ecs/coder"),
        "logStream": header.get("logStream", "ecs/coder/4d8c3a3c9f2e4a0b8e7d6c5b4a392817"),
        "subscriptionFilters": [header.get("filter", "ecs-auditor")],
        "logEvents": [
            {
                "id": str(37000000000000000000000000000000000000000000000000000000 + first_ms * 1000 + index),
                "timestamp": first_ms + index * 1000,
                "message": line + suffix,
            }
            for index, line in enumerate(lines)
        ],
    }
    data = gzip.compress(json.dumps(payload, separators=(",", ":")).encode(), mtime=0)
    return {"awslogs": {"data": base64.b64encode(data).decode()}}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: log_event.py LINES_FILE > EVENT.json")
    json.dump(build(sys.argv[1]), sys.stdout, indent=2)
    sys.stdout.write("\n")
