"""Creates things from 16 threads at once until the emulator goes away.

Usage: concurrent_creates.py ENDPOINT_URL. Prints each thing name on its own line (flushed)
as soon as CreateThing has acknowledged it, and exits once every thread has seen an error.
"""
import sys
import threading

import boto3
from botocore.config import Config

url = sys.argv[1]
config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                read_timeout=30)
lock = threading.Lock()


def worker(n):
    iot = boto3.client("iot", endpoint_url=url, region_name="us-east-1", config=config)
    i = 0
    while True:
        name = f"c{n}-{i}"
        try:
            iot.create_thing(thingName=name)
        except Exception:  # the emulator was killed: stop
            return
        with lock:
            print(name, flush=True)
        i += 1


threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
for t in threads:
    t.start()
for t in threads:
    t.join()
