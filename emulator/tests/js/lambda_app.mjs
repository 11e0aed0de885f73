// A Node.js Lambda function for the emulator's Lambda tests.
export const handler = async (event, context) => {
  console.log("node event", JSON.stringify(event));
  if (event.fail) {
    throw new TypeError("the node handler failed on purpose");
  }
  return { doubled: event.n * 2, function: context.functionName, requestId: context.awsRequestId };
};
