// Runs the compat scripts given on the command line (default: both) in one
// TAP stream. Usage: OLLAMA_URL=http://127.0.0.1:PORT node run.mjs [FILE...]
import { done } from './tap.mjs';

const files = process.argv.length > 2 ? process.argv.slice(2)
  : ['./ollama_client.mjs', './openai_client.mjs'];
if (!process.env.OLLAMA_URL) {
  console.log('Bail out! OLLAMA_URL is not set');
  process.exit(1);
}
for (const f of files) {
  console.log(`# ${f}`);
  await import(f);
}
done();
