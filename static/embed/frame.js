// Inside the frame: tell the host page (and only the allowed origin the server named)
// how tall the content is, and what just happened. No personal data is ever posted.
(function () {
  "use strict";
  var origin = document.body.getAttribute("data-host-origin");
  if (!origin || window.parent === window) return;
  function post(message) {
    window.parent.postMessage(message, origin);
  }
  var last = 0;
  function size() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      post({ type: "certguide:resize", height: height });
    }
  }
  var event = document.body.getAttribute("data-event");
  if (event) {
    var detail = { type: "certguide:" + event };
    var outcome = document.body.getAttribute("data-outcome");
    if (outcome) detail.outcome = outcome;
    post(detail);
  }
  // A key pressed in the frame never reaches the host page: Escape is passed on so the
  // host's <dialog> (data-certguide="button") closes from inside the quiz too.
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") post({ type: "certguide:escape" });
  });
  size();
  if (window.ResizeObserver) new ResizeObserver(size).observe(document.documentElement);
  else window.addEventListener("resize", size);
})();
