// "New image" without reloading the page: asks /captcha/new for a fresh captcha (the old
// one is spent), swaps the image and the hidden id, and keeps everything typed. Without
// JavaScript the login's button posts the form, which comes back with the NIP (never the
// password) and a new image; the reset page's link loads the page again.
(function () {
  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest ? ev.target.closest('[data-captcha-new]') : null;
    var form = btn && (btn.form || btn.closest('form'));
    if (!form) return;
    var id = form.querySelector('input[name="captcha_id"]');
    var img = form.querySelector('img.captcha');
    if (!id || !img || !window.fetch) return;
    ev.preventDefault();
    fetch('/captcha/new?old=' + encodeURIComponent(id.value), {
      headers: { accept: 'application/json' },
      credentials: 'same-origin'
    })
      .then(function (res) {
        if (!res.ok) throw new Error('captcha ' + res.status);
        return res.json();
      })
      .then(function (c) {
        id.value = c.id;
        img.src = c.src;
        var answer = form.querySelector('input[name="captcha"]');
        if (answer) {
          answer.value = '';
          answer.focus();
        }
        var status = document.getElementById('captcha-status');
        if (status) status.textContent = btn.getAttribute('data-done') || '';
      })
      .catch(function () {
        // The server's own way: the link, or post the form for a new image.
        if (btn.href) window.location.href = btn.href;
        else if (form.requestSubmit) form.requestSubmit(btn);
      });
  });
})();
