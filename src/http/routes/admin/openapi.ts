// The admin API's OpenAPI document is generated from the contract (src/admin-contract/openapi.ts).
export { adminOpenApi } from "../../../admin-contract/openapi.ts";
