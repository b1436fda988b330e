// Writes the golden token ids of every text in src/test/resources/golden/corpus.jsonl with OpenAI's
// tiktoken (npm "tiktoken": its Rust core built to WASM), one file per encoding, for
// TiktokenParityTest. Run from this folder: npm ci && node generate.mjs
import { get_encoding } from "tiktoken";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = path.join(here, "..", "src", "test", "resources", "golden");
const corpus = fs.readFileSync(path.join(golden, "corpus.jsonl"), "utf8")
  .split("\n").filter((line) => line.length > 0).map((line) => JSON.parse(line));
const version = JSON.parse(fs.readFileSync(path.join(here, "node_modules", "tiktoken", "package.json"), "utf8")).version;

for (const name of ["cl100k_base", "o200k_base"]) {
  const enc = get_encoding(name);
  const lines = corpus.map((c) => JSON.stringify({ id: c.id, ids: Array.from(enc.encode_ordinary(c.text)) }));
  fs.writeFileSync(path.join(golden, `${name}.jsonl`), lines.join("\n") + "\n");
  enc.free();
  console.log(`${name}: ${corpus.length} texts -> ${path.relative(process.cwd(), path.join(golden, name + ".jsonl"))}`);
}
fs.writeFileSync(path.join(golden, "VERSION"), `tiktoken ${version} (npm)\n`);
