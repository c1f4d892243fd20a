"""A real Kubernetes cluster of node containers on this engine.

node1 is control plane (etcd, API server, controller manager, scheduler)
and worker; every node runs containerd, kubelet and kube-proxy
(deploy/cluster/k8s/node.sh). Pod networks are routed between the nodes
over the node network, no overlay. A registry on that network (Debian's
docker-registry) serves the pause and CoreDNS images and the project's
images, which nodes pull over HTTP: each fetches only what it runs.
Binaries and the node's root file system come from scripts/k8s-tools.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from .. import catalog, engine, stack
from ..errors import UserError
from .nodes import UNPRIVILEGED, remove_cgroups

PREFIX = "monasca-k8s"
LABEL = f"{PREFIX}.cluster"
KUBE_VERSION = "v1.34.4"
COREDNS_VERSION = "v1.14.7"
PAUSE_VERSION = "3.10.1"
ROOTFS_IMAGE = f"{PREFIX}/rootfs:bookworm"
NODE_IMAGE = f"{PREFIX}/node:{KUBE_VERSION}"
CONFIGS = Path("deploy/cluster/k8s")
CHART = Path("deploy/helm/monasca")
# Where the PKI and kubeconfigs live while the cluster exists.
STATE = Path(os.environ.get("MONASCA_K8S_DIR", "/var/lib/monasca-docker/cluster/k8s"))
# The registry answers the host's pushes here (loopback: the engine pushes
# there over HTTP without configuration), the nodes at its address, port 5000.
REGISTRY_PORT = int(os.environ.get("MONASCA_K8S_REGISTRY_PORT", "35000"))
READY_TIMEOUT = 180


def tools_dir(root: Path) -> Path:
    """scripts/k8s-tools: builds what is missing, answers the cache directory."""
    result = subprocess.run([str(root / "scripts/k8s-tools")], stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise UserError("scripts/k8s-tools failed (its output above says where)")
    return Path(result.stdout.strip().splitlines()[-1])


def kube_bin(tools: Path) -> Path:
    return tools / "k8s" / KUBE_VERSION / "bin"


def kubectl(tools: Path, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([str(kube_bin(tools) / "kubectl"), "--kubeconfig", str(STATE / "kubeconfig"),
                             "--request-timeout=10s", *args], input=stdin, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise UserError(f"kubectl {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result


# --- images --------------------------------------------------------------------

def node_image(root: Path, tools: Path) -> None:
    """The node image: Debian's root file system plus binaries and configs.
    docker's layer cache makes an unchanged rebuild cost seconds."""
    if engine.inspect_image(ROOTFS_IMAGE) is None:
        engine.run("import", str(tools / "k8s" / "node-rootfs-bookworm.tar"), ROOTFS_IMAGE)
    with tempfile.TemporaryDirectory(dir=tools / "k8s") as work:
        context = Path(work)
        for item in (root / CONFIGS).iterdir():
            shutil.copy2(item, context / item.name)
        (context / "bin").mkdir()
        for binary in kube_bin(tools).iterdir():
            if not binary.name.endswith(".version") and not binary.name.startswith("."):
                os.link(binary, context / "bin" / binary.name)  # same file system: no copy
        engine.run("build", "--quiet", "--build-arg", f"ROOTFS={ROOTFS_IMAGE}", "--tag", NODE_IMAGE, str(context))
        for name, tag in (("pause", PAUSE_VERSION), ("coredns", COREDNS_VERSION)):
            (context / name).mkdir()  # a context of one binary, not all of bin/
            os.link(context / "bin" / name, context / name / name)
            engine.run("build", "--quiet", "--file", str(context / f"{name}.Dockerfile"),
                       "--tag", f"{PREFIX}/{name}:{tag}", str(context / name))


def chart_images(root: Path) -> list[str]:
    """The repositories the chart's values name (monasca/api, ...)."""
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("repository"), str):
                found.append(node["repository"])
            for value in node.values():
                walk(value)
    walk(yaml.safe_load((root / CHART / "values.yaml").read_text()))
    return sorted(set(found))


def build_chart_images(root: Path) -> None:
    """Build what is missing of the images the chart runs, as `up` does for compose's."""
    by_repository = {image.repository: name for name, image in catalog.load(root).items()}
    repositories = chart_images(root)
    unknown = [repo for repo in repositories if repo not in by_repository]
    if unknown:
        raise UserError(f"the chart names images the catalog does not build: {', '.join(unknown)}")
    stack.build_images([by_repository[repo] for repo in repositories], "push the chart's images")


def push_images(root: Path) -> float:
    """Push pause, CoreDNS and the chart's images (at the chart's appVersion,
    its default tag) to the cluster's registry. Layers the registry already
    holds (its storage is cached between clusters) are not sent again."""
    started = time.monotonic()
    local = f"127.0.0.1:{REGISTRY_PORT}"
    app_version = yaml.safe_load((root / CHART / "Chart.yaml").read_text())["appVersion"]
    refs = {image.ref.split(":")[0]: image.ref for image in catalog.load(root).values()}
    pushes = [(f"{PREFIX}/pause:{PAUSE_VERSION}", f"{local}/pause:{PAUSE_VERSION}"),
              (f"{PREFIX}/coredns:{COREDNS_VERSION}", f"{local}/coredns:{COREDNS_VERSION}")]
    pushes += [(refs[repo], f"{local}/{repo}:{app_version}") for repo in chart_images(root)]
    for source, target in pushes:
        engine.push(source, target)
        engine.run("image", "rm", target)  # the tag only; the image stays
    return time.monotonic() - started


# --- PKI -----------------------------------------------------------------------

def openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise UserError(f"openssl {args[0]} failed: {result.stderr.strip()}")


def certificate(pki: Path, name: str, subject: str, sans: list[str] = (), server: bool = False) -> None:
    """An EC key and a certificate for it, signed by the cluster's CA."""
    usage = "serverAuth,clientAuth" if server else "clientAuth"
    ext = pki / f"{name}.ext"
    ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                   f"extendedKeyUsage={usage}\n" + (f"subjectAltName={','.join(sans)}\n" if sans else ""))
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(pki / f"{name}.key"), "-subj", subject, "-out", str(pki / f"{name}.csr"))
    openssl("x509", "-req", "-in", str(pki / f"{name}.csr"), "-CA", str(pki / "ca.crt"),
            "-CAkey", str(pki / "ca.key"), "-CAcreateserial", "-days", "365",
            "-extfile", str(ext), "-out", str(pki / f"{name}.crt"))


def kubeconfig(server: str, ca: str, cert: str, key: str, embed: bool = False) -> str:
    """A kubeconfig with a client certificate: file paths, or (embed) their contents."""
    def ref(field: str, path: str) -> dict:
        if embed:
            return {f"{field}-data": base64.b64encode(Path(path).read_bytes()).decode()}
        return {field: path}
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": PREFIX,
        "clusters": [{"name": PREFIX, "cluster": {"server": server, **ref("certificate-authority", ca)}}],
        "users": [{"name": PREFIX, "user": {**ref("client-certificate", cert), **ref("client-key", key)}}],
        "contexts": [{"name": PREFIX, "context": {"cluster": PREFIX, "user": PREFIX}}],
    })


def make_pki(ips: list[str]) -> None:
    """A CA, each component's certificate, and for every node a folder with
    only what that node needs (mounted read-only at /etc/kubernetes/pki)."""
    pki = STATE / "pki"
    pki.mkdir(parents=True, mode=0o700)
    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(pki / "ca.key"), "-subj", f"/CN={PREFIX}-ca", "-days", "365",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature", "-out", str(pki / "ca.crt"))
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(pki / "sa.key"))
    openssl("ec", "-in", str(pki / "sa.key"), "-pubout", "-out", str(pki / "sa.pub"))
    certificate(pki, "apiserver", "/CN=kube-apiserver", server=True, sans=[
        "DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc",
        "DNS:kubernetes.default.svc.cluster.local", "DNS:node1", "DNS:localhost",
        "IP:10.96.0.1", "IP:127.0.0.1", f"IP:{ips[0]}"])
    certificate(pki, "apiserver-kubelet-client", "/O=system:masters/CN=kube-apiserver-kubelet-client")
    certificate(pki, "admin", "/O=system:masters/CN=monasca-k8s-admin")
    certificate(pki, "controller-manager", "/CN=system:kube-controller-manager")
    certificate(pki, "scheduler", "/CN=system:kube-scheduler")
    certificate(pki, "kube-proxy", "/CN=system:kube-proxy")
    server = f"https://{ips[0]}:6443"
    inside = "/etc/kubernetes/pki"
    for number, ip in enumerate(ips, 1):
        node = f"node{number}"
        certificate(pki, node, f"/O=system:nodes/CN=system:node:{node}")
        folder = STATE / "nodes" / node
        folder.mkdir(parents=True, mode=0o700)
        files = ["ca.crt", f"{node}.crt", f"{node}.key", "kube-proxy.crt", "kube-proxy.key"]
        if number == 1:
            files += ["apiserver.crt", "apiserver.key", "apiserver-kubelet-client.crt",
                      "apiserver-kubelet-client.key", "sa.key", "sa.pub", "controller-manager.crt",
                      "controller-manager.key", "scheduler.crt", "scheduler.key"]
            for component in ("controller-manager", "scheduler"):
                (folder / f"{component}.kubeconfig").write_text(kubeconfig(
                    "https://127.0.0.1:6443", f"{inside}/ca.crt",
                    f"{inside}/{component}.crt", f"{inside}/{component}.key"))
        for name in files:
            shutil.copy2(pki / name, folder / name)
        (folder / "kubelet.kubeconfig").write_text(kubeconfig(
            server, f"{inside}/ca.crt", f"{inside}/{node}.crt", f"{inside}/{node}.key"))
        (folder / "kube-proxy.kubeconfig").write_text(kubeconfig(
            server, f"{inside}/ca.crt", f"{inside}/kube-proxy.crt", f"{inside}/kube-proxy.key"))
    admin = STATE / "kubeconfig"
    admin.write_text(kubeconfig(server, str(pki / "ca.crt"), str(pki / "admin.crt"),
                                str(pki / "admin.key"), embed=True))
    admin.chmod(0o600)


# --- the cluster ---------------------------------------------------------------

def network() -> ipaddress.IPv4Network:
    """The node network, made when missing; the engine picks a free subnet."""
    if not engine.run("network", "ls", "--quiet", "--filter", f"name=^{PREFIX}$").strip():
        # fixed addresses need a subnet given at creation: the one the engine
        # picks as free, given back to it
        engine.run("network", "create", PREFIX)
        subnet = json.loads(engine.run("network", "inspect", PREFIX))[0]["IPAM"]["Config"][0]["Subnet"]
        engine.run("network", "rm", PREFIX)
        engine.run("network", "create", "--label", LABEL, "--subnet", subnet, PREFIX)
    info = json.loads(engine.run("network", "inspect", PREFIX))[0]
    return ipaddress.ip_network(info["IPAM"]["Config"][0]["Subnet"])


def registry_address(net: ipaddress.IPv4Network) -> str:
    return f"{net[5]}:5000"


def start_registry(tools: Path, net: ipaddress.IPv4Network) -> None:
    """Debian's docker-registry from the node image; its storage is a cache
    kept between clusters, so a warm push sends no layer again."""
    storage = tools / "k8s" / "registry"
    storage.mkdir(exist_ok=True)
    os.chown(storage, 42400, 42400)
    engine.run("run", "--detach", "--name", f"{PREFIX}-registry", "--label", LABEL,
               "--network", PREFIX, "--ip", str(net[5]), "--publish", f"127.0.0.1:{REGISTRY_PORT}:5000",
               "--user", "42400:42400", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
               "--read-only", "--restart", "unless-stopped",
               "--volume", f"{storage}:/var/lib/docker-registry",
               "--entrypoint", "docker-registry", NODE_IMAGE, "serve", "/etc/monasca-k8s/registry.yml")
    deadline = time.monotonic() + 30
    # Quiet while it starts: refused and reset connections are expected then.
    while subprocess.run(["curl", "-fs", "-o", "/dev/null", f"http://127.0.0.1:{REGISTRY_PORT}/v2/"]).returncode:
        if time.monotonic() > deadline:
            raise UserError(f"the registry did not answer: docker logs {PREFIX}-registry")
        time.sleep(0.5)


def start_node(number: int, net: ipaddress.IPv4Network, nodes: int) -> None:
    name = f"{PREFIX}-node{number}"
    routes = " ".join(f"10.244.{other}.0/24,{net[10 + other]}" for other in range(1, nodes + 1) if other != number)
    volumes = ["--volume", f"{name}-containerd:/var/lib/containerd"]
    if number == 1:
        volumes += ["--volume", f"{name}-etcd:/var/lib/etcd"]
    for volume in volumes[1::2]:
        engine.run("volume", "create", "--label", LABEL, volume.split(":")[0])
    env = {"NODE_NAME": f"node{number}", "NODE_IP": str(net[10 + number]), "POD_CIDR": f"10.244.{number}.0/24",
           "REGISTRY": registry_address(net), "CGROUP_ROOT": f"/{name}", "ROUTES": routes,
           "CONTROL_PLANE": "1" if number == 1 else "0"}
    engine.run("run", "--detach", "--name", name, "--hostname", f"node{number}", "--label", LABEL,
               "--network", PREFIX, "--ip", str(net[10 + number]), *UNPRIVILEGED,
               "--device", "/dev/kmsg", "--tmpfs", "/run", "--tmpfs", "/tmp", "--restart", "unless-stopped",
               "--volume", f"{STATE / 'nodes' / f'node{number}'}:/etc/kubernetes/pki:ro", *volumes,
               *[arg for key, value in env.items() for arg in ("--env", f"{key}={value}")], NODE_IMAGE)


def node_states(tools: Path) -> dict[str, bool]:
    """Node name: Ready, as the API server sees them ({} when it does not answer)."""
    result = kubectl(tools, "get", "nodes", "-o", "json", check=False)
    if result.returncode != 0:
        return {}
    return {item["metadata"]["name"]: any(c["type"] == "Ready" and c["status"] == "True"
                                          for c in item["status"].get("conditions", []))
            for item in json.loads(result.stdout)["items"]}


def wait_ready(tools: Path, nodes: int, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        states = node_states(tools)
        if len(states) == nodes and all(states.values()):
            return
        if time.monotonic() > deadline:
            raise UserError(f"nodes not Ready after {timeout:.0f} s ({states or 'the API does not answer'}): "
                            f"docker exec {PREFIX}-node1 tail /var/log/monasca-k8s/kubelet.log")
        time.sleep(1)


def start_dns(root: Path, tools: Path, net: ipaddress.IPv4Network) -> None:
    manifest = (root / CONFIGS / "coredns.yaml").read_text()
    manifest = manifest.replace("@REGISTRY@", registry_address(net)).replace("@COREDNS_VERSION@", COREDNS_VERSION)
    kubectl(tools, "apply", "-f", "-", stdin=manifest)
    kubectl(tools, "-n", "kube-system", "rollout", "status", "deployment/coredns", "--timeout=120s")


def containers() -> list[str]:
    return engine.run("ps", "--all", "--quiet", "--filter", f"label={LABEL}").split()


def up(root: Path, nodes: int) -> int:
    if nodes < 1 or nodes > 9:
        raise UserError(f"--nodes {nodes}: a Kubernetes cluster here has 1 to 9 nodes")
    if containers():
        raise UserError(f"a cluster exists already: `monasca-docker cluster down --kind k8s` first")
    engine.require_engine()
    started = time.monotonic()
    build_chart_images(root)      # first: a failed build should not wait on the tools
    tools = tools_dir(root)
    node_image(root, tools)
    built = time.monotonic() - started
    if STATE.exists():
        shutil.rmtree(STATE)
    net = network()
    ips = [str(net[10 + number]) for number in range(1, nodes + 1)]
    make_pki(ips)
    start_registry(tools, net)
    pushed = push_images(root)
    booting = time.monotonic()
    for number in range(1, nodes + 1):
        start_node(number, net, nodes)
    wait_ready(tools, nodes)
    ready = time.monotonic() - booting
    kubectl(tools, "label", "node", "node1", "node-role.kubernetes.io/control-plane=", "--overwrite")
    start_dns(root, tools, net)
    total = time.monotonic() - started
    helm = Path(os.environ.get("MONASCA_TOOLS_DIR", "/var/cache/monasca-docker/tools")) / "bin"
    print(f"{nodes} nodes Ready {ready:.1f} s after start; CoreDNS running; {total:.1f} s in all "
          f"(tools and images {built:.1f} s, pushing images {pushed:.1f} s)\n"
          f"  export KUBECONFIG={STATE / 'kubeconfig'} PATH={kube_bin(tools)}:{helm}:$PATH"
          f"   # kubectl; helm from scripts/helm-tools\n"
          f"  kubectl get nodes\n"
          f"  helm install monasca {CHART} --set imageRegistry={registry_address(net)} --wait")
    return 0


def down(root: Path) -> int:
    for container in containers():
        engine.run("rm", "--force", "--volumes", container)
    for volume in engine.run("volume", "ls", "--quiet", "--filter", f"label={LABEL}").split():
        engine.run("volume", "rm", volume)
    if engine.run("network", "ls", "--quiet", "--filter", f"name=^{PREFIX}$").strip():
        engine.run("network", "rm", PREFIX)
    remove_cgroups(PREFIX)
    if STATE.exists():
        shutil.rmtree(STATE)
    print("k8s cluster removed")
    return 0


def status(root: Path) -> int:
    running = containers()
    if not running:
        print("no k8s cluster (monasca-docker cluster up --kind k8s)")
        return 1
    tools = tools_dir(root)
    states = node_states(tools)
    names = [json.loads(engine.run("inspect", c))[0]["Config"]["Hostname"] for c in running]
    nodes = sorted(n for n in names if n.startswith("node"))
    for node in nodes:
        print(f"{node:<8} {'Ready' if states.get(node) else 'NotReady'}")
    print(f"KUBECONFIG={STATE / 'kubeconfig'}")
    return 0 if nodes and all(states.get(node) for node in nodes) else 1
