// The numbers of the password rule, without the dictionaries: the SPA imports these eagerly and
// the checker (index.js, ~1.6 MB of dictionaries) lazily.
"use strict";

exports.PASSWORD_MIN_LENGTH = 12;
exports.PASSWORD_MAX_LENGTH = 1024;
/** zxcvbn score: 0 too guessable … 2 somewhat guessable, 3 safely unguessable, 4 very unguessable */
exports.PASSWORD_MIN_SCORE = 3;
