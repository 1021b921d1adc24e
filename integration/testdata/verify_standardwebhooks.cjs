// Verifies captured webhook requests with the official Standard Webhooks
// library (npm package standardwebhooks), for signature_test.go.
//
// Usage: node verify_standardwebhooks.cjs <folder with node_modules> <input.json>
//
// input.json: {"secrets": ["whsec_..."], "messages": [{"headers": {...},
// "body_base64": "..."}]}. Prints a JSON array with, for each message, an
// array with "ok" or the library's error for each secret.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const { createRequire } = require("node:module");

const [folder, inputPath] = process.argv.slice(2);
const { Webhook } = createRequire(path.join(folder, "package.json"))("standardwebhooks");
const input = JSON.parse(fs.readFileSync(inputPath, "utf8"));

const results = input.messages.map((msg) => {
	const body = Buffer.from(msg.body_base64, "base64");
	return input.secrets.map((secret) => {
		try {
			new Webhook(secret).verify(body, msg.headers);
			return "ok";
		} catch (err) {
			return String(err && err.message ? err.message : err);
		}
	});
});
process.stdout.write(JSON.stringify(results));
