'use strict';
// The dashboard page: numbers from each server-sent snapshot, charts of per-second rates (uPlot),
// and actions that ask for confirmation and carry the CSRF token. No secrets live in this page.
(function () {
  const $ = (id) => document.getElementById(id);
  const HISTORY = 900; // seconds: the admin server keeps the last 15 minutes
  const COLORS = ['#2b7bb9', '#d9822b', '#3a9d23', '#c23030', '#8e44ad', '#7f8c8d', '#16a085', '#b7950b',
    '#e84393', '#34495e'];
  let previous = null;
  let nextRotationAt = null;
  let reseedAt = null;
  let reseedEpoch = null;
  const charts = {};
  const points = []; // the derived points, one a second, oldest first
  let historyLoaded = false;
  const recent = []; // {at, reason, count}: the failure counters' increases, newest first

  function text(id, value) {
    const el = $(id);
    if (el && el.textContent !== String(value)) {
      el.textContent = value;
    }
  }

  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i++;
    }
    return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + ' ' + units[i];
  }

  function duration(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24;
    const m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    return (d ? d + 'd ' : '') + (d || h ? h + 'h ' : '') + (d || h || m ? m + 'm ' : '') + s + 's';
  }

  function rows(tbodyId, pairs) {
    const body = $(tbodyId);
    body.replaceChildren(...pairs.map((cells) => {
      const tr = document.createElement('tr');
      cells.forEach((c) => {
        const td = document.createElement('td');
        td.textContent = c;
        tr.appendChild(td);
      });
      return tr;
    }));
  }

  // Timestamps to the second, 24-hour clock, in the browser's time zone; ISO times without fractions.
  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], {hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit'});
  }

  function iso(s) {
    return s ? String(s).replace(/\.\d+Z$/, 'Z') : s;
  }

  function ms(v) {
    return v == null ? '–' : (v >= 100 ? v.toFixed(0) : v.toFixed(1)) + ' ms';
  }

  function percent(v) {
    return v == null ? '–' : (v * 100).toFixed(v >= 0.999 || v === 0 ? 0 : 1) + ' %';
  }

  // Each chart: one unit on its y axis (from zero), time labels to the second, a legend with units.
  // Its series come from the points (one a second); a chart whose series change is made anew.
  const CHARTS = [
    {id: 'chart-throughput', unit: 'bytes/s', format: (v) => bytes(v) + '/s',
      series: () => [['sent', (p) => p.bytesSent], ['received', (p) => p.bytesReceived]]},
    {id: 'chart-connections', unit: 'streams', format: (v) => String(Math.round(v)), whole: true,
      series: () => [['open', (p) => p.connectionsActive]]},
    {id: 'chart-new-connections', unit: 'streams/s', format: (v) => v.toFixed(1) + '/s',
      series: () => [['new', (p) => p.connectionsNew]]},
    {id: 'chart-latency', unit: 'ms', format: ms,
      series: () => ['p50', 'p95', 'p99'].map((q) => [q, (p) => (p.handshake || {})[q]])},
    {id: 'chart-failures', unit: 'failures/s', format: (v) => v.toFixed(1) + '/s',
      // The total, and each reason that occurred in the window shown (not all twenty).
      series: (keys) => [['all reasons', (p) => (p.failures ? Object.values(p.failures).reduce((a, b) => a + b, 0)
        : null)]].concat(keys.failures.map((r) => [r, (p) => (p.failures ? p.failures[r] || 0 : null)]))},
    {id: 'chart-http', unit: 'requests/s', format: (v) => v.toFixed(1) + '/s',
      series: (keys) => keys.services.map((s) => [s, (p) => ((p.http || {})[s] || {}).rate])},
    {id: 'chart-http-success', unit: '%', format: (v) => v.toFixed(0) + ' %', max: 100,
      series: (keys) => keys.services.map((s) => [s, (p) => {
        const v = ((p.http || {})[s] || {}).success;
        return v == null ? null : v * 100;
      }])},
    {id: 'chart-http-latency', unit: 'ms', format: ms,
      series: (keys) => keys.services.flatMap((s) => ['p50', 'p95', 'p99'].map((q) => [s + ' ' + q,
        (p) => ((p.http || {})[s] || {})[q]]))}
  ];

  function makeChart(def, series) {
    const el = $(def.id);
    el.replaceChildren();
    const opts = {
      width: Math.max(200, el.clientWidth), height: 180,
      series: [{label: 'time', value: (u, v) => (v == null ? '–' : clock(v * 1000))}].concat(series.map((s, i) => ({
        label: s[0] + ' (' + def.unit + ')', stroke: COLORS[i % COLORS.length], width: 2,
        value: (u, v) => (v == null ? '–' : def.format(v))}))),
      scales: {
        x: {time: true, range: (u, min, max) => (max == null ? [Date.now() / 1000 - HISTORY, Date.now() / 1000]
          : [Math.max(min, max - HISTORY), max])},
        y: {range: (u, min, max) => [0, def.max || (max > 0 ? max * 1.1 : 1)]}
      },
      axes: [
        {values: (u, vals) => vals.map((v) => clock(v * 1000)), space: 70},
        Object.assign({label: def.unit, size: 110, labelGap: 4, values: (u, vals) => vals.map((v) => def.format(v))},
          def.whole ? {incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000]} : {})
      ],
      legend: {show: true, live: true}
    };
    const data = [[]].concat(series.map(() => []));
    return {plot: new uPlot(opts, data, el), el, def, key: series.map((s) => s[0]).join('|')};
  }

  function seriesKeys() {
    const failures = new Set();
    const services = new Set();
    points.forEach((p) => {
      Object.entries(p.failures || {}).forEach(([r, v]) => v > 0 && failures.add(r));
      Object.keys(p.http || {}).forEach((s) => services.add(s));
    });
    return {failures: Array.from(failures).sort(), services: Array.from(services).sort()};
  }

  function drawCharts() {
    const keys = seriesKeys();
    // HTTP mode's section only where an HTTP listener has served requests in the last 15 minutes.
    $('http').hidden = keys.services.length === 0;
    CHARTS.forEach((def) => {
      const series = def.series(keys);
      const key = series.map((s) => s[0]).join('|');
      let c = charts[def.id];
      if (!c || c.key !== key) {
        if (c) {
          c.plot.destroy();
        }
        c = charts[def.id] = makeChart(def, series);
      }
      c.el.dataset.points = points.length; // how many seconds the chart shows (read by the browser test)
      c.plot.setData([points.map((p) => p.t / 1000)].concat(series.map((s) => points.map((p) => {
        const v = s[1](p);
        return v == null ? null : v;
      }))));
    });
  }

  function addPoint(p) {
    if (!p || (points.length && p.t <= points[points.length - 1].t)) {
      return false;
    }
    points.push(p);
    if (points.length > HISTORY) {
      points.splice(0, points.length - HISTORY);
    }
    return true;
  }

  function renderPoint(p) {
    if (p.bytesSent != null) {
      text('rate-bytes', bytes(p.bytesSent + p.bytesReceived) + '/s');
      text('rate-conn', p.connectionsNew.toFixed(1) + '/s');
      const failures = Object.values(p.failures || {}).reduce((a, b) => a + b, 0);
      text('rate-failures', failures.toFixed(1) + '/s');
    }
    const h = p.handshake || {};
    text('latency', h.p50 == null ? 'no handshakes' : 'p50 ' + ms(h.p50) + ', p99 ' + ms(h.p99));
    const services = Object.keys(p.http || {}).sort();
    // The table: a row per route (service and route name; "-" for requests no route line chose).
    const byRoute = p.httpRoutes || {};
    const routes = Object.keys(byRoute).sort();
    if (routes.length) {
      rows('http-services', routes.map((k) => {
        const g = byRoute[k];
        return [g.service, g.route, g.rate.toFixed(1), g.requests ? percent(g.success) + ' of ' + g.requests
          : 'no requests', ms(g.p50), ms(g.p95), ms(g.p99)];
      }));
      Array.from($('http-services').children).forEach((tr, i) => {
        const g = byRoute[routes[i]];
        tr.dataset.service = g.service;
        tr.dataset.route = g.route;
        tr.className = g.requests >= 5 && g.success < 0.95 ? 'service-failing' : 'service-ok';
      });
    }
    if (services.length) {
      const rate = services.reduce((a, s) => a + p.http[s].rate, 0);
      text('rate-http', rate.toFixed(1) + '/s');
      const worst = services.map((s) => p.http[s].p99).filter((v) => v != null);
      text('http-latency', worst.length ? 'worst p99 ' + ms(Math.max(...worst)) : 'no requests');
    }
  }

  // The topology: this node on the left, each peer on the right, an edge per peer and direction
  // labelled with its streams/s, success and throughput (red when streams fail). A v2 peer is named
  // by its node id, an edge per direction (→ this node calls it, ← it calls this node); a v1 peer by
  // its address. Drawn with SVG attributes only (CSP).
  const SVG = 'http://www.w3.org/2000/svg';
  function svg(name, attrs, content) {
    const el = document.createElementNS(SVG, name);
    Object.entries(attrs).forEach(([k, v]) => el.setAttribute(k, v));
    if (content != null) {
      el.textContent = content;
    }
    return el;
  }

  const peerOf = (e) => (e.direction === 'inbound' ? e.from : e.to);
  const selfOf = (e) => (e.direction === 'inbound' ? e.to : e.from);
  const throughput = (e) => (e.bytesPerSecond == null ? 'not measured' : bytes(e.bytesPerSecond) + '/s');

  function renderTopology(edges) {
    if (!edges.length) {
      return;
    }
    const graph = $('topology-graph');
    const width = Math.max(320, graph.clientWidth || 320);
    const rowHeight = 48;
    const height = Math.max(60, edges.length * rowHeight + 12);
    graph.setAttribute('height', height);
    graph.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
    const from = {x: 90, y: height / 2};
    const children = [svg('circle', {cx: from.x, cy: from.y, r: 8, fill: '#2b7bb9'}),
      svg('text', {x: from.x - 12, y: from.y + 4, 'text-anchor': 'end', 'font-size': 13}, selfOf(edges[0]).id)];
    edges.forEach((e, i) => {
      const to = {x: width - 170, y: 12 + i * rowHeight + rowHeight / 2};
      const failing = e.success != null && e.success < 0.95;
      const arrow = e.direction === 'inbound' ? '← ' : e.direction === 'outbound' ? '→ ' : '';
      children.push(svg('line', {x1: from.x, y1: from.y, x2: to.x, y2: to.y, stroke: failing ? '#c23030' : '#3a9d23',
        'stroke-width': e.streamsPerSecond > 0 ? 3 : 1}));
      children.push(svg('circle', {cx: to.x, cy: to.y, r: 6, fill: failing ? '#c23030' : '#5c6b7a'}));
      children.push(svg('text', {x: to.x + 10, y: to.y + 4, 'font-size': 13}, peerOf(e).id));
      children.push(svg('text', {x: (from.x + to.x) / 2, y: (from.y + to.y) / 2 - 4, 'text-anchor': 'middle',
        'font-size': 11, fill: '#1d2733'}, arrow + e.streamsPerSecond.toFixed(1) + ' streams/s, '
        + (e.success == null ? 'no attempts' : percent(e.success) + ' ok')
        + (e.latencyMs == null ? '' : ', ' + ms(e.latencyMs))
        + (e.bytesPerSecond == null ? '' : ', ' + bytes(e.bytesPerSecond) + '/s')));
    });
    graph.replaceChildren(...children);
    const name = (end) => end.id + (end.kind === 'address' ? ' (address)' : '');
    rows('edges', edges.map((e) => [name(e.from), name(e.to),
      e.streamsPerSecond.toFixed(1), throughput(e), e.success == null ? 'no attempts' : percent(e.success),
      e.latencyMs == null ? 'not measured' : ms(e.latencyMs), e.streamsSinceStart]));
    Array.from($('edges').children).forEach((tr, i) => {
      tr.dataset.peer = peerOf(edges[i]).id;
      tr.dataset.direction = edges[i].direction;
    });
  }

  function renderHealth(h) {
    const banner = $('banner');
    if (!h || h.state === 'ok') {
      banner.hidden = true;
      return;
    }
    banner.hidden = false;
    banner.className = h.state;
    text('banner-state', {failing: 'FAILING', draining: 'DRAINING', not_ready: 'NOT READY'}[h.state] || h.state);
    $('banner-reasons').replaceChildren(...(h.reasons || []).map((r) => {
      const li = document.createElement('li');
      li.textContent = r;
      return li;
    }));
  }

  function renderMeters(m) {
    text('bytes-sent', bytes(m.bytes.sent));
    text('bytes-received', bytes(m.bytes.received));
    text('conn-active', m.connectionsActive);
    text('conn-opened', m.connectionsOpened);
    text('handshakes', m.handshakes);
    text('http-total', m.httpRequests);
    const reasons = Object.keys(m.failures).sort();
    text('failures-total', reasons.reduce((a, r) => a + m.failures[r], 0));
    if (previous) {
      noteFailures(m, previous);
    }
    previous = m;
  }

  function renderStatus(s) {
    text('node', s.node || '?');
    text('role', s.role || '');
    document.body.dataset.role = s.role || 'node';
    text('epoch', s.epoch == null ? 'no key state' : s.epoch);
    text('tc', s.tc == null ? '–' : s.tc);
    text('interval', s.intervalSeconds == null ? '–' : duration(s.intervalSeconds));
    text('keystate', s.error ? s.error : (s.epoch == null ? 'not ready' : 'healthy (key for epoch ' + s.epoch + ')'));
    text('ready', s.draining ? 'no: draining' : (s.ready ? 'yes' : 'no'));
    text('uptime', s.uptimeSeconds == null ? '–' : duration(s.uptimeSeconds));
    text('version', s.version || '–');
    nextRotationAt = s.secondsToNextRotation == null ? null : Date.now() + s.secondsToNextRotation * 1000;
    const keys = s.keys || {};
    reseedAt = keys.secondsToReseed == null ? null : Date.now() + keys.secondsToReseed * 1000;
    reseedEpoch = keys.reseedEpoch;
    if (reseedAt == null) {
      text('node-reseed', 'none announced');
    }
    text('node-cert', keys.certificateExpiry ? iso(keys.certificateExpiry) : 'no certificate (seed on this node)');
    text('authority-contact', keys.lastAuthorityContact ? iso(keys.lastAuthorityContact) + ' ('
      + duration((Date.now() - Date.parse(keys.lastAuthorityContact)) / 1000) + ' ago)'
      : (keys.certificateExpiry ? 'not yet' : 'no authority (seed on this node)'));
    if (s.role === 'authority') {
      text('reseed', s.reseedEpoch == null ? 'none scheduled' : 'at epoch ' + s.reseedEpoch);
      text('cert-expiry', iso(s.certificateExpiry) || '–');
      text('revoked', s.revoked && s.revoked.length ? s.revoked.join(', ') : 'none');
      // The mesh-wide console: each node as its last recovery described it. Live: it asked within
      // s.liveWithinSeconds (three default refresh periods).
      const nodes = Object.entries(s.nodes || {}).sort();
      const live = (n) => n.contact && Date.now() - Date.parse(n.contact.at) < (s.liveWithinSeconds || 90) * 1000;
      rows('recoveries', nodes.map(([node, n]) => {
        const c = n.contact || {};
        return [node, iso(n.certificateExpiry) || '–', iso(n.lastRecovery) || 'not since start',
          n.contact ? (live(n) ? 'yes' : 'no') + ', ' + duration((Date.now() - Date.parse(c.at)) / 1000) + ' ago' : '–',
          c.epoch == null ? '–' : c.epoch, c.version || '–', iso(c.started) || '–',
          s.reseedEpoch == null ? 'none pending' : (c.reseedEpoch === s.reseedEpoch ? 'adopted' : 'not yet')];
      }));
      Array.from($('recoveries').children).forEach((tr, i) => {
        const n = nodes[i][1];
        tr.dataset.node = nodes[i][0];
        tr.className = (n.contact && !live(n) ? 'live-no ' : '')
          + (s.reseedEpoch != null && (n.contact || {}).reseedEpoch !== s.reseedEpoch ? 'adopted-no' : '');
      });
      text('nodes-live', nodes.filter(([, n]) => live(n)).length + ' of ' + nodes.length);
      rows('requests', Object.entries(s.requests || {}).sort());
      rows('registry', (s.registry || []).map((r) => [r.node, (r.services || []).join(', '), r.host + ':' + r.port]));
      const policy = s.policy || {};
      text('policy-version', policy.version == null ? '(no policy)' : '(version ' + policy.version
        + ', sent to the nodes on the registry watch; edit with sscmic policy)');
      rows('policy', (policy.lines || []).map((line, i) => [String(i + 1), line]));
    } else {
      const t = s.tunnel || {};
      text('tunnel', (t.listen ? 'listening on ' + t.listen : 'no inbound listener') + ', cipher ' + (t.cipher || '?')
        + (t.services && t.services.length ? ', services ' + t.services.join(', ') : ''));
      rows('routes', (s.routes || []).map((r) => [r.service, r.peer || 'by name', r.listen || (s.draining ? 'closed (draining)' : '–')]));
      rows('failures', Object.entries(s.failures || {}).sort());
      if (s.peers && s.peers.length) {
        rows('peers-body', s.peers.map((p) => [p.peer, p.health, p.connections, p.connectionsOpened,
          bytes(p.bytesSent), bytes(p.bytesReceived), p.failures,
          (p.recentFailures || []).map((f) => f.reason + ' at ' + clock(Date.parse(f.at))).join(', ')
            || 'none']));
        Array.from($('peers-body').children).forEach((tr, i) => {
          tr.dataset.peer = s.peers[i].peer;
          tr.className = 'health-' + s.peers[i].health;
        });
      }
    }
  }

  function noteFailures(m, before) {
    Object.keys(m.failures).forEach((reason) => {
      const more = m.failures[reason] - (before.failures[reason] || 0);
      if (more > 0) {
        recent.unshift({at: clock(m.at), reason, count: more});
      }
    });
    recent.splice(20);
    const list = $('recent-failures');
    if (recent.length) {
      list.replaceChildren(...recent.map((f) => {
        const li = document.createElement('li');
        li.textContent = f.at + ': ' + f.reason + (f.count > 1 ? ' ×' + f.count : '');
        return li;
      }));
    }
  }

  function render(snapshot) {
    renderStatus(snapshot.status || {});
    renderHealth(snapshot.health);
    if (snapshot.meters) {
      renderMeters(snapshot.meters);
    }
    if (snapshot.point) {
      renderPoint(snapshot.point);
      renderTopology(snapshot.point.edges || []);
      if (addPoint(snapshot.point) && historyLoaded) {
        drawCharts();
      }
    }
    text('live', 'live ' + clock(Date.now()));
  }

  // The node's last 15 minutes, so that a reloaded page does not start its charts empty.
  async function loadHistory() {
    const res = await fetch('/ui/api/history', {credentials: 'same-origin'}).catch(() => null);
    if (res && res.ok) {
      const h = await res.json();
      const newer = points.slice();
      points.length = 0;
      (h.points || []).forEach(addPoint);
      newer.forEach(addPoint);
    }
    historyLoaded = true;
    drawCharts();
  }

  setInterval(() => {
    if (nextRotationAt != null) {
      text('countdown', duration((nextRotationAt - Date.now()) / 1000 + 0.999));
    }
    if (reseedAt != null) {
      text('node-reseed', 'at epoch ' + reseedEpoch + ', in ' + duration((reseedAt - Date.now()) / 1000 + 0.999));
    }
  }, 250);

  function connect() {
    const events = new EventSource('/ui/api/stream');
    events.onmessage = (e) => render(JSON.parse(e.data));
    events.onerror = async () => {
      text('live', 'reconnecting…');
      const res = await fetch('/ui/api/status', {credentials: 'same-origin'}).catch(() => null);
      if (res && res.status === 401) {
        events.close();
        window.location.replace('/ui/login.html');
      }
    };
  }

  async function post(path, body) {
    const token = (await (await fetch('/ui/csrf', {credentials: 'same-origin'})).json()).token;
    const res = await fetch(path, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-XSRF-TOKEN': token},
      body: JSON.stringify(body || {})
    });
    return {status: res.status, body: await res.json().catch(() => ({}))};
  }

  document.querySelectorAll('button[data-action]').forEach((button) => {
    button.addEventListener('click', async () => {
      const action = button.dataset.action;
      const args = {};
      if (action === 'revoke') {
        args.node = window.prompt('Node id to revoke:');
        if (args.node) {
          button.dataset.confirm = 'Revoke node "' + args.node + '"? It can no longer enroll, recover or renew;'
            + ' schedule a re-seed afterwards to shut it out of the tunnel.';
        }
        if (!args.node) {
          return;
        }
      }
      if (!window.confirm(button.dataset.confirm)) {
        text('action-result', action + ': cancelled');
        return;
      }
      const res = await post('/ui/api/actions/' + action, args);
      const refused = res.body.ok === false || res.status >= 400;
      $('action-result').className = refused ? 'refused' : '';
      text('action-result', action + ': ' + (refused ? 'refused: ' : '')
        + (res.body.message || res.body.error || 'HTTP ' + res.status));
    });
  });

  $('logout').addEventListener('click', async () => {
    await post('/ui/logout');
    window.location.replace('/ui/login.html');
  });

  window.addEventListener('resize', () => {
    Object.values(charts).forEach((c) => c.plot.setSize({width: Math.max(200, c.el.clientWidth), height: 180}));
  });

  connect();
  loadHistory();
})();
