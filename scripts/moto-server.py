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

Same arguments as `moto_server` (tests/src/moto.rs passes `-H 127.0.0.1 -p <port>`).
"""

import sys
import threading

from moto.dynamodb.responses import DynamoHandler
from moto.server import main

_DYNAMODB = threading.Lock()
_call_action = DynamoHandler.call_action


def _one_at_a_time(self):
    with _DYNAMODB:
        return _call_action(self)


DynamoHandler.call_action = _one_at_a_time

if __name__ == "__main__":
    sys.exit(main())
