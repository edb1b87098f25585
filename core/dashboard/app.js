// The dashboard's shell: picks the view from the path, polls the router
// every 2 s while the tab is visible, and shows plainly when the router
// does not answer, so a stale page never passes for a live one.
import {$, clock, getJSON, FetchError} from './util.js';
import fleet from './fleet.js';
import traces from './traces.js';
import {trends, models, tags} from './analytics.js';
import route from './route.js';

const POLL_MS = 2000;
const views = {fleet, traces, trends, models, tags, apps: tags, route};

let current = null;
let timer = null;
let running = false;
let again = false; // a view change while a poll was running
let lastOk = 0;
let failures = 0;

function viewFromPath() {
    const m = location.pathname.match(/^\/dashboard\/?([a-z]*)$/);
    const name = m && m[1] ? m[1] : 'fleet';
    return views[name] ? name : 'fleet';
}

function show(name) {
    const view = views[name];
    current = view;
    for (const sec of document.querySelectorAll('main > section'))
        sec.hidden = sec.dataset.view !== view.name;
    for (const a of document.querySelectorAll('nav a')) {
        if (a.dataset.view === view.name) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
    }
    document.title = view.title + ' · herd';
    if (!view.ready) {
        view.ready = true;
        view.init?.(() => tick());
    }
    tick();
}

function setConn(state, text) {
    const conn = $('#conn');
    conn.dataset.state = state;
    $('#conn-text').textContent = text;
    document.body.classList.toggle('stale', state === 'down');
    const banner = $('#offline');
    banner.hidden = state !== 'down';
    if (state === 'down') {
        $('#offline-text').textContent = lastOk
            ? 'The figures below are from ' + clock(lastOk / 1000) +
              ' and are not live. Retrying every 2 s.'
            : 'Nothing could be loaded yet. Retrying every 2 s.';
    }
}

async function tick() {
    clearTimeout(timer);
    timer = null;
    if (document.hidden) return;
    if (running) {
        again = true;
        return;
    }
    running = true;
    try {
        await current.refresh();
        lastOk = Date.now();
        if (failures) version(); // it may have been restarted
        failures = 0;
        setConn('up', 'live · ' + clock(lastOk / 1000));
    } catch (e) {
        if (e instanceof FetchError && !e.status) {
            failures++;
            setConn('down', 'router unreachable');
        } else {
            // The router answered, with an error the view did not expect,
            // or drawing failed: not a connection problem.
            console.error(e);
            setConn('up', 'live · ' + clock(Date.now() / 1000));
        }
    } finally {
        running = false;
        if (!document.hidden) timer = setTimeout(tick, again ? 0 : POLL_MS);
        again = false;
    }
}

async function version() {
    try {
        const v = await getJSON('/api/version');
        $('#foot-text').textContent = 'herd ' + (v.herd_version || '?') +
            ' · router at ' + location.host + ' · Ollama ' + (v.version || '?');
    } catch (e) {
        // the poll shows the connection state
    }
}

document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
        clearTimeout(timer);
        timer = null;
        setConn($('#conn').dataset.state === 'down' ? 'down' : 'paused',
            'paused while hidden');
    } else {
        tick();
    }
});

document.querySelector('nav').addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-view]');
    if (!a || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
    ev.preventDefault();
    if (a.getAttribute('href') !== location.pathname)
        history.pushState(null, '', a.getAttribute('href'));
    show(viewFromPath());
    $('#main').focus({preventScroll: true});
});
window.addEventListener('popstate', () => show(viewFromPath()));
$('#retry').addEventListener('click', () => tick());

version();
show(viewFromPath());
