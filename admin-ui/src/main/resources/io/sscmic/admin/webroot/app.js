'use strict';
// The dashboard page: numbers from each server-sent snapshot, charts of per-second rates (uPlot),
// and actions that ask for confirmation and carry the CSRF token. No secrets live in this page.
(function () {
  const $ = (id) => document.getElementById(id);
  const POINTS = 120; // two minutes of history
  const COLORS = ['#2b7bb9', '#d9822b', '#3a9d23', '#c23030', '#8e44ad', '#7f8c8d', '#16a085', '#b7950b',
    '#e84393', '#34495e'];
  let previous = null;
  let nextRotationAt = null;
  let charts = null;
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

  function chart(id, series, format) {
    const el = $(id);
    const opts = {
      width: Math.max(200, el.clientWidth), height: 160,
      series: [{}].concat(series.map((s, i) => ({label: s, stroke: COLORS[i % COLORS.length], width: 2}))),
      // Always the last two minutes, so a lone first point does not stretch the time axis to years.
      scales: {x: {time: true, range: (u, min, max) => (max == null ? [Date.now() / 1000 - POINTS, Date.now() / 1000]
        : [max - POINTS, max])}},
      axes: [{}, {size: 95, values: (u, vals) => vals.map(format || ((v) => String(v)))}],
      legend: {show: true}
    };
    const data = [[]].concat(series.map(() => []));
    return {plot: new uPlot(opts, data, el), data, el};
  }

  function makeCharts(reasons) {
    return {
      throughput: chart('chart-throughput', ['bytes/s sent', 'bytes/s received'], (v) => bytes(v) + '/s'),
      connections: chart('chart-connections', ['open', 'new/s']),
      latency: chart('chart-latency', ['handshake ms']),
      http: chart('chart-http', ['requests/s', 'mean ms']),
      failures: chart('chart-failures', reasons),
      reasons
    };
  }

  function push(c, t, values) {
    c.data[0].push(t);
    values.forEach((v, i) => c.data[i + 1].push(v));
    if (c.data[0].length > POINTS) {
      c.data.forEach((a) => a.shift());
    }
    c.plot.setData(c.data);
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
    if (s.role === 'authority') {
      text('reseed', s.reseedEpoch == null ? 'none scheduled' : 'at epoch ' + s.reseedEpoch);
      text('cert-expiry', s.certificateExpiry || '–');
      text('revoked', s.revoked && s.revoked.length ? s.revoked.join(', ') : 'none');
      rows('recoveries', Object.entries(s.nodes || {}).sort()
        .map(([node, n]) => [node, n.certificateExpiry || '–', n.lastRecovery || 'not since start']));
      rows('requests', Object.entries(s.requests || {}).sort());
      rows('registry', (s.registry || []).map((r) => [r.node, (r.services || []).join(', '), r.host + ':' + r.port]));
    } else {
      const t = s.tunnel || {};
      text('tunnel', (t.listen ? 'listening on ' + t.listen : 'no inbound listener') + ', cipher ' + (t.cipher || '?')
        + (t.services && t.services.length ? ', services ' + t.services.join(', ') : ''));
      rows('routes', (s.routes || []).map((r) => [r.service, r.peer || 'by name', r.listen || (s.draining ? 'closed (draining)' : '–')]));
      rows('failures', Object.entries(s.failures || {}).sort());
      if (s.peers && s.peers.length) {
        rows('peers-body', s.peers.map((p) => [p.peer, p.health, p.connections, p.connectionsOpened,
          bytes(p.bytesSent), bytes(p.bytesReceived), p.failures,
          (p.recentFailures || []).map((f) => f.reason + ' at ' + new Date(f.at).toLocaleTimeString()).join(', ')
            || 'none']));
        Array.from($('peers-body').children).forEach((tr, i) => {
          tr.dataset.peer = s.peers[i].peer;
          tr.className = 'health-' + s.peers[i].health;
        });
      }
    }
  }

  function renderMeters(m) {
    text('bytes-sent', bytes(m.bytes.sent));
    text('bytes-received', bytes(m.bytes.received));
    text('conn-active', m.connectionsActive);
    text('conn-opened', m.connectionsOpened);
    text('handshakes', m.handshakes);
    text('http-total', m.httpRequests);
    const reasons = Object.keys(m.failures).sort();
    const failuresTotal = reasons.reduce((a, r) => a + m.failures[r], 0);
    text('failures-total', failuresTotal);
    if (!charts) {
      charts = makeCharts(reasons);
    }
    if (previous) {
      const dt = Math.max(0.001, (m.at - previous.at) / 1000);
      const sent = (m.bytes.sent - previous.bytes.sent) / dt;
      const received = (m.bytes.received - previous.bytes.received) / dt;
      const opened = (m.connectionsOpened - previous.connectionsOpened) / dt;
      const hs = m.handshakes - previous.handshakes;
      const latency = hs > 0 ? (m.handshakeMillis - previous.handshakeMillis) / hs : null;
      const requests = m.httpRequests - previous.httpRequests;
      const httpRate = requests / dt;
      const httpMean = requests > 0 ? (m.httpMillis - previous.httpMillis) / requests : null;
      const failures = charts.reasons.map((r) => ((m.failures[r] || 0) - (previous.failures[r] || 0)) / dt);
      noteFailures(m, previous);
      const t = m.at / 1000;
      text('rate-bytes', bytes(sent + received) + '/s');
      text('rate-conn', opened.toFixed(1) + '/s');
      text('latency', latency == null ? 'no handshakes' : latency.toFixed(1) + ' ms');
      text('rate-http', httpRate.toFixed(1) + '/s');
      text('http-latency', httpMean == null ? 'no requests' : httpMean.toFixed(1) + ' ms');
      text('rate-failures', failures.reduce((a, b) => a + b, 0).toFixed(1) + '/s');
      push(charts.throughput, t, [sent, received]);
      push(charts.connections, t, [m.connectionsActive, opened]);
      push(charts.latency, t, [latency]);
      push(charts.http, t, [httpRate, httpMean]);
      push(charts.failures, t, failures);
    }
    previous = m;
  }

  function noteFailures(m, before) {
    Object.keys(m.failures).forEach((reason) => {
      const more = m.failures[reason] - (before.failures[reason] || 0);
      if (more > 0) {
        recent.unshift({at: new Date(m.at).toLocaleTimeString(), reason, count: more});
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
    if (snapshot.meters) {
      renderMeters(snapshot.meters);
    }
    text('live', 'live ' + new Date().toLocaleTimeString());
  }

  setInterval(() => {
    if (nextRotationAt != null) {
      text('countdown', duration((nextRotationAt - Date.now()) / 1000 + 0.999));
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
    if (charts) {
      [charts.throughput, charts.connections, charts.latency, charts.http, charts.failures]
        .forEach((c) => c.plot.setSize({width: Math.max(200, c.el.clientWidth), height: 160}));
    }
  });

  connect();
})();
