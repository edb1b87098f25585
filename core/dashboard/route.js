// "Why this node?": posts a request to /fleet/route (scored, not sent)
// and shows the ranked candidates with each signal's points and the nodes
// eliminated with their reasons.
import {$, h, fill, fixed, isNum, colour, getJSON} from './util.js';

const SIGNALS = {
    thermal: '#f7768e', memory_fit: '#7aa2f7', queue_depth: '#e0af68',
    wait_time: '#ff9e64', role_affinity: '#9ece6a', availability_trend: '#7dcfff',
    context_fit: '#bb9af7',
};

export function signalColour(name) {
    return SIGNALS[name] || colour(name);
}

function body(form) {
    const model = form.model.value.trim();
    const text = form.prompt.value;
    const b = {model};
    if (form.kind.value === 'chat') b.messages = [{role: 'user', content: text}];
    else if (form.kind.value === 'generate') b.prompt = text;
    else b.input = text;
    const ctx = form.num_ctx.value.trim();
    if (ctx) b.options = {num_ctx: Number(ctx)};
    return b;
}

// One bar per candidate: negative points left of a zero line shared by
// all rows, positive points right of it, on one scale.
function scoreBar(scores, negMax, scale) {
    const pos = [];
    const neg = [];
    let rowNeg = 0;
    const seg = (k, v) => h('span', {class: 'seg' + (v < 0 ? ' minus' : ''),
        title: k + ' ' + fixed(v, 1),
        style: {width: (Math.abs(v) / scale * 100).toFixed(2) + '%',
            background: signalColour(k)}});
    for (const [k, v] of Object.entries(scores || {})) {
        if (!isNum(v) || v === 0) continue;
        if (v > 0) pos.push(seg(k, v));
        else {
            neg.push(seg(k, v));
            rowNeg -= v;
        }
    }
    return h('div', {class: 'scorebar', 'aria-hidden': 'true'},
        h('span', {class: 'pad', style: {width: ((negMax - rowNeg) / scale * 100).toFixed(2) + '%'}}),
        neg, h('span', {class: 'zero'}), pos);
}

function render(res) {
    const cands = res.candidates || [];
    const elim = res.eliminated || [];
    const signals = [...new Set(cands.flatMap((c) => Object.keys(c.scores || {})))];
    let pos = 1;
    let neg = 0;
    for (const c of cands) {
        let p = 0;
        let n = 0;
        for (const v of Object.values(c.scores || {})) {
            if (v > 0) p += v;
            else if (v < 0) n -= v;
        }
        pos = Math.max(pos, p);
        neg = Math.max(neg, n);
    }
    const scale = pos + neg;
    fill($('#route-result'),
        h('p', {class: 'verdict', id: 'route-winner'}, res.winner
            ? ['Winner: ', h('strong', null, res.winner)]
            : h('strong', {class: 'bad'}, 'No node can take this request now: every node is eliminated.')),
        h('p', {class: 'muted'}, 'model ' + res.model +
            (isNum(res.model_size_gb) ? ' · about ' + fixed(res.model_size_gb) + ' GB' : '') +
            (isNum(res.estimated_tokens) ? ' · ' + res.estimated_tokens + ' tokens estimated' : '') +
            (isNum(res.elapsed_us) ? ' · scored in ' + fixed(res.elapsed_us, 0) + ' µs' : '')),
        cands.length ? h('div', {class: 'table-wrap'}, h('table', {class: 'grid', id: 'route-table'},
            h('caption', null, 'Candidates, best first (points already weighted)'),
            h('thead', null, h('tr', null,
                h('th', {scope: 'col'}, '#'), h('th', {scope: 'col'}, 'Node'),
                h('th', {scope: 'col', class: 'num'}, 'Total'),
                h('th', {scope: 'col', class: 'barcol'}, 'Points per signal'),
                signals.map((s) => h('th', {scope: 'col', class: 'num sig-head'},
                    h('span', {class: 'swatch', style: {background: signalColour(s)}}),
                    s.replace(/_/g, ' '))))),
            h('tbody', null, cands.map((c, i) => h('tr', {class: c.node === res.winner ? 'winner' : ''},
                h('td', null, i + 1), h('th', {scope: 'row'}, c.node),
                h('td', {class: 'num'}, fixed(c.total, 1)),
                h('td', {class: 'barcol'}, scoreBar(c.scores, neg, scale)),
                signals.map((s) => {
                    const v = c.scores?.[s];
                    return h('td', {class: 'num' + (v < 0 ? ' bad' : '')}, isNum(v) ? fixed(v, 1) : '—');
                })))))) : null,
        elim.length ? h('div', null, h('h2', null, 'Eliminated'),
            h('ul', {class: 'plain', id: 'route-eliminated'}, elim.map((e) =>
                h('li', null, h('strong', null, e.node), ': ', e.reason)))) : null);
}

async function explain(form) {
    const btn = form.querySelector('button');
    btn.disabled = true;
    fill($('#route-result'), h('p', {class: 'muted'}, 'asking the router…'));
    try {
        render(await getJSON('/fleet/route', {body: body(form)}));
    } catch (e) {
        fill($('#route-result'), h('p', {class: 'panel-error', role: 'alert'},
            e.status ? 'The router refused: ' + e.message
                : 'The router did not answer: ' + e.message));
    } finally {
        btn.disabled = false;
    }
}

export default {
    name: 'route',
    title: 'Why this node?',
    // /dashboard/route?model=M[&prompt=..&kind=chat|generate|embed&num_ctx=N]
    // fills the form and asks at once: a link that explains a choice.
    init() {
        const form = $('#route-form');
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            explain(form);
        });
        const q = new URLSearchParams(location.search);
        for (const k of ['model', 'prompt', 'kind', 'num_ctx'])
            if (q.has(k)) form.elements[k].value = q.get(k);
        if (q.get('model')) explain(form);
    },
    // Keeps the model list current (and tells the shell the router is up).
    async refresh() {
        const tags = await getJSON('/api/tags');
        const names = (tags.models || []).map((m) => m.name).filter(Boolean);
        const list = $('#route-models');
        if (list.dataset.names !== names.join('\n')) {
            list.dataset.names = names.join('\n');
            fill(list, names.map((n) => h('option', {value: n})));
            const input = $('#route-model');
            if (!input.value && names.length) input.value = names[0];
        }
    },
};
