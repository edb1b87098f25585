// Traces view: the last 50 requests from /dashboard/api/traces, each with
// its score and, opened, the points of every signal, the nodes it passed
// over and what went wrong.
import {$, h, fill, clock, ms, count, fixed, isNum, getJSON} from './util.js';
import {signalColour} from './route.js';

const open = new Set(); // request ids whose details the user opened

function breakdown(b) {
    if (!b || typeof b !== 'object') return h('p', {class: 'muted'}, 'no per-signal breakdown recorded');
    const entries = Object.entries(b).filter(([, v]) => isNum(v));
    if (!entries.length) return h('p', {class: 'muted'}, 'no per-signal breakdown recorded');
    const max = Math.max(1, ...entries.map(([, v]) => Math.abs(v)));
    return h('ul', {class: 'signals'}, entries.map(([k, v]) => h('li', null,
        h('span', {class: 'sig-name'}, k),
        h('span', {class: 'sig-bar'}, h('span', {class: 'fill' + (v < 0 ? ' neg' : ''),
            style: {width: (Math.abs(v) / max * 100).toFixed(1) + '%',
                background: v < 0 ? '' : signalColour(k)}})),
        h('span', {class: 'sig-val num'}, fixed(v, 1)))));
}

function excluded(x) {
    if (!x) return null;
    const list = Array.isArray(x) ? x : Object.entries(x).map(([k, v]) => ({node: k, reason: v}));
    if (!list.length) return null;
    return h('div', null, h('h4', null, 'Passed over'),
        h('ul', {class: 'plain'}, list.map((e) => h('li', null,
            typeof e === 'string' ? e
                : (e.node || e.node_id || '?') + (e.reason ? ': ' + e.reason : '')))));
}

function statusCell(t) {
    const bad = t.status && t.status !== 'completed';
    return h('td', null, h('span', {class: 'badge ' + (bad ? 'bad' : 'ok')}, t.status || '?'),
        t.retry_count ? h('span', {class: 'badge warn'}, t.retry_count + ' retr' +
            (t.retry_count === 1 ? 'y' : 'ies')) : null,
        t.fallback_used ? h('span', {class: 'badge warn'}, 'fallback') : null);
}

function row(t) {
    const id = t.request_id || String(t.id);
    const details = h('details', {open: open.has(id),
        ontoggle: (ev) => (ev.target.open ? open.add(id) : open.delete(id))},
    h('summary', null, isNum(t.score) ? fixed(t.score, 1) : '—'),
    h('div', {class: 'trace-detail'},
        breakdown(t.scores_breakdown),
        excluded(t.excluded_nodes),
        t.error_message ? h('p', {class: 'bad'}, t.error_message) : null,
        h('p', {class: 'sub'}, [
            t.endpoint, t.original_format, t.client_ip,
            t.original_model && t.original_model !== t.model ? 'asked for ' + t.original_model : null,
            Array.isArray(t.tags) && t.tags.length ? 'tags: ' + t.tags.join(', ') : null,
            isNum(t.queue_wait_ms) ? 'waited ' + ms(t.queue_wait_ms) : null,
            'id ' + id].filter(Boolean).join(' · '))));
    return h('tr', {'data-request': id},
        h('td', null, clock(t.timestamp)), h('td', null, t.model || '—'),
        h('td', null, t.node_id || '—'), statusCell(t),
        h('td', {class: 'num'}, ms(t.latency_ms)),
        h('td', {class: 'num'}, ms(t.time_to_first_token_ms)),
        h('td', {class: 'num'}, count(t.prompt_tokens) + ' / ' + count(t.completion_tokens)),
        h('td', {class: 'score'}, details));
}

export default {
    name: 'traces',
    title: 'Traces',
    async refresh() {
        const err = $('#traces-error');
        let data;
        try {
            data = await getJSON('/dashboard/api/traces?limit=50');
        } catch (e) {
            if (!e.status) throw e;
            err.hidden = false;
            err.textContent = 'Traces are not available: ' + e.message;
            fill($('#traces-body'));
            return;
        }
        err.hidden = true;
        const list = data.traces || [];
        if (!list.length) {
            fill($('#traces-body'), h('tr', null, h('td', {colspan: 8, class: 'muted'},
                'No requests recorded yet.')));
            return;
        }
        fill($('#traces-body'), list.map(row));
    },
};
