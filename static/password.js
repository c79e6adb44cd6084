// Live password checklist on the new-password forms: marks each rule met (✓) or not yet
// as the person types. Progressive: without JavaScript the list is still shown, and the
// server checks every rule (and names the broken ones) on submit.
(function () {
  var list = document.getElementById('password-rules');
  var pw = document.getElementById('password');
  var again = document.getElementById('password_confirm');
  if (!list || !pw) return;
  var checks = {
    length: function (v) { return Array.from(v).length >= 12; },
    upper: function (v) { return /\p{Lu}/u.test(v); },
    lower: function (v) { return /\p{Ll}/u.test(v); },
    digit: function (v) { return /\p{Nd}/u.test(v); },
    symbol: function (v) { return /[^\p{L}\p{N}\s]/u.test(v); },
    match: function (v) { return v.length > 0 && again && again.value === v; }
  };
  function update() {
    var items = list.querySelectorAll('li[data-rule]');
    for (var i = 0; i < items.length; i++) {
      var check = checks[items[i].getAttribute('data-rule')];
      if (!check) continue;
      var ok = check(pw.value);
      items[i].classList.toggle('ok', ok);
      items[i].classList.toggle('fail', !ok && pw.value.length > 0);
    }
  }
  pw.addEventListener('input', update);
  if (again) again.addEventListener('input', update);
  update();
  // The two passwords must match: said on the first submit, before the server is asked
  // (the server checks it too, together with the rules).
  var form = pw.form;
  var mismatch = document.getElementById('mismatch-error');
  if (form && again) {
    form.addEventListener('submit', function (e) {
      var differ = pw.value !== again.value;
      var row = list.querySelector('li[data-rule="match"]');
      if (row) {
        row.classList.toggle('fail', differ);
        row.classList.toggle('ok', !differ && pw.value.length > 0);
      }
      if (mismatch) mismatch.hidden = !differ;
      if (differ) {
        e.preventDefault();
        again.setAttribute('aria-invalid', 'true');
        if (mismatch) again.setAttribute('aria-describedby', 'mismatch-error');
        again.focus();
      } else {
        again.removeAttribute('aria-invalid');
      }
    });
  }
})();
