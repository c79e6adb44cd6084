// The recovery-codes page's "Print" button: shown only where script runs (the print
// stylesheet hides everything but the codes either way).
(function () {
  var b = document.getElementById('print-codes');
  if (!b) return;
  b.hidden = false;
  b.addEventListener('click', function () { window.print(); });
})();
