// Front-Channel Logout: the services' logout pages load in the hidden frames of this page.
// Once every frame has loaded (or after a few seconds, whatever a service does), the page
// marks itself done and, when a service asked to come back, continues there. Without
// JavaScript the frames still load and the "continue" link is there to press.
(function () {
  var frames = document.querySelectorAll('iframe.frontchannel');
  var next = document.getElementById('logout-continue');
  var left = frames.length;
  var finished = false;
  function done() {
    if (finished) return;
    finished = true;
    document.body.setAttribute('data-frontchannel', 'done');
    if (next) window.location.assign(next.href);
  }
  for (var i = 0; i < frames.length; i++) {
    frames[i].addEventListener('load', function () {
      left -= 1;
      if (left <= 0) done();
    });
  }
  if (left === 0) done();
  window.setTimeout(done, 3000);
})();
