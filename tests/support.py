"""Helpers shared by the test packages that start servers of their own."""
import socket


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A shell that does not exec its child, as many start scripts are written.
# The shell ignores SIGTERM, so only tini -g (signalling the whole group)
# can reach the child; the shell then outlives it and says so, which keeps
# tini from exiting and killing the child before its handler has printed.
STOP_PROBE = (
    "trap '' TERM; python3 -c \"import signal, sys, time\n"
    "def stop(*_):\n    print('child got SIGTERM', flush=True); sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, stop)\nprint('child ready', flush=True)\n"
    "time.sleep(300)\n\"; echo script done")
