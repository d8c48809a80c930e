"use strict";
// @twofa/contract: error codes, security events and their wording (one place each, for the API
// and the SPA). The OpenAPI document is ./openapi.json (generated: `npm run contract`).
module.exports = { ...require("./error-codes"), ...require("./security-events") };
