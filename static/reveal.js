// "Show password" beside each password field marked `data-reveal`: a toggle button (its
// state in aria-pressed) that shows what was typed and hides it again — on a phone, a
// typo in a long password is otherwise found only by the server. Progressive: without this
// script the fields are ordinary password fields. The button's word is in the page's
// language, given by this script's own tag (`data-show`, from the i18n table).
(function () {
  var me = document.currentScript;
  var word = (me && me.getAttribute('data-show')) || 'Show';
  var fields = document.querySelectorAll('input[type=password][data-reveal]');
  for (var i = 0; i < fields.length; i++) add(fields[i]);

  function add(input) {
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'reveal secondary';
    button.textContent = word;
    button.setAttribute('aria-pressed', 'false');
    if (input.id) button.setAttribute('aria-controls', input.id);
    // Several password fields on one page (the account's three): the name says which,
    // beginning with the visible word.
    var label = input.labels && input.labels[0] ? input.labels[0].textContent.trim() : '';
    if (label) button.setAttribute('aria-label', word + ' ' + label);
    input.classList.add('revealable');
    // Shown, the field is a text field: a browser's "enhanced" spell check (or an editor
    // extension) would send what it holds to a remote service, and a phone keyboard would
    // learn it or change it. None of that for a password, shown or not.
    input.setAttribute('spellcheck', 'false');
    input.setAttribute('autocapitalize', 'off');
    input.setAttribute('autocorrect', 'off');
    input.insertAdjacentElement('afterend', button);
    button.addEventListener('click', function () {
      set(input, button, input.type === 'password');
    });
    // What is sent, and what a password manager saves, is read from a password field;
    // and a page restored from the back/forward cache shows dots again.
    if (input.form) input.form.addEventListener('submit', function () { set(input, button, false); });
    window.addEventListener('pagehide', function () { set(input, button, false); });
  }

  function set(input, button, shown) {
    input.type = shown ? 'text' : 'password';
    button.setAttribute('aria-pressed', shown ? 'true' : 'false');
  }
})();
