"""`helm test`: what a user checks first, as tests/stack/test_smoke.py does.
A token for the monasca user (and 401 for a wrong password), three
measurements posted through the API and queried back once the persister
wrote them. Runs in monasca/client, which has keystoneauth and
python-monascaclient."""
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
        sys.exit(0)
    time.sleep(2)
sys.exit(f"FAIL: the 3 measurements of {name} were not queryable within 120 s (persister, InfluxDB?)")
