// The official ollama-js client against the ROUTER ($OLLAMA_URL) and, for
// comparison, against one of its sims directly ($SIM_URL): the same
// answers, streamed and not, with tools, thinking, images and embeddings.
import { Ollama } from 'ollama';
import { ok, is, step } from './tap.mjs';

const router = new Ollama({ host: process.env.OLLAMA_URL });
const sim = new Ollama({ host: process.env.SIM_URL });
const messages = [{ role: 'user', content: 'Why is the sky blue?' }];
const opts = { seed: 7, num_predict: 6 };
// a 1x1 PNG
const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

async function collect(stream, pick) {
  let text = '';
  let last;
  for await (const part of stream) {
    text += pick(part);
    last = part;
  }
  return { text, last };
}

await step('chat', async () => {
  const body = { model: 'tiny', messages, options: opts };
  const a = await router.chat(body);
  const b = await sim.chat(body);
  is(a.message.content, b.message.content, 'chat(): same answer as the sim directly');
  ok(a.done === true && a.eval_count === b.eval_count, 'chat(): done and eval_count');
});

await step('chat stream', async () => {
  const body = { model: 'tiny', messages, options: opts, stream: true };
  const a = await collect(await router.chat(body), (p) => p.message.content);
  const b = await collect(await sim.chat(body), (p) => p.message.content);
  is(a.text, b.text, 'chat() stream: same text');
  is(a.last.done_reason, b.last.done_reason, 'chat() stream: same done_reason');
});

await step('generate', async () => {
  const body = { model: 'tiny', prompt: 'Hello', options: opts };
  const a = await router.generate(body);
  const b = await sim.generate(body);
  is(a.response, b.response, 'generate(): same answer');
  const s = await collect(await router.generate({ ...body, stream: true }), (p) => p.response);
  is(s.text, b.response, 'generate() stream: same text');
});

await step('tools', async () => {
  const tools = [{
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  }];
  const body = { model: 'tiny', messages: [{ role: 'user', content: 'Call get_weather for Paris' }], tools };
  const a = await router.chat(body);
  const call = a.message.tool_calls && a.message.tool_calls[0];
  is(call && call.function.name, 'get_weather', 'chat() tools through the router: tool call');
  const s = await collect(await router.chat({ ...body, stream: true }),
    (p) => (p.message.tool_calls ? p.message.tool_calls.map((c) => c.function.name).join() : ''));
  is(s.text, 'get_weather', 'chat() tools, streamed: the tool call arrives');
  const r = await router.chat({
    model: 'tiny',
    options: opts,
    messages: [...body.messages, a.message, { role: 'tool', content: '{"temp":21}', tool_name: 'get_weather' }],
  });
  ok(r.done === true && r.message.role === 'assistant', 'a tool result goes back through the router');
});

await step('thinking', async () => {
  const a = await router.chat({ model: 'deep-r1', messages, think: true, options: opts });
  ok(typeof a.message.thinking === 'string' && a.message.thinking.length > 0,
    'chat() think: thinking kept when not streamed');
  const s = await collect(await router.chat({ model: 'deep-r1', messages, think: true, stream: true, options: opts }),
    (p) => p.message.thinking || '');
  ok(s.text.length > 0, 'chat() think, streamed: thinking arrives');
});

await step('images', async () => {
  const body = { model: 'llava-tiny', messages: [{ role: 'user', content: 'What is this?', images: [png] }], options: opts };
  const a = await router.chat(body);
  const b = await sim.chat(body);
  is(a.message.content, b.message.content, 'chat() with an image: same answer');
});

await step('embed', async () => {
  const a = await router.embed({ model: 'embed', input: ['a', 'b'] });
  const b = await sim.embed({ model: 'embed', input: ['a', 'b'] });
  is(a.embeddings, b.embeddings, 'embed(): same vectors');
  const e = await router.embeddings({ model: 'embed', prompt: 'a' });
  is(e.embedding.length, 32, 'embeddings(): one vector');
});

await step('errors', async () => {
  try {
    await router.chat({ model: 'no-such-model', messages });
    ok(false, 'unknown model: error expected');
  } catch (err) {
    is(err.status_code, 404, 'unknown model: ResponseError 404');
    ok(/not found/.test(err.error), 'unknown model: message');
  }
});

await step('abort', async () => {
  const stream = await router.chat({ model: 'tiny', messages, stream: true, options: { num_predict: 400 } });
  let n = 0;
  let aborted = false;
  try {
    for await (const part of stream) {
      n += 1;
      if (n === 2) stream.abort();
      if (part.done) break;
    }
  } catch (err) {
    // the client's documented way to end an aborted stream; a stream that
    // had already been read whole ends without it
    aborted = err.name === 'AbortError';
    if (!aborted) throw err;
  }
  ok(n >= 2, `a stream can be aborted mid-way (${aborted ? 'AbortError' : 'read whole first'})`);
});
