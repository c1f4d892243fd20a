#!/usr/bin/env python3
"""Figures for the threshold engine (monasca/thresh): alarm latency, throughput, kill -9.

    .venv/bin/python benchmarks/thresh.py [latency|throughput|kill|all]

Run from the checkout, with the stack up (`monasca-docker up`) and healthy;
only the in-process half of `throughput` works without it. Each part cleans
up what it creates (definitions, notification methods, containers) but not
the measurements it posts, which stay in InfluxDB under `bench.*` names.

latency
    The time from the POST of a crossing metric (python-monascaclient, the
    published API) to the webhook hit. The receiver is a tiny http.server in
    a monasca/base container on the stack network (the notification engine
    calls webhooks from inside it); it writes time.time() of each hit, and
    the host and the containers read the same clock.
    * `max(x) > 0`, which changes at once: per sample, a new match_by host
      whose alarm is first made with the value 0 (no alarm, no webhook),
      then the crossing value 1. Goal: under 5 s.
    * `avg(x) > 0` with period 60, which changes only when its minute slot
      is evaluated, i.e. at the first metric or 60 s tick after the slot's
      end plus the engine's 30 s lag allowance (contract 4.4, 4.5): the
      first metric of a new host is the crossing one, posted at six phases
      of the minute, once ("once") or again every 5 s like an agent
      ("steady"). Goal: under period + 10 s = 70 s.

throughput
    Metrics per second evaluated with 10,000 live sub-alarms: 100 definitions
    (avg/max/min/sum/count/last of one metric name each, match_by hostname)
    x 100 hosts, values that never breach (so after the first evaluation
    UNDETERMINED -> OK no state changes), and the memory at that load.
    * in process: monasca_thresh.engine.Engine with a store that records
      nothing and a publish that drops the message, pinned to one core. The
      alarms are made by one metric per host per definition; then 20 rounds
      of one metric per series (200,000), each `messages.metric` parsing of
      the envelope JSON plus `Engine.on_metric`, on a simulated clock that
      advances 30 s a round, with the 60 s ticks, are timed. So it measures
      parsing and evaluation: MySQL and Kafka are touched only when an alarm
      is made or changes state, and here they cost nothing. Both the wall
      time and the thread's CPU time are given: other work on the same core
      slows the first, not the second. Memory: the process's VmRSS / VmHWM
      (the interpreter and the imports included).
    * in the stack: the thresh container limited to one CPU (`docker update
      --cpu-period 100000 --cpu-quota 100000`, i.e. --cpus 1, restored with
      --cpu-quota -1 afterwards), the definitions made through the API, the
      alarms made by one metric per series produced straight onto Kafka's
      `metrics` topic (contract 2.2 envelope, tenantId = mini-mon's project).
      Once the alarms exist, 12 more rounds, one every 15 s, fill their
      windows and take each through its first evaluation to OK. Then thresh is
      paused, 300,000 envelopes are produced, thresh is unpaused, and the
      rate is the growth of the health endpoint's `metrics` counter while it
      drains the backlog, and per second of CPU the engine process used
      (from /proc, so the rest of a busy host does not count); memory is
      the peak of `docker stats` of the container meanwhile.
    Goal: at least 20,000 metrics/s, under 200 MB.

kill
    20 definitions `last(x) > 5`, one alarm each, fed values that alternate
    between OK (< 1) and ALARM (> 10) every second (one POST of 20 metrics a
    second; each value encodes its step). 15 s in, thresh is killed: first
    with `docker kill -s KILL monasca-thresh-1`, then, in a second round with
    new definitions, with a SIGKILL of the engine process from inside the
    container (a crash, as Docker sees it). The compose restart policy
    should bring it back (else it is started, and that is said). The
    feed goes on until 20 s after thresh is healthy again. Then: each
    alarm's state through the API against the state of its last value, and
    the alarm-state-transitions messages since the feed began (read from
    Kafka, key = alarm id) against the changes of the posted sequence:
    lost = expected changes never sent (split into values posted while
    thresh was down and while it was up), duplicated = changes sent twice.
    The API writes metrics unkeyed onto 64 partitions, so a backlog is read
    back out of time order, and `last()` keeps the newest value seen: the
    changes of values posted during the downtime mostly fold into one.
"""
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "images" / "thresh" / "engine"))
from monasca_docker import stack  # noqa: E402

THRESH = f"{stack.PROJECT}-thresh-1"
NETWORK = f"{stack.PROJECT}_default"
BASE_IMAGE = "monasca/base:latest"
FUNCTIONS = ("avg", "max", "min", "sum", "count", "last")
DEFINITIONS, HOSTS, ROUNDS, STACK_ROUNDS, WARM_ROUNDS = 100, 100, 20, 30, 12
NEVER = 1_000_000          # a threshold the benchmark's values (0..100) never breach


# --- helpers ---------------------------------------------------------------
def docker(*args, check=True, **kwargs):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, **kwargs)


def in_network(code, *, name=None, detach=False, env=None, timeout=600):
    """Run Python in a monasca/base container on the stack's network (kafka-python is there)."""
    args = ["run", "--network", NETWORK, "--entrypoint", "python3"]
    args += ["--name", name] if name else []
    args += ["-d"] if detach else ["--rm"]
    for key, value in (env or {}).items():
        args += ["-e", f"{key}={value}"]
    return docker(*args, BASE_IMAGE, "-c", code, timeout=timeout)


def eventually(probe, timeout, what, interval=1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"{what}: not within {timeout} s")


def health():
    """The thresh service's health JSON (counters metrics/events/bad_messages/alarms/transitions)."""
    code = ("import urllib.request, urllib.error\n"
            "try: print(urllib.request.urlopen('http://127.0.0.1:8092/healthcheck').read().decode())\n"
            "except urllib.error.HTTPError as e: print(e.read().decode())")
    return json.loads(docker("exec", THRESH, "python3", "-c", code).stdout)


def container_state():
    out = docker("inspect", "--format", "{{.State.Status}} {{.RestartCount}} {{if .State.Health}}"
                 "{{.State.Health.Status}}{{end}}", THRESH).stdout.split()
    return out[0], int(out[1]), (out[2] if len(out) > 2 else "")


def summary(values):
    return f"median {statistics.median(values):.2f} s, max {max(values):.2f} s, n={len(values)}"


def client():
    """(python-monascaclient as mini-mon, mini-mon's project id)."""
    from keystoneauth1 import session
    from keystoneauth1.identity import v3
    from monascaclient import client as monasca_client
    env = stack.env_values(ROOT)
    urls = stack.endpoints(env)
    auth = v3.Password(auth_url=urls["keystone"], username="mini-mon", password=env["MONASCA_USER_PASSWORD"],
                       project_name="mini-mon", user_domain_name="Default", project_domain_name="Default")
    sess = session.Session(auth=auth)
    return monasca_client.Client("2_0", session=sess, endpoint=urls["api"]), sess.get_project_id()


def post(monasca, metrics):
    now = int(time.time() * 1000)
    monasca.metrics.create(jsonbody=[{"timestamp": now, **m} for m in metrics])


def delete_definitions(monasca, definitions):
    for definition in definitions:
        try:
            monasca.alarm_definitions.delete(alarm_id=definition["id"])
        except Exception as exc:     # cleanup goes on; say what stayed behind
            print(f"  (could not delete definition {definition['name']}: {exc})")


# --- latency ---------------------------------------------------------------
RECEIVER = """\
import http.server, time
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        print('HIT %.3f %s' % (time.time(), body.decode()), flush=True)
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass
http.server.HTTPServer(('0.0.0.0', 8080), Hook).serve_forever()
"""


def webhook_hits(receiver):
    """{hostname: time of its first ALARM webhook hit} from the receiver's log."""
    hits = {}
    for line in docker("logs", receiver).stdout.splitlines():
        if not line.startswith("HIT "):
            continue
        _, stamp, body = line.split(" ", 2)
        payload = json.loads(body)
        if payload.get("state") != "ALARM":
            continue
        for metric in payload.get("metrics", []):
            host = metric.get("dimensions", {}).get("hostname")
            hits.setdefault(host, float(stamp))
    return hits


def wait_for_alarm(monasca, definition, host, value, timeout=120):
    """Post value for host until the engine has made its alarm (a new definition may not be known yet)."""
    def made():
        post(monasca, [{"name": definition["metric"], "dimensions": {"hostname": host}, "value": value}])
        return monasca.alarms.list(alarm_definition_id=definition["id"], metric_dimensions={"hostname": host})
    return eventually(made, timeout, f"the alarm of {host}", interval=3)


def max_latency(monasca, receiver, definition, samples=5):
    """Pre-made alarm (value 0), then the crossing value 1: seconds to its webhook hit."""
    latencies = []
    for sample in range(samples):
        host = f"max-{sample}"
        wait_for_alarm(monasca, definition, host, 0.0)
        start = time.time()
        post(monasca, [{"name": definition["metric"], "dimensions": {"hostname": host}, "value": 1.0}])
        hit = eventually(lambda: webhook_hits(receiver).get(host), 60, f"the webhook hit of {host}", 0.1)
        latencies.append(hit - start)
    return latencies


def avg_latency(monasca, receiver, definition, phases=range(0, 60, 10), steady_every=5, timeout=240):
    """New hosts crossing at several phases of the minute: {"once": [s...], "steady": [s...]}."""
    wait_for_alarm(monasca, definition, "avg-warmup", 1.0)      # the definition is known to the engine
    starts, last_steady, pending = {}, 0.0, [(p, v) for p in phases for v in ("once", "steady")]
    while pending or len(webhook_hits(receiver).keys() & starts.keys()) < len(starts):
        now = time.time()
        due = [(p, v) for p, v in pending if int(now) % 60 == p]
        batch = [f"avg-{v}-{p}" for p, v in due]
        if now - last_steady >= steady_every:
            batch += [h for h in starts if "steady" in h]
            last_steady = now
        if batch:
            post(monasca, [{"name": definition["metric"], "dimensions": {"hostname": h}, "value": 1.0}
                           for h in batch])
        for p, v in due:
            starts[f"avg-{v}-{p}"] = now
            pending.remove((p, v))
        if starts and now - max(starts.values()) > timeout:
            break
        time.sleep(0.5 - now % 0.5)
    hits = webhook_hits(receiver)
    return {v: [hits[h] - t for h, t in starts.items() if v in h and h in hits] for v in ("once", "steady")}


def latency():
    monasca, _ = client()
    run = uuid.uuid4().hex[:8]
    receiver = f"bench-thresh-webhook-{run}"
    in_network(RECEIVER, name=receiver, detach=True)
    method = monasca.notifications.create(name=f"bench-{run}", type="WEBHOOK", address=f"http://{receiver}:8080/")
    definitions = []
    try:
        for function, period in (("max", None), ("avg", 60)):
            metric = f"bench.latency.{function}.{run}"
            args = f"{metric}, {period}" if period else metric
            made = monasca.alarm_definitions.create(name=f"bench-{function}-{run}",
                                                    expression=f"{function}({args}) > 0",
                                                    match_by=["hostname"], alarm_actions=[method["id"]])
            definitions.append({**made, "metric": metric})
        found = max_latency(monasca, receiver, definitions[0])
        print(f"latency max(x) > 0, POST to webhook: {summary(found)}  (goal < 5 s)")
        found = avg_latency(monasca, receiver, definitions[1])
        for variant, values in found.items():
            detail = ", ".join(f"{v:.0f}" for v in values)
            print(f"latency avg(x, 60) > 0 ({variant}), POST to webhook: {summary(values)} [{detail}]"
                  "  (goal < 70 s)")
    finally:
        delete_definitions(monasca, definitions)
        monasca.notifications.delete(notification_id=method["id"])
        docker("rm", "-f", receiver, check=False)


# --- throughput, in process --------------------------------------------------
class NullStore:
    """The engine's store interface, recording nothing."""
    def definitions(self): return []
    def alarms(self, definitions): return []
    def create_alarm(self, alarm, now): pass
    def add_alarmed_metric(self, alarm, metric): pass
    def update_states(self, alarms, sub_alarms): pass
    def update_sub_alarm_expressions(self, sad_id, sub): pass
    def delete_alarms_of_definition(self, definition_id): pass


def expression_of(index, prefix):
    return f"{FUNCTIONS[index % len(FUNCTIONS)]}({prefix}.{index}) > {NEVER}"


def envelope(tenant, name, host, value, seconds):
    return json.dumps({"metric": {"name": name, "dimensions": {"hostname": host, "service": "bench"},
                                  "timestamp": int(seconds * 1000), "value": value, "value_meta": {}},
                       "meta": {"tenantId": tenant, "region": "RegionOne"},
                       "creation_time": int(seconds)}).encode()


def round_of(tenant, prefix, seconds, rng):
    """One metric per series (definition x host), spread over the first 10 s of the round."""
    return [envelope(tenant, f"{prefix}.{d}", f"host-{h}", rng.uniform(0, 100), seconds + (h % 10))
            for h in range(HOSTS) for d in range(DEFINITIONS)]


def vm_status(*keys):
    lines = Path("/proc/self/status").read_text().splitlines()
    found = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in lines if line.split(":")[0] in keys}
    return [found[k] for k in keys]


def in_process():
    """Rate of messages.metric + Engine.on_metric on one core, with 10,000 sub-alarms."""
    from monasca_thresh import expression, messages
    from monasca_thresh.engine import Engine
    from monasca_thresh.model import Definition
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    rss_before, = vm_status("VmRSS")
    tenant, prefix, rng, clock = "bench-tenant", "bench.tp", random.Random(8), [1_800_000_000.0]
    published = []
    engine = Engine(NullStore(), published.extend, clock=lambda: clock[0])
    for d in range(DEFINITIONS):
        text = expression_of(d, prefix)
        engine._add_definition(Definition(f"def-{d}", tenant, f"bench-{d}", "", "LOW", ["hostname"], True,
                                          text, {f"sad-{d}": expression.parse(text)}))

    def feed(batch):
        for raw in batch:
            engine.on_metric(*messages.metric(raw))
        engine.flush()

    start = time.perf_counter()
    feed(round_of(tenant, prefix, clock[0], rng))
    created = time.perf_counter() - start
    sub_alarms = sum(len(a.sub_alarms) for a in engine.alarms.values())
    elapsed, cpu_time, next_tick = 0.0, 0.0, clock[0] + 60
    for _ in range(ROUNDS):
        clock[0] += 30
        batch = round_of(tenant, prefix, clock[0], rng)      # built outside the timing
        start, start_cpu = time.perf_counter(), time.thread_time()
        feed(batch)
        if clock[0] >= next_tick:
            engine.tick()
            next_tick += 60
        elapsed += time.perf_counter() - start
        cpu_time += time.thread_time() - start_cpu
    rss, hwm = vm_status("VmRSS", "VmHWM")
    total = ROUNDS * DEFINITIONS * HOSTS
    print(f"throughput in process (CPU {cpu} only; store records nothing, publish drops the message): "
          f"{len(engine.alarms)} alarms / {sub_alarms} sub-alarms made in {created:.2f} s; "
          f"{total} metrics parsed and evaluated in {elapsed:.2f} s = {total / elapsed:,.0f} metrics/s "
          f"({cpu_time:.2f} s of CPU = {total / cpu_time:,.0f} metrics per CPU second); "
          f"{engine.transitions} transitions ({len(published)} published); "
          f"RSS {rss:.0f} MiB (peak {hwm:.0f} MiB, {rss_before:.0f} MiB before the engine; "
          f"getrusage maxrss {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)  "
          "(goal >= 20,000/s, < 200 MB)")


# --- throughput, in the stack ------------------------------------------------
PRODUCER = """\
import json, os, random, time
from kafka import KafkaProducer
tenant, prefix = os.environ['TENANT'], os.environ['PREFIX']
defs, hosts, rounds = int(os.environ['DEFS']), int(os.environ['HOSTS']), int(os.environ['ROUNDS'])
producer = KafkaProducer(bootstrap_servers='kafka:9092', linger_ms=20, batch_size=262144, acks=1)
interval = float(os.environ['INTERVAL'])
rng, start = random.Random(8), time.time()
for r in range(rounds):
    time.sleep(max(0.0, start + r * interval - time.time()))
    now = time.time()
    for h in range(hosts):
        for d in range(defs):
            body = {'metric': {'name': '%s.%d' % (prefix, d), 'dimensions': {'hostname': 'host-%d' % h,
                    'service': 'bench'}, 'timestamp': int(now * 1000), 'value': rng.uniform(0, 100),
                    'value_meta': {}}, 'meta': {'tenantId': tenant, 'region': 'RegionOne'},
                    'creation_time': int(now)}
            producer.send('metrics', json.dumps(body).encode())
producer.flush()
print('%d in %.1f s' % (rounds * hosts * defs, time.time() - start))
"""


def produce(tenant, prefix, rounds, interval=0):
    """rounds x one envelope per series onto `metrics`, a round every interval s (0: at once)."""
    env = {"TENANT": tenant, "PREFIX": prefix, "DEFS": DEFINITIONS, "HOSTS": HOSTS, "ROUNDS": rounds,
           "INTERVAL": interval}
    return in_network(PRODUCER, env=env).stdout.strip()


def memory_mib(container):
    usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container).stdout.split("/")[0].strip()
    units = {"KiB": 1 / 1024, "MiB": 1, "GiB": 1024}
    return float(usage[:-3]) * units[usage[-3:]]


def engine_cpu_seconds():
    """User + system CPU time of the monasca-thresh process (all its threads), from the host's /proc:
    the health probes run by `docker exec` are other processes and do not count."""
    rows = [row.split() for row in docker("top", THRESH, "-o", "pid,comm").stdout.splitlines()[1:]]
    pid = next(row[0] for row in rows if row[1] == "monasca-thresh")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory(stop, peak):
    """docker stats of thresh until stop is set; the largest in peak[0]."""
    while not stop.is_set():
        peak[0] = max(peak[0], memory_mib(THRESH))


def drain_rate(target, timeout=600, every=1.0):
    """metrics/s while the health `metrics` counter climbs to target, sampled every `every` s.

    Each sample is a `docker exec` in the thresh container (on its CPU quota), hence not more often.
    """
    samples, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            samples.append((time.monotonic(), health()["metrics"]))
        except (subprocess.CalledProcessError, ValueError, KeyError):
            pass
        if samples and samples[-1][1] >= target:
            break
        time.sleep(every)
    still = [s for s in samples if s[1] == samples[0][1]]
    (t0, c0), (t1, c1) = still[-1], samples[-1]
    return (c1 - c0) / (t1 - t0), c1 - c0


def one_cpu(quota):
    """Limit thresh to one CPU as `docker update --cpus 1` does, but through the CFS quota:
    Docker cannot set NanoCpus back to 0 (`--cpus 0` leaves the limit), a quota of -1 can."""
    if int(quota) > 0:
        raise RuntimeError(f"{THRESH} already has a CPU quota ({quota}); not touching it")
    docker("update", "--cpu-period", "100000", "--cpu-quota", "100000", THRESH)


def in_stack():
    """The real container on one CPU, fed straight onto Kafka."""
    monasca, tenant = client()
    run = uuid.uuid4().hex[:8]
    prefix = f"bench.tp.{run}"
    quota = docker("inspect", "--format", "{{.HostConfig.CpuQuota}}", THRESH).stdout.strip()
    definitions, alarms = [], DEFINITIONS * HOSTS
    try:
        base = health()
        for d in range(DEFINITIONS):
            definitions.append(monasca.alarm_definitions.create(
                name=f"bench-tp-{run}-{d}", expression=expression_of(d, prefix), match_by=["hostname"]))
        eventually(lambda: health()["definitions"] >= base["definitions"] + DEFINITIONS, 120, "definitions known")
        one_cpu(quota)
        start = time.monotonic()
        produce(tenant, prefix, 1)
        eventually(lambda: health()["alarms"] >= base["alarms"] + alarms, 900, "alarms made", 2)
        made = time.monotonic() - start
        # A round every 15 s for 3 min: each alarm's first evaluation (UNDETERMINED -> OK) comes
        # 30..150 s after its first kept value, then its windows stay full and its state OK.
        produce(tenant, prefix, WARM_ROUNDS, interval=15)
        try:
            eventually(lambda: health()["transitions"] >= base["transitions"] + alarms, 120, "first evaluations", 2)
        except TimeoutError:
            pass
        warm, rest = health()["transitions"] - base["transitions"], memory_mib(THRESH)
        docker("pause", THRESH)
        try:
            produced = produce(tenant, prefix, STACK_ROUNDS)
        finally:
            docker("unpause", THRESH)
        stop, peak = threading.Event(), [0.0]
        sampler = threading.Thread(target=peak_memory, args=(stop, peak))
        sampler.start()
        try:
            cpu_before = engine_cpu_seconds()
            rate, counted = drain_rate(health()["metrics"] + STACK_ROUNDS * alarms)
            cpu = engine_cpu_seconds() - cpu_before
        finally:
            stop.set()
            sampler.join()
        after = health()
        print(f"throughput in the stack (thresh container at --cpus 1): {alarms} alarms made in {made:.0f} s "
              f"({alarms / made:.0f}/s); {WARM_ROUNDS} rounds at 15 s gave {warm} transitions (UNDETERMINED -> OK; "
              f"{alarms} expected), memory then {rest:.0f} MiB; "
              f"{STACK_ROUNDS * alarms} envelopes produced onto `metrics` while thresh was paused ({produced}); "
              f"backlog evaluated at {rate:,.0f} metrics/s (over {counted}), using {cpu:.1f} s of the engine "
              f"process's CPU = {counted / cpu:,.0f} metrics per CPU second; memory peak {peak[0]:.0f} MiB; "
              f"transitions during the drain {after['transitions'] - base['transitions'] - warm}, "
              f"bad messages {after['bad_messages'] - base['bad_messages']}  (goal >= 20,000/s, < 200 MB)")
    finally:
        docker("unpause", THRESH, check=False)
        docker("update", "--cpu-quota", quota if int(quota) > 0 else "-1", THRESH, check=False)
        delete_definitions(monasca, definitions)


def throughput():
    in_process_thread = threading.Thread(target=in_process)    # its own thread: the affinity stays there
    in_process_thread.start()
    in_process_thread.join()
    in_stack()


# --- kill -9 -----------------------------------------------------------------
CONSUMER = """\
import json, os
from kafka import KafkaConsumer, TopicPartition
since, ids = int(os.environ['SINCE']), set(os.environ['IDS'].split(','))
consumer = KafkaConsumer(bootstrap_servers='kafka:9092', enable_auto_commit=False, consumer_timeout_ms=10000)
topic = 'alarm-state-transitions'
parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
consumer.assign(parts)
ends = consumer.end_offsets(parts)
for part, found in consumer.offsets_for_times({p: since for p in parts}).items():
    consumer.seek(part, found.offset if found else ends[part])
for msg in consumer:
    if msg.key and msg.key.decode() in ids:
        body = json.loads(msg.value)['alarm-transitioned']
        values = [v for s in body['subAlarms'] for v in s['currentValues']]
        print(json.dumps([body['alarmId'], body['oldState'], body['newState'], values]))
    if all(consumer.position(p) >= ends[p] for p in parts):
        break
"""


def transitions_since(since_ms, alarm_ids):
    """{alarm id: [(old, new, currentValues)...]} from alarm-state-transitions, in topic order."""
    out = in_network(CONSUMER, env={"SINCE": since_ms, "IDS": ",".join(alarm_ids)}).stdout
    found = {a: [] for a in alarm_ids}
    for line in out.splitlines():
        alarm_id, old, new, values = json.loads(line)
        found[alarm_id].append((old, new, values))
    return found


KILL_INSIDE = """\
import os
for pid in filter(str.isdigit, os.listdir('/proc')):
    args = open('/proc/%s/cmdline' % pid, 'rb').read().split(b'\\0')
    if int(pid) != os.getpid() and any(a.endswith(b'/monasca-thresh') for a in args):
        os.kill(int(pid), 9)
"""
KILLS = {"docker kill -s KILL": lambda: docker("kill", "-s", "KILL", THRESH),
         "kill -9 of the engine process inside the container":
             lambda: docker("exec", THRESH, "python3", "-c", KILL_INSIDE)}


def kill_and_wait(method):
    """SIGKILL thresh one way; (time of the kill, time healthy again, how it came back)."""
    _, restarts, _ = container_state()
    killed = time.time()
    KILLS[method]()
    how = "the restart policy restarted it"
    try:
        eventually(lambda: container_state()[1] > restarts and container_state()[0] == "running", 30,
                   "the restart", 0.5)
    except TimeoutError:
        how = f"the restart policy did NOT restart it within 30 s (state {container_state()}): docker start"
        docker("start", THRESH)
    eventually(lambda: container_state()[2] == "healthy", 300, "healthy again", 0.5)
    return killed, time.time(), how


def value_of(alarm, step):
    """Alarm i alternates: ALARM (10 + step) when step + i is odd, else OK (step / 1000);
    each value names its step, so a transition's currentValues tell which POST caused it."""
    return 10.0 + step if (step + alarm) % 2 else step / 1000


def step_of(value):
    return int(value - 10) if value > 5 else round(value * 1000)


def feed_alternating(monasca, names, stop, posted):
    """One POST of every alarm's next value a second, until stop is set; posted gets the POST times."""
    step = 0
    while not stop.is_set():
        post(monasca, [{"name": n, "dimensions": {"hostname": "kill"}, "value": value_of(i, step)}
                       for i, n in enumerate(names)])
        posted.append(time.time())
        step += 1
        time.sleep(1 - time.time() % 1)


def kill():
    monasca, _ = client()
    for method in KILLS:
        kill_round(monasca, method)


def kill_round(monasca, method):
    run = uuid.uuid4().hex[:8]
    names = [f"bench.kill.{run}.{i}" for i in range(20)]
    definitions = []
    try:
        for i, name in enumerate(names):
            definitions.append({**monasca.alarm_definitions.create(name=f"bench-kill-{run}-{i}",
                                                                   expression=f"last({name}) > 5"), "metric": name})
        alarms = [wait_for_alarm(monasca, d, "kill", 0.0)[0]["id"] for d in definitions]
        eventually(lambda: all(monasca.alarms.get(alarm_id=a)["state"] == "OK" for a in alarms), 60, "all OK")
        since_ms, posted, stop = int(time.time() * 1000), [], threading.Event()
        feeder = threading.Thread(target=feed_alternating, args=(monasca, names, stop, posted))
        feeder.start()
        try:
            time.sleep(15)
            killed, back, how = kill_and_wait(method)
            time.sleep(20)
        finally:
            stop.set()
            feeder.join()
        time.sleep(15)                    # let the last metrics through
        report_kill(monasca, alarms, posted, since_ms, (killed, back), f"{method}: {how}")
    finally:
        delete_definitions(monasca, definitions)


def expected_steps(alarm, steps):
    """The steps whose value changes the alarm's state (it starts OK), and its final state."""
    states = ["ALARM" if value_of(alarm, k) > 5 else "OK" for k in range(steps)]
    changes = [k for k in range(steps) if states[k] != (states[k - 1] if k else "OK")]
    return changes, states[-1]


def report_kill(monasca, alarms, posted, since_ms, down, how):
    """Compare what was sent with what the posted values call for, step by step."""
    sent = transitions_since(since_ms, alarms)
    wrong, lost_down, lost_up, duplicated, unchained, expected = [], 0, 0, 0, 0, 0
    for i, alarm_id in enumerate(alarms):
        changes, final = expected_steps(i, len(posted))
        state = monasca.alarms.get(alarm_id=alarm_id)["state"]
        if state != final:
            wrong.append(f"{alarm_id}: {state}, expected {final}")
        seen = [step_of(values[-1]) for _, _, values in sent[alarm_id] if values]
        unchained += sum(1 for a, b in zip(sent[alarm_id], sent[alarm_id][1:]) if b[0] != a[1])
        duplicated += len(seen) - len(set(seen))
        missing = [k for k in changes if k not in seen]
        lost_down += sum(1 for k in missing if down[0] - 1 <= posted[k] <= down[1])
        lost_up += sum(1 for k in missing if not down[0] - 1 <= posted[k] <= down[1])
        expected += len(changes)
    print(f"kill -9: thresh healthy again {down[1] - down[0]:.0f} s after the kill ({how}); {len(posted)} POSTs "
          f"of {len(alarms)} alternating last() alarms; transitions expected {expected}, sent "
          f"{sum(len(s) for s in sent.values())}; lost {lost_down + lost_up} ({lost_down} of values posted while "
          f"thresh was down, {lost_up} of values posted while it was up), duplicated {duplicated}; "
          f"oldState not the previous newState: {unchained}; alarms in the wrong state after: {len(wrong)}"
          + (" (" + "; ".join(wrong) + ")" if wrong else ""))


PARTS = {"latency": latency, "throughput": throughput, "kill": kill}


def main(argv):
    chosen = argv[1] if len(argv) > 1 else "all"
    if chosen not in (*PARTS, "all"):
        print(__doc__.split("\n\n")[1])
        return 2
    for name in PARTS if chosen == "all" else [chosen]:
        PARTS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
