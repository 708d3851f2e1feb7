#!/usr/bin/env python3
"""The seed's story, locally: `make demo` (and `make invoke EVENT=...`).

Starts the AWS emulator (moto_server) on a free loopback port, seeds an account like the seed
document's (cluster coder-cluster, service coder-service without a load balancer, a Coder task
definition that sets CODER_POSTGRES_URL from a secret and mounts no EFS), runs the function
under `cargo lambda watch` bound to 127.0.0.1, replays a deployment as events through
`cargo lambda invoke`, and prints each alert as an email subscriber reads it (read back from an
SQS queue subscribed to the alert topic). Everything it starts is stopped on exit, Ctrl-C or
failure.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import log_event  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.join(ROOT, ".venv", "bin")
REGION = "us-east-1"
# Task ids and ENIs the sample events use; replaced by those of the tasks the emulator runs.
SEED_TASK_ID = "4d8c3a3c9f2e4a0b8e7d6c5b4a392817"
FIXED_TASK_ID = "b1c2d3e4f5a60718293a4b5c6d7e8f90"
SEED_ENI = "eni-0a1b2c3d4e5f60718"
FIXED_ENI = "eni-0f1e2d3c4b5a69788"
SEED_SUBNET = "subnet-0a1b2c3d4e5f60718"
COLOUR = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None


def style(text, code):
    return f"\033[{code}m{text}\033[0m" if COLOUR else text


def say(text):
    print(style("==> ", "1;34") + style(text, "1"), flush=True)


def note(text):
    print("    " + text, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """Child processes, each in its own session, stopped together."""

    def __init__(self):
        self.children = []

    def start(self, name, args, log_path, env=None):
        log = open(log_path, "w")
        child = subprocess.Popen(
            args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, cwd=ROOT, start_new_session=True,
        )
        self.children.append((name, child, log))
        return child

    def stop_all(self):
        for name, child, log in reversed(self.children):
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                    child.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(child.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            log.close()
            note(f"stopped {name}")
        self.children.clear()


def wait_until(description, check, timeout, child=None, log_path=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if child is not None and child.poll() is not None:
            tail = open(log_path).read()[-3000:] if log_path else ""
            raise SystemExit(f"error: {description}: the process exited.\n{tail}")
        try:
            result = check()
            if result:
                return result
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        time.sleep(0.3)
    tail = open(log_path).read()[-3000:] if log_path else ""
    raise SystemExit(f"error: {description} did not happen within {timeout} s.\n{tail}")


def aws(endpoint):
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return lambda service: session.client(service, endpoint_url=endpoint)


def seed_account(client, endpoint):
    """The seed's account: cluster, service without load balancer, Coder task definitions."""
    ec2, ecs = client("ec2"), client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="coder", Description="coder", VpcId=vpc)["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group], "assignPublicIp": "ENABLED"}}
    ecs.create_cluster(clusterName="coder-cluster")
    revisions = {}
    for name in ("coder-seed", "coder-fixed", "coder-plaintext"):
        with open(os.path.join(ROOT, "events", "task-definitions", f"{name}.json")) as source:
            definition = ecs.register_task_definition(**json.load(source))["taskDefinition"]
        revisions[name] = f"{definition['family']}:{definition['revision']}"
    ecs.create_service(
        cluster="coder-cluster", serviceName="coder-service", taskDefinition=revisions["coder-seed"],
        desiredCount=1, launchType="FARGATE", networkConfiguration=network,
    )
    # Keep emulated tasks RUNNING however often they are described.
    request = urllib.request.Request(
        f"{endpoint}/moto-api/state-manager/set-transition", method="POST",
        data=json.dumps({"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1000000}}).encode(),
    )
    urllib.request.urlopen(request).read()

    def run(revision, started_by):
        """A service task with an Elastic IP on its ENI, as Fargate gives it a public IP."""
        task = ecs.run_task(
            cluster="coder-cluster", taskDefinition=revision, launchType="FARGATE",
            networkConfiguration=network, startedBy=started_by, group="service:coder-service",
        )["tasks"][0]
        eni = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "networkInterfaceId")
        address = ec2.allocate_address(Domain="vpc")
        ec2.associate_address(AllocationId=address["AllocationId"], NetworkInterfaceId=eni)
        return task["taskArn"].rsplit("/", 1)[1], eni, address["PublicIp"]

    seed = run(revisions["coder-seed"], "ecs-svc/1234567890123456789")
    return revisions, seed, subnet, lambda: run(revisions["coder-fixed"], "ecs-svc/9876543210987654321")


def alert_inbox(client):
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name="ecs-auditor-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="demo-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    def drain():
        alerts = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                return alerts
            for message in messages:
                envelope = json.loads(message["Body"])
                alerts.append((envelope.get("Subject", ""), json.loads(envelope["Message"])))
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

    return topic, drain


def prepare_events(workdir, task_ids):
    """Copies the sample events with the emulator's task ids in place of the samples' ids."""
    def rewrite(text):
        for sample, actual in task_ids.items():
            text = text.replace(sample, actual)
        return text

    paths = {}
    events_dir = os.path.join(ROOT, "events")
    for name in os.listdir(events_dir):
        if name.endswith(".json"):
            with open(os.path.join(events_dir, name)) as source:
                paths[name] = rewrite(source.read())
    for name in os.listdir(os.path.join(events_dir, "logs")):
        with open(os.path.join(events_dir, "logs", name)) as source:
            event = log_event.build_text(rewrite(source.read()))
        paths[f"logs-{name[:-4]}.json"] = json.dumps(event)
    written = {}
    for name, text in paths.items():
        path = os.path.join(workdir, name)
        with open(path, "w") as sink:
            sink.write(text)
        written[name] = path
    return written


def start_function(processes, workdir, endpoint, topic):
    port = free_port()
    log_path = os.path.join(workdir, "cargo-lambda-watch.log")
    env = dict(os.environ)
    settings = {
        "SNS_TOPIC_ARN": topic,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "RUST_LOG": "info",
    }
    env.update(settings)
    env.pop("AWS_PROFILE", None)
    args = [os.path.join(VENV_BIN, "cargo-lambda"), "lambda", "watch", "--ignore-changes", "--quiet",
            "--invoke-address", "127.0.0.1", "--invoke-port", str(port)]
    for key, value in settings.items():
        args += ["--env-var", f"{key}={value}"]
    child = processes.start("cargo lambda watch", args, log_path, env=env)
    return port, child, log_path


def invoke(port, path):
    result = subprocess.run(
        [os.path.join(VENV_BIN, "cargo-lambda"), "lambda", "invoke", "ecs-auditor",
         "--invoke-address", "127.0.0.1", "--invoke-port", str(port), "--data-file", path,
         "--output-format", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or result.stdout.strip())
    return json.loads(result.stdout)


def print_email(subject, document):
    width = 78
    print()
    print(style("  +" + "-" * width, "2"))
    print(style("  | ", "2") + style("From: ", "2") + "ecs-auditor via Amazon SNS")
    print(style("  | ", "2") + style("Subject: ", "2") + style(subject, "1;31" if document["severity"] == "critical" else "1;33"))
    print(style("  |", "2"))
    for line in document["text"].rstrip().splitlines():
        print(style("  | ", "2") + line)
    print(style("  +" + "-" * width, "2"))
    print(flush=True)


STORY = [
    ("The team registers task definition coder:1: it sets CODER_POSTGRES_URL from Secrets Manager and mounts no EFS. CloudTrail reports the call through EventBridge, before any task runs.",
     "task-definition-registered-seed.json"),
    ("The service starts its task, with a public IP and no load balancer. The task reaches RUNNING.",
     "task-running-seed.json"),
    ("Coder starts up and writes its first log lines; the subscription delivers them.",
     "logs-built-in-postgres.json"),
    ("The fixed revision coder:2 (CODER_PG_CONNECTION_URL from the same secret) is deployed.",
     "deployment-in-progress.json"),
    ("Its task reaches RUNNING, at a new public IP.", "task-running-fixed.json"),
    ("The new task logs its start-up: no built-in database this time.", "logs-external-postgres.json"),
    ("The old task is stopped: the data it held in its built-in PostgreSQL is gone with it.",
     "task-stopped-seed.json"),
    ("The deployment completes.", "deployment-completed.json"),
    ("The service reaches a steady state.", "service-steady-state.json"),
]


INTRO = """\
ecs-auditor watches ECS task events and your app's log lines for data that dies with the task.
This demo replays the story of a team running Coder on ECS Fargate: they meant to use an RDS
database but set CODER_POSTGRES_URL, a name Coder never reads, so Coder quietly ran on its
built-in PostgreSQL inside the task, and the next deployment wiped users and workspaces.
Everything below runs locally: an emulated AWS account, the real function under
cargo lambda watch, and the alerts as the team's inbox would receive them.
"""


def expected_alerts():
    """events/README.md's table: event file -> the alerts it must produce (or none/ignored)."""
    expected = {}
    with open(os.path.join(ROOT, "events", "README.md")) as readme:
        for line in readme:
            if line.startswith("| `"):
                cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
                expected[cells[0].strip("`")] = cells[2]
    return expected


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--event", help="invoke only this event file (make invoke EVENT=...)")
    parser.add_argument("--check", action="store_true",
                        help="fail unless every step yields the alerts events/README.md names (CI)")
    args = parser.parse_args()

    processes = Processes()
    workdir = tempfile.mkdtemp(prefix="ecs-auditor-demo-")

    def interrupted(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    failures = []
    try:
        if not args.event:
            print(INTRO)
        say("Starting the local AWS emulator (moto_server)")
        moto_port = free_port()
        endpoint = f"http://127.0.0.1:{moto_port}"
        moto_log = os.path.join(workdir, "moto.log")
        moto = processes.start("moto_server", [os.path.join(VENV_BIN, "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)], moto_log)
        wait_until("moto_server to answer", lambda: urllib.request.urlopen(f"{endpoint}/moto-api/").status == 200, 60, moto, moto_log)
        note(f"listening on {endpoint}")

        say("Seeding the demo account: coder-cluster, coder-service (no load balancer), task definitions coder:1 and coder:2")
        client = aws(endpoint)
        revisions, seed, subnet, run_fixed_task = seed_account(client, endpoint)
        topic, drain = alert_inbox(client)
        note(f"alert topic {topic}, read back through an SQS queue as a subscriber")

        say("Starting the function under cargo lambda watch (127.0.0.1)")
        port, watch, watch_log = start_function(processes, workdir, endpoint, topic)
        control = os.path.join(ROOT, "events", "logs-control-message.json")
        wait_until("the function to answer", lambda: invoke(port, control)["status"] == "ignored", 900, watch, watch_log)
        note(f"ready on 127.0.0.1:{port} (its log: {watch_log})")

        if args.event:
            say(f"Invoking {args.event}")
            response = invoke(port, os.path.abspath(os.path.join(ROOT, args.event)) if not os.path.isabs(args.event) else args.event)
            note("response: " + json.dumps(response))
            for subject, document in drain():
                print_email(subject, document)
            return 0

        fixed = run_fixed_task()
        note(f"the seed's task answers at {seed[2]}; the fixed revision's task will get {fixed[2]}")
        events = prepare_events(workdir, {SEED_TASK_ID: seed[0], FIXED_TASK_ID: fixed[0],
                                          SEED_ENI: seed[1], FIXED_ENI: fixed[1], SEED_SUBNET: subnet})
        expected = expected_alerts()
        totals = []
        print()
        for step, (story, name) in enumerate(STORY, start=1):
            say(f"Step {step}: {story}")
            response = invoke(port, events[name])
            note(f"event {name}: {response['status']}, {response['findings']} finding(s); {response['detail']}")
            alerts = drain()
            if not alerts:
                note("no alert")
            for subject, document in alerts:
                print_email(subject, document)
                totals.append((step, document["severity"], document["rule"], subject))
            outcome = "ignored" if response["status"] == "ignored" else (
                ", ".join(sorted(document["rule"] for _, document in alerts)) or "none")
            if outcome != expected.get(name):
                failures.append(f"step {step} ({name}): got {outcome}, events/README.md says {expected.get(name)}")

        say("Summary")
        note(f"{len(STORY)} events replayed, {len(totals)} alert(s) sent:")
        for step, severity, rule, subject in totals:
            note(f"  step {step}: {severity:<8} {rule:<28} {subject}")
        database_rules = {"database-setting-misnamed", "no-external-database", "ephemeral-data-directory",
                          "embedded-database-in-use", "database-url-malformed", "secret-reference-malformed",
                          "database-connection-failing"}
        fixed_alerts = [t for t in totals if t[0] in (4, 5) and t[2] in database_rules]
        if fixed_alerts:
            note("the fixed setup still raised database alerts: see above")
        else:
            note("the fixed setup (CODER_PG_CONNECTION_URL from a secret) raised no database alert;")
            note("what remains is the address: put a load balancer in front (see the alerts).")
        if failures:
            for failure in failures:
                print(style("error: ", "1;31") + failure)
            return 1 if args.check else 0
        return 0
    except KeyboardInterrupt:
        print()
        say("Interrupted")
        return 130
    finally:
        say("Stopping everything the demo started")
        processes.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
