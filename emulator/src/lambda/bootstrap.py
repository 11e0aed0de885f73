"""iot-emulator's Lambda runtime for Python: one execution environment. It loads the
handler once, then runs invocation after invocation until its stdin closes.

argv: MARKER FUNCTION_ARN [LAYER_DIR...]
Each invocation is one JSON line on stdin: {"id", "timeout_ms", "event", "result"}, the
last two being file paths. stdout and stderr are the function's log. Once the handler is
loaded the runtime prints `MARKER:loaded` (the emulator starts the first timeout then);
after each invocation it writes the outcome to the result file (a first line `ok`,
`error` or `error-init`, then the JSON document) and prints `MARKER:done:<request id>`.
Marker lines are kept out of the log. The handler's own stdin is /dev/null.
"""

import importlib
import json
import logging
import os
import sys
import time
import traceback


class LambdaContext:
    def __init__(self, request_id, deadline_ms, function_arn):
        env = os.environ
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = function_arn
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.aws_request_id = request_id
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


class RequestIdFilter(logging.Filter):
    """Stamps each record with the current invocation's request id."""

    def __init__(self):
        super().__init__()
        self.request_id = ""

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


def setup_logging(request_ids):
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    handler.addFilter(request_ids)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def error(error_type, message, request_id, stack=()):
    return {"errorMessage": message, "errorType": error_type,
            "requestId": request_id, "stackTrace": list(stack)}


def load_handler(spec):
    try:
        module_path, name = spec.rsplit(".", 1)
    except ValueError as e:
        return None, error("Runtime.MalformedHandlerName",
                           "Bad handler '%s': %s" % (spec, e), "")
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as e:
        return None, error("Runtime.UserCodeSyntaxError",
                           "Syntax error in module '%s': %s" % (module_name, e), "")
    except ImportError as e:
        return None, error("Runtime.ImportModuleError",
                           "Unable to import module '%s': %s" % (module_name, e), "")
    except Exception as e:
        return None, failure(e, "")
    handler = getattr(module, name, None)
    if handler is None:
        return None, error("Runtime.HandlerNotFound",
                           "Handler '%s' missing on module '%s'" % (name, module_name), "")
    return handler, None


def failure(exc, request_id):
    stack = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
    err = error(type(exc).__name__, str(exc), request_id, stack)
    print("[ERROR] %s: %s\nTraceback (most recent call last):\n%s"
          % (err["errorType"], err["errorMessage"], "".join(stack)), flush=True)
    return err


def invoke(handler, request, function_arn):
    """Runs one invocation; returns (ok, JSON text)."""
    request_id = request["id"]
    with open(request["event"], "rb") as f:
        event = json.loads(f.read() or b"{}")
    deadline = time.time() * 1000 + int(request["timeout_ms"])
    context = LambdaContext(request_id, deadline, function_arn)
    try:
        result = handler(event, context)
    except Exception as e:
        return False, json.dumps(failure(e, request_id))
    try:
        return True, json.dumps(result)
    except Exception as e:
        err = error("Runtime.MarshalError", "Unable to marshal response: %s" % e, request_id)
        return False, json.dumps(err)


def finish(marker, request, head, body):
    sys.stdout.flush()
    sys.stderr.flush()
    with open(request["result"], "w") as out:
        out.write(head + "\n" + body)
    print("%s:done:%s" % (marker, request["id"]), flush=True)


def main():
    marker, function_arn = sys.argv[1:3]
    layers = sys.argv[3:]
    sys.argv = [sys.argv[0]]
    # The requests come on a private copy of stdin; the handler's stdin is /dev/null.
    requests = os.fdopen(os.dup(0), "rb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path[0:1] = [task_root] + layers
    request_ids = RequestIdFilter()
    setup_logging(request_ids)
    handler, init_error = load_handler(os.environ["_HANDLER"])
    print(marker + ":loaded", flush=True)
    for line in requests:
        request = json.loads(line)
        request_ids.request_id = request["id"]
        if init_error is not None:
            init_error["requestId"] = request["id"]
            finish(marker, request, "error-init", json.dumps(init_error))
            return
        ok, body = invoke(handler, request, function_arn)
        finish(marker, request, "ok" if ok else "error", body)


if __name__ == "__main__":
    main()
    # Lambda freezes the environment rather than tearing the interpreter down; skipping
    # the teardown (slow with boto3 loaded) ends the process at once.
    sys.stdout.flush()
    os._exit(0)
