"""What every kind of node container shares: the options that let an engine or
a kubelet run inside a container without --privileged (which fails on this
kernel: it lacks CAP_SYS_RESOURCE), the same set as scripts/engine-dind, and
the removal of the cgroups the nodes leave behind."""
from __future__ import annotations

import errno
import time
from pathlib import Path

from ..errors import UserError

# Every capability but the one the kernel's bounding set lacks; the host's
# cgroup hierarchy, where the node's own containers get cgroups of their own.
UNPRIVILEGED = (
    "--cap-add=ALL", "--cap-drop=SYS_RESOURCE", "--cgroupns=host",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--security-opt", "systempaths=unconfined",
    "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
)


def remove_cgroups(prefix: str) -> None:
    """The cgroups of the nodes named <prefix>-nodeN in the host's hierarchies:
    an engine or kubelet in a node puts its containers under them, and a
    killed node leaves them behind. Deepest first, each empty by then."""
    for top in Path("/sys/fs/cgroup").glob(f"*/{prefix}-node*"):
        if top.parent.is_symlink():  # cpu -> cpu,cpuacct: the same folders
            continue
        folders = [p for p in top.rglob("*") if p.is_dir()] + [top]
        for folder in sorted(folders, key=lambda p: -len(p.parts)):
            for _ in range(50):  # a killed node's processes may take a moment to leave
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as error:
                    if error.errno != errno.EBUSY:
                        raise UserError(f"cannot remove {folder}: {error}") from error
                    time.sleep(0.1)
