// Imported first by the Lambda test helpers: the functions run on Node 22+, the tests may run on
// Node 20, and the SDK's Node-version notice would only be noise there.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
