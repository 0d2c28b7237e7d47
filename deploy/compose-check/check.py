"""Proves docker-compose.yml without Docker (none runs on the CI machines).

1. The file parses as YAML and is valid against the Compose
   Specification's JSON schema (vendored: compose-spec.json).
2. Every Probity service's command, each flag in it, each PROBITY_*
   variable of its environment and its health check exist in the real
   `probity` binary (its `--help`), and the addresses agree (the health
   check asks the port the service listens on; published ports are the
   listen and metrics ports).
3. The same topology runs as local processes: the throwaway PostgreSQL of
   scripts/with-postgres (PROBITY_TEST_POSTGRES_URL) set up by the compose
   file's own init SQL, the one-shot services run in dependency order, each
   long-running service started with the compose file's environment (host
   names, the data volume and ports mapped to local ones, nothing else
   changed) and awaited with its own health check. Then the seed scenario
   runs against the three, each service's role is checked to see only its
   own schema, and each metrics endpoint answers.

    python check.py PATH/TO/probity docker-compose.yml
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
# Variables the services read outside their flags (documented in the
# README's configuration table).
NOT_FLAGS = {"PROBITY_LOG"}


def fail(message):
    print(f"compose-check: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def step(message):
    print(f"compose-check: {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(compose_file):
    spec = yaml.safe_load(Path(compose_file).read_text())
    schema = json.loads((HERE / "compose-spec.json").read_text())
    errors = sorted(
        jsonschema.Draft201909Validator(schema).iter_errors(spec), key=lambda e: e.path
    )
    if errors:
        fail("not valid Compose: " + "; ".join(
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]
        ))
    step(f"{compose_file}: valid against the Compose Specification schema")
    return spec


def is_probity(service):
    return service.get("image", "").startswith("probity") or "build" in service


def help_text(probity, words):
    run = subprocess.run([probity, *words, "--help"], capture_output=True, text=True)
    if run.returncode != 0:
        fail(f"`probity {' '.join(words)}` is not a command: {run.stderr.strip()}")
    return run.stdout


def command_words(command):
    """The subcommand path: the words before the first flag."""
    words = []
    for item in command:
        if item.startswith("-"):
            break
        words.append(item)
    return words


def check_flags(probity, spec):
    services = spec["services"]
    for name, service in services.items():
        if not is_probity(service):
            continue
        command = service.get("command")
        if not isinstance(command, list) or not command:
            fail(f"{name}: give `command` as a list of words")
        text = help_text(probity, command_words(command))
        for flag in [c.split("=")[0] for c in command if c.startswith("--")]:
            if not re.search(rf"(^|\s){re.escape(flag)}[\s,=<]", text):
                fail(f"{name}: `probity {' '.join(command_words(command))}` has no flag {flag}")
        env = service.get("environment", {})
        health = service.get("healthcheck")
        # The health check runs in the same environment: its variables count.
        if health and health["test"][:2] == ["CMD", "probity"]:
            text += help_text(probity, command_words(health["test"][2:]))
        for var in env:
            if var.startswith("PROBITY_") and var not in NOT_FLAGS and var not in text:
                fail(f"{name}: neither `probity {' '.join(command_words(command))}` nor its health check reads {var}")
        if command_words(command)[:1] == ["serve"]:
            if not health:
                fail(f"{name}: a server needs a health check")
            test = health["test"]
            if test[:2] != ["CMD", "probity"]:
                fail(f"{name}: the health check should run probity itself: {test}")
            health_help = help_text(probity, command_words(test[2:]))
            for var in ("PROBITY_ADDR", "PROBITY_DATA_DIR"):
                if var not in health_help:
                    fail(f"{name}: `probity {' '.join(test[2:])}` reads no {var}")
            listen_port = env["PROBITY_LISTEN"].rsplit(":", 1)[1]
            addr_port = urllib.parse.urlparse(env["PROBITY_ADDR"]).port
            if str(addr_port) != listen_port:
                fail(f"{name}: the health check asks port {addr_port}, the server listens on {listen_port}")
            metrics_port = env.get("PROBITY_METRICS_LISTEN", ":").rsplit(":", 1)[1]
            for published in service.get("ports", []):
                target = str(published).rsplit(":", 1)[1]
                if target not in (listen_port, metrics_port):
                    fail(f"{name}: publishes {target}, which nothing listens on")
            for dep, how in service.get("depends_on", {}).items():
                wanted = (
                    "service_completed_successfully"
                    if "healthcheck" not in services[dep] and is_probity(services[dep])
                    else "service_healthy"
                )
                if how.get("condition") != wanted:
                    fail(f"{name}: should wait for {dep} with {wanted}")
    step("every command, flag, variable and health check exists in probity")


def order(services):
    """Services in an order where each comes after what it depends on."""
    done, out = set(), []

    def visit(name, path):
        if name in done:
            return
        if name in path:
            fail(f"a dependency cycle through {name}")
        for dep in services[name].get("depends_on", {}):
            visit(dep, path | {name})
        done.add(name)
        out.append(name)

    for name in services:
        visit(name, set())
    return out


class Topology:
    """Local stand-ins for the compose file's hosts, volumes and ports."""

    def __init__(self, spec, pg_url, work):
        self.pg = urllib.parse.urlparse(pg_url)
        self.work = work
        self.ports = {}  # (service, container port) -> local port
        self.hosts = {"postgres": f"{self.pg.hostname}:{self.pg.port}"}
        for name, service in spec["services"].items():
            env = service.get("environment", {})
            if "PROBITY_LISTEN" in env:
                inside = env["PROBITY_LISTEN"].rsplit(":", 1)[1]
                self.ports[(name, inside)] = free_port()
                self.hosts[f"{name}:{inside}"] = f"127.0.0.1:{self.ports[(name, inside)]}"
            if "PROBITY_METRICS_LISTEN" in env:
                inside = env["PROBITY_METRICS_LISTEN"].rsplit(":", 1)[1]
                self.ports[(name, "metrics")] = free_port()
        self.volumes = {}
        for volume in spec.get("volumes", {}):
            path = work / volume
            path.mkdir(mode=0o700)
            self.volumes[volume] = path

    def mounts(self, service):
        out = {}
        for v in service.get("volumes", []):
            source, target = v.split(":")[:2]
            if source in self.volumes:
                out[target] = str(self.volumes[source])
        return out

    def env(self, name, service):
        """The service's environment as a local process gets it."""
        mounts = self.mounts(service)
        out = {}
        for key, value in service.get("environment", {}).items():
            value = str(value)
            for target, local in mounts.items():
                if value == target or value.startswith(target + "/"):
                    value = local + value[len(target):]
            if key == "PROBITY_LISTEN":
                value = f"127.0.0.1:{self.ports[(name, value.rsplit(':', 1)[1])]}"
            elif key == "PROBITY_METRICS_LISTEN":
                value = f"127.0.0.1:{self.ports[(name, 'metrics')]}"
            elif key == "PROBITY_ADDR":
                port = urllib.parse.urlparse(value).port
                value = value.replace(f":{port}", f":{self.ports[(name, str(port))]}")
            elif key == "PROBITY_DATABASE_URL":
                url = urllib.parse.urlparse(value)
                value = url._replace(netloc=f"{url.username}:{url.password}@{self.hosts['postgres']}").geturl()
                value += "?sslmode=disable"
            else:
                for host, local in self.hosts.items():
                    value = value.replace(f"//{host}", f"//{local}")
            out[key] = value
        return out

    def args(self, service):
        mounts = self.mounts(service)
        out = []
        for word in service["command"]:
            for target, local in mounts.items():
                if word == target or word.startswith(target + "/"):
                    word = local + word[len(target):]
            out.append(word)
        return out


# Probity's services, each with its own schema, role and metrics.
SERVICES = ("members", "study", "oversight", "reports")


def psql(url, *args, check=True):
    run = subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-qAt", url, *args],
                         capture_output=True, text=True)
    if check and run.returncode != 0:
        fail(f"psql {' '.join(args)}: {run.stderr.strip()}")
    return run


def main():
    probity, compose_file = sys.argv[1], sys.argv[2]
    probity = str(Path(probity).resolve())
    spec = load(compose_file)
    check_flags(probity, spec)
    pg_url = os.environ.get("PROBITY_TEST_POSTGRES_URL")
    if not pg_url:
        fail("PROBITY_TEST_POSTGRES_URL is not set: run under scripts/with-postgres")
    services = spec["services"]
    postgres = services["postgres"]
    database = postgres["environment"]["POSTGRES_DB"]
    base = urllib.parse.urlparse(pg_url)
    psql(pg_url, "-c", f'CREATE DATABASE "{database}"')
    db_url = base._replace(path=f"/{database}").geturl()
    for v in postgres.get("volumes", []):
        source, target = v.split(":")[:2]
        if target.startswith("/docker-entrypoint-initdb.d/"):
            psql(db_url, "-f", str(Path(compose_file).parent / source))
    step(f"PostgreSQL: database {database} made by the compose file's init SQL")

    work = Path(tempfile.mkdtemp(prefix="probity-compose."))
    topology = Topology(spec, db_url, work)
    running = {}
    logs = {}
    try:
        for name in order(services):
            service = services[name]
            if not is_probity(service):
                continue
            env = {**os.environ, **topology.env(name, service)}
            env.pop("PROBITY_TOKEN", None)
            args = [probity, *topology.args(service)]
            if "healthcheck" not in service:
                run = subprocess.run(args, env=env, capture_output=True, text=True)
                if run.returncode != 0:
                    fail(f"one-shot {name} failed: {run.stderr.strip()}")
                step(f"{name}: ran `{' '.join(service['command'][:3])}…` to completion")
                continue
            logs[name] = open(work / f"{name}.log", "w")
            running[name] = subprocess.Popen(args, env=env, stdout=logs[name], stderr=logs[name])
            health = service["healthcheck"]
            test = health["test"][1:]
            test[0] = probity
            tries = int(health.get("retries", 3)) * 2 + 20
            for _ in range(tries):
                if running[name].poll() is not None:
                    fail(f"{name} exited: {(work / f'{name}.log').read_text()[-2000:]}")
                if subprocess.run(test, env=env, capture_output=True).returncode == 0:
                    break
                time.sleep(0.5)
            else:
                fail(f"{name} did not become healthy: {(work / f'{name}.log').read_text()[-2000:]}")
            step(f"{name}: healthy by its own health check")

        data = topology.volumes["probity-data"]
        env = {**os.environ, "PROBITY_DATA_DIR": str(data)}
        token = subprocess.run(
            [probity, "token", "issue", "--sub", "compose-check", "--agency", "probity-dev",
             "--role", "admin", "--scope", "*"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()
        url = lambda name: f"https://localhost:{topology.ports[(name, '50051')]}"
        started = time.time()
        seed = subprocess.run(
            [probity, "demo", "seed-scenario", "--addr", url("members"),
             "--study-addr", url("study"), "--oversight-addr", url("oversight"),
             "--reports-addr", url("reports"),
             "--timeout-seconds", "60"],
            env={**env, "PROBITY_TOKEN": token}, capture_output=True, text=True,
        )
        if seed.returncode != 0:
            fail(f"seed scenario: {seed.stdout}{seed.stderr}")
        wanted = "317 classes held; 32560 of 32986 eligible members attended (98.71%); 5873 non-members"
        if wanted not in seed.stdout:
            fail(f"seed scenario figures: {seed.stdout}")
        if "period report reports/" not in seed.stdout or not (data / "report.vi.html").exists():
            fail(f"seed scenario's period report: {seed.stdout}")
        step(f"seed scenario through members, study, oversight and reports over mutual TLS in {time.time() - started:.0f} s: {wanted}; the period report issued")

        # Each role sees its own schema only.
        for name in SERVICES:
            role_url = topology.env(name, services[name])["PROBITY_DATABASE_URL"]
            own = psql(role_url, "-c", f"SELECT count(*) FROM {name}.audit_log").stdout.strip()
            if not own.isdigit() or int(own) == 0:
                fail(f"{name}: its own audit log is empty")
            for other in SERVICES:
                if other != name:
                    run = psql(role_url, "-c", f"SELECT count(*) FROM {other}.audit_log", check=False)
                    if run.returncode == 0:
                        fail(f"role {name} can read {other}'s schema")
        step("each service's role reads its own schema and is refused the others'")

        for name in SERVICES:
            port = topology.ports[(name, "metrics")]
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
            if "probity_calls_total{" not in text:
                fail(f"{name}: metrics without calls")
        step("each service's metrics endpoint counts its calls")
    finally:
        for name, process in running.items():
            process.send_signal(signal.SIGTERM)
        for name, process in running.items():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()
        shutil.rmtree(work, ignore_errors=True)
    step("all green")


if __name__ == "__main__":
    main()
