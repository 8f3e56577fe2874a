// One JSON line per answered request (time sent and answered, HTTP status, eventId) to the file named
// by LOADTEST_EVENTS, for `python -m loadtest` to join with the pushes the subscription mock recorded.
"use strict";
const fs = require("fs");

const out = process.env.LOADTEST_EVENTS ? fs.openSync(process.env.LOADTEST_EVENTS, "a") : null;

function recordEvent(requestParams, response, context, ee, next) {
  if (out !== null) {
    let eventId = null;
    try {
      eventId = JSON.parse(response.body).eventId || null;
    } catch (err) {
      eventId = null; // not JSON (an error page): the status says what happened
    }
    const answeredMs = Date.now();
    const apiMs = response.timings && response.timings.phases ? response.timings.phases.total : null;
    fs.writeSync(
      out,
      JSON.stringify({
        vin: context.vars.vin,
        status: response.statusCode,
        eventId,
        answeredMs,
        apiMs,
        service: requestParams.url.split("/").pop(),
      }) + "\n",
    );
  }
  return next();
}

module.exports = { recordEvent };
