// The official OpenAI SDK pointed at a test gateway's /v1, without the SDK's own retries (a test
// sees every answer the gateway gives).
import OpenAI from "openai";

export const openaiFor = (gw: { url: string }, key: string) =>
  new OpenAI({ apiKey: key, baseURL: `${gw.url}/v1`, maxRetries: 0 });
