// Small helpers shared by the views: DOM building (text only, never HTML
// from the network), number formatting, and JSON fetching with a timeout.

// h('td', {class: 'num'}, 'text', childNode...): an element. Attributes
// starting with "on" are listeners; null/undefined/false children are
// skipped; strings become text nodes.
export function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) continue;
        if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
        else if (k === 'style') Object.assign(el.style, v);
        else el.setAttribute(k, v === true ? '' : String(v));
    }
    append(el, children);
    return el;
}

function append(el, children) {
    for (const c of children) {
        if (c === null || c === undefined || c === false) continue;
        if (Array.isArray(c)) append(el, c);
        else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
}

// Replaces the children of el.
export function fill(el, ...children) {
    el.replaceChildren();
    append(el, children);
}

export const $ = (sel, root = document) => root.querySelector(sel);

export function isNum(v) {
    return typeof v === 'number' && Number.isFinite(v);
}

// 1234 -> "1,234"; 1234567 -> "1.23M"
export function count(v) {
    if (!isNum(v)) return '—';
    if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(2) + 'M';
    return Math.round(v).toLocaleString('en-US');
}

export function fixed(v, digits = 1) {
    return isNum(v) ? v.toFixed(digits) : '—';
}

// Milliseconds as "850 ms", "2.4 s", "3.1 min".
export function ms(v) {
    if (!isNum(v)) return '—';
    if (v < 1000) return Math.round(v) + ' ms';
    if (v < 60000) return (v / 1000).toFixed(1) + ' s';
    return (v / 60000).toFixed(1) + ' min';
}

export function gb(v) {
    return isNum(v) ? v.toFixed(v >= 100 ? 0 : 1) + ' GB' : '—';
}

export function pct(v) {
    return isNum(v) ? Math.round(v) + ' %' : '—';
}

// Epoch seconds as local "HH:MM:SS" (today) or "Mon 27 HH:MM".
export function clock(epoch) {
    if (!isNum(epoch)) return '—';
    const d = new Date(epoch * 1000);
    const now = new Date();
    const t = d.toLocaleTimeString('en-GB', {hour12: false});
    if (d.toDateString() === now.toDateString()) return t;
    return d.toLocaleDateString('en-GB', {weekday: 'short', day: 'numeric'}) +
        ' ' + t.slice(0, 5);
}

export function day(epoch) {
    return new Date(epoch * 1000).toLocaleDateString('en-GB',
        {month: 'short', day: 'numeric', timeZone: 'UTC'});
}

export function hour(epoch) {
    const d = new Date(epoch * 1000);
    return d.toLocaleDateString('en-GB', {day: 'numeric'}) + ' ' +
        String(d.getHours()).padStart(2, '0') + 'h';
}

// An error that says whether the router answered at all.
export class FetchError extends Error {
    constructor(message, status) {
        super(message);
        this.status = status; // 0 = no answer (network, timeout)
    }
}

// GET or POST JSON. Rejects with FetchError: status 0 when the router did
// not answer within timeoutMs, else the HTTP status and its error text.
export async function getJSON(url, {body, timeoutMs = 5000} = {}) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    let res;
    try {
        res = await fetch(url, {
            method: body === undefined ? 'GET' : 'POST',
            headers: body === undefined ? {Accept: 'application/json'}
                : {'Content-Type': 'application/json', Accept: 'application/json'},
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: ctl.signal,
            cache: 'no-store',
        });
    } catch (e) {
        throw new FetchError(ctl.signal.aborted ? 'no answer within ' +
            timeoutMs / 1000 + ' s' : 'router unreachable', 0);
    } finally {
        clearTimeout(timer);
    }
    let data = null;
    try {
        data = await res.json();
    } catch (e) {
        data = null;
    }
    if (!res.ok) {
        const msg = data && (typeof data.error === 'string' ? data.error
            : data.error && data.error.message);
        throw new FetchError(msg || 'HTTP ' + res.status, res.status);
    }
    return data;
}

// A stable colour per name (node, model, tag, signal) from a palette that
// keeps contrast on the dark background.
const palette = ['#7aa2f7', '#9ece6a', '#e0af68', '#bb9af7', '#7dcfff',
    '#f7768e', '#73daca', '#ff9e64', '#c0caf5', '#2ac3de'];
export function colour(name) {
    let x = 0;
    for (const ch of String(name)) x = (x * 31 + ch.codePointAt(0)) >>> 0;
    return palette[x % palette.length];
}
