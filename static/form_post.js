// Form Post Response Mode: posts the answer to the service as soon as the page is read.
// The form and its button are the page itself, so without JavaScript the person presses
// the button; the page's CSP lets the form go to the service's origin only.
(function () {
  var form = document.getElementById('form-post');
  if (form) form.submit();
})();
