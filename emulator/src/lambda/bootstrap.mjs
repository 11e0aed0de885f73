// iot-emulator's Lambda runtime for Node.js: runs one invocation of one handler.
//
// argv: RESULT_PATH REQUEST_ID TIMEOUT_MS FUNCTION_ARN
// The event arrives on stdin; stdout and stderr are the function's log. Once the handler
// is loaded the runtime prints `iot-emulator:handler-loaded:<request id>` (the emulator
// starts the timeout then, and keeps the line out of the log). The outcome goes to
// RESULT_PATH: a first line `ok` or `error`, then the JSON document.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import util from "node:util";

const [resultPath, requestId, timeoutMs, functionArn] = process.argv.slice(2);
const env = process.env;

function log(level, args) {
  const line = `${new Date().toISOString()}\t${requestId}\t${level}\t${util.format(...args)}\n`;
  process.stdout.write(line);
}
console.log = (...a) => log("INFO", a);
console.info = (...a) => log("INFO", a);
console.debug = (...a) => log("DEBUG", a);
console.warn = (...a) => log("WARN", a);
console.error = (...a) => log("ERROR", a);
console.trace = (...a) => log("TRACE", a);

function errorDoc(err) {
  if (err instanceof Error) {
    return { errorType: err.name, errorMessage: err.message, trace: (err.stack || "").split("\n") };
  }
  return { errorType: typeof err, errorMessage: String(err), trace: [] };
}

function runtimeError(errorType, errorMessage) {
  return { errorType, errorMessage, trace: [] };
}

async function loadHandler(spec) {
  const dot = spec.lastIndexOf(".");
  if (dot <= 0) {
    return [null, runtimeError("Runtime.MalformedHandlerName", `Bad handler ${spec}`)];
  }
  const modulePath = spec.slice(0, dot);
  const name = spec.slice(dot + 1);
  const base = path.join(env.LAMBDA_TASK_ROOT, modulePath);
  const file = [".js", ".mjs", ".cjs"].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file) {
    return [null, runtimeError("Runtime.ImportModuleError", `Error: Cannot find module '${modulePath}'`)];
  }
  let module;
  try {
    module = await import(pathToFileURL(file).href);
  } catch (err) {
    return [null, errorDoc(err)];
  }
  const handler = module[name] ?? module.default?.[name];
  if (typeof handler !== "function") {
    return [null, runtimeError("Runtime.HandlerNotFound", `${spec} is undefined or not exported`)];
  }
  return [handler, null];
}

function call(handler, event, context) {
  return new Promise((resolve, reject) => {
    const callback = (err, value) => (err ? reject(err) : resolve(value));
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === "function") {
        out.then(resolve, reject);
      } else if (handler.length < 3) {
        // Our choice: a plain (not async, no callback) handler's return value is used.
        resolve(out);
      }
    } catch (err) {
      reject(err);
    }
  });
}

function finish(ok, doc) {
  if (!ok) {
    log("ERROR", [`Invoke Error \t${JSON.stringify(doc)}`]);
  }
  fs.writeFileSync(resultPath, (ok ? "ok\n" : "error\n") + doc);
  process.exit(0);
}

const input = fs.readFileSync(0, "utf8");
const event = JSON.parse(input || "{}");
const [handler, loadError] = await loadHandler(env._HANDLER);
process.stdout.write(`iot-emulator:handler-loaded:${requestId}\n`);
if (loadError) {
  finish(false, JSON.stringify(loadError));
}
const deadline = Date.now() + Number(timeoutMs);
const context = {
  functionName: env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
  invokedFunctionArn: functionArn,
  memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  awsRequestId: requestId,
  logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
  logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
};
try {
  const result = await call(handler, event, context);
  let body;
  try {
    body = JSON.stringify(result === undefined ? null : result);
  } catch (err) {
    finish(false, JSON.stringify(runtimeError("Runtime.MarshalError", `Unable to stringify response body: ${err.message}`)));
  }
  finish(true, body);
} catch (err) {
  finish(false, JSON.stringify(errorDoc(err)));
}
