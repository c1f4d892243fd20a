"""What every kind of node container shares: the options that let an engine or
a kubelet run inside a container without --privileged (which fails on this
kernel: it lacks CAP_SYS_RESOURCE), the same set as scripts/engine-dind."""
from __future__ import annotations

# Every capability but the one the kernel's bounding set lacks; the host's
# cgroup hierarchy, where the node's own containers get cgroups of their own.
UNPRIVILEGED = (
    "--cap-add=ALL", "--cap-drop=SYS_RESOURCE", "--cgroupns=host",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--security-opt", "systempaths=unconfined",
    "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
)
