"""moto in server mode, with DynamoDB requests serialized.

moto's DynamoDB backend takes no locks, and its server is threaded: two
concurrent TransactWriteItems can both pass the same condition check, which
real DynamoDB never allows. The store contract tests (concurrent creates,
racing sweeps) assert DynamoDB's semantics, so DynamoDB calls run one at a
time here. Everything else (SQS long polls, SNS, EventBridge) stays
concurrent.

Usage: python infra/moto_server.py <host> <port>
"""

import sys
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple

_dynamodb = threading.Lock()


class SerializeDynamoDB:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with _dynamodb:
                # Produce the whole body inside the lock.
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        host,
        port,
        SerializeDynamoDB(app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
