"""A stand-in for a collector's socket, for the tests: it listens on 127.0.0.1, keeps
what arrives and decodes nothing (ipfix_decode.py does). Prints its port, then runs
until SIGTERM.

    collector.py udp|tcp OUT [--port N] [--stall] [--slow BYTES_PER_S]

UDP: OUT gets every datagram, each after its 4-byte big-endian length. TCP: each
connection's stream goes to OUT.1, OUT.2, ... (a new one per reconnection).
--stall: accept, then never read (TCP). --slow: read at most BYTES_PER_S.
"""
import argparse
import os
import signal
import socket
import struct
import sys
import threading
import time

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('proto', choices=('udp', 'tcp'))
    ap.add_argument('out')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--stall', action='store_true')
    ap.add_argument('--slow', type=int, default=0)
    a = ap.parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if a.proto == 'udp' else socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if a.proto == 'udp':
        try:    # room for a burst: the meter reads captures faster than we write files
            s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)   # SO_RCVBUFFORCE (root)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    if a.stall:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(('127.0.0.1', a.port))
    s.settimeout(0.1)
    if a.proto == 'tcp':
        s.listen(4)
    print(s.getsockname()[1], flush=True)
    if a.proto == 'udp':
        with open(a.out, 'wb') as f:
            while True:
                try:    # once told to stop, what the socket still holds, then out
                    d = s.recv(65536, socket.MSG_DONTWAIT if stop.is_set() else 0)
                except (socket.timeout, BlockingIOError):
                    if stop.is_set():
                        break
                    continue
                f.write(struct.pack('!I', len(d)) + d)
                f.flush()
        return
    n = 0
    while not stop.is_set():
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        n += 1
        c.settimeout(0.1)
        with open('%s.%d' % (a.out, n), 'wb') as f:
            while not stop.is_set():
                if a.stall:
                    time.sleep(0.1)
                    continue
                try:
                    d = c.recv(min(a.slow, 65536) if a.slow else 65536)
                except socket.timeout:
                    continue
                except OSError:
                    break
                if not d:
                    break
                f.write(d)
                f.flush()
                if a.slow:
                    time.sleep(len(d) / a.slow)
        c.close()


if __name__ == '__main__':
    main()
