// Encodes every text of a JSONL file ({"text": ...} a line) with npm tiktoken's encode_ordinary,
// on one thread, for at least the given seconds, and prints {"bytes":..,"tokens":..,"seconds":..}.
// Usage: node tiktoken-bench.mjs FILE ENCODING SECONDS
import { get_encoding } from "tiktoken";
import fs from "node:fs";

const [file, encoding = "cl100k_base", seconds = "10"] = process.argv.slice(2);
const texts = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0).map((l) => JSON.parse(l).text);
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, "utf8"), 0);
const enc = get_encoding(encoding);
for (const t of texts.slice(0, 200)) enc.encode_ordinary(t); // warm-up
let tokens = 0;
let rounds = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
do {
  for (const t of texts) tokens += enc.encode_ordinary(t).length;
  rounds++;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
} while (elapsed < Number(seconds));
enc.free();
console.log(JSON.stringify({ bytes: bytes * rounds, tokens, seconds: elapsed }));
