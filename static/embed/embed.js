// certguide embed: swaps <div data-certguide="quiz"><a href="…/wizard/">…</a></div> for the
// framed quiz, or opens it in a <dialog> for data-certguide="button". Without JavaScript
// the link still works. Our own code, no dependencies.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script ? script.src : "/", location.href);
  var ours = base.origin;
  var frames = [];
  // The quiz in the element's language (data-certguide-language="de"), else English.
  var TEXTS = {
    en: { title: "Which Scrum certification fits you? A quiz", dialog: "Scrum certification quiz", close: "Close", open: "Take the quiz" },
    de: { title: "Welche Scrum-Zertifizierung passt zu Ihnen? Ein Quiz", dialog: "Quiz zur Scrum-Zertifizierung", close: "Schließen", open: "Zum Quiz" }
  };

  function language(el) {
    var code = (el.getAttribute("data-certguide-language") || "en").toLowerCase();
    return TEXTS.hasOwnProperty(code) ? code : "en";
  }

  function frameUrl(el) {
    var lang = language(el);
    var url = new URL((lang === "en" ? "" : "/" + lang) + "/embed/quiz/", ours);
    // Without a name, the server knows the site by the page's origin (Referer).
    var site = el.getAttribute("data-certguide-site");
    if (site) url.searchParams.set("site", site);
    new URLSearchParams(location.search).forEach(function (value, key) {
      if (/^utm_(source|medium|campaign|term|content)$/.test(key)) url.searchParams.set(key, value);
    });
    return url.href;
  }

  function makeFrame(el) {
    var frame = document.createElement("iframe");
    frame.src = frameUrl(el);
    frame.title = el.getAttribute("data-certguide-title") || TEXTS[language(el)].title;
    frame.setAttribute("loading", "lazy");
    frame.style.cssText = "width:100%;border:0;display:block;height:480px";
    frames.push(frame);
    return frame;
  }

  // The frame's own messages reach the host window already; a DOM event on the element
  // also says which embed on the page it came from.
  function tell(el, data) {
    var detail = { type: data.type };
    if (data.outcome) detail.outcome = String(data.outcome);
    el.dispatchEvent(new CustomEvent(data.type, { bubbles: true, detail: detail }));
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== ours || !event.data || typeof event.data.type !== "string") return;
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow !== event.source) continue;
      if (event.data.type === "certguide:resize") {
        var h = Math.max(120, Math.min(5000, Number(event.data.height) || 0));
        frames[i].style.height = h + "px";
      } else if (event.data.type === "certguide:escape") {
        var dialog = frames[i].closest("dialog");
        if (dialog && dialog.open) dialog.close();
      } else if (/^certguide:(quiz-started|quiz-completed|lead-submitted)$/.test(event.data.type)) {
        tell(frames[i], event.data);
      }
    }
  });

  function inline(el) {
    el.replaceChildren(makeFrame(el));
  }

  function button(el) {
    var link = el.querySelector("a");
    var open = document.createElement("button");
    open.type = "button";
    var lang = language(el);
    var texts = TEXTS[lang];
    open.textContent = link ? link.textContent : texts.open;
    open.className = link ? link.className : "";
    var dialog = document.createElement("dialog");
    dialog.setAttribute("aria-label", texts.dialog);
    dialog.setAttribute("lang", lang); // its Close button and label are in that language
    dialog.style.cssText = "width:min(800px,95vw);max-height:90vh;padding:0;border:0";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = texts.close;
    close.style.cssText = "display:block;margin:0.5rem 0.5rem 0 auto";
    var frame = null;
    close.addEventListener("click", function () { dialog.close(); });
    open.addEventListener("click", function () {
      if (!frame) dialog.appendChild((frame = makeFrame(el)));
      // showModal() makes the page behind inert (focus stays inside), closes on Escape
      // and returns focus to the button that opened it.
      dialog.showModal();
      close.focus();
    });
    dialog.appendChild(close);
    el.replaceChildren(open, dialog);
  }

  function setUp() {
    var els = document.querySelectorAll("[data-certguide]");
    for (var i = 0; i < els.length; i++) {
      if (els[i].getAttribute("data-certguide-ready")) continue;
      els[i].setAttribute("data-certguide-ready", "1");
      if (els[i].getAttribute("data-certguide") === "button") button(els[i]);
      else inline(els[i]);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
