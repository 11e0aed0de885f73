// iot-emulator's Lambda runtime for Node.js: one execution environment. It loads the
// handler once, then runs invocation after invocation until its stdin closes.
//
// argv: MARKER FUNCTION_ARN
// Each invocation is one JSON line on stdin: {"id", "timeout_ms", "event", "result"}, the
// last two being file paths. stdout and stderr are the function's log. Once the handler is
// loaded the runtime prints `MARKER:loaded`; after each invocation it writes the outcome to
// the result file (a first line `ok`, `error` or `error-init`, then the JSON document) and
// prints `MARKER:done:<request id>`. Marker lines are kept out of the log.

import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";
import util from "node:util";

const [marker, functionArn] = process.argv.slice(2);
const env = process.env;
let requestId = "";

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

function finish(request, head, doc) {
  if (head !== "ok") {
    log("ERROR", [`Invoke Error \t${doc}`]);
  }
  fs.writeFileSync(request.result, `${head}\n${doc}`);
  process.stdout.write(`${marker}:done:${request.id}\n`);
}

async function invoke(handler, request) {
  const event = JSON.parse(fs.readFileSync(request.event, "utf8") || "{}");
  const deadline = Date.now() + Number(request.timeout_ms);
  const context = {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: functionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: request.id,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let result;
  try {
    result = await call(handler, event, context);
  } catch (err) {
    return ["error", JSON.stringify(errorDoc(err))];
  }
  try {
    return ["ok", JSON.stringify(result === undefined ? null : result)];
  } catch (err) {
    const doc = runtimeError("Runtime.MarshalError", `Unable to stringify response body: ${err.message}`);
    return ["error", JSON.stringify(doc)];
  }
}

const [handler, loadError] = await loadHandler(env._HANDLER);
process.stdout.write(`${marker}:loaded\n`);
const requests = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of requests) {
  const request = JSON.parse(line);
  requestId = request.id;
  if (loadError) {
    finish(request, "error-init", JSON.stringify(loadError));
    process.exit(0);
  }
  const [head, doc] = await invoke(handler, request);
  finish(request, head, doc);
}
process.exit(0);
