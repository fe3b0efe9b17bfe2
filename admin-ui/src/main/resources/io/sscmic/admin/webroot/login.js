'use strict';
// Logs in with fetch (no form post): the CSRF token travels in a header, as for every action.
document.getElementById('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const error = document.getElementById('login-error');
  error.textContent = '';
  try {
    const token = (await (await fetch('/ui/csrf', {credentials: 'same-origin'})).json()).token;
    const res = await fetch('/ui/login', {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-XSRF-TOKEN': token},
      body: JSON.stringify({password: document.getElementById('password').value})
    });
    if (res.ok) {
      window.location.replace('/ui/');
      return;
    }
    const body = await res.json().catch(() => ({}));
    error.textContent = body.error || ('login failed (HTTP ' + res.status + ')');
  } catch (e) {
    error.textContent = 'cannot reach the admin port: ' + e.message;
  }
  document.getElementById('password').value = '';
});
