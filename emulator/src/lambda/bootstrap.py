"""iot-emulator's Lambda runtime for Python: runs one invocation of one handler.

argv: RESULT_PATH REQUEST_ID TIMEOUT_MS FUNCTION_ARN [LAYER_DIR...]
The event arrives on stdin. stdout and stderr are the function's log. Once the handler
is loaded the runtime prints `iot-emulator:handler-loaded:<request id>` (the emulator
starts the timeout then, and keeps the line out of the log). The outcome goes to
RESULT_PATH: a first line `ok` or `error`, then the JSON document.
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
    def __init__(self, request_id):
        super().__init__()
        self.request_id = request_id

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


def setup_logging(request_id):
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
        "%Y-%m-%dT%H:%M:%S"))
    handler.formatter.converter = time.gmtime
    handler.addFilter(RequestIdFilter(request_id))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def error(error_type, message, request_id, stack=()):
    return {"errorMessage": message, "errorType": error_type,
            "requestId": request_id, "stackTrace": list(stack)}


def load_handler(spec, request_id):
    try:
        module_path, name = spec.rsplit(".", 1)
    except ValueError as e:
        return None, error("Runtime.MalformedHandlerName",
                           "Bad handler '%s': %s" % (spec, e), request_id)
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as e:
        return None, error("Runtime.UserCodeSyntaxError",
                           "Syntax error in module '%s': %s" % (module_name, e), request_id)
    except ImportError as e:
        return None, error("Runtime.ImportModuleError",
                           "Unable to import module '%s': %s" % (module_name, e), request_id)
    except Exception as e:
        return None, failure(e, request_id)
    handler = getattr(module, name, None)
    if handler is None:
        return None, error("Runtime.HandlerNotFound",
                           "Handler '%s' missing on module '%s'" % (name, module_name),
                           request_id)
    return handler, None


def failure(exc, request_id):
    stack = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
    err = error(type(exc).__name__, str(exc), request_id, stack)
    print("[ERROR] %s: %s\nTraceback (most recent call last):\n%s"
          % (err["errorType"], err["errorMessage"], "".join(stack)), flush=True)
    return err


def main():
    result_path, request_id, timeout_ms, function_arn = sys.argv[1:5]
    layers = sys.argv[5:]
    sys.argv = [sys.argv[0]]
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path[0:1] = [task_root] + layers
    setup_logging(request_id)
    event = json.loads(sys.stdin.read() or "{}")
    handler, err = load_handler(os.environ["_HANDLER"], request_id)
    print("iot-emulator:handler-loaded:" + request_id, flush=True)
    context = LambdaContext(request_id, time.time() * 1000 + int(timeout_ms), function_arn)
    if err is None:
        try:
            result = handler(event, context)
        except Exception as e:
            err = failure(e, request_id)
    if err is None:
        try:
            body = json.dumps(result)
        except Exception as e:
            err = error("Runtime.MarshalError", "Unable to marshal response: %s" % e, request_id)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(result_path, "w") as out:
        if err is None:
            out.write("ok\n" + body)
        else:
            out.write("error\n" + json.dumps(err))


if __name__ == "__main__":
    main()
    # Lambda freezes the environment rather than tearing the interpreter down; skipping
    # the teardown (slow with boto3 loaded) keeps Duration to the handler's own time.
    os._exit(0)
