#!/bin/bash
# A Kubernetes node in a container: containerd, kubelet and kube-proxy, and on
# the control plane node also etcd, the API server, controller manager and
# scheduler, each a plain process. Any of them exiting ends the container, so
# its restart policy starts the node over. `cluster up` passes:
#   NODE_NAME NODE_IP POD_CIDR REGISTRY CGROUP_ROOT CONTROL_PLANE (1 or 0)
#   ROUTES  "CIDR,VIA ..." the other nodes' pod networks and their addresses
# and mounts the node's own certificates and kubeconfigs at /etc/kubernetes/pki.
set -euo pipefail
pki=/etc/kubernetes/pki
logs=/var/log/monasca-k8s
mkdir -p "$logs" /etc/cni/net.d /etc/containerd /var/lib/kubelet

# kubelet wants a machine id; the image has none (it is shared by all nodes).
grep -qx '[0-9a-f]\{32\}' /etc/machine-id 2>/dev/null || od -An -N16 -tx1 /dev/urandom | tr -d " \n" >/etc/machine-id

# The node's cgroup in every v1 hierarchy of the host's tree (--cgroupns=host),
# so the nodes' pods do not meet; cpuset needs its cpus and mems filled in.
for hierarchy in /sys/fs/cgroup/*/; do
    if [ -L "${hierarchy%/}" ] || [ "${hierarchy%/}" = /sys/fs/cgroup/unified ]; then continue; fi
    mkdir -p "$hierarchy${CGROUP_ROOT#/}"
done
for file in cpuset.cpus cpuset.mems; do
    cat "/sys/fs/cgroup/cpuset/$file" >"/sys/fs/cgroup/cpuset/${CGROUP_ROOT#/}/$file"
done

# Pod networks of the other nodes: routed over the node network, no overlay.
for route in $ROUTES; do
    ip route replace "${route%,*}" via "${route#*,}"
done
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true

render() {  # TEMPLATE DESTINATION
    sed -e "s#@REGISTRY@#$REGISTRY#g" -e "s#@POD_CIDR@#$POD_CIDR#g" \
        -e "s#@NODE_NAME@#$NODE_NAME#g" "/etc/monasca-k8s/$1" >"$2"
}
render containerd.toml /etc/containerd/config.toml
render cni.conflist /etc/cni/net.d/10-monasca-k8s.conflist
render kube-proxy.yaml /etc/kubernetes/kube-proxy.yaml
render kubelet.yaml /etc/kubernetes/kubelet.yaml
echo "cgroupRoot: $CGROUP_ROOT" >>/etc/kubernetes/kubelet.yaml

start() {  # NAME COMMAND...
    name=$1; shift
    "$@" >>"$logs/$name.log" 2>&1 &
}

start containerd containerd --config /etc/containerd/config.toml
# kubelet exits when the runtime does not answer at its start
for _ in $(seq 100); do [ -S /run/containerd/containerd.sock ] && break; sleep 0.2; done
if [ "$CONTROL_PLANE" = 1 ]; then
    start etcd etcd --name "$NODE_NAME" --data-dir /var/lib/etcd \
        --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
        --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
        --initial-cluster "$NODE_NAME=http://127.0.0.1:2380"
    start kube-apiserver kube-apiserver --etcd-servers=http://127.0.0.1:2379 \
        --advertise-address="$NODE_IP" --secure-port=6443 \
        --service-cluster-ip-range=10.96.0.0/16 \
        --tls-cert-file=$pki/apiserver.crt --tls-private-key-file=$pki/apiserver.key \
        --client-ca-file=$pki/ca.crt \
        --kubelet-client-certificate=$pki/apiserver-kubelet-client.crt \
        --kubelet-client-key=$pki/apiserver-kubelet-client.key \
        --service-account-key-file=$pki/sa.pub --service-account-signing-key-file=$pki/sa.key \
        --service-account-issuer=https://kubernetes.default.svc.cluster.local \
        --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction
    # The controller manager exits when RBAC's default roles are not there yet.
    for _ in $(seq 120); do
        kubectl --kubeconfig=$pki/controller-manager.kubeconfig get --raw /readyz >/dev/null 2>&1 && break
        sleep 1
    done
    # A node that stops reporting is NotReady after 20 s (default 40 s), and
    # its pods leave the Services' endpoints then.
    start kube-controller-manager kube-controller-manager \
        --kubeconfig=$pki/controller-manager.kubeconfig \
        --authentication-kubeconfig=$pki/controller-manager.kubeconfig \
        --authorization-kubeconfig=$pki/controller-manager.kubeconfig \
        --service-account-private-key-file=$pki/sa.key --root-ca-file=$pki/ca.crt \
        --use-service-account-credentials --leader-elect=false \
        --node-monitor-grace-period=20s
    start kube-scheduler kube-scheduler --kubeconfig=$pki/scheduler.kubeconfig \
        --authentication-kubeconfig=$pki/scheduler.kubeconfig \
        --authorization-kubeconfig=$pki/scheduler.kubeconfig --leader-elect=false
fi
start kubelet kubelet --config=/etc/kubernetes/kubelet.yaml --kubeconfig=$pki/kubelet.kubeconfig \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP"
start kube-proxy kube-proxy --config=/etc/kubernetes/kube-proxy.yaml

# The first process to exit ends the node; its log says why.
wait -n || true
echo "monasca-k8s-node: a process exited; logs in $logs" >&2
tail -n 20 "$logs"/*.log >&2
exit 1
