export * from "./error-codes";
export * from "./security-events";
