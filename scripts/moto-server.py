#!/usr/bin/env python3
"""moto's server (`moto_server`), with DynamoDB answering one request at a time.

DynamoDB applies each request, a TransactWriteItems included, atomically: an `ADD` never
loses a concurrent one, and a cancelled transaction leaves others' writes alone. moto's
server is threaded and its DynamoDB backend takes no lock: a transaction snapshots the
whole table and, when one of its conditions fails, puts the snapshot back, wiping what
other threads wrote in between (seen as a ledger summary one count short while six
events were recorded at once). Serialising the DynamoDB handler makes the emulator keep
DynamoDB's promise; SQS, S3 and Secrets Manager stay concurrent (an SQS long poll must
not hold up the rest).

Every answer also carries `x-hona-moto: $HONA_MOTO_ID`, so the harness knows the server
answering on its port is the one it started: tests pick free ports in parallel, and a
server that lost the race for its port exits while another test's moto answers there.

Same arguments as `moto_server` (tests/src/moto.rs passes `-H 127.0.0.1 -p <port>`).
"""

import os
import sys
import threading

import moto.server
from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_DYNAMODB = threading.Lock()
_call_action = DynamoHandler.call_action


def _one_at_a_time(self):
    with _DYNAMODB:
        return _call_action(self)


DynamoHandler.call_action = _one_at_a_time

_ID = os.environ.get("HONA_MOTO_ID", "")
_run_simple = moto.server.run_simple


def _run_tagged(host, port, application, *args, **kwargs):
    def tagged(environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, headers + [("x-hona-moto", _ID)], exc_info)

        return application(environ, start)

    return _run_simple(host, port, tagged, *args, **kwargs)


moto.server.run_simple = _run_tagged

if __name__ == "__main__":
    sys.exit(main())
