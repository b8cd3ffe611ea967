# The torture run's leader-gated process (keel agent --gate-cmd): it says when it runs, on
# CLOCK_MONOTONIC (the clock Java's System.nanoTime() reads, which libfaketime leaves alone), until
# it is stopped. One line per write() on an O_APPEND file, so the gated processes of every node can
# share one file: "start|beat|stop <nanos> <node> <pid>". A SIGKILL leaves its last beat as its end.
import os
import signal
import sys
import time

fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
node = os.environ.get("KEEL_NODE", "?")
pid = os.getpid()


def record(kind):
    os.write(fd, ("%s %d %s %d\n" % (kind, time.monotonic_ns(), node, pid)).encode())


def stop(signum, frame):
    record("stop")
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
record("start")
while True:
    time.sleep(0.02)
    record("beat")
