#!/usr/bin/env python3
"""The write load for bench/faults (Python standard library only).

Threads POST new commissioning intentions, each with its own Idempotency-Key, for as long as the
file named by --stop-file does not exist. A request that fails (503, a dropped connection) is
retried with the same key and body, as a partner system would, until it is acknowledged or the
run ends. Every attempt is written to --log as one JSON line: the key, the title, the status (0
for no response), whether Retry-After came with it, start and end times, and the id on success.
"""

import argparse
import http.client
import json
import os
import threading
import time
import uuid


def worker(n, args, out, lock):
    conn = None
    seq = 0
    while not os.path.exists(args.stop_file):
        seq += 1
        key = f"faults-{args.run}-{n}-{seq}"
        title = f"Fault run {args.run} writer {n} number {seq}"
        body = json.dumps({
            "title": title,
            "category": "carers",
            "financial_year": ["2025/26", "2026/27", "2027/28"][seq % 3],
            "priority": "should",
            "tranche": 2,
        })
        while True:
            started = time.time()
            status, retry_after, ident, error = 0, False, None, None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(args.host, args.port, timeout=60)
                conn.request("POST", "/v1/commissioning-intentions", body=body, headers={
                    "Authorization": f"Bearer {args.token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": key,
                })
                res = conn.getresponse()
                data = res.read()
                status = res.status
                retry_after = res.getheader("Retry-After") is not None
                if 200 <= status < 300:
                    ident = json.loads(data)["id"]
                if res.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                error = type(e).__name__
                if conn is not None:
                    conn.close()
                conn = None
            record = {"key": key, "title": title, "status": status, "retry_after": retry_after,
                      "start": started, "end": time.time(), "id": ident, "error": error}
            with lock:
                out.write(json.dumps(record) + "\n")
                out.flush()
            if 200 <= status < 300 or (400 <= status < 500 and status != 429):
                break
            if os.path.exists(args.stop_file):
                break
            time.sleep(0.2 if status else 0.5)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--log", required=True)
    p.add_argument("--stop-file", required=True)
    p.add_argument("--run", default=uuid.uuid4().hex[:8])
    args = p.parse_args()
    lock = threading.Lock()
    with open(args.log, "w") as out:
        threads = [threading.Thread(target=worker, args=(n, args, out, lock)) for n in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


if __name__ == "__main__":
    main()
