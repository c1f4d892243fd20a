"""`helm test`: what a user checks first, as tests/stack/test_smoke.py does.
A token for the monasca user (and 401 for a wrong password), three
measurements posted through the API and queried back once the persister
wrote them; with the log services (MONASCA_LOG_API_URL set), a log posted
to the log API and found through the logs search Keystone's catalog names,
and 401 there without a token. Runs in monasca/client, which has
keystoneauth and python-monascaclient."""
import json
import os
import sys
import time

from keystoneauth1 import exceptions, session
from keystoneauth1.identity import v3
from monascaclient import client


def user_session(password):
    return session.Session(auth=v3.Password(
        auth_url=os.environ["OS_AUTH_URL"], username="mini-mon", password=password, project_name="mini-mon",
        user_domain_name="Default", project_domain_name="Default"))


sess = user_session(os.environ["OS_PASSWORD"])
sess.get_token()
try:
    user_session("not-the-password").get_token()
    sys.exit("FAIL: Keystone gave a token for a wrong password")
except exceptions.Unauthorized:
    print("ok: a token for mini-mon, 401 for a wrong password")

monasca = client.Client("2_0", session=sess, endpoint=os.environ["MONASCA_API_URL"])
name, now = f"helm.smoke_{int(time.time())}", int(time.time() * 1000)
monasca.metrics.create(jsonbody=[{"name": name, "dimensions": {"run": "helm-test"},
                                  "timestamp": now - i * 1000, "value": float(i)} for i in range(3)])
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    found = monasca.metrics.list_measurements(name=name, start_time="2000-01-01T00:00:00Z", group_by="*")
    values = sorted(point[1] for series in found for point in series["measurements"])
    if values == [0.0, 1.0, 2.0]:
        print(f"ok: {name} posted and queried back")
        break
    time.sleep(2)
else:
    sys.exit(f"FAIL: the 3 measurements of {name} were not queryable within 120 s (persister, InfluxDB?)")


def msearch(url, text, authenticated=True):
    """The tempest plugin's _msearch for text: (HTTP status, its one response)."""
    body = json.dumps({"index": "*"}) + "\n" + json.dumps({"query": {"match": {"message": text}}}) + "\n"
    answer = sess.post(f"{url.rstrip('/')}/elasticsearch/_msearch", data=body, raise_exc=False,
                       authenticated=authenticated, headers={"Content-Type": "application/json"})
    return answer.status_code, (answer.json()["responses"][0] if answer.status_code == 200 else answer.text)


if not os.environ.get("MONASCA_LOG_API_URL"):
    print("skipped: the log path (log API, log persister or logs search not in this release)")
    sys.exit(0)
marker = f"helmsmoke{int(time.time())}"
sess.post(os.environ["MONASCA_LOG_API_URL"].rstrip("/") + "/logs", json={
    "dimensions": {"service": "helm-smoke"}, "logs": [{"message": f"helm smoke log {marker} WARN"}]})
# The in-cluster endpoint of the catalog: the chart's Service, as the components see it.
search = sess.get_endpoint(service_type="logs-search", interface="internal")
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    status, response = msearch(search, marker)
    if status != 200 or "error" in response:    # a new index's shard may still be starting
        print(f"search not served yet: {status} {json.dumps(response)[:300]}")
    elif response["hits"]["hits"]:
        found = response["hits"]["hits"][0]["_source"]
        if (found["tenant"], found["service"], found["log_level"]) != (sess.get_project_id(), "helm-smoke", "Warning"):
            sys.exit(f"FAIL: the log was stored as {found}")
        print(f"ok: log {marker} posted to the log API and found through {search}")
        break
    time.sleep(2)
else:
    sys.exit(f"FAIL: log {marker} was not a search hit within 120 s (log persister, OpenSearch?)")
status, _ = msearch(search, marker, authenticated=False)
if status != 401:
    sys.exit(f"FAIL: the logs search answered {status} to a request without a token")
print("ok: 401 from the logs search without a token")
