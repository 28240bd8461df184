#!/usr/bin/python3
"""oslab_fwd.py NETNS PORT... - lets processes inside network namespace
NETNS reach services bound to 127.0.0.1 of the root namespace.

For each PORT it listens on 127.0.0.1:PORT inside NETNS and relays every
connection to 127.0.0.1:PORT of the namespace the forwarder was started in
(the root).  A socket keeps the namespace it was created in, so the
listening sockets are made after setns(2) into NETNS and the outgoing ones
after setns back.  Python 3.11 has no os.setns: libc's through ctypes.
Stops on SIGTERM.  Used by oslab.py for the Neutron agents' AMQP.
"""
import ctypes
import os
import selectors
import socket
import sys
import threading

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)


def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def relay(a, b):
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            for key, _ in sel.select():
                data = key.fileobj.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


def serve(listener, port, root_fd):
    while True:
        conn, _ = listener.accept()
        # Outgoing sockets are created in the root namespace: this thread
        # switches once, at start (setns is per thread).
        try:
            out = socket.create_connection(("127.0.0.1", port), timeout=10)
            out.settimeout(None)
        except OSError:
            conn.close()
            continue
        threading.Thread(target=relay, args=(conn, out), daemon=True).start()


def main():
    netns, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
    root_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    ns_fd = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    listeners = []
    setns(ns_fd)
    for p in ports:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", p))
        s.listen(64)
        listeners.append((s, p))
    setns(root_fd)
    threads = [threading.Thread(target=serve, args=(s, p, root_fd), daemon=True)
               for s, p in listeners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
