// The official openai client against the ROUTER's /v1 ($OLLAMA_URL) and
// a sim directly ($SIM_URL): chat (stream and not, tools, image parts,
// reasoning, include_usage), completions, embeddings, models.
import OpenAI from 'openai';
import { ok, is, step } from './tap.mjs';

const router = new OpenAI({ baseURL: `${process.env.OLLAMA_URL}/v1`, apiKey: 'herd', maxRetries: 0 });
const sim = new OpenAI({ baseURL: `${process.env.SIM_URL}/v1`, apiKey: 'herd', maxRetries: 0 });
const messages = [{ role: 'user', content: 'Say hello' }];
const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

await step('chat', async () => {
  const body = { model: 'tiny', messages, seed: 7, max_tokens: 6, temperature: 0.2, top_p: 0.9, stop: ['zzz'] };
  const a = await router.chat.completions.create(body);
  const b = await sim.chat.completions.create(body);
  is(a.choices[0].message.content, b.choices[0].message.content, 'chat: same answer as the sim');
  is(a.choices[0].finish_reason, 'length', 'chat: finish_reason length at max_tokens');
  is(a.usage.completion_tokens, 6, 'chat: usage');
});

await step('chat stream', async () => {
  const stream = await router.chat.completions.create({
    model: 'tiny', messages, seed: 7, max_tokens: 6, stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  let first = null;
  const ids = new Set();
  for await (const chunk of stream) {
    ids.add(chunk.id);
    if (chunk.usage) usage = chunk.usage;
    if (chunk.choices.length > 0) {
      if (first === null) first = chunk.choices[0].delta.role;
      text += chunk.choices[0].delta.content || '';
      finish = chunk.choices[0].finish_reason || finish;
    }
  }
  const b = await sim.chat.completions.create({ model: 'tiny', messages, seed: 7, max_tokens: 6 });
  is(text, b.choices[0].message.content, 'chat stream: same text');
  is(first, 'assistant', 'chat stream: role delta first');
  is(finish, 'length', 'chat stream: finish_reason');
  is(ids.size, 1, 'chat stream: one id');
  ok(usage && usage.completion_tokens === 6, 'chat stream: include_usage');
});

await step('tools', async () => {
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
  const r = await router.chat.completions.create({
    model: 'tiny', messages: [{ role: 'user', content: 'use lookup please' }], tools, tool_choice: 'auto',
  });
  const call = r.choices[0].message.tool_calls[0];
  is(r.choices[0].finish_reason, 'tool_calls', 'tools: finish_reason tool_calls');
  ok(typeof JSON.parse(call.function.arguments).q === 'string', 'tools: arguments');
  const r2 = await router.chat.completions.create({
    model: 'tiny',
    max_tokens: 4,
    messages: [{ role: 'user', content: 'use lookup please' }, r.choices[0].message,
      { role: 'tool', tool_call_id: call.id, content: 'found' }],
  });
  is(r2.choices[0].message.role, 'assistant', 'tools: a tool result goes back through the router');
});

await step('image part', async () => {
  const body = {
    model: 'llava-tiny', seed: 7, max_tokens: 6,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is it?' }, { type: 'image_url', image_url: { url: png } }] }],
  };
  const a = await router.chat.completions.create(body);
  const b = await sim.chat.completions.create(body);
  is(a.choices[0].message.content, b.choices[0].message.content, 'image data URI: same answer');
});

await step('reasoning', async () => {
  const r = await router.chat.completions.create({ model: 'deep-r1', messages, max_tokens: 6 });
  ok(typeof r.choices[0].message.reasoning === 'string', 'reasoning kept');
});

await step('completions', async () => {
  const a = await router.completions.create({ model: 'tiny', prompt: 'Once', seed: 7, max_tokens: 5 });
  const b = await sim.completions.create({ model: 'tiny', prompt: 'Once', seed: 7, max_tokens: 5 });
  is(a.choices[0].text, b.choices[0].text, 'completions: same text');
  const stream = await router.completions.create({ model: 'tiny', prompt: 'Once', seed: 7, max_tokens: 5, stream: true });
  let text = '';
  for await (const c of stream) text += c.choices[0] ? c.choices[0].text : '';
  is(text, b.choices[0].text, 'completions stream: same text');
});

await step('embeddings', async () => {
  const a = await router.embeddings.create({ model: 'embed', input: ['a', 'b'] });
  const b = await sim.embeddings.create({ model: 'embed', input: ['a', 'b'] });
  is(a.data.map((d) => d.embedding), b.data.map((d) => d.embedding), 'embeddings: same vectors');
});

await step('models', async () => {
  const list = await router.models.list();
  const ids = list.data.map((m) => m.id);
  ok(ids.includes('tiny:latest') && ids.includes('embed:latest'), 'models.list: the fleet\'s models');
  const m = await router.models.retrieve('tiny');
  is(m.id, 'tiny:latest', 'models.retrieve');
});

await step('errors', async () => {
  try {
    await router.chat.completions.create({ model: 'no-such-model', messages });
    ok(false, 'unknown model: error expected');
  } catch (err) {
    is(err.status, 404, 'unknown model: 404');
    ok(/not found/.test(err.message), 'unknown model: message');
  }
});
